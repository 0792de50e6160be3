use super::*;

struct Book;

impl Accounts for Book {
    fn knows_realm(&self, realm: &str) -> bool {
        realm == "voxide.local"
    }
    fn account(&self, realm: &str, user: &str) -> Option<Account> {
        (realm == "voxide.local" && user == "1001").then(|| Account {
            tenant_id: 1,
            extension_id: 7,
            password: "secret-1001".into(),
        })
    }
}

fn config() -> RegistrarConfig {
    RegistrarConfig {
        default_realm: "voxide.local".into(),
        min_expires: 60,
        max_expires: 3600,
        default_expires: 3600,
        nonce_lifetime: Duration::from_secs(300),
        auth_failure_limit: 3,
        auth_failure_window: Duration::from_secs(60),
        prefer_sha256: true,
        offer_sha256: true,
    }
}

const SRC: &str = "198.51.100.9:40000";

fn register(cseq: u32, contact: &str, extra: &str, auth: Option<&str>) -> Request {
    let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    Request::try_from(format!(
        "REGISTER sip:voxide.local SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{cseq}\r\nFrom: <sip:1001@voxide.local>;tag=f\r\nTo: <sip:1001@voxide.local>\r\nCall-ID: call-1\r\nCSeq: {cseq} REGISTER\r\nContact: {contact}\r\n{extra}{auth}Content-Length: 0\r\n\r\n"
    ))
    .unwrap()
}

struct Phone {
    reg: Registrar,
    now: Instant,
    unix: i64,
    nc: u32,
}

impl Phone {
    fn new() -> Self {
        let now = Instant::now();
        Phone { reg: Registrar::new(config(), now), now, unix: 1_700_000_000, nc: 0 }
    }

    fn send(&mut self, req: &Request) -> RegisterOutcome {
        self.reg.handle_register(
            self.now,
            self.unix,
            req,
            Origin { source: SRC.parse().unwrap(), transport: Transport::Udp },
            &Book,
            "tag",
        )
    }

    /// REGISTER, answer the challenge with `password`, return the final response.
    fn register(&mut self, cseq: u32, contact: &str, extra: &str, password: &str) -> Response {
        let first = self.send(&register(cseq, contact, extra, None)).response;
        assert_eq!(u16::from(first.status_code.clone()), 401);
        self.answer(&first, cseq + 1, contact, extra, password)
    }

    fn answer(&mut self, challenge: &Response, cseq: u32, contact: &str, extra: &str, password: &str) -> Response {
        let md5 = challenge
            .headers
            .iter()
            .find_map(|h| match h {
                Header::WwwAuthenticate(w) if w.value().contains("MD5") => Some(w.value().to_string()),
                _ => None,
            })
            .unwrap();
        self.nc += 1;
        let auth =
            digest::authorization_header(&md5, "1001", password, "REGISTER", "sip:voxide.local", self.nc, "c0ffee")
                .unwrap();
        self.send(&register(cseq, contact, extra, Some(&auth))).response
    }
}

fn status(r: &Response) -> u16 {
    u16::from(r.status_code.clone())
}

#[test]
fn register_with_right_password_binds_and_lists_the_contact() {
    let mut p = Phone::new();
    let ok = p.register(1, "<sip:1001@10.0.0.1:5060>", "Expires: 120\r\n", "secret-1001");
    assert_eq!(status(&ok), 200);
    assert!(ok.to_string().contains("Contact: <sip:1001@10.0.0.1:5060>;expires=120"));
    let bound = p.reg.location().lookup("sip:1001@voxide.local", p.unix);
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0].source, SRC.parse().unwrap());
    assert!(matches!(p.reg.poll_change(), Some(BindingChange::Saved(_))));
}

#[test]
fn the_challenge_offers_sha256_then_md5_with_qop_auth() {
    let mut p = Phone::new();
    let r = p.send(&register(1, "<sip:1001@h>", "", None)).response.to_string();
    let sha = r.find("algorithm=SHA-256").unwrap();
    let md5 = r.find("algorithm=MD5").unwrap();
    assert!(sha < md5 && r.contains("qop=\"auth\"") && r.contains("realm=\"voxide.local\""));
}

#[test]
fn without_sha256_only_the_md5_challenge_is_offered() {
    let mut p = Phone::new();
    p.reg = Registrar::new(RegistrarConfig { offer_sha256: false, ..config() }, p.now);
    let r = p.send(&register(1, "<sip:1001@h>", "", None)).response;
    let challenges: Vec<String> = r
        .headers
        .iter()
        .filter_map(|h| match h {
            Header::WwwAuthenticate(w) => Some(w.value().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(challenges.len(), 1, "{challenges:?}");
    assert!(challenges[0].contains("algorithm=MD5"));
    assert_eq!(status(&p.answer(&r, 2, "<sip:1001@h>", "", "secret-1001")), 200);
}

#[test]
fn wrong_password_and_unknown_user_look_the_same_and_throttle() {
    let mut p = Phone::new();
    let wrong = p.register(1, "<sip:1001@h>", "", "nope");
    assert_eq!(status(&wrong), 401);
    assert!(p.reg.location().is_empty());
    p.register(3, "<sip:1001@h>", "", "nope");
    p.register(5, "<sip:1001@h>", "", "nope");
    // Now blocked, even with the right password.
    let blocked = p.send(&register(7, "<sip:1001@h>", "", None)).response;
    assert_eq!(status(&blocked), 403);
}

#[test]
fn too_brief_expiry_gets_423_with_min_expires_and_long_ones_are_clamped() {
    let mut p = Phone::new();
    let brief = p.register(1, "<sip:1001@h>", "Expires: 5\r\n", "secret-1001");
    assert_eq!(status(&brief), 423);
    assert!(brief.to_string().contains("Min-Expires: 60"));
    let long = p.register(3, "<sip:1001@h>;expires=99999", "", "secret-1001");
    assert!(long.to_string().contains("expires=3600"));
}

#[test]
fn expires_zero_and_star_remove_bindings() {
    let mut p = Phone::new();
    p.register(1, "<sip:1001@a>", "", "secret-1001");
    p.register(3, "<sip:1001@b>;q=0.5", "", "secret-1001");
    assert_eq!(p.reg.location().lookup("sip:1001@voxide.local", p.unix).len(), 2);
    let one = p.register(5, "<sip:1001@a>", "Expires: 0\r\n", "secret-1001");
    assert_eq!(status(&one), 200);
    assert!(!one.to_string().contains("sip:1001@a>"));
    let all = p.register(7, "*", "Expires: 0\r\n", "secret-1001");
    assert_eq!(status(&all), 200);
    assert!(p.reg.location().is_empty());
    let bad_star = p.register(9, "*", "Expires: 60\r\n", "secret-1001");
    assert_eq!(status(&bad_star), 400);
}

#[test]
fn replayed_nonce_count_is_refused() {
    let mut p = Phone::new();
    let challenge = p.send(&register(1, "<sip:1001@h>", "", None)).response;
    assert_eq!(status(&p.answer(&challenge, 2, "<sip:1001@h>", "", "secret-1001")), 200);
    p.nc -= 1; // same nc again
    assert_eq!(status(&p.answer(&challenge, 3, "<sip:1001@h>", "", "secret-1001")), 401);
}

#[test]
fn expired_nonce_is_answered_stale() {
    let mut p = Phone::new();
    let challenge = p.send(&register(1, "<sip:1001@h>", "", None)).response;
    p.now += Duration::from_secs(301);
    let r = p.answer(&challenge, 2, "<sip:1001@h>", "", "secret-1001");
    assert_eq!(status(&r), 401);
    assert!(r.to_string().contains("stale=true"));
}

#[test]
fn out_of_order_cseq_on_the_same_call_id_is_refused() {
    let mut p = Phone::new();
    p.register(10, "<sip:1001@h>", "", "secret-1001");
    let r = p.register(2, "<sip:1001@h>", "", "secret-1001");
    assert_eq!(status(&r), 500);
}

#[test]
fn bindings_expire_and_are_purged() {
    let mut p = Phone::new();
    p.register(1, "<sip:1001@h>", "Expires: 60\r\n", "secret-1001");
    while p.reg.poll_change().is_some() {}
    p.reg.handle_timeout(p.now, p.unix + 61);
    assert!(p.reg.location().is_empty());
    assert!(matches!(p.reg.poll_change(), Some(BindingChange::Removed { .. })));
}

#[test]
fn http_date_is_rfc_1123() {
    assert_eq!(httpdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(httpdate(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
}
