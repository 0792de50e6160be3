//! `/api/phones/`: desk phones provisioned by MAC address. Each phone has
//! a model (`generic`, `yealink`, `polycom`: which configuration file it
//! fetches from `/provision/`), the extension it registers as, and HTTP
//! Basic credentials of its own for fetching that file.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use voxide_store::{NewPhone, PhoneRow, StoreError, normalize_mac};

use crate::AppState;
use crate::auth::Caller;
use crate::crud;
use crate::destinations::{bad, finish, present};
use crate::error::{ApiError, FieldErrors};
use crate::json::ApiJson;
use crate::provisioning::Model;

#[derive(Debug, Serialize)]
pub struct PhoneView {
    pub id: i64,
    pub mac: String,
    pub model: String,
    pub extension: Option<i64>,
    pub http_username: String,
    pub http_password: String,
    /// The path the phone fetches its configuration from.
    pub provisioning_path: String,
    pub created_at: String,
}

impl From<PhoneRow> for PhoneView {
    fn from(p: PhoneRow) -> Self {
        let suffix = Model::parse(&p.model).map_or("cfg", Model::suffix);
        PhoneView {
            provisioning_path: format!("/provision/{}.{suffix}", p.mac),
            id: p.id,
            mac: p.mac,
            model: p.model,
            extension: p.extension_id,
            http_username: p.http_username,
            http_password: p.http_password,
            created_at: p.created_at,
        }
    }
}

/// Body of POST/PUT/PATCH; on PATCH a field left out keeps its value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneBody {
    mac: Option<String>,
    model: Option<String>,
    #[serde(default, deserialize_with = "present")]
    extension: Option<Option<i64>>,
    http_username: Option<String>,
    http_password: Option<String>,
    #[serde(default, rename = "id")]
    _id: Option<serde_json::Value>,
    #[serde(default, rename = "provisioning_path")]
    _provisioning_path: Option<serde_json::Value>,
    #[serde(default, rename = "created_at")]
    _created_at: Option<serde_json::Value>,
}

async fn checked(
    state: &AppState,
    tenant_id: i64,
    itself: Option<i64>,
    body: PhoneBody,
    current: Option<PhoneRow>,
) -> Result<NewPhone, ApiError> {
    let new = match current {
        Some(p) => NewPhone {
            mac: body.mac.unwrap_or(p.mac),
            model: body.model.unwrap_or(p.model),
            extension_id: body.extension.unwrap_or(p.extension_id),
            http_username: body.http_username.unwrap_or(p.http_username),
            http_password: body.http_password.unwrap_or(p.http_password),
        },
        None => NewPhone {
            mac: body.mac.unwrap_or_default(),
            model: body.model.unwrap_or_default(),
            extension_id: body.extension.flatten(),
            http_username: body.http_username.unwrap_or_default(),
            http_password: body.http_password.unwrap_or_default(),
        },
    };
    let mut errors = FieldErrors::new();
    match normalize_mac(new.mac.trim()) {
        None if new.mac.is_empty() => bad(&mut errors, "mac", "This field is required."),
        None => bad(&mut errors, "mac", "Enter 12 hex digits, optionally separated by : or -."),
        Some(mac) => {
            if let Some(other) = state.store.phone_by_mac(&mac).await?
                && Some(other.id) != itself
            {
                bad(&mut errors, "mac", "phone with this mac already exists.");
            }
        }
    }
    if Model::parse(&new.model).is_none() {
        let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
        bad(&mut errors, "model", format!("Enter one of {}.", names.join(", ")));
    }
    if let Some(ext) = new.extension_id
        && state.store.extension_by_id(Some(tenant_id), ext).await?.is_none()
    {
        bad(&mut errors, "extension", format!("Invalid pk \"{ext}\" - object does not exist."));
    }
    let user = &new.http_username;
    if user.is_empty() {
        bad(&mut errors, "http_username", "This field is required.");
    } else if user.len() > 64 || !user.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)) {
        bad(&mut errors, "http_username", "Enter up to 64 letters, digits and . _ - @.");
    }
    let password = &new.http_password;
    if password.is_empty() {
        bad(&mut errors, "http_password", "This field is required.");
    } else if password.len() < 8 {
        bad(&mut errors, "http_password", "Ensure this field has at least 8 characters.");
    } else if password.len() > 128 || password.chars().any(char::is_control) {
        bad(&mut errors, "http_password", "Enter up to 128 characters, without control characters.");
    }
    finish(errors)?;
    Ok(NewPhone { mac: new.mac.trim().to_string(), ..new })
}

fn taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict => ApiError::field("mac", "phone with this mac already exists."),
        e => e.into(),
    }
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<PhoneRow, ApiError> {
    let store = &state.store;
    crud::find_scoped(caller, id, |t, id| store.phone(t, id), |id| store.phone_any_tenant(id)).await
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<PhoneView>>, ApiError> {
    let rows = state.store.phones(caller.0.tenant_id).await?;
    Ok(crud::views(rows))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PhoneView>, ApiError> {
    Ok(Json(find(&state, &caller, &id).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PhoneBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant_id = caller.0.tenant_id;
    let new = checked(&state, tenant_id, None, body, None).await?;
    let row = state.store.create_phone(tenant_id, &new).await.map_err(taken)?;
    Ok((StatusCode::CREATED, Json(PhoneView::from(row))))
}

async fn change(
    state: AppState,
    caller: Caller,
    id: String,
    body: PhoneBody,
    full: bool,
) -> Result<Json<PhoneView>, ApiError> {
    let current = find(&state, &caller, &id).await?;
    let (tenant_id, id) = (current.tenant_id, current.id);
    let new = checked(&state, tenant_id, Some(id), body, (!full).then_some(current)).await?;
    let row = state.store.update_phone(tenant_id, id, &new).await.map_err(taken)?.ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PhoneBody>,
) -> Result<Json<PhoneView>, ApiError> {
    change(state, caller, id, body, true).await
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PhoneBody>,
) -> Result<Json<PhoneView>, ApiError> {
    change(state, caller, id, body, false).await
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = find(&state, &caller, &id).await?;
    state.store.delete_phone(row.tenant_id, row.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
