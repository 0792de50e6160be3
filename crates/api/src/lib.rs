//! Voxide's REST admin API (axum): provisioning in the shape of the seed
//! API (`/api/extensions/`, `/api/did_numbers/`, `/api/cdrs/`, DRF-style
//! `Authorization: Token …`), the `/api/events` websocket, plus `/healthz`,
//! `/metrics` and `/api/openapi.json`.
//!
//! Originate and click-to-call: `POST /api/calls/`, seed 004's
//! `/api/makecall/`, and seed 001's app-signed `/oapi/v1/call/click-to-call/`
//! for the apps made at `/api/apps/`; their call history and signed,
//! expiring recording links under `/oapi/v1/call/` (`oapi_history`).
//!
//! Seed 002's voipbin-style `/v1.0/extensions` (`v1_extensions`): the same
//! extensions in that API's shape, with soft delete and direct extensions.
//!
//! PBX objects (seed 003): `/api/hunt_groups/`, `/api/extensions/{id}/features/`
//! (forwards, follow-me, voicemail box), `/api/voicemail/`, `/api/conditions/`,
//! `/api/custom_destinations/`, `/api/destinations/` and `/api/phones/`, with
//! phone configuration files at `/provision/{mac}.cfg` (`provisioning`).
//!
//! Seed 003's multi-tenant PBX API (`pbx003`): `/user/…`, `/extension/…`,
//! `/did/…`, `/hunt/…`, `/phone/…` and the rest, with HTTP Basic user
//! credentials, over the native PBX handlers; `password` hashes and checks
//! users' passwords for it and for the console.
//!
//! Hosted IVR menus at `/api/ivrs/` (a DID routes to one with `ivr_id`);
//! seed 004's IVR crawl results at `/api/scan/` and `/api/callmenu/`.
//!
//! Layout: one module per resource; `auth` (token extractor), `json`
//! (body extractor with field-named errors), `error` (DRF-shaped errors),
//! `page` (limit/offset), `openapi` (the route table and its document).

mod apps;
mod auth;
mod calls;
pub mod cdrs;
pub mod conditions;
mod contacts;
mod crawler;
mod crawls;
mod crud;
mod custom_destinations;
mod destinations;
pub mod dids;
mod error;
mod event_tokens;
mod events;
pub mod extension_features;
pub mod extensions;
pub mod hunt_groups;
pub mod ivrs;
pub mod json;
pub mod media;
mod oapi;
mod oapi_history;
mod openapi;
mod originate;
mod page;
pub mod password;
mod pbx003;
mod phones;
pub mod provisioning;
mod recording_links;
mod registrations;
mod sms;
mod v1_extensions;
pub mod voicemail;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use tokio_util::sync::CancellationToken;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;
use voxide_providers::Provider;
use voxide_store::Store;
use voxide_switch::SwitchControl;

pub use auth::Caller;
pub use error::ApiError;
pub use event_tokens::EventTokens;
pub use openapi::{ROUTES, RouteDoc, document as openapi_document};
pub use recording_links::RecordingLinks;

/// Everything a handler may use; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub switch: SwitchControl,
    pub provider: Arc<Provider>,
    /// The `providers` row of `provider`.
    pub provider_id: i64,
    pub recordings_dir: PathBuf,
    /// WAV prompts `POST /api/calls/{uuid}/play/` may name.
    pub prompts_dir: PathBuf,
    /// Text messages: `/api/sendsms/` and `/api/sms/`.
    pub sms: voxide_sms::SmsService,
    /// Signs the short-lived tokens of `/oapi/v1/voice/auth_token`.
    pub event_tokens: Arc<event_tokens::EventTokens>,
    /// Signs the expiring recording links of `/oapi/v1/call/play_recording`.
    pub recording_links: Arc<recording_links::RecordingLinks>,
    /// The IVR crawler behind `/api/makecall/` (none: 503).
    pub crawler: Option<voxide_crawler::Crawler>,
    /// The switch's SIP address as phones reach it, written into the
    /// configuration files of `/provision/`.
    pub sip_addr: std::net::SocketAddr,
}

impl AppState {
    /// Ids of the extensions that have at least one live binding.
    pub(crate) async fn online_extensions(&self, tenant: Option<i64>) -> Result<HashSet<i64>, ApiError> {
        let now = self.store.unix_now();
        Ok(self.store.live_bindings(tenant, now).await?.into_iter().map(|b| b.extension_id).collect())
    }
}

/// Settings of the HTTP face.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
}

/// The API's routes, with trailing slashes optional.
pub fn router(state: AppState, options: &HttpOptions) -> Router {
    Router::new()
        .route("/api/extensions", get(extensions::list).post(extensions::create))
        .route(
            "/api/extensions/{id}",
            get(extensions::get).put(extensions::replace).patch(extensions::patch).delete(extensions::delete),
        )
        .route("/v1.0/extensions", get(v1_extensions::list).post(v1_extensions::create))
        .route(
            "/v1.0/extensions/{id}",
            get(v1_extensions::get).put(v1_extensions::update).delete(v1_extensions::delete),
        )
        .route("/api/did_numbers", get(dids::list).post(dids::buy))
        .route("/api/did_numbers/search", get(dids::search))
        .route("/api/did_numbers/{id}", get(dids::get).patch(dids::assign).put(dids::assign).delete(dids::release))
        .route("/api/ivrs", get(ivrs::list).post(ivrs::create))
        .route("/api/ivrs/{id}", get(ivrs::get).put(ivrs::replace).patch(ivrs::patch).delete(ivrs::delete))
        .route("/api/extensions/{id}/features", get(extension_features::get).patch(extension_features::patch))
        .route("/api/hunt_groups", get(hunt_groups::list).post(hunt_groups::create))
        .route(
            "/api/hunt_groups/{id}",
            get(hunt_groups::get).put(hunt_groups::replace).patch(hunt_groups::patch).delete(hunt_groups::delete),
        )
        .route("/api/voicemail", get(voicemail::list))
        .route("/api/voicemail/{id}", get(voicemail::get).patch(voicemail::patch).delete(voicemail::delete))
        .route("/api/voicemail/{id}/audio", get(voicemail::audio))
        .route("/api/conditions", get(conditions::list).post(conditions::create))
        .route(
            "/api/conditions/{id}",
            get(conditions::get).put(conditions::replace).patch(conditions::patch).delete(conditions::delete),
        )
        .route("/api/custom_destinations", get(custom_destinations::list).post(custom_destinations::create))
        .route(
            "/api/custom_destinations/{id}",
            get(custom_destinations::get)
                .put(custom_destinations::replace)
                .patch(custom_destinations::patch)
                .delete(custom_destinations::delete),
        )
        .route("/api/destinations", get(destinations::list).post(destinations::create))
        .route(
            "/api/destinations/{id}",
            get(destinations::get).put(destinations::replace).patch(destinations::patch).delete(destinations::delete),
        )
        .route("/api/phones", get(phones::list).post(phones::create))
        .route("/api/phones/{id}", get(phones::get).put(phones::replace).patch(phones::patch).delete(phones::delete))
        .route("/provision/{file}", get(provisioning::config))
        .route("/api/scan", get(crawls::scans))
        .route("/api/callmenu", get(crawls::callmenu))
        .route("/api/cdrs", get(cdrs::list))
        .route("/api/cdrs/{id}", get(cdrs::get))
        .route("/api/registrations", get(registrations::list))
        .route("/api/contacts", get(contacts::list).post(contacts::create))
        .route("/api/contacts/{id}", get(contacts::get).delete(contacts::delete))
        .route("/api/calls", get(calls::list).post(originate::create))
        .route("/api/calls/{uuid}", get(calls::get).delete(calls::hangup))
        .route("/api/calls/{uuid}/dtmf", post(calls::dtmf))
        .route("/api/calls/{uuid}/play", post(calls::play))
        .route("/api/calls/{uuid}/record", post(calls::record).delete(calls::stop_recording))
        .route("/api/calls/{uuid}/transfer", post(calls::transfer))
        .route("/api/makecall", get(crawler::makecall))
        .route("/api/makecall_submenu", get(crawler::makecall_submenu))
        .route("/api/apps", get(apps::list).post(apps::create))
        .route("/api/apps/{id}", delete(apps::delete))
        .route("/oapi/v1/call/click-to-call/{number}", post(oapi::click_to_call))
        .route("/oapi/v1/voice/auth_token", post(oapi::auth_token))
        .route("/oapi/v1/call/histories", get(oapi_history::histories))
        .route("/oapi/v1/call/play_recording", get(oapi_history::play_recording))
        .route("/oapi/v1/call/recording/{file}", get(oapi_history::recording))
        .route("/api/sendsms", post(sms::send))
        .route("/api/sms", get(sms::list))
        .route("/api/sms/inbound", post(sms::inbound))
        .route("/api/sms/{id}", get(sms::get))
        .route("/api/media/{*path}", get(media::serve))
        .route("/api/events", get(events::stream))
        .route("/api/openapi.json", get(openapi_json))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .merge(pbx003::routes())
        .fallback(|| async { ApiError::NotFound })
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .with_state(state)
}

async fn openapi_json() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], openapi::document().to_string())
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], state.switch.metrics_text())
}

/// Serves `app` (the API's `router`, with other faces such as the console
/// merged in) on `listener` until `shutdown` is cancelled; handlers may
/// read the peer's address (`ConnectInfo<SocketAddr>`).
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = NormalizePathLayer::trim_trailing_slash().layer(app);
    let app =
        axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<std::net::SocketAddr>(app);
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

/// Serves the API on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    options: HttpOptions,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = NormalizePathLayer::trim_trailing_slash().layer(router(state, &options));
    let app = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}
