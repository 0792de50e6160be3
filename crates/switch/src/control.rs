//! `SwitchControl`: the handle the API and the binary use to talk to a
//! running switch without reaching into its tasks.

use std::sync::Arc;

use crate::call_control::{CallRequest, CallSide, LiveCall};
use crate::directory::{Account, Directory};
use crate::originate::{OriginateError, OriginateRequest, Originated};
use crate::stats::Stats;

/// Cheap to clone.
#[derive(Clone)]
pub struct SwitchControl {
    directory: Directory,
    stats: Arc<Stats>,
    media: Arc<voxide_media::MediaStats>,
    dropped_aors: tokio::sync::mpsc::UnboundedSender<String>,
    events: voxide_events::EventBus,
    calls: tokio::sync::mpsc::UnboundedSender<CallRequest>,
}

impl SwitchControl {
    pub(crate) fn new(
        directory: Directory,
        stats: Arc<Stats>,
        media: Arc<voxide_media::MediaStats>,
        dropped_aors: tokio::sync::mpsc::UnboundedSender<String>,
        events: voxide_events::EventBus,
        calls: tokio::sync::mpsc::UnboundedSender<CallRequest>,
    ) -> Self {
        Self { directory, stats, media, dropped_aors, events, calls }
    }

    /// A control handle with no switch behind it (for tools and tests that
    /// only need the API).
    pub fn detached() -> Self {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let (calls, _) = tokio::sync::mpsc::unbounded_channel();
        Self::new(Directory::default(), Stats::shared(), Arc::default(), tx, voxide_events::EventBus::default(), calls)
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Places a call from the switch: rings `request.device`, then dials
    /// `request.to` and bridges them (click-to-call).
    pub async fn originate(&self, request: OriginateRequest) -> Result<Originated, OriginateError> {
        self.ask(|reply| CallRequest::Originate { request, reply }).await.unwrap_or(Err(OriginateError::NotRunning))
    }

    /// The calls in progress (empty when the switch is not running).
    pub async fn calls(&self) -> Vec<LiveCall> {
        self.ask(|reply| CallRequest::List { reply }).await.unwrap_or_default()
    }

    /// Hangs a call up (MANAGER_REQUEST); false when there is no such call.
    pub async fn hangup(&self, uuid: &str) -> bool {
        self.ask(|reply| CallRequest::Hangup { uuid: uuid.to_string(), reply }).await.unwrap_or(false)
    }

    /// Plays `digits` as RFC 4733 events to one side of a call.
    pub async fn send_dtmf(&self, uuid: &str, side: CallSide, digits: &str, duration_ms: u32) -> bool {
        let digits = digits.to_string();
        self.ask(|reply| CallRequest::Dtmf { uuid: uuid.to_string(), side, digits, duration_ms, reply })
            .await
            .unwrap_or(false)
    }

    /// Plays a prompt to one side of a call.
    pub async fn play(&self, uuid: &str, side: CallSide, prompt: voxide_media::audio::Prompt) -> bool {
        self.ask(|reply| CallRequest::Play { uuid: uuid.to_string(), side, prompt, reply }).await.unwrap_or(false)
    }

    /// Places a call the caller's task talks to alone (parked once
    /// answered): the IVR crawler.
    pub async fn dial(
        &self,
        request: crate::sessions::DialRequest,
    ) -> Result<crate::sessions::CallSession, OriginateError> {
        self.ask(|reply| CallRequest::Dial { request, reply }).await.unwrap_or(Err(OriginateError::NotRunning))
    }

    /// Bridges a call the switch talks to alone to `to`.
    pub async fn bridge(&self, uuid: &str, to: &str) -> Result<(), OriginateError> {
        let (uuid, to) = (uuid.to_string(), to.to_string());
        self.ask(|reply| CallRequest::Bridge { uuid, to, reply }).await.unwrap_or(Err(OriginateError::NotRunning))
    }

    /// Blind transfer: the caller of `uuid` is connected to `to` instead of
    /// the callee, who is hung up.
    pub async fn transfer(&self, uuid: &str, to: &str) -> Result<(), OriginateError> {
        let (uuid, to) = (uuid.to_string(), to.to_string());
        self.ask(|reply| CallRequest::Transfer { uuid, to, reply }).await.unwrap_or(Err(OriginateError::NotRunning))
    }

    /// Stops the prompt playing to one side of a call (a caller pressed a key).
    pub fn stop_playing(&self, uuid: &str, side: CallSide) {
        let _ = self.calls.send(CallRequest::StopPlaying { uuid: uuid.to_string(), side });
    }

    /// Stops recording a call; the recording's `/api/media/…` path (`None`
    /// when the call is gone or was not recorded).
    pub async fn stop_recording(&self, uuid: &str) -> Option<String> {
        self.ask(|reply| CallRequest::StopRecording { uuid: uuid.to_string(), reply }).await.flatten()
    }

    /// Records a call from now on; its `/api/media/…` path.
    pub async fn record(&self, uuid: &str) -> Option<String> {
        self.ask(|reply| CallRequest::Record { uuid: uuid.to_string(), reply }).await.flatten()
    }

    /// Sends a text as a SIP MESSAGE to every phone registered for an
    /// extension; the first phone to accept it delivers it.
    pub async fn send_text(&self, text: crate::texts::OutgoingText) -> crate::texts::TextOutcome {
        let stopped =
            || crate::texts::TextOutcome::Failed { status: None, reason: "the switch is not running".to_string() };
        self.ask(|reply| CallRequest::Text { text, reply }).await.unwrap_or_else(stopped)
    }

    pub(crate) fn call_requests(&self) -> &tokio::sync::mpsc::UnboundedSender<CallRequest> {
        &self.calls
    }

    async fn ask<T>(&self, request: impl FnOnce(tokio::sync::oneshot::Sender<T>) -> CallRequest) -> Option<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.calls.send(request(reply)).ok()?;
        answer.await.ok()
    }

    /// Where the switch publishes call and registration events.
    pub fn events(&self) -> &voxide_events::EventBus {
        &self.events
    }

    /// A tenant's realm is known to the registrar.
    pub fn realm_added(&self, realm: &str, tenant_id: i64) {
        self.directory.add_realm(realm, tenant_id);
    }

    /// An extension was created or changed: its credentials and recording
    /// setting apply at once.
    pub fn extension_saved(&self, realm: &str, username: &str, account: Account, owner: i64, features: Features) {
        self.directory.set_owner(account.extension_id, owner);
        self.directory.set_recording(Some(account.extension_id), None, features.recording);
        self.directory.set_transcription(account.extension_id, features.transcription);
        for (old_realm, old_user) in self.directory.remove_extension(account.extension_id) {
            if old_user != username || old_realm != realm.to_ascii_lowercase() {
                self.drop_bindings(&old_realm, &old_user);
            }
        }
        self.directory.upsert(realm, username, account);
    }

    /// An extension was deleted: it can no longer register and its current
    /// bindings are dropped.
    pub fn extension_deleted(&self, realm: &str, username: &str) {
        self.directory.remove(realm, username);
        self.drop_bindings(realm, username);
    }

    /// A DID was bought or reassigned.
    pub fn did_saved(&self, number: &str, tenant_id: i64, did_id: i64, extension_id: Option<i64>, recording: bool) {
        self.directory.set_did(number, tenant_id, did_id, extension_id);
        self.directory.set_recording(None, Some(did_id), recording);
    }

    /// A DID was routed to a hosted menu (`None`: to its extension again).
    pub fn did_menu_saved(&self, did_id: i64, ivr_id: Option<i64>) {
        self.directory.set_did_menu(did_id, ivr_id);
    }

    pub fn did_removed(&self, number: &str) {
        self.directory.remove_did(number);
    }

    /// A user added `number` to their contacts.
    pub fn contact_added(&self, user_id: i64, number: &str) {
        self.directory.add_contact(user_id, number);
    }

    pub fn contact_removed(&self, user_id: i64, number: &str) {
        self.directory.remove_contact(user_id, number);
    }

    fn drop_bindings(&self, realm: &str, username: &str) {
        let aor = format!("sip:{username}@{}", realm.to_ascii_lowercase());
        // The switch may have stopped; then there is nothing to drop.
        let _ = self.dropped_aors.send(aor);
    }

    pub fn metrics_text(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        self.stats.rtp_packets_relayed.store(self.media.packets_relayed.load(Relaxed), Relaxed);
        self.stats.rtp_packets_lost.store(self.media.packets_lost.load(Relaxed), Relaxed);
        self.stats.rtp_packets_transcoded.store(self.media.packets_transcoded.load(Relaxed), Relaxed);
        self.stats.render()
    }
}

/// What an extension's calls get besides being connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    pub recording: bool,
    pub transcription: bool,
}
