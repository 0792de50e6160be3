//! Call detail records. A row is written when a call starts and completed
//! when it ends, so a call that is up when the process dies still has one;
//! `close_unfinished_cdrs` finishes those on the next start.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

#[derive(Debug, Clone, PartialEq)]
pub struct CdrRow {
    pub id: i64,
    pub tenant_id: i64,
    pub domain: String,
    pub call_direction: String,
    pub call_uuid: String,
    pub did_number_id: Option<i64>,
    pub call_from: String,
    pub call_to: String,
    pub extension_id: Option<i64>,
    pub is_verified: bool,
    pub in_contact: bool,
    pub bill_duration: i64,
    pub recording: Option<String>,
    pub transcription_text: Option<String>,
    pub hangup_cause: Option<String>,
    pub started_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    pub created_at: String,
}

/// What is known when a call reaches the switch.
#[derive(Debug, Clone)]
pub struct CdrStart {
    pub tenant_id: i64,
    pub call_uuid: String,
    pub call_direction: String,
    pub did_number_id: Option<i64>,
    pub call_from: String,
    pub call_to: String,
    pub extension_id: Option<i64>,
    pub is_verified: bool,
    pub in_contact: bool,
    pub started_at: String,
}

/// What is known when it ends.
#[derive(Debug, Clone)]
pub struct CdrEnd {
    pub call_uuid: String,
    pub answered_at: Option<String>,
    pub ended_at: String,
    pub bill_duration: i64,
    pub hangup_cause: String,
    pub recording: Option<String>,
    pub transcription_text: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CdrOrder {
    CreatedAsc,
    #[default]
    CreatedDesc,
}

/// The list filters of `GET /api/cdrs/`.
#[derive(Debug, Clone, Default)]
pub struct CdrFilter {
    pub tenant_id: Option<i64>,
    /// The DID's phone number.
    pub did_number: Option<String>,
    /// The extension's SIP username.
    pub extension_number: Option<String>,
    /// Matches the id exactly or a prefix of `created_at`.
    pub search: Option<String>,
    pub order: CdrOrder,
    pub limit: Option<i64>,
    pub offset: i64,
}

const COLUMNS: &str = "c.id, c.tenant_id, t.domain, c.call_direction, c.call_uuid, c.did_number_id, c.call_from, \
     c.call_to, c.extension_id, c.is_verified, c.in_contact, c.bill_duration, c.recording, c.transcription_text, \
     c.hangup_cause, c.started_at, c.answered_at, c.ended_at, c.created_at";

fn cdr(row: &AnyRow) -> Result<CdrRow, sqlx::Error> {
    Ok(CdrRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        domain: row.try_get("domain")?,
        call_direction: row.try_get("call_direction")?,
        call_uuid: row.try_get("call_uuid")?,
        did_number_id: row.try_get("did_number_id")?,
        call_from: row.try_get("call_from")?,
        call_to: row.try_get("call_to")?,
        extension_id: row.try_get("extension_id")?,
        is_verified: row.try_get::<i64, _>("is_verified")? != 0,
        in_contact: row.try_get::<i64, _>("in_contact")? != 0,
        bill_duration: row.try_get("bill_duration")?,
        recording: row.try_get("recording")?,
        transcription_text: row.try_get("transcription_text")?,
        hangup_cause: row.try_get("hangup_cause")?,
        started_at: row.try_get("started_at")?,
        answered_at: row.try_get("answered_at")?,
        ended_at: row.try_get("ended_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Builds the WHERE clause; every user value goes through a bind.
fn filter_sql(f: &CdrFilter) -> (String, Vec<String>) {
    let mut sql = String::from(" FROM cdrs c JOIN tenants t ON t.id = c.tenant_id WHERE 1=1");
    let mut binds: Vec<String> = Vec::new();
    let mut push = |sql: &mut String, clause: &str, value: String| {
        binds.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    if let Some(t) = f.tenant_id {
        push(&mut sql, " AND c.tenant_id = CAST($? AS BIGINT)", t.to_string());
    }
    if let Some(n) = &f.did_number {
        push(&mut sql, " AND c.did_number_id IN (SELECT id FROM did_numbers WHERE phonenumber = $?)", n.clone());
    }
    if let Some(n) = &f.extension_number {
        push(&mut sql, " AND c.extension_id IN (SELECT id FROM extensions WHERE sip_username = $?)", n.clone());
    }
    if let Some(s) = &f.search {
        push(&mut sql, " AND (CAST(c.id AS TEXT) = $? OR c.created_at LIKE", s.clone());
        push(&mut sql, " $?)", format!("{}%", s.replace(['%', '_'], "")));
    }
    (sql, binds)
}

impl Store {
    pub async fn start_cdr(&self, s: &CdrStart) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO cdrs (tenant_id, call_uuid, call_direction, did_number_id, call_from, call_to, extension_id, \
             is_verified, in_contact, started_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             RETURNING id",
        )
        .bind(s.tenant_id)
        .bind(&s.call_uuid)
        .bind(&s.call_direction)
        .bind(s.did_number_id)
        .bind(&s.call_from)
        .bind(&s.call_to)
        .bind(s.extension_id)
        .bind(i64::from(s.is_verified))
        .bind(i64::from(s.in_contact))
        .bind(&s.started_at)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        Ok(row.try_get("id")?)
    }

    pub async fn end_cdr(&self, e: &CdrEnd) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE cdrs SET answered_at = $1, ended_at = $2, bill_duration = $3, hangup_cause = $4, \
             recording = COALESCE($5, recording), transcription_text = COALESCE($6, transcription_text) \
             WHERE call_uuid = $7",
        )
        .bind(&e.answered_at)
        .bind(&e.ended_at)
        .bind(e.bill_duration)
        .bind(&e.hangup_cause)
        .bind(&e.recording)
        .bind(&e.transcription_text)
        .bind(&e.call_uuid)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records the answer time while the call is still up, so a crash
    /// mid-call still leaves a CDR that says it was answered.
    pub async fn answer_cdr(&self, call_uuid: &str, answered_at: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE cdrs SET answered_at = $1 WHERE call_uuid = $2")
            .bind(answered_at)
            .bind(call_uuid)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Closes every CDR left open by a previous run with `cause`.
    pub async fn close_unfinished_cdrs(&self, cause: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE cdrs SET hangup_cause = $1, ended_at = $2 WHERE ended_at IS NULL")
            .bind(cause)
            .bind(clock::now())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn cdr_by_uuid(&self, call_uuid: &str) -> Result<Option<CdrRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM cdrs c JOIN tenants t ON t.id = c.tenant_id WHERE c.call_uuid = $1"
        )))
        .bind(call_uuid)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(cdr).transpose()?)
    }

    /// Lists CDRs matching `f` and the total count before paging.
    pub async fn cdrs(&self, f: &CdrFilter) -> Result<(Vec<CdrRow>, i64), StoreError> {
        let (where_sql, binds) = filter_sql(f);
        let count_sql = format!("SELECT COUNT(*) AS n{where_sql}");
        let mut count = sqlx::query(AssertSqlSafe(count_sql));
        for b in &binds {
            count = count.bind(b);
        }
        let total: i64 = count.fetch_one(self.pool()).await?.try_get("n")?;
        let order = match f.order {
            CdrOrder::CreatedAsc => "c.created_at ASC, c.id ASC",
            CdrOrder::CreatedDesc => "c.created_at DESC, c.id DESC",
        };
        let limit = f.limit.unwrap_or(i64::MAX).clamp(0, i64::MAX);
        let list_sql = format!("SELECT {COLUMNS}{where_sql} ORDER BY {order} LIMIT {limit} OFFSET {}", f.offset.max(0));
        let mut list = sqlx::query(AssertSqlSafe(list_sql));
        for b in &binds {
            list = list.bind(b);
        }
        let rows = list.fetch_all(self.pool()).await?;
        Ok((rows.iter().map(cdr).collect::<Result<_, _>>()?, total))
    }

    /// `tenant_id`'s CDRs that started at or after `from` and before
    /// `until` (both formatted as stored: they compare as text in time
    /// order), newest first, one page of `limit` after `offset`; and how
    /// many there are in all.
    pub async fn cdrs_started_between(
        &self,
        tenant_id: i64,
        from: &str,
        until: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CdrRow>, i64), StoreError> {
        let where_sql = " FROM cdrs c JOIN tenants t ON t.id = c.tenant_id \
             WHERE c.tenant_id = $1 AND c.started_at >= $2 AND c.started_at < $3";
        let total: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n{where_sql}")))
            .bind(tenant_id)
            .bind(from)
            .bind(until)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        let list_sql = format!(
            "SELECT {COLUMNS}{where_sql} ORDER BY c.started_at DESC, c.id DESC LIMIT {} OFFSET {}",
            limit.max(0),
            offset.max(0)
        );
        let rows =
            sqlx::query(AssertSqlSafe(list_sql)).bind(tenant_id).bind(from).bind(until).fetch_all(self.pool()).await?;
        Ok((rows.iter().map(cdr).collect::<Result<_, _>>()?, total))
    }

    /// `tenant_id`'s newest CDR whose `recording` is exactly `recording`.
    pub async fn cdr_by_recording(&self, tenant_id: i64, recording: &str) -> Result<Option<CdrRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM cdrs c JOIN tenants t ON t.id = c.tenant_id \
             WHERE c.tenant_id = $1 AND c.recording = $2 ORDER BY c.id DESC LIMIT 1"
        )))
        .bind(tenant_id)
        .bind(recording)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(cdr).transpose()?)
    }
}
