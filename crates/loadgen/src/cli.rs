//! Command line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::Parser;

/// Registers extensions on a Voxide switch and calls between them with
/// RTP both ways, then reports registrations/s, calls/s, setup latency,
/// failures, RTP loss, jitter and latency, and the switch's CPU and memory.
#[derive(Debug, Clone, Parser)]
#[command(name = "voxide-loadgen", version)]
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
}

impl Args {
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
        Ok(())
    }

    pub fn user_names(&self) -> Vec<String> {
        (0..self.users).map(|i| format!("{}{i}", self.prefix)).collect()
    }
}
