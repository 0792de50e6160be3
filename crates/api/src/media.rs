//! `GET /api/media/domain_<tenant>/<file>`: recordings, with range requests
//! (browsers' audio players seek with them). A tenant reaches only its own
//! `domain_<id>` directory.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

pub async fn serve(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<String>,
    req: Request<Body>,
) -> Result<Response, ApiError> {
    let mut parts = path.split('/');
    let (Some(dir), Some(file), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ApiError::NotFound);
    };
    let tenant = dir.strip_prefix("domain_").and_then(|t| t.parse::<i64>().ok()).ok_or(ApiError::NotFound)?;
    let safe = !file.is_empty()
        && !file.starts_with('.')
        && file.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !safe || !caller.can_see(tenant) {
        return Err(ApiError::NotFound);
    }
    let full = state.recordings_dir.join(dir).join(file);
    if !full.is_file() {
        return Err(ApiError::NotFound);
    }
    match ServeFile::new(full).oneshot(req).await {
        Ok(resp) => Ok(resp.into_response()),
        Err(never) => match never {},
    }
}
