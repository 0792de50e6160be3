//! Arbitrary bytes as the start of a TCP stream: `framing::check` must
//! never panic, and what it frames must be consistent with itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use voxide_sip::framing::{self, Frame};

fuzz_target!(|data: &[u8]| {
    match framing::check(data) {
        Ok(Frame::Message { len }) => {
            assert!(len > 0 && len <= data.len());
            // A frame needs nothing after it, and no prefix of it is a frame.
            assert_eq!(framing::check(&data[..len]), Ok(Frame::Message { len }));
            for cut in [len / 2, len - 1] {
                if cut > 0 {
                    assert_eq!(framing::check(&data[..cut]), Ok(Frame::Incomplete), "cut at {cut} of {len}");
                }
            }
        }
        Ok(Frame::KeepAlive { len }) => {
            assert!(len > 0 && len <= data.len());
            assert!(data[..len].iter().all(|b| *b == b'\r' || *b == b'\n'));
        }
        Ok(Frame::Incomplete) | Err(_) => {}
    }
});
