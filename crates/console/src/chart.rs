//! Charts drawn on the server as inline SVG: no script, no library.

use maud::{Markup, html};

const BAR_AREA: f64 = 120.0;

/// Vertical bars, one per `(label, count)`, e.g. calls per hour.
pub(crate) fn bars(id: &str, title: &str, data: &[(String, u64)]) -> Markup {
    let max = data.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let width = 20.0 * data.len().max(1) as f64;
    let height = BAR_AREA + 30.0;
    html! {
        figure.chart {
            figcaption { (title) }
            svg #(id) viewBox={ "0 0 " (width) " " (height) } role="img" aria-label=(title) preserveAspectRatio="none" {
                @for (i, (label, n)) in data.iter().enumerate() {
                    @let h = *n as f64 / max * BAR_AREA;
                    @let x = i as f64 * 20.0 + 3.0;
                    rect.bar x=(x) y=(BAR_AREA - h + 12.0) width="14" height=(h) data-count=(n) {
                        title { (label) ": " (n) }
                    }
                    @if *n > 0 {
                        text.count x=(x + 7.0) y=(BAR_AREA - h + 9.0) text-anchor="middle" { (n) }
                    }
                    @if i % 3 == 0 {
                        text.axis x=(x + 7.0) y=(height - 4.0) text-anchor="middle" { (label) }
                    }
                }
                line.axis x1="0" y1=(BAR_AREA + 12.0) x2=(width) y2=(BAR_AREA + 12.0) {}
            }
        }
    }
}

/// Horizontal bars with their labels, e.g. hangup causes.
pub(crate) fn ranking(id: &str, title: &str, data: &[(String, u64)]) -> Markup {
    let max = data.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let row = 22.0;
    let height = (row * data.len() as f64).max(row);
    html! {
        figure.chart {
            figcaption { (title) }
            @if data.is_empty() {
                p.muted { "No calls." }
            } @else {
                svg #(id) viewBox={ "0 0 400 " (height) } role="img" aria-label=(title) {
                    @for (i, (label, n)) in data.iter().enumerate() {
                        @let y = i as f64 * row;
                        @let w = *n as f64 / max * 190.0;
                        text.axis x="0" y=(y + 15.0) { (label) }
                        rect.bar x="180" y=(y + 4.0) width=(w.max(1.0)) height="14" data-count=(n) { title { (label) ": " (n) } }
                        text.count x=(185.0 + w) y=(y + 15.0) { (n) }
                    }
                }
            }
        }
    }
}
