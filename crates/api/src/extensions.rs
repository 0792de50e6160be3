//! `/api/extensions/`: a tenant's SIP accounts (seed 000/004 shape).

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Deserializer, Serialize};
use voxide_store::{ExtensionChanges, ExtensionRow, NewExtension, StoreError};
use voxide_switch::{Account, Features};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldErrors};
use crate::json::ApiJson;

/// An extension as the API shows it.
#[derive(Debug, Serialize)]
pub struct ExtensionView {
    pub id: i64,
    pub user_id: i64,
    pub cellphone: String,
    pub transcription: i64,
    pub recording: i64,
    pub sip_username: String,
    pub sip_password: String,
    pub online: bool,
    pub updated_at: String,
    pub domain: String,
    /// What people call it (seed 002's `name`).
    pub display_name: String,
    /// Its direct address is `sip:direct.<hash>@<domain>` (set through
    /// seed 002's face); read-only here.
    pub direct_hash: Option<String>,
}

/// Body of POST/PUT/PATCH. Unknown fields are refused, so a typo is not
/// silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    sip_username: Option<String>,
    sip_password: Option<String>,
    cellphone: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    transcription: Option<i64>,
    #[serde(default, deserialize_with = "flag")]
    recording: Option<i64>,
    display_name: Option<String>,
    /// Read-only fields clients echo back from a GET; accepted and ignored.
    #[serde(default, rename = "id")]
    _id: Option<serde_json::Value>,
    #[serde(default, rename = "user_id")]
    _user_id: Option<serde_json::Value>,
    #[serde(default, rename = "updated_at")]
    _updated_at: Option<serde_json::Value>,
    #[serde(default, rename = "domain")]
    _domain: Option<serde_json::Value>,
    #[serde(default, rename = "online")]
    _online: Option<serde_json::Value>,
    #[serde(default, rename = "direct_hash")]
    _direct_hash: Option<serde_json::Value>,
}

/// Accepts 0/1 or false/true, as the seed API sends integers.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum F {
        B(bool),
        I(i64),
    }
    match Option::<F>::deserialize(d)? {
        None => Ok(None),
        Some(F::B(b)) => Ok(Some(i64::from(b))),
        Some(F::I(i @ 0..=1)) => Ok(Some(i)),
        Some(F::I(_)) => Err(serde::de::Error::custom("must be 0 or 1")),
    }
}

/// What is wrong with a SIP username, if anything (every face of the API
/// checks usernames here).
pub(crate) fn username_problem(u: &str) -> Option<&'static str> {
    if u.is_empty() {
        Some("This field may not be blank.")
    } else if u.len() > 32 {
        Some("Ensure this field has no more than 32 characters.")
    } else if !u.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c)) {
        Some("Only letters, digits and . _ - + are allowed.")
    } else if u.starts_with(DIRECT_PREFIX) {
        Some("Names starting with \"direct.\" are reserved for direct addresses.")
    } else {
        None
    }
}

/// The user part prefix of direct addresses, which the switch routes
/// before extensions.
const DIRECT_PREFIX: &str = "direct.";

/// What is wrong with a SIP password, if anything.
pub(crate) fn password_problem(p: &str) -> Option<&'static str> {
    if p.len() < 6 {
        Some("Ensure this field has at least 6 characters.")
    } else if p.len() > 128 {
        Some("Ensure this field has no more than 128 characters.")
    } else if p.chars().any(|c| c.is_control()) {
        Some("Control characters are not allowed.")
    } else {
        None
    }
}

/// What is wrong with a display name (seed 002's `name`), if anything.
pub(crate) fn display_name_problem(n: &str) -> Option<&'static str> {
    if n.chars().count() > 128 {
        Some("Ensure this field has no more than 128 characters.")
    } else if n.chars().any(char::is_control) {
        Some("Control characters are not allowed.")
    } else {
        None
    }
}

fn validate(body: &ExtensionBody, require_all: bool) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    let mut bad = |field: &str, msg: &str| errors.entry(field.to_string()).or_default().push(msg.to_string());
    match &body.sip_username {
        None if require_all => bad("sip_username", "This field is required."),
        None => {}
        Some(u) => {
            if let Some(why) = username_problem(u) {
                bad("sip_username", why)
            }
        }
    }
    match &body.sip_password {
        None if require_all => bad("sip_password", "This field is required."),
        None => {}
        Some(p) => {
            if let Some(why) = password_problem(p) {
                bad("sip_password", why)
            }
        }
    }
    if let Some(why) = body.display_name.as_deref().and_then(display_name_problem) {
        bad("display_name", why);
    }
    if let Some(c) = &body.cellphone
        && (c.len() > 20 || !c.chars().all(|ch| ch.is_ascii_digit() || ch == '+'))
    {
        bad("cellphone", "Enter a phone number of up to 20 digits.");
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Fields(errors)) }
}

pub(crate) fn view(online: &HashSet<i64>, e: ExtensionRow) -> ExtensionView {
    let online = online.contains(&e.id);
    ExtensionView {
        id: e.id,
        user_id: e.user_id,
        cellphone: e.cellphone,
        transcription: e.transcription,
        recording: e.recording,
        sip_username: e.sip_username,
        sip_password: e.sip_password,
        online,
        updated_at: e.updated_at,
        domain: e.domain,
        display_name: e.display_name,
        direct_hash: e.direct_hash,
    }
}

/// Parses a path id; anything that is not a positive integer is simply not found.
pub(crate) fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(ApiError::NotFound)
}

fn taken() -> ApiError {
    ApiError::field("sip_username", "extension with this sip username already exists.")
}

/// Tells the switch an extension was created or changed.
pub(crate) fn publish(state: &AppState, e: &ExtensionRow) {
    let account = Account { tenant_id: e.tenant_id, extension_id: e.id, password: e.sip_password.clone() };
    let features = Features { recording: e.recording != 0, transcription: e.transcription != 0 };
    state.switch.extension_saved(&e.domain, &e.sip_username, account, e.user_id, features);
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<ExtensionView>>, ApiError> {
    let online = state.online_extensions(caller.tenant_filter()).await?;
    let rows = state.store.extensions(caller.tenant_filter()).await?;
    Ok(Json(rows.into_iter().map(|e| view(&online, e)).collect()))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ExtensionView>, ApiError> {
    let id = parse_id(&id)?;
    let row = state.store.extension_by_id(caller.tenant_filter(), id).await?.ok_or(ApiError::NotFound)?;
    let online = state.online_extensions(Some(row.tenant_id)).await?;
    Ok(Json(view(&online, row)))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ExtensionBody>,
) -> Result<impl IntoResponse, ApiError> {
    validate(&body, true)?;
    let new = NewExtension {
        tenant_id: caller.0.tenant_id,
        user_id: caller.0.user_id,
        sip_username: body.sip_username.unwrap_or_default(),
        sip_password: body.sip_password.unwrap_or_default(),
        cellphone: body.cellphone.unwrap_or_default(),
        transcription: body.transcription.unwrap_or(0),
        recording: body.recording.unwrap_or(0),
    };
    let display_name = body.display_name.unwrap_or_default();
    let row = state.store.insert_labelled_extension(&new, &display_name, "").await.map_err(|e| match e {
        StoreError::Conflict => taken(),
        e => e.into(),
    })?;
    publish(&state, &row);
    Ok((StatusCode::CREATED, Json(view(&HashSet::new(), row))))
}

async fn change(
    state: AppState,
    caller: Caller,
    id: String,
    body: ExtensionBody,
    full: bool,
) -> Result<Json<ExtensionView>, ApiError> {
    let id = parse_id(&id)?;
    state.store.extension_by_id(caller.tenant_filter(), id).await?.ok_or(ApiError::NotFound)?;
    validate(&body, full)?;
    let changes = ExtensionChanges {
        sip_username: body.sip_username,
        sip_password: body.sip_password,
        cellphone: if full { Some(body.cellphone.unwrap_or_default()) } else { body.cellphone },
        transcription: body.transcription,
        recording: body.recording,
        // Older clients PUT without it; they keep the name set elsewhere.
        display_name: body.display_name,
        ..Default::default()
    };
    let row = state
        .store
        .update_extension(id, &changes)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => taken(),
            e => e.into(),
        })?
        .ok_or(ApiError::NotFound)?;
    publish(&state, &row);
    let online = state.online_extensions(Some(row.tenant_id)).await?;
    Ok(Json(view(&online, row)))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ExtensionBody>,
) -> Result<Json<ExtensionView>, ApiError> {
    change(state, caller, id, body, true).await
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ExtensionBody>,
) -> Result<Json<ExtensionView>, ApiError> {
    change(state, caller, id, body, false).await
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    let row = state.store.extension_by_id(caller.tenant_filter(), id).await?.ok_or(ApiError::NotFound)?;
    state.store.delete_extension(id).await?;
    state.switch.extension_deleted(&row.domain, &row.sip_username);
    Ok(StatusCode::NO_CONTENT)
}
