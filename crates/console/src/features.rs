//! An extension's call features, on the extension's page: caller id, call
//! waiting, do-not-disturb, the four forwards, ring time, follow-me with
//! its ordered steps, and the voicemail box — read and changed through the
//! API's `/api/extensions/{id}/features/` handlers, so every bad field is
//! named as the API names it (down to `followme[1].number`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};
use voxide_api::extension_features::{self as api, FeaturesView};

use crate::Console;
use crate::calls_api::{flag, submit, text};
use crate::destinations;
use crate::error::ConsoleError;
use crate::layout::{Errors, checkbox, csrf, field_errors, form_errors as other_errors, input, notice};
use crate::session::{Ctx, Posted};

/// Blank follow-me rows offered under the extension's own.
const SPARE_STEPS: usize = 2;
/// Rows read back from a form, at most.
const MAX_ROWS: usize = 32;
const FIELDS: [&str; 17] = [
    "cid_number",
    "cid_name",
    "call_waiting",
    "dnd",
    "forward_always",
    "forward_busy",
    "forward_no_answer",
    "forward_unregistered",
    "ring_secs",
    "followme_enabled",
    "followme_cid_number",
    "followme_cid_name",
    "followme",
    "voicemail_enabled",
    "voicemail_pin",
    "voicemail_email",
    "voicemail_greeting",
];

/// One follow-me row as shown; `sent` is its index in the body sent to the
/// API (blank and removed rows are not sent), to find its messages.
#[derive(Debug, Clone, Default)]
struct Step {
    number: String,
    ring_secs: String,
    sent: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct Values {
    cid_number: String,
    cid_name: String,
    call_waiting: bool,
    dnd: bool,
    forward_always: String,
    forward_busy: String,
    forward_no_answer: String,
    forward_unregistered: String,
    ring_secs: String,
    followme_enabled: bool,
    followme_cid_number: String,
    followme_cid_name: String,
    steps: Vec<Step>,
    voicemail_enabled: bool,
    voicemail_pin: String,
    voicemail_email: String,
    voicemail_greeting: String,
}

impl Values {
    fn of(f: &FeaturesView) -> Values {
        let mut steps: Vec<Step> = f
            .followme
            .iter()
            .enumerate()
            .map(|(i, s)| Step { number: s.number.clone(), ring_secs: s.ring_secs.to_string(), sent: Some(i) })
            .collect();
        steps.extend((0..SPARE_STEPS).map(|_| Step::default()));
        Values {
            cid_number: f.cid_number.clone(),
            cid_name: f.cid_name.clone(),
            call_waiting: f.call_waiting,
            dnd: f.dnd,
            forward_always: f.forward_always.clone(),
            forward_busy: f.forward_busy.clone(),
            forward_no_answer: f.forward_no_answer.clone(),
            forward_unregistered: f.forward_unregistered.clone(),
            ring_secs: f.ring_secs.to_string(),
            followme_enabled: f.followme_enabled,
            followme_cid_number: f.followme_cid_number.clone(),
            followme_cid_name: f.followme_cid_name.clone(),
            steps,
            voicemail_enabled: f.voicemail_enabled,
            voicemail_pin: f.voicemail_pin.clone(),
            voicemail_email: f.voicemail_email.clone(),
            voicemail_greeting: f.voicemail_greeting.clone(),
        }
    }

    fn from_form(form: &HashMap<String, String>) -> Values {
        let mut steps = Vec::new();
        let mut sent = 0;
        for i in 0..MAX_ROWS {
            let Some(number) = form.get(&format!("step_number_{i}")) else { break };
            let number = number.trim().to_string();
            let removed = flag(form, &format!("step_remove_{i}")) == 1;
            let at = (!number.is_empty() && !removed).then(|| {
                sent += 1;
                sent - 1
            });
            // A removed row is gone from the page as well.
            if !removed {
                steps.push(Step { number, ring_secs: text(form, &format!("step_secs_{i}")).into(), sent: at });
            }
        }
        let t = |name: &str| text(form, name).to_string();
        Values {
            cid_number: t("cid_number"),
            cid_name: t("cid_name"),
            call_waiting: flag(form, "call_waiting") == 1,
            dnd: flag(form, "dnd") == 1,
            forward_always: t("forward_always"),
            forward_busy: t("forward_busy"),
            forward_no_answer: t("forward_no_answer"),
            forward_unregistered: t("forward_unregistered"),
            ring_secs: t("ring_secs"),
            followme_enabled: flag(form, "followme_enabled") == 1,
            followme_cid_number: t("followme_cid_number"),
            followme_cid_name: t("followme_cid_name"),
            steps,
            voicemail_enabled: flag(form, "voicemail_enabled") == 1,
            // A PIN is digits, typed as they are: not trimmed.
            voicemail_pin: form.get("voicemail_pin").cloned().unwrap_or_default(),
            voicemail_email: t("voicemail_email"),
            voicemail_greeting: t("voicemail_greeting"),
        }
    }

    /// The PATCH body: every field, numbers as numbers when they are (the
    /// API names anything else); a step's blank ring time takes the API's
    /// default.
    fn api_body(&self) -> Value {
        let num = |s: &str| s.parse::<i64>().map_or_else(|_| json!(s), |n| json!(n));
        let steps: Vec<Value> = self
            .steps
            .iter()
            .filter(|s| s.sent.is_some())
            .map(|s| {
                if s.ring_secs.is_empty() {
                    json!({ "number": s.number })
                } else {
                    json!({ "number": s.number, "ring_secs": num(&s.ring_secs) })
                }
            })
            .collect();
        json!({
            "cid_number": self.cid_number,
            "cid_name": self.cid_name,
            "call_waiting": self.call_waiting,
            "dnd": self.dnd,
            "forward_always": self.forward_always,
            "forward_busy": self.forward_busy,
            "forward_no_answer": self.forward_no_answer,
            "forward_unregistered": self.forward_unregistered,
            "ring_secs": num(&self.ring_secs),
            "followme_enabled": self.followme_enabled,
            "followme_cid_number": self.followme_cid_number,
            "followme_cid_name": self.followme_cid_name,
            "followme": steps,
            "voicemail_enabled": self.voicemail_enabled,
            "voicemail_pin": self.voicemail_pin,
            "voicemail_email": self.voicemail_email,
            "voicemail_greeting": self.voicemail_greeting,
        })
    }
}

/// Unheard and heard messages of the box, for the link to them.
type Counts = (i64, i64);

fn form(ctx: &Ctx, id: i64, v: &Values, errors: &Errors, counts: Counts, dests: Markup) -> Markup {
    let step_fields: Vec<String> = errors.keys().filter(|k| k.starts_with("followme[")).cloned().collect();
    let mut known: Vec<&str> = FIELDS.to_vec();
    known.extend(step_fields.iter().map(String::as_str));
    html! {
        form.card method="post" action={ "/console/extensions/" (id) "/features" } #features-form {
            (csrf(ctx))
            (dests)
            (other_errors(errors, &known))
            fieldset {
                legend { "Caller id on calls out" }
                (input("Number", "cid_number", "tel", &v.cid_number, errors))
                (input("Name", "cid_name", "text", &v.cid_name, errors))
            }
            fieldset {
                legend { "Calls in" }
                (checkbox("Call waiting (ring while on a call)", "call_waiting", v.call_waiting, errors))
                (checkbox("Do not disturb", "dnd", v.dnd, errors))
                (input("Ring time (seconds)", "ring_secs", "number", &v.ring_secs, errors))
                (destinations::input("Forward every call to", "forward_always", &v.forward_always, errors))
                (destinations::input("When busy, forward to", "forward_busy", &v.forward_busy, errors))
                (destinations::input("When not answered, forward to", "forward_no_answer", &v.forward_no_answer, errors))
                (destinations::input("When no phone is registered, forward to", "forward_unregistered", &v.forward_unregistered, errors))
            }
            fieldset #followme {
                legend { "Follow-me" }
                (checkbox("Ring these numbers in turn when the desk phone does not answer", "followme_enabled", v.followme_enabled, errors))
                (input("Caller id number they see", "followme_cid_number", "tel", &v.followme_cid_number, errors))
                (input("Caller id name they see", "followme_cid_name", "text", &v.followme_cid_name, errors))
                (field_errors(errors, "followme"))
                div.table-wrap {
                    table.steps {
                        thead { tr { th { "#" } th { "Number or extension" } th { "Ring (s)" } th { "Remove" } } }
                        tbody {
                            @for (i, s) in v.steps.iter().enumerate() {
                                @let at = |f: &str| s.sent.map(|n| format!("followme[{n}].{f}")).unwrap_or_default();
                                tr {
                                    td { (i + 1) }
                                    td {
                                        input name={ "step_number_" (i) } value=(s.number) inputmode="tel" aria-label={ "Step " (i + 1) " number" };
                                        (field_errors(errors, &at("number")))
                                    }
                                    td {
                                        input name={ "step_secs_" (i) } value=(s.ring_secs) type="number" min="5" max="120" size="4"
                                            placeholder="20" aria-label={ "Step " (i + 1) " ring time" };
                                        (field_errors(errors, &at("ring_secs")))
                                    }
                                    td {
                                        @if s.sent.is_some() {
                                            input type="checkbox" name={ "step_remove_" (i) } value="1" aria-label={ "Remove step " (i + 1) };
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                p.muted { "Fill a blank row to add a step; save to get more rows." }
            }
            fieldset #voicemail-box {
                legend { "Voicemail box" }
                (checkbox("Take messages when the call is not answered", "voicemail_enabled", v.voicemail_enabled, errors))
                (input("PIN (4 to 10 digits, for *97)", "voicemail_pin", "text", &v.voicemail_pin, errors))
                (input("E-mail new messages to", "voicemail_email", "email", &v.voicemail_email, errors))
                (input("Greeting (.wav file in voicemail/greetings/)", "voicemail_greeting", "text", &v.voicemail_greeting, errors))
                p {
                    a #voicemail-link href={ "/console/voicemail?extension=" (id) } {
                        (counts.0) " new, " (counts.1) " heard"
                    }
                }
            }
            button type="submit" { "Save call features" }
        }
    }
}

/// The extension's call features form as stored, under a heading, with the
/// notice of a save just made (`done`).
pub(crate) async fn section(
    console: &Console,
    ctx: &Ctx,
    id: &str,
    done: Option<&str>,
) -> Result<Markup, ConsoleError> {
    let axum::Json(f) = api::get(State(console.app.clone()), ctx.caller(), Path(id.to_string())).await?;
    let dests = destinations::choices(console, ctx).await?;
    let counts = (f.voicemail_new, f.voicemail_old);
    Ok(html! {
        h2 #features { "Call features" }
        (notice(done))
        (form(ctx, f.extension, &Values::of(&f), &Errors::new(), counts, dests))
    })
}

pub(crate) async fn update(
    State(console): State<Console>,
    Path(id): Path<String>,
    Posted { ctx, form: fields }: Posted<HashMap<String, String>>,
) -> Result<Response, ConsoleError> {
    // Another tenant's extension is not found before anything is read.
    let axum::Json(current) = api::get(State(console.app.clone()), ctx.caller(), Path(id.clone())).await?;
    let values = Values::from_form(&fields);
    let send = async |b| api::patch(State(console.app.clone()), ctx.caller(), Path(id.clone()), b).await;
    let again = async |errors| {
        let dests = destinations::choices(&console, &ctx).await?;
        let counts = (current.voicemail_new, current.voicemail_old);
        let section = html! {
            h2 #features { "Call features" }
            (form(&ctx, current.extension, &values, &errors, counts, dests))
        };
        crate::extensions::page_with(&console, &ctx, &id, section).await
    };
    let done = format!("/console/extensions/{}?done=saved#features", current.extension);
    submit(values.api_body(), send, &done, again).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn steps_keep_their_order_and_blank_or_removed_rows_are_not_sent() {
        let v = Values::from_form(&form(&[
            ("ring_secs", "25"),
            ("followme_enabled", "1"),
            ("step_number_0", "+15145550100"),
            ("step_secs_0", "30"),
            ("step_number_1", "1003"),
            ("step_secs_1", "15"),
            ("step_remove_1", "1"),
            ("step_number_2", ""),
            ("step_secs_2", ""),
            ("step_number_3", "1004"),
            ("step_secs_3", ""),
            ("voicemail_enabled", "1"),
            ("voicemail_pin", "0042"),
        ]));
        let b = v.api_body();
        assert_eq!(b["followme"], json!([{"number": "+15145550100", "ring_secs": 30}, {"number": "1004"}]));
        assert_eq!(v.steps.iter().map(|s| s.sent).collect::<Vec<_>>(), [Some(0), None, Some(1)], "removed row gone");
        assert_eq!((&b["ring_secs"], &b["voicemail_pin"]), (&json!(25), &json!("0042")));
        assert_eq!(
            (&b["followme_enabled"], &b["dnd"], &b["call_waiting"]),
            (&json!(true), &json!(false), &json!(false))
        );
    }

    #[test]
    fn what_is_not_a_number_is_left_for_the_api_to_name() {
        let v = Values::from_form(&form(&[("ring_secs", "long"), ("step_number_0", "1002"), ("step_secs_0", "x")]));
        let b = v.api_body();
        assert_eq!((&b["ring_secs"], &b["followme"][0]["ring_secs"]), (&json!("long"), &json!("x")));
    }
}
