//! One text sent to every phone of an extension at once, sans-IO: the first
//! 2xx from any of them delivers it; it fails only when every phone has
//! refused or not answered.
//!
//! ```text
//!   start(branches) ──► Waiting ──first 2xx──────────────► Delivered
//!                          │
//!                          └──last refusal or timeout────► Failed(last status)
//! ```
//!
//! Answers that come after the verdict are still recognised as ours (so the
//! driver does not hand them to the B2BUA) but change nothing.

use std::collections::HashMap;

/// How a text ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Delivered,
    /// `status` is the last refusal's, `None` when the last phone never
    /// answered.
    Failed {
        status: Option<u16>,
        reason: String,
    },
}

#[derive(Debug)]
struct Progress {
    /// Branches whose transaction has not ended.
    waiting: usize,
    decided: bool,
    last_failure: Option<(Option<u16>, String)>,
}

/// Texts in flight, by the branch of each MESSAGE.
#[derive(Debug, Default)]
pub(crate) struct Fanout {
    next: u64,
    by_branch: HashMap<String, u64>,
    texts: HashMap<u64, Progress>,
}

impl Fanout {
    /// Tracks a text sent as one MESSAGE per branch; returns its id.
    pub(crate) fn start(&mut self, branches: Vec<String>) -> u64 {
        self.next += 1;
        let id = self.next;
        let waiting = branches.len();
        for branch in branches {
            self.by_branch.insert(branch, id);
        }
        self.texts.insert(id, Progress { waiting, decided: false, last_failure: None });
        id
    }

    /// Whether `branch` is one of our MESSAGEs.
    pub(crate) fn owns(&self, branch: &str) -> bool {
        self.by_branch.contains_key(branch)
    }

    /// A final response to `branch`; the text's verdict if this decides it.
    pub(crate) fn on_final(&mut self, branch: &str, status: u16, reason: &str) -> Option<(u64, Verdict)> {
        let failure = (!(200..300).contains(&status)).then(|| (Some(status), format!("{status} {reason}")));
        self.ended(branch, failure)
    }

    /// `branch` got no final response (timer F) or could not be sent.
    pub(crate) fn on_timeout(&mut self, branch: &str) -> Option<(u64, Verdict)> {
        self.ended(branch, Some((None, "no answer from the phone".to_string())))
    }

    /// Texts not yet decided.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.texts.values().filter(|p| !p.decided).count()
    }

    fn ended(&mut self, branch: &str, failure: Option<(Option<u16>, String)>) -> Option<(u64, Verdict)> {
        let id = self.by_branch.remove(branch)?;
        let progress = self.texts.get_mut(&id)?;
        progress.waiting -= 1;
        let mut verdict = None;
        if !progress.decided {
            match failure {
                None => verdict = Some(Verdict::Delivered),
                Some(f) => {
                    progress.last_failure = Some(f);
                    if progress.waiting == 0 {
                        let (status, reason) = progress.last_failure.take().unwrap_or((None, String::new()));
                        verdict = Some(Verdict::Failed { status, reason });
                    }
                }
            }
            progress.decided = verdict.is_some();
        }
        if progress.waiting == 0 {
            self.texts.remove(&id);
        }
        verdict.map(|v| (id, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branches(names: &[&str]) -> Vec<String> {
        names.iter().map(|b| b.to_string()).collect()
    }

    #[test]
    fn the_first_phone_to_accept_delivers_and_later_answers_change_nothing() {
        let mut f = Fanout::default();
        let id = f.start(branches(&["desk", "mobile", "tablet"]));
        assert_eq!(f.on_final("desk", 480, "Temporarily Unavailable"), None);
        assert_eq!(f.on_final("mobile", 200, "OK"), Some((id, Verdict::Delivered)));
        assert_eq!(f.pending(), 0);
        assert!(f.owns("tablet"), "a late answer is still ours to swallow");
        assert_eq!(f.on_timeout("tablet"), None);
        assert!(!f.owns("tablet") && !f.owns("desk"));
        assert_eq!(f.on_final("desk", 200, "OK"), None, "an ended branch is forgotten");
    }

    #[test]
    fn it_fails_with_the_last_refusal_once_every_phone_has_answered() {
        let mut f = Fanout::default();
        let id = f.start(branches(&["a", "b"]));
        assert_eq!(f.on_timeout("a"), None);
        assert_eq!(
            f.on_final("b", 486, "Busy Here"),
            Some((id, Verdict::Failed { status: Some(486), reason: "486 Busy Here".into() }))
        );
        let other = f.start(branches(&["c"]));
        assert_ne!(other, id);
        assert_eq!(
            f.on_timeout("c"),
            Some((other, Verdict::Failed { status: None, reason: "no answer from the phone".into() }))
        );
        assert_eq!(f.pending(), 0);
    }

    #[test]
    fn any_2xx_delivers_and_texts_are_kept_apart() {
        let mut f = Fanout::default();
        let one = f.start(branches(&["x1"]));
        let two = f.start(branches(&["y1", "y2"]));
        assert_eq!(f.pending(), 2);
        assert_eq!(f.on_final("y2", 202, "Accepted"), Some((two, Verdict::Delivered)));
        assert_eq!(f.pending(), 1);
        assert_eq!(f.on_final("x1", 200, "OK"), Some((one, Verdict::Delivered)));
        assert_eq!(f.on_final("y1", 200, "OK"), None);
        assert!(f.texts.is_empty() && f.by_branch.is_empty());
    }
}
