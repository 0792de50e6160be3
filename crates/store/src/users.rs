//! Console users and their signed-in sessions.
//!
//! A user's password is kept only as a PHC hash string made by the caller
//! (the console hashes with Argon2id); the store never sees a password. A
//! session is a random id the browser holds in a cookie: only its SHA-256
//! is stored, next to the session's CSRF token and what it may see.
//!
//! ```text
//!   create_session ──► live ──► delete_session (sign-out)
//!                        │
//!                        └────► expires_at passed, or its user or token
//!                               gone: no longer found, swept later
//! ```

use rand::RngCore;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, UserRow, clock, hash_token};

/// A session about to be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub user_id: i64,
    /// The API token signed in with, if it was one: the session ends with it.
    pub token_id: Option<i64>,
    /// The tenant the user (or token) belongs to.
    pub tenant_id: i64,
    /// May look at every tenant (and switch between them).
    pub is_superadmin: bool,
    /// How long it lasts from now, in seconds.
    pub lifetime_secs: i64,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub token_id: Option<i64>,
    /// The tenant the user belongs to.
    pub home_tenant_id: i64,
    /// The tenant being looked at; only a super-admin's may differ from
    /// `home_tenant_id`.
    pub tenant_id: i64,
    pub is_superadmin: bool,
    /// Every form of the session carries it back.
    pub csrf_token: String,
    pub created_at: String,
    /// Unix seconds.
    pub expires_at: i64,
}

const SELECT_USER: &str = "SELECT id, tenant_id, username, is_superadmin, password_hash FROM users";

const SELECT_SESSION: &str = "SELECT s.id, s.user_id, s.token_id, s.home_tenant_id, s.tenant_id, s.is_superadmin, \
     s.csrf_token, s.created_at, s.expires_at FROM console_sessions s JOIN users u ON u.id = s.user_id \
     LEFT JOIN api_tokens t ON t.id = s.token_id";

/// 32 random bytes as hex.
fn random_hex() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

fn user(row: &AnyRow) -> Result<(UserRow, Option<String>), sqlx::Error> {
    let found = UserRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        username: row.try_get("username")?,
        is_superadmin: row.try_get::<i64, _>("is_superadmin")? != 0,
    };
    Ok((found, row.try_get("password_hash")?))
}

fn session(row: &AnyRow) -> Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        token_id: row.try_get("token_id")?,
        home_tenant_id: row.try_get("home_tenant_id")?,
        tenant_id: row.try_get("tenant_id")?,
        is_superadmin: row.try_get::<i64, _>("is_superadmin")? != 0,
        csrf_token: row.try_get("csrf_token")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

impl Store {
    /// Adds a user who signs in with the password behind `password_hash`;
    /// `Conflict` when the username is taken (in any tenant).
    pub async fn create_user(
        &self,
        tenant_id: i64,
        username: &str,
        password_hash: &str,
        superadmin: bool,
    ) -> Result<UserRow, StoreError> {
        let row = sqlx::query(
            "INSERT INTO users (tenant_id, username, password_hash, is_superadmin, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(tenant_id)
        .bind(username)
        .bind(password_hash)
        .bind(i64::from(superadmin))
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        Ok(UserRow { id, tenant_id, username: username.to_string(), is_superadmin: superadmin })
    }

    /// Replaces a user's password hash (`None`: no password sign-in);
    /// false when there is no such user.
    pub async fn set_user_password(&self, user_id: i64, password_hash: Option<&str>) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The user called `username` and its password hash, for signing in.
    pub async fn user_credentials(&self, username: &str) -> Result<Option<(UserRow, Option<String>)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_USER} WHERE username = $1")))
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(user).transpose()?)
    }

    /// One user by id.
    pub async fn user(&self, id: i64) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_USER} WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(user).transpose()?.map(|(u, _)| u))
    }

    /// Starts a session at `now` (Unix seconds); returns the id to hand
    /// the browser (shown only here) and the session.
    pub async fn create_session(&self, new: &NewSession, now: i64) -> Result<(String, SessionRow), StoreError> {
        let secret = random_hex();
        sqlx::query(
            "INSERT INTO console_sessions (session_hash, csrf_token, user_id, token_id, home_tenant_id, tenant_id, \
             is_superadmin, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(hash_token(&secret))
        .bind(random_hex())
        .bind(new.user_id)
        .bind(new.token_id)
        .bind(new.tenant_id)
        .bind(new.tenant_id)
        .bind(i64::from(new.is_superadmin))
        .bind(clock::now())
        .bind(now.saturating_add(new.lifetime_secs))
        .execute(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let found = self.session(&secret, now).await?.ok_or(StoreError::Conflict)?;
        Ok((secret, found))
    }

    /// The live session whose id is `secret` at `now`: not expired, and
    /// its user (and token, if it signed in with one) still there.
    pub async fn session(&self, secret: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!(
            "{SELECT_SESSION} WHERE s.session_hash = $1 AND s.expires_at > $2 \
             AND (s.token_id IS NULL OR t.id IS NOT NULL)"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash_token(secret))
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(session).transpose()?)
    }

    /// Points a session at another tenant (the caller checks it may).
    pub async fn set_session_tenant(&self, session_id: i64, tenant_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE console_sessions SET tenant_id = $1 WHERE id = $2")
            .bind(tenant_id)
            .bind(session_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends the session whose id is `secret`; false if there was none.
    pub async fn delete_session(&self, secret: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE session_hash = $1")
            .bind(hash_token(secret))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes sessions expired by `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1").bind(now).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }
}
