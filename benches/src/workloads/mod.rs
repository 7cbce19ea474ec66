//! The workloads of `shared/BENCHMARKS.md`, one file each (the three spawn workloads share
//! one), each holding its corio, tokio and smol versions side by side so that a reader can
//! check that they do the same work with each runtime's own primitives.
//!
//! A workload function runs one sample and returns its figures in the order of the workload's
//! [`Figure`] list: milliseconds for times and latencies, units per second for throughputs.

pub mod http_hello;
pub mod latency_under_hog;
pub mod mpsc;
pub mod mutex;
pub mod ping_pong;
pub mod spawn;
pub mod spawn_blocking;
pub mod tcp_echo;
pub mod timers;
pub mod yield_many;

use crate::limits;
use crate::params::Params;
use crate::runtimes::SmolRuntime;
use crate::stats::Better;

/// The figures one sample measured, in the order of [`Workload::figures`].
pub type Sample = Vec<f64>;

/// One reported figure of a workload: a row of the report.
#[derive(Clone, Copy, Debug)]
pub struct Figure {
    /// The row's name.
    pub row: &'static str,
    /// What is measured, with its unit, as the table shows it.
    pub what: &'static str,
    /// Whether lower or higher is better.
    pub better: Better,
}

const TIME: Better = Better::Lower;

/// How a limit relates to the runtimes' figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// A single-threaded floor that `workers` threads could at best divide (tcp_echo).
    PerThread,
    /// A floor no worker count lowers (allocation and state machine cost of spawns).
    Absolute,
}

/// A physical limit measured without any runtime.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// What it is, for the report.
    pub name: &'static str,
    /// One sample, with the same figures as the workload.
    pub run: fn(&Params) -> Sample,
    /// How it compares with `workers` threads.
    pub kind: LimitKind,
}

/// A workload, with its version for each runtime.
#[derive(Clone, Copy)]
pub struct Workload {
    /// Its name in the protocol (and for `--only`).
    pub name: &'static str,
    /// What a sample reports.
    pub figures: &'static [Figure],
    /// corio's version.
    pub corio: fn(&corio::Runtime, &Params) -> Sample,
    /// tokio's version.
    pub tokio: fn(&tokio::runtime::Runtime, &Params) -> Sample,
    /// smol's version.
    pub smol: fn(&SmolRuntime, &Params) -> Sample,
    /// The limit row, if one can be measured.
    pub limit: Option<Limit>,
    /// `Err(note)` when the workload cannot run on this machine (a missing tool).
    pub available: fn() -> Result<(), String>,
    /// Whether one unmeasured round runs first (not for long, steady-state loads).
    pub warm_up: bool,
}

fn always() -> Result<(), String> {
    Ok(())
}

const SPAWN_FLOOR: &str = "async-task spawn+run+join, 1 thread, no scheduler";

/// Every workload, in the protocol's order.
pub const ALL: &[Workload] = &[
    Workload {
        name: "spawn_many_local",
        figures: &[Figure {
            row: "spawn_many_local",
            what: "time (ms)",
            better: TIME,
        }],
        corio: spawn::corio_many_local,
        tokio: spawn::tokio_many_local,
        smol: spawn::smol_many_local,
        limit: Some(Limit {
            name: SPAWN_FLOOR,
            run: limits::spawn_floor::many,
            kind: LimitKind::Absolute,
        }),
        available: always,
        warm_up: true,
    },
    Workload {
        name: "spawn_many_remote",
        figures: &[Figure {
            row: "spawn_many_remote",
            what: "time (ms)",
            better: TIME,
        }],
        corio: spawn::corio_many_remote,
        tokio: spawn::tokio_many_remote,
        smol: spawn::smol_many_remote,
        limit: Some(Limit {
            name: SPAWN_FLOOR,
            run: limits::spawn_floor::many,
            kind: LimitKind::Absolute,
        }),
        available: always,
        warm_up: true,
    },
    Workload {
        name: "ping_pong",
        figures: &[Figure {
            row: "ping_pong",
            what: "time (ms)",
            better: TIME,
        }],
        corio: ping_pong::corio,
        tokio: ping_pong::tokio,
        smol: ping_pong::smol,
        limit: None,
        available: always,
        warm_up: true,
    },
    Workload {
        name: "yield_many",
        figures: &[Figure {
            row: "yield_many",
            what: "time (ms)",
            better: TIME,
        }],
        corio: yield_many::corio,
        tokio: yield_many::tokio,
        smol: yield_many::smol,
        limit: None,
        available: always,
        warm_up: true,
    },
    Workload {
        name: "chained_spawn",
        figures: &[Figure {
            row: "chained_spawn",
            what: "time (ms)",
            better: TIME,
        }],
        corio: spawn::corio_chained,
        tokio: spawn::tokio_chained,
        smol: spawn::smol_chained,
        limit: Some(Limit {
            name: SPAWN_FLOOR,
            run: limits::spawn_floor::chain,
            kind: LimitKind::Absolute,
        }),
        available: always,
        warm_up: true,
    },
    Workload {
        name: "mpsc",
        figures: &[Figure {
            row: "mpsc",
            what: "time (ms)",
            better: TIME,
        }],
        corio: mpsc::corio,
        tokio: mpsc::tokio,
        smol: mpsc::smol,
        limit: None,
        available: always,
        warm_up: true,
    },
    Workload {
        name: "mutex",
        figures: &[Figure {
            row: "mutex",
            what: "time (ms)",
            better: TIME,
        }],
        corio: mutex::corio,
        tokio: mutex::tokio,
        smol: mutex::smol,
        limit: None,
        available: always,
        warm_up: true,
    },
    Workload {
        name: "timers",
        figures: &[
            Figure {
                row: "timers",
                what: "wall time (ms)",
                better: TIME,
            },
            Figure {
                row: "timers p99 lateness",
                what: "p99 lateness (ms)",
                better: TIME,
            },
        ],
        corio: timers::corio,
        tokio: timers::tokio,
        smol: timers::smol,
        limit: None,
        available: always,
        warm_up: true,
    },
    Workload {
        name: "tcp_echo",
        figures: &[Figure {
            row: "tcp_echo",
            what: "messages/s",
            better: Better::Higher,
        }],
        corio: tcp_echo::corio,
        tokio: tcp_echo::tokio,
        smol: tcp_echo::smol,
        limit: Some(Limit {
            name: "echo loop on `polling`, 1 thread, no runtime",
            run: limits::echo_floor::run,
            kind: LimitKind::PerThread,
        }),
        available: always,
        warm_up: true,
    },
    Workload {
        name: "tcp_echo_latency_under_hog",
        figures: &[Figure {
            row: "tcp_echo_latency_under_hog",
            what: "p99 round trip (ms)",
            better: TIME,
        }],
        corio: latency_under_hog::corio,
        tokio: latency_under_hog::tokio,
        smol: latency_under_hog::smol,
        limit: None,
        available: always,
        warm_up: false,
    },
    Workload {
        name: "spawn_blocking",
        figures: &[Figure {
            row: "spawn_blocking",
            what: "time (ms)",
            better: TIME,
        }],
        corio: spawn_blocking::corio,
        tokio: spawn_blocking::tokio,
        smol: spawn_blocking::smol,
        limit: None,
        available: always,
        warm_up: true,
    },
    Workload {
        name: "http_hello",
        figures: &[Figure {
            row: "http_hello",
            what: "requests/s",
            better: Better::Higher,
        }],
        corio: http_hello::corio,
        tokio: http_hello::tokio,
        smol: http_hello::smol,
        limit: None,
        available: http_hello::wrk_available,
        warm_up: false,
    },
];
