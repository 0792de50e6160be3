//! Voicemail: taking a message for an extension's box (the switch answers,
//! plays the box's greeting and a tone, records the caller until they hang
//! up or press #) and playing messages back to the box's owner, who dials
//! `*97` and enters the box's PIN. Each change lights or darkens the
//! owner's message-waiting lamp (RFC 3842).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;
use voxide_media::audio::Prompt;
use voxide_store::{ExtensionFeatures, NewVoicemail, Store};

use super::PlannedCall;
use crate::call_control::CallSide;
use crate::control::SwitchControl;
use crate::menus::Tts;
use crate::sessions::{CallSession, CallSignal};

/// Longest message taken.
const MAX_MESSAGE: Duration = Duration::from_secs(180);
/// Shorter recordings are not kept (a caller who hung up at the tone).
const MIN_MESSAGE_MS: i64 = 1000;
/// Tries at the PIN before the switch hangs up.
const PIN_TRIES: usize = 3;
/// Wait for each key of the PIN.
const KEY_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub(crate) struct Voicemail {
    pub(crate) store: Store,
    pub(crate) control: SwitchControl,
    pub(crate) tts: Tts,
    pub(crate) recordings_dir: PathBuf,
    /// Where kept messages are e-mailed to boxes with an address; none: nowhere.
    pub(crate) smtp: Option<super::mail::SmtpConfig>,
}

/// Which keys end what the switch is playing or waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    None,
    Pound,
    Any,
}

/// What happened while the switch spoke or listened.
#[derive(Debug, PartialEq, Eq)]
enum Heard {
    Done,
    Key(char),
    TimedOut,
    HungUp,
}

impl Voicemail {
    /// Answers a waiting call and takes a message for `owner`'s box.
    pub(crate) async fn deposit(
        &self,
        mut session: CallSession,
        call: &PlannedCall,
        owner: ExtensionFeatures,
    ) -> Result<(), String> {
        let uuid = session.call_uuid.clone();
        if !self.control.answer_waiting(&uuid).await || !answered(&mut session).await {
            return Ok(());
        }
        tracing::info!(call_uuid = %uuid, extension = %owner.sip_username, "voicemail answering");
        let greeting = match owner.voicemail_greeting.as_str() {
            "" => None,
            name => Some(self.recordings_dir.join("voicemail").join("greetings").join(name)),
        };
        let greeting = match greeting {
            Some(path) => load(path).await,
            None => None,
        };
        let greeting = match greeting {
            Some(p) => Some(p),
            None => {
                let text = format!(
                    "Extension {} is not available. Leave a message after the tone.",
                    spoken_digits(&owner.sip_username)
                );
                self.speech(&text).await
            }
        };
        // Pound skips the greeting.
        let greeted = match greeting {
            Some(g) => self.play(&mut session, g, Keys::Pound).await,
            None => Heard::Done,
        };
        if greeted == Heard::HungUp || self.play(&mut session, beep(), Keys::None).await == Heard::HungUp {
            tracing::info!(call_uuid = %uuid, "caller hung up before the tone: no message");
            return Ok(());
        }
        let relative = format!("voicemail/domain_{}/{}/{uuid}.wav", call.tenant_id, owner.extension_id);
        let path = self.recordings_dir.join(&relative);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| e.to_string())?;
        }
        self.control.record_caller(&uuid, Some(path.clone()));
        let ended = matches!(self.listen(&mut session, Some(MAX_MESSAGE), false, Keys::Pound).await, Heard::HungUp);
        if !ended {
            self.control.record_caller(&uuid, None);
            if let Some(bye) = self.speech("Your message has been saved. Goodbye.").await {
                self.play(&mut session, bye, Keys::None).await;
            }
            self.control.hangup(&uuid).await;
        }
        let duration_ms = finished_wav_ms(&path).await;
        if duration_ms < MIN_MESSAGE_MS {
            tracing::info!(call_uuid = %uuid, duration_ms, "voicemail too short: not kept");
            let _ = tokio::fs::remove_file(&path).await;
            return Ok(());
        }
        let message = NewVoicemail {
            tenant_id: call.tenant_id,
            extension_id: owner.extension_id,
            caller: call.caller.clone(),
            call_uuid: uuid.clone(),
            path: relative,
            duration_ms,
        };
        let id = self.store.add_voicemail(&message).await.map_err(|e| e.to_string())?;
        tracing::info!(call_uuid = %uuid, voicemail = id, duration_ms, "voicemail kept");
        let kept = super::mail::VoicemailNotice::kept(id, &call.caller, &owner, duration_ms);
        super::mail::send_voicemail(self.smtp.as_ref(), &self.control, kept, &owner.voicemail_email, path);
        self.update_lamp(call.tenant_id, owner.extension_id).await
    }

    /// Plays `owner`'s messages to them once they give the box's PIN.
    pub(crate) async fn retrieve(&self, mut session: CallSession, tenant_id: i64, owner: i64) -> Result<(), String> {
        let uuid = session.call_uuid.clone();
        if !answered(&mut session).await {
            return Ok(());
        }
        let features = self.store.extension_features(owner).await.map_err(|e| e.to_string())?;
        let Some(features) = features.filter(|f| f.voicemail_enabled && !f.voicemail_pin.is_empty()) else {
            self.say(&mut session, "This extension has no voicemail box. Goodbye.").await;
            self.control.hangup(&uuid).await;
            return Ok(());
        };
        let mut allowed = false;
        for _ in 0..PIN_TRIES {
            // Keys pressed during the prompt stop it and start the PIN.
            let first = match self.say_or_key(&mut session, "Please enter your PIN, then press pound.").await {
                Heard::HungUp => return Ok(()),
                Heard::Key(k) => Some(k),
                _ => None,
            };
            let Some(pin) = self.keys_until_pound(&mut session, first).await else { return Ok(()) };
            if same_pin(&pin, &features.voicemail_pin) {
                allowed = true;
                break;
            }
            tracing::info!(call_uuid = %uuid, extension = owner, "wrong voicemail PIN");
            if self.say(&mut session, "That PIN is not right.").await == Heard::HungUp {
                return Ok(());
            }
        }
        if !allowed {
            self.say(&mut session, "Goodbye.").await;
            self.control.hangup(&uuid).await;
            return Ok(());
        }
        let mut messages = self.store.voicemails(tenant_id, Some(owner)).await.map_err(|e| e.to_string())?;
        // New messages first, each group oldest first.
        messages.sort_by(|a, b| (a.heard, &a.created_at, a.id).cmp(&(b.heard, &b.created_at, b.id)));
        let new = messages.iter().filter(|m| !m.heard).count();
        let summary = format!(
            "You have {new} new {} and {} saved.",
            if new == 1 { "message" } else { "messages" },
            messages.len() - new
        );
        if self.say(&mut session, &summary).await == Heard::HungUp {
            return Ok(());
        }
        for (n, m) in messages.iter().enumerate() {
            let intro = format!("Message {}, from {}.", n + 1, spoken_digits(&m.caller));
            if self.say(&mut session, &intro).await == Heard::HungUp {
                break;
            }
            let Some(audio) = load(self.recordings_dir.join(&m.path)).await else { continue };
            let heard = self.play(&mut session, audio, Keys::Pound).await;
            self.store.mark_voicemail_heard(m.id, true).await.map_err(|e| e.to_string())?;
            if heard == Heard::HungUp {
                break;
            }
        }
        self.update_lamp(tenant_id, owner).await?;
        if self.say(&mut session, "End of messages. Goodbye.").await != Heard::HungUp {
            self.control.hangup(&uuid).await;
        }
        Ok(())
    }

    async fn update_lamp(&self, tenant_id: i64, extension_id: i64) -> Result<(), String> {
        let (new, old) = self.store.voicemail_counts(extension_id).await.map_err(|e| e.to_string())?;
        self.control.message_waiting(tenant_id, extension_id, new as u32, old as u32);
        Ok(())
    }

    async fn speech(&self, text: &str) -> Option<Prompt> {
        match self.tts.render(text).await {
            Ok(path) => load(path).await,
            Err(e) => {
                tracing::warn!(%text, cause = %e, "voicemail speech unavailable");
                None
            }
        }
    }

    async fn say(&self, session: &mut CallSession, text: &str) -> Heard {
        match self.speech(text).await {
            Some(p) => self.play(session, p, Keys::None).await,
            None => Heard::Done,
        }
    }

    /// Says `text` until it ends or the caller presses a key (returned).
    async fn say_or_key(&self, session: &mut CallSession, text: &str) -> Heard {
        match self.speech(text).await {
            Some(p) => self.play(session, p, Keys::Any).await,
            None => Heard::Done,
        }
    }

    /// Plays `prompt` to the caller until it ends, or a key in `keys`
    /// stops it.
    async fn play(&self, session: &mut CallSession, prompt: Prompt, keys: Keys) -> Heard {
        let wait = Duration::from_millis(prompt.duration_ms() + 5000);
        self.control.play(&session.call_uuid, CallSide::Caller, prompt).await;
        let heard = self.listen(session, Some(wait), true, keys).await;
        if matches!(heard, Heard::Key(_) | Heard::TimedOut) {
            self.control.stop_playing(&session.call_uuid, CallSide::Caller);
        }
        heard
    }

    /// Waits for the prompt playing to end (when `playing`), a key in
    /// `keys`, the caller to hang up, or `within` to pass.
    async fn listen(&self, session: &mut CallSession, within: Option<Duration>, playing: bool, keys: Keys) -> Heard {
        let deadline = within.map(|w| Instant::now() + w);
        loop {
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                signal = session.signals.recv() => match signal {
                    Some(CallSignal::PlaybackDone) if playing => return Heard::Done,
                    Some(CallSignal::Digit(k)) if keys == Keys::Any || (k == '#' && keys == Keys::Pound) => {
                        return Heard::Key(k);
                    }
                    Some(CallSignal::Ended(_)) | None => return Heard::HungUp,
                    Some(_) => {}
                },
                () = timer => return Heard::TimedOut,
            }
        }
    }

    /// Keys up to `#` (after `first`, if one was pressed already); `None`
    /// when the caller hung up.
    async fn keys_until_pound(&self, session: &mut CallSession, first: Option<char>) -> Option<String> {
        if first == Some('#') {
            return Some(String::new());
        }
        let mut keys: String = first.into_iter().collect();
        loop {
            let at = Instant::now() + KEY_WAIT;
            tokio::select! {
                signal = session.signals.recv() => match signal {
                    Some(CallSignal::Digit('#')) => return Some(keys),
                    Some(CallSignal::Digit(k)) if keys.len() < 16 => keys.push(k),
                    Some(CallSignal::Ended(_)) | None => return None,
                    Some(_) => {}
                },
                () = tokio::time::sleep_until(at) => return Some(keys),
            }
        }
    }
}

/// Waits for the call to be up; false when it ended first.
async fn answered(session: &mut CallSession) -> bool {
    loop {
        match session.signals.recv().await {
            Some(CallSignal::Answered) => return true,
            Some(CallSignal::Ended(_)) | None => return false,
            Some(_) => {}
        }
    }
}

/// Compares PINs without stopping at the first difference.
fn same_pin(given: &str, pin: &str) -> bool {
    let (a, b) = (given.as_bytes(), pin.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0xff);
    }
    diff == 0
}

/// Digits read one by one ("1007" → "1 0 0 7"), anything else as it is.
fn spoken_digits(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_digit()) {
        s.chars().map(String::from).collect::<Vec<_>>().join(" ")
    } else {
        s.to_string()
    }
}

/// The tone before the recording starts: 1 kHz for 400 ms.
fn beep() -> Prompt {
    let samples: Vec<i16> =
        (0..3200).map(|i| ((f64::from(i) * 1000.0 / 8000.0 * std::f64::consts::TAU).sin() * 8000.0) as i16).collect();
    Prompt::from_samples(samples, 8000)
}

async fn load(path: PathBuf) -> Option<Prompt> {
    let shown = path.display().to_string();
    match tokio::task::spawn_blocking(move || Prompt::load(&path, 8000)).await {
        Ok(Ok(p)) => Some(p),
        Ok(Err(e)) => {
            tracing::warn!(path = %shown, cause = %e, "voicemail audio unavailable");
            None
        }
        Err(_) => None,
    }
}

/// The length of a recording once the relay has finished writing it (its
/// header is complete), in ms; 0 when it never becomes readable.
async fn finished_wav_ms(path: &Path) -> i64 {
    for _ in 0..50 {
        let p = path.to_path_buf();
        if let Ok(Ok(samples)) = tokio::task::spawn_blocking(move || voxide_media::audio::load_wav(&p, 8000)).await
            && !samples.is_empty()
        {
            return samples.len() as i64 / 8;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_compare_whole() {
        assert!(same_pin("1234", "1234"));
        assert!(!same_pin("1235", "1234"));
        assert!(!same_pin("123", "1234"));
        assert!(!same_pin("12345", "1234"));
        assert!(!same_pin("", "1234"));
    }

    #[test]
    fn numbers_are_read_digit_by_digit_and_the_tone_is_400_ms() {
        assert_eq!(spoken_digits("1007"), "1 0 0 7");
        assert_eq!(spoken_digits("alice"), "alice");
        assert_eq!(beep().duration_ms(), 400);
    }
}
