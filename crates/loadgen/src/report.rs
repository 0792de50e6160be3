//! What the run measured: a progress line per second on stderr while it
//! runs, and at the end a table on stdout and the same figures as JSON.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cli::Args;
use crate::engine::Engine;
use crate::histogram::{Histogram, Summary};
use crate::rtp::{Loss, Media};
use crate::run::Watch;

/// What happened so far.
#[derive(Debug, Default)]
pub struct Counters {
    pub placed: u64,
    pub answered: u64,
    pub ok: u64,
    pub failed: u64,
    /// Failed calls by SIP status code or cause.
    pub failures: BTreeMap<String, u64>,
    /// INVITE with credentials sent → 200 received, µs.
    pub setup_us: Histogram,
    pub max_active: u64,
    /// Successful REGISTER transactions (first registrations and refreshes).
    pub reg_ok: u64,
    pub reg_failures: BTreeMap<String, u64>,
    pub unregistered: u64,
    /// Datagrams on SIP sockets that were not usable SIP.
    pub bad_sip: u64,
    /// SIP datagrams our sockets refused to send (retransmission covers them).
    pub sip_send_errors: u64,
    /// Answered time of the calls that ran their full hold, seconds.
    pub talk_secs: f64,
    /// Hold and resume re-INVITEs answered 2xx, and otherwise.
    pub reinvites_ok: u64,
    pub reinvites_failed: u64,
}

/// When the phases of the run happened.
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub register_secs: f64,
    pub registered: usize,
    pub calls_start: Option<Instant>,
    pub calls_end: Option<Instant>,
    pub first_call: Option<Instant>,
    pub last_call: Option<Instant>,
    /// Calls still in progress when the call phase ran out of time.
    pub unfinished: u64,
    pub wall_secs: f64,
}

impl Timings {
    /// From the first call placed to the last, plus one gap at `rate`.
    pub fn placing_secs(&self, rate: f64) -> f64 {
        match (self.first_call, self.last_call) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64() + 1.0 / rate,
            _ => 0.0,
        }
    }

    pub fn call_phase_secs(&self) -> f64 {
        match (self.calls_start, self.calls_end) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
            _ => 0.0,
        }
    }
}

/// The once-a-second line.
pub struct Progress {
    quiet: bool,
    last_placed: u64,
    last_t: Duration,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Self { quiet, last_placed: 0, last_t: Duration::ZERO }
    }

    pub fn line(&mut self, t: Duration, engine: &Engine, users: usize) {
        let c = &engine.counters;
        let dt = (t - self.last_t).as_secs_f64().max(1e-3);
        let cps = (c.placed - self.last_placed) as f64 / dt;
        (self.last_placed, self.last_t) = (c.placed, t);
        if self.quiet {
            return;
        }
        let loss = engine.media.loss();
        eprintln!(
            "t={}s regs={}/{users} cps={cps:.1} active={} ok={} failed={} loss={:.2}% rtp_streams={}",
            t.as_secs(),
            engine.registered(),
            engine.active_calls(),
            c.ok,
            c.failed,
            loss.loss_pct,
            engine.media.sender.active(),
        );
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// No failed or unfinished call, every user registered, loss within --max-loss.
    pub passed: bool,
    pub users: usize,
    pub registrations: Registrations,
    pub calls: Calls,
    pub rtp: Rtp,
    pub switch: Option<Switch>,
    pub loadgen: Loadgen,
    pub host: Option<Host>,
    pub sip: Sip,
    /// A soak run's RSS samples and whether memory stayed flat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soak: Option<Soak>,
}

#[derive(Debug, Serialize)]
pub struct Soak {
    pub minutes: f64,
    pub verdict: Option<crate::soak::Verdict>,
    pub rss: crate::soak::RssSeries,
}

/// Trouble on our SIP sockets.
#[derive(Debug, Serialize)]
pub struct Sip {
    /// Datagrams that were not usable SIP.
    pub bad_datagrams: u64,
    /// Datagrams our sockets refused to send.
    pub send_errors: u64,
}

#[derive(Debug, Serialize)]
pub struct Registrations {
    pub registered: usize,
    pub seconds: f64,
    pub per_sec: f64,
    /// Successful REGISTER transactions, refreshes included.
    pub accepted: u64,
    pub failures: BTreeMap<String, u64>,
    pub unregistered: u64,
}

#[derive(Debug, Serialize)]
pub struct Calls {
    pub target: u64,
    pub rate: f64,
    pub concurrency: u64,
    pub hold_secs: f64,
    pub placed: u64,
    pub answered: u64,
    pub ok: u64,
    pub failed: u64,
    pub unfinished: u64,
    pub cps_achieved: f64,
    pub max_active: u64,
    pub seconds: f64,
    /// INVITE with credentials sent → 200 received.
    pub setup_ms: Summary,
    pub failures: BTreeMap<String, u64>,
    /// Hold and resume re-INVITEs answered 2xx, and otherwise.
    pub reinvites_ok: u64,
    pub reinvites_failed: u64,
}

#[derive(Debug, Serialize)]
pub struct Rtp {
    pub enabled: bool,
    /// The codec of every stream (`PCMU`, `PCMA`, `opus`).
    pub codec: &'static str,
    /// RFC 4733 digits: sent by the callers, delivered to the callees.
    pub dtmf: crate::rtp::Dtmf,
    #[serde(flatten)]
    pub loss: Loss,
    pub send_errors: u64,
    /// Packets our own sockets dropped for a full receive buffer: loss
    /// caused by the load generator, not the switch.
    pub local_drops: u64,
    pub jitter_ms: Summary,
    pub latency_ms: Summary,
}

#[derive(Debug, Serialize)]
pub struct Switch {
    pub pid: u32,
    /// User + system CPU time over the call phase.
    pub cpu_secs: f64,
    pub cpu_ms_per_call: f64,
    /// CPU time per second of answered call: ms per call-second, which is
    /// also CPU cores per 1000 concurrent calls.
    pub cpu_ms_per_call_sec: f64,
    pub rss_start_kb: u64,
    pub rss_peak_kb: u64,
    pub rss_end_kb: u64,
    /// (peak − start) / most concurrent calls.
    pub rss_per_call_kb: f64,
}

#[derive(Debug, Serialize)]
pub struct Loadgen {
    pub wall_secs: f64,
    /// Our CPU time over the call phase.
    pub cpu_secs: Option<f64>,
}

/// The machine over the call phase: the switch and the load generator
/// share it, and anything else running skews the figures.
#[derive(Debug, Serialize)]
pub struct Host {
    pub cpus: usize,
    pub busy_pct: f64,
    /// Busy CPU time of everything but the switch and the load generator.
    pub others_cpu_secs: f64,
    /// UDP datagrams dropped for full receive buffers, all sockets.
    pub udp_rcvbuf_drops: Option<u64>,
}

impl Report {
    pub fn build(args: &Args, engine: &Engine, t: &Timings, watch: &Watch, users: usize) -> Report {
        let c = &engine.counters;
        let loss = engine.media.loss();
        let placing = t.placing_secs(args.rate);
        let switch = Switch::measure(watch, c.placed, c.talk_secs, c.max_active);
        let own_cpu = own_cpu(watch);
        let soak = (args.soak_minutes > 0.0).then(|| Soak {
            minutes: args.soak_minutes,
            verdict: watch.soak.verdict(),
            rss: watch.soak.clone(),
        });
        let soak_ok = soak.as_ref().is_none_or(|s| s.verdict.as_ref().is_some_and(|v| v.flat));
        let dtmf = engine.media.dtmf();
        let passed = c.failed == 0
            && c.reinvites_failed == 0
            && dtmf.delivered == dtmf.expected
            && dtmf.streams_wrong == 0
            && t.unfinished == 0
            && (soak.is_some() || c.placed == args.calls)
            && t.registered == users
            && loss.loss_pct <= args.max_loss
            && soak_ok;
        Report {
            passed,
            users,
            registrations: Registrations {
                registered: t.registered,
                seconds: t.register_secs,
                per_sec: if t.register_secs > 0.0 { t.registered as f64 / t.register_secs } else { 0.0 },
                accepted: c.reg_ok,
                failures: c.reg_failures.clone(),
                unregistered: c.unregistered,
            },
            calls: Calls {
                target: args.calls,
                rate: args.rate,
                concurrency: args.concurrency,
                hold_secs: args.hold_secs,
                placed: c.placed,
                answered: c.answered,
                ok: c.ok,
                failed: c.failed,
                unfinished: t.unfinished,
                cps_achieved: if placing > 0.0 { c.placed as f64 / placing } else { 0.0 },
                max_active: c.max_active,
                seconds: t.call_phase_secs(),
                setup_ms: c.setup_us.summary(1000.0),
                failures: c.failures.clone(),
                reinvites_ok: c.reinvites_ok,
                reinvites_failed: c.reinvites_failed,
            },
            rtp: Rtp::measure(&engine.media, watch, args.media()),
            loadgen: Loadgen { wall_secs: t.wall_secs, cpu_secs: own_cpu },
            host: Host::measure(watch, switch.as_ref().map_or(0.0, |s| s.cpu_secs), own_cpu),
            switch,
            sip: Sip { bad_datagrams: c.bad_sip, send_errors: c.sip_send_errors },
            soak,
        }
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let r = &self.registrations;
        let c = &self.calls;
        let p = &self.rtp;
        let mut rows: Vec<(&str, String)> = vec![
            ("registrations", format!("{}/{} in {:.2} s ({:.1}/s)", r.registered, self.users, r.seconds, r.per_sec)),
            ("register failures", counts(&r.failures)),
            (
                "sip trouble",
                format!("{} unusable datagrams, {} send errors", self.sip.bad_datagrams, self.sip.send_errors),
            ),
            (
                "calls",
                format!(
                    "{} placed, {} answered, {} ok, {} failed, {} unfinished (target {} at {}/s, at most {} at once)",
                    c.placed, c.answered, c.ok, c.failed, c.unfinished, c.target, c.rate, c.concurrency
                ),
            ),
            ("calls/s achieved", format!("{:.1} (most concurrent: {})", c.cps_achieved, c.max_active)),
            ("setup latency", percentiles(&c.setup_ms)),
            ("call failures", counts(&c.failures)),
        ];
        if c.reinvites_ok + c.reinvites_failed > 0 {
            rows.push(("hold re-INVITEs", format!("{} answered 2xx, {} refused", c.reinvites_ok, c.reinvites_failed)));
        }
        rows.extend(p.rows());
        if let Some(s) = &self.switch {
            rows.extend(s.rows("switch cpu", "switch rss"));
        }
        rows.extend(machine_rows(&self.loadgen, self.host.as_ref()));
        if let Some(s) = &self.soak {
            rows.push((
                "soak",
                match &s.verdict {
                    Some(v) => format!(
                        "{:.0} min, {} RSS samples: {:.0} → {:.0} KiB ({:+.1} %, {:+.0} KiB/h) {}",
                        s.minutes,
                        v.samples,
                        v.warm_rss_kb,
                        v.late_rss_kb,
                        v.growth_pct,
                        v.slope_kb_per_hour,
                        if v.flat { "flat" } else { "GROWING" }
                    ),
                    None => format!("{:.0} min: too few RSS samples to judge", s.minutes),
                },
            ));
        }
        rows.push(("result", if self.passed { "PASS".into() } else { "FAIL".into() }));
        render(&rows)
    }
}

impl Switch {
    /// The process at `watch.pid` over the call phase; `talk_secs` is the
    /// answered time of the calls.
    pub fn measure(watch: &Watch, placed: u64, talk_secs: f64, max_active: u64) -> Option<Switch> {
        let (pid, start, end) = (watch.pid?, watch.start?, watch.end?);
        let cpu = end.cpu_secs - start.cpu_secs;
        let peak = watch.peak_rss_kb.max(end.rss_kb);
        Some(Switch {
            pid,
            cpu_secs: cpu,
            cpu_ms_per_call: if placed == 0 { 0.0 } else { 1000.0 * cpu / placed as f64 },
            cpu_ms_per_call_sec: if talk_secs > 0.0 { 1000.0 * cpu / talk_secs } else { 0.0 },
            rss_start_kb: start.rss_kb,
            rss_peak_kb: peak,
            rss_end_kb: end.rss_kb,
            rss_per_call_kb: peak.saturating_sub(start.rss_kb) as f64 / max_active.max(1) as f64,
        })
    }

    /// Table rows, with their labels.
    pub fn rows(&self, cpu: &'static str, rss: &'static str) -> [(&'static str, String); 2] {
        [
            (
                cpu,
                format!(
                    "{:.2} s ({:.2} ms per call, {:.3} ms per call-second)",
                    self.cpu_secs, self.cpu_ms_per_call, self.cpu_ms_per_call_sec
                ),
            ),
            (
                rss,
                format!(
                    "{} KiB at start, {} KiB peak, {} KiB at end ({:.1} KiB per concurrent call)",
                    self.rss_start_kb, self.rss_peak_kb, self.rss_end_kb, self.rss_per_call_kb
                ),
            ),
        ]
    }
}

impl Rtp {
    pub fn measure(media: &Media, watch: &Watch, enabled: bool) -> Rtp {
        let book = media.book.borrow();
        Rtp {
            enabled,
            codec: media.sender.profile().codec.name(),
            dtmf: book.totals.dtmf,
            loss: book.loss(),
            send_errors: media.sender.send_errors,
            local_drops: watch.own_drops,
            jitter_ms: book.totals.jitter_us.summary(1000.0),
            latency_ms: book.totals.latency_us.summary(1000.0),
        }
    }

    pub fn rows(&self) -> Vec<(&'static str, String)> {
        if !self.enabled {
            return Vec::new();
        }
        let l = &self.loss;
        let mut rows = vec![
            ("rtp codec", self.codec.to_owned()),
            (
                "rtp packets",
                format!(
                    "{} sent, {} received, {} lost ({:.3} %) in {} streams ({} with loss); {} reordered, {} late, {} send errors",
                    l.sent,
                    l.received,
                    l.lost,
                    l.loss_pct,
                    l.streams,
                    l.streams_with_loss,
                    l.reordered,
                    l.late,
                    self.send_errors
                ),
            ),
            ("rtp drops", format!("{} by our own receive buffers", self.local_drops)),
            ("rtp jitter", percentiles(&self.jitter_ms)),
            ("rtp latency", percentiles(&self.latency_ms)),
        ];
        let d = &self.dtmf;
        if d.expected > 0 {
            rows.push((
                "dtmf (rfc 4733)",
                format!(
                    "{} of {} digits delivered in order, {} streams wrong",
                    d.delivered, d.expected, d.streams_wrong
                ),
            ));
        }
        rows
    }
}

impl Host {
    /// The machine over the call phase, less `measured_cpu_secs` (the
    /// process under test) and `own_cpu` (ours).
    pub fn measure(watch: &Watch, measured_cpu_secs: f64, own_cpu: Option<f64>) -> Option<Host> {
        let [Some(a), Some(b)] = watch.host else {
            return None;
        };
        if b.total_secs <= a.total_secs {
            return None;
        }
        let busy = b.busy_secs - a.busy_secs;
        Some(Host {
            cpus: b.cpus,
            busy_pct: 100.0 * busy / (b.total_secs - a.total_secs),
            others_cpu_secs: (busy - measured_cpu_secs - own_cpu.unwrap_or(0.0)).max(0.0),
            udp_rcvbuf_drops: match watch.udp_drops {
                [Some(a), Some(b)] => Some(b.saturating_sub(a)),
                _ => None,
            },
        })
    }
}

/// The load generator's own CPU time over the call phase.
pub fn own_cpu(watch: &Watch) -> Option<f64> {
    match watch.own {
        [Some(a), Some(b)] => Some(b.cpu_secs - a.cpu_secs),
        _ => None,
    }
}

/// The `loadgen` and `host` rows.
pub fn machine_rows(loadgen: &Loadgen, host: Option<&Host>) -> Vec<(&'static str, String)> {
    let cpu = loadgen.cpu_secs.map_or("?".to_owned(), |s| format!("{s:.2} s"));
    let mut rows = vec![("loadgen", format!("{:.1} s wall, {cpu} CPU in the call phase", loadgen.wall_secs))];
    if let Some(h) = host {
        rows.push((
            "host",
            format!(
                "{} CPUs {:.0} % busy, {:.2} CPU s used by other processes, {} UDP receive-buffer drops",
                h.cpus,
                h.busy_pct,
                h.others_cpu_secs,
                h.udp_rcvbuf_drops.map_or("?".into(), |d| d.to_string())
            ),
        ));
    }
    rows
}

pub fn percentiles(s: &Summary) -> String {
    format!("p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2} ms", s.p50, s.p95, s.p99, s.max)
}

/// `cause: count, …`, or `none`.
pub fn counts(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        "none".to_owned()
    } else {
        m.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")
    }
}

/// One `name  value` line per row.
pub fn render(rows: &[(&str, String)]) -> String {
    rows.iter().map(|(k, v)| format!("{k:<18} {v}\n")).collect()
}
