//! Custom destinations (seed 003's `custom`, type FORWARD): a named outside
//! number, dialled through the tenant's trunk routing.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, clock};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDestinationRow {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    /// Digits with an optional leading `+`.
    pub number: String,
    pub created_at: String,
}

const SELECT: &str = "SELECT id, tenant_id, name, number, created_at FROM custom_destinations";

fn custom(row: &AnyRow) -> Result<CustomDestinationRow, sqlx::Error> {
    Ok(CustomDestinationRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        number: row.try_get("number")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    pub async fn create_custom_destination(
        &self,
        tenant_id: i64,
        name: &str,
        number: &str,
    ) -> Result<CustomDestinationRow, StoreError> {
        let row = sqlx::query(
            "INSERT INTO custom_destinations (tenant_id, name, number, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(number)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.custom_destination(tenant_id, id).await?.ok_or(StoreError::Conflict)
    }

    /// One custom destination of `tenant_id`.
    pub async fn custom_destination(
        &self,
        tenant_id: i64,
        id: i64,
    ) -> Result<Option<CustomDestinationRow>, StoreError> {
        Ok(self.custom_destination_any_tenant(id).await?.filter(|c| c.tenant_id == tenant_id))
    }

    /// One custom destination, whatever its tenant.
    pub async fn custom_destination_any_tenant(&self, id: i64) -> Result<Option<CustomDestinationRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(custom).transpose()?)
    }

    /// The custom destinations of `tenant_id`, by id.
    pub async fn custom_destinations(&self, tenant_id: i64) -> Result<Vec<CustomDestinationRow>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 ORDER BY id")))
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(custom).collect::<Result<_, _>>()?)
    }

    /// Renames or renumbers one; `None` when the tenant has no such one.
    pub async fn update_custom_destination(
        &self,
        tenant_id: i64,
        id: i64,
        name: &str,
        number: &str,
    ) -> Result<Option<CustomDestinationRow>, StoreError> {
        sqlx::query("UPDATE custom_destinations SET name = $1, number = $2 WHERE id = $3 AND tenant_id = $4")
            .bind(name)
            .bind(number)
            .bind(id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        self.custom_destination(tenant_id, id).await
    }

    /// Deletes one; whether it existed in the tenant.
    pub async fn delete_custom_destination(&self, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM custom_destinations WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
