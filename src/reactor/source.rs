//! The shared readiness state of one registered I/O source.
//!
//! A `Source` is owned jointly (through `Arc`) by the reactor's slab and by the `Async<T>` that
//! registered it, so any thread can read its readiness and park a waker on it while the owner
//! worker's reactor writes to it.
//!
//! Readiness is one atomic word: the low bits say which directions are ready and whether the
//! last event said the peer closed its writing half (*read closed*), the rest is a *tick* that
//! the reactor bumps on every event for this source. A task that sees readiness and
//! then gets `WouldBlock` clears the bit only if the tick is still the one it saw: if an event
//! arrived in between (tick changed), clearing would erase real readiness and, with edge
//! triggering, the kernel would never tell us again. This is tokio's `ScheduledIo` scheme.
//!
//! Wakers live under a small per-source lock: one slot per direction for the `AsyncRead` /
//! `AsyncWrite` path (the common single-owner case, no allocation), plus a slab of extra waiters
//! for `readable()` / `writable()` futures so that any number of tasks may wait on one source.

use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::loom::{lock, AtomicUsize, Mutex, Ordering};

/// A readiness direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Readable: data (or end-of-stream, or an error) to read.
    Read = 0,
    /// Writable: room to write.
    Write = 1,
}

impl Direction {
    fn bit(self) -> usize {
        1 << (self as usize)
    }
}

const READY_MASK: usize = 0b11;
/// The last event said the peer closed its writing half (`EPOLLRDHUP`) or the descriptor hung up
/// (`EPOLLHUP`; not `EPOLLERR`, which one read reports and clears). Set with the read bit. It
/// only stops a short stream read from forgetting the read readiness
/// ([`Source::clear_ready_drained`]), so that an end of stream that arrived in the same edge as
/// the last data is still read. A read that returns `WouldBlock` clears it with the read bit:
/// that read proves the side open (a stale event of a reused slab key), and a later close is a
/// new event.
const READ_CLOSED: usize = 0b100;
const FLAGS_MASK: usize = READY_MASK | READ_CLOSED;
const TICK_SHIFT: u32 = 3;

/// Readiness observed by a task: which tick it saw, to clear exactly that readiness later.
#[derive(Clone, Copy, Debug)]
pub struct ReadyEvent {
    tick: usize,
}

#[derive(Default)]
struct Waiters {
    /// The waker of `poll_read`/`poll_write` style callers (one owner per direction).
    primary: Option<Waker>,
    /// Wakers of `readable()`/`writable()` futures, each owning one slot.
    extra: Slab<Option<Waker>>,
}

/// The readiness and waiters of one registered I/O source.
pub struct Source {
    /// The key of this source in its reactor's slab.
    pub(crate) key: usize,
    readiness: AtomicUsize,
    waiters: Mutex<[Waiters; 2]>,
}

impl Source {
    /// A source with reactor slab key `key`, optimistically ready both ways.
    pub fn new(key: usize) -> Source {
        Source {
            key,
            // Optimistic: a new source is assumed ready both ways, so the first operation is
            // simply attempted (a fresh connection often has data already). A `WouldBlock`
            // clears it; the edge-triggered registration reports the true state anyway.
            readiness: AtomicUsize::new(READY_MASK),
            waiters: Mutex::new([Waiters::default(), Waiters::default()]),
        }
    }

    /// Called by the reactor for an event: publish readiness, then hand back the wakers of every
    /// direction that became ready. `read_closed`: the event says the peer's writing half is
    /// closed (implies readable).
    pub fn set_ready(&self, readable: bool, writable: bool, read_closed: bool, wakers: &mut Vec<Waker>) {
        let bits = (usize::from(readable || read_closed) * Direction::Read.bit())
            | (usize::from(writable) * Direction::Write.bit())
            | (usize::from(read_closed) * READ_CLOSED);
        if bits == 0 {
            return;
        }
        // AcqRel: the readiness must be visible before the wakers are taken below (a waiter that
        // registers after we took the lock re-checks it and must see it), and the tick bump
        // must not be reordered with that check.
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            let tick = (current >> TICK_SHIFT).wrapping_add(1);
            let next = (tick << TICK_SHIFT) | (current & FLAGS_MASK) | bits;
            match self
                .readiness
                .compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        let mut waiters = lock(&self.waiters);
        for direction in [Direction::Read, Direction::Write] {
            if bits & direction.bit() == 0 {
                continue;
            }
            let entry = &mut waiters[direction as usize];
            wakers.extend(entry.primary.take());
            for (_, slot) in entry.extra.iter_mut() {
                wakers.extend(slot.take());
            }
        }
    }

    /// Marks both directions ready and wakes everybody: used when the source is deregistered or
    /// the reactor shuts down, so that no waiter hangs; its next I/O attempt reports the error.
    pub fn wake_all(&self, wakers: &mut Vec<Waker>) {
        self.set_ready(true, true, false, wakers);
    }

    fn ready_now(&self, direction: Direction) -> Option<ReadyEvent> {
        let current = self.readiness.load(Ordering::Acquire);
        (current & direction.bit() != 0).then_some(ReadyEvent {
            tick: current >> TICK_SHIFT,
        })
    }

    /// Polls for readiness in `direction`, parking `cx`'s waker until it comes.
    ///
    /// `slot` chooses where the waker waits: `None` is the direction's single primary slot, for
    /// the `&mut self` `AsyncRead`/`AsyncWrite` paths, where one task owns the direction;
    /// `Some` is a waiter slot of the caller's own (taken on first use, released on `Ready`
    /// and by [`Source::release_slot`]), for futures that many tasks may run at once.
    pub fn poll_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        slot: Option<&mut Option<usize>>,
    ) -> Poll<ReadyEvent> {
        let mut slot = slot;
        if let Some(event) = self.ready_now(direction) {
            if let Some(slot) = slot {
                self.release_slot(direction, slot);
            }
            return Poll::Ready(event);
        }
        let replaced = {
            let mut waiters = lock(&self.waiters);
            let waiters = &mut waiters[direction as usize];
            let target = match slot.as_deref_mut() {
                None => &mut waiters.primary,
                Some(Some(key)) => &mut waiters.extra[*key],
                Some(empty) => {
                    let key = waiters.extra.insert(None);
                    *empty = Some(key);
                    &mut waiters.extra[key]
                }
            };
            match target {
                Some(waker) if waker.will_wake(cx.waker()) => None,
                _ => target.replace(cx.waker().clone()),
            }
        };
        // A replaced waker is dropped outside the lock: its drop may re-enter this source.
        drop(replaced);
        // Re-check after registering: an event that landed between the first check and the
        // registration took no waker, but it did set the bit before taking the lock.
        match self.ready_now(direction) {
            Some(event) => {
                if let Some(slot) = slot {
                    self.release_slot(direction, slot);
                }
                Poll::Ready(event)
            }
            None => Poll::Pending,
        }
    }

    /// Frees a waiter slot taken by `poll_ready` (on completion or drop).
    pub fn release_slot(&self, direction: Direction, slot: &mut Option<usize>) {
        if let Some(key) = slot.take() {
            let removed = lock(&self.waiters)[direction as usize].extra.try_remove(key);
            drop(removed);
        }
    }

    /// Forget readiness in `direction` after an operation returned `WouldBlock`, unless an
    /// event arrived since `event` was observed. A `WouldBlock` read also proves the read side
    /// open (any later close is a new, tick-bumping event), so it forgets a read close too:
    /// left set by a stale event, it would keep a source "ready" that only says `WouldBlock`.
    pub fn clear_ready(&self, direction: Direction, event: ReadyEvent) {
        let closed = if direction == Direction::Read {
            READ_CLOSED
        } else {
            0
        };
        self.clear(event, direction.bit() | closed, false);
    }

    /// After a short stream read (the receive buffer is empty): forget the read readiness
    /// unless an event arrived since `event` or the read side is closed (the end of stream is
    /// still to be read).
    pub fn clear_ready_drained(&self, event: ReadyEvent) {
        self.clear(event, Direction::Read.bit(), true);
    }

    /// Clears `bits` if no event arrived since `event` (and, with `unless_closed`, if the read
    /// side is not closed).
    fn clear(&self, event: ReadyEvent, bits: usize, unless_closed: bool) {
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            // Teeth: the broken variant clears even when a newer event arrived.
            if current >> TICK_SHIFT != event.tick && !crate::loom::fault!(ReadinessTick) {
                return;
            }
            if unless_closed && current & READ_CLOSED != 0 {
                return;
            }
            match self.readiness.compare_exchange_weak(
                current,
                current & !bits,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn noop_context() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    #[test]
    fn clearing_forgets_readiness_but_not_a_read_close() {
        let source = Source::new(0);
        let mut wakers = Vec::new();
        let Poll::Ready(event) = source.poll_ready(Direction::Read, &mut noop_context(), None) else {
            panic!("a new source is optimistically ready");
        };
        source.clear_ready(Direction::Read, event);
        assert!(source
            .poll_ready(Direction::Read, &mut noop_context(), None)
            .is_pending());

        // Data and the peer's close in one event: after a short read clears the readiness
        // the reader still gets to read the end of stream.
        source.set_ready(true, false, true, &mut wakers);
        let Poll::Ready(event) = source.poll_ready(Direction::Read, &mut noop_context(), None) else {
            panic!("readable after the event");
        };
        source.clear_ready_drained(event);
        assert!(source
            .poll_ready(Direction::Read, &mut noop_context(), None)
            .is_ready());
        // Writing readiness is separate.
        assert!(source
            .poll_ready(Direction::Write, &mut noop_context(), None)
            .is_ready());
    }
}
