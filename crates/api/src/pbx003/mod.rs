//! Seed 003's multi-tenant PBX API as a face of the native one: the same
//! extensions, DIDs, hunt groups, phones, destinations, conditions, menus,
//! custom destinations, voicemail boxes and call records, through the
//! native handlers (their checks, store calls and switch notifications),
//! in that API's URLs, fields and envelopes.
//!
//! * **Auth**: HTTP Basic with a user's username and password (`voxide
//!   user add`, the console's users). Missing or wrong credentials are
//!   `401 {"status": "failed", "message": "Unauthorized Access"}` with
//!   `WWW-Authenticate: Basic`; the seed shows no status code, and 401 is
//!   what HTTP clients expect of Basic auth. A user may act in its own
//!   tenant and the tenants a `user_tenants` membership adds; a
//!   super-admin in every tenant.
//! * **Parameters** come as a form (`application/x-www-form-urlencoded`),
//!   a JSON object, or the query string. The objects of the `…/updatebyid`
//!   and `AddNewPhone` calls (`hunt`, `did`, `extension`, `phone`) are
//!   JSON text in one parameter, as the seed shows (a nested object in a
//!   JSON body works too); values may be strings, as the seed sends them,
//!   or numbers.
//! * **Answers**: `{"status": "success", "data": …}`; ids and numbers are
//!   strings, as in the seed. Failures are `{"status": "failed",
//!   "message": …}`: "Record Not Found." (404; also for another tenant's
//!   ids, so none leak), "Please Enter Required Fields." (400, with
//!   `fields` naming them), a bad value (400, `message` and `errors`
//!   naming each field with the seed's names), "Unauthorized Access" (403
//!   when signed in but not allowed).
//!
//! Layout: `users` (`/user/…`), `extensions`, `dids`, `hunts`, `phones`,
//! `routing` (destinations, conditions, menus, custom destinations,
//! voicemail boxes), `cdrs`; this file holds the credentials, the
//! parameters and the envelopes they share.

mod cdrs;
mod dids;
mod extensions;
mod hunts;
mod phones;
mod routing;
mod users;

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use voxide_store::{StoreError, TenantRow, TokenScope, UserRow};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, FieldErrors};

/// Seed 003's routes, merged into the API's router.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/user/login", get(users::login))
        .route("/user/get", get(users::list))
        .route("/user/tenants", post(users::tenants))
        .route("/user/updatebyid", post(users::update))
        .route("/destination/all", post(routing::destinations))
        .route("/extension/bytenant", post(extensions::by_tenant))
        .route("/extension/byid", post(extensions::by_id))
        .route("/extension/user", post(extensions::sip_user))
        .route("/extension/usersecret", post(extensions::sip_secret))
        .route("/extension/getCidNumber", post(extensions::cid_number))
        .route("/extension/getCidNumberList", post(extensions::cid_numbers))
        .route("/extension/GetFMFCallerId", post(extensions::fmf_caller_id))
        .route("/extension/GetFMFCallerIdList", post(extensions::fmf_caller_ids))
        .route("/extension/updatebyid", post(extensions::update))
        .route("/did/bytenant", post(dids::by_tenant))
        .route("/did/byid", post(dids::by_id))
        .route("/did/updatebyid", post(dids::update))
        .route("/hunt/bytenant", post(hunts::by_tenant))
        .route("/hunt/byid", post(hunts::by_id))
        .route("/hunt/deletebyid", post(hunts::delete))
        .route("/hunt/updatebyid", post(hunts::update))
        .route("/phone/bytenant", post(phones::by_tenant))
        .route("/phone/deletebyid", post(phones::delete))
        .route("/phone/AddNewPhone", post(phones::add))
        .route("/voicemail/bytenant", post(routing::voicemail_boxes))
        .route("/condition/bytenant", post(routing::conditions))
        .route("/ivr/bytenant", post(routing::ivrs))
        .route("/custom/bytenant", post(routing::custom_destinations))
        .route("/cdr/getCallHistory", post(cdrs::call_history))
}

/// What a seed 003 request can fail with, and how it is answered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// No credentials, or a wrong username or password: 401.
    #[error("Unauthorized Access")]
    Unauthorized,
    /// Signed in, but this is not the user's to do: 403.
    #[error("Unauthorized Access")]
    Forbidden,
    /// Missing, or in a tenant the user does not belong to: 404.
    #[error("Record Not Found.")]
    NotFound,
    /// Required parameters missing or empty: 400, naming them in `fields`.
    #[error("Please Enter Required Fields.")]
    Required(Vec<String>),
    /// Bad values: 400, each field named (with the seed's names) in `errors`.
    #[error("{}", describe(.0))]
    Invalid(FieldErrors),
    /// The request cannot be carried out as it stands: a 4xx or 5xx with
    /// the native API's reason (409 while something still leads to an
    /// object, 413 for a body too large, …).
    #[error("{message}")]
    Refused { status: StatusCode, message: String },
}

/// `field: why; other: why`, for the `message` of an `Invalid`.
fn describe(errors: &FieldErrors) -> String {
    let parts: Vec<String> = errors.iter().map(|(field, why)| format!("{field}: {}", why.join(" "))).collect();
    parts.join("; ")
}

impl Failure {
    /// One bad field.
    pub(crate) fn field(name: &str, why: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(name.to_string(), vec![why.into()]);
        Failure::Invalid(errors)
    }

    /// A native error, with its field names turned into the seed's through
    /// `names` (native, seed) pairs; fields not listed keep their names.
    pub(crate) fn from_api(err: ApiError, names: &[(&str, &str)]) -> Self {
        match err {
            ApiError::Unauthorized(_) => Failure::Unauthorized,
            ApiError::Forbidden => Failure::Forbidden,
            ApiError::NotFound => Failure::NotFound,
            ApiError::Fields(fields) => {
                let rename = |f: String| names.iter().find(|(n, _)| *n == f).map_or(f, |(_, seed)| seed.to_string());
                Failure::Invalid(fields.into_iter().map(|(f, why)| (rename(f), why)).collect())
            }
            ApiError::BadRequest(message) => Failure::Refused { status: StatusCode::BAD_REQUEST, message },
            ApiError::Store(StoreError::Conflict) => Failure::Refused {
                status: StatusCode::BAD_REQUEST,
                message: "An object with these values already exists.".into(),
            },
            ApiError::Store(e) => {
                tracing::error!(cause = %e, "store failure in a seed 003 request");
                Failure::Refused { status: StatusCode::INTERNAL_SERVER_ERROR, message: "Internal error.".into() }
            }
            other => {
                let message = other.to_string();
                Failure::Refused { status: other.into_response().status(), message }
            }
        }
    }

    /// A native answer that is not a success (a 409 `Response` of a delete):
    /// its status, and its `detail` as the message.
    pub(crate) async fn from_response(resp: Response) -> Self {
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024).await.unwrap_or_default();
        let detail =
            serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v["detail"].as_str().map(str::to_string));
        Failure::Refused { status, message: detail.unwrap_or_else(|| status.to_string()) }
    }
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        Failure::from_api(err, &[])
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Failure::from_api(ApiError::Store(err), &[])
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let mut body = json!({ "status": "failed", "message": message });
        let status = match self {
            Failure::Unauthorized => StatusCode::UNAUTHORIZED,
            Failure::Forbidden => StatusCode::FORBIDDEN,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::Required(fields) => {
                body["fields"] = json!(fields);
                StatusCode::BAD_REQUEST
            }
            Failure::Invalid(errors) => {
                body["errors"] = json!(errors);
                StatusCode::BAD_REQUEST
            }
            Failure::Refused { status, .. } => status,
        };
        let mut resp = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Voxide\""));
        }
        resp
    }
}

/// `{"status": "success", "data": data}`.
pub(crate) fn success(data: impl Serialize) -> Json<Value> {
    Json(json!({ "status": "success", "data": data }))
}

/// `{"msg": …}`, as the seed answers changes.
pub(crate) fn done(msg: &str) -> Json<Value> {
    success(json!({ "msg": msg }))
}

/// The user whose HTTP Basic credentials came with the request.
#[derive(Debug, Clone)]
pub(crate) struct SeedUser(pub UserRow);

/// `(username, password)` of an `Authorization: Basic` header.
fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (user, password) =
        String::from_utf8(decoded).ok()?.split_once(':').map(|(u, p)| (u.to_string(), p.to_string()))?;
    Some((user, password))
}

impl FromRequestParts<AppState> for SeedUser {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (username, password) = basic_credentials(parts).ok_or(Failure::Unauthorized)?;
        let username = username.trim().to_string();
        let found = if username.is_empty() || username.len() > 150 {
            None
        } else {
            state.store.user_credentials(&username).await?
        };
        let hash = found.as_ref().and_then(|(_, h)| h.clone());
        // Checked even for an unknown user, so both take as long.
        let ok = tokio::task::spawn_blocking(move || crate::password::verify_password(hash.as_deref(), &password))
            .await
            .unwrap_or(false);
        match found {
            Some((user, _)) if ok => Ok(SeedUser(user)),
            _ => Err(Failure::Unauthorized),
        }
    }
}

impl SeedUser {
    /// The native API's view of this user acting in `tenant_id` (checked
    /// beforehand): the native handlers then see that tenant alone.
    pub(crate) fn caller(&self, tenant_id: i64) -> Caller {
        Caller(TokenScope { token_id: 0, tenant_id, user_id: self.0.id, is_superadmin: false })
    }

    /// Ok when the user may act in `tenant_id`; `NotFound` otherwise.
    pub(crate) async fn check(&self, state: &AppState, tenant_id: i64) -> Result<(), Failure> {
        if state.store.user_in_tenant(self.0.id, tenant_id).await? { Ok(()) } else { Err(Failure::NotFound) }
    }

    /// The tenant `raw` names by id, if the user may act in it.
    pub(crate) async fn tenant(&self, state: &AppState, raw: &str) -> Result<TenantRow, Failure> {
        let id = parse_id(raw)?;
        self.check(state, id).await?;
        state.store.tenant(id).await?.ok_or(Failure::NotFound)
    }

    /// The caller for the tenant named by the `tenant_id` parameter.
    pub(crate) async fn in_tenant(&self, state: &AppState, params: &Params) -> Result<(TenantRow, Caller), Failure> {
        let [raw] = params.required(["tenant_id"])?;
        let tenant = self.tenant(state, raw).await?;
        let caller = self.caller(tenant.id);
        Ok((tenant, caller))
    }
}

/// An id parameter; anything but a positive integer is simply not found.
pub(crate) fn parse_id(raw: &str) -> Result<i64, Failure> {
    raw.trim().parse::<i64>().ok().filter(|id| *id > 0).ok_or(Failure::NotFound)
}

/// The request's parameters: the query string, then a form or JSON body
/// (whose values win).
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// A parameter, if given and not blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    /// The values of `names`, or `Required` naming every one missing.
    pub(crate) fn required<const N: usize>(&self, names: [&str; N]) -> Result<[&str; N], Failure> {
        let missing: Vec<String> = names.iter().filter(|n| self.get(n).is_none()).map(|n| n.to_string()).collect();
        if !missing.is_empty() {
            return Err(Failure::Required(missing));
        }
        Ok(names.map(|n| self.get(n).unwrap_or_default()))
    }

    /// The JSON object in parameter `name` (required), its keys checked
    /// against `known`.
    pub(crate) fn object(&self, name: &str, known: &[&str]) -> Result<Map<String, Value>, Failure> {
        let [raw] = self.required([name])?;
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else {
            return Err(Failure::field(name, "Enter a JSON object of the fields to set."));
        };
        let mut errors = FieldErrors::new();
        for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
            errors.insert(key.clone(), vec!["Unknown field.".into()]);
        }
        if errors.is_empty() { Ok(map) } else { Err(Failure::Invalid(errors)) }
    }
}

/// A JSON value as text: strings as they are, numbers and booleans
/// written out, `null` as nothing.
pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A seed yes/no field: `yes`/`no`, `1`/`0`, `true`/`false` (any case).
pub(crate) fn yes_no(field: &str, v: &Value) -> Result<Option<bool>, Failure> {
    let Some(t) = text(v) else { return Ok(None) };
    match t.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "1" | "true" | "on" => Ok(Some(true)),
        "no" | "0" | "false" | "off" => Ok(Some(false)),
        _ => Err(Failure::field(field, "Enter yes or no.")),
    }
}

/// How the seed shows a flag.
pub(crate) fn yes_no_text(on: bool) -> &'static str {
    if on { "yes" } else { "no" }
}

/// A native body made from `fields` (native names), checked as the native
/// API checks its JSON; errors are named through `names`.
pub(crate) fn native_body<T: DeserializeOwned>(
    fields: Map<String, Value>,
    names: &[(&str, &str)],
) -> Result<T, Failure> {
    let bytes = serde_json::to_vec(&Value::Object(fields)).unwrap_or_default();
    crate::json::parse(&bytes).map_err(|e| Failure::from_api(e, names))
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/json"))
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bad = |message: String| Failure::Refused { status: StatusCode::BAD_REQUEST, message };
        let mut params = HashMap::new();
        if let Some(query) = req.uri().query() {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(query).map_err(|e| bad(format!("Unreadable query string: {e}")))?;
            params.extend(pairs);
        }
        let json = is_json(&req);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Failure::from(ApiError::TooLarge)
            } else {
                bad(e.body_text())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params(params));
        }
        if json {
            let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) else {
                return Err(bad("The body must be a JSON object of parameters.".into()));
            };
            params.extend(map.iter().filter_map(|(k, v)| text(v).map(|t| (k.clone(), t))));
        } else {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(|e| bad(format!("Unreadable form: {e}")))?;
            params.extend(pairs);
        }
        Ok(Params(params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_read_as_one_message_naming_each_field() {
        let mut errors = FieldErrors::new();
        errors.insert("hu_ringtime".into(), vec!["Enter a whole number.".into()]);
        errors.insert("hu_type".into(), vec!["Enter one of RINGALL.".into(), "Again.".into()]);
        assert_eq!(
            Failure::Invalid(errors).to_string(),
            "hu_ringtime: Enter a whole number.; hu_type: Enter one of RINGALL. Again."
        );
    }

    #[test]
    fn native_field_names_become_the_seeds() {
        let err = ApiError::field("cid_number", "Enter up to 20 digits.");
        match Failure::from_api(err, &[("cid_number", "ex_cidnum")]) {
            Failure::Invalid(f) => assert_eq!(f.keys().collect::<Vec<_>>(), ["ex_cidnum"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(Failure::from(ApiError::NotFound), Failure::NotFound));
    }

    #[test]
    fn required_names_every_missing_or_blank_parameter() {
        let params = Params([("a".to_string(), "1".to_string()), ("b".into(), "  ".into())].into_iter().collect());
        assert_eq!(params.required(["a"]).ok(), Some(["1"]));
        match params.required(["a", "b", "c"]) {
            Err(Failure::Required(missing)) => assert_eq!(missing, ["b", "c"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_read_the_seeds_words_and_refuse_others() {
        assert_eq!(yes_no("f", &json!("yes")).ok(), Some(Some(true)));
        assert_eq!(yes_no("f", &json!("NO")).ok(), Some(Some(false)));
        assert_eq!(yes_no("f", &json!(1)).ok(), Some(Some(true)));
        assert_eq!(yes_no("f", &json!("")).ok(), Some(None));
        assert!(matches!(yes_no("f", &json!("maybe")), Err(Failure::Invalid(_))));
    }
}
