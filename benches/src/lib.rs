//! The side-by-side benchmark harness of `shared/BENCHMARKS.md`: corio against tokio and smol.
//!
//! The `compare` binary runs every workload of the protocol on the three runtimes, interleaved
//! (corio, tokio, smol, corio, …) so that the drift of a shared machine hits all three alike,
//! and reports medians, min–max spreads and the ratios corio/tokio and corio/smol.
//!
//! Where the code lives:
//! - [`cli`]: the command line; [`params`]: the workload parameters (full and `--quick`).
//! - [`runtimes`]: building the three runtimes with the same number of workers.
//! - [`workloads`]: one file per workload, with its corio, tokio and smol versions side by
//!   side, so that a reader can check they do the same work; [`limits`]: the no-runtime floors.
//! - [`harness`]: interleaved sampling with a hang watchdog; [`stats`]: medians and ratios.
//! - [`table`] and [`svg`]: the results as a markdown table and as a bar chart; [`report`]:
//!   the run's description and the files under `target/bench/`.

pub mod check;
pub mod cli;
pub mod harness;
pub mod limits;
pub mod params;
pub mod report;
pub mod runtimes;
pub mod stats;
pub mod svg;
pub mod table;
pub mod workloads;
