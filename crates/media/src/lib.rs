//! Voxide's RTP media engine: a pool of UDP ports and, per call, a relay
//! that anchors both legs' RTP and RTCP on the switch.
//!
//! Layout: `pool` (even/odd port pairs from `media.rtp_ports`), `relay`
//! (the per-call socket task: symmetric latching, transcoding between
//! PCMU, PCMA and Opus, DTMF detection and regeneration, media-timeout
//! detection), `recorder` (mixing both legs to WAV), `g711` (μ-law/A-law
//! tables), `rtp` (the few RTP header fields the relay reads, sans-IO),
//! `dtmf` (RFC 4733, in-band and SIP INFO digits, sans-IO), `audio` (VAD,
//! WAV, resampling, Opus, prompts, transcoding; sans-IO).

pub mod audio;
pub mod dtmf;
pub mod g711;
mod pool;
mod recorder;
mod relay;
pub mod rtp;

pub use pool::PortPool;
pub use relay::{AudioChunk, Leg, MediaEvent, Relay, RelayConfig};

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Every port of the pool is in use.
    #[error("no free RTP ports in the pool")]
    PoolExhausted,
    #[error("binding RTP socket: {0}")]
    Bind(#[from] std::io::Error),
}

/// Counters shared with `/metrics`.
#[derive(Debug, Default)]
pub struct MediaStats {
    pub packets_relayed: AtomicU64,
    pub packets_transcoded: AtomicU64,
    /// Gaps in RTP sequence numbers seen by the relay.
    pub packets_lost: AtomicU64,
    /// RTP from sources that are not the leg's latched phone ("RTP bleed").
    pub packets_refused: AtomicU64,
    pub active_relays: AtomicU64,
}

impl MediaStats {
    pub fn relayed(&self) -> u64 {
        self.packets_relayed.load(Ordering::Relaxed)
    }
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Address the relay sockets bind to.
    pub bind_ip: IpAddr,
    /// Address written into SDP.
    pub public_ip: IpAddr,
    /// Inclusive port range.
    pub ports: (u16, u16),
    /// A leg silent (no RTP or RTCP) this long is reported.
    pub rtp_timeout: Duration,
    /// Voice-activity detection on calls the switch listens to.
    pub vad: audio::VadConfig,
    /// Detect DTMF tones in the audio of G.711 legs that did not agree to
    /// telephone-event (about 1 ms of CPU per call-second).
    pub inband_dtmf: bool,
}

/// Hands out relays; cheap to clone.
#[derive(Clone)]
pub struct MediaEngine {
    config: Arc<MediaConfig>,
    pool: Arc<PortPool>,
    stats: Arc<MediaStats>,
    events: mpsc::UnboundedSender<MediaEvent>,
}

impl MediaEngine {
    /// An engine whose relays report timeouts on `events`.
    pub fn new(config: MediaConfig, events: mpsc::UnboundedSender<MediaEvent>) -> Self {
        let pool = Arc::new(PortPool::new(config.ports.0, config.ports.1));
        Self { config: Arc::new(config), pool, stats: Arc::default(), events }
    }

    pub fn public_ip(&self) -> IpAddr {
        self.config.public_ip
    }

    pub fn stats(&self) -> &Arc<MediaStats> {
        &self.stats
    }

    /// Binds a relay for call `id` (two legs, RTP and RTCP each) and starts it.
    pub fn allocate(&self, id: u64) -> Result<Relay, MediaError> {
        Relay::start(
            RelayConfig {
                id,
                bind_ip: self.config.bind_ip,
                rtp_timeout: self.config.rtp_timeout,
                vad: self.config.vad.clone(),
                inband_dtmf: self.config.inband_dtmf,
            },
            &self.pool,
            self.stats.clone(),
            self.events.clone(),
        )
    }
}
