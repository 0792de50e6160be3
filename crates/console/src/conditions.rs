//! Time and caller-id conditions: list, create, edit, delete — the API's
//! `/api/conditions/` handlers behind HTML forms. A call reaching a
//! condition goes one way when it holds and the other way when not.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};
use voxide_api::conditions::{self as api, ConditionView};

use crate::Console;
use crate::calls_api::{deleted, flag, submit, text};
use crate::destinations;
use crate::error::ConsoleError;
use crate::layout::{self, Errors, Nav, csrf, delete_form, field_errors, form_errors as other_errors, input, list_top};
use crate::session::{Ctx, Posted};

const DAYS: [(&str, &str); 7] =
    [("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"), ("sat", "Sat"), ("sun", "Sun")];
const FIELDS: [&str; 9] = [
    "name",
    "kind",
    "time_zone",
    "weekdays",
    "start_time",
    "end_time",
    "callerid_pattern",
    "match_destination",
    "nomatch_destination",
];

#[derive(Debug, Clone, Default)]
struct Values {
    name: String,
    kind: String,
    time_zone: String,
    /// Ticked days, as the API spells them.
    weekdays: Vec<String>,
    start_time: String,
    end_time: String,
    callerid_pattern: String,
    match_destination: String,
    nomatch_destination: String,
}

impl Values {
    fn of(c: &ConditionView) -> Values {
        Values {
            name: c.name.clone(),
            kind: c.kind.to_string(),
            time_zone: c.time_zone.clone(),
            weekdays: c.weekdays.split(',').filter(|d| !d.is_empty()).map(str::to_string).collect(),
            start_time: c.start_time.clone(),
            end_time: c.end_time.clone(),
            callerid_pattern: c.callerid_pattern.clone(),
            match_destination: c.match_destination.clone(),
            nomatch_destination: c.nomatch_destination.clone(),
        }
    }

    fn blank() -> Values {
        Values {
            kind: "time".into(),
            time_zone: "UTC".into(),
            weekdays: DAYS[..5].iter().map(|(d, _)| d.to_string()).collect(),
            start_time: "09:00".into(),
            end_time: "17:00".into(),
            ..Values::default()
        }
    }

    fn from_form(form: &HashMap<String, String>) -> Values {
        let t = |name: &str| text(form, name).to_string();
        Values {
            name: t("name"),
            kind: t("kind"),
            time_zone: t("time_zone"),
            weekdays: DAYS
                .iter()
                .filter(|(d, _)| flag(form, &format!("day_{d}")) == 1)
                .map(|(d, _)| d.to_string())
                .collect(),
            start_time: t("start_time"),
            end_time: t("end_time"),
            callerid_pattern: t("callerid_pattern"),
            match_destination: t("match_destination"),
            nomatch_destination: t("nomatch_destination"),
        }
    }

    fn api_body(&self) -> Value {
        json!({
            "name": self.name,
            "kind": self.kind,
            "time_zone": self.time_zone,
            "weekdays": self.weekdays.join(","),
            "start_time": self.start_time,
            "end_time": self.end_time,
            "callerid_pattern": self.callerid_pattern,
            "match_destination": self.match_destination,
            "nomatch_destination": self.nomatch_destination,
        })
    }
}

fn form(ctx: &Ctx, action: &str, v: &Values, errors: &Errors, dests: Markup, existing: bool) -> Markup {
    html! {
        form.card method="post" action=(action) #condition-form {
            (csrf(ctx))
            (dests)
            (other_errors(errors, &FIELDS))
            (input("Name", "name", "text", &v.name, errors))
            div.field class=[errors.contains_key("kind").then_some("invalid")] {
                label for="f-kind" { "Kind" }
                select #f-kind name="kind" {
                    option value="time" selected[v.kind == "time"] { "Time of day and week" }
                    option value="callerid" selected[v.kind == "callerid"] { "Caller's number" }
                }
                (field_errors(errors, "kind"))
            }
            fieldset {
                legend { "Time (kind: time)" }
                (input("Time zone (IANA name)", "time_zone", "text", &v.time_zone, errors))
                div.field class=[errors.contains_key("weekdays").then_some("invalid")] {
                    span { "Days (none ticked: every day)" }
                    div.days {
                        @for (day, label) in DAYS {
                            @let id = format!("f-day_{day}");
                            span.day {
                                input id=(id) type="checkbox" name={ "day_" (day) } value="1" checked[v.weekdays.iter().any(|d| d == day)];
                                label for=(id) { (label) }
                            }
                        }
                    }
                    (field_errors(errors, "weekdays"))
                }
                (input("From (HH:MM)", "start_time", "time", &v.start_time, errors))
                (input("Until (HH:MM; earlier than From runs past midnight)", "end_time", "time", &v.end_time, errors))
            }
            fieldset {
                legend { "Caller (kind: callerid)" }
                (input("Caller numbers (digits, a trailing * for a prefix, comma-separated)", "callerid_pattern", "text", &v.callerid_pattern, errors))
            }
            (destinations::input("When it holds, go to", "match_destination", &v.match_destination, errors))
            (destinations::input("Otherwise, go to", "nomatch_destination", &v.nomatch_destination, errors))
            button type="submit" { @if existing { "Save" } @else { "Create condition" } }
        }
    }
}

/// What a condition looks at, in a line.
fn summary(c: &ConditionView) -> String {
    if c.kind == "callerid" {
        return format!("caller {}", c.callerid_pattern);
    }
    let days = if c.weekdays.is_empty() { "every day".to_string() } else { c.weekdays.replace(',', " ") };
    format!("{days} {}–{} {}", c.start_time, c.end_time, c.time_zone)
}

pub(crate) async fn list(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    let axum::Json(all) = api::list(State(console.app.clone()), ctx.caller()).await?;
    let body = html! {
        (list_top(q.get("done").map(String::as_str), "/console/conditions/new", "New condition"))
        div.table-wrap {
            table #conditions {
                thead { tr { th { "Name" } th { "Holds when" } th { "Then" } th { "Otherwise" } } }
                tbody {
                    @for c in &all {
                        tr data-id=(c.id) {
                            td { a href={ "/console/conditions/" (c.id) } { (c.name) } }
                            td { (summary(c)) }
                            td { (c.match_destination) }
                            td { (c.nomatch_destination) }
                        }
                    }
                    @if all.is_empty() { tr { td colspan="4" .muted { "No conditions yet." } } }
                }
            }
        }
    };
    Ok(layout::page(&ctx, "Conditions", Nav::Conditions, body))
}

async fn new_page(console: &Console, ctx: &Ctx, v: &Values, errors: &Errors) -> Result<Markup, ConsoleError> {
    let dests = destinations::choices(console, ctx).await?;
    Ok(layout::page(ctx, "New condition", Nav::Conditions, form(ctx, "/console/conditions", v, errors, dests, false)))
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
    submit(values.api_body(), send, "/console/conditions?done=created", again).await
}

async fn edit_page(console: &Console, ctx: &Ctx, id: i64, v: &Values, errors: &Errors) -> Result<Markup, ConsoleError> {
    let dests = destinations::choices(console, ctx).await?;
    let body = html! {
        (form(ctx, &format!("/console/conditions/{id}"), v, errors, dests, true))
        (delete_form(ctx, &format!("/console/conditions/{id}/delete"), "Delete this condition?", "Delete condition"))
    };
    Ok(layout::page(ctx, &format!("Condition {}", v.name), Nav::Conditions, body))
}

pub(crate) async fn edit(
    State(console): State<Console>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Markup, ConsoleError> {
    let axum::Json(c) = api::get(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    edit_page(&console, &ctx, c.id, &Values::of(&c), &Errors::new()).await
}

pub(crate) async fn update(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form: fields }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let axum::Json(current) = api::get(State(console.app.clone()), ctx.caller(), Path(id.clone())).await?;
    let values = Values::from_form(&fields);
    let send = async |b| api::replace(State(console.app.clone()), ctx.caller(), Path(id), b).await;
    let again = async |errors| edit_page(&console, &ctx, current.id, &values, &errors).await;
    submit(values.api_body(), send, "/console/conditions?done=saved", again).await
}

/// Deletes the condition, or shows why the API keeps it (409).
pub(crate) async fn delete(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, .. }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let axum::Json(current) = api::get(State(console.app.clone()), ctx.caller(), Path(id.clone())).await?;
    let response = api::delete(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    let again = async |errors| edit_page(&console, &ctx, current.id, &Values::of(&current), &errors).await;
    deleted(response, "/console/conditions?done=deleted", "The condition could not be deleted.", again).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticked_days_become_the_apis_list_in_week_order() {
        let form: HashMap<String, String> =
            [("kind", "time"), ("day_fri", "1"), ("day_mon", "1"), ("start_time", "09:00"), ("end_time", "17:30")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let b = Values::from_form(&form).api_body();
        assert_eq!(
            (&b["weekdays"], &b["start_time"], &b["end_time"]),
            (&json!("mon,fri"), &json!("09:00"), &json!("17:30"))
        );
    }

    #[test]
    fn a_summary_says_what_is_looked_at() {
        let mut c = ConditionView {
            id: 1,
            name: "open".into(),
            kind: "time",
            time_zone: "America/New_York".into(),
            weekdays: "mon,tue".into(),
            start_time: "09:00".into(),
            end_time: "17:00".into(),
            callerid_pattern: String::new(),
            match_destination: "hunt:1".into(),
            nomatch_destination: String::new(),
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert_eq!(summary(&c), "mon tue 09:00–17:00 America/New_York");
        c.kind = "callerid";
        c.callerid_pattern = "1514*".into();
        assert_eq!(summary(&c), "caller 1514*");
    }
}
