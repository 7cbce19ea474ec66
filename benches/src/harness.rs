//! Interleaved sampling: for each workload, one unmeasured warm-up round, then `samples`
//! rounds of corio, tokio, smol (and the limit, where there is one), so that the drift of a
//! shared machine (other builds, thermal changes) hits every runtime alike.
//!
//! A watchdog thread bounds every sample: a runtime that loses a wakeup would otherwise hang
//! the run forever. It waits on a channel for the next sample to start; if none starts within
//! the limit, it reports the sample that hung and exits the process.

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::cli::Options;
use crate::params::Params;
use crate::runtimes::Runtimes;
use crate::stats::Spread;
use crate::workloads::{Figure, Limit, Sample, Workload, ALL};

/// The runtimes, in the order of every table column and of the interleaving.
pub const RUNTIMES: [&str; 3] = ["corio", "tokio", "smol"];

/// The samples of one figure of one workload.
pub struct Row {
    /// The workload.
    pub workload: &'static str,
    /// The figure.
    pub figure: Figure,
    /// Samples for corio, tokio and smol, in the order of [`RUNTIMES`].
    pub samples: [Vec<f64>; 3],
    /// The limit row's samples, if the workload has one.
    pub limit: Option<(Limit, Vec<f64>)>,
}

impl Row {
    /// The spread of runtime `index` (see [`RUNTIMES`]).
    pub fn spread(&self, index: usize) -> Spread {
        Spread::of(&self.samples[index])
    }
}

/// What happened to one workload.
pub enum Outcome {
    /// Measured: one row per figure.
    Measured(Vec<Row>),
    /// Not run, with the reason.
    Skipped {
        /// The workload.
        workload: &'static str,
        /// Why.
        note: String,
    },
}

/// Runs every selected workload.
pub fn run(options: &Options, params: &Params, runtimes: &Runtimes) -> Vec<Outcome> {
    let watchdog = Watchdog::start(if params.quick {
        Duration::from_secs(30)
    } else {
        Duration::from_secs(120)
    });
    let mut outcomes = Vec::new();
    for workload in ALL.iter().filter(|workload| options.selected(workload.name)) {
        if let Err(note) = (workload.available)() {
            eprintln!("{:<28} {note}", workload.name);
            outcomes.push(Outcome::Skipped {
                workload: workload.name,
                note,
            });
            continue;
        }
        let rows = measure(workload, options.samples, params, runtimes, &watchdog);
        for row in &rows {
            let medians: Vec<String> = (0..3)
                .map(|index| format!("{} {:.3}", RUNTIMES[index], row.spread(index).median))
                .collect();
            eprintln!(
                "{:<28} {} [{}]",
                row.figure.row,
                medians.join("  "),
                row.figure.what
            );
        }
        outcomes.push(Outcome::Measured(rows));
    }
    watchdog.finish();
    outcomes
}

fn measure(
    workload: &Workload,
    samples: usize,
    params: &Params,
    runtimes: &Runtimes,
    watchdog: &Watchdog,
) -> Vec<Row> {
    let one = |index: usize, label: &str| -> Sample {
        watchdog.arm(format!("{} on {} ({label})", workload.name, RUNTIMES[index]));
        let sample = match index {
            0 => (workload.corio)(&runtimes.corio, params),
            1 => (workload.tokio)(&runtimes.tokio, params),
            _ => (workload.smol)(&runtimes.smol, params),
        };
        assert_eq!(
            sample.len(),
            workload.figures.len(),
            "{}: one value per figure",
            workload.name
        );
        sample
    };
    if workload.warm_up {
        for index in 0..3 {
            one(index, "warm-up");
        }
    }
    let mut rows: Vec<Row> = workload
        .figures
        .iter()
        .map(|&figure| Row {
            workload: workload.name,
            figure,
            samples: Default::default(),
            limit: workload.limit.map(|limit| (limit, Vec::new())),
        })
        .collect();
    for round in 0..samples {
        for index in 0..3 {
            let sample = one(index, &format!("sample {}", round + 1));
            for (row, value) in rows.iter_mut().zip(sample) {
                row.samples[index].push(value);
            }
        }
        if let Some(limit) = workload.limit {
            watchdog.arm(format!("{} limit ({})", workload.name, limit.name));
            let sample = (limit.run)(params);
            for (row, value) in rows.iter_mut().zip(sample) {
                if let Some((_, values)) = &mut row.limit {
                    values.push(value);
                }
            }
        }
    }
    rows
}

/// Exits the process when one sample runs longer than its limit.
struct Watchdog {
    started: Sender<Option<String>>,
    thread: std::thread::JoinHandle<()>,
}

impl Watchdog {
    fn start(limit: Duration) -> Watchdog {
        let (started, next) = channel::<Option<String>>();
        let thread = std::thread::spawn(move || {
            let mut running: Option<String> = None;
            loop {
                match next.recv_timeout(limit) {
                    Ok(Some(label)) => running = Some(label),
                    Ok(None) | Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => {
                        if let Some(label) = &running {
                            eprintln!(
                                "compare: `{label}` did not finish within {limit:?}: the runtime hung \
                                 (a lost wakeup?); stopping the run"
                            );
                            std::process::exit(3);
                        }
                    }
                }
            }
        });
        Watchdog { started, thread }
    }

    /// A sample named `label` starts now.
    fn arm(&self, label: String) {
        let _ = self.started.send(Some(label));
    }

    fn finish(self) {
        let _ = self.started.send(None);
        let _ = self.thread.join();
    }
}
