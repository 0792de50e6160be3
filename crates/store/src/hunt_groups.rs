//! Hunt groups (seed 003's `hunt`): a number the tenant's phones dial like
//! an extension, ringing member extensions by a strategy.

use std::collections::HashMap;
use std::fmt;

use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::{Store, StoreError, clock};

/// How a hunt group rings its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HuntStrategy {
    /// Every member at once, for `ring_secs` in total.
    RingAll,
    /// One member after another in their order, `ring_secs` each.
    Sequential,
    /// Like `Sequential`, starting after the member who took the last call.
    RoundRobin,
    /// Like `Sequential`, the member whose last call ended longest ago first.
    LongestIdle,
}

impl HuntStrategy {
    pub const ALL: [HuntStrategy; 4] =
        [HuntStrategy::RingAll, HuntStrategy::Sequential, HuntStrategy::RoundRobin, HuntStrategy::LongestIdle];

    pub fn as_str(self) -> &'static str {
        match self {
            HuntStrategy::RingAll => "ring_all",
            HuntStrategy::Sequential => "sequential",
            HuntStrategy::RoundRobin => "round_robin",
            HuntStrategy::LongestIdle => "longest_idle",
        }
    }

    /// The strategy named `s` as stored (`ring_all`, `sequential`, …).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for HuntStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member of a group, in ringing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuntMember {
    pub extension_id: i64,
    pub sip_username: String,
    pub ord: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuntGroup {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    /// Dialled like an extension by the tenant's phones.
    pub number: String,
    pub strategy: HuntStrategy,
    /// Per member for the sequential kinds, in total for `RingAll`.
    pub ring_secs: i64,
    /// Skip members already on a call (seed 003's `hu_checkinuse`).
    pub skip_busy: bool,
    /// A destination for calls nobody answered; '' = hang up.
    pub overflow: String,
    /// The member who took the last call (round-robin position).
    pub last_member_id: Option<i64>,
    pub members: Vec<HuntMember>,
    pub created_at: String,
    pub updated_at: String,
}

/// A group to create, or the whole new content of one.
#[derive(Debug, Clone)]
pub struct NewHuntGroup {
    pub name: String,
    pub number: String,
    pub strategy: HuntStrategy,
    pub ring_secs: i64,
    pub skip_busy: bool,
    pub overflow: String,
    /// Extension ids, in ringing order; each at most once.
    pub members: Vec<i64>,
}

const SELECT: &str = "SELECT id, tenant_id, name, number, strategy, ring_secs, skip_busy, overflow, last_member_id, \
     created_at, updated_at FROM hunt_groups";

fn group(row: &AnyRow) -> Result<HuntGroup, StoreError> {
    let strategy: String = row.try_get("strategy")?;
    Ok(HuntGroup {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        number: row.try_get("number")?,
        strategy: HuntStrategy::parse(&strategy).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(format!("unknown hunt strategy {strategy:?}").into()))
        })?,
        ring_secs: row.try_get("ring_secs")?,
        skip_busy: row.try_get::<i64, _>("skip_busy")? != 0,
        overflow: row.try_get("overflow")?,
        last_member_id: row.try_get("last_member_id")?,
        members: Vec::new(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn write_members(tx: &mut Transaction<'_, Any>, group_id: i64, members: &[i64]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM hunt_group_members WHERE hunt_group_id = $1").bind(group_id).execute(&mut **tx).await?;
    for (ord, ext) in (0_i64..).zip(members) {
        sqlx::query("INSERT INTO hunt_group_members (hunt_group_id, extension_id, ord) VALUES ($1, $2, $3)")
            .bind(group_id)
            .bind(ext)
            .bind(ord)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from_write)?;
    }
    Ok(())
}

impl Store {
    /// Fills in the members of `groups`.
    async fn with_members(&self, mut groups: Vec<HuntGroup>) -> Result<Vec<HuntGroup>, StoreError> {
        for g in &mut groups {
            let members = sqlx::query(
                "SELECT m.extension_id, e.sip_username, m.ord FROM hunt_group_members m \
                 JOIN extensions e ON e.id = m.extension_id WHERE m.hunt_group_id = $1 ORDER BY m.ord",
            )
            .bind(g.id)
            .fetch_all(self.pool())
            .await?;
            g.members = members
                .iter()
                .map(|r| {
                    Ok(HuntMember {
                        extension_id: r.try_get("extension_id")?,
                        sip_username: r.try_get("sip_username")?,
                        ord: r.try_get("ord")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()?;
        }
        Ok(groups)
    }

    async fn one_hunt_group(&self, row: Option<AnyRow>) -> Result<Option<HuntGroup>, StoreError> {
        let Some(g) = row.as_ref().map(group).transpose()? else { return Ok(None) };
        Ok(self.with_members(vec![g]).await?.pop())
    }

    /// One group of `tenant_id`.
    pub async fn hunt_group(&self, tenant_id: i64, id: i64) -> Result<Option<HuntGroup>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1 AND tenant_id = $2")))
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(self.pool())
            .await?;
        self.one_hunt_group(row).await
    }

    /// One group, whatever its tenant (for a super-admin reaching it by id).
    pub async fn hunt_group_any_tenant(&self, id: i64) -> Result<Option<HuntGroup>, StoreError> {
        let row =
            sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        self.one_hunt_group(row).await
    }

    /// The group a phone of `tenant_id` reaches by dialling `number`.
    pub async fn hunt_group_by_number(&self, tenant_id: i64, number: &str) -> Result<Option<HuntGroup>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 AND number = $2")))
            .bind(tenant_id)
            .bind(number)
            .fetch_optional(self.pool())
            .await?;
        self.one_hunt_group(row).await
    }

    /// The groups of `tenant_id`, by id.
    pub async fn hunt_groups(&self, tenant_id: i64) -> Result<Vec<HuntGroup>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 ORDER BY id")))
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        let groups = rows.iter().map(group).collect::<Result<Vec<_>, _>>()?;
        self.with_members(groups).await
    }

    /// Creates a group; a number taken in the tenant, or a member given
    /// twice, is `Conflict`.
    pub async fn create_hunt_group(&self, tenant_id: i64, new: &NewHuntGroup) -> Result<HuntGroup, StoreError> {
        let now = clock::now();
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "INSERT INTO hunt_groups (tenant_id, name, number, strategy, ring_secs, skip_busy, overflow, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(tenant_id)
        .bind(&new.name)
        .bind(&new.number)
        .bind(new.strategy.as_str())
        .bind(new.ring_secs)
        .bind(i64::from(new.skip_busy))
        .bind(&new.overflow)
        .bind(&now)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        write_members(&mut tx, id, &new.members).await?;
        tx.commit().await?;
        self.hunt_group(tenant_id, id).await?.ok_or(StoreError::Conflict)
    }

    /// Replaces a group and its members; `None` when the tenant has no such
    /// group. The round-robin position is kept while that member stays.
    pub async fn update_hunt_group(
        &self,
        tenant_id: i64,
        id: i64,
        new: &NewHuntGroup,
    ) -> Result<Option<HuntGroup>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE hunt_groups SET name = $1, number = $2, strategy = $3, ring_secs = $4, skip_busy = $5, \
             overflow = $6, updated_at = $7 WHERE id = $8 AND tenant_id = $9",
        )
        .bind(&new.name)
        .bind(&new.number)
        .bind(new.strategy.as_str())
        .bind(new.ring_secs)
        .bind(i64::from(new.skip_busy))
        .bind(&new.overflow)
        .bind(clock::now())
        .bind(id)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_write)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        write_members(&mut tx, id, &new.members).await?;
        sqlx::query(
            "UPDATE hunt_groups SET last_member_id = NULL WHERE id = $1 AND last_member_id IS NOT NULL \
             AND last_member_id NOT IN (SELECT extension_id FROM hunt_group_members WHERE hunt_group_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.hunt_group(tenant_id, id).await
    }

    /// Deletes a group with its members; whether it existed in the tenant.
    pub async fn delete_hunt_group(&self, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "DELETE FROM hunt_group_members WHERE hunt_group_id IN \
             (SELECT id FROM hunt_groups WHERE id = $1 AND tenant_id = $2)",
        )
        .bind(id)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM hunt_groups WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records the member who took the last call, for round-robin.
    pub async fn set_hunt_last_member(&self, id: i64, extension_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE hunt_groups SET last_member_id = $1 WHERE id = $2")
            .bind(extension_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// When each extension's last call ended (`MAX(cdrs.ended_at)` over the
    /// calls recorded against it), `None` for one that never had a call:
    /// longest-idle hunting rings the oldest first.
    pub async fn last_call_ended(&self, extension_ids: &[i64]) -> Result<HashMap<i64, Option<String>>, StoreError> {
        let mut out: HashMap<i64, Option<String>> = extension_ids.iter().map(|id| (*id, None)).collect();
        if extension_ids.is_empty() {
            return Ok(out);
        }
        let list = extension_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT extension_id, MAX(ended_at) AS last_ended FROM cdrs WHERE extension_id IN ({list}) \
             AND ended_at IS NOT NULL GROUP BY extension_id"
        );
        for row in sqlx::query(AssertSqlSafe(sql)).fetch_all(self.pool()).await? {
            let id: i64 = row.try_get("extension_id")?;
            out.insert(id, row.try_get("last_ended")?);
        }
        Ok(out)
    }
}
