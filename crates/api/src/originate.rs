//! Calls placed through the API (click-to-call): the user's own registered
//! device rings first, and once it answers the switch dials the number and
//! bridges the two. `POST /api/calls/` is the native face; `GET
//! /api/makecall/` is seed 004's, ringing the caller's first extension.
//! Seed 001's `click-to-call` (app-signed) lives in `oapi` and shares
//! [`place`] and [`seed_reply`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use voxide_switch::{OriginateError, OriginateRequest, Originated, dialable};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldErrors};
use crate::json::ApiJson;

/// The CDR direction of every call placed here.
const DIRECTION: &str = "click-to-call";

/// Rings `device` (an extension of `tenant_id`), then dials `to`.
pub(crate) async fn place(
    state: &AppState,
    tenant_id: i64,
    device: &str,
    to: &str,
    caller_id: Option<String>,
    status_callback: Option<String>,
) -> Result<Originated, OriginateError> {
    let request = OriginateRequest {
        tenant_id,
        device: device.to_string(),
        to: to.to_string(),
        caller_id,
        direction: DIRECTION,
        status_callback,
    };
    let placed = state.switch.originate(request).await;
    match &placed {
        Ok(o) => tracing::info!(call_uuid = %o.call_uuid, %device, %to, "call placed through the API"),
        Err(e) => tracing::info!(%device, %to, cause = %e, "call not placed"),
    }
    placed
}

/// The first extension (lowest id) of `user_id`: the device seed faces ring.
pub(crate) async fn first_extension(
    state: &AppState,
    tenant_id: i64,
    user_id: i64,
) -> Result<Option<String>, ApiError> {
    let rows = state.store.extensions(Some(tenant_id)).await?;
    Ok(rows.into_iter().find(|e| e.user_id == user_id).map(|e| e.sip_username))
}

/// The seed APIs' answer: `{dial_number, status, call_uuid, message}`,
/// 200 with `success` or 400 with `fail` and why (`device offline`).
pub(crate) fn seed_reply(number: &str, placed: Result<Originated, OriginateError>) -> (StatusCode, Json<Value>) {
    match placed {
        Ok(o) => (
            StatusCode::OK,
            Json(json!({ "dial_number": number, "status": "success", "call_uuid": o.call_uuid, "message": "" })),
        ),
        Err(e) => seed_fail(unplaced_status(&e), number, &e.to_string()),
    }
}

/// The seed APIs' refusal: `{dial_number, status: "fail", call_uuid: null, message}`.
pub(crate) fn seed_fail(status: StatusCode, number: &str, message: &str) -> (StatusCode, Json<Value>) {
    (status, Json(json!({ "dial_number": number, "status": "fail", "call_uuid": null, "message": message })))
}

/// The API's answer to a call that could not be placed (or moved): the
/// number's field (`field`) named when it cannot be reached.
pub(crate) fn unplaced(e: OriginateError, field: &str) -> ApiError {
    match e {
        OriginateError::NoRoute(_) | OriginateError::TargetOffline(_) => ApiError::field(field, e.to_string()),
        OriginateError::NoSuchCall => ApiError::NotFound,
        OriginateError::Busy => ApiError::BadRequest(e.to_string()),
        OriginateError::NoMedia | OriginateError::NotRunning => ApiError::Unavailable(e.to_string()),
        OriginateError::DeviceOffline | OriginateError::UnknownDevice(_) | OriginateError::Invalid(_) => {
            ApiError::BadRequest(e.to_string())
        }
    }
}

/// 503 when the switch cannot take calls now; 400 when this one cannot be placed.
fn unplaced_status(e: &OriginateError) -> StatusCode {
    match e {
        OriginateError::NoMedia | OriginateError::NotRunning => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginateBody {
    from: Option<String>,
    to: Option<String>,
    caller_id: Option<String>,
    /// Gets the call's events POSTed, signed and in order.
    status_callback: Option<String>,
}

/// Checks a number field: required ones must be there; all must be dialable.
fn number(errors: &mut FieldErrors, field: &str, value: Option<&str>, required: bool) {
    match value {
        None if required => {
            errors.insert(field.into(), vec!["This field is required.".into()]);
        }
        Some(v) if !dialable(v) => {
            errors.insert(field.into(), vec!["Enter a number or extension: 1 to 64 of 0-9, A-Z, + - . _ * #.".into()]);
        }
        _ => {}
    }
}

/// `POST /api/calls/`: rings extension `from`'s device, then dials `to`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<OriginateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let mut errors = FieldErrors::new();
    number(&mut errors, "from", body.from.as_deref(), true);
    number(&mut errors, "to", body.to.as_deref(), true);
    number(&mut errors, "caller_id", body.caller_id.as_deref(), false);
    if body.status_callback.as_deref().is_some_and(|u| !crate::sms::is_http_url(u)) {
        errors.insert("status_callback".into(), vec!["Enter an http:// or https:// URL.".into()]);
    }
    let (Some(from), Some(to), true) = (body.from, body.to, errors.is_empty()) else {
        return Err(ApiError::Fields(errors));
    };
    let placed = place(&state, caller.0.tenant_id, &from, &to, body.caller_id, body.status_callback).await.map_err(
        |e| match e {
            OriginateError::UnknownDevice(_) => ApiError::field("from", format!("No extension {from}.")),
            e => unplaced(e, "to"),
        },
    )?;
    let message = format!("Ringing {from}; {to} is dialled when it answers.");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "call_uuid": placed.call_uuid, "status": "ringing", "message": message, "from": from, "to": to
        })),
    ))
}

/// `GET /api/makecall/?number=…&action=bridge`: rings the caller's first
/// extension, then dials `number` (without `action`, makecall crawls).
pub(crate) async fn makecall_bridge(
    state: &AppState,
    caller: &Caller,
    number: &str,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Some(device) = first_extension(state, caller.0.tenant_id, caller.0.user_id).await? else {
        return Ok(seed_fail(StatusCode::BAD_REQUEST, number, "no extension to ring: create one first"));
    };
    Ok(seed_reply(number, place(state, caller.0.tenant_id, &device, number, None, None).await))
}
