//! `/api/calls/`: the calls in progress and what can be done to them —
//! hang up, send digits (RFC 4733), play a prompt, start recording.

use std::path::{Component, Path as FsPath};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use voxide_switch::{CallSide, LiveCall, Prompt};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldErrors};
use crate::json::ApiJson;

pub async fn list(State(state): State<AppState>, caller: Caller) -> Json<Vec<LiveCall>> {
    let calls = state.switch.calls().await;
    Json(calls.into_iter().filter(|c| caller.can_see(c.tenant_id)).collect())
}

/// The call `uuid`, if it is in progress and the caller may see it.
async fn visible(state: &AppState, caller: &Caller, uuid: &str) -> Result<LiveCall, ApiError> {
    let calls = state.switch.calls().await;
    calls.into_iter().find(|c| c.call_uuid == uuid && caller.can_see(c.tenant_id)).ok_or(ApiError::NotFound)
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> Result<Json<LiveCall>, ApiError> {
    Ok(Json(visible(&state, &caller, &uuid).await?))
}

pub async fn hangup(
    State(state): State<AppState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> Result<StatusCode, ApiError> {
    visible(&state, &caller, &uuid).await?;
    if state.switch.hangup(&uuid).await { Ok(StatusCode::NO_CONTENT) } else { Err(ApiError::NotFound) }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DtmfBody {
    digits: Option<String>,
    #[serde(default)]
    side: Option<String>,
    #[serde(default)]
    duration_ms: Option<u32>,
}

/// `caller` or `callee` (the default: whoever the call reached).
fn side(value: Option<&str>, errors: &mut FieldErrors) -> CallSide {
    match value.unwrap_or("callee") {
        "caller" => CallSide::Caller,
        "callee" => CallSide::Callee,
        _ => {
            errors.insert("side".into(), vec!["Must be \"caller\" or \"callee\".".into()]);
            CallSide::Callee
        }
    }
}

pub async fn dtmf(
    State(state): State<AppState>,
    caller: Caller,
    Path(uuid): Path<String>,
    ApiJson(body): ApiJson<DtmfBody>,
) -> Result<impl IntoResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let digits = body.digits.unwrap_or_default();
    if digits.is_empty() || digits.len() > 32 || !digits.chars().all(|c| "0123456789*#ABCDabcd".contains(c)) {
        errors.insert("digits".into(), vec!["Enter 1 to 32 of 0-9, *, #, A-D.".into()]);
    }
    let duration_ms = body.duration_ms.unwrap_or(100);
    if !(40..=2000).contains(&duration_ms) {
        errors.insert("duration_ms".into(), vec!["Must lie between 40 and 2000.".into()]);
    }
    let side = side(body.side.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Fields(errors));
    }
    visible(&state, &caller, &uuid).await?;
    if !state.switch.send_dtmf(&uuid, side, &digits.to_ascii_uppercase(), duration_ms).await {
        return Err(ApiError::NotFound);
    }
    Ok((StatusCode::ACCEPTED, Json(json!({ "call_uuid": uuid, "status": "sending", "digits": digits }))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayBody {
    prompt: Option<String>,
    #[serde(default)]
    side: Option<String>,
}

/// `name` as a WAV file inside `dir`: relative, no `..`, ending in `.wav`,
/// and still inside `dir` once symbolic links are resolved.
fn prompt_path(dir: &FsPath, name: &str) -> Option<std::path::PathBuf> {
    let rel = FsPath::new(name);
    let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain || !name.ends_with(".wav") {
        return None;
    }
    let (dir, path) = (dir.canonicalize().ok()?, dir.join(rel).canonicalize().ok()?);
    (path.starts_with(&dir) && path.is_file()).then_some(path)
}

pub async fn play(
    State(state): State<AppState>,
    caller: Caller,
    Path(uuid): Path<String>,
    ApiJson(body): ApiJson<PlayBody>,
) -> Result<impl IntoResponse, ApiError> {
    // The call first: a caller who may not see it learns nothing of the prompts.
    visible(&state, &caller, &uuid).await?;
    let mut errors = FieldErrors::new();
    let side = side(body.side.as_deref(), &mut errors);
    let name = body.prompt.unwrap_or_default();
    let path = prompt_path(&state.prompts_dir, &name);
    if path.is_none() {
        errors.insert("prompt".into(), vec![format!("No WAV prompt named {name:?} in the prompts directory.")]);
    }
    let (Some(path), true) = (path, errors.is_empty()) else { return Err(ApiError::Fields(errors)) };
    let prompt = tokio::task::spawn_blocking(move || Prompt::load(&path, 8000))
        .await
        .map_err(|e| ApiError::BadRequest(e.to_string()))?
        .map_err(|e| ApiError::field("prompt", format!("Cannot read it: {e}")))?;
    let duration_ms = prompt.duration_ms();
    if !state.switch.play(&uuid, side, prompt).await {
        return Err(ApiError::NotFound);
    }
    Ok((StatusCode::ACCEPTED, Json(json!({ "call_uuid": uuid, "status": "playing", "duration_ms": duration_ms }))))
}

pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    visible(&state, &caller, &uuid).await?;
    let recording = state.switch.record(&uuid).await.ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "call_uuid": uuid, "status": "recording", "recording": recording })))
}

/// `DELETE /api/calls/{uuid}/record/`: stops recording; the file is
/// complete and stays linked to the call's CDR. 404 when not recording.
pub async fn stop_recording(
    State(state): State<AppState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    visible(&state, &caller, &uuid).await?;
    let recording = state.switch.stop_recording(&uuid).await.ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "call_uuid": uuid, "status": "stopped", "recording": recording })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    to: Option<String>,
}

/// `POST /api/calls/{uuid}/transfer/ {"to": N}`: blind transfer. The
/// caller is connected to `to` (an extension, a DID or an outside number,
/// routed like a number the caller's tenant dialled) and the callee is
/// hung up. Phones do the same with a REFER from the callee.
pub async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    Path(uuid): Path<String>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<impl IntoResponse, ApiError> {
    let to = body.to.unwrap_or_default();
    if !voxide_switch::dialable(&to) {
        return Err(ApiError::field("to", "Enter the extension or number to transfer the caller to."));
    }
    let call = visible(&state, &caller, &uuid).await?;
    if call.status != "answered" {
        return Err(ApiError::BadRequest("only an answered call can be transferred".into()));
    }
    match state.switch.transfer(&uuid, &to).await {
        Ok(()) => Ok((StatusCode::ACCEPTED, Json(json!({ "call_uuid": uuid, "status": "transferring", "to": to })))),
        Err(e) => Err(crate::originate::unplaced(e, "to")),
    }
}
