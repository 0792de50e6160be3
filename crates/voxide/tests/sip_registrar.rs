//! The registrar from the outside: SIPp scenarios (testdata/sipp) against a
//! running switch with extensions 1001..1010 (password `secret-<user>`, as
//! in users.csv), each followed by what `GET /api/registrations/` and
//! `/metrics` show.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use serde_json::Value;
use voxide_registrar::digest::authorization_header;
use voxide_testkit::{RawSip, Server, SipReply, Sipp};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// A switch with the ten users of `users.csv`.
fn switch(env: &[(&str, &str)]) -> Server {
    let s = Server::start(BIN, env);
    for user in 1001..=1010 {
        s.create_extension(&user.to_string(), &format!("secret-{user}"));
    }
    s
}

/// Runs SIPp to the end and insists every call passed.
fn passes(s: &Server, sipp: Sipp) {
    let out = sipp.run();
    let tail = |t: &str| t.chars().rev().take(3000).collect::<Vec<_>>().into_iter().rev().collect::<String>();
    assert!(
        out.success,
        "SIPp failed\n--- stdout\n{}\n--- stderr\n{}\n--- errors\n{}\n--- voxide\n{}",
        tail(&out.stdout),
        out.stderr,
        out.errors,
        tail(&s.log())
    );
}

fn registrations(s: &Server) -> Vec<Value> {
    let (status, body) = s.get("/api/registrations/");
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().expect("a list")
}

/// Polls the registrations until `done` holds (bindings are written to the
/// store just after the 200 goes out); panics with them after 5 s.
fn wait_until(s: &Server, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = registrations(s);
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "{what}: registrations are {now:#?}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// One binding per user 1001..1010, each from `source_ip` over
/// `transport`, with `user_agent`, and about `expires` seconds left.
fn assert_ten(regs: &[Value], source_ip: &str, transport: &str, user_agent: &str, expires: i64) {
    assert_eq!(regs.len(), 10, "{regs:#?}");
    for user in 1001..=1010 {
        let aor = format!("sip:{user}@voxide.local");
        let b = regs.iter().find(|b| b["aor"] == aor.as_str()).unwrap_or_else(|| panic!("{aor} in {regs:#?}"));
        let source: SocketAddr = b["source"].as_str().expect("source").parse().expect("an address");
        assert_eq!(source.ip().to_string(), source_ip, "{b}");
        assert!(b["contact"].as_str().is_some_and(|c| c.starts_with(&format!("sip:{user}@"))), "{b}");
        assert_eq!(b["transport"], transport, "{b}");
        assert_eq!(b["user_agent"], user_agent, "{b}");
        let left = b["expires"].as_i64().expect("expires");
        assert!((expires - 10..=expires).contains(&left), "expires {left}, wanted about {expires}: {b}");
    }
}

/// A REGISTER from a raw socket, answering one digest challenge with
/// `password`; returns the final response.
fn register_raw(sip: &mut RawSip, user: &str, password: &str, contact: &str, expires: u32) -> SipReply {
    let call_id = format!("raw-{:016x}", rand_u64());
    let (transport, local) = (sip.transport(), sip.local());
    let request = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:voxide.local SIP/2.0\r\nVia: SIP/2.0/{} {};branch=z9hG4bK{:x};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@voxide.local>;tag=r{cseq}\r\nTo: <sip:{user}@voxide.local>\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\nContact: <{contact}>\r\nExpires: {expires}\r\n\
             {auth}User-Agent: raw\r\nContent-Length: 0\r\n\r\n",
            transport,
            local,
            rand_u64()
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

fn rand_u64() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id())
}

/// Binding writes reach the store in order: once a fresh binding shows up,
/// every earlier change has been written too. Returns the bindings other
/// than that marker.
fn settled(s: &Server) -> Vec<Value> {
    let marker = format!("sip:marker@127.0.0.1:{}", 1024 + rand_u64() % 60_000);
    let reply = register_raw(&mut RawSip::udp(s.sip), "1010", "secret-1010", &marker, 600);
    assert_eq!(reply.status(), 200, "{}", reply.text);
    let all = wait_until(s, "marker binding", |r| r.iter().any(|b| b["contact"] == marker.as_str()));
    all.into_iter().filter(|b| b["contact"] != marker.as_str()).collect()
}

#[test]
fn ten_users_register_with_digest_auth_over_udp() {
    let s = switch(&[]);
    let sipp = Sipp::scenario("register_auth.xml", s.sip).users(10);
    let port = sipp.port();
    passes(&s, sipp);
    let regs = wait_until(&s, "ten bindings", |r| r.len() == 10);
    assert_ten(&regs, "127.0.0.1", "UDP", "SIPp Voxide register_auth", 3600);
    for b in &regs {
        assert_eq!(b["source"], format!("127.0.0.1:{port}"), "{b}");
    }
    assert_eq!(s.metric("voxide_registrations_total"), 10.0);
    assert_eq!(s.metric("voxide_registrations"), 10.0);
}

#[test]
fn ten_users_register_over_tcp() {
    let s = switch(&[]);
    passes(&s, Sipp::scenario("register_auth.xml", s.sip).users(10).tcp());
    let regs = wait_until(&s, "ten bindings", |r| r.len() == 10);
    assert_ten(&regs, "127.0.0.1", "TCP", "SIPp Voxide register_auth", 3600);
}

#[test]
fn a_refresh_renews_the_same_binding() {
    let s = switch(&[]);
    passes(&s, Sipp::scenario("register_refresh.xml", s.sip).users(10));
    let regs = wait_until(&s, "ten bindings", |r| r.len() == 10);
    assert_ten(&regs, "127.0.0.1", "UDP", "SIPp Voxide register_refresh", 3600);
    // Both REGISTERs of every call were accepted, the refresh on the
    // reused nonce (nc=2) without a new challenge.
    assert_eq!(s.metric("voxide_registrations_total"), 20.0);
    assert_eq!(s.metric("voxide_auth_failures_total"), 0.0);
}

#[test]
fn expires_zero_removes_the_binding() {
    let s = switch(&[]);
    passes(&s, Sipp::scenario("unregister.xml", s.sip).users(10));
    let left = settled(&s);
    assert!(left.is_empty(), "{left:#?}");
    assert_eq!(s.metric("voxide_registrations_total"), 21.0, "ten registers, ten removals, one marker");
}

#[test]
fn a_wrong_password_is_refused_and_binds_nothing() {
    let s = switch(&[]);
    passes(&s, Sipp::scenario("register_wrong_password.xml", s.sip).users(10));
    // A refused REGISTER never changes a binding, so there is nothing to wait for.
    assert!(registrations(&s).is_empty());
    assert_eq!(s.metric("voxide_auth_failures_total"), 10.0);
    assert_eq!(s.metric("voxide_registrations"), 0.0);
}

#[test]
fn a_forged_nonce_is_rechallenged_and_the_fresh_one_registers() {
    let s = switch(&[]);
    passes(&s, Sipp::scenario("register_stale_nonce.xml", s.sip).users(10));
    let regs = wait_until(&s, "ten bindings", |r| r.len() == 10);
    assert_ten(&regs, "127.0.0.1", "UDP", "SIPp Voxide register_stale_nonce", 3600);
    assert_eq!(s.metric("voxide_auth_failures_total"), 10.0, "each forged nonce counts as a failure");
}

#[test]
fn an_expired_nonce_is_answered_stale_and_the_retry_registers() {
    let s = switch(&[("VOXIDE_SIP_NONCE_LIFETIME_SECS", "1")]);
    passes(&s, Sipp::scenario("register_expired_nonce.xml", s.sip).users(10));
    let regs = wait_until(&s, "ten bindings", |r| r.len() == 10);
    assert_ten(&regs, "127.0.0.1", "UDP", "SIPp Voxide register_expired_nonce", 3600);
    assert_eq!(s.metric("voxide_auth_failures_total"), 0.0, "a stale nonce is not a failed login");
}

#[test]
fn a_replayed_authorization_is_refused() {
    let s = switch(&[]);
    passes(&s, Sipp::scenario("register_replay.xml", s.sip).users(10));
    // The first use of each header registered; the replay changed nothing.
    let regs = wait_until(&s, "ten bindings", |r| r.len() == 10);
    assert_ten(&regs, "127.0.0.1", "UDP", "SIPp Voxide register_replay", 3600);
    assert_eq!(s.metric("voxide_registrations_total"), 10.0);
    assert_eq!(s.metric("voxide_auth_failures_total"), 10.0);
}

#[test]
fn a_too_brief_expiry_gets_423_and_min_expires_is_granted() {
    let s = switch(&[("VOXIDE_SIP_MIN_EXPIRES", "120")]);
    passes(&s, Sipp::scenario("register_too_brief.xml", s.sip).users(10));
    let regs = wait_until(&s, "ten bindings", |r| r.len() == 10);
    assert_ten(&regs, "127.0.0.1", "UDP", "SIPp Voxide register_too_brief", 120);
}

#[test]
fn options_is_answered_with_allow_and_binds_nothing() {
    let s = switch(&[]);
    passes(&s, Sipp::scenario("options.xml", s.sip).set("-m", "5"));
    let mut raw = RawSip::udp(s.sip);
    let reply = raw.request(&format!(
        "OPTIONS sip:voxide.local SIP/2.0\r\nVia: SIP/2.0/UDP {};branch=z9hG4bKopt1\r\nMax-Forwards: 70\r\n\
         From: <sip:probe@voxide.local>;tag=p\r\nTo: <sip:voxide.local>\r\nCall-ID: opt1\r\nCSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n",
        raw.local()
    ));
    assert_eq!(reply.status(), 200, "{}", reply.text);
    let allow = reply.header("Allow").expect("Allow");
    for method in ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER"] {
        assert!(allow.split(',').any(|m| m.trim() == method), "{method} in {allow}");
    }
    assert!(registrations(&s).is_empty());
}

#[test]
fn a_source_that_keeps_failing_is_throttled() {
    let s = switch(&[("VOXIDE_SIP_AUTH_FAILURE_LIMIT", "3")]);
    passes(&s, Sipp::scenario("register_wrong_password.xml", s.sip).users(3).set("-r", "1"));
    assert_eq!(s.metric("voxide_auth_failures_total"), 3.0);
    // Now even the right password is refused from this address, before any challenge.
    let mut raw = RawSip::udp(s.sip);
    let reply = register_raw(&mut raw, "1004", "secret-1004", "sip:1004@127.0.0.1:9", 3600);
    assert_eq!(reply.status(), 403, "{}", reply.text);
    assert!(reply.header("Warning").is_some_and(|w| w.contains("too many failed authentication attempts")));
    assert!(reply.header("WWW-Authenticate").is_none());
    assert!(s.metric("voxide_auth_throttled_total") > 0.0);
    assert!(registrations(&s).is_empty());
}

#[test]
fn deleting_an_extension_drops_its_binding_at_once() {
    let s = switch(&[]);
    passes(&s, Sipp::scenario("register_auth.xml", s.sip).users(10));
    wait_until(&s, "ten bindings", |r| r.len() == 10);
    let (_, list) = s.get("/api/extensions/");
    let id = list.as_array().expect("extensions").iter().find(|e| e["sip_username"] == "1003").expect("1003")["id"]
        .as_i64()
        .expect("id");
    let resp = s.request(reqwest::Method::DELETE, &format!("/api/extensions/{id}/")).send().expect("delete");
    assert_eq!(resp.status().as_u16(), 204);
    let regs = wait_until(&s, "1003 gone", |r| r.len() == 9);
    assert!(regs.iter().all(|b| b["aor"] != "sip:1003@voxide.local"), "{regs:#?}");
    // The switch dropped it too, not just the store.
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.metric("voxide_registrations") != 9.0 {
        assert!(Instant::now() < deadline, "the switch still holds 10 bindings");
        std::thread::sleep(Duration::from_millis(25));
    }
    // And 1003 can no longer register.
    let reply = register_raw(&mut RawSip::udp(s.sip), "1003", "secret-1003", "sip:1003@127.0.0.1:9", 3600);
    assert_eq!(reply.status(), 401, "{}", reply.text);
}

#[test]
fn registration_works_over_ipv6_loopback() {
    let port = match v6_port() {
        Ok(p) => p,
        Err(why) => {
            println!("skipped: ::1 is not usable on this machine ({why})");
            return;
        }
    };
    let listen = format!("[::1]:{port}");
    let s = switch(&[("VOXIDE_SIP_LISTEN", &listen)]);
    assert!(s.sip.is_ipv6());
    let sipp = Sipp::scenario("register_auth.xml", s.sip).users(10);
    let port = sipp.port();
    passes(&s, sipp);
    let regs = wait_until(&s, "ten bindings", |r| r.len() == 10);
    assert_ten(&regs, "::1", "UDP", "SIPp Voxide register_auth", 3600);
    assert!(regs.iter().all(|b| b["source"] == format!("[::1]:{port}")), "{regs:#?}");
}

/// A port free on ::1 for UDP and TCP, or why there is none.
fn v6_port() -> Result<u16, String> {
    for _ in 0..50 {
        let udp = UdpSocket::bind("[::1]:0").map_err(|e| e.to_string())?;
        let port = udp.local_addr().map_err(|e| e.to_string())?.port();
        if std::net::TcpListener::bind(("::1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err("no port free for both UDP and TCP".into())
}
