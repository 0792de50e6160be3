//! Short runs of `voxide-loadgen` against a real switch, as CI runs them:
//! 20 extensions created over the API, 50 calls at 25 calls/s, at most 25
//! at once, each held 2 s with PCMU RTP both ways. Every call must end
//! as planned with no RTP lost, and the switch must have written 50
//! NORMAL_CLEARING call records. A second run uses Opus carrying a
//! recorded prompt, RFC 4733 digits and a hold and resume in every call.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use voxide_testkit::Server;

/// The `voxide-loadgen` binary next to this test's, built (or brought up
/// to date: a binary left from an older build would not know today's
/// options) by `cargo build -p voxide-loadgen`.
fn loadgen_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/loadgen_smoke-… → target/<profile>/
    let profile_dir = exe.parent().and_then(Path::parent).expect("target profile directory");
    let bin = profile_dir.join(format!("voxide-loadgen{}", std::env::consts::EXE_SUFFIX));
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "-p", "voxide-loadgen"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo build");
    assert!(status.success() && bin.exists(), "building voxide-loadgen failed");
    bin
}

/// The switch's CDRs once `want` of them are complete (or after 15 s).
fn completed_cdrs(server: &Server, want: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, page) = server.get("/api/cdrs/?limit=500");
        assert_eq!(status, 200, "{page}");
        let rows = page["results"].as_array().cloned().unwrap_or_default();
        let done = rows.iter().filter(|r| !r["hangup_cause"].is_null()).count();
        if done >= want || Instant::now() > deadline {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn fifty_calls_with_rtp_end_normally_with_no_loss() {
    let server = Server::start(env!("CARGO_BIN_EXE_voxide"), &[("VOXIDE_MEDIA_RTP_PORTS", "34000-35999")]);
    let json = server.dir().join("loadgen.json");
    let api = format!("http://{}", server.http);
    let sip = server.sip.to_string();
    let pid = server.pid().expect("switch running").to_string();
    #[rustfmt::skip]
    let args = [
        "--api", &api, "--token", &server.token, "--sip", &sip,
        "--create-users", "--users", "20",
        "--calls", "50", "--rate", "25", "--concurrency", "25", "--hold-secs", "2",
        "--switch-pid", &pid, "--json", json.to_str().expect("utf-8 path"), "--quiet",
    ];
    let out = Command::new(loadgen_bin()).args(args).output().expect("run voxide-loadgen");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "voxide-loadgen failed:\n{stdout}\n{stderr}\n{}", server.log());

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON report")).expect("JSON");
    assert_eq!(report["passed"], true, "{report:#}");
    assert_eq!(report["registrations"]["registered"], 20, "{report:#}");
    let calls = &report["calls"];
    assert_eq!((calls["placed"].as_u64(), calls["ok"].as_u64()), (Some(50), Some(50)), "{report:#}");
    assert_eq!(calls["failed"], 0, "{report:#}");
    assert_eq!(calls["failures"], serde_json::json!({}), "{report:#}");
    assert!(calls["setup_ms"]["p99"].as_f64().is_some_and(|ms| ms > 0.0), "{report:#}");
    let rtp = &report["rtp"];
    assert_eq!(rtp["streams"], 100, "both legs of every call: {report:#}");
    assert_eq!(rtp["lost"], 0, "{report:#}");
    // 2 s at 50 packets/s per leg: about 100 packets each.
    assert!(rtp["received"].as_u64().is_some_and(|n| n >= 100 * 95), "{report:#}");
    assert!(rtp["latency_ms"]["count"].as_u64().is_some_and(|n| n >= 100 * 95), "{report:#}");
    assert!(report["switch"]["cpu_secs"].as_f64().is_some_and(|s| s > 0.0), "{report:#}");
    assert!(stdout.contains("result") && stdout.contains("PASS"), "{stdout}");

    let cdrs = completed_cdrs(&server, 50);
    assert_eq!(cdrs.len(), 50, "one CDR per call");
    let normal = cdrs.iter().filter(|r| r["hangup_cause"] == "NORMAL_CLEARING").count();
    assert_eq!(normal, 50, "{cdrs:#?}");
    assert!(cdrs.iter().all(|r| r["call_from"].as_str().is_some_and(|f| f.starts_with("lg"))));
}

/// A recorded prompt of Debian's Asterisk sounds (installed by the test
/// command), as the audio source.
fn prompt_wav() -> PathBuf {
    let dirs = ["/usr/share/asterisk/sounds/en", "/usr/share/asterisk/sounds/en_US_f_Allison"];
    dirs.iter()
        .map(|d| Path::new(d).join("vm-options.wav"))
        .find(|p| p.is_file())
        .expect("vm-options.wav of asterisk-core-sounds-en-wav (scripts/deps.sh test installs it)")
}

#[test]
fn opus_calls_deliver_every_digit_and_survive_hold_and_resume() {
    let server = Server::start(env!("CARGO_BIN_EXE_voxide"), &[("VOXIDE_MEDIA_RTP_PORTS", "36000-37999")]);
    let json = server.dir().join("loadgen.json");
    let api = format!("http://{}", server.http);
    let sip = server.sip.to_string();
    let wav = prompt_wav();
    #[rustfmt::skip]
    let args = [
        "--api", &api, "--token", &server.token, "--sip", &sip,
        "--create-users", "--users", "20",
        "--calls", "20", "--rate", "10", "--concurrency", "20", "--hold-secs", "5",
        "--codec", "opus", "--audio", wav.to_str().expect("utf-8 path"),
        "--dtmf", "159#", "--dtmf-at-secs", "0.5",
        "--on-hold-at-secs", "2", "--on-hold-for-secs", "1.5",
        "--json", json.to_str().expect("utf-8 path"), "--quiet",
    ];
    let out = Command::new(loadgen_bin()).args(args).output().expect("run voxide-loadgen");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "voxide-loadgen failed:\n{stdout}\n{stderr}\n{}", server.log());

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON report")).expect("JSON");
    assert_eq!(report["passed"], true, "{report:#}");
    let calls = &report["calls"];
    assert_eq!((calls["ok"].as_u64(), calls["failed"].as_u64()), (Some(20), Some(0)), "{report:#}");
    assert_eq!((calls["reinvites_ok"].as_u64(), calls["reinvites_failed"].as_u64()), (Some(40), Some(0)), "{report:#}");
    let rtp = &report["rtp"];
    assert_eq!(rtp["codec"], "opus", "{report:#}");
    assert_eq!((rtp["streams"].as_u64(), rtp["lost"].as_u64()), (Some(40), Some(0)), "{report:#}");
    let dtmf = &rtp["dtmf"];
    assert_eq!(
        (dtmf["expected"].as_u64(), dtmf["delivered"].as_u64(), dtmf["streams_wrong"].as_u64()),
        (Some(80), Some(80), Some(0)),
        "four digits from each of 20 callers: {report:#}"
    );
    // The answering side held still for 1.5 s of its 5: its streams sent
    // about 3.5 s (175 packets), the callers' the whole 5 s (250).
    let received = rtp["received"].as_u64().unwrap_or(0);
    assert!((20 * (240 + 165)..=20 * (251 + 180)).contains(&received), "{report:#}");
    let cdrs = completed_cdrs(&server, 20);
    assert_eq!(cdrs.iter().filter(|r| r["hangup_cause"] == "NORMAL_CLEARING").count(), 20, "{cdrs:#?}");
}
