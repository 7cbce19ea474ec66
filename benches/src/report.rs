//! The run's description (date, machine, mode) and the files written under `target/bench/`.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cli::Options;
use crate::harness::Outcome;
use crate::params::Params;
use crate::{svg, table};

/// Where the run happened and how.
pub struct RunInfo {
    /// UTC date and time of the start of the run.
    pub date: String,
    /// CPUs the process may use.
    pub cores: usize,
    /// `uname -r`.
    pub kernel: String,
    /// Worker threads of each runtime.
    pub workers: usize,
    /// Interleaved samples per runtime.
    pub samples: usize,
    /// Whether this is a `--quick` run, with its label.
    pub quick: Option<&'static str>,
}

impl RunInfo {
    /// Describes the run starting now.
    pub fn now(options: &Options, params: &Params) -> RunInfo {
        RunInfo {
            date: utc_now(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".into(), |release| release.trim().to_string()),
            workers: options.workers,
            samples: options.samples,
            quick: params.quick.then(|| params.quick_label()),
        }
    }

    /// One line: mode, workers, samples, machine, date.
    pub fn summary(&self) -> String {
        format!(
            "{} · {} workers per runtime · median of {} interleaved samples · {} cores, Linux {} · {}",
            if self.quick.is_some() {
                "QUICK run"
            } else {
                "full run"
            },
            self.workers,
            self.samples,
            self.cores,
            self.kernel,
            self.date
        )
    }
}

/// The markdown report: description, reading guide, table.
pub fn markdown(info: &RunInfo, outcomes: &[Outcome]) -> String {
    let mut text = String::from("# corio against tokio and smol\n\n");
    text.push_str(&info.summary());
    text.push_str("\n\n");
    if let Some(label) = info.quick {
        text.push_str(&format!("**{label}.**\n\n"));
    }
    text.push_str(
        "Each runtime cell: median (min–max) of the samples. Ratio: corio ÷ other, of the medians, \
         with the range corio.min/other.max – corio.max/other.min and a verdict; `tie` when that \
         range contains 1.0 (the min–max ranges overlap). ↓ lower is better (times), ↑ higher is \
         better (throughputs). Protocol: shared/BENCHMARKS.md.\n\n",
    );
    text.push_str(&table::markdown(outcomes, info.workers));
    text
}

/// Writes `report.md` and `report.svg` into `target/bench/` and returns their paths.
pub fn write(info: &RunInfo, outcomes: &[Outcome]) -> std::io::Result<(PathBuf, PathBuf)> {
    let directory = target_dir().join("bench");
    std::fs::create_dir_all(&directory)?;
    let markdown_path = directory.join("report.md");
    let svg_path = directory.join("report.svg");
    std::fs::write(&markdown_path, markdown(info, outcomes))?;
    let title = match info.quick {
        Some(_) => "corio vs tokio and smol (QUICK run: smaller parameters)",
        None => "corio vs tokio and smol",
    };
    std::fs::write(&svg_path, svg::chart(outcomes, title, &info.summary()))?;
    Ok((markdown_path, svg_path))
}

/// The workspace's target directory (`CARGO_TARGET_DIR` when set).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let benches = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            benches.parent().unwrap_or(benches).join("target")
        })
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    let minutes = seconds % 86_400 / 60;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) date: Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(super::civil_from_days(20_779), (2026, 11, 22));
    }
}
