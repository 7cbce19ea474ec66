//! The bar chart of the ratios (`report.svg`), written as plain SVG text.
//!
//! One group per figure, one bar per opponent (tokio, smol). A bar runs from the 1.0 line to
//! corio ÷ opponent on a log2 axis (so 0.5 and 2 are equally far from 1.0); the whisker is the
//! ratio's range. The colour is the verdict, whatever the figure's direction: green when corio
//! is better, red when it is worse, grey for a tie (ranges overlapping 1.0). Each group says
//! whether lower (times) or higher (throughputs) is better.

use std::fmt::Write as _;

use crate::harness::{Outcome, RUNTIMES};
use crate::stats::{Better, Ratio, Verdict};

const WIDTH: f64 = 1000.0;
const LABEL_X: f64 = 16.0;
const OPPONENT_X: f64 = 392.0;
const PLOT_LEFT: f64 = 400.0;
const PLOT_RIGHT: f64 = 900.0;
const TOP: f64 = 112.0;
const ROW_HEIGHT: f64 = 56.0;
const BAR_HEIGHT: f64 = 15.0;

const BETTER: &str = "#2e7d32";
const WORSE: &str = "#c62828";
const TIE: &str = "#9e9e9e";

fn colour(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::CorioBetter => BETTER,
        Verdict::Tie => TIE,
        Verdict::CorioWorse => WORSE,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The log2 axis: `span` powers of two each side of 1.0.
struct Axis {
    span: i32,
}

impl Axis {
    fn x(&self, ratio: f64) -> f64 {
        let span = f64::from(self.span);
        let log = if ratio.is_finite() && ratio > 0.0 {
            ratio.log2().clamp(-span, span)
        } else {
            span
        };
        PLOT_LEFT + (log + span) / (2.0 * span) * (PLOT_RIGHT - PLOT_LEFT)
    }
}

fn tick_label(power: i32) -> String {
    let value = 2f64.powi(power);
    if value >= 1.0 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').to_string()
    }
}

/// The chart of `outcomes`, titled `title`, with `subtitle` (date, mode, workers) below.
pub fn chart(outcomes: &[Outcome], title: &str, subtitle: &str) -> String {
    let rows: Vec<_> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Measured(rows) => Some(rows.iter()),
            Outcome::Skipped { .. } => None,
        })
        .flatten()
        .collect();
    let skipped: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Skipped { workload, note } => Some(format!("{workload}: {note}")),
            Outcome::Measured(_) => None,
        })
        .collect();

    // Ratios per row and opponent, and the axis span that shows every whisker (1/16..16 at
    // most; a ratio beyond is drawn at the edge, its number still printed).
    let ratios: Vec<[Ratio; 2]> = rows
        .iter()
        .map(|row| [1, 2].map(|other| Ratio::between(&row.spread(0), &row.spread(other))))
        .collect();
    let widest = ratios
        .iter()
        .flatten()
        .flat_map(|ratio| [ratio.low, ratio.high])
        .filter(|value| value.is_finite() && *value > 0.0)
        .map(|value| value.log2().abs())
        .fold(0.0, f64::max);
    let axis = Axis {
        span: (widest.ceil() as i32).clamp(1, 4),
    };

    let plot_bottom = TOP + ROW_HEIGHT * rows.len() as f64;
    let height = plot_bottom + 70.0 + 18.0 * skipped.len() as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{LABEL_X}" y="28" font-size="19" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let _ = writeln!(
        svg,
        r##"<text x="{LABEL_X}" y="50" fill="#444">{}</text>"##,
        escape(subtitle)
    );
    // Legend.
    let legend = [
        (BETTER, "corio better"),
        (WORSE, "corio worse"),
        (TIE, "tie (min–max ranges overlap)"),
    ];
    let mut x = LABEL_X;
    for (fill, label) in legend {
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="64" width="14" height="14" fill="{fill}"/><text x="{}" y="76">{label}</text>"#,
            x + 20.0
        );
        x += 40.0 + 7.5 * label.len() as f64;
    }
    let _ = writeln!(
        svg,
        r##"<text x="{x}" y="76" fill="#444">bar: corio ÷ other, ratio of medians; whisker: its range</text>"##
    );

    // Grid and ticks.
    for power in -axis.span..=axis.span {
        let x = axis.x(2f64.powi(power));
        let (stroke, width) = if power == 0 { ("#222", 2.0) } else { ("#ddd", 1.0) };
        let _ = writeln!(
            svg,
            r#"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{plot_bottom}" stroke="{stroke}" stroke-width="{width}"/>"#,
            TOP - 8.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#,
            plot_bottom + 18.0,
            tick_label(power)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" font-weight="bold">1.0 = same</text>"#,
        axis.x(1.0),
        TOP - 12.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">corio ÷ other (log scale)</text>"#,
        (PLOT_LEFT + PLOT_RIGHT) / 2.0,
        plot_bottom + 40.0
    );

    // Rows.
    for (index, (row, ratios)) in rows.iter().zip(&ratios).enumerate() {
        let top = TOP + ROW_HEIGHT * index as f64;
        if index % 2 == 0 {
            let _ = writeln!(
                svg,
                r##"<rect x="0" y="{top}" width="{WIDTH}" height="{ROW_HEIGHT}" fill="#f4f6f8" fill-opacity="0.8"/>"##
            );
        }
        let direction = match row.figure.better {
            Better::Lower => "lower is better",
            Better::Higher => "higher is better",
        };
        let _ = writeln!(
            svg,
            r#"<text x="{LABEL_X}" y="{}" font-weight="bold">{}</text>"#,
            top + 23.0,
            escape(row.figure.row)
        );
        let _ = writeln!(
            svg,
            r##"<text x="{LABEL_X}" y="{}" fill="#555" font-size="12">{} · {direction}</text>"##,
            top + 41.0,
            escape(row.figure.what)
        );
        for (slot, ratio) in ratios.iter().enumerate() {
            let y = top + 9.0 + slot as f64 * (BAR_HEIGHT + 5.0);
            let middle = y + BAR_HEIGHT / 2.0;
            let (one, end) = (axis.x(1.0), axis.x(ratio.value));
            let verdict = ratio.verdict(row.figure.better);
            let _ = writeln!(
                svg,
                r##"<text x="{OPPONENT_X}" y="{:.1}" text-anchor="end" fill="#333" font-size="12">vs {}</text>"##,
                middle + 4.0,
                RUNTIMES[slot + 1]
            );
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{BAR_HEIGHT}" fill="{}" fill-opacity="0.85"/>"#,
                one.min(end),
                (end - one).abs().max(1.0),
                colour(verdict)
            );
            let (low, high) = (axis.x(ratio.low), axis.x(ratio.high));
            let _ = writeln!(
                svg,
                r#"<path d="M{low:.1},{middle:.1}H{high:.1}M{low:.1},{:.1}V{:.1}M{high:.1},{:.1}V{:.1}" stroke="black" stroke-width="1.3" fill="none"/>"#,
                middle - 4.0,
                middle + 4.0,
                middle - 4.0,
                middle + 4.0
            );
            let label_x = high.max(end).max(one) + 6.0;
            let _ = writeln!(
                svg,
                r#"<text x="{label_x:.1}" y="{:.1}" font-size="12">{:.2}</text>"#,
                middle + 4.0,
                ratio.value
            );
        }
    }
    for (index, note) in skipped.iter().enumerate() {
        let _ = writeln!(
            svg,
            r##"<text x="{LABEL_X}" y="{:.1}" fill="#666">{}</text>"##,
            plot_bottom + 62.0 + 18.0 * index as f64,
            escape(note)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticks_read_as_ratios() {
        assert_eq!(super::tick_label(-2), "0.25");
        assert_eq!(super::tick_label(-1), "0.5");
        assert_eq!(super::tick_label(0), "1");
        assert_eq!(super::tick_label(3), "8");
    }
}
