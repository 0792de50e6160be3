//! `/api/extensions/` end to end against the real binary: CRUD in the seed
//! API's shape, authentication, tenant isolation, hostile input, and
//! persistence across a crash.

use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::Server;

fn start() -> Server {
    Server::start(env!("CARGO_BIN_EXE_voxide"), &[])
}

/// Sends `body` (raw text when given) with `Authorization: <auth>`.
fn call(s: &Server, auth: Option<&str>, method: Method, path: &str, body: Option<&str>) -> (u16, Value) {
    let mut req = s.client.request(method, s.url(path));
    if let Some(auth) = auth {
        req = req.header("Authorization", auth);
    }
    if let Some(body) = body {
        req = req.header("Content-Type", "application/json").body(body.to_string());
    }
    let resp = req.send().expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} answer is not JSON: {text:?}")))
}

/// Sends JSON with `token` (scheme `Token`).
fn as_token(s: &Server, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call(s, Some(&format!("Token {token}")), method, path, body.map(|b| b.to_string()).as_deref())
}

/// The object's keys, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn list(s: &Server) -> Vec<Value> {
    let (status, body) = s.get("/api/extensions/");
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("a list").clone()
}

fn usernames(s: &Server) -> Vec<String> {
    list(s).iter().map(|e| e["sip_username"].as_str().unwrap().to_string()).collect()
}

#[test]
fn extension_crud_round_trip_with_the_seed_fields() {
    let s = start();
    let (status, created) = s.send_json(
        Method::POST,
        "/api/extensions",
        &json!({"sip_username": "1001", "sip_password": "secret-1001", "cellphone": "+13055550100"}),
    );
    assert_eq!(status, 201, "{created}");
    for field in ["id", "user_id", "cellphone", "transcription", "sip_username", "sip_password", "updated_at", "domain"]
    {
        assert!(created.get(field).is_some(), "{field} missing from {created}");
    }
    assert_eq!(created["sip_username"], "1001");
    assert_eq!(created["sip_password"], "secret-1001", "the API returns the password, as the seed API did");
    assert_eq!(created["cellphone"], "+13055550100");
    assert_eq!(created["transcription"], 0);
    assert_eq!(created["domain"], "voxide.local");
    assert!(created["updated_at"].as_str().unwrap().ends_with('Z'), "{created}");
    let id = created["id"].as_i64().unwrap();

    // Trailing slashes are optional everywhere.
    for path in ["/api/extensions", "/api/extensions/"] {
        let (status, body) = s.get(path);
        assert_eq!((status, body), (200, json!([created.clone()])), "{path}");
    }
    for path in [format!("/api/extensions/{id}"), format!("/api/extensions/{id}/")] {
        assert_eq!(s.get(&path), (200, created.clone()), "{path}");
    }

    let (status, body) = s
        .request(Method::DELETE, &format!("/api/extensions/{id}/"))
        .send()
        .map(|r| {
            let status = r.status().as_u16();
            (status, r.text().unwrap())
        })
        .unwrap();
    assert_eq!((status, body.as_str()), (204, ""));
    assert_eq!(s.get(&format!("/api/extensions/{id}/")), (404, json!({"detail": "Not found."})));
    let (status, body) = s.send_json(Method::DELETE, &format!("/api/extensions/{id}/"), &Value::Null);
    assert_eq!((status, body), (404, json!({"detail": "Not found."})));
    assert!(list(&s).is_empty());
}

#[test]
fn put_replaces_the_extension_and_patch_changes_only_given_fields() {
    let s = start();
    let body =
        json!({"sip_username": "1001", "sip_password": "secret-1001", "cellphone": "13055550100", "transcription": 1});
    let (_, created) = s.send_json(Method::POST, "/api/extensions/", &body);
    let path = format!("/api/extensions/{}/", created["id"]);

    let (status, patched) = s.send_json(Method::PATCH, &path, &json!({"sip_password": "changed-pw"}));
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["sip_password"], "changed-pw");
    assert_eq!(patched["sip_username"], "1001");
    assert_eq!(patched["cellphone"], "13055550100");
    assert_eq!(patched["transcription"], 1);
    assert!(patched["updated_at"].as_str() >= created["updated_at"].as_str());

    // PUT needs the whole object: the missing required fields are named.
    let (status, err) = s.send_json(Method::PUT, &path, &json!({"cellphone": "1"}));
    assert_eq!(status, 400);
    assert!(err["sip_username"].is_array() && err["sip_password"].is_array(), "{err}");
    assert_eq!(s.get(&path).1, patched, "a refused PUT changes nothing");

    let (status, put) = s.send_json(Method::PUT, &path, &json!({"sip_username": "1002", "sip_password": "put-pw-1"}));
    assert_eq!(status, 200, "{put}");
    assert_eq!(
        (&put["sip_username"], &put["sip_password"], &put["cellphone"]),
        (&json!("1002"), &json!("put-pw-1"), &json!(""))
    );
    assert_eq!(s.get(&path).1, put);
    assert_eq!(usernames(&s), ["1002"]);
}

#[test]
fn duplicate_sip_username_is_a_field_error() {
    let s = start();
    s.create_extension("1001", "secret-1001");
    let second = s.create_extension("1002", "secret-1002");
    let (status, err) =
        s.send_json(Method::POST, "/api/extensions/", &json!({"sip_username": "1001", "sip_password": "another-1"}));
    assert_eq!(status, 400);
    assert_eq!(keys(&err), ["sip_username"], "{err}");
    assert!(err["sip_username"][0].as_str().unwrap().contains("already exists"), "{err}");

    let path = format!("/api/extensions/{}/", second["id"]);
    let (status, err) = s.send_json(Method::PATCH, &path, &json!({"sip_username": "1001"}));
    assert_eq!(status, 400);
    assert!(err["sip_username"].is_array(), "{err}");
    assert_eq!(usernames(&s), ["1001", "1002"]);
}

#[test]
fn validation_errors_name_every_bad_field() {
    let s = start();
    let (status, err) = s.send_json(
        Method::POST,
        "/api/extensions/",
        &json!({"sip_username": "", "sip_password": "123", "cellphone": "call me"}),
    );
    assert_eq!(status, 400);
    assert_eq!(keys(&err), ["cellphone", "sip_password", "sip_username"], "{err}");

    let (status, err) = s.send_json(Method::POST, "/api/extensions/", &json!({}));
    assert_eq!(status, 400);
    assert_eq!(err["sip_username"], json!(["This field is required."]));
    assert_eq!(err["sip_password"], json!(["This field is required."]));

    let bad = [
        (json!({"sip_username": "1001", "sip_password": "secret-1", "transcription": 5}), "transcription"),
        (json!({"sip_username": 1001, "sip_password": "secret-1"}), "sip_username"),
        (json!({"sip_username": "1001", "sip_password": ["secret-1"]}), "sip_password"),
        (json!({"sip_username": "1001", "sip_password": "secret-1", "colour": "red"}), "colour"),
        (json!({"sip_username": "x".repeat(33), "sip_password": "secret-1"}), "sip_username"),
        (json!({"sip_username": "10 01", "sip_password": "secret-1"}), "sip_username"),
    ];
    for (body, field) in bad {
        let (status, err) = s.send_json(Method::POST, "/api/extensions/", &body);
        assert_eq!(status, 400, "{body}");
        assert!(err[field].is_array(), "{body} should name {field}: {err}");
    }
    assert!(list(&s).is_empty());

    let (status, ok) = s.send_json(
        Method::POST,
        "/api/extensions/",
        &json!({"sip_username": "1001", "sip_password": "secret-1", "transcription": true}),
    );
    assert_eq!((status, &ok["transcription"]), (201, &json!(1)), "booleans are accepted as 0/1");
}

#[test]
fn missing_or_bad_tokens_get_401_json_and_both_schemes_work() {
    let s = start();
    s.create_extension("1001", "secret-1001");
    let path = "/api/extensions/";
    let (status, body) = call(&s, None, Method::GET, path, None);
    assert_eq!((status, body), (401, json!({"detail": "Authentication credentials were not provided."})));
    for auth in ["Token not-a-real-token", "Bearer not-a-real-token"] {
        let (status, body) = call(&s, Some(auth), Method::GET, path, None);
        assert_eq!((status, body), (401, json!({"detail": "Invalid token."})), "{auth}");
    }
    let (status, _) = call(&s, Some(&format!("Basic {}", s.token)), Method::GET, path, None);
    assert_eq!(status, 401, "only Token and Bearer are schemes");

    let (status, body) =
        call(&s, None, Method::POST, path, Some(r#"{"sip_username":"1002","sip_password":"secret-2"}"#));
    assert_eq!(status, 401, "{body}");
    assert_eq!(usernames(&s), ["1001"], "an unauthenticated POST creates nothing");

    for auth in [format!("Token {}", s.token), format!("Bearer {}", s.token)] {
        let (status, body) = call(&s, Some(&auth), Method::GET, path, None);
        assert_eq!((status, body.as_array().map(Vec::len)), (200, Some(1)), "{auth}");
    }
    let (status, body) = call(&s, None, Method::GET, &format!("{path}?token={}", s.token), None);
    assert_eq!((status, body.as_array().map(Vec::len)), (200, Some(1)));
}

#[test]
fn another_tenants_token_cannot_see_or_change_extensions_or_dids() {
    let s = start();
    let mine = s.cli(&["token", "create", "--name", "a"]);
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    let (_, ext) = as_token(
        &s,
        &mine,
        Method::POST,
        "/api/extensions/",
        Some(json!({"sip_username": "1001", "sip_password": "secret-1001"})),
    );
    let (status, did) = as_token(
        &s,
        &mine,
        Method::POST,
        "/api/did_numbers/",
        Some(json!({"phonenumber": "17865550100", "extension": ext["id"]})),
    );
    assert_eq!(status, 201, "{did}");
    let (ext_path, did_path) = (format!("/api/extensions/{}/", ext["id"]), format!("/api/did_numbers/{}/", did["id"]));

    assert_eq!(as_token(&s, &theirs, Method::GET, "/api/extensions/", None), (200, json!([])));
    assert_eq!(as_token(&s, &theirs, Method::GET, "/api/did_numbers/", None), (200, json!([])));
    let attempts = [
        (Method::GET, ext_path.clone(), None),
        (Method::PATCH, ext_path.clone(), Some(json!({"sip_password": "stolen-pw"}))),
        (Method::PUT, ext_path.clone(), Some(json!({"sip_username": "6666", "sip_password": "stolen-pw"}))),
        (Method::DELETE, ext_path.clone(), None),
        (Method::GET, did_path.clone(), None),
        (Method::PATCH, did_path.clone(), Some(json!({"extension": null}))),
        (Method::DELETE, did_path.clone(), None),
    ];
    for (method, path, body) in attempts {
        let answer = as_token(&s, &theirs, method.clone(), &path, body);
        assert_eq!(answer, (404, json!({"detail": "Not found."})), "{method} {path}: not 403, so ids do not leak");
    }
    assert_eq!(as_token(&s, &mine, Method::GET, &ext_path, None), (200, ext.clone()));
    assert_eq!(as_token(&s, &mine, Method::GET, &did_path, None), (200, did.clone()));

    // The same username is free in another tenant.
    let (status, their_ext) = as_token(
        &s,
        &theirs,
        Method::POST,
        "/api/extensions/",
        Some(json!({"sip_username": "1001", "sip_password": "theirs-1001"})),
    );
    assert_eq!((status, &their_ext["domain"]), (201, &json!("other.example")));
    assert_eq!(as_token(&s, &mine, Method::GET, "/api/extensions/", None).1, json!([ext]));

    let root = s.cli(&["token", "create", "--name", "root", "--superadmin"]);
    let (_, all) = as_token(&s, &root, Method::GET, "/api/extensions/", None);
    let domains: Vec<&str> = all.as_array().unwrap().iter().map(|e| e["domain"].as_str().unwrap()).collect();
    assert_eq!(domains, ["voxide.local", "other.example"]);
    let their_path = format!("/api/extensions/{}/", their_ext["id"]);
    assert_eq!(as_token(&s, &root, Method::GET, &their_path, None), (200, their_ext));
    assert_eq!(as_token(&s, &root, Method::GET, "/api/did_numbers/", None).1, json!([did]));
}

#[test]
fn hostile_bodies_get_4xx_json_and_change_nothing() {
    let s = start();
    let ext = s.create_extension("1001", "secret-1001");
    let path = format!("/api/extensions/{}/", ext["id"]);
    let auth = format!("Token {}", s.token);
    let big = format!(r#"{{"sip_username":"1002","sip_password":"secret-2","cellphone":"{}"}}"#, "1".repeat(70 * 1024));
    let cases: [(Method, &str, String, u16); 7] = [
        (Method::POST, "/api/extensions/", "{not json".into(), 400),
        (Method::POST, "/api/extensions/", "".into(), 400),
        (Method::POST, "/api/extensions/", "[]".into(), 400),
        (Method::POST, "/api/extensions/", r#"{"sip_username":"1002","sip_password":"secret-2"}garbage"#.into(), 400),
        (Method::POST, "/api/extensions/", big.clone(), 413),
        (Method::PATCH, &path, big, 413),
        (Method::PATCH, &path, r#"{"sip_username": null, "cellphone": 5}"#.into(), 400),
    ];
    for (method, p, body, want) in cases {
        let (status, answer) = call(&s, Some(&auth), method.clone(), p, Some(&body));
        assert_eq!(status, want, "{method} {p} {:.40}: {answer}", body);
        assert!(answer.is_object(), "{answer}");
    }
    // Just under the 64 KiB limit is read and judged on its content.
    let near =
        format!(r#"{{"sip_username":"1002","sip_password":"secret-2","cellphone":"{}"}}"#, "1".repeat(60 * 1024));
    let (status, answer) = call(&s, Some(&auth), Method::POST, "/api/extensions/", Some(&near));
    assert_eq!(status, 400);
    assert!(answer["cellphone"].is_array(), "{answer}");
    assert_eq!(list(&s), [ext]);
}

#[test]
fn sql_in_fields_and_ids_is_inert() {
    let s = start();
    let ext = s.create_extension("1001", "secret-1001");
    let injection = "1001'; DROP TABLE extensions;--";
    let (status, err) =
        s.send_json(Method::POST, "/api/extensions/", &json!({"sip_username": injection, "sip_password": "secret-2"}));
    assert_eq!(status, 400);
    assert!(err["sip_username"].is_array(), "{err}");

    // A password may hold any printable text, and it is kept verbatim.
    let (status, odd) =
        s.send_json(Method::POST, "/api/extensions/", &json!({"sip_username": "1002", "sip_password": injection}));
    assert_eq!((status, &odd["sip_password"]), (201, &json!(injection)));

    for id in ["abc", "0", "-1", "1.5", "1%27%20OR%201=1", "99999999999999999999999"] {
        let path = format!("/api/extensions/{id}/");
        assert_eq!(s.get(&path), (404, json!({"detail": "Not found."})), "{path}");
        let (status, _) = s.send_json(Method::PATCH, &path, &json!({"cellphone": "1"}));
        assert_eq!(status, 404, "PATCH {path}");
        let (status, _) = s.send_json(Method::DELETE, &path, &Value::Null);
        assert_eq!(status, 404, "DELETE {path}");
    }
    let (status, _) = s.get(&format!("/api/extensions/?search={}", urlencode(injection)));
    assert_eq!(status, 200);
    assert_eq!(list(&s), [ext, odd]);
}

#[test]
fn extensions_and_dids_survive_a_crash_restart() {
    let mut s = start();
    let ext = s.create_extension("1001", "secret-1001");
    let (status, did) =
        s.send_json(Method::POST, "/api/did_numbers/", &json!({"phonenumber": "17865550100", "extension": ext["id"]}));
    assert_eq!(status, 201, "{did}");
    s.restart();
    assert_eq!(list(&s), vec![ext.clone()]);
    assert_eq!(s.get(&format!("/api/extensions/{}/", ext["id"])).1["sip_password"], "secret-1001");
    assert_eq!(s.get("/api/did_numbers/"), (200, json!([did])));
    let (_, offered) = s.get("/api/did_numbers/search/?npa=786&limit=100");
    let numbers: Vec<&str> =
        offered["data"].as_array().unwrap().iter().map(|n| n["number"].as_str().unwrap()).collect();
    assert!(!numbers.contains(&"17865550100"), "a bought number is not offered again after a restart");
    assert!(numbers.contains(&"17865550101"));
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
