//! `GET /provision/{mac}.cfg` (and `.xml`): the configuration file a desk
//! phone fetches at boot, made from its model's template with its
//! extension's SIP account, the tenant's domain (the digest realm) and the
//! switch's SIP address. The phone proves itself with HTTP Basic
//! credentials of its own (`/api/phones/`); anything else, including an
//! unknown MAC, is 401 with `WWW-Authenticate`, so MACs cannot be probed.

use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use voxide_store::PhoneRow;

use crate::AppState;
use crate::error::ApiError;

/// A family of phones sharing a configuration format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// `key=value` lines any phone or softphone set-up script can read.
    Generic,
    /// Yealink-style `account.1.*` keys in a `.cfg`.
    Yealink,
    /// Polycom-style `reg.1.*` attributes in an `.xml`.
    Polycom,
}

impl Model {
    pub const ALL: [Model; 3] = [Model::Generic, Model::Yealink, Model::Polycom];

    pub fn name(self) -> &'static str {
        match self {
            Model::Generic => "generic",
            Model::Yealink => "yealink",
            Model::Polycom => "polycom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The file name suffix the phone asks for.
    pub fn suffix(self) -> &'static str {
        match self {
            Model::Generic | Model::Yealink => "cfg",
            Model::Polycom => "xml",
        }
    }

    fn template(self) -> &'static str {
        match self {
            Model::Generic => include_str!("provisioning/generic.cfg"),
            Model::Yealink => include_str!("provisioning/yealink.cfg"),
            Model::Polycom => include_str!("provisioning/polycom.xml"),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Model::Generic | Model::Yealink => "text/plain; charset=utf-8",
            Model::Polycom => "application/xml; charset=utf-8",
        }
    }
}

/// Escapes a value for an XML attribute.
fn xml_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Fills `{{name}}` placeholders of `model`'s template with `values`.
pub fn render(model: Model, values: &[(&str, String)]) -> String {
    let mut out = model.template().to_string();
    for (name, value) in values {
        let value = if model == Model::Polycom { xml_escape(value) } else { value.clone() };
        out = out.replace(&format!("{{{{{name}}}}}"), &value);
    }
    out
}

fn challenge() -> Response {
    let body =
        axum::Json(serde_json::json!({ "detail": "Authentication credentials were not provided or are wrong." }));
    (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Basic realm=\"voxide provisioning\", charset=\"UTF-8\"")], body)
        .into_response()
}

/// The user and password of an `Authorization: Basic …` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn authorised(phone: &PhoneRow, user: &str, password: &str) -> bool {
    let user_ok = phone.http_username.as_bytes().ct_eq(user.as_bytes());
    let password_ok = phone.http_password.as_bytes().ct_eq(password.as_bytes());
    bool::from(user_ok & password_ok)
}

pub async fn config(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some((mac, suffix)) = file.rsplit_once('.') else { return Ok(challenge()) };
    let Some((user, password)) = basic_credentials(&headers) else { return Ok(challenge()) };
    let Some(phone) = state.store.phone_by_mac(mac).await? else { return Ok(challenge()) };
    if !authorised(&phone, &user, &password) {
        tracing::info!(mac = %phone.mac, "provisioning request with wrong credentials");
        return Ok(challenge());
    }
    let model = Model::parse(&phone.model).ok_or(ApiError::NotFound)?;
    if model.suffix() != suffix {
        return Err(ApiError::NotFound);
    }
    let Some(ext_id) = phone.extension_id else {
        return Err(ApiError::BadRequest("This phone has no extension; assign one at /api/phones/.".into()));
    };
    let ext = state.store.extension_by_id(Some(phone.tenant_id), ext_id).await?.ok_or(ApiError::NotFound)?;
    let display_name = match state.store.extension_features(ext.id).await? {
        Some(f) if !f.cid_name.is_empty() => f.cid_name,
        _ => ext.sip_username.clone(),
    };
    let values = [
        ("mac", phone.mac.clone()),
        ("sip_username", ext.sip_username.clone()),
        ("sip_password", ext.sip_password.clone()),
        ("display_name", display_name),
        ("domain", ext.domain.clone()),
        ("sip_server", state.sip_addr.ip().to_string()),
        ("sip_port", state.sip_addr.port().to_string()),
    ];
    tracing::info!(mac = %phone.mac, extension = ext.id, "phone provisioned");
    Ok(([(CONTENT_TYPE, model.content_type())], render(model, &values)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Vec<(&'static str, String)> {
        vec![
            ("mac", "001565abcdef".into()),
            ("sip_username", "1001".into()),
            ("sip_password", "p<&>\"'w".into()),
            ("display_name", "Front desk".into()),
            ("domain", "example.com".into()),
            ("sip_server", "192.0.2.10".into()),
            ("sip_port", "5060".into()),
        ]
    }

    #[test]
    fn every_placeholder_of_every_template_is_filled() {
        for model in Model::ALL {
            let out = render(model, &values());
            assert!(!out.contains("{{"), "{model:?} left a placeholder:\n{out}");
            assert!(out.contains("1001") && out.contains("example.com") && out.contains("192.0.2.10"), "{out}");
        }
    }

    #[test]
    fn xml_values_are_escaped_and_cfg_values_are_verbatim() {
        let xml = render(Model::Polycom, &values());
        assert!(xml.contains("reg.1.auth.password=\"p&lt;&amp;&gt;&quot;&apos;w\""), "{xml}");
        let cfg = render(Model::Yealink, &values());
        assert!(cfg.contains("account.1.password = p<&>\"'w\n"), "{cfg}");
        assert!(cfg.contains("account.1.outbound_proxy.1.address = 192.0.2.10\n"), "{cfg}");
    }
}
