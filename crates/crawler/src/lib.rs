//! The IVR crawler (seed 004's product): it dials a number, listens to
//! each menu prompt, works out what it says, and presses the keys the
//! prompt offers, one branch per call, storing the tree as it goes.
//!
//! Sans-IO parts:
//! - `options`: the menu options (key and label) in a prompt's transcript;
//! - `fingerprint`: a compact print of a prompt's audio, so a prompt heard on
//!   an earlier call is recognised without transcribing it again;
//! - `ear`: where speech starts and ends in a call's audio.
//!
//! Driving calls: `call` (one call: dial, press keys, hear a menu),
//! `recognise` (prompt cache, then speech-to-text), `job` (one attempt:
//! depth-first over the stored tree), `service` (start, resume, retry,
//! forward), `config`.

mod call;
mod config;
mod ear;
pub mod fingerprint;
mod job;
pub mod options;
mod recognise;
mod service;

pub use call::CallFailure;
pub use config::CrawlerConfig;
pub use recognise::{Recognised, Recogniser};
pub use service::{CrawlError, Crawler, NewCrawl, Started};

pub use fingerprint::{Fingerprint, FingerprintError, PromptCache, fingerprint, matches, similarity};
pub use options::{MenuOption, extract_options};
