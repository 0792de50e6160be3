//! An extension's call handling (seed 003's extension fields): caller id,
//! call waiting, do-not-disturb, forwards, how long it rings, follow-me and
//! voicemail. Kept in columns of `extensions` and in `followme_steps`.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::{Store, StoreError, clock};

/// One number follow-me rings, for `ring_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowMeStep {
    /// An outside number or an extension's SIP username in the same tenant.
    pub number: String,
    pub ring_secs: i64,
}

/// Everything the switch needs to handle a call to an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionFeatures {
    pub extension_id: i64,
    pub tenant_id: i64,
    pub sip_username: String,
    /// Caller id presented on calls the extension makes ('' = none set).
    pub cid_number: String,
    pub cid_name: String,
    /// Whether a second call may ring while the extension is on a call.
    pub call_waiting: bool,
    /// Do not disturb: calls go where `forward_busy` says, else are refused busy.
    pub dnd: bool,
    /// Destinations (see `DestinationRef`), '' = none.
    pub forward_always: String,
    pub forward_busy: String,
    pub forward_no_answer: String,
    pub forward_unregistered: String,
    /// How long the extension rings before no-answer handling.
    pub ring_secs: i64,
    pub followme_enabled: bool,
    /// Caller id shown on follow-me legs ('' = the original caller's).
    pub followme_cid_number: String,
    pub followme_cid_name: String,
    /// In `ord` order.
    pub followme: Vec<FollowMeStep>,
    pub voicemail_enabled: bool,
    /// 4 to 10 digits, or '' for none.
    pub voicemail_pin: String,
    pub voicemail_email: String,
    /// A file under the recordings directory's `voicemail/greetings/`; ''
    /// for the default greeting.
    pub voicemail_greeting: String,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ExtensionFeaturesPatch {
    pub cid_number: Option<String>,
    pub cid_name: Option<String>,
    pub call_waiting: Option<bool>,
    pub dnd: Option<bool>,
    pub forward_always: Option<String>,
    pub forward_busy: Option<String>,
    pub forward_no_answer: Option<String>,
    pub forward_unregistered: Option<String>,
    pub ring_secs: Option<i64>,
    pub followme_enabled: Option<bool>,
    pub followme_cid_number: Option<String>,
    pub followme_cid_name: Option<String>,
    /// Replaces all steps when given.
    pub followme: Option<Vec<FollowMeStep>>,
    pub voicemail_enabled: Option<bool>,
    pub voicemail_pin: Option<String>,
    pub voicemail_email: Option<String>,
    pub voicemail_greeting: Option<String>,
}

const SELECT: &str = "SELECT id, tenant_id, sip_username, cid_number, cid_name, call_waiting, dnd, forward_always, \
     forward_busy, forward_no_answer, forward_unregistered, ring_secs, followme_enabled, followme_cid_number, \
     followme_cid_name, voicemail_enabled, voicemail_pin, voicemail_email, voicemail_greeting FROM extensions";

fn features(row: &AnyRow) -> Result<ExtensionFeatures, sqlx::Error> {
    let flag = |name: &str| row.try_get::<i64, _>(name).map(|v| v != 0);
    Ok(ExtensionFeatures {
        extension_id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        sip_username: row.try_get("sip_username")?,
        cid_number: row.try_get("cid_number")?,
        cid_name: row.try_get("cid_name")?,
        call_waiting: flag("call_waiting")?,
        dnd: flag("dnd")?,
        forward_always: row.try_get("forward_always")?,
        forward_busy: row.try_get("forward_busy")?,
        forward_no_answer: row.try_get("forward_no_answer")?,
        forward_unregistered: row.try_get("forward_unregistered")?,
        ring_secs: row.try_get("ring_secs")?,
        followme_enabled: flag("followme_enabled")?,
        followme_cid_number: row.try_get("followme_cid_number")?,
        followme_cid_name: row.try_get("followme_cid_name")?,
        followme: Vec::new(),
        voicemail_enabled: flag("voicemail_enabled")?,
        voicemail_pin: row.try_get("voicemail_pin")?,
        voicemail_email: row.try_get("voicemail_email")?,
        voicemail_greeting: row.try_get("voicemail_greeting")?,
    })
}

/// Replaces the follow-me steps of `extension_id`, keeping their order.
async fn write_followme(
    tx: &mut Transaction<'_, Any>,
    extension_id: i64,
    steps: &[FollowMeStep],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM followme_steps WHERE extension_id = $1").bind(extension_id).execute(&mut **tx).await?;
    for (ord, step) in (0_i64..).zip(steps) {
        sqlx::query("INSERT INTO followme_steps (extension_id, ord, number, ring_secs) VALUES ($1, $2, $3, $4)")
            .bind(extension_id)
            .bind(ord)
            .bind(&step.number)
            .bind(step.ring_secs)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from_write)?;
    }
    Ok(())
}

impl Store {
    /// The call handling of one extension (any tenant: the switch reaches it
    /// by id), with its follow-me steps.
    pub async fn extension_features(&self, extension_id: i64) -> Result<Option<ExtensionFeatures>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(extension_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(mut found) = row.as_ref().map(features).transpose()? else { return Ok(None) };
        let steps =
            sqlx::query("SELECT number, ring_secs FROM followme_steps WHERE extension_id = $1 ORDER BY ord, id")
                .bind(extension_id)
                .fetch_all(self.pool())
                .await?;
        found.followme = steps
            .iter()
            .map(|r| Ok(FollowMeStep { number: r.try_get("number")?, ring_secs: r.try_get("ring_secs")? }))
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Some(found))
    }

    /// The call handling of every extension that is not deleted, with
    /// follow-me steps: two queries, for the switch's start-up.
    pub async fn all_extension_features(&self) -> Result<Vec<ExtensionFeatures>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE deleted_at IS NULL ORDER BY id")))
            .fetch_all(self.pool())
            .await?;
        let mut all = rows.iter().map(features).collect::<Result<Vec<_>, _>>()?;
        let steps =
            sqlx::query("SELECT extension_id, number, ring_secs FROM followme_steps ORDER BY extension_id, ord, id")
                .fetch_all(self.pool())
                .await?;
        let mut by_extension: std::collections::HashMap<i64, Vec<FollowMeStep>> = std::collections::HashMap::new();
        for r in &steps {
            let step = FollowMeStep { number: r.try_get("number")?, ring_secs: r.try_get("ring_secs")? };
            by_extension.entry(r.try_get("extension_id")?).or_default().push(step);
        }
        for f in &mut all {
            f.followme = by_extension.remove(&f.extension_id).unwrap_or_default();
        }
        Ok(all)
    }

    /// Applies `patch` to an extension of `tenant_id` in one transaction;
    /// `None` when the tenant has no such extension.
    pub async fn set_extension_features(
        &self,
        tenant_id: i64,
        extension_id: i64,
        patch: &ExtensionFeaturesPatch,
    ) -> Result<Option<ExtensionFeatures>, StoreError> {
        let Some(cur) = self.extension_features(extension_id).await?.filter(|f| f.tenant_id == tenant_id) else {
            return Ok(None);
        };
        let text = |new: &Option<String>, old: &str| new.clone().unwrap_or_else(|| old.to_string());
        let flag = |new: Option<bool>, old: bool| i64::from(new.unwrap_or(old));
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE extensions SET cid_number = $1, cid_name = $2, call_waiting = $3, dnd = $4, forward_always = $5, \
             forward_busy = $6, forward_no_answer = $7, forward_unregistered = $8, ring_secs = $9, \
             followme_enabled = $10, followme_cid_number = $11, followme_cid_name = $12, voicemail_enabled = $13, \
             voicemail_pin = $14, voicemail_email = $15, voicemail_greeting = $16, updated_at = $17 \
             WHERE id = $18 AND tenant_id = $19",
        )
        .bind(text(&patch.cid_number, &cur.cid_number))
        .bind(text(&patch.cid_name, &cur.cid_name))
        .bind(flag(patch.call_waiting, cur.call_waiting))
        .bind(flag(patch.dnd, cur.dnd))
        .bind(text(&patch.forward_always, &cur.forward_always))
        .bind(text(&patch.forward_busy, &cur.forward_busy))
        .bind(text(&patch.forward_no_answer, &cur.forward_no_answer))
        .bind(text(&patch.forward_unregistered, &cur.forward_unregistered))
        .bind(patch.ring_secs.unwrap_or(cur.ring_secs))
        .bind(flag(patch.followme_enabled, cur.followme_enabled))
        .bind(text(&patch.followme_cid_number, &cur.followme_cid_number))
        .bind(text(&patch.followme_cid_name, &cur.followme_cid_name))
        .bind(flag(patch.voicemail_enabled, cur.voicemail_enabled))
        .bind(text(&patch.voicemail_pin, &cur.voicemail_pin))
        .bind(text(&patch.voicemail_email, &cur.voicemail_email))
        .bind(text(&patch.voicemail_greeting, &cur.voicemail_greeting))
        .bind(clock::now())
        .bind(extension_id)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
        if let Some(steps) = &patch.followme {
            write_followme(&mut tx, extension_id, steps).await?;
        }
        tx.commit().await?;
        self.extension_features(extension_id).await
    }

    /// Replaces the follow-me steps of an extension (rung in the given order).
    pub async fn set_followme(&self, extension_id: i64, steps: &[FollowMeStep]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        write_followme(&mut tx, extension_id, steps).await?;
        tx.commit().await?;
        Ok(())
    }
}
