//! Text messages: seed 004's `POST /api/sendsms/`, the texts of a tenant
//! (`/api/sms/`), and the carrier's webhook (`POST /api/sms/inbound/`).
//!
//! The webhook is called by the carrier, not by a tenant, so it has no
//! token: it must present the configured `sms.inbound_secret`, as
//! `?secret=…` in the URL given to the carrier (Flowroute's callbacks can
//! set no headers) or as an `X-Voxide-Secret` header.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use voxide_sms::{SendSms, SmsError, WebhookOutcome};
use voxide_store::SmsRow;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldErrors};
use crate::extensions::parse_id;
use crate::json::ApiJson;
use crate::page;

/// Longest callback URL taken.
const MAX_URL_LEN: usize = 2000;

#[derive(Debug, Serialize)]
pub struct SmsView {
    pub id: i64,
    /// `out` (sent through the API) or `in` (from a phone or the carrier).
    pub direction: &'static str,
    pub sms_from: String,
    pub sms_to: String,
    pub sms_body: String,
    pub callback_url: Option<String>,
    /// `queued`, `sent`, `delivered` or `failed`.
    pub status: &'static str,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<SmsRow> for SmsView {
    fn from(m: SmsRow) -> Self {
        SmsView {
            id: m.id,
            direction: m.direction.as_str(),
            sms_from: m.sms_from,
            sms_to: m.sms_to,
            sms_body: m.body,
            callback_url: m.callback_url,
            status: m.status.as_str(),
            provider_id: m.provider_id,
            error: m.error,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    sms_to: Option<String>,
    sms_body: Option<String>,
    #[serde(default)]
    callback_url: Option<String>,
}

impl From<SmsError> for ApiError {
    fn from(e: SmsError) -> Self {
        match e {
            SmsError::Store(e) => ApiError::Store(e),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

/// `POST /api/sendsms/`: queues a text for an extension of the caller's
/// tenant or a telephone number; 202 with the queued message.
pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SendBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant_id = caller.0.tenant_id;
    let body_missing = body.sms_body.is_none();
    let mut errors = FieldErrors::new();
    let mut bad = |field: &str, message: &str| errors.insert(field.into(), vec![message.into()]);
    let to = match body.sms_to.as_deref().map(str::trim) {
        None => {
            bad("sms_to", "This field is required.");
            None
        }
        Some(raw) if state.store.extension_by_username(tenant_id, raw).await?.is_some() => Some(raw.to_string()),
        Some(raw) => {
            let number = phone_digits(raw);
            if number.is_none() {
                bad("sms_to", "Enter a phone number of 3 to 15 digits or an extension of yours.");
            }
            number
        }
    };
    let text = body.sms_body.unwrap_or_default();
    if body_missing {
        bad("sms_body", "This field is required.");
    } else if text.trim().is_empty() {
        bad("sms_body", "This field may not be blank.");
    } else if text.chars().count() > voxide_switch::MAX_TEXT_CHARS {
        bad("sms_body", "Ensure this field has no more than 1600 characters.");
    }
    let callback_url = body.callback_url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
    if let Some(url) = &callback_url
        && !is_http_url(url)
    {
        bad("callback_url", "Enter a valid http:// or https:// URL.");
    }
    let (Some(to), true) = (to, errors.is_empty()) else { return Err(ApiError::Fields(errors)) };
    let row = state.sms.send(SendSms { tenant_id, to, body: text, callback_url }).await?;
    Ok((StatusCode::ACCEPTED, Json(SmsView::from(row))))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let limit = page::parse_count("limit", q.get("limit"))?;
    let offset = page::parse_count("offset", q.get("offset"))?.unwrap_or(0);
    let (rows, total) = state.store.sms_page(caller.tenant_filter(), limit, offset).await?;
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let views: Vec<SmsView> = rows.into_iter().map(SmsView::from).collect();
    Ok(Json(page::respond(&uri, host, views, total, limit, offset)))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SmsView>, ApiError> {
    let row = state.store.sms_by_id(caller.tenant_filter(), parse_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

/// `POST /api/sms/inbound/`: Flowroute's inbound SMS and delivery receipt
/// callbacks.
pub async fn inbound(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let presented =
        headers.get("x-voxide-secret").and_then(|v| v.to_str().ok()).or(q.get("secret").map(String::as_str));
    if !presented.is_some_and(|s| state.sms.webhook_secret_matches(s)) {
        return Err(ApiError::Unauthorized("A valid webhook secret is required."));
    }
    let row = match state.sms.provider_webhook(&body).await? {
        WebhookOutcome::Received(row) | WebhookOutcome::Repeated(row) | WebhookOutcome::Receipt(row) => row,
    };
    Ok(Json(json!({ "id": row.id, "status": row.status.as_str() })))
}

/// A telephone number as digits: an optional `+`, the usual separators
/// dropped, 3 to 15 digits.
fn phone_digits(raw: &str) -> Option<String> {
    let bare = raw.strip_prefix('+').unwrap_or(raw);
    let digits: String = bare.chars().filter(|c| !" -().".contains(*c)).collect();
    let ok = (3..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(digits)
}

pub(crate) fn is_http_url(raw: &str) -> bool {
    raw.len() <= MAX_URL_LEN
        && reqwest::Url::parse(raw)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_urls_are_checked() {
        assert_eq!(phone_digits("+1 (305) 555-0150").as_deref(), Some("13055550150"));
        assert_eq!(phone_digits("911").as_deref(), Some("911"));
        for bad in ["", "12", "alice", "1305555015x", "1234567890123456", "+"] {
            assert_eq!(phone_digits(bad), None, "{bad:?}");
        }
        assert!(is_http_url("https://hooks.example.com/sms?k=1") && is_http_url("http://127.0.0.1:9000/x"));
        for bad in ["ftp://example.com/", "example.com/hook", "http://", "javascript:alert(1)", "https://"] {
            assert!(!is_http_url(bad), "{bad:?}");
        }
        assert!(!is_http_url(&format!("https://example.com/{}", "a".repeat(MAX_URL_LEN))));
    }
}
