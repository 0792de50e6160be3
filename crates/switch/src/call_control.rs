//! Call control from outside the driver (the API): place a call, list the
//! calls in progress, hang one up, send it digits, play it a prompt, record it.
//! Requests reach the driver over a channel and are answered on a oneshot,
//! so the API never touches the driver's state.

use std::time::Instant;

use serde::Serialize;
use tokio::sync::oneshot;
use voxide_b2bua::HangupCause;
use voxide_media::Leg;
use voxide_media::audio::Prompt;

use crate::cdr::stamp;
use crate::driver::Driver;
use crate::originate::{OriginateError, OriginateRequest, Originated};
use crate::sessions::{CallSession, DialRequest};

/// A call in progress, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LiveCall {
    pub call_uuid: String,
    pub tenant_id: i64,
    pub call_direction: &'static str,
    pub call_from: String,
    pub call_to: String,
    /// `ringing` or `answered`.
    pub status: &'static str,
    pub started_at: String,
    pub answered_at: Option<String>,
    pub recording: Option<String>,
    pub transcribed: bool,
}

/// Which side of a call an action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallSide {
    Caller,
    Callee,
}

impl CallSide {
    fn leg(self) -> Leg {
        match self {
            CallSide::Caller => Leg::A,
            CallSide::Callee => Leg::B,
        }
    }
}

pub(crate) enum CallRequest {
    List { reply: oneshot::Sender<Vec<LiveCall>> },
    Hangup { uuid: String, reply: oneshot::Sender<bool> },
    Dtmf { uuid: String, side: CallSide, digits: String, duration_ms: u32, reply: oneshot::Sender<bool> },
    Play { uuid: String, side: CallSide, prompt: Prompt, reply: oneshot::Sender<bool> },
    Record { uuid: String, reply: oneshot::Sender<Option<String>> },
    Originate { request: OriginateRequest, reply: oneshot::Sender<Result<Originated, OriginateError>> },
    Text { text: crate::texts::OutgoingText, reply: oneshot::Sender<crate::texts::TextOutcome> },
    Dial { request: DialRequest, reply: oneshot::Sender<Result<CallSession, OriginateError>> },
    Bridge { uuid: String, to: String, reply: oneshot::Sender<Result<(), OriginateError>> },
    StopPlaying { uuid: String, side: CallSide },
    StopRecording { uuid: String, reply: oneshot::Sender<Option<String>> },
    Transfer { uuid: String, to: String, reply: oneshot::Sender<Result<(), OriginateError>> },
    Plan(crate::plans::control::PlanRequest),
}

impl Driver {
    pub(crate) fn on_call_request(&mut self, request: CallRequest) {
        match request {
            CallRequest::List { reply } => {
                let mut calls: Vec<LiveCall> = self.calls.values().map(|c| c.live()).collect();
                calls.sort_by(|a, b| a.started_at.cmp(&b.started_at));
                let _ = reply.send(calls);
            }
            CallRequest::Hangup { uuid, reply } => {
                let id = self.call_id(&uuid);
                if let Some(id) = id {
                    tracing::info!(call_uuid = %uuid, "hangup asked for");
                    self.b2bua.hangup(Instant::now(), id, HangupCause::ManagerRequest);
                }
                let _ = reply.send(id.is_some());
            }
            CallRequest::Dtmf { uuid, side, digits, duration_ms, reply } => {
                let call = self.call_id(&uuid).and_then(|id| self.calls.get(&id));
                if let Some(c) = call {
                    c.relay.send_dtmf(side.leg(), &digits, duration_ms);
                }
                let _ = reply.send(call.is_some());
            }
            CallRequest::Play { uuid, side, prompt, reply } => {
                let Some(id) = self.call_id(&uuid) else {
                    let _ = reply.send(false);
                    return;
                };
                let ringing = self.calls.get(&id).is_some_and(|c| c.answered.is_none());
                if ringing && side == CallSide::Caller {
                    // The caller hears it before the answer, as early media.
                    self.b2bua.early_media(id);
                }
                if let Some(c) = self.calls.get(&id) {
                    c.relay.play(side.leg(), prompt);
                }
                let _ = reply.send(true);
            }
            CallRequest::Record { uuid, reply } => {
                let path = self.call_id(&uuid).and_then(|id| self.start_recording(id));
                let _ = reply.send(path);
            }
            CallRequest::Originate { request, reply } => {
                let _ = reply.send(self.originate(request));
            }
            CallRequest::Text { text, reply } => self.send_text(text, reply),
            CallRequest::Dial { request, reply } => {
                let _ = reply.send(self.dial(request));
            }
            CallRequest::Bridge { uuid, to, reply } => {
                let _ = reply.send(self.bridge(&uuid, &to));
            }
            CallRequest::Transfer { uuid, to, reply } => {
                let _ = reply.send(self.transfer(&uuid, &to));
            }
            CallRequest::StopRecording { uuid, reply } => {
                let call = self.call_id(&uuid).and_then(|id| self.calls.get_mut(&id));
                let recording = call.filter(|c| c.recording_now).and_then(|c| {
                    c.relay.stop_recording();
                    c.recording_now = false;
                    // The file stays linked to the call's CDR.
                    c.recording.clone()
                });
                let _ = reply.send(recording);
            }
            CallRequest::Plan(request) => self.on_plan_request(request),
            CallRequest::StopPlaying { uuid, side } => {
                if let Some(c) = self.call_id(&uuid).and_then(|id| self.calls.get(&id)) {
                    c.relay.stop_playing(side.leg());
                }
            }
        }
    }

    pub(crate) fn call_id(&self, uuid: &str) -> Option<u64> {
        self.calls.iter().find(|(_, c)| c.uuid == uuid).map(|(id, _)| *id)
    }

    /// Records a call from now on (if it is not already); its media path.
    fn start_recording(&mut self, id: u64) -> Option<String> {
        let dir = self.recordings_dir.clone();
        let c = self.calls.get_mut(&id)?;
        if !c.recording_now {
            // A recording started again after a stop goes to a new file.
            let part = if c.recording.is_some() { format!("_{}", crate::driver::unix_now()) } else { String::new() };
            let folder = format!("domain_{}", c.tenant_id);
            let file = format!("api_{}{part}.wav", c.uuid);
            c.relay.record(dir.join(&folder).join(&file));
            c.recording_now = true;
            // The CDR links the latest one when the call ends.
            c.recording = Some(format!("/api/media/{folder}/{file}"));
        }
        c.recording.clone()
    }
}

impl crate::calls::CallInfo {
    fn live(&self) -> LiveCall {
        LiveCall {
            call_uuid: self.uuid.clone(),
            tenant_id: self.tenant_id,
            call_direction: self.direction,
            call_from: self.from.clone(),
            call_to: self.to.clone(),
            status: if self.answered.is_some() { "answered" } else { "ringing" },
            started_at: stamp(self.started),
            answered_at: self.answered.map(stamp),
            recording: self.recording.clone(),
            transcribed: self.transcript.is_some(),
        }
    }
}
