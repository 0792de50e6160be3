//! DRF-style limit/offset pagination: a plain list without `limit`, and
//! `{count, next, previous, results}` with it.

use axum::http::Uri;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::ApiError;

/// Parses a non-negative integer query parameter, naming it on failure.
pub fn parse_count(name: &str, value: Option<&String>) -> Result<Option<i64>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => Err(ApiError::field(name, "A valid non-negative integer is required.")),
        },
    }
}

/// Renders `results` as a page when `limit` was asked for.
pub fn respond<T: Serialize>(
    uri: &Uri,
    host: &str,
    results: Vec<T>,
    total: i64,
    limit: Option<i64>,
    offset: i64,
) -> Value {
    let Some(limit) = limit else { return json!(results) };
    let link = |off: i64| -> String {
        let mut params: Vec<String> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("offset=") && !kv.starts_with("limit="))
            .map(str::to_string)
            .collect();
        params.push(format!("limit={limit}"));
        if off > 0 {
            params.push(format!("offset={off}"));
        }
        format!("http://{host}{}?{}", uri.path(), params.join("&"))
    };
    // `limit=0` has no next page: it would link to itself forever.
    let next = (limit > 0 && offset + limit < total).then(|| link(offset + limit));
    let previous = (offset > 0).then(|| link((offset - limit).max(0)));
    json!({ "count": total, "next": next, "previous": previous, "results": results })
}
