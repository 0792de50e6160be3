//! The location service: address-of-record → bound contacts (RFC 3261
//! §10.3). Pure data; expiry times are Unix seconds supplied by the caller.

use std::collections::HashMap;
use std::net::SocketAddr;

use voxide_sip::Transport;

/// One contact bound to an AOR.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub tenant_id: i64,
    pub extension_id: i64,
    pub aor: String,
    /// The Contact URI as the phone wrote it (without header parameters).
    pub contact: String,
    pub q: f32,
    pub call_id: String,
    pub cseq: u32,
    /// Unix seconds.
    pub expires_at: i64,
    /// Where the REGISTER came from: where a NAT'd phone is reachable.
    pub source: SocketAddr,
    pub transport: Transport,
    pub user_agent: String,
    /// RFC 3327 Path values, in order.
    pub path: Vec<String>,
}

/// A change to persist, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum BindingChange {
    Saved(Binding),
    Removed { aor: String, contact: String },
}

#[derive(Debug, Default)]
pub struct Location {
    by_aor: HashMap<String, Vec<Binding>>,
    /// Number of bindings, kept up to date so `len` is O(1): the driver
    /// reads it after every message for the bindings gauge.
    count: usize,
}

impl Location {
    /// Live bindings of `aor`, best `q` first.
    pub fn lookup(&self, aor: &str, unix_now: i64) -> Vec<&Binding> {
        let mut out: Vec<&Binding> =
            self.by_aor.get(aor).map(|v| v.iter().filter(|b| b.expires_at > unix_now).collect()).unwrap_or_default();
        out.sort_by(|a, b| b.q.total_cmp(&a.q));
        out
    }

    pub(crate) fn find(&self, aor: &str, contact: &str) -> Option<&Binding> {
        self.by_aor.get(aor)?.iter().find(|b| b.contact == contact)
    }

    pub(crate) fn all_of(&self, aor: &str) -> &[Binding] {
        self.by_aor.get(aor).map(Vec::as_slice).unwrap_or(&[])
    }

    pub(crate) fn save(&mut self, binding: Binding) {
        let list = self.by_aor.entry(binding.aor.clone()).or_default();
        match list.iter_mut().find(|b| b.contact == binding.contact) {
            Some(existing) => *existing = binding,
            None => {
                list.push(binding);
                self.count += 1;
            }
        }
    }

    pub(crate) fn remove(&mut self, aor: &str, contact: &str) -> bool {
        let Some(list) = self.by_aor.get_mut(aor) else { return false };
        let before = list.len();
        list.retain(|b| b.contact != contact);
        let removed = list.len() != before;
        self.count -= before - list.len();
        if list.is_empty() {
            self.by_aor.remove(aor);
        }
        removed
    }

    /// Removes every binding of `aor`; returns the removed contacts.
    pub fn remove_aor(&mut self, aor: &str) -> Vec<String> {
        let gone: Vec<String> =
            self.by_aor.remove(aor).map(|v| v.into_iter().map(|b| b.contact).collect()).unwrap_or_default();
        self.count -= gone.len();
        gone
    }

    /// Drops bindings that expired at or before `unix_now`.
    pub fn purge(&mut self, unix_now: i64) -> Vec<(String, String)> {
        let mut gone = Vec::new();
        self.by_aor.retain(|aor, list| {
            list.retain(|b| {
                let live = b.expires_at > unix_now;
                if !live {
                    gone.push((aor.clone(), b.contact.clone()));
                }
                live
            });
            !list.is_empty()
        });
        self.count -= gone.len();
        gone
    }

    /// Number of bindings.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.by_aor.is_empty()
    }

    /// Restores a binding loaded from the store.
    pub fn restore(&mut self, binding: Binding) {
        self.save(binding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(aor: &str, contact: &str, expires_at: i64) -> Binding {
        Binding {
            tenant_id: 1,
            extension_id: 1,
            aor: aor.into(),
            contact: contact.into(),
            q: 1.0,
            call_id: "c".into(),
            cseq: 1,
            expires_at,
            source: "192.0.2.1:5060".parse().unwrap(),
            transport: Transport::Udp,
            user_agent: String::new(),
            path: Vec::new(),
        }
    }

    #[test]
    fn len_follows_every_change() {
        let mut l = Location::default();
        l.save(binding("sip:a@d", "sip:a@1", 100));
        l.save(binding("sip:a@d", "sip:a@1", 200)); // a refresh, not a new one
        l.save(binding("sip:a@d", "sip:a@2", 100));
        l.restore(binding("sip:b@d", "sip:b@1", 300));
        assert_eq!(l.len(), 3);
        assert!(l.remove("sip:a@d", "sip:a@2") && !l.remove("sip:a@d", "sip:a@2"));
        assert_eq!(l.len(), 2);
        assert_eq!(l.purge(250).len(), 1);
        assert_eq!(l.len(), 1);
        assert_eq!(l.remove_aor("sip:b@d"), vec!["sip:b@1".to_string()]);
        assert_eq!((l.len(), l.is_empty()), (0, true));
    }
}
