//! Call records: filtered list, CSV export, and one call's detail with its
//! recording and transcript.
//!
//! Filters the store has (tenant, extension) go to the store; the date
//! range, number and cause are applied while walking the tenant's records
//! newest first, which stops at the start of the date range and after
//! `SCAN_CAP` records at most.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use maud::{Markup, html};
use serde_json::Value;
use voxide_api::cdrs::CdrView;
use voxide_store::{CdrFilter, CdrOrder, CdrRow};

use crate::Console;
use crate::error::ConsoleError;
use crate::layout::{self, Nav};
use crate::session::Ctx;

/// Rows per page of the list.
const PAGE: usize = 50;
/// Rows read from the store per query while walking.
const BATCH: i64 = 500;
/// The most records one request walks through.
const SCAN_CAP: usize = 50_000;

/// The list's filters, as typed.
#[derive(Debug, Default, Clone)]
pub(crate) struct Filter {
    pub from: String,
    pub to: String,
    pub number: String,
    pub extension: String,
    pub cause: String,
    pub page: usize,
}

impl Filter {
    fn from_query(q: &HashMap<String, String>) -> Filter {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        Filter {
            from: get("from"),
            to: get("to"),
            number: get("number"),
            extension: get("extension"),
            cause: get("cause"),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    }

    /// The range as `created_at` bounds: `[from, until)`; a message when a
    /// date is not a date.
    fn bounds(&self) -> Result<(Option<String>, Option<String>), String> {
        let day = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)."))
        };
        let from = if self.from.is_empty() { None } else { Some(format!("{}T00:00:00", day(&self.from)?)) };
        let until = if self.to.is_empty() {
            None
        } else {
            let next = day(&self.to)?.succ_opt().ok_or("The end date is too far.")?;
            Some(format!("{next}T00:00:00"))
        };
        Ok((from, until))
    }

    fn matches(&self, c: &CdrRow, until: Option<&str>) -> bool {
        if until.is_some_and(|u| c.created_at.as_str() >= u) {
            return false;
        }
        if !self.number.is_empty() && !c.call_from.contains(&self.number) && !c.call_to.contains(&self.number) {
            return false;
        }
        if !self.cause.is_empty() && !c.hangup_cause.as_deref().unwrap_or("").eq_ignore_ascii_case(&self.cause) {
            return false;
        }
        true
    }

    fn query(&self, page: usize) -> String {
        let pairs = [
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("number", self.number.as_str()),
            ("extension", self.extension.as_str()),
            ("cause", self.cause.as_str()),
        ];
        let mut kept: Vec<(&str, String)> =
            pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.to_string())).collect();
        if page > 0 {
            kept.push(("page", page.to_string()));
        }
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

/// Walks the tenant's records newest first, keeping those `keep` accepts,
/// until `want` are kept, the records end, or one older than `from`.
async fn walk(
    console: &Console,
    tenant: i64,
    extension: Option<String>,
    from: Option<&str>,
    want: usize,
    mut keep: impl FnMut(&CdrRow) -> bool,
) -> Result<Vec<CdrRow>, ConsoleError> {
    let mut kept = Vec::new();
    let mut offset = 0;
    while offset < SCAN_CAP as i64 {
        let filter = CdrFilter {
            tenant_id: Some(tenant),
            extension_number: extension.clone(),
            order: CdrOrder::CreatedDesc,
            limit: Some(BATCH),
            offset,
            ..CdrFilter::default()
        };
        let (rows, _) = console.app.store.cdrs(&filter).await?;
        let done = rows.len() < BATCH as usize;
        for row in rows {
            if from.is_some_and(|f| row.created_at.as_str() < f) {
                return Ok(kept);
            }
            if keep(&row) {
                kept.push(row);
                if kept.len() >= want {
                    return Ok(kept);
                }
            }
        }
        if done {
            break;
        }
        offset += BATCH;
    }
    Ok(kept)
}

/// The tenant's records created since `since`, newest first.
pub(crate) async fn since(console: &Console, tenant: i64, since: DateTime<Utc>) -> Result<Vec<CdrRow>, ConsoleError> {
    let from = voxide_store::clock::format(since);
    walk(console, tenant, None, Some(&from), SCAN_CAP, |_| true).await
}

async fn matching(
    console: &Console,
    tenant: i64,
    f: &Filter,
    want: usize,
) -> Result<Result<Vec<CdrRow>, String>, ConsoleError> {
    let (from, until) = match f.bounds() {
        Ok(b) => b,
        Err(msg) => return Ok(Err(msg)),
    };
    let extension = Some(f.extension.clone()).filter(|e| !e.is_empty());
    let rows = walk(console, tenant, extension, from.as_deref(), want, |c| f.matches(c, until.as_deref())).await?;
    Ok(Ok(rows))
}

fn duration(secs: i64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

pub(crate) async fn list(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    let f = Filter::from_query(&q);
    let want = (f.page + 1) * PAGE + 1;
    let (rows, problem) = match matching(&console, ctx.session.tenant_id(), &f, want).await? {
        Ok(rows) => (rows, None),
        Err(msg) => (Vec::new(), Some(msg)),
    };
    let more = rows.len() > (f.page + 1) * PAGE;
    let shown: Vec<&CdrRow> = rows.iter().skip(f.page * PAGE).take(PAGE).collect();
    let causes = ["NORMAL_CLEARING", "ORIGINATOR_CANCEL", "NO_ANSWER", "USER_BUSY", "UNALLOCATED_NUMBER", "CRASH"];
    let body = html! {
        form.filters method="get" action="/console/cdrs" {
            div.field { label for="from" { "From" } input #from type="date" name="from" value=(f.from); }
            div.field { label for="to" { "To" } input #to type="date" name="to" value=(f.to); }
            div.field { label for="number" { "Number" } input #number type="search" name="number" value=(f.number); }
            div.field { label for="extension" { "Extension" } input #extension type="search" name="extension" value=(f.extension); }
            div.field {
                label for="cause" { "Cause" }
                input #cause type="search" name="cause" list="causes" value=(f.cause);
                datalist #causes { @for c in causes { option value=(c) {} } }
            }
            div.actions {
                button type="submit" { "Filter" }
                a.button.secondary #export-csv href={ "/console/cdrs.csv?" (f.query(0)) } { "Export CSV" }
            }
        }
        @if let Some(msg) = &problem { p.error { (msg) } }
        div.table-wrap {
            table #cdrs {
                thead { tr { th { "Started" } th { "From" } th { "To" } th { "Direction" } th { "Duration" } th { "Cause" } th { "Recording" } } }
                tbody {
                    @for c in &shown {
                        tr.link data-id=(c.id) data-href={ "/console/cdrs/" (c.id) } {
                            td { a href={ "/console/cdrs/" (c.id) } { (layout::when(&c.started_at)) } }
                            td { (c.call_from) } td { (c.call_to) } td { (c.call_direction) }
                            td { (duration(c.bill_duration)) }
                            td { (c.hangup_cause.as_deref().unwrap_or("in progress")) }
                            td { @if c.recording.is_some() { "yes" } }
                        }
                    }
                    @if shown.is_empty() { tr { td colspan="7" .muted { "No calls match." } } }
                }
            }
        }
        nav.pager {
            @if f.page > 0 { a href={ "/console/cdrs?" (f.query(f.page - 1)) } { "← Newer" } }
            @if more { a href={ "/console/cdrs?" (f.query(f.page + 1)) } { "Older →" } }
        }
    };
    Ok(layout::page(&ctx, "Calls", Nav::Cdrs, body))
}

/// A CSV cell: quoted when needed, and never read as a formula by a
/// spreadsheet (a leading `=`, `@`, or a sign before something that is
/// not a number gets a `'`).
fn cell(value: &str) -> String {
    let risky = match value.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => !value[1..].chars().all(|c| c.is_ascii_digit()) || value.len() == 1,
        _ => false,
    };
    let value = if risky { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// `GET /console/cdrs.csv`: every record the filters match.
pub(crate) async fn csv(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let f = Filter::from_query(&q);
    let rows = matching(&console, ctx.session.tenant_id(), &f, SCAN_CAP).await?.map_err(ConsoleError::BadForm)?;
    let mut out = String::from(
        "id,call_uuid,direction,from,to,started_at,answered_at,ended_at,bill_duration,hangup_cause,recording\r\n",
    );
    for c in rows {
        let fields = [
            c.id.to_string(),
            c.call_uuid,
            c.call_direction,
            c.call_from,
            c.call_to,
            c.started_at,
            c.answered_at.unwrap_or_default(),
            c.ended_at.unwrap_or_default(),
            c.bill_duration.to_string(),
            c.hangup_cause.unwrap_or_default(),
            c.recording.unwrap_or_default(),
        ];
        out.push_str(&fields.iter().map(|v| cell(v)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"calls.csv\"")),
    ];
    Ok((headers, out).into_response())
}

/// One segment of `transcription_text`, as the switch writes it.
struct Segment {
    start: f64,
    end: f64,
    leg: String,
    text: String,
    confidence: Option<f64>,
}

fn segments(text: Option<&str>) -> Vec<Segment> {
    let Some(Value::Array(list)) = text.and_then(|t| serde_json::from_str::<Value>(t).ok()) else { return Vec::new() };
    let mut out: Vec<Segment> = list
        .iter()
        .filter_map(|s| {
            let text = s.get("transcript")?.as_str()?.trim().to_string();
            let first_word = s.get("timestamps").and_then(|t| t.get(0)).and_then(|w| w.get(1)).and_then(Value::as_f64);
            let start = s.get("start").and_then(Value::as_f64).or(first_word).unwrap_or(0.0);
            Some(Segment {
                start,
                end: s.get("end").and_then(Value::as_f64).unwrap_or(start),
                leg: s.get("leg").and_then(Value::as_str).unwrap_or("").to_string(),
                text,
                confidence: s.get("confidence").and_then(Value::as_f64),
            })
        })
        .collect();
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    out
}

fn clock(secs: f64) -> String {
    let whole = secs.max(0.0);
    format!("{}:{:04.1}", (whole / 60.0).floor() as u64, whole % 60.0)
}

pub(crate) async fn detail(
    State(console): State<Console>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Markup, ConsoleError> {
    if id.parse::<i64>().is_err() {
        return Err(ConsoleError::NotFound);
    }
    let axum::Json(c): axum::Json<CdrView> =
        voxide_api::cdrs::get(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    let parts = segments(c.transcription_text.as_deref());
    let body = html! {
        dl.facts {
            dt { "Call" } dd { code { (c.call_uuid) } }
            dt { "From" } dd { (c.call_from) }
            dt { "To" } dd { (c.call_to) }
            dt { "Direction" } dd { (c.call_direction) }
            dt { "Started" } dd { (layout::when(&c.started_at)) }
            dt { "Answered" } dd { (c.answered_at.as_deref().map(layout::when).unwrap_or_else(|| "—".into())) }
            dt { "Ended" } dd { (c.ended_at.as_deref().map(layout::when).unwrap_or_else(|| "—".into())) }
            dt { "Billed" } dd { (duration(c.bill_duration)) }
            dt { "Cause" } dd #cause { (c.hangup_cause.as_deref().unwrap_or("in progress")) }
        }
        h2 { "Recording" }
        (layout::audio("recording", c.recording.as_deref()))
        h2 { "Transcript" }
        @if parts.is_empty() {
            p.muted { "No transcript." }
        } @else {
            ol.transcript #transcript {
                @for s in &parts {
                    li data-start=(s.start) data-end=(s.end) {
                        button.seek type="button" data-seek=(s.start) data-player="recording" { (clock(s.start)) }
                        span.leg { (s.leg) }
                        span.text { (s.text) }
                        @if let Some(conf) = s.confidence { span.conf { (format!("{:.0} %", conf * 100.0)) } }
                    }
                }
            }
        }
    };
    Ok(layout::page(&ctx, &format!("Call {}", c.id), Nav::Cdrs, body))
}

/// Labelled counts, in the order they are drawn.
pub(crate) type Counts = Vec<(String, u64)>;

/// Calls per hour over the last 24 hours (oldest first) and the hangup
/// causes of those calls (most frequent first).
pub(crate) fn day_summary(rows: &[CdrRow], now: DateTime<Utc>) -> (Counts, Counts) {
    let start = now - Duration::hours(24);
    let mut hours = vec![0u64; 24];
    let mut causes: HashMap<String, u64> = HashMap::new();
    for c in rows {
        let Ok(at) = DateTime::parse_from_rfc3339(&c.created_at) else { continue };
        let at = at.with_timezone(&Utc);
        if at < start || at > now {
            continue;
        }
        let index = ((at - start).num_minutes() / 60).clamp(0, 23) as usize;
        hours[index] += 1;
        *causes.entry(c.hangup_cause.clone().unwrap_or_else(|| "in progress".into())).or_default() += 1;
    }
    let labels = (0..24).map(|i| (start + Duration::hours(i)).format("%Hh").to_string());
    let per_hour = labels.zip(hours).collect();
    let mut causes: Vec<(String, u64)> = causes.into_iter().collect();
    causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    (per_hour, causes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdr(created_at: &str, cause: Option<&str>, from: &str, to: &str) -> CdrRow {
        CdrRow {
            id: 1,
            tenant_id: 1,
            domain: "voxide.local".into(),
            call_direction: "internal".into(),
            call_uuid: "u".into(),
            did_number_id: None,
            call_from: from.into(),
            call_to: to.into(),
            extension_id: None,
            is_verified: true,
            in_contact: false,
            bill_duration: 0,
            recording: None,
            transcription_text: None,
            hangup_cause: cause.map(str::to_string),
            started_at: created_at.into(),
            answered_at: None,
            ended_at: None,
            created_at: created_at.into(),
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+13055550142"), "+13055550142", "a number stays a number");
        assert_eq!(cell("-cmd"), "'-cmd");
        assert_eq!(cell("@sum"), "'@sum");
    }

    #[test]
    fn filters_match_dates_numbers_and_causes() {
        let f = Filter { from: "2025-01-02".into(), to: "2025-01-02".into(), ..Filter::default() };
        let (from, until) = f.bounds().unwrap();
        assert_eq!((from.as_deref(), until.as_deref()), (Some("2025-01-02T00:00:00"), Some("2025-01-03T00:00:00")));
        let late = cdr("2025-01-03T00:00:00.000001Z", None, "1001", "1002");
        assert!(!f.matches(&late, until.as_deref()));
        let inside = cdr("2025-01-02T23:59:59.000000Z", Some("NORMAL_CLEARING"), "1001", "13055550142");
        assert!(f.matches(&inside, until.as_deref()));
        let by_number = Filter { number: "555".into(), ..Filter::default() };
        assert!(by_number.matches(&inside, None));
        assert!(!by_number.matches(&late, None));
        let by_cause = Filter { cause: "normal_clearing".into(), ..Filter::default() };
        assert!(by_cause.matches(&inside, None));
        assert!(!by_cause.matches(&late, None));
        assert!(Filter { from: "yesterday".into(), ..Filter::default() }.bounds().is_err());
    }

    #[test]
    fn a_day_is_summed_per_hour_and_cause() {
        let now = DateTime::parse_from_rfc3339("2025-01-02T12:30:00Z").unwrap().with_timezone(&Utc);
        let rows = [
            cdr("2025-01-02T12:29:00.000000Z", Some("NORMAL_CLEARING"), "1", "2"),
            cdr("2025-01-02T12:00:00.000000Z", Some("NORMAL_CLEARING"), "1", "2"),
            cdr("2025-01-02T01:00:00.000000Z", Some("USER_BUSY"), "1", "2"),
            cdr("2025-01-01T12:00:00.000000Z", Some("NO_ANSWER"), "1", "2"),
        ];
        let (hours, causes) = day_summary(&rows, now);
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[0].0, "12h");
        assert_eq!(hours[23], ("11h".to_string(), 2), "the last hour holds the two newest");
        assert_eq!(hours.iter().map(|(_, n)| n).sum::<u64>(), 3, "older than a day is left out");
        assert_eq!(causes, [("NORMAL_CLEARING".to_string(), 2), ("USER_BUSY".to_string(), 1)]);
    }

    #[test]
    fn transcript_segments_are_ordered_by_start() {
        let text = r#"[{"transcript":"second","start":2.5,"end":3.0,"leg":"callee","confidence":0.9},
                       {"transcript":"first","timestamps":[["first",0.4,0.8]],"leg":"caller"}]"#;
        let s = segments(Some(text));
        assert_eq!(s.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(), ["first", "second"]);
        assert_eq!((s[0].start, s[1].end), (0.4, 3.0));
        assert!(segments(Some("not json")).is_empty());
        assert_eq!(clock(65.5), "1:05.5");
    }
}
