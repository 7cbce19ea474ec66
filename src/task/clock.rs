//! A cheap clock for per-poll accounting.
//!
//! Task introspection keeps a running total of each task's poll time, which means reading a
//! clock twice per poll. `Instant::now()` costs a `clock_gettime` (about 20 ns here); on x86_64
//! the time-stamp counter costs a few nanoseconds, so polls are timed in TSC ticks there and
//! converted to durations only when a dump is taken, against a calibration measured then.
//! Elsewhere the clock falls back to `Instant`, in nanoseconds since an arbitrary origin.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Ticks of the poll clock.
#[inline]
pub(crate) fn now() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` reads the time-stamp counter; it exists on every x86_64 processor
        // and has no memory effects.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        origin().0.elapsed().as_nanos() as u64
    }
}

/// The instant and tick count taken together when the clock was first used.
fn origin() -> &'static (Instant, u64) {
    static ORIGIN: OnceLock<(Instant, u64)> = OnceLock::new();
    ORIGIN.get_or_init(|| {
        let instant = Instant::now();
        (instant, now_raw())
    })
}

#[cfg(target_arch = "x86_64")]
fn now_raw() -> u64 {
    now()
}

#[cfg(not(target_arch = "x86_64"))]
fn now_raw() -> u64 {
    0
}

/// Makes sure the calibration origin is taken early (at runtime start), so that later
/// conversions measure over a long interval.
pub(crate) fn init() {
    let _ = origin();
}

/// Converts a number of ticks into a duration.
pub(crate) fn to_duration(ticks: u64) -> Duration {
    #[cfg(target_arch = "x86_64")]
    {
        let (instant, start) = *origin();
        let elapsed = instant.elapsed();
        let elapsed_ticks = now().saturating_sub(start);
        if elapsed_ticks == 0 || elapsed.is_zero() {
            return Duration::ZERO;
        }
        let nanos = ticks as u128 * elapsed.as_nanos() / elapsed_ticks as u128;
        Duration::from_nanos(nanos.min(u64::MAX as u128) as u64)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Duration::from_nanos(ticks)
    }
}
