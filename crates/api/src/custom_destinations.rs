//! `/api/custom_destinations/`: named outside numbers (seed 003's FORWARD
//! custom destination), reached as `custom:<id>` and dialled through the
//! tenant's trunk routing.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use voxide_store::{CustomDestinationRow, DestinationRef, is_outside_number};

use crate::AppState;
use crate::auth::Caller;
use crate::crud;
use crate::destinations::{bad, check_name, finish};
use crate::error::{ApiError, FieldErrors};
use crate::json::ApiJson;

#[derive(Debug, Serialize)]
pub struct CustomDestinationView {
    pub id: i64,
    pub name: String,
    pub number: String,
    pub created_at: String,
}

impl From<CustomDestinationRow> for CustomDestinationView {
    fn from(c: CustomDestinationRow) -> Self {
        CustomDestinationView { id: c.id, name: c.name, number: c.number, created_at: c.created_at }
    }
}

/// Body of POST/PUT/PATCH; on PATCH a field left out keeps its value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDestinationBody {
    name: Option<String>,
    number: Option<String>,
    #[serde(default, rename = "id")]
    _id: Option<serde_json::Value>,
    #[serde(default, rename = "created_at")]
    _created_at: Option<serde_json::Value>,
}

/// `+1 (514) 555-0123` as `+15145550123`: spaces, dashes, dots and
/// brackets are dropped.
fn compact(number: &str) -> String {
    number.chars().filter(|c| !" -.()".contains(*c)).collect()
}

fn checked(body: CustomDestinationBody, current: Option<CustomDestinationRow>) -> Result<(String, String), ApiError> {
    let (name, number) = match current {
        Some(c) => (body.name.unwrap_or(c.name), body.number.map_or(c.number, |n| compact(&n))),
        None => (body.name.unwrap_or_default(), compact(&body.number.unwrap_or_default())),
    };
    let name = name.trim().to_string();
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "name", &name, 64);
    if number.is_empty() {
        bad(&mut errors, "number", "This field is required.");
    } else if !is_outside_number(&number) {
        bad(&mut errors, "number", "Enter an outside number: 1 to 32 digits, optionally after +.");
    }
    finish(errors)?;
    Ok((name, number))
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<CustomDestinationRow, ApiError> {
    let store = &state.store;
    crud::find_scoped(caller, id, |t, id| store.custom_destination(t, id), |id| store.custom_destination_any_tenant(id))
        .await
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<CustomDestinationView>>, ApiError> {
    let rows = state.store.custom_destinations(caller.0.tenant_id).await?;
    Ok(crud::views(rows))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CustomDestinationView>, ApiError> {
    Ok(Json(find(&state, &caller, &id).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CustomDestinationBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (name, number) = checked(body, None)?;
    let row = state.store.create_custom_destination(caller.0.tenant_id, &name, &number).await?;
    Ok((StatusCode::CREATED, Json(CustomDestinationView::from(row))))
}

async fn change(
    state: AppState,
    caller: Caller,
    id: String,
    body: CustomDestinationBody,
    full: bool,
) -> Result<Json<CustomDestinationView>, ApiError> {
    let current = find(&state, &caller, &id).await?;
    let (tenant_id, id) = (current.tenant_id, current.id);
    let (name, number) = checked(body, (!full).then_some(current))?;
    let row = state.store.update_custom_destination(tenant_id, id, &name, &number).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CustomDestinationBody>,
) -> Result<Json<CustomDestinationView>, ApiError> {
    change(state, caller, id, body, true).await
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CustomDestinationBody>,
) -> Result<Json<CustomDestinationView>, ApiError> {
    change(state, caller, id, body, false).await
}

/// Deletes one; 409 while something still leads to it.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = find(&state, &caller, &id).await?;
    let gone = async {
        state.store.delete_custom_destination(c.tenant_id, c.id).await?;
        Ok(())
    };
    crud::delete_unless_used(&state, c.tenant_id, DestinationRef::Custom(c.id), "", gone).await
}
