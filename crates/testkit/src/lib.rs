//! Test helpers for end-to-end tests: start a real `voxide` process on free
//! ports in a scratch directory, talk to it over HTTP, add users through its
//! CLI, work on its database, kill and restart it, and run external SIP
//! peers (SIPp, baresip) against it.
//!
//! Tests call `Server::start(env!("CARGO_BIN_EXE_voxide"), &[])`.

pub mod audio;
mod baresip;
mod events;
mod hooks;
mod pcap;
mod peers;
mod raw;
mod server;

pub use baresip::{Baresip, PhoneSpec};
pub use hooks::{Hook, HookServer, hmac_sha256_hex};
pub use pcap::{RtpRecord, SIPP_PCAPS, dtmf_pcap, read_rtp, write_rtp};
pub use peers::{Sipp, SippOutcome, testdata};
pub use raw::{RawSip, SipReply};
pub use server::{Server, free_port, wait_udp_bound};
