//! Blind transfer with real phones: baresip on 1001 calls 1002; the API
//! moves the caller to 1003 (1002 is hung up), then 1003 sends a REFER
//! (RFC 3515) moving the caller back to 1002. The caller's call never drops.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::audio::tone;
use voxide_testkit::{Baresip, PhoneSpec, Server};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");
const WITHIN: Duration = Duration::from_secs(10);

/// The one call in progress.
fn the_call(server: &Server) -> Value {
    let (status, calls) = server.get("/api/calls/");
    assert_eq!(status, 200, "{calls}");
    let list = calls.as_array().expect("a list of calls");
    assert_eq!(list.len(), 1, "{calls}");
    list[0].clone()
}

fn no_event(phone: &mut Baresip, kind: &str, wait: Duration) {
    let events = phone.events_until(kind, std::time::Instant::now() + wait);
    assert!(events.iter().all(|e| e["type"] != kind), "{kind} came: {events:?}");
}

#[test]
fn the_caller_is_moved_by_the_api_and_by_a_refer_without_dropping() {
    let server =
        Server::start(BIN, &[("VOXIDE_SIP_DIGEST_SHA256", "false"), ("VOXIDE_MEDIA_RTP_PORTS", "40400-40599")]);
    let auto = ";answermode=auto";
    let mics: Vec<_> = [1000, 800, 600].iter().map(|hz| tone(server.dir(), *hz)).collect();
    let (mut caller, mut first) = server.two_phones(PhoneSpec::new(&mics[0]), PhoneSpec::new(&mics[1]).extra(auto));
    server.create_extension("1003", "secret-1003");
    let account = format!("<sip:1003@{}>;auth_pass=secret-1003;regint=600{auto}", server.sip);
    let mut third = Baresip::phone_with(&account, &mics[2], &[]);
    server.wait_for_binding("1003", &third.log());

    caller.command("dial", &format!("sip:1002@{}", server.sip));
    caller.wait_event("CALL_ESTABLISHED", WITHIN);
    first.wait_event("CALL_ESTABLISHED", WITHIN);
    let uuid = the_call(&server)["call_uuid"].as_str().unwrap().to_string();
    let path = format!("/api/calls/{uuid}/transfer/");

    // Bad requests change nothing.
    for (body, field) in [(json!({}), "to"), (json!({"to": "a b"}), "to"), (json!({"to": "4444"}), "to")] {
        let (status, err) = server.send_json(Method::POST, &path, &body);
        assert_eq!(status, 400, "{body}: {err}");
        assert!(err.to_string().contains(field), "{err}");
    }
    let (status, _) = server.send_json(Method::POST, "/api/calls/no-such-call/transfer/", &json!({"to": "1003"}));
    assert_eq!(status, 404);

    // The API moves the caller to 1003; 1002 is hung up.
    let (status, moved) = server.send_json(Method::POST, &path, &json!({"to": "1003"}));
    assert_eq!(status, 202, "{moved}");
    third.wait_event("CALL_ESTABLISHED", WITHIN);
    first.wait_event("CALL_CLOSED", WITHIN);
    no_event(&mut caller, "CALL_CLOSED", Duration::from_secs(2));
    let call = the_call(&server);
    assert_eq!(call["call_uuid"], uuid.as_str(), "the same call goes on");
    assert_eq!(call["status"], "answered");

    // 1003 sends a REFER: the caller goes back to 1002, 1003 is hung up.
    third.command("transfer", &format!("sip:1002@{}", server.sip));
    first.wait_event("CALL_ESTABLISHED", WITHIN);
    third.wait_event("CALL_CLOSED", WITHIN);
    no_event(&mut caller, "CALL_CLOSED", Duration::from_secs(2));
    assert_eq!(the_call(&server)["call_uuid"], uuid.as_str());

    caller.command("hangup", "");
    caller.wait_event("CALL_CLOSED", WITHIN);
    first.wait_event("CALL_CLOSED", WITHIN);
    let cdr = server.last_cdr();
    assert_eq!(cdr["call_uuid"], uuid.as_str());
    assert!(cdr["answered_at"].is_string(), "{cdr}");
}
