//! The command line of `compare`.

use std::fmt::Write as _;

use crate::workloads;

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--quick`: fewer samples and smaller parameters, for a smoke run under 60 s.
    pub quick: bool,
    /// `--only a,b`: the workloads to run (all when `None`).
    pub only: Option<Vec<String>>,
    /// `--workers N`: worker threads of every runtime (2 by default, as the protocol fixes).
    pub workers: usize,
    /// `--samples N`: interleaved samples per runtime (7 full, 3 quick by default).
    pub samples: usize,
}

const FULL_SAMPLES: usize = 7;
const QUICK_SAMPLES: usize = 3;

/// The usage text.
pub fn usage() -> String {
    let mut text = String::from(
        "compare: corio against tokio and smol, side by side (shared/BENCHMARKS.md)\n\n\
         usage: compare [--quick] [--only a,b] [--workers N] [--samples N]\n\n  \
         --quick      smoke run under 60 s: 3 samples, smaller parameters (numbers not comparable\n               \
         with full runs)\n  \
         --only a,b   run only these workloads\n  \
         --workers N  worker threads of each runtime (default 2)\n  \
         --samples N  interleaved samples per runtime (default 7; 3 with --quick)\n\nworkloads:\n",
    );
    for workload in workloads::ALL {
        let _ = writeln!(text, "  {}", workload.name);
    }
    text
}

/// Parses `args` (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut quick = false;
    let mut only = None;
    let mut workers = 2;
    let mut samples = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--only" => {
                let list = args
                    .next()
                    .ok_or("--only needs a comma-separated list of workloads")?;
                let names: Vec<String> = list.split(',').map(|name| name.trim().to_string()).collect();
                for name in &names {
                    if !workloads::ALL.iter().any(|workload| workload.name == name) {
                        return Err(format!("--only: unknown workload `{name}`"));
                    }
                }
                only = Some(names);
            }
            "--workers" => workers = positive(&mut args, "--workers")?,
            "--samples" => samples = Some(positive(&mut args, "--samples")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let samples = samples.unwrap_or(if quick { QUICK_SAMPLES } else { FULL_SAMPLES });
    Ok(Options {
        quick,
        only,
        workers,
        samples,
    })
}

fn positive(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<usize, String> {
    args.next()
        .and_then(|value| value.parse().ok())
        .filter(|&value: &usize| value > 0)
        .ok_or_else(|| format!("{flag} needs a positive number"))
}

impl Options {
    /// Whether the workload `name` is selected.
    pub fn selected(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    }
}
