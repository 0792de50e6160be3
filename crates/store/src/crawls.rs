//! IVR crawls: dialling a business's number again and again to map its
//! menu tree. A crawl is the tree of one number in one tenant; each attempt
//! at it is a scan; each prompt reached is a node.
//!
//! ```text
//!   Calling ──► Processed            (completed: every node explored)
//!      │  ▲
//!      ▼  │ retry at next_retry_at
//!    Failed
//! ```
//!
//! A crawl still `Calling` when the switch starts was cut short by a
//! restart and is resumed; its nodes are kept, so a resumed crawl only
//! dials what it has not explored.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

/// One number's crawl, as `/api/callmenu/` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlRow {
    pub id: i64,
    pub tenant_id: i64,
    pub number: String,
    pub business_name: Option<String>,
    /// Whether a failed crawl is tried again.
    pub retry_enabled: bool,
    pub attempt: i64,
    /// Every node of the tree has been explored.
    pub completed: bool,
    /// `Calling`, `Processed` or `Failed`.
    pub status: String,
    /// Why it failed, in words.
    pub reason: Option<String>,
    /// When a failed crawl is tried again (RFC 3339).
    pub next_retry_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl CrawlRow {
    /// A call of the crawl is under way (or was, when the switch stopped).
    pub const CALLING: &'static str = "Calling";
    /// The last attempt ended normally.
    pub const PROCESSED: &'static str = "Processed";
    /// The last attempt failed; see `reason`.
    pub const FAILED: &'static str = "Failed";
}

/// One attempt at a crawl, as `/api/scan/` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRow {
    pub id: i64,
    pub crawl_id: i64,
    pub tenant_id: i64,
    pub number: String,
    /// `Calling`, `Processed` or `Failed`.
    pub status: String,
    pub attempt: i64,
    /// The calls placed during the attempt, in order.
    pub call_uuids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A prompt of the menu tree.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlNodeRow {
    pub id: i64,
    pub crawl_id: i64,
    pub parent_id: Option<i64>,
    /// The digit pressed to get here from the parent; "" for the root.
    pub key: String,
    /// The digits pressed from the root, comma-separated: "", "1", "1,3".
    pub keys_to_reach: String,
    /// The words of the parent's prompt that offered this option.
    pub parent_text: String,
    /// The transcript of this prompt.
    pub audio_text: String,
    /// The speech recogniser's detail (segments, confidence, word times).
    pub audio_text_debug: Option<serde_json::Value>,
    /// The `/api/media/…` path of the prompt's recording.
    pub prompt_audio: Option<String>,
    /// Its prompt was heard and its options listed.
    pub explored: bool,
    pub created_at: String,
}

const SELECT_CRAWL: &str = "SELECT id, tenant_id, number, business_name, retry_enabled, attempt, completed, status, \
     reason, next_retry_at, created_at, updated_at FROM crawls";

const SELECT_SCAN: &str =
    "SELECT id, crawl_id, tenant_id, number, status, attempt, call_uuids, created_at, updated_at FROM crawl_scans";

const SELECT_NODE: &str = "SELECT id, crawl_id, parent_id, key, keys_to_reach, parent_text, audio_text, \
     audio_text_debug, prompt_audio, explored, created_at FROM crawl_nodes";

fn crawl(row: &AnyRow) -> Result<CrawlRow, sqlx::Error> {
    Ok(CrawlRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        number: row.try_get("number")?,
        business_name: row.try_get("business_name")?,
        retry_enabled: row.try_get::<i64, _>("retry_enabled")? != 0,
        attempt: row.try_get("attempt")?,
        completed: row.try_get::<i64, _>("completed")? != 0,
        status: row.try_get("status")?,
        reason: row.try_get("reason")?,
        next_retry_at: row.try_get("next_retry_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn scan(row: &AnyRow) -> Result<ScanRow, sqlx::Error> {
    let uuids: String = row.try_get("call_uuids")?;
    Ok(ScanRow {
        id: row.try_get("id")?,
        crawl_id: row.try_get("crawl_id")?,
        tenant_id: row.try_get("tenant_id")?,
        number: row.try_get("number")?,
        status: row.try_get("status")?,
        attempt: row.try_get("attempt")?,
        call_uuids: uuids.split(',').filter(|u| !u.is_empty()).map(str::to_string).collect(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn node(row: &AnyRow) -> Result<CrawlNodeRow, sqlx::Error> {
    let debug: Option<String> = row.try_get("audio_text_debug")?;
    let debug = debug
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|e| sqlx::Error::Decode(format!("crawl_nodes.audio_text_debug: {e}").into()))?;
    Ok(CrawlNodeRow {
        id: row.try_get("id")?,
        crawl_id: row.try_get("crawl_id")?,
        parent_id: row.try_get("parent_id")?,
        key: row.try_get("key")?,
        keys_to_reach: row.try_get("keys_to_reach")?,
        parent_text: row.try_get("parent_text")?,
        audio_text: row.try_get("audio_text")?,
        audio_text_debug: debug,
        prompt_audio: row.try_get("prompt_audio")?,
        explored: row.try_get::<i64, _>("explored")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// The latest crawl of `number` in `tenant_id`.
    pub async fn crawl_by_number(&self, tenant_id: i64, number: &str) -> Result<Option<CrawlRow>, StoreError> {
        let sql = format!("{SELECT_CRAWL} WHERE tenant_id = $1 AND number = $2 ORDER BY id DESC LIMIT 1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(tenant_id).bind(number).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(crawl).transpose()?)
    }

    /// One crawl, whatever its tenant.
    pub async fn crawl(&self, crawl_id: i64) -> Result<Option<CrawlRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT_CRAWL} WHERE id = $1")))
            .bind(crawl_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(crawl).transpose()?)
    }

    /// Starts a crawl of `number`: `Calling`, attempt 0, no nodes.
    pub async fn create_crawl(
        &self,
        tenant_id: i64,
        number: &str,
        business_name: Option<&str>,
        retry_enabled: bool,
    ) -> Result<CrawlRow, StoreError> {
        let now = clock::now();
        let row = sqlx::query(
            "INSERT INTO crawls (tenant_id, number, business_name, retry_enabled, attempt, completed, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7) RETURNING id",
        )
        .bind(tenant_id)
        .bind(number)
        .bind(business_name)
        .bind(i64::from(retry_enabled))
        .bind(CrawlRow::CALLING)
        .bind(&now)
        .bind(&now)
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.crawl(id).await?.ok_or(StoreError::Conflict)
    }

    /// Forgets the tree of a crawl so it is mapped afresh (`new=1`).
    pub async fn reset_crawl(&self, crawl_id: i64) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM crawl_nodes WHERE crawl_id = $1").bind(crawl_id).execute(&mut *tx).await?;
        sqlx::query("UPDATE crawls SET completed = 0, updated_at = $1 WHERE id = $2")
            .bind(clock::now())
            .bind(crawl_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records where a crawl stands; `reason` and `next_retry_at` are
    /// replaced, so `None` clears them.
    pub async fn set_crawl_state(
        &self,
        crawl_id: i64,
        status: &str,
        attempt: i64,
        completed: bool,
        reason: Option<&str>,
        next_retry_at: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE crawls SET status = $1, attempt = $2, completed = $3, reason = $4, next_retry_at = $5, \
             updated_at = $6 WHERE id = $7",
        )
        .bind(status)
        .bind(attempt)
        .bind(i64::from(completed))
        .bind(reason)
        .bind(next_retry_at)
        .bind(clock::now())
        .bind(crawl_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a new attempt at `crawl` (its current `attempt`), `Calling`.
    pub async fn add_scan(&self, crawl: &CrawlRow) -> Result<ScanRow, StoreError> {
        let now = clock::now();
        let row = sqlx::query(
            "INSERT INTO crawl_scans (crawl_id, tenant_id, number, status, attempt, call_uuids, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, '', $6, $7) RETURNING id",
        )
        .bind(crawl.id)
        .bind(crawl.tenant_id)
        .bind(&crawl.number)
        .bind(CrawlRow::CALLING)
        .bind(crawl.attempt)
        .bind(&now)
        .bind(&now)
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        let row =
            sqlx::query(AssertSqlSafe(format!("{SELECT_SCAN} WHERE id = $1"))).bind(id).fetch_one(self.pool()).await?;
        Ok(scan(&row)?)
    }

    /// Sets a scan's status and, when given, adds a call to its list.
    pub async fn set_scan_status(&self, scan_id: i64, status: &str, call_uuid: Option<&str>) -> Result<(), StoreError> {
        let now = clock::now();
        let query = match call_uuid {
            Some(uuid) => sqlx::query(
                "UPDATE crawl_scans SET status = $1, updated_at = $2, call_uuids = CASE WHEN call_uuids = '' \
                 THEN $3 ELSE call_uuids || ',' || $4 END WHERE id = $5",
            )
            .bind(status)
            .bind(now)
            .bind(uuid)
            .bind(uuid),
            None => {
                sqlx::query("UPDATE crawl_scans SET status = $1, updated_at = $2 WHERE id = $3").bind(status).bind(now)
            }
        };
        query.bind(scan_id).execute(self.pool()).await?;
        Ok(())
    }

    /// A page of a tenant's scans, newest first, of one number or of all
    /// (`None`), and how many there are in all.
    pub async fn scans(
        &self,
        tenant_id: i64,
        number: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<ScanRow>), StoreError> {
        // "" matches every number, so one query text serves both cases.
        let filter = "WHERE tenant_id = $1 AND ($2 = '' OR number = $2)";
        let number = number.unwrap_or("");
        let total: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM crawl_scans {filter}")))
            .bind(tenant_id)
            .bind(number)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SELECT_SCAN} {filter} ORDER BY id DESC LIMIT {} OFFSET {}",
            limit.max(0),
            offset.max(0)
        )))
        .bind(tenant_id)
        .bind(number)
        .fetch_all(self.pool())
        .await?;
        Ok((total, rows.iter().map(scan).collect::<Result<_, _>>()?))
    }

    /// Adds the node reached by `keys_to_reach`, or returns the one already
    /// there: a resumed crawl never duplicates a node.
    pub async fn upsert_node(
        &self,
        crawl_id: i64,
        parent_id: Option<i64>,
        key: &str,
        keys_to_reach: &str,
        parent_text: &str,
    ) -> Result<CrawlNodeRow, StoreError> {
        sqlx::query(
            "INSERT INTO crawl_nodes (crawl_id, parent_id, key, keys_to_reach, parent_text, audio_text, explored, \
             created_at) VALUES ($1, $2, $3, $4, $5, '', 0, $6) ON CONFLICT (crawl_id, keys_to_reach) DO NOTHING",
        )
        .bind(crawl_id)
        .bind(parent_id)
        .bind(key)
        .bind(keys_to_reach)
        .bind(parent_text)
        .bind(clock::now())
        .execute(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT_NODE} WHERE crawl_id = $1 AND keys_to_reach = $2")))
            .bind(crawl_id)
            .bind(keys_to_reach)
            .fetch_one(self.pool())
            .await?;
        Ok(node(&row)?)
    }

    /// Records what a node's prompt said, and marks it explored.
    pub async fn set_node_prompt(
        &self,
        node_id: i64,
        audio_text: &str,
        audio_text_debug: Option<&serde_json::Value>,
        prompt_audio: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE crawl_nodes SET audio_text = $1, audio_text_debug = $2, prompt_audio = $3, explored = 1 \
             WHERE id = $4",
        )
        .bind(audio_text)
        .bind(audio_text_debug.map(serde_json::Value::to_string))
        .bind(prompt_audio)
        .bind(node_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every node of a crawl, in the order they were found.
    pub async fn crawl_nodes(&self, crawl_id: i64) -> Result<Vec<CrawlNodeRow>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("{SELECT_NODE} WHERE crawl_id = $1 ORDER BY id")))
            .bind(crawl_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(node).collect::<Result<_, _>>()?)
    }

    /// A node with its crawl, when the crawl belongs to `tenant_id`.
    pub async fn crawl_node(
        &self,
        tenant_id: i64,
        node_id: i64,
    ) -> Result<Option<(CrawlRow, CrawlNodeRow)>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT_NODE} WHERE id = $1")))
            .bind(node_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(found) = row.as_ref().map(node).transpose()? else { return Ok(None) };
        let owner = self.crawl(found.crawl_id).await?.filter(|c| c.tenant_id == tenant_id);
        Ok(owner.map(|c| (c, found)))
    }

    /// Crawls still `Calling`: a restart cut them short.
    pub async fn crawls_to_resume(&self) -> Result<Vec<CrawlRow>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("{SELECT_CRAWL} WHERE status = $1 ORDER BY id")))
            .bind(CrawlRow::CALLING)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(crawl).collect::<Result<_, _>>()?)
    }

    /// Failed crawls with retries on whose retry time has come by `now`
    /// (RFC 3339, as `clock` writes it).
    pub async fn crawls_due_retry(&self, now: &str) -> Result<Vec<CrawlRow>, StoreError> {
        let sql = format!(
            "{SELECT_CRAWL} WHERE status = $1 AND retry_enabled = 1 AND next_retry_at IS NOT NULL \
             AND next_retry_at <= $2 ORDER BY next_retry_at, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(CrawlRow::FAILED).bind(now).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(crawl).collect::<Result<_, _>>()?)
    }
}
