//! Seed 001's call history and recordings for third-party apps, signed in
//! the query string rather than in headers:
//!
//! - `GET /oapi/v1/call/histories?appId=&created_from=&created_to=&limit=&page=&hash=`
//!   lists the app's tenant's calls ([`HistoryRow`]) that started in a
//!   window of at most 31 days, newest first.
//! - `GET /oapi/v1/call/play_recording?appId=&media=&hash=` turns a
//!   recording's file name into a signed link good for ten minutes
//!   ([`crate::recording_links`]).
//! - `GET /oapi/v1/call/recording/{file}?tenant=&expires=&signature=`
//!   serves that link (range requests too), with no other credentials.
//!
//! `hash` is `sha256(appId + the documented values + appSecret)` in hex,
//! over each value as it arrived (after URL decoding); a missing `limit`
//! or `page` counts as its default ("20", "1"), a missing `media` or date
//! as the empty string. An unknown app or a wrong hash is 401 before any
//! other check, so nothing is revealed to a caller who cannot sign.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::http::uri::Authority;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_http::services::ServeFile;
use voxide_store::{AppRow, CdrRow, DidRow, ExtensionRow, clock};

use crate::AppState;
use crate::error::ApiError;

/// Rows per page when `limit` is not given.
pub const DEFAULT_LIMIT: &str = "20";
/// The page shown when `page` is not given.
pub const DEFAULT_PAGE: &str = "1";
/// The widest window `created_from`..`created_to` may span.
const MAX_WINDOW_DAYS: i64 = 31;
/// Where the switch links a tenant's recordings from its CDRs:
/// `/api/media/domain_<tenant>/<file>`.
const MEDIA_PREFIX: &str = "/api/media/domain_";

/// One party of a call as seed 001 shows it: an extension of the tenant
/// (`type: "user"`, with `username`) or any other number
/// (`type: "realnumber"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub number: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// One call of `GET /oapi/v1/call/histories`, in seed 001's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    pub caller: Party,
    /// For an inbound call put through to an extension, that extension
    /// (its SIP username as `number`); otherwise the number dialled.
    pub callee: Party,
    /// `one_one` for internal calls (and click-to-call between two
    /// extensions), `trunking` through a trunk.
    pub class: &'static str,
    /// The tenant's DID the call came in on; null when none.
    pub did_number: Option<String>,
    /// `to_ab` inbound; `from_ab` otherwise (outbound and internal).
    pub direction: &'static str,
    /// `SUCCESS` answered; `IVR` answered by a hosted menu (an inbound
    /// call on a DID that reached no extension and was answered: only a
    /// menu answers those); `CANCELLED` when the caller gave up
    /// (`ORIGINATOR_CANCEL`); `BUSY` (`USER_BUSY`); `UNSUCCESS` otherwise.
    pub status_detail: &'static str,
    /// Start to end; 0 while the call is up.
    pub duration_seconds: i64,
    /// When it started.
    pub unix_timestamp: i64,
    /// Answer to end.
    pub billing_seconds: i64,
    /// The recording's file name, for `play_recording`; "" when none or
    /// when the call was never answered.
    pub recording: String,
}

/// `GET /oapi/v1/call/histories`. No wrapper is shown in seed 001, so the
/// answer is `{"data": [HistoryRow…], "page": P, "limit": L, "total": N}`,
/// `total` counting every call in the window.
///
/// `created_from` and `created_to` take `YYYY-MM-DD`, `YYYY-MM-DD
/// HH:MM:SS` (both UTC) or RFC 3339. A bare date as `created_to` takes in
/// that whole day; any other `created_to` takes in that whole second, so
/// a row's `unix_timestamp` given back as `created_to` includes the row.
pub async fn histories(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (limit_raw, page_raw) = (value_or(&q, "limit", DEFAULT_LIMIT), value_or(&q, "page", DEFAULT_PAGE));
    let (from_raw, to_raw) = (value_or(&q, "created_from", ""), value_or(&q, "created_to", ""));
    let app = signed_app(&state, &q, &[from_raw, to_raw, limit_raw, page_raw]).await?;
    let window = Window::new(parse_bound("created_from", from_raw)?, parse_bound("created_to", to_raw)?)?;
    let limit = parse_in("limit", limit_raw, 1..=100)?;
    let page = parse_in("page", page_raw, 1..=i64::MAX)?;
    let offset = (page - 1).saturating_mul(limit);
    let (from, until) = (clock::format(window.from), clock::format(window.until));
    let (cdrs, total) = state.store.cdrs_started_between(app.tenant_id, &from, &until, limit, offset).await?;
    let directory = Directory {
        extensions: state.store.extensions(Some(app.tenant_id)).await?,
        dids: state.store.dids(Some(app.tenant_id)).await?,
    };
    let data: Vec<HistoryRow> = cdrs.iter().map(|c| directory.row(c)).collect();
    Ok(Json(json!({ "data": data, "page": page, "limit": limit, "total": total })))
}

/// `GET /oapi/v1/call/play_recording`: `{"media": "<signed URL>"}` for a
/// recording of the app's tenant, as `histories` names it; 404 for any
/// other name (another tenant's, or one of a call never answered).
pub async fn play_recording(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let media = value_or(&q, "media", "");
    let app = signed_app(&state, &q, &[media]).await?;
    if !plain_file_name(media) {
        return Err(ApiError::field("media", "Give a recording's file name, as the call history shows it."));
    }
    let linked = format!("{MEDIA_PREFIX}{}/{media}", app.tenant_id);
    let cdr = state.store.cdr_by_recording(app.tenant_id, &linked).await?;
    let known = cdr.as_ref().and_then(recording_name).is_some();
    if !known || !recording_path(&state, app.tenant_id, media).is_file() {
        return Err(ApiError::NotFound);
    }
    let (expires, signature) = state.recording_links.sign(app.tenant_id, media, unix_now(&state));
    let url = format!(
        "{}/oapi/v1/call/recording/{media}?tenant={}&expires={expires}&signature={signature}",
        origin(&headers),
        app.tenant_id
    );
    Ok(Json(json!({ "media": url })))
}

/// `GET /oapi/v1/call/recording/{file}`: the file a link from
/// `play_recording` names, while its signature holds. 401 without the
/// link's parameters, 403 when they are altered or expired.
pub async fn recording(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    req: Request<Body>,
) -> Result<Response, ApiError> {
    let (Some(tenant), Some(expires), Some(signature)) = (q.get("tenant"), q.get("expires"), q.get("signature")) else {
        return Err(ApiError::Unauthorized("A signed link is required: tenant, expires and signature."));
    };
    let (Ok(tenant), Ok(expires)) = (tenant.parse::<i64>(), expires.parse::<u64>()) else {
        return Err(ApiError::Forbidden);
    };
    if let Err(cause) = state.recording_links.verify(tenant, &file, expires, signature, unix_now(&state)) {
        tracing::debug!(tenant, file = %file, cause = %cause, "recording link refused");
        return Err(ApiError::Forbidden);
    }
    // Only plain names are ever signed; checked again all the same.
    let full = recording_path(&state, tenant, &file);
    if !plain_file_name(&file) || !full.is_file() {
        return Err(ApiError::NotFound);
    }
    match ServeFile::new(full).oneshot(req).await {
        Ok(resp) => Ok(resp.into_response()),
        Err(never) => match never {},
    }
}

/// The app named by `appId` whose `hash` signs `fields`; 401 otherwise.
async fn signed_app(state: &AppState, q: &HashMap<String, String>, fields: &[&str]) -> Result<AppRow, ApiError> {
    let (app_id, hash) = (value_or(q, "appId", "").trim(), value_or(q, "hash", ""));
    if app_id.is_empty() || hash.is_empty() {
        return Err(ApiError::Unauthorized("The appId and hash parameters are required."));
    }
    if app_id.len() > 64 {
        return Err(ApiError::Unauthorized("Invalid app credentials."));
    }
    match state.store.app_by_app_id(app_id).await? {
        Some(app) if app.verify(fields, hash) => Ok(app),
        _ => Err(ApiError::Unauthorized("Invalid app credentials.")),
    }
}

/// A query value; `default` when it is absent or empty.
fn value_or<'a>(q: &'a HashMap<String, String>, name: &str, default: &'a str) -> &'a str {
    q.get(name).map(String::as_str).filter(|v| !v.is_empty()).unwrap_or(default)
}

/// An integer in `range`, or a 400 naming `name`.
fn parse_in(name: &str, raw: &str, range: RangeInclusive<i64>) -> Result<i64, ApiError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ if *range.end() == i64::MAX => {
            Err(ApiError::field(name, format!("A whole number of at least {} is required.", range.start())))
        }
        _ => {
            Err(ApiError::field(name, format!("A whole number from {} to {} is required.", range.start(), range.end())))
        }
    }
}

/// A name the switch could have given a recording: no path, no dot file.
fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn recording_path(state: &AppState, tenant: i64, file: &str) -> std::path::PathBuf {
    state.recordings_dir.join(format!("domain_{tenant}")).join(file)
}

fn unix_now(state: &AppState) -> u64 {
    u64::try_from(state.store.unix_now()).unwrap_or(0)
}

/// `http://host[:port]` as the client addressed us (`https` behind a
/// proxy that says so), for links it can follow.
fn origin(headers: &HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok()).map(str::trim);
    let host = header("host").and_then(|h| h.parse::<Authority>().ok()).filter(|a| !a.as_str().contains('@'));
    let host = host.map_or_else(|| "localhost".to_string(), |a| a.to_string());
    let scheme =
        if header("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https")) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// One end of the window as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// `YYYY-MM-DD`: a whole day, UTC.
    Day(NaiveDate),
    /// An instant, to the second or finer.
    At(DateTime<Utc>),
}

impl Bound {
    fn start(self) -> DateTime<Utc> {
        match self {
            Bound::Day(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
            Bound::At(t) => t,
        }
    }
}

pub(crate) fn parse_bound(name: &str, raw: &str) -> Result<Bound, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ApiError::field(name, "This field is required: YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or RFC 3339."));
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(Bound::Day(d));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S") {
        return Ok(Bound::At(t.and_utc()));
    }
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Ok(Bound::At(t.with_timezone(&Utc))),
        Err(_) => Err(ApiError::field(name, "Use YYYY-MM-DD, YYYY-MM-DD HH:MM:SS (UTC) or RFC 3339.")),
    }
}

/// The calls asked for: started at or after `from`, before `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) from: DateTime<Utc>,
    pub(crate) until: DateTime<Utc>,
}

impl Window {
    /// `from`..=`to` (to the end of `to`'s day or second), at
    /// most [`MAX_WINDOW_DAYS`] long, not backwards.
    pub(crate) fn new(from: Bound, to: Bound) -> Result<Window, ApiError> {
        let from = from.start();
        if to.start() < from {
            return Err(ApiError::field("created_to", "created_to must not be before created_from."));
        }
        let (last, until) = match to {
            Bound::Day(d) => {
                let next = d.succ_opt().map(|n| Bound::Day(n).start()).unwrap_or(DateTime::<Utc>::MAX_UTC);
                (next, next)
            }
            Bound::At(t) => {
                let whole_second = DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
                (t, whole_second + Duration::seconds(1))
            }
        };
        if last - from > Duration::days(MAX_WINDOW_DAYS) {
            return Err(ApiError::field(
                "created_to",
                format!("The window from created_from to created_to may span at most {MAX_WINDOW_DAYS} days."),
            ));
        }
        Ok(Window { from, until })
    }
}

/// The tenant's extensions and DIDs, to name the parties of its calls.
struct Directory {
    extensions: Vec<ExtensionRow>,
    dids: Vec<DidRow>,
}

impl Directory {
    fn row(&self, c: &CdrRow) -> HistoryRow {
        let inbound = c.call_direction == "inbound";
        let caller = if inbound { real(&c.call_from) } else { self.party(&c.call_from) };
        let callee = match c.extension_id.and_then(|id| self.extensions.iter().find(|e| e.id == id)) {
            Some(ext) if inbound => user(ext),
            _ => self.party(&c.call_to),
        };
        // Click-to-call rings an extension, then dials a number that may
        // be another extension or go out through a trunk.
        let one_one = c.call_direction == "internal" || (c.call_direction == "click-to-call" && callee.kind == "user");
        HistoryRow {
            class: if one_one { "one_one" } else { "trunking" },
            did_number: c
                .did_number_id
                .and_then(|id| self.dids.iter().find(|d| d.id == id))
                .map(|d| d.phonenumber.clone()),
            direction: if inbound { "to_ab" } else { "from_ab" },
            status_detail: status_detail(c),
            duration_seconds: c.ended_at.as_deref().map_or(0, |end| seconds_between(&c.started_at, end)),
            unix_timestamp: unix_time(&c.started_at).unwrap_or(0),
            billing_seconds: c.bill_duration,
            recording: recording_name(c).unwrap_or_default().to_string(),
            caller,
            callee,
        }
    }

    /// `number` as a user when it is one of the tenant's extensions.
    fn party(&self, number: &str) -> Party {
        self.extensions.iter().find(|e| e.sip_username == number).map_or_else(|| real(number), user)
    }
}

/// The file name of the call's recording. The switch opens one when a
/// recorded call starts ringing; a call never answered has no
/// conversation in it, so it shows none.
pub(crate) fn recording_name(c: &CdrRow) -> Option<&str> {
    c.answered_at.as_ref()?;
    c.recording.as_deref()?.rsplit('/').next()
}

fn user(ext: &ExtensionRow) -> Party {
    Party { number: ext.sip_username.clone(), kind: "user", username: Some(ext.sip_username.clone()) }
}

fn real(number: &str) -> Party {
    Party { number: number.to_string(), kind: "realnumber", username: None }
}

pub(crate) fn status_detail(c: &CdrRow) -> &'static str {
    let hosted_menu = c.call_direction == "inbound" && c.did_number_id.is_some() && c.extension_id.is_none();
    match (c.answered_at.is_some(), c.hangup_cause.as_deref()) {
        (true, _) if hosted_menu => "IVR",
        (true, _) => "SUCCESS",
        (false, Some("ORIGINATOR_CANCEL")) => "CANCELLED",
        (false, Some("USER_BUSY")) => "BUSY",
        (false, _) => "UNSUCCESS",
    }
}

fn unix_time(stamp: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(stamp).ok().map(|t| t.timestamp())
}

pub(crate) fn seconds_between(start: &str, end: &str) -> i64 {
    match (unix_time(start), unix_time(end)) {
        (Some(s), Some(e)) => (e - s).max(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap()
    }

    fn window(from: &str, to: &str) -> Result<Window, ApiError> {
        Window::new(parse_bound("created_from", from)?, parse_bound("created_to", to)?)
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::Fields(f) => f.keys().next().cloned().unwrap_or_default(),
            other => panic!("not a field error: {other}"),
        }
    }

    #[test]
    fn the_three_date_forms_parse_and_a_bare_created_to_takes_in_its_whole_day() {
        let w = window("2024-03-01", "2024-03-01").unwrap();
        assert_eq!((w.from, w.until), (at("2024-03-01T00:00:00Z"), at("2024-03-02T00:00:00Z")));
        let w = window("2024-03-01 08:30:00", "2024-03-01T11:00:00+02:00").unwrap();
        assert_eq!((w.from, w.until), (at("2024-03-01T08:30:00Z"), at("2024-03-01T09:00:01Z")));
    }

    #[test]
    fn a_window_of_31_days_is_allowed_and_longer_or_backwards_is_not() {
        assert!(window("2024-01-01", "2024-01-31").is_ok());
        assert!(window("2024-01-01 00:00:00", "2024-02-01 00:00:00").is_ok());
        assert_eq!(field_of(window("2024-01-01", "2024-02-01").unwrap_err()), "created_to");
        assert_eq!(field_of(window("2024-01-01 00:00:00", "2024-02-01 00:00:01").unwrap_err()), "created_to");
        assert_eq!(field_of(window("2024-01-02", "2024-01-01").unwrap_err()), "created_to");
        let w = window("2024-01-01 10:00:00.5", "2024-01-01T10:00:00.25Z");
        assert_eq!(field_of(w.unwrap_err()), "created_from", "fractions only in RFC 3339");
        let w = window("2024-01-01T10:00:00.1Z", "2024-01-01T10:00:00.25Z").unwrap();
        assert_eq!(w.until, at("2024-01-01T10:00:01Z"), "the whole second");
        assert_eq!(field_of(window("yesterday", "2024-01-01").unwrap_err()), "created_from");
        assert_eq!(field_of(window("2024-01-01", "2024-13-01").unwrap_err()), "created_to");
        assert_eq!(field_of(window("", "2024-01-01").unwrap_err()), "created_from");
    }

    #[test]
    fn limit_and_page_must_be_in_range() {
        assert_eq!(parse_in("limit", "100", 1..=100).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", "1.5"] {
            assert_eq!(field_of(parse_in("limit", bad, 1..=100).unwrap_err()), "limit", "{bad}");
        }
        assert_eq!(field_of(parse_in("page", "0", 1..=i64::MAX).unwrap_err()), "page");
    }

    #[test]
    fn only_plain_file_names_are_recordings() {
        assert!(plain_file_name("1002_6f1c-99.wav"));
        for bad in ["", "../x.wav", "domain_1/x.wav", ".hidden", "a b.wav", "x%2f.wav"] {
            assert!(!plain_file_name(bad), "{bad}");
        }
    }

    fn cdr(direction: &str, from: &str, to: &str, ext: Option<i64>, did: Option<i64>) -> CdrRow {
        CdrRow {
            id: 1,
            tenant_id: 1,
            domain: "acme.voxide.local".into(),
            call_direction: direction.into(),
            call_uuid: "u".into(),
            did_number_id: did,
            call_from: from.into(),
            call_to: to.into(),
            extension_id: ext,
            is_verified: true,
            in_contact: false,
            bill_duration: 43,
            recording: None,
            transcription_text: None,
            hangup_cause: Some("NORMAL_CLEARING".into()),
            started_at: "2018-02-26T10:11:57.000000Z".into(),
            answered_at: Some("2018-02-26T10:12:04.000000Z".into()),
            ended_at: Some("2018-02-26T10:12:47.500000Z".into()),
            created_at: "2018-02-26T10:11:57.000000Z".into(),
        }
    }

    fn directory() -> Directory {
        let ext = |id: i64, name: &str| ExtensionRow {
            id,
            tenant_id: 1,
            user_id: 1,
            sip_username: name.into(),
            sip_password: "s".into(),
            cellphone: String::new(),
            transcription: 0,
            recording: 0,
            updated_at: String::new(),
            domain: "acme.voxide.local".into(),
            ..Default::default()
        };
        let did = DidRow {
            id: 9,
            tenant_id: 1,
            provider_id: 1,
            phonenumber: "02873019555".into(),
            domain: "acme.voxide.local".into(),
            extension_id: Some(2),
            ivr_id: None,
            recording: 0,
            created_at: String::new(),
            ..Default::default()
        };
        Directory { extensions: vec![ext(1, "1001"), ext(2, "1002")], dids: vec![did] }
    }

    #[test]
    fn an_inbound_call_on_a_did_rings_a_user_and_shows_the_did() {
        let mut c = cdr("inbound", "01693608879", "02873019555", Some(2), Some(9));
        c.recording = Some("/api/media/domain_1/1002_abc.wav".into());
        let row = directory().row(&c);
        assert_eq!(row.caller, real("01693608879"));
        assert_eq!(row.callee, Party { number: "1002".into(), kind: "user", username: Some("1002".into()) });
        assert_eq!((row.class, row.direction, row.status_detail), ("trunking", "to_ab", "SUCCESS"));
        assert_eq!(row.did_number.as_deref(), Some("02873019555"));
        assert_eq!((row.duration_seconds, row.billing_seconds, row.unix_timestamp), (50, 43, 1519639917));
        assert_eq!(row.recording, "1002_abc.wav");
    }

    #[test]
    fn internal_and_outbound_calls_go_from_ab_between_users_or_to_a_real_number() {
        let row = directory().row(&cdr("internal", "1001", "1002", Some(1), None));
        assert_eq!(
            (row.class, row.direction, row.caller.kind, row.callee.kind),
            ("one_one", "from_ab", "user", "user")
        );
        assert_eq!((row.did_number, row.recording.as_str()), (None, ""));
        let row = directory().row(&cdr("outbound", "1001", "13055550199", Some(1), None));
        assert_eq!((row.class, row.direction), ("trunking", "from_ab"));
        assert_eq!(row.callee, real("13055550199"));
    }

    #[test]
    fn status_detail_follows_the_answer_and_the_hangup_cause() {
        let d = directory();
        let unanswered = |cause: &str| {
            let mut c = cdr("internal", "1001", "1002", Some(1), None);
            (c.answered_at, c.hangup_cause) = (None, Some(cause.into()));
            d.row(&c).status_detail
        };
        assert_eq!(unanswered("ORIGINATOR_CANCEL"), "CANCELLED");
        assert_eq!(unanswered("USER_BUSY"), "BUSY");
        assert_eq!(unanswered("NO_ANSWER"), "UNSUCCESS");
        assert_eq!(unanswered("USER_NOT_REGISTERED"), "UNSUCCESS");
        let menu = cdr("inbound", "01693608879", "02873019555", None, Some(9));
        assert_eq!(d.row(&menu).status_detail, "IVR");
        let mut rang = cdr("internal", "1001", "1002", Some(1), None);
        (rang.answered_at, rang.recording) = (None, Some("/api/media/domain_1/2_x.wav".into()));
        assert_eq!(d.row(&rang).recording, "", "nothing was said");
        let mut up = cdr("internal", "1001", "1002", Some(1), None);
        up.ended_at = None;
        assert_eq!(d.row(&up).duration_seconds, 0, "still up");
    }

    #[test]
    fn the_origin_is_the_host_the_client_used() {
        let mut h = HeaderMap::new();
        assert_eq!(origin(&h), "http://localhost");
        h.insert("host", "pbx.example:8443".parse().unwrap());
        assert_eq!(origin(&h), "http://pbx.example:8443");
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(origin(&h), "https://pbx.example:8443");
        h.insert("host", "evil@pbx.example:80".parse().unwrap());
        assert_eq!(origin(&h), "https://localhost", "no user info in links");
    }
}
