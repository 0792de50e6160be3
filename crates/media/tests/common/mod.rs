//! Helpers shared by the relay tests: an engine on the loopback, plain
//! sockets as phones, RTP packets built by hand.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};
use voxide_media::{Leg, MediaConfig, MediaEngine, MediaEvent, Relay, g711};

pub const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
pub const PCMU: u8 = 0;
pub const PCMA: u8 = 8;
/// 20 ms of G.711 audio.
pub const SAMPLES: usize = 160;

pub fn engine(ports: (u16, u16), rtp_timeout: Duration) -> (MediaEngine, mpsc::UnboundedReceiver<MediaEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let config = MediaConfig {
        bind_ip: LOCALHOST,
        public_ip: LOCALHOST,
        ports,
        rtp_timeout,
        vad: Default::default(),
        inband_dtmf: true,
    };
    (MediaEngine::new(config, tx), rx)
}

pub fn relay_addr(relay: &Relay, leg: Leg) -> SocketAddr {
    SocketAddr::new(LOCALHOST, relay.local_port(leg))
}

pub async fn phone() -> UdpSocket {
    UdpSocket::bind((LOCALHOST, 0)).await.expect("bind a phone socket")
}

/// A phone's RTP socket and its RTCP socket on the port above.
pub async fn phone_pair() -> (UdpSocket, UdpSocket) {
    for _ in 0..100 {
        let rtp = phone().await;
        let port = rtp.local_addr().unwrap().port();
        if port == u16::MAX {
            continue;
        }
        if let Ok(rtcp) = UdpSocket::bind((LOCALHOST, port + 1)).await {
            return (rtp, rtcp);
        }
    }
    panic!("no adjacent pair of free ports");
}

/// Lets the relay task take in the commands sent to it.
pub async fn settle() {
    sleep(Duration::from_millis(50)).await;
}

/// An RTP packet: 12-byte header and `payload`.
pub fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, (u8::from(marker) << 7) | pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// 20 ms of a 1 kHz tone, μ-law encoded.
pub fn tone_ulaw(offset: usize) -> Vec<u8> {
    (0..SAMPLES)
        .map(|i| {
            let t = (offset + i) as f64 / 8000.0;
            g711::linear_to_ulaw((12000.0 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()) as i16)
        })
        .collect()
}

pub async fn recv(sock: &UdpSocket) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = [0u8; 2048];
    match timeout(Duration::from_millis(500), sock.recv_from(&mut buf)).await {
        Ok(Ok((n, from))) => Some((buf[..n].to_vec(), from)),
        _ => None,
    }
}

pub async fn expect_nothing(sock: &UdpSocket, what: &str) {
    let mut buf = [0u8; 2048];
    if let Ok(Ok((n, from))) = timeout(Duration::from_millis(200), sock.recv_from(&mut buf)).await {
        panic!("{what}: got {n} bytes from {from}");
    }
}

/// A relay (call `id`, ports from `ports`) between two plain sockets, each
/// leg's remote set to its phone, with `formats` applied and settled.
pub struct Call {
    pub engine: MediaEngine,
    pub events: mpsc::UnboundedReceiver<MediaEvent>,
    pub relay: Relay,
    pub a: UdpSocket,
    pub b: UdpSocket,
    /// The relay's sockets facing A and B.
    pub to_a: SocketAddr,
    pub to_b: SocketAddr,
}

pub async fn call(ports: (u16, u16), id: u64, formats: Option<(voxide_sdp::LegFormat, voxide_sdp::LegFormat)>) -> Call {
    let (engine, events) = engine(ports, Duration::from_secs(30));
    let relay = engine.allocate(id).unwrap();
    let (a, b) = (phone().await, phone().await);
    relay.set_remote(Leg::A, a.local_addr().unwrap());
    relay.set_remote(Leg::B, b.local_addr().unwrap());
    if let Some((fa, fb)) = formats {
        relay.set_formats(fa, fb);
    }
    settle().await;
    let (to_a, to_b) = (relay_addr(&relay, Leg::A), relay_addr(&relay, Leg::B));
    Call { engine, events, relay, a, b, to_a, to_b }
}

/// `n` samples of a sine at `hz` (8 kHz), starting at sample `from`.
pub fn sine(hz: f64, from: usize, n: usize) -> Vec<i16> {
    (from..from + n).map(|i| (8000.0 * (2.0 * std::f64::consts::PI * hz * i as f64 / 8000.0).sin()) as i16).collect()
}

/// Power of `hz` in `pcm` (8 kHz), by the Goertzel filter.
pub fn power(pcm: &[i16], hz: f64) -> f64 {
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * hz / 8000.0).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for x in pcm {
        let s0 = f64::from(*x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}
