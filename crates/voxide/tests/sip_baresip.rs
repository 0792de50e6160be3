//! A real softphone, baresip (the Debian package), registering to the
//! switch with digest authentication over UDP and over TCP, and its
//! bindings outliving a crash of the switch.

use std::time::{Duration, Instant};

use serde_json::Value;
use voxide_testkit::{Baresip, Server};

const BIN: &str = env!("CARGO_BIN_EXE_voxide");

/// baresip 1.0 (libre 1.x) gives up on a 401 that carries any challenge
/// other than MD5, so the switch offers MD5 only here; see
/// `sip.digest_sha256` in config/voxide.toml.
const MD5_ONLY: (&str, &str) = ("VOXIDE_SIP_DIGEST_SHA256", "false");

fn registrations(s: &Server) -> Vec<Value> {
    let (status, body) = s.get("/api/registrations/");
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().expect("a list")
}

/// The binding of `user`, once it is listed; panics with both logs after 10 s.
fn wait_for_binding(s: &Server, phone: &Baresip, user: &str) -> Value {
    let aor = format!("sip:{user}@voxide.local");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(b) = registrations(s).into_iter().find(|b| b["aor"] == aor.as_str()) {
            return b;
        }
        assert!(
            Instant::now() < deadline,
            "{aor} never registered\n--- baresip\n{}\n--- voxide\n{}",
            phone.log(),
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn gauge(s: &Server, name: &str) -> f64 {
    let text = s.client.get(s.url("/metrics")).send().expect("metrics").text().expect("text");
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|v| v.parse().ok()).expect(name)
}

fn account(user: &str, s: &Server, transport: &str) -> String {
    format!("<sip:{user}@{};transport={transport}>;auth_pass=secret-{user};regint=3600", s.sip)
}

#[test]
fn baresip_registers_over_udp_and_tcp_and_the_bindings_survive_a_crash() {
    let mut s = Server::start(BIN, &[MD5_ONLY]);
    s.create_extension("1001", "secret-1001");
    s.create_extension("1002", "secret-1002");
    let mut udp_phone = Baresip::start(&account("1001", &s, "udp"));
    let mut tcp_phone = Baresip::start(&account("1002", &s, "tcp"));

    let udp = wait_for_binding(&s, &udp_phone, "1001");
    assert_eq!(udp["transport"], "UDP", "{udp}");
    assert_eq!(udp["source"], format!("127.0.0.1:{}", udp_phone.port), "{udp}");
    let tcp = wait_for_binding(&s, &tcp_phone, "1002");
    assert_eq!(tcp["transport"], "TCP", "{tcp}");
    assert!(tcp["source"].as_str().is_some_and(|a| a.starts_with("127.0.0.1:")), "{tcp}");
    assert!(tcp["contact"].as_str().is_some_and(|c| c.contains("transport=tcp")), "{tcp}");
    for b in [&udp, &tcp] {
        assert!(b["user_agent"].as_str().is_some_and(|ua| ua.starts_with("baresip")), "{b}");
        assert!((3590..=3600).contains(&b["expires"].as_i64().expect("expires")), "{b}");
    }
    assert!(udp_phone.running() && tcp_phone.running());

    // SIGKILL: nothing is flushed on the way down.
    s.restart();
    let after = registrations(&s);
    for (user, transport) in [("1001", "UDP"), ("1002", "TCP")] {
        let aor = format!("sip:{user}@voxide.local");
        let b = after.iter().find(|b| b["aor"] == aor.as_str()).unwrap_or_else(|| panic!("{aor} lost: {after:#?}"));
        assert_eq!(b["transport"], transport, "{b}");
        assert!(b["expires"].as_i64().is_some_and(|e| e > 3500), "{b}");
    }
    // The switch itself took them back, not only the store.
    assert_eq!(gauge(&s, "voxide_registrations"), 2.0);
}
