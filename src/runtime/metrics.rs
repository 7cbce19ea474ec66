//! `RuntimeMetrics`: a snapshot of the runtime's counters.

use super::scheduler::Shared;
use crate::loom::Ordering;

/// A snapshot of a runtime's counters, taken by [`Handle::metrics`](super::Handle::metrics).
///
/// ```
/// let runtime = corio::runtime::Builder::new().worker_threads(2).build().unwrap();
/// let metrics = runtime.metrics();
/// assert_eq!(metrics.workers.len(), 2);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// Per-worker counters, indexed by worker.
    pub workers: Vec<WorkerMetrics>,
    /// Tasks alive (spawned, future not yet dropped), blocking jobs included. Counted by a
    /// walk of the task registry, so a snapshot costs time in proportion to the live tasks.
    pub alive_tasks: usize,
    /// Tasks waiting in the shared injector queue.
    pub injector_depth: usize,
    /// Pending timers.
    pub pending_timers: usize,
    /// Blocking-pool threads alive.
    pub blocking_threads: usize,
    /// Blocking-pool threads idle.
    pub idle_blocking_threads: usize,
    /// Blocking jobs waiting for a thread.
    pub blocking_queue_depth: usize,
}

/// Counters of one worker.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// Task polls run.
    pub polls: u64,
    /// Successful steals from peers.
    pub steals: u64,
    /// Times the worker parked.
    pub parks: u64,
    /// Tasks in its local queues (those woken by its timers included).
    pub local_queue_depth: usize,
    /// I/O sources registered with its reactor.
    pub registered_sources: usize,
    /// I/O events its reactor dispatched (by the worker or by a helping peer).
    pub reactor_events: u64,
}

impl RuntimeMetrics {
    pub(crate) fn collect(shared: &Shared) -> RuntimeMetrics {
        RuntimeMetrics {
            workers: shared
                .remotes
                .iter()
                .map(|remote| WorkerMetrics {
                    // The counter moves by two per poll (start and end).
                    polls: remote.status.polls.load(Ordering::Relaxed).div_ceil(2),
                    steals: remote.status.steals.load(Ordering::Relaxed),
                    parks: remote.status.parks.load(Ordering::Relaxed),
                    local_queue_depth: remote.stealer.len() + remote.expired.len(),
                    registered_sources: remote.reactor.registered(),
                    reactor_events: remote.reactor.events(),
                })
                .collect(),
            alive_tasks: shared.registry.len(),
            injector_depth: shared.injector.len(),
            pending_timers: shared.timers.len(),
            blocking_threads: shared.blocking.num_threads(),
            idle_blocking_threads: shared.blocking.num_idle_threads(),
            blocking_queue_depth: shared.blocking.queue_depth(),
        }
    }
}
