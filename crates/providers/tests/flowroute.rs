//! The Flowroute back end against a local stub of Flowroute's API.
//!
//! The stub checks basic auth and the documented request shapes and answers
//! with the documented JSON:API bodies, so these tests pin down the wire
//! format without contacting the carrier.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use voxide_providers::{FlowrouteConfig, Provider, ProviderConfig, ProviderError};

const KEY: &str = "87654321";
const SECRET: &str = "stub-secret";
const MESSAGE_ID: &str = "mdr2-39cadeace66e11e7aff806cd7f24ba2d";

/// Numbers the stub sells. `12060123456` has an exchange starting with 0, so
/// the client must skip it as not a valid NANP number.
const INVENTORY: [&str; 5] = ["12060123456", "12062011682", "12062011683", "12062011684", "13055550150"];

/// Shared stub state: what the account owns and what the client sent.
#[derive(Clone, Default)]
struct Stub {
    owned: Arc<Mutex<BTreeSet<String>>>,
    requests: Arc<Mutex<Vec<String>>>,
    messages: Arc<Mutex<Vec<Value>>>,
}

impl Stub {
    /// Records the request line and checks credentials, returning the
    /// refusal to send back when they are wrong.
    fn deny(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
        self.requests.lock().unwrap().push(format!("{method} {uri}"));
        let expected = format!("Basic {}", STANDARD.encode(format!("{KEY}:{SECRET}")));
        match headers.get(header::AUTHORIZATION) {
            Some(v) if v.as_bytes() == expected.as_bytes() => None,
            _ => Some(error(StatusCode::UNAUTHORIZED, "Unauthorized – There was an issue with your API credentials.")),
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn error(status: StatusCode, detail: &str) -> Response {
    let body = json!({"errors": [{"id": "stub", "status": status.as_u16(), "detail": detail}]});
    (status, axum::Json(body)).into_response()
}

fn number_resource(n: &str) -> Value {
    json!({
        "id": n,
        "type": "number",
        "attributes": {
            "value": n, "monthly_cost": 1.25, "setup_cost": 1.0,
            "number_type": "standard", "rate_center": "seattle", "state": "wa"
        },
        "links": {"related": format!("https://stub/v2/numbers/{n}")}
    })
}

async fn available(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(denied) = stub.deny(&method, &uri, &headers) {
        return denied;
    }
    let starts_with = q.get("starts_with").cloned().unwrap_or_default();
    let limit = q.get("limit").and_then(|l| l.parse::<usize>().ok());
    let Some(limit) = limit.filter(|l| (1..=200).contains(l)) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid Query");
    };
    match starts_with.as_str() {
        // Stand-ins for a proxy error page and a garbled success body.
        "1500" => return (StatusCode::BAD_GATEWAY, "upstream proxy failure").into_response(),
        "1600" => return (StatusCode::OK, "<html>not json</html>").into_response(),
        "1700" => tokio::time::sleep(Duration::from_secs(5)).await,
        _ => {}
    }
    let owned = stub.owned.lock().unwrap().clone();
    let data: Vec<Value> = INVENTORY
        .iter()
        .filter(|n| n.starts_with(&starts_with) && !owned.contains(**n))
        .take(limit)
        .map(|n| number_resource(n))
        .collect();
    axum::Json(json!({"data": data, "links": {"next": null}})).into_response()
}

async fn purchase(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    if let Some(denied) = stub.deny(&method, &uri, &headers) {
        return denied;
    }
    if !INVENTORY.contains(&number.as_str()) || !stub.owned.lock().unwrap().insert(number.clone()) {
        return error(StatusCode::NOT_FOUND, &format!("Number {number} is not available for purchase"));
    }
    let body = json!({"data": number_resource(&number), "included": []});
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

async fn release(
    State(stub): State<Stub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    if let Some(denied) = stub.deny(&method, &uri, &headers) {
        return denied;
    }
    if stub.owned.lock().unwrap().remove(&number) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, &format!("Number {number} is not on your account"))
    }
}

async fn send_message(State(stub): State<Stub>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = stub.deny(&method, &uri, &headers) {
        return denied;
    }
    let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes());
    if content_type != Some(b"application/vnd.api+json".as_slice()) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type");
    }
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Malformed JSON");
    };
    let attrs = &message["data"]["attributes"];
    if message["data"]["type"] != "message" || !attrs["body"].is_string() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid message resource");
    }
    let from = attrs["from"].as_str().unwrap_or_default().to_owned();
    stub.messages.lock().unwrap().push(message);
    if !stub.owned.lock().unwrap().contains(&from) {
        return error(StatusCode::FORBIDDEN, &format!("From number {from} is not SMS-enabled on your account"));
    }
    let accepted = json!({"data": {"id": MESSAGE_ID}});
    (StatusCode::ACCEPTED, axum::Json(accepted)).into_response()
}

/// Serves the stub on an ephemeral loopback port and returns its base URL.
async fn start(stub: Stub) -> String {
    let app = Router::new()
        .route("/v2/numbers/available", get(available))
        .route("/v2/numbers/{number}", post(purchase).delete(release))
        .route("/v2.1/messages", post(send_message))
        .with_state(stub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn provider(base_url: &str, secret: &str, timeout_secs: u64) -> Provider {
    let cfg =
        FlowrouteConfig { access_key: KEY.into(), secret_key: secret.into(), base_url: base_url.into(), timeout_secs };
    Provider::from_config(&ProviderConfig::Flowroute(cfg)).unwrap()
}

#[tokio::test]
async fn search_sends_documented_query_and_skips_bad_entries() {
    let stub = Stub::default();
    let base = start(stub.clone()).await;
    let p = provider(&base, SECRET, 5);
    let found = p.search(Some("206"), 3).await.unwrap();
    assert_eq!(stub.requests(), ["GET /v2/numbers/available?starts_with=1206&limit=3"]);
    let numbers: Vec<&str> = found.iter().map(|n| n.number.as_str()).collect();
    assert_eq!(numbers, ["12062011682", "12062011683"]);
    assert!(found.iter().all(|n| n.monthly_cost == 1.25));
}

#[tokio::test]
async fn search_without_area_code_stays_in_nanp_and_clamps_limit() {
    let stub = Stub::default();
    // A trailing slash on the base URL must not double up in request paths.
    let base = start(stub.clone()).await;
    let p = provider(&format!("{base}/"), SECRET, 5);
    let found = p.search(None, 10_000).await.unwrap();
    assert_eq!(found.len(), 4);
    assert_eq!(stub.requests(), ["GET /v2/numbers/available?starts_with=1&limit=200"]);
    assert!(p.search(None, 0).await.unwrap().is_empty());
    assert_eq!(stub.requests().len(), 1, "limit 0 needs no request");
}

#[tokio::test]
async fn purchase_and_release_round_trip() {
    let stub = Stub::default();
    let p = provider(&start(stub.clone()).await, SECRET, 5);
    p.purchase("+1 (206) 201-1682").await.unwrap();
    let left = p.search(Some("206"), 10).await.unwrap();
    assert!(left.iter().all(|n| n.number != "12062011682"));
    p.release("12062011682").await.unwrap();
    assert_eq!(
        stub.requests(),
        [
            "POST /v2/numbers/12062011682",
            "GET /v2/numbers/available?starts_with=1206&limit=10",
            "DELETE /v2/numbers/12062011682",
        ]
    );
    assert_eq!(
        p.release("12062011682").await,
        Err(ProviderError::Upstream { status: 404, message: "Number 12062011682 is not on your account".into() })
    );
}

#[tokio::test]
async fn upstream_error_detail_is_carried_through() {
    let p = provider(&start(Stub::default()).await, SECRET, 5);
    assert_eq!(
        p.purchase("12125550100").await,
        Err(ProviderError::Upstream {
            status: 404,
            message: "Number 12125550100 is not available for purchase".into(),
        })
    );
}

#[tokio::test]
async fn wrong_credentials_are_reported() {
    let p = provider(&start(Stub::default()).await, "wrong-secret", 5);
    let err = p.search(Some("206"), 1).await.unwrap_err();
    let ProviderError::Upstream { status, message } = err else {
        panic!("expected upstream error, got {err:?}");
    };
    assert_eq!(status, 401);
    assert!(message.starts_with("Unauthorized"), "{message}");
}

#[tokio::test]
async fn sms_uses_the_json_api_message_shape() {
    let stub = Stub::default();
    let p = provider(&start(stub.clone()).await, SECRET, 5);
    p.purchase("12062011683").await.unwrap();
    let id = p.send_sms("12062011683", "+1 305 555 0150", "Your code is 1234").await.unwrap();
    assert_eq!(id, MESSAGE_ID);
    let sent = stub.messages.lock().unwrap().clone();
    assert_eq!(
        sent,
        [json!({"data": {"type": "message", "attributes": {
            "to": "13055550150", "from": "12062011683", "body": "Your code is 1234"
        }}})]
    );
    let refused = p.send_sms("12062011684", "13055550150", "hi").await;
    assert_eq!(
        refused,
        Err(ProviderError::Upstream {
            status: 403,
            message: "From number 12062011684 is not SMS-enabled on your account".into(),
        })
    );
}

#[tokio::test]
async fn non_json_error_and_garbled_success_are_typed() {
    let p = provider(&start(Stub::default()).await, SECRET, 5);
    assert_eq!(
        p.search(Some("500"), 1).await,
        Err(ProviderError::Upstream { status: 502, message: "upstream proxy failure".into() })
    );
    assert!(matches!(p.search(Some("600"), 1).await, Err(ProviderError::BadResponse(_))));
}

#[tokio::test]
async fn invalid_input_never_reaches_the_network() {
    let stub = Stub::default();
    let p = provider(&start(stub.clone()).await, SECRET, 5);
    assert!(matches!(p.search(Some("20"), 1).await, Err(ProviderError::InvalidInput(_))));
    assert!(matches!(p.purchase("12062011682/../x").await, Err(ProviderError::InvalidInput(_))));
    assert!(matches!(p.release("").await, Err(ProviderError::InvalidInput(_))));
    assert!(matches!(p.send_sms("12062011682", "13055550150", " ").await, Err(ProviderError::InvalidInput(_))));
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn unreachable_base_url_is_reported() {
    // Bind then drop a listener so the port is known to be closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let p = provider(&format!("http://{addr}"), SECRET, 5);
    assert!(matches!(p.search(Some("206"), 1).await, Err(ProviderError::Unreachable(_))));
    assert!(matches!(p.purchase("12062011682").await, Err(ProviderError::Unreachable(_))));
}

#[tokio::test]
async fn slow_provider_hits_the_timeout() {
    let p = provider(&start(Stub::default()).await, SECRET, 1);
    let started = std::time::Instant::now();
    let result = p.search(Some("700"), 1).await;
    assert!(matches!(result, Err(ProviderError::Unreachable(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn provider_is_shareable_across_handlers() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Provider>();
    let p = provider("http://127.0.0.1:9", SECRET, 1);
    assert_eq!(p.name(), "flowroute");
    assert_send(&p.search(None, 1));
    assert_send(&p.purchase("12062011682"));
    assert_send(&p.release("12062011682"));
    assert_send(&p.send_sms("12062011682", "13055550150", "x"));
}
