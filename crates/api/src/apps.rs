//! `/api/apps/`: a tenant's third-party apps for the open API (seed 001).
//! An app is an id and a secret, shown once when it is made; requests
//! under `/oapi/` prove themselves with `x-auth-app-id` and
//! `x-auth-app-hash = sha256(app_id + app_secret)` ([`AppCaller`]).

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use voxide_store::AppRow;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extensions::parse_id;
use crate::json::ApiJson;

/// An app as listed: no secret.
#[derive(Debug, Serialize)]
pub struct AppView {
    pub id: i64,
    pub tenant_id: i64,
    pub user_id: i64,
    pub name: String,
    pub app_id: String,
    pub created_at: String,
}

impl From<&AppRow> for AppView {
    fn from(a: &AppRow) -> Self {
        AppView {
            id: a.id,
            tenant_id: a.tenant_id,
            user_id: a.user_id,
            name: a.name.clone(),
            app_id: a.app_id.clone(),
            created_at: a.created_at.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppBody {
    name: Option<String>,
}

/// `POST /api/apps/`: the only answer that holds the secret.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AppBody>,
) -> Result<impl IntoResponse, ApiError> {
    let name = body.name.unwrap_or_default();
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::field("name", "Enter a name of 1 to 100 characters."));
    }
    let app = state.store.insert_app(caller.0.tenant_id, caller.0.user_id, name).await?;
    let mut view = serde_json::to_value(AppView::from(&app)).unwrap_or_default();
    view["app_secret"] = app.app_secret.into();
    Ok((StatusCode::CREATED, Json(view)))
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<AppView>>, ApiError> {
    let apps = state.store.apps(caller.tenant_filter()).await?;
    Ok(Json(apps.iter().map(AppView::from).collect()))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let app = state.store.app_by_id(parse_id(&id)?).await?.filter(|a| caller.can_see(a.tenant_id));
    let app = app.ok_or(ApiError::NotFound)?;
    state.store.delete_app(app.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An app whose request carried its id and a matching hash.
#[derive(Debug, Clone)]
pub struct AppCaller(pub AppRow);

impl FromRequestParts<AppState> for AppCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let (Some(app_id), Some(hash)) = (header("x-auth-app-id"), header("x-auth-app-hash")) else {
            return Err(ApiError::Unauthorized("The x-auth-app-id and x-auth-app-hash headers are required."));
        };
        if app_id.is_empty() || app_id.len() > 64 {
            return Err(ApiError::Unauthorized("Invalid app credentials."));
        }
        match state.store.app_by_app_id(app_id).await? {
            Some(app) if app.verify(&[], hash) => Ok(AppCaller(app)),
            _ => Err(ApiError::Unauthorized("Invalid app credentials.")),
        }
    }
}
