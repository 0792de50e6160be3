//! Server-side verification of digest credentials.
//!
//! The caller is expected to send the same 401/403 for every
//! [`Verdict::Invalid`] reason and only log the reason: telling "unknown
//! user" from "wrong password" on the wire (or through timing) would let a
//! scanner enumerate accounts. [`verify_unknown_user`] exists for that timing
//! half.

use std::time::Instant;

use subtle::ConstantTimeEq;

use super::nonce::{CountCheck, NonceId, NonceManager, NonceStatus, NonceUse};
use super::{Credentials, Qop};

/// Result of verifying credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Verdict {
    /// The credentials are good; the request is authenticated.
    Ok,
    /// The response was right for an authentic nonce that has expired (or
    /// is no longer tracked): challenge again with `stale=true`.
    Stale,
    /// Rejected; challenge again (or refuse) without revealing why.
    Invalid(InvalidReason),
}

/// Why credentials were rejected; for logs and metrics only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidReason {
    /// The response digest did not match (normally a wrong password).
    #[error("response digest mismatch")]
    BadResponse,
    /// The nonce was not issued by this server (forged, tampered, foreign).
    #[error("unknown or forged nonce")]
    UnknownNonce,
    /// The nonce count was not above the last one accepted for the nonce.
    #[error("replayed nonce count")]
    ReplayedNonceCount,
    /// The credentials name a realm other than ours.
    #[error("realm mismatch")]
    RealmMismatch,
    /// The opaque value is not the one this server issued.
    #[error("opaque mismatch")]
    OpaqueMismatch,
    /// `auth-int` (or another qop we did not offer) was used.
    #[error("unsupported qop")]
    UnsupportedQop,
    /// `qop` was given without `nc` or `cnonce`.
    #[error("qop given without nc or cnonce")]
    MissingQopParams,
    /// The user does not exist (reported by [`verify_unknown_user`]).
    #[error("unknown user")]
    UnknownUser,
}

/// Password hashed for unknown users. Its value is irrelevant; it only has
/// to cost the same as a real one, which holds for any short string since
/// HA1 input stays within the same number of hash blocks.
const DUMMY_PASSWORD: &str = "voxide-dummy-password";

/// Computes the response digest the client should have sent, as lowercase
/// hex:
///
/// - HA1 = H(username:realm:password)
/// - HA2 = H(method:uri)
/// - with qop: H(HA1:nonce:nc:cnonce:qop:HA2)
/// - without (RFC 2069): H(HA1:nonce:HA2)
///
/// Used by both the server (to check) and the client (to answer). A missing
/// `nc` or `cnonce` under qop hashes as zero / empty, which simply produces a
/// response that will not match.
pub fn expected_response(creds: &Credentials, method: &str, password: &str) -> String {
    let alg = creds.algorithm;
    let ha1 = alg.hash_hex(&[&creds.username, &creds.realm, password]);
    let ha2 = alg.hash_hex(&[method, &creds.uri]);
    match creds.qop {
        Some(qop) => {
            let nc = format!("{:08x}", creds.nc.unwrap_or(0));
            let cnonce = creds.cnonce.as_deref().unwrap_or("");
            alg.hash_hex(&[&ha1, &creds.nonce, &nc, cnonce, qop.as_str(), &ha2])
        }
        None => alg.hash_hex(&[&ha1, &creds.nonce, &ha2]),
    }
}

/// Verifies `creds` for a request with `method`, given the user's
/// plaintext `password` and our `realm`.
///
/// On success the nonce count is recorded, so the same `nc` is refused next
/// time. Counters are only recorded after the response checks out, so a
/// forger cannot burn them and lock out the genuine client.
pub fn verify(
    nonces: &mut NonceManager,
    realm: &str,
    creds: &Credentials,
    method: &str,
    password: &str,
    now: Instant,
) -> Verdict {
    let (id, usage) = match precheck(nonces, realm, creds, method, password, now) {
        Err(reason) => return Verdict::Invalid(reason),
        Ok(Fresh::Stale) => return Verdict::Stale,
        Ok(Fresh::Yes(id, usage)) => (id, usage),
    };
    match nonces.record_count(id, usage) {
        CountCheck::Accepted => Verdict::Ok,
        CountCheck::Replayed => Verdict::Invalid(InvalidReason::ReplayedNonceCount),
        CountCheck::Untracked => Verdict::Stale,
    }
}

/// Performs the same work as [`verify`] for a user that does not exist, so
/// the answer takes as long as a wrong password would, and reports
/// [`InvalidReason::UnknownUser`].
///
/// Checks that do not depend on the user (realm, opaque, nonce) still report
/// their own reason, exactly as [`verify`] would for a real user.
pub fn verify_unknown_user(
    nonces: &NonceManager,
    realm: &str,
    creds: &Credentials,
    method: &str,
    now: Instant,
) -> Verdict {
    match precheck(nonces, realm, creds, method, DUMMY_PASSWORD, now) {
        Err(InvalidReason::BadResponse) => {}
        Err(reason) => return Verdict::Invalid(reason),
        // A dummy password matching is astronomically unlikely; if it
        // happens, the user still does not exist.
        Ok(Fresh::Stale) => {}
        Ok(Fresh::Yes(id, usage)) => {
            // Mirror the table lookup of the real path, without recording.
            let _ = nonces.check_count(id, usage);
        }
    }
    Verdict::Invalid(InvalidReason::UnknownUser)
}

enum Fresh {
    Yes(NonceId, NonceUse),
    Stale,
}

/// Every check except the replay bookkeeping, which needs `&mut`.
fn precheck(
    nonces: &NonceManager,
    realm: &str,
    creds: &Credentials,
    method: &str,
    password: &str,
    now: Instant,
) -> Result<Fresh, InvalidReason> {
    let usage = match (creds.qop, creds.nc, creds.cnonce.as_deref()) {
        (None, _, _) => NonceUse::Single,
        (Some(Qop::Auth), Some(nc), Some(_)) => NonceUse::Count(nc),
        (Some(Qop::Auth), _, _) => return Err(InvalidReason::MissingQopParams),
        (Some(Qop::AuthInt), _, _) => return Err(InvalidReason::UnsupportedQop),
    };
    // Realm and nonce are not secret, so plain comparisons are fine here.
    if creds.realm != realm {
        return Err(InvalidReason::RealmMismatch);
    }
    if creds.opaque.as_deref().is_some_and(|o| o != nonces.opaque()) {
        return Err(InvalidReason::OpaqueMismatch);
    }
    let id = match nonces.check(&creds.nonce, now) {
        NonceStatus::Forged => return Err(InvalidReason::UnknownNonce),
        NonceStatus::Expired => None,
        NonceStatus::Valid(id) => Some(id),
    };
    // The response is hashed even for an expired nonce: RFC 2617 only allows
    // `stale=true` when the digest itself was valid, otherwise a wrong
    // password would be retried silently by the phone forever.
    let expected = expected_response(creds, method, password);
    // Clients should send lowercase hex, but some send uppercase; folding
    // the received side is harmless since its case carries no secret.
    let received = creds.response.to_ascii_lowercase();
    if !bool::from(expected.as_bytes().ct_eq(received.as_bytes())) {
        return Err(InvalidReason::BadResponse);
    }
    Ok(match id {
        Some(id) => Fresh::Yes(id, usage),
        None => Fresh::Stale,
    })
}
