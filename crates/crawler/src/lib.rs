//! The IVR crawler's sans-IO core.
//!
//! The crawler dials an IVR, listens to each prompt, transcribes it and
//! presses the keys the prompt offers, one branch at a time. This crate holds
//! the parts that need no sockets nor clocks:
//!
//! - `options`: the menu options (key and label) in a prompt's transcript;
//! - `fingerprint`: a compact print of a prompt's audio, so a prompt heard on
//!   an earlier call is recognised without transcribing it again.

pub mod fingerprint;
pub mod options;

pub use fingerprint::{Fingerprint, FingerprintError, PromptCache, fingerprint, matches, similarity};
pub use options::{MenuOption, extract_options};
