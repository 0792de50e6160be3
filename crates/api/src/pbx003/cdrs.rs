//! `/cdr/getCallHistory`: a tenant's calls that started between two
//! dates, newest first, through the store query and the window and
//! outcome rules of seed 001's call history (`oapi_history`).
//!
//! The seed names the parameters but shows no answer; each call is
//! written the way PBX call records usually are, every value a string:
//! `calldate` (`YYYY-MM-DD HH:MM:SS`, UTC), `src` (the caller), `firstdst`
//! (the number first dialled), `dst` (for a call in on a DID, the
//! extension it was put through to; else the number dialled), `duration` (start to end, seconds),
//! `billsec` (answer to end), `disposition` (`ANSWERED`, `NO ANSWER` when
//! the caller gave up, `BUSY`, `FAILED`), `uniqueid` (the call's UUID, as
//! in the native CDRs), `direction`, `did` (the DID it came in on, or
//! ""), `recordingfile` (the recording's file name, or "") and `cost`:
//! always "0", as the switch does not rate calls.
//!
//! Parameters: `start_date_ymd` and `end_date_ymd` (`YYYY-MM-DD`, both
//! days included, at most 31 days apart; `YYYY-MM-DD HH:MM:SS` or RFC 3339
//! work too), `tenant_code` (the tenant's id or SIP domain), and the
//! optional filters `firstdst` (exactly that number) and `disposition`
//! (one of the four). `cost` is accepted and changes nothing.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::DateTime;
use serde_json::{Value, json};
use voxide_store::{CdrRow, TenantRow, clock};

use super::{Failure, Params, SeedUser, success};
use crate::AppState;
use crate::oapi_history::{Window, parse_bound, recording_name, seconds_between, status_detail};

/// Calls read from the store at a time, and at most in one answer.
const PAGE: i64 = 1000;
const MAX_ROWS: i64 = 10_000;
const DISPOSITIONS: [&str; 4] = ["ANSWERED", "NO ANSWER", "BUSY", "FAILED"];

/// How the seed's PBX names a call's outcome.
fn disposition(c: &CdrRow) -> &'static str {
    match status_detail(c) {
        "SUCCESS" | "IVR" => "ANSWERED",
        "CANCELLED" => "NO ANSWER",
        "BUSY" => "BUSY",
        _ => "FAILED",
    }
}

/// `tenant_code`: a tenant's id or its SIP domain.
async fn tenant(state: &AppState, user: &SeedUser, code: &str) -> Result<TenantRow, Failure> {
    let code = code.trim();
    if code.bytes().all(|b| b.is_ascii_digit()) {
        return user.tenant(state, code).await;
    }
    let t = state.store.tenant_by_domain(&code.to_ascii_lowercase()).await?.ok_or(Failure::NotFound)?;
    user.check(state, t.id).await?;
    Ok(t)
}

/// `POST /cdr/getCallHistory`.
pub(crate) async fn call_history(
    State(state): State<AppState>,
    user: SeedUser,
    params: Params,
) -> Result<Json<Value>, Failure> {
    let [start, end, code] = params.required(["start_date_ymd", "end_date_ymd", "tenant_code"])?;
    let from = parse_bound("start_date_ymd", start)?;
    let to = parse_bound("end_date_ymd", end)?;
    let window = Window::new(from, to)
        .map_err(|_| Failure::field("end_date_ymd", "Enter a day from start_date_ymd to 31 days after it."))?;
    let wanted = match params.get("disposition") {
        None => None,
        Some(d) => {
            let d = d.trim().replace('_', " ").to_ascii_uppercase();
            let Some(known) = DISPOSITIONS.into_iter().find(|k| *k == d) else {
                return Err(Failure::field("disposition", format!("Enter one of {}.", DISPOSITIONS.join(", "))));
            };
            Some(known)
        }
    };
    let firstdst = params.get("firstdst").map(str::trim);
    let tenant = tenant(&state, &user, code).await?;

    let (from, until) = (clock::format(window.from), clock::format(window.until));
    let mut calls = Vec::new();
    while (calls.len() as i64) < MAX_ROWS {
        let (page, _) = state.store.cdrs_started_between(tenant.id, &from, &until, PAGE, calls.len() as i64).await?;
        let last = (page.len() as i64) < PAGE;
        calls.extend(page);
        if last {
            break;
        }
    }
    let extensions: HashMap<i64, String> =
        state.store.extensions(Some(tenant.id)).await?.into_iter().map(|e| (e.id, e.sip_username)).collect();
    let dids: HashMap<i64, String> =
        state.store.dids(Some(tenant.id)).await?.into_iter().map(|d| (d.id, d.phonenumber)).collect();
    let rows: Vec<Value> = calls
        .iter()
        .filter(|c| firstdst.is_none_or(|f| c.call_to == f))
        .filter(|c| wanted.is_none_or(|w| disposition(c) == w))
        .map(|c| {
            let calldate = DateTime::parse_from_rfc3339(&c.started_at)
                .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_else(|_| c.started_at.clone());
            // A CDR's extension is the callee's only on calls in; on others it is the caller's.
            let took = c.extension_id.filter(|_| c.call_direction == "inbound").and_then(|id| extensions.get(&id));
            let dst = took.unwrap_or(&c.call_to);
            json!({
                "calldate": calldate,
                "src": c.call_from,
                "dst": dst,
                "firstdst": c.call_to,
                "duration": c.ended_at.as_deref().map_or(0, |end| seconds_between(&c.started_at, end)).to_string(),
                "billsec": c.bill_duration.to_string(),
                "disposition": disposition(c),
                "uniqueid": c.call_uuid,
                "direction": c.call_direction,
                "did": c.did_number_id.and_then(|id| dids.get(&id)).cloned().unwrap_or_default(),
                "recordingfile": recording_name(c).unwrap_or_default(),
                "cost": "0",
            })
        })
        .collect();
    Ok(success(rows))
}
