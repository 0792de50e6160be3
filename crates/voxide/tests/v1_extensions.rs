//! Seed 002's `/v1.0/extensions` face end to end against the real binary:
//! the seed's shapes and errors with `?token=`, newest-first pages with
//! `next_page_token`, soft delete (the phone is unregistered and refused),
//! the same extension through `/api/extensions/`, and direct extensions
//! called over SIP from a trunk and from another extension with SIPp.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use voxide_registrar::digest::authorization_header;
use voxide_testkit::{RawSip, Server, SipReply, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// A seed 002 request with `token` in the query string (none: no token).
fn v1_as(s: &Server, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = match token {
        Some(t) => s.url(&format!("{path}{}token={t}", if path.contains('?') { '&' } else { '?' })),
        None => s.url(path),
    };
    let mut req = s.client.request(method, url);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} answer is not JSON: {text:?}")))
}

/// A seed 002 request with the server's admin token.
fn v1(s: &Server, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    v1_as(s, Some(&s.token), method, path, body)
}

fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

const PLAIN_KEYS: [&str; 10] =
    ["detail", "domain_id", "extension", "id", "name", "password", "tm_create", "tm_delete", "tm_update", "user_id"];
const DIRECT_KEYS: [&str; 12] = [
    "customer_id",
    "detail",
    "direct_hash",
    "domain_name",
    "extension",
    "id",
    "name",
    "password",
    "tm_create",
    "tm_delete",
    "tm_update",
    "username",
];

/// `2021-02-18 12:42:27.688282`, as the seed writes times.
fn is_seed_time(v: &Value) -> bool {
    let Some(t) = v.as_str() else { return false };
    let b = t.as_bytes();
    t.len() == 26
        && (b[4], b[7], b[10], b[13], b[16], b[19]) == (b'-', b'-', b' ', b':', b':', b'.')
        && t.bytes().enumerate().all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit())
}

fn create(s: &Server, extension: &str, name: &str) -> Value {
    let body = json!({"name": name, "detail": "", "extension": extension, "password": format!("secret-{extension}")});
    let (status, created) = v1(s, Method::POST, "/v1.0/extensions", Some(body));
    assert_eq!(status, 200, "{created}");
    created
}

fn ids(page: &Value) -> Vec<String> {
    page["result"].as_array().expect("result").iter().map(|e| e["id"].as_str().expect("id").to_string()).collect()
}

#[test]
fn crud_in_the_seed_shape_and_the_same_object_through_the_native_face() {
    let s = Server::start(BIN, &[]);
    let body = json!({
        "name": "test domain",
        "detail": "test domain creation",
        "extension": "test12",
        "password": "27a4d0f2-757c-11eb-bc8f-4f045857b89c"
    });
    let (status, created) = v1(&s, Method::POST, "/v1.0/extensions", Some(body));
    assert_eq!(status, 200, "{created}");
    assert_eq!(keys(&created), PLAIN_KEYS);
    assert_eq!(created["name"], "test domain");
    assert_eq!(created["detail"], "test domain creation");
    assert_eq!(created["extension"], "test12");
    assert_eq!(created["password"], "27a4d0f2-757c-11eb-bc8f-4f045857b89c");
    assert!(created["user_id"].is_i64(), "{created}");
    let id = created["id"].as_str().expect("id is a string").to_string();
    assert!(id.parse::<i64>().is_ok(), "{id}");
    assert!(created["domain_id"].as_str().is_some_and(|d| d.parse::<i64>().is_ok()), "{created}");
    assert!(is_seed_time(&created["tm_create"]), "{created}");
    assert_eq!((&created["tm_update"], &created["tm_delete"]), (&json!(""), &json!("")));

    assert_eq!(v1(&s, Method::GET, &format!("/v1.0/extensions/{id}"), None), (200, created.clone()));
    let (status, page) = v1(&s, Method::GET, "/v1.0/extensions", None);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page, json!({"result": [created.clone()], "next_page_token": created["tm_create"]}));
    let by_domain = format!("/v1.0/extensions?domain_id={}", created["domain_id"].as_str().unwrap());
    assert_eq!(v1(&s, Method::GET, &by_domain, None).1, page);

    // The native face shows the same extension.
    let (status, native) = s.get(&format!("/api/extensions/{id}/"));
    assert_eq!(status, 200, "{native}");
    assert_eq!(native["sip_username"], "test12");
    assert_eq!(native["sip_password"], created["password"]);
    assert_eq!(native["display_name"], "test domain");
    assert_eq!(native["direct_hash"], Value::Null);
    assert_eq!(native["domain"], "voxide.local");

    let change = json!({
        "name": "update test extension name",
        "detail": "update test extension detail",
        "password": "5316382a-757c-11eb-9348-bb32547e99c4"
    });
    let (status, updated) = v1(&s, Method::PUT, &format!("/v1.0/extensions/{id}"), Some(change));
    assert_eq!(status, 200, "{updated}");
    assert_eq!(keys(&updated), PLAIN_KEYS);
    assert_eq!(updated["name"], "update test extension name");
    assert_eq!(updated["detail"], "update test extension detail");
    assert_eq!(updated["password"], "5316382a-757c-11eb-9348-bb32547e99c4");
    assert_eq!((&updated["extension"], &updated["tm_create"]), (&created["extension"], &created["tm_create"]));
    assert!(is_seed_time(&updated["tm_update"]), "{updated}");
    assert!(updated["tm_update"].as_str() > created["tm_create"].as_str());
    // The new password is what phones now authenticate with.
    let native = s.get(&format!("/api/extensions/{id}/")).1;
    assert_eq!(native["sip_password"], "5316382a-757c-11eb-9348-bb32547e99c4");

    // A client may PUT back what it read; read-only fields are ignored.
    let mut echoed = updated.clone();
    echoed["name"] = json!("Reception");
    let (status, again) = v1(&s, Method::PUT, &format!("/v1.0/extensions/{id}"), Some(echoed));
    assert_eq!((status, &again["name"]), (200, &json!("Reception")), "{again}");

    // A change through the native face shows here, and the other way round.
    let (status, _) =
        s.send_json(Method::PATCH, &format!("/api/extensions/{id}/"), &json!({"display_name": "Front desk"}));
    assert_eq!(status, 200);
    assert_eq!(v1(&s, Method::GET, &format!("/v1.0/extensions/{id}"), None).1["name"], "Front desk");
    let (status, native_made) = s.send_json(
        Method::POST,
        "/api/extensions/",
        &json!({"sip_username": "1001", "sip_password": "secret-1001", "display_name": "Lobby"}),
    );
    assert_eq!(status, 201, "{native_made}");
    let (_, seen) = v1(&s, Method::GET, &format!("/v1.0/extensions/{}", native_made["id"]), None);
    assert_eq!((&seen["name"], &seen["extension"], &seen["detail"]), (&json!("Lobby"), &json!("1001"), &json!("")));
}

#[test]
fn bad_requests_are_named_and_unknown_ids_are_404() {
    let s = Server::start(BIN, &[]);
    // No token, or a wrong one.
    for method in [Method::GET, Method::POST] {
        let (status, body) = v1_as(&s, None, method.clone(), "/v1.0/extensions", Some(json!({})));
        assert_eq!((status, body), (401, json!({"detail": "Authentication credentials were not provided."})));
        let (status, body) = v1_as(&s, Some("0123456789abcdef"), method, "/v1.0/extensions", Some(json!({})));
        assert_eq!((status, body), (401, json!({"detail": "Invalid token."})));
    }
    assert_eq!(v1_as(&s, None, Method::DELETE, "/v1.0/extensions/1", None).0, 401);

    let post = |body: Value| v1(&s, Method::POST, "/v1.0/extensions", Some(body));
    let (status, err) = post(json!({}));
    assert_eq!(status, 400);
    assert_eq!(err, json!({"extension": ["This field is required."], "password": ["This field is required."]}));
    for (body, field) in [
        (json!({"extension": 1001, "password": "secret-1001"}), "extension"),
        (json!({"extension": "1001", "password": ["secret-1001"]}), "password"),
        (json!({"extension": "1001", "password": "secret-1001", "name": 7}), "name"),
        (json!({"extension": "1001", "password": "secret-1001", "domain_id": true}), "domain_id"),
        (json!({"extension": "1001", "password": "secret-1001", "domain_id": "999"}), "domain_id"),
        (json!({"extension": "1001", "password": "short"}), "password"),
        (json!({"extension": "no spaces", "password": "secret-1001"}), "extension"),
        (json!({"extension": "direct.0123456789abcdef", "password": "secret-1001"}), "extension"),
        (json!({"extension": "1001", "password": "secret-1001", "name": "bell\u{7}"}), "name"),
        (json!({"extension": "1001", "password": "secret-1001", "colour": "red"}), "colour"),
    ] {
        let (status, err) = post(body.clone());
        assert_eq!(status, 400, "{body} -> {err}");
        assert_eq!(keys(&err), [field], "{body} -> {err}");
        assert!(err[field][0].is_string(), "{err}");
    }
    let (status, body) = v1(&s, Method::POST, "/v1.0/extensions", Some(Value::String("not an object".into())));
    assert_eq!(status, 400, "{body}");
    let created = create(&s, "1001", "one");
    let (status, err) = post(json!({"extension": "1001", "password": "secret-1001"}));
    assert_eq!((status, keys(&err)), (400, vec!["extension"]), "{err}");

    let path = format!("/v1.0/extensions/{}", created["id"].as_str().unwrap());
    let put = |body: Value| v1(&s, Method::PUT, &path, Some(body));
    for (body, field) in [
        (json!({"direct": "yes"}), "direct"),
        (json!({"direct_regenerate": 1}), "direct_regenerate"),
        (json!({"direct_regenerate": true}), "direct_regenerate"),
        (json!({"direct": false, "direct_regenerate": true}), "direct_regenerate"),
        (json!({"name": 5}), "name"),
        (json!({"password": "short"}), "password"),
        (json!({"extension": "1002"}), "extension"),
        (json!({"domain_id": "999"}), "domain_id"),
        (json!({"detail": "x".repeat(1001)}), "detail"),
    ] {
        let (status, err) = put(body.clone());
        assert_eq!(status, 400, "{body} -> {err}");
        assert_eq!(keys(&err), [field], "{body} -> {err}");
    }
    assert_eq!(v1(&s, Method::GET, &path, None).1, created, "refused changes change nothing");

    for path in ["/v1.0/extensions/999999", "/v1.0/extensions/abc", "/v1.0/extensions/-1"] {
        for (method, body) in [(Method::GET, None), (Method::PUT, Some(json!({"name": "x"}))), (Method::DELETE, None)] {
            assert_eq!(v1(&s, method.clone(), path, body), (404, json!({"detail": "Not found."})), "{method} {path}");
        }
    }
    for (query, field) in [
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=ten", "page_size"),
        ("page_token=yesterday", "page_token"),
        ("domain_id=acme", "domain_id"),
    ] {
        let (status, err) = v1(&s, Method::GET, &format!("/v1.0/extensions?{query}"), None);
        assert_eq!((status, keys(&err)), (400, vec![field]), "{query}: {err}");
    }

    // Another tenant sees none of it.
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    let as_them = |method: Method, path: &str, body: Option<Value>| v1_as(&s, Some(&theirs), method, path, body);
    assert_eq!(as_them(Method::GET, &path, None).0, 404);
    assert_eq!(as_them(Method::PUT, &path, Some(json!({"name": "mine now"}))).0, 404);
    assert_eq!(as_them(Method::DELETE, &path, None).0, 404);
    let (status, page) = as_them(Method::GET, "/v1.0/extensions", None);
    assert_eq!((status, page), (200, json!({"result": [], "next_page_token": ""})));
    let mine = format!("/v1.0/extensions?domain_id={}", created["domain_id"].as_str().unwrap());
    assert_eq!(as_them(Method::GET, &mine, None).1, json!({"result": [], "next_page_token": ""}));
    let (status, err) = as_them(
        Method::POST,
        "/v1.0/extensions",
        Some(json!({"extension": "1001", "password": "secret-1001", "domain_id": created["domain_id"]})),
    );
    assert_eq!((status, keys(&err)), (400, vec!["domain_id"]), "{err}");
    assert_eq!(v1(&s, Method::GET, &path, None).1, created);
}

#[test]
fn pages_run_newest_first_and_continue_from_next_page_token() {
    let s = Server::start(BIN, &[]);
    let mut made = Vec::new();
    for n in 0..12 {
        made.push(create(&s, &format!("10{n:02}"), &format!("line {n}")));
        std::thread::sleep(Duration::from_millis(3));
    }
    let newest_first: Vec<String> = made.iter().rev().map(|e| e["id"].as_str().unwrap().to_string()).collect();

    // Ten to a page unless asked.
    let (status, first) = v1(&s, Method::GET, "/v1.0/extensions", None);
    assert_eq!(status, 200, "{first}");
    assert_eq!(ids(&first), newest_first[..10]);
    assert_eq!(first["next_page_token"], first["result"][9]["tm_create"]);

    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let query = if token.is_empty() {
            "/v1.0/extensions?page_size=5".to_string()
        } else {
            format!("/v1.0/extensions?page_size=5&page_token={}", token.replace(' ', "%20"))
        };
        let (status, page) = v1(&s, Method::GET, &query, None);
        assert_eq!(status, 200, "{page}");
        let got = ids(&page);
        if got.is_empty() {
            assert_eq!(page["next_page_token"], "");
            break;
        }
        assert_eq!(page["next_page_token"], page["result"][got.len() - 1]["tm_create"]);
        token = page["next_page_token"].as_str().unwrap().to_string();
        seen.extend(got);
        pages += 1;
        assert!(pages <= 4, "paging does not end");
    }
    assert_eq!(seen, newest_first);
    assert_eq!(pages, 3, "5 + 5 + 2");

    // Another tenant's extensions: only in its own list, and in the
    // super-admin's when it names that domain.
    let theirs = s.cli(&["token", "create", "--name", "b", "--tenant", "other.example"]);
    let (status, other) = v1_as(
        &s,
        Some(&theirs),
        Method::POST,
        "/v1.0/extensions",
        Some(json!({"extension": "2001", "password": "secret-2001"})),
    );
    assert_eq!(status, 200, "{other}");
    assert_ne!(other["domain_id"], made[0]["domain_id"]);
    let (_, their_list) = v1_as(&s, Some(&theirs), Method::GET, "/v1.0/extensions", None);
    assert_eq!(their_list["result"], json!([other.clone()]));
    let (_, everyone) = v1(&s, Method::GET, "/v1.0/extensions?page_size=100", None);
    assert_eq!(ids(&everyone).len(), 13);
    let only_theirs = format!("/v1.0/extensions?domain_id={}", other["domain_id"].as_str().unwrap());
    assert_eq!(v1(&s, Method::GET, &only_theirs, None).1["result"], json!([other]));
    let only_mine = format!("/v1.0/extensions?page_size=100&domain_id={}", made[0]["domain_id"].as_str().unwrap());
    assert_eq!(ids(&v1(&s, Method::GET, &only_mine, None).1), newest_first);
}

/// REGISTERs `user` over raw UDP with digest credentials; the final reply.
fn register(sip: &mut RawSip, user: &str, password: &str) -> SipReply {
    let local = sip.local();
    let request = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:voxide.local SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{user}{cseq}{};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@voxide.local>;tag=r{cseq}\r\nTo: <sip:{user}@voxide.local>\r\n\
             Call-ID: v1-{user}-{}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{user}@{local}>\r\nExpires: 600\r\n\
             {auth}Content-Length: 0\r\n\r\n",
            local.port(),
            local.port(),
        )
    };
    let challenge = sip.request(&request(1, ""));
    if challenge.status() != 401 {
        return challenge;
    }
    let md5 = challenge.headers("WWW-Authenticate").into_iter().find(|c| c.contains("MD5")).expect("MD5 challenge");
    let auth = authorization_header(md5, user, password, "REGISTER", "sip:voxide.local", 1, "0a4f113b").expect("auth");
    sip.request(&request(2, &format!("Authorization: {auth}\r\n")))
}

fn aors(s: &Server) -> Vec<String> {
    let (status, body) = s.get("/api/registrations/");
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("list").iter().map(|b| b["aor"].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn a_deleted_extension_keeps_its_record_but_cannot_register_or_be_listed() {
    let s = Server::start(BIN, &[]);
    let created = create(&s, "1001", "Front desk");
    let id = created["id"].as_str().unwrap().to_string();
    let mut phone = RawSip::udp(s.sip);
    assert_eq!(register(&mut phone, "1001", "secret-1001").status(), 200);
    s.wait_for_binding("1001", "raw REGISTER");

    let path = format!("/v1.0/extensions/{id}");
    let (status, deleted) = v1(&s, Method::DELETE, &path, None);
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(keys(&deleted), PLAIN_KEYS);
    assert!(is_seed_time(&deleted["tm_delete"]), "{deleted}");
    assert_eq!(
        (&deleted["id"], &deleted["name"], &deleted["extension"]),
        (&json!(id), &json!("Front desk"), &json!("1001"))
    );
    // The seed face still shows the record; nothing else does.
    assert_eq!(v1(&s, Method::GET, &path, None), (200, deleted.clone()));
    assert_eq!(s.get(&format!("/api/extensions/{id}/")), (404, json!({"detail": "Not found."})));
    assert_eq!(s.get("/api/extensions/"), (200, json!([])));
    assert_eq!(v1(&s, Method::GET, "/v1.0/extensions", None).1, json!({"result": [], "next_page_token": ""}));
    assert_eq!(v1(&s, Method::PUT, &path, Some(json!({"name": "back"}))).0, 404);
    assert_eq!(v1(&s, Method::DELETE, &path, None).0, 404);

    // Its phone is unregistered and cannot register again.
    let deadline = Instant::now() + Duration::from_secs(5);
    while aors(&s).contains(&"sip:1001@voxide.local".to_string()) {
        assert!(Instant::now() < deadline, "the binding outlived the extension");
        std::thread::sleep(Duration::from_millis(50));
    }
    let refused = register(&mut RawSip::udp(s.sip), "1001", "secret-1001");
    assert_ne!(refused.status(), 200, "{}", refused.text);
    std::thread::sleep(Duration::from_millis(200));
    assert!(aors(&s).is_empty());

    // The name is free again; the old record goes when it is taken.
    let (status, again) =
        s.send_json(Method::POST, "/api/extensions/", &json!({"sip_username": "1001", "sip_password": "secret-1001"}));
    assert_eq!(status, 201, "{again}");
    assert_ne!(again["id"].to_string(), id);
    assert_eq!(v1(&s, Method::GET, &path, None).0, 404);
    assert_eq!(register(&mut RawSip::udp(s.sip), "1001", "secret-1001").status(), 200);
}

// --- Direct extensions over SIP ---------------------------------------

/// `testdata/` of this checkout.
fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn scenario(name: &str) -> PathBuf {
    testdata().join("sipp/calls").join(name)
}

fn scratch() -> PathBuf {
    use std::hash::{BuildHasher, RandomState};
    let dir = std::env::temp_dir().join(format!("voxide-v1-{:016x}", RandomState::new().hash_one(Instant::now())));
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

/// A SIP peer played by SIPp on its own port.
struct Peer {
    user: String,
    port: u16,
    ip: &'static str,
    dir: PathBuf,
}

impl Peer {
    fn phone(user: &str) -> Peer {
        Peer { user: user.into(), port: free_port(), ip: "127.0.0.1", dir: scratch() }
    }

    /// The carrier's side of the trunk, on its own loopback address.
    fn carrier(port: u16) -> Peer {
        Peer { user: "13055550142".into(), port, ip: "127.0.0.2", dir: scratch() }
    }

    fn args(&self, s: &Server, sf: &Path) -> Vec<String> {
        let inf = self.dir.join("user.csv");
        std::fs::write(&inf, format!("SEQUENTIAL\n{};secret-{}\n", self.user, self.user)).expect("inf");
        [
            "-sf",
            &sf.display().to_string(),
            &s.sip.to_string(),
            "-i",
            self.ip,
            "-p",
            &self.port.to_string(),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "20s",
            "-timeout_error",
            "-inf",
            &inf.display().to_string(),
            "-trace_err",
            "-error_file",
            &self.dir.join("errors.log").display().to_string(),
        ]
        .map(str::to_string)
        .to_vec()
    }

    fn run(&self, s: &Server, sf: &Path, extra: &[&str]) -> Output {
        let mut args = self.args(s, sf);
        args.extend(extra.iter().map(|a| a.to_string()));
        Command::new("sipp").args(&args).current_dir(&self.dir).output().expect("run sipp (is sip-tester installed?)")
    }

    fn register(&self, s: &Server) {
        let out = self.run(s, &testdata().join("sipp/register_auth.xml"), &[]);
        assert!(out.status.success(), "{} did not register: {}", self.user, self.errors());
        s.wait_for_binding(&self.user, &self.errors());
    }

    /// Answers one call (180, 200, then waits for the BYE); join with `finish`.
    fn answer(&self, s: &Server) -> Child {
        let args = self.args(s, &scenario("uas_answer.xml"));
        let child = Command::new("sipp")
            .args(&args)
            .current_dir(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run sipp");
        // SIPp needs a moment to bind before the INVITE arrives.
        std::thread::sleep(Duration::from_millis(300));
        child
    }

    fn finish(&self, mut child: Child) {
        assert!(child.wait().expect("sipp callee").success(), "callee failed: {}", self.errors());
    }

    fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.join("errors.log")).unwrap_or_default()
    }
}

/// `caller` dials `user_part` with scenario `sf`; `callee` answers it.
fn answered(s: &Server, callee: &Peer, caller: &Peer, sf: &str, user_part: &str) {
    let uas = callee.answer(s);
    let out = caller.run(s, &scenario(sf), &["-s", user_part]);
    assert!(out.status.success(), "{user_part} was not answered: {}\n{}", caller.errors(), s.log());
    callee.finish(uas);
}

/// The carrier dials `user_part` and is refused with 404.
fn refused(s: &Server, carrier: &Peer, user_part: &str) {
    let out = carrier.run(s, &scenario("uac_trunk_404.xml"), &["-s", user_part]);
    assert!(out.status.success(), "{user_part} was not refused with 404: {}\n{}", carrier.errors(), s.log());
}

fn direct_hash(answer: &Value) -> String {
    let hash = answer["direct_hash"].as_str().expect("direct_hash").to_string();
    assert!(hash.len() >= 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{answer}");
    hash
}

#[test]
fn a_direct_extension_is_called_from_a_trunk_and_an_extension_until_its_hash_changes_or_goes() {
    let trunk_port = free_port();
    let config = scratch().join("voxide.toml");
    std::fs::write(
        &config,
        format!("[[trunks]]\nname = \"carrier\"\naddress = \"127.0.0.2:{trunk_port}\"\nprefixes = [\"1\"]\n"),
    )
    .expect("config");
    let mut s = Server::start(
        BIN,
        &[("VOXIDE_CONFIG", config.to_str().expect("utf-8")), ("VOXIDE_MEDIA_RTP_PORTS", "32000-32999")],
    );
    let created = create(&s, "1002", "Direct line");
    s.create_extension("1001", "secret-1001");
    let path = format!("/v1.0/extensions/{}", created["id"].as_str().unwrap());
    let (callee, caller, carrier) = (Peer::phone("1002"), Peer::phone("1001"), Peer::carrier(trunk_port));
    callee.register(&s);

    let (status, on) = v1(&s, Method::PUT, &path, Some(json!({"direct": true})));
    assert_eq!(status, 200, "{on}");
    assert_eq!(keys(&on), DIRECT_KEYS);
    assert_eq!(
        (&on["username"], &on["extension"], &on["domain_name"]),
        (&json!("1002"), &json!("1002"), &json!("voxide.local"))
    );
    assert_eq!((&on["customer_id"], &on["name"]), (&created["domain_id"], &json!("Direct line")));
    assert!(is_seed_time(&on["tm_update"]), "{on}");
    let first = direct_hash(&on);
    // Turning it on again keeps the address.
    let (_, still) = v1(&s, Method::PUT, &path, Some(json!({"direct": true})));
    assert_eq!(still["direct_hash"], first.as_str());
    assert_eq!(
        s.get(&format!("/api/extensions/{}/", created["id"].as_str().unwrap())).1["direct_hash"],
        first.as_str()
    );

    // The carrier reaches it without knowing its number...
    answered(&s, &callee, &carrier, "uac_trunk.xml", &format!("direct.{first}"));
    let cdr = s.last_cdr();
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");
    assert_eq!(cdr["call_to"], format!("direct.{first}"));
    assert_eq!(cdr["extension"].to_string(), created["id"].as_str().unwrap());
    assert_eq!(cdr["call_direction"], "inbound");
    // ...and so does an extension (authenticated by digest first).
    answered(&s, &callee, &caller, "uac_auth.xml", &format!("direct.{first}"));
    refused(&s, &carrier, "direct.0000000000000000");

    // A new hash: the old address stops working at once.
    let (status, again) = v1(&s, Method::PUT, &path, Some(json!({"direct_regenerate": true})));
    assert_eq!((status, keys(&again)), (200, DIRECT_KEYS.to_vec()), "{again}");
    let second = direct_hash(&again);
    assert_ne!(second, first);
    refused(&s, &carrier, &format!("direct.{first}"));
    answered(&s, &callee, &carrier, "uac_trunk.xml", &format!("direct.{second}"));

    // The address survives a restart of the switch.
    s.restart();
    answered(&s, &callee, &carrier, "uac_trunk.xml", &format!("direct.{second}"));

    let (status, off) = v1(&s, Method::PUT, &path, Some(json!({"direct": false})));
    assert_eq!((status, &off["direct_hash"]), (200, &json!("")), "{off}");
    refused(&s, &carrier, &format!("direct.{first}"));
    refused(&s, &carrier, &format!("direct.{second}"));
    assert_eq!(s.get(&format!("/api/extensions/{}/", created["id"].as_str().unwrap())).1["direct_hash"], Value::Null);

    // Back on, then deleted: a deleted extension is not reachable at all.
    let third = direct_hash(&v1(&s, Method::PUT, &path, Some(json!({"direct": true}))).1);
    answered(&s, &callee, &carrier, "uac_trunk.xml", &format!("direct.{third}"));
    assert_eq!(v1(&s, Method::DELETE, &path, None).0, 200);
    refused(&s, &carrier, &format!("direct.{third}"));
}
