//! `/hunt/…`: a tenant's hunt groups through the native
//! `/api/hunt_groups/` handlers.
//!
//! `hu_type` is the ringing strategy written as the seed writes it:
//! `RINGALL`, `SEQUENTIAL`, `ROUNDROBIN`, `LONGESTIDLE` (the native
//! `ring_all`, … without underscores, in capitals; any case is read).
//! `hu_ringtime` is in seconds; `hu_checkinuse` (`yes`/`no`) skips
//! members already on a call. Members and overflow are set through
//! `/api/hunt_groups/`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use voxide_store::HuntStrategy;

use super::{Failure, Params, SeedUser, done, native_body, parse_id, success, text, yes_no, yes_no_text};
use crate::AppState;
use crate::hunt_groups::HuntGroupView;
use crate::json::ApiJson;

/// The fields `hunt` may carry (`hu_id` is read back and ignored).
const KNOWN: &[&str] = &["hu_id", "hu_number", "hu_name", "hu_type", "hu_ringtime", "hu_checkinuse"];
/// Native field names and the seed's.
const NAMES: &[(&str, &str)] = &[
    ("number", "hu_number"),
    ("name", "hu_name"),
    ("strategy", "hu_type"),
    ("ring_secs", "hu_ringtime"),
    ("skip_busy", "hu_checkinuse"),
];

/// `ring_all` as `RINGALL`.
fn seed_type(native: &str) -> String {
    native.replace('_', "").to_ascii_uppercase()
}

/// `RINGALL` (or `ring_all`, any case) as the native strategy name.
fn native_type(seed: &str) -> Option<&'static str> {
    let wanted: String = seed.chars().filter(|c| *c != '_' && *c != ' ').collect::<String>().to_ascii_uppercase();
    HuntStrategy::ALL.iter().map(|s| s.as_str()).find(|s| seed_type(s) == wanted)
}

fn row(g: &HuntGroupView) -> Value {
    json!({
        "hu_id": g.id.to_string(),
        "hu_number": g.number,
        "hu_name": g.name,
        "hu_type": seed_type(g.strategy),
        "hu_ringtime": g.ring_secs.to_string(),
    })
}

/// `POST /hunt/bytenant` (`tenant_id`): the tenant's groups, by id.
pub(crate) async fn by_tenant(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let (_, caller) = user.in_tenant(&state, &params).await?;
    let groups = crate::hunt_groups::list(State(state), caller).await?.0;
    Ok(success(groups.iter().map(row).collect::<Vec<_>>()))
}

/// The group `raw` names and the caller of its tenant, if the user belongs there.
async fn find(state: &AppState, user: &SeedUser, raw: &str) -> Result<(i64, crate::Caller), Failure> {
    let g = state.store.hunt_group_any_tenant(parse_id(raw)?).await?.ok_or(Failure::NotFound)?;
    user.check(state, g.tenant_id).await?;
    Ok((g.id, user.caller(g.tenant_id)))
}

/// `POST /hunt/byid` (`hunt_id`): a list of one, with `hu_checkinuse`.
pub(crate) async fn by_id(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["hunt_id"])?;
    let (id, caller) = find(&state, &user, id).await?;
    let g = crate::hunt_groups::get(State(state), caller, Path(id.to_string())).await?.0;
    let mut one = row(&g);
    one["hu_checkinuse"] = json!(yes_no_text(g.skip_busy));
    Ok(success([one]))
}

/// `POST /hunt/deletebyid` (`hunt_id`). Refused with 409, naming it,
/// while a forward, overflow, condition, DID or chain still leads there.
pub(crate) async fn delete(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["hunt_id"])?;
    let (id, caller) = find(&state, &user, id).await?;
    let resp = crate::hunt_groups::delete(State(state), caller, Path(id.to_string())).await?;
    if resp.status() != StatusCode::NO_CONTENT {
        return Err(Failure::from_response(resp).await);
    }
    Ok(success("Record Deleted Successfully."))
}

/// `POST /hunt/updatebyid` (`hunt_id`, `hunt`: JSON of `hu_number`,
/// `hu_name`, `hu_type`, `hu_ringtime`, `hu_checkinuse`; each optional).
pub(crate) async fn update(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [id] = params.required(["hunt_id"])?;
    let fields = params.object("hunt", KNOWN)?;
    let (id, caller) = find(&state, &user, id).await?;
    let mut native = Map::new();
    for (seed, name) in [("hu_number", "number"), ("hu_name", "name")] {
        if let Some(v) = fields.get(seed).and_then(text) {
            native.insert(name.into(), Value::String(v));
        }
    }
    if let Some(kind) = fields.get("hu_type").and_then(text) {
        let Some(strategy) = native_type(&kind) else {
            let names: Vec<String> = HuntStrategy::ALL.iter().map(|s| seed_type(s.as_str())).collect();
            return Err(Failure::field("hu_type", format!("Enter one of {}.", names.join(", "))));
        };
        native.insert("strategy".into(), Value::String(strategy.into()));
    }
    if let Some(secs) = fields.get("hu_ringtime").and_then(text) {
        let secs = secs
            .trim()
            .parse::<i64>()
            .map_err(|_| Failure::field("hu_ringtime", "Enter a whole number of seconds."))?;
        native.insert("ring_secs".into(), json!(secs));
    }
    if let Some(skip) = fields.get("hu_checkinuse").map(|v| yes_no("hu_checkinuse", v)).transpose()?.flatten() {
        native.insert("skip_busy".into(), Value::Bool(skip));
    }
    let body = native_body(native, NAMES)?;
    // The native answer is the changed object; the seed answers with a message.
    let _ = crate::hunt_groups::patch(State(state), caller, Path(id.to_string()), ApiJson(body))
        .await
        .map_err(|e| Failure::from_api(e, NAMES))?;
    Ok(done("Record Updated Successfully."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_read_and_print_as_the_seed_writes_them() {
        assert_eq!(seed_type("ring_all"), "RINGALL");
        assert_eq!(seed_type("longest_idle"), "LONGESTIDLE");
        for s in HuntStrategy::ALL {
            assert_eq!(native_type(&seed_type(s.as_str())), Some(s.as_str()));
            assert_eq!(native_type(s.as_str()), Some(s.as_str()), "the native name is read too");
        }
        assert_eq!(native_type("roundRobin"), Some("round_robin"));
        assert_eq!(native_type("AA"), None);
        assert_eq!(native_type(""), None);
    }
}
