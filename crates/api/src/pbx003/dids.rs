//! `/did/…`: a tenant's numbers, one in detail, and changes to its
//! caller-id prefixes (through the native `/api/did_numbers/{id}/`
//! handler) and its label.
//!
//! `di_didprefix` is the number prefix and `di_didnameprefix` the name
//! prefix put before a caller's on calls in; `di_comment` is a free-text
//! label; `di_recording` says whether calls to it are recorded. There is
//! nothing behind `di_country` and `di_area` (always "", accepted and
//! ignored in changes) or `di_fax` (always "no": the switch takes no
//! faxes). A DID's number cannot change: buy another one.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};
use voxide_providers::normalize_number;
use voxide_store::DidRow;

use super::{Failure, Params, SeedUser, done, native_body, parse_id, success, text, yes_no_text};
use crate::AppState;
use crate::json::ApiJson;

/// The fields `did` may carry; `di_id`, `di_te_id`, `di_recording` and
/// `di_fax` are read back from `byid` and ignored.
const KNOWN: &[&str] = &[
    "di_number",
    "di_didprefix",
    "di_didnameprefix",
    "di_country",
    "di_area",
    "di_comment",
    "di_id",
    "di_te_id",
    "di_recording",
    "di_fax",
];
/// Native field names and the seed's.
const NAMES: &[(&str, &str)] = &[("number_prefix", "di_didprefix"), ("cid_name_prefix", "di_didnameprefix")];

/// `POST /did/bytenant` (`tenant_id`): the tenant's numbers, by id.
pub(crate) async fn by_tenant(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (tenant, _) = user.in_tenant(&state, &params).await?;
    let rows: Vec<Value> = state
        .store
        .dids(Some(tenant.id))
        .await?
        .into_iter()
        .map(|d| {
            json!({
                "di_id": d.id.to_string(),
                "di_country": "",
                "di_area": "",
                "di_number": d.phonenumber,
                "di_comment": d.comment,
            })
        })
        .collect();
    Ok(success(rows))
}

async fn find(state: &AppState, user: &SeedUser, raw: &str) -> Result<DidRow, Failure> {
    let d = state.store.did_by_id(None, parse_id(raw)?).await?.ok_or(Failure::NotFound)?;
    user.check(state, d.tenant_id).await?;
    Ok(d)
}

/// `POST /did/byid` (`did_id`): a list of one.
pub(crate) async fn by_id(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["did_id"])?;
    let d = find(&state, &user, id).await?;
    Ok(success([json!({
        "di_te_id": d.tenant_id.to_string(),
        "di_country": "",
        "di_area": "",
        "di_number": d.phonenumber,
        "di_comment": d.comment,
        "di_recording": yes_no_text(d.recording != 0),
        "di_fax": "no",
        "di_didprefix": d.number_prefix,
        "di_didnameprefix": d.cid_name_prefix,
    })]))
}

/// `POST /did/updatebyid` (`did_id`, `did`: JSON of `di_didprefix`,
/// `di_didnameprefix`, `di_comment`, each optional; `di_number` only as it
/// is). Everything is checked before anything is written.
pub(crate) async fn update(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["did_id"])?;
    let fields = params.object("did", KNOWN)?;
    let d = find(&state, &user, id).await?;
    if let Some(number) = fields.get("di_number").and_then(text).filter(|n| !n.trim().is_empty())
        && normalize_number(&number).ok().as_deref() != Some(d.phonenumber.as_str())
    {
        return Err(Failure::field("di_number", "A DID's number cannot be changed; buy the other number instead."));
    }
    let comment = fields.get("di_comment").and_then(text);
    // A label is checked as a display name is: short, no control characters.
    if let Some(why) = comment.as_deref().and_then(crate::extensions::display_name_problem) {
        return Err(Failure::field("di_comment", why));
    }
    let mut prefixes = Map::new();
    for (seed, native) in [("di_didprefix", "number_prefix"), ("di_didnameprefix", "cid_name_prefix")] {
        if let Some(v) = fields.get(seed).and_then(text) {
            prefixes.insert(native.into(), Value::String(v));
        }
    }
    // Only the prefixes: an empty body would take the number's route away.
    if !prefixes.is_empty() {
        let body = native_body(prefixes, NAMES)?;
        // The native answer is the changed object; the seed answers with a message.
        let _ =
            crate::dids::assign(State(state.clone()), user.caller(d.tenant_id), Path(d.id.to_string()), ApiJson(body))
                .await
                .map_err(|e| Failure::from_api(e, NAMES))?;
    }
    if let Some(comment) = comment {
        state.store.set_did_comment(d.tenant_id, d.id, &comment).await?.ok_or(Failure::NotFound)?;
    }
    Ok(done("Record Updated Successfully."))
}
