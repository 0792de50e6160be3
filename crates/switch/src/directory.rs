//! The switch's in-memory view of the numbering plan: SIP credentials per
//! realm, extensions, and DID routes. The API keeps it in step with the
//! store, so an extension or DID created or deleted over REST takes effect
//! on the next REGISTER or INVITE without a store round trip.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use voxide_b2bua::routing::{DidRoute, Numbering};

mod pbx;

pub use voxide_registrar::Account;

#[derive(Default)]
struct Inner {
    /// realm (tenant domain) → tenant id.
    realms: HashMap<String, i64>,
    /// tenant id → realm.
    realm_of: HashMap<i64, String>,
    /// (realm, username) → account.
    accounts: HashMap<(String, String), Account>,
    /// extension id → (realm, username).
    extensions: HashMap<i64, (String, String)>,
    /// DID number → (tenant, did id, assigned extension id).
    dids: HashMap<String, (i64, i64, Option<i64>)>,
    /// DID id → the hosted menu it routes to.
    did_menus: HashMap<i64, i64>,
    /// Extensions and DIDs whose calls are recorded.
    recorded_extensions: std::collections::HashSet<i64>,
    recorded_dids: std::collections::HashSet<i64>,
    /// Extensions whose calls are transcribed live.
    transcribed_extensions: std::collections::HashSet<i64>,
    /// extension id → owning user id.
    owners: HashMap<i64, i64>,
    /// user id → numbers (digits) in their contacts.
    contacts: HashMap<i64, std::collections::HashSet<String>>,
    /// Extensions whose calls follow a plan (`pbx`).
    planned: std::collections::HashSet<i64>,
    /// (tenant, number) → hunt group id.
    hunts: HashMap<(i64, String), i64>,
    /// DID id → where its calls go.
    did_destinations: HashMap<i64, voxide_store::DestinationRef>,
    /// DID id → what is put before the caller's name and number.
    did_prefixes: HashMap<i64, (String, String)>,
    /// extension id → the caller id it shows on calls out (number, name).
    caller_ids: HashMap<i64, (String, String)>,
    /// Direct-address hash → extension id, and back (one hash each).
    direct: HashMap<String, i64>,
    direct_of: HashMap<i64, String>,
}

/// Shared, cheap to clone; reads never wait on the store.
#[derive(Clone, Default)]
pub struct Directory {
    inner: Arc<RwLock<Inner>>,
}

impl Directory {
    pub fn add_realm(&self, realm: &str, tenant_id: i64) {
        let mut inner = self.write();
        inner.realms.insert(realm.to_ascii_lowercase(), tenant_id);
        inner.realm_of.insert(tenant_id, realm.to_ascii_lowercase());
    }

    pub fn tenant_of_realm(&self, realm: &str) -> Option<i64> {
        self.read().realms.get(&realm.to_ascii_lowercase()).copied()
    }

    pub fn realm_of_tenant(&self, tenant_id: i64) -> Option<String> {
        self.read().realm_of.get(&tenant_id).cloned()
    }

    pub fn upsert(&self, realm: &str, username: &str, account: Account) {
        let mut inner = self.write();
        let realm = realm.to_ascii_lowercase();
        inner.extensions.insert(account.extension_id, (realm.clone(), username.to_string()));
        inner.accounts.insert((realm, username.to_string()), account);
    }

    /// Removes the account; returns it if it was there.
    pub fn remove(&self, realm: &str, username: &str) -> Option<Account> {
        let mut inner = self.write();
        let account = inner.accounts.remove(&(realm.to_ascii_lowercase(), username.to_string()))?;
        inner.extensions.remove(&account.extension_id);
        if let Some(hash) = inner.direct_of.remove(&account.extension_id) {
            inner.direct.remove(&hash);
        }
        Some(account)
    }

    /// Gives an extension its direct address `direct.<hash>` (`None`: takes
    /// it away). The hash it had before stops working at once.
    pub fn set_direct(&self, extension_id: i64, hash: Option<&str>) {
        let mut inner = self.write();
        if let Some(old) = inner.direct_of.remove(&extension_id) {
            inner.direct.remove(&old);
        }
        if let Some(hash) = hash {
            let hash = hash.to_ascii_lowercase();
            inner.direct.insert(hash.clone(), extension_id);
            inner.direct_of.insert(extension_id, hash);
        }
    }

    /// Removes whatever username `extension_id` had (used when it is renamed).
    pub fn remove_extension(&self, extension_id: i64) -> Vec<(String, String)> {
        let mut inner = self.write();
        let Some(key) = inner.extensions.remove(&extension_id) else { return Vec::new() };
        inner.accounts.remove(&key);
        vec![key]
    }

    pub fn lookup(&self, realm: &str, username: &str) -> Option<Account> {
        self.read().accounts.get(&(realm.to_ascii_lowercase(), username.to_string())).cloned()
    }

    /// (realm, username) of an extension.
    pub fn extension(&self, extension_id: i64) -> Option<(String, String)> {
        self.read().extensions.get(&extension_id).cloned()
    }

    pub fn set_did(&self, number: &str, tenant_id: i64, did_id: i64, extension_id: Option<i64>) {
        self.write().dids.insert(number.to_string(), (tenant_id, did_id, extension_id));
    }

    /// Routes a DID to a hosted menu (`None`: to its extension, if any).
    pub fn set_did_menu(&self, did_id: i64, ivr_id: Option<i64>) {
        let mut inner = self.write();
        match ivr_id {
            Some(ivr) => inner.did_menus.insert(did_id, ivr),
            None => inner.did_menus.remove(&did_id),
        };
    }

    /// Whether calls of an extension (or DID) are recorded.
    pub fn set_recording(&self, extension_id: Option<i64>, did_id: Option<i64>, on: bool) {
        let mut guard = self.write();
        let inner = &mut *guard;
        for (id, set) in [(extension_id, &mut inner.recorded_extensions), (did_id, &mut inner.recorded_dids)] {
            if let Some(id) = id {
                if on {
                    set.insert(id);
                } else {
                    set.remove(&id);
                }
            }
        }
    }

    pub fn records(&self, extension_id: Option<i64>, did_id: Option<i64>) -> bool {
        let inner = self.read();
        extension_id.is_some_and(|id| inner.recorded_extensions.contains(&id))
            || did_id.is_some_and(|id| inner.recorded_dids.contains(&id))
    }

    /// Whether calls of an extension are transcribed live.
    pub fn set_transcription(&self, extension_id: i64, on: bool) {
        let mut inner = self.write();
        if on {
            inner.transcribed_extensions.insert(extension_id);
        } else {
            inner.transcribed_extensions.remove(&extension_id);
        }
    }

    pub fn transcribes(&self, extension_id: Option<i64>) -> bool {
        extension_id.is_some_and(|id| self.read().transcribed_extensions.contains(&id))
    }

    pub fn remove_did(&self, number: &str) {
        self.write().dids.remove(number);
    }

    pub fn set_owner(&self, extension_id: i64, user_id: i64) {
        self.write().owners.insert(extension_id, user_id);
    }

    pub fn add_contact(&self, user_id: i64, number: &str) {
        self.write().contacts.entry(user_id).or_default().insert(comparable(number));
    }

    pub fn remove_contact(&self, user_id: i64, number: &str) {
        if let Some(set) = self.write().contacts.get_mut(&user_id) {
            set.remove(&comparable(number));
        }
    }

    /// Whether `number` is in the contacts of the user owning `extension_id`.
    pub fn in_contacts(&self, extension_id: i64, number: &str) -> bool {
        let inner = self.read();
        let Some(user) = inner.owners.get(&extension_id) else { return false };
        inner.contacts.get(user).is_some_and(|set| set.contains(&comparable(number)))
    }

    /// Number of known accounts.
    pub fn len(&self) -> usize {
        self.read().accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A poisoned lock only means a panic elsewhere mid-insert of a HashMap;
    // the map itself is still consistent, so keep serving.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl voxide_registrar::Accounts for Directory {
    fn knows_realm(&self, realm: &str) -> bool {
        self.tenant_of_realm(realm).is_some()
    }

    fn account(&self, realm: &str, username: &str) -> Option<Account> {
        self.lookup(realm, username)
    }
}

impl Numbering for Directory {
    fn extension_id(&self, tenant_id: i64, username: &str) -> Option<i64> {
        let inner = self.read();
        let realm = inner.realm_of.get(&tenant_id)?;
        inner.accounts.get(&(realm.clone(), username.to_string())).map(|a| a.extension_id)
    }

    fn did(&self, number: &str) -> Option<DidRoute> {
        let inner = self.read();
        let (tenant_id, did_id, ext) = *inner.dids.get(number)?;
        let extension = ext.and_then(|id| inner.extensions.get(&id).map(|(_, user)| (id, user.clone())));
        let ivr = inner.did_menus.get(&did_id).copied();
        Some(DidRoute { tenant_id, did_id, extension, ivr })
    }

    fn direct(&self, hash: &str) -> Option<(i64, i64, String)> {
        let inner = self.read();
        let extension_id = *inner.direct.get(&hash.to_ascii_lowercase())?;
        let (realm, username) = inner.extensions.get(&extension_id)?;
        let tenant_id = *inner.realms.get(realm)?;
        Some((tenant_id, extension_id, username.clone()))
    }
}

/// Numbers compare on their last ten digits, so `+1 786 555 0100`,
/// `17865550100` and `7865550100` are the same contact.
fn comparable(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let skip = digits.len().saturating_sub(10);
    digits[skip..].to_string()
}
