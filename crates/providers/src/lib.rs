//! DID-number providers behind the admin API's `/api/did_numbers/` endpoints.
//!
//! A [`Provider`] searches a carrier's inventory, buys and releases numbers,
//! and sends SMS from owned numbers. Two back ends exist:
//!
//! * [`LocalProvider`] — an in-process pool for development, demos and
//!   installs without a carrier account; it cannot send SMS and says so
//!   ([`ProviderError::Unsupported`]);
//! * [`FlowrouteProvider`] — Flowroute's v2 numbers and v2.1 messaging APIs.
//!
//! What a carrier posts back — inbound SMS and delivery receipts — is read
//! by [`parse_webhook`] (Flowroute's v2.1 callback shapes).
//!
//! Dispatch is a plain enum rather than a trait object: the set of back ends
//! is closed and small, and an enum keeps the async methods `Send` without
//! boxing every future.
//!
//! All numbers crossing this API are 11-digit NANP numbers with the leading
//! country code `1` (`17865550100`); inputs are normalised with
//! [`normalize_number`].

mod config;
mod flowroute;
mod local;
mod number;
mod webhook;

pub use config::{
    DEFAULT_AREA_CODES, DEFAULT_MONTHLY_COST, DEFAULT_NUMBERS_PER_AREA_CODE, DEFAULT_TIMEOUT_SECS, FLOWROUTE_BASE_URL,
    FlowrouteConfig, LocalConfig, ProviderConfig,
};
pub use flowroute::FlowrouteProvider;
pub use local::LocalProvider;
pub use number::{
    MAX_SEARCH_LIMIT, MAX_SMS_BODY_CHARS, clamp_limit, normalize_number, validate_npa, validate_sms_body,
};
pub use webhook::{DeliveryReport, InboundSms, WebhookEvent, parse_webhook};

use serde::{Deserialize, Serialize};

/// A number offered for purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailableNumber {
    /// 11-digit NANP number, e.g. `17865550100`.
    pub number: String,
    /// Recurring monthly price quoted by the provider, in US dollars.
    pub monthly_cost: f64,
}

/// Everything a provider operation can fail with.
///
/// The variants are chosen so the API layer can pick an HTTP status without
/// parsing messages: bad input is the caller's fault, `NotAvailable` and
/// `NotOwned` are conflicts, and the rest are upstream faults.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The caller supplied a malformed number, area code or message.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The number is not in the inventory or is already taken.
    #[error("number {0} is not available")]
    NotAvailable(String),
    /// The number is not held by this account, so it cannot be released or
    /// send messages.
    #[error("number {0} is not held by this account")]
    NotOwned(String),
    /// The provider answered with a non-success HTTP status; `message` is
    /// the provider's own explanation.
    #[error("provider returned HTTP {status}: {message}")]
    Upstream {
        /// HTTP status code of the response.
        status: u16,
        /// Error detail reported by the provider.
        message: String,
    },
    /// The provider could not be reached (DNS, connect, TLS or timeout).
    #[error("provider unreachable: {0}")]
    Unreachable(String),
    /// The provider answered success with a body that could not be read.
    #[error("unexpected response from provider: {0}")]
    BadResponse(String),
    /// The provider's configuration is unusable.
    #[error("invalid provider configuration: {0}")]
    Config(String),
    /// This back end cannot do what was asked (the local pool sends no SMS).
    #[error("not supported by the {provider} provider: {what}")]
    Unsupported {
        /// [`Provider::name`] of the back end.
        provider: &'static str,
        /// What it cannot do, and what to configure instead.
        what: &'static str,
    },
}

/// The configured DID-number back end.
#[derive(Debug)]
pub enum Provider {
    /// In-process pool.
    Local(LocalProvider),
    /// Flowroute account.
    Flowroute(FlowrouteProvider),
}

impl Provider {
    /// Builds the provider selected by `config`.
    ///
    /// # Errors
    /// [`ProviderError::Config`] when the configuration is unusable (bad
    /// numbers in the pool, empty credentials, malformed base URL).
    pub fn from_config(config: &ProviderConfig) -> Result<Self, ProviderError> {
        match config {
            ProviderConfig::Local(c) => LocalProvider::new(c).map(Self::Local),
            ProviderConfig::Flowroute(c) => FlowrouteProvider::new(c).map(Self::Flowroute),
        }
    }

    /// Short, stable name of the back end, for logs and API responses.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Local(_) => "local",
            Self::Flowroute(_) => "flowroute",
        }
    }

    /// Lists up to `limit` purchasable numbers, optionally within area code
    /// `npa`. `limit` is clamped to [`MAX_SEARCH_LIMIT`]; 0 yields nothing.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for a malformed area code, or any
    /// upstream failure.
    pub async fn search(&self, npa: Option<&str>, limit: u32) -> Result<Vec<AvailableNumber>, ProviderError> {
        match self {
            Self::Local(p) => p.search(npa, limit),
            Self::Flowroute(p) => p.search(npa, limit).await,
        }
    }

    /// Buys `number` for this account.
    ///
    /// # Errors
    /// [`ProviderError::NotAvailable`] (local pool) or
    /// [`ProviderError::Upstream`] (carrier) when it cannot be bought.
    pub async fn purchase(&self, number: &str) -> Result<(), ProviderError> {
        match self {
            Self::Local(p) => p.purchase(number),
            Self::Flowroute(p) => p.purchase(number).await,
        }
    }

    /// Returns `number` to the provider's inventory.
    ///
    /// # Errors
    /// [`ProviderError::NotOwned`] (local pool) or
    /// [`ProviderError::Upstream`] (carrier) when it is not held.
    pub async fn release(&self, number: &str) -> Result<(), ProviderError> {
        match self {
            Self::Local(p) => p.release(number),
            Self::Flowroute(p) => p.release(number).await,
        }
    }

    /// Sends an SMS and returns the provider's message id.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for bad numbers or body,
    /// [`ProviderError::Unsupported`] from the local pool, or any upstream
    /// failure.
    pub async fn send_sms(&self, from: &str, to: &str, body: &str) -> Result<String, ProviderError> {
        match self {
            Self::Local(p) => p.send_sms(from, to, body),
            Self::Flowroute(p) => p.send_sms(from, to, body).await,
        }
    }

    /// Tells the provider which numbers the database already records as
    /// owned, so that after a restart the local pool does not offer them
    /// again. Carriers track ownership themselves, so for them this does
    /// nothing. Returns how many numbers were newly marked.
    pub fn restore_owned<I, S>(&self, numbers: I) -> usize
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        match self {
            Self::Local(p) => p.restore_owned(numbers),
            Self::Flowroute(_) => 0,
        }
    }
}
