//! Registrar bindings (location service), persisted so that a restart or a
//! crash loses no registration.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

/// One contact bound to an address-of-record.
#[derive(Debug, Clone, PartialEq)]
pub struct BindingRow {
    pub tenant_id: i64,
    pub extension_id: i64,
    pub aor: String,
    pub contact: String,
    pub q: f64,
    pub call_id: String,
    pub cseq: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// `ip:port` the REGISTER came from (what NAT'd phones are reached at).
    pub source: String,
    pub transport: String,
    pub user_agent: String,
    /// RFC 3327 Path header values, comma-separated, in order.
    pub path: String,
}

/// Same fields: a binding to insert or refresh.
pub type NewBinding = BindingRow;

fn binding(row: &AnyRow) -> Result<BindingRow, sqlx::Error> {
    Ok(BindingRow {
        tenant_id: row.try_get("tenant_id")?,
        extension_id: row.try_get("extension_id")?,
        aor: row.try_get("aor")?,
        contact: row.try_get("contact")?,
        q: row.try_get("q")?,
        call_id: row.try_get("call_id")?,
        cseq: row.try_get("cseq")?,
        expires_at: row.try_get("expires_at")?,
        source: row.try_get("source")?,
        transport: row.try_get("transport")?,
        user_agent: row.try_get("user_agent")?,
        path: row.try_get("path")?,
    })
}

const COLUMNS: &str =
    "tenant_id, extension_id, aor, contact, q, call_id, cseq, expires_at, source, transport, user_agent, path";

impl Store {
    /// Inserts or refreshes the binding for (`aor`, `contact`).
    pub async fn upsert_binding(&self, b: &NewBinding) -> Result<(), StoreError> {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO registrations ({COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (aor, contact) DO UPDATE SET tenant_id = excluded.tenant_id, extension_id = excluded.extension_id, \
             q = excluded.q, call_id = excluded.call_id, cseq = excluded.cseq, expires_at = excluded.expires_at, \
             source = excluded.source, transport = excluded.transport, user_agent = excluded.user_agent, \
             path = excluded.path, updated_at = excluded.updated_at"
        )))
        .bind(b.tenant_id)
        .bind(b.extension_id)
        .bind(&b.aor)
        .bind(&b.contact)
        .bind(b.q)
        .bind(&b.call_id)
        .bind(b.cseq)
        .bind(b.expires_at)
        .bind(&b.source)
        .bind(&b.transport)
        .bind(&b.user_agent)
        .bind(&b.path)
        .bind(clock::now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_binding(&self, aor: &str, contact: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM registrations WHERE aor = $1 AND contact = $2")
            .bind(aor)
            .bind(contact)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_bindings_of(&self, aor: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM registrations WHERE aor = $1").bind(aor).execute(self.pool()).await?;
        Ok(())
    }

    /// Every binding that has not expired at `now_unix`.
    pub async fn live_bindings(&self, tenant_id: Option<i64>, now_unix: i64) -> Result<Vec<BindingRow>, StoreError> {
        let rows =
            match tenant_id {
                Some(t) => sqlx::query(AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM registrations WHERE tenant_id = $1 AND expires_at > $2 ORDER BY aor, contact"
                )))
                .bind(t)
                .bind(now_unix)
                .fetch_all(self.pool())
                .await?,
                None => {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM registrations WHERE expires_at > $1 ORDER BY aor, contact"
                    )))
                    .bind(now_unix)
                    .fetch_all(self.pool())
                    .await?
                }
            };
        Ok(rows.iter().map(binding).collect::<Result<_, _>>()?)
    }

    /// Removes bindings that expired at or before `now_unix`.
    pub async fn purge_expired_bindings(&self, now_unix: i64) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM registrations WHERE expires_at <= $1").bind(now_unix).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    /// The current Unix time as the store sees it (for callers without a clock).
    pub fn unix_now(&self) -> i64 {
        clock::unix_now()
    }
}
