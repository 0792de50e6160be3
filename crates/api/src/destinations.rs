//! `/api/destinations/`: seed 003's chained destinations (after a source
//! object comes a target, in `ord` order), and what the PBX resources share:
//! checking a destination string (`extension:<id>`, `hunt:<id>`, …) against
//! the tenant's objects, names and flags.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Deserializer, Serialize};
use voxide_store::{DestinationRef, DestinationRow, NewDestination};

use crate::AppState;
use crate::auth::Caller;
use crate::crud;
use crate::error::{ApiError, FieldErrors};
use crate::json::ApiJson;

/// Adds `msg` to the errors of `field`.
pub(crate) fn bad(errors: &mut FieldErrors, field: &str, msg: impl Into<String>) {
    errors.entry(field.to_string()).or_default().push(msg.into());
}

/// Ok, or every collected error at once.
pub(crate) fn finish(errors: FieldErrors) -> Result<(), ApiError> {
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Fields(errors)) }
}

/// Checks a required name of at most `max` characters without control characters.
pub(crate) fn check_name(errors: &mut FieldErrors, field: &str, name: &str, max: usize) {
    match name.chars().count() {
        0 => bad(errors, field, "This field is required."),
        n if n > max => bad(errors, field, format!("Ensure this field has no more than {max} characters.")),
        _ if name.chars().any(char::is_control) => bad(errors, field, "Control characters are not allowed."),
        _ => {}
    }
}

/// Accepts `true`/`false` or the seed API's `1`/`0`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum F {
        B(bool),
        I(i64),
    }
    match Option::<F>::deserialize(d)? {
        None => Ok(None),
        Some(F::B(b)) => Ok(Some(b)),
        Some(F::I(i @ 0..=1)) => Ok(Some(i == 1)),
        Some(F::I(_)) => Err(serde::de::Error::custom("must be true, false, 0 or 1")),
    }
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn missing(id: i64) -> String {
    format!("Invalid pk \"{id}\" - object does not exist.")
}

/// Checks that `value` is a destination whose object exists in `tenant_id`;
/// problems are added under `field`.
pub(crate) async fn check_destination(
    state: &AppState,
    tenant_id: i64,
    field: &str,
    value: &str,
    errors: &mut FieldErrors,
) -> Result<(), ApiError> {
    let target = match DestinationRef::parse(value) {
        Ok(Some(t)) => t,
        Ok(None) => return Ok(()),
        Err(e) => {
            bad(errors, field, format!("Not a destination: {e}."));
            return Ok(());
        }
    };
    let store = &state.store;
    let exists = match target {
        DestinationRef::Extension(id) | DestinationRef::Voicemail(id) => {
            store.extension_by_id(Some(tenant_id), id).await?.is_some()
        }
        DestinationRef::Hunt(id) => store.hunt_group(tenant_id, id).await?.is_some(),
        DestinationRef::Ivr(id) => store.ivr(tenant_id, id).await?.is_some(),
        DestinationRef::Condition(id) => store.condition(tenant_id, id).await?.is_some(),
        DestinationRef::Custom(id) => store.custom_destination(tenant_id, id).await?.is_some(),
        DestinationRef::Number(_) | DestinationRef::Hangup => true,
    };
    if !exists {
        let id = target.id().unwrap_or_default();
        bad(errors, field, format!("Invalid {} \"{id}\" - object does not exist.", target.kind()));
    }
    Ok(())
}

/// Source kinds of a chain link: a destination kind that names an object,
/// `did`, or `notcondition` (the condition's no-match side).
const SRC_TYPES: [&str; 7] = ["did", "extension", "hunt", "ivr", "condition", "notcondition", "custom"];
/// Target kinds: a destination kind that names an object, or `hangup`.
const DST_TYPES: [&str; 7] = ["extension", "hunt", "voicemail", "ivr", "condition", "custom", "hangup"];

#[derive(Debug, Serialize)]
pub struct DestinationView {
    pub id: i64,
    pub src_type: String,
    pub src_id: i64,
    pub dst_type: String,
    pub dst_id: Option<i64>,
    pub ord: i64,
    pub created_at: String,
}

impl From<DestinationRow> for DestinationView {
    fn from(d: DestinationRow) -> Self {
        DestinationView {
            id: d.id,
            src_type: d.src_type,
            src_id: d.src_id,
            dst_type: d.dst_type,
            dst_id: d.dst_id,
            ord: d.ord,
            created_at: d.created_at,
        }
    }
}

/// Body of POST/PUT/PATCH; on PATCH a field left out keeps its value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationBody {
    src_type: Option<String>,
    src_id: Option<i64>,
    dst_type: Option<String>,
    #[serde(default, deserialize_with = "present")]
    dst_id: Option<Option<i64>>,
    ord: Option<i64>,
    #[serde(default, rename = "id")]
    _id: Option<serde_json::Value>,
    #[serde(default, rename = "created_at")]
    _created_at: Option<serde_json::Value>,
}

/// Whether object `id` of chain kind `kind` exists in `tenant_id`.
async fn object_exists(state: &AppState, tenant_id: i64, kind: &str, id: i64) -> Result<bool, ApiError> {
    let store = &state.store;
    Ok(match kind {
        "did" => store.did_by_id(Some(tenant_id), id).await?.is_some(),
        "extension" | "voicemail" => store.extension_by_id(Some(tenant_id), id).await?.is_some(),
        "hunt" => store.hunt_group(tenant_id, id).await?.is_some(),
        "ivr" => store.ivr(tenant_id, id).await?.is_some(),
        "condition" | "notcondition" => store.condition(tenant_id, id).await?.is_some(),
        "custom" => store.custom_destination(tenant_id, id).await?.is_some(),
        _ => false,
    })
}

async fn checked(
    state: &AppState,
    tenant_id: i64,
    body: DestinationBody,
    current: Option<DestinationRow>,
) -> Result<NewDestination, ApiError> {
    let mut errors = FieldErrors::new();
    let require = |errors: &mut FieldErrors, field: &str| bad(errors, field, "This field is required.");
    let (src_type, src_id, dst_type, dst_id, ord) = match current {
        Some(c) => (
            body.src_type.unwrap_or(c.src_type),
            body.src_id.or(Some(c.src_id)),
            body.dst_type.unwrap_or(c.dst_type),
            body.dst_id.unwrap_or(c.dst_id),
            body.ord.unwrap_or(c.ord),
        ),
        None => (
            body.src_type.unwrap_or_default(),
            body.src_id,
            body.dst_type.unwrap_or_default(),
            body.dst_id.flatten(),
            body.ord.unwrap_or(1),
        ),
    };
    if !SRC_TYPES.contains(&src_type.as_str()) {
        bad(&mut errors, "src_type", format!("Enter one of {}.", SRC_TYPES.join(", ")));
    }
    match src_id {
        None => require(&mut errors, "src_id"),
        Some(id)
            if SRC_TYPES.contains(&src_type.as_str()) && !object_exists(state, tenant_id, &src_type, id).await? =>
        {
            bad(&mut errors, "src_id", missing(id))
        }
        Some(_) => {}
    }
    if !DST_TYPES.contains(&dst_type.as_str()) {
        bad(&mut errors, "dst_type", format!("Enter one of {}.", DST_TYPES.join(", ")));
    }
    match (dst_type.as_str(), dst_id) {
        ("hangup", Some(_)) => bad(&mut errors, "dst_id", "A hangup target takes no id."),
        ("hangup", None) => {}
        (_, None) if DST_TYPES.contains(&dst_type.as_str()) => require(&mut errors, "dst_id"),
        (kind, Some(id)) if DST_TYPES.contains(&kind) && !object_exists(state, tenant_id, kind, id).await? => {
            bad(&mut errors, "dst_id", missing(id))
        }
        _ => {}
    }
    if !(0..=1000).contains(&ord) {
        bad(&mut errors, "ord", "Enter a whole number between 0 and 1000.");
    }
    finish(errors)?;
    Ok(NewDestination { src_type, src_id: src_id.unwrap_or_default(), dst_type, dst_id, ord })
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<DestinationRow, ApiError> {
    let store = &state.store;
    crud::find_scoped(caller, id, |t, id| store.destination(t, id), |id| store.destination_any_tenant(id)).await
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<DestinationView>>, ApiError> {
    let rows = state.store.destinations(caller.0.tenant_id).await?;
    Ok(crud::views(rows))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DestinationView>, ApiError> {
    Ok(Json(find(&state, &caller, &id).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DestinationBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant_id = caller.0.tenant_id;
    let new = checked(&state, tenant_id, body, None).await?;
    let row = state.store.create_destination(tenant_id, &new).await?;
    Ok((StatusCode::CREATED, Json(DestinationView::from(row))))
}

async fn change(
    state: AppState,
    caller: Caller,
    id: String,
    body: DestinationBody,
    full: bool,
) -> Result<Json<DestinationView>, ApiError> {
    let current = find(&state, &caller, &id).await?;
    let (tenant_id, id) = (current.tenant_id, current.id);
    let new = checked(&state, tenant_id, body, (!full).then_some(current)).await?;
    let row = state.store.update_destination(tenant_id, id, &new).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DestinationBody>,
) -> Result<Json<DestinationView>, ApiError> {
    change(state, caller, id, body, true).await
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DestinationBody>,
) -> Result<Json<DestinationView>, ApiError> {
    change(state, caller, id, body, false).await
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = find(&state, &caller, &id).await?;
    state.store.delete_destination(row.tenant_id, row.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the PBX fields a DID PATCH may carry.
pub(crate) async fn check_did_pbx(
    state: &AppState,
    tenant_id: i64,
    pbx: &voxide_store::DidPbxChanges,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    if let Some(prefix) = &pbx.cid_name_prefix
        && (prefix.chars().count() > 32 || prefix.chars().any(|c| c.is_control() || c == '"' || c == '\\'))
    {
        bad(&mut errors, "cid_name_prefix", "Enter up to 32 characters, without control characters, \" or \\.");
    }
    if let Some(prefix) = &pbx.number_prefix
        && (prefix.len() > 10 || !prefix.bytes().all(|b| b.is_ascii_digit() || b == b'+'))
    {
        bad(&mut errors, "number_prefix", "Enter up to 10 digits (or +).");
    }
    if let Some(dest) = &pbx.destination {
        check_destination(state, tenant_id, "destination", dest, &mut errors).await?;
    }
    finish(errors)
}
