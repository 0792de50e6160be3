//! The switch's in-memory view of who may register: SIP credentials per
//! realm, kept in step with the store by the API (an extension created or
//! deleted over REST takes effect on the next REGISTER).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use voxide_registrar::Account;

#[derive(Default)]
struct Inner {
    /// realm (tenant domain) → tenant id.
    realms: HashMap<String, i64>,
    /// (realm, username) → account.
    accounts: HashMap<(String, String), Account>,
}

/// Shared, cheap to clone; reads never wait on the store.
#[derive(Clone, Default)]
pub struct Directory {
    inner: Arc<RwLock<Inner>>,
}

impl Directory {
    pub fn add_realm(&self, realm: &str, tenant_id: i64) {
        self.write().realms.insert(realm.to_ascii_lowercase(), tenant_id);
    }

    pub fn tenant_of_realm(&self, realm: &str) -> Option<i64> {
        self.read().realms.get(&realm.to_ascii_lowercase()).copied()
    }

    pub fn upsert(&self, realm: &str, username: &str, account: Account) {
        self.write().accounts.insert((realm.to_ascii_lowercase(), username.to_string()), account);
    }

    /// Removes the account; returns it if it was there.
    pub fn remove(&self, realm: &str, username: &str) -> Option<Account> {
        self.write().accounts.remove(&(realm.to_ascii_lowercase(), username.to_string()))
    }

    /// Removes whatever username `extension_id` had (used when it is renamed).
    pub fn remove_extension(&self, extension_id: i64) -> Vec<(String, String)> {
        let mut inner = self.write();
        let keys: Vec<_> =
            inner.accounts.iter().filter(|(_, a)| a.extension_id == extension_id).map(|(k, _)| k.clone()).collect();
        for k in &keys {
            inner.accounts.remove(k);
        }
        keys
    }

    pub fn lookup(&self, realm: &str, username: &str) -> Option<Account> {
        self.read().accounts.get(&(realm.to_ascii_lowercase(), username.to_string())).cloned()
    }

    /// Number of known accounts.
    pub fn len(&self) -> usize {
        self.read().accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A poisoned lock only means a panic elsewhere mid-write of a HashMap
    // insert/remove; the map itself is still consistent, so keep serving.
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
