//! What is happening now: registrations, calls in progress and RTP loss,
//! as an HTML fragment the dashboard swaps in, and a server-sent event
//! stream fed by the switch's event bus (the one behind `/api/events`)
//! that tells the page when to.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use maud::{Markup, html};
use voxide_switch::LiveCall;

use crate::Console;
use crate::error::ConsoleError;
use crate::layout;
use crate::session::Session;

/// The live figures of one tenant.
pub(crate) struct Live {
    /// Extensions with at least one registered device.
    pub online: usize,
    /// Registered devices (bindings).
    pub devices: usize,
    pub calls: Vec<LiveCall>,
    /// Switch-wide RTP packets lost and relayed since start.
    pub rtp_lost: u64,
    pub rtp_relayed: u64,
}

impl Live {
    pub async fn of(console: &Console, tenant: i64) -> Result<Live, ConsoleError> {
        let app = &console.app;
        let bindings = app.store.live_bindings(Some(tenant), app.store.unix_now()).await?;
        let mut extensions: Vec<i64> = bindings.iter().map(|b| b.extension_id).collect();
        extensions.sort_unstable();
        extensions.dedup();
        let mut calls: Vec<LiveCall> = app.switch.calls().await.into_iter().filter(|c| c.tenant_id == tenant).collect();
        calls.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        // The figures `/metrics` shows (it gathers them from the media engine).
        let metrics = app.switch.metrics_text();
        Ok(Live {
            online: extensions.len(),
            devices: bindings.len(),
            calls,
            rtp_lost: metric(&metrics, "voxide_rtp_packets_lost_total"),
            rtp_relayed: metric(&metrics, "voxide_rtp_packets_relayed_total"),
        })
    }

    /// Lost packets as a share of all expected, in percent.
    pub fn loss_percent(&self) -> f64 {
        let total = self.rtp_lost + self.rtp_relayed;
        if total == 0 { 0.0 } else { self.rtp_lost as f64 * 100.0 / total as f64 }
    }

    pub fn render(&self) -> Markup {
        html! {
            div.cards {
                div.card.stat #stat-online { span.value { (self.online) } span.label { "extensions online (" (self.devices) " devices)" } }
                div.card.stat #stat-calls { span.value { (self.calls.len()) } span.label { "active calls" } }
                div.card.stat #stat-loss {
                    span.value data-lost=(self.rtp_lost) data-total=(self.rtp_lost + self.rtp_relayed) { (format!("{:.2} %", self.loss_percent())) }
                    span.label { "RTP loss, switch-wide (" (self.rtp_lost) " of " (self.rtp_lost + self.rtp_relayed) " packets)" }
                }
            }
            h2 { "Calls in progress" }
            div.table-wrap {
                table #active-calls {
                    thead { tr { th { "From" } th { "To" } th { "Direction" } th { "Status" } th { "Started" } } }
                    tbody {
                        @for c in &self.calls {
                            tr data-call-uuid=(c.call_uuid) {
                                td { (c.call_from) } td { (c.call_to) } td { (c.call_direction) }
                                td { span class={ "status " (c.status) } { (c.status) } @if c.recording.is_some() { " · recording" } }
                                td { (layout::when(&c.started_at)) }
                            }
                        }
                        @if self.calls.is_empty() { tr.empty { td colspan="5" .muted { "No calls right now." } } }
                    }
                }
            }
        }
    }
}

/// A counter of the Prometheus text `metrics` (0 when absent).
fn metric(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// `GET /console/live`: the fragment alone.
pub(crate) async fn fragment(State(console): State<Console>, session: Session) -> Result<Markup, ConsoleError> {
    Ok(Live::of(&console, session.tenant_id()).await?.render())
}

/// `GET /console/events`: the tenant's events as they happen, one JSON
/// object per message (the same objects `/api/events` sends). Ends when
/// the switch stops.
pub(crate) async fn events(
    State(console): State<Console>,
    session: Session,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let subscription = console.app.switch.events().subscribe(Some(session.tenant_id()), None);
    let shutdown = console.options.shutdown.clone();
    let stream = futures_util::stream::unfold((subscription, shutdown), |(mut events, shutdown)| async move {
        let event = tokio::select! {
            event = events.recv() => event?,
            _ = shutdown.cancelled() => return None,
        };
        let data = serde_json::to_string(&*event).unwrap_or_else(|_| "{}".into());
        Some((Ok(SseEvent::default().data(data)), (events, shutdown)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_from_the_metrics_text() {
        let text = "# HELP voxide_rtp_packets_lost_total x\nvoxide_rtp_packets_lost_total 7\n\
                    voxide_rtp_packets_lost_total_other 9\nvoxide_rtp_packets_relayed_total 470\n";
        assert_eq!(metric(text, "voxide_rtp_packets_lost_total"), 7);
        assert_eq!(metric(text, "voxide_rtp_packets_relayed_total"), 470);
        assert_eq!(metric(text, "voxide_missing"), 0);
    }
}
