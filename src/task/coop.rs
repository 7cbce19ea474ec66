//! The cooperative budget.
//!
//! Each task poll starts with a budget of [`BUDGET`] operations. corio's own leaf futures
//! (timers, I/O readiness, join handles, `yield_now`) spend one unit each time they would
//! complete; once the budget is spent they return `Pending` after waking their task, so the task
//! goes to the back of the run queue. Without it, a task reading from a socket that always has
//! data, or looping over an always-ready channel, would never give its worker back: every other
//! task on that worker, and the worker's reactor, would starve.
//!
//! Outside a task poll (inside `block_on`, on a plain thread) the budget is unlimited.

use std::task::{Context, Poll};

use crate::runtime::context;

/// Operations a task may complete in one poll: 128, as tokio measured to balance throughput
/// (long uninterrupted runs) against fairness (bounded latency for the other tasks).
pub(crate) const BUDGET: u8 = 128;

/// Spends one unit of the current task's budget, or, when it is exhausted, wakes the task and
/// returns `Pending` so that it yields.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    if context::spend_budget() {
        Poll::Ready(())
    } else {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
