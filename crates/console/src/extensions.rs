//! Extensions: list, search, create, edit, delete — through the API's
//! handlers, so the messages are the API's.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Map, Value, json};
use voxide_api::extensions::{self as api, ExtensionView};

use crate::Console;
use crate::calls_api::{flag, submit, text};
use crate::error::ConsoleError;
use crate::layout::{self, Errors, Nav, checkbox, csrf, delete_form, form_errors as other_errors, input, notice};
use crate::session::{Ctx, Posted};

const FIELDS: [&str; 5] = ["sip_username", "sip_password", "cellphone", "recording", "transcription"];

/// What the form shows (never the password typed).
#[derive(Debug, Default)]
struct Values {
    sip_username: String,
    cellphone: String,
    recording: bool,
    transcription: bool,
}

impl Values {
    fn from_form(form: &HashMap<String, String>) -> Self {
        Values {
            sip_username: text(form, "sip_username").to_string(),
            cellphone: text(form, "cellphone").to_string(),
            recording: flag(form, "recording") == 1,
            transcription: flag(form, "transcription") == 1,
        }
    }
}

fn form(ctx: &Ctx, action: &str, values: &Values, errors: &Errors, existing: bool) -> Markup {
    html! {
        form.card method="post" action=(action) #extension-form {
            (csrf(ctx))
            (other_errors(errors, &FIELDS))
            (input("SIP username", "sip_username", "text", &values.sip_username, errors))
            (input(if existing { "SIP password (leave blank to keep)" } else { "SIP password" },
                "sip_password", "password", "", errors))
            (input("Cell phone", "cellphone", "tel", &values.cellphone, errors))
            (checkbox("Record calls", "recording", values.recording, errors))
            (checkbox("Transcribe calls", "transcription", values.transcription, errors))
            button type="submit" { @if existing { "Save" } @else { "Create extension" } }
        }
    }
}

pub(crate) async fn list(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    let axum::Json(all) = api::list(State(console.app.clone()), ctx.caller()).await?;
    let search = q.get("q").map(|s| s.trim().to_lowercase()).unwrap_or_default();
    let shown: Vec<&ExtensionView> = all
        .iter()
        .filter(|e| {
            search.is_empty() || e.sip_username.to_lowercase().contains(&search) || e.cellphone.contains(&search)
        })
        .collect();
    let body = html! {
        (notice(q.get("done").map(String::as_str)))
        div.toolbar {
            form.search method="get" action="/console/extensions" {
                input type="search" name="q" value=(search) placeholder="Search username or phone" aria-label="Search";
                button type="submit" { "Search" }
            }
            a.button href="/console/extensions/new" { "New extension" }
        }
        div.table-wrap {
            table #extensions {
                thead { tr { th { "Username" } th { "Online" } th { "Cell phone" } th { "Record" } th { "Transcribe" } th { "Updated" } } }
                tbody {
                    @for e in &shown {
                        tr data-id=(e.id) {
                            td { a href={ "/console/extensions/" (e.id) } { (e.sip_username) } }
                            td { @if e.online { span.dot.on title="registered" { "online" } } @else { span.dot { "offline" } } }
                            td { (e.cellphone) }
                            td { @if e.recording == 1 { "yes" } @else { "no" } }
                            td { @if e.transcription == 1 { "yes" } @else { "no" } }
                            td { (layout::when(&e.updated_at)) }
                        }
                    }
                    @if shown.is_empty() { tr { td colspan="6" .muted { "No extensions." } } }
                }
            }
        }
    };
    Ok(layout::page(&ctx, "Extensions", Nav::Extensions, body))
}

pub(crate) async fn new(ctx: Ctx) -> Markup {
    let body = form(&ctx, "/console/extensions", &Values::default(), &Errors::new(), false);
    layout::page(&ctx, "New extension", Nav::Extensions, body)
}

/// The API body for the form; a blank password is left out (kept).
fn api_body(form: &HashMap<String, String>) -> Value {
    let mut body = Map::new();
    body.insert("sip_username".into(), json!(text(form, "sip_username")));
    let password = form.get("sip_password").map_or("", String::as_str);
    if !password.is_empty() {
        body.insert("sip_password".into(), json!(password));
    }
    body.insert("cellphone".into(), json!(text(form, "cellphone")));
    body.insert("recording".into(), json!(flag(form, "recording")));
    body.insert("transcription".into(), json!(flag(form, "transcription")));
    Value::Object(body)
}

pub(crate) async fn create(
    State(console): State<Console>,
    Posted { ctx, form: fields }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let send = async |json| api::create(State(console.app.clone()), ctx.caller(), json).await;
    let again = async |errors| {
        let page = form(&ctx, "/console/extensions", &Values::from_form(&fields), &errors, false);
        Ok(layout::page(&ctx, "New extension", Nav::Extensions, page))
    };
    submit(api_body(&fields), send, "/console/extensions?done=created", again).await
}

/// The extension's form, then `features` (its call features), then delete.
fn edit_page(ctx: &Ctx, id: i64, values: &Values, errors: &Errors, features: Markup) -> Markup {
    let body = html! {
        (form(ctx, &format!("/console/extensions/{id}"), values, errors, true))
        (features)
        (delete_form(ctx, &format!("/console/extensions/{id}/delete"), "Delete this extension?", "Delete extension"))
    };
    layout::page(ctx, &format!("Extension {}", values.sip_username), Nav::Extensions, body)
}

pub(crate) async fn edit(
    State(console): State<Console>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    let features = crate::features::section(&console, &ctx, &id, q.get("done").map(String::as_str)).await?;
    page_with(&console, &ctx, &id, features).await
}

/// The extension's page as stored, with `features` under its form.
pub(crate) async fn page_with(
    console: &Console,
    ctx: &Ctx,
    id: &str,
    features: Markup,
) -> Result<Markup, ConsoleError> {
    let axum::Json(e) = api::get(State(console.app.clone()), ctx.caller(), Path(id.to_string())).await?;
    let values = Values {
        sip_username: e.sip_username,
        cellphone: e.cellphone,
        recording: e.recording == 1,
        transcription: e.transcription == 1,
    };
    Ok(edit_page(ctx, e.id, &values, &Errors::new(), features))
}

pub(crate) async fn update(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form: fields }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    // Another tenant's id is not found before anything is read.
    let axum::Json(current) = api::get(State(console.app.clone()), ctx.caller(), Path(id.clone())).await?;
    let send = async |json| api::patch(State(console.app.clone()), ctx.caller(), Path(id), json).await;
    let again = async |errors| {
        let features = crate::features::section(&console, &ctx, &current.id.to_string(), None).await?;
        Ok(edit_page(&ctx, current.id, &Values::from_form(&fields), &errors, features))
    };
    submit(api_body(&fields), send, "/console/extensions?done=saved", again).await
}

pub(crate) async fn delete(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, .. }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    api::delete(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    Ok(Redirect::to("/console/extensions?done=deleted").into_response())
}
