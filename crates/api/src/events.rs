//! `GET /api/events`: live events over a websocket, one JSON text frame per
//! event (see `voxide_events::Event`).
//!
//! The token is checked before the upgrade (header or `?token=`, since
//! browsers cannot set headers on websockets), so a bad one gets a JSON
//! 401 rather than a socket. A tenant's token follows its tenant; a
//! super-admin's follows every tenant, or one with `?tenant_id=`.
//! `?since=SEQ` (with a tenant) first replays what came after SEQ.
//!
//! Each connection reads from its own subscription, so a client that reads
//! slowly only falls behind itself: the bus never waits for it, and it is
//! sent a `gap` for whatever left the buffer before it caught up. One whose
//! socket accepts nothing for `SEND_TIMEOUT`, or that answers no ping for
//! two ping periods, is disconnected.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket};
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::time::{Instant, timeout};
use voxide_events::Subscription;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// How often an idle connection is pinged.
const PING_EVERY: Duration = Duration::from_secs(20);
/// How long one frame may wait for the client's socket to take it.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// The last seq the client saw: replay what came after it.
    since: Option<u64>,
    /// A super-admin following one tenant (which `since` needs).
    tenant_id: Option<i64>,
}

pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<EventsQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let query = match query {
        Ok(Query(q)) => q,
        Err(rejection) => return ApiError::BadRequest(rejection.body_text()).into_response(),
    };
    let tenant = match scope(&caller, &query) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(rejection) => {
            return (rejection.status(), Json(json!({ "detail": rejection.body_text() }))).into_response();
        }
    };
    // Subscribed before answering, so nothing published while the client
    // completes the handshake is missed.
    let events = state.switch.events().subscribe(tenant, query.since);
    upgrade.on_upgrade(move |socket| forward(socket, events))
}

/// The tenant to follow (`None`: all), or why the caller may not.
fn scope(caller: &Caller, query: &EventsQuery) -> Result<Option<i64>, ApiError> {
    match query.tenant_id {
        Some(t) if !caller.can_see(t) => Err(ApiError::Forbidden),
        Some(t) => Ok(Some(t)),
        None if !caller.0.is_superadmin => Ok(Some(caller.0.tenant_id)),
        None if query.since.is_some() => Err(ApiError::field(
            "since",
            "sequence numbers are per tenant: add tenant_id to resume one tenant's events",
        )),
        None => Ok(None),
    }
}

async fn forward(mut socket: WebSocket, mut events: Subscription) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                let text = match serde_json::to_string(&*event) {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::error!(cause = %e, kind = %event.kind, "event not serialisable");
                        continue;
                    }
                };
                if !send(&mut socket, Message::text(text)).await {
                    tracing::info!("events client not reading: disconnected");
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) => {
                    // Reading on sends the close reply the library queued.
                    let _ = timeout(Duration::from_secs(1), socket.recv()).await;
                    break;
                }
                // Pings are answered by the library; anything else from the
                // client only shows it is alive.
                Some(Ok(_)) => heard = Instant::now(),
                Some(Err(_)) | None => break,
            },
            _ = ping.tick() => {
                if heard.elapsed() > 2 * PING_EVERY || !send(&mut socket, Message::Ping(Bytes::new())).await {
                    tracing::info!("events client silent: disconnected");
                    break;
                }
            }
        }
    }
}

async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(timeout(SEND_TIMEOUT, socket.send(message)).await, Ok(Ok(())))
}
