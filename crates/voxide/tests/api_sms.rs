//! Text messages end to end: `POST /api/sendsms/` reaching a real phone
//! (baresip) as a SIP MESSAGE and an outside number through a stub of
//! Flowroute's messaging API; a phone texting another; the carrier's
//! webhook; the status and inbound callbacks, caught by a local HTTP
//! server and checked against their signature.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::audio::silence;
use voxide_testkit::{Baresip, RawSip, Server, hmac_sha256_hex};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// baresip 1.0 answers only MD5 challenges; see `sip.digest_sha256`.
const MD5_ONLY: (&str, &str) = ("VOXIDE_SIP_DIGEST_SHA256", "false");
const CALLBACK_SECRET: &str = "sign-callbacks-with-this";
const WEBHOOK_SECRET: &str = "carrier-webhook-secret";
const KEY: &str = "12345678";
const SECRET: &str = "stub-secret";
const DID: &str = "17865550100";

/// Everything the local HTTP server got: Flowroute API calls and callbacks.
#[derive(Clone, Default)]
struct Stub {
    /// (path, headers, body) in arrival order.
    got: Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>,
}

impl Stub {
    /// Serves the stub from a thread with its own runtime; its base URL.
    fn start(&self) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/v2/numbers/{number}", post(purchase))
            .route("/v2.1/messages", post(message))
            .route("/hooks/{name}", post(hook))
            .with_state(self.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        format!("http://{addr}")
    }

    fn record(&self, path: String, headers: HeaderMap, body: Bytes) {
        self.got.lock().unwrap().push((path, headers, body));
    }

    /// JSON bodies that reached `path`, waiting up to 10 s for `n` of them.
    fn wait_for(&self, path: &str, n: usize) -> Vec<(HeaderMap, Value)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got: Vec<(HeaderMap, Value)> = self
                .got
                .lock()
                .unwrap()
                .iter()
                .filter(|(p, _, _)| p == path)
                .map(|(_, h, b)| (h.clone(), serde_json::from_slice(b).expect("JSON body")))
                .collect();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The raw bodies posted to `path`.
    fn raw(&self, path: &str) -> Vec<(HeaderMap, Bytes)> {
        self.got.lock().unwrap().iter().filter(|(p, _, _)| p == path).map(|(_, h, b)| (h.clone(), b.clone())).collect()
    }
}

fn authorised(headers: &HeaderMap) -> bool {
    let expected = format!("Basic {}", STANDARD.encode(format!("{KEY}:{SECRET}")));
    headers.get(header::AUTHORIZATION).is_some_and(|v| v.as_bytes() == expected.as_bytes())
}

async fn purchase(State(stub): State<Stub>, headers: HeaderMap, Path(n): Path<String>) -> Response {
    if !authorised(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    stub.record(format!("/v2/numbers/{n}"), headers, Bytes::new());
    (StatusCode::CREATED, axum::Json(json!({"data": {"id": n, "type": "number"}}))).into_response()
}

/// Flowroute's `POST /v2.1/messages`: JSON:API only, 202 with an mdr2 id.
async fn message(State(stub): State<Stub>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorised(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if headers.get(header::CONTENT_TYPE).is_none_or(|v| v != "application/vnd.api+json") {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    stub.record("/v2.1/messages".into(), headers, body);
    (StatusCode::ACCEPTED, axum::Json(json!({"data": {"id": "mdr2-39cadeace66e11e7aff806cd7f24ba2d"}}))).into_response()
}

async fn hook(State(stub): State<Stub>, headers: HeaderMap, Path(name): Path<String>, body: Bytes) -> StatusCode {
    stub.record(format!("/hooks/{name}"), headers, body);
    StatusCode::OK
}

/// A switch whose callbacks go to `stub`, signed; with the stub as its
/// Flowroute account when `flowroute`.
fn start(stub_url: &str, flowroute: bool) -> Server {
    let inbound = format!("{stub_url}/hooks/inbound");
    let mut env = vec![
        MD5_ONLY,
        ("VOXIDE_SMS_INBOUND_CALLBACK", inbound.as_str()),
        ("VOXIDE_SMS_CALLBACK_SECRET", CALLBACK_SECRET),
        ("VOXIDE_SMS_INBOUND_SECRET", WEBHOOK_SECRET),
    ];
    if flowroute {
        env.extend([
            ("VOXIDE_PROVIDER_KIND", "flowroute"),
            ("VOXIDE_PROVIDER_ACCESS_KEY", KEY),
            ("VOXIDE_PROVIDER_SECRET_KEY", SECRET),
            ("VOXIDE_PROVIDER_BASE_URL", stub_url),
            ("VOXIDE_PROVIDER_TIMEOUT_SECS", "5"),
        ]);
    }
    Server::start(BIN, &env)
}

/// The callback's `X-Voxide-Signature` is the HMAC-SHA256 of its body,
/// computed here independently of the server's code.
fn assert_signed(headers: &HeaderMap, body: &[u8]) {
    let sig = headers.get("x-voxide-signature").expect("X-Voxide-Signature").to_str().unwrap();
    assert_eq!(sig, format!("sha256={}", hmac_sha256_hex(CALLBACK_SECRET.as_bytes(), body)));
}

fn send_sms(s: &Server, body: Value) -> (u16, Value) {
    s.send_json(Method::POST, "/api/sendsms/", &body)
}

/// The message once its status is `want` (10 s at most); panics with the
/// server's log otherwise.
fn wait_status(s: &Server, id: &Value, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, m) = s.get(&format!("/api/sms/{id}/"));
        assert_eq!(status, 200, "{m}");
        if m["status"] == want {
            return m;
        }
        assert!(Instant::now() < deadline, "message {id} never {want}: {m}\n{}", s.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A baresip phone for `user` (password `secret-<user>`), registered.
fn phone(s: &Server, user: &str) -> Baresip {
    s.create_extension(user, &format!("secret-{user}"));
    let account = format!("<sip:{user}@{}>;auth_pass=secret-{user};regint=600", s.sip);
    let phone = Baresip::phone(&account, &silence(s.dir(), 5));
    s.wait_for_binding(user, &phone.log());
    phone
}

/// The SIP messages in a baresip log (its `-s` trace), each as the
/// `UDP a -> b` line that heads it and its text.
fn sip_trace(log: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in log.lines() {
        let heading = ["UDP ", "TCP "].iter().any(|t| line.starts_with(t)) && line.contains(" -> ");
        if heading {
            out.push((line.trim().to_string(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

/// The MESSAGE a phone received, and the response it sent back, once
/// both are in its trace (10 s at most).
fn received_message(phone: &Baresip, s: &Server) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let trace = sip_trace(&phone.log());
        let into_phone = format!("-> 127.0.0.1:{}", phone.port);
        let request = trace.iter().find(|(to, m)| to.ends_with(&into_phone) && m.starts_with("MESSAGE "));
        let reply = trace
            .iter()
            .find(|(to, m)| !to.ends_with(&into_phone) && m.starts_with("SIP/2.0 ") && m.contains(" MESSAGE\n"));
        if let (Some((_, request)), Some((_, reply))) = (request, reply) {
            return (request.clone(), reply.clone());
        }
        assert!(
            Instant::now() < deadline,
            "no MESSAGE exchange in the phone's trace:\n{}\n--- voxide\n{}",
            phone.log(),
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_sms_to_a_registered_extension_reaches_baresip_as_a_sip_message() {
    let stub = Stub::default();
    let base = stub.start();
    let s = start(&base, false);
    let mut receiver = phone(&s, "1002");
    let callback = format!("{base}/hooks/status");
    let text = "Your table is ready — 2 guests";

    let (status, queued) = send_sms(&s, json!({"sms_to": "1002", "sms_body": text, "callback_url": callback}));
    assert_eq!(status, 202, "{queued}");
    for (key, want) in [("sms_to", json!("1002")), ("sms_body", json!(text)), ("callback_url", json!(callback))] {
        assert_eq!(queued[key], want, "{key}: {queued}");
    }
    assert!(queued["id"].is_i64() && queued["status"] == "queued", "{queued}");

    // baresip hands a text/plain MESSAGE to its menu (which would print
    // it on a console UI; headless, there is none) and answers 200; any
    // other type gets 415. Its SIP trace shows both.
    let (request, reply) = received_message(&receiver, &s);
    assert!(request.contains("Content-Type: text/plain;charset=UTF-8\n"), "{request}");
    assert!(request.contains(&format!("\n\n{text}")), "the text is the body: {request}");
    assert!(request.contains("To: <sip:1002@voxide.local>"), "{request}");
    assert!(reply.starts_with("SIP/2.0 200 OK") && reply.contains("Server: baresip"), "{reply}");
    let delivered = wait_status(&s, &queued["id"], "delivered");
    assert_eq!((delivered["direction"].as_str(), delivered["error"].is_null()), (Some("out"), true), "{delivered}");

    let hooks = stub.wait_for("/hooks/status", 1);
    assert_eq!(hooks.len(), 1, "one status change, one callback");
    assert_eq!(
        hooks[0].1,
        json!({"id": queued["id"], "status": "delivered", "from": "voxide", "to": "1002", "text": text, "error": null})
    );
    let (headers, raw) = &stub.raw("/hooks/status")[0];
    assert_signed(headers, raw);
    receiver.quit();
}

#[test]
fn a_phone_texts_another_extension_and_the_inbound_callback_hears_of_it() {
    let stub = Stub::default();
    let s = start(&stub.start(), false);
    let mut receiver = phone(&s, "1002");
    let mut sender = phone(&s, "1001");
    // baresip 1.0 sends a MESSAGE only to its "current contact": give it
    // one, then load the contact module that reads it.
    std::fs::write(sender.dir.join("contacts"), format!("\"Reception\" <sip:1002@{}>\n", s.sip)).unwrap();
    sender.command("insmod", "contact.so");
    sender.command("message", "Meeting moved to 3pm");

    let (request, reply) = received_message(&receiver, &s);
    assert!(request.contains("From: <sip:1001@voxide.local>"), "the switch names the sender: {request}");
    assert!(request.contains("\n\nMeeting moved to 3pm"), "{request}");
    assert!(reply.starts_with("SIP/2.0 200 OK"), "{reply}");
    let trace = sip_trace(&sender.log());
    let answers: Vec<&str> = trace.iter().filter(|(_, m)| m.starts_with("SIP/2.0 ")).map(|(_, m)| &m[..11]).collect();
    assert!(
        answers.contains(&"SIP/2.0 407") && answers.contains(&"SIP/2.0 202"),
        "challenged, then accepted: {answers:?}"
    );

    let inbound = stub.wait_for("/hooks/inbound", 1);
    assert_eq!(inbound.len(), 1, "{}", s.log());
    assert_eq!(inbound[0].1, json!({"from": "1001", "to": "1002", "text": "Meeting moved to 3pm"}));
    let (headers, raw) = &stub.raw("/hooks/inbound")[0];
    assert_signed(headers, raw);

    let (status, list) = s.get("/api/sms/");
    assert_eq!(status, 200, "{list}");
    let stored = &list[0];
    assert_eq!((stored["direction"].as_str(), stored["sms_from"].as_str()), (Some("in"), Some("1001")), "{list}");
    wait_status(&s, &stored["id"], "delivered");
    // Live events: the text arrived, then was delivered.
    let events = s.events_since(1, 0);
    let texts: Vec<(&str, &Value)> = events
        .iter()
        .filter(|e| e["kind"].as_str().is_some_and(|k| k.starts_with("sms.")))
        .map(|e| (e["kind"].as_str().unwrap_or_default(), &e["data"]))
        .collect();
    assert_eq!(texts[0].0, "sms.received", "{events:?}");
    assert_eq!(texts[0].1["text"], "Meeting moved to 3pm");
    assert!(
        texts.iter().any(|(k, d)| *k == "sms.status" && d["status"] == "delivered" && d["id"] == stored["id"]),
        "{texts:?}"
    );
    sender.quit();
    receiver.quit();
}

#[test]
fn an_sms_to_an_outside_number_goes_through_the_carrier_and_its_replies_reach_the_phone() {
    let stub = Stub::default();
    let base = stub.start();
    let s = start(&base, true);
    let mut phone_1002 = phone(&s, "1002");
    let ext = s.get("/api/extensions/").1[0].clone();
    let (status, did) =
        s.send_json(Method::POST, "/api/did_numbers/", &json!({"phonenumber": DID, "extension": ext["id"]}));
    assert_eq!(status, 201, "{did}");
    let callback = format!("{base}/hooks/status");

    let (status, queued) =
        send_sms(&s, json!({"sms_to": "+1 (305) 555-0150", "sms_body": "Your code is 1234", "callback_url": callback}));
    assert_eq!(status, 202, "{queued}");
    assert_eq!((queued["sms_to"].as_str(), queued["sms_from"].as_str()), (Some("13055550150"), Some(DID)));
    let sent = wait_status(&s, &queued["id"], "sent");
    assert_eq!(sent["provider_id"], "mdr2-39cadeace66e11e7aff806cd7f24ba2d", "{sent}");

    // What Flowroute got: its JSON:API message resource, nothing else.
    let carrier = stub.wait_for("/v2.1/messages", 1);
    assert_eq!(
        carrier[0].1,
        json!({"data": {"type": "message", "attributes": {
            "to": "13055550150", "from": DID, "body": "Your code is 1234"}}})
    );
    let hooks = stub.wait_for("/hooks/status", 1);
    assert_eq!(hooks[0].1["status"], "sent");
    assert_signed(&stub.raw("/hooks/status")[0].0, &stub.raw("/hooks/status")[0].1);

    // Flowroute's delivery receipt, on the webhook with the secret in the URL.
    let webhook = |secret: &str, body: Value| {
        let url = s.url(&format!("/api/sms/inbound/?secret={secret}"));
        let resp = s.client.post(url).json(&body).send().unwrap();
        (resp.status().as_u16(), resp.json::<Value>().unwrap_or(Value::Null))
    };
    let receipt = json!({"data": {"type": "delivery_receipt", "id": "mdr2-39cadeace66e11e7aff806cd7f24ba2d",
        "attributes": {"level": 2, "status": "delivered", "status_code": "1003",
                       "status_code_description": "Message delivered to handset"}}});
    assert_eq!(webhook("not-the-secret", receipt.clone()).0, 401);
    assert_eq!(webhook(WEBHOOK_SECRET, receipt).0, 200);
    wait_status(&s, &queued["id"], "delivered");
    let hooks = stub.wait_for("/hooks/status", 2);
    assert_eq!(hooks.iter().map(|h| h.1["status"].clone()).collect::<Vec<_>>(), [json!("sent"), json!("delivered")]);

    // The customer answers: Flowroute posts it to the DID, which rings 1002.
    let reply = json!({"data": {"type": "message", "id": "mdr2-reply-1", "attributes": {
        "body": "Thanks!", "direction": "inbound", "from": "13055550150", "to": DID, "is_mms": false}}});
    let resp = s.client.post(s.url("/api/sms/inbound/")).header("X-Voxide-Secret", WEBHOOK_SECRET).json(&reply);
    assert_eq!(resp.send().unwrap().status().as_u16(), 200);
    let (request, answer) = received_message(&phone_1002, &s);
    assert!(request.contains("From: <sip:13055550150@voxide.local>"), "{request}");
    assert!(request.contains("\n\nThanks!"), "{request}");
    assert!(answer.starts_with("SIP/2.0 200 OK"), "{answer}");
    let inbound = stub.wait_for("/hooks/inbound", 1);
    assert_eq!(inbound[0].1, json!({"from": "13055550150", "to": DID, "text": "Thanks!"}));
    assert_signed(&stub.raw("/hooks/inbound")[0].0, &stub.raw("/hooks/inbound")[0].1);

    // Flowroute retries a callback it thinks failed; it is taken once.
    let resp = s.client.post(s.url("/api/sms/inbound/")).header("X-Voxide-Secret", WEBHOOK_SECRET).json(&reply);
    assert_eq!(resp.send().unwrap().status().as_u16(), 200);
    let (_, all) = s.get("/api/sms/?limit=10");
    assert_eq!(all["count"], 2, "{all}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(stub.raw("/hooks/inbound").len(), 1);
    phone_1002.quit();
}

#[test]
fn bad_input_is_a_400_naming_each_bad_field() {
    let stub = Stub::default();
    let s = start(&stub.start(), false);
    s.create_extension("1003", "secret-1003");
    for (body, fields) in [
        (json!({}), vec!["sms_body", "sms_to"]),
        (json!({"sms_to": "", "sms_body": "hi"}), vec!["sms_to"]),
        (json!({"sms_to": "12", "sms_body": "hi"}), vec!["sms_to"]),
        (json!({"sms_to": "alice", "sms_body": "hi"}), vec!["sms_to"]),
        (json!({"sms_to": "1234567890123456", "sms_body": "hi"}), vec!["sms_to"]),
        (json!({"sms_to": "1003", "sms_body": "   "}), vec!["sms_body"]),
        (json!({"sms_to": "1003", "sms_body": "x".repeat(1601)}), vec!["sms_body"]),
        (json!({"sms_to": "1003", "sms_body": "hi", "callback_url": "ftp://example.com/x"}), vec!["callback_url"]),
        (json!({"sms_to": "1003", "sms_body": "hi", "callback_url": "not a url"}), vec!["callback_url"]),
        (
            json!({"sms_to": "x", "sms_body": "", "callback_url": "mailto:a@b"}),
            vec!["callback_url", "sms_body", "sms_to"],
        ),
        (json!({"sms_to": 1003, "sms_body": "hi"}), vec!["sms_to"]),
        (json!({"sms_to": "1003", "sms_body": "hi", "priority": "high"}), vec!["priority"]),
    ] {
        let (status, err) = send_sms(&s, body.clone());
        assert_eq!(status, 400, "{body}: {err}");
        let mut named: Vec<&str> = err.as_object().unwrap().keys().map(String::as_str).collect();
        named.sort_unstable();
        assert_eq!(named, fields, "{body}: {err}");
        assert!(err.as_object().unwrap().values().all(|v| v[0].is_string()), "{err}");
    }
    let (_, err) = send_sms(&s, json!({}));
    assert_eq!(err, json!({"sms_to": ["This field is required."], "sms_body": ["This field is required."]}));
    assert_eq!(s.get("/api/sms/").1, json!([]), "nothing refused was stored");

    // Right at the limits it is taken; an extension with no phone fails
    // to deliver, and says why.
    let longest = "é".repeat(1600);
    let (status, queued) = send_sms(&s, json!({"sms_to": "1003", "sms_body": longest}));
    assert_eq!(status, 202, "{queued}");
    let failed = wait_status(&s, &queued["id"], "failed");
    assert_eq!(failed["error"], "extension 1003 has no registered phone", "{failed}");
    // The local number pool has no carrier behind it: an outside text fails in words.
    let (_, did) = s.send_json(Method::POST, "/api/did_numbers/", &json!({"phonenumber": DID}));
    let (_, queued) = send_sms(&s, json!({"sms_to": "13055550150", "sms_body": "hi"}));
    assert_eq!(queued["sms_from"], did["phonenumber"]);
    let failed = wait_status(&s, &queued["id"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("cannot send SMS"), "{failed}");

    let anonymous = s.client.post(s.url("/api/sendsms/")).json(&json!({"sms_to": "1003", "sms_body": "hi"}));
    assert_eq!(anonymous.send().unwrap().status().as_u16(), 401);
    let resp = s.client.post(s.url("/api/sms/inbound/")).json(&json!({"to": DID, "from": "13055550150", "body": "x"}));
    assert_eq!(resp.send().unwrap().status().as_u16(), 401, "the webhook needs its secret");
    let garbled = s.client.post(s.url(&format!("/api/sms/inbound/?secret={WEBHOOK_SECRET}"))).body("<xml/>");
    assert_eq!(garbled.send().unwrap().status().as_u16(), 400);
    let stranger = json!({"to": "14155550100", "from": "13055550150", "body": "wrong number"});
    let resp = s.client.post(s.url(&format!("/api/sms/inbound/?secret={WEBHOOK_SECRET}"))).json(&stranger);
    let resp = resp.send().unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.json::<Value>().unwrap()["detail"].as_str().unwrap().contains("14155550100"));
}

/// A phone's MESSAGE written by hand: from 1001, to `to`, with `auth` as
/// its Proxy-Authorization when given.
fn raw_message(sip: &RawSip, n: u32, to: &str, auth: Option<&str>, content_type: &str, text: &str) -> String {
    let local = sip.local();
    let auth = auth.map(|a| format!("Proxy-Authorization: {a}\r\n")).unwrap_or_default();
    format!(
        "MESSAGE sip:{to}@voxide.local SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKraw{n};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:1001@voxide.local>;tag=raw{n}\r\nTo: <sip:{to}@voxide.local>\r\n\
         Call-ID: raw-message-{n}\r\nCSeq: {n} MESSAGE\r\n{auth}Content-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{text}",
        text.len()
    )
}

/// Sends a MESSAGE as 1001 with `password`, answering the switch's
/// challenge as a phone would; the final response.
fn authenticated(
    sip: &mut RawSip,
    n: &mut u32,
    to: &str,
    password: &str,
    ct: &str,
    text: &str,
) -> voxide_testkit::SipReply {
    *n += 1;
    let challenge = sip.request(&raw_message(sip, *n, to, None, ct, text));
    assert_eq!(challenge.status(), 407, "{}", challenge.text);
    let value = challenge.header("Proxy-Authenticate").expect("a digest challenge").to_string();
    let uri = format!("sip:{to}@voxide.local");
    let cnonce = voxide_registrar::digest::generate_cnonce();
    let auth = voxide_registrar::digest::authorization_header(&value, "1001", password, "MESSAGE", &uri, 1, &cnonce)
        .expect("answerable challenge");
    *n += 1;
    sip.request(&raw_message(sip, *n, to, Some(&auth), ct, text))
}

#[test]
fn a_phones_message_is_challenged_checked_and_routed() {
    let stub = Stub::default();
    let s = Server::start(
        BIN,
        &[
            MD5_ONLY,
            ("VOXIDE_SMS_INBOUND_CALLBACK", &format!("{}/hooks/inbound", stub.start())),
            ("VOXIDE_SIP_AUTH_FAILURE_LIMIT", "3"),
        ],
    );
    s.create_extension("1001", "secret-1001");
    s.create_extension("1003", "secret-1003");
    let mut sip = RawSip::udp(s.sip);
    let mut n = 0;

    let cases = [
        ("1003", "text/plain", "anyone there?", 480, "an extension with no phone"),
        ("nobody", "text/plain", "hi", 404, "neither an extension nor a number"),
        ("1003", "text/html", "<b>hi</b>", 415, "not plain text"),
        ("1003", "text/plain", "", 400, "no text"),
        ("+13055550150", "text/plain", "hello outside", 202, "an outside number: stored and forwarded"),
    ];
    for (to, ct, text, want, why) in cases {
        let reply = authenticated(&mut sip, &mut n, to, "secret-1001", ct, text);
        assert_eq!(reply.status(), want, "{why}:\n{}", reply.text);
        if want == 415 {
            assert_eq!(reply.header("Accept"), Some("text/plain"), "{}", reply.text);
        }
    }
    let inbound = stub.wait_for("/hooks/inbound", 1);
    assert_eq!(inbound.len(), 1, "only the accepted text is posted");
    assert_eq!(inbound[0].1, json!({"from": "1001", "to": "13055550150", "text": "hello outside"}));
    let (_, list) = s.get("/api/sms/");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!((list[0]["direction"].as_str(), list[0]["sms_to"].as_str()), (Some("in"), Some("13055550150")));
    // No carrier can take it with the local number pool; the row says so.
    let failed = wait_status(&s, &list[0]["id"], "failed");
    assert!(failed["error"].as_str().is_some_and(|e| !e.is_empty()), "{failed}");

    // Wrong passwords are refused like an INVITE's, then the source is throttled.
    let statuses: Vec<u16> =
        (0..3).map(|_| authenticated(&mut sip, &mut n, "1003", "wrong", "text/plain", "hi").status()).collect();
    assert_eq!(statuses, [407, 407, 407]);
    let throttled = sip.request(&raw_message(&sip, 99, "1003", None, "text/plain", "hi"));
    assert_eq!(throttled.status(), 403, "{}", throttled.text);
}
