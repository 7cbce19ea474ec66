//! The shared timer service: one hierarchical wheel (see `wheel.rs`) for the whole runtime.
//!
//! Any thread inserts and cancels timers under one short lock. Time advances lazily: whoever
//! notices that the earliest deadline has passed (a parked worker whose poller timeout expired,
//! a busy worker's periodic check, the monitor as a backstop) calls `process`, which advances
//! the wheel and wakes the expired timers' wakers *after* releasing the lock.
//!
//! The earliest pending tick is published in an atomic so that "is anything due?" costs one
//! load. Exactly one parking worker holds the *timer role* and sleeps with that deadline as its
//! `Poller::wait` timeout; an insert that moves the earliest deadline earlier notifies it. The
//! insert publishes the new deadline, then reads the role; the parker takes the role, then reads
//! the deadline (both SeqCst): one of them sees the other, so no earlier timer is slept through.
//! (tokio tried sharding its wheel per worker and reverted it for contention; a single wheel
//! stays until a measurement says otherwise.)

use std::task::Waker;
use std::time::{Duration, Instant};

use super::wheel::{TimerKey, Wheel};
use crate::loom::{lock, AtomicU64, AtomicUsize, Mutex, Ordering};

const NONE: u64 = u64::MAX;
const NO_ROLE: usize = 0;

/// The runtime's shared timer service (see the module docs).
pub struct TimerService {
    /// The wheel, and whether the service is closed (runtime shut down): checked under the same
    /// lock as inserts, so no timer slips in after `clear`.
    wheel: Mutex<(Wheel<Waker>, bool)>,
    start: Instant,
    /// The earliest tick at which something may fire, or `NONE`.
    next_tick: AtomicU64,
    /// The wheel's `elapsed()`: a timer whose tick is at or below it has fired (its key is
    /// stale), so completing it needs no lock.
    processed: AtomicU64,
    /// Index + 1 of the worker sleeping with the timer deadline, or `NO_ROLE`.
    role: AtomicUsize,
}

/// The timer service of a runtime that has shut down refuses new timers.
#[derive(Debug)]
pub struct ShutDown;

/// A registered timer: its wheel key and its tick.
#[derive(Clone, Copy, Debug)]
pub struct TimerEntry {
    key: TimerKey,
    tick: u64,
}

impl TimerService {
    /// An empty service whose clock starts now.
    // Public only through `corio::__loom` (loom builds), where a `Default` would be noise.
    #[cfg_attr(loom, allow(clippy::new_without_default))]
    pub fn new() -> TimerService {
        TimerService {
            wheel: Mutex::new((Wheel::new(), false)),
            start: Instant::now(),
            next_tick: AtomicU64::new(NONE),
            processed: AtomicU64::new(0),
            role: AtomicUsize::new(NO_ROLE),
        }
    }

    /// The first tick at or after `deadline`: rounding up is what makes timers never early.
    fn tick_at_or_after(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.start);
        let ms = since.as_millis() as u64;
        if since > Duration::from_millis(ms) {
            ms + 1
        } else {
            ms
        }
    }

    /// The last tick that has fully passed at `now`.
    fn tick_before(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.start).as_millis() as u64
    }

    fn instant_of(&self, tick: u64) -> Instant {
        self.start + Duration::from_millis(tick)
    }

    /// Registers a timer; returns its entry and, when it became the earliest timer, the worker
    /// holding the timer role (to be notified by the caller).
    pub fn insert(&self, deadline: Instant, waker: Waker) -> Result<(TimerEntry, Option<usize>), ShutDown> {
        let mut guard = lock(&self.wheel);
        let (wheel, closed) = &mut *guard;
        if *closed {
            drop(guard);
            drop(waker);
            return Err(ShutDown);
        }
        // A deadline the wheel has already passed (another thread advanced it since the caller
        // checked the clock) fires at the next advance; recording it one tick past `elapsed`
        // keeps the lock-free "already fired" check in `remove` from trusting it too early.
        let tick = self.tick_at_or_after(deadline).max(wheel.elapsed() + 1);
        let key = wheel.insert(tick, waker);
        let earlier = tick < self.next_tick.load(Ordering::Relaxed);
        if earlier {
            self.next_tick.store(tick, Ordering::SeqCst);
        }
        drop(guard);
        let notify = if earlier {
            match self.role.load(Ordering::SeqCst) {
                NO_ROLE => None,
                holder => Some(holder - 1),
            }
        } else {
            None
        };
        Ok((TimerEntry { key, tick }, notify))
    }

    /// Replaces the waker of a pending timer; false when it already fired.
    pub(crate) fn update_waker(&self, entry: TimerEntry, waker: &Waker) -> bool {
        if self.processed.load(Ordering::Acquire) >= entry.tick {
            return false;
        }
        let mut guard = lock(&self.wheel);
        match guard.0.get_mut(entry.key) {
            Some(current) => {
                if !current.will_wake(waker) {
                    let previous = std::mem::replace(current, waker.clone());
                    drop(guard);
                    drop(previous);
                }
                true
            }
            None => false,
        }
    }

    /// Cancels a timer; returns its waker if it had not fired.
    pub fn remove(&self, entry: TimerEntry) -> Option<Waker> {
        // Acquire pairs with the Release store in `process`: a tick at or below `processed` has
        // been taken out of the wheel already.
        if self.processed.load(Ordering::Acquire) >= entry.tick {
            return None;
        }
        let removed = lock(&self.wheel).0.remove(entry.key);
        removed
    }

    /// Whether a timer may be due at `now`.
    pub(crate) fn is_due(&self, now: Instant) -> bool {
        let next = self.next_tick.load(Ordering::SeqCst);
        next != NONE && next <= self.tick_before(now)
    }

    /// The earliest deadline at which something may fire.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        match self.next_tick.load(Ordering::SeqCst) {
            NONE => None,
            tick => Some(self.instant_of(tick)),
        }
    }

    /// Fires every timer due at `now`, waking them after the lock is released. Returns how many
    /// fired. `wakers` is a reusable buffer (left empty).
    pub fn process(&self, now: Instant, wakers: &mut Vec<Waker>) -> usize {
        let now_tick = self.tick_before(now);
        {
            let mut guard = lock(&self.wheel);
            let wheel = &mut guard.0;
            wheel.advance(now_tick, wakers);
            self.processed.store(wheel.elapsed(), Ordering::Release);
            self.next_tick
                .store(wheel.next_expiration().unwrap_or(NONE), Ordering::SeqCst);
        }
        let fired = wakers.len();
        for waker in wakers.drain(..) {
            waker.wake();
        }
        fired
    }

    /// Tries to become the worker that sleeps with the timer deadline.
    pub(crate) fn try_take_role(&self, worker: usize) -> bool {
        self.role
            .compare_exchange(NO_ROLE, worker + 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    pub(crate) fn release_role(&self, worker: usize) {
        let _ = self
            .role
            .compare_exchange(worker + 1, NO_ROLE, Ordering::SeqCst, Ordering::SeqCst);
    }

    pub(crate) fn role_taken(&self) -> bool {
        self.role.load(Ordering::SeqCst) != NO_ROLE
    }

    /// Number of pending timers.
    pub(crate) fn len(&self) -> usize {
        lock(&self.wheel).0.len()
    }

    /// Closes the service and drops every pending timer's waker without waking it (runtime
    /// shutdown: the tasks are gone, and the wakers would otherwise keep their allocations, and
    /// through them the runtime, alive).
    pub(crate) fn close(&self) {
        let mut dropped = Vec::new();
        {
            let mut guard = lock(&self.wheel);
            guard.1 = true;
            let wheel = &mut guard.0;
            wheel.advance(u64::MAX - 1, &mut dropped);
            self.processed.store(wheel.elapsed(), Ordering::Release);
            self.next_tick.store(NONE, Ordering::SeqCst);
        }
        drop(dropped);
    }
}
