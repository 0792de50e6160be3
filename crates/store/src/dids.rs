//! DID numbers bought from a provider and routed to an extension or to a
//! hosted IVR menu.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DidRow {
    pub id: i64,
    pub tenant_id: i64,
    pub provider_id: i64,
    pub phonenumber: String,
    pub domain: String,
    pub extension_id: Option<i64>,
    /// The IVR menu calls to the number get, instead of an extension.
    pub ivr_id: Option<i64>,
    pub recording: i64,
    pub created_at: String,
    /// Put before the caller's name on calls in on the number (seed 003's `di_didnameprefix`).
    pub cid_name_prefix: String,
    /// Put before the caller's number on calls in (seed 003's `di_didprefix`).
    pub number_prefix: String,
    /// A PBX destination (`DestinationRef` text) for calls in; '' = none.
    pub destination: String,
    /// A free-text label (seed 003's `di_comment`).
    pub comment: String,
}

/// The PBX fields of a DID to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct DidPbxChanges {
    pub cid_name_prefix: Option<String>,
    pub number_prefix: Option<String>,
    pub destination: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewDid {
    pub tenant_id: i64,
    pub provider_id: i64,
    pub phonenumber: String,
    pub extension_id: Option<i64>,
}

const SELECT: &str = "SELECT d.id, d.tenant_id, d.provider_id, d.phonenumber, t.domain, d.extension_id, d.ivr_id, \
     d.recording, d.created_at, d.cid_name_prefix, d.number_prefix, d.destination, d.comment FROM did_numbers d JOIN tenants t ON t.id = d.tenant_id";

fn did(row: &AnyRow) -> Result<DidRow, sqlx::Error> {
    Ok(DidRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        provider_id: row.try_get("provider_id")?,
        phonenumber: row.try_get("phonenumber")?,
        domain: row.try_get("domain")?,
        extension_id: row.try_get("extension_id")?,
        ivr_id: row.try_get("ivr_id")?,
        recording: row.try_get("recording")?,
        created_at: row.try_get("created_at")?,
        cid_name_prefix: row.try_get("cid_name_prefix")?,
        number_prefix: row.try_get("number_prefix")?,
        destination: row.try_get("destination")?,
        comment: row.try_get("comment")?,
    })
}

impl Store {
    /// Returns the id of the provider called `name`, creating it when missing.
    pub async fn ensure_provider(&self, name: &str, kind: &str) -> Result<i64, StoreError> {
        let find = || async {
            let row =
                sqlx::query("SELECT id FROM providers WHERE name = $1").bind(name).fetch_optional(self.pool()).await?;
            row.map(|r| r.try_get::<i64, _>("id")).transpose().map_err(StoreError::from)
        };
        if let Some(id) = find().await? {
            return Ok(id);
        }
        let inserted = sqlx::query("INSERT INTO providers (name, kind, created_at) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(kind)
            .bind(clock::now())
            .execute(self.pool())
            .await;
        match inserted.map_err(StoreError::from_write) {
            Ok(_) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
        find().await?.ok_or(StoreError::Conflict)
    }

    pub async fn dids(&self, tenant_id: Option<i64>) -> Result<Vec<DidRow>, StoreError> {
        let rows = match tenant_id {
            Some(t) => {
                sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE d.tenant_id = $1 ORDER BY d.id")))
                    .bind(t)
                    .fetch_all(self.pool())
                    .await?
            }
            None => sqlx::query(AssertSqlSafe(format!("{SELECT} ORDER BY d.id"))).fetch_all(self.pool()).await?,
        };
        Ok(rows.iter().map(did).collect::<Result<_, _>>()?)
    }

    pub async fn did_by_id(&self, tenant_id: Option<i64>, id: i64) -> Result<Option<DidRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE d.id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let d = row.as_ref().map(did).transpose()?;
        Ok(d.filter(|d| tenant_id.is_none_or(|t| t == d.tenant_id)))
    }

    /// The DID owning `number` (E.164 digits), in any tenant: inbound routing.
    pub async fn did_by_number(&self, number: &str) -> Result<Option<DidRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE d.phonenumber = $1")))
            .bind(number)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(did).transpose()?)
    }

    pub async fn insert_did(&self, new: &NewDid) -> Result<DidRow, StoreError> {
        let row = sqlx::query(
            "INSERT INTO did_numbers (tenant_id, provider_id, phonenumber, extension_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.tenant_id)
        .bind(new.provider_id)
        .bind(&new.phonenumber)
        .bind(new.extension_id)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.did_by_id(None, id).await?.ok_or(StoreError::Conflict)
    }

    /// Points a DID at another extension (or none).
    pub async fn assign_did(&self, id: i64, extension_id: Option<i64>) -> Result<Option<DidRow>, StoreError> {
        sqlx::query("UPDATE did_numbers SET extension_id = $1 WHERE id = $2")
            .bind(extension_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        self.did_by_id(None, id).await
    }

    /// Routes a DID of `tenant_id` to an IVR menu, clearing its extension
    /// (a number routes to one or the other), or with `None` takes the menu
    /// away. `None` when the tenant has no such DID.
    pub async fn set_did_ivr(
        &self,
        tenant_id: i64,
        did_id: i64,
        ivr_id: Option<i64>,
    ) -> Result<Option<DidRow>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE did_numbers SET ivr_id = $1 WHERE id = $2 AND tenant_id = $3")
            .bind(ivr_id)
            .bind(did_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if ivr_id.is_some() {
            sqlx::query("UPDATE did_numbers SET extension_id = NULL WHERE id = $1")
                .bind(did_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.did_by_id(Some(tenant_id), did_id).await
    }

    /// Sets the PBX fields of a DID of `tenant_id`; `None` when the tenant
    /// has no such DID.
    pub async fn set_did_pbx(
        &self,
        tenant_id: i64,
        did_id: i64,
        changes: &DidPbxChanges,
    ) -> Result<Option<DidRow>, StoreError> {
        let Some(cur) = self.did_by_id(Some(tenant_id), did_id).await? else { return Ok(None) };
        sqlx::query("UPDATE did_numbers SET cid_name_prefix = $1, number_prefix = $2, destination = $3 WHERE id = $4")
            .bind(changes.cid_name_prefix.as_ref().unwrap_or(&cur.cid_name_prefix))
            .bind(changes.number_prefix.as_ref().unwrap_or(&cur.number_prefix))
            .bind(changes.destination.as_ref().unwrap_or(&cur.destination))
            .bind(did_id)
            .execute(self.pool())
            .await?;
        self.did_by_id(Some(tenant_id), did_id).await
    }

    /// Sets the label of a DID of `tenant_id`; `None` when the tenant has
    /// no such DID.
    pub async fn set_did_comment(
        &self,
        tenant_id: i64,
        did_id: i64,
        comment: &str,
    ) -> Result<Option<DidRow>, StoreError> {
        sqlx::query("UPDATE did_numbers SET comment = $1 WHERE id = $2 AND tenant_id = $3")
            .bind(comment)
            .bind(did_id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        self.did_by_id(Some(tenant_id), did_id).await
    }

    pub async fn delete_did(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM did_numbers WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }
}
