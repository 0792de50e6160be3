//! Where a message goes, decided from its row when it is delivered, so a
//! message queued before a restart is routed by the same rules after it:
//!
//! 1. `sms_to` is an extension of the message's tenant → its phones;
//! 2. `sms_to` is one of our DID numbers → the extension it is assigned
//!    to (in the DID's tenant); a DID assigned to no extension is the end
//!    of the road for an inbound message (the tenant's inbound callback
//!    has it) and an error for an outgoing one;
//! 3. anything else is an outside number → the carrier, from the sender's
//!    DID: `sms_from` itself when it is one of the tenant's numbers, else
//!    the number assigned to the sending extension, else the tenant's
//!    first number.

use voxide_providers::normalize_number;
use voxide_store::{SmsDirection, SmsRow, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// SIP MESSAGE to the phones of `extension` (a SIP username).
    Phones { tenant_id: i64, extension: String },
    /// The carrier, sent from `from` (one of our DIDs).
    Carrier { from: String },
    /// Nothing more to do: it reached the tenant.
    Tenant,
    /// It cannot go anywhere; why.
    Nowhere(String),
}

pub(crate) async fn route(store: &Store, m: &SmsRow) -> Result<Route, StoreError> {
    if store.extension_by_username(m.tenant_id, &m.sms_to).await?.is_some() {
        return Ok(Route::Phones { tenant_id: m.tenant_id, extension: m.sms_to.clone() });
    }
    let number = did_form(&m.sms_to);
    if let Some(did) = store.did_by_number(&number).await? {
        let extension = match did.extension_id {
            Some(id) => store.extension_by_id(Some(did.tenant_id), id).await?,
            None => None,
        };
        return Ok(match (extension, m.direction) {
            (Some(e), _) => Route::Phones { tenant_id: e.tenant_id, extension: e.sip_username },
            (None, SmsDirection::In) => Route::Tenant,
            (None, SmsDirection::Out) => Route::Nowhere(format!("number {number} is assigned to no extension")),
        });
    }
    Ok(match sender_number(store, m.tenant_id, &m.sms_from).await? {
        Some(from) => Route::Carrier { from },
        None => Route::Nowhere("the tenant has no DID number to send from".into()),
    })
}

/// The DID number a text from `sender` (a DID, an extension, or neither)
/// leaves from, within `tenant_id`.
pub(crate) async fn sender_number(store: &Store, tenant_id: i64, sender: &str) -> Result<Option<String>, StoreError> {
    let dids = store.dids(Some(tenant_id)).await?;
    let as_did = did_form(sender);
    if let Some(d) = dids.iter().find(|d| d.phonenumber == as_did) {
        return Ok(Some(d.phonenumber.clone()));
    }
    if let Some(ext) = store.extension_by_username(tenant_id, sender).await?
        && let Some(d) = dids.iter().find(|d| d.extension_id == Some(ext.id))
    {
        return Ok(Some(d.phonenumber.clone()));
    }
    Ok(dids.first().map(|d| d.phonenumber.clone()))
}

/// A number as DIDs are stored: 11-digit NANP when it is one, else as given.
pub(crate) fn did_form(number: &str) -> String {
    normalize_number(number).unwrap_or_else(|_| number.to_string())
}
