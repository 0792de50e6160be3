//! RTP, sans-IO: what the streams carry ([`profile`]), the sending side
//! ([`send`]), the receiving side's accounting ([`book`]) and [`Media`],
//! which ties a stream's two ends together by id.

pub mod book;
pub mod profile;
pub mod send;

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

pub use book::{Dtmf, Loss, RtpBook};
pub use profile::{Direction, Profile, Source};
pub use send::{PHASES, RtpSender, dtmf_secs};

/// Our RTP streams. The receiving tasks share the book.
pub struct Media {
    pub sender: RtpSender,
    pub book: Rc<RefCell<RtpBook>>,
    /// Stopped streams not yet finished: their sent counts.
    stopped: HashMap<u32, u64>,
    next_id: u32,
    enabled: bool,
}

impl Media {
    /// With `enabled` false no stream is ever opened (signalling only).
    pub fn new(enabled: bool, profile: Arc<Profile>) -> Self {
        Self {
            sender: RtpSender::new(profile),
            book: Rc::new(RefCell::new(RtpBook::default())),
            stopped: HashMap::new(),
            next_id: 1,
            enabled,
        }
    }

    /// Opens a stream from our socket `sock` to `remote`, sending `digits`
    /// after the given seconds; returns its id.
    pub fn open(&mut self, sock: usize, remote: Option<SocketAddr>, digits: Option<(&str, f64)>) -> Option<u32> {
        let remote = remote.filter(|_| self.enabled)?;
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let keys: String = digits.map_or(String::new(), |(d, _)| {
            d.chars().filter(|c| voxide_media::dtmf::digit_to_event(*c).is_some()).collect()
        });
        self.book.borrow_mut().expect(id, &keys);
        self.sender.open(id, sock, remote, digits);
        Some(id)
    }

    /// Holds or resumes what we send on stream `id`.
    pub fn pause(&mut self, id: u32, paused: bool) {
        self.sender.pause(id, paused);
    }

    pub fn dtmf(&self) -> Dtmf {
        self.book.borrow().totals.dtmf
    }

    /// Stops sending on stream `id`; its packets in flight still count.
    pub fn stop(&mut self, id: u32) {
        if let Some(sent) = self.sender.stop(id) {
            self.stopped.insert(id, sent);
        }
    }

    /// Stops stream `id` if needed and books its loss and jitter.
    pub fn finish(&mut self, id: u32) {
        self.stop(id);
        if let Some(sent) = self.stopped.remove(&id) {
            self.book.borrow_mut().finish(id, sent);
        }
    }

    pub fn loss(&self) -> Loss {
        self.book.borrow().loss()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_booked_once_when_finished() {
        let mut media = Media::new(true, Arc::default());
        let id = media.open(0, Some("127.0.0.1:9".parse().unwrap()), None).unwrap();
        let mut pkts = Vec::new();
        for phase in 0..PHASES {
            media.sender.tick(phase, 0, |_, _, p| {
                pkts.push(p.to_vec());
                true
            });
        }
        media.stop(id);
        media.book.borrow_mut().on_packet(&pkts[0], 1_000);
        media.finish(id);
        media.finish(id);
        let loss = media.loss();
        assert_eq!((loss.streams, loss.sent, loss.received, loss.lost), (1, 1, 1, 0));
        assert_eq!(Media::new(false, Arc::default()).open(0, Some("127.0.0.1:9".parse().unwrap()), None), None);
        assert_eq!(media.open(0, None, None), None);
    }
}
