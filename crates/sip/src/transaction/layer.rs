//! The transaction layer: owns every live transaction, routes messages to
//! them by key, and funnels their output to the driver and the TU.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

use tracing::{debug, trace};

use super::client_invite::ClientInvite;
use super::client_non_invite::ClientNonInvite;
use super::machine::{Disposition, Transaction, TuEvent};
use super::message::{ensure_branch, status_of};
use super::server_invite::ServerInvite;
use super::server_non_invite::ServerNonInvite;
use super::{Incoming, TimerConfig, TransactionError, TransactionEvent, TransactionKey, TransactionState, Transmit};

/// All client and server transactions of one SIP element.
///
/// Sans-IO: the driver feeds received messages to
/// [`handle_incoming`](Self::handle_incoming), wakes it at
/// [`poll_timeout`](Self::poll_timeout) through
/// [`handle_timeout`](Self::handle_timeout), and after every call drains
/// [`poll_transmit`](Self::poll_transmit) (messages to put on the wire) and
/// [`poll_event`](Self::poll_event) (news for the TU). Terminated
/// transactions are dropped at once, announced by
/// [`TransactionEvent::Terminated`], so memory tracks live transactions.
#[derive(Debug, Default)]
pub struct TransactionLayer {
    config: TimerConfig,
    transactions: HashMap<TransactionKey, Entry>,
    /// Next deadline of every transaction that has one, ordered, so the
    /// earliest is found without scanning all transactions.
    timers: BTreeMap<(Instant, u64), TransactionKey>,
    next_id: u64,
    transmits: VecDeque<Transmit>,
    events: VecDeque<TransactionEvent>,
}

#[derive(Debug)]
struct Entry {
    /// Tie-breaker in `timers` for transactions sharing a deadline.
    id: u64,
    /// The deadline currently registered in `timers`.
    deadline: Option<Instant>,
    transaction: Transaction,
}

impl TransactionLayer {
    pub fn new(config: TimerConfig) -> Self {
        Self { config, ..Self::default() }
    }

    pub fn config(&self) -> &TimerConfig {
        &self.config
    }

    /// Routes a message received from the transport. `reliable` tells
    /// whether it came over a reliable transport (TCP, TLS, SCTP), which
    /// decides the timers of a server transaction it creates.
    pub fn handle_incoming(
        &mut self,
        now: Instant,
        message: rsip::SipMessage,
        reliable: bool,
    ) -> Result<Incoming, TransactionError> {
        match message {
            rsip::SipMessage::Response(response) => self.incoming_response(now, response),
            rsip::SipMessage::Request(request) => self.incoming_request(now, request, reliable),
        }
    }

    /// Starts a client transaction for `request` and queues its first
    /// transmission. A top Via without a branch gets a fresh one.
    pub fn send_request(
        &mut self,
        now: Instant,
        mut request: rsip::Request,
        reliable: bool,
    ) -> Result<TransactionKey, TransactionError> {
        if request.method == rsip::Method::Ack {
            return Err(TransactionError::AckIsNotATransaction);
        }
        ensure_branch(&mut request)?;
        let key = TransactionKey::for_outgoing_request(&request)?;
        if self.transactions.contains_key(&key) {
            return Err(TransactionError::DuplicateTransaction(key));
        }
        let transaction = if request.method == rsip::Method::Invite {
            Transaction::Ict(ClientInvite::new(now, request, reliable, self.config))
        } else {
            Transaction::Nict(ClientNonInvite::new(now, request, reliable, self.config))
        };
        self.insert(key.clone(), transaction);
        Ok(key)
    }

    /// Sends a response from the TU through the server transaction `key`.
    pub fn send_response(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        response: rsip::Response,
    ) -> Result<(), TransactionError> {
        let status = status_of(&response)?;
        let entry = self.transactions.get_mut(key).ok_or_else(|| TransactionError::UnknownTransaction(key.clone()))?;
        match &mut entry.transaction {
            Transaction::Ist(ist) => ist.send_response(now, status, response)?,
            Transaction::Nist(nist) => nist.send_response(now, status, response)?,
            Transaction::Ict(_) | Transaction::Nict(_) => {
                return Err(TransactionError::NotAServerTransaction(key.clone()));
            }
        }
        self.flush(key);
        Ok(())
    }

    /// Reports that the transport failed to deliver a message of `key`
    /// (§17.1.4, §17.2.4); the TU hears of it as
    /// [`TransactionEvent::TransportError`].
    pub fn handle_transport_error(&mut self, key: &TransactionKey) -> Result<(), TransactionError> {
        let entry = self.transactions.get_mut(key).ok_or_else(|| TransactionError::UnknownTransaction(key.clone()))?;
        entry.transaction.handle_transport_error();
        self.flush(key);
        Ok(())
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            if let Some(entry) = self.transactions.get_mut(&key) {
                entry.deadline = None;
                entry.transaction.handle_timeout(now);
                self.flush(&key);
            }
        }
    }

    /// Earliest instant at which [`handle_timeout`](Self::handle_timeout)
    /// has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first_key_value().map(|((at, _), _)| *at)
    }

    /// Next message to put on the wire.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next notification for the TU.
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.events.pop_front()
    }

    /// Whether notifications are waiting.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// State of a live transaction; `None` once it has been removed.
    pub fn state(&self, key: &TransactionKey) -> Option<TransactionState> {
        self.transactions.get(key).map(|entry| entry.transaction.state())
    }

    /// Number of live transactions.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    fn incoming_response(&mut self, now: Instant, response: rsip::Response) -> Result<Incoming, TransactionError> {
        status_of(&response)?;
        let key = TransactionKey::for_incoming_response(&response)?;
        let Some(entry) = self.transactions.get_mut(&key) else {
            // §18.1.2: unmatched responses go to the core, which needs
            // them for 2xx retransmissions that outlived the transaction.
            debug!(%key, "response matches no transaction");
            return Ok(Incoming::Stray(response.into()));
        };
        let disposition = match &mut entry.transaction {
            Transaction::Ict(ict) => ict.handle_response(now, response),
            Transaction::Nict(nict) => nict.handle_response(now, response),
            // Unreachable by construction: server keys are a different
            // variant. Handing it over beats dropping it silently.
            Transaction::Ist(_) | Transaction::Nist(_) => {
                return Ok(Incoming::Stray(response.into()));
            }
        };
        self.flush(&key);
        Ok(match disposition {
            Disposition::Delivered => Incoming::Response { key },
            Disposition::Absorbed => Incoming::Absorbed { key },
        })
    }

    fn incoming_request(
        &mut self,
        now: Instant,
        request: rsip::Request,
        reliable: bool,
    ) -> Result<Incoming, TransactionError> {
        let key = TransactionKey::for_incoming_request(&request)?;
        if let Some(entry) = self.transactions.get_mut(&key) {
            let disposition = match &mut entry.transaction {
                Transaction::Ist(ist) => ist.handle_request(now, request),
                Transaction::Nist(nist) => nist.handle_request(),
                Transaction::Ict(_) | Transaction::Nict(_) => {
                    return Ok(Incoming::Stray(request.into()));
                }
            };
            self.flush(&key);
            return Ok(match disposition {
                Disposition::Delivered => Incoming::Ack { key },
                Disposition::Absorbed => Incoming::Absorbed { key },
            });
        }
        if request.method == rsip::Method::Ack {
            // ACK for a 2xx whose transaction has ended, or for a 2xx sent
            // by a stateless core: the dialog layer owns it.
            debug!(%key, "ACK matches no transaction");
            return Ok(Incoming::Stray(request.into()));
        }
        let transaction = if request.method == rsip::Method::Invite {
            Transaction::Ist(ServerInvite::new(now, request.clone(), reliable, self.config))
        } else {
            Transaction::Nist(ServerNonInvite::new(now, reliable, self.config))
        };
        self.events.push_back(TransactionEvent::Request { key: key.clone(), request });
        self.insert(key.clone(), transaction);
        Ok(Incoming::Request { key })
    }

    fn insert(&mut self, key: TransactionKey, transaction: Transaction) {
        trace!(%key, "transaction created");
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.transactions.insert(key.clone(), Entry { id, deadline: None, transaction });
        self.flush(&key);
    }

    /// Moves a transaction's output to the layer queues, re-registers its
    /// deadline and drops it if it has terminated.
    fn flush(&mut self, key: &TransactionKey) {
        let Some(entry) = self.transactions.get_mut(key) else {
            return;
        };
        let outbox = entry.transaction.outbox();
        for message in outbox.transmits.drain(..) {
            self.transmits.push_back(Transmit { key: key.clone(), message });
        }
        for event in outbox.events.drain(..) {
            let key = key.clone();
            self.events.push_back(match event {
                TuEvent::Response(response) => TransactionEvent::Response { key, response },
                TuEvent::Ack(request) => TransactionEvent::Ack { key, request },
                TuEvent::Timeout => TransactionEvent::Timeout { key },
                TuEvent::TransportError => TransactionEvent::TransportError { key },
            });
        }
        let deadline = entry.transaction.poll_timeout();
        if deadline != entry.deadline {
            if let Some(old) = entry.deadline {
                self.timers.remove(&(old, entry.id));
            }
            if let Some(new) = deadline {
                self.timers.insert((new, entry.id), key.clone());
            }
            entry.deadline = deadline;
        }
        if entry.transaction.is_terminated() {
            if let Some(old) = entry.deadline {
                self.timers.remove(&(old, entry.id));
            }
            self.transactions.remove(key);
            trace!(%key, "transaction terminated");
            self.events.push_back(TransactionEvent::Terminated { key: key.clone() });
        }
    }
}
