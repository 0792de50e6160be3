//! Voicemail messages: the tenant's boxes (or one, `?extension=<id>`),
//! newest first, each with a player, mark heard or new, and delete — all
//! through the API's `/api/voicemail/` handlers. The audio is the API's
//! `/api/voicemail/{id}/audio`, served here under the console's session.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde_json::json;
use voxide_api::voicemail as api;

use crate::Console;
use crate::calls_api::{body, flag, form_errors, text};
use crate::destinations::extensions_of;
use crate::error::ConsoleError;
use crate::layout::{self, Errors, Nav, csrf, form_errors as other_errors, notice};
use crate::session::{Ctx, Posted, Session};

/// `m:ss` of a message's length.
fn length(ms: i64) -> String {
    let secs = (ms.max(0) + 500) / 1000;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The list to go back to: filtered by the extension the form came from,
/// if that is an id.
fn back(form: &HashMap<String, String>, done: &str) -> String {
    match text(form, "extension").parse::<i64>() {
        Ok(id) if id > 0 => format!("/console/voicemail?extension={id}&done={done}"),
        _ => format!("/console/voicemail?done={done}"),
    }
}

pub(crate) async fn list(
    State(console): State<Console>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let exts = extensions_of(&console, &ctx).await?;
    let filter = q.get("extension").map(|s| s.trim().to_string()).unwrap_or_default();
    let query = HashMap::from([("extension".to_string(), filter.clone())]);
    let (messages, errors) = match api::list(State(console.app.clone()), ctx.caller(), Query(query)).await {
        Ok(axum::Json(list)) => (list, Errors::new()),
        Err(e) => (Vec::new(), form_errors(e)?),
    };
    let name = |id: i64| exts.iter().find(|e| e.id == id).map_or(id.to_string(), |e| e.sip_username.clone());
    let body = html! {
        (notice(q.get("done").map(String::as_str)))
        form.filters method="get" action="/console/voicemail" {
            div.field {
                label for="extension" { "Box" }
                select #extension name="extension" {
                    option value="" { "All boxes" }
                    @for e in &exts {
                        @let id = e.id.to_string();
                        option value=(id) selected[filter == id] { (e.sip_username) }
                    }
                }
            }
            div.actions { button type="submit" { "Show" } }
        }
        (other_errors(&errors, &[]))
        div.table-wrap {
            table #voicemail {
                thead { tr { th { "Box" } th { "Caller" } th { "Received" } th { "Length" } th { "Heard" } th { "Message" } th {} } }
                tbody {
                    @for m in &messages {
                        tr data-id=(m.id) class=[(!m.heard).then_some("new")] {
                            td { a href={ "/console/extensions/" (m.extension) } { (name(m.extension)) } }
                            td.caller { (m.caller) }
                            td { (layout::when(&m.created_at)) }
                            td.length { (length(m.duration_ms)) }
                            td.heard { @if m.heard { "yes" } @else { strong { "new" } } }
                            td.player {
                                @let src = format!("/console/voicemail/{}/audio", m.id);
                                audio id={ "vm-" (m.id) } controls preload="metadata" src=(src) {
                                    a href=(src) { "Download" }
                                }
                            }
                            td.actions {
                                form.inline method="post" action={ "/console/voicemail/" (m.id) "/heard" } {
                                    (csrf(&ctx))
                                    input type="hidden" name="extension" value=(filter);
                                    @if m.heard {
                                        input type="hidden" name="heard" value="0";
                                        button.secondary.mark type="submit" { "Mark new" }
                                    } @else {
                                        input type="hidden" name="heard" value="1";
                                        button.secondary.mark type="submit" { "Mark heard" }
                                    }
                                }
                                form.inline method="post" action={ "/console/voicemail/" (m.id) "/delete" } data-confirm="Delete this message?" {
                                    (csrf(&ctx))
                                    input type="hidden" name="extension" value=(filter);
                                    button.danger type="submit" { "Delete" }
                                }
                            }
                        }
                    }
                    @if messages.is_empty() { tr { td colspan="7" .muted { "No messages." } } }
                }
            }
        }
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((status, layout::page(&ctx, "Voicemail", Nav::Voicemail, body)).into_response())
}

/// The message's WAV (range requests pass through), for the signed-in
/// tenant only.
pub(crate) async fn audio(
    State(console): State<Console>,
    session: Session,
    Path(id): Path<String>,
    request: Request<Body>,
) -> Result<Response, ConsoleError> {
    Ok(api::audio(State(console.app.clone()), session.caller(), Path(id), request).await?)
}

/// Marks a message heard (`heard=1`) or new again (`heard=0`).
pub(crate) async fn mark(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let heard = flag(&form, "heard") == 1;
    let json = body(json!({ "heard": heard }))?;
    let _saved = api::patch(State(console.app.clone()), ctx.caller(), Path(id), json).await?;
    Ok(Redirect::to(&back(&form, if heard { "heard" } else { "unheard" })).into_response())
}

/// Deletes a message and its file.
pub(crate) async fn delete(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    api::delete(State(console.app.clone()), ctx.caller(), Path(id)).await?;
    Ok(Redirect::to(&back(&form, "deleted")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_read_as_minutes_and_seconds() {
        assert_eq!(length(0), "0:00");
        assert_eq!(length(5400), "0:05");
        assert_eq!(length(65_000), "1:05");
    }

    #[test]
    fn the_way_back_keeps_only_an_id_filter() {
        let form = |v: &str| HashMap::from([("extension".to_string(), v.to_string())]);
        assert_eq!(back(&form("4"), "heard"), "/console/voicemail?extension=4&done=heard");
        assert_eq!(back(&form("4&x=<b>"), "heard"), "/console/voicemail?done=heard");
        assert_eq!(back(&HashMap::new(), "deleted"), "/console/voicemail?done=deleted");
    }
}
