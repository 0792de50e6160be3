//! Destination fields: a destination is text the API checks
//! (`extension:<id>`, `hunt:<id>`, `voicemail:<id>`, `ivr:<id>`,
//! `condition:<id>`, `number:<digits>`, `hangup`, or blank for none), so
//! the forms take it as text and offer the tenant's objects as a
//! `<datalist>` to pick from.

use axum::extract::State;
use maud::{Markup, html};
use voxide_api::extensions::ExtensionView;

use crate::Console;
use crate::error::ConsoleError;
use crate::layout::{Errors, field_errors};
use crate::session::Ctx;

/// The id of the `<datalist>` [`choices`] renders.
const LIST_ID: &str = "destinations";

/// The tenant's extensions, as the API lists them.
pub(crate) async fn extensions_of(console: &Console, ctx: &Ctx) -> Result<Vec<ExtensionView>, ConsoleError> {
    Ok(voxide_api::extensions::list(State(console.app.clone()), ctx.caller()).await?.0)
}

/// The tenant's objects a call may be sent to, as `(value, label)`.
async fn known(console: &Console, ctx: &Ctx) -> Result<Vec<(String, String)>, ConsoleError> {
    let app = || State(console.app.clone());
    let exts = extensions_of(console, ctx).await?;
    let groups = voxide_api::hunt_groups::list(app(), ctx.caller()).await?.0;
    let menus = voxide_api::ivrs::list(app(), ctx.caller()).await?.0;
    let conditions = voxide_api::conditions::list(app(), ctx.caller()).await?.0;
    let mut all = Vec::new();
    all.extend(exts.iter().map(|e| (format!("extension:{}", e.id), format!("extension {}", e.sip_username))));
    all.extend(exts.iter().map(|e| (format!("voicemail:{}", e.id), format!("voicemail of {}", e.sip_username))));
    all.extend(groups.iter().map(|g| (format!("hunt:{}", g.id), format!("hunt group {} ({})", g.name, g.number))));
    all.extend(menus.iter().map(|m| (format!("ivr:{}", m.id), format!("IVR menu {}", m.name))));
    all.extend(conditions.iter().map(|c| (format!("condition:{}", c.id), format!("condition {}", c.name))));
    all.push(("hangup".into(), "hang up".into()));
    Ok(all)
}

/// The `<datalist>` destination inputs point at.
pub(crate) async fn choices(console: &Console, ctx: &Ctx) -> Result<Markup, ConsoleError> {
    let all = known(console, ctx).await?;
    Ok(html! {
        datalist id=(LIST_ID) {
            @for (value, label) in &all { option value=(value) { (label) } }
        }
    })
}

/// A labelled destination input with its messages.
pub(crate) fn input(label: &str, name: &str, value: &str, errors: &Errors) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field class=[errors.contains_key(name).then_some("invalid")] {
            label for=(id) { (label) }
            input id=(id) name=(name) type="text" list=(LIST_ID) value=(value)
                placeholder="e.g. voicemail:1, hunt:2, number:+15145550100" autocomplete="off";
            (field_errors(errors, name))
        }
    }
}
