//! RTP port pairs: RTP on an even port, RTCP on the odd one above it
//! (RFC 3550 §11). Released pairs go to the back of the queue so a port is
//! not reused while late packets of its last call may still arrive.

use std::collections::VecDeque;
use std::sync::Mutex;

#[derive(Debug)]
pub struct PortPool {
    free: Mutex<VecDeque<u16>>,
}

impl PortPool {
    pub fn new(low: u16, high: u16) -> Self {
        let first = low + (low % 2);
        let free = (first..high).step_by(2).collect();
        Self { free: Mutex::new(free) }
    }

    /// An even RTP port whose RTCP port is also in the range.
    pub fn take(&self) -> Option<u16> {
        self.lock().pop_front()
    }

    pub fn give_back(&self, port: u16) {
        self.lock().push_back(port);
    }

    pub fn available(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<u16>> {
        self.free.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_even_and_fit_the_range() {
        let pool = PortPool::new(20001, 20006);
        assert_eq!(pool.available(), 2); // 20002/3, 20004/5
        let a = pool.take().unwrap();
        let b = pool.take().unwrap();
        assert_eq!((a, b), (20002, 20004));
        assert!(pool.take().is_none());
        pool.give_back(a);
        assert_eq!(pool.take(), Some(a));
    }
}
