//! RTP, sans-IO: the sending side ([`send`]), the receiving side's
//! accounting ([`book`]) and [`Media`], which ties a stream's two ends
//! together by id.

pub mod book;
pub mod send;

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;

pub use book::{Loss, RtpBook};
pub use send::{PHASES, RtpSender};

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
    pub fn new(enabled: bool) -> Self {
        Self {
            sender: RtpSender::default(),
            book: Rc::new(RefCell::new(RtpBook::default())),
            stopped: HashMap::new(),
            next_id: 1,
            enabled,
        }
    }

    /// Opens a stream from our socket `sock` to `remote`; returns its id.
    pub fn open(&mut self, sock: usize, remote: Option<SocketAddr>) -> Option<u32> {
        let remote = remote.filter(|_| self.enabled)?;
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.book.borrow_mut().expect(id);
        self.sender.open(id, sock, remote);
        Some(id)
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
        let mut media = Media::new(true);
        let id = media.open(0, Some("127.0.0.1:9".parse().unwrap())).unwrap();
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
        assert_eq!(Media::new(false).open(0, Some("127.0.0.1:9".parse().unwrap())), None);
        assert_eq!(media.open(0, None), None);
    }
}
