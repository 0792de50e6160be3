//! Text messages (SMS): those the API sent and those that arrived, with
//! their delivery status.

use std::fmt;

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

/// How a message entered the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsDirection {
    /// A phone's SIP MESSAGE or the provider's inbound webhook.
    In,
    /// `POST /api/sendsms/`.
    Out,
}

/// Where a message is on its way to `sms_to`.
///
/// ```text
///   queued ──► sent ──► delivered
///      │         │
///      └─────────┴────► failed
/// ```
///
/// `sent` means a carrier accepted it and only its delivery receipt can say
/// more; a message for a phone of the switch goes from `queued` straight to
/// `delivered` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsStatus {
    Queued,
    Sent,
    Delivered,
    Failed,
}

impl SmsDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            SmsDirection::In => "in",
            SmsDirection::Out => "out",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "in" => Some(SmsDirection::In),
            "out" => Some(SmsDirection::Out),
            _ => None,
        }
    }
}

impl SmsStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SmsStatus::Queued => "queued",
            SmsStatus::Sent => "sent",
            SmsStatus::Delivered => "delivered",
            SmsStatus::Failed => "failed",
        }
    }

    /// Whether nothing more will happen to the message.
    pub fn is_final(self) -> bool {
        matches!(self, SmsStatus::Delivered | SmsStatus::Failed)
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "queued" => Some(SmsStatus::Queued),
            "sent" => Some(SmsStatus::Sent),
            "delivered" => Some(SmsStatus::Delivered),
            "failed" => Some(SmsStatus::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for SmsStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsRow {
    pub id: i64,
    pub tenant_id: i64,
    pub direction: SmsDirection,
    /// An extension's SIP username or a phone number (digits).
    pub sms_from: String,
    pub sms_to: String,
    pub body: String,
    pub status: SmsStatus,
    /// Where status changes are POSTed (messages sent through the API).
    pub callback_url: Option<String>,
    /// The carrier's id for the message.
    pub provider_id: Option<String>,
    /// Why it failed, in words.
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone)]
pub struct NewSms {
    pub tenant_id: i64,
    pub direction: SmsDirection,
    pub sms_from: String,
    pub sms_to: String,
    pub body: String,
    pub status: SmsStatus,
    pub callback_url: Option<String>,
    pub provider_id: Option<String>,
}

const SELECT: &str = "SELECT id, tenant_id, direction, sms_from, sms_to, body, status, callback_url, provider_id, \
     error, created_at, updated_at FROM sms";

fn sms(row: &AnyRow) -> Result<SmsRow, sqlx::Error> {
    let bad = |column: &str, value: &str| sqlx::Error::Decode(format!("sms.{column} holds {value:?}").into());
    let direction: String = row.try_get("direction")?;
    let status: String = row.try_get("status")?;
    Ok(SmsRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        direction: SmsDirection::parse(&direction).ok_or_else(|| bad("direction", &direction))?,
        sms_from: row.try_get("sms_from")?,
        sms_to: row.try_get("sms_to")?,
        body: row.try_get("body")?,
        status: SmsStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        callback_url: row.try_get("callback_url")?,
        provider_id: row.try_get("provider_id")?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    pub async fn insert_sms(&self, new: &NewSms) -> Result<SmsRow, StoreError> {
        let now = clock::now();
        let row = sqlx::query(
            "INSERT INTO sms (tenant_id, direction, sms_from, sms_to, body, status, callback_url, provider_id, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(new.tenant_id)
        .bind(new.direction.as_str())
        .bind(&new.sms_from)
        .bind(&new.sms_to)
        .bind(&new.body)
        .bind(new.status.as_str())
        .bind(&new.callback_url)
        .bind(&new.provider_id)
        .bind(&now)
        .bind(&now)
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.sms_by_id(None, id).await?.ok_or(StoreError::Conflict)
    }

    /// One message, visible only inside `tenant_id` unless `None` (super-admin).
    pub async fn sms_by_id(&self, tenant_id: Option<i64>, id: i64) -> Result<Option<SmsRow>, StoreError> {
        let row =
            sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        let found = row.as_ref().map(sms).transpose()?;
        Ok(found.filter(|m| tenant_id.is_none_or(|t| t == m.tenant_id)))
    }

    /// The message a carrier knows as `provider_id` (its receipts and
    /// webhook retries name it so).
    pub async fn sms_by_provider_id(&self, provider_id: &str) -> Result<Option<SmsRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE provider_id = $1 ORDER BY id LIMIT 1")))
            .bind(provider_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(sms).transpose()?)
    }

    /// A page of messages, newest first, and how many there are in all.
    pub async fn sms_page(
        &self,
        tenant_id: Option<i64>,
        limit: Option<i64>,
        offset: i64,
    ) -> Result<(Vec<SmsRow>, i64), StoreError> {
        // Without a tenant filter the clause is always true, so one query
        // text serves both cases with the same bind.
        let filter = "WHERE ($1 < 0 OR tenant_id = $1)";
        let tenant = tenant_id.unwrap_or(-1);
        let total: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM sms {filter}")))
            .bind(tenant)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        let limit = limit.unwrap_or(i64::MAX).max(0);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} {filter} ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {}",
            offset.max(0)
        )))
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        Ok((rows.iter().map(sms).collect::<Result<_, _>>()?, total))
    }

    /// Messages still waiting for delivery, oldest first: what a restart
    /// picks up again.
    pub async fn queued_sms(&self) -> Result<Vec<SmsRow>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE status = $1 ORDER BY id")))
            .bind(SmsStatus::Queued.as_str())
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(sms).collect::<Result<_, _>>()?)
    }

    /// Moves a message to `status`. `provider_id` and `error` are kept when
    /// given `None`. A message already delivered or failed, or already in
    /// `status`, is left alone: a late or repeated carrier receipt neither
    /// undoes a final status nor counts as a change.
    /// Returns the message as it is now, and whether it changed.
    pub async fn set_sms_status(
        &self,
        id: i64,
        status: SmsStatus,
        provider_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<Option<(SmsRow, bool)>, StoreError> {
        let done = sqlx::query(
            "UPDATE sms SET status = $1, provider_id = COALESCE($2, provider_id), error = COALESCE($3, error), \
             updated_at = $4 WHERE id = $5 AND status <> $1 AND status NOT IN ('delivered', 'failed')",
        )
        .bind(status.as_str())
        .bind(provider_id)
        .bind(error)
        .bind(clock::now())
        .bind(id)
        .execute(self.pool())
        .await?;
        let changed = done.rows_affected() > 0;
        Ok(self.sms_by_id(None, id).await?.map(|row| (row, changed)))
    }
}
