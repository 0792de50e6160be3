//! Desk phones provisioned over HTTP: a phone fetches its configuration
//! by MAC address with HTTP Basic credentials of its own (the password is
//! sealed at rest like SIP passwords), and registers as its extension.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, clock};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneRow {
    pub id: i64,
    pub tenant_id: i64,
    /// 12 lowercase hex digits.
    pub mac: String,
    pub model: String,
    pub extension_id: Option<i64>,
    pub http_username: String,
    /// Opened.
    pub http_password: String,
    pub created_at: String,
    /// What people call it (seed 003's `ph_name`); '' when unnamed.
    pub name: String,
}

/// A phone to add, or the whole new content of one.
#[derive(Debug, Clone)]
pub struct NewPhone {
    /// Any form `normalize_mac` accepts; stored normalised.
    pub mac: String,
    pub model: String,
    pub extension_id: Option<i64>,
    pub http_username: String,
    pub http_password: String,
}

/// `00:15:65:AB:CD:EF`, `00-15-65-ab-cd-ef` or `001565abcdef` as
/// `001565abcdef`; `None` when it is not 12 hex digits.
pub fn normalize_mac(mac: &str) -> Option<String> {
    let hex: String = mac.chars().filter(|c| *c != ':' && *c != '-').collect();
    (hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| hex.to_ascii_lowercase())
}

const SELECT: &str =
    "SELECT id, tenant_id, mac, model, extension_id, http_username, http_password_enc, created_at, name FROM phones";

impl Store {
    fn phone_row(&self, row: &AnyRow) -> Result<PhoneRow, StoreError> {
        let sealed: String = row.try_get("http_password_enc")?;
        Ok(PhoneRow {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            mac: row.try_get("mac")?,
            model: row.try_get("model")?,
            extension_id: row.try_get("extension_id")?,
            http_username: row.try_get("http_username")?,
            http_password: self.secrets.open(&sealed)?,
            created_at: row.try_get("created_at")?,
            name: row.try_get("name")?,
        })
    }

    /// Adds a phone; a MAC address already known (in any tenant) is
    /// `Conflict`, one that is not 12 hex digits is refused the same way.
    pub async fn create_phone(&self, tenant_id: i64, new: &NewPhone) -> Result<PhoneRow, StoreError> {
        let mac = normalize_mac(&new.mac).ok_or(StoreError::Conflict)?;
        let row = sqlx::query(
            "INSERT INTO phones (tenant_id, mac, model, extension_id, http_username, http_password_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(tenant_id)
        .bind(&mac)
        .bind(&new.model)
        .bind(new.extension_id)
        .bind(&new.http_username)
        .bind(self.secrets.seal(&new.http_password)?)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.phone_any_tenant(id).await?.ok_or(StoreError::Conflict)
    }

    /// One phone of `tenant_id`.
    pub async fn phone(&self, tenant_id: i64, id: i64) -> Result<Option<PhoneRow>, StoreError> {
        Ok(self.phone_any_tenant(id).await?.filter(|p| p.tenant_id == tenant_id))
    }

    /// One phone, whatever its tenant.
    pub async fn phone_any_tenant(&self, id: i64) -> Result<Option<PhoneRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(|r| self.phone_row(r)).transpose()
    }

    /// The phone with this MAC address (any form `normalize_mac` accepts),
    /// in any tenant: provisioning requests name only the MAC.
    pub async fn phone_by_mac(&self, mac: &str) -> Result<Option<PhoneRow>, StoreError> {
        let Some(mac) = normalize_mac(mac) else { return Ok(None) };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE mac = $1")))
            .bind(mac)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(|r| self.phone_row(r)).transpose()
    }

    /// The phones of `tenant_id`, by id.
    pub async fn phones(&self, tenant_id: i64) -> Result<Vec<PhoneRow>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 ORDER BY id")))
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| self.phone_row(r)).collect()
    }

    /// Replaces a phone; `None` when the tenant has no such phone,
    /// `Conflict` when the new MAC address is taken.
    pub async fn update_phone(&self, tenant_id: i64, id: i64, new: &NewPhone) -> Result<Option<PhoneRow>, StoreError> {
        let mac = normalize_mac(&new.mac).ok_or(StoreError::Conflict)?;
        sqlx::query(
            "UPDATE phones SET mac = $1, model = $2, extension_id = $3, http_username = $4, http_password_enc = $5 \
             WHERE id = $6 AND tenant_id = $7",
        )
        .bind(&mac)
        .bind(&new.model)
        .bind(new.extension_id)
        .bind(&new.http_username)
        .bind(self.secrets.seal(&new.http_password)?)
        .bind(id)
        .bind(tenant_id)
        .execute(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        self.phone(tenant_id, id).await
    }

    /// Names a phone of `tenant_id`; `None` when the tenant has no such phone.
    pub async fn set_phone_name(&self, tenant_id: i64, id: i64, name: &str) -> Result<Option<PhoneRow>, StoreError> {
        sqlx::query("UPDATE phones SET name = $1 WHERE id = $2 AND tenant_id = $3")
            .bind(name)
            .bind(id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        self.phone(tenant_id, id).await
    }

    /// Deletes a phone; whether it existed in the tenant.
    pub async fn delete_phone(&self, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM phones WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
