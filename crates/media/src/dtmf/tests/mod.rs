//! Tests that cross files of the module or read files from the system: the
//! SIPp captures, the sender and receiver wired together over a bad network,
//! and the in-band detector on synthetic and recorded audio.

mod inband;
mod pcap;
mod signal;
mod sipp_captures;
mod wire;
