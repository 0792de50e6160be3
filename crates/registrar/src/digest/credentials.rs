//! The `Authorization` / `Proxy-Authorization` credentials.

use std::fmt;

use super::params::{Params, quote};
use super::{Algorithm, DigestError, Qop, clip};

/// Digest credentials as carried in an `Authorization` or
/// `Proxy-Authorization` header value.
///
/// Parsing ([`Credentials::parse`]) guarantees that `cnonce` and `nc` are
/// present whenever `qop` is; values built by hand should keep to that, or
/// verification reports them invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name, unescaped.
    pub username: String,
    /// The realm the client believes it is authenticating to.
    pub realm: String,
    /// The server nonce being answered.
    pub nonce: String,
    /// The digest URI (in SIP, normally the Request-URI).
    pub uri: String,
    /// The hex response digest.
    pub response: String,
    /// Hash algorithm; `MD5` when the header omits it (RFC 2617 §3.2.2).
    pub algorithm: Algorithm,
    /// Client nonce; required with `qop`.
    pub cnonce: Option<String>,
    /// Opaque value echoed from the challenge.
    pub opaque: Option<String>,
    /// Quality of protection; absent for RFC 2069 style clients.
    pub qop: Option<Qop>,
    /// Nonce count; required with `qop`.
    pub nc: Option<u32>,
}

impl Credentials {
    /// Parses a header value such as
    /// `Digest username="alice", realm="example.com", nonce="…", uri="sip:example.com", response="…"`.
    ///
    /// Unknown parameters are ignored so that newer clients (RFC 7616
    /// `userhash`, `charset`, …) still parse; a missing required parameter,
    /// a duplicated known one, or an unsupported algorithm or qop gives a
    /// typed error.
    pub fn parse(value: &str) -> Result<Self, DigestError> {
        let params = Params::parse(value)?;
        let algorithm = match params.get("algorithm")? {
            Some(a) => a.parse()?,
            None => Algorithm::Md5,
        };
        let qop = params.get("qop")?.map(str::parse::<Qop>).transpose()?;
        let nc = params.get("nc")?.map(parse_nc).transpose()?;
        let cnonce = params.get("cnonce")?.map(str::to_owned);
        if qop.is_some() {
            if cnonce.is_none() {
                return Err(DigestError::MissingParam("cnonce"));
            }
            if nc.is_none() {
                return Err(DigestError::MissingParam("nc"));
            }
        }
        Ok(Self {
            username: params.require("username")?.to_owned(),
            realm: params.require("realm")?.to_owned(),
            nonce: params.require("nonce")?.to_owned(),
            uri: params.require("uri")?.to_owned(),
            response: params.require("response")?.to_owned(),
            algorithm,
            cnonce,
            opaque: params.get("opaque")?.map(str::to_owned),
            qop,
            nc,
        })
    }

    /// Renders the header value; same as the `Display` output.
    pub fn to_header_value(&self) -> String {
        self.to_string()
    }
}

/// `nc` must be exactly eight hex digits (RFC 2617 `nc-value = 8LHEX`); the
/// digit string is hashed verbatim, so a lenient parse would only turn into
/// a confusing response mismatch later.
fn parse_nc(s: &str) -> Result<u32, DigestError> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DigestError::InvalidNonceCount(clip(s)));
    }
    u32::from_str_radix(s, 16).map_err(|_| DigestError::InvalidNonceCount(clip(s)))
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Digest username={}, realm={}, nonce={}, uri={}, response={}, algorithm={}",
            quote(&self.username),
            quote(&self.realm),
            quote(&self.nonce),
            quote(&self.uri),
            quote(&self.response),
            self.algorithm,
        )?;
        if let Some(cnonce) = &self.cnonce {
            write!(f, ", cnonce={}", quote(cnonce))?;
        }
        if let Some(opaque) = &self.opaque {
            write!(f, ", opaque={}", quote(opaque))?;
        }
        // RFC 2617 sends qop and nc unquoted in credentials; some servers
        // reject the quoted form.
        if let Some(qop) = self.qop {
            write!(f, ", qop={qop}")?;
        }
        if let Some(nc) = self.nc {
            write!(f, ", nc={nc:08x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"Digest username="alice", realm="example.com", nonce="abc", uri="sip:example.com", response="0123", algorithm=SHA-256, cnonce="xyz", opaque="op", qop=auth, nc=0000000a"#;

    #[test]
    fn parses_every_field() {
        let c = Credentials::parse(FULL).unwrap();
        assert_eq!(c.username, "alice");
        assert_eq!(c.realm, "example.com");
        assert_eq!(c.nonce, "abc");
        assert_eq!(c.uri, "sip:example.com");
        assert_eq!(c.response, "0123");
        assert_eq!(c.algorithm, Algorithm::Sha256);
        assert_eq!(c.cnonce.as_deref(), Some("xyz"));
        assert_eq!(c.opaque.as_deref(), Some("op"));
        assert_eq!(c.qop, Some(Qop::Auth));
        assert_eq!(c.nc, Some(10));
    }

    #[test]
    fn display_round_trips() {
        let c = Credentials::parse(FULL).unwrap();
        assert_eq!(Credentials::parse(&c.to_header_value()).unwrap(), c);
        let mut odd = c.clone();
        odd.username = r#"we"ird\name"#.into();
        assert_eq!(Credentials::parse(&odd.to_string()).unwrap(), odd);
    }

    #[test]
    fn defaults_and_quoted_qop() {
        let c = Credentials::parse(
            r#"digest username="a", realm="r", nonce="n", uri="u", response="x", qop="auth", nc=00000001, cnonce="c", userhash=false"#,
        )
        .unwrap();
        assert_eq!(c.algorithm, Algorithm::Md5);
        assert_eq!(c.qop, Some(Qop::Auth));
    }

    #[test]
    fn missing_fields_are_named() {
        let all = [
            ("username", r#"username="a""#),
            ("realm", r#"realm="r""#),
            ("nonce", r#"nonce="n""#),
            ("uri", r#"uri="u""#),
            ("response", r#"response="x""#),
        ];
        for (missing, _) in all {
            let rest: Vec<&str> = all.iter().filter(|(name, _)| *name != missing).map(|(_, p)| *p).collect();
            let value = format!("Digest {}", rest.join(", "));
            assert_eq!(Credentials::parse(&value).unwrap_err(), DigestError::MissingParam(missing));
        }
        let base = r#"Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth"#;
        assert_eq!(
            Credentials::parse(&format!("{base}, nc=00000001")).unwrap_err(),
            DigestError::MissingParam("cnonce")
        );
        assert_eq!(Credentials::parse(&format!(r#"{base}, cnonce="c""#)).unwrap_err(), DigestError::MissingParam("nc"));
    }

    #[test]
    fn rejects_bad_values() {
        let base = r#"Digest username="a", realm="r", nonce="n", uri="u", response="x""#;
        for alg in ["MD5-sess", "SHA-256-sess", "SHA-512-256", "rot13"] {
            assert!(matches!(
                Credentials::parse(&format!("{base}, algorithm={alg}")).unwrap_err(),
                DigestError::UnsupportedAlgorithm(_)
            ));
        }
        assert!(matches!(
            Credentials::parse(&format!("{base}, qop=bogus")).unwrap_err(),
            DigestError::UnsupportedQop(_)
        ));
        for nc in ["1", "000000001", "0000000g", "-0000001"] {
            assert!(matches!(
                Credentials::parse(&format!(r#"{base}, qop=auth, cnonce="c", nc={nc}"#)).unwrap_err(),
                DigestError::InvalidNonceCount(_)
            ));
        }
        assert_eq!(
            Credentials::parse(&format!(r#"{base}, nonce="m""#)).unwrap_err(),
            DigestError::DuplicateParam("nonce")
        );
    }
}
