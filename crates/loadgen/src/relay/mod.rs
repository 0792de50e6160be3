//! `voxide-loadgen relay`: the switch mode's RTP streams without SIP,
//! through a bare media relay, so that the switch's figures can be set
//! beside rtpengine's (userspace) and a dumb echo relay's.
//!
//! The streams are the same as through the switch: the same sender, 20 ms
//! PCMU packets in four send slots, the same shared RTP sockets and the
//! same loss, jitter and latency book. Only the way a call gets its relay
//! differs: rtpengine's NG `offer`/`answer`/`delete` ([`ng`], on the
//! [`bencode`](crate::bencode) codec), or a fixed port pair of the echo
//! relay. [`calls`] is the sans-IO core, [`run`] the driver and [`report`]
//! what it prints.

pub mod calls;
pub mod ng;
pub mod report;
pub mod run;
