//! Debug mode: reports of slow task polls (asyncio's "Executing <Task …> took 0.2 seconds").
//!
//! A poll that blocks its worker longer than the threshold is reported twice through `tracing`
//! (target `corio`, level WARN): by the monitor thread *while it is still running* — a stuck
//! worker is visible before it recovers, if it ever does — and by the worker when the poll
//! ends, with its full duration. Outside debug mode none of this runs: the worker's only cost
//! is one well-predicted branch per poll.

use std::panic::Location;
use std::time::Duration;

use super::scheduler::Shared;
use crate::loom::Ordering;
use crate::task::clock;
use crate::task::meta::TaskMeta;
use crate::task::Id;

/// What a worker notes about the task it is about to poll, in debug mode.
pub(crate) struct PollNote {
    id: Id,
    name: Option<Box<str>>,
    spawned_at: &'static Location<'static>,
    started: u64,
}

/// Called by worker `index` right before it polls the task of `meta`.
pub(crate) fn poll_starting(shared: &Shared, index: usize, meta: &TaskMeta) -> PollNote {
    let started = clock::now();
    let status = &shared.remotes[index].status;
    // Relaxed: the monitor only needs a recent value; it re-checks the poll counter.
    status.current_task.store(meta.id.as_u64(), Ordering::Relaxed);
    status.poll_started.store(started, Ordering::Relaxed);
    PollNote {
        id: meta.id,
        name: meta.name.clone(),
        spawned_at: meta.spawned_at,
        started,
    }
}

/// Called by the worker when the poll noted in `note` has returned.
pub(crate) fn poll_finished(threshold: Duration, note: PollNote) {
    // Saturating: a thread that moved to a core whose counter lags must not see a huge poll.
    let took = clock::to_duration(clock::now().saturating_sub(note.started));
    if took >= threshold {
        tracing::warn!(
            target: "corio",
            task_id = note.id.as_u64(),
            task_name = note.name.as_deref().unwrap_or(""),
            spawned_at = %note.spawned_at,
            duration = ?took,
            "slow poll finished: task {} took {:?} in one poll (threshold {:?})",
            note.id,
            took,
            threshold
        );
    }
}

/// The monitor's check of one worker: reports a poll running past the threshold, once per poll.
/// `reported` remembers the poll counter value already reported.
pub(crate) fn check_running_poll(shared: &Shared, index: usize, threshold: Duration, reported: &mut u64) {
    let status = &shared.remotes[index].status;
    let polls = status.polls.load(Ordering::Relaxed);
    if polls.is_multiple_of(2) || polls == *reported {
        return;
    }
    let started = status.poll_started.load(Ordering::Relaxed);
    let running_for = clock::to_duration(clock::now().saturating_sub(started));
    if running_for < threshold {
        return;
    }
    *reported = polls;
    let id = status.current_task.load(Ordering::Relaxed);
    let mut found = None;
    shared.registry.for_each(|meta| {
        if meta.id.as_u64() == id {
            found = Some((meta.name.as_deref().map(String::from), meta.spawned_at));
        }
    });
    let (name, spawned_at) = found.unwrap_or((None, Location::caller()));
    tracing::warn!(
        target: "corio",
        task_id = id,
        task_name = name.as_deref().unwrap_or(""),
        spawned_at = %spawned_at,
        duration = ?running_for,
        worker = index,
        "slow poll still running: task {id} has been in one poll for {running_for:?} on worker {index} (threshold {threshold:?})"
    );
}
