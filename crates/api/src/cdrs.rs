//! `GET /api/cdrs/`: call detail records with the seed's fields, filters,
//! search, ordering and limit/offset pagination.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use serde::Serialize;
use serde_json::Value;
use voxide_store::{CdrFilter, CdrOrder, CdrRow};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::page;

#[derive(Debug, Serialize)]
pub struct CdrView {
    pub id: i64,
    pub domain: String,
    pub call_direction: String,
    pub call_uuid: String,
    pub didnumber: Option<i64>,
    pub call_from: String,
    pub call_to: String,
    pub extension: Option<i64>,
    pub is_verified: bool,
    pub in_contact: bool,
    pub bill_duration: i64,
    pub recording: Option<String>,
    pub transcription_text: Option<String>,
    pub hangup_cause: Option<String>,
    pub started_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    pub created_at: String,
}

impl From<CdrRow> for CdrView {
    fn from(c: CdrRow) -> Self {
        CdrView {
            id: c.id,
            domain: c.domain,
            call_direction: c.call_direction,
            call_uuid: c.call_uuid,
            didnumber: c.did_number_id,
            call_from: c.call_from,
            call_to: c.call_to,
            extension: c.extension_id,
            is_verified: c.is_verified,
            in_contact: c.in_contact,
            bill_duration: c.bill_duration,
            recording: c.recording,
            transcription_text: c.transcription_text,
            hangup_cause: c.hangup_cause,
            started_at: c.started_at,
            answered_at: c.answered_at,
            ended_at: c.ended_at,
            created_at: c.created_at,
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let order = match q.get("ordering").map(String::as_str) {
        None | Some("") | Some("-created_at") => CdrOrder::CreatedDesc,
        Some("created_at") => CdrOrder::CreatedAsc,
        Some(_) => return Err(ApiError::field("ordering", "Use created_at or -created_at.")),
    };
    let limit = page::parse_count("limit", q.get("limit"))?;
    let offset = page::parse_count("offset", q.get("offset"))?.unwrap_or(0);
    let text = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let filter = CdrFilter {
        tenant_id: caller.tenant_filter(),
        did_number: text("did_number"),
        extension_number: text("extension_number"),
        search: text("search"),
        order,
        limit,
        offset,
    };
    let (rows, total) = state.store.cdrs(&filter).await?;
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let views: Vec<CdrView> = rows.into_iter().map(CdrView::from).collect();
    Ok(Json(page::respond(&uri, host, views, total, limit, offset)))
}

pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(uuid): Path<String>,
) -> Result<Json<CdrView>, ApiError> {
    let row = match uuid.parse::<i64>() {
        Ok(id) => {
            let filter =
                CdrFilter { tenant_id: caller.tenant_filter(), search: Some(id.to_string()), ..Default::default() };
            state.store.cdrs(&filter).await?.0.into_iter().find(|c| c.id == id)
        }
        Err(_) => state.store.cdr_by_uuid(&uuid).await?.filter(|c| caller.can_see(c.tenant_id)),
    };
    Ok(Json(row.ok_or(ApiError::NotFound)?.into()))
}
