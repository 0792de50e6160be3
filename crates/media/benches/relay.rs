//! One RTP packet through the relay over real loopback sockets, and the
//! same through a bare forwarding thread (the floor: two system calls and
//! a wake-up), so the relay's own share per packet shows as the
//! difference.
//!
//! * `relay_packet_loopback`: a PCMU packet sent from phone A's socket to
//!   the relay's A side, relayed by the relay task (latching, sequence
//!   check, in-band DTMF detector off, the recording hook), received on
//!   phone B's socket.
//! * `udp_forward_loopback`: the same packet through a thread that does
//!   `recv_from` and `send_to` and nothing else.
//!
//! Run: `cargo bench -p voxide-media --bench relay`. Both figures are
//! round trips of one packet at a time, so they include the wake-ups a
//! relay under load amortises over batches.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use voxide_media::{Leg, MediaConfig, MediaEngine};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn phone() -> UdpSocket {
    let sock = UdpSocket::bind((LOCALHOST, 0)).expect("bind a phone socket");
    sock.set_read_timeout(Some(Duration::from_secs(2))).expect("read timeout");
    sock
}

/// An RTP packet: PCMU, 20 ms of payload.
fn packet(seq: u16) -> [u8; 172] {
    let mut pkt = [0xd5u8; 172];
    pkt[..12].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
    pkt[2..4].copy_from_slice(&seq.to_be_bytes());
    pkt[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    pkt
}

/// Sends one packet from `a` to `via` and waits for it on `b`.
fn round_trip(a: &UdpSocket, b: &UdpSocket, via: SocketAddr, seq: u16, buf: &mut [u8]) -> usize {
    a.send_to(&packet(seq), via).expect("send");
    b.recv(buf).expect("the packet came through")
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let (events, _rx) = tokio::sync::mpsc::unbounded_channel();
    let config = MediaConfig {
        bind_ip: LOCALHOST,
        public_ip: LOCALHOST,
        ports: (46000, 46099),
        rtp_timeout: Duration::from_secs(600),
        vad: Default::default(),
        inband_dtmf: false,
    };
    let engine = MediaEngine::new(config, events);
    let relay = {
        let _in_runtime = rt.enter();
        engine.allocate(1).expect("a relay")
    };
    let (a, b) = (phone(), phone());
    relay.set_remote(Leg::A, a.local_addr().expect("addr"));
    relay.set_remote(Leg::B, b.local_addr().expect("addr"));
    std::thread::sleep(Duration::from_millis(100));
    let via = SocketAddr::new(LOCALHOST, relay.local_port(Leg::A));
    let mut buf = [0u8; 2048];
    let mut seq = 0u16;
    c.bench_function("relay_packet_loopback", |bench| {
        bench.iter(|| {
            seq = seq.wrapping_add(1);
            black_box(round_trip(&a, &b, via, seq, &mut buf))
        })
    });

    let forwarder = UdpSocket::bind((LOCALHOST, 0)).expect("bind the forwarder");
    let (to, via) = (b.local_addr().expect("addr"), forwarder.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, _)) = forwarder.recv_from(&mut buf) {
            if forwarder.send_to(&buf[..n], to).is_err() {
                return;
            }
        }
    });
    c.bench_function("udp_forward_loopback", |bench| {
        bench.iter(|| {
            seq = seq.wrapping_add(1);
            black_box(round_trip(&a, &b, via, seq, &mut buf))
        })
    });
    drop(relay);
}

criterion_group!(relay, benches);
criterion_main!(relay);
