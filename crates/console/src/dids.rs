//! DID numbers: the tenant's numbers and where they route, searching the
//! provider's inventory and buying, re-routing, releasing — through the
//! API's handlers.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Value, json};
use voxide_api::dids as api;
use voxide_api::extensions::ExtensionView;
use voxide_api::ivrs::IvrView;

use crate::Console;
use crate::calls_api::{form_errors, submit, text};
use crate::error::ConsoleError;
use crate::layout::{self, Errors, Nav, csrf, delete_form, field_errors, form_errors as other_errors, notice};
use crate::session::{Ctx, Posted};

async fn extensions(console: &Console, ctx: &Ctx) -> Result<Vec<ExtensionView>, ConsoleError> {
    Ok(voxide_api::extensions::list(State(console.app.clone()), ctx.caller()).await?.0)
}

async fn ivrs(console: &Console, ctx: &Ctx) -> Result<Vec<IvrView>, ConsoleError> {
    Ok(voxide_api::ivrs::list(State(console.app.clone()), ctx.caller()).await?.0)
}

async fn list_page(
    console: &Console,
    ctx: &Ctx,
    q: &HashMap<String, String>,
    errors: &Errors,
) -> Result<Markup, ConsoleError> {
    let axum::Json(numbers) = api::list(State(console.app.clone()), ctx.caller()).await?;
    let exts = extensions(console, ctx).await?;
    let menus = ivrs(console, ctx).await?;
    let ext_name = |id: i64| exts.iter().find(|e| e.id == id).map_or(id.to_string(), |e| e.sip_username.clone());
    let menu_name = |id: i64| menus.iter().find(|m| m.id == id).map_or(id.to_string(), |m| m.name.clone());
    let npa = q.get("npa").map(|s| s.trim().to_string()).unwrap_or_default();
    let mut search_errors = Errors::new();
    let mut found: Vec<Value> = Vec::new();
    if q.contains_key("npa") {
        let query = HashMap::from([("npa".to_string(), npa.clone()), ("limit".to_string(), "10".to_string())]);
        match api::search(State(console.app.clone()), ctx.caller(), Query(query)).await {
            Ok(axum::Json(v)) => found = v["data"].as_array().cloned().unwrap_or_default(),
            Err(e) => search_errors = form_errors(e)?,
        }
    }
    Ok(layout::page(
        ctx,
        "DID numbers",
        Nav::Dids,
        html! {
            (notice(q.get("done").map(String::as_str)))
            (other_errors(errors, &["phonenumber"]))
            (field_errors(errors, "phonenumber"))
            div.table-wrap {
                table #dids {
                    thead { tr { th { "Number" } th { "Routes to" } th { "Bought" } } }
                    tbody {
                        @for d in &numbers {
                            tr data-id=(d.id) {
                                td { a href={ "/console/dids/" (d.id) } { (d.phonenumber) } }
                                td {
                                    @if let Some(m) = d.ivr_id { "IVR " (menu_name(m)) }
                                    @else if let Some(e) = d.extension { "extension " (ext_name(e)) }
                                    @else { span.muted { "nowhere" } }
                                }
                                td { (layout::when(&d.created_at)) }
                            }
                        }
                        @if numbers.is_empty() { tr { td colspan="3" .muted { "No numbers yet." } } }
                    }
                }
            }
            h2 { "Buy a number" }
            form.search method="get" action="/console/dids" {
                label for="npa" { "Area code" }
                input #npa name="npa" inputmode="numeric" maxlength="3" value=(npa) placeholder="e.g. 786";
                button type="submit" { "Search" }
            }
            (other_errors(&search_errors, &[]))
            @if !found.is_empty() {
                div.table-wrap {
                    table #available {
                        thead { tr { th { "Number" } th { "Monthly" } th { "Route to" } th {} } }
                        tbody {
                            @for n in &found {
                                @let number = n["number"].as_str().unwrap_or("");
                                tr {
                                    td { (number) }
                                    td { (format!("${:.2}", n["monthly_cost"].as_f64().unwrap_or(0.0))) }
                                    td colspan="2" {
                                        form.inline method="post" action="/console/dids" {
                                            (csrf(ctx))
                                            input type="hidden" name="phonenumber" value=(number);
                                            select name="extension" aria-label="Extension" {
                                                option value="" { "no extension" }
                                                @for e in &exts { option value=(e.id) { (e.sip_username) } }
                                            }
                                            button type="submit" { "Buy" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            } @else if q.contains_key("npa") && search_errors.is_empty() {
                p.muted { "No numbers available there." }
            }
        },
    ))
}

pub(crate) async fn list(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    list_page(&console, &ctx, &q, &Errors::new()).await
}

pub(crate) async fn buy(
    State(console): State<Console>,
    Posted { ctx, form }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let extension = text(&form, "extension").parse::<i64>().ok();
    let json = json!({ "phonenumber": text(&form, "phonenumber"), "extension": extension });
    let send = async |b| api::buy(State(console.app.clone()), ctx.caller(), b).await;
    let again = async |errors| list_page(&console, &ctx, &HashMap::new(), &errors).await;
    submit(json, send, "/console/dids?done=bought", again).await
}

async fn edit_page(console: &Console, ctx: &Ctx, id: &str, errors: &Errors) -> Result<Markup, ConsoleError> {
    let axum::Json(d) = api::get(State(console.app.clone()), ctx.caller(), Path(id.to_string())).await?;
    let exts = extensions(console, ctx).await?;
    let menus = ivrs(console, ctx).await?;
    let current = match (d.extension, d.ivr_id) {
        (_, Some(m)) => format!("ivr:{m}"),
        (Some(e), None) => format!("ext:{e}"),
        _ => String::new(),
    };
    Ok(layout::page(
        ctx,
        &format!("Number {}", d.phonenumber),
        Nav::Dids,
        html! {
            form.card method="post" action={ "/console/dids/" (d.id) } {
                (csrf(ctx))
                (other_errors(errors, &[]))
                div.field {
                    label for="route" { "Route calls to" }
                    select #route name="route" {
                        option value="" { "nowhere" }
                        optgroup label="Extensions" {
                            @for e in &exts {
                                @let v = format!("ext:{}", e.id);
                                option value=(v) selected[v == current] { (e.sip_username) }
                            }
                        }
                        optgroup label="IVR menus" {
                            @for m in &menus {
                                @let v = format!("ivr:{}", m.id);
                                option value=(v) selected[v == current] { (m.name) }
                            }
                        }
                    }
                }
                button type="submit" { "Save" }
            }
            (delete_form(ctx, &format!("/console/dids/{}/delete", d.id), "Release this number to the provider?", "Release number"))
        },
    ))
}

pub(crate) async fn edit(
    State(console): State<Console>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Markup, ConsoleError> {
    edit_page(&console, &ctx, &id, &Errors::new()).await
}

pub(crate) async fn assign(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let route = text(&form, "route");
    let json = if let Some(e) = route.strip_prefix("ext:") {
        json!({ "extension": e.parse::<i64>().ok() })
    } else if let Some(m) = route.strip_prefix("ivr:") {
        json!({ "ivr_id": m.parse::<i64>().ok() })
    } else {
        json!({ "extension": null, "ivr_id": null })
    };
    let send = async |b| api::assign(State(console.app.clone()), ctx.caller(), Path(id.clone()), b).await;
    let again = async |errors| edit_page(&console, &ctx, &id, &errors).await;
    submit(json, send, "/console/dids?done=saved", again).await
}

pub(crate) async fn release(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, .. }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    api::release(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    Ok(Redirect::to("/console/dids?done=released").into_response())
}
