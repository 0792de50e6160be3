//! One call's relay: four sockets (RTP and RTCP for each leg) served by one
//! task. A packet arriving on leg A's socket leaves through leg B's socket
//! to B's remote address, and the other way round.
//!
//! Symmetric latching: each leg's remote address starts as the one in its
//! SDP and follows the source of the packets that actually arrive, which is
//! what gets media through NAT. The packet buffer is reused: nothing is
//! allocated per packet.
//!
//! Layout: this file (the handle and the task's loop), `leg` (what the
//! relay knows of each side and of the stream it sends there), `forward`
//! (one packet's way through: DTMF, transcoding, sequence numbers).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use voxide_sdp::LegFormat;

use crate::audio::{Prompt, VadConfig, VadEvent};
use crate::pool::PortPool;
use crate::recorder::Recorder;
use crate::{MediaError, MediaStats};
use leg::LegState;
pub use listen::AudioChunk;
use listen::Listener;

mod forward;
mod leg;
mod listen;

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
    /// `leg` sent a digit (RFC 4733 events or in-band tones); reported
    /// once, when the tone ends.
    Dtmf { id: u64, leg: Leg, digit: char, duration_ms: u32 },
    /// The voice-activity detector of a listened-to leg found speech or
    /// silence; times are ms since listening began.
    Speech { id: u64, leg: Leg, event: VadEvent },
    /// A prompt played to `leg` has been sent in full.
    PlaybackDone { id: u64, leg: Leg },
}

#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub id: u64,
    pub bind_ip: IpAddr,
    pub rtp_timeout: Duration,
    /// Voice-activity detection on legs the relay listens to.
    pub vad: VadConfig,
    /// Detect DTMF tones in the audio of legs without telephone-event.
    pub inband_dtmf: bool,
}

enum Command {
    Remote {
        leg: Leg,
        rtp: SocketAddr,
    },
    /// The codec and telephone-event payload type of each leg; when the
    /// codecs differ the relay transcodes.
    Formats {
        a: LegFormat,
        b: LegFormat,
    },
    /// Play a prompt (8 kHz) to `leg` in its codec; relayed audio toward it
    /// is held back until the prompt ends.
    Play {
        leg: Leg,
        prompt: Prompt,
    },
    /// Stop a prompt playing to `leg`.
    StopPlaying {
        leg: Leg,
    },
    /// Play digits to `leg` as RFC 4733 events.
    SendDtmf {
        leg: Leg,
        digits: String,
        duration_ms: u32,
    },
    /// Media timeout is suspended while a leg is on hold.
    Hold {
        on: bool,
    },
    /// Decode both legs, detect speech, and hand the audio to `sink`.
    Listen {
        sink: mpsc::Sender<AudioChunk>,
    },
    /// Start recording into a WAV file: both legs mixed, or one leg.
    Record {
        path: std::path::PathBuf,
        leg: Option<Leg>,
    },
    /// Finish the recording (the file stays complete and playable).
    StopRecording,
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

/// A relay's hold on its ports and its place in the count of relays.
struct Lease {
    pool: Arc<PortPool>,
    ports: [u16; 2],
    stats: Arc<MediaStats>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.stats.active_relays.fetch_sub(1, Ordering::Relaxed);
        for port in self.ports {
            self.pool.give_back(port);
        }
    }
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
        let id = config.id;
        let task = tokio::spawn(async move {
            // Gives the ports back however the task ends, a panic included.
            let _ports = Lease { pool, ports: [port_a, port_b], stats: stats.clone() };
            run(config, sockets, rx, &stats, events).await;
        });
        Ok(Relay { id, local, commands: tx, task })
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

    /// What each leg settled on in SDP.
    pub fn set_formats(&self, a: LegFormat, b: LegFormat) {
        let _ = self.commands.send(Command::Formats { a, b });
    }

    /// Sends `digits` to `leg` as RFC 4733 telephone-events (nothing when
    /// that leg did not agree to telephone-event).
    pub fn send_dtmf(&self, leg: Leg, digits: &str, duration_ms: u32) {
        let _ = self.commands.send(Command::SendDtmf { leg, digits: digits.to_string(), duration_ms });
    }

    pub fn set_hold(&self, on: bool) {
        let _ = self.commands.send(Command::Hold { on });
    }

    /// Decodes both legs from now on: speech and silence are reported as
    /// events, and the audio goes to `sink` in 100 ms chunks (dropped when
    /// `sink` is full).
    pub fn listen(&self, sink: mpsc::Sender<AudioChunk>) {
        let _ = self.commands.send(Command::Listen { sink });
    }

    /// Ends the recording in progress, if any; the file is complete.
    pub fn stop_recording(&self) {
        let _ = self.commands.send(Command::StopRecording);
    }

    /// Records both legs, mixed, to `path` (a WAV file) from now on.
    pub fn record(&self, path: std::path::PathBuf) {
        let _ = self.commands.send(Command::Record { path, leg: None });
    }

    /// Records what `leg` says (only that leg) to `path` from now on.
    pub fn record_leg(&self, path: std::path::PathBuf, leg: Leg) {
        let _ = self.commands.send(Command::Record { path, leg: Some(leg) });
    }

    /// Plays `prompt` (8 kHz samples) to `leg`; `MediaEvent::PlaybackDone`
    /// follows when it has all been sent.
    pub fn play(&self, leg: Leg, prompt: Prompt) {
        if prompt.rate() != 8000 {
            // Frames are sent as 20 ms of 8 kHz audio; load prompts at 8 kHz.
            tracing::warn!(rate = prompt.rate(), "prompt not at 8 kHz: not played");
            return;
        }
        let _ = self.commands.send(Command::Play { leg, prompt });
    }

    pub fn stop_playing(&self, leg: Leg) {
        let _ = self.commands.send(Command::StopPlaying { leg });
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
    legs: [LegState; 2],
    hold: bool,
    recorder: Option<Recorder>,
    /// Where a transcoded payload is made before it replaces the original.
    scratch: [u8; 1500],
    listener: Option<Box<Listener>>,
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
        legs: [LegState::new(start), LegState::new(start)],
        hold: false,
        recorder: None,
        scratch: [0; 1500],
        listener: None,
    };
    let mut buf = [0u8; 2048];
    let mut check = tokio::time::interval(Duration::from_secs(1));
    let mut timed_out = [false, false];
    let report = |leg: usize, e: forward::Heard| {
        let leg = if leg == 0 { Leg::A } else { Leg::B };
        let event = match e {
            forward::Heard::Digit { digit, duration_ms } => MediaEvent::Dtmf { id: config.id, leg, digit, duration_ms },
            forward::Heard::Speech(event) => MediaEvent::Speech { id: config.id, leg, event },
        };
        let _ = events.send(event);
    };
    loop {
        let due = st.legs.iter().filter_map(|l| l.out.next_due()).min();
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None => return,
                Some(Command::Remote { leg, rtp }) => {
                    let l = &mut st.legs[leg.index()];
                    if !l.latched() && !rtp.ip().is_unspecified() {
                        l.remote = Some(rtp);
                    }
                }
                Some(Command::Formats { a, b }) => {
                    st.legs[0].set_format(a, config.inband_dtmf);
                    st.legs[1].set_format(b, config.inband_dtmf);
                    st.legs[0].set_path(a, b);
                    st.legs[1].set_path(b, a);
                }
                Some(Command::SendDtmf { leg, digits, duration_ms }) => {
                    let l = &mut st.legs[leg.index()];
                    // Nothing to play them as on a leg without telephone-event.
                    if l.format.dtmf.is_some() {
                        l.out.queue_digits(&digits, duration_ms, Instant::now());
                    }
                }
                Some(Command::Hold { on }) => {
                    st.hold = on;
                    if !on {
                        // Silence while on hold does not count once resumed.
                        let now = Instant::now();
                        st.legs.iter_mut().for_each(|l| l.last_heard = now);
                    }
                }
                Some(Command::Listen { sink }) => st.listener = Some(Box::new(Listener::new(sink, &config.vad))),
                Some(Command::Play { leg, prompt }) => st.legs[leg.index()].out.play(prompt, Instant::now()),
                Some(Command::StopPlaying { leg }) => st.legs[leg.index()].out.playing = None,
                Some(Command::Record { path, leg }) => match Recorder::create(&path, Instant::now().into_std(), leg.map(Leg::index)) {
                    Ok(r) => st.recorder = Some(r),
                    Err(e) => tracing::warn!(path = %path.display(), cause = %e, "cannot record call"),
                },
                Some(Command::StopRecording) => {
                    if let Some(Err(e)) = st.recorder.take().map(|r| r.finish()) {
                        tracing::warn!(cause = %e, "recording not finished cleanly");
                    }
                }
                Some(Command::Close { done }) => {
                    if let Some(l) = st.listener.take() {
                        l.finish(|i, e| report(i, forward::Heard::Speech(e)));
                    }
                    let secs = st.recorder.take().and_then(|r| r.finish().ok());
                    let _ = done.send(secs);
                    return;
                }
            },
            Ok(()) = sockets.rtp[0].readable() => forward::drain(&mut st, 0, false, &mut buf, &sockets, stats, &report),
            Ok(()) = sockets.rtp[1].readable() => forward::drain(&mut st, 1, false, &mut buf, &sockets, stats, &report),
            Ok(()) = sockets.rtcp[0].readable() => forward::drain(&mut st, 0, true, &mut buf, &sockets, stats, &report),
            Ok(()) = sockets.rtcp[1].readable() => forward::drain(&mut st, 1, true, &mut buf, &sockets, stats, &report),
            () = sleep_until_some(due) => forward::send_due(&mut st, &sockets, Instant::now(), |i| {
                let leg = if i == 0 { Leg::A } else { Leg::B };
                let _ = events.send(MediaEvent::PlaybackDone { id: config.id, leg });
            }),
            _ = check.tick() => {
                for (i, l) in st.legs.iter_mut().enumerate() {
                    l.poll_digits(Instant::now(), |e| report(i, e));
                }
                if st.hold {
                    continue;
                }
                for (i, leg) in [Leg::A, Leg::B].into_iter().enumerate() {
                    if !timed_out[i] && st.legs[i].last_heard.elapsed() >= config.rtp_timeout {
                        timed_out[i] = true;
                        let _ = events.send(MediaEvent::Timeout { id: config.id, leg });
                    }
                }
            }
        }
    }
}

/// Sleeps until `due`, or forever when there is nothing to send.
async fn sleep_until_some(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
