//! The dashboard: live figures (refreshed as events arrive) and the last
//! 24 hours of calls as charts.

use axum::extract::State;
use chrono::{Duration, Utc};
use maud::{Markup, html};

use crate::Console;
use crate::cdrs::{day_summary, since};
use crate::chart;
use crate::error::ConsoleError;
use crate::layout::{self, Nav};
use crate::live::Live;
use crate::session::Ctx;

pub(crate) async fn page(State(console): State<Console>, ctx: Ctx) -> Result<Markup, ConsoleError> {
    let tenant = ctx.session.tenant_id();
    let live = Live::of(&console, tenant).await?;
    let now = Utc::now();
    let rows = since(&console, tenant, now - Duration::hours(24)).await?;
    let (per_hour, causes) = day_summary(&rows, now);
    let answered = rows.iter().filter(|c| c.answered_at.is_some()).count();
    let body = html! {
        section #live data-src="/console/live" data-events="/console/events" aria-live="polite" {
            (live.render())
        }
        p.muted #live-status { "Live updates: connecting…" }
        h2 { "Last 24 hours" }
        p { (rows.len()) " calls, " (answered) " answered." }
        div.charts {
            (chart::bars("calls-per-hour", "Calls per hour", &per_hour))
            (chart::ranking("hangup-causes", "Hangup causes", &causes))
        }
    };
    Ok(layout::page(&ctx, "Dashboard", Nav::Dashboard, body))
}
