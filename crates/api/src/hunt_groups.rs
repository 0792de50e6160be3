//! `/api/hunt_groups/`: numbers the tenant's phones dial like an extension,
//! ringing member extensions by a strategy (`ring_all`, `sequential`,
//! `round_robin`, `longest_idle`); `members` lists extension ids in ringing
//! order. A super-admin lists its own tenant's groups and reaches any by id.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use voxide_store::{DestinationRef, HuntGroup, HuntStrategy, NewHuntGroup, StoreError};

use crate::AppState;
use crate::auth::Caller;
use crate::crud;
use crate::destinations::{bad, check_destination, check_name, finish, flag};
use crate::error::{ApiError, FieldErrors};
use crate::json::ApiJson;

const DEFAULT_RING_SECS: i64 = 20;
const MAX_MEMBERS: usize = 100;

#[derive(Debug, Serialize)]
pub struct HuntGroupView {
    pub id: i64,
    pub name: String,
    pub number: String,
    pub strategy: &'static str,
    pub ring_secs: i64,
    pub skip_busy: bool,
    pub overflow: String,
    pub members: Vec<i64>,
    pub last_member_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<HuntGroup> for HuntGroupView {
    fn from(g: HuntGroup) -> Self {
        HuntGroupView {
            id: g.id,
            name: g.name,
            number: g.number,
            strategy: g.strategy.as_str(),
            ring_secs: g.ring_secs,
            skip_busy: g.skip_busy,
            overflow: g.overflow,
            members: g.members.into_iter().map(|m| m.extension_id).collect(),
            last_member_id: g.last_member_id,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// Body of POST/PUT/PATCH. A field left out keeps its value on PATCH and
/// takes its default otherwise.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuntGroupBody {
    name: Option<String>,
    number: Option<String>,
    strategy: Option<String>,
    ring_secs: Option<i64>,
    #[serde(default, deserialize_with = "flag")]
    skip_busy: Option<bool>,
    overflow: Option<String>,
    members: Option<Vec<i64>>,
    #[serde(default, rename = "id")]
    _id: Option<serde_json::Value>,
    #[serde(default, rename = "last_member_id")]
    _last_member_id: Option<serde_json::Value>,
    #[serde(default, rename = "created_at")]
    _created_at: Option<serde_json::Value>,
    #[serde(default, rename = "updated_at")]
    _updated_at: Option<serde_json::Value>,
}

/// What a phone may dial: letters, digits and `. _ - +`, like a SIP username.
pub(crate) fn dialable_number(n: &str) -> bool {
    (1..=32).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
}

async fn checked(
    state: &AppState,
    tenant_id: i64,
    itself: Option<i64>,
    body: HuntGroupBody,
    current: Option<HuntGroup>,
) -> Result<NewHuntGroup, ApiError> {
    let mut errors = FieldErrors::new();
    let base = current.map(|g| NewHuntGroup {
        name: g.name,
        number: g.number,
        strategy: g.strategy,
        ring_secs: g.ring_secs,
        skip_busy: g.skip_busy,
        overflow: g.overflow,
        members: g.members.iter().map(|m| m.extension_id).collect(),
    });
    let strategy = match (&body.strategy, &base) {
        (Some(s), _) => HuntStrategy::parse(s).unwrap_or_else(|| {
            let names: Vec<&str> = HuntStrategy::ALL.iter().map(|k| k.as_str()).collect();
            bad(&mut errors, "strategy", format!("Enter one of {}.", names.join(", ")));
            HuntStrategy::RingAll
        }),
        (None, Some(b)) => b.strategy,
        (None, None) => HuntStrategy::RingAll,
    };
    let base = base.unwrap_or(NewHuntGroup {
        name: String::new(),
        number: String::new(),
        strategy,
        ring_secs: DEFAULT_RING_SECS,
        skip_busy: false,
        overflow: String::new(),
        members: Vec::new(),
    });
    let new = NewHuntGroup {
        name: body.name.map_or(base.name, |n| n.trim().to_string()),
        number: body.number.map_or(base.number, |n| n.trim().to_string()),
        strategy,
        ring_secs: body.ring_secs.unwrap_or(base.ring_secs),
        skip_busy: body.skip_busy.unwrap_or(base.skip_busy),
        overflow: body.overflow.map_or(base.overflow, |o| o.trim().to_string()),
        members: body.members.unwrap_or(base.members),
    };
    check_name(&mut errors, "name", &new.name, 64);
    if new.number.is_empty() {
        bad(&mut errors, "number", "This field is required.");
    } else if !dialable_number(&new.number) {
        bad(&mut errors, "number", "Enter up to 32 letters, digits and . _ - +.");
    } else if state.store.extension_by_username(tenant_id, &new.number).await?.is_some() {
        bad(&mut errors, "number", "An extension already has this number.");
    } else if let Some(other) = state.store.hunt_group_by_number(tenant_id, &new.number).await?
        && Some(other.id) != itself
    {
        bad(&mut errors, "number", "hunt group with this number already exists.");
    }
    if !(5..=600).contains(&new.ring_secs) {
        bad(&mut errors, "ring_secs", "Enter a whole number of seconds between 5 and 600.");
    }
    if let Some(id) = itself
        && DestinationRef::parse(&new.overflow) == Ok(Some(DestinationRef::Hunt(id)))
    {
        bad(&mut errors, "overflow", "A hunt group cannot overflow to itself.");
    } else {
        check_destination(state, tenant_id, "overflow", &new.overflow, &mut errors).await?;
    }
    if new.members.len() > MAX_MEMBERS {
        bad(&mut errors, "members", format!("Ensure this list has no more than {MAX_MEMBERS} members."));
    }
    let mut seen = HashSet::new();
    for (i, ext) in new.members.iter().enumerate().take(MAX_MEMBERS) {
        let field = format!("members[{i}]");
        if !seen.insert(*ext) {
            bad(&mut errors, &field, format!("Extension {ext} is given twice."));
        } else if state.store.extension_by_id(Some(tenant_id), *ext).await?.is_none() {
            bad(&mut errors, &field, format!("Invalid pk \"{ext}\" - object does not exist."));
        }
    }
    finish(errors)?;
    Ok(new)
}

fn taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict => ApiError::field("number", "hunt group with this number already exists."),
        e => e.into(),
    }
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<HuntGroup, ApiError> {
    let store = &state.store;
    crud::find_scoped(caller, id, |t, id| store.hunt_group(t, id), |id| store.hunt_group_any_tenant(id)).await
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<HuntGroupView>>, ApiError> {
    let rows = state.store.hunt_groups(caller.0.tenant_id).await?;
    Ok(crud::views(rows))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<HuntGroupView>, ApiError> {
    Ok(Json(find(&state, &caller, &id).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<HuntGroupBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant_id = caller.0.tenant_id;
    let new = checked(&state, tenant_id, None, body, None).await?;
    let row = state.store.create_hunt_group(tenant_id, &new).await.map_err(taken)?;
    state.switch.hunt_group_saved(row.tenant_id, row.id, Some(&row.number));
    Ok((StatusCode::CREATED, Json(HuntGroupView::from(row))))
}

async fn change(
    state: AppState,
    caller: Caller,
    id: String,
    body: HuntGroupBody,
    full: bool,
) -> Result<Json<HuntGroupView>, ApiError> {
    let current = find(&state, &caller, &id).await?;
    let (tenant_id, id) = (current.tenant_id, current.id);
    let new = checked(&state, tenant_id, Some(id), body, (!full).then_some(current)).await?;
    let row = state.store.update_hunt_group(tenant_id, id, &new).await.map_err(taken)?.ok_or(ApiError::NotFound)?;
    state.switch.hunt_group_saved(row.tenant_id, row.id, Some(&row.number));
    Ok(Json(row.into()))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<HuntGroupBody>,
) -> Result<Json<HuntGroupView>, ApiError> {
    change(state, caller, id, body, true).await
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<HuntGroupBody>,
) -> Result<Json<HuntGroupView>, ApiError> {
    change(state, caller, id, body, false).await
}

/// Deletes a group; 409 while a forward, overflow, condition, DID or chain
/// link still leads to it.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let group = find(&state, &caller, &id).await?;
    let gone = async {
        state.store.delete_hunt_group(group.tenant_id, group.id).await?;
        state.switch.hunt_group_saved(group.tenant_id, group.id, None);
        Ok(())
    };
    crud::delete_unless_used(&state, group.tenant_id, DestinationRef::Hunt(group.id), "hunt_groups", gone).await
}
