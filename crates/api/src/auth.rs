//! Token authentication: `Authorization: Token <t>` (DRF) or `Bearer <t>`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use voxide_store::TokenScope;

use crate::AppState;
use crate::error::ApiError;

/// The caller, as proven by its token.
#[derive(Debug, Clone)]
pub struct Caller(pub TokenScope);

impl Caller {
    /// The tenant filter for reads: `None` (all tenants) for a super-admin.
    pub fn tenant_filter(&self) -> Option<i64> {
        (!self.0.is_superadmin).then_some(self.0.tenant_id)
    }

    /// Whether the caller may see an object of `tenant_id`.
    pub fn can_see(&self, tenant_id: i64) -> bool {
        self.0.is_superadmin || self.0.tenant_id == tenant_id
    }
}

/// Extracts the token from the `Authorization` header or `?token=` (for
/// websockets and browser downloads, which cannot set headers).
pub fn presented_token(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        let scheme = scheme.to_ascii_lowercase();
        return (scheme == "token" || scheme == "bearer").then(|| token.trim().to_string());
    }
    parts.uri.query()?.split('&').find_map(|kv| kv.strip_prefix("token=")).map(str::to_string)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = presented_token(parts) else {
            return Err(ApiError::Unauthorized("Authentication credentials were not provided."));
        };
        if token.is_empty() || token.len() > 256 {
            return Err(ApiError::Unauthorized("Invalid token."));
        }
        if crate::EventTokens::is_event_token(&token) {
            // Good for the live events of one tenant, and nothing else.
            let now = state.store.unix_now().max(0) as u64;
            return match state.event_tokens.verify(&token, now) {
                Some((tenant_id, user_id)) if parts.uri.path().trim_end_matches('/') == "/api/events" => {
                    Ok(Caller(TokenScope { token_id: 0, tenant_id, user_id, is_superadmin: false }))
                }
                _ => Err(ApiError::Unauthorized("Invalid token.")),
            };
        }
        match state.store.token_scope(&token).await? {
            Some(scope) => Ok(Caller(scope)),
            None => Err(ApiError::Unauthorized("Invalid token.")),
        }
    }
}
