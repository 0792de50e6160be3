//! The numbering plan's PBX part: extensions whose calls follow a plan
//! (forwards, do-not-disturb, follow-me, voicemail), hunt-group numbers,
//! and DIDs routed to a destination. Kept in step by the API like the rest.

use voxide_store::DestinationRef;

use super::Directory;

impl Directory {
    /// Whether calls to an extension follow a plan rather than just ringing it.
    pub fn set_planned(&self, extension_id: i64, planned: bool) {
        let mut inner = self.write();
        if planned {
            inner.planned.insert(extension_id);
        } else {
            inner.planned.remove(&extension_id);
        }
    }

    pub fn planned(&self, extension_id: i64) -> bool {
        self.read().planned.contains(&extension_id)
    }

    /// A hunt group's number in its tenant (`None`: the group is gone).
    pub fn set_hunt(&self, tenant_id: i64, hunt_id: i64, number: Option<&str>) {
        let mut inner = self.write();
        inner.hunts.retain(|_, id| *id != hunt_id);
        if let Some(number) = number {
            inner.hunts.insert((tenant_id, number.to_string()), hunt_id);
        }
    }

    /// The hunt group a tenant's phones reach by dialling `number`.
    pub fn hunt(&self, tenant_id: i64, number: &str) -> Option<i64> {
        self.read().hunts.get(&(tenant_id, number.to_string())).copied()
    }

    /// Where a DID's calls go instead of its extension or menu.
    pub fn set_did_destination(&self, did_id: i64, destination: Option<DestinationRef>) {
        let mut inner = self.write();
        match destination {
            Some(d) => inner.did_destinations.insert(did_id, d),
            None => inner.did_destinations.remove(&did_id),
        };
    }

    pub fn did_destination(&self, did_id: i64) -> Option<DestinationRef> {
        self.read().did_destinations.get(&did_id).cloned()
    }

    /// What a DID puts before the caller's name and number (both empty: nothing).
    pub fn set_did_prefixes(&self, did_id: i64, name: &str, number: &str) {
        let mut inner = self.write();
        if name.is_empty() && number.is_empty() {
            inner.did_prefixes.remove(&did_id);
        } else {
            inner.did_prefixes.insert(did_id, (name.to_string(), number.to_string()));
        }
    }

    pub fn did_prefixes(&self, did_id: i64) -> Option<(String, String)> {
        self.read().did_prefixes.get(&did_id).cloned()
    }

    /// The caller id an extension shows on calls out (an empty number: its own).
    pub fn set_caller_id(&self, extension_id: i64, number: &str, name: &str) {
        let mut inner = self.write();
        if number.is_empty() {
            inner.caller_ids.remove(&extension_id);
        } else {
            inner.caller_ids.insert(extension_id, (number.to_string(), name.to_string()));
        }
    }

    pub fn caller_id(&self, extension_id: i64) -> Option<(String, String)> {
        self.read().caller_ids.get(&extension_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_hunts_and_did_destinations_are_kept_and_replaced() {
        let d = Directory::default();
        d.set_planned(5, true);
        assert!(d.planned(5) && !d.planned(6));
        d.set_planned(5, false);
        assert!(!d.planned(5));
        d.set_hunt(1, 9, Some("600"));
        assert_eq!((d.hunt(1, "600"), d.hunt(2, "600")), (Some(9), None));
        d.set_hunt(1, 9, Some("601"));
        assert_eq!((d.hunt(1, "600"), d.hunt(1, "601")), (None, Some(9)), "a renumbered group moves");
        d.set_hunt(1, 9, None);
        assert_eq!(d.hunt(1, "601"), None);
        d.set_did_destination(3, Some(DestinationRef::Hunt(9)));
        assert_eq!(d.did_destination(3), Some(DestinationRef::Hunt(9)));
        d.set_did_destination(3, None);
        assert_eq!(d.did_destination(3), None);
        d.set_did_prefixes(3, "Sales: ", "");
        assert_eq!(d.did_prefixes(3), Some(("Sales: ".into(), String::new())));
        d.set_did_prefixes(3, "", "");
        assert_eq!(d.did_prefixes(3), None);
        d.set_caller_id(5, "3055550100", "Acme");
        assert_eq!(d.caller_id(5), Some(("3055550100".into(), "Acme".into())));
        d.set_caller_id(5, "", "Acme");
        assert_eq!(d.caller_id(5), None);
    }
}
