//! Hunt groups: list, create, edit, delete — the API's handlers behind
//! HTML forms. Members are picked from the tenant's extensions, one row per
//! place in the ringing order; a group something still leads to is kept,
//! with the API's reason shown.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};
use voxide_api::extensions::ExtensionView;
use voxide_api::hunt_groups::{self as api, HuntGroupView};
use voxide_store::HuntStrategy;

use crate::Console;
use crate::calls_api::{deleted, flag, submit, text};
use crate::destinations::{self, extensions_of};
use crate::error::ConsoleError;
use crate::layout::{
    self, Errors, Nav, checkbox, csrf, delete_form, field_errors, form_errors as other_errors, input, list_top,
};
use crate::session::{Ctx, Posted};

/// Blank member rows offered under the group's own.
const SPARE_ROWS: usize = 2;
/// Rows read back from a form, at most.
const MAX_ROWS: usize = 100;
const FIELDS: [&str; 7] = ["name", "number", "strategy", "ring_secs", "skip_busy", "overflow", "members"];

/// One member row as shown: the extension id picked (blank: none) and its
/// index in the body sent to the API, to find its messages.
#[derive(Debug, Clone, Default)]
struct Member {
    extension: String,
    sent: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct Values {
    name: String,
    number: String,
    strategy: String,
    ring_secs: String,
    skip_busy: bool,
    overflow: String,
    members: Vec<Member>,
}

impl Values {
    fn of(g: &HuntGroupView) -> Values {
        let mut members: Vec<Member> =
            g.members.iter().enumerate().map(|(i, id)| Member { extension: id.to_string(), sent: Some(i) }).collect();
        members.extend((0..SPARE_ROWS).map(|_| Member::default()));
        Values {
            name: g.name.clone(),
            number: g.number.clone(),
            strategy: g.strategy.to_string(),
            ring_secs: g.ring_secs.to_string(),
            skip_busy: g.skip_busy,
            overflow: g.overflow.clone(),
            members,
        }
    }

    fn blank() -> Values {
        Values {
            strategy: HuntStrategy::RingAll.as_str().into(),
            ring_secs: "20".into(),
            members: (0..SPARE_ROWS + 1).map(|_| Member::default()).collect(),
            ..Values::default()
        }
    }

    fn from_form(form: &HashMap<String, String>) -> Values {
        let mut members = Vec::new();
        let mut sent = 0;
        for i in 0..MAX_ROWS {
            let Some(value) = form.get(&format!("member_{i}")) else { break };
            let extension = value.trim().to_string();
            let at = (!extension.is_empty()).then(|| {
                sent += 1;
                sent - 1
            });
            members.push(Member { extension, sent: at });
        }
        Values {
            name: text(form, "name").into(),
            number: text(form, "number").into(),
            strategy: text(form, "strategy").into(),
            ring_secs: text(form, "ring_secs").into(),
            skip_busy: flag(form, "skip_busy") == 1,
            overflow: text(form, "overflow").into(),
            members,
        }
    }

    /// The API body: ids and seconds as numbers when they are, so anything
    /// else is named by the API.
    fn api_body(&self) -> Value {
        let num = |s: &str| s.parse::<i64>().map_or_else(|_| json!(s), |n| json!(n));
        let members: Vec<Value> = self.members.iter().filter(|m| m.sent.is_some()).map(|m| num(&m.extension)).collect();
        json!({
            "name": self.name,
            "number": self.number,
            "strategy": self.strategy,
            "ring_secs": num(&self.ring_secs),
            "skip_busy": self.skip_busy,
            "overflow": self.overflow,
            "members": members,
        })
    }
}

fn form(ctx: &Ctx, action: &str, v: &Values, errors: &Errors, exts: &[ExtensionView], dests: Markup) -> Markup {
    let member_fields: Vec<String> = errors.keys().filter(|k| k.starts_with("members[")).cloned().collect();
    let mut known: Vec<&str> = FIELDS.to_vec();
    known.extend(member_fields.iter().map(String::as_str));
    html! {
        form.card method="post" action=(action) #hunt-group-form {
            (csrf(ctx))
            (dests)
            (other_errors(errors, &known))
            (input("Name", "name", "text", &v.name, errors))
            (input("Number (what phones dial)", "number", "text", &v.number, errors))
            div.field class=[errors.contains_key("strategy").then_some("invalid")] {
                label for="f-strategy" { "Strategy" }
                select #f-strategy name="strategy" {
                    @for s in HuntStrategy::ALL {
                        option value=(s.as_str()) selected[v.strategy == s.as_str()] { (strategy_label(s.as_str())) }
                    }
                }
                (field_errors(errors, "strategy"))
            }
            (input("Ring time (seconds)", "ring_secs", "number", &v.ring_secs, errors))
            (checkbox("Skip members already on a call", "skip_busy", v.skip_busy, errors))
            (destinations::input("When nobody answers", "overflow", &v.overflow, errors))
            h2 { "Members, in ringing order" }
            (field_errors(errors, "members"))
            ol.members {
                @for (i, m) in v.members.iter().enumerate() {
                    @let at = m.sent.map(|s| format!("members[{s}]")).unwrap_or_default();
                    li {
                        select name={ "member_" (i) } aria-label={ "Member " (i + 1) } {
                            option value="" { "—" }
                            @for e in exts {
                                @let id = e.id.to_string();
                                option value=(id) selected[m.extension == id] { (e.sip_username) }
                            }
                        }
                        (field_errors(errors, &at))
                    }
                }
            }
            p.muted { "Choose “—” to drop a member; save to get more rows." }
            button type="submit" { @if action.ends_with("/hunt_groups") { "Create hunt group" } @else { "Save" } }
        }
    }
}

fn strategy_label(s: &str) -> &'static str {
    match s {
        "ring_all" => "Ring all at once",
        "sequential" => "One after the other",
        "round_robin" => "Round robin",
        "longest_idle" => "Longest idle first",
        _ => "Unknown",
    }
}

pub(crate) async fn list(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    let axum::Json(groups) = api::list(State(console.app.clone()), ctx.caller()).await?;
    let exts = extensions_of(&console, &ctx).await?;
    let name = |id: &i64| exts.iter().find(|e| e.id == *id).map_or(id.to_string(), |e| e.sip_username.clone());
    let body = html! {
        (list_top(q.get("done").map(String::as_str), "/console/hunt_groups/new", "New hunt group"))
        div.table-wrap {
            table #hunt-groups {
                thead { tr { th { "Name" } th { "Number" } th { "Strategy" } th { "Ring time" } th { "Members" } } }
                tbody {
                    @for g in &groups {
                        tr data-id=(g.id) {
                            td { a href={ "/console/hunt_groups/" (g.id) } { (g.name) } }
                            td { (g.number) }
                            td { (strategy_label(g.strategy)) }
                            td { (g.ring_secs) " s" }
                            td.members { (g.members.iter().map(name).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                    @if groups.is_empty() { tr { td colspan="5" .muted { "No hunt groups yet." } } }
                }
            }
        }
    };
    Ok(layout::page(&ctx, "Hunt groups", Nav::HuntGroups, body))
}

async fn new_page(console: &Console, ctx: &Ctx, values: &Values, errors: &Errors) -> Result<Markup, ConsoleError> {
    let exts = extensions_of(console, ctx).await?;
    let dests = destinations::choices(console, ctx).await?;
    let body = form(ctx, "/console/hunt_groups", values, errors, &exts, dests);
    Ok(layout::page(ctx, "New hunt group", Nav::HuntGroups, body))
}

pub(crate) async fn new(State(console): State<Console>, ctx: Ctx) -> Result<Markup, ConsoleError> {
    new_page(&console, &ctx, &Values::blank(), &Errors::new()).await
}

pub(crate) async fn create(
    State(console): State<Console>,
    Posted { ctx, form: fields }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let values = Values::from_form(&fields);
    let send = async |b| api::create(State(console.app.clone()), ctx.caller(), b).await;
    let again = async |errors| new_page(&console, &ctx, &values, &errors).await;
    submit(values.api_body(), send, "/console/hunt_groups?done=created", again).await
}

async fn edit_page(
    console: &Console,
    ctx: &Ctx,
    id: i64,
    values: &Values,
    errors: &Errors,
) -> Result<Markup, ConsoleError> {
    let exts = extensions_of(console, ctx).await?;
    let dests = destinations::choices(console, ctx).await?;
    let body = html! {
        (form(ctx, &format!("/console/hunt_groups/{id}"), values, errors, &exts, dests))
        (delete_form(ctx, &format!("/console/hunt_groups/{id}/delete"), "Delete this hunt group?", "Delete hunt group"))
    };
    Ok(layout::page(ctx, &format!("Hunt group {}", values.name), Nav::HuntGroups, body))
}

pub(crate) async fn edit(
    State(console): State<Console>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Markup, ConsoleError> {
    let axum::Json(g) = api::get(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    edit_page(&console, &ctx, g.id, &Values::of(&g), &Errors::new()).await
}

pub(crate) async fn update(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form: fields }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    // Another tenant's id is not found before anything is read.
    let axum::Json(current) = api::get(State(console.app.clone()), ctx.caller(), Path(id.clone())).await?;
    let values = Values::from_form(&fields);
    let send = async |b| api::replace(State(console.app.clone()), ctx.caller(), Path(id), b).await;
    let again = async |errors| edit_page(&console, &ctx, current.id, &values, &errors).await;
    submit(values.api_body(), send, "/console/hunt_groups?done=saved", again).await
}

/// Deletes the group, or shows why the API keeps it (409: something still
/// leads to it) and changes nothing.
pub(crate) async fn delete(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, .. }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let axum::Json(current) = api::get(State(console.app.clone()), ctx.caller(), Path(id.clone())).await?;
    let response = api::delete(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    let again = async |errors| edit_page(&console, &ctx, current.id, &Values::of(&current), &errors).await;
    deleted(response, "/console/hunt_groups?done=deleted", "The hunt group could not be deleted.", again).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn members_keep_their_order_and_blank_rows_are_not_sent() {
        let v = Values::from_form(&form(&[
            ("name", "Sales"),
            ("number", "501"),
            ("strategy", "sequential"),
            ("ring_secs", "15"),
            ("member_0", "7"),
            ("member_1", ""),
            ("member_2", "3"),
            ("overflow", "voicemail:7"),
        ]));
        assert_eq!(v.members.iter().map(|m| m.sent).collect::<Vec<_>>(), [Some(0), None, Some(1)]);
        let b = v.api_body();
        assert_eq!(b["members"], json!([7, 3]));
        assert_eq!((&b["ring_secs"], &b["skip_busy"]), (&json!(15), &json!(false)));
        assert_eq!(b["overflow"], "voicemail:7");
    }

    #[test]
    fn what_is_not_a_number_is_left_for_the_api_to_name() {
        let v = Values::from_form(&form(&[("ring_secs", "soon"), ("member_0", "x"), ("skip_busy", "1")]));
        let b = v.api_body();
        assert_eq!((&b["ring_secs"], &b["members"], &b["skip_busy"]), (&json!("soon"), &json!(["x"]), &json!(true)));
    }
}
