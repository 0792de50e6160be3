//! Signed, expiring links to one recording (seed 001's
//! `GET /oapi/v1/call/play_recording`): whoever holds the link may download
//! that file of that tenant until it expires, with no other credentials,
//! as with the seed's pre-signed storage URLs.
//!
//! A link carries `tenant`, `expires` (unix seconds) and `signature`, the
//! hex HMAC-SHA256 of `<tenant>/<file>/<expires>` under a key drawn at
//! start-up (file names hold no `/`, so the claims cannot be re-cut), so
//! links end with the process as well as with their expiry.

use rand::RngCore;
use subtle::ConstantTimeEq;

/// How long a link lasts, in seconds.
pub const TTL_SECS: u64 = 600;

/// Why a presented link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The signature does not match the tenant, file and expiry shown:
    /// altered, or made under another key.
    #[error("the link's signature does not match")]
    Forged,
    /// Genuine, but its time is up.
    #[error("the link has expired")]
    Expired,
}

/// The key recording links are signed under.
pub struct RecordingLinks {
    key: [u8; 32],
}

impl Default for RecordingLinks {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        RecordingLinks { key }
    }
}

impl RecordingLinks {
    /// `(expires, signature)` for `tenant`'s `file`, valid for
    /// [`TTL_SECS`] from `now` (unix seconds).
    pub fn sign(&self, tenant: i64, file: &str, now: u64) -> (u64, String) {
        let expires = now.saturating_add(TTL_SECS);
        (expires, self.mac(tenant, file, expires))
    }

    /// Whether `signature` is genuine for `tenant`, `file` and `expires`
    /// and still valid at `now`; compared in constant time.
    pub fn verify(&self, tenant: i64, file: &str, expires: u64, signature: &str, now: u64) -> Result<(), LinkError> {
        let expected = self.mac(tenant, file, expires);
        let presented = signature.trim().to_ascii_lowercase();
        if !bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
            return Err(LinkError::Forged);
        }
        if expires <= now {
            return Err(LinkError::Expired);
        }
        Ok(())
    }

    fn mac(&self, tenant: i64, file: &str, expires: u64) -> String {
        let claims = format!("{tenant}/{file}/{expires}");
        let signed = voxide_events::signature(&self.key, claims.as_bytes());
        signed.trim_start_matches("sha256=").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "1002_0b5e.wav";

    #[test]
    fn a_link_is_good_for_ten_minutes_from_signing_then_expired() {
        let links = RecordingLinks::default();
        let (expires, sig) = links.sign(3, FILE, 1_000);
        assert_eq!(expires, 1_600);
        assert_eq!(links.verify(3, FILE, expires, &sig, 1_000), Ok(()));
        assert_eq!(links.verify(3, FILE, expires, &sig, 1_599), Ok(()));
        assert_eq!(links.verify(3, FILE, expires, &sig.to_uppercase(), 1_599), Ok(()), "hex in either case");
        assert_eq!(links.verify(3, FILE, expires, &sig, 1_600), Err(LinkError::Expired));
        assert_eq!(links.verify(3, FILE, expires, &sig, 9_999), Err(LinkError::Expired));
    }

    #[test]
    fn an_altered_link_or_another_keys_link_is_forged() {
        let links = RecordingLinks::default();
        let (expires, sig) = links.sign(3, FILE, 1_000);
        assert_eq!(links.verify(3, FILE, expires + 60, &sig, 1_000), Err(LinkError::Forged), "stretched expiry");
        assert_eq!(links.verify(4, FILE, expires, &sig, 1_000), Err(LinkError::Forged), "another tenant");
        assert_eq!(links.verify(3, "1002_other.wav", expires, &sig, 1_000), Err(LinkError::Forged), "another file");
        assert_eq!(links.verify(3, FILE, expires, "", 1_000), Err(LinkError::Forged));
        assert_eq!(links.verify(3, FILE, expires, &sig[..10], 1_000), Err(LinkError::Forged));
        let other = RecordingLinks::default();
        assert_eq!(other.verify(3, FILE, expires, &sig, 1_000), Err(LinkError::Forged), "another process's key");
    }

    #[test]
    fn an_expiry_at_the_end_of_time_does_not_overflow() {
        let links = RecordingLinks::default();
        let (expires, sig) = links.sign(1, FILE, u64::MAX - 5);
        assert_eq!(expires, u64::MAX);
        assert_eq!(links.verify(1, FILE, expires, &sig, u64::MAX - 5), Ok(()));
    }
}
