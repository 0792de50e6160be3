//! Flowroute back end: v2 numbers API and v2.1 messaging API over HTTPS.
//!
//! Every call authenticates with HTTP basic auth (access key / secret key).
//! Success bodies follow JSON:API (`{"data": ...}`); failures carry
//! `{"errors":[{"detail": "...", ...}]}`, whose detail text is passed through
//! in [`ProviderError::Upstream`] so an operator sees the carrier's reason.

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Client, RequestBuilder, Response, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::number::{clamp_limit, normalize_number, validate_npa, validate_sms_body};
use crate::{AvailableNumber, FlowrouteConfig, ProviderError};

/// Media type the messaging API requires on requests.
const JSON_API: &str = "application/vnd.api+json";

/// Connection set-up gets a shorter bound than the whole request so that an
/// unreachable carrier is reported quickly even with a generous timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest slice of a non-JSON error body quoted back to the caller; enough
/// to identify an HTML error page without flooding logs.
const MAX_ERROR_TEXT: usize = 200;

/// Client for one Flowroute account.
pub struct FlowrouteProvider {
    client: Client,
    /// Base URL without a trailing slash, so paths can be appended verbatim.
    base_url: String,
    access_key: String,
    secret_key: String,
}

// Hand-written so the secret key never lands in a log line.
impl fmt::Debug for FlowrouteProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowrouteProvider")
            .field("base_url", &self.base_url)
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// `{"data": ...}` envelope shared by all success bodies.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// One entry of the available-numbers listing.
#[derive(Deserialize)]
struct NumberResource {
    id: String,
    attributes: NumberAttributes,
}

#[derive(Deserialize)]
struct NumberAttributes {
    /// Same digits as `id`; preferred when present because it is the
    /// documented field for the number itself.
    value: Option<String>,
    monthly_cost: f64,
}

/// Accepted-message resource; only its id matters.
#[derive(Deserialize)]
struct MessageResource {
    id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    detail: Option<String>,
    title: Option<String>,
}

impl FlowrouteProvider {
    /// Builds a client for the account in `config`.
    ///
    /// # Errors
    /// [`ProviderError::Config`] for empty credentials, a zero timeout, or a
    /// base URL that is not an absolute `http`/`https` URL.
    pub fn new(config: &FlowrouteConfig) -> Result<Self, ProviderError> {
        if config.access_key.trim().is_empty() || config.secret_key.trim().is_empty() {
            return Err(ProviderError::Config("flowroute access_key and secret_key must be set".to_owned()));
        }
        if config.timeout_secs == 0 {
            return Err(ProviderError::Config("flowroute timeout_secs must be at least 1".to_owned()));
        }
        let url = Url::parse(&config.base_url)
            .map_err(|e| ProviderError::Config(format!("flowroute base_url {:?}: {e}", config.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
            return Err(ProviderError::Config(format!(
                "flowroute base_url must be a plain http(s) URL, got {:?}",
                config.base_url
            )));
        }
        let timeout = Duration::from_secs(config.timeout_secs);
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
            .user_agent(concat!("voxide/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Config(format!("HTTP client: {}", error_chain(&e))))?;
        Ok(Self {
            client,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            access_key: config.access_key.clone(),
            secret_key: config.secret_key.clone(),
        })
    }

    /// `GET /v2/numbers/available?starts_with=1{npa}&limit=N`.
    ///
    /// Without an area code the search still sends `starts_with=1` so only
    /// NANP numbers come back, matching the 11-digit form used everywhere.
    /// Entries whose number is not a valid NANP number are skipped.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for a malformed area code; upstream,
    /// network and decoding failures.
    pub async fn search(&self, npa: Option<&str>, limit: u32) -> Result<Vec<AvailableNumber>, ProviderError> {
        let starts_with = match npa {
            Some(npa) => format!("1{}", validate_npa(npa)?),
            None => "1".to_owned(),
        };
        let limit = clamp_limit(limit);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let request = self
            .client
            .get(self.url("/v2/numbers/available"))
            .header(ACCEPT, "application/json")
            .query(&[("starts_with", starts_with), ("limit", limit.to_string())]);
        let listing: Envelope<Vec<NumberResource>> = self.send_json(request).await?;
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        let numbers = listing
            .data
            .into_iter()
            .filter_map(|resource| {
                let raw = resource.attributes.value.unwrap_or(resource.id);
                match normalize_number(&raw) {
                    Ok(number) => Some(AvailableNumber { number, monthly_cost: resource.attributes.monthly_cost }),
                    Err(_) => {
                        tracing::warn!(number = %raw, "flowroute listed a non-NANP number; skipped");
                        None
                    }
                }
            })
            .take(wanted)
            .collect();
        Ok(numbers)
    }

    /// `POST /v2/numbers/{number}`; Flowroute answers 201 with the number.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for a malformed number; upstream and
    /// network failures.
    pub async fn purchase(&self, number: &str) -> Result<(), ProviderError> {
        let number = normalize_number(number)?;
        let request = self.client.post(self.url(&format!("/v2/numbers/{number}"))).header(ACCEPT, "application/json");
        self.send(request).await?;
        tracing::info!(%number, "flowroute: number purchased");
        Ok(())
    }

    /// `DELETE /v2/numbers/{number}`; Flowroute answers 204.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for a malformed number; upstream and
    /// network failures.
    pub async fn release(&self, number: &str) -> Result<(), ProviderError> {
        let number = normalize_number(number)?;
        let request = self.client.delete(self.url(&format!("/v2/numbers/{number}"))).header(ACCEPT, "application/json");
        self.send(request).await?;
        tracing::info!(%number, "flowroute: number released");
        Ok(())
    }

    /// `POST /v2.1/messages` with a JSON:API message resource; returns the
    /// message id Flowroute assigns (`mdr2-...`).
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for bad numbers or body; upstream,
    /// network and decoding failures.
    pub async fn send_sms(&self, from: &str, to: &str, body: &str) -> Result<String, ProviderError> {
        let from = normalize_number(from)?;
        let to = normalize_number(to)?;
        validate_sms_body(body)?;
        let payload = json!({
            "data": {
                "type": "message",
                "attributes": { "to": to, "from": from, "body": body },
            }
        });
        // Serialised by hand because `.json()` would force the plain
        // `application/json` content type, which the messaging API rejects.
        let bytes = payload.to_string().into_bytes();
        let request = self
            .client
            .post(self.url("/v2.1/messages"))
            .header(CONTENT_TYPE, JSON_API)
            .header(ACCEPT, JSON_API)
            .body(bytes);
        let accepted: Envelope<MessageResource> = self.send_json(request).await?;
        tracing::info!(id = %accepted.data.id, %from, %to, "flowroute: SMS accepted");
        Ok(accepted.data.id)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Authenticates and sends `request`, turning transport failures and
    /// non-2xx statuses into typed errors.
    async fn send(&self, request: RequestBuilder) -> Result<Response, ProviderError> {
        let response = request
            .basic_auth(&self.access_key, Some(&self.secret_key))
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // The body is only an explanation; if it cannot be read the status
        // alone still makes a meaningful error.
        let text = response.text().await.unwrap_or_default();
        let message = upstream_message(&text)
            .or_else(|| status.canonical_reason().map(str::to_owned))
            .unwrap_or_else(|| "no detail given".to_owned());
        tracing::warn!(status = status.as_u16(), %message, "flowroute request failed");
        Err(ProviderError::Upstream { status: status.as_u16(), message })
    }

    /// [`send`](Self::send), then decodes the success body as `T`.
    async fn send_json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ProviderError> {
        let response = self.send(request).await?;
        let bytes = response.bytes().await.map_err(|e| ProviderError::Unreachable(error_chain(&e)))?;
        serde_json::from_slice(&bytes).map_err(|e| ProviderError::BadResponse(e.to_string()))
    }
}

/// Extracts the carrier's explanation from an error body: the `detail` (or,
/// failing that, `title`) of each entry of `errors`, joined; otherwise the
/// start of the raw text.
fn upstream_message(text: &str) -> Option<String> {
    if let Ok(body) = serde_json::from_str::<ErrorBody>(text) {
        let details: Vec<String> =
            body.errors.into_iter().filter_map(|e| e.detail.or(e.title)).filter(|d| !d.trim().is_empty()).collect();
        if !details.is_empty() {
            return Some(details.join("; "));
        }
    }
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.chars().take(MAX_ERROR_TEXT).collect())
}

/// Renders an error with its sources, because reqwest's top-level message
/// ("error sending request") hides the useful part (refused, timed out...).
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
