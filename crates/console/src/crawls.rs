//! IVR crawls: the numbers scanned, each crawl's menu tree with every
//! prompt's words and audio, and the crawler's actions (crawl again,
//! resume, explore under a node, call a node and forward it) — the same
//! crawler calls `/api/makecall/` and `/api/makecall_submenu/` make.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::Value;
use voxide_crawler::{CrawlError, Crawler, NewCrawl};
use voxide_store::{CrawlNodeRow, CrawlRow};
use voxide_switch::dialable;

use crate::Console;
use crate::calls_api::text;
use crate::error::ConsoleError;
use crate::layout::{self, Nav, csrf, notice};
use crate::session::{Ctx, Posted};

/// The newest scans read for the list.
const SCANS_READ: i64 = 2000;
/// Deeper trees are cut here, as the API cuts them.
const MAX_DEPTH: usize = 64;

fn crawler(console: &Console) -> Result<&Crawler, ConsoleError> {
    console
        .app
        .crawler
        .as_ref()
        .ok_or_else(|| voxide_api::ApiError::Unavailable("the crawler is not running".into()).into())
}

/// The crawl `id` if it is the signed-in tenant's.
async fn own_crawl(console: &Console, ctx: &Ctx, id: &str) -> Result<CrawlRow, ConsoleError> {
    let id = id.parse::<i64>().map_err(|_| ConsoleError::NotFound)?;
    let crawl = console.app.store.crawl(id).await?;
    crawl.filter(|c| c.tenant_id == ctx.session.tenant_id()).ok_or(ConsoleError::NotFound)
}

pub(crate) async fn list(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    list_page(&console, &ctx, q.get("done").map(String::as_str), None).await
}

async fn list_page(
    console: &Console,
    ctx: &Ctx,
    done: Option<&str>,
    problem: Option<&str>,
) -> Result<Markup, ConsoleError> {
    let tenant = ctx.session.tenant_id();
    let (_, scans) = console.app.store.scans(tenant, None, SCANS_READ, 0).await?;
    let mut numbers: Vec<String> = Vec::new();
    let mut scan_count: HashMap<String, usize> = HashMap::new();
    for s in &scans {
        if !scan_count.contains_key(&s.number) {
            numbers.push(s.number.clone());
        }
        *scan_count.entry(s.number.clone()).or_default() += 1;
    }
    let mut crawls = Vec::new();
    for n in &numbers {
        if let Some(c) = console.app.store.crawl_by_number(tenant, n).await? {
            crawls.push(c);
        }
    }
    let body = html! {
        (notice(done))
        @if let Some(p) = problem { p.error { (p) } }
        div.table-wrap {
            table #crawls {
                thead { tr { th { "Number" } th { "Business" } th { "Status" } th { "Attempts" } th { "Scans" } th { "Tree" } th { "Updated" } } }
                tbody {
                    @for c in &crawls {
                        tr data-id=(c.id) {
                            td { a href={ "/console/crawls/" (c.id) } { (c.number) } }
                            td { (c.business_name.as_deref().unwrap_or("")) }
                            td { span class={ "status " (c.status.to_lowercase()) } { (c.status) } }
                            td { (c.attempt) }
                            td { (scan_count.get(&c.number).copied().unwrap_or(0)) }
                            td { @if c.completed { "complete" } @else { "partial" } }
                            td { (layout::when(&c.updated_at)) }
                        }
                    }
                    @if crawls.is_empty() { tr { td colspan="7" .muted { "No numbers scanned yet." } } }
                }
            }
        }
        h2 { "Crawl a number" }
        form.card method="post" action="/console/crawls" {
            (csrf(ctx))
            div.field { label for="number" { "Number" } input #number name="number" type="tel" required; }
            div.field { label for="business_name" { "Business (optional)" } input #business_name name="business_name" type="text" maxlength="128"; }
            button type="submit" { "Start crawl" }
        }
    };
    Ok(layout::page(ctx, "IVR crawls", Nav::Crawls, body))
}

/// `POST /console/crawls`: crawls a number afresh.
pub(crate) async fn start(
    State(console): State<Console>,
    Posted { ctx, form }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let number = text(&form, "number");
    let business = text(&form, "business_name");
    let problem = if !dialable(number) {
        Some("Enter the number to call.".to_string())
    } else if business.chars().count() > 128 {
        Some("Ensure the business name has no more than 128 characters.".to_string())
    } else {
        let about =
            NewCrawl { business_name: Some(business.to_string()).filter(|b| !b.is_empty()), retry_enabled: true };
        match crawler(&console)?.start(ctx.session.tenant_id(), number, true, &about).await {
            Ok(started) => {
                return Ok(Redirect::to(&format!("/console/crawls/{}?done=started", started.crawl.id)).into_response());
            }
            Err(e) => Some(e.to_string()),
        }
    };
    let page = list_page(&console, &ctx, None, problem.as_deref()).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

/// The mean confidence of a prompt's recognised segments, if known.
fn confidence(debug: Option<&Value>) -> Option<f64> {
    let segments: Vec<&Value> = match debug? {
        Value::Array(list) => list.iter().collect(),
        one @ Value::Object(_) => vec![one],
        _ => return None,
    };
    let values: Vec<f64> = segments.iter().filter_map(|s| s.get("confidence").and_then(Value::as_f64)).collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Keypad order: digits, then `*`, then `#`.
fn key_rank(key: &str) -> (u8, String) {
    let rank = match key.as_bytes() {
        [d @ b'0'..=b'9'] => d - b'0',
        [b'*'] => 10,
        [b'#'] => 11,
        _ => 12,
    };
    (rank, key.to_string())
}

fn node_markup(ctx: &Ctx, n: &CrawlNodeRow, children: &HashMap<i64, Vec<&CrawlNodeRow>>, depth: usize) -> Markup {
    let kids = children.get(&n.id).filter(|_| depth < MAX_DEPTH);
    let keys = if n.keys_to_reach.is_empty() { "start".to_string() } else { n.keys_to_reach.replace(',', " → ") };
    html! {
        li.node data-node-id=(n.id) data-keys=(n.keys_to_reach) {
            div.node-card {
                div.node-head {
                    @if n.key.is_empty() { span.key.root { "root" } } @else { span.key { (n.key) } }
                    span.keys title="Keys to reach" { (keys) }
                    @if let Some(c) = confidence(n.audio_text_debug.as_ref()) {
                        span.conf title="Recognition confidence" { (format!("{:.0} %", c * 100.0)) }
                    }
                    @if !n.explored { span.muted { " not yet explored" } }
                }
                @if !n.parent_text.is_empty() { p.offered { "Offered as: “" (n.parent_text.trim()) "”" } }
                p.prompt { @if n.audio_text.trim().is_empty() { span.muted { "(no words heard)" } } @else { (n.audio_text.trim()) } }
                (layout::audio(&format!("prompt-{}", n.id), n.prompt_audio.as_deref()))
                div.node-actions {
                    form.inline method="post" action={ "/console/crawls/nodes/" (n.id) "/forward" } {
                        (csrf(ctx))
                        input name="forwarding_number" type="tel" placeholder="Forward to" aria-label="Forward to" required;
                        button type="submit" { "Call & forward" }
                    }
                    form.inline method="post" action={ "/console/crawls/nodes/" (n.id) "/explore" } {
                        (csrf(ctx))
                        button.secondary type="submit" { "Crawl under" }
                    }
                }
            }
            @if let Some(list) = kids {
                ul { @for c in list { (node_markup(ctx, c, children, depth + 1)) } }
            }
        }
    }
}

async fn tree_page(
    console: &Console,
    ctx: &Ctx,
    crawl: &CrawlRow,
    done: Option<&str>,
    problem: Option<&str>,
) -> Result<Markup, ConsoleError> {
    let nodes = console.app.store.crawl_nodes(crawl.id).await?;
    let mut children: HashMap<i64, Vec<&CrawlNodeRow>> = HashMap::new();
    for n in &nodes {
        if let Some(p) = n.parent_id {
            children.entry(p).or_default().push(n);
        }
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| key_rank(&a.key).cmp(&key_rank(&b.key)).then(a.id.cmp(&b.id)));
    }
    let root = nodes.iter().filter(|n| n.parent_id.is_none()).min_by_key(|n| (!n.keys_to_reach.is_empty(), n.id));
    let body = html! {
        (notice(done))
        @if let Some(p) = problem { p.error role="alert" { (p) } }
        dl.facts {
            dt { "Number" } dd { (crawl.number) }
            @if let Some(b) = &crawl.business_name { dt { "Business" } dd { (b) } }
            dt { "Status" } dd #crawl-status { (crawl.status) }
            dt { "Attempts" } dd { (crawl.attempt) }
            dt { "Tree" } dd { @if crawl.completed { "complete" } @else { "partial" } " · " (nodes.len()) " prompts" }
            @if let Some(r) = &crawl.reason { dt { "Last failure" } dd { (r) } }
            @if let Some(t) = &crawl.next_retry_at { dt { "Next retry" } dd { (layout::when(t)) } }
        }
        div.toolbar {
            form.inline method="post" action={ "/console/crawls/" (crawl.id) "/recrawl" } data-confirm="Forget this tree and crawl the number again?" {
                (csrf(ctx)) button type="submit" { "Re-crawl" }
            }
            form.inline method="post" action={ "/console/crawls/" (crawl.id) "/resume" } {
                (csrf(ctx)) button.secondary type="submit" { "Resume" }
            }
        }
        @match root {
            Some(r) => ul.tree #crawl-tree { (node_markup(ctx, r, &children, 0)) },
            None => p.muted { "No prompt reached yet." },
        }
    };
    Ok(layout::page(ctx, &format!("Crawl of {}", crawl.number), Nav::Crawls, body))
}

pub(crate) async fn tree(
    State(console): State<Console>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    let crawl = own_crawl(&console, &ctx, &id).await?;
    tree_page(&console, &ctx, &crawl, q.get("done").map(String::as_str), None).await
}

/// Back to the tree, with what happened.
async fn outcome(
    console: &Console,
    ctx: &Ctx,
    crawl: &CrawlRow,
    result: Result<&'static str, CrawlError>,
) -> Result<Response, ConsoleError> {
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/console/crawls/{}?done={done}", crawl.id)).into_response()),
        Err(e) => {
            let status = match e {
                CrawlError::NoNode => return Err(ConsoleError::NotFound),
                CrawlError::Running(_) => StatusCode::CONFLICT,
                CrawlError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
                CrawlError::Completed | CrawlError::Call(_) => StatusCode::BAD_REQUEST,
            };
            let fresh = console.app.store.crawl(crawl.id).await?.unwrap_or_else(|| crawl.clone());
            let page = tree_page(console, ctx, &fresh, None, Some(&e.to_string())).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn again(console: Console, id: String, ctx: Ctx, fresh: bool) -> Result<Response, ConsoleError> {
    let crawl = own_crawl(&console, &ctx, &id).await?;
    let about = NewCrawl { business_name: crawl.business_name.clone(), retry_enabled: crawl.retry_enabled };
    let result = crawler(&console)?.start(crawl.tenant_id, &crawl.number, fresh, &about).await.map(|_| "started");
    outcome(&console, &ctx, &crawl, result).await
}

pub(crate) async fn recrawl(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, .. }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    again(console, id, ctx, true).await
}

pub(crate) async fn resume(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, .. }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    again(console, id, ctx, false).await
}

/// The node `id` and its crawl, if they are the signed-in tenant's.
async fn own_node(console: &Console, ctx: &Ctx, id: &str) -> Result<(CrawlRow, CrawlNodeRow), ConsoleError> {
    let id = id.parse::<i64>().map_err(|_| ConsoleError::NotFound)?;
    console.app.store.crawl_node(ctx.session.tenant_id(), id).await?.ok_or(ConsoleError::NotFound)
}

pub(crate) async fn forward(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (crawl, node) = own_node(&console, &ctx, &id).await?;
    let to = text(&form, "forwarding_number");
    if !dialable(to) {
        let page = tree_page(&console, &ctx, &crawl, None, Some("Enter the number to connect.")).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let result = crawler(&console)?.forward(crawl.tenant_id, node.id, to).await.map(|_| "calling");
    outcome(&console, &ctx, &crawl, result).await
}

pub(crate) async fn explore(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, .. }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let (crawl, node) = own_node(&console, &ctx, &id).await?;
    let result = crawler(&console)?.resume_under(crawl.tenant_id, node.id).await.map(|_| "started");
    outcome(&console, &ctx, &crawl, result).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn confidence_is_the_mean_of_the_segments() {
        let debug = json!([{"confidence": 0.9}, {"confidence": 0.7}, {"transcript": "no score"}]);
        assert!((confidence(Some(&debug)).unwrap() - 0.8).abs() < 1e-9);
        assert_eq!(confidence(Some(&json!({"confidence": 0.5}))), Some(0.5));
        assert_eq!(confidence(Some(&json!([]))), None);
        assert_eq!(confidence(None), None);
    }

    #[test]
    fn keys_sort_like_a_keypad() {
        let mut keys = vec!["#", "9", "*", "0", "10"];
        keys.sort_by_key(|k| key_rank(k));
        assert_eq!(keys, ["0", "9", "*", "#", "10"]);
    }
}
