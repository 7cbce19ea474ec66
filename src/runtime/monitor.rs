//! The monitor thread (Go's sysmon, in small).
//!
//! Every millisecond while any worker is awake it samples each worker's poll counter. A worker
//! whose counter stays odd (inside a poll) and unchanged for a whole period is *stuck*: a task is
//! blocking it. The monitor then marks it stuck and wakes one sleeping worker, which steals the
//! stuck worker's queued tasks and, when it parks again, watches the stuck worker's reactor (see
//! `reactor` and `scheduler::worker`), so that I/O behind the blocked worker is still served.
//!
//! It is also the timer service's backstop: when no parked worker holds the timer role (every
//! worker busy) and a timer has been overdue for a whole period, the monitor fires the due
//! timers itself, so a worker blocked inside a poll cannot delay everyone's timers. It waits
//! that period because a busy worker fires due timers within `event_interval` polls, and into
//! its queue of timer-woken tasks, which it runs first; the monitor's wakes go through the
//! injector instead, from which a worker takes them in batches behind its local queue.
//!
//! When every worker sleeps the monitor sleeps too, indefinitely; the first worker to wake
//! wakes it (`worker_unparked`), so an idle runtime costs no periodic wake-ups.

use std::thread;
use std::time::{Duration, Instant};

use super::scheduler::Shared;
use crate::loom::{lock, AtomicBool, Ordering};
use std::sync::Arc;

/// Set while the monitor sleeps without a timeout; shared by all runtimes of the process is
/// not needed, so it lives per runtime in `MonitorState`.
pub(crate) struct MonitorState {
    sleeping: AtomicBool,
}

impl MonitorState {
    pub(crate) fn new() -> MonitorState {
        MonitorState {
            sleeping: AtomicBool::new(false),
        }
    }
}

/// Called by a worker that just left its blocking poll.
pub(crate) fn worker_unparked(shared: &Shared) {
    // SeqCst: this load and the caller's SeqCst update of the idle state pair with the
    // monitor's store of `sleeping` and its re-check of the idle state (store-buffering): one
    // side sees the other. Still a plain load in the common case (monitor awake), on a
    // read-mostly line.
    let sleeping = &shared.monitor_state.sleeping;
    if sleeping.load(Ordering::SeqCst) && sleeping.swap(false, Ordering::SeqCst) {
        if let Some(monitor) = lock(&shared.monitor).as_ref() {
            monitor.unpark();
        }
    }
}

pub(crate) fn run(shared: Arc<Shared>) {
    let period = shared.config.stall_threshold;
    let workers = shared.remotes.len();
    let mut last_polls = vec![0u64; workers];
    let mut assisted = vec![false; workers];
    let mut reported_slow = vec![0u64; workers];
    let mut wakers = Vec::new();
    while !shared.is_shutdown() {
        if shared.idle.all_parked() {
            shared.monitor_state.sleeping.store(true, Ordering::SeqCst);
            // Re-check after announcing: a worker that woke before the store saw `sleeping`
            // false and did not unpark us, but it is no longer counted as parked.
            if shared.idle.all_parked() && !shared.is_shutdown() {
                thread::park_timeout(Duration::from_secs(1));
            }
            shared.monitor_state.sleeping.store(false, Ordering::SeqCst);
            continue;
        }
        thread::park_timeout(period);

        let now = Instant::now();
        let overdue_since = now.checked_sub(period).unwrap_or(now);
        if !shared.timers.role_taken() && shared.timers.is_due(overdue_since) {
            shared.timers.process(now, &mut wakers);
        }

        for (index, remote) in shared.remotes.iter().enumerate() {
            if let Some(threshold) = shared.config.slow_poll_threshold {
                super::debug::check_running_poll(&shared, index, threshold, &mut reported_slow[index]);
            }
            let polls = remote.status.polls.load(Ordering::Relaxed);
            let stuck = polls % 2 == 1 && polls == last_polls[index];
            last_polls[index] = polls;
            remote.status.stuck.store(stuck, Ordering::Relaxed);
            if !stuck {
                assisted[index] = false;
                continue;
            }
            // Send one helper per stuck episode (it will watch the stuck worker's reactor when
            // it parks), and another whenever tasks wait in the stuck worker's queue. Retried
            // every period: at the moment of detection every other worker may still be awake,
            // about to park, and then nobody else would ever wake it.
            if !assisted[index] || remote.has_queued_tasks() || remote.lifo.is_occupied() {
                if let Some(helper) = shared.idle.take_sleeper() {
                    shared.remotes[helper].reactor.notify();
                    assisted[index] = true;
                }
            }
        }
    }
}
