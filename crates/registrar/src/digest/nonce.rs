//! Nonce issuing, validation and replay tracking.
//!
//! A nonce is `hex(issued_ms || counter || HMAC-SHA256(secret, issued_ms ||
//! counter)[..16])`. Because it authenticates itself, a forged or tampered
//! nonce is recognised without a table lookup, and an expired one can still
//! be told apart from a forged one (so the caller can answer `stale=true`).
//!
//! Replay protection does need state: for every live nonce the manager keeps
//! the highest `nc` accepted so far. The table is bounded twice over: entries
//! are dropped once their nonce expires ([`NonceManager::purge`]), and when
//! the table is full the oldest entry is evicted. An evicted but otherwise
//! valid nonce is answered as stale, so the phone just retries with a fresh
//! one instead of being able to replay an `nc` we no longer remember.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use super::hmac_sha256;

/// Bytes of HMAC kept in a nonce; 128 bits is far beyond guessing range and
/// keeps the nonce at a phone-friendly 64 hex characters.
const MAC_LEN: usize = 16;
const PAYLOAD_LEN: usize = 16;
const NONCE_HEX_LEN: usize = (PAYLOAD_LEN + MAC_LEN) * 2;

/// Tunables for [`NonceManager`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceConfig {
    /// How long a nonce stays fresh after issue.
    pub lifetime: Duration,
    /// Maximum number of nonces tracked for replay protection.
    pub max_entries: usize,
}

impl Default for NonceConfig {
    fn default() -> Self {
        Self { lifetime: Duration::from_secs(300), max_entries: 65_536 }
    }
}

/// Handle to an authentic, unexpired nonce, returned by
/// [`NonceManager::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NonceId(u64);

/// Outcome of [`NonceManager::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceStatus {
    /// Issued by this manager and within its lifetime.
    Valid(NonceId),
    /// Issued by this manager but older than the lifetime.
    Expired,
    /// Not issued by this manager (malformed, tampered or foreign).
    Forged,
}

/// How a request uses a nonce, for replay accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceUse {
    /// `qop` present: the nonce may be reused with strictly increasing `nc`.
    Count(u32),
    /// No `qop` (RFC 2069 style): there is no counter to tell a retry from a
    /// replay, so the nonce is good for exactly one request.
    Single,
}

/// Outcome of the replay check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountCheck {
    /// The use is new; [`NonceManager::record_count`] has remembered it.
    Accepted,
    /// The `nc` is not above the last accepted one (or a single-use nonce
    /// was used again).
    Replayed,
    /// The nonce is no longer tracked (purged or evicted).
    Untracked,
}

/// Marks a nonce consumed by a [`NonceUse::Single`] request: no `nc` can
/// exceed it, so every later use of any kind counts as a replay.
const CONSUMED: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Entry {
    issued_ms: u64,
    last_nc: u32,
}

/// Issues and validates nonces and tracks `nc` values to stop replays.
pub struct NonceManager {
    secret: [u8; 32],
    epoch: Instant,
    config: NonceConfig,
    next_counter: u64,
    opaque: String,
    // Keyed by the issue counter, so iteration order is issue order and the
    // first entry is always the oldest one to evict.
    table: BTreeMap<u64, Entry>,
}

impl fmt::Debug for NonceManager {
    // Hand-written so the secret never ends up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceManager")
            .field("config", &self.config)
            .field("tracked", &self.table.len())
            .finish_non_exhaustive()
    }
}

impl NonceManager {
    /// Creates a manager with a fresh random secret. `now` anchors the
    /// timestamps embedded in nonces.
    pub fn new(config: NonceConfig, now: Instant) -> Self {
        Self::with_secret(rand::random(), config, now)
    }

    /// Creates a manager with a caller-chosen secret (deterministic tests,
    /// or a secret kept in configuration). Nonces embed times relative to
    /// `now`, so they are only meaningful to the instance that issued them.
    pub fn with_secret(secret: [u8; 32], config: NonceConfig, now: Instant) -> Self {
        let opaque = hex::encode(&hmac_sha256(&secret, &[b"voxide-digest-opaque"])[..MAC_LEN]);
        Self { secret, epoch: now, config, next_counter: 0, opaque, table: BTreeMap::new() }
    }

    /// The configuration in force.
    pub fn config(&self) -> NonceConfig {
        self.config
    }

    /// The `opaque` value sent in every challenge. It is derived from the
    /// secret so that a mismatch flags credentials aimed at another server.
    pub fn opaque(&self) -> &str {
        &self.opaque
    }

    /// Number of nonces currently tracked for replay protection.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when no nonce is tracked.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Issues a new nonce and starts tracking it.
    pub fn issue(&mut self, now: Instant) -> String {
        let cap = self.config.max_entries.max(1);
        if self.table.len() >= cap {
            self.purge(now);
            while self.table.len() >= cap {
                self.table.pop_first();
            }
        }
        let counter = self.next_counter;
        self.next_counter = self.next_counter.wrapping_add(1);
        let issued_ms = self.millis(now);
        let mut raw = [0u8; PAYLOAD_LEN + MAC_LEN];
        raw[..8].copy_from_slice(&issued_ms.to_be_bytes());
        raw[8..PAYLOAD_LEN].copy_from_slice(&counter.to_be_bytes());
        let mac = hmac_sha256(&self.secret, &[&raw[..PAYLOAD_LEN]]);
        raw[PAYLOAD_LEN..].copy_from_slice(&mac[..MAC_LEN]);
        self.table.insert(counter, Entry { issued_ms, last_nc: 0 });
        hex::encode(raw)
    }

    /// Checks authenticity and age of `nonce` without changing any state.
    pub fn check(&self, nonce: &str, now: Instant) -> NonceStatus {
        if nonce.len() != NONCE_HEX_LEN {
            return NonceStatus::Forged;
        }
        let Ok(raw) = hex::decode(nonce) else {
            return NonceStatus::Forged;
        };
        let (payload, mac) = raw.split_at(PAYLOAD_LEN);
        let expected = hmac_sha256(&self.secret, &[payload]);
        if !bool::from(expected[..MAC_LEN].ct_eq(mac)) {
            return NonceStatus::Forged;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&payload[..8]);
        let mut ctr = [0u8; 8];
        ctr.copy_from_slice(&payload[8..]);
        let issued_ms = u64::from_be_bytes(ts);
        if self.is_expired(issued_ms, now) {
            NonceStatus::Expired
        } else {
            NonceStatus::Valid(NonceId(u64::from_be_bytes(ctr)))
        }
    }

    /// Reports what [`NonceManager::record_count`] would answer, without
    /// recording anything.
    pub fn check_count(&self, id: NonceId, usage: NonceUse) -> CountCheck {
        match self.table.get(&id.0) {
            None => CountCheck::Untracked,
            Some(entry) if is_new_use(entry.last_nc, usage) => CountCheck::Accepted,
            Some(_) => CountCheck::Replayed,
        }
    }

    /// Checks `usage` against the last accepted use of the nonce and, if it
    /// is new, remembers it. Call only after the response has been verified,
    /// so a forger cannot burn counters and lock out the real client.
    pub fn record_count(&mut self, id: NonceId, usage: NonceUse) -> CountCheck {
        let Some(entry) = self.table.get_mut(&id.0) else {
            return CountCheck::Untracked;
        };
        if !is_new_use(entry.last_nc, usage) {
            return CountCheck::Replayed;
        }
        entry.last_nc = match usage {
            NonceUse::Count(nc) => nc,
            NonceUse::Single => CONSUMED,
        };
        CountCheck::Accepted
    }

    /// Forgets every nonce that has expired at `now`. Call periodically;
    /// [`NonceManager::issue`] also calls it when the table is full.
    pub fn purge(&mut self, now: Instant) {
        let now_ms = self.millis(now);
        let lifetime_ms = self.lifetime_ms();
        self.table.retain(|_, e| now_ms.saturating_sub(e.issued_ms) < lifetime_ms);
    }

    fn is_expired(&self, issued_ms: u64, now: Instant) -> bool {
        self.millis(now).saturating_sub(issued_ms) >= self.lifetime_ms()
    }

    fn lifetime_ms(&self) -> u64 {
        u64::try_from(self.config.lifetime.as_millis()).unwrap_or(u64::MAX)
    }

    fn millis(&self, now: Instant) -> u64 {
        // An instant before the epoch can only come from a caller mixing up
        // clocks; clamping keeps the arithmetic total instead of panicking.
        let elapsed = now.saturating_duration_since(self.epoch);
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
    }
}

fn is_new_use(last_nc: u32, usage: NonceUse) -> bool {
    match usage {
        NonceUse::Count(nc) => nc > last_nc,
        NonceUse::Single => last_nc == 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(now: Instant) -> NonceManager {
        NonceManager::with_secret([7; 32], NonceConfig::default(), now)
    }

    #[test]
    fn issued_nonce_is_valid_then_expires() {
        let t0 = Instant::now();
        let mut m = manager(t0);
        let n = m.issue(t0);
        assert_eq!(n.len(), NONCE_HEX_LEN);
        assert!(matches!(m.check(&n, t0), NonceStatus::Valid(_)));
        let late = t0 + Duration::from_secs(299);
        assert!(matches!(m.check(&n, late), NonceStatus::Valid(_)));
        let expired = t0 + Duration::from_secs(300);
        assert_eq!(m.check(&n, expired), NonceStatus::Expired);
    }

    #[test]
    fn counts_must_increase_and_single_use_is_single() {
        let t0 = Instant::now();
        let mut m = manager(t0);
        let n = m.issue(t0);
        let NonceStatus::Valid(id) = m.check(&n, t0) else {
            panic!("fresh nonce must be valid");
        };
        assert_eq!(m.record_count(id, NonceUse::Count(1)), CountCheck::Accepted);
        assert_eq!(m.check_count(id, NonceUse::Count(1)), CountCheck::Replayed);
        assert_eq!(m.record_count(id, NonceUse::Count(1)), CountCheck::Replayed);
        assert_eq!(m.record_count(id, NonceUse::Count(3)), CountCheck::Accepted);
        assert_eq!(m.record_count(id, NonceUse::Count(2)), CountCheck::Replayed);

        let n = m.issue(t0);
        let NonceStatus::Valid(single) = m.check(&n, t0) else {
            panic!("fresh nonce must be valid");
        };
        assert_eq!(m.record_count(single, NonceUse::Single), CountCheck::Accepted);
        assert_eq!(m.record_count(single, NonceUse::Single), CountCheck::Replayed);
        assert_eq!(m.record_count(single, NonceUse::Count(u32::MAX)), CountCheck::Replayed);
    }

    #[test]
    fn purge_and_cap_bound_the_table() {
        let t0 = Instant::now();
        let config = NonceConfig { lifetime: Duration::from_secs(10), max_entries: 3 };
        let mut m = NonceManager::with_secret([1; 32], config, t0);
        let first = m.issue(t0);
        for _ in 0..5 {
            m.issue(t0);
        }
        assert_eq!(m.len(), 3);
        // Evicted, but still authentic and young: the status stays valid and
        // the replay check reports it untracked.
        let NonceStatus::Valid(id) = m.check(&first, t0) else {
            panic!("evicted nonce is still authentic");
        };
        assert_eq!(m.check_count(id, NonceUse::Count(1)), CountCheck::Untracked);

        m.purge(t0 + Duration::from_secs(10));
        assert!(m.is_empty());
    }

    #[test]
    fn rejects_foreign_and_tampered_nonces() {
        let t0 = Instant::now();
        let mut m = manager(t0);
        let other = NonceManager::with_secret([8; 32], NonceConfig::default(), t0);
        let n = m.issue(t0);
        assert_eq!(other.check(&n, t0), NonceStatus::Forged);
        let mut tampered = n.into_bytes();
        tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(m.check(&tampered, t0), NonceStatus::Forged);
        assert_eq!(m.check("", t0), NonceStatus::Forged);
        assert_eq!(m.check(&"z".repeat(NONCE_HEX_LEN), t0), NonceStatus::Forged);
        assert_eq!(m.check(&"é".repeat(32), t0), NonceStatus::Forged);
    }

    #[test]
    fn debug_hides_the_secret() {
        let m = manager(Instant::now());
        let shown = format!("{m:?}");
        assert!(!shown.contains("secret"));
        assert!(!shown.contains("7, 7"));
    }
}
