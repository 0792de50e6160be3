//! `GET /api/registrations/`: the registrar's current bindings.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Debug, Serialize)]
pub struct RegistrationView {
    pub aor: String,
    pub contact: String,
    pub extension: i64,
    pub source: String,
    pub transport: String,
    pub user_agent: String,
    pub q: f64,
    /// Seconds left.
    pub expires: i64,
    pub path: Vec<String>,
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<RegistrationView>>, ApiError> {
    let now = state.store.unix_now();
    let rows = state.store.live_bindings(caller.tenant_filter(), now).await?;
    Ok(Json(
        rows.into_iter()
            .map(|b| RegistrationView {
                aor: b.aor,
                contact: b.contact,
                extension: b.extension_id,
                source: b.source,
                transport: b.transport,
                user_agent: b.user_agent,
                q: b.q,
                expires: b.expires_at - now,
                path: b.path.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect(),
            })
            .collect(),
    ))
}
