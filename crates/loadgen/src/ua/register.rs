//! One extension's registration: REGISTER, answer the 401 with digest
//! credentials, refresh at half the granted lifetime, and at the end
//! remove every binding (`Contact: *`, `Expires: 0`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use voxide_registrar::digest;

use super::retx::{Retx, Step};
use super::{Event, Out, Settings};
use crate::sipmsg::{self, Msg, RequestLine};

/// Wait before trying again after a failed registration.
const RETRY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Register,
    Unregister,
}

pub struct Registration {
    user: u32,
    username: String,
    password: String,
    domain: String,
    local: SocketAddr,
    call_id: String,
    from_tag: String,
    cseq: u32,
    expires: u32,
    mode: Mode,
    /// Whether the request in flight already answers a challenge.
    challenged: bool,
    retx: Option<Retx>,
    /// When the next REGISTER is due (refresh or retry).
    next: Option<Instant>,
    registered: bool,
}

impl Registration {
    pub fn new(user: u32, username: &str, password: &str, local: SocketAddr, settings: &Settings) -> Self {
        Self {
            user,
            username: username.to_owned(),
            password: password.to_owned(),
            domain: settings.domain.clone(),
            local,
            call_id: format!("{}@loadgen", sipmsg::token()),
            from_tag: sipmsg::token(),
            cseq: 0,
            expires: settings.expires,
            mode: Mode::Register,
            challenged: false,
            retx: None,
            next: None,
            registered: false,
        }
    }

    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    pub fn is_registered(&self) -> bool {
        self.registered
    }

    /// Registers now.
    pub fn start(&mut self, now: Instant, out: &mut Out) {
        self.mode = Mode::Register;
        self.challenged = false;
        self.send(None, now, out);
    }

    /// Removes all of this user's bindings.
    pub fn unregister(&mut self, now: Instant, out: &mut Out) {
        self.mode = Mode::Unregister;
        self.challenged = false;
        self.next = None;
        self.send(None, now, out);
    }

    pub fn deadline(&self) -> Option<Instant> {
        match (&self.retx, self.next) {
            (Some(r), _) => Some(r.deadline()),
            (None, next) => next,
        }
    }

    fn send(&mut self, auth: Option<String>, now: Instant, out: &mut Out) {
        self.cseq += 1;
        let aor = format!("sip:{}@{}", self.username, self.domain);
        let uri = format!("sip:{}", self.domain);
        let (from, to) = (format!("<{aor}>;tag={}", self.from_tag), format!("<{aor}>"));
        let branch = sipmsg::branch();
        let mut extra = auth.unwrap_or_default();
        let contact_user = match self.mode {
            Mode::Register => {
                extra.push_str(&format!("Expires: {}\r\n", self.expires));
                Some(self.username.as_str())
            }
            Mode::Unregister => {
                extra.push_str("Contact: *\r\nExpires: 0\r\n");
                None
            }
        };
        let line = RequestLine {
            method: "REGISTER",
            uri: &uri,
            local: self.local,
            branch: &branch,
            from: &from,
            to: &to,
            call_id: &self.call_id,
            cseq: self.cseq,
            contact_user,
        };
        let bytes = sipmsg::request(&line, &extra, None);
        self.retx = Some(Retx::new(bytes.clone(), now, false));
        self.next = None;
        out.send(self.user, bytes);
    }

    pub fn on_response(&mut self, msg: &Msg, now: Instant, out: &mut Out) {
        let Some(status) = msg.status() else { return };
        if msg.cseq != self.cseq || self.retx.is_none() || status < 200 {
            return;
        }
        self.retx = None;
        match (status, self.mode) {
            (200..=299, Mode::Register) => {
                self.registered = true;
                let granted = msg.expires.unwrap_or(self.expires).max(2);
                self.next = Some(now + Duration::from_secs(u64::from(granted / 2)));
                out.event(Event::Registered { user: self.user });
            }
            (200..=299, Mode::Unregister) => {
                self.registered = false;
                out.event(Event::Unregistered { user: self.user });
            }
            (401 | 407, _) if !self.challenged => match self.credentials(msg, status) {
                Some(auth) => {
                    self.challenged = true;
                    self.send(Some(auth), now, out);
                }
                None => self.failed(status, now, out),
            },
            _ => self.failed(status, now, out),
        }
    }

    fn credentials(&self, msg: &Msg, status: u16) -> Option<String> {
        let challenge = digest::best_challenge(msg.challenges.iter().map(String::as_str)).ok()?;
        let uri = format!("sip:{}", self.domain);
        let creds = digest::authorize(
            &challenge,
            &self.username,
            &self.password,
            "REGISTER",
            &uri,
            1,
            &digest::generate_cnonce(),
        )
        .ok()?;
        let name = if status == 407 { "Proxy-Authorization" } else { "Authorization" };
        Some(format!("{name}: {creds}\r\n"))
    }

    fn failed(&mut self, status: u16, now: Instant, out: &mut Out) {
        out.event(Event::RegisterFailed { user: self.user, status });
        if self.mode == Mode::Register {
            self.next = Some(now + RETRY);
        }
    }

    pub fn on_timer(&mut self, now: Instant, out: &mut Out) {
        if let Some(retx) = &mut self.retx {
            match retx.poll(now) {
                Step::Wait => {}
                Step::Resend(bytes) => out.send(self.user, bytes.to_vec()),
                Step::Timeout => {
                    self.retx = None;
                    self.failed(408, now, out);
                }
            }
            return;
        }
        if self.next.is_some_and(|t| now >= t) {
            self.start(now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            domain: "voxide.local".into(),
            media_ip: "127.0.0.1".parse().unwrap(),
            hold: Duration::from_secs(1),
            drain: Duration::from_millis(100),
            setup_timeout: Duration::from_secs(10),
            expires: 600,
            profile: Default::default(),
            on_hold: None,
            dtmf: None,
        }
    }

    fn reply(req: &[u8], status: u16, extra: &str) -> Msg {
        let req = Msg::parse(req).expect("request parses");
        let mut text = String::from_utf8(sipmsg::response(&req, status, "srv", None, None)).unwrap();
        text = text.replacen("Content-Length", &format!("{extra}Content-Length"), 1);
        Msg::parse(text.as_bytes()).expect("response parses")
    }

    #[test]
    fn answers_the_challenge_then_refreshes_at_half_time() {
        let t0 = Instant::now();
        let mut reg = Registration::new(3, "lg3", "pw-123456", "127.0.0.1:7000".parse().unwrap(), &settings());
        let mut out = Out::default();
        reg.start(t0, &mut out);
        let first = out.sends.pop().unwrap().1;
        let challenge = r#"WWW-Authenticate: Digest realm="voxide.local", nonce="n1", algorithm=MD5, qop="auth""#;
        reg.on_response(&reply(&first, 401, &format!("{challenge}\r\n")), t0, &mut out);
        let (user, second) = out.sends.pop().unwrap();
        assert_eq!(user, 3);
        let text = String::from_utf8(second.clone()).unwrap();
        assert!(text.contains("Authorization: Digest") && text.contains("CSeq: 2 REGISTER"), "{text}");
        reg.on_response(&reply(&second, 200, "Expires: 120\r\n"), t0, &mut out);
        assert_eq!(out.events, vec![Event::Registered { user: 3 }]);
        assert!(reg.is_registered());
        assert_eq!(reg.deadline(), Some(t0 + Duration::from_secs(60)));
        reg.on_timer(t0 + Duration::from_secs(60), &mut out);
        assert!(String::from_utf8_lossy(&out.sends.pop().unwrap().1).contains("CSeq: 3 REGISTER"));
    }

    #[test]
    fn a_second_challenge_is_a_failure_and_unregister_uses_a_wildcard() {
        let t0 = Instant::now();
        let mut reg = Registration::new(0, "lg0", "pw-123456", "127.0.0.1:7000".parse().unwrap(), &settings());
        let mut out = Out::default();
        reg.start(t0, &mut out);
        let ch = "WWW-Authenticate: Digest realm=\"voxide.local\", nonce=\"n\"\r\n";
        let first = out.sends.pop().unwrap().1;
        reg.on_response(&reply(&first, 401, ch), t0, &mut out);
        let second = out.sends.pop().unwrap().1;
        reg.on_response(&reply(&second, 401, ch), t0, &mut out);
        assert_eq!(out.events, vec![Event::RegisterFailed { user: 0, status: 401 }]);
        reg.unregister(t0, &mut out);
        let text = String::from_utf8(out.sends.pop().unwrap().1).unwrap();
        assert!(text.contains("Contact: *\r\nExpires: 0\r\n"), "{text}");
    }
}
