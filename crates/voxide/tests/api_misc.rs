//! The unauthenticated endpoints, the OpenAPI document against the router
//! it describes, and the command line: `check-config`, `migrate`, and the
//! token printed on a first start.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::{Value, json};
use voxide_testkit::Server;

const BIN: &str = env!("CARGO_BIN_EXE_voxide");
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A route's path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1").replace("{path}", "x")
}

#[test]
fn healthz_answers_without_a_token() {
    let s = Server::start(BIN, &[]);
    let resp = s.client.get(s.url("/healthz")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().unwrap(), "ok");
}

#[test]
fn metrics_are_prometheus_text() {
    let s = Server::start(BIN, &[]);
    let resp = s.client.get(s.url("/metrics")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = resp.text().unwrap();
    assert!(text.contains("# TYPE voxide_registrations gauge"), "{text}");
    assert!(text.contains("# TYPE voxide_active_calls gauge"), "{text}");
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (name, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line:?}"));
        assert!(name.starts_with("voxide_"), "{line:?}");
        assert!(value.parse::<f64>().is_ok(), "{line:?}");
    }
    let sample = |name: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).map(str::to_string);
    assert_eq!(sample("voxide_registrations").as_deref(), Some("0"));
    assert_eq!(sample("voxide_active_calls").as_deref(), Some("0"));
}

#[test]
fn openapi_document_lists_every_route() {
    let s = Server::start(BIN, &[]);
    let resp = s.client.get(s.url("/api/openapi.json")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let doc: Value = resp.json().expect("valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    for route in voxide_api::ROUTES {
        let op = &paths[route.path][route.method];
        assert_eq!(op["summary"], route.summary, "{} {}", route.method, route.path);
        assert_eq!(op["security"].is_array(), route.auth, "{} {}", route.method, route.path);
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, voxide_api::ROUTES.len(), "the document holds nothing beyond ROUTES");
}

/// The document matches the router: every documented operation is served
/// (a protected one asks for a token, rather than 404 or 405), and every
/// other method on a documented path is 405.
#[test]
fn every_documented_route_is_served_and_no_undocumented_method_is() {
    let s = Server::start(BIN, &[]);
    let paths: BTreeSet<&str> = voxide_api::ROUTES.iter().map(|r| r.path).collect();
    for path in paths {
        let url = s.url(&concrete(path));
        for method in METHODS {
            let route = voxide_api::ROUTES.iter().find(|r| r.path == path && r.method == method);
            let verb = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let status = s.client.request(verb.clone(), &url).json(&json!({})).send().unwrap().status().as_u16();
            match route {
                Some(r) if r.auth => assert_eq!(status, 401, "{method} {path}: documented, needs a token"),
                Some(_) => assert_eq!(status, 200, "{method} {path}: documented, open"),
                None => assert_eq!(status, 405, "{method} {path} is served but not documented"),
            }
            if route.is_some() {
                let with_token = s.request(verb, &concrete(path)).json(&json!({})).send().unwrap().status().as_u16();
                assert_ne!(with_token, 405, "{method} {path}");
            }
        }
    }
}

#[test]
fn undocumented_paths_are_json_404s() {
    let s = Server::start(BIN, &[]);
    for path in ["/api/nothing/", "/api/extension/", "/api/extensions/1/2/", "/api/did_numbers/search/1/", "/admin"] {
        for (status, body) in [s.get(path), s.send_json(Method::POST, path, &json!({}))] {
            assert_eq!((status, body), (404, json!({"detail": "Not found."})), "{path}");
        }
    }
    // The root is the web console's front door.
    let client = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let root = client.get(s.url("/")).send().expect("GET /");
    assert!(root.status().is_redirection(), "{}", root.status());
    let location = root.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    assert!(location.ends_with("/console/"), "{location}");
}

/// A fresh scratch directory.
fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("voxide-cli-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary in `dir` with only the given settings.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir);
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("VOXIDE_")) {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied()).output().expect("run voxide")
}

#[test]
fn check_config_names_every_bad_key_and_exits_2() {
    let dir = scratch();
    let out = run_in(&dir, &["check-config"], &[("VOXIDE_SIP_LISTEN", "nowhere"), ("VOXIDE_MEDIA_RTP_PORTS", "9-3")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sip.listen") && stderr.contains("\"nowhere\""), "{stderr}");
    assert!(stderr.contains("media.rtp_ports") && stderr.contains("\"9-3\""), "{stderr}");

    let out = run_in(&dir, &["check-config"], &[("VOXIDE_SIP_LISTEN", "127.0.0.1:5070")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "configuration is valid");

    // `serve` refuses to start on the same errors, before touching anything.
    let out = run_in(&dir, &["serve"], &[("VOXIDE_MEDIA_RTP_PORTS", "9-3")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("media.rtp_ports"));
    assert!(!dir.join("data").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_creates_the_database_and_is_repeatable() {
    let dir = scratch();
    for _ in 0..2 {
        let out = run_in(&dir, &["migrate"], &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "migrations applied");
        assert!(dir.join("data/voxide.db").is_file());
        assert!(dir.join("data/secret.key").is_file(), "the key for SIP passwords is made on first use");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn printed_tokens(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.split_once("Admin API token (shown once, keep it): ").map(|(_, t)| t.trim().to_string()))
        .collect()
}

#[test]
fn first_start_prints_a_working_token_once() {
    let mut s = Server::start(BIN, &[("VOXIDE_API_BOOTSTRAP_TOKEN", "")]);
    let printed = printed_tokens(&s.log());
    assert_eq!(printed.len(), 1, "{}", s.log());
    let token = &printed[0];
    assert_eq!(token.len(), 40, "{token}");
    let list = |token: &str| {
        let resp = s.client.get(s.url("/api/extensions/")).header("Authorization", format!("Token {token}"));
        resp.send().unwrap().status().as_u16()
    };
    assert_eq!(list(token), 200);
    assert_eq!(list(&s.token), 401, "no bootstrap token was configured, so the test's own is unknown");

    s.restart();
    assert_eq!(printed_tokens(&s.log()), printed, "a second start prints no new token");
    let resp = s.client.get(s.url("/api/extensions/")).header("Authorization", format!("Bearer {token}"));
    assert_eq!(resp.send().unwrap().status().as_u16(), 200, "the printed token survives a restart");
}
