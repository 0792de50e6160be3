//! The page shell (header, navigation, tenant switcher) and the pieces
//! forms and tables are made of.

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, html};

use crate::session::Ctx;

/// Field name → messages, as the API reports them.
pub(crate) type Errors = BTreeMap<String, Vec<String>>;

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Dashboard,
    Extensions,
    Dids,
    Cdrs,
    Crawls,
    Ivrs,
    HuntGroups,
    Voicemail,
    Conditions,
}

const NAV: [(Nav, &str, &str); 9] = [
    (Nav::Dashboard, "/console/", "Dashboard"),
    (Nav::Extensions, "/console/extensions", "Extensions"),
    (Nav::HuntGroups, "/console/hunt_groups", "Hunt groups"),
    (Nav::Voicemail, "/console/voicemail", "Voicemail"),
    (Nav::Conditions, "/console/conditions", "Conditions"),
    (Nav::Dids, "/console/dids", "DIDs"),
    (Nav::Cdrs, "/console/cdrs", "Calls"),
    (Nav::Crawls, "/console/crawls", "Crawls"),
    (Nav::Ivrs, "/console/ivrs", "IVRs"),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Voxide" }
            link rel="stylesheet" href=(crate::assets::CSS_PATH);
            script src=(crate::assets::JS_PATH) defer {}
        }
    }
}

/// A page without the signed-in header (sign-in, errors).
pub(crate) fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                header.top { a.brand href="/console/" { "Voxide" } }
                main { (body) }
            }
        }
    }
}

/// A signed-in page.
pub(crate) fn page(ctx: &Ctx, title: &str, current: Nav, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top {
                    a.brand href="/console/" { "Voxide" }
                    nav {
                        @for (nav, href, label) in NAV {
                            a href=(href) class=[(nav == current).then_some("current")] { (label) }
                        }
                    }
                    div.who {
                        @if ctx.tenants.is_empty() {
                            span.tenant title="Tenant" { (ctx.tenant.domain) }
                        } @else {
                            form.inline method="post" action="/console/tenant" {
                                (csrf(ctx))
                                label.sr for="tenant-switch" { "Tenant" }
                                select #tenant-switch name="tenant_id" {
                                    @for t in &ctx.tenants {
                                        option value=(t.id) selected[t.id == ctx.tenant.id] { (t.domain) }
                                    }
                                }
                                button type="submit" { "Switch" }
                            }
                        }
                        span.user { (ctx.username) }
                        form.inline method="post" action="/console/logout" {
                            (csrf(ctx))
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub(crate) fn csrf(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf()); }
}

/// The messages for `name`, if any.
pub(crate) fn field_errors(errors: &Errors, name: &str) -> Markup {
    html! {
        @if let Some(list) = errors.get(name) {
            @for msg in list { p.field-error data-field=(name) { (msg) } }
        }
    }
}

/// Errors that belong to no field of the form.
pub(crate) fn form_errors(errors: &Errors, fields: &[&str]) -> Markup {
    html! {
        @for (name, list) in errors {
            @if !fields.contains(&name.as_str()) {
                @for msg in list {
                    p.error data-field=(name) {
                        @if name != "non_field_errors" && name != "detail" { (name) ": " }
                        (msg)
                    }
                }
            }
        }
    }
}

/// A labelled input with its messages.
pub(crate) fn input(label: &str, name: &str, kind: &str, value: &str, errors: &Errors) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field class=[errors.contains_key(name).then_some("invalid")] {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value);
            (field_errors(errors, name))
        }
    }
}

/// A labelled checkbox sending `1` when ticked.
pub(crate) fn checkbox(label: &str, name: &str, checked: bool, errors: &Errors) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field.check {
            input id=(id) name=(name) type="checkbox" value="1" checked[checked];
            label for=(id) { (label) }
            (field_errors(errors, name))
        }
    }
}

/// A one-line notice after a change (`?done=…`), from a fixed list so a
/// link cannot make the console say anything else.
pub(crate) fn notice(done: Option<&str>) -> Markup {
    let text = match done {
        Some("created") => "Created.",
        Some("saved") => "Saved.",
        Some("deleted") => "Deleted.",
        Some("bought") => "Number bought.",
        Some("released") => "Number released.",
        Some("started") => "Crawl started.",
        Some("calling") => "Calling.",
        Some("heard") => "Marked heard.",
        Some("unheard") => "Marked new.",
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

/// The top of a list page: the notice of what was just done (`?done=…`)
/// and a button to the page that makes a new one.
pub(crate) fn list_top(done: Option<&str>, new_href: &str, new_label: &str) -> Markup {
    html! {
        (notice(done))
        div.toolbar { a.button href=(new_href) { (new_label) } }
    }
}

/// An edit page's delete button: posts to `action` once the browser has
/// asked `confirm`.
pub(crate) fn delete_form(ctx: &Ctx, action: &str, confirm: &str, label: &str) -> Markup {
    html! {
        form.danger method="post" action=(action) data-confirm=(confirm) {
            (csrf(ctx))
            button.danger type="submit" { (label) }
        }
    }
}

/// The console URL of an `/api/media/…` file, for audio players.
pub(crate) fn media_src(api_path: &str) -> Option<String> {
    api_path.strip_prefix("/api/media/").map(|rest| format!("/console/media/{rest}"))
}

/// An audio player for an `/api/media/…` file.
pub(crate) fn audio(id: &str, api_path: Option<&str>) -> Markup {
    html! {
        @match api_path.and_then(media_src) {
            Some(src) => audio id=(id) controls preload="metadata" src=(src) {
                a href=(src) { "Download" }
            },
            None => span.muted { "no audio" },
        }
    }
}

/// A timestamp as shown in tables: `2025-01-31 12:00:05` (UTC).
pub(crate) fn when(stamp: &str) -> String {
    let s = stamp.replace('T', " ");
    s.split('.').next().unwrap_or(&s).trim_end_matches('Z').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_paths_map_to_the_console() {
        assert_eq!(media_src("/api/media/domain_1/a.wav").as_deref(), Some("/console/media/domain_1/a.wav"));
        assert_eq!(media_src("https://elsewhere.example/a.wav"), None);
    }

    #[test]
    fn stamps_are_shortened() {
        assert_eq!(when("2025-01-31T12:00:05.123456Z"), "2025-01-31 12:00:05");
        assert_eq!(when("2025-01-31T12:00:05Z"), "2025-01-31 12:00:05");
    }

    #[test]
    fn notices_come_from_a_fixed_list() {
        assert!(notice(Some("created")).into_string().contains("Created."));
        assert_eq!(notice(Some("<script>")).into_string(), "");
    }
}
