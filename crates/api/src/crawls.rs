//! Seed 004's crawl results: `/api/scan/` lists the attempts at mapping a
//! number's IVR, newest first; `/api/callmenu/` shows the menu tree found.
//! Both answer in the seed's exact shape, for the caller's tenant.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use serde::Serialize;
use serde_json::{Value, json};
use voxide_providers::normalize_number;
use voxide_store::{CrawlNodeRow, CrawlRow, ScanRow};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::page;

/// Rows per page when `limit` is not given, and the most one may ask for.
const DEFAULT_LIMIT: i64 = 10;
const MAX_LIMIT: i64 = 100;
/// Deeper trees are cut here: no real menu is this deep.
const MAX_DEPTH: usize = 64;

/// A scan as the seed lists it.
#[derive(Debug, Serialize)]
pub struct ScanView {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub attempt: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ScanRow> for ScanView {
    fn from(s: ScanRow) -> Self {
        ScanView {
            id: s.id,
            number: s.number,
            status: s.status,
            attempt: s.attempt,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// The ways a number may have been written when it was scanned: as given,
/// then in the 11-digit form the switch dials.
fn spellings(raw: &str) -> Vec<String> {
    let raw = raw.trim().to_string();
    let mut all = vec![raw.clone()];
    if let Ok(normal) = normalize_number(&raw)
        && normal != raw
    {
        all.push(normal);
    }
    all
}

fn number_param(q: &HashMap<String, String>) -> Option<&str> {
    q.get("number").map(|n| n.trim()).filter(|n| !n.is_empty())
}

pub async fn scans(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let limit = page::parse_count("limit", q.get("limit"))?.unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(ApiError::field("limit", format!("Ensure this value is less than or equal to {MAX_LIMIT}.")));
    }
    let offset = page::parse_count("offset", q.get("offset"))?.unwrap_or(0);
    let tenant = caller.0.tenant_id;
    let mut found = (0, Vec::new());
    match number_param(&q) {
        None => found = state.store.scans(tenant, None, limit, offset).await?,
        Some(raw) => {
            for number in spellings(raw) {
                found = state.store.scans(tenant, Some(&number), limit, offset).await?;
                if found.0 > 0 {
                    break;
                }
            }
        }
    }
    let (total, rows) = found;
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let views: Vec<ScanView> = rows.into_iter().map(ScanView::from).collect();
    Ok(Json(page::respond(&uri, host, views, total, Some(limit), offset)))
}

pub async fn callmenu(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let Some(raw) = number_param(&q) else { return Err(ApiError::field("number", "This field is required.")) };
    let mut crawl = None;
    for number in spellings(raw) {
        crawl = state.store.crawl_by_number(caller.0.tenant_id, &number).await?;
        if crawl.is_some() {
            break;
        }
    }
    let crawl = crawl.ok_or(ApiError::NotFound)?;
    let nodes = state.store.crawl_nodes(crawl.id).await?;
    Ok(Json(menu_document(&crawl, &nodes)))
}

/// The seed's `/api/callmenu/` object: the crawl and its tree (`menu` is
/// null before the first prompt was reached).
pub fn menu_document(crawl: &CrawlRow, nodes: &[CrawlNodeRow]) -> Value {
    json!({
        "id": crawl.id,
        "number": crawl.number,
        "business_name": crawl.business_name,
        "retry_enabled": i64::from(crawl.retry_enabled),
        "attempt": crawl.attempt,
        "completed": crawl.completed,
        "menu": tree(nodes),
    })
}

/// Nests `nodes` under the root (the node without a parent).
fn tree(nodes: &[CrawlNodeRow]) -> Value {
    let mut children: HashMap<i64, Vec<&CrawlNodeRow>> = HashMap::new();
    for n in nodes {
        if let Some(parent) = n.parent_id {
            children.entry(parent).or_default().push(n);
        }
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| key_rank(&a.key).cmp(&key_rank(&b.key)).then(a.id.cmp(&b.id)));
    }
    let roots = nodes.iter().filter(|n| n.parent_id.is_none());
    let root = roots.min_by_key(|n| (!n.keys_to_reach.is_empty(), n.id));
    root.map_or(Value::Null, |r| node_json(r, &children, 0))
}

/// Keypad order: digits ascending, then `*`, then `#`.
fn key_rank(key: &str) -> (u8, String) {
    let rank = match key.as_bytes() {
        [d @ b'0'..=b'9'] => d - b'0',
        [b'*'] => 10,
        [b'#'] => 11,
        _ => 12,
    };
    (rank, key.to_string())
}

fn node_json(n: &CrawlNodeRow, children: &HashMap<i64, Vec<&CrawlNodeRow>>, depth: usize) -> Value {
    let kids: Vec<Value> = match children.get(&n.id) {
        Some(list) if depth < MAX_DEPTH => list.iter().map(|c| node_json(c, children, depth + 1)).collect(),
        _ => Vec::new(),
    };
    json!({
        "id": n.id,
        "info": { "parent_text": n.parent_text, "keys_to_reach": n.keys_to_reach },
        "key": n.key,
        "audio_text": n.audio_text,
        "audio_text_debug": n.audio_text_debug,
        "prompt_audio": n.prompt_audio,
        "children": kids,
    })
}
