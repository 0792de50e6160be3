//! Voicemail messages left for an extension. The audio is a WAV under the
//! recordings directory; a row says where, who called and whether it has
//! been heard (what message-waiting indicators count).

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

/// A message to record once its WAV is written.
#[derive(Debug, Clone)]
pub struct NewVoicemail {
    pub tenant_id: i64,
    pub extension_id: i64,
    /// The caller's number or SIP user, as presented.
    pub caller: String,
    pub call_uuid: String,
    /// Relative to the recordings directory.
    pub path: String,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailRow {
    pub id: i64,
    pub tenant_id: i64,
    pub extension_id: i64,
    pub caller: String,
    pub call_uuid: String,
    pub path: String,
    pub duration_ms: i64,
    pub heard: bool,
    pub created_at: String,
}

const SELECT: &str = "SELECT id, tenant_id, extension_id, caller, call_uuid, path, duration_ms, heard, created_at \
     FROM voicemail_messages";

fn voicemail(row: &AnyRow) -> Result<VoicemailRow, sqlx::Error> {
    Ok(VoicemailRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        extension_id: row.try_get("extension_id")?,
        caller: row.try_get("caller")?,
        call_uuid: row.try_get("call_uuid")?,
        path: row.try_get("path")?,
        duration_ms: row.try_get("duration_ms")?,
        heard: row.try_get::<i64, _>("heard")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Records a new, unheard message; returns its id.
    pub async fn add_voicemail(&self, new: &NewVoicemail) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO voicemail_messages (tenant_id, extension_id, caller, call_uuid, path, duration_ms, heard, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id",
        )
        .bind(new.tenant_id)
        .bind(new.extension_id)
        .bind(&new.caller)
        .bind(&new.call_uuid)
        .bind(&new.path)
        .bind(new.duration_ms)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        Ok(row.try_get("id")?)
    }

    /// Messages of `tenant_id`, of one extension when given, newest first.
    pub async fn voicemails(&self, tenant_id: i64, extension_id: Option<i64>) -> Result<Vec<VoicemailRow>, StoreError> {
        let rows = match extension_id {
            Some(ext) => {
                sqlx::query(AssertSqlSafe(format!(
                    "{SELECT} WHERE tenant_id = $1 AND extension_id = $2 ORDER BY created_at DESC, id DESC"
                )))
                .bind(tenant_id)
                .bind(ext)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC")))
                    .bind(tenant_id)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        Ok(rows.iter().map(voicemail).collect::<Result<_, _>>()?)
    }

    /// One message of `tenant_id`.
    pub async fn voicemail(&self, tenant_id: i64, id: i64) -> Result<Option<VoicemailRow>, StoreError> {
        Ok(self.voicemail_any_tenant(id).await?.filter(|v| v.tenant_id == tenant_id))
    }

    /// One message, whatever its tenant.
    pub async fn voicemail_any_tenant(&self, id: i64) -> Result<Option<VoicemailRow>, StoreError> {
        let row =
            sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(voicemail).transpose()?)
    }

    /// Marks a message heard or new again; whether it exists.
    pub async fn mark_voicemail_heard(&self, id: i64, heard: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE voicemail_messages SET heard = $1 WHERE id = $2")
            .bind(i64::from(heard))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a message of `tenant_id`, returning it (its file is the
    /// caller's to remove); `None` when there is no such message.
    pub async fn delete_voicemail(&self, tenant_id: i64, id: i64) -> Result<Option<VoicemailRow>, StoreError> {
        let Some(found) = self.voicemail(tenant_id, id).await? else { return Ok(None) };
        let done = sqlx::query("DELETE FROM voicemail_messages WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        Ok((done.rows_affected() > 0).then_some(found))
    }

    /// `(new, old)`: how many messages of an extension are unheard and heard.
    pub async fn voicemail_counts(&self, extension_id: i64) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(CASE WHEN heard = 0 THEN 1 END) AS fresh, COUNT(CASE WHEN heard <> 0 THEN 1 END) AS old \
             FROM voicemail_messages WHERE extension_id = $1",
        )
        .bind(extension_id)
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("fresh")?, row.try_get("old")?))
    }
}
