//! Seed 004's crawler face: `GET /api/makecall/?number=…` starts crawling
//! a number's IVR (`&new=0` resumes the incomplete tree), and
//! `GET /api/makecall_submenu/?id=NODE[&forwarding_number=N]` crawls what is
//! missing under a node, or calls the node and bridges it to `N`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use voxide_crawler::CrawlError;
use voxide_switch::dialable;

use crate::auth::Caller;
use crate::originate::{makecall_bridge, seed_fail};
use crate::{ApiError, AppState};

/// `GET /api/makecall/?number=…`: crawls the number's menus
/// (`&business_name=` and `&retry_enabled=0|1` are kept with a number
/// crawled for the first time). With `action=bridge` it is click-to-call
/// instead (ring the caller's first extension, then dial the number).
pub async fn makecall(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let number = query.get("number").cloned().unwrap_or_default();
    if !dialable(&number) {
        return Err(ApiError::field("number", "Enter the number to call."));
    }
    if query.get("action").map(String::as_str) == Some("bridge") {
        return makecall_bridge(&state, &caller, &number).await;
    }
    let fresh = match query.get("new").map(String::as_str) {
        None | Some("1") | Some("true") => true,
        Some("0") | Some("false") => false,
        Some(_) => return Err(ApiError::field("new", "Enter 0 (resume) or 1 (start over).")),
    };
    let retry_enabled = match query.get("retry_enabled").map(String::as_str) {
        None | Some("1") | Some("true") => true,
        Some("0") | Some("false") => false,
        Some(_) => return Err(ApiError::field("retry_enabled", "Enter 1 (retry failed crawls) or 0.")),
    };
    let business_name = query.get("business_name").map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if business_name.as_ref().is_some_and(|n| n.chars().count() > 128) {
        return Err(ApiError::field("business_name", "Ensure this field has no more than 128 characters."));
    }
    let about = voxide_crawler::NewCrawl { business_name, retry_enabled };
    let crawler = state.crawler.as_ref().ok_or_else(|| ApiError::Unavailable("the crawler is not running".into()))?;
    match crawler.start(caller.0.tenant_id, &number, fresh, &about).await {
        Ok(started) => Ok((
            StatusCode::OK,
            Json(json!({
                "dial_number": number,
                "status": "success",
                "call_uuid": null,
                "message": format!("crawl {} attempt {} started", started.crawl.id, started.crawl.attempt),
                "crawl_id": started.crawl.id,
                "scan_id": started.scan.id,
            })),
        )),
        Err(e) => Ok(crawl_refusal(&number, e)),
    }
}

/// `GET /api/makecall_submenu/?id=NODE[&forwarding_number=N]`.
pub async fn makecall_submenu(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let Some(node) = query.get("id").and_then(|v| v.parse::<i64>().ok()) else {
        return Err(ApiError::field("id", "Enter the id of a menu node."));
    };
    let crawler = state.crawler.as_ref().ok_or_else(|| ApiError::Unavailable("the crawler is not running".into()))?;
    let tenant = caller.0.tenant_id;
    match query.get("forwarding_number").filter(|n| !n.is_empty()) {
        Some(forward) => {
            if !dialable(forward) {
                return Err(ApiError::field("forwarding_number", "Enter the number to connect."));
            }
            match crawler.forward(tenant, node, forward).await {
                Ok(uuid) => Ok((
                    StatusCode::OK,
                    Json(json!({ "dial_number": forward, "status": "success", "call_uuid": uuid, "message": "" })),
                )),
                Err(e) => Ok(crawl_refusal(forward, e)),
            }
        }
        None => match crawler.resume_under(tenant, node).await {
            Ok(started) => Ok((
                StatusCode::OK,
                Json(json!({
                    "dial_number": started.crawl.number,
                    "status": "success",
                    "call_uuid": null,
                    "message": format!("crawl {} attempt {} started", started.crawl.id, started.crawl.attempt),
                })),
            )),
            Err(CrawlError::Completed) => {
                Ok((StatusCode::OK, Json(json!({ "status": "fail", "message": "menu is completed already." }))))
            }
            Err(e) => Ok(crawl_refusal("", e)),
        },
    }
}

fn crawl_refusal(number: &str, e: CrawlError) -> (StatusCode, Json<serde_json::Value>) {
    let status = match e {
        CrawlError::NoNode => StatusCode::NOT_FOUND,
        CrawlError::Running(_) => StatusCode::CONFLICT,
        CrawlError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        CrawlError::Completed | CrawlError::Call(_) => StatusCode::BAD_REQUEST,
    };
    seed_fail(status, number, &e.to_string())
}
