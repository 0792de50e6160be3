//! Hosted IVR menus: a greeting, then one action per digit. A DID routes to
//! an extension or to one of these.

use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::{Store, StoreError, clock};

/// What one digit of a menu does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvrOptionRow {
    /// `0`-`9`, `*` or `#`.
    pub digit: String,
    /// `extension`, `ivr`, `number`, `hangup` or `playback`.
    pub action: String,
    /// The extension or number dialled, the id of the IVR jumped to, or the
    /// text or WAV played; empty for `hangup`.
    pub target: String,
}

/// A menu with its options, in the order they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvrRow {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    /// Spoken by text-to-speech when there is no `greeting_file`.
    pub greeting_text: Option<String>,
    /// A WAV file name in the prompts directory.
    pub greeting_file: Option<String>,
    /// How long to wait for a digit after the greeting.
    pub timeout_ms: i64,
    /// How many times the menu is played before giving up.
    pub repeat: i64,
    /// Spoken after a digit the menu does not know.
    pub invalid_text: Option<String>,
    /// Spoken when no digit came in time.
    pub timeout_text: Option<String>,
    pub options: Vec<IvrOptionRow>,
    pub created_at: String,
    pub updated_at: String,
}

/// A menu to create, or the whole new content of one.
#[derive(Debug, Clone, Default)]
pub struct NewIvr {
    pub name: String,
    pub greeting_text: Option<String>,
    pub greeting_file: Option<String>,
    pub timeout_ms: i64,
    pub repeat: i64,
    pub invalid_text: Option<String>,
    pub timeout_text: Option<String>,
    pub options: Vec<IvrOptionRow>,
}

/// What `delete_ivr` did. A menu something still routes to is kept, so no
/// call lands on a menu that is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrDeletion {
    Deleted,
    /// No such menu in the tenant.
    NotFound,
    /// The DID `phonenumber` routes to it.
    RoutedFromDid {
        did_id: i64,
        phonenumber: String,
    },
    /// Digit `digit` of menu `ivr_id` (`name`) jumps to it.
    TargetOfOption {
        ivr_id: i64,
        name: String,
        digit: String,
    },
}

const SELECT: &str = "SELECT id, tenant_id, name, greeting_text, greeting_file, timeout_ms, repeat, invalid_text, \
     timeout_text, created_at, updated_at FROM ivrs";

const SELECT_OPTIONS: &str =
    "SELECT o.ivr_id, o.digit, o.action, o.target FROM ivr_options o JOIN ivrs i ON i.id = o.ivr_id";

fn ivr(row: &AnyRow) -> Result<IvrRow, sqlx::Error> {
    Ok(IvrRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        greeting_text: row.try_get("greeting_text")?,
        greeting_file: row.try_get("greeting_file")?,
        timeout_ms: row.try_get("timeout_ms")?,
        repeat: row.try_get("repeat")?,
        invalid_text: row.try_get("invalid_text")?,
        timeout_text: row.try_get("timeout_text")?,
        options: Vec::new(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn option(row: &AnyRow) -> Result<(i64, IvrOptionRow), sqlx::Error> {
    let owner = row.try_get("ivr_id")?;
    Ok((
        owner,
        IvrOptionRow { digit: row.try_get("digit")?, action: row.try_get("action")?, target: row.try_get("target")? },
    ))
}

/// Writes `options` of menu `ivr_id` in their order.
async fn insert_options(
    tx: &mut Transaction<'_, Any>,
    ivr_id: i64,
    options: &[IvrOptionRow],
) -> Result<(), StoreError> {
    for (position, o) in (0_i64..).zip(options) {
        sqlx::query("INSERT INTO ivr_options (ivr_id, digit, action, target, position) VALUES ($1, $2, $3, $4, $5)")
            .bind(ivr_id)
            .bind(&o.digit)
            .bind(&o.action)
            .bind(&o.target)
            .bind(position)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from_write)?;
    }
    Ok(())
}

impl Store {
    /// Fills in the options of `menus` with one query.
    async fn with_options(&self, mut menus: Vec<IvrRow>, filter: &str, bind: i64) -> Result<Vec<IvrRow>, StoreError> {
        let sql = format!("{SELECT_OPTIONS} WHERE {filter} ORDER BY o.ivr_id, o.position");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(bind).fetch_all(self.pool()).await?;
        for row in &rows {
            let (owner, opt) = option(row)?;
            if let Some(menu) = menus.iter_mut().find(|m| m.id == owner) {
                menu.options.push(opt);
            }
        }
        Ok(menus)
    }

    /// Creates a menu with its options; a name taken in the tenant is `Conflict`.
    pub async fn create_ivr(&self, tenant_id: i64, new: &NewIvr) -> Result<IvrRow, StoreError> {
        let now = clock::now();
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "INSERT INTO ivrs (tenant_id, name, greeting_text, greeting_file, timeout_ms, repeat, invalid_text, \
             timeout_text, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(tenant_id)
        .bind(&new.name)
        .bind(&new.greeting_text)
        .bind(&new.greeting_file)
        .bind(new.timeout_ms)
        .bind(new.repeat)
        .bind(&new.invalid_text)
        .bind(&new.timeout_text)
        .bind(&now)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        insert_options(&mut tx, id, &new.options).await?;
        tx.commit().await?;
        self.ivr(tenant_id, id).await?.ok_or(StoreError::Conflict)
    }

    /// One menu of `tenant_id`.
    pub async fn ivr(&self, tenant_id: i64, id: i64) -> Result<Option<IvrRow>, StoreError> {
        Ok(self.ivr_any_tenant(id).await?.filter(|m| m.tenant_id == tenant_id))
    }

    /// One menu, whatever its tenant: for the switch, which reaches it
    /// through a DID or another menu.
    pub async fn ivr_any_tenant(&self, id: i64) -> Result<Option<IvrRow>, StoreError> {
        let row =
            sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        let Some(menu) = row.as_ref().map(ivr).transpose()? else { return Ok(None) };
        Ok(self.with_options(vec![menu], "o.ivr_id = $1", id).await?.pop())
    }

    /// The menus of `tenant_id`, by id.
    pub async fn ivrs(&self, tenant_id: i64) -> Result<Vec<IvrRow>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 ORDER BY id")))
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        let menus = rows.iter().map(ivr).collect::<Result<Vec<_>, _>>()?;
        self.with_options(menus, "i.tenant_id = $1", tenant_id).await
    }

    /// Replaces a menu and all its options in one transaction; `None` when
    /// the tenant has no such menu, `Conflict` when the new name is taken.
    pub async fn replace_ivr(&self, tenant_id: i64, id: i64, new: &NewIvr) -> Result<Option<IvrRow>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE ivrs SET name = $1, greeting_text = $2, greeting_file = $3, timeout_ms = $4, repeat = $5, \
             invalid_text = $6, timeout_text = $7, updated_at = $8 WHERE id = $9 AND tenant_id = $10",
        )
        .bind(&new.name)
        .bind(&new.greeting_text)
        .bind(&new.greeting_file)
        .bind(new.timeout_ms)
        .bind(new.repeat)
        .bind(&new.invalid_text)
        .bind(&new.timeout_text)
        .bind(clock::now())
        .bind(id)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_write)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("DELETE FROM ivr_options WHERE ivr_id = $1").bind(id).execute(&mut *tx).await?;
        insert_options(&mut tx, id, &new.options).await?;
        tx.commit().await?;
        self.ivr(tenant_id, id).await
    }

    /// Deletes a menu and its options, unless a DID or another menu's option
    /// still leads to it (a menu's options leading to itself go with it).
    pub async fn delete_ivr(&self, tenant_id: i64, id: i64) -> Result<IvrDeletion, StoreError> {
        let mut tx = self.pool().begin().await?;
        let exists = sqlx::query("SELECT id FROM ivrs WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(IvrDeletion::NotFound);
        }
        if let Some(used) = ivr_user(&mut tx, id).await? {
            return Ok(used);
        }
        sqlx::query("DELETE FROM ivr_options WHERE ivr_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM ivrs WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(IvrDeletion::Deleted)
    }
}

/// The first DID or other menu leading to menu `id`, if any.
async fn ivr_user(tx: &mut Transaction<'_, Any>, id: i64) -> Result<Option<IvrDeletion>, StoreError> {
    let did = sqlx::query("SELECT id, phonenumber FROM did_numbers WHERE ivr_id = $1 ORDER BY id LIMIT 1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = did {
        return Ok(Some(IvrDeletion::RoutedFromDid {
            did_id: row.try_get("id")?,
            phonenumber: row.try_get("phonenumber")?,
        }));
    }
    let option = sqlx::query(
        "SELECT i.id, i.name, o.digit FROM ivr_options o JOIN ivrs i ON i.id = o.ivr_id \
         WHERE o.action = 'ivr' AND o.target = $1 AND o.ivr_id <> $2 ORDER BY i.id, o.position LIMIT 1",
    )
    .bind(id.to_string())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(option
        .map(|row| -> Result<IvrDeletion, sqlx::Error> {
            Ok(IvrDeletion::TargetOfOption {
                ivr_id: row.try_get("id")?,
                name: row.try_get("name")?,
                digit: row.try_get("digit")?,
            })
        })
        .transpose()?)
}
