//! Which digest challenges the registrar offers: MD5 alone by default (so
//! every phone registers), MD5 then SHA-256 when SHA-256 is enabled, and
//! SHA-256 first when it is preferred.

use voxide_testkit::{RawSip, Server};

fn challenges(env: &[(&str, &str)]) -> Vec<String> {
    let server = Server::start(env!("CARGO_BIN_EXE_voxide"), env);
    server.create_extension("1001", "secret-1001");
    let mut phone = RawSip::udp(server.sip);
    let local = phone.local();
    let reply = phone.request(&format!(
        "REGISTER sip:voxide.local SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKdigest1;rport\r\nMax-Forwards: 70\r\nFrom: <sip:1001@voxide.local>;tag=d1\r\nTo: <sip:1001@voxide.local>\r\nCall-ID: digest-offer\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@{local}>\r\nContent-Length: 0\r\n\r\n"
    ));
    assert_eq!(reply.status(), 401);
    reply.headers("WWW-Authenticate").into_iter().map(str::to_string).collect()
}

fn algorithm(challenge: &str) -> &str {
    challenge.split("algorithm=").nth(1).and_then(|a| a.split([',', ' ']).next()).unwrap_or("")
}

#[test]
fn md5_only_by_default() {
    let offered = challenges(&[]);
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert_eq!(algorithm(&offered[0]), "MD5");
    assert!(offered[0].contains("qop=\"auth\""));
}

#[test]
fn sha256_is_offered_after_md5_when_enabled_and_first_when_preferred() {
    let offered = challenges(&[("VOXIDE_SIP_DIGEST_SHA256", "true")]);
    let algs: Vec<&str> = offered.iter().map(|c| algorithm(c)).collect();
    assert_eq!(algs, ["MD5", "SHA-256"]);
    let preferred = challenges(&[("VOXIDE_SIP_DIGEST_SHA256", "true"), ("VOXIDE_SIP_DIGEST_PREFER_SHA256", "true")]);
    let algs: Vec<&str> = preferred.iter().map(|c| algorithm(c)).collect();
    assert_eq!(algs, ["SHA-256", "MD5"]);
}
