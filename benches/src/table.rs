//! The results as a markdown table (printed, and written into `report.md`).
//!
//! Each runtime cell is `median (min–max)`; each ratio cell is corio ÷ that runtime, of the
//! medians, with its range and verdict (see [`crate::stats`]); the limit cell shows the floor
//! measured without a runtime and how far corio is from it.

use std::fmt::Write as _;

use crate::harness::{Outcome, Row};
use crate::stats::{Better, Ratio, Spread, Verdict};
use crate::workloads::LimitKind;

/// A figure's value with its unit: milliseconds for times, a rate for throughputs.
pub fn value(value: f64, better: Better) -> String {
    match better {
        Better::Lower => format!("{} ms", millis(value)),
        Better::Higher => format!("{}/s", thousands(value)),
    }
}

fn bare(value: f64, better: Better) -> String {
    match better {
        Better::Lower => millis(value),
        Better::Higher => thousands(value),
    }
}

fn millis(value: f64) -> String {
    if value < 1.0 {
        format!("{value:.3}")
    } else if value < 10.0 {
        format!("{value:.2}")
    } else if value < 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// `median (min–max)` of a spread.
pub fn spread(spread: &Spread, better: Better) -> String {
    format!(
        "{} ({}–{})",
        value(spread.median, better),
        bare(spread.min, better),
        bare(spread.max, better)
    )
}

/// The verdict as a word.
pub fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::CorioBetter => "better",
        Verdict::Tie => "tie",
        Verdict::CorioWorse => "worse",
    }
}

fn ratio(row: &Row, other: usize) -> String {
    let ratio = Ratio::between(&row.spread(0), &row.spread(other));
    format!(
        "{:.2} ({:.2}–{:.2}) {}",
        ratio.value,
        ratio.low,
        ratio.high,
        verdict_word(ratio.verdict(row.figure.better))
    )
}

fn limit(row: &Row, workers: usize) -> String {
    let Some((limit, samples)) = &row.limit else {
        return String::new();
    };
    let floor = Spread::of(samples);
    let better = row.figure.better;
    let corio = row.spread(0).median;
    match limit.kind {
        LimitKind::Absolute => format!(
            "floor {} (corio {:.1}× it)",
            spread(&floor, better),
            corio / floor.median
        ),
        LimitKind::PerThread => {
            let ideal = match better {
                Better::Lower => floor.median / workers as f64,
                Better::Higher => floor.median * workers as f64,
            };
            format!(
                "1 thread {}; ideal for {workers} workers {} (corio {:.2}× ideal)",
                spread(&floor, better),
                value(ideal, better),
                corio / ideal
            )
        }
    }
}

/// The markdown table of `outcomes`, with notes on limits and skipped workloads below it.
pub fn markdown(outcomes: &[Outcome], workers: usize) -> String {
    let mut text = String::from(
        "| workload | figure | corio | tokio | smol | corio/tokio | corio/smol | limit (no runtime) |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let mut limits = Vec::new();
    let mut skipped = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Measured(rows) => {
                for row in rows {
                    let arrow = match row.figure.better {
                        Better::Lower => "↓",
                        Better::Higher => "↑",
                    };
                    let _ = writeln!(
                        text,
                        "| {} | {} {arrow} | {} | {} | {} | {} | {} | {} |",
                        row.figure.row,
                        row.figure.what,
                        spread(&row.spread(0), row.figure.better),
                        spread(&row.spread(1), row.figure.better),
                        spread(&row.spread(2), row.figure.better),
                        ratio(row, 1),
                        ratio(row, 2),
                        limit(row, workers),
                    );
                    if let Some((limit, _)) = &row.limit {
                        limits.push(format!("- {}: {}", row.figure.row, limit.name));
                    }
                }
            }
            Outcome::Skipped { workload, note } => {
                let _ = writeln!(text, "| {workload} | | {note} | | | | | |");
                skipped.push(format!("- {workload}: {note}"));
            }
        }
    }
    if !limits.is_empty() {
        text.push_str("\nLimit rows (measured without any runtime, interleaved with the samples):\n");
        text.push_str(&limits.join("\n"));
        text.push('\n');
    }
    if !skipped.is_empty() {
        text.push_str("\nSkipped:\n");
        text.push_str(&skipped.join("\n"));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_well() {
        assert_eq!(value(0.1234, Better::Lower), "0.123 ms");
        assert_eq!(value(12.345, Better::Lower), "12.3 ms");
        assert_eq!(value(1234.4, Better::Lower), "1234 ms");
        assert_eq!(value(1_234_567.8, Better::Higher), "1,234,568/s");
        assert_eq!(value(999.0, Better::Higher), "999/s");
    }
}
