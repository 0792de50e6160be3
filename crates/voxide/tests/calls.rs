//! Calls through the switch with real SIP peers: SIPp callers and callees
//! register and call each other over UDP, and every call's outcome is
//! checked on the wire (SIPp's own expectations) and in the CDR.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use voxide_testkit::{Server, free_port, testdata};

fn scenario(name: &str) -> PathBuf {
    testdata().join("sipp/calls").join(name)
}

/// A scratch directory for SIPp's files.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voxide-calls-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

fn sipp_args(dir: &Path, sf: &Path, target: &str, ip: &str, port: u16) -> Vec<String> {
    vec![
        "-sf".into(),
        sf.display().to_string(),
        target.into(),
        "-i".into(),
        ip.into(),
        "-p".into(),
        port.to_string(),
        "-m".into(),
        "1".into(),
        "-nostdin".into(),
        "-timeout".into(),
        "40s".into(),
        "-timeout_error".into(),
        "-trace_err".into(),
        "-error_file".into(),
        dir.join(format!("errors-{port}.log")).display().to_string(),
    ]
}

/// A SIP phone played by SIPp: registers as `user`, then answers (or not)
/// with a callee scenario on the same port.
struct Phone {
    user: String,
    port: u16,
    ip: &'static str,
    dir: PathBuf,
}

impl Phone {
    fn new(user: &str) -> Phone {
        Phone { user: user.into(), port: free_port(), ip: "127.0.0.1", dir: scratch() }
    }

    /// The carrier's side of a trunk, on its own loopback address.
    fn carrier(port: u16) -> Phone {
        Phone { user: "13055550142".into(), port, ip: "127.0.0.2", dir: scratch() }
    }

    fn inf(&self, password: &str) -> PathBuf {
        let path = self.dir.join(format!("{}.csv", self.user));
        std::fs::write(&path, format!("SEQUENTIAL\n{};{password}\n", self.user)).expect("inf");
        path
    }

    fn register(&self, server: &Server) {
        let inf = self.inf(&format!("secret-{}", self.user));
        let mut args = sipp_args(
            &self.dir,
            &testdata().join("sipp/register_auth.xml"),
            &server.sip.to_string(),
            self.ip,
            self.port,
        );
        args.extend(["-inf".into(), inf.display().to_string()]);
        let out = run(&self.dir, &args);
        assert!(out.status.success(), "{} did not register: {}", self.user, self.errors());
    }

    /// Starts a callee scenario; join with `finish`.
    fn answer_with(&self, server: &Server, name: &str, extra: &[&str]) -> Child {
        let mut args = sipp_args(&self.dir, &scenario(name), &server.sip.to_string(), self.ip, self.port);
        args.extend(extra.iter().map(|s| s.to_string()));
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

    /// Places a call to `dialed` with a caller scenario and waits for it.
    fn call(&self, server: &Server, name: &str, dialed: &str, extra: &[&str]) -> Output {
        let inf = self.inf(&format!("secret-{}", self.user));
        let mut args = sipp_args(&self.dir, &scenario(name), &server.sip.to_string(), self.ip, self.port);
        args.extend(["-inf".into(), inf.display().to_string(), "-s".into(), dialed.into()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&self.dir, &args)
    }

    fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.join(format!("errors-{}.log", self.port))).unwrap_or_default()
    }
}

fn run(dir: &Path, args: &[String]) -> Output {
    Command::new("sipp").args(args).current_dir(dir).output().expect("run sipp (is sip-tester installed?)")
}

fn finish(mut child: Child, phone: &Phone) {
    let status = child.wait().expect("sipp callee");
    assert!(status.success(), "callee scenario failed: {}", phone.errors());
}

/// A switch with extensions 1001 and 1002 and a short ring timeout.
fn switch(extra_env: &[(&str, &str)]) -> Server {
    let mut env = vec![("VOXIDE_CALLS_RING_TIMEOUT_SECS", "3"), ("VOXIDE_MEDIA_RTP_PORTS", "31000-31999")];
    env.extend_from_slice(extra_env);
    let server = Server::start(env!("CARGO_BIN_EXE_voxide"), &env);
    server.create_extension("1001", "secret-1001");
    server.create_extension("1002", "secret-1002");
    server
}

#[test]
fn answered_call_relays_rtp_both_ways_and_writes_a_cdr_with_its_recording() {
    let server = switch(&[]);
    let (_, exts) = server.get("/api/extensions/");
    let callee_id =
        exts.as_array().expect("list").iter().find(|e| e["sip_username"] == "1002").expect("1002")["id"].clone();
    let (status, _) = server.send_json(
        reqwest::Method::PATCH,
        &format!("/api/extensions/{callee_id}/"),
        &serde_json::json!({ "recording": 1 }),
    );
    assert_eq!(status, 200);
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(&server);
    let uas = callee.answer_with(&server, "uas_answer.xml", &["-rtp_echo"]);
    let out = caller.call(&server, "uac_rtp.xml", "1002", &[]);
    assert!(out.status.success(), "caller failed: {}\n{}", caller.errors(), server.log());
    finish(uas, &callee);
    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");
    assert_eq!(cdr["call_from"], "1001");
    assert_eq!(cdr["call_to"], "1002");
    assert_eq!(cdr["is_verified"], true);
    assert!(cdr["bill_duration"].as_i64().unwrap_or(0) >= 7, "{cdr}");
    assert!(!cdr["answered_at"].is_null());
    // The pcap holds 236 packets; the callee echoes them, so the relay
    // carried them both ways.
    let relayed = server.metric("voxide_rtp_packets_relayed_total");
    assert!(relayed >= 2.0 * 220.0, "only {relayed} RTP packets relayed");

    // The recording is linked from the CDR and served with range requests.
    let path = cdr["recording"].as_str().expect("recording linked").to_string();
    assert!(path.starts_with("/api/media/domain_") && path.ends_with(".wav"), "{path}");
    let whole = server.request(reqwest::Method::GET, &path).send().expect("download");
    assert_eq!(whole.status(), 200);
    let wav = whole.bytes().expect("body");
    assert_eq!(&wav[0..4], b"RIFF");
    let data = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]) as usize;
    assert_eq!(data, wav.len() - 44, "header sizes fixed at the end");
    let seconds = data as f64 / 16000.0;
    assert!((6.0..12.0).contains(&seconds), "recorded {seconds} s");
    let loud = wav[44..].chunks_exact(2).filter(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs() > 1000).count();
    assert!(loud > 8000, "recording is nearly silent ({loud} loud samples)");
    let part = server.request(reqwest::Method::GET, &path).header("Range", "bytes=0-99").send().expect("range");
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().expect("body").len(), 100);
}

#[test]
fn a_law_caller_and_mu_law_callee_are_transcoded_by_the_relay() {
    let server = switch(&[]);
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(&server);
    // The callee answers PCMU; the caller offered only PCMA and checks it
    // is answered PCMA.
    let uas = callee.answer_with(&server, "uas_answer.xml", &["-rtp_echo"]);
    let out = caller.call(&server, "uac_rtp_pcma.xml", "1002", &[]);
    assert!(out.status.success(), "caller failed: {}\n{}", caller.errors(), server.log());
    finish(uas, &callee);
    assert_eq!(server.last_cdr()["hangup_cause"], "NORMAL_CLEARING");
    // Every packet crosses the law boundary twice: out to the callee and
    // back in its echo.
    let transcoded = server.metric("voxide_rtp_packets_transcoded_total");
    assert!(transcoded >= 2.0 * 220.0, "only {transcoded} packets transcoded");
}

#[test]
fn busy_callee_gives_486_and_a_user_busy_cdr() {
    let server = switch(&[]);
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(&server);
    let uas = callee.answer_with(&server, "uas_busy.xml", &[]);
    let out = caller.call(&server, &fail_scenario(&caller, 486), "1002", &[]);
    assert!(out.status.success(), "{}", caller.errors());
    finish(uas, &callee);
    assert_eq!(server.last_cdr()["hangup_cause"], "USER_BUSY");
}

#[test]
fn unanswered_call_gives_480_after_the_ring_timeout_and_cancels_the_callee() {
    let server = switch(&[]);
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(&server);
    let uas = callee.answer_with(&server, "uas_ring.xml", &[]);
    let out = caller.call(&server, &fail_scenario(&caller, 480), "1002", &[]);
    assert!(out.status.success(), "{}", caller.errors());
    // The callee scenario only succeeds if it was CANCELled.
    finish(uas, &callee);
    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "NO_ANSWER");
    assert_eq!(cdr["bill_duration"], 0);
}

#[test]
fn caller_hanging_up_while_ringing_cancels_the_callee_and_gets_487() {
    let server = switch(&[("VOXIDE_CALLS_RING_TIMEOUT_SECS", "30")]);
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(&server);
    let uas = callee.answer_with(&server, "uas_ring.xml", &[]);
    let out = caller.call(&server, "uac_cancel.xml", "1002", &[]);
    assert!(out.status.success(), "{}", caller.errors());
    finish(uas, &callee);
    assert_eq!(server.last_cdr()["hangup_cause"], "ORIGINATOR_CANCEL");
}

#[test]
fn calling_an_offline_extension_gives_480_and_an_unknown_number_404() {
    let server = switch(&[]);
    let caller = Phone::new("1001");
    let out = caller.call(&server, &fail_scenario(&caller, 480), "1002", &[]);
    assert!(out.status.success(), "{}", caller.errors());
    assert_eq!(server.last_cdr()["hangup_cause"], "USER_NOT_REGISTERED");
    let out = caller.call(&server, &fail_scenario(&caller, 404), "4999", &[]);
    assert!(out.status.success(), "{}", caller.errors());
    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "UNALLOCATED_NUMBER");
    assert_eq!(cdr["call_to"], "4999");
}

#[test]
fn hold_reinvite_passes_through_to_the_callee_and_back() {
    let server = switch(&[]);
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(&server);
    // The callee checks that it saw a=sendonly; the caller that it got a=recvonly.
    let uas = callee.answer_with(&server, "uas_reinvite.xml", &[]);
    let out = caller.call(&server, "uac_hold.xml", "1002", &[]);
    assert!(out.status.success(), "{}", caller.errors());
    finish(uas, &callee);
    assert_eq!(server.last_cdr()["hangup_cause"], "NORMAL_CLEARING");
}

#[test]
fn callee_hanging_up_ends_the_callers_leg_too() {
    let server = switch(&[]);
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(&server);
    let uas = callee.answer_with(&server, "uas_bye.xml", &[]);
    let out = caller.call(&server, "uac_wait_bye.xml", "1002", &[]);
    assert!(out.status.success(), "{}", caller.errors());
    finish(uas, &callee);
    assert_eq!(server.last_cdr()["hangup_cause"], "NORMAL_CLEARING");
}

/// The failure scenario with the expected status filled in.
fn fail_scenario(phone: &Phone, status: u16) -> String {
    let text = std::fs::read_to_string(scenario("uac_fail.xml.in")).expect("template");
    let path = phone.dir.join(format!("uac_fail_{status}.xml"));
    std::fs::write(&path, text.replace("{STATUS}", &status.to_string())).expect("write scenario");
    path.display().to_string()
}

/// A switch with a trunk to a carrier at 127.0.0.2:`port` for numbers
/// starting with 1.
fn switch_with_trunk(port: u16) -> Server {
    switch_with_trunk_options(port, "")
}

fn switch_with_trunk_options(port: u16, extra: &str) -> Server {
    let dir = scratch();
    let config = dir.join("voxide.toml");
    let text = format!(
        "[[trunks]]\nname = \"carrier\"\naddress = \"127.0.0.2:{port}\"\nprefixes = [\"1\"]\nusername = \"trunkuser\"\npassword = \"trunkpass\"\n{extra}"
    );
    std::fs::write(&config, text).expect("config");
    switch(&[("VOXIDE_CONFIG", config.to_str().expect("utf-8 path"))])
}

#[test]
fn inbound_trunk_call_to_a_did_reaches_the_assigned_extension() {
    let trunk_port = free_port();
    let server = switch_with_trunk(trunk_port);
    let (_, exts) = server.get("/api/extensions/");
    let callee_id =
        exts.as_array().expect("list").iter().find(|e| e["sip_username"] == "1002").expect("1002")["id"].clone();
    let (status, did) = server.send_json(
        reqwest::Method::POST,
        "/api/did_numbers/",
        &serde_json::json!({ "phonenumber": "17865550100", "extension": callee_id }),
    );
    assert_eq!(status, 201, "{did}");
    // The callee's owner knows this caller.
    let (status, contact) = server.send_json(
        reqwest::Method::POST,
        "/api/contacts/",
        &serde_json::json!({ "name": "Carrier test line", "number": "+1 (305) 555-0142" }),
    );
    assert_eq!(status, 201, "{contact}");
    assert_eq!(contact["number"], "13055550142");
    let callee = Phone::new("1002");
    callee.register(&server);
    let uas = callee.answer_with(&server, "uas_answer.xml", &[]);
    let carrier = Phone::carrier(trunk_port);
    let out = carrier.call(&server, "uac_trunk.xml", "17865550100", &[]);
    assert!(out.status.success(), "{}\n{}", carrier.errors(), server.log());
    finish(uas, &callee);
    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");
    assert_eq!(cdr["call_direction"], "inbound");
    assert_eq!(cdr["didnumber"], did["id"]);
    assert_eq!(cdr["extension"], callee_id);
    assert_eq!(cdr["call_from"], "13055550142");
    // The carrier asserted nothing about the caller.
    assert_eq!(cdr["is_verified"], false);
    assert_eq!(cdr["in_contact"], true);
}

#[test]
fn extension_dialling_an_outside_number_goes_out_through_the_trunk() {
    let trunk_port = free_port();
    let server = switch_with_trunk(trunk_port);
    let carrier = Phone::carrier(trunk_port);
    let uas = carrier.answer_with(&server, "uas_answer.xml", &[]);
    let caller = Phone::new("1001");
    let out = caller.call(&server, "uac_auth.xml", "13055550199", &[]);
    assert!(out.status.success(), "{}\n{}", caller.errors(), server.log());
    finish(uas, &carrier);
    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "NORMAL_CLEARING", "{cdr}");
    assert_eq!(cdr["call_direction"], "outbound");
    assert_eq!(cdr["call_to"], "13055550199");
}

#[test]
fn outbound_call_answers_the_carriers_digest_challenge() {
    let trunk_port = free_port();
    let server = switch_with_trunk(trunk_port);
    let carrier = Phone::carrier(trunk_port);
    // The carrier only answers if the digest for trunkuser/trunkpass is right.
    let uas = carrier.answer_with(&server, "uas_challenge.xml", &[]);
    let caller = Phone::new("1001");
    let out = caller.call(&server, "uac_auth.xml", "13055550123", &[]);
    assert!(out.status.success(), "{}\n{}", caller.errors(), server.log());
    finish(uas, &carrier);
    assert_eq!(server.last_cdr()["hangup_cause"], "NORMAL_CLEARING");
}

#[test]
fn the_switch_registers_to_a_carrier_with_its_credentials() {
    let trunk_port = free_port();
    let carrier = Phone::carrier(trunk_port);
    // The carrier's registrar is up before the switch starts registering.
    let registrar = Command::new("sipp")
        .args(sipp_args(&carrier.dir, &scenario("uas_registrar.xml"), "127.0.0.1:5060", carrier.ip, trunk_port))
        .current_dir(&carrier.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run sipp");
    std::thread::sleep(Duration::from_millis(300));
    let server = switch_with_trunk_options(trunk_port, "register = true\n");
    // The scenario succeeds only if the REGISTER answered the challenge correctly.
    finish(registrar, &carrier);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.log().contains("registered to carrier") {
        assert!(Instant::now() < deadline, "no registration logged:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_call_up_when_the_switch_is_killed_keeps_its_cdr_closed_as_crash() {
    let mut server = switch(&[]);
    let (caller, callee) = (Phone::new("1001"), Phone::new("1002"));
    callee.register(&server);
    let mut uas = callee.answer_with(&server, "uas_answer.xml", &[]);
    let inf = caller.inf("secret-1001");
    let mut args = sipp_args(&caller.dir, &scenario("uac_rtp.xml"), &server.sip.to_string(), caller.ip, caller.port);
    args.extend(["-inf".into(), inf.display().to_string(), "-s".into(), "1002".into()]);
    let mut uac = Command::new("sipp")
        .args(&args)
        .current_dir(&caller.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run sipp");
    // Wait until the call is answered (its CDR has answered_at), then crash.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, page) = server.get("/api/cdrs/?limit=1");
        if !page["results"][0]["answered_at"].is_null() {
            break;
        }
        assert!(Instant::now() < deadline, "call never answered:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill();
    let _ = uac.kill();
    let _ = uas.kill();
    let _ = (uac.wait(), uas.wait());
    server.restart();
    let cdr = server.last_cdr();
    assert_eq!(cdr["hangup_cause"], "CRASH", "{cdr}");
    assert!(!cdr["ended_at"].is_null());
    assert_eq!(cdr["call_from"], "1001");
}
