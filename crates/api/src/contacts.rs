//! `/api/contacts/`: the caller's own address book. A CDR's `in_contact`
//! says whether the caller's number was in the callee's contacts.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use voxide_store::{ContactRow, StoreError};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extensions::parse_id;
use crate::json::ApiJson;

#[derive(Debug, Serialize)]
pub struct ContactView {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub number: String,
    pub created_at: String,
}

impl From<ContactRow> for ContactView {
    fn from(c: ContactRow) -> Self {
        ContactView { id: c.id, user_id: c.user_id, name: c.name, number: c.number, created_at: c.created_at }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    #[serde(default)]
    name: String,
    number: Option<String>,
}

/// Digits of a phone number, for matching callers: `+1 (786) 555-0100` →
/// `17865550100`.
pub fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<ContactView>>, ApiError> {
    let rows = state.store.contacts(Some(caller.0.user_id)).await?;
    Ok(Json(rows.into_iter().map(ContactView::from).collect()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ContactBody>,
) -> Result<impl IntoResponse, ApiError> {
    let Some(raw) = body.number else { return Err(ApiError::field("number", "This field is required.")) };
    let number = digits(&raw);
    if !(3..=15).contains(&number.len()) || raw.chars().any(|c| c.is_alphabetic()) {
        return Err(ApiError::field("number", "Enter a phone number of 3 to 15 digits."));
    }
    if body.name.len() > 100 {
        return Err(ApiError::field("name", "Ensure this field has no more than 100 characters."));
    }
    let row =
        state.store.insert_contact(caller.0.tenant_id, caller.0.user_id, body.name.trim(), &number).await.map_err(
            |e| match e {
                StoreError::Conflict => ApiError::field("number", "This number is already in your contacts."),
                e => e.into(),
            },
        )?;
    state.switch.contact_added(row.user_id, &row.number);
    Ok((StatusCode::CREATED, Json(ContactView::from(row))))
}

async fn own(state: &AppState, caller: &Caller, id: &str) -> Result<ContactRow, ApiError> {
    let row = state.store.contact_by_id(parse_id(id)?).await?.ok_or(ApiError::NotFound)?;
    if row.user_id != caller.0.user_id && !caller.0.is_superadmin {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(own(&state, &caller, &id).await?.into()))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = own(&state, &caller, &id).await?;
    state.store.delete_contact(row.id).await?;
    state.switch.contact_removed(row.user_id, &row.number);
    Ok(StatusCode::NO_CONTENT)
}
