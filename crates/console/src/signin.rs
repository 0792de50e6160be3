//! Signing in (a user's password or an API token), out, and a
//! super-admin's tenant switch.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rand::RngCore;
use serde::Deserialize;
use voxide_store::NewSession;

use crate::error::ConsoleError;
use crate::layout;
use crate::session::{
    Posted, Session, login_cookie_name, read_cookie, same_origin, same_token, session_cookie_name, set_cookie,
};
use crate::throttle::{ThrottleKey, Verdict};
use crate::{Console, password};

/// Where to go after signing in: a console page, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.contains("//") && !n.contains('\\') => n.to_string(),
        _ => "/console/".to_string(),
    }
}

fn login_page(token: &str, next: &str, username: &str, error: Option<&str>) -> Markup {
    layout::bare(
        "Sign in",
        html! {
            section.signin {
                h1 { "Sign in" }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action="/console/login" {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="next" value=(next);
                    div.field {
                        label for="username" { "Username" }
                        input #username name="username" type="text" autocomplete="username" value=(username);
                    }
                    div.field {
                        label for="password" { "Password" }
                        input #password name="password" type="password" autocomplete="current-password";
                    }
                    p.muted { "or" }
                    div.field {
                        label for="token" { "API token" }
                        input #token name="token" type="password" autocomplete="off";
                    }
                    button #sign-in type="submit" { "Sign in" }
                }
            }
        },
    )
}

fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// `GET /console/login`: the form, with a fresh double-submit token.
pub(crate) async fn form(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = safe_next(q.get("next").map(String::as_str));
    let secure = console.options.cookie_policy.secure(&headers);
    if let Some(secret) = read_cookie(&headers, session_cookie_name(secure)) {
        let now = console.app.store.unix_now();
        if let Ok(Some(_)) = console.app.store.session(&secret, now).await {
            return Redirect::to(&next).into_response();
        }
    }
    let token = random_token();
    let cookie = set_cookie(login_cookie_name(secure), &token, 3600, secure);
    ([(header::SET_COOKIE, cookie)], login_page(&token, &next, "", None)).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    token: String,
}

/// Who proved what: the session to make.
struct Proven {
    user_id: i64,
    token_id: Option<i64>,
    tenant_id: i64,
    is_superadmin: bool,
}

/// `POST /console/login`.
pub(crate) async fn submit(State(console): State<Console>, request: Request) -> Result<Response, ConsoleError> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    if !same_origin(&headers) {
        return Err(ConsoleError::Forbidden("This form was sent from another site."));
    }
    let bytes = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map_err(|_| ConsoleError::BadForm("The form is too large.".into()))?;
    let form: SignInForm =
        serde_urlencoded::from_bytes(&bytes).map_err(|_| ConsoleError::BadForm("The form is unreadable.".into()))?;
    let secure = console.options.cookie_policy.secure(&headers);
    let expected = read_cookie(&headers, login_cookie_name(secure)).unwrap_or_default();
    if !same_token(&form.csrf, &expected) {
        return Err(ConsoleError::Forbidden("This sign-in form has expired; reload the page and try again."));
    }
    let next = safe_next(Some(&form.next));
    let by_token = !form.token.trim().is_empty();
    // Tokens are throttled per address under a name no user can have.
    let key = ThrottleKey::new(if by_token { "\u{0}api-token" } else { &form.username }, peer);
    let refuse = |status: StatusCode, message: &str| {
        (status, login_page(&form.csrf, &next, &form.username, Some(message))).into_response()
    };
    let locked = |retry_after: std::time::Duration| {
        let minutes = retry_after.as_secs().div_ceil(60).max(1);
        let message = format!("Too many failed sign-ins. Try again in {minutes} minute(s).");
        refuse(StatusCode::TOO_MANY_REQUESTS, &message)
    };
    if let Verdict::Locked { retry_after } = lock(&console).check(&key, Instant::now()) {
        tracing::warn!(username = %form.username, peer = %peer, "console sign-in refused: locked out");
        return Ok(locked(retry_after));
    }
    let proven =
        if by_token { by_api_token(&console, &form.token).await? } else { by_password(&console, &form).await? };
    let Some(proven) = proven else {
        tracing::warn!(username = %form.username, peer = %peer, by_token, "console sign-in failed");
        return Ok(match lock(&console).failed(&key, Instant::now()) {
            Verdict::Locked { retry_after } => locked(retry_after),
            Verdict::Allowed => refuse(StatusCode::UNAUTHORIZED, "Wrong username or password, or unknown token."),
        });
    };
    lock(&console).succeeded(&key);
    let store = &console.app.store;
    let now = store.unix_now();
    let lifetime = console.options.session_lifetime.as_secs() as i64;
    let new = NewSession {
        user_id: proven.user_id,
        token_id: proven.token_id,
        tenant_id: proven.tenant_id,
        is_superadmin: proven.is_superadmin,
        lifetime_secs: lifetime,
    };
    let (secret, _) = store.create_session(&new, now).await?;
    if let Err(e) = store.delete_expired_sessions(now).await {
        tracing::warn!(cause = %e, "expired console sessions not swept");
    }
    tracing::info!(user_id = proven.user_id, by_token, peer = %peer, "console sign-in");
    let mut response = Redirect::to(&next).into_response();
    let cookies = response.headers_mut();
    cookies.append(header::SET_COOKIE, set_cookie(session_cookie_name(secure), &secret, lifetime, secure));
    cookies.append(header::SET_COOKIE, set_cookie(login_cookie_name(secure), "gone", 0, secure));
    Ok(response)
}

fn lock(console: &Console) -> std::sync::MutexGuard<'_, crate::Throttle> {
    console.throttle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn by_password(console: &Console, form: &SignInForm) -> Result<Option<Proven>, ConsoleError> {
    let username = form.username.trim();
    let found = if username.is_empty() || username.len() > 150 {
        None
    } else {
        console.app.store.user_credentials(username).await?
    };
    let hash = found.as_ref().and_then(|(_, h)| h.clone());
    let password = form.password.clone();
    // Checked even for an unknown user, so both take as long.
    let ok = tokio::task::spawn_blocking(move || password::verify_password(hash.as_deref(), &password))
        .await
        .unwrap_or(false);
    Ok(match found {
        Some((user, _)) if ok => Some(Proven {
            user_id: user.id,
            token_id: None,
            tenant_id: user.tenant_id,
            is_superadmin: user.is_superadmin,
        }),
        _ => None,
    })
}

/// The same lookup the API's `Authorization: Token …` uses.
async fn by_api_token(console: &Console, token: &str) -> Result<Option<Proven>, ConsoleError> {
    let token = token.trim();
    if token.len() > 256 {
        return Ok(None);
    }
    let scope = console.app.store.token_scope(token).await?;
    Ok(scope.map(|s| Proven {
        user_id: s.user_id,
        token_id: Some(s.token_id),
        tenant_id: s.tenant_id,
        is_superadmin: s.is_superadmin,
    }))
}

/// `POST /console/logout`.
pub(crate) async fn logout(
    State(console): State<Console>,
    headers: HeaderMap,
    _posted: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let secure = console.options.cookie_policy.secure(&headers);
    if let Some(secret) = read_cookie(&headers, session_cookie_name(secure)) {
        console.app.store.delete_session(&secret).await?;
    }
    let mut response = Redirect::to("/console/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(session_cookie_name(secure), "gone", 0, secure));
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(crate) struct TenantForm {
    tenant_id: i64,
}

/// `POST /console/tenant`: a super-admin looks at another tenant.
pub(crate) async fn switch_tenant(
    State(console): State<Console>,
    posted: Posted<TenantForm>,
) -> Result<Response, ConsoleError> {
    let session: &Session = &posted.ctx.session;
    if !session.row.is_superadmin {
        return Err(ConsoleError::Forbidden("Only a super-admin may look at other tenants."));
    }
    let tenant = console.app.store.tenant(posted.form.tenant_id).await?.ok_or(ConsoleError::NotFound)?;
    console.app.store.set_session_tenant(session.row.id, tenant.id).await?;
    Ok(Redirect::to("/console/").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_pages_are_gone_to_after_signing_in() {
        assert_eq!(safe_next(Some("/console/cdrs")), "/console/cdrs");
        for bad in ["https://evil.example/", "//evil.example", "/console//evil", "/api/cdrs", "/console\\x"] {
            assert_eq!(safe_next(Some(bad)), "/console/", "{bad}");
        }
        assert_eq!(safe_next(None), "/console/");
    }
}
