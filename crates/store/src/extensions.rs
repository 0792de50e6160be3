//! Extensions: a tenant's SIP accounts. The password is sealed at rest.
//!
//! A soft-deleted extension (`deleted_at` set, seed 002's `DELETE`) keeps
//! its row but is left out of every lookup except `extension_record`: it
//! no longer registers, is called or is listed. Its row is purged when its
//! username is taken again.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

/// An extension as the API shows it (password opened).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtensionRow {
    pub id: i64,
    pub tenant_id: i64,
    pub user_id: i64,
    pub sip_username: String,
    pub sip_password: String,
    pub cellphone: String,
    pub transcription: i64,
    pub recording: i64,
    pub updated_at: String,
    pub domain: String,
    /// Seed 002's `name`: what people call the extension.
    pub display_name: String,
    /// Seed 002's `detail`: a free-text note.
    pub detail: String,
    /// The secret part of its direct address `sip:direct.<hash>@<domain>`.
    pub direct_hash: Option<String>,
    pub created_at: String,
    /// When it was soft-deleted (only `extension_record` returns such rows).
    pub deleted_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewExtension {
    pub tenant_id: i64,
    pub user_id: i64,
    pub sip_username: String,
    pub sip_password: String,
    pub cellphone: String,
    pub transcription: i64,
    pub recording: i64,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ExtensionChanges {
    pub sip_username: Option<String>,
    pub sip_password: Option<String>,
    pub cellphone: Option<String>,
    pub transcription: Option<i64>,
    pub recording: Option<i64>,
    pub display_name: Option<String>,
    pub detail: Option<String>,
    /// `Some(None)` removes the direct address, `Some(Some(hash))` sets it.
    pub direct_hash: Option<Option<String>>,
}

const SELECT: &str = "SELECT e.id, e.tenant_id, e.user_id, e.sip_username, e.sip_password_enc, e.cellphone, \
     e.transcription, e.recording, e.updated_at, t.domain, e.display_name, e.detail, e.direct_hash, e.created_at, \
     e.deleted_at FROM extensions e JOIN tenants t ON t.id = e.tenant_id";

impl Store {
    fn extension(&self, row: &AnyRow) -> Result<ExtensionRow, StoreError> {
        let sealed: String = row.try_get("sip_password_enc")?;
        Ok(ExtensionRow {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            user_id: row.try_get("user_id")?,
            sip_username: row.try_get("sip_username")?,
            sip_password: self.secrets.open(&sealed)?,
            cellphone: row.try_get("cellphone")?,
            transcription: row.try_get("transcription")?,
            recording: row.try_get("recording")?,
            updated_at: row.try_get("updated_at")?,
            domain: row.try_get("domain")?,
            display_name: row.try_get("display_name")?,
            detail: row.try_get("detail")?,
            direct_hash: row.try_get("direct_hash")?,
            created_at: row.try_get("created_at")?,
            deleted_at: row.try_get("deleted_at")?,
        })
    }

    /// Extensions of one tenant, or of all tenants when `tenant_id` is `None`.
    pub async fn extensions(&self, tenant_id: Option<i64>) -> Result<Vec<ExtensionRow>, StoreError> {
        let rows = match tenant_id {
            Some(t) => {
                sqlx::query(AssertSqlSafe(format!(
                    "{SELECT} WHERE e.tenant_id = $1 AND e.deleted_at IS NULL ORDER BY e.id"
                )))
                .bind(t)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE e.deleted_at IS NULL ORDER BY e.id")))
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(|r| self.extension(r)).collect()
    }

    /// One extension, visible only inside `tenant_id` unless `None` (super-admin).
    pub async fn extension_by_id(&self, tenant_id: Option<i64>, id: i64) -> Result<Option<ExtensionRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE e.id = $1 AND e.deleted_at IS NULL")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let ext = row.as_ref().map(|r| self.extension(r)).transpose()?;
        Ok(ext.filter(|e| tenant_id.is_none_or(|t| t == e.tenant_id)))
    }

    pub async fn extension_by_username(
        &self,
        tenant_id: i64,
        username: &str,
    ) -> Result<Option<ExtensionRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} WHERE e.tenant_id = $1 AND e.sip_username = $2 AND e.deleted_at IS NULL"
        )))
        .bind(tenant_id)
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(|r| self.extension(r)).transpose()
    }

    /// Creates an extension; a taken `sip_username` in the tenant is `Conflict`.
    pub async fn insert_extension(&self, new: &NewExtension) -> Result<ExtensionRow, StoreError> {
        self.insert_labelled_extension(new, "", "").await
    }

    /// Creates an extension with seed 002's `display_name` (its `name`) and
    /// `detail`; a taken `sip_username` in the tenant is `Conflict`.
    pub async fn insert_labelled_extension(
        &self,
        new: &NewExtension,
        display_name: &str,
        detail: &str,
    ) -> Result<ExtensionRow, StoreError> {
        self.purge_deleted_username(new.tenant_id, &new.sip_username).await?;
        let now = clock::now();
        let row = sqlx::query(
            "INSERT INTO extensions (tenant_id, user_id, sip_username, sip_password_enc, cellphone, transcription, \
             recording, created_at, updated_at, display_name, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.tenant_id)
        .bind(new.user_id)
        .bind(&new.sip_username)
        .bind(self.secrets.seal(&new.sip_password)?)
        .bind(&new.cellphone)
        .bind(new.transcription)
        .bind(new.recording)
        .bind(&now)
        .bind(&now)
        .bind(display_name)
        .bind(detail)
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.extension_by_id(None, id).await?.ok_or(StoreError::Conflict)
    }

    /// Applies `changes`; returns the updated row, or `None` if it is not there.
    pub async fn update_extension(
        &self,
        id: i64,
        changes: &ExtensionChanges,
    ) -> Result<Option<ExtensionRow>, StoreError> {
        let Some(cur) = self.extension_by_id(None, id).await? else { return Ok(None) };
        let password = changes.sip_password.as_deref().unwrap_or(&cur.sip_password);
        if let Some(name) = changes.sip_username.as_ref().filter(|u| **u != cur.sip_username) {
            self.purge_deleted_username(cur.tenant_id, name).await?;
        }
        let direct_hash = changes.direct_hash.as_ref().unwrap_or(&cur.direct_hash);
        sqlx::query(
            "UPDATE extensions SET sip_username = $1, sip_password_enc = $2, cellphone = $3, transcription = $4, \
             recording = $5, updated_at = $6, display_name = $7, detail = $8, direct_hash = $9 WHERE id = $10",
        )
        .bind(changes.sip_username.as_deref().unwrap_or(&cur.sip_username))
        .bind(self.secrets.seal(password)?)
        .bind(changes.cellphone.as_deref().unwrap_or(&cur.cellphone))
        .bind(changes.transcription.unwrap_or(cur.transcription))
        .bind(changes.recording.unwrap_or(cur.recording))
        .bind(clock::now())
        .bind(changes.display_name.as_deref().unwrap_or(&cur.display_name))
        .bind(changes.detail.as_deref().unwrap_or(&cur.detail))
        .bind(direct_hash.as_deref())
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        if changes.sip_username.as_ref().is_some_and(|u| *u != cur.sip_username) {
            // The AOR changed: the old bindings no longer belong to anyone.
            sqlx::query("DELETE FROM registrations WHERE extension_id = $1").bind(id).execute(self.pool()).await?;
        }
        self.extension_by_id(None, id).await
    }

    /// Deletes an extension with its bindings and unassigns its DIDs, in one
    /// transaction. Returns whether it existed.
    pub async fn delete_extension(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM registrations WHERE extension_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("UPDATE did_numbers SET extension_id = NULL WHERE extension_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM extensions WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// One extension, soft-deleted or not, visible only inside `tenant_id`
    /// unless `None` (super-admin).
    pub async fn extension_record(&self, tenant_id: Option<i64>, id: i64) -> Result<Option<ExtensionRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE e.id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let ext = row.as_ref().map(|r| self.extension(r)).transpose()?;
        Ok(ext.filter(|e| tenant_id.is_none_or(|t| t == e.tenant_id)))
    }

    /// Up to `limit` extensions (of one tenant, or of all when `None`),
    /// newest first by `created_at`, created before `before` when given.
    pub async fn extensions_page(
        &self,
        tenant_id: Option<i64>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ExtensionRow>, StoreError> {
        let mut sql = format!("{SELECT} WHERE e.deleted_at IS NULL");
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        if tenant_id.is_some() {
            sql.push_str(&format!(" AND e.tenant_id = ${}", next()));
        }
        if before.is_some() {
            sql.push_str(&format!(" AND e.created_at < ${}", next()));
        }
        sql.push_str(&format!(" ORDER BY e.created_at DESC, e.id DESC LIMIT ${}", next()));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some(t) = tenant_id {
            query = query.bind(t);
        }
        if let Some(b) = before {
            query = query.bind(b.to_string());
        }
        let rows = query.bind(limit).fetch_all(self.pool()).await?;
        rows.iter().map(|r| self.extension(r)).collect()
    }

    /// Soft-deletes an extension: it keeps its row with `deleted_at` set and
    /// loses its direct address, bindings, DIDs, hunt group places and desk
    /// phones, in one transaction.
    /// Returns the deleted row, or `None` if there was no live extension.
    pub async fn soft_delete_extension(&self, id: i64) -> Result<Option<ExtensionRow>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE extensions SET deleted_at = $1, direct_hash = NULL WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(clock::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        sqlx::query("DELETE FROM registrations WHERE extension_id = $1").bind(id).execute(&mut *tx).await?;
        // What a hard delete would cascade to: it no longer rings in hunt
        // groups, and DIDs and desk phones are let go.
        sqlx::query("DELETE FROM hunt_group_members WHERE extension_id = $1").bind(id).execute(&mut *tx).await?;
        for sql in [
            "UPDATE did_numbers SET extension_id = NULL WHERE extension_id = $1",
            "UPDATE phones SET extension_id = NULL WHERE extension_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.extension_record(None, id).await
    }

    /// Removes soft-deleted extensions named `username` in `tenant_id`, so
    /// the name can be taken again.
    async fn purge_deleted_username(&self, tenant_id: i64, username: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM extensions WHERE tenant_id = $1 AND sip_username = $2 AND deleted_at IS NOT NULL")
            .bind(tenant_id)
            .bind(username)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
