//! API errors, shaped like Django REST framework's so existing clients of
//! the seed API keep working: `{"detail": "…"}` or `{"field": ["…"]}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use voxide_providers::ProviderError;
use voxide_store::StoreError;

/// Field name → messages, as DRF reports validation errors.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials or unknown token.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// The token is valid but not allowed to do this.
    #[error("forbidden")]
    Forbidden,
    /// Missing, or belongs to another tenant: the same answer for both so
    /// ids do not leak across tenants.
    #[error("not found")]
    NotFound,
    /// Validation failed; every bad field is named.
    #[error("invalid fields: {0:?}")]
    Fields(FieldErrors),
    /// The request as a whole is unusable.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("payload too large")]
    TooLarge,
    /// The switch cannot take this now (no media ports, stopped).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The DID provider failed.
    #[error("provider: {0}")]
    Provider(#[from] ProviderError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl ApiError {
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let mut map = FieldErrors::new();
        map.insert(name.to_string(), vec![message.into()]);
        ApiError::Fields(map)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            ApiError::Unauthorized(msg) => (StatusCode::UNAUTHORIZED, json!({ "detail": msg })),
            ApiError::Forbidden => {
                (StatusCode::FORBIDDEN, json!({ "detail": "You do not have permission to perform this action." }))
            }
            ApiError::NotFound => (StatusCode::NOT_FOUND, json!({ "detail": "Not found." })),
            ApiError::Fields(fields) => (StatusCode::BAD_REQUEST, json!(fields)),
            ApiError::BadRequest(msg) => (StatusCode::BAD_REQUEST, json!({ "detail": msg })),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, json!({ "detail": "Request body is too large." })),
            ApiError::Unavailable(msg) => (StatusCode::SERVICE_UNAVAILABLE, json!({ "detail": msg })),
            ApiError::Provider(e) => match e {
                ProviderError::InvalidInput(m) => (StatusCode::BAD_REQUEST, json!({ "detail": m })),
                ProviderError::NotAvailable(_) | ProviderError::NotOwned(_) => {
                    (StatusCode::BAD_REQUEST, json!({ "phonenumber": [e.to_string()] }))
                }
                _ => (StatusCode::BAD_GATEWAY, json!({ "detail": e.to_string() })),
            },
            ApiError::Store(StoreError::Conflict) => {
                (StatusCode::BAD_REQUEST, json!({ "detail": "An object with these values already exists." }))
            }
            ApiError::Store(e) => {
                tracing::error!(cause = %e, "store failure in API request");
                (StatusCode::INTERNAL_SERVER_ERROR, json!({ "detail": "Internal error." }))
            }
        };
        (status, Json(body)).into_response()
    }
}
