//! `/oapi/v1/…`: the open API of seed 001, for third-party apps signed
//! with their app id and secret ([`AppCaller`]) instead of a token.
//!
//! `POST /oapi/v1/call/click-to-call/{number}` rings a device of the app's
//! tenant (`sipUser`, or the app owner's first extension) and, once it
//! answers, dials `number`: 200 when the device is online and ringing,
//! 400 `device offline` when it is not (nothing is dialled then).
//! `POST /oapi/v1/voice/auth_token` hands out a short-lived token for the
//! tenant's live events.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::AppState;
use crate::apps::AppCaller;
use crate::error::ApiError;
use crate::originate::{first_extension, place, seed_fail, seed_reply};

/// The seed's parameters, from a JSON body or the query string.
#[derive(Debug, Default, Deserialize)]
pub struct ClickToCallParams {
    /// The extension whose device rings.
    #[serde(rename = "sipUser")]
    sip_user: Option<String>,
    /// When given, it must be `sipUser`'s SIP password.
    #[serde(rename = "sipPassword")]
    sip_password: Option<String>,
}

pub async fn click_to_call(
    State(state): State<AppState>,
    AppCaller(app): AppCaller,
    Path(number): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let mut params: ClickToCallParams = if body.iter().all(u8::is_ascii_whitespace) {
        ClickToCallParams::default()
    } else {
        crate::json::parse(&body)?
    };
    params.sip_user = params.sip_user.or_else(|| query.get("sipUser").cloned());
    params.sip_password = params.sip_password.or_else(|| query.get("sipPassword").cloned());
    let device = match params.sip_user {
        Some(user) => user,
        None => match first_extension(&state, app.tenant_id, app.user_id).await? {
            Some(user) => user,
            None => {
                return Ok(seed_fail(StatusCode::BAD_REQUEST, &number, "no extension to ring: name one as sipUser"));
            }
        },
    };
    if let Some(password) = params.sip_password {
        let extensions = state.store.extensions(Some(app.tenant_id)).await?;
        let matches = extensions.iter().any(|e| e.sip_username == device && e.sip_password == password);
        if !matches {
            return Ok(seed_fail(StatusCode::UNAUTHORIZED, &number, "wrong sipUser or sipPassword"));
        }
    }
    Ok(seed_reply(&number, place(&state, app.tenant_id, &device, &number, None, None).await))
}

/// `POST /oapi/v1/voice/auth_token`: a token for the app's tenant's live
/// events (`/api/events?token=…`), valid for an hour: `{value, expire}`,
/// `expire` in unix seconds.
pub async fn auth_token(State(state): State<AppState>, AppCaller(app): AppCaller) -> impl IntoResponse {
    let expire = state.store.unix_now().max(0) as u64 + crate::event_tokens::TTL_SECS;
    let value = state.event_tokens.issue(app.tenant_id, app.user_id, expire);
    axum::Json(serde_json::json!({ "value": value, "expire": expire }))
}
