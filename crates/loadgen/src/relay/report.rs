//! What a relay run measured, as a table and as JSON. The `rtp`, `relay`
//! (the same figures as the switch mode's `switch`), `loadgen` and `host`
//! parts have the switch mode's shape, so one script reads both.

use std::collections::BTreeMap;

use serde::Serialize;

use super::calls::Calls as CallsCore;
use crate::cli::{RelayArgs, TargetKind};
use crate::histogram::Summary;
use crate::report::{self, Host, Loadgen, Rtp, Switch, Timings};
use crate::run::Watch;

#[derive(Debug, Serialize)]
pub struct RelayReport {
    /// No failed or unfinished call and loss within --max-loss.
    pub passed: bool,
    /// `rtpengine` or `echo`.
    pub target: &'static str,
    pub calls: Calls,
    pub control: Control,
    pub rtp: Rtp,
    /// The relay process (--pid): CPU time and memory over the call phase.
    pub relay: Option<Switch>,
    pub loadgen: Loadgen,
    pub host: Option<Host>,
}

#[derive(Debug, Serialize)]
pub struct Calls {
    pub target: u64,
    pub rate: f64,
    pub concurrency: u64,
    pub hold_secs: f64,
    pub placed: u64,
    /// Calls whose RTP started.
    pub up: u64,
    pub ok: u64,
    pub failed: u64,
    pub unfinished: u64,
    pub cps_achieved: f64,
    pub max_active: u64,
    pub seconds: f64,
    /// rtpengine: offer sent → answer's reply received.
    pub setup_ms: Summary,
    pub failures: BTreeMap<String, u64>,
}

/// rtpengine's control channel.
#[derive(Debug, Serialize)]
pub struct Control {
    pub resent: u64,
    pub bad_replies: u64,
    pub stray_replies: u64,
}

impl RelayReport {
    pub fn build(args: &RelayArgs, core: &CallsCore, t: &Timings, watch: &Watch) -> RelayReport {
        let c = &core.counters;
        let relay = Switch::measure(watch, c.placed, c.talk_secs, c.max_active);
        let own_cpu = report::own_cpu(watch);
        let rtp = Rtp::measure(&core.media, watch, true);
        let passed = c.failed == 0 && t.unfinished == 0 && c.placed == args.calls && rtp.loss.loss_pct <= args.max_loss;
        let placing = t.placing_secs(args.rate);
        RelayReport {
            passed,
            target: match args.target {
                TargetKind::Rtpengine => "rtpengine",
                TargetKind::Echo => "echo",
            },
            calls: Calls {
                target: args.calls,
                rate: args.rate,
                concurrency: args.concurrency,
                hold_secs: args.hold_secs,
                placed: c.placed,
                up: c.up,
                ok: c.ok,
                failed: c.failed,
                unfinished: t.unfinished,
                cps_achieved: if placing > 0.0 { c.placed as f64 / placing } else { 0.0 },
                max_active: c.max_active,
                seconds: t.call_phase_secs(),
                setup_ms: c.setup_us.summary(1000.0),
                failures: c.failures.clone(),
            },
            control: Control { resent: c.control_resent, bad_replies: c.bad_replies, stray_replies: c.stray_replies },
            rtp,
            loadgen: Loadgen { wall_secs: t.wall_secs, cpu_secs: own_cpu },
            host: Host::measure(watch, relay.as_ref().map_or(0.0, |s| s.cpu_secs), own_cpu),
            relay,
        }
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let c = &self.calls;
        let k = &self.control;
        let mut rows: Vec<(&str, String)> = vec![
            ("target", self.target.to_owned()),
            (
                "calls",
                format!(
                    "{} placed, {} up, {} ok, {} failed, {} unfinished (target {} at {}/s, at most {} at once)",
                    c.placed, c.up, c.ok, c.failed, c.unfinished, c.target, c.rate, c.concurrency
                ),
            ),
            ("calls/s achieved", format!("{:.1} (most concurrent: {})", c.cps_achieved, c.max_active)),
            ("call failures", report::counts(&c.failures)),
        ];
        if self.target == "rtpengine" {
            rows.push(("setup latency", report::percentiles(&c.setup_ms)));
            rows.push((
                "control",
                format!("{} resent, {} unusable replies, {} stray replies", k.resent, k.bad_replies, k.stray_replies),
            ));
        }
        rows.extend(self.rtp.rows());
        if let Some(s) = &self.relay {
            rows.extend(s.rows("relay cpu", "relay rss"));
        }
        rows.extend(report::machine_rows(&self.loadgen, self.host.as_ref()));
        rows.push(("result", if self.passed { "PASS".into() } else { "FAIL".into() }));
        report::render(&rows)
    }
}
