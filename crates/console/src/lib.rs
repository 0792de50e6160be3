//! Voxide's admin web console: server-rendered HTML at `/console/`, served
//! by the switch's own HTTP listener next to the REST API.
//!
//! The console is a face over the API's domain services, not a second
//! copy of them: forms are turned into the API's request bodies and handed
//! to the API's own handlers (`voxide_api::extensions::create`, …), so
//! validation, tenant checks and the switch's notifications are the API's,
//! and its field messages are shown next to the form fields. Reads use the
//! same store, switch and crawler calls the API handlers make.
//!
//! Security: a session is a random id in an `HttpOnly`, `SameSite=Strict`
//! cookie (`Secure` and `__Host-` prefixed unless the console is reached
//! over plain HTTP on a loopback address, see [`CookiePolicy`]); only its
//! hash is stored. Every form carries the session's CSRF token, compared
//! in constant time, and state changes are POST only; the sign-in form has
//! its own double-submit token. Wrong passwords are throttled per username
//! and address ([`throttle`]). Pages of another tenant's objects are 404,
//! like the API's.
//!
//! Layout: `session` (cookies, the signed-in extractor, CSRF), `signin`,
//! `layout` (page shell, form fields), `error`, `calls_api` (turning forms
//! into API calls), one module per page family (`dashboard`, `live`,
//! `extensions`, `dids`, `cdrs`, `crawls`, `ivrs`, `hunt_groups`, `features`
//! (an extension's call features, on its page), `voicemail`, `conditions`),
//! `destinations` (destination fields and their choices), `chart` (SVG charts),
//! `media` (recordings and prompts for the audio players), `assets` (the
//! CSS and JavaScript, compiled in).

mod assets;
mod calls_api;
mod cdrs;
mod chart;
mod conditions;
mod crawls;
mod dashboard;
mod destinations;
mod dids;
mod error;
mod extensions;
mod features;
mod hunt_groups;
mod ivrs;
mod layout;
mod live;
mod media;
pub mod password;
mod session;
mod signin;
pub mod throttle;
mod voicemail;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;
use voxide_api::AppState;

pub use password::{PasswordError, hash_password, verify_password};
pub use session::CookiePolicy;
pub use throttle::{Throttle, ThrottleConfig};

/// Settings of the console.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// When session cookies are marked `Secure`. Default: `Auto`.
    pub cookie_policy: CookiePolicy,
    /// How long a sign-in lasts. Default: 12 hours.
    pub session_lifetime: Duration,
    /// Wrong-password throttling.
    pub throttle: ThrottleConfig,
    /// Ends the live update streams, so a graceful stop is not held up by
    /// open dashboards.
    pub shutdown: CancellationToken,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions {
            cookie_policy: CookiePolicy::Auto,
            session_lifetime: Duration::from_secs(12 * 3600),
            throttle: ThrottleConfig::default(),
            shutdown: CancellationToken::new(),
        }
    }
}

/// What every console handler gets.
#[derive(Clone)]
pub(crate) struct Console {
    pub app: AppState,
    pub options: Arc<ConsoleOptions>,
    pub throttle: Arc<Mutex<Throttle>>,
}

/// The console's routes, under `/console` (trailing slashes are trimmed by
/// the server before routing), plus redirects from `/` and `/api/admin/`.
pub fn router(app: AppState, options: ConsoleOptions) -> Router {
    let throttle = Arc::new(Mutex::new(Throttle::new(options.throttle.clone())));
    let console = Console { app, options: Arc::new(options), throttle };
    let pages = Router::new()
        .route("/console", get(dashboard::page))
        .route("/console/login", get(signin::form).post(signin::submit))
        .route("/console/logout", post(signin::logout))
        .route("/console/tenant", post(signin::switch_tenant))
        .route("/console/live", get(live::fragment))
        .route("/console/events", get(live::events))
        .route("/console/extensions", get(extensions::list).post(extensions::create))
        .route("/console/extensions/new", get(extensions::new))
        .route("/console/extensions/{id}", get(extensions::edit).post(extensions::update))
        .route("/console/extensions/{id}/delete", post(extensions::delete))
        .route("/console/extensions/{id}/features", post(features::update))
        .route("/console/hunt_groups", get(hunt_groups::list).post(hunt_groups::create))
        .route("/console/hunt_groups/new", get(hunt_groups::new))
        .route("/console/hunt_groups/{id}", get(hunt_groups::edit).post(hunt_groups::update))
        .route("/console/hunt_groups/{id}/delete", post(hunt_groups::delete))
        .route("/console/voicemail", get(voicemail::list))
        .route("/console/voicemail/{id}/audio", get(voicemail::audio))
        .route("/console/voicemail/{id}/heard", post(voicemail::mark))
        .route("/console/voicemail/{id}/delete", post(voicemail::delete))
        .route("/console/conditions", get(conditions::list).post(conditions::create))
        .route("/console/conditions/new", get(conditions::new))
        .route("/console/conditions/{id}", get(conditions::edit).post(conditions::update))
        .route("/console/conditions/{id}/delete", post(conditions::delete))
        .route("/console/dids", get(dids::list).post(dids::buy))
        .route("/console/dids/{id}", get(dids::edit).post(dids::assign))
        .route("/console/dids/{id}/delete", post(dids::release))
        .route("/console/cdrs", get(cdrs::list))
        .route("/console/cdrs.csv", get(cdrs::csv))
        .route("/console/cdrs/{id}", get(cdrs::detail))
        .route("/console/crawls", get(crawls::list).post(crawls::start))
        .route("/console/crawls/{id}", get(crawls::tree))
        .route("/console/crawls/{id}/recrawl", post(crawls::recrawl))
        .route("/console/crawls/{id}/resume", post(crawls::resume))
        .route("/console/crawls/nodes/{id}/forward", post(crawls::forward))
        .route("/console/crawls/nodes/{id}/explore", post(crawls::explore))
        .route("/console/ivrs", get(ivrs::list).post(ivrs::create))
        .route("/console/ivrs/new", get(ivrs::new))
        .route("/console/ivrs/{id}", get(ivrs::edit).post(ivrs::update))
        .route("/console/ivrs/{id}/delete", post(ivrs::delete))
        .route("/console/media/{*path}", get(media::serve))
        .route("/console/assets/{file}", get(assets::serve))
        .layer(axum::middleware::map_response(harden))
        .with_state(console);
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route("/api/admin", get(|| async { Redirect::to("/console/") }))
        .route("/api/admin/{*rest}", get(|| async { Redirect::to("/console/") }))
        .merge(pages)
}

/// Headers every console response carries: no framing, no inline script,
/// no caching of pages that show a tenant's data.
async fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; \
               connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}
