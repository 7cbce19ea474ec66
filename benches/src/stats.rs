//! Medians, spreads, percentiles and ratios.
//!
//! A figure is reported as the median of its samples with their min–max spread. The ratio
//! corio/other is the ratio of the medians; its range runs from the most favourable to the least
//! favourable pairing of the two spreads (`corio.min / other.max` to `corio.max / other.min`),
//! so it contains 1.0 exactly when the two min–max ranges overlap: a tie, as the protocol says.

use std::time::Duration;

/// Median and min–max of a set of samples.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    /// The median (the lower middle one for an even count).
    pub median: f64,
    /// The smallest sample.
    pub min: f64,
    /// The largest sample.
    pub max: f64,
}

impl Spread {
    /// The spread of `samples`.
    ///
    /// # Panics
    /// When `samples` is empty.
    pub fn of(samples: &[f64]) -> Spread {
        assert!(!samples.is_empty(), "Spread::of: no samples");
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Spread {
            median: sorted[(sorted.len() - 1) / 2],
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }
    }
}

/// The nearest-rank percentile `p` (0–100) of `values`, sorted in place.
///
/// # Panics
/// When `values` is empty.
pub fn percentile(values: &mut [Duration], p: f64) -> Duration {
    assert!(!values.is_empty(), "percentile: no values");
    values.sort_unstable();
    let rank = (p / 100.0 * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// Whether a smaller or a larger figure is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Times and latencies.
    Lower,
    /// Throughputs.
    Higher,
}

/// Who a ratio favours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// corio is better and the ranges do not overlap.
    CorioBetter,
    /// The ranges overlap 1.0.
    Tie,
    /// corio is worse and the ranges do not overlap.
    CorioWorse,
}

/// corio's figure divided by another runtime's.
#[derive(Clone, Copy, Debug)]
pub struct Ratio {
    /// Ratio of the medians.
    pub value: f64,
    /// `corio.min / other.max`.
    pub low: f64,
    /// `corio.max / other.min`.
    pub high: f64,
}

impl Ratio {
    /// corio / other.
    pub fn between(corio: &Spread, other: &Spread) -> Ratio {
        Ratio {
            value: corio.median / other.median,
            low: corio.min / other.max,
            high: corio.max / other.min,
        }
    }

    /// Who the ratio favours, for a figure where `better` is better.
    pub fn verdict(&self, better: Better) -> Verdict {
        if self.low <= 1.0 && 1.0 <= self.high {
            Verdict::Tie
        } else if (self.value < 1.0) == (better == Better::Lower) {
            Verdict::CorioBetter
        } else {
            Verdict::CorioWorse
        }
    }
}

/// A duration in milliseconds, the unit of every time figure.
pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread() {
        let spread = Spread::of(&[3.0, 1.0, 2.0, 10.0]);
        assert_eq!((spread.median, spread.min, spread.max), (2.0, 1.0, 10.0));
    }

    #[test]
    fn p99_of_300_is_the_297th() {
        let mut values: Vec<Duration> = (1..=300).map(Duration::from_millis).collect();
        assert_eq!(percentile(&mut values, 99.0), Duration::from_millis(297));
    }

    #[test]
    fn overlapping_ranges_are_a_tie() {
        let corio = Spread {
            median: 1.0,
            min: 0.9,
            max: 1.2,
        };
        let other = Spread {
            median: 1.1,
            min: 1.1,
            max: 1.3,
        };
        assert_eq!(
            Ratio::between(&corio, &other).verdict(Better::Lower),
            Verdict::Tie
        );
        let faster = Spread {
            median: 0.5,
            min: 0.4,
            max: 0.6,
        };
        assert_eq!(
            Ratio::between(&faster, &other).verdict(Better::Lower),
            Verdict::CorioBetter
        );
        assert_eq!(
            Ratio::between(&faster, &other).verdict(Better::Higher),
            Verdict::CorioWorse
        );
    }
}
