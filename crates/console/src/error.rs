//! Why a console request failed, as a page a person can read.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use voxide_api::ApiError;
use voxide_store::StoreError;

use crate::layout;

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConsoleError {
    /// Not signed in: to the sign-in page, then back to `next`.
    #[error("sign-in needed")]
    SignIn { next: String },
    /// A form without the session's CSRF token, or from another site.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Missing, or another tenant's: the same answer for both.
    #[error("not found")]
    NotFound,
    /// A form that could not be read at all.
    #[error("bad form: {0}")]
    BadForm(String),
    /// What an API handler refused with.
    #[error("api: {0}")]
    Api(#[from] ApiError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, detail): (StatusCode, &str, String) = match self {
            ConsoleError::SignIn { next } => {
                let next = if next.starts_with("/console") { next } else { "/console".into() };
                let query = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                return Redirect::to(&format!("/console/login?{query}")).into_response();
            }
            ConsoleError::Forbidden(why) => (StatusCode::FORBIDDEN, "Forbidden", why.to_string()),
            ConsoleError::NotFound | ConsoleError::Api(ApiError::NotFound) => {
                (StatusCode::NOT_FOUND, "Not found", "There is nothing here, or it belongs to another tenant.".into())
            }
            ConsoleError::BadForm(why) => (StatusCode::BAD_REQUEST, "Bad request", why),
            ConsoleError::Api(e) => match e {
                ApiError::Fields(fields) => {
                    let list = fields.iter().map(|(k, v)| format!("{k}: {}", v.join(" "))).collect::<Vec<_>>();
                    (StatusCode::BAD_REQUEST, "Bad request", list.join("; "))
                }
                ApiError::BadRequest(msg) => (StatusCode::BAD_REQUEST, "Bad request", msg),
                ApiError::Unavailable(msg) => (StatusCode::SERVICE_UNAVAILABLE, "Unavailable", msg),
                ApiError::Provider(e) => (StatusCode::BAD_GATEWAY, "Provider error", e.to_string()),
                ApiError::Forbidden | ApiError::Unauthorized(_) => {
                    (StatusCode::FORBIDDEN, "Forbidden", "You may not do this.".into())
                }
                other => {
                    tracing::error!(cause = %other, "console request failed");
                    (StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "Something went wrong; see the log.".into())
                }
            },
            ConsoleError::Store(e) => {
                tracing::error!(cause = %e, "store failure in console request");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "Something went wrong; see the log.".into())
            }
        };
        let body = html! {
            h1 { (title) }
            p.error { (detail) }
            p { a href="/console/" { "Back to the console" } }
        };
        (status, layout::bare(title, body)).into_response()
    }
}
