//! What the tenant-scoped PBX resources' handlers share: finding the row a
//! path names as the caller may see it, answering a list with views, and
//! refusing (409) to delete an object a call could still be sent to. Each
//! resource keeps its own body checks, store calls and switch notices.

use std::future::Future;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use voxide_store::{DestinationRef, StoreError};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extensions::parse_id;

/// The row with path id `id`: looked up with `own(tenant, id)` in the
/// caller's tenant, or with `any(id)` in every tenant for a super-admin.
/// A malformed id and a row out of reach are both 404.
pub(crate) async fn find_scoped<T, Own, Any>(
    caller: &Caller,
    id: &str,
    own: impl FnOnce(i64, i64) -> Own,
    any: impl FnOnce(i64) -> Any,
) -> Result<T, ApiError>
where
    Own: Future<Output = Result<Option<T>, StoreError>>,
    Any: Future<Output = Result<Option<T>, StoreError>>,
{
    let id = parse_id(id)?;
    let found = match caller.tenant_filter() {
        Some(tenant) => own(tenant, id).await?,
        None => any(id).await?,
    };
    found.ok_or(ApiError::NotFound)
}

/// A list answer: every row as its view, in the store's order.
pub(crate) fn views<R, V: From<R>>(rows: Vec<R>) -> Json<Vec<V>> {
    Json(rows.into_iter().map(V::from).collect())
}

/// 409 with `detail` saying why the object cannot go yet.
pub(crate) fn conflict(detail: String) -> Response {
    (StatusCode::CONFLICT, Json(json!({ "detail": detail }))).into_response()
}

/// Runs `delete` and answers 204, unless something other than `itself` (a
/// row of table `itself` with `target`'s id, which goes with it) still leads
/// to `target`: then 409 naming it, and `delete` never runs.
pub(crate) async fn delete_unless_used(
    state: &AppState,
    tenant_id: i64,
    target: DestinationRef,
    itself: &str,
    delete: impl Future<Output = Result<(), ApiError>>,
) -> Result<Response, ApiError> {
    let uses = state.store.destination_uses(tenant_id, &target).await?;
    if let Some(used) = uses.iter().find(|u| u.table != itself || u.id != target.id().unwrap_or_default()) {
        let detail = format!("The {} of {} (id {}) leads here; change it first.", used.field, used.label, used.id);
        return Ok(conflict(detail));
    }
    delete.await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
