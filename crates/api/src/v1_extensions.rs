//! Seed 002's `/v1.0/extensions` (voipbin style): the extensions of
//! `/api/extensions/`, through the same store calls, checks and switch
//! notifications, in that API's shape. The token comes as `?token=` (the
//! `Authorization` header works too); lists are `{result, next_page_token}`,
//! newest first; times are `tm_create`, `tm_update` and `tm_delete` as
//! `2021-02-18 12:42:27.688282` (UTC), "" when unset; `DELETE` is a soft
//! delete; `PUT` turns direct extensions on and off (`direct`,
//! `direct_regenerate`).
//!
//! Ids: `id` is the extension's numeric id as a string; `domain_id` (and
//! `customer_id`) is its tenant's numeric id as a string, `domain_name` the
//! tenant's SIP domain.
//!
//! A direct extension is also reachable at `sip:direct.<hash>@<domain>`:
//! the hash is 16 hex digits (64 bits) from a CSPRNG seeded by the OS,
//! a capability like an unlisted DID. Trunks and every tenant's extensions
//! may call it; callers the switch does not know are still challenged, so
//! the address cannot be scanned for anonymously.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use voxide_store::{ExtensionChanges, ExtensionRow, NewExtension, StoreError, clock};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldErrors};
use crate::extensions::{display_name_problem, parse_id, password_problem, publish, username_problem};
use crate::json::ApiJson;
use crate::page;

/// Rows per page when `page_size` is not given, and the most allowed.
const DEFAULT_PAGE_SIZE: i64 = 10;
const MAX_PAGE_SIZE: i64 = 100;
/// The longest `detail`, in characters.
const MAX_DETAIL_CHARS: usize = 1000;

/// An extension in seed 002's shape.
#[derive(Debug, Serialize)]
pub struct V1Extension {
    pub id: String,
    pub user_id: i64,
    pub name: String,
    pub detail: String,
    pub domain_id: String,
    pub extension: String,
    pub password: String,
    pub tm_create: String,
    pub tm_update: String,
    pub tm_delete: String,
}

/// An extension as seed 002 answers a direct-extension change.
#[derive(Debug, Serialize)]
pub struct V1DirectExtension {
    pub id: String,
    pub customer_id: String,
    pub name: String,
    pub detail: String,
    pub extension: String,
    pub domain_name: String,
    pub username: String,
    pub password: String,
    pub direct_hash: String,
    pub tm_create: String,
    pub tm_update: String,
    pub tm_delete: String,
}

/// A page of the list.
#[derive(Debug, Serialize)]
pub struct V1Page {
    pub result: Vec<V1Extension>,
    /// `tm_create` of the page's last row ("" for an empty page): pass it
    /// as `page_token` for the rows created before it.
    pub next_page_token: String,
}

/// Body of `POST /v1.0/extensions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: Option<String>,
    detail: Option<String>,
    #[serde(default, deserialize_with = "id_text")]
    domain_id: Option<String>,
    extension: Option<String>,
    password: Option<String>,
}

/// Body of `PUT /v1.0/extensions/{id}`: every field optional. Read-only
/// fields a client echoes back from a GET are accepted; `extension` and
/// `domain_id` only when unchanged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    name: Option<String>,
    detail: Option<String>,
    password: Option<String>,
    direct: Option<bool>,
    direct_regenerate: Option<bool>,
    extension: Option<String>,
    #[serde(default, deserialize_with = "id_text")]
    domain_id: Option<String>,
    #[serde(default, rename = "id")]
    _id: Option<Value>,
    #[serde(default, rename = "user_id")]
    _user_id: Option<Value>,
    #[serde(default, rename = "customer_id")]
    _customer_id: Option<Value>,
    #[serde(default, rename = "domain_name")]
    _domain_name: Option<Value>,
    #[serde(default, rename = "username")]
    _username: Option<Value>,
    #[serde(default, rename = "direct_hash")]
    _direct_hash: Option<Value>,
    #[serde(default, rename = "tm_create")]
    _tm_create: Option<Value>,
    #[serde(default, rename = "tm_update")]
    _tm_update: Option<Value>,
    #[serde(default, rename = "tm_delete")]
    _tm_delete: Option<Value>,
}

/// An id given as a string (as the seed does) or as a number.
fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(serde::de::Error::custom("expected a domain id (a string)")),
    }
}

/// A stored RFC 3339 time as seed 002 writes it: `2021-02-18 12:42:27.688282`.
fn seed_time(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored)
        .map(|t| t.with_timezone(&Utc).format("%Y-%m-%d %H:%M:%S%.6f").to_string())
        .unwrap_or_else(|_| stored.to_string())
}

/// A `page_token` (seed 002's time, or RFC 3339) as the store keeps times.
fn stored_time(token: &str) -> Option<String> {
    if let Ok(t) = NaiveDateTime::parse_from_str(token.trim(), "%Y-%m-%d %H:%M:%S%.f") {
        return Some(clock::format(t.and_utc()));
    }
    DateTime::parse_from_rfc3339(token.trim()).ok().map(|t| clock::format(t.with_timezone(&Utc)))
}

fn times(e: &ExtensionRow) -> (String, String, String) {
    let update = if e.updated_at == e.created_at { String::new() } else { seed_time(&e.updated_at) };
    (seed_time(&e.created_at), update, e.deleted_at.as_deref().map(seed_time).unwrap_or_default())
}

fn plain(e: ExtensionRow) -> V1Extension {
    let (tm_create, tm_update, tm_delete) = times(&e);
    V1Extension {
        id: e.id.to_string(),
        user_id: e.user_id,
        name: e.display_name,
        detail: e.detail,
        domain_id: e.tenant_id.to_string(),
        extension: e.sip_username,
        password: e.sip_password,
        tm_create,
        tm_update,
        tm_delete,
    }
}

fn direct(e: ExtensionRow) -> V1DirectExtension {
    let (tm_create, tm_update, tm_delete) = times(&e);
    V1DirectExtension {
        id: e.id.to_string(),
        customer_id: e.tenant_id.to_string(),
        name: e.display_name,
        detail: e.detail,
        extension: e.sip_username.clone(),
        domain_name: e.domain,
        username: e.sip_username,
        password: e.sip_password,
        direct_hash: e.direct_hash.unwrap_or_default(),
        tm_create,
        tm_update,
        tm_delete,
    }
}

/// A new direct-address hash: 16 hex digits from the CSPRNG.
fn new_direct_hash() -> String {
    let mut raw = [0u8; 8];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

fn detail_problem(d: &str) -> Option<&'static str> {
    if d.chars().count() > MAX_DETAIL_CHARS {
        Some("Ensure this field has no more than 1000 characters.")
    } else if d.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        Some("Control characters are not allowed.")
    } else {
        None
    }
}

/// Collects field errors; `finish` turns them into a 400 naming each field.
#[derive(Default)]
struct Problems(FieldErrors);

impl Problems {
    fn add(&mut self, field: &str, why: &str) {
        self.0.entry(field.to_string()).or_default().push(why.to_string());
    }

    fn check(&mut self, field: &str, value: Option<&str>, problem: fn(&str) -> Option<&'static str>) {
        if let Some(why) = value.and_then(problem) {
            self.add(field, why);
        }
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::Fields(self.0)) }
    }
}

/// The tenant a `domain_id` names, if the caller may use it.
async fn domain(state: &AppState, caller: &Caller, raw: &str) -> Result<Option<i64>, ApiError> {
    let Some(id) = raw.trim().parse::<i64>().ok().filter(|id| caller.can_see(*id)) else { return Ok(None) };
    Ok(state.store.tenant(id).await?.map(|t| t.id))
}

/// `GET /v1.0/extensions`: live extensions, newest first
/// (`domain_id`, `page_size`, `page_token`).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<V1Page>, ApiError> {
    let size = match page::parse_count("page_size", q.get("page_size"))? {
        None => DEFAULT_PAGE_SIZE,
        Some(n @ 1..=MAX_PAGE_SIZE) => n,
        Some(_) => return Err(ApiError::field("page_size", "Ensure this value is between 1 and 100.")),
    };
    let before = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(stored_time(t).ok_or_else(|| {
            ApiError::field("page_token", "Expected a tm_create time such as 2021-02-18 12:42:27.688282.")
        })?),
    };
    let tenant = match q.get("domain_id").filter(|d| !d.is_empty()) {
        None => caller.tenant_filter(),
        Some(d) => {
            let id =
                d.trim().parse::<i64>().map_err(|_| ApiError::field("domain_id", "A valid domain id is required."))?;
            if !caller.can_see(id) {
                // Another tenant's domain: nothing in it is visible.
                return Ok(Json(V1Page { result: Vec::new(), next_page_token: String::new() }));
            }
            Some(id)
        }
    };
    let rows = state.store.extensions_page(tenant, before.as_deref(), size).await?;
    let next_page_token = rows.last().map(|e| seed_time(&e.created_at)).unwrap_or_default();
    Ok(Json(V1Page { result: rows.into_iter().map(plain).collect(), next_page_token }))
}

/// `GET /v1.0/extensions/{id}`: also a soft-deleted one, with `tm_delete`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<V1Extension>, ApiError> {
    let id = parse_id(&id)?;
    let row = state.store.extension_record(caller.tenant_filter(), id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(plain(row)))
}

/// `POST /v1.0/extensions`: `extension` and `password` required; `name`,
/// `detail`, `domain_id` (the caller's own tenant when absent).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Json<V1Extension>, ApiError> {
    let mut problems = Problems::default();
    match body.extension.as_deref() {
        None => problems.add("extension", "This field is required."),
        Some(u) => problems.check("extension", Some(u), username_problem),
    }
    match body.password.as_deref() {
        None => problems.add("password", "This field is required."),
        Some(p) => problems.check("password", Some(p), password_problem),
    }
    problems.check("name", body.name.as_deref(), display_name_problem);
    problems.check("detail", body.detail.as_deref(), detail_problem);
    let tenant_id = match body.domain_id.as_deref() {
        None => Some(caller.0.tenant_id),
        Some(raw) => domain(&state, &caller, raw).await?,
    };
    if tenant_id.is_none() {
        problems.add("domain_id", "Unknown domain.");
    }
    problems.finish()?;
    let new = NewExtension {
        tenant_id: tenant_id.unwrap_or(caller.0.tenant_id),
        user_id: caller.0.user_id,
        sip_username: body.extension.unwrap_or_default(),
        sip_password: body.password.unwrap_or_default(),
        cellphone: String::new(),
        transcription: 0,
        recording: 0,
    };
    let (name, detail) = (body.name.unwrap_or_default(), body.detail.unwrap_or_default());
    let row = state.store.insert_labelled_extension(&new, &name, &detail).await.map_err(|e| match e {
        StoreError::Conflict => {
            ApiError::field("extension", "An extension with this name already exists in the domain.")
        }
        e => e.into(),
    })?;
    publish(&state, &row);
    Ok(Json(plain(row)))
}

/// `PUT /v1.0/extensions/{id}`: `name`, `detail`, `password`; `direct:
/// true` gives the extension a direct address (keeping one it has),
/// `direct_regenerate: true` replaces it, `direct: false` removes it. A
/// body that touches `direct…` is answered in the direct shape.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let cur = state.store.extension_by_id(caller.tenant_filter(), id).await?.ok_or(ApiError::NotFound)?;
    let mut problems = Problems::default();
    problems.check("name", body.name.as_deref(), display_name_problem);
    problems.check("detail", body.detail.as_deref(), detail_problem);
    problems.check("password", body.password.as_deref(), password_problem);
    if body.extension.as_ref().is_some_and(|u| *u != cur.sip_username) {
        problems.add("extension", "This field cannot be changed.");
    }
    if body.domain_id.as_ref().is_some_and(|d| d.trim() != cur.tenant_id.to_string()) {
        problems.add("domain_id", "This field cannot be changed.");
    }
    let regenerate = body.direct_regenerate == Some(true);
    let direct_hash = match body.direct {
        Some(false) if regenerate => {
            problems.add("direct_regenerate", "Cannot regenerate a direct address while turning it off.");
            None
        }
        Some(false) => Some(None),
        Some(true) if cur.direct_hash.is_none() || regenerate => Some(Some(new_direct_hash())),
        Some(true) => None,
        None if regenerate && cur.direct_hash.is_none() => {
            problems.add("direct_regenerate", "Direct access is not enabled for this extension.");
            None
        }
        None if regenerate => Some(Some(new_direct_hash())),
        None => None,
    };
    problems.finish()?;
    let changes = ExtensionChanges {
        sip_password: body.password,
        display_name: body.name,
        detail: body.detail,
        direct_hash,
        ..Default::default()
    };
    let row = state.store.update_extension(id, &changes).await?.ok_or(ApiError::NotFound)?;
    publish(&state, &row);
    state.switch.directory().set_direct(row.id, row.direct_hash.as_deref());
    Ok(if body.direct.is_some() || body.direct_regenerate.is_some() {
        Json(direct(row)).into_response()
    } else {
        Json(plain(row)).into_response()
    })
}

/// `DELETE /v1.0/extensions/{id}`: a soft delete. The extension stops
/// registering and being called at once; the answer is the record with
/// `tm_delete` set, as `GET` keeps showing it.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<V1Extension>, ApiError> {
    let id = parse_id(&id)?;
    let cur = state.store.extension_by_id(caller.tenant_filter(), id).await?.ok_or(ApiError::NotFound)?;
    let row = state.store.soft_delete_extension(id).await?.ok_or(ApiError::NotFound)?;
    state.switch.directory().set_direct(id, None);
    state.switch.extension_deleted(&cur.domain, &cur.sip_username);
    Ok(Json(plain(row)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_between_the_store_and_seed_002() {
        let stored = "2021-02-18T12:42:27.688282Z";
        assert_eq!(seed_time(stored), "2021-02-18 12:42:27.688282");
        assert_eq!(stored_time("2021-02-18 12:42:27.688282").as_deref(), Some(stored));
        assert_eq!(stored_time(stored).as_deref(), Some(stored));
        assert_eq!(stored_time("2021-02-18 12:42:27").as_deref(), Some("2021-02-18T12:42:27.000000Z"));
        assert_eq!(stored_time("yesterday"), None);
    }

    #[test]
    fn direct_hashes_are_sixteen_fresh_hex_digits() {
        let (a, b) = (new_direct_hash(), new_direct_hash());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{a}");
        assert_ne!(a, b);
    }
}
