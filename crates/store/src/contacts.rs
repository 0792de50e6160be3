//! Contacts: each user's address book of phone numbers.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub id: i64,
    pub tenant_id: i64,
    pub user_id: i64,
    pub name: String,
    /// Digits only.
    pub number: String,
    pub created_at: String,
}

const SELECT: &str = "SELECT id, tenant_id, user_id, name, number, created_at FROM contacts";

fn contact(row: &AnyRow) -> Result<ContactRow, sqlx::Error> {
    Ok(ContactRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        number: row.try_get("number")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// A user's contacts, or everyone's when `user_id` is `None`.
    pub async fn contacts(&self, user_id: Option<i64>) -> Result<Vec<ContactRow>, StoreError> {
        let rows = match user_id {
            Some(u) => {
                sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE user_id = $1 ORDER BY id")))
                    .bind(u)
                    .fetch_all(self.pool())
                    .await?
            }
            None => sqlx::query(AssertSqlSafe(format!("{SELECT} ORDER BY id"))).fetch_all(self.pool()).await?,
        };
        Ok(rows.iter().map(contact).collect::<Result<_, _>>()?)
    }

    pub async fn contact_by_id(&self, id: i64) -> Result<Option<ContactRow>, StoreError> {
        let row =
            sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(contact).transpose()?)
    }

    /// Adds a contact; the same number twice for one user is `Conflict`.
    pub async fn insert_contact(
        &self,
        tenant_id: i64,
        user_id: i64,
        name: &str,
        number: &str,
    ) -> Result<ContactRow, StoreError> {
        let row = sqlx::query(
            "INSERT INTO contacts (tenant_id, user_id, name, number, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(name)
        .bind(number)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.contact_by_id(id).await?.ok_or(StoreError::Conflict)
    }

    pub async fn delete_contact(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM contacts WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }
}
