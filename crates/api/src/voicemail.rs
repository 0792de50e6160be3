//! `/api/voicemail/`: messages left in the tenant's voicemail boxes, newest
//! first (`?extension=<id>` for one box); mark one heard or new with PATCH
//! `{"heard": …}`, delete it (with its file), and fetch its audio at
//! `/api/voicemail/{id}/audio` as `audio/wav`.

use std::collections::HashMap;
use std::path::{Component, Path as FsPath};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use tower_http::services::ServeFile;
use voxide_store::VoicemailRow;

use crate::AppState;
use crate::auth::Caller;
use crate::crud;
use crate::destinations::flag;
use crate::error::ApiError;
use crate::json::ApiJson;

#[derive(Debug, Serialize)]
pub struct VoicemailView {
    pub id: i64,
    pub extension: i64,
    pub caller: String,
    pub call_uuid: String,
    pub duration_ms: i64,
    pub heard: bool,
    /// Where the WAV is served.
    pub audio: String,
    pub created_at: String,
}

impl From<VoicemailRow> for VoicemailView {
    fn from(v: VoicemailRow) -> Self {
        VoicemailView {
            id: v.id,
            extension: v.extension_id,
            caller: v.caller,
            call_uuid: v.call_uuid,
            duration_ms: v.duration_ms,
            heard: v.heard,
            audio: format!("/api/voicemail/{}/audio", v.id),
            created_at: v.created_at,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicemailBody {
    #[serde(default, deserialize_with = "flag")]
    heard: Option<bool>,
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<VoicemailRow, ApiError> {
    let store = &state.store;
    crud::find_scoped(caller, id, |t, id| store.voicemail(t, id), |id| store.voicemail_any_tenant(id)).await
}

/// The message's file under the recordings directory, if its stored path
/// stays inside it.
fn audio_file(state: &AppState, v: &VoicemailRow) -> Option<std::path::PathBuf> {
    let rel = FsPath::new(&v.path);
    let inside = !v.path.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
    inside.then(|| state.recordings_dir.join(rel))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<VoicemailView>>, ApiError> {
    let extension = match q.get("extension").map(String::as_str).filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::field("extension", "Enter the id of an extension."))?,
        ),
    };
    let rows = state.store.voicemails(caller.0.tenant_id, extension).await?;
    Ok(crud::views(rows))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<VoicemailView>, ApiError> {
    Ok(Json(find(&state, &caller, &id).await?.into()))
}

pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VoicemailBody>,
) -> Result<Json<VoicemailView>, ApiError> {
    let row = find(&state, &caller, &id).await?;
    let Some(heard) = body.heard else { return Err(ApiError::field("heard", "This field is required.")) };
    state.store.mark_voicemail_heard(row.id, heard).await?;
    let row = state.store.voicemail(row.tenant_id, row.id).await?.ok_or(ApiError::NotFound)?;
    light_lamps(&state, &row).await?;
    Ok(Json(row.into()))
}

/// Deletes the message and its file.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let row = find(&state, &caller, &id).await?;
    let gone = state.store.delete_voicemail(row.tenant_id, row.id).await?.ok_or(ApiError::NotFound)?;
    if let Some(file) = audio_file(&state, &gone)
        && let Err(e) = tokio::fs::remove_file(&file).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(voicemail = gone.id, cause = %e, "could not remove a deleted message's file");
    }
    light_lamps(&state, &gone).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tells the box owner's phones how many messages now wait (RFC 3842).
async fn light_lamps(state: &AppState, v: &VoicemailRow) -> Result<(), ApiError> {
    let (new, old) = state.store.voicemail_counts(v.extension_id).await?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    state.switch.message_waiting(v.tenant_id, v.extension_id, count(new), count(old));
    Ok(())
}

/// The message's WAV, with range requests.
pub async fn audio(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: Request<Body>,
) -> Result<Response, ApiError> {
    let row = find(&state, &caller, &id).await?;
    let file = audio_file(&state, &row).filter(|f| f.is_file()).ok_or(ApiError::NotFound)?;
    let mut resp = match ServeFile::new(file).oneshot(req).await {
        Ok(resp) => resp.into_response(),
        Err(never) => match never {},
    };
    if resp.status().is_success() {
        resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    }
    Ok(resp)
}
