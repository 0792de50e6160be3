//! Which tenants a user may act in (seed 003's "a user belongs to
//! tenants"): its own tenant (`users.tenant_id`), every tenant a
//! `user_tenants` row adds, and for a super-admin every tenant there is.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, TenantRow, UserRow, clock};

/// The ids of the tenants user `$1` belongs to, as a sub-select.
const TENANTS_OF_USER: &str = "SELECT t.id FROM tenants t WHERE \
     EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND (u.is_superadmin <> 0 OR u.tenant_id = t.id)) \
     OR EXISTS (SELECT 1 FROM user_tenants m WHERE m.user_id = $1 AND m.tenant_id = t.id)";

fn tenant(row: &AnyRow) -> Result<TenantRow, sqlx::Error> {
    Ok(TenantRow { id: row.try_get("id")?, domain: row.try_get("domain")?, name: row.try_get("name")? })
}

fn user(row: &AnyRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        username: row.try_get("username")?,
        is_superadmin: row.try_get::<i64, _>("is_superadmin")? != 0,
    })
}

impl Store {
    /// Lets `user_id` act in `tenant_id` too. False when nothing changed:
    /// the user already belonged there (its own tenant or an earlier
    /// membership), or the user or the tenant does not exist.
    pub async fn add_user_tenant(&self, user_id: i64, tenant_id: i64) -> Result<bool, StoreError> {
        // INSERT … SELECT with a WHERE clause, so SQLite reads the ON
        // CONFLICT as the upsert clause.
        let done = sqlx::query(
            "INSERT INTO user_tenants (user_id, tenant_id, created_at) \
             SELECT u.id, t.id, $3 FROM users u, tenants t WHERE u.id = $1 AND t.id = $2 AND u.tenant_id <> t.id \
             ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(tenant_id)
        .bind(clock::now())
        .execute(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        Ok(done.rows_affected() > 0)
    }

    /// Takes back a membership `add_user_tenant` gave; false when there
    /// was none (a user's own tenant is not a membership).
    pub async fn remove_user_tenant(&self, user_id: i64, tenant_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM user_tenants WHERE user_id = $1 AND tenant_id = $2")
            .bind(user_id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The tenants `user_id` may act in, by id: its own and its
    /// memberships, or all of them for a super-admin. Empty for an unknown user.
    pub async fn user_tenants(&self, user_id: i64) -> Result<Vec<TenantRow>, StoreError> {
        let sql = format!("SELECT id, domain, name FROM tenants WHERE id IN ({TENANTS_OF_USER}) ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(tenant).collect::<Result<_, _>>()?)
    }

    /// Whether `user_id` may act in `tenant_id` (see `user_tenants`).
    pub async fn user_in_tenant(&self, user_id: i64, tenant_id: i64) -> Result<bool, StoreError> {
        let sql = format!("SELECT COUNT(*) AS n FROM tenants WHERE id = $2 AND id IN ({TENANTS_OF_USER})");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(tenant_id).fetch_one(self.pool()).await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// The users `user_id` may see, by id: every user of a tenant it
    /// belongs to (by their own tenant or a membership), itself included;
    /// every user for a super-admin.
    pub async fn users_visible_to(&self, user_id: i64) -> Result<Vec<UserRow>, StoreError> {
        let sql = format!(
            "SELECT id, tenant_id, username, is_superadmin FROM users WHERE id = $1 \
             OR tenant_id IN ({TENANTS_OF_USER}) \
             OR id IN (SELECT m.user_id FROM user_tenants m WHERE m.tenant_id IN ({TENANTS_OF_USER})) \
             ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(user).collect::<Result<_, _>>()?)
    }
}
