//! The REGISTER procedure (RFC 3261 §10.3): authenticate, then add, refresh
//! or remove bindings, answering with every current contact.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rsip::headers::{self, Header};
use rsip::prelude::*;
use rsip::{Request, Response};
use voxide_sip::values::{header_param, split_list, uri_host, uri_part, uri_user};
use voxide_sip::{Transport, response_to};

use crate::digest::{self, Credentials, NonceConfig, NonceManager, Verdict};
use crate::location::{Binding, BindingChange, Location};
use crate::throttle::Throttle;

/// What digest authentication needs to know about one SIP account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub tenant_id: i64,
    pub extension_id: i64,
    pub password: String,
}

/// Where the registrar finds realms and accounts.
pub trait Accounts {
    /// Whether `realm` is a tenant's domain.
    fn knows_realm(&self, realm: &str) -> bool;
    fn account(&self, realm: &str, username: &str) -> Option<Account>;
}

#[derive(Debug, Clone)]
pub struct RegistrarConfig {
    /// Realm used when the Request-URI names no domain we serve (phones
    /// registering to an IP address).
    pub default_realm: String,
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    pub nonce_lifetime: Duration,
    pub auth_failure_limit: u32,
    pub auth_failure_window: Duration,
    /// Offer the SHA-256 challenge before the MD5 one. Both are always
    /// offered; many phones (and SIPp) only read the first, and most of
    /// them only know MD5, so MD5 comes first unless this is set.
    pub prefer_sha256: bool,
    /// Offer the SHA-256 challenge at all. Some user agents (those built on
    /// libre before 2.x, such as baresip 1.0) give up on the whole 401 when
    /// any challenge names an algorithm they do not know, instead of
    /// answering the MD5 one; they need this off.
    pub offer_sha256: bool,
}

/// Who a request proved to be.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub account: Account,
    pub username: String,
    pub realm: String,
}

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub source: SocketAddr,
    pub transport: Transport,
}

/// The answer to one REGISTER.
#[derive(Debug)]
pub struct RegisterOutcome {
    pub response: Response,
    /// True when the request authenticated (for counters).
    pub authenticated: bool,
    /// Set when authentication failed, with why (for logs only; the phone
    /// sees the same answer for unknown users and wrong passwords).
    pub auth_failure: Option<String>,
    /// True when the source is being throttled.
    pub throttled: bool,
}

pub struct Registrar {
    config: RegistrarConfig,
    nonces: NonceManager,
    throttle: Throttle,
    location: Location,
    changes: Vec<BindingChange>,
}

impl Registrar {
    pub fn new(config: RegistrarConfig, now: Instant) -> Self {
        let nonces = NonceManager::new(NonceConfig { lifetime: config.nonce_lifetime, ..NonceConfig::default() }, now);
        let throttle = Throttle::new(config.auth_failure_limit, config.auth_failure_window);
        Self { config, nonces, throttle, location: Location::default(), changes: Vec::new() }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Restores bindings loaded from the store at start-up.
    pub fn restore(&mut self, bindings: impl IntoIterator<Item = Binding>) {
        for b in bindings {
            self.location.restore(b);
        }
    }

    /// Drains binding changes to persist, in order.
    pub fn poll_change(&mut self) -> Option<BindingChange> {
        if self.changes.is_empty() { None } else { Some(self.changes.remove(0)) }
    }

    /// Drops every binding of `aor` (its extension was deleted).
    pub fn drop_aor(&mut self, aor: &str) {
        for contact in self.location.remove_aor(aor) {
            self.changes.push(BindingChange::Removed { aor: aor.to_string(), contact });
        }
    }

    /// Periodic housekeeping: expired bindings, nonces, throttle windows.
    pub fn handle_timeout(&mut self, now: Instant, unix_now: i64) {
        for (aor, contact) in self.location.purge(unix_now) {
            self.changes.push(BindingChange::Removed { aor, contact });
        }
        self.nonces.purge(now);
        self.throttle.purge(now);
    }

    /// Digest-authenticates `req` (RFC 3261 §22): REGISTER with
    /// `Authorization`/401, anything else (INVITE) with
    /// `Proxy-Authorization`/407. On failure the returned outcome holds the
    /// challenge or refusal to send.
    pub fn authenticate(
        &mut self,
        now: Instant,
        req: &Request,
        origin: Origin,
        accounts: &impl Accounts,
        to_tag: &str,
    ) -> Result<Authenticated, RegisterOutcome> {
        let proxy = req.method != rsip::Method::Register;
        let mut outcome = RegisterOutcome {
            response: response_to(req, 500, to_tag),
            authenticated: false,
            auth_failure: None,
            throttled: false,
        };
        let reply = |status: u16| response_to(req, status, to_tag);
        let challenge_status = if proxy { 407 } else { 401 };
        let realm = uri_host(&req.uri.to_string())
            .filter(|h| accounts.knows_realm(h))
            .or_else(|| {
                let from = req.from_header().map(|f| f.value().to_string()).unwrap_or_default();
                uri_host(uri_part(&from)).filter(|h| accounts.knows_realm(h))
            })
            .unwrap_or_else(|| self.config.default_realm.clone());
        if self.throttle.is_blocked(origin.source.ip(), now) {
            outcome.throttled = true;
            outcome.response = with_warning(reply(403), "too many failed authentication attempts");
            return Err(outcome);
        }
        let auth = req.headers.iter().find_map(|h| match h {
            Header::Authorization(a) if !proxy => Some(a.value().to_string()),
            Header::ProxyAuthorization(a) if proxy => Some(a.value().to_string()),
            _ => None,
        });
        let Some(auth) = auth else {
            outcome.response = self.challenge(reply(challenge_status), &realm, now, false, proxy);
            return Err(outcome);
        };
        let creds = match Credentials::parse(&auth) {
            Ok(c) => c,
            Err(e) => {
                outcome.response = with_warning(reply(400), &format!("bad authorization header: {e}"));
                return Err(outcome);
            }
        };
        let method = req.method.to_string();
        let account = accounts.account(&realm, &creds.username);
        let verdict = match &account {
            Some(a) => digest::verify(&mut self.nonces, &realm, &creds, &method, &a.password, now),
            None => digest::verify_unknown_user(&self.nonces, &realm, &creds, &method, now),
        };
        match (verdict, account) {
            (Verdict::Ok, Some(account)) => {
                self.throttle.succeeded(origin.source.ip());
                Ok(Authenticated { account, username: creds.username, realm })
            }
            (Verdict::Stale, _) => {
                outcome.response = self.challenge(reply(challenge_status), &realm, now, true, proxy);
                Err(outcome)
            }
            (Verdict::Invalid(reason), _) => {
                self.throttle.failed(origin.source.ip(), now);
                outcome.auth_failure = Some(format!("{reason} (user {:?}, realm {realm})", creds.username));
                outcome.response = self.challenge(reply(challenge_status), &realm, now, false, proxy);
                Err(outcome)
            }
            (Verdict::Ok, None) => Err(outcome),
        }
    }

    /// Handles one REGISTER that arrived from `origin`.
    pub fn handle_register(
        &mut self,
        now: Instant,
        unix_now: i64,
        req: &Request,
        origin: Origin,
        accounts: &impl Accounts,
        to_tag: &str,
    ) -> RegisterOutcome {
        let auth = match self.authenticate(now, req, origin, accounts, to_tag) {
            Ok(a) => a,
            Err(outcome) => return outcome,
        };
        let reply = |status: u16| response_to(req, status, to_tag);
        let mut outcome =
            RegisterOutcome { response: reply(200), authenticated: true, auth_failure: None, throttled: false };
        let to_value = req.to_header().map(|t| t.value().to_string()).unwrap_or_default();
        let aor_user = uri_user(uri_part(&to_value)).unwrap_or("").to_string();
        if aor_user != auth.username {
            outcome.response = with_warning(reply(403), "To user does not match the authenticated user");
            return outcome;
        }
        let aor = format!("sip:{aor_user}@{}", auth.realm);
        outcome.response =
            self.update_bindings(req, &aor, &auth.account, unix_now, origin.source, origin.transport, reply(200));
        outcome
    }

    fn challenge(&mut self, mut resp: Response, realm: &str, now: Instant, stale: bool, proxy: bool) -> Response {
        let [sha256, md5] = digest::challenge_values(realm, &mut self.nonces, now, stale);
        let values = match (self.config.offer_sha256, self.config.prefer_sha256) {
            (false, _) => vec![md5],
            (true, true) => vec![sha256, md5],
            (true, false) => vec![md5, sha256],
        };
        for value in values {
            let header = if proxy {
                Header::ProxyAuthenticate(headers::ProxyAuthenticate::new(value))
            } else {
                Header::WwwAuthenticate(headers::WwwAuthenticate::new(value))
            };
            voxide_sip::response::add_header(&mut resp, header);
        }
        resp
    }

    #[allow(clippy::too_many_arguments)]
    fn update_bindings(
        &mut self,
        req: &Request,
        aor: &str,
        account: &Account,
        unix_now: i64,
        source: SocketAddr,
        transport: Transport,
        ok: Response,
    ) -> Response {
        let cfg = &self.config;
        let call_id = req.call_id_header().map(|c| c.value().to_string()).unwrap_or_default();
        let cseq = req.cseq_header().ok().and_then(|c| c.typed().ok()).map_or(0, |c| c.seq);
        let header_expires = req.headers.iter().find_map(|h| match h {
            Header::Expires(e) => Some(e.value().trim().parse::<u32>().ok()),
            _ => None,
        });
        let header_expires = match header_expires {
            Some(None) => return with_warning(response_like(&ok, 400), "malformed Expires"),
            Some(Some(e)) => Some(e),
            None => None,
        };
        let contacts: Vec<String> = req
            .headers
            .iter()
            .filter_map(|h| match h {
                Header::Contact(c) => Some(c.value().to_string()),
                _ => None,
            })
            .flat_map(|v| split_list(&v).into_iter().map(str::to_string).collect::<Vec<_>>())
            .collect();
        let user_agent = req
            .headers
            .iter()
            .find_map(|h| match h {
                Header::UserAgent(u) => Some(u.value().to_string()),
                _ => None,
            })
            .unwrap_or_default();
        let path: Vec<String> = req
            .headers
            .iter()
            .filter_map(|h| match h {
                Header::Other(name, value) if name.eq_ignore_ascii_case("path") => Some(value.clone()),
                _ => None,
            })
            .flat_map(|v| split_list(&v).into_iter().map(str::to_string).collect::<Vec<_>>())
            .collect();

        if contacts.iter().any(|c| c.trim() == "*") {
            // §10.3 step 6: "*" only alone and only with Expires: 0.
            if contacts.len() != 1 || header_expires != Some(0) {
                return with_warning(response_like(&ok, 400), "Contact: * needs Expires: 0 and no other contacts");
            }
            for b in self.location.all_of(aor).to_vec() {
                if b.call_id == call_id && cseq <= b.cseq {
                    continue;
                }
                self.location.remove(aor, &b.contact);
                self.changes.push(BindingChange::Removed { aor: aor.to_string(), contact: b.contact });
            }
            return self.list_contacts(ok, aor, unix_now, &path);
        }

        // Validate every contact before changing anything.
        let mut planned = Vec::with_capacity(contacts.len());
        for c in &contacts {
            let uri = uri_part(c).to_string();
            if !(uri.starts_with("sip:") || uri.starts_with("sips:")) {
                return with_warning(response_like(&ok, 400), "Contact is not a SIP URI");
            }
            let expires = match header_param(c, "expires") {
                Some(v) => match v.parse::<u32>() {
                    Ok(e) => e,
                    Err(_) => return with_warning(response_like(&ok, 400), "malformed expires parameter"),
                },
                None => header_expires.unwrap_or(cfg.default_expires),
            };
            if expires != 0 && expires < cfg.min_expires {
                let mut resp = response_like(&ok, 423);
                voxide_sip::response::add_header(
                    &mut resp,
                    Header::MinExpires(headers::MinExpires::new(cfg.min_expires.to_string())),
                );
                return resp;
            }
            let q = match header_param(c, "q") {
                Some(v) => match v.parse::<f32>() {
                    Ok(q) if (0.0..=1.0).contains(&q) => q,
                    _ => return with_warning(response_like(&ok, 400), "q must lie between 0 and 1"),
                },
                None => 1.0,
            };
            if let Some(existing) = self.location.find(aor, &uri)
                && existing.call_id == call_id
                && cseq <= existing.cseq
            {
                return with_warning(response_like(&ok, 500), "out-of-order REGISTER (CSeq not higher)");
            }
            planned.push((uri, expires.min(cfg.max_expires), q));
        }
        for (uri, expires, q) in planned {
            if expires == 0 {
                if self.location.remove(aor, &uri) {
                    self.changes.push(BindingChange::Removed { aor: aor.to_string(), contact: uri });
                }
                continue;
            }
            let binding = Binding {
                tenant_id: account.tenant_id,
                extension_id: account.extension_id,
                aor: aor.to_string(),
                contact: uri,
                q,
                call_id: call_id.clone(),
                cseq,
                expires_at: unix_now + i64::from(expires),
                source,
                transport,
                user_agent: user_agent.clone(),
                path: path.clone(),
            };
            self.location.save(binding.clone());
            self.changes.push(BindingChange::Saved(binding));
        }
        self.list_contacts(ok, aor, unix_now, &path)
    }

    /// The 200 lists every current contact with its remaining expiry.
    fn list_contacts(&self, mut ok: Response, aor: &str, unix_now: i64, path: &[String]) -> Response {
        for b in self.location.lookup(aor, unix_now) {
            let value = format!("<{}>;expires={}", b.contact, b.expires_at - unix_now);
            voxide_sip::response::add_header(&mut ok, Header::Contact(headers::Contact::new(value)));
        }
        if !path.is_empty() {
            voxide_sip::response::add_header(&mut ok, Header::Other("Path".into(), path.join(", ")));
        }
        voxide_sip::response::add_header(&mut ok, Header::Date(headers::Date::new(httpdate(unix_now))));
        ok
    }
}

/// Same dialog headers as `ok`, another status.
fn response_like(ok: &Response, status: u16) -> Response {
    let mut r = ok.clone();
    r.status_code = rsip::StatusCode::from(status);
    r
}

fn with_warning(mut resp: Response, text: &str) -> Response {
    let value = format!("399 voxide \"{}\"", text.replace('"', "'"));
    voxide_sip::response::add_header(&mut resp, Header::Warning(headers::Warning::new(value)));
    resp
}

/// RFC 1123 date, as SIP's Date header wants.
fn httpdate(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests;
