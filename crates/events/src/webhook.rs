//! Callbacks we POST (SMS status, per-call status_callback): JSON bodies,
//! signed, retried with backoff.
//!
//! A receiver checks a callback by computing HMAC-SHA256 over the raw body
//! with the shared secret and comparing it with the `X-Voxide-Signature`
//! header, `sha256=<64 hex digits>` (the GitHub webhook convention, so
//! existing verifiers work). Without a secret no header is sent.
//!
//! A callback that does not get a 2xx — refused, a network error, a
//! timeout — is tried again after 1 s, 2 s, 4 s…, up to
//! [`RetryPolicy::attempts`] tries in all.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Voxide-Signature";

/// How hard a callback is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// Wait before the second try; each later wait doubles.
    pub first_delay: Duration,
    /// Bound on one try, connection included.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// One try and three retries, 1 s apart and doubling; 10 s per try.
    fn default() -> Self {
        Self { attempts: 4, first_delay: Duration::from_secs(1), timeout: Duration::from_secs(10) }
    }
}

impl RetryPolicy {
    /// The wait before try `attempt` (1-based; the first try has none).
    pub fn delay_before(&self, attempt: u32) -> Duration {
        match attempt {
            0 | 1 => Duration::ZERO,
            n => self.first_delay.saturating_mul(1 << (n - 2).min(16)),
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a callback was given up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The last try got this status.
    #[error("the receiver answered HTTP {0}")]
    Status(u16),
    /// The last try did not get an answer.
    #[error("the receiver could not be reached: {0}")]
    Unreachable(String),
}

/// The callback sender; cheap to clone.
#[derive(Debug, Clone)]
pub struct Webhooks {
    client: reqwest::Client,
    secret: Option<Vec<u8>>,
    retry: RetryPolicy,
}

impl Webhooks {
    /// Signs with `secret` when there is one.
    pub fn new(secret: Option<&str>, retry: RetryPolicy) -> Self {
        // A redirect would send the body, and its signature, somewhere the
        // owner of the URL did not name.
        let client = reqwest::Client::builder()
            .timeout(retry.timeout)
            .connect_timeout(retry.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("voxide/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { client, secret: secret.map(|s| s.as_bytes().to_vec()), retry }
    }

    /// POSTs `body` to `url` until a 2xx or the tries run out; returns the
    /// number of tries it took.
    pub async fn post(&self, url: &str, body: &serde_json::Value) -> Result<u32, CallbackError> {
        let bytes = body.to_string().into_bytes();
        let signed = self.secret.as_deref().map(|s| signature(s, &bytes));
        let mut last = CallbackError::Unreachable("not tried".into());
        for attempt in 1..=self.retry.attempts.max(1) {
            tokio::time::sleep(self.retry.delay_before(attempt)).await;
            let mut request =
                self.client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes.clone());
            if let Some(sig) = &signed {
                request = request.header(SIGNATURE_HEADER, sig);
            }
            last = match request.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(attempt),
                Ok(resp) => CallbackError::Status(resp.status().as_u16()),
                Err(e) => CallbackError::Unreachable(e.without_url().to_string()),
            };
            tracing::info!(%url, attempt, cause = %last, "callback not taken");
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 §4.3, test case 2: HMAC-SHA-256 with key "Jefe".
    #[test]
    fn signature_is_rfc_4231_hmac_sha256() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn waits_double_from_the_first_delay() {
        let p = RetryPolicy::default();
        let waits: Vec<u64> = (1..=4).map(|a| p.delay_before(a).as_secs()).collect();
        assert_eq!(waits, [0, 1, 2, 4]);
        assert!(p.delay_before(200) >= p.delay_before(18), "no overflow on silly counts");
    }
}
