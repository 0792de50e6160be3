//! `/api/did_numbers/`: search a provider's inventory, buy a number and
//! route it to an extension or a hosted IVR menu, reassign, release.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use voxide_providers::normalize_number;
use voxide_store::{DidPbxChanges, DidRow, NewDid, StoreError};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extensions::parse_id;
use crate::json::ApiJson;

#[derive(Debug, Serialize)]
pub struct DidView {
    pub id: i64,
    pub provider: i64,
    pub phonenumber: String,
    pub domain: String,
    pub extension: Option<i64>,
    /// The IVR menu the number routes to; shown only when there is one, so
    /// the seed's shape is unchanged for numbers routed to extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ivr_id: Option<i64>,
    pub created_at: String,
    /// Seed 003's caller-id prefixes and PBX destination, shown when set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cid_name_prefix: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub number_prefix: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub destination: String,
}

impl From<DidRow> for DidView {
    fn from(d: DidRow) -> Self {
        DidView {
            id: d.id,
            provider: d.provider_id,
            phonenumber: d.phonenumber,
            domain: d.domain,
            extension: d.extension_id,
            ivr_id: d.ivr_id,
            created_at: d.created_at,
            cid_name_prefix: d.cid_name_prefix,
            number_prefix: d.number_prefix,
            destination: d.destination,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyBody {
    phonenumber: Option<String>,
    #[serde(default)]
    extension: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// `null` unassigns; left out, it is unassigned too unless `ivr_id`
    /// is given.
    #[serde(default, deserialize_with = "present")]
    extension: Option<Option<i64>>,
    /// A menu to route to instead of an extension; `null` takes it away,
    /// leaving it out keeps it unless an extension is given.
    #[serde(default, deserialize_with = "present")]
    ivr_id: Option<Option<i64>>,
    #[serde(default, rename = "phonenumber")]
    _phonenumber: Option<Value>,
    /// Seed 003's PBX fields; given alone, they leave the routing as it is.
    cid_name_prefix: Option<String>,
    number_prefix: Option<String>,
    destination: Option<String>,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// The menu must exist in the DID's tenant, and come alone.
async fn check_ivr(state: &AppState, tenant_id: i64, body: &AssignBody) -> Result<(), ApiError> {
    let Some(Some(id)) = body.ivr_id else { return Ok(()) };
    if matches!(body.extension, Some(Some(_))) {
        return Err(ApiError::field("ivr_id", "A number routes to an extension or to an IVR, not both."));
    }
    if state.store.ivr(tenant_id, id).await?.is_none() {
        return Err(ApiError::field("ivr_id", format!("Invalid pk \"{id}\" - object does not exist.")));
    }
    Ok(())
}

/// The extension must exist in the DID's tenant.
async fn check_extension(state: &AppState, tenant_id: i64, id: Option<i64>) -> Result<(), ApiError> {
    if let Some(id) = id {
        let ext = state.store.extension_by_id(Some(tenant_id), id).await?;
        if ext.is_none() {
            return Err(ApiError::field("extension", format!("Invalid pk \"{id}\" - object does not exist.")));
        }
    }
    Ok(())
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<DidView>>, ApiError> {
    let rows = state.store.dids(caller.tenant_filter()).await?;
    Ok(Json(rows.into_iter().map(DidView::from).collect()))
}

pub async fn search(
    State(state): State<AppState>,
    _caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let limit = match q.get("limit").map(|l| l.parse::<u32>()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return Err(ApiError::field("limit", "Enter a whole number between 1 and 100.")),
    };
    let npa = q.get("npa").map(String::as_str).filter(|s| !s.is_empty());
    if let Some(npa) = npa
        && (npa.len() != 3 || !npa.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(ApiError::field("npa", "Enter a 3-digit area code."));
    }
    let found = state.provider.search(npa, limit).await?;
    Ok(Json(json!({ "data": found })))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DidView>, ApiError> {
    let row = state.store.did_by_id(caller.tenant_filter(), parse_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

pub async fn buy(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<BuyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let Some(raw) = body.phonenumber else { return Err(ApiError::field("phonenumber", "This field is required.")) };
    let number = normalize_number(&raw).map_err(|e| ApiError::field("phonenumber", e.to_string()))?;
    check_extension(&state, caller.0.tenant_id, body.extension).await?;
    if state.store.did_by_number(&number).await?.is_some() {
        return Err(ApiError::field("phonenumber", "did number with this phonenumber already exists."));
    }
    state.provider.purchase(&number).await?;
    let new = NewDid {
        tenant_id: caller.0.tenant_id,
        provider_id: state.provider_id,
        phonenumber: number.clone(),
        extension_id: body.extension,
    };
    match state.store.insert_did(&new).await {
        Ok(row) => {
            state.switch.did_saved(&row.phonenumber, row.tenant_id, row.id, row.extension_id, row.recording != 0);
            Ok((StatusCode::CREATED, Json(DidView::from(row))))
        }
        Err(e) => {
            // Bought but not recorded: give it back so it is not paid for unseen.
            if let Err(release) = state.provider.release(&number).await {
                tracing::error!(number = %number, cause = %release, "could not release number after store failure");
            }
            Err(match e {
                StoreError::Conflict => {
                    ApiError::field("phonenumber", "did number with this phonenumber already exists.")
                }
                e => e.into(),
            })
        }
    }
}

pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Json<DidView>, ApiError> {
    let id = parse_id(&id)?;
    let did = state.store.did_by_id(caller.tenant_filter(), id).await?.ok_or(ApiError::NotFound)?;
    let extension = body.extension.flatten();
    check_extension(&state, did.tenant_id, extension).await?;
    check_ivr(&state, did.tenant_id, &body).await?;
    let pbx = DidPbxChanges {
        cid_name_prefix: body.cid_name_prefix,
        number_prefix: body.number_prefix.map(|p| p.trim().to_string()),
        destination: body.destination.map(|d| d.trim().to_string()),
    };
    crate::destinations::check_did_pbx(&state, did.tenant_id, &pbx).await?;
    let pbx_only = pbx.cid_name_prefix.is_some() || pbx.number_prefix.is_some() || pbx.destination.is_some();
    let mut row = did;
    if body.extension.is_some() || (body.ivr_id.is_none() && !pbx_only) {
        row = state.store.assign_did(id, extension).await?.ok_or(ApiError::NotFound)?;
    }
    // One route at a time: an extension takes the place of a menu.
    let ivr = body.ivr_id.or(extension.map(|_| None));
    if let Some(ivr) = ivr {
        row = state.store.set_did_ivr(row.tenant_id, id, ivr).await?.ok_or(ApiError::NotFound)?;
    }
    if pbx_only {
        row = state.store.set_did_pbx(row.tenant_id, id, &pbx).await?.ok_or(ApiError::NotFound)?;
        state.switch.did_destination_saved(row.id, &row.destination);
        state.switch.did_prefixes_saved(row.id, &row.cid_name_prefix, &row.number_prefix);
        state.switch.did_prefixes_saved(row.id, &row.cid_name_prefix, &row.number_prefix);
    }
    state.switch.did_saved(&row.phonenumber, row.tenant_id, row.id, row.extension_id, row.recording != 0);
    state.switch.did_menu_saved(row.id, row.ivr_id);
    Ok(Json(row.into()))
}

pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = state.store.did_by_id(caller.tenant_filter(), parse_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    state.provider.release(&row.phonenumber).await?;
    state.store.delete_did(row.id).await?;
    state.switch.did_removed(&row.phonenumber);
    Ok(StatusCode::NO_CONTENT)
}
