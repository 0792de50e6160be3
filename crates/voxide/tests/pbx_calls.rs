//! PBX features with real phones: voicemail (a call nobody answers leaves a
//! message, the phone's lamp lights, the owner hears it with the PIN),
//! hunt groups ringing baresip phones, follow-me reaching a "cell phone"
//! behind a trunk, and a time condition routing a DID by the clock.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::audio::{Spectrum, samples, tone};
use voxide_testkit::{Baresip, Server, free_port, testdata, wait_udp_bound};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");
const WITHIN: Duration = Duration::from_secs(15);

fn switch(ports: &str, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![("VOXIDE_SIP_DIGEST_SHA256", "false"), ("VOXIDE_MEDIA_RTP_PORTS", ports)];
    env.extend_from_slice(extra);
    Server::start(BIN, &env)
}

/// A baresip phone registered as `user` (created with password `secret-<user>`).
fn phone(server: &Server, user: &str, mic: &Path, extra: &str) -> Baresip {
    server.create_extension(user, &format!("secret-{user}"));
    let account = format!("<sip:{user}@{}>;auth_pass=secret-{user};regint=600{extra}", server.sip);
    let p = Baresip::phone_with(&account, mic, &[]);
    server.wait_for_binding(user, &p.log());
    p
}

fn extension_id(server: &Server, user: &str) -> i64 {
    let (status, list) = server.get("/api/extensions/");
    assert_eq!(status, 200, "{list}");
    let rows = list.as_array().cloned().or_else(|| list["results"].as_array().cloned()).expect("extension list");
    rows.iter().find(|e| e["sip_username"] == user).and_then(|e| e["id"].as_i64()).expect("extension id")
}

fn features(server: &Server, id: i64, body: Value) {
    let (status, got) = server.send_json(Method::PATCH, &format!("/api/extensions/{id}/features/"), &body);
    assert_eq!(status, 200, "{body} → {got}");
}

/// A SIPp phone registered as `user` on its own port, then running
/// `scenario` in the background on that port.
struct SippPhone {
    child: Child,
    dir: PathBuf,
}

impl SippPhone {
    fn start(server: &Server, user: &str, scenario: &str) -> SippPhone {
        SippPhone::start_with(server, user, scenario, &[])
    }

    /// `start` with more SIPp arguments for the scenario run.
    fn start_with(server: &Server, user: &str, scenario: &str, extra: &[&str]) -> SippPhone {
        let dir = server.dir().join(format!("sipp-{user}"));
        std::fs::create_dir_all(&dir).expect("sipp dir");
        let port = free_port().to_string();
        let inf = dir.join("user.csv");
        std::fs::write(&inf, format!("SEQUENTIAL\n{user};secret-{user}\n")).expect("inf");
        let target = server.sip.to_string();
        let common = ["-i", "127.0.0.1", "-p", &port, "-m", "1", "-nostdin", "-trace_err"];
        let reg = Command::new("sipp")
            .arg("-sf")
            .arg(testdata().join("sipp/register_auth.xml"))
            .arg(&target)
            .args(common)
            .arg("-inf")
            .arg(&inf)
            .args(["-timeout", "10s", "-timeout_error"])
            .current_dir(&dir)
            .output()
            .expect("run sipp");
        assert!(reg.status.success(), "{user} did not register: {}", String::from_utf8_lossy(&reg.stdout));
        let child = Command::new("sipp")
            .arg("-sf")
            .arg(testdata().join("sipp/calls").join(scenario))
            .arg(&target)
            .args(common)
            .args(["-timeout", "120s", "-timeout_error", "-error_file"])
            .arg(dir.join("errors.log"))
            .args(extra)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run sipp");
        wait_udp_bound(Ipv4Addr::LOCALHOST, port.parse().expect("port"));
        SippPhone { child, dir }
    }

    /// The first request `method` the phone received (`-trace_msg`), as text.
    fn received(&self, method: &str) -> String {
        let log = std::fs::read_dir(&self.dir)
            .expect("sipp dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().ends_with("_messages.log"))
            .expect("SIPp's message log (-trace_msg)");
        let text = std::fs::read_to_string(log).expect("message log");
        let start = text.find(&format!("\n{method} sip:")).unwrap_or_else(|| panic!("no {method} in:\n{text}"));
        text[start + 1..].split("\n\n").next().unwrap_or_default().to_string()
    }

    /// Waits for the scenario to end; panics with its errors (and the
    /// switch's log) if it failed.
    fn finish(mut self, within: Duration, server: &Server) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("sipp status") {
                let errors = std::fs::read_to_string(self.dir.join("errors.log")).unwrap_or_default();
                assert!(status.success(), "the SIPp phone's scenario failed:\n{errors}\n{}", server.log());
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let errors = std::fs::read_to_string(self.dir.join("errors.log")).unwrap_or_default();
                panic!("the SIPp phone's scenario did not end:\n{errors}\n{}", server.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn voicemails(server: &Server, ext: i64) -> Vec<Value> {
    let (status, list) = server.get(&format!("/api/voicemail/?extension={ext}"));
    assert_eq!(status, 200, "{list}");
    list.as_array().cloned().expect("a list of messages")
}

/// The messages once `n` are there (the message is kept after the caller hangs up).
fn wait_for_voicemails(server: &Server, ext: i64, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + WITHIN;
    loop {
        let list = voicemails(server, ext);
        if list.len() >= n || Instant::now() > deadline {
            return list;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_unanswered_call_leaves_a_message_the_lamp_lights_and_the_owner_hears_it_with_the_pin() {
    let server = switch("41000-41199", &[]);
    let dir = server.dir().to_path_buf();
    let mut caller = phone(&server, "1001", &tone(&dir, 1000), "");
    let mut desk = phone(&server, "1002", &tone(&dir, 600), "");
    let owner = extension_id(&server, "1002");
    features(&server, owner, json!({ "voicemail_enabled": true, "voicemail_pin": "2468", "ring_secs": 5 }));

    // 1002's desk phone rings for 5 s and is given up on; voicemail answers.
    caller.command("dial", &format!("sip:1002@{}", server.sip));
    desk.wait_event("CALL_INCOMING", WITHIN);
    desk.wait_event("CALL_CLOSED", WITHIN);
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    // The greeting (about 4 s), the tone, then about 5 s of the caller's 1 kHz tone.
    std::thread::sleep(Duration::from_secs(10));
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);
    let messages = wait_for_voicemails(&server, owner, 1);
    assert_eq!(messages.len(), 1, "{messages:?}\n{}", server.log());
    let m = &messages[0];
    assert_eq!((m["caller"].as_str(), m["heard"].as_bool()), (Some("1001"), Some(false)), "{m}");
    let ms = m["duration_ms"].as_i64().unwrap_or(0);
    assert!((2500..=9000).contains(&ms), "about 5 s of message: {m}");

    // The message is the caller's tone.
    let audio = server.request(Method::GET, m["audio"].as_str().expect("audio link")).send().expect("download");
    assert_eq!(audio.status().as_u16(), 200);
    let wav = dir.join("message.wav");
    std::fs::write(&wav, audio.bytes().expect("wav bytes")).expect("write wav");
    let hz = Spectrum::new(&samples(&wav)).dominant_hz();
    assert!((hz - 1000.0).abs() <= 10.0, "the message is the caller's 1 kHz tone, not {hz} Hz");

    // Another phone of 1002 that registers now has its lamp lit at once.
    SippPhone::start(&server, "1002", "uas_mwi.xml").finish(WITHIN, &server);

    // The owner dials *97, gives the PIN and hears the message.
    desk.command("dial", &format!("sip:*97@{}", server.sip));
    desk.wait_event("CALL_ESTABLISHED", WITHIN);
    // The media path settles before the keys go out (keys pressed during
    // the prompt are taken: they start the PIN); keys are a person's pace apart.
    std::thread::sleep(Duration::from_secs(1));
    for key in ['2', '4', '6', '8', '#'] {
        desk.command("sndcode", &key.to_string());
        std::thread::sleep(Duration::from_millis(300));
    }
    desk.wait_nth_event("CALL_CLOSED", 2, Duration::from_secs(60));
    let m = &voicemails(&server, owner)[0];
    assert_eq!(m["heard"], true, "{m}\n{}", server.log());
    let spectrum = Spectrum::new(&samples(&desk.heard()));
    assert!(spectrum.power(1000.0) > 100.0 * spectrum.power(600.0), "the owner heard the message's tone");
}

fn hunt_group(server: &Server, body: Value) -> i64 {
    let (status, group) = server.send_json(Method::POST, "/api/hunt_groups/", &body);
    assert_eq!(status, 201, "{body} → {group}");
    group["id"].as_i64().expect("hunt group id")
}

#[test]
fn a_hunt_group_rings_its_phones_all_at_once_or_one_after_the_other() {
    let server = switch("41200-41399", &[]);
    let dir = server.dir().to_path_buf();
    let mut caller = phone(&server, "1001", &tone(&dir, 1000), "");
    let mut first = phone(&server, "1002", &tone(&dir, 600), "");
    let mut second = phone(&server, "1003", &tone(&dir, 800), ";answermode=auto");
    let members = [extension_id(&server, "1002"), extension_id(&server, "1003")];
    let group = hunt_group(
        &server,
        json!({ "name": "Sales", "number": "600", "strategy": "ring_all", "ring_secs": 20, "members": members }),
    );

    // Ring-all: both phones ring; 1003 answers, 1002 stops ringing.
    caller.command("dial", &format!("sip:600@{}", server.sip));
    first.wait_event("CALL_INCOMING", WITHIN);
    second.wait_event("CALL_ESTABLISHED", WITHIN);
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    first.wait_event("CALL_CLOSED", WITHIN);
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);
    second.wait_event("CALL_CLOSED", WITHIN);

    // Sequential, 5 s each: 1002 rings alone and is given up on, then 1003 answers.
    let (status, body) = server.send_json(
        Method::PATCH,
        &format!("/api/hunt_groups/{group}/"),
        &json!({ "strategy": "sequential", "ring_secs": 5 }),
    );
    assert_eq!(status, 200, "{body}");
    let dialled = Instant::now();
    caller.command("dial", &format!("sip:600@{}", server.sip));
    first.wait_nth_event("CALL_INCOMING", 2, WITHIN);
    first.wait_nth_event("CALL_CLOSED", 2, WITHIN);
    second.wait_nth_event("CALL_ESTABLISHED", 2, WITHIN);
    let waited = dialled.elapsed();
    assert!(waited >= Duration::from_millis(4800), "1003 rang only after 1002's 5 s: {waited:?}");
    caller.wait_nth_event("CALL_ESTABLISHED", 2, WITHIN);
    caller.command("hangup", "");
    caller.wait_nth_event("CALL_CLOSED", 2, WITHIN);
    let cdr = server.last_cdr();
    assert_eq!(cdr["call_to"], "600", "{cdr}");
    assert!(cdr["answered_at"].is_string(), "{cdr}");
}

/// A switch whose trunk "carrier" leads to 127.0.0.2:`port`, for numbers starting with 1.
fn switch_with_carrier(ports: &str, port: u16) -> Server {
    let dir = std::env::temp_dir().join(format!("voxide-pbx-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).expect("config dir");
    let config = dir.join("voxide.toml");
    let text = format!("[[trunks]]\nname = \"carrier\"\naddress = \"127.0.0.2:{port}\"\nprefixes = [\"1\"]\n");
    std::fs::write(&config, text).expect("config");
    switch(ports, &[("VOXIDE_CONFIG", config.to_str().expect("utf-8 path"))])
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos()
}

#[test]
fn follow_me_reaches_the_cell_phone_behind_the_trunk_with_its_own_caller_id() {
    let carrier_port = free_port();
    let server = switch_with_carrier("41400-41599", carrier_port);
    let dir = server.dir().to_path_buf();
    let mut caller = phone(&server, "1001", &tone(&dir, 1000), "");
    server.create_extension("1002", "secret-1002");
    let owner = extension_id(&server, "1002");
    features(
        &server,
        owner,
        json!({
            "followme_enabled": true,
            "followme_cid_number": "5550100",
            "followme_cid_name": "Office",
            "followme": [{ "number": "15551230001", "ring_secs": 20 }],
        }),
    );
    let cell_dir = dir.join("cell");
    std::fs::create_dir_all(&cell_dir).expect("cell dir");
    let cell = Command::new("sipp")
        .arg("-sf")
        .arg(testdata().join("sipp/calls/uas_followme.xml"))
        .args(["-i", "127.0.0.2", "-p", &carrier_port.to_string(), "-m", "1", "-nostdin", "-timeout", "60s"])
        .args(["-timeout_error", "-trace_err", "-error_file"])
        .arg(cell_dir.join("errors.log"))
        .current_dir(&cell_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run sipp");
    let cell = SippPhone { child: cell, dir: cell_dir };
    wait_udp_bound(Ipv4Addr::new(127, 0, 0, 2), carrier_port);
    // 1002 has no phone registered: the call goes straight down the follow-me list.
    caller.command("dial", &format!("sip:1002@{}", server.sip));
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    std::thread::sleep(Duration::from_secs(1));
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);
    cell.finish(WITHIN, &server);
    let cdr = server.last_cdr();
    assert_eq!(cdr["call_to"], "1002", "{cdr}");
    assert!(cdr["answered_at"].is_string(), "{cdr}");
}

fn office_hours(server: &Server, inside: &str, outside: &str) -> i64 {
    let body = json!({
        "name": "Office hours",
        "kind": "time",
        "time_zone": "America/New_York",
        "weekdays": "mon,tue,wed,thu,fri",
        "start_time": "09:00",
        "end_time": "17:00",
        "match_destination": inside,
        "nomatch_destination": outside,
    });
    let (status, cond) = server.send_json(Method::POST, "/api/conditions/", &body);
    assert_eq!(status, 201, "{cond}");
    cond["id"].as_i64().expect("condition id")
}

/// A switch whose time conditions see `clock`; a call from 1001 to a DID
/// routed to office hours; which of 1002 (inside) and 1003 (outside) answered.
fn who_answers_at(clock: &str, ports: &str) -> &'static str {
    let server = switch(ports, &[("VOXIDE_CALLS_CONDITION_CLOCK", clock)]);
    let dir = server.dir().to_path_buf();
    let mut caller = phone(&server, "1001", &tone(&dir, 1000), "");
    let mut inside = phone(&server, "1002", &tone(&dir, 600), ";answermode=auto");
    let mut outside = phone(&server, "1003", &tone(&dir, 800), ";answermode=auto");
    let cond = office_hours(
        &server,
        &format!("extension:{}", extension_id(&server, "1002")),
        &format!("extension:{}", extension_id(&server, "1003")),
    );
    let (status, did) = server.send_json(Method::POST, "/api/did_numbers/", &json!({ "phonenumber": "17865550100" }));
    assert_eq!(status, 201, "{did}");
    let path = format!("/api/did_numbers/{}/", did["id"]);
    let (status, did) = server.send_json(Method::PATCH, &path, &json!({ "destination": format!("condition:{cond}") }));
    assert_eq!(status, 200, "{did}");
    caller.command("dial", &format!("sip:17865550100@{}", server.sip));
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    let established = |p: &mut Baresip| {
        let events = p.events_until("CALL_ESTABLISHED", Instant::now() + Duration::from_millis(200));
        events.iter().any(|e| e["type"] == "CALL_ESTABLISHED")
    };
    let deadline = Instant::now() + WITHIN;
    let answered = loop {
        if established(&mut inside) {
            break "inside";
        }
        if established(&mut outside) {
            break "outside";
        }
        assert!(Instant::now() < deadline, "nobody answered:\n{}", server.log());
    };
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);
    answered
}

#[test]
fn a_time_condition_routes_a_did_by_the_clock_in_its_time_zone() {
    // Monday 23 November 2026: 15:00 UTC is 10:00 in New York, inside;
    // 23:00 UTC is 18:00 there, outside.
    assert_eq!(who_answers_at("2026-11-23T15:00:00Z", "41600-41799"), "inside");
    assert_eq!(who_answers_at("2026-11-23T23:00:00Z", "41800-41999"), "outside");
}

fn from_header(message: &str) -> &str {
    message.lines().find(|l| l.to_ascii_lowercase().starts_with("from:")).unwrap_or_default()
}

#[test]
fn calls_out_show_the_extensions_caller_id_and_calls_in_show_the_dids_prefix() {
    let carrier_port = free_port();
    let server = switch_with_carrier("42000-42199", carrier_port);
    let dir = server.dir().to_path_buf();
    let mut caller = phone(&server, "1001", &tone(&dir, 1000), "");
    let id = extension_id(&server, "1001");
    features(&server, id, json!({ "cid_number": "3055550100", "cid_name": "Acme Sales" }));

    // A call out through the carrier shows 1001's own caller id.
    let carrier_dir = dir.join("carrier");
    std::fs::create_dir_all(&carrier_dir).expect("carrier dir");
    let carrier = Command::new("sipp")
        .arg("-sf")
        .arg(testdata().join("sipp/calls/uas_answer.xml"))
        .args(["-i", "127.0.0.2", "-p", &carrier_port.to_string(), "-m", "1", "-nostdin", "-timeout", "60s"])
        .args(["-timeout_error", "-trace_err", "-trace_msg", "-error_file"])
        .arg(carrier_dir.join("errors.log"))
        .current_dir(&carrier_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run sipp");
    let carrier = SippPhone { child: carrier, dir: carrier_dir };
    wait_udp_bound(Ipv4Addr::new(127, 0, 0, 2), carrier_port);
    caller.command("dial", &format!("sip:15551230002@{}", server.sip));
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);
    let invite = carrier.received("INVITE");
    carrier.finish(WITHIN, &server);
    let from = from_header(&invite);
    assert!(from.contains("\"Acme Sales\" <sip:3055550100@"), "{from}");
    let cdr = server.last_cdr();
    assert_eq!(cdr["call_direction"], "outbound", "{cdr}");

    // A call in on a DID with a name prefix shows it before the caller's name.
    server.create_extension("1002", "secret-1002");
    let desk = SippPhone::start_with(&server, "1002", "uas_answer.xml", &["-trace_msg"]);
    let ext = extension_id(&server, "1002");
    let (status, did) =
        server.send_json(Method::POST, "/api/did_numbers/", &json!({ "phonenumber": "17865550100", "extension": ext }));
    assert_eq!(status, 201, "{did}");
    let path = format!("/api/did_numbers/{}/", did["id"]);
    let (status, did) = server.send_json(Method::PATCH, &path, &json!({ "cid_name_prefix": "Sales: " }));
    assert_eq!(status, 200, "{did}");
    caller.command("dial", &format!("sip:17865550100@{}", server.sip));
    caller.wait_nth_event("CALL_ESTABLISHED", 2, WITHIN);
    caller.command("hangup", "");
    caller.wait_nth_event("CALL_CLOSED", 2, WITHIN);
    let invite = desk.received("INVITE");
    desk.finish(WITHIN, &server);
    let from = from_header(&invite);
    assert!(from.contains("\"Sales: 1001\" <sip:1001@"), "{from}");
}

#[test]
fn a_destination_nobody_takes_goes_on_down_its_chain() {
    let server = switch("42200-42399", &[]);
    let dir = server.dir().to_path_buf();
    let mut caller = phone(&server, "1001", &tone(&dir, 1000), "");
    let mut first = phone(&server, "1002", &tone(&dir, 600), "");
    let mut next = phone(&server, "1003", &tone(&dir, 800), ";answermode=auto");
    let (a, b) = (extension_id(&server, "1002"), extension_id(&server, "1003"));
    features(&server, a, json!({ "ring_secs": 5 }));
    let link = json!({ "src_type": "extension", "src_id": a, "dst_type": "extension", "dst_id": b, "ord": 1 });
    let (status, body) = server.send_json(Method::POST, "/api/destinations/", &link);
    assert_eq!(status, 201, "{body}");
    let (status, did) = server.send_json(Method::POST, "/api/did_numbers/", &json!({ "phonenumber": "17865550101" }));
    assert_eq!(status, 201, "{did}");
    let path = format!("/api/did_numbers/{}/", did["id"]);
    let (status, did) = server.send_json(Method::PATCH, &path, &json!({ "destination": format!("extension:{a}") }));
    assert_eq!(status, 200, "{did}");

    caller.command("dial", &format!("sip:17865550101@{}", server.sip));
    first.wait_event("CALL_INCOMING", WITHIN);
    first.wait_event("CALL_CLOSED", WITHIN);
    next.wait_event("CALL_ESTABLISHED", WITHIN);
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);
}
