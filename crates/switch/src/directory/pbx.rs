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
    }
}
