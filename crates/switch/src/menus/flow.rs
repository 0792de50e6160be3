//! A hosted menu's logic (sans-IO): which prompt to play, what a digit
//! does, when to give up. The runner feeds it digits, the ends of
//! prompts and timeouts, and carries out the [`Step`]s it returns.

use std::collections::VecDeque;
use std::time::Duration;

/// Something to say: a WAV in the prompts directory, or text for TTS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Speech {
    File(String),
    Text(String),
}

impl Speech {
    /// A plain file name ending `.wav` is a file; anything else is text.
    pub fn parse(value: &str) -> Speech {
        let v = value.trim();
        if v.to_ascii_lowercase().ends_with(".wav") && !v.contains(['/', ' ']) {
            Speech::File(v.to_string())
        } else {
            Speech::Text(v.to_string())
        }
    }
}

/// What a key does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Connect the caller to an extension or number.
    Dial(String),
    /// Another menu (by id).
    Menu(i64),
    Hangup,
    /// Say something, then play this menu again.
    Playback(Speech),
}

/// One menu as the flow needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub id: i64,
    pub greeting: Speech,
    /// How long to wait for a key after the greeting.
    pub timeout: Duration,
    /// How many times the menu is offered before hanging up.
    pub repeat: u32,
    pub invalid: Option<Speech>,
    pub no_input: Option<Speech>,
    pub options: Vec<(char, Choice)>,
}

/// What the runner does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Play(Speech),
    /// Stop the prompt playing (the caller pressed a key).
    StopPlaying,
    /// Wait this long for a key.
    WaitForKey(Duration),
    Dial(String),
    /// Load menu `id` and [`Flow::enter`] it.
    Enter(i64),
    Hangup,
}

/// What happens once the queued prompts have played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    WaitForKey,
    Hangup,
}

#[derive(Debug)]
pub struct Flow {
    menu: Menu,
    /// Times the menu was offered without a valid key.
    failures: u32,
    queue: VecDeque<Speech>,
    playing: bool,
    then: Then,
}

impl Flow {
    pub fn new(menu: Menu) -> (Flow, Vec<Step>) {
        let mut flow = Flow { menu, failures: 0, queue: VecDeque::new(), playing: false, then: Then::WaitForKey };
        let steps = flow.offer(Vec::new());
        (flow, steps)
    }

    /// Moves to another menu (from a key), starting its greeting.
    pub fn enter(&mut self, menu: Menu) -> Vec<Step> {
        self.menu = menu;
        self.failures = 0;
        self.offer(Vec::new())
    }

    /// The caller pressed `key`.
    pub fn key(&mut self, key: char) -> Vec<Step> {
        let mut steps = Vec::new();
        if self.playing {
            steps.push(Step::StopPlaying);
        }
        self.playing = false;
        self.queue.clear();
        let choice = self.menu.options.iter().find(|(k, _)| *k == key).map(|(_, c)| c.clone());
        match choice {
            Some(Choice::Dial(number)) => steps.push(Step::Dial(number)),
            Some(Choice::Menu(id)) => steps.push(Step::Enter(id)),
            Some(Choice::Hangup) => steps.push(Step::Hangup),
            Some(Choice::Playback(speech)) => {
                self.failures = 0;
                self.queue.push_back(speech);
                return self.offer(steps);
            }
            None => return self.failed(steps, self.menu.invalid.clone()),
        }
        steps
    }

    /// The prompt playing has been sent in full.
    pub fn played(&mut self) -> Vec<Step> {
        self.playing = false;
        self.next(Vec::new())
    }

    /// No key came in time.
    pub fn timed_out(&mut self) -> Vec<Step> {
        self.failed(Vec::new(), self.menu.no_input.clone())
    }

    fn failed(&mut self, steps: Vec<Step>, say: Option<Speech>) -> Vec<Step> {
        self.failures += 1;
        self.queue.extend(say);
        if self.failures >= self.menu.repeat {
            self.then = Then::Hangup;
            return self.next(steps);
        }
        self.offer(steps)
    }

    /// Queues the greeting (after whatever is queued) and starts playing.
    fn offer(&mut self, steps: Vec<Step>) -> Vec<Step> {
        self.queue.push_back(self.menu.greeting.clone());
        self.then = Then::WaitForKey;
        self.next(steps)
    }

    fn next(&mut self, mut steps: Vec<Step>) -> Vec<Step> {
        if self.playing {
            return steps;
        }
        match self.queue.pop_front() {
            Some(speech) => {
                self.playing = true;
                steps.push(Step::Play(speech));
            }
            None => steps.push(match self.then {
                Then::WaitForKey => Step::WaitForKey(self.menu.timeout),
                Then::Hangup => Step::Hangup,
            }),
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Speech {
        Speech::Text(t.into())
    }

    fn main_menu() -> Menu {
        Menu {
            id: 1,
            greeting: Speech::File("main.wav".into()),
            timeout: Duration::from_secs(5),
            repeat: 2,
            invalid: Some(text("invalid")),
            no_input: Some(text("no input")),
            options: vec![
                ('1', Choice::Dial("1002".into())),
                ('2', Choice::Menu(2)),
                ('3', Choice::Playback(text("our hours"))),
                ('#', Choice::Hangup),
            ],
        }
    }

    #[test]
    fn the_greeting_plays_then_the_menu_waits_for_a_key() {
        let (mut flow, steps) = Flow::new(main_menu());
        assert_eq!(steps, vec![Step::Play(Speech::File("main.wav".into()))]);
        assert_eq!(flow.played(), vec![Step::WaitForKey(Duration::from_secs(5))]);
        assert_eq!(flow.key('1'), vec![Step::Dial("1002".into())]);
    }

    #[test]
    fn a_key_during_the_greeting_stops_it() {
        let (mut flow, _) = Flow::new(main_menu());
        assert_eq!(flow.key('2'), vec![Step::StopPlaying, Step::Enter(2)]);
        let sub = Menu { id: 2, greeting: text("sub"), options: vec![], ..main_menu() };
        assert_eq!(flow.enter(sub), vec![Step::Play(text("sub"))]);
    }

    #[test]
    fn playback_says_its_piece_then_offers_the_menu_again() {
        let (mut flow, _) = Flow::new(main_menu());
        flow.played();
        assert_eq!(flow.key('3'), vec![Step::Play(text("our hours"))]);
        assert_eq!(flow.played(), vec![Step::Play(Speech::File("main.wav".into()))]);
        assert_eq!(flow.played(), vec![Step::WaitForKey(Duration::from_secs(5))]);
    }

    #[test]
    fn wrong_keys_and_silence_are_retried_then_the_call_is_hung_up() {
        let (mut flow, _) = Flow::new(main_menu());
        flow.played();
        assert_eq!(flow.key('9'), vec![Step::Play(text("invalid"))]);
        assert_eq!(flow.played(), vec![Step::Play(Speech::File("main.wav".into()))]);
        flow.played();
        assert_eq!(flow.timed_out(), vec![Step::Play(text("no input"))]);
        assert_eq!(flow.played(), vec![Step::Hangup]);
    }

    #[test]
    fn pound_hangs_up_and_speech_is_told_from_files() {
        let (mut flow, _) = Flow::new(main_menu());
        assert_eq!(flow.key('#'), vec![Step::StopPlaying, Step::Hangup]);
        assert_eq!(Speech::parse("vm-goodbye.wav"), Speech::File("vm-goodbye.wav".into()));
        assert_eq!(Speech::parse("press one.wav now"), text("press one.wav now"));
        assert_eq!(Speech::parse("../etc/x.wav"), text("../etc/x.wav"));
    }
}
