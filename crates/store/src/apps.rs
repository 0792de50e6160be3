//! Third-party apps of the open API (seed 001): an app signs each request
//! with `sha256(app_id + … + app_secret)`, so the secret is kept sealed
//! (retrievable, to compute the same hash), not hashed like API tokens.

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

/// An app, its secret opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRow {
    pub id: i64,
    pub tenant_id: i64,
    /// Who made it; click-to-call rings this user's device by default.
    pub user_id: i64,
    pub name: String,
    /// The public identifier (`x-auth-app-id`).
    pub app_id: String,
    pub app_secret: String,
    pub created_at: String,
}

impl AppRow {
    /// `sha256(app_id + fields… + app_secret)` in lower-case hex: what the
    /// app sends as `x-auth-app-hash` (no fields) or as a query's `hash`.
    pub fn signature(&self, fields: &[&str]) -> String {
        let mut h = Sha256::new();
        h.update(self.app_id.as_bytes());
        for f in fields {
            h.update(f.as_bytes());
        }
        h.update(self.app_secret.as_bytes());
        hex::encode(h.finalize())
    }

    /// Whether `presented` is [`Self::signature`] of `fields` (hex in
    /// either case), compared in constant time.
    pub fn verify(&self, fields: &[&str], presented: &str) -> bool {
        let expected = self.signature(fields);
        let presented = presented.trim().to_ascii_lowercase();
        expected.len() == presented.len()
            && expected.bytes().zip(presented.bytes()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    }
}

/// `n` random bytes in hex.
fn random_hex(n: usize) -> String {
    let mut raw = vec![0u8; n];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

const SELECT: &str = "SELECT id, tenant_id, user_id, name, app_id, app_secret_enc, created_at FROM apps";

impl Store {
    fn app(&self, row: &AnyRow) -> Result<AppRow, StoreError> {
        let sealed: String = row.try_get("app_secret_enc")?;
        Ok(AppRow {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            user_id: row.try_get("user_id")?,
            name: row.try_get("name")?,
            app_id: row.try_get("app_id")?,
            app_secret: self.secrets.open(&sealed)?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Makes an app with a fresh id and secret.
    pub async fn insert_app(&self, tenant_id: i64, user_id: i64, name: &str) -> Result<AppRow, StoreError> {
        let app_id = random_hex(12);
        let secret = random_hex(24);
        let row = sqlx::query(
            "INSERT INTO apps (tenant_id, user_id, name, app_id, app_secret_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(name)
        .bind(&app_id)
        .bind(self.secrets.seal(&secret)?)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.app_by_id(id).await?.ok_or(StoreError::Conflict)
    }

    /// A tenant's apps, or every app when `tenant_id` is `None`.
    pub async fn apps(&self, tenant_id: Option<i64>) -> Result<Vec<AppRow>, StoreError> {
        let rows = match tenant_id {
            Some(t) => {
                sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 ORDER BY id")))
                    .bind(t)
                    .fetch_all(self.pool())
                    .await?
            }
            None => sqlx::query(AssertSqlSafe(format!("{SELECT} ORDER BY id"))).fetch_all(self.pool()).await?,
        };
        rows.iter().map(|r| self.app(r)).collect()
    }

    pub async fn app_by_id(&self, id: i64) -> Result<Option<AppRow>, StoreError> {
        let row =
            sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(|r| self.app(r)).transpose()
    }

    /// The app a request names in `x-auth-app-id`.
    pub async fn app_by_app_id(&self, app_id: &str) -> Result<Option<AppRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE app_id = $1")))
            .bind(app_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(|r| self.app(r)).transpose()
    }

    pub async fn delete_app(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM apps WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }
}
