//! Short-lived tokens for the live events websocket (seed 001's
//! `POST /oapi/v1/voice/auth_token`): a browser or app that must not hold
//! an API token or app secret gets one of these, good only for
//! `/api/events` of one tenant, until it expires.
//!
//! A token is `evt.<tenant>.<user>.<expires>.<hmac>`: stateless, signed
//! with HMAC-SHA256 under a key drawn at start-up, so tokens end with the
//! process as well as with their expiry.

use rand::RngCore;
use subtle::ConstantTimeEq;

const PREFIX: &str = "evt.";

/// How long a token lasts, in seconds.
pub const TTL_SECS: u64 = 3600;

pub struct EventTokens {
    key: [u8; 32],
}

impl Default for EventTokens {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        EventTokens { key }
    }
}

impl EventTokens {
    /// A token for `tenant`'s events, issued to `user`, valid until
    /// `expires` (unix seconds).
    pub fn issue(&self, tenant: i64, user: i64, expires: u64) -> String {
        let claims = format!("{tenant}.{user}.{expires}");
        format!("{PREFIX}{claims}.{}", self.mac(&claims))
    }

    /// (tenant, user) of a genuine token still valid at `now`.
    pub fn verify(&self, token: &str, now: u64) -> Option<(i64, i64)> {
        let rest = token.strip_prefix(PREFIX)?;
        let (claims, mac) = rest.rsplit_once('.')?;
        if !bool::from(self.mac(claims).as_bytes().ct_eq(mac.as_bytes())) {
            return None;
        }
        let mut parts = claims.split('.');
        let (tenant, user, expires) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?);
        (expires.parse::<u64>().ok()? > now && parts.next().is_none()).then_some((tenant, user))
    }

    pub fn is_event_token(token: &str) -> bool {
        token.starts_with(PREFIX)
    }

    fn mac(&self, claims: &str) -> String {
        let signed = voxide_events::signature(&self.key, claims.as_bytes());
        signed.trim_start_matches("sha256=").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire_and_not_when_altered() {
        let keys = EventTokens::default();
        let token = keys.issue(3, 7, 1000);
        assert_eq!(keys.verify(&token, 999), Some((3, 7)));
        assert_eq!(keys.verify(&token, 1000), None, "expired");
        assert_eq!(keys.verify(&token.replace("evt.3.", "evt.4."), 999), None, "another tenant");
        assert_eq!(EventTokens::default().verify(&token, 999), None, "another process's key");
        assert_eq!(keys.verify("evt.3.7.1000", 999), None);
        assert_eq!(keys.verify("", 0), None);
    }
}
