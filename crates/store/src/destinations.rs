//! Seed 003's chained destinations (`destination/all`): after a source
//! object (`src_type` `src_id`) comes a target (`dst_type` `dst_id`), in
//! `ord` order. Types are the kinds of `DestinationRef` (plus `did` as a
//! source); they are stored and listed for the switch to follow.
//!
//! Also `destination_uses`: what still leads to an object, so the API
//! keeps objects that calls could land on.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{DestinationRef, Store, StoreError, clock};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationRow {
    pub id: i64,
    pub tenant_id: i64,
    pub src_type: String,
    pub src_id: i64,
    pub dst_type: String,
    /// `None` for a `hangup` target.
    pub dst_id: Option<i64>,
    pub ord: i64,
    pub created_at: String,
}

/// A chain link to create, or the whole new content of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDestination {
    pub src_type: String,
    pub src_id: i64,
    pub dst_type: String,
    pub dst_id: Option<i64>,
    pub ord: i64,
}

/// Something that leads to an object: the object's table, id and a label
/// a person recognises, and the field holding the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationUse {
    /// `extensions`, `hunt_groups`, `conditions`, `did_numbers` or `destinations`.
    pub table: &'static str,
    pub id: i64,
    pub label: String,
    pub field: &'static str,
}

const SELECT: &str = "SELECT id, tenant_id, src_type, src_id, dst_type, dst_id, ord, created_at FROM destinations";

fn destination(row: &AnyRow) -> Result<DestinationRow, sqlx::Error> {
    Ok(DestinationRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        src_type: row.try_get("src_type")?,
        src_id: row.try_get("src_id")?,
        dst_type: row.try_get("dst_type")?,
        dst_id: row.try_get("dst_id")?,
        ord: row.try_get("ord")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    pub async fn create_destination(&self, tenant_id: i64, new: &NewDestination) -> Result<DestinationRow, StoreError> {
        let row = sqlx::query(
            "INSERT INTO destinations (tenant_id, src_type, src_id, dst_type, dst_id, ord, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(tenant_id)
        .bind(&new.src_type)
        .bind(new.src_id)
        .bind(&new.dst_type)
        .bind(new.dst_id)
        .bind(new.ord)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.destination(tenant_id, id).await?.ok_or(StoreError::Conflict)
    }

    /// One chain link of `tenant_id`.
    pub async fn destination(&self, tenant_id: i64, id: i64) -> Result<Option<DestinationRow>, StoreError> {
        Ok(self.destination_any_tenant(id).await?.filter(|d| d.tenant_id == tenant_id))
    }

    /// One chain link, whatever its tenant.
    pub async fn destination_any_tenant(&self, id: i64) -> Result<Option<DestinationRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(destination).transpose()?)
    }

    /// The chain links of `tenant_id`, by `ord`, then id.
    pub async fn destinations(&self, tenant_id: i64) -> Result<Vec<DestinationRow>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 ORDER BY ord, id")))
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(destination).collect::<Result<_, _>>()?)
    }

    /// Replaces a chain link; `None` when the tenant has no such link.
    pub async fn update_destination(
        &self,
        tenant_id: i64,
        id: i64,
        new: &NewDestination,
    ) -> Result<Option<DestinationRow>, StoreError> {
        sqlx::query(
            "UPDATE destinations SET src_type = $1, src_id = $2, dst_type = $3, dst_id = $4, ord = $5 \
             WHERE id = $6 AND tenant_id = $7",
        )
        .bind(&new.src_type)
        .bind(new.src_id)
        .bind(&new.dst_type)
        .bind(new.dst_id)
        .bind(new.ord)
        .bind(id)
        .bind(tenant_id)
        .execute(self.pool())
        .await?;
        self.destination(tenant_id, id).await
    }

    /// Deletes a chain link; whether it existed in the tenant.
    pub async fn delete_destination(&self, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM destinations WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Everything in `tenant_id` that leads to `target`: extension forwards,
    /// hunt group overflows, condition branches, DID destinations and chain
    /// links naming it.
    pub async fn destination_uses(
        &self,
        tenant_id: i64,
        target: &DestinationRef,
    ) -> Result<Vec<DestinationUse>, StoreError> {
        let text = target.to_string();
        let mut uses = Vec::new();
        let rows = sqlx::query(
            "SELECT id, sip_username, forward_always, forward_busy, forward_no_answer, forward_unregistered \
             FROM extensions WHERE tenant_id = $1 AND (forward_always = $2 OR forward_busy = $2 \
             OR forward_no_answer = $2 OR forward_unregistered = $2) ORDER BY id",
        )
        .bind(tenant_id)
        .bind(&text)
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            for field in ["forward_always", "forward_busy", "forward_no_answer", "forward_unregistered"] {
                if row.try_get::<String, _>(field)? == text {
                    let user: String = row.try_get("sip_username")?;
                    uses.push(DestinationUse {
                        table: "extensions",
                        id: row.try_get("id")?,
                        label: format!("extension {user}"),
                        field,
                    });
                }
            }
        }
        let rows = sqlx::query("SELECT id, name FROM hunt_groups WHERE tenant_id = $1 AND overflow = $2 ORDER BY id")
            .bind(tenant_id)
            .bind(&text)
            .fetch_all(self.pool())
            .await?;
        for row in &rows {
            let name: String = row.try_get("name")?;
            uses.push(DestinationUse {
                table: "hunt_groups",
                id: row.try_get("id")?,
                label: format!("hunt group \"{name}\""),
                field: "overflow",
            });
        }
        let rows = sqlx::query(
            "SELECT id, name, match_destination, nomatch_destination FROM conditions WHERE tenant_id = $1 \
             AND (match_destination = $2 OR nomatch_destination = $2) ORDER BY id",
        )
        .bind(tenant_id)
        .bind(&text)
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            for field in ["match_destination", "nomatch_destination"] {
                if row.try_get::<String, _>(field)? == text {
                    let name: String = row.try_get("name")?;
                    uses.push(DestinationUse {
                        table: "conditions",
                        id: row.try_get("id")?,
                        label: format!("condition \"{name}\""),
                        field,
                    });
                }
            }
        }
        let rows = sqlx::query(
            "SELECT id, phonenumber FROM did_numbers WHERE tenant_id = $1 AND destination = $2 ORDER BY id",
        )
        .bind(tenant_id)
        .bind(&text)
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            let number: String = row.try_get("phonenumber")?;
            uses.push(DestinationUse {
                table: "did_numbers",
                id: row.try_get("id")?,
                label: format!("DID {number}"),
                field: "destination",
            });
        }
        if let Some(id) = target.id() {
            let rows = sqlx::query(
                "SELECT id, src_type, src_id, dst_type, dst_id FROM destinations WHERE tenant_id = $1 \
                 AND ((src_type = $2 AND src_id = $3) OR (dst_type = $2 AND dst_id = $3)) ORDER BY id",
            )
            .bind(tenant_id)
            .bind(target.kind())
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            for row in &rows {
                let link: i64 = row.try_get("id")?;
                let is_src =
                    row.try_get::<String, _>("src_type")? == target.kind() && row.try_get::<i64, _>("src_id")? == id;
                uses.push(DestinationUse {
                    table: "destinations",
                    id: link,
                    label: format!("destination {link}"),
                    field: if is_src { "src_id" } else { "dst_id" },
                });
            }
        }
        Ok(uses)
    }
}
