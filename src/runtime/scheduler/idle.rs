//! The idle set: which workers sleep, how many search, and the protocol that never loses a
//! wakeup.
//!
//! One atomic word counts *unparked* workers (awake: running or searching) in its high half and
//! *searching* workers (awake, out of local work, stealing) in its low half. A list of sleeping
//! workers sits behind a mutex that is touched only on the slow paths (park, unpark).
//!
//! Rules:
//! 1. Whoever makes work available (push to the injector, or to a local queue that peers can
//!    steal from) calls [`Idle::worker_to_notify`]. It wakes a sleeper only when *nobody is
//!    searching* and someone sleeps: a searcher is bound to find the work, so waking another
//!    thread would only add a cross-thread wake (20–30 µs on this class of machine).
//! 2. At most half the workers search at once ([`Idle::transition_worker_to_searching`]), so
//!    steal attempts do not contend on a few victims.
//! 3. A searcher that finds work leaves the searching state; if it was the *last* searcher it
//!    re-checks every queue and wakes another sleeper if any holds work, because rule 1 skipped
//!    waking anyone while it searched. The same fence pair as rule 4 makes the re-check sound;
//!    without it, the last searcher would wake a peer whenever it finds a task, also when that
//!    task was all there was (measured: with one connection served by one worker, the other
//!    worker was woken at every request, 14 µs of the waker's time each).
//! 4. A worker parks by pushing itself on the sleeper list and decrementing the counts under
//!    the lock. If it was the last searcher, it must re-check every queue *after* that
//!    decrement and wake a worker if any has work. Two SeqCst fences order this (the classic
//!    store-buffering pattern): one between the parker's decrement and its re-check, one
//!    between the notifier's push that published the work and its read of the state word. So
//!    either the notifier sees `searching == 0` and wakes a sleeper, or the parker's re-check
//!    sees the work. This is the race the loom models check first.
//!
//! The notifier's side is hot (every push of stealable work runs it), so it is a fence and a
//! load, not a read-modify-write: with every worker busy, an RMW on the shared state word would
//! bounce its cache line between the cores at every push (measured: 8% of `yield_many`).

use crate::loom::{fault, fence, lock, AtomicUsize, Mutex, Ordering};

const UNPARKED_SHIFT: usize = 16;
const SEARCHING_MASK: usize = (1 << UNPARKED_SHIFT) - 1;
const UNPARKED_ONE: usize = 1 << UNPARKED_SHIFT;

/// The idle set of a runtime's workers (see the module docs).
pub struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    workers: usize,
}

impl Idle {
    /// The idle set of `workers` workers, all awake, none searching.
    pub fn new(workers: usize) -> Idle {
        assert!(workers < SEARCHING_MASK, "too many worker threads: {workers}");
        Idle {
            // Every worker starts awake, none searching.
            state: AtomicUsize::new(workers << UNPARKED_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            workers,
        }
    }

    fn searching(state: usize) -> usize {
        state & SEARCHING_MASK
    }

    fn unparked(state: usize) -> usize {
        state >> UNPARKED_SHIFT
    }

    /// Rule 1: the worker to wake for newly available work, if any. The returned worker has
    /// already been counted as unparked and searching.
    pub fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        if !self.should_notify() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.state.fetch_add(UNPARKED_ONE | 1, Ordering::SeqCst);
        Some(worker)
    }

    fn should_notify(&self) -> bool {
        // Rule 4's fence pair, the notifier's half: orders the caller's push before this read.
        fence(Ordering::SeqCst);
        let state = self.state.load(Ordering::SeqCst);
        Self::searching(state) == 0 && Self::unparked(state) < self.workers
    }

    /// Rule 2: try to become a searcher.
    pub fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        if 2 * Self::searching(state) >= self.workers {
            return false;
        }
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Rule 3: a searcher found work. Returns true when it was the last searcher: the caller
    /// must then re-check the queues and notify another worker if any holds work.
    pub fn transition_worker_from_searching(&self) -> bool {
        let previous = self.state.fetch_sub(1, Ordering::SeqCst);
        // The searcher's half of rule 1's fence pair (as in rule 4): orders the decrement before
        // the caller's re-check, so the work of a pusher that saw us searching is seen.
        if !fault!(SearcherFence) {
            fence(Ordering::SeqCst);
        }
        Self::searching(previous) == 1
    }

    /// Rule 4: `worker` parks. Returns true when it was the last searcher, which obliges it to
    /// re-check all queues.
    pub fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let decrement = UNPARKED_ONE + is_searching as usize;
        let previous = self.state.fetch_sub(decrement, Ordering::SeqCst);
        // Rule 4's fence pair, the parker's half: orders the caller's re-check of the queues
        // after the decrement.
        fence(Ordering::SeqCst);
        sleepers.push(worker);
        // Teeth: the broken variant forgets the obligation to re-check (`loom-tests/tests/teeth.rs`).
        is_searching && Self::searching(previous) == 1 && !fault!(IdleRecheck)
    }

    /// A worker woke up. If it is still on the sleeper list, nobody notified it (an I/O event, a
    /// timer, a spurious wake): it takes itself off and counts as awake, not searching, and this
    /// returns false. If a notifier took it off, the notifier already counted it as searching,
    /// and this returns true.
    pub fn transition_worker_from_parked(&self, worker: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        if let Some(position) = sleepers.iter().position(|&sleeper| sleeper == worker) {
            sleepers.swap_remove(position);
            self.state.fetch_add(UNPARKED_ONE, Ordering::SeqCst);
            false
        } else {
            true
        }
    }

    /// A sleeping worker to wake regardless of rule 1 (the monitor's assist): counted as
    /// unparked and searching.
    pub fn take_sleeper(&self) -> Option<usize> {
        let mut sleepers = lock(&self.sleepers);
        let worker = sleepers.pop()?;
        self.state.fetch_add(UNPARKED_ONE | 1, Ordering::SeqCst);
        Some(worker)
    }

    /// Whether some worker is awake and not searching, that is, running tasks (or about to).
    /// Relaxed: a hint for how long a searcher spins, not part of the wakeup protocol.
    pub fn some_worker_is_running(&self) -> bool {
        let state = self.state.load(Ordering::Relaxed);
        Self::unparked(state) > Self::searching(state)
    }

    /// Whether every worker sleeps.
    pub fn all_parked(&self) -> bool {
        Self::unparked(self.state.load(Ordering::SeqCst)) == 0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Idle;

    #[test]
    fn a_worker_counts_as_running_only_while_awake_and_not_searching() {
        let idle = Idle::new(2);
        assert!(idle.some_worker_is_running(), "both workers start awake, running");
        assert!(idle.transition_worker_to_searching());
        assert!(idle.some_worker_is_running(), "worker 1 still runs tasks");
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(
            !idle.some_worker_is_running(),
            "worker 0 searches and worker 1 sleeps"
        );
        assert_eq!(
            idle.worker_to_notify(),
            None,
            "a searcher is bound to find new work"
        );
        assert!(idle.transition_worker_from_searching());
        assert!(idle.some_worker_is_running(), "worker 0 found a task");
    }
}
