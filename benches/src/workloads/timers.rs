//! timers: `timers` concurrent sleeps of 1 to `timer_max_ms` ms (a fixed pseudo-random
//! sequence, the same for every runtime and every sample), one task each.
//!
//! Each task computes its deadline when it starts, sleeps until it, and records how late it
//! ran (`now - deadline` once it is polled again: timer resolution plus scheduling delay).
//! Figures: the wall time from the first spawn to the last task's end, and the p99 lateness.
//! A timer that fires early fails the run.

use std::time::{Duration, Instant};

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::{run_corio, run_tokio, SmolRuntime};
use crate::stats::{millis, percentile};

/// The fixed seed of the sleep durations.
const SEED: u64 = 0x5EED_5EED_5EED_5EED;

/// The sleep durations: xorshift64* from a fixed seed, 1..=`max_ms` ms.
pub fn durations(count: usize, max_ms: u64) -> Vec<Duration> {
    let mut state = SEED;
    (0..count)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let random = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            Duration::from_millis(1 + (random >> 33) % max_ms)
        })
        .collect()
}

/// How late a sleep that should have ended at `deadline` ended; `None` if it ended early.
fn lateness(deadline: Instant) -> Option<Duration> {
    Instant::now().checked_duration_since(deadline)
}

fn figures(what: &str, latenesses: Vec<Option<Duration>>, elapsed: Duration, params: &Params) -> Sample {
    check::equal(
        &format!("{what} timers completed"),
        latenesses.len(),
        params.timers,
    );
    let early = latenesses.iter().filter(|late| late.is_none()).count();
    check::equal(&format!("{what} timers fired before their deadline"), early, 0);
    let mut late: Vec<Duration> = latenesses.into_iter().flatten().collect();
    vec![millis(elapsed), millis(percentile(&mut late, 99.0))]
}

/// corio's timers.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    let sleeps = durations(params.timers, params.timer_max_ms);
    let (latenesses, elapsed) = run_corio(runtime, async move {
        let start = Instant::now();
        let tasks: Vec<_> = sleeps
            .into_iter()
            .map(|duration| {
                corio::spawn(async move {
                    let deadline = Instant::now() + duration;
                    corio::time::sleep_until(deadline).await;
                    lateness(deadline)
                })
            })
            .collect();
        let mut latenesses = Vec::with_capacity(tasks.len());
        for task in tasks {
            latenesses.push(task.await.expect("corio task"));
        }
        (latenesses, start.elapsed())
    });
    figures("corio", latenesses, elapsed, params)
}

/// tokio's timers.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let sleeps = durations(params.timers, params.timer_max_ms);
    let (latenesses, elapsed) = run_tokio(runtime, async move {
        let start = Instant::now();
        let tasks: Vec<_> = sleeps
            .into_iter()
            .map(|duration| {
                tokio::spawn(async move {
                    let deadline = Instant::now() + duration;
                    tokio::time::sleep_until(deadline.into()).await;
                    lateness(deadline)
                })
            })
            .collect();
        let mut latenesses = Vec::with_capacity(tasks.len());
        for task in tasks {
            latenesses.push(task.await.expect("tokio task"));
        }
        (latenesses, start.elapsed())
    });
    figures("tokio", latenesses, elapsed, params)
}

/// smol's timers (async-io's `Timer`).
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    let sleeps = durations(params.timers, params.timer_max_ms);
    let executor = runtime.executor().clone();
    let (latenesses, elapsed) = runtime.run(async move {
        let start = Instant::now();
        let tasks: Vec<_> = sleeps
            .into_iter()
            .map(|duration| {
                executor.spawn(async move {
                    let deadline = Instant::now() + duration;
                    async_io::Timer::at(deadline).await;
                    lateness(deadline)
                })
            })
            .collect();
        let mut latenesses = Vec::with_capacity(tasks.len());
        for task in tasks {
            latenesses.push(task.await);
        }
        (latenesses, start.elapsed())
    });
    figures("smol", latenesses, elapsed, params)
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_are_fixed_and_in_range() {
        let first = super::durations(1_000, 100);
        assert_eq!(first, super::durations(1_000, 100));
        assert!(first.iter().all(|d| (1..=100).contains(&d.as_millis())));
        assert!(first.iter().any(|d| d.as_millis() == 1) && first.iter().any(|d| d.as_millis() == 100));
    }
}
