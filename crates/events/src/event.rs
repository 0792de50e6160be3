//! What travels on the bus: one event, as clients receive it in JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One event of one tenant.
///
/// ```json
/// {"seq": 7, "tenant_id": 1, "at": "2025-01-31T12:00:00.250Z",
///  "kind": "registration.up", "call_uuid": null, "data": {"extension": "1001", …}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The tenant's sequence number: 1 for its first event since the switch
    /// started, then each one higher. A `gap` event carries the last seq it
    /// stands for, so a client that resumes from the last seq it saw does
    /// not ask for the lost range again.
    pub seq: u64,
    pub tenant_id: i64,
    /// When it was published: RFC 3339, UTC, milliseconds.
    pub at: String,
    pub kind: EventKind,
    /// The call it is about, for `call.*` events.
    pub call_uuid: Option<String>,
    /// Details; their fields depend on `kind`.
    pub data: Value,
}

/// Kinds of events, written as their dotted names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "call.created")]
    CallCreated,
    #[serde(rename = "call.ringing")]
    CallRinging,
    #[serde(rename = "call.answered")]
    CallAnswered,
    #[serde(rename = "call.dtmf")]
    CallDtmf,
    #[serde(rename = "call.speech_started")]
    CallSpeechStarted,
    #[serde(rename = "call.speech_ended")]
    CallSpeechEnded,
    #[serde(rename = "call.silence")]
    CallSilence,
    #[serde(rename = "call.transcript")]
    CallTranscript,
    #[serde(rename = "call.hangup")]
    CallHangup,
    /// A phone bound a contact (or moved it to a new address).
    #[serde(rename = "registration.up")]
    RegistrationUp,
    /// A binding was removed or expired.
    #[serde(rename = "registration.down")]
    RegistrationDown,
    /// A text arrived for the tenant (from a phone or from the carrier).
    #[serde(rename = "sms.received")]
    SmsReceived,
    /// A text's status changed (queued, sent, delivered, failed).
    #[serde(rename = "sms.status")]
    SmsStatus,
    /// Events `data.from..=data.to` of the tenant were lost to this client:
    /// they left the bounded buffer before it could read them.
    #[serde(rename = "gap")]
    Gap,
}

impl EventKind {
    /// The dotted name clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CallCreated => "call.created",
            EventKind::CallRinging => "call.ringing",
            EventKind::CallAnswered => "call.answered",
            EventKind::CallDtmf => "call.dtmf",
            EventKind::CallSpeechStarted => "call.speech_started",
            EventKind::CallSpeechEnded => "call.speech_ended",
            EventKind::CallSilence => "call.silence",
            EventKind::CallTranscript => "call.transcript",
            EventKind::CallHangup => "call.hangup",
            EventKind::RegistrationUp => "registration.up",
            EventKind::RegistrationDown => "registration.down",
            EventKind::SmsReceived => "sms.received",
            EventKind::SmsStatus => "sms.status",
            EventKind::Gap => "gap",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
