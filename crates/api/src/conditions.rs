//! `/api/conditions/`: time and caller-id conditions. A call reaching one
//! goes to `match_destination` when it holds, else to `nomatch_destination`.
//! `time`: `time_zone` (IANA name, default `UTC`), `weekdays` (`mon,…,sun`,
//! '' = every day), `start_time` and `end_time` (`HH:MM`). `callerid`:
//! `callerid_pattern`, comma-separated digits each optionally ending in `*`.
//! The fields of the other kind are cleared on save.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use voxide_store::conditions::{parse_hhmm, parse_time_zone, parse_weekdays, valid_callerid_pattern};
use voxide_store::{ConditionKind, ConditionRow, DestinationRef, NewCondition};

use crate::AppState;
use crate::auth::Caller;
use crate::crud;
use crate::destinations::{bad, check_destination, check_name, finish};
use crate::error::{ApiError, FieldErrors};
use crate::json::ApiJson;

#[derive(Debug, Serialize)]
pub struct ConditionView {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub time_zone: String,
    pub weekdays: String,
    pub start_time: String,
    pub end_time: String,
    pub callerid_pattern: String,
    pub match_destination: String,
    pub nomatch_destination: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ConditionRow> for ConditionView {
    fn from(c: ConditionRow) -> Self {
        ConditionView {
            id: c.id,
            name: c.name,
            kind: c.kind.as_str(),
            time_zone: c.time_zone,
            weekdays: c.weekdays,
            start_time: c.start_time,
            end_time: c.end_time,
            callerid_pattern: c.callerid_pattern,
            match_destination: c.match_destination,
            nomatch_destination: c.nomatch_destination,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// Body of POST/PUT/PATCH; on PATCH a field left out keeps its value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionBody {
    name: Option<String>,
    kind: Option<String>,
    time_zone: Option<String>,
    weekdays: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    callerid_pattern: Option<String>,
    match_destination: Option<String>,
    nomatch_destination: Option<String>,
    #[serde(default, rename = "id")]
    _id: Option<serde_json::Value>,
    #[serde(default, rename = "created_at")]
    _created_at: Option<serde_json::Value>,
    #[serde(default, rename = "updated_at")]
    _updated_at: Option<serde_json::Value>,
}

async fn checked(
    state: &AppState,
    tenant_id: i64,
    itself: Option<i64>,
    body: ConditionBody,
    current: Option<ConditionRow>,
) -> Result<NewCondition, ApiError> {
    let mut errors = FieldErrors::new();
    let kind_text = body.kind.or_else(|| current.as_ref().map(|c| c.kind.as_str().to_string()));
    let kind = match kind_text.as_deref() {
        None => {
            bad(&mut errors, "kind", "This field is required.");
            ConditionKind::Time
        }
        Some(k) => ConditionKind::parse(k).unwrap_or_else(|| {
            bad(&mut errors, "kind", "Enter one of time, callerid.");
            ConditionKind::Time
        }),
    };
    let keep = |new: Option<String>, old: Option<&str>, default: &str| {
        new.map(|v| v.trim().to_string()).unwrap_or_else(|| old.unwrap_or(default).to_string())
    };
    let c = current.as_ref();
    let mut new = NewCondition {
        name: keep(body.name, c.map(|c| c.name.as_str()), ""),
        kind,
        time_zone: keep(body.time_zone, c.map(|c| c.time_zone.as_str()), "UTC"),
        weekdays: keep(body.weekdays, c.map(|c| c.weekdays.as_str()), "").to_ascii_lowercase().replace(' ', ""),
        start_time: keep(body.start_time, c.map(|c| c.start_time.as_str()), ""),
        end_time: keep(body.end_time, c.map(|c| c.end_time.as_str()), ""),
        callerid_pattern: keep(body.callerid_pattern, c.map(|c| c.callerid_pattern.as_str()), "").replace(' ', ""),
        match_destination: keep(body.match_destination, c.map(|c| c.match_destination.as_str()), ""),
        nomatch_destination: keep(body.nomatch_destination, c.map(|c| c.nomatch_destination.as_str()), ""),
    };
    check_name(&mut errors, "name", &new.name, 64);
    if parse_time_zone(&new.time_zone).is_none() {
        bad(&mut errors, "time_zone", "Enter an IANA time zone name such as America/New_York or UTC.");
    }
    match kind {
        ConditionKind::Time => {
            new.callerid_pattern.clear();
            if parse_weekdays(&new.weekdays).is_none() {
                bad(&mut errors, "weekdays", "Enter days as mon,tue,wed,thu,fri,sat,sun (each once), or nothing.");
            }
            for (field, value) in [("start_time", &new.start_time), ("end_time", &new.end_time)] {
                if parse_hhmm(value).is_none() {
                    bad(&mut errors, field, "Enter a time as HH:MM (24-hour clock).");
                }
            }
        }
        ConditionKind::CallerId => {
            new.weekdays.clear();
            new.start_time.clear();
            new.end_time.clear();
            if !valid_callerid_pattern(&new.callerid_pattern) {
                bad(
                    &mut errors,
                    "callerid_pattern",
                    "Enter caller numbers as digits, each optionally ending in * (a prefix), separated by commas.",
                );
            }
        }
    }
    for (field, value) in
        [("match_destination", &new.match_destination), ("nomatch_destination", &new.nomatch_destination)]
    {
        if let Some(id) = itself
            && DestinationRef::parse(value) == Ok(Some(DestinationRef::Condition(id)))
        {
            bad(&mut errors, field, "A condition cannot lead to itself.");
        } else {
            check_destination(state, tenant_id, field, value, &mut errors).await?;
        }
    }
    finish(errors)?;
    Ok(new)
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<ConditionRow, ApiError> {
    let store = &state.store;
    crud::find_scoped(caller, id, |t, id| store.condition(t, id), |id| store.condition_any_tenant(id)).await
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<ConditionView>>, ApiError> {
    let rows = state.store.conditions(caller.0.tenant_id).await?;
    Ok(crud::views(rows))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConditionView>, ApiError> {
    Ok(Json(find(&state, &caller, &id).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ConditionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant_id = caller.0.tenant_id;
    let new = checked(&state, tenant_id, None, body, None).await?;
    let row = state.store.create_condition(tenant_id, &new).await?;
    Ok((StatusCode::CREATED, Json(ConditionView::from(row))))
}

async fn change(
    state: AppState,
    caller: Caller,
    id: String,
    body: ConditionBody,
    full: bool,
) -> Result<Json<ConditionView>, ApiError> {
    let current = find(&state, &caller, &id).await?;
    let (tenant_id, id) = (current.tenant_id, current.id);
    let new = checked(&state, tenant_id, Some(id), body, (!full).then_some(current)).await?;
    let row = state.store.update_condition(tenant_id, id, &new).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConditionBody>,
) -> Result<Json<ConditionView>, ApiError> {
    change(state, caller, id, body, true).await
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConditionBody>,
) -> Result<Json<ConditionView>, ApiError> {
    change(state, caller, id, body, false).await
}

/// Deletes a condition; 409 while something still leads to it.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = find(&state, &caller, &id).await?;
    let gone = async {
        state.store.delete_condition(c.tenant_id, c.id).await?;
        Ok(())
    };
    crud::delete_unless_used(&state, c.tenant_id, DestinationRef::Condition(c.id), "conditions", gone).await
}
