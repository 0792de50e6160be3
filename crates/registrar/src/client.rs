//! Registering the switch to a carrier (a trunk with `register = true`):
//! a sans-IO REGISTER client. It asks to send a REGISTER when one is due,
//! answers one digest challenge per attempt, and re-registers before the
//! granted expiry runs out (or retries after a failure).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rsip::Request;
use rsip::headers::Header;
use rsip::prelude::*;

use crate::digest;

/// Settings of one registration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The carrier's registrar (`sip:host:port`), also the digest realm's URI.
    pub registrar_uri: String,
    /// Address-of-record user at the carrier.
    pub username: String,
    pub password: String,
    /// Our Contact address.
    pub contact: SocketAddr,
    pub expires: u32,
    /// Wait after a failure before trying again.
    pub retry: Duration,
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// Not registered; a REGISTER is due at `next`.
    Idle,
    /// A REGISTER is in flight.
    Waiting,
    Registered {
        expires: u32,
    },
    Failed {
        status: u16,
    },
}

pub struct RegisterClient {
    config: ClientConfig,
    call_id: String,
    from_tag: String,
    cseq: u32,
    state: ClientState,
    next: Instant,
    /// The challenge to answer on the next REGISTER, if any.
    challenge: Option<(String, bool)>,
    /// Challenges answered in this attempt (one; a second means bad credentials).
    answered: u32,
}

impl RegisterClient {
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let token = || format!("{:016x}", rand::random::<u64>());
        Self {
            config,
            call_id: format!("{}@voxide", token()),
            from_tag: token(),
            cseq: 0,
            state: ClientState::Idle,
            next: now,
            challenge: None,
            answered: 0,
        }
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    /// When `poll_request` will next have something.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (self.state != ClientState::Waiting).then_some(self.next)
    }

    /// A REGISTER to send now, if one is due. `branch` is the Via branch
    /// the caller's transaction layer should use.
    pub fn poll_request(&mut self, now: Instant, branch: &str) -> Option<Request> {
        if self.state == ClientState::Waiting || now < self.next {
            return None;
        }
        self.cseq += 1;
        let c = &self.config;
        let host = c.registrar_uri.trim_start_matches("sip:");
        let aor = format!("sip:{}@{host}", c.username);
        let auth = self.challenge.take().and_then(|(value, proxy)| {
            let header = digest::authorization_header(
                &value,
                &c.username,
                &c.password,
                "REGISTER",
                &c.registrar_uri,
                1,
                &digest::generate_cnonce(),
            )
            .ok()?;
            Some(format!("{}: {header}\r\n", if proxy { "Proxy-Authorization" } else { "Authorization" }))
        });
        let text = format!(
            "REGISTER {} SIP/2.0\r\nVia: SIP/2.0/UDP {};branch={branch};rport\r\nMax-Forwards: 70\r\nFrom: <{aor}>;tag={}\r\nTo: <{aor}>\r\nCall-ID: {}\r\nCSeq: {} REGISTER\r\nContact: <sip:{}@{}>\r\nExpires: {}\r\n{}Content-Length: 0\r\n\r\n",
            c.registrar_uri,
            c.contact,
            self.from_tag,
            self.call_id,
            self.cseq,
            c.username,
            c.contact,
            c.expires,
            auth.unwrap_or_default()
        );
        let req = Request::try_from(text.as_str()).ok()?;
        self.state = ClientState::Waiting;
        Some(req)
    }

    /// The final response to our REGISTER.
    pub fn on_response(&mut self, now: Instant, resp: &rsip::Response) {
        let status = u16::from(resp.status_code.clone());
        match status {
            100..=199 => return,
            200..=299 => {
                let granted = granted_expiry(resp, self.config.contact).unwrap_or(self.config.expires);
                self.state = ClientState::Registered { expires: granted };
                self.answered = 0;
                // Refresh at half-time, as phones do, so one lost refresh is survivable.
                self.next = now + Duration::from_secs(u64::from(granted.max(2) / 2));
                return;
            }
            401 | 407 if self.answered == 0 => {
                let wanted = if status == 407 { "proxy-authenticate" } else { "www-authenticate" };
                let values: Vec<String> = resp
                    .headers
                    .iter()
                    .filter_map(|h| match h {
                        Header::WwwAuthenticate(w) if status == 401 => Some(w.value().to_string()),
                        Header::ProxyAuthenticate(p) if status == 407 => Some(p.value().to_string()),
                        Header::Other(n, v) if n.eq_ignore_ascii_case(wanted) => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
                if let Ok(best) = digest::best_challenge(values.iter().map(String::as_str)) {
                    self.challenge = Some((best.to_string(), status == 407));
                    self.answered = 1;
                    self.state = ClientState::Idle;
                    self.next = now;
                    return;
                }
            }
            _ => {}
        }
        self.answered = 0;
        self.state = ClientState::Failed { status };
        self.next = now + self.config.retry;
    }

    /// The transaction timed out or could not be sent.
    pub fn on_timeout(&mut self, now: Instant) {
        self.answered = 0;
        self.state = ClientState::Failed { status: 408 };
        self.next = now + self.config.retry;
    }
}

/// The expiry the registrar granted our contact (Contact `expires`, then
/// the Expires header).
fn granted_expiry(resp: &rsip::Response, contact: SocketAddr) -> Option<u32> {
    let ours = contact.to_string();
    let from_contact = resp.headers.iter().find_map(|h| match h {
        Header::Contact(c) => voxide_sip::values::split_list(c.value())
            .into_iter()
            .find(|v| v.contains(&ours))
            .and_then(|v| voxide_sip::values::header_param(v, "expires"))
            .and_then(|e| e.parse().ok()),
        _ => None,
    });
    from_contact.or_else(|| {
        resp.headers.iter().find_map(|h| match h {
            Header::Expires(e) => e.value().trim().parse().ok(),
            _ => None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(now: Instant) -> RegisterClient {
        RegisterClient::new(
            ClientConfig {
                registrar_uri: "sip:192.0.2.10:5060".into(),
                username: "acct".into(),
                password: "pw".into(),
                contact: "198.51.100.1:5060".parse().unwrap(),
                expires: 600,
                retry: Duration::from_secs(30),
            },
            now,
        )
    }

    fn respond(req: &Request, status: &str, extra: &str) -> rsip::Response {
        let via = req.via_header().unwrap().value().to_string();
        let from = req.from_header().unwrap().value().to_string();
        let to = req.to_header().unwrap().value().to_string();
        let cid = req.call_id_header().unwrap().value().to_string();
        let cseq = req.cseq_header().unwrap().value().to_string();
        rsip::Response::try_from(format!(
            "SIP/2.0 {status}\r\nVia: {via}\r\nFrom: {from}\r\nTo: {to};tag=r\r\nCall-ID: {cid}\r\nCSeq: {cseq}\r\n{extra}Content-Length: 0\r\n\r\n"
        ))
        .unwrap()
    }

    #[test]
    fn answers_one_challenge_then_refreshes_at_half_the_granted_expiry() {
        let t0 = Instant::now();
        let mut c = client(t0);
        let first = c.poll_request(t0, "z9hG4bK1").unwrap();
        assert!(c.poll_request(t0, "z9hG4bK2").is_none(), "one REGISTER at a time");
        c.on_response(
            t0,
            &respond(
                &first,
                "401 Unauthorized",
                "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"abc\", qop=\"auth\"\r\n",
            ),
        );
        let second = c.poll_request(t0, "z9hG4bK3").unwrap().to_string();
        assert!(second.contains("Authorization: Digest") && second.contains("username=\"acct\""));
        assert!(second.contains("CSeq: 2 REGISTER"));
        let second = Request::try_from(second.as_str()).unwrap();
        c.on_response(t0, &respond(&second, "200 OK", "Contact: <sip:acct@198.51.100.1:5060>;expires=300\r\n"));
        assert_eq!(c.state(), ClientState::Registered { expires: 300 });
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(150)));
        assert!(c.poll_request(t0 + Duration::from_secs(149), "z9hG4bK4").is_none());
        assert!(c.poll_request(t0 + Duration::from_secs(150), "z9hG4bK5").is_some());
    }

    #[test]
    fn wrong_credentials_fail_and_retry_later() {
        let t0 = Instant::now();
        let mut c = client(t0);
        let challenge = "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"abc\"\r\n";
        let r1 = c.poll_request(t0, "z9hG4bK1").unwrap();
        c.on_response(t0, &respond(&r1, "401 Unauthorized", challenge));
        let r2 = c.poll_request(t0, "z9hG4bK2").unwrap();
        c.on_response(t0, &respond(&r2, "401 Unauthorized", challenge));
        assert_eq!(c.state(), ClientState::Failed { status: 401 });
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(30)));
        c.on_timeout(t0);
        assert_eq!(c.state(), ClientState::Failed { status: 408 });
    }
}
