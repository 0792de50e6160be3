//! One call's relay: four sockets (RTP and RTCP for each leg) served by one
//! task. A packet arriving on leg A's socket leaves through leg B's socket
//! to B's remote address, and the other way round.
//!
//! Symmetric latching: each leg's remote address starts as the one in its
//! SDP and follows the source of the packets that actually arrive, which is
//! what gets media through NAT. The packet buffer is reused: nothing is
//! allocated per packet.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::pool::PortPool;
use crate::recorder::Recorder;
use crate::{MediaError, MediaStats, g711, rtp};

/// The two sides of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leg {
    /// The caller's side.
    A,
    /// The callee's side.
    B,
}

impl Leg {
    fn index(self) -> usize {
        match self {
            Leg::A => 0,
            Leg::B => 1,
        }
    }
}

/// What relays report to their owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// `leg` sent neither RTP nor RTCP for the configured time.
    Timeout { id: u64, leg: Leg },
}

#[derive(Debug, Clone, Copy)]
pub struct RelayConfig {
    pub id: u64,
    pub bind_ip: IpAddr,
    pub rtp_timeout: Duration,
}

/// G.711 payload types.
const PCMU: u8 = 0;
const PCMA: u8 = 8;

enum Command {
    Remote {
        leg: Leg,
        rtp: SocketAddr,
    },
    /// Payload type each leg uses for audio; when they are PCMU and PCMA,
    /// the relay transcodes.
    Codecs {
        a: u8,
        b: u8,
    },
    /// Media timeout is suspended while a leg is on hold.
    Hold {
        on: bool,
    },
    /// Start mixing both legs into a WAV file.
    Record {
        path: std::path::PathBuf,
    },
    /// Stop; report the recording's length.
    Close {
        done: tokio::sync::oneshot::Sender<Option<f64>>,
    },
}

/// Handle to a running relay; dropping it stops the relay and returns its
/// ports to the pool (the task ends when its command channel closes, and
/// gives the ports back once its sockets are closed).
pub struct Relay {
    id: u64,
    local: [SocketAddr; 2],
    commands: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<()>,
}

struct Sockets {
    rtp: [UdpSocket; 2],
    rtcp: [UdpSocket; 2],
}

/// Binds an RTP/RTCP pair from the pool, retrying with the next pair when a
/// port is taken by someone else.
fn bind_pair(pool: &Arc<PortPool>, ip: IpAddr) -> Result<(u16, UdpSocket, UdpSocket), MediaError> {
    for _ in 0..64 {
        let port = pool.take().ok_or(MediaError::PoolExhausted)?;
        let rtp = std::net::UdpSocket::bind((ip, port));
        let rtcp = std::net::UdpSocket::bind((ip, port + 1));
        match (rtp, rtcp) {
            (Ok(rtp), Ok(rtcp)) => {
                rtp.set_nonblocking(true)?;
                rtcp.set_nonblocking(true)?;
                return Ok((port, UdpSocket::from_std(rtp)?, UdpSocket::from_std(rtcp)?));
            }
            _ => pool.give_back(port),
        }
    }
    Err(MediaError::PoolExhausted)
}

impl Relay {
    pub(crate) fn start(
        config: RelayConfig,
        pool: &Arc<PortPool>,
        stats: Arc<MediaStats>,
        events: mpsc::UnboundedSender<MediaEvent>,
    ) -> Result<Relay, MediaError> {
        let (port_a, rtp_a, rtcp_a) = bind_pair(pool, config.bind_ip)?;
        let (port_b, rtp_b, rtcp_b) = match bind_pair(pool, config.bind_ip) {
            Ok(p) => p,
            Err(e) => {
                pool.give_back(port_a);
                return Err(e);
            }
        };
        let local = [SocketAddr::new(config.bind_ip, port_a), SocketAddr::new(config.bind_ip, port_b)];
        let (tx, rx) = mpsc::unbounded_channel();
        let sockets = Sockets { rtp: [rtp_a, rtp_b], rtcp: [rtcp_a, rtcp_b] };
        stats.active_relays.fetch_add(1, Ordering::Relaxed);
        let pool = pool.clone();
        let task = tokio::spawn(async move {
            run(config, sockets, rx, &stats, events).await;
            stats.active_relays.fetch_sub(1, Ordering::Relaxed);
            pool.give_back(port_a);
            pool.give_back(port_b);
        });
        Ok(Relay { id: config.id, local, commands: tx, task })
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// The switch's RTP port facing `leg` (what goes into that leg's SDP).
    pub fn local_port(&self, leg: Leg) -> u16 {
        self.local[leg.index()].port()
    }

    /// Where `leg` said (in SDP) it receives RTP.
    pub fn set_remote(&self, leg: Leg, rtp: SocketAddr) {
        let _ = self.commands.send(Command::Remote { leg, rtp });
    }

    pub fn set_codecs(&self, a: u8, b: u8) {
        let _ = self.commands.send(Command::Codecs { a, b });
    }

    pub fn set_hold(&self, on: bool) {
        let _ = self.commands.send(Command::Hold { on });
    }

    /// Records both legs, mixed, to `path` (a WAV file) from now on.
    pub fn record(&self, path: std::path::PathBuf) {
        let _ = self.commands.send(Command::Record { path });
    }

    /// Stops the relay, finishing any recording; returns its length in
    /// seconds. Use this rather than dropping when the recording matters.
    pub async fn close(mut self) -> Option<f64> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _ = self.commands.send(Command::Close { done: tx });
        let secs = rx.await.ok().flatten();
        // The ports are back in the pool once the task has returned.
        let _ = (&mut self.task).await;
        secs
    }
}

struct State {
    /// Latched or signalled remote RTP address per leg.
    remote: [Option<SocketAddr>; 2],
    /// Whether the remote was learnt from packets (then SDP no longer moves it).
    latched: [bool; 2],
    last_heard: [Instant; 2],
    last_seq: [Option<u16>; 2],
    codecs: [u8; 2],
    hold: bool,
    recorder: Option<Recorder>,
}

async fn run(
    config: RelayConfig,
    sockets: Sockets,
    mut commands: mpsc::UnboundedReceiver<Command>,
    stats: &MediaStats,
    events: mpsc::UnboundedSender<MediaEvent>,
) {
    let start = Instant::now();
    let mut st = State {
        remote: [None, None],
        latched: [false, false],
        last_heard: [start, start],
        last_seq: [None, None],
        codecs: [PCMU, PCMU],
        hold: false,
        recorder: None,
    };
    let mut buf = [0u8; 2048];
    let mut check = tokio::time::interval(Duration::from_secs(1));
    let mut timed_out = [false, false];
    loop {
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None => return,
                Some(Command::Remote { leg, rtp }) => {
                    let i = leg.index();
                    if !st.latched[i] && !rtp.ip().is_unspecified() {
                        st.remote[i] = Some(rtp);
                    }
                }
                Some(Command::Codecs { a, b }) => st.codecs = [a, b],
                Some(Command::Hold { on }) => {
                    st.hold = on;
                    if !on {
                        // Silence while on hold does not count once resumed.
                        st.last_heard = [Instant::now(); 2];
                    }
                }
                Some(Command::Record { path }) => match Recorder::create(&path, Instant::now().into_std()) {
                    Ok(r) => st.recorder = Some(r),
                    Err(e) => tracing::warn!(path = %path.display(), cause = %e, "cannot record call"),
                },
                Some(Command::Close { done }) => {
                    let secs = st.recorder.take().and_then(|r| r.finish().ok());
                    let _ = done.send(secs);
                    return;
                }
            },
            Ok(()) = sockets.rtp[0].readable() => drain(&mut st, 0, false, &mut buf, &sockets, stats),
            Ok(()) = sockets.rtp[1].readable() => drain(&mut st, 1, false, &mut buf, &sockets, stats),
            Ok(()) = sockets.rtcp[0].readable() => drain(&mut st, 0, true, &mut buf, &sockets, stats),
            Ok(()) = sockets.rtcp[1].readable() => drain(&mut st, 1, true, &mut buf, &sockets, stats),
            _ = check.tick() => {
                if st.hold {
                    continue;
                }
                for (i, leg) in [Leg::A, Leg::B].into_iter().enumerate() {
                    if !timed_out[i] && st.last_heard[i].elapsed() >= config.rtp_timeout {
                        timed_out[i] = true;
                        let _ = events.send(MediaEvent::Timeout { id: config.id, leg });
                    }
                }
            }
        }
    }
}

/// Reads what is queued on one socket (up to a batch, so one busy leg
/// cannot starve the other) and relays it.
fn drain(st: &mut State, leg: usize, rtcp: bool, buf: &mut [u8], sockets: &Sockets, stats: &MediaStats) {
    let socket = if rtcp { &sockets.rtcp[leg] } else { &sockets.rtp[leg] };
    for _ in 0..32 {
        match socket.try_recv_from(buf) {
            Ok((n, _)) if rtcp => {
                st.last_heard[leg] = Instant::now();
                forward_rtcp(st, 1 - leg, &buf[..n], sockets);
            }
            Ok((n, from)) => forward_rtp(st, leg, &mut buf[..n], from, sockets, stats),
            Err(_) => return,
        }
    }
}

/// Relays one RTP packet that arrived from leg `from_leg`.
fn forward_rtp(
    st: &mut State,
    from_leg: usize,
    pkt: &mut [u8],
    from: SocketAddr,
    sockets: &Sockets,
    stats: &MediaStats,
) {
    if !rtp::is_rtp(pkt) {
        return;
    }
    st.last_heard[from_leg] = Instant::now();
    // Symmetric RTP: answer to where packets come from.
    if st.remote[from_leg] != Some(from) {
        st.remote[from_leg] = Some(from);
    }
    st.latched[from_leg] = true;
    let seq = rtp::sequence(pkt);
    if let Some(last) = st.last_seq[from_leg] {
        let gap = seq.wrapping_sub(last);
        if gap > 1 && gap < 3000 {
            stats.packets_lost.fetch_add(u64::from(gap - 1), Ordering::Relaxed);
        }
    }
    st.last_seq[from_leg] = Some(seq);
    if let Some(rec) = st.recorder.as_mut()
        && let Some(off) = rtp::payload_offset(pkt)
    {
        rec.add(from_leg, rtp::payload_type(pkt), rtp::timestamp(pkt), &pkt[off..], std::time::Instant::now());
    }
    let to_leg = 1 - from_leg;
    let Some(dest) = st.remote[to_leg] else { return };
    let (pt_in, pt_out) = (st.codecs[from_leg], st.codecs[to_leg]);
    if pt_in != pt_out
        && rtp::payload_type(pkt) == pt_in
        && let Some(off) = rtp::payload_offset(pkt)
    {
        match (pt_in, pt_out) {
            (PCMU, PCMA) => g711::ulaw_to_alaw_in_place(&mut pkt[off..]),
            (PCMA, PCMU) => g711::alaw_to_ulaw_in_place(&mut pkt[off..]),
            _ => {}
        }
        rtp::set_payload_type(pkt, pt_out);
        stats.packets_transcoded.fetch_add(1, Ordering::Relaxed);
    }
    // A full socket buffer drops this packet rather than stalling the call:
    // late audio is worthless.
    if sockets.rtp[to_leg].try_send_to(pkt, dest).is_ok() {
        stats.packets_relayed.fetch_add(1, Ordering::Relaxed);
    }
}

fn forward_rtcp(st: &State, to_leg: usize, pkt: &[u8], sockets: &Sockets) {
    if let Some(rtp_dest) = st.remote[to_leg] {
        let dest = SocketAddr::new(rtp_dest.ip(), rtp_dest.port().wrapping_add(1));
        let _ = sockets.rtcp[to_leg].try_send_to(pkt, dest);
    }
}
