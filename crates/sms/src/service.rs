//! `SmsService`: takes texts in (the API, phones, the carrier's webhook),
//! stores each one, delivers it along its [`route`](crate::route), records
//! how that went and tells the callbacks.
//!
//! Every message is a row before anything is tried, and delivery works
//! from the row alone, so a message queued when the process stopped is
//! delivered on the next start ([`SmsService::run`]).

use std::sync::Arc;

use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use voxide_providers::{DeliveryReport, Provider, ProviderError, WebhookEvent, parse_webhook};
use voxide_store::{NewSms, SmsDirection, SmsRow, SmsStatus, Store, StoreError};
use voxide_switch::{InboundText, OutgoingText, SwitchControl, TextOutcome};

use crate::route::{Route, route, sender_number};
use voxide_events::{EventKind, RetryPolicy, Webhooks};

/// Sender a phone sees on a text from the API when the tenant has no
/// number of its own.
pub const DEFAULT_SENDER: &str = "voxide";

/// Settings of the SMS service.
#[derive(Debug, Clone, Default)]
pub struct SmsConfig {
    /// Where `{from, to, text}` of every message that arrives (from a
    /// phone or the carrier) is POSTed; `None`: nowhere.
    pub inbound_callback: Option<String>,
    /// Key of the `X-Voxide-Signature` on every callback; `None`: unsigned.
    pub callback_secret: Option<String>,
    /// Secret the carrier's webhook must present; `None`: the webhook is
    /// refused.
    pub inbound_secret: Option<String>,
    pub retry: RetryPolicy,
}

/// What can go wrong taking a text in.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The carrier's callback could not be read.
    #[error("{0}")]
    Webhook(#[from] ProviderError),
    /// An inbound text for a number no tenant owns.
    #[error("number {0} is not one of ours")]
    UnknownNumber(String),
    /// A delivery receipt for a message we never sent.
    #[error("no message has the carrier id {0}")]
    UnknownMessage(String),
}

/// A text the API was asked to send (already validated).
#[derive(Debug, Clone)]
pub struct SendSms {
    pub tenant_id: i64,
    /// An extension of the tenant, or a telephone number (digits).
    pub to: String,
    pub body: String,
    pub callback_url: Option<String>,
}

/// What a carrier callback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// An inbound text, stored as this row.
    Received(SmsRow),
    /// The carrier sent this text before; nothing was done again.
    Repeated(SmsRow),
    /// A delivery receipt, applied to this row (as it is now).
    Receipt(SmsRow),
}

/// Cheap to clone.
#[derive(Clone)]
pub struct SmsService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    switch: SwitchControl,
    provider: Arc<Provider>,
    hooks: Webhooks,
    config: SmsConfig,
}

impl SmsService {
    pub fn new(store: Store, switch: SwitchControl, provider: Arc<Provider>, config: SmsConfig) -> Self {
        let hooks = Webhooks::new(config.callback_secret.as_deref(), config.retry);
        Self { inner: Arc::new(Inner { store, switch, provider, hooks, config }) }
    }

    /// Whether `presented` is the carrier webhook's secret (compared in
    /// constant time). Always false when no secret is configured.
    pub fn webhook_secret_matches(&self, presented: &str) -> bool {
        let Some(secret) = &self.inner.config.inbound_secret else { return false };
        let (a, b) = (secret.as_bytes(), presented.as_bytes());
        // Length is not secret; the bytes are.
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// Queues a text from the API and delivers it in the background.
    pub async fn send(&self, req: SendSms) -> Result<SmsRow, SmsError> {
        let store = &self.inner.store;
        let from = sender_number(store, req.tenant_id, "").await?.unwrap_or_else(|| DEFAULT_SENDER.to_string());
        let row = store
            .insert_sms(&NewSms {
                tenant_id: req.tenant_id,
                direction: SmsDirection::Out,
                sms_from: from,
                sms_to: req.to,
                body: req.body,
                status: SmsStatus::Queued,
                callback_url: req.callback_url,
                provider_id: None,
            })
            .await?;
        tracing::info!(sms_id = row.id, to = %row.sms_to, "text queued from the API");
        self.spawn_delivery(row.clone());
        Ok(row)
    }

    /// Delivers what was left queued, then takes texts from phones until
    /// `texts` closes or `shutdown` is cancelled.
    pub async fn run(self, mut texts: mpsc::UnboundedReceiver<InboundText>, shutdown: CancellationToken) {
        match self.inner.store.queued_sms().await {
            Ok(rows) => {
                if !rows.is_empty() {
                    tracing::info!(texts = rows.len(), "delivering texts left queued");
                }
                for row in rows {
                    self.spawn_delivery(row);
                }
            }
            Err(e) => tracing::error!(cause = %e, "cannot read queued texts"),
        }
        loop {
            tokio::select! {
                text = texts.recv() => match text {
                    Some(text) => {
                        if let Err(e) = self.from_phone(text).await {
                            tracing::error!(cause = %e, "a text from a phone could not be stored");
                        }
                    }
                    None => break,
                },
                () = shutdown.cancelled() => break,
            }
        }
    }

    /// Stores a text a phone sent (the switch has accepted it) and
    /// delivers it.
    pub async fn from_phone(&self, text: InboundText) -> Result<SmsRow, SmsError> {
        let to = if text.to_extension { text.to } else { text.to.trim_start_matches('+').to_string() };
        let row = self
            .inner
            .store
            .insert_sms(&NewSms {
                tenant_id: text.tenant_id,
                direction: SmsDirection::In,
                sms_from: text.from,
                sms_to: to,
                body: text.text,
                status: SmsStatus::Queued,
                callback_url: None,
                provider_id: None,
            })
            .await?;
        self.received(row.clone());
        Ok(row)
    }

    /// A carrier callback: an inbound text for one of our numbers, or a
    /// delivery receipt for one we sent.
    pub async fn provider_webhook(&self, body: &[u8]) -> Result<WebhookOutcome, SmsError> {
        let store = &self.inner.store;
        match parse_webhook(body)? {
            WebhookEvent::Message(sms) => {
                if let Some(id) = &sms.id
                    && let Some(seen) = store.sms_by_provider_id(id).await?
                    && seen.direction == SmsDirection::In
                {
                    return Ok(WebhookOutcome::Repeated(seen));
                }
                let did = store.did_by_number(&sms.to).await?.ok_or_else(|| SmsError::UnknownNumber(sms.to.clone()))?;
                let row = store
                    .insert_sms(&NewSms {
                        tenant_id: did.tenant_id,
                        direction: SmsDirection::In,
                        sms_from: sms.from,
                        sms_to: did.phonenumber,
                        body: sms.body,
                        status: SmsStatus::Queued,
                        callback_url: None,
                        provider_id: sms.id,
                    })
                    .await?;
                self.received(row.clone());
                Ok(WebhookOutcome::Received(row))
            }
            WebhookEvent::Receipt { id, report } => {
                let row = store.sms_by_provider_id(&id).await?.ok_or(SmsError::UnknownMessage(id))?;
                let (status, error) = match report {
                    DeliveryReport::Delivered => (SmsStatus::Delivered, None),
                    DeliveryReport::Failed(why) => (SmsStatus::Failed, Some(why)),
                    DeliveryReport::InProgress => return Ok(WebhookOutcome::Receipt(row)),
                };
                let now = self.set_status(row.id, status, None, error.as_deref()).await?;
                Ok(WebhookOutcome::Receipt(now.unwrap_or(row)))
            }
        }
    }

    /// A text arrived: the inbound callback hears of it, and it is
    /// delivered.
    fn received(&self, row: SmsRow) {
        tracing::info!(sms_id = row.id, from = %row.sms_from, to = %row.sms_to, "text received");
        let event = json!({ "id": row.id, "from": row.sms_from, "to": row.sms_to, "text": row.body });
        self.inner.switch.events().publish(row.tenant_id, EventKind::SmsReceived, None, event);
        if let Some(url) = self.inner.config.inbound_callback.clone() {
            let body = json!({ "from": row.sms_from, "to": row.sms_to, "text": row.body });
            let hooks = self.inner.hooks.clone();
            tokio::spawn(async move {
                if let Err(e) = hooks.post(&url, &body).await {
                    tracing::warn!(%url, cause = %e, "inbound text callback given up");
                }
            });
        }
        self.spawn_delivery(row);
    }

    fn spawn_delivery(&self, row: SmsRow) {
        let service = self.clone();
        tokio::spawn(async move {
            if let Err(e) = service.deliver(&row).await {
                tracing::error!(sms_id = row.id, cause = %e, "text delivery could not be recorded");
            }
        });
    }

    /// Sends `row` along its route and records the outcome.
    async fn deliver(&self, row: &SmsRow) -> Result<(), SmsError> {
        let inner = &self.inner;
        let (status, provider_id, error) = match route(&inner.store, row).await? {
            Route::Phones { tenant_id, extension } => {
                let from = if row.sms_from.is_empty() { DEFAULT_SENDER.to_string() } else { row.sms_from.clone() };
                let text = OutgoingText { tenant_id, to: extension.clone(), from, text: row.body.clone() };
                match inner.switch.send_text(text).await {
                    TextOutcome::Delivered => (SmsStatus::Delivered, None, None),
                    TextOutcome::NotRegistered => {
                        (SmsStatus::Failed, None, Some(format!("extension {extension} has no registered phone")))
                    }
                    TextOutcome::Failed { reason, .. } => (SmsStatus::Failed, None, Some(reason)),
                }
            }
            Route::Carrier { from } => match inner.provider.send_sms(&from, &row.sms_to, &row.body).await {
                Ok(id) => (SmsStatus::Sent, Some(id), None),
                Err(e) => (SmsStatus::Failed, None, Some(e.to_string())),
            },
            Route::Tenant => (SmsStatus::Delivered, None, None),
            Route::Nowhere(why) => (SmsStatus::Failed, None, Some(why)),
        };
        self.set_status(row.id, status, provider_id.as_deref(), error.as_deref()).await?;
        Ok(())
    }

    /// Records a new status; when it changed and the message has a
    /// callback URL, POSTs the message there in the background.
    async fn set_status(
        &self,
        id: i64,
        status: SmsStatus,
        provider_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<Option<SmsRow>, SmsError> {
        let Some((row, changed)) = self.inner.store.set_sms_status(id, status, provider_id, error).await? else {
            return Ok(None);
        };
        if changed {
            tracing::info!(sms_id = id, %status, error = error.unwrap_or(""), "text status");
            let event = json!({
                "id": row.id, "status": row.status.as_str(), "direction": row.direction.as_str(),
                "from": row.sms_from, "to": row.sms_to, "error": error,
            });
            self.inner.switch.events().publish(row.tenant_id, EventKind::SmsStatus, None, event);
            if let Some(url) = row.callback_url.clone() {
                let body = status_body(&row);
                let hooks = self.inner.hooks.clone();
                tokio::spawn(async move {
                    if let Err(e) = hooks.post(&url, &body).await {
                        tracing::warn!(sms_id = id, %url, cause = %e, "status callback given up");
                    }
                });
            }
        }
        Ok(Some(row))
    }
}

/// A status callback: the message as the seed's callback shows one
/// (`from`, `to`, `text`) with its id and where it is.
pub fn status_body(row: &SmsRow) -> serde_json::Value {
    json!({
        "id": row.id,
        "status": row.status.as_str(),
        "from": row.sms_from,
        "to": row.sms_to,
        "text": row.body,
        "error": row.error,
    })
}
