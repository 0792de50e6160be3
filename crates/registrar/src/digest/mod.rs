//! SIP digest authentication (RFC 3261 §22, RFC 2617, RFC 7616).
//!
//! The module is sans-IO: nothing here reads a clock, touches the network or
//! logs on its own. Every time-dependent call takes a monotonic
//! [`std::time::Instant`] supplied by the caller, which keeps the logic
//! deterministic and testable.
//!
//! Server side:
//! 1. [`challenge_values`] issues a nonce from a [`NonceManager`] and renders
//!    the `WWW-Authenticate` / `Proxy-Authenticate` values (SHA-256 first,
//!    then MD5, as RFC 7616 §3.7 asks).
//! 2. [`Credentials::parse`] reads the `Authorization` /
//!    `Proxy-Authorization` value the phone sends back.
//! 3. [`verify`] (or [`verify_unknown_user`] when the user does not exist)
//!    returns a [`Verdict`].
//!
//! Client side (trunk registration, load generation): [`best_challenge`] or
//! [`Challenge::parse`], then [`authorize`] or [`authorization_header`].

mod challenge;
mod client;
mod credentials;
mod nonce;
mod params;
#[cfg(test)]
mod tests;
mod verify;

use std::fmt;
use std::str::FromStr;

use md5::{Digest, Md5};
use sha2::Sha256;

pub use challenge::{Challenge, challenge_values};
pub use client::{authorization_header, authorize, best_challenge, generate_cnonce};
pub use credentials::Credentials;
pub use nonce::{CountCheck, NonceConfig, NonceId, NonceManager, NonceStatus, NonceUse};
pub use verify::{InvalidReason, Verdict, expected_response, verify, verify_unknown_user};

/// Largest header value, in bytes, that the parsers accept.
///
/// Real digest headers are a few hundred bytes; the cap keeps a hostile peer
/// from making us allocate or scan megabytes per request.
pub const MAX_HEADER_LEN: usize = 4096;

/// Digest hash algorithm.
///
/// The `-sess` variants are deliberately unsupported: no SIP phone in the
/// field needs them and they complicate the HA1 storage story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5`, the RFC 2617 default and still what most phones speak.
    Md5,
    /// `SHA-256` from RFC 7616.
    Sha256,
}

impl Algorithm {
    /// The token used on the wire (`MD5` or `SHA-256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Hashes the `:`-joined parts and returns lowercase hex, which is the
    /// `H(a:b:c)` notation used throughout the RFCs.
    pub(crate) fn hash_hex(self, parts: &[&str]) -> String {
        match self {
            Algorithm::Md5 => joined_hex::<Md5>(parts),
            Algorithm::Sha256 => joined_hex::<Sha256>(parts),
        }
    }
}

fn joined_hex<D: Digest>(parts: &[&str]) -> String {
    let mut hasher = D::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b":");
        }
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = DigestError;

    /// Parses the algorithm token case-insensitively, as RFC 7616 tokens are.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("MD5") {
            Ok(Algorithm::Md5)
        } else if s.eq_ignore_ascii_case("SHA-256") {
            Ok(Algorithm::Sha256)
        } else {
            Err(DigestError::UnsupportedAlgorithm(clip(s)))
        }
    }
}

/// Quality of protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: request authentication only.
    Auth,
    /// `auth-int`: also covers the body. Parsed so it can be reported
    /// precisely, but never accepted because the digest layer does not see
    /// message bodies.
    AuthInt,
}

impl Qop {
    /// The token used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Qop {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auth") {
            Ok(Qop::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Ok(Qop::AuthInt)
        } else {
            Err(DigestError::UnsupportedQop(clip(s)))
        }
    }
}

/// Errors from parsing or building digest header values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The header value was empty or only whitespace.
    #[error("header value is empty")]
    Empty,
    /// The header value exceeded [`MAX_HEADER_LEN`].
    #[error("header value is {len} bytes, the limit is {max}")]
    TooLong {
        /// Length of the rejected value.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// The authentication scheme was not `Digest`.
    #[error("authentication scheme is not Digest")]
    NotDigest,
    /// A quoted string had no closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// The parameter list did not follow `name=value, ...` syntax.
    #[error("malformed parameter list at byte {0}")]
    Malformed(usize),
    /// More parameters than any legitimate header carries.
    #[error("more than {0} parameters")]
    TooManyParams(usize),
    /// A parameter the parser relies on appeared twice.
    #[error("parameter `{0}` given more than once")]
    DuplicateParam(&'static str),
    /// A required parameter was absent.
    #[error("required parameter `{0}` is missing")]
    MissingParam(&'static str),
    /// The algorithm is unknown or not supported (including `-sess`).
    #[error("unsupported algorithm `{0}`")]
    UnsupportedAlgorithm(String),
    /// The qop is unknown or not supported.
    #[error("unsupported qop `{0}`")]
    UnsupportedQop(String),
    /// `nc` was not exactly eight hex digits, or was zero when sending.
    #[error("invalid nonce count `{0}`")]
    InvalidNonceCount(String),
    /// A value to be sent contained control characters, which would allow
    /// header injection.
    #[error("value for `{0}` contains control characters")]
    InvalidValue(&'static str),
}

/// Shortens peer-supplied text before it is stored in an error, so that an
/// error (which callers log) never carries kilobytes of attacker data.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((idx, _)) => format!("{}…", &s[..idx]),
        None => s.to_owned(),
    }
}

/// HMAC-SHA256 (RFC 2104) over the concatenation of `parts`.
///
/// Implemented here because the `hmac` release matching `sha2` 0.10 is not
/// otherwise in the dependency graph, and the construction is a few lines.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

#[cfg(test)]
mod primitive_tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya ", b"want for nothing?"]);
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn hmac_hashes_long_keys() {
        // RFC 4231 case 6: 131-byte key, longer than the block size.
        let mac = hmac_sha256(&[0xaa; 131], &[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(hex::encode(mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }
}
