//! The worker loop: find a task, run it, and park when there is none.
//!
//! Each worker thread owns two `crossbeam_deque::Worker` FIFOs (the local queue, and the queue
//! of tasks woken by the timers it fired), a LIFO slot, and its reactor
//! (`crate::reactor::Reactor`). Finding work, in order:
//! 1. the LIFO slot — the task most recently woken by a task on this worker, so that a message
//!    handed from one task to another is processed while it is hot in cache; at most
//!    [`MAX_LIFO_POLLS`] times in a row, then it goes to the back of the queue, so that a
//!    ping-pong pair cannot starve the queue;
//! 2. every `global_queue_interval` ticks, the injector first (fairness for remote spawns);
//!    while timer-woken tasks wait, the injector or the local queue by turns, then the other,
//!    so that neither waits behind a stream of timer-woken tasks (a turn that falls on a LIFO
//!    poll is skipped, so "every" is at best);
//! 3. the timer-woken tasks, the local queue, the injector;
//! 4. searching: steal half of a random peer's queues (timer-woken first), the injector again,
//!    and poll every reactor without blocking (`poll_reactors`): a peer's I/O may be waiting
//!    behind a long poll, or for its sleeping owner to wake; then spin on the injector and
//!    the reactors, up to `SPIN_BEFORE_PARK` while a peer runs tasks (see `search`);
//! 5. park in the own reactor's blocking poll (see `park` for the protocol).
//!
//! Why timer-woken tasks go first: a busy worker fires due timers every `event_interval` ticks,
//! and at the back of its local queue their tasks would wait behind everything queued, so a
//! timer's lateness would grow with the backlog instead of staying near the wheel's 1 ms
//! resolution. Measured with 100,000 sleeps spawned at once (the `timers` workload): the p99
//! lateness went from 6–21 ms to 3–4 ms. Timers firing faster than their tasks run could keep
//! this queue from ever emptying; the fairness turns of step 2 bound what that costs the others.
//!
//! Every `event_interval` ticks the worker also polls its own reactor without blocking, fires
//! due timers, and flushes its batch of registry removals, so that a worker that always has
//! tasks still serves its I/O.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use crossbeam_deque::{Steal, Stealer, Worker as LocalQueue};
use crossbeam_utils::Backoff;

use super::{Remote, Shared, Task, WorkerQueues};
use crate::loom::Ordering;
use crate::reactor::{RawEvents, Reactor};
use crate::runtime::context;
use crate::task::meta::TaskMeta;
use crate::task::registry::Removals;
use std::sync::Arc;

/// Polls in a row from the LIFO slot before the local queue gets a turn: 3, as tokio settled on
/// after measuring message-passing benchmarks against fairness.
const MAX_LIFO_POLLS: u32 = 3;

/// How long a searching worker spins before it parks while a peer runs tasks: about what a park
/// and the wake that ends it cost here (see `search`).
const SPIN_BEFORE_PARK: Duration = Duration::from_micros(50);

/// What the schedule function needs of the current worker, reachable from its thread-local
/// context.
pub(crate) struct WorkerLocal {
    pub(crate) index: usize,
    pub(crate) shared: Arc<Shared>,
    local: LocalQueue<Task>,
    /// Tasks woken by timers this worker fired (see the module docs).
    expired: LocalQueue<Task>,
    /// True while a task runs on this worker, completion included: a wake issued then is a
    /// message hand-off from one task to another and goes to the LIFO slot.
    running: Cell<bool>,
    /// True while this worker wakes the tasks of expired timers.
    firing_timers: Cell<bool>,
    /// True while this worker wakes tasks in bulk: its timers, its reactor's events. Their
    /// pushes skip the notification of a sleeper; the batch notifies once at its end, only if
    /// it left a task for a peer (see `Dispatch`).
    dispatching: Cell<bool>,
    /// Registry removals of tasks that ended here, made in batches (see `task::registry`).
    removals: RefCell<Removals>,
}

impl WorkerLocal {
    /// Schedules a task woken on this worker's thread.
    pub(crate) fn schedule_local(&self, task: Task, yielded: bool) {
        if self.shared.is_shutdown() {
            drop(task);
            return;
        }
        if self.firing_timers.get() {
            self.expired.push(task);
        } else if yielded || !self.running.get() {
            // A yield goes to the back; a wake from the reactor is not a message hand-off, so
            // it does not jump the queue either.
            self.local.push(task);
        } else if let Some(previous) = self.remote().lifo.replace(task) {
            self.local.push(previous);
        } else {
            // Only the LIFO slot changed: this worker runs it next, nothing for peers to steal.
            return;
        }
        if !self.dispatching.get() {
            self.shared.notify_parked();
        }
    }

    /// Unregisters a task whose future was dropped on this worker, in the next batch.
    pub(crate) fn unregister_later(&self, meta: &TaskMeta) {
        let registry = &self.shared.registry;
        match self.removals.try_borrow_mut() {
            Ok(mut removals) => registry.remove_later(meta, &mut removals),
            // A task dropped while a batch is being flushed (not expected: a flush drops only
            // wakers of ended tasks) is removed at once.
            Err(_) => registry.remove(meta),
        }
    }

    fn flush_removals(&self) {
        self.shared.registry.flush(&mut self.removals.borrow_mut());
    }

    fn remote(&self) -> &Remote {
        &self.shared.remotes[self.index]
    }

    fn reactor(&self) -> &Reactor {
        &self.remote().reactor
    }
}

/// The worker's private loop state.
struct LoopState {
    /// Ticks (turns of the loop) until the next `maintenance`.
    maintenance: Countdown,
    /// Ticks until the next fairness turn (see `next_task`).
    injector_first: Countdown,
    /// Set for the tick on which `injector_first` ran out: a fairness turn.
    injector_turn: bool,
    /// Which queue the next fairness turn serves first: flips at every turn.
    local_first: bool,
    lifo_streak: u32,
    is_searching: bool,
    rng: u64,
    raw: RawEvents,
    wakers: Vec<std::task::Waker>,
}

/// Runs worker `index` until the runtime shuts down.
pub(crate) fn run(shared: Arc<Shared>, index: usize, queues: WorkerQueues) {
    let worker = WorkerLocal {
        index,
        shared,
        local: queues.tasks,
        expired: queues.expired,
        running: Cell::new(false),
        firing_timers: Cell::new(false),
        dispatching: Cell::new(false),
        removals: RefCell::default(),
    };
    let _context = context::enter_worker(&worker);
    let config = &worker.shared.config;
    let mut state = LoopState {
        maintenance: Countdown::every(config.event_interval),
        injector_first: Countdown::every(config.global_queue_interval),
        injector_turn: false,
        local_first: false,
        lifo_streak: 0,
        is_searching: false,
        rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
        raw: RawEvents::new(),
        wakers: Vec::new(),
    };
    worker.run_loop(&mut state);
    worker.exit();
}

impl WorkerLocal {
    fn run_loop(&self, state: &mut LoopState) {
        context::reset_poll_clock();
        while !self.shared.is_shutdown() {
            if state.maintenance.tick() {
                self.maintenance(state);
            }
            state.injector_turn = state.injector_first.tick();
            if let Some(task) = self.next_task(state) {
                self.run_task(task, state);
                continue;
            }
            if let Some(task) = self.search(state) {
                // Searching (stealing, spinning) is not the found task's poll time.
                context::reset_poll_clock();
                self.run_task(task, state);
                continue;
            }
            self.park(state);
        }
    }

    fn run_task(&self, task: Task, state: &mut LoopState) {
        if state.is_searching {
            state.is_searching = false;
            // Rule 3 of the idle protocol: the last searcher to find work wakes a replacement,
            // if there is work for one. Pushes made while it searched skipped their notification;
            // pushes after its decrement notify for themselves.
            if self.shared.idle.transition_worker_from_searching() && self.work_is_pending() {
                self.shared.notify_parked();
            }
        }
        let status = &self.remote().status;
        // Relaxed: only this thread writes `polls`; the monitor samples it and tolerates
        // staleness of a sampling period.
        let polls = status.polls.load(Ordering::Relaxed);
        status.polls.store(polls.wrapping_add(1), Ordering::Relaxed);
        self.running.set(true);
        match self.shared.config.slow_poll_threshold {
            None => {
                task.run();
            }
            Some(threshold) => {
                let note = crate::runtime::debug::poll_starting(&self.shared, self.index, task.metadata());
                task.run();
                crate::runtime::debug::poll_finished(threshold, note);
            }
        }
        self.running.set(false);
        status.polls.store(polls.wrapping_add(2), Ordering::Relaxed);
    }

    fn next_task(&self, state: &mut LoopState) -> Option<Task> {
        if let Some(task) = self.remote().lifo.take() {
            if state.lifo_streak < MAX_LIFO_POLLS {
                state.lifo_streak += 1;
                return Some(task);
            }
            self.local.push(task);
        }
        state.lifo_streak = 0;
        if state.injector_turn {
            let task = if self.expired.is_empty() {
                // The local queue is served next anyway: the turn is the injector's.
                self.steal_from_injector().or_else(|| self.local.pop())
            } else {
                // Timer-woken tasks would go next: the turn alternates between the two
                // queues they hold back, and takes one injector task, not a batch (a batch
                // would land in the local queue, which these turns may be all that serves).
                state.local_first = !state.local_first;
                if state.local_first {
                    self.local.pop().or_else(|| self.steal_one_from_injector())
                } else {
                    self.steal_one_from_injector().or_else(|| self.local.pop())
                }
            };
            if task.is_some() {
                return task;
            }
        }
        self.expired
            .pop()
            .or_else(|| self.local.pop())
            .or_else(|| self.steal_from_injector())
    }

    fn steal_from_injector(&self) -> Option<Task> {
        loop {
            match self.shared.injector.steal_batch_and_pop(&self.local) {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    fn steal_one_from_injector(&self) -> Option<Task> {
        loop {
            match self.shared.injector.steal() {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    /// Steals half of one of a peer's queues (`victim`) into the same queue of ours (`into`).
    fn steal_half_from(&self, victim: &Stealer<Task>, into: &LocalQueue<Task>) -> Option<Task> {
        loop {
            match victim.steal_batch_and_pop(into) {
                Steal::Success(task) => {
                    let steals = &self.remote().status.steals;
                    steals.store(steals.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                    return Some(task);
                }
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    /// Looks for work outside the own queues.
    fn search(&self, state: &mut LoopState) -> Option<Task> {
        if !state.is_searching {
            state.is_searching = self.shared.idle.transition_worker_to_searching();
        }
        if let Some(task) = self.steal_round(state) {
            return Some(task);
        }
        if self.fire_timers(state) > 0 {
            if let Some(task) = self.next_task(state) {
                return Some(task);
            }
        }
        if let Some(task) = self.poll_reactors(state) {
            return Some(task);
        }
        // Spin before parking. A park costs more than it seems on this class of machine (a
        // virtual CPU that halts): the waker's `write` to the doorbell takes 14 µs when the
        // sleeper's CPU must be woken, and the sleeper runs 40-50 µs after it (measured with a
        // two-thread eventfd ping). New work often arrives sooner: a task a peer wakes, the
        // reply a peer's task is about to send on a socket. A searcher keeps pushers from
        // waking anyone (idle rule 1), so its spin also spares them the doorbell.
        //
        // How long: while a peer runs tasks, about as long as a park and its wake cost
        // (`SPIN_BEFORE_PARK`): the classic rule that bounds the waste at twice the best
        // choice made in hindsight. Measured on the mpsc workload, whose senders run out of
        // channel space every few µs: 17 ms with a spin of a few µs (300 parks per worker per
        // sample), 8.3 ms with 50 µs (50 parks). When no peer runs tasks, only I/O, timers and
        // other threads can bring work, and the spin is the short backoff only: an almost idle
        // runtime does not burn a core at every timer tick.
        //
        // The spin watches the injector and the reactors, not the peers' queues. A task queued
        // on a busy peer is run by that peer within microseconds, with its data hot in that
        // core's cache; a thief that takes each such task the moment it appears moves every
        // hand-off of a producer-consumer pair across cores (measured: the mpsc workload ran
        // twice as slow). The peers' queues are looked at again when the search ends (the last
        // searcher's re-check before parking), so a queued task waits at most one spin for a
        // thief, much as Go's scheduler leaves a peer's next task alone for 3 µs.
        if state.is_searching {
            let backoff = Backoff::new();
            let deadline = Instant::now() + SPIN_BEFORE_PARK;
            loop {
                if !backoff.is_completed() {
                    backoff.snooze();
                } else if self.shared.idle.some_worker_is_running() && Instant::now() < deadline {
                    // Yield rather than spin: another thread on this CPU may have work to do.
                    std::thread::yield_now();
                } else {
                    break;
                }
                if self.shared.is_shutdown() {
                    return None;
                }
                if !self.shared.injector.is_empty() {
                    if let Some(task) = self.steal_from_injector() {
                        return Some(task);
                    }
                }
                if let Some(task) = self.poll_reactors(state) {
                    return Some(task);
                }
            }
        }
        None
    }

    /// Polls every reactor with sources without blocking, the own first: ready I/O is work.
    /// A peer's reactor too (reactor assist): its I/O may wait behind a long poll of its owner,
    /// or, if the owner sleeps, for the owner's thread to wake, 20-30 µs here; taking the
    /// events now runs their tasks on this worker at once. That is how a request and its reply
    /// between two tasks on different workers stay on one awake thread (`Reactor::poll_now`).
    fn poll_reactors(&self, state: &mut LoopState) -> Option<Task> {
        let workers = self.shared.remotes.len();
        for offset in 0..workers {
            let index = (self.index + offset) % workers;
            if self.poll_reactor(index, state) {
                if let Some(task) = self.next_task(state) {
                    return Some(task);
                }
            }
        }
        None
    }

    /// Polls reactor `index` without blocking; returns whether a source was dispatched. If that
    /// took an event meant for the peer owning it while the peer sleeps (its timer deadline, its
    /// watch of a busy worker), the peer is woken to handle it.
    fn poll_reactor(&self, index: usize, state: &mut LoopState) -> bool {
        let remote = &self.shared.remotes[index];
        // A system call: skip it when there is nothing to hear (a doorbell rung meanwhile is
        // drained at the owner's next park).
        if remote.reactor.registered() == 0 {
            return false;
        }
        let _dispatch = Dispatch::start(self);
        let polled = remote
            .reactor
            .poll_now(&mut state.raw, &mut state.wakers, index == self.index);
        // SeqCst: pairs with the store in `park`; a peer parking after this load arms a new
        // watch before it sleeps, so it needs no ring.
        if polled.owner_event && remote.status.parked.load(Ordering::SeqCst) {
            remote.reactor.notify();
        }
        polled.dispatched
    }

    /// One pass over the peers' queues (when searching) and the injector.
    fn steal_round(&self, state: &mut LoopState) -> Option<Task> {
        let workers = self.shared.remotes.len();
        if state.is_searching && workers > 1 {
            let start = next_random(&mut state.rng) as usize % workers;
            for offset in 0..workers {
                let victim = (start + offset) % workers;
                if victim == self.index {
                    continue;
                }
                let remote = &self.shared.remotes[victim];
                if !remote.expired.is_empty() {
                    if let Some(task) = self.steal_half_from(&remote.expired, &self.expired) {
                        return Some(task);
                    }
                }
                if !remote.stealer.is_empty() {
                    if let Some(task) = self.steal_half_from(&remote.stealer, &self.local) {
                        return Some(task);
                    }
                }
                // A stuck worker's LIFO task would otherwise wait for the whole stuck poll.
                if remote.status.stuck.load(Ordering::Relaxed) {
                    if let Some(task) = remote.lifo.take() {
                        return Some(task);
                    }
                }
            }
        }
        if self.shared.injector.is_empty() {
            return None;
        }
        self.steal_from_injector()
    }

    /// Periodic duties of a busy worker: its own I/O and due timers.
    fn maintenance(&self, state: &mut LoopState) {
        let _ = self.poll_reactor(self.index, state);
        self.fire_timers(state);
        self.flush_removals();
    }

    /// Fires due timers; returns how many.
    fn fire_timers(&self, state: &mut LoopState) -> usize {
        let timers = &self.shared.timers;
        if !timers.is_due(Instant::now()) {
            return 0;
        }
        let _dispatch = Dispatch::start(self);
        let _firing = FiringTimers::start(&self.firing_timers);
        timers.process(Instant::now(), &mut state.wakers)
    }

    /// Parks the worker in its reactor until an I/O event, a notification or its timer deadline.
    ///
    /// The idle protocol (see `idle.rs`) is followed exactly: register as sleeper, and if this
    /// was the last searcher, re-check every queue before sleeping. The timer role: one parked
    /// worker sleeps with the earliest timer deadline as its timeout (`TimerService` tells it
    /// when an earlier timer arrives); the others sleep without a timeout.
    fn park(&self, state: &mut LoopState) {
        // No stale registry entry outlives a busy period (they keep task allocations alive).
        self.flush_removals();
        let shared = &self.shared;
        let status = &self.remote().status;
        // Tells peers that this worker serves its own reactor now (`watch_a_peer` does not watch
        // a parked peer); SeqCst orders it with the idle-state operations.
        status.parked.store(true, Ordering::SeqCst);
        let was_searching = std::mem::take(&mut state.is_searching);
        if shared.idle.transition_worker_to_parked(self.index, was_searching) && self.work_is_pending() {
            shared.notify_parked();
        }
        let watch = self.watch_a_peer();
        let watched = match watch {
            Watch::Peer(peer) => Some(peer),
            Watch::Nobody | Watch::RecheckSoon => None,
        };
        let has_timer_role = shared.timers.try_take_role(self.index);
        let mut timeout = if has_timer_role {
            shared
                .timers
                .next_deadline()
                .map(|deadline| deadline.saturating_duration_since(Instant::now()))
        } else {
            None
        };
        if matches!(watch, Watch::RecheckSoon) {
            let recheck = shared.config.stall_threshold;
            timeout = Some(timeout.map_or(recheck, |timeout| timeout.min(recheck)));
        }
        status
            .parks
            .store(status.parks.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        // What the park wakes (I/O, timers) it wakes for this worker; a peer is notified once, at
        // the end, if more than this worker's next task is queued.
        let _dispatch = Dispatch::start(self);
        // `begin_shutdown` sets the flag and then notifies every reactor: checking the flag after
        // announcing ourselves means we either see it or get the notification.
        let peer_ready = if shared.is_shutdown() {
            false
        } else {
            matches!(
                self.reactor().poll(&mut state.raw, &mut state.wakers, timeout),
                Ok(true)
            )
        };
        status.parked.store(false, Ordering::SeqCst);
        // Unwatch at once: an awake worker's poller must never contain a peer's, or a peer that
        // parks while we are stuck could not watch us (epoll refuses cycles with ELOOP).
        if let Some(peer) = watched {
            let _ = self.reactor().remove_peer(&shared.remotes[peer].reactor);
        }
        if has_timer_role {
            shared.timers.release_role(self.index);
        }
        state.is_searching = shared.idle.transition_worker_from_parked(self.index);
        // From here on a notifier would find us awake: a ring sent until now was for this park.
        self.reactor().silence_doorbell();
        crate::runtime::monitor::worker_unparked(shared);
        context::reset_poll_clock();
        self.fire_timers(state);
        if let (true, Some(peer)) = (peer_ready, watched) {
            let _ = self.poll_reactor(peer, state);
        }
    }

    /// The last searcher's re-check before it sleeps.
    fn work_is_pending(&self) -> bool {
        !self.shared.injector.is_empty() || self.shared.remotes.iter().any(Remote::has_queued_tasks)
    }

    /// Before parking, watch one busy peer's reactor: one the monitor found stuck in a long
    /// poll, else the next worker in the ring if it is not parked. Watching only one peer keeps
    /// parking cheap and bounds how many sleepers a single event can wake. Returns the watched
    /// peer; the caller unwatches it as soon as it wakes.
    fn watch_a_peer(&self) -> Watch {
        let remotes = &self.shared.remotes;
        let workers = remotes.len();
        if workers < 2 {
            return Watch::Nobody;
        }
        let stuck = (1..workers)
            .map(|offset| (self.index + offset) % workers)
            .find(|&peer| remotes[peer].status.stuck.load(Ordering::Relaxed));
        let buddy = (self.index + 1) % workers;
        let Some(peer) =
            stuck.or_else(|| (!remotes[buddy].status.parked.load(Ordering::SeqCst)).then_some(buddy))
        else {
            return Watch::Nobody;
        };
        // A ringing doorbell keeps the peer's descriptor readable until its owner drains it:
        // watching it now would only wake us again and again. A stuck peer rarely rings (it
        // silences its doorbell when it wakes), but if it does, poll it again after a monitor
        // period instead of leaving its I/O alone for the rest of its stall.
        if remotes[peer].reactor.is_rung() {
            return if stuck.is_some() {
                Watch::RecheckSoon
            } else {
                Watch::Nobody
            };
        }
        // Fails with ELOOP when the peer is, at this very moment, parked and watching us: then
        // it serves its own events and needs no watcher.
        match self.reactor().add_peer(&remotes[peer].reactor) {
            Ok(()) => Watch::Peer(peer),
            Err(_) => Watch::Nobody,
        }
    }

    /// Leaves the loop at shutdown: drop every queued task here, on the worker that owns it.
    fn exit(&self) {
        drop(self.remote().lifo.take());
        while let Some(task) = self.expired.pop().or_else(|| self.local.pop()) {
            drop(task);
        }
        self.flush_removals();
    }
}

/// Marks the worker as waking tasks in bulk until dropped (also when a waker panics). When the
/// outermost batch ends, a sleeper is notified if the worker's queues hold more than the task it
/// runs next: as in tokio, a worker that wakes tasks for itself does not wake a peer for each of
/// them. Waking a sleeping peer costs the waker a 14 µs `write` here; done at every timer tick,
/// it also kept both workers on their own CPUs, so the wake a peer did need (a task blocking
/// this worker) found the peer's CPU halted: 40-50 µs more (the hog latency workload).
struct Dispatch<'a> {
    worker: &'a WorkerLocal,
    outermost: bool,
}

impl<'a> Dispatch<'a> {
    fn start(worker: &'a WorkerLocal) -> Dispatch<'a> {
        let outermost = !worker.dispatching.replace(true);
        Dispatch { worker, outermost }
    }
}

impl Drop for Dispatch<'_> {
    fn drop(&mut self) {
        if !self.outermost {
            return;
        }
        let worker = self.worker;
        worker.dispatching.set(false);
        // Rule 1 of the idle protocol, once for the batch: the worker runs one task itself, a
        // sleeper is woken for the second, and a searcher that finds work wakes the next (rule 3).
        if worker.local.len() + worker.expired.len() > 1 {
            worker.shared.notify_parked();
        }
    }
}

/// Marks the worker as waking timer tasks until dropped, also when a waker panics.
struct FiringTimers<'a>(&'a Cell<bool>);

impl<'a> FiringTimers<'a> {
    fn start(flag: &'a Cell<bool>) -> FiringTimers<'a> {
        flag.set(true);
        FiringTimers(flag)
    }
}

impl Drop for FiringTimers<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl Drop for WorkerLocal {
    /// A worker that unwinds (a panicking waker, say) skips `exit`: its deferred registry
    /// removals would otherwise stay behind, and with them task allocations holding the
    /// runtime's shared state alive.
    fn drop(&mut self) {
        if let Ok(mut removals) = self.removals.try_borrow_mut() {
            self.shared.registry.flush(&mut removals);
        }
    }
}

/// Runs out every `every` ticks. A counter rather than `tick % every`: the loop turns for every
/// task poll, and a division by a value known only at run time costs tens of cycles.
struct Countdown {
    left: u32,
    every: u32,
}

impl Countdown {
    fn every(every: u32) -> Countdown {
        let every = every.max(1);
        Countdown { left: every, every }
    }

    /// Counts one tick; true when the countdown ran out (and restarts).
    fn tick(&mut self) -> bool {
        self.left -= 1;
        if self.left == 0 {
            self.left = self.every;
            return true;
        }
        false
    }
}

/// What a parking worker watches (`watch_a_peer`).
enum Watch {
    /// Nobody: no peer is busy, or the one that is serves itself.
    Nobody,
    /// This peer's epoll descriptor, nested in our poller.
    Peer(usize),
    /// A stuck peer whose descriptor cannot be watched right now: wake up after a monitor
    /// period to poll it (the wake-up runs `search`, which polls every reactor).
    RecheckSoon,
}

/// xorshift64*: a few instructions, good enough to pick steal victims.
fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}
