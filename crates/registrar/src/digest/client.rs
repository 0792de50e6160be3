//! Client side: answering a challenge.
//!
//! The switch registers to upstream SIP trunks, and the load generator acts
//! as thousands of phones; both answer 401/407 challenges with this code.

use super::params::is_clean;
use super::{Algorithm, Challenge, Credentials, DigestError, Qop, expected_response};

/// Picks the strongest usable challenge among several header values (a
/// server may send one `WWW-Authenticate` per algorithm).
///
/// SHA-256 wins over MD5; among equals the first listed wins, honouring the
/// server's order. Values that fail to parse are skipped; if none parses,
/// the first error is returned ([`DigestError::Empty`] for no input).
pub fn best_challenge<'a, I>(values: I) -> Result<Challenge, DigestError>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<Challenge> = None;
    let mut first_err = None;
    for value in values {
        match Challenge::parse(value) {
            Ok(c) => {
                let better = match &best {
                    None => true,
                    Some(b) => rank(&c) > rank(b),
                };
                if better {
                    best = Some(c);
                }
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    best.ok_or_else(|| first_err.unwrap_or(DigestError::Empty))
}

fn rank(c: &Challenge) -> u8 {
    // A challenge we cannot answer (auth-int only) ranks below all others.
    let usable = u8::from(c.qop != Some(Qop::AuthInt)) * 2;
    usable
        + match c.algorithm {
            Algorithm::Sha256 => 1,
            Algorithm::Md5 => 0,
        }
}

/// Builds credentials answering `challenge`.
///
/// `nc` is the count of requests this client has sent with this nonce
/// (starting at 1) and `cnonce` a client nonce such as one from
/// [`generate_cnonce`]; both are ignored when the challenge offers no qop.
/// Values containing control characters are refused rather than sent, as
/// they could inject header lines.
pub fn authorize(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    nc: u32,
    cnonce: &str,
) -> Result<Credentials, DigestError> {
    for (name, value) in [("username", username), ("method", method), ("uri", uri), ("cnonce", cnonce)] {
        if !is_clean(value) {
            return Err(DigestError::InvalidValue(name));
        }
    }
    let (qop, nc, cnonce) = match challenge.qop {
        None => (None, None, None),
        Some(Qop::AuthInt) => return Err(DigestError::UnsupportedQop(Qop::AuthInt.to_string())),
        Some(Qop::Auth) => {
            if nc == 0 {
                return Err(DigestError::InvalidNonceCount(format!("{nc:08x}")));
            }
            if cnonce.is_empty() {
                return Err(DigestError::MissingParam("cnonce"));
            }
            (Some(Qop::Auth), Some(nc), Some(cnonce.to_owned()))
        }
    };
    let mut creds = Credentials {
        username: username.to_owned(),
        realm: challenge.realm.clone(),
        nonce: challenge.nonce.clone(),
        uri: uri.to_owned(),
        response: String::new(),
        algorithm: challenge.algorithm,
        cnonce,
        opaque: challenge.opaque.clone(),
        qop,
        nc,
    };
    creds.response = expected_response(&creds, method, password);
    Ok(creds)
}

/// Parses one challenge header value and returns the `Authorization` /
/// `Proxy-Authorization` header value answering it.
///
/// See [`authorize`] for the meaning of `nc` and `cnonce`.
pub fn authorization_header(
    challenge_value: &str,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    nc: u32,
    cnonce: &str,
) -> Result<String, DigestError> {
    let challenge = Challenge::parse(challenge_value)?;
    authorize(&challenge, username, password, method, uri, nc, cnonce).map(|c| c.to_string())
}

/// Returns a random 128-bit client nonce as 32 hex characters.
pub fn generate_cnonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5: &str = r#"Digest realm="r", nonce="n", algorithm=MD5, qop="auth""#;
    const SHA: &str = r#"Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth""#;
    const INT: &str = r#"Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth-int""#;

    #[test]
    fn prefers_sha256_and_skips_garbage() {
        assert_eq!(best_challenge([MD5, SHA]).unwrap().algorithm, Algorithm::Sha256);
        assert_eq!(best_challenge(["Basic x", MD5]).unwrap().algorithm, Algorithm::Md5);
        assert_eq!(best_challenge([INT, MD5]).unwrap().algorithm, Algorithm::Md5);
        assert_eq!(best_challenge(["Basic x"]).unwrap_err(), DigestError::NotDigest);
        assert_eq!(best_challenge(std::iter::empty()).unwrap_err(), DigestError::Empty);
    }

    #[test]
    fn refuses_unusable_input() {
        let c = Challenge::parse(SHA).unwrap();
        assert_eq!(
            authorize(&c, "a\r\nX: y", "p", "REGISTER", "sip:r", 1, "c").unwrap_err(),
            DigestError::InvalidValue("username")
        );
        assert!(matches!(
            authorize(&c, "a", "p", "REGISTER", "sip:r", 0, "c").unwrap_err(),
            DigestError::InvalidNonceCount(_)
        ));
        assert_eq!(
            authorize(&c, "a", "p", "REGISTER", "sip:r", 1, "").unwrap_err(),
            DigestError::MissingParam("cnonce")
        );
        assert!(matches!(
            authorization_header(INT, "a", "p", "REGISTER", "sip:r", 1, "c").unwrap_err(),
            DigestError::UnsupportedQop(_)
        ));
    }

    #[test]
    fn no_qop_challenge_yields_rfc2069_credentials() {
        let value = r#"Digest realm="r", nonce="n""#;
        let header = authorization_header(value, "a", "p", "INVITE", "sip:b@r", 7, "c").unwrap();
        let creds = Credentials::parse(&header).unwrap();
        assert_eq!((creds.qop, creds.nc, creds.cnonce), (None, None, None));
        assert_eq!(creds.algorithm, Algorithm::Md5);
    }

    #[test]
    fn cnonces_are_random_hex() {
        let a = generate_cnonce();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, generate_cnonce());
    }
}
