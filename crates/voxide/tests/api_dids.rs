//! `/api/did_numbers/` end to end: the offline local pool, and Flowroute
//! through a stub that speaks its documented v2 numbers API.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::Server;

fn start(env: &[(&str, &str)]) -> Server {
    Server::start(env!("CARGO_BIN_EXE_voxide"), env)
}

/// The object's keys, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn offered(s: &Server, npa: &str) -> Vec<String> {
    let (status, body) = s.get(&format!("/api/did_numbers/search/?npa={npa}&limit=100"));
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().iter().map(|n| n["number"].as_str().unwrap().to_string()).collect()
}

fn buy(s: &Server, number: &str, extension: Value) -> (u16, Value) {
    s.send_json(Method::POST, "/api/did_numbers/", &json!({"phonenumber": number, "extension": extension}))
}

#[test]
fn search_offers_numbers_of_the_area_code() {
    let s = start(&[]);
    let (status, body) = s.get("/api/did_numbers/search/?npa=786&limit=4");
    assert_eq!(status, 200, "{body}");
    let data = body["data"].as_array().expect("data list");
    assert_eq!(data.len(), 4);
    for n in data {
        assert_eq!(keys(n), ["monthly_cost", "number"], "{n}");
        assert!(n["number"].as_str().unwrap().starts_with("1786"), "{n}");
        assert!(n["monthly_cost"].is_number(), "{n}");
    }
    for (query, field) in [("npa=78", "npa"), ("npa=7a6", "npa"), ("limit=0", "limit"), ("limit=abc", "limit")] {
        let (status, err) = s.get(&format!("/api/did_numbers/search/?{query}"));
        assert_eq!(status, 400, "{query}");
        assert!(err[field].is_array(), "{query}: {err}");
    }
    let (status, err) = s.get("/api/did_numbers/search/?npa=786%27%3B%20DROP%20TABLE%20did_numbers%3B--");
    assert_eq!((status, err["npa"].is_array()), (400, true), "{err}");
}

#[test]
fn bought_number_is_listed_normalised_and_no_longer_offered() {
    let s = start(&[]);
    let ext = s.create_extension("1001", "secret-1001");
    let (status, did) = buy(&s, "+1 (786) 555-0102", ext["id"].clone());
    assert_eq!(status, 201, "{did}");
    assert_eq!(keys(&did), ["created_at", "domain", "extension", "id", "phonenumber", "provider"]);
    assert_eq!(did["phonenumber"], "17865550102");
    assert_eq!(did["extension"], ext["id"]);
    assert_eq!(did["domain"], "voxide.local");
    assert_eq!(s.get("/api/did_numbers/"), (200, json!([did.clone()])));
    assert_eq!(s.get(&format!("/api/did_numbers/{}/", did["id"])), (200, did.clone()));
    assert!(!offered(&s, "786").contains(&"17865550102".to_string()));

    for twice in ["17865550102", "7865550102"] {
        let (status, err) = buy(&s, twice, Value::Null);
        assert_eq!(status, 400, "{twice}");
        assert!(err["phonenumber"].is_array(), "{err}");
    }
    for bad in ["12125550100", "not a number", ""] {
        let (status, err) = buy(&s, bad, Value::Null);
        assert_eq!(status, 400, "{bad:?}");
        assert!(err["phonenumber"].is_array(), "{bad:?}: {err}");
    }
    let (status, err) = s.send_json(Method::POST, "/api/did_numbers/", &json!({"extension": ext["id"]}));
    assert_eq!((status, err["phonenumber"].is_array()), (400, true), "{err}");
    assert_eq!(s.get("/api/did_numbers/").1, json!([did]));
}

#[test]
fn patch_reassigns_and_unassigns_a_number() {
    let s = start(&[]);
    let (one, two) = (s.create_extension("1001", "secret-1001"), s.create_extension("1002", "secret-1002"));
    let (_, did) = buy(&s, "17865550100", one["id"].clone());
    let path = format!("/api/did_numbers/{}/", did["id"]);

    let (status, moved) = s.send_json(Method::PATCH, &path, &json!({"extension": two["id"]}));
    assert_eq!((status, &moved["extension"]), (200, &two["id"]), "{moved}");
    let (status, freed) = s.send_json(Method::PATCH, &path, &json!({"extension": null}));
    assert_eq!((status, &freed["extension"]), (200, &Value::Null), "{freed}");
    assert_eq!(s.get(&path).1["extension"], Value::Null);

    for bad in [json!({"extension": 9999}), json!({"extension": "two"}), json!({"extension": 1, "colour": "red"})] {
        let (status, err) = s.send_json(Method::PATCH, &path, &bad);
        assert_eq!(status, 400, "{bad}");
        assert!(err.is_object() && !err.as_object().unwrap().is_empty(), "{err}");
    }
    assert_eq!(s.get(&path).1, freed, "refused changes leave the number as it was");

    // Deleting an extension leaves its numbers bought but unassigned.
    s.send_json(Method::PATCH, &path, &json!({"extension": one["id"]}));
    let (status, _) = s.send_json(Method::DELETE, &format!("/api/extensions/{}/", one["id"]), &Value::Null);
    assert_eq!(status, 204);
    assert_eq!(s.get(&path).1["extension"], Value::Null);
}

#[test]
fn release_returns_the_number_to_the_pool() {
    let s = start(&[]);
    let (_, did) = buy(&s, "17865550103", Value::Null);
    let path = format!("/api/did_numbers/{}/", did["id"]);
    assert!(!offered(&s, "786").contains(&"17865550103".to_string()));
    let status = s.request(Method::DELETE, &path).send().unwrap().status().as_u16();
    assert_eq!(status, 204);
    assert_eq!(s.get(&path), (404, json!({"detail": "Not found."})));
    assert_eq!(s.get("/api/did_numbers/"), (200, json!([])));
    assert!(offered(&s, "786").contains(&"17865550103".to_string()));
    let (status, _) = s.send_json(Method::DELETE, &path, &Value::Null);
    assert_eq!(status, 404);
    let (status, again) = buy(&s, "17865550103", Value::Null);
    assert_eq!(status, 201, "a released number can be bought again: {again}");
}

#[test]
fn extension_of_another_tenant_is_a_field_error() {
    let s = start(&[]);
    let mine = s.cli(&["token", "create", "--name", "a"]);
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    let ext_body = json!({"sip_username": "2001", "sip_password": "secret-2001"});
    let (_, their_ext) = s.send_as(&theirs, Method::POST, "/api/extensions/", Some(ext_body));
    let (_, my_ext) = s.send_as(
        &mine,
        Method::POST,
        "/api/extensions/",
        Some(json!({"sip_username": "1001", "sip_password": "secret-1001"})),
    );

    let body = json!({"phonenumber": "17865550100", "extension": their_ext["id"]});
    let (status, err) = s.send_as(&mine, Method::POST, "/api/did_numbers/", Some(body));
    assert_eq!(status, 400);
    assert!(err["extension"].is_array(), "{err}");
    assert_eq!(s.send_as(&mine, Method::GET, "/api/did_numbers/", None).1, json!([]));
    assert!(offered(&s, "786").contains(&"17865550100".to_string()), "a refused purchase buys nothing");

    let (status, my_did) =
        s.send_as(&mine, Method::POST, "/api/did_numbers/", Some(json!({"phonenumber": "17865550100"})));
    assert_eq!(status, 201);
    let my_path = format!("/api/did_numbers/{}/", my_did["id"]);
    let (status, err) = s.send_as(&mine, Method::PATCH, &my_path, Some(json!({"extension": their_ext["id"]})));
    assert_eq!((status, err["extension"].is_array()), (400, true), "{err}");

    // Even a super-admin cannot route one tenant's number to another's extension.
    let root = s.cli(&["token", "create", "--name", "root", "--superadmin"]);
    let (_, their_did) =
        s.send_as(&theirs, Method::POST, "/api/did_numbers/", Some(json!({"phonenumber": "13055550100"})));
    let their_path = format!("/api/did_numbers/{}/", their_did["id"]);
    let (status, err) = s.send_as(&root, Method::PATCH, &their_path, Some(json!({"extension": my_ext["id"]})));
    assert_eq!((status, err["extension"].is_array()), (400, true), "{err}");
    let (status, routed) = s.send_as(&root, Method::PATCH, &their_path, Some(json!({"extension": their_ext["id"]})));
    assert_eq!((status, &routed["extension"]), (200, &their_ext["id"]), "{routed}");
}

// --- Flowroute, through a stub of its v2 numbers API -----------------------

const KEY: &str = "12345678";
const SECRET: &str = "stub-secret";
/// The stub refuses to sell this one, as Flowroute does for a taken number.
const REFUSED: &str = "17865550199";

#[derive(Clone, Default)]
struct Stub {
    owned: Arc<Mutex<BTreeSet<String>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Records the request and checks HTTP basic auth.
    fn deny(&self, method: &HttpMethod, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
        self.requests.lock().unwrap().push(format!("{method} {uri}"));
        let expected = format!("Basic {}", STANDARD.encode(format!("{KEY}:{SECRET}")));
        let ok = headers.get(header::AUTHORIZATION).is_some_and(|v| v.as_bytes() == expected.as_bytes());
        (!ok).then(|| error(StatusCode::UNAUTHORIZED, "Unauthorized - check your API credentials"))
    }
}

fn error(status: StatusCode, detail: &str) -> Response {
    (status, axum::Json(json!({"errors": [{"detail": detail}]}))).into_response()
}

async fn available(
    State(stub): State<Stub>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(denied) = stub.deny(&method, &uri, &headers) {
        return denied;
    }
    let prefix = q.get("starts_with").cloned().unwrap_or_default();
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(10);
    let owned = stub.owned.lock().unwrap().clone();
    let data: Vec<Value> = (100..105)
        .map(|i| format!("1786555{i:04}"))
        .filter(|n| n.starts_with(&prefix) && !owned.contains(n))
        .take(limit)
        .map(|n| json!({"id": n, "type": "number", "attributes": {"value": n, "monthly_cost": 1.25}}))
        .collect();
    axum::Json(json!({"data": data})).into_response()
}

async fn purchase(
    State(stub): State<Stub>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Response {
    if let Some(denied) = stub.deny(&method, &uri, &headers) {
        return denied;
    }
    if n == REFUSED || !stub.owned.lock().unwrap().insert(n.clone()) {
        return error(StatusCode::NOT_FOUND, "Number not available");
    }
    (StatusCode::CREATED, axum::Json(json!({"data": {"id": n, "type": "number"}}))).into_response()
}

async fn release(
    State(stub): State<Stub>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Response {
    if let Some(denied) = stub.deny(&method, &uri, &headers) {
        return denied;
    }
    if stub.owned.lock().unwrap().remove(&n) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "Number is not on your account")
    }
}

/// Serves the stub from a thread with its own runtime; returns its base URL.
fn start_stub(stub: Stub) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/v2/numbers/available", get(available))
        .route("/v2/numbers/{number}", post(purchase).delete(release))
        .with_state(stub);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{addr}")
}

fn start_flowroute(base_url: &str, secret: &str) -> Server {
    start(&[
        ("VOXIDE_PROVIDER_KIND", "flowroute"),
        ("VOXIDE_PROVIDER_ACCESS_KEY", KEY),
        ("VOXIDE_PROVIDER_SECRET_KEY", secret),
        ("VOXIDE_PROVIDER_BASE_URL", base_url),
        ("VOXIDE_PROVIDER_TIMEOUT_SECS", "5"),
    ])
}

#[test]
fn flowroute_search_buy_and_release_go_to_the_carrier() {
    let stub = Stub::default();
    let s = start_flowroute(&start_stub(stub.clone()), SECRET);
    let ext = s.create_extension("1001", "secret-1001");

    let (status, body) = s.get("/api/did_numbers/search/?npa=786&limit=3");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"data": [
            {"number": "17865550100", "monthly_cost": 1.25},
            {"number": "17865550101", "monthly_cost": 1.25},
            {"number": "17865550102", "monthly_cost": 1.25},
        ]})
    );
    let (status, did) = buy(&s, "+1 786 555 0101", ext["id"].clone());
    assert_eq!(status, 201, "{did}");
    assert_eq!(did["phonenumber"], "17865550101");
    assert_eq!(s.get("/api/did_numbers/").1, json!([did.clone()]));
    let status = s.request(Method::DELETE, &format!("/api/did_numbers/{}/", did["id"])).send().unwrap().status();
    assert_eq!(status.as_u16(), 204);
    assert_eq!(s.get("/api/did_numbers/").1, json!([]));
    assert_eq!(
        stub.requests(),
        [
            "GET /v2/numbers/available?starts_with=1786&limit=3",
            "POST /v2/numbers/17865550101",
            "DELETE /v2/numbers/17865550101",
        ]
    );
}

#[test]
fn flowroute_errors_are_json_carrying_the_carriers_message() {
    let stub = Stub::default();
    let base = start_stub(stub.clone());
    let s = start_flowroute(&base, SECRET);
    let (status, err) = buy(&s, REFUSED, Value::Null);
    assert_eq!(status, 502, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("Number not available"), "{err}");
    assert_eq!(stub.requests(), [format!("POST /v2/numbers/{REFUSED}")]);
    assert_eq!(s.get("/api/did_numbers/").1, json!([]), "a refused purchase records nothing");

    // A number the carrier no longer holds for us stays listed until released.
    let (_, did) = buy(&s, "17865550100", Value::Null);
    stub.owned.lock().unwrap().clear();
    let (status, err) = s.send_json(Method::DELETE, &format!("/api/did_numbers/{}/", did["id"]), &Value::Null);
    assert_eq!(status, 502, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("Number is not on your account"), "{err}");
    assert_eq!(s.get("/api/did_numbers/").1, json!([did]));

    let wrong = start_flowroute(&base, "wrong-secret");
    let (status, err) = wrong.get("/api/did_numbers/search/?npa=786");
    assert_eq!(status, 502, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("Unauthorized"), "{err}");
}

#[test]
fn unreachable_flowroute_is_a_502() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let s = start_flowroute(&base, SECRET);
    let (status, err) = s.get("/api/did_numbers/search/?npa=786&limit=2");
    assert_eq!(status, 502, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("unreachable"), "{err}");
    let (status, err) = buy(&s, "17865550100", Value::Null);
    assert_eq!(status, 502, "{err}");
    assert!(err["detail"].is_string(), "{err}");
    assert_eq!(s.get("/api/did_numbers/").1, json!([]));
}
