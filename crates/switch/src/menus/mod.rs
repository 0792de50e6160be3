//! Hosted menus: a DID routed to a menu (`/api/ivrs/`) is answered by the
//! switch, which plays the greeting, takes keys (RFC 4733, SIP INFO or
//! in-band, whichever the caller sends) and does what the key says:
//! connect to an extension or number, another menu, a message, hang up.
//!
//! Layout: `flow` (the menu logic, sans-IO), `tts` (text rendered to
//! speech once and cached); this module runs a flow per call.

pub mod flow;
pub mod tts;

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;
use voxide_media::audio::Prompt;
use voxide_store::{IvrRow, Store};

use crate::call_control::CallSide;
use crate::control::SwitchControl;
use crate::sessions::{CallSession, CallSignal};
use flow::{Choice, Flow, Menu, Speech, Step};
pub use tts::Tts;

/// What every hosted menu call needs; cheap to clone.
#[derive(Clone)]
pub(crate) struct MenuHost {
    pub(crate) store: Store,
    pub(crate) control: SwitchControl,
    /// Where greeting WAVs named by menus live.
    pub(crate) prompts_dir: PathBuf,
    pub(crate) tts: Tts,
}

impl MenuHost {
    /// Runs menu `ivr_id` on a call the switch answered.
    pub(crate) fn run(&self, session: CallSession, tenant_id: i64, ivr_id: i64) {
        let host = self.clone();
        tokio::spawn(async move {
            let uuid = session.call_uuid.clone();
            if let Err(why) = host.serve(session, tenant_id, ivr_id).await {
                tracing::warn!(call_uuid = %uuid, ivr_id, %why, "hosted menu ended the call");
                host.control.hangup(&uuid).await;
            }
        });
    }

    async fn serve(&self, mut session: CallSession, tenant_id: i64, ivr_id: i64) -> Result<(), String> {
        let uuid = session.call_uuid.clone();
        let menu = self.menu(tenant_id, ivr_id).await?;
        tracing::info!(call_uuid = %uuid, ivr_id, "hosted menu answering");
        let (mut flow, mut steps) = Flow::new(menu);
        let mut deadline: Option<Instant> = None;
        loop {
            for step in std::mem::take(&mut steps) {
                match step {
                    Step::Play(speech) => self.play(&uuid, &speech).await,
                    Step::StopPlaying => self.control.stop_playing(&uuid, CallSide::Caller),
                    Step::WaitForKey(wait) => deadline = Some(Instant::now() + wait),
                    Step::Dial(number) => {
                        tracing::info!(call_uuid = %uuid, %number, "hosted menu connecting the caller");
                        return self.control.bridge(&uuid, &number).await.map_err(|e| e.to_string());
                    }
                    Step::Enter(id) => steps.extend(flow.enter(self.menu(tenant_id, id).await?)),
                    Step::Hangup => {
                        self.control.hangup(&uuid).await;
                        return Ok(());
                    }
                }
            }
            if !steps.is_empty() {
                continue;
            }
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                signal = session.signals.recv() => match signal {
                    Some(CallSignal::Digit(key)) => {
                        deadline = None;
                        steps = flow.key(key);
                    }
                    Some(CallSignal::PlaybackDone) => steps = flow.played(),
                    Some(CallSignal::Answered | CallSignal::Unanswered(_)) => {}
                    Some(CallSignal::Ended(_)) | None => return Ok(()),
                },
                // The caller's audio is not needed: drained so the relay never waits.
                Some(_) = session.audio.recv() => {}
                () = timer => {
                    deadline = None;
                    steps = flow.timed_out();
                }
            }
        }
    }

    async fn menu(&self, tenant_id: i64, ivr_id: i64) -> Result<Menu, String> {
        let row = self.store.ivr(tenant_id, ivr_id).await.map_err(|e| e.to_string())?;
        row.map(menu_of).ok_or_else(|| format!("menu {ivr_id} does not exist"))
    }

    /// Plays `speech` to the caller; a prompt that cannot be had is logged
    /// and skipped, so the menu goes on.
    async fn play(&self, uuid: &str, speech: &Speech) {
        let path = match speech {
            Speech::File(name) => Ok(self.prompts_dir.join(name)),
            Speech::Text(text) => self.tts.render(text).await.map_err(|e| e.to_string()),
        };
        let prompt = match path {
            Ok(path) => tokio::task::spawn_blocking(move || Prompt::load(&path, 8000).map_err(|e| e.to_string()))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r),
            Err(e) => Err(e),
        };
        match prompt {
            Ok(prompt) => {
                self.control.play(uuid, CallSide::Caller, prompt).await;
            }
            Err(why) => {
                tracing::warn!(call_uuid = %uuid, ?speech, %why, "menu prompt unavailable: skipped");
                // Stand in for the prompt's end, so the menu goes on.
                self.control.play(uuid, CallSide::Caller, Prompt::from_samples(vec![0i16; 160], 8000)).await;
            }
        }
    }
}

/// A stored menu as its flow sees it.
fn menu_of(row: IvrRow) -> Menu {
    let greeting = match (row.greeting_file, row.greeting_text) {
        (Some(file), _) => Speech::File(file),
        (None, Some(text)) => Speech::Text(text),
        (None, None) => Speech::Text(String::new()),
    };
    let options = row
        .options
        .into_iter()
        .filter_map(|o| {
            let key = o.digit.chars().next()?;
            let choice = match o.action.as_str() {
                "extension" | "number" => Choice::Dial(o.target),
                "ivr" => Choice::Menu(o.target.parse().ok()?),
                "hangup" => Choice::Hangup,
                "playback" => Choice::Playback(Speech::parse(&o.target)),
                _ => return None,
            };
            Some((key, choice))
        })
        .collect();
    Menu {
        id: row.id,
        greeting,
        timeout: Duration::from_millis(row.timeout_ms.clamp(1000, 60_000) as u64),
        repeat: row.repeat.clamp(1, 10) as u32,
        invalid: row.invalid_text.as_deref().map(Speech::parse),
        no_input: row.timeout_text.as_deref().map(Speech::parse),
        options,
    }
}
