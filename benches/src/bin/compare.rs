//! corio against tokio and smol, side by side: the protocol of `shared/BENCHMARKS.md`.
//!
//! ```sh
//! cargo run --release -p corio-benches --bin compare                          # full run
//! cargo run --release -p corio-benches --bin compare -- --quick               # smoke run, < 60 s
//! cargo run --release -p corio-benches --bin compare -- --only tcp_echo,mpsc  # some workloads
//! cargo run --release -p corio-benches --bin compare -- --workers 4 --samples 9
//! ```
//!
//! Prints the table (progress goes to stderr) and writes `target/bench/report.md` and
//! `target/bench/report.svg`. See the `corio_benches` library for how each part works.

use std::time::Instant;

use corio_benches::report::{self, RunInfo};
use corio_benches::runtimes::Runtimes;
use corio_benches::{cli, harness, params::Params};

fn main() {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(error) if error.is_empty() => {
            print!("{}", cli::usage());
            return;
        }
        Err(error) => {
            eprint!("compare: {error}\n\n{}", cli::usage());
            std::process::exit(2);
        }
    };
    let params = if options.quick {
        Params::quick(options.workers)
    } else {
        Params::full(options.workers)
    };
    let info = RunInfo::now(&options, &params);
    let start = Instant::now();
    eprintln!("compare: {}", info.summary());
    if let Some(label) = info.quick {
        eprintln!("compare: {label}");
    }

    let runtimes = Runtimes::new(options.workers);
    let outcomes = harness::run(&options, &params, &runtimes);
    drop(runtimes);

    println!("\n{}", report::markdown(&info, &outcomes));
    match report::write(&info, &outcomes) {
        Ok((markdown, svg)) => println!("written: {} and {}", markdown.display(), svg.display()),
        Err(error) => {
            eprintln!("compare: could not write the report under target/bench: {error}");
            std::process::exit(1);
        }
    }
    println!("total run time: {:.1} s", start.elapsed().as_secs_f64());
}
