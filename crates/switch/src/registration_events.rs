//! `registration.up` and `registration.down` events from the registrar's
//! binding changes.
//!
//! The registrar reports every save, refreshes included, and names only
//! the AOR and contact of a removal. So this remembers what it announced
//! about each binding: a refresh from the same address stays quiet, a
//! phone that moved (new source address or transport) is announced again,
//! and a removal can say whose binding it was and whether it expired.

use std::collections::HashMap;
use std::net::SocketAddr;

use serde_json::{Value, json};
use voxide_events::{EventBus, EventKind};
use voxide_registrar::{Binding, BindingChange};
use voxide_sip::Transport;

/// What was last announced about one binding.
struct Announced {
    tenant_id: i64,
    extension_id: i64,
    source: SocketAddr,
    transport: Transport,
    expires_at: i64,
}

pub(crate) struct RegistrationEvents {
    /// By (AOR, contact), as the registrar keys bindings.
    announced: HashMap<(String, String), Announced>,
}

impl RegistrationEvents {
    /// Bindings restored at start-up were up before the restart: they are
    /// known, so their refreshes stay quiet and their expiry is announced.
    pub(crate) fn new(restored: &[Binding]) -> Self {
        let announced = restored.iter().map(|b| ((b.aor.clone(), b.contact.clone()), announced(b))).collect();
        Self { announced }
    }

    /// Publishes what `change` means to the binding's tenant, if anything.
    /// Returns the tenant and extension of a phone that came up (a new
    /// binding, or one that moved), which may want its lamp set.
    pub(crate) fn on_change(&mut self, bus: &EventBus, change: &BindingChange, unix_now: i64) -> Option<(i64, i64)> {
        match change {
            BindingChange::Saved(b) => {
                let before = self.announced.insert((b.aor.clone(), b.contact.clone()), announced(b));
                let moved = before.is_none_or(|a| a.source != b.source || a.transport != b.transport);
                if moved {
                    bus.publish(b.tenant_id, EventKind::RegistrationUp, None, up(b, unix_now));
                }
                moved.then_some((b.tenant_id, b.extension_id))
            }
            BindingChange::Removed { aor, contact } => {
                let a = self.announced.remove(&(aor.clone(), contact.clone()))?;
                let reason = if a.expires_at <= unix_now { "expired" } else { "unregistered" };
                let data = json!({
                    "extension": extension(aor),
                    "extension_id": a.extension_id,
                    "aor": aor,
                    "contact": contact,
                    "source": a.source.to_string(),
                    "transport": a.transport.as_str(),
                    "reason": reason,
                });
                bus.publish(a.tenant_id, EventKind::RegistrationDown, None, data);
                None
            }
        }
    }
}

fn announced(b: &Binding) -> Announced {
    Announced {
        tenant_id: b.tenant_id,
        extension_id: b.extension_id,
        source: b.source,
        transport: b.transport,
        expires_at: b.expires_at,
    }
}

fn up(b: &Binding, unix_now: i64) -> Value {
    json!({
        "extension": extension(&b.aor),
        "extension_id": b.extension_id,
        "aor": b.aor,
        "contact": b.contact,
        "expires": b.expires_at - unix_now,
        "source": b.source.to_string(),
        "transport": b.transport.as_str(),
        "user_agent": b.user_agent,
    })
}

/// The SIP username of an AOR (`sip:1001@voxide.local` → `1001`).
fn extension(aor: &str) -> &str {
    voxide_sip::values::uri_user(aor).unwrap_or(aor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(contact: &str, source: &str, expires_at: i64) -> Binding {
        Binding {
            tenant_id: 3,
            extension_id: 9,
            aor: "sip:1001@voxide.local".into(),
            contact: contact.into(),
            q: 1.0,
            call_id: "c".into(),
            cseq: 1,
            expires_at,
            source: source.parse().unwrap(),
            transport: Transport::Udp,
            user_agent: "phone".into(),
            path: Vec::new(),
        }
    }

    fn drain(sub: &mut voxide_events::Subscription) -> Vec<(EventKind, Value)> {
        std::iter::from_fn(|| sub.try_recv()).map(|e| (e.kind, e.data.clone())).collect()
    }

    #[test]
    fn new_binding_is_up_refresh_is_quiet_move_is_up_again() {
        let bus = EventBus::new(10);
        let mut sub = bus.subscribe(Some(3), None);
        let mut events = RegistrationEvents::new(&[]);
        let b = binding("sip:1001@10.0.0.5:5060", "192.0.2.1:5060", 1_000 + 600);
        events.on_change(&bus, &BindingChange::Saved(b.clone()), 1_000);
        let got = drain(&mut sub);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, EventKind::RegistrationUp);
        let data = &got[0].1;
        assert_eq!(data["extension"], "1001");
        assert_eq!(data["extension_id"], 9);
        assert_eq!(data["contact"], "sip:1001@10.0.0.5:5060");
        assert_eq!(data["source"], "192.0.2.1:5060");
        assert_eq!(data["transport"], "UDP");
        assert_eq!(data["expires"], 600);

        events.on_change(&bus, &BindingChange::Saved(binding(&b.contact, "192.0.2.1:5060", 1_900)), 1_300);
        assert!(drain(&mut sub).is_empty(), "a refresh is not news");

        events.on_change(&bus, &BindingChange::Saved(binding(&b.contact, "192.0.2.1:6000", 1_900)), 1_300);
        let got = drain(&mut sub);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1["source"], "192.0.2.1:6000");
    }

    #[test]
    fn removal_says_whether_the_binding_expired_or_was_unregistered() {
        let bus = EventBus::new(10);
        let mut sub = bus.subscribe(Some(3), None);
        // One binding restored at start-up, one registered since.
        let restored = binding("sip:1001@10.0.0.5:5060", "192.0.2.1:5060", 1_060);
        let mut events = RegistrationEvents::new(std::slice::from_ref(&restored));
        let fresh = binding("sip:1001@10.0.0.6:5060", "192.0.2.2:5060", 5_000);
        events.on_change(&bus, &BindingChange::Saved(fresh.clone()), 1_000);
        let removed = |b: &Binding| BindingChange::Removed { aor: b.aor.clone(), contact: b.contact.clone() };

        events.on_change(&bus, &removed(&restored), 1_060);
        events.on_change(&bus, &removed(&fresh), 1_100);
        // Removing what was never announced says nothing.
        events.on_change(&bus, &removed(&fresh), 1_100);

        let got = drain(&mut sub);
        let kinds: Vec<EventKind> = got.iter().map(|e| e.0).collect();
        assert_eq!(kinds, [EventKind::RegistrationUp, EventKind::RegistrationDown, EventKind::RegistrationDown]);
        assert_eq!(got[1].1["reason"], "expired");
        assert_eq!(got[1].1["source"], "192.0.2.1:5060");
        assert_eq!(got[2].1["reason"], "unregistered");
        assert_eq!(got[2].1["contact"], "sip:1001@10.0.0.6:5060");
        assert_eq!(got[2].1["extension"], "1001");
    }
}
