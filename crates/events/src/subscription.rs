//! A reader of the bus: first what it asked to replay, then live events,
//! with every seq of its tenants either delivered once or reported lost in
//! a `gap` event.
//!
//! It keeps, per tenant, the last seq it has accounted for (its cursor).
//! A live event at or below the cursor was already replayed and is
//! skipped; one further ahead than the next seq means the channel dropped
//! some for this reader, and those are read back from the tenant's buffer,
//! or reported as a gap when the buffer no longer holds them either.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::bus::{Shared, gap};
use crate::event::Event;

/// Returned by [`crate::EventBus::subscribe`]; owns its place in the stream.
pub struct Subscription {
    shared: Arc<Shared>,
    live: Receiver<Arc<Event>>,
    /// `None`: every tenant.
    tenant: Option<i64>,
    /// Last seq delivered or reported lost, per tenant. Tenants with no
    /// entry had published nothing when the subscription began.
    cursors: HashMap<i64, u64>,
    /// Ready to hand out, in order.
    pending: VecDeque<Arc<Event>>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("tenant", &self.tenant).field("pending", &self.pending.len()).finish()
    }
}

impl Subscription {
    pub(crate) fn new(
        shared: Arc<Shared>,
        live: Receiver<Arc<Event>>,
        tenant: Option<i64>,
        cursors: HashMap<i64, u64>,
        backlog: Vec<Arc<Event>>,
    ) -> Self {
        Self { shared, live, tenant, cursors, pending: backlog.into() }
    }

    /// The tenant this subscription follows (`None`: every tenant).
    pub fn tenant(&self) -> Option<i64> {
        self.tenant
    }

    /// The next event, waiting for one if need be. `None` once every
    /// [`crate::EventBus`] handle is gone. Cancel-safe, so it can sit in a
    /// `select!` beside the client's socket: nothing is consumed until it
    /// returns.
    pub async fn recv(&mut self) -> Option<Arc<Event>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            match self.live.recv().await {
                Ok(event) => self.accept(event),
                Err(RecvError::Lagged(_)) => self.catch_up(),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The next event if one is ready, without waiting.
    pub fn try_recv(&mut self) -> Option<Arc<Event>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            match self.live.try_recv() {
                Ok(event) => self.accept(event),
                Err(TryRecvError::Lagged(_)) => self.catch_up(),
                Err(TryRecvError::Empty | TryRecvError::Closed) => return None,
            }
        }
    }

    fn follows(&self, tenant_id: i64) -> bool {
        self.tenant.is_none_or(|t| t == tenant_id)
    }

    fn accept(&mut self, event: Arc<Event>) {
        if !self.follows(event.tenant_id) {
            return;
        }
        let cursor = self.cursors.get(&event.tenant_id).copied().unwrap_or(0);
        if event.seq <= cursor {
            return; // replayed from the buffer already
        }
        if event.seq > cursor + 1 {
            // The channel only drops events after reporting a lag, so this
            // does not happen; if it ever does, the buffer still answers.
            self.read_back(Some(event.tenant_id));
        }
        let cursor = self.cursors.entry(event.tenant_id).or_insert(0);
        if event.seq > *cursor {
            *cursor = event.seq;
            self.pending.push_back(event);
        }
    }

    /// The channel dropped events for this reader: take every followed
    /// tenant's events after its cursor from the buffers instead. Live
    /// events that follow and were read here are skipped by their seq.
    fn catch_up(&mut self) {
        self.read_back(self.tenant);
    }

    /// Moves `only`'s (or every tenant's) events after their cursors from
    /// the buffers to `pending`: gaps first, then events in publish order.
    fn read_back(&mut self, only: Option<i64>) {
        let mut gaps = Vec::new();
        let mut found = Vec::new();
        {
            let state = self.shared.lock();
            let rings: Vec<_> = match only {
                Some(t) => state.tenants.get_key_value(&t).into_iter().collect(),
                None => state.tenants.iter().collect(),
            };
            for (&t, ring) in rings {
                let cursor = self.cursors.entry(t).or_insert(0);
                let missed = ring.after(*cursor);
                if let Some((from, to)) = missed.lost {
                    gaps.push(Arc::new(gap(t, from, to)));
                }
                found.extend(missed.held.into_iter().cloned());
                *cursor = ring.last_seq;
            }
        }
        found.sort_by_key(|(order, _)| *order);
        self.pending.extend(gaps);
        self.pending.extend(found.into_iter().map(|(_, e)| e));
    }
}
