use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

use super::sleep::{sleep_until, Sleep};

/// What an [`Interval`] does when ticks were missed because the task did not poll in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back until caught up (the schedule is kept). Default.
    #[default]
    Burst,
    /// Start the period anew from the late tick: later ticks shift.
    Delay,
    /// Drop the missed ticks and fire at the next multiple of the period on the original
    /// schedule.
    Skip,
}

impl MissedTickBehavior {
    fn next_deadline(self, missed: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => missed + period,
            MissedTickBehavior::Delay => now + period,
            MissedTickBehavior::Skip => {
                let late = now.duration_since(missed).as_nanos();
                let into_period = (late % period.as_nanos()) as u64;
                now + period - Duration::from_nanos(into_period)
            }
        }
    }
}

/// Ticks every `period`, the first tick completing immediately (asyncio's periodic
/// `call_later`).
///
/// # Panics
/// When `period` is zero, or outside a corio runtime.
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let mut interval = corio::time::interval(Duration::from_millis(2));
///     let first = interval.tick().await;
///     let second = interval.tick().await;
///     assert!(second - first >= Duration::from_millis(2));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
/// When `period` is zero, or outside a corio runtime.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        period > Duration::ZERO,
        "`corio::time::interval` period must be non-zero"
    );
    Interval {
        sleep: sleep_until(start),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// A periodic timer, made by [`interval`] or [`interval_at`]. Also a `Stream` of tick instants.
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick; returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        std::task::ready!(Future::poll(Pin::new(&mut self.sleep), cx));
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        // Up to 5 ms late counts as on time: timer resolution is 1 ms and a busy worker checks
        // timers periodically, so small lateness is not a missed tick.
        let next = if now.saturating_duration_since(scheduled) > Duration::from_millis(5) {
            self.missed_tick_behavior
                .next_deadline(scheduled, now, self.period)
        } else {
            scheduled + self.period
        };
        Pin::new(&mut self.sleep).reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick comes one period from now.
    pub fn reset(&mut self) {
        Pin::new(&mut self.sleep).reset(Instant::now() + self.period);
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The current missed-tick behavior.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what happens to missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
