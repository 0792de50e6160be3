//! Tenants (one SIP domain/realm each) and the users who own objects in them.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, clock};

/// A tenant: its SIP domain is also its digest realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRow {
    pub id: i64,
    pub domain: String,
    pub name: String,
}

/// A user of a tenant (token owner, extension owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub tenant_id: i64,
    pub username: String,
    pub is_superadmin: bool,
}

fn tenant(row: &AnyRow) -> Result<TenantRow, sqlx::Error> {
    Ok(TenantRow { id: row.try_get("id")?, domain: row.try_get("domain")?, name: row.try_get("name")? })
}

impl Store {
    /// Returns the tenant for `domain`, creating it when missing.
    pub async fn ensure_tenant(&self, domain: &str) -> Result<TenantRow, StoreError> {
        if let Some(t) = self.tenant_by_domain(domain).await? {
            return Ok(t);
        }
        let inserted = sqlx::query("INSERT INTO tenants (domain, name, created_at) VALUES ($1, $2, $3)")
            .bind(domain)
            .bind(domain)
            .bind(clock::now())
            .execute(self.pool())
            .await;
        match inserted.map_err(StoreError::from_write) {
            Ok(_) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
        self.tenant_by_domain(domain).await?.ok_or(StoreError::Conflict)
    }

    pub async fn tenant_by_domain(&self, domain: &str) -> Result<Option<TenantRow>, StoreError> {
        let row = sqlx::query("SELECT id, domain, name FROM tenants WHERE domain = $1")
            .bind(domain)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(tenant).transpose()?)
    }

    pub async fn tenant(&self, id: i64) -> Result<Option<TenantRow>, StoreError> {
        let row = sqlx::query("SELECT id, domain, name FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(tenant).transpose()?)
    }

    pub async fn tenants(&self) -> Result<Vec<TenantRow>, StoreError> {
        let rows = sqlx::query("SELECT id, domain, name FROM tenants ORDER BY id").fetch_all(self.pool()).await?;
        Ok(rows.iter().map(tenant).collect::<Result<_, _>>()?)
    }

    /// Returns the user called `username`, creating it in `tenant_id` when missing.
    pub async fn ensure_user(&self, tenant_id: i64, username: &str, superadmin: bool) -> Result<UserRow, StoreError> {
        let find = || async {
            let row = sqlx::query("SELECT id, tenant_id, username, is_superadmin FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(self.pool())
                .await?;
            row.map(|r| -> Result<UserRow, sqlx::Error> {
                Ok(UserRow {
                    id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    username: r.try_get("username")?,
                    is_superadmin: r.try_get::<i64, _>("is_superadmin")? != 0,
                })
            })
            .transpose()
            .map_err(StoreError::from)
        };
        if let Some(u) = find().await? {
            return Ok(u);
        }
        sqlx::query("INSERT INTO users (tenant_id, username, is_superadmin, created_at) VALUES ($1, $2, $3, $4)")
            .bind(tenant_id)
            .bind(username)
            .bind(i64::from(superadmin))
            .bind(clock::now())
            .execute(self.pool())
            .await
            .map_err(StoreError::from_write)?;
        find().await?.ok_or(StoreError::Conflict)
    }
}
