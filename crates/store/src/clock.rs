//! Timestamps as stored and shown: RFC 3339 UTC with microseconds, like
//! `2022-07-02T03:11:36.347291Z`, so text order equals time order.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a time the way the store and the API show it.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The current time, formatted.
pub fn now() -> String {
    format(Utc::now())
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    Utc::now().timestamp()
}
