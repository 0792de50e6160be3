//! Click-to-call with real phones: the API asks the switch to ring a
//! user's own baresip (extension 1001, answering on its own), and once it
//! answers the switch dials the number (another baresip, or a SIPp callee
//! behind a trunk that echoes the audio it gets) and bridges the two.
//! What each phone hears, the CDR and the live events must say so. An
//! offline device is refused with 400 and nothing is dialled; apps of the
//! open API are let in by their signed hash only.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::audio::{assert_heard, tone};
use voxide_testkit::{Baresip, HookServer, PhoneSpec, Server, Sipp, free_port, hmac_sha256_hex};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// baresip 1.0 answers only MD5 challenges; see `sip.digest_sha256`.
const MD5_ONLY: (&str, &str) = ("VOXIDE_SIP_DIGEST_SHA256", "false");

/// How long the two ends talk once bridged.
const TALK: Duration = Duration::from_secs(3);

const WITHIN: Duration = Duration::from_secs(10);

/// A switch (with `config`, a TOML file's text, when given) whose RTP
/// ports are `rtp_ports`.
fn switch(rtp_ports: &str, config: Option<&str>) -> Server {
    let mut env = vec![MD5_ONLY, ("VOXIDE_MEDIA_RTP_PORTS", rtp_ports)];
    let path = std::env::temp_dir().join(format!("voxide-originate-{}-{rtp_ports}.toml", std::process::id()));
    if let Some(text) = config {
        std::fs::write(&path, text).expect("config");
        env.push(("VOXIDE_CONFIG", path.to_str().expect("utf-8 path")));
    }
    let server = Server::start(BIN, &env);
    let _ = std::fs::remove_file(path);
    server
}

/// Extensions 1001 (the device) and 1002 with baresip phones registered
/// on them, both answering on their own; their microphones are tones of
/// 1000 Hz and 800 Hz.
fn device_and_target(server: &Server) -> (Baresip, Baresip) {
    let (device_mic, target_mic) = (tone(server.dir(), 1000), tone(server.dir(), 800));
    let auto = ";answermode=auto";
    server.two_phones(PhoneSpec::new(&device_mic).extra(auto), PhoneSpec::new(&target_mic).extra(auto))
}

/// The events of call `uuid` as (kind, leg) pairs, in order.
fn call_events(server: &Server, tenant: i64, uuid: &str) -> Vec<(String, String)> {
    let events = server.events_since(tenant, 0);
    let seqs: Vec<u64> = events.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "events come in sequence: {seqs:?}");
    events
        .iter()
        .filter(|e| e["call_uuid"] == uuid)
        .map(|e| {
            let kind = e["kind"].as_str().unwrap_or_default().to_string();
            (kind, e["data"]["leg"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// The CDRs there are (newest first).
fn cdrs(server: &Server) -> Vec<Value> {
    let (status, page) = server.get("/api/cdrs/?ordering=-created_at&limit=100");
    assert_eq!(status, 200, "{page}");
    page["results"].as_array().cloned().unwrap_or_else(|| panic!("not a page of CDRs: {page}"))
}

/// Hex SHA-256 of `text`, as an app computes it (here by coreutils).
fn sha256_hex(text: &str) -> String {
    let mut child =
        Command::new("sha256sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("run sha256sum");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write to sha256sum");
    let out = child.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().expect("a digest").to_string()
}

/// Whether `phone` was ever sent an INVITE (its SIP trace says).
fn was_invited(phone: &Baresip) -> bool {
    phone.log().lines().any(|l| l.starts_with("INVITE sip:"))
}

#[test]
fn click_to_call_rings_the_device_then_bridges_it_to_another_phone_with_audio_both_ways() {
    let server = switch("37000-37199", None);
    let (mut device, mut target) = device_and_target(&server);

    let (status, body) = server.send_json(Method::POST, "/api/calls/", &json!({ "from": "1001", "to": "1002" }));
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "ringing", "{body}");
    let uuid = body["call_uuid"].as_str().expect("call_uuid").to_string();

    device.wait_event("CALL_ESTABLISHED", WITHIN);
    target.wait_event("CALL_ESTABLISHED", WITHIN);
    let (_, calls) = server.get("/api/calls/");
    let live = &calls[0];
    assert_eq!(
        (live["call_uuid"].as_str(), live["status"].as_str(), live["call_direction"].as_str()),
        (Some(uuid.as_str()), Some("answered"), Some("click-to-call")),
        "{calls}"
    );
    let tenant = live["tenant_id"].as_i64().expect("tenant_id");
    std::thread::sleep(TALK);
    device.command("hangup", "");
    device.wait_event("CALL_CLOSED", WITHIN);
    target.wait_event("CALL_CLOSED", WITHIN);
    device.quit();
    target.quit();

    // The device was called by the switch, which showed it whom it will talk to.
    let log = device.log();
    assert!(log.contains("From: \"1002\" <sip:1002@voxide.local>;tag="), "{log}");
    assert!(was_invited(&target) && target.log().contains("From: <sip:1001@voxide.local>;tag="), "{}", target.log());
    assert_heard(&device, "the device", 800.0, 1000.0);
    assert_heard(&target, "the target", 1000.0, 800.0);

    let cdr = server.last_cdr();
    assert_eq!(cdr["call_uuid"], uuid.as_str(), "{cdr}");
    assert_eq!(cdr["call_direction"], "click-to-call", "{cdr}");
    assert_eq!((cdr["call_from"].as_str(), cdr["call_to"].as_str()), (Some("1001"), Some("1002")), "{cdr}");
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");
    assert!(!cdr["answered_at"].is_null(), "{cdr}");
    let billed = cdr["bill_duration"].as_i64().unwrap_or(-1);
    assert!((2..=10).contains(&billed), "bill_duration {billed}: {cdr}");

    let events = call_events(&server, tenant, &uuid);
    let expected = [
        ("call.created", ""),
        ("call.ringing", "caller"),
        ("call.ringing", "callee"),
        ("call.answered", ""),
        ("call.hangup", ""),
    ]
    .map(|(k, l)| (k.to_string(), l.to_string()));
    // The device rang before the target: the target is dialled once the device answers.
    assert_eq!(events, expected, "the call's events in order");
}

#[test]
fn makecall_rings_the_users_first_extension_then_a_sipp_callee_through_the_trunk_that_echoes_its_audio() {
    let trunk_port = free_port();
    let config = format!("[[trunks]]\nname = \"carrier\"\naddress = \"127.0.0.2:{trunk_port}\"\nprefixes = [\"1\"]\n");
    let server = switch("37200-37399", Some(&config));
    // 1002 is not called: 1001, the user's first extension, is the device.
    let (mut device, _) = device_and_target(&server);
    // The carrier answers (PCMU) and sends back every RTP packet it gets.
    let uas = Sipp::scenario("calls/uas_answer.xml", server.sip)
        .set("-i", "127.0.0.2")
        .set("-p", trunk_port.to_string())
        .arg("-rtp_echo")
        .arg("-mp")
        .arg(free_port().to_string())
        .set("-timeout", "40s");
    let carrier = std::thread::spawn(move || uas.run());
    std::thread::sleep(Duration::from_millis(300));

    let (status, body) = server.get("/api/makecall/?number=13055550199&action=bridge");
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["status"].as_str(), body["dial_number"].as_str()), (Some("success"), Some("13055550199")));
    let uuid = body["call_uuid"].as_str().expect("call_uuid").to_string();
    device.wait_event("CALL_ESTABLISHED", WITHIN);
    std::thread::sleep(TALK);
    device.command("hangup", "");
    device.wait_event("CALL_CLOSED", WITHIN);
    device.quit();
    let outcome = carrier.join().expect("sipp thread");
    assert!(outcome.success, "the carrier's side failed: {}\n{}", outcome.errors, server.log());

    // Its own tone came back: out to the carrier and back through the relay.
    assert_heard(&device, "the device", 1000.0, 800.0);
    let cdr = server.last_cdr();
    assert_eq!(cdr["call_uuid"], uuid.as_str(), "{cdr}");
    assert_eq!((cdr["call_from"].as_str(), cdr["call_to"].as_str()), (Some("1001"), Some("13055550199")), "{cdr}");
    assert_eq!(cdr["call_direction"], "click-to-call", "{cdr}");
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");
    assert!(!cdr["answered_at"].is_null(), "{cdr}");
}

#[test]
fn an_offline_device_is_refused_with_400_and_nothing_is_dialled() {
    let server = switch("37400-37599", None);
    server.create_extension("1001", "secret-1001");
    server.create_extension("1002", "secret-1002");
    // 1002 is online; 1001, the device, is not.
    let target = Baresip::start(&format!("<sip:1002@{}>;auth_pass=secret-1002;regint=600", server.sip));
    server.wait_for_binding("1002", &target.log());

    let (status, body) = server.send_json(Method::POST, "/api/calls/", &json!({ "from": "1001", "to": "1002" }));
    assert_eq!((status, body), (400, json!({ "detail": "device offline" })));
    let (status, body) = server.get("/api/makecall/?number=1002&action=bridge");
    assert_eq!(status, 400, "{body}");
    assert_eq!((body["status"].as_str(), body["message"].as_str()), (Some("fail"), Some("device offline")));

    // Bad input names its field; unknown devices and numbers are refused too.
    let (status, body) = server.send_json(Method::POST, "/api/calls/", &json!({ "to": "1002\r\nX: y" }));
    assert_eq!(status, 400, "{body}");
    assert!(body["from"].is_array() && body["to"].is_array(), "{body}");
    let (status, body) = server.send_json(Method::POST, "/api/calls/", &json!({ "from": "1009", "to": "1002" }));
    assert_eq!(status, 400, "{body}");
    assert!(body["from"].is_array(), "{body}");
    let (status, body) = server.get("/api/makecall/");
    assert!(status == 400 && body["number"].is_array(), "{status} {body}");

    std::thread::sleep(Duration::from_millis(500));
    assert!(!was_invited(&target), "the target was dialled:\n{}", target.log());
    assert!(cdrs(&server).is_empty(), "no CDR for a call never placed: {:?}", cdrs(&server));
    assert_eq!(server.get("/api/calls/").1, json!([]));
}

#[test]
fn an_app_places_a_click_to_call_with_its_signed_hash_and_is_refused_without_it() {
    let server = switch("37600-37799", None);
    let (status, app) = server.send_json(Method::POST, "/api/apps/", &json!({ "name": "crm" }));
    assert_eq!(status, 201, "{app}");
    let (app_id, secret) = (app["app_id"].as_str().unwrap(), app["app_secret"].as_str().unwrap());
    let (status, listed) = server.get("/api/apps/");
    assert_eq!(status, 200);
    assert_eq!(listed[0]["app_id"], app_id, "{listed}");
    assert!(listed[0].get("app_secret").is_none(), "the secret is shown once: {listed}");

    let hash = sha256_hex(&format!("{app_id}{secret}"));
    let click = |number: &str, id: &str, hash: &str, body: Value| {
        let resp = server
            .client
            .post(server.url(&format!("/oapi/v1/call/click-to-call/{number}")))
            .header("x-auth-app-id", id)
            .header("x-auth-app-hash", hash)
            .json(&body)
            .send()
            .expect("click-to-call");
        (resp.status().as_u16(), resp.json::<Value>().unwrap_or(Value::Null))
    };
    let wrong = sha256_hex(&format!("{app_id}not-the-secret"));
    assert_eq!(click("1002", app_id, &wrong, json!({})).0, 401);
    assert_eq!(click("1002", "no-such-app", &hash, json!({})).0, 401);
    let bare = server.client.post(server.url("/oapi/v1/call/click-to-call/1002")).send().unwrap();
    assert_eq!(bare.status().as_u16(), 401);

    let (mut device, mut target) = device_and_target(&server);
    let wrong_password = json!({ "sipUser": "1001", "sipPassword": "guess" });
    assert_eq!(click("1002", app_id, &hash, wrong_password).0, 401);
    let (status, body) = click("1002", app_id, &hash.to_uppercase(), json!({ "sipUser": "1001" }));
    assert_eq!((status, body["status"].as_str()), (200, Some("success")), "{body}");
    let uuid = body["call_uuid"].as_str().expect("call_uuid").to_string();
    device.wait_event("CALL_ESTABLISHED", WITHIN);
    target.wait_event("CALL_ESTABLISHED", WITHIN);
    std::thread::sleep(Duration::from_secs(1));
    target.command("hangup", "");
    device.wait_event("CALL_CLOSED", WITHIN);
    device.quit();
    target.quit();
    let cdr = server.last_cdr();
    assert_eq!(cdr["call_uuid"], uuid.as_str(), "{cdr}");
    assert_eq!((cdr["call_from"].as_str(), cdr["call_to"].as_str()), (Some("1001"), Some("1002")), "{cdr}");
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");

    // The device unregistered as it quit: now it is offline. With no
    // sipUser, the app owner's first extension (1001) is the device.
    let deadline = std::time::Instant::now() + WITHIN;
    while server.get("/api/registrations/").1.as_array().is_some_and(|b| !b.is_empty()) {
        assert!(std::time::Instant::now() < deadline, "the phones never unregistered");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, body) = click("1002", app_id, &hash, json!({}));
    assert_eq!((status, body["message"].as_str()), (400, Some("device offline")), "{body}");
    assert_eq!(cdrs(&server).len(), 1, "the refused attempts left no CDR");
}

#[test]
fn a_status_callback_gets_the_calls_events_in_order_and_signed() {
    const SECRET: &str = "callback-secret";
    let hooks = HookServer::start();
    let server = Server::start(
        BIN,
        &[MD5_ONLY, ("VOXIDE_MEDIA_RTP_PORTS", "37800-37999"), ("VOXIDE_EVENTS_CALLBACK_SECRET", SECRET)],
    );
    let (mut device, mut target) = device_and_target(&server);
    let (status, body) = server.send_json(
        Method::POST,
        "/api/calls/",
        &json!({ "from": "1001", "to": "1002", "status_callback": "ftp://nowhere" }),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body["status_callback"].is_array(), "{body}");
    let url = hooks.url("/call-status");
    let (status, body) =
        server.send_json(Method::POST, "/api/calls/", &json!({ "from": "1001", "to": "1002", "status_callback": url }));
    assert_eq!(status, 201, "{body}");
    let uuid = body["call_uuid"].as_str().expect("call_uuid").to_string();
    device.wait_event("CALL_ESTABLISHED", WITHIN);
    target.wait_event("CALL_ESTABLISHED", WITHIN);
    std::thread::sleep(Duration::from_millis(500));
    device.command("hangup", "");
    target.wait_event("CALL_CLOSED", WITHIN);
    device.quit();
    target.quit();

    let got = hooks.wait_for(5, WITHIN);
    let kinds: Vec<String> = got.iter().map(|h| h.json()["kind"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(kinds, ["call.created", "call.ringing", "call.ringing", "call.answered", "call.hangup"], "{got:?}");
    for hook in &got {
        assert_eq!(hook.path, "/call-status");
        assert_eq!(hook.json()["call_uuid"], uuid.as_str());
        let expected = format!("sha256={}", hmac_sha256_hex(SECRET.as_bytes(), &hook.body));
        assert_eq!(hook.header("X-Voxide-Signature"), Some(expected.as_str()), "signed with the configured secret");
    }
    let seqs: Vec<u64> = got.iter().filter_map(|h| h.json()["seq"].as_u64()).collect();
    assert!(seqs.windows(2).all(|w| w[1] > w[0]), "the event stream's own sequence numbers: {seqs:?}");
    assert_eq!(got[4].json()["data"]["cause"], "NORMAL_CLEARING");
}

#[test]
fn an_app_gets_a_short_lived_token_good_for_its_tenants_events_only() {
    let server = switch("38000-38199", None);
    let (_, app) = server.send_json(Method::POST, "/api/apps/", &json!({ "name": "wallboard" }));
    let (app_id, secret) = (app["app_id"].as_str().unwrap(), app["app_secret"].as_str().unwrap());
    let ask = |hash: &str| {
        let resp = server
            .client
            .post(server.url("/oapi/v1/voice/auth_token"))
            .header("x-auth-app-id", app_id)
            .header("x-auth-app-hash", hash)
            .send()
            .expect("auth_token");
        (resp.status().as_u16(), resp.json::<Value>().unwrap_or(Value::Null))
    };
    assert_eq!(ask(&sha256_hex(&format!("{app_id}wrong"))).0, 401);
    let (status, body) = ask(&sha256_hex(&format!("{app_id}{secret}")));
    assert_eq!(status, 200, "{body}");
    let token = body["value"].as_str().expect("value").to_string();
    let expire = body["expire"].as_u64().expect("expire");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!((now + 3500..=now + 3700).contains(&expire), "an hour: {expire} vs {now}");

    // Something happens in the tenant; the token replays it over the websocket.
    let (mut device, _target) = device_and_target(&server);
    let (status, _) = server.send_json(Method::POST, "/api/calls/", &json!({ "from": "1001", "to": "1002" }));
    assert_eq!(status, 201);
    device.wait_event("CALL_ESTABLISHED", WITHIN);
    let events = server.events(&format!("token={token}&since=0"), None).expect("the token opens the events");
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"registration.up") && kinds.contains(&"call.answered"), "{kinds:?}");

    // It opens nothing else, and a forged one opens nothing.
    let other = server.client.get(server.url(&format!("/api/extensions/?token={token}"))).send().unwrap();
    assert_eq!(other.status().as_u16(), 401);
    let last = token.chars().last().unwrap();
    let forged = format!("{}{}", &token[..token.len() - 1], if last == '0' { '1' } else { '0' });
    assert_eq!(server.events(&format!("token={forged}"), None).err(), Some(401));
    device.quit();
}
