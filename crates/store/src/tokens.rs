//! API tokens. Only a SHA-256 of each token is stored; the token itself is
//! shown once when it is made.

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Store, StoreError, clock};

/// What a presented token may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenScope {
    pub token_id: i64,
    pub tenant_id: i64,
    pub user_id: i64,
    /// A super-admin token spans every tenant.
    pub is_superadmin: bool,
}

/// A new random token: 40 hex characters, like the seed API's tokens.
pub fn generate_token() -> String {
    let mut raw = [0u8; 20];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Stores the hash of `token` for `user_id` in `tenant_id`.
    pub async fn insert_token(
        &self,
        tenant_id: i64,
        user_id: i64,
        name: &str,
        token: &str,
        superadmin: bool,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (tenant_id, user_id, name, token_hash, is_superadmin, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(name)
        .bind(hash_token(token))
        .bind(i64::from(superadmin))
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        Ok(row.try_get("id")?)
    }

    /// Looks a presented token up by its hash.
    pub async fn token_scope(&self, token: &str) -> Result<Option<TokenScope>, StoreError> {
        let row = sqlx::query("SELECT id, tenant_id, user_id, is_superadmin FROM api_tokens WHERE token_hash = $1")
            .bind(hash_token(token))
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TokenScope {
            token_id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            user_id: row.try_get("user_id")?,
            is_superadmin: row.try_get::<i64, _>("is_superadmin")? != 0,
        }))
    }

    pub async fn token_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM api_tokens").fetch_one(self.pool()).await?;
        Ok(row.try_get("n")?)
    }
}
