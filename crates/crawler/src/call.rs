//! One call of a crawl: dial the number, press the keys that reach a menu
//! (each as soon as its level's prompt is recognised, or once the level
//! has gone quiet), then hear the menu's prompt to its end.

use std::time::Duration;

use tokio::time::Instant;
use voxide_switch::{CallSession, CallSide, CallSignal, DialRequest, SwitchControl};

use crate::config::CrawlerConfig;
use crate::ear::{Ear, RATE};
use crate::fingerprint::{Fingerprint, fingerprint, matches};

/// Why a call heard no menu.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    #[error("could not dial: {0}")]
    Dial(String),
    #[error("not answered ({0})")]
    NotAnswered(String),
    #[error("answered with silence")]
    Silence,
    #[error("hung up before saying anything")]
    HungUp,
    #[error("the prompt never ends")]
    NeverEnds,
}

/// The menu prompt a call heard.
#[derive(Debug)]
pub struct Heard {
    pub call_uuid: String,
    /// 8 kHz speech, from its start to its end.
    pub prompt: Vec<i16>,
}

/// How often quiet is measured when no audio arrives.
const TICK: Duration = Duration::from_millis(100);
/// Speech compared against a known prompt before pressing through it.
const RECOGNISE_AFTER: Duration = Duration::from_millis(1500);
/// The start of a menu compared with its latest audio to notice it repeating.
const REPEAT_WINDOW: Duration = Duration::from_secs(3);
/// After this much speech a level that matched nothing is no longer compared.
const COMPARE_UNTIL_SECS: f32 = 5.0;

enum Heard1 {
    Audio(std::sync::Arc<[i16]>),
    Signal(CallSignal),
    Tick,
    Gone,
}

/// A call in progress, driven by the crawler.
pub struct CrawlCall<'a> {
    control: &'a SwitchControl,
    config: &'a CrawlerConfig,
    session: CallSession,
    /// The relay still hands over audio.
    audio_open: bool,
}

impl<'a> CrawlCall<'a> {
    /// Dials `number` and waits for the answer.
    pub async fn dial(
        control: &'a SwitchControl,
        config: &'a CrawlerConfig,
        tenant_id: i64,
        number: &str,
    ) -> Result<CrawlCall<'a>, CallFailure> {
        let request = DialRequest { tenant_id, to: number.to_string(), caller_id: config.caller_id.clone() };
        let session = control.dial(request).await.map_err(|e| CallFailure::Dial(e.to_string()))?;
        let mut call = CrawlCall { control, config, session, audio_open: true };
        let deadline = Instant::now() + config.answer_timeout;
        loop {
            match call.next(deadline).await {
                Heard1::Signal(CallSignal::Answered) => return Ok(call),
                Heard1::Signal(CallSignal::Ended(cause)) => return Err(CallFailure::NotAnswered(cause)),
                Heard1::Gone => return Err(CallFailure::NotAnswered("switch stopped".into())),
                Heard1::Tick if Instant::now() >= deadline => {
                    call.hangup().await;
                    return Err(CallFailure::NotAnswered("no answer in time".into()));
                }
                _ => {}
            }
        }
    }

    pub fn uuid(&self) -> &str {
        &self.session.call_uuid
    }

    /// Presses `keys` in order, each once its level is ready: its prompt
    /// matches the one heard there before (`known`), or the level has
    /// been quiet for the menu silence.
    pub async fn navigate(&mut self, keys: &[char], known: &[Option<Fingerprint>]) -> Result<(), CallFailure> {
        for (level, key) in keys.iter().enumerate() {
            let print = known.get(level).and_then(Option::as_ref);
            self.wait_for_level(print).await?;
            self.control
                .send_dtmf(&self.session.call_uuid, CallSide::Caller, &key.to_string(), self.config.digit_ms)
                .await;
            // The key is heard before the next level's prompt begins.
            tokio::time::sleep(Duration::from_millis(u64::from(self.config.digit_ms) + 60)).await;
        }
        Ok(())
    }

    /// Hears the menu prompt until the configured silence follows it, or
    /// the far end hangs up after speaking.
    pub async fn hear_menu(&mut self) -> Result<Heard, CallFailure> {
        let mut ear = self.ear()?;
        loop {
            let now = Instant::now();
            match self.next(now + TICK).await {
                Heard1::Audio(pcm) => ear.hear(now.into_std(), &pcm),
                Heard1::Signal(CallSignal::Ended(_)) | Heard1::Gone if ear.heard_speech() => {
                    return Ok(self.heard(&ear));
                }
                Heard1::Signal(CallSignal::Ended(_)) | Heard1::Gone => return Err(CallFailure::HungUp),
                _ => {}
            }
            let now = Instant::now().into_std();
            self.check(&ear, now)?;
            if ear.heard_speech() && ear.quiet_for(now) >= self.config.menu_silence {
                return Ok(self.heard(&ear));
            }
            // An IVR that plays its menu again without a pause: the menu is
            // over where it starts over.
            if let Some(at) = ear.repeats_from(REPEAT_WINDOW) {
                ear.cut_at(at);
                return Ok(self.heard(&ear));
            }
        }
    }

    pub async fn hangup(&self) {
        self.control.hangup(&self.session.call_uuid).await;
    }

    /// Bridges the call to `number` ("skip the IVR").
    pub async fn bridge(&self, number: &str) -> Result<(), CallFailure> {
        self.control.bridge(&self.session.call_uuid, number).await.map_err(|e| CallFailure::Dial(e.to_string()))
    }

    async fn wait_for_level(&mut self, known: Option<&Fingerprint>) -> Result<(), CallFailure> {
        let mut ear = self.ear()?;
        let enough = known.map_or(RECOGNISE_AFTER, |p| {
            RECOGNISE_AFTER.min(Duration::from_millis(u64::from(p.duration_ms()).saturating_sub(100)))
        });
        // Speech already compared with the known print, so each quarter
        // second of new speech is compared once.
        let mut compared = 0.0f32;
        loop {
            let now = Instant::now();
            match self.next(now + TICK).await {
                Heard1::Audio(pcm) => ear.hear(now.into_std(), &pcm),
                Heard1::Signal(CallSignal::Ended(_)) | Heard1::Gone => return Err(CallFailure::HungUp),
                _ => {}
            }
            let now = Instant::now().into_std();
            self.check(&ear, now)?;
            let secs = ear.speech_secs();
            if let Some(print) = known
                && secs >= enough.as_secs_f32()
                && secs <= COMPARE_UNTIL_SECS
                && secs >= compared + 0.25
            {
                compared = secs;
                if matches(&fingerprint(ear.prompt(), RATE), print) {
                    return Ok(());
                }
            }
            // Quiet after the level's prompt, or the prompt starting over.
            if ear.heard_speech() && ear.quiet_for(now) >= self.config.menu_silence
                || ear.repeats_from(REPEAT_WINDOW).is_some()
            {
                return Ok(());
            }
        }
    }

    fn ear(&self) -> Result<Ear, CallFailure> {
        Ear::new(Instant::now().into_std(), self.config.max_prompt).map_err(|_| CallFailure::NeverEnds)
    }

    /// Fails a level that stays silent or never stops talking.
    fn check(&self, ear: &Ear, now: std::time::Instant) -> Result<(), CallFailure> {
        if !ear.heard_speech() && ear.waited(now) >= self.config.first_speech_timeout {
            return Err(CallFailure::Silence);
        }
        if ear.full() {
            return Err(CallFailure::NeverEnds);
        }
        Ok(())
    }

    /// The menu heard; a far end that hangs up after speaking (a leaf
    /// saying goodbye) has said its menu too.
    fn heard(&self, ear: &Ear) -> Heard {
        Heard { call_uuid: self.session.call_uuid.clone(), prompt: ear.prompt().to_vec() }
    }

    async fn next(&mut self, until: Instant) -> Heard1 {
        let wait = until.saturating_duration_since(Instant::now()).min(TICK);
        tokio::select! {
            signal = self.session.signals.recv() => signal.map_or(Heard1::Gone, Heard1::Signal),
            chunk = self.session.audio.recv(), if self.audio_open => match chunk {
                Some(c) => Heard1::Audio(c.pcm),
                None => {
                    self.audio_open = false;
                    Heard1::Tick
                }
            },
            () = tokio::time::sleep(wait) => Heard1::Tick,
        }
    }
}
