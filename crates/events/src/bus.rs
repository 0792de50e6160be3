//! The bus: each tenant's sequence numbers and bounded replay buffer, and
//! one broadcast channel that carries every event to live subscribers.
//!
//! Publishing takes one short lock (assign the seq, append to the buffer,
//! hand the event to the channel) and never waits for a reader: a reader
//! that falls behind loses its place in the channel, not the publisher's
//! time, and reads what it missed back from the buffer (see
//! [`Subscription`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tokio::sync::broadcast;

use crate::event::{Event, EventKind};
use crate::subscription::Subscription;

/// Events kept per tenant when nothing else is said (`[events] buffer`).
pub const DEFAULT_BUFFER: usize = 1000;

/// The handle publishers and subscribers share; cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    shared: Arc<Shared>,
    live: broadcast::Sender<Arc<Event>>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    capacity: usize,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) tenants: HashMap<i64, Ring>,
    /// Publish order across tenants, so events read back from several
    /// buffers can be merged in the order they happened.
    order: u64,
}

/// One tenant's recent events, oldest first, with their publish order.
#[derive(Default)]
pub(crate) struct Ring {
    pub(crate) last_seq: u64,
    events: VecDeque<(u64, Arc<Event>)>,
}

/// What a reader that has accounted for every seq up to some cursor is
/// owed by a buffer.
pub(crate) struct Missed<'a> {
    /// Seqs after the cursor that the buffer no longer holds.
    pub(crate) lost: Option<(u64, u64)>,
    /// Held events after the cursor, with their publish order.
    pub(crate) held: Vec<&'a (u64, Arc<Event>)>,
}

impl Ring {
    fn first_seq(&self) -> u64 {
        self.events.front().map_or(self.last_seq + 1, |(_, e)| e.seq)
    }

    pub(crate) fn after(&self, cursor: u64) -> Missed<'_> {
        let first = self.first_seq();
        let lost = (cursor + 1 < first && cursor < self.last_seq).then(|| (cursor + 1, first - 1));
        let skip = usize::try_from((cursor + 1).saturating_sub(first)).unwrap_or(usize::MAX);
        Missed { lost, held: self.events.iter().skip(skip).collect() }
    }
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("buffer_per_tenant", &self.shared.capacity)
            .field("subscribers", &self.live.receiver_count())
            .finish()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(DEFAULT_BUFFER)
    }
}

impl EventBus {
    /// A bus that keeps the last `buffer_per_tenant` events of each tenant
    /// for replay (at least one), and lets a live subscriber fall as many
    /// events behind (at least 64) before it must read back from the buffers.
    pub fn new(buffer_per_tenant: usize) -> Self {
        Self::with_live_queue(buffer_per_tenant, buffer_per_tenant.max(64))
    }

    /// As [`EventBus::new`], with the live queue's length chosen apart from
    /// the buffers' (it is shared by every tenant's events).
    pub fn with_live_queue(buffer_per_tenant: usize, live_queue: usize) -> Self {
        let (live, _) = broadcast::channel(live_queue.max(1));
        let shared = Shared { state: Mutex::new(State::default()), capacity: buffer_per_tenant.max(1) };
        Self { shared: Arc::new(shared), live }
    }

    /// Events kept per tenant.
    pub fn buffer_per_tenant(&self) -> usize {
        self.shared.capacity
    }

    /// Gives the event the tenant's next sequence number (from 1), keeps it
    /// for replay (dropping the tenant's oldest when full) and hands it to
    /// live subscribers. Never waits for a subscriber. Returns the seq.
    pub fn publish(&self, tenant_id: i64, kind: EventKind, call_uuid: Option<String>, data: Value) -> u64 {
        let mut state = self.shared.lock();
        state.order += 1;
        let order = state.order;
        let ring = state.tenants.entry(tenant_id).or_default();
        ring.last_seq += 1;
        let event = Arc::new(Event { seq: ring.last_seq, tenant_id, at: now_rfc3339(), kind, call_uuid, data });
        if ring.events.len() == self.shared.capacity {
            ring.events.pop_front();
        }
        ring.events.push_back((order, event.clone()));
        // Sent under the lock so the channel holds each tenant's events in
        // seq order, and a subscriber created under the same lock sees
        // exactly the events published after its snapshot. No receivers is
        // not an error.
        let _ = self.live.send(event);
        ring.last_seq
    }

    /// The last seq given to `tenant_id` (0 before its first event).
    pub fn last_seq(&self, tenant_id: i64) -> u64 {
        self.shared.lock().tenants.get(&tenant_id).map_or(0, |r| r.last_seq)
    }

    /// Events of `tenant` (`None`: every tenant) from now on, after those
    /// already buffered with a seq above `since`.
    ///
    /// `since` needs a tenant: seqs are per tenant, so one number cannot say
    /// where a reader of every tenant stopped; with `tenant = None` it is
    /// ignored and the subscription starts live. A `since` above the
    /// tenant's last seq was handed out before the switch restarted (seqs
    /// live in memory and start again at 1), so the whole buffer is replayed.
    /// When events after `since` have already left the buffer, a `gap`
    /// event for them comes first.
    pub fn subscribe(&self, tenant: Option<i64>, since: Option<u64>) -> Subscription {
        let state = self.shared.lock();
        let live = self.live.subscribe();
        let mut cursors = HashMap::new();
        let mut backlog = Vec::new();
        match tenant {
            Some(t) => {
                let last = state.tenants.get(&t).map_or(0, |r| r.last_seq);
                let start = match since {
                    None => last,
                    Some(s) if s > last => 0,
                    Some(s) => s,
                };
                if let Some(ring) = state.tenants.get(&t) {
                    let missed = ring.after(start);
                    if let Some((from, to)) = missed.lost {
                        backlog.push(Arc::new(gap(t, from, to)));
                    }
                    backlog.extend(missed.held.into_iter().map(|(_, e)| e.clone()));
                }
                cursors.insert(t, last);
            }
            None => cursors.extend(state.tenants.iter().map(|(t, r)| (*t, r.last_seq))),
        }
        drop(state);
        Subscription::new(self.shared.clone(), live, tenant, cursors, backlog)
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave a ring half-written: every change
        // to it is a single push or pop.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `gap` event telling a tenant's reader that `from..=to` are lost.
pub(crate) fn gap(tenant_id: i64, from: u64, to: u64) -> Event {
    Event {
        seq: to,
        tenant_id,
        at: now_rfc3339(),
        kind: EventKind::Gap,
        call_uuid: None,
        data: serde_json::json!({ "from": from, "to": to }),
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
