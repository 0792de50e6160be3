//! Hosted IVR menus: list, create, edit, delete — the API's handlers
//! behind HTML forms, so every bad field is named as the API names it.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};
use voxide_api::ivrs::{self as api, IvrView};

use crate::Console;
use crate::calls_api::{deleted, submit, text};
use crate::error::ConsoleError;
use crate::layout::{self, Errors, Nav, csrf, delete_form, field_errors, form_errors as other_errors, input, list_top};
use crate::session::{Ctx, Posted};

/// Blank option rows offered under the menu's own.
const SPARE_ROWS: usize = 3;
const ACTIONS: [&str; 5] = ["extension", "number", "ivr", "playback", "hangup"];
const FIELDS: [&str; 7] =
    ["name", "greeting_text", "greeting_file", "timeout_ms", "repeat", "invalid_text", "timeout_text"];

/// One option row as shown; `sent` is its index in the body sent to the
/// API (rows left blank are not sent), to find its messages.
#[derive(Debug, Clone, Default)]
struct Row {
    digit: String,
    action: String,
    target: String,
    sent: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct Values {
    name: String,
    greeting_text: String,
    greeting_file: String,
    timeout_ms: String,
    repeat: String,
    invalid_text: String,
    timeout_text: String,
    rows: Vec<Row>,
}

impl Values {
    fn of(m: &IvrView) -> Values {
        let mut rows: Vec<Row> = m
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| Row {
                digit: o.digit.clone(),
                action: o.action.clone(),
                target: o.target.clone(),
                sent: Some(i),
            })
            .collect();
        rows.extend((0..SPARE_ROWS).map(|_| Row::default()));
        Values {
            name: m.name.clone(),
            greeting_text: m.greeting_text.clone().unwrap_or_default(),
            greeting_file: m.greeting_file.clone().unwrap_or_default(),
            timeout_ms: m.timeout_ms.to_string(),
            repeat: m.repeat.to_string(),
            invalid_text: m.invalid_text.clone().unwrap_or_default(),
            timeout_text: m.timeout_text.clone().unwrap_or_default(),
            rows,
        }
    }

    fn blank() -> Values {
        Values {
            timeout_ms: "5000".into(),
            repeat: "3".into(),
            rows: (0..SPARE_ROWS + 1).map(|_| Row::default()).collect(),
            ..Values::default()
        }
    }

    fn from_form(form: &HashMap<String, String>) -> Values {
        let mut rows = Vec::new();
        let mut sent = 0;
        for i in 0..64 {
            let (d, a, t) = (format!("digit_{i}"), format!("action_{i}"), format!("target_{i}"));
            if !form.contains_key(&d) && !form.contains_key(&a) {
                break;
            }
            let mut row = Row {
                digit: text(form, &d).into(),
                action: text(form, &a).into(),
                target: text(form, &t).into(),
                sent: None,
            };
            if !row.digit.is_empty() || !row.target.is_empty() {
                row.sent = Some(sent);
                sent += 1;
            }
            rows.push(row);
        }
        Values {
            name: text(form, "name").into(),
            greeting_text: text(form, "greeting_text").into(),
            greeting_file: text(form, "greeting_file").into(),
            timeout_ms: text(form, "timeout_ms").into(),
            repeat: text(form, "repeat").into(),
            invalid_text: text(form, "invalid_text").into(),
            timeout_text: text(form, "timeout_text").into(),
            rows,
        }
    }

    /// The API body: numbers as numbers when they are, blank texts as null.
    fn api_body(&self) -> Value {
        let opt = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
        let num = |s: &str| s.parse::<i64>().map_or_else(|_| json!(s), |n| json!(n));
        let options: Vec<Value> = self
            .rows
            .iter()
            .filter(|r| r.sent.is_some())
            .map(|r| json!({ "digit": r.digit, "action": r.action, "target": r.target }))
            .collect();
        json!({
            "name": self.name,
            "greeting_text": opt(&self.greeting_text),
            "greeting_file": opt(&self.greeting_file),
            "timeout_ms": num(&self.timeout_ms),
            "repeat": num(&self.repeat),
            "invalid_text": opt(&self.invalid_text),
            "timeout_text": opt(&self.timeout_text),
            "options": options,
        })
    }
}

fn form(ctx: &Ctx, action: &str, v: &Values, errors: &Errors, existing: bool) -> Markup {
    let option_fields: Vec<String> = errors.keys().filter(|k| k.starts_with("options")).cloned().collect();
    let mut known: Vec<&str> = FIELDS.to_vec();
    known.extend(option_fields.iter().map(String::as_str));
    html! {
        form.card method="post" action=(action) #ivr-form {
            (csrf(ctx))
            (other_errors(errors, &known))
            (input("Name", "name", "text", &v.name, errors))
            div.field class=[errors.contains_key("greeting_text").then_some("invalid")] {
                label for="f-greeting_text" { "Greeting (spoken text)" }
                textarea #f-greeting_text name="greeting_text" rows="3" { (v.greeting_text) }
                (field_errors(errors, "greeting_text"))
            }
            (input("…or greeting file (.wav in the prompts directory)", "greeting_file", "text", &v.greeting_file, errors))
            (input("Wait for a key (ms)", "timeout_ms", "number", &v.timeout_ms, errors))
            (input("Repeat the menu", "repeat", "number", &v.repeat, errors))
            (input("Said after a wrong key", "invalid_text", "text", &v.invalid_text, errors))
            (input("Said when no key comes", "timeout_text", "text", &v.timeout_text, errors))
            h2 { "Keys" }
            div.table-wrap {
                table.options {
                    thead { tr { th { "Key" } th { "Action" } th { "Target" } } }
                    tbody {
                        @for (i, r) in v.rows.iter().enumerate() {
                            @let at = |f: &str| r.sent.map(|s| format!("options[{s}].{f}")).unwrap_or_default();
                            tr {
                                td { input name={ "digit_" (i) } value=(r.digit) size="2" maxlength="1" aria-label="Key"; (field_errors(errors, &at("digit"))) }
                                td {
                                    select name={ "action_" (i) } aria-label="Action" {
                                        @for a in ACTIONS { option value=(a) selected[r.action == a] { (a) } }
                                    }
                                    (field_errors(errors, &at("action")))
                                }
                                td { input name={ "target_" (i) } value=(r.target) aria-label="Target"; (field_errors(errors, &at("target"))) }
                            }
                        }
                    }
                }
            }
            p.muted { "Leave a row's key and target blank to drop it." }
            button type="submit" { @if existing { "Save menu" } @else { "Create menu" } }
        }
    }
}

pub(crate) async fn list(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    let axum::Json(menus) = api::list(State(console.app.clone()), ctx.caller()).await?;
    let body = html! {
        (list_top(q.get("done").map(String::as_str), "/console/ivrs/new", "New menu"))
        div.table-wrap {
            table #ivrs {
                thead { tr { th { "Name" } th { "Greeting" } th { "Keys" } th { "Updated" } } }
                tbody {
                    @for m in &menus {
                        tr data-id=(m.id) {
                            td { a href={ "/console/ivrs/" (m.id) } { (m.name) } }
                            td { (m.greeting_text.as_deref().or(m.greeting_file.as_deref()).unwrap_or("")) }
                            td { (m.options.iter().map(|o| o.digit.as_str()).collect::<Vec<_>>().join(" ")) }
                            td { (layout::when(&m.updated_at)) }
                        }
                    }
                    @if menus.is_empty() { tr { td colspan="4" .muted { "No menus yet." } } }
                }
            }
        }
    };
    Ok(layout::page(&ctx, "IVR menus", Nav::Ivrs, body))
}

pub(crate) async fn new(ctx: Ctx) -> Markup {
    layout::page(&ctx, "New IVR menu", Nav::Ivrs, form(&ctx, "/console/ivrs", &Values::blank(), &Errors::new(), false))
}

pub(crate) async fn create(
    State(console): State<Console>,
    Posted { ctx, form: fields }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let values = Values::from_form(&fields);
    let send = async |b| api::create(State(console.app.clone()), ctx.caller(), b).await;
    let again = async |errors| {
        Ok(layout::page(&ctx, "New IVR menu", Nav::Ivrs, form(&ctx, "/console/ivrs", &values, &errors, false)))
    };
    submit(values.api_body(), send, "/console/ivrs?done=created", again).await
}

fn edit_page(ctx: &Ctx, id: i64, values: &Values, errors: &Errors) -> Markup {
    let body = html! {
        (form(ctx, &format!("/console/ivrs/{id}"), values, errors, true))
        (delete_form(ctx, &format!("/console/ivrs/{id}/delete"), "Delete this menu?", "Delete menu"))
    };
    layout::page(ctx, &format!("IVR menu {}", values.name), Nav::Ivrs, body)
}

pub(crate) async fn edit(
    State(console): State<Console>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Markup, ConsoleError> {
    let axum::Json(m) = api::get(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    Ok(edit_page(&ctx, m.id, &Values::of(&m), &Errors::new()))
}

pub(crate) async fn update(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form: fields }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let axum::Json(current) = api::get(State(console.app.clone()), ctx.caller(), Path(id.clone())).await?;
    let values = Values::from_form(&fields);
    let send = async |b| api::replace(State(console.app.clone()), ctx.caller(), Path(id), b).await;
    let again = async |errors| Ok(edit_page(&ctx, current.id, &values, &errors));
    submit(values.api_body(), send, "/console/ivrs?done=saved", again).await
}

pub(crate) async fn delete(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, .. }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let axum::Json(current) = api::get(State(console.app.clone()), ctx.caller(), Path(id.clone())).await?;
    let response = api::delete(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    let again = async |errors| Ok(edit_page(&ctx, current.id, &Values::of(&current), &errors));
    deleted(response, "/console/ivrs?done=deleted", "The menu could not be deleted.", again).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_rows_are_not_sent_and_numbers_stay_numbers() {
        let form: HashMap<String, String> = [
            ("name", "main"),
            ("greeting_text", "Press one"),
            ("greeting_file", ""),
            ("timeout_ms", "4000"),
            ("repeat", "x"),
            ("digit_0", "1"),
            ("action_0", "extension"),
            ("target_0", "1001"),
            ("digit_1", ""),
            ("action_1", "extension"),
            ("target_1", ""),
            ("digit_2", "#"),
            ("action_2", "hangup"),
            ("target_2", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let v = Values::from_form(&form);
        assert_eq!(v.rows.iter().map(|r| r.sent).collect::<Vec<_>>(), [Some(0), None, Some(1)]);
        let body = v.api_body();
        assert_eq!(body["timeout_ms"], 4000);
        assert_eq!(body["repeat"], "x", "the API names the bad field");
        assert_eq!(body["greeting_file"], Value::Null);
        assert_eq!(
            body["options"],
            json!([
                {"digit": "1", "action": "extension", "target": "1001"},
                {"digit": "#", "action": "hangup", "target": ""}
            ])
        );
    }
}
