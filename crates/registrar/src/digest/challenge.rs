//! The `WWW-Authenticate` / `Proxy-Authenticate` challenge.

use std::fmt;
use std::time::Instant;

use super::nonce::NonceManager;
use super::params::{Params, quote};
use super::{Algorithm, DigestError, Qop};

/// A digest challenge, as sent in `WWW-Authenticate` (registrar, UAS) or
/// `Proxy-Authenticate` (proxy) — the value syntax is the same for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Protection space; phones show it and hash it into HA1.
    pub realm: String,
    /// Server nonce.
    pub nonce: String,
    /// Value the client must echo back unchanged.
    pub opaque: Option<String>,
    /// Hash algorithm; `MD5` when the header omits it.
    pub algorithm: Algorithm,
    /// Offered quality of protection; `None` means RFC 2069 style.
    pub qop: Option<Qop>,
    /// Set when the previous request failed only because its nonce expired,
    /// telling the client to retry without asking the user again.
    pub stale: bool,
}

impl Challenge {
    /// Parses a challenge header value (client side).
    ///
    /// `qop` is a list in challenges; `auth` is chosen whenever offered, and
    /// `auth-int` is kept only when it is the sole option so the caller gets
    /// a precise error from [`super::authorize`]. Unknown qop tokens and
    /// unknown parameters (`domain`, `charset`, …) are ignored.
    pub fn parse(value: &str) -> Result<Self, DigestError> {
        let params = Params::parse(value)?;
        let algorithm = match params.get("algorithm")? {
            Some(a) => a.parse()?,
            None => Algorithm::Md5,
        };
        let qop = params.get("qop")?.and_then(pick_qop);
        let stale = params.get("stale")?.is_some_and(|s| s.trim().eq_ignore_ascii_case("true"));
        Ok(Self {
            realm: params.require("realm")?.to_owned(),
            nonce: params.require("nonce")?.to_owned(),
            opaque: params.get("opaque")?.map(str::to_owned),
            algorithm,
            qop,
            stale,
        })
    }

    /// Renders the header value; same as the `Display` output.
    pub fn to_header_value(&self) -> String {
        self.to_string()
    }
}

fn pick_qop(list: &str) -> Option<Qop> {
    let offered: Vec<Qop> = list.split(',').filter_map(|t| t.parse::<Qop>().ok()).collect();
    if offered.contains(&Qop::Auth) { Some(Qop::Auth) } else { offered.first().copied() }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest realm={}, nonce={}", quote(&self.realm), quote(&self.nonce))?;
        if let Some(opaque) = &self.opaque {
            write!(f, ", opaque={}", quote(opaque))?;
        }
        write!(f, ", algorithm={}", self.algorithm)?;
        // Unlike in credentials, qop in a challenge is a quoted list.
        if let Some(qop) = self.qop {
            write!(f, ", qop=\"{qop}\"")?;
        }
        if self.stale {
            f.write_str(", stale=true")?;
        }
        Ok(())
    }
}

/// Issues a fresh nonce and returns the two challenge header values to send,
/// SHA-256 first and MD5 second.
///
/// RFC 7616 §3.7 has the server list its preferred algorithm first; sending
/// both keeps MD5-only phones (still the majority) working while letting
/// capable ones use SHA-256. Both share one nonce, whichever the phone picks.
/// Pass `stale = true` when answering a [`super::Verdict::Stale`].
pub fn challenge_values(realm: &str, nonces: &mut NonceManager, now: Instant, stale: bool) -> [String; 2] {
    let nonce = nonces.issue(now);
    let make = |algorithm| {
        Challenge {
            realm: realm.to_owned(),
            nonce: nonce.clone(),
            opaque: Some(nonces.opaque().to_owned()),
            algorithm,
            qop: Some(Qop::Auth),
            stale,
        }
        .to_string()
    };
    [make(Algorithm::Sha256), make(Algorithm::Md5)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::NonceConfig;

    #[test]
    fn renders_expected_shape() {
        let c = Challenge {
            realm: "example.com".into(),
            nonce: "n1".into(),
            opaque: Some("op".into()),
            algorithm: Algorithm::Sha256,
            qop: Some(Qop::Auth),
            stale: false,
        };
        assert_eq!(
            c.to_header_value(),
            r#"Digest realm="example.com", nonce="n1", opaque="op", algorithm=SHA-256, qop="auth""#
        );
        let stale = Challenge { stale: true, ..c };
        assert!(stale.to_string().ends_with(", stale=true"));
        assert_eq!(Challenge::parse(&stale.to_string()).unwrap(), stale);
    }

    #[test]
    fn issues_sha256_then_md5_with_one_nonce() {
        let now = Instant::now();
        let mut nonces = NonceManager::with_secret([3; 32], NonceConfig::default(), now);
        let [first, second] = challenge_values("voxide", &mut nonces, now, true);
        let a = Challenge::parse(&first).unwrap();
        let b = Challenge::parse(&second).unwrap();
        assert_eq!(a.algorithm, Algorithm::Sha256);
        assert_eq!(b.algorithm, Algorithm::Md5);
        assert_eq!(a.nonce, b.nonce);
        assert!(a.stale && b.stale);
        assert_eq!(a.opaque.as_deref(), Some(nonces.opaque()));
        assert_eq!(nonces.len(), 1);
    }

    #[test]
    fn parses_rfc7616_challenge() {
        let value = r#"Digest
            realm="http-auth@example.org",
            qop="auth, auth-int",
            algorithm=SHA-256,
            nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
        let c = Challenge::parse(value).unwrap();
        assert_eq!(c.realm, "http-auth@example.org");
        assert_eq!(c.qop, Some(Qop::Auth));
        assert_eq!(c.algorithm, Algorithm::Sha256);
        assert_eq!(c.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
        assert!(!c.stale);
    }

    #[test]
    fn qop_selection_and_defaults() {
        let c = Challenge::parse(r#"Digest realm="r", nonce="n""#).unwrap();
        assert_eq!((c.algorithm, c.qop, c.opaque), (Algorithm::Md5, None, None));
        let c = Challenge::parse(r#"Digest realm="r", nonce="n", qop="auth-int""#).unwrap();
        assert_eq!(c.qop, Some(Qop::AuthInt));
        let c = Challenge::parse(r#"Digest realm="r", nonce="n", qop="x, auth""#).unwrap();
        assert_eq!(c.qop, Some(Qop::Auth));
        let c = Challenge::parse(r#"Digest realm="r", nonce="n", stale=TRUE"#).unwrap();
        assert!(c.stale);
        assert_eq!(Challenge::parse(r#"Digest nonce="n""#).unwrap_err(), DigestError::MissingParam("realm"));
        assert!(matches!(
            Challenge::parse(r#"Digest realm="r", nonce="n", algorithm=MD5-sess"#),
            Err(DigestError::UnsupportedAlgorithm(_))
        ));
    }
}
