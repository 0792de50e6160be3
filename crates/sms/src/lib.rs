//! Text messages (SMS) for Voxide, the seed API's `POST /api/sendsms/` and
//! what stands behind it.
//!
//! A text comes in from one of three places — the API, a registered phone
//! (a SIP MESSAGE the switch accepted), or the carrier's inbound webhook —
//! and goes out to one of two: the phones of an extension (SIP MESSAGE,
//! through the switch) or an outside number (the carrier's messaging API).
//! Each text is stored first (`sms` table), then delivered; its status
//! (`queued`, `sent`, `delivered`, `failed`) is POSTed to the callback URL
//! the API was given, and every text that arrives is POSTed as
//! `{from, to, text}` (the seed's shape) to the configured inbound callback.
//! Callbacks are signed and retried: see `voxide_events::webhook`.
//!
//! Layout: `service` (intake, delivery, status), `route` (where a text
//! goes); callbacks go out through `voxide_events::webhook`.

mod route;
mod service;

pub use service::{DEFAULT_SENDER, SendSms, SmsConfig, SmsError, SmsService, WebhookOutcome, status_body};
pub use voxide_events::{CallbackError, RetryPolicy, SIGNATURE_HEADER, signature};
