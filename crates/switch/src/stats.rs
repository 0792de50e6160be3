//! Counters the switch keeps for `/metrics`. Plain atomics: the hot path
//! pays one relaxed add per event.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Default)]
pub struct Stats {
    pub sip_messages_in: AtomicU64,
    pub sip_messages_out: AtomicU64,
    /// Messages that could not be parsed or answered and were dropped.
    pub sip_dropped: AtomicU64,
    /// Malformed messages answered with 400.
    pub sip_bad_requests: AtomicU64,
    /// New requests dropped because they waited too long in an overload.
    pub sip_shed: AtomicU64,
    pub registrations_ok: AtomicU64,
    pub auth_failures: AtomicU64,
    /// REGISTERs refused because their source failed too often.
    pub auth_throttled: AtomicU64,
    pub bindings: AtomicI64,
    pub active_calls: AtomicI64,
    pub rtp_packets_relayed: AtomicU64,
    pub rtp_packets_lost: AtomicU64,
    pub rtp_packets_transcoded: AtomicU64,
    /// Digits heard on calls (RFC 4733, in-band or SIP INFO).
    pub dtmf_digits: AtomicU64,
    /// Voicemail messages mailed to their box's owner, and mails that failed.
    pub voicemail_emails_sent: AtomicU64,
    pub voicemail_email_failures: AtomicU64,
    /// Ended calls by hangup cause name.
    pub calls_by_cause: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Stats {
    pub fn shared() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn call_ended(&self, cause: &str) {
        let mut map = self.calls_by_cause.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(cause.to_string()).or_default() += 1;
    }

    /// Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed).to_string();
        metric("voxide_sip_messages_received_total", "counter", "SIP messages received.", get(&self.sip_messages_in));
        metric("voxide_sip_messages_sent_total", "counter", "SIP messages sent.", get(&self.sip_messages_out));
        metric(
            "voxide_sip_messages_dropped_total",
            "counter",
            "Unanswerable SIP messages dropped.",
            get(&self.sip_dropped),
        );
        metric(
            "voxide_sip_bad_requests_total",
            "counter",
            "Malformed SIP requests answered 400.",
            get(&self.sip_bad_requests),
        );
        metric(
            "voxide_sip_shed_total",
            "counter",
            "New SIP requests dropped after waiting too long under overload.",
            get(&self.sip_shed),
        );
        metric("voxide_registrations_total", "counter", "Successful REGISTER requests.", get(&self.registrations_ok));
        metric("voxide_auth_failures_total", "counter", "Failed digest authentications.", get(&self.auth_failures));
        metric(
            "voxide_auth_throttled_total",
            "counter",
            "Requests refused by brute-force throttling.",
            get(&self.auth_throttled),
        );
        metric(
            "voxide_registrations",
            "gauge",
            "Current registrar bindings.",
            self.bindings.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "voxide_active_calls",
            "gauge",
            "Calls in progress.",
            self.active_calls.load(Ordering::Relaxed).to_string(),
        );
        metric("voxide_rtp_packets_relayed_total", "counter", "RTP packets relayed.", get(&self.rtp_packets_relayed));
        metric("voxide_rtp_packets_lost_total", "counter", "RTP packets detected lost.", get(&self.rtp_packets_lost));
        metric(
            "voxide_rtp_packets_transcoded_total",
            "counter",
            "RTP packets transcoded between codecs.",
            get(&self.rtp_packets_transcoded),
        );
        metric("voxide_dtmf_digits_total", "counter", "DTMF digits heard on calls.", get(&self.dtmf_digits));
        metric(
            "voxide_voicemail_emails_sent_total",
            "counter",
            "Voicemail messages e-mailed to their box's owner.",
            get(&self.voicemail_emails_sent),
        );
        metric(
            "voxide_voicemail_email_failures_total",
            "counter",
            "Voicemail e-mails the mail server did not take (the message is kept).",
            get(&self.voicemail_email_failures),
        );
        let _ =
            writeln!(out, "# HELP voxide_calls_total Ended calls by hangup cause.\n# TYPE voxide_calls_total counter");
        let map = self.calls_by_cause.lock().unwrap_or_else(|p| p.into_inner());
        for (cause, n) in map.iter() {
            let _ = writeln!(out, "voxide_calls_total{{cause=\"{cause}\"}} {n}");
        }
        out
    }
}
