//! What happens on a call besides signalling: media reports (timeouts,
//! digits, speech), live transcription, and the events API clients see.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voxide_b2bua::HangupCause;
use voxide_events::EventKind;
use voxide_media::audio::VadEvent;
use voxide_media::{Leg, MediaEvent};

use crate::calls::CallInfo;
use crate::driver::Driver;
use crate::transcribe::{self, Segment, leg_name};

/// How long a hung-up call waits for its last words to be recognised
/// before its CDR is written without them.
const TRANSCRIPT_GRACE: Duration = Duration::from_secs(15);

impl Driver {
    /// Publishes an event of a call to its tenant's stream.
    pub(crate) fn publish_call(&self, call: &CallInfo, kind: EventKind, data: Value) {
        let body = call.callback.as_ref().map(|_| data.clone());
        let seq = self.events.publish(call.tenant_id, kind, Some(call.uuid.clone()), data);
        if let (Some(tx), Some(data)) = (&call.callback, body) {
            let _ = tx.send(json!({ "seq": seq, "kind": kind, "call_uuid": call.uuid, "data": data }));
        }
    }

    /// A task that POSTs a call's events to `url` one after the other
    /// (each retried before the next is sent), ending with the call.
    pub(crate) fn status_callback(&self, url: &str) -> tokio::sync::mpsc::UnboundedSender<Value> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
        let (hooks, url) = (self.callbacks.clone(), url.to_string());
        tokio::spawn(async move {
            while let Some(body) = rx.recv().await {
                if let Err(e) = hooks.post(&url, &body).await {
                    tracing::warn!(%url, cause = %e, "status callback given up");
                }
            }
        });
        tx
    }

    /// What a relay reported about a call's media.
    pub(crate) fn on_media_event(&mut self, event: MediaEvent) {
        match event {
            MediaEvent::Timeout { id, leg } => {
                tracing::info!(call = id, ?leg, "no RTP from a leg: hanging up");
                self.b2bua.hangup(Instant::now(), id, HangupCause::MediaTimeout);
            }
            MediaEvent::Dtmf { id, leg, digit, duration_ms } => self.digit_heard(id, leg, digit, duration_ms, "rtp"),
            MediaEvent::PlaybackDone { id, leg } => {
                tracing::debug!(call = id, ?leg, "prompt played");
                self.signal(id, crate::sessions::CallSignal::PlaybackDone);
            }
            MediaEvent::Speech { id, leg, event } => {
                let Some(c) = self.calls.get(&id) else { return };
                let leg = leg_name(leg);
                let (kind, data) = match event {
                    VadEvent::SpeechStarted { at_ms } => {
                        (EventKind::CallSpeechStarted, json!({ "leg": leg, "at_ms": at_ms }))
                    }
                    VadEvent::SpeechEnded { at_ms } => {
                        (EventKind::CallSpeechEnded, json!({ "leg": leg, "at_ms": at_ms }))
                    }
                    VadEvent::Silence { started_at_ms, duration_ms } => (
                        EventKind::CallSilence,
                        json!({ "leg": leg, "started_at_ms": started_at_ms, "duration_ms": duration_ms }),
                    ),
                };
                self.publish_call(c, kind, data);
            }
        }
    }

    /// A digit from one side of a call (RFC 4733, in-band or SIP INFO).
    pub(crate) fn digit_heard(&mut self, call: u64, leg: Leg, digit: char, duration_ms: u32, via: &'static str) {
        self.signal(call, crate::sessions::CallSignal::Digit(digit));
        let Some(c) = self.calls.get(&call) else { return };
        self.stats.dtmf_digits.fetch_add(1, Ordering::Relaxed);
        tracing::info!(call_uuid = %c.uuid, ?leg, %digit, duration_ms, via, "DTMF digit");
        let data = json!({ "leg": leg_name(leg), "digit": digit.to_string(), "duration_ms": duration_ms, "via": via });
        self.publish_call(c, EventKind::CallDtmf, data);
    }

    /// A leg the switch dialled rang for the first time.
    pub(crate) fn call_ringing(&mut self, call: u64, leg: Leg) {
        let Some(c) = self.calls.get(&call) else { return };
        self.publish_call(c, EventKind::CallRinging, json!({ "leg": leg_name(leg) }));
    }

    /// The callee answered: events, and live transcription when asked for.
    pub(crate) fn call_answered(&mut self, call: u64) {
        let Some(c) = self.calls.get(&call) else { return };
        self.publish_call(c, EventKind::CallAnswered, json!({}));
        // A call a menu or the crawler drives keeps its audio for that task.
        if !c.transcribe || c.session.is_some() {
            return;
        }
        let Some(pool) = self.stt.clone() else {
            tracing::warn!(call_uuid = %c.uuid, "transcription asked for but no speech-to-text model is configured");
            return;
        };
        let (sink, audio) = tokio::sync::mpsc::channel(transcribe::AUDIO_QUEUE);
        c.relay.listen(sink);
        let (events, tenant, uuid) = (self.events.clone(), c.tenant_id, c.uuid.clone());
        let task = transcribe::spawn(pool, audio, move |s: &Segment| {
            let data = serde_json::to_value(s).unwrap_or_default();
            events.publish(tenant, EventKind::CallTranscript, Some(uuid.clone()), data);
        });
        if let Some(c) = self.calls.get_mut(&call) {
            c.transcript = Some(task);
        }
    }
}

/// The CDR's `transcription_text`: the segments as a JSON array, or `None`
/// when nothing was said (or recognition did not finish in time).
pub(crate) async fn transcription_text(task: tokio::task::JoinHandle<Vec<Segment>>) -> Option<String> {
    match tokio::time::timeout(TRANSCRIPT_GRACE, task).await {
        Ok(Ok(segments)) if !segments.is_empty() => serde_json::to_string(&segments).ok(),
        Ok(_) => None,
        Err(_) => {
            tracing::warn!("transcription did not finish in time; CDR written without it");
            None
        }
    }
}
