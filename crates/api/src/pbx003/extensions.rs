//! `/extension/…`: a tenant's extensions with their caller ids, the SIP
//! account a phone registers with, and changes through the native
//! `/api/extensions/` and `/api/extensions/{id}/features/` handlers.
//!
//! Fields: `ex_name` is the display name, `ex_number` the SIP username
//! (what is dialled), `ex_cidnum`/`ex_cidname` the caller id shown on its
//! calls, `ex_callwaiting` `yes` or `no`; `GetFMFCallerId` is the caller
//! id shown on its follow-me calls. `/extension/user` answers `name` (the
//! SIP username, in the realm of the tenant's domain), `host` (always
//! `dynamic`: phones register) and `secret` (the SIP password).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};
use voxide_store::{ExtensionFeatures, ExtensionRow};

use super::{Failure, Params, SeedUser, done, native_body, parse_id, success, text, yes_no, yes_no_text};
use crate::AppState;
use crate::json::ApiJson;

/// The fields `extension` may carry (`ex_id` is read back and ignored).
const KNOWN: &[&str] = &["ex_id", "ex_name", "ex_number", "ex_cidnum", "ex_cidname", "ex_callwaiting"];
/// Native field names and the seed's.
const NAMES: &[(&str, &str)] = &[
    ("display_name", "ex_name"),
    ("sip_username", "ex_number"),
    ("cid_number", "ex_cidnum"),
    ("cid_name", "ex_cidname"),
    ("call_waiting", "ex_callwaiting"),
];

fn row(e: &ExtensionRow, f: &ExtensionFeatures) -> Value {
    json!({
        "ex_id": e.id.to_string(),
        "ex_name": e.display_name,
        "ex_number": e.sip_username,
        "ex_cidnum": f.cid_number,
        "ex_cidname": f.cid_name,
        "ex_callwaiting": yes_no_text(f.call_waiting),
    })
}

/// The tenant's extensions with their call handling, by id.
async fn of_tenant(state: &AppState, tenant_id: i64) -> Result<Vec<(ExtensionRow, ExtensionFeatures)>, Failure> {
    let mut all = Vec::new();
    for e in state.store.extensions(Some(tenant_id)).await? {
        if let Some(f) = state.store.extension_features(e.id).await? {
            all.push((e, f));
        }
    }
    Ok(all)
}

/// The extension `raw` names, in a tenant the user belongs to.
async fn find(state: &AppState, user: &SeedUser, raw: &str) -> Result<(ExtensionRow, ExtensionFeatures), Failure> {
    let e = state.store.extension_by_id(None, parse_id(raw)?).await?.ok_or(Failure::NotFound)?;
    user.check(state, e.tenant_id).await?;
    let f = state.store.extension_features(e.id).await?.ok_or(Failure::NotFound)?;
    Ok((e, f))
}

/// The extension of `extension_id` in the tenant of `tenant_id`.
async fn find_in_tenant(state: &AppState, user: &SeedUser, params: &Params) -> Result<ExtensionRow, Failure> {
    let [tenant, id] = params.required(["tenant_id", "extension_id"])?;
    let tenant = user.tenant(state, tenant).await?;
    state.store.extension_by_id(Some(tenant.id), parse_id(id)?).await?.ok_or(Failure::NotFound)
}

/// `POST /extension/bytenant` (`tenant_id`).
pub(crate) async fn by_tenant(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (tenant, _) = user.in_tenant(&state, &params).await?;
    let rows: Vec<Value> = of_tenant(&state, tenant.id).await?.iter().map(|(e, f)| row(e, f)).collect();
    Ok(success(rows))
}

/// `POST /extension/byid` (`extension_id`): a list of one.
pub(crate) async fn by_id(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["extension_id"])?;
    let (e, f) = find(&state, &user, id).await?;
    Ok(success([row(&e, &f)]))
}

/// `POST /extension/user` (`tenant_id`, `extension_id`): the SIP account.
pub(crate) async fn sip_user(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let e = find_in_tenant(&state, &user, &params).await?;
    Ok(success([json!({ "name": e.sip_username, "host": "dynamic", "secret": e.sip_password })]))
}

/// `POST /extension/usersecret` (`tenant_id`, `extension_id`): the SIP password.
pub(crate) async fn sip_secret(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let e = find_in_tenant(&state, &user, &params).await?;
    Ok(success(e.sip_password))
}

/// `POST /extension/getCidNumber` (`extension_id`).
pub(crate) async fn cid_number(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["extension_id"])?;
    Ok(success(find(&state, &user, id).await?.1.cid_number))
}

/// `POST /extension/getCidNumberList` (`tenant_id`): one per extension, by id.
pub(crate) async fn cid_numbers(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (tenant, _) = user.in_tenant(&state, &params).await?;
    let rows: Vec<Value> =
        of_tenant(&state, tenant.id).await?.into_iter().map(|(_, f)| json!({ "ex_cidnum": f.cid_number })).collect();
    Ok(success(rows))
}

/// `POST /extension/GetFMFCallerId` (`extension_id`): follow-me's caller id.
pub(crate) async fn fmf_caller_id(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["extension_id"])?;
    Ok(success(find(&state, &user, id).await?.1.followme_cid_number))
}

/// `POST /extension/GetFMFCallerIdList` (`tenant_id`): one per extension, by id.
pub(crate) async fn fmf_caller_ids(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (tenant, _) = user.in_tenant(&state, &params).await?;
    let rows: Vec<Value> = of_tenant(&state, tenant.id)
        .await?
        .into_iter()
        .map(|(_, f)| json!({ "GetFMFCallerId": f.followme_cid_number }))
        .collect();
    Ok(success(rows))
}

/// `POST /extension/updatebyid` (`extension_id`, `extension`: JSON of
/// `ex_name`, `ex_number`, `ex_cidnum`, `ex_cidname`, `ex_callwaiting`;
/// each optional). The call handling is checked before anything is
/// written, so a refused change leaves the extension as it was.
pub(crate) async fn update(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["extension_id"])?;
    let fields = params.object("extension", KNOWN)?;
    let (e, current) = find(&state, &user, id).await?;
    let (mut account, mut handling) = (Map::new(), Map::new());
    for (seed, native) in [("ex_name", "display_name"), ("ex_number", "sip_username")] {
        if let Some(v) = fields.get(seed).and_then(text) {
            account.insert(native.into(), Value::String(v));
        }
    }
    for (seed, native) in [("ex_cidnum", "cid_number"), ("ex_cidname", "cid_name")] {
        if let Some(v) = fields.get(seed).and_then(text) {
            handling.insert(native.into(), Value::String(v));
        }
    }
    if let Some(on) = fields.get("ex_callwaiting").map(|v| yes_no("ex_callwaiting", v)).transpose()?.flatten() {
        handling.insert("call_waiting".into(), Value::Bool(on));
    }
    let caller = user.caller(e.tenant_id);
    let fail = |err| Failure::from_api(err, NAMES);
    if !handling.is_empty() {
        crate::extension_features::checked(&state, &current, native_body(handling.clone(), NAMES)?)
            .await
            .map_err(fail)?;
    }
    if !account.is_empty() {
        let body = native_body(account, NAMES)?;
        // The native answer is the changed object; the seed answers with a message.
        let _ = crate::extensions::patch(State(state.clone()), caller.clone(), Path(e.id.to_string()), ApiJson(body))
            .await
            .map_err(fail)?;
    }
    if !handling.is_empty() {
        let body = native_body(handling, NAMES)?;
        // The native answer is the changed object; the seed answers with a message.
        let _ = crate::extension_features::patch(State(state.clone()), caller, Path(e.id.to_string()), ApiJson(body))
            .await
            .map_err(fail)?;
    }
    Ok(done("Record Updated Successfully."))
}
