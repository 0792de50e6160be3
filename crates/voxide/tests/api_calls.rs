//! Call control over the API on a real call between two baresip phones:
//! the call is listed, the callee is sent digits (it reports each one) and
//! played a prompt (it hears it instead of the caller for the prompt's
//! length), recording starts on request, and DELETE hangs up both phones
//! with a MANAGER_REQUEST CDR. Bad input is refused naming the field.

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::audio::{Spectrum, samples, tone};
use voxide_testkit::{Baresip, PhoneSpec, Server};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// Blocks of what `phone` heard in which `hz` is stronger than `other`.
fn blocks_where(phone: &Baresip, hz: f64, other: f64) -> usize {
    samples(&phone.heard())
        .chunks_exact(Spectrum::N)
        .filter(|b| {
            let s = Spectrum::new(b);
            s.power(hz) > 10.0 * s.power(other)
        })
        .count()
}

/// A switch (RTP ports `rtp_ports`) whose prompts directory holds `name`:
/// `secs` of a 600 Hz sine at `rate`. Returns it and the directory.
fn switch_with_prompt(rtp_ports: &str, name: &str, secs: &str, rate: &str) -> (Server, std::path::PathBuf) {
    let prompts = std::env::temp_dir().join(format!("voxide-prompts-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&prompts).unwrap();
    let sox = Command::new("sox")
        .args(["-n", "-r", rate, "-c", "1", "-b", "16"])
        .arg(prompts.join(name))
        .args(["synth", secs, "sine", "600", "vol", "0.5"])
        .output()
        .expect("run sox");
    assert!(sox.status.success());
    let prompts_dir = prompts.display().to_string();
    let server = Server::start(
        BIN,
        &[
            ("VOXIDE_SIP_DIGEST_SHA256", "false"),
            ("VOXIDE_MEDIA_RTP_PORTS", rtp_ports),
            ("VOXIDE_MEDIA_PROMPTS_DIR", &prompts_dir),
        ],
    );
    (server, prompts)
}

#[test]
fn a_live_call_is_listed_sent_digits_played_a_prompt_recorded_and_hung_up() {
    let (server, prompts) = switch_with_prompt("36000-36199", "beep.wav", "1", "16000");
    let (caller_mic, callee_mic) = (tone(server.dir(), 1000), tone(server.dir(), 800));
    let (mut caller, mut callee) =
        server.two_phones(PhoneSpec::new(&caller_mic), PhoneSpec::new(&callee_mic).extra(";answermode=auto"));
    let within = Duration::from_secs(10);
    caller.command("dial", &format!("sip:1002@{}", server.sip));
    caller.wait_event("CALL_ESTABLISHED", within);
    callee.wait_event("CALL_ESTABLISHED", within);

    let (status, calls) = server.get("/api/calls/");
    assert_eq!(status, 200, "{calls}");
    let calls = calls.as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(
        (call["call_from"].as_str(), call["call_to"].as_str(), call["status"].as_str()),
        (Some("1001"), Some("1002"), Some("answered"))
    );
    let uuid = call["call_uuid"].as_str().unwrap().to_string();
    let (status, one) = server.get(&format!("/api/calls/{uuid}/"));
    assert_eq!((status, one["call_uuid"].as_str()), (200, Some(uuid.as_str())));

    // Bad input: each refusal names its field; unknown calls are 404.
    let path = |action: &str| format!("/api/calls/{uuid}/{action}/");
    let (status, body) = server.send_json(Method::POST, &path("dtmf"), &json!({ "digits": "12x", "side": "left" }));
    assert_eq!(status, 400, "{body}");
    assert!(body["digits"].is_array() && body["side"].is_array(), "{body}");
    let (status, body) = server.send_json(Method::POST, &path("play"), &json!({ "prompt": "../../etc/passwd" }));
    assert_eq!(status, 400, "{body}");
    assert!(body["prompt"].is_array(), "{body}");
    let (status, _) = server.send_json(Method::POST, "/api/calls/no-such-call/dtmf/", &json!({ "digits": "1" }));
    assert_eq!(status, 404);

    // Digits to the callee, as RFC 4733 events.
    let (status, body) =
        server.send_json(Method::POST, &path("dtmf"), &json!({ "digits": "159#", "duration_ms": 120 }));
    assert_eq!(status, 202, "{body}");
    let digits: String = callee
        .events_until("CALL_DTMF_START", Instant::now() + Duration::from_secs(2))
        .iter()
        .map(|e: &Value| e["param"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(digits, "159#", "{}", callee.log());

    // A one-second prompt to the callee, then the caller again.
    let (status, body) =
        server.send_json(Method::POST, &path("play"), &json!({ "prompt": "beep.wav", "side": "callee" }));
    assert_eq!((status, body["duration_ms"].as_u64()), (202, Some(1000)), "{body}");
    std::thread::sleep(Duration::from_millis(1500));

    let (status, body) = server.send_json(Method::POST, &path("record"), &json!({}));
    assert_eq!(status, 200, "{body}");
    let recording = body["recording"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(1000));
    let stopped = server.request(Method::DELETE, &format!("/api/calls/{uuid}/record/")).send().unwrap();
    assert_eq!(stopped.status().as_u16(), 200);
    let stopped: Value = stopped.json().unwrap();
    assert_eq!(stopped["recording"].as_str(), Some(recording.as_str()), "{stopped}");
    let file = server.dir().join("data/recordings").join(recording.trim_start_matches("/api/media/"));
    let stopped_len = std::fs::metadata(&file).unwrap().len();
    // The file is complete (a valid WAV of about a second) and grows no more.
    let secs = (stopped_len as f64 - 44.0) / 16000.0;
    assert!((0.6..1.6).contains(&secs), "{secs} s recorded");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), stopped_len, "not recording any more");
    let again = server.request(Method::DELETE, &format!("/api/calls/{uuid}/record/")).send().unwrap();
    assert_eq!(again.status().as_u16(), 404, "nothing is being recorded");

    let response = server.request(Method::DELETE, &format!("/api/calls/{uuid}/")).send().unwrap();
    assert_eq!(response.status().as_u16(), 204);
    caller.wait_event("CALL_CLOSED", within);
    callee.wait_event("CALL_CLOSED", within);
    caller.quit();
    callee.quit();

    // 1 s of prompt is 7 to 8 blocks of 128 ms; the caller's tone is the rest.
    let prompt_blocks = blocks_where(&callee, 600.0, 1000.0);
    let caller_blocks = blocks_where(&callee, 1000.0, 600.0);
    assert!((5..=9).contains(&prompt_blocks), "the callee heard the prompt in {prompt_blocks} blocks");
    assert!(caller_blocks > prompt_blocks, "and the caller the rest: {caller_blocks} blocks");

    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "MANAGER_REQUEST", "{cdr}");
    assert_eq!(cdr["recording"].as_str(), Some(recording.as_str()), "{cdr}");
    let (status, calls) = server.get("/api/calls/");
    assert_eq!((status, calls.as_array().map(Vec::len)), (200, Some(0)));
    let _ = std::fs::remove_dir_all(prompts);
}

#[test]
fn a_prompt_for_a_ringing_caller_is_early_media_then_the_callee_is_heard() {
    let (server, prompts) = switch_with_prompt("36200-36399", "ringback.wav", "1.5", "8000");
    let (caller_mic, callee_mic) = (tone(server.dir(), 1000), tone(server.dir(), 800));
    // The callee rings until told to answer.
    let (mut caller, mut callee) = server.two_phones(PhoneSpec::new(&caller_mic), PhoneSpec::new(&callee_mic));
    let within = Duration::from_secs(10);
    caller.command("dial", &format!("sip:1002@{}", server.sip));
    callee.wait_event("CALL_INCOMING", within);
    let (_, calls) = server.get("/api/calls/");
    assert_eq!(calls[0]["status"], "ringing", "{calls}");
    let uuid = calls[0]["call_uuid"].as_str().unwrap().to_string();

    let (status, body) = server.send_json(
        Method::POST,
        &format!("/api/calls/{uuid}/play/"),
        &json!({ "prompt": "ringback.wav", "side": "caller" }),
    );
    assert_eq!(status, 202, "{body}");
    caller.wait_event("CALL_PROGRESS", within);
    std::thread::sleep(Duration::from_millis(2000));
    callee.command("accept", "");
    caller.wait_event("CALL_ESTABLISHED", within);
    std::thread::sleep(Duration::from_millis(2000));
    caller.command("hangup", "");
    callee.wait_event("CALL_CLOSED", within);
    caller.quit();
    callee.quit();

    // The caller heard the prompt (1.5 s: about 11 blocks) before the answer
    // and the callee's tone after it, in one call.
    let prompt_blocks = blocks_where(&caller, 600.0, 800.0);
    let callee_blocks = blocks_where(&caller, 800.0, 600.0);
    assert!(
        (8..=13).contains(&prompt_blocks),
        "the caller heard the early prompt in {prompt_blocks} blocks\n{}",
        caller.log()
    );
    assert!(callee_blocks >= 10, "then the callee in {callee_blocks} blocks");
    let log = caller.log();
    assert!(log.contains("SIP/2.0 183"), "no 183 reached the caller:\n{log}");
    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");
    let _ = std::fs::remove_dir_all(prompts);
}
