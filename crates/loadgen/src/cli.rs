//! Command line: the switch mode's options at the top level (as before
//! there were other modes), `relay` and `echo-server` as subcommands.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Registers extensions on a Voxide switch and calls between them with
/// RTP both ways, then reports registrations/s, calls/s, setup latency,
/// failures, RTP loss, jitter and latency, and the switch's CPU and memory.
///
/// `relay` runs the same RTP streams through rtpengine or the echo relay
/// instead, without SIP; `echo-server` is that echo relay.
#[derive(Debug, Clone, Parser)]
#[command(name = "voxide-loadgen", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub mode: Option<Mode>,
    #[command(flatten)]
    pub switch: Args,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Mode {
    /// Calls with RTP both ways through a bare media relay, no SIP:
    /// rtpengine (allocated over its NG protocol) or the echo relay.
    Relay(RelayArgs),
    /// A dumb relay, the machine's ceiling for relaying: per call two
    /// ports, what arrives on one leaves the other, nothing is parsed.
    EchoServer(EchoArgs),
}

/// Calls through a Voxide switch (the default mode).
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The switch's REST API.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub api: String,
    /// Admin API token (needed with --create-users).
    #[arg(long, env = "VOXIDE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The switch's SIP address (UDP).
    #[arg(long, default_value = "127.0.0.1:5060")]
    pub sip: SocketAddr,
    /// SIP domain and digest realm of the extensions.
    #[arg(long, default_value = "voxide.local")]
    pub domain: String,
    /// Address our SIP and RTP sockets bind to.
    #[arg(long, default_value = "127.0.0.1")]
    pub local_ip: IpAddr,
    /// Extensions to register; the first half call, the second half answer.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(2..=20_000))]
    pub users: u32,
    /// Extension names are this prefix and a number (lg0, lg1, …).
    #[arg(long, default_value = "lg")]
    pub prefix: String,
    /// Create the extensions over the API (or reset their passwords).
    #[arg(long)]
    pub create_users: bool,
    /// SIP password of every extension; random with --create-users.
    #[arg(long)]
    pub password: Option<String>,
    /// Calls to place in total.
    #[arg(long, default_value_t = 100)]
    pub calls: u64,
    /// Calls placed per second.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Most calls in progress at once.
    #[arg(long, default_value_t = 100)]
    pub concurrency: u64,
    /// How long each answered call lasts before the caller hangs up.
    #[arg(long, default_value_t = 10.0)]
    pub hold_secs: f64,
    /// Send and check RTP on both legs (the default).
    #[arg(long, overrides_with = "no_rtp")]
    pub rtp: bool,
    /// Signalling only: no RTP.
    #[arg(long)]
    pub no_rtp: bool,
    /// RTP sockets on our side, shared by all streams.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub rtp_sockets: u16,
    /// Receive buffer asked for on each RTP socket, in bytes (the kernel
    /// caps it at net.core.rmem_max). A large one absorbs the moments this
    /// process is not scheduled, so that loss measures the switch.
    #[arg(long, default_value_t = 4 << 20)]
    pub rtp_rcvbuf: usize,
    /// Pause between stopping RTP and sending BYE, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub drain_ms: u64,
    /// Most first registrations waiting for an answer at once.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub register_window: u32,
    /// Registration lifetime to ask for, in seconds.
    #[arg(long, default_value_t = 600)]
    pub expires: u32,
    /// Give up on a call with no final response after this many seconds.
    #[arg(long, default_value_t = 32)]
    pub setup_timeout_secs: u64,
    /// Highest RTP loss, in percent, for a passing run.
    #[arg(long, default_value_t = 0.1)]
    pub max_loss: f64,
    /// Process id of a switch on this machine: report its CPU time and RSS.
    #[arg(long)]
    pub switch_pid: Option<u32>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Soak: keep placing calls at --rate up to --concurrency for this many
    /// minutes (--calls is ignored), sampling the switch's RSS; the run
    /// passes only if memory stays flat. Needs --switch-pid.
    #[arg(long, default_value_t = 0.0)]
    pub soak_minutes: f64,
    /// Seconds between RSS samples of a soak run.
    #[arg(long, default_value_t = 60)]
    pub rss_every_secs: u64,
    /// The codec both legs offer and answer (with telephone-event).
    #[arg(long, value_enum, default_value_t = CodecArg::Pcmu)]
    pub codec: CodecArg,
    /// A WAV file both legs play in a loop instead of the 400 Hz tone.
    #[arg(long, value_name = "WAV")]
    pub audio: Option<PathBuf>,
    /// Digits every caller sends as RFC 4733 events; the answering side
    /// checks that each arrives once and in order.
    #[arg(long)]
    pub dtmf: Option<String>,
    /// Seconds after the answer the digits start.
    #[arg(long, default_value_t = 1.0)]
    pub dtmf_at_secs: f64,
    /// Seconds after the answer every caller puts the call on hold
    /// (re-INVITE with sendonly); the answering side stops sending.
    #[arg(long)]
    pub on_hold_at_secs: Option<f64>,
    /// How long the call stays on hold before the caller resumes it.
    #[arg(long, default_value_t = 2.0)]
    pub on_hold_for_secs: f64,
}

/// `--codec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodecArg {
    Pcmu,
    Pcma,
    Opus,
}

impl CodecArg {
    pub fn codec(self) -> voxide_media::audio::Codec {
        use voxide_media::audio::Codec;
        match self {
            CodecArg::Pcmu => Codec::Pcmu,
            CodecArg::Pcma => Codec::Pcma,
            CodecArg::Opus => Codec::Opus,
        }
    }
}

impl Args {
    /// Calls to place: unbounded in a soak run.
    pub fn call_limit(&self) -> u64 {
        if self.soak_minutes > 0.0 { u64::MAX } else { self.calls }
    }

    pub fn media(&self) -> bool {
        !self.no_rtp
    }

    /// Checks what clap cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.rate.is_finite() && self.rate > 0.0, "--rate must be positive");
        anyhow::ensure!(self.concurrency > 0, "--concurrency must be positive");
        anyhow::ensure!(self.hold_secs.is_finite() && self.hold_secs >= 0.0, "--hold-secs must be 0 or more");
        anyhow::ensure!(self.max_loss.is_finite() && self.max_loss >= 0.0, "--max-loss must be 0 or more");
        anyhow::ensure!(
            self.prefix.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c)),
            "--prefix may hold only letters, digits and . _ - +"
        );
        anyhow::ensure!(
            self.create_users || self.password.is_some(),
            "give --password for existing extensions, or --create-users"
        );
        anyhow::ensure!(!self.create_users || self.token.is_some(), "--create-users needs --token");
        anyhow::ensure!(
            self.soak_minutes.is_finite() && self.soak_minutes >= 0.0,
            "--soak-minutes must be 0 (off) or more"
        );
        anyhow::ensure!(self.soak_minutes == 0.0 || self.switch_pid.is_some(), "--soak-minutes needs --switch-pid");
        anyhow::ensure!(self.rss_every_secs > 0, "--rss-every-secs must be positive");
        if let Some(digits) = &self.dtmf {
            anyhow::ensure!(
                !digits.is_empty() && digits.chars().all(|c| voxide_media::dtmf::digit_to_event(c).is_some()),
                "--dtmf takes the keys 0-9, *, # and A-D"
            );
            let ends = self.dtmf_at_secs + crate::rtp::dtmf_secs(digits);
            anyhow::ensure!(
                self.dtmf_at_secs >= 0.0 && ends < self.hold_secs,
                "--dtmf needs {ends:.2} s of call from --dtmf-at-secs: raise --hold-secs"
            );
        }
        if let Some(at) = self.on_hold_at_secs {
            let ends = at + self.on_hold_for_secs;
            anyhow::ensure!(
                at >= 0.0 && self.on_hold_for_secs > 0.0 && ends + 0.5 <= self.hold_secs,
                "--on-hold-at-secs plus --on-hold-for-secs ({ends:.2} s) must end 0.5 s before --hold-secs"
            );
        }
        Ok(())
    }

    /// What the streams carry: the codec and the tone or `--audio`.
    pub fn profile(&self) -> anyhow::Result<crate::rtp::Profile> {
        let source = self.audio.clone().map_or(crate::rtp::Source::Tone, crate::rtp::Source::Wav);
        Ok(crate::rtp::Profile::build(self.codec.codec(), &source)?)
    }

    pub fn user_names(&self) -> Vec<String> {
        (0..self.users).map(|i| format!("{}{i}", self.prefix)).collect()
    }
}

/// The relay under test in `relay` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    /// rtpengine, allocated per call over its NG control protocol.
    Rtpengine,
    /// `voxide-loadgen echo-server`, with fixed port pairs.
    Echo,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RelayArgs {
    /// The relay under test.
    #[arg(long, value_enum)]
    pub target: TargetKind,
    /// rtpengine's NG control address (UDP).
    #[arg(long, default_value = "127.0.0.1:2223")]
    pub ng: SocketAddr,
    /// The echo server's address.
    #[arg(long, default_value = "127.0.0.1")]
    pub relay_ip: IpAddr,
    /// The echo server's ports (the same --ports it was started with).
    #[arg(long, default_value = "30000-33999")]
    pub ports: PortRange,
    /// Address our RTP and control sockets bind to.
    #[arg(long, default_value = "127.0.0.1")]
    pub local_ip: IpAddr,
    /// Calls to place in total.
    #[arg(long, default_value_t = 100)]
    pub calls: u64,
    /// Calls placed per second.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Most calls in progress at once.
    #[arg(long, default_value_t = 100)]
    pub concurrency: u64,
    /// How long each call sends RTP.
    #[arg(long, visible_alias = "duration", default_value_t = 10.0)]
    pub hold_secs: f64,
    /// RTP sockets on our side, shared by all streams.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub rtp_sockets: u16,
    /// Receive buffer asked for on each RTP socket, in bytes.
    #[arg(long, default_value_t = 4 << 20)]
    pub rtp_rcvbuf: usize,
    /// Pause between stopping RTP and ending the call, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub drain_ms: u64,
    /// Echo: pause between latching a port pair and starting its RTP, ms.
    #[arg(long, default_value_t = 40)]
    pub prime_ms: u64,
    /// rtpengine: resend a control request unanswered this long, ms
    /// (Kamailio's rtpengine module waits as long).
    #[arg(long, default_value_t = 1000)]
    pub control_timeout_ms: u64,
    /// rtpengine: send a control request at most this many times
    /// (Kamailio's rtpengine module tries as often).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub control_tries: u32,
    /// Highest RTP loss, in percent, for a passing run.
    #[arg(long, default_value_t = 0.1)]
    pub max_loss: f64,
    /// Process id of the relay on this machine: report its CPU time and RSS.
    #[arg(long, visible_alias = "switch-pid")]
    pub pid: Option<u32>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

impl RelayArgs {
    /// Checks what clap cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.rate.is_finite() && self.rate > 0.0, "--rate must be positive");
        anyhow::ensure!(self.concurrency > 0, "--concurrency must be positive");
        anyhow::ensure!(self.hold_secs.is_finite() && self.hold_secs >= 0.0, "--hold-secs must be 0 or more");
        anyhow::ensure!(self.max_loss.is_finite() && self.max_loss >= 0.0, "--max-loss must be 0 or more");
        if self.target == TargetKind::Echo {
            anyhow::ensure!(
                self.concurrency <= u64::from(self.ports.pairs()),
                "--concurrency {} needs {} echo ports, --ports {} has {}",
                self.concurrency,
                2 * self.concurrency,
                self.ports,
                self.ports.count()
            );
        }
        Ok(())
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct EchoArgs {
    /// Ports to relay between, `FIRST-LAST`: FIRST and FIRST+1 are a
    /// call's two legs, then FIRST+2 and FIRST+3, and so on.
    #[arg(long)]
    pub ports: PortRange,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub ip: IpAddr,
    /// Worker threads (default: one per CPU, like the switch and rtpengine).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Exit by itself after this many seconds.
    #[arg(long)]
    pub lifetime_secs: Option<u64>,
}

/// An inclusive range of UDP ports, `FIRST-LAST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn count(&self) -> u32 {
        u32::from(self.last) - u32::from(self.first) + 1
    }

    /// Whole pairs of ports in the range.
    pub fn pairs(&self) -> u16 {
        (self.count() / 2) as u16
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

impl std::str::FromStr for PortRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (first, last) = s.split_once('-').ok_or("expected FIRST-LAST, e.g. 30000-33999")?;
        let port = |p: &str| p.trim().parse::<u16>().map_err(|e| format!("{p:?}: {e}"));
        let (first, last) = (port(first)?, port(last)?);
        if first == 0 || last <= first {
            return Err(format!("{s}: needs 0 < FIRST < LAST"));
        }
        Ok(PortRange { first, last })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_mode_keeps_its_flat_options_and_relay_is_a_subcommand() {
        let cli = Cli::try_parse_from(["voxide-loadgen", "--sip", "127.0.0.1:5070", "--calls", "7"]).unwrap();
        assert!(cli.mode.is_none());
        assert_eq!((cli.switch.sip.port(), cli.switch.calls), (5070, 7));
        let cli = Cli::try_parse_from([
            "voxide-loadgen",
            "relay",
            "--target",
            "echo",
            "--ports",
            "30000-30009",
            "--duration",
            "2",
            "--concurrency",
            "5",
        ])
        .unwrap();
        let Some(Mode::Relay(relay)) = cli.mode else { panic!("{cli:?}") };
        assert_eq!((relay.target, relay.hold_secs, relay.ports.pairs()), (TargetKind::Echo, 2.0, 5));
        relay.validate().unwrap();
        let too_many = RelayArgs { concurrency: 6, ..relay };
        assert!(too_many.validate().unwrap_err().to_string().contains("needs 12 echo ports"));
        assert!(Cli::try_parse_from(["voxide-loadgen", "--calls", "3", "relay", "--target", "echo"]).is_err());
    }

    #[test]
    fn port_ranges_read_first_dash_last() {
        assert_eq!("30000-30001".parse(), Ok(PortRange { first: 30000, last: 30001 }));
        let r: PortRange = " 10 - 14".parse().unwrap();
        assert_eq!((r.count(), r.pairs(), r.to_string()), (5, 2, "10-14".to_owned()));
        for bad in ["30000", "5-5", "9-3", "0-10", "1-70000", "a-b"] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
    }
}
