//! Where calls go, tenant by tenant, through the native list handlers:
//! `/destination/all` (chained destinations), `/condition/bytenant`,
//! `/ivr/bytenant` (hosted menus), `/custom/bytenant` (custom
//! destinations) and `/voicemail/bytenant` (voicemail boxes).
//!
//! Seed fields without a native counterpart:
//! * `de_type_src`/`de_type_dst` are the native kinds in capitals
//!   (`CONDITION`, `NOTCONDITION`, `EXTENSION`, `HANGUP`, …); the linked
//!   objects' ids come as `de_src_id` and `de_dst_id` ("" for a hangup),
//!   which the seed leaves out.
//! * `co_type` is `TIME` or `CALLERID`. A caller-id condition lists its
//!   numbers in `co_param1`…`co_param12` (a trailing `*` is a prefix); a
//!   time condition has its days (`mon,tue,…`, "" every day) in
//!   `co_param1` and its `HH:MM` window in `co_param2` and `co_param3`,
//!   in the IANA zone `co_timezone`.
//! * A custom destination is always a forward to an outside number:
//!   `cu_ct_id` "1", `ct_name` "FORWARD", `ct_description` as in the
//!   seed; the number comes as `cu_number`, which the seed leaves out.
//! * A voicemail box is an extension with voicemail on: `uniqueid` is the
//!   extension's id, `context` its tenant's name, `fullname` its display
//!   name (its SIP username when it has none), `email` where messages are
//!   sent.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use voxide_store::ConditionKind;

use super::{Failure, Params, SeedUser, success};
use crate::AppState;

/// How many `co_param…` fields a condition has.
const CONDITION_PARAMS: usize = 12;

/// `POST /destination/all` (`tenant_id`): the tenant's chain links.
pub(crate) async fn destinations(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (_, caller) = user.in_tenant(&state, &params).await?;
    let links = crate::destinations::list(State(state), caller).await?.0;
    let rows: Vec<Value> = links
        .into_iter()
        .map(|d| {
            json!({
                "de_id": d.id.to_string(),
                "de_type_src": d.src_type.to_ascii_uppercase(),
                "de_type_dst": d.dst_type.to_ascii_uppercase(),
                "de_ord": d.ord.to_string(),
                "de_src_id": d.src_id.to_string(),
                "de_dst_id": d.dst_id.map(|id| id.to_string()).unwrap_or_default(),
            })
        })
        .collect();
    Ok(success(rows))
}

/// The `co_param…` values of a condition.
fn condition_params(kind: &str, weekdays: &str, start: &str, end: &str, pattern: &str) -> Vec<String> {
    let mut params: Vec<String> = if kind == ConditionKind::CallerId.as_str() {
        pattern.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect()
    } else {
        vec![weekdays.to_string(), start.to_string(), end.to_string()]
    };
    params.resize(CONDITION_PARAMS, String::new());
    params
}

/// `POST /condition/bytenant` (`tenant_id`).
pub(crate) async fn conditions(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (_, caller) = user.in_tenant(&state, &params).await?;
    let conditions = crate::conditions::list(State(state), caller).await?.0;
    let rows: Vec<Value> = conditions
        .into_iter()
        .map(|c| {
            let time = c.kind == ConditionKind::Time.as_str();
            let mut row = json!({
                "co_id": c.id.to_string(),
                "co_name": c.name,
                "co_type": c.kind.replace('_', "").to_ascii_uppercase(),
                "co_timezone": if time { c.time_zone.as_str() } else { "" },
            });
            let values = condition_params(c.kind, &c.weekdays, &c.start_time, &c.end_time, &c.callerid_pattern);
            for (i, value) in values.into_iter().enumerate() {
                row[format!("co_param{}", i + 1)] = json!(value);
            }
            row
        })
        .collect();
    Ok(success(rows))
}

/// `POST /ivr/bytenant` (`tenant_id`): the tenant's hosted menus.
pub(crate) async fn ivrs(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (_, caller) = user.in_tenant(&state, &params).await?;
    let menus = crate::ivrs::list(State(state), caller).await?.0;
    let rows: Vec<Value> = menus.into_iter().map(|m| json!({ "iv_id": m.id.to_string(), "iv_name": m.name })).collect();
    Ok(success(rows))
}

/// `POST /custom/bytenant` (`tenant_id`).
pub(crate) async fn custom_destinations(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (_, caller) = user.in_tenant(&state, &params).await?;
    let customs = crate::custom_destinations::list(State(state), caller).await?.0;
    let rows: Vec<Value> = customs
        .into_iter()
        .map(|c| {
            json!({
                "cu_id": c.id.to_string(),
                "cu_name": c.name,
                "cu_ct_id": "1",
                "ct_name": "FORWARD",
                "ct_description": "<t>Forward call to</t>",
                "cu_number": c.number,
            })
        })
        .collect();
    Ok(success(rows))
}

/// `POST /voicemail/bytenant` (`tenant_id`): the extensions with
/// voicemail on, by id.
pub(crate) async fn voicemail_boxes(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (tenant, _) = user.in_tenant(&state, &params).await?;
    let mut rows = Vec::new();
    for e in state.store.extensions(Some(tenant.id)).await? {
        let Some(f) = state.store.extension_features(e.id).await? else { continue };
        if !f.voicemail_enabled {
            continue;
        }
        let fullname = if e.display_name.is_empty() { e.sip_username } else { e.display_name };
        rows.push(json!({
            "uniqueid": e.id.to_string(),
            "context": tenant.name,
            "fullname": fullname,
            "email": f.voicemail_email,
        }));
    }
    Ok(success(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conditions_params_hold_its_numbers_or_its_days_and_window() {
        let p = condition_params("callerid", "", "", "", "5146349955,5149239933,514*");
        assert_eq!(p.len(), CONDITION_PARAMS);
        assert_eq!(&p[..4], ["5146349955", "5149239933", "514*", ""]);
        let p = condition_params("time", "mon,tue", "09:00", "17:00", "");
        assert_eq!(&p[..4], ["mon,tue", "09:00", "17:00", ""]);
    }
}
