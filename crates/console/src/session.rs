//! Sessions: the cookie, the signed-in extractor, and the CSRF checks.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use voxide_api::Caller;
use voxide_store::{SessionRow, TenantRow, TokenScope};

use crate::Console;
use crate::error::ConsoleError;

/// The session cookie's name when it is `Secure` (the `__Host-` prefix
/// makes browsers refuse it unless it is Secure, host-only, `Path=/`).
const SECURE_COOKIE: &str = "__Host-voxide_session";
/// Its name when the console is reached over plain HTTP on loopback.
const PLAIN_COOKIE: &str = "voxide_session";
/// The sign-in form's double-submit token (there is no session yet).
const LOGIN_COOKIE_SECURE: &str = "__Host-voxide_login";
const LOGIN_COOKIE_PLAIN: &str = "voxide_login";
/// The largest form body accepted.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// When session cookies carry the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CookiePolicy {
    /// Always: the console must be reached over HTTPS (a TLS proxy in front).
    Always,
    /// Secure unless the request names a loopback host (`localhost`,
    /// `127.0.0.0/8`, `[::1]`) and was not forwarded as HTTPS: a browser on
    /// the switch's own machine can use the plain-HTTP listener, anyone
    /// else needs TLS in front, or the browser will not send the cookie.
    #[default]
    Auto,
}

impl CookiePolicy {
    pub(crate) fn secure(self, headers: &HeaderMap) -> bool {
        match self {
            CookiePolicy::Always => true,
            CookiePolicy::Auto => {
                let forwarded_https = headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
                let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
                forwarded_https || !is_loopback_host(host)
            }
        }
    }
}

/// Whether a `Host` header value names this machine's loopback.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn session_cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { PLAIN_COOKIE }
}

pub(crate) fn login_cookie_name(secure: bool) -> &'static str {
    if secure { LOGIN_COOKIE_SECURE } else { LOGIN_COOKIE_PLAIN }
}

/// A `Set-Cookie` value; `max_age` 0 removes the cookie.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The value of cookie `name`, if the request carries it.
pub(crate) fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

/// Constant-time comparison of two tokens (their lengths are not secret).
pub(crate) fn same_token(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Whether a state-changing request comes from the console's own pages:
/// browsers say where a request comes from (`Sec-Fetch-Site`, `Origin`,
/// `Referer`); when none of them is there the CSRF token alone decides.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(host) = text("host") else { return true };
    let authority = |url: &str| {
        let rest = url.split_once("://").map(|(_, r)| r)?;
        Some(rest.split(['/', '?', '#']).next().unwrap_or("").to_string())
    };
    if let Some(origin) = text("origin") {
        return authority(origin).is_some_and(|a| a.eq_ignore_ascii_case(host));
    }
    if let Some(referer) = text("referer") {
        return authority(referer).is_some_and(|a| a.eq_ignore_ascii_case(host));
    }
    true
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub row: SessionRow,
}

impl Session {
    /// The API caller the session acts as: always one tenant — the one
    /// being looked at — even for a super-admin, so every list and every
    /// id lookup is that tenant's alone.
    pub fn caller(&self) -> Caller {
        Caller(TokenScope {
            token_id: self.row.token_id.unwrap_or(0),
            tenant_id: self.row.tenant_id,
            user_id: self.row.user_id,
            is_superadmin: false,
        })
    }

    pub fn tenant_id(&self) -> i64 {
        self.row.tenant_id
    }
}

impl FromRequestParts<Console> for Session {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Self::Rejection> {
        let secure = console.options.cookie_policy.secure(&parts.headers);
        let sign_in = || {
            let next = if parts.method == Method::GET { parts.uri.path().to_string() } else { "/console".into() };
            ConsoleError::SignIn { next }
        };
        let Some(secret) = read_cookie(&parts.headers, session_cookie_name(secure)) else { return Err(sign_in()) };
        if secret.len() != 64 {
            return Err(sign_in());
        }
        let now = console.app.store.unix_now();
        match console.app.store.session(&secret, now).await? {
            Some(row) => Ok(Session { row }),
            None => Err(sign_in()),
        }
    }
}

/// A signed-in page's context: the session and what the header shows.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub session: Session,
    pub username: String,
    pub tenant: TenantRow,
    /// Every tenant, for a super-admin's switcher; empty for others.
    pub tenants: Vec<TenantRow>,
}

impl Ctx {
    pub async fn load(session: Session, console: &Console) -> Result<Ctx, ConsoleError> {
        let store = &console.app.store;
        let username = store.user(session.row.user_id).await?.map(|u| u.username).unwrap_or_default();
        let tenant = store.tenant(session.row.tenant_id).await?.ok_or(ConsoleError::NotFound)?;
        let tenants = if session.row.is_superadmin { store.tenants().await? } else { Vec::new() };
        Ok(Ctx { session, username, tenant, tenants })
    }

    pub fn csrf(&self) -> &str {
        &self.session.row.csrf_token
    }

    pub fn caller(&self) -> Caller {
        self.session.caller()
    }
}

impl FromRequestParts<Console> for Ctx {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, console).await?;
        Ctx::load(session, console).await
    }
}

/// A form POSTed by a signed-in browser from the console's own page,
/// carrying the session's CSRF token; anything else is refused (403)
/// before the handler runs.
pub(crate) struct Posted<T> {
    pub ctx: Ctx,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<Console> for Posted<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, console: &Console) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, console).await?;
        if !same_origin(&parts.headers) {
            return Err(ConsoleError::Forbidden("This form was sent from another site."));
        }
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| ConsoleError::BadForm("The form is too large.".into()))?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| ConsoleError::BadForm("The form is unreadable.".into()))?;
        let csrf = fields.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str());
        if !same_token(csrf, &session.row.csrf_token) {
            return Err(ConsoleError::Forbidden("This form has expired or was not sent from the console."));
        }
        let ctx = Ctx::load(session, console).await?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| ConsoleError::BadForm(e.to_string()))?;
        Ok(Posted { ctx, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cookies_are_secure_unless_served_plainly_to_loopback() {
        let auto = CookiePolicy::Auto;
        for host in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "127.0.0.2", "LOCALHOST"] {
            assert!(!auto.secure(&headers(&[("host", host)])), "{host}");
        }
        for host in ["voxide.example.com", "10.0.0.5:8080", "[2001:db8::1]:443", "localhost.evil.example", ""] {
            assert!(auto.secure(&headers(&[("host", host)])), "{host}");
        }
        assert!(auto.secure(&headers(&[("host", "127.0.0.1:8080"), ("x-forwarded-proto", "https")])));
        assert!(CookiePolicy::Always.secure(&headers(&[("host", "127.0.0.1:8080")])));
    }

    #[test]
    fn a_session_cookie_is_http_only_and_strict() {
        let c = set_cookie(session_cookie_name(true), "abc", 60, true);
        assert_eq!(c, "__Host-voxide_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure");
        let plain = set_cookie(session_cookie_name(false), "abc", 0, false);
        assert_eq!(plain, "voxide_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let h = headers(&[("cookie", "a=1; voxide_session_x=2"), ("cookie", "voxide_session=3; b=4")]);
        assert_eq!(read_cookie(&h, "voxide_session").as_deref(), Some("3"));
        assert_eq!(read_cookie(&h, "b").as_deref(), Some("4"));
        assert_eq!(read_cookie(&h, "c"), None);
    }

    #[test]
    fn tokens_must_match_exactly() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abce", "abcd"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", ""), "an empty expected token never matches");
    }

    #[test]
    fn cross_site_posts_are_told_apart() {
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&headers(&[host, ("origin", "http://127.0.0.1:8080")])));
        assert!(same_origin(&headers(&[host, ("referer", "http://127.0.0.1:8080/console/x?y")])));
        assert!(same_origin(&headers(&[host])), "no browser hints: the CSRF token decides");
        assert!(!same_origin(&headers(&[host, ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!same_origin(&headers(&[host, ("referer", "https://evil.example/127.0.0.1:8080")])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")])));
    }
}
