//! Serde configuration for the DID-number providers.
//!
//! The binary's configuration file embeds [`ProviderConfig`] as a table; the
//! `kind` key selects the provider:
//!
//! ```toml
//! [provider]
//! kind = "local"
//! numbers = ["17865550100", "17865550101"]
//! monthly_cost = 1.0
//! ```
//!
//! ```toml
//! [provider]
//! kind = "flowroute"
//! access_key = "12345678"
//! secret_key = "s3cret"
//! # base_url and timeout_secs are optional
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ProviderError;
use crate::number::validate_npa;

/// Production endpoint of Flowroute's REST API.
pub const FLOWROUTE_BASE_URL: &str = "https://api.flowroute.com";

/// Area codes of the built-in demonstration pool.
pub const DEFAULT_AREA_CODES: [&str; 3] = ["786", "305", "415"];

/// Numbers generated per area code for the demonstration pool.
pub const DEFAULT_NUMBERS_PER_AREA_CODE: u32 = 20;

/// Monthly price quoted for local-pool numbers when none is configured.
pub const DEFAULT_MONTHLY_COST: f64 = 1.0;

/// Upper bound on one HTTP exchange with a carrier when none is configured.
pub const DEFAULT_TIMEOUT_SECS: u64 = 15;

/// Numbers generated per area code are drawn from the `555-0100`..`555-0199`
/// block, which NANPA sets aside for fictional use, so a demo pool can never
/// collide with a real subscriber. That block holds exactly this many.
const FICTIONAL_BLOCK_SIZE: u32 = 100;

/// Which provider backs `/api/did_numbers/`, and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProviderConfig {
    /// An in-process pool of numbers; no carrier is contacted.
    Local(LocalConfig),
    /// Flowroute's v2 numbers and v2.1 messaging APIs.
    Flowroute(FlowrouteConfig),
}

impl Default for ProviderConfig {
    /// The local demonstration pool, so a fresh install works offline.
    fn default() -> Self {
        Self::Local(LocalConfig::default())
    }
}

/// Settings of the in-process number pool.
///
/// Omitted keys fall back to [`LocalConfig::default`]: leaving `numbers` out
/// yields the demonstration pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalConfig {
    /// Numbers offered for purchase, in any form
    /// [`normalize_number`](crate::normalize_number) accepts.
    pub numbers: Vec<String>,
    /// Price quoted for every number of the pool.
    pub monthly_cost: f64,
}

impl LocalConfig {
    /// Builds a deterministic pool of `per_area_code` numbers for each area
    /// code, `1{npa}5550100` upwards.
    ///
    /// `per_area_code` is capped at 100, the size of the fictional block.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] if an area code is malformed.
    pub fn from_area_codes(area_codes: &[&str], per_area_code: u32, monthly_cost: f64) -> Result<Self, ProviderError> {
        let mut numbers = Vec::new();
        for npa in area_codes {
            let npa = validate_npa(npa)?;
            numbers.extend(fictional_block(npa, per_area_code));
        }
        Ok(Self { numbers, monthly_cost })
    }
}

impl Default for LocalConfig {
    /// 20 numbers each in 786, 305 and 415 at [`DEFAULT_MONTHLY_COST`].
    fn default() -> Self {
        // The constant area codes are known to be valid, so the infallible
        // generator is used directly instead of unwrapping a Result.
        let numbers =
            DEFAULT_AREA_CODES.iter().flat_map(|npa| fictional_block(npa, DEFAULT_NUMBERS_PER_AREA_CODE)).collect();
        Self { numbers, monthly_cost: DEFAULT_MONTHLY_COST }
    }
}

/// `count` numbers of the `555-01xx` block under `npa`, which must already be
/// validated.
fn fictional_block(npa: &str, count: u32) -> impl Iterator<Item = String> + '_ {
    (0..count.min(FICTIONAL_BLOCK_SIZE)).map(move |i| format!("1{npa}55501{i:02}"))
}

/// Credentials and endpoint of a Flowroute account.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowrouteConfig {
    /// API access key (the HTTP basic-auth user name).
    pub access_key: String,
    /// API secret key (the HTTP basic-auth password).
    pub secret_key: String,
    /// Root of the API; tests point this at a local stub.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Whole-request timeout for each call, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

impl FlowrouteConfig {
    /// Credentials for the production endpoint with the default timeout.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            base_url: default_base_url(),
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }
}

// Hand-written so the secret key never lands in a log line or panic message.
impl fmt::Debug for FlowrouteConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowrouteConfig")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

fn default_base_url() -> String {
    FLOWROUTE_BASE_URL.to_owned()
}

fn default_timeout_secs() -> u64 {
    DEFAULT_TIMEOUT_SECS
}
