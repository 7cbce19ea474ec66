//! Per-worker reactors.
//!
//! Every worker thread owns one `polling::Poller` (epoll on Linux). It is the worker's park
//! primitive — a worker with nothing to run sleeps in `Poller::wait` — and the readiness source of
//! every I/O object registered with it. Unparking a worker is `Poller::notify`, which the poller
//! coalesces.
//!
//! An I/O source registers once, with the reactor of the worker that creates it (round-robin
//! across workers when created off-worker), and stays there. Its readiness lives in a shared
//! [`Source`] so that any thread may observe it. Events are dispatched by whichever thread polls
//! the reactor: normally the owner, which makes woken tasks land in the owner's local queue
//! (locality); but `Poller::wait` admits one waiter at a time and returns `Ok(0)` to a
//! concurrent caller, so an idle worker may safely poll a *busy* peer's reactor with a zero
//! timeout. The woken tasks then run on the helper. That is how corio avoids head-of-line
//! blocking behind a worker stuck in a long poll (see `scheduler::worker`).
//!
//! Registration is edge-triggered and once per source: a readiness change costs one
//! `epoll_wait` entry and no `epoll_ctl` re-arm, where oneshot mode would cost one extra
//! `epoll_ctl` per operation that blocks. The price is the tick bookkeeping in [`Source`].
//! Measured (strace -c) on the echo test of `tests/reactor.rs`, 10 connections × 100 round
//! trips: 4,006 `recvfrom` of which 1,996 returned `EAGAIN`; oneshot mode would add one
//! `epoll_ctl(MOD)` for each of those 1,996, edge-triggered adds none. (The 1,648 `epoll_ctl`
//! calls the trace does show are registrations, peer watches, and `polling`'s own re-arming of
//! its timer and notifier descriptors, two per `wait`.)
//!
//! To *watch* a busy peer without spinning, a worker about to park adds that peer's epoll
//! descriptor (an epoll fd is itself pollable) to its own poller, in oneshot mode, under the key
//! [`PEER_KEY`], and removes it as soon as it wakes. When the busy peer's reactor gets events,
//! the parked worker wakes and polls that reactor for it. Only parked workers hold a watch, and
//! only of a busy peer, so two idle workers do not both wake for every event, and no cycle of
//! nested epoll descriptors forms (the kernel refuses one with `ELOOP`).

mod source;

pub(crate) mod async_io;

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::task::Waker;
use std::time::Duration;

use polling::{Event, Events, PollMode, Poller};
use slab::Slab;

use crate::loom::{lock, AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering};
use std::sync::Arc;

pub use source::{Direction, Source};

/// The event key of a watched peer's epoll descriptor; never a slab key (a slab would need
/// that many entries to hand it out). Not `usize::MAX`: `polling` reserves that key for its own
/// notifications and refuses it.
pub(crate) const PEER_KEY: usize = usize::MAX - 1;

/// One worker's reactor.
pub(crate) struct Reactor {
    poller: Poller,
    sources: Mutex<Slab<Arc<Source>>>,
    /// Number of registered sources, readable without the lock (metrics, tests).
    registered: AtomicUsize,
    /// Set when the runtime shut down: nothing polls this reactor any more.
    closed: AtomicBool,
    /// I/O events dispatched so far (metrics); written only under the poller's wait lock.
    events: AtomicU64,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        Ok(Reactor {
            poller: Poller::new()?,
            sources: Mutex::new(Slab::new()),
            registered: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            events: AtomicU64::new(0),
        })
    }

    /// Registers `fd` for edge-triggered read and write readiness.
    pub(crate) fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<Source>> {
        if self.is_closed() {
            return Err(io::Error::other(
                "the corio runtime has shut down; no new I/O objects",
            ));
        }
        let source = {
            let mut sources = lock(&self.sources);
            let entry = sources.vacant_entry();
            let source = Arc::new(Source::new(entry.key()));
            entry.insert(source.clone());
            source
        };
        // SAFETY: `add` requires that the descriptor is deleted from the poller before it is
        // closed. `Async<T>` owns the descriptor and calls `deregister` in its `Drop` before it
        // drops the I/O object, and `into_inner` deregisters before giving the object back.
        let added = unsafe {
            self.poller
                .add_with_mode(fd.as_raw_fd(), Event::all(source.key), PollMode::Edge)
        };
        match added {
            Ok(()) => {
                self.registered.fetch_add(1, Ordering::Relaxed);
                Ok(source)
            }
            Err(error) => {
                lock(&self.sources).remove(source.key);
                Err(error)
            }
        }
    }

    /// Removes `fd` from the poller and `source` from the slab, waking any waiter so that it
    /// does not wait forever on a source that can no longer get events.
    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>, source: &Source) -> io::Result<()> {
        let result = self.poller.delete(fd);
        let removed = lock(&self.sources).try_remove(source.key);
        if removed.is_some() {
            self.registered.fetch_sub(1, Ordering::Relaxed);
        }
        let mut wakers = Vec::new();
        source.wake_all(&mut wakers);
        wakers.into_iter().for_each(Waker::wake);
        result
    }

    /// Number of I/O events this reactor dispatched.
    pub(crate) fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    /// Number of sources registered with this reactor.
    pub(crate) fn registered(&self) -> usize {
        self.registered.load(Ordering::Relaxed)
    }

    /// Wakes the thread blocked in (or about to enter) `poll` on this reactor.
    pub(crate) fn notify(&self) {
        // An error here means the eventfd write failed, which only happens if the descriptor
        // table is corrupted; the waiting thread would then time out on its own deadline.
        let _ = self.poller.notify();
    }

    /// Starts watching `peer`'s epoll descriptor from this poller, in oneshot mode: the next
    /// event queued on `peer` wakes our `poll` with a `PEER_KEY` event.
    pub(crate) fn add_peer(&self, peer: &Reactor) -> io::Result<()> {
        // SAFETY: `add` requires deleting the descriptor before it closes. Both reactors belong to
        // the same runtime, and a worker calls `remove_peer` as soon as its park ends, before it
        // could exit; reactors are only dropped after every worker exited.
        unsafe {
            self.poller.add_with_mode(
                peer.poller.as_raw_fd(),
                Event::readable(PEER_KEY),
                PollMode::Oneshot,
            )
        }
    }

    /// Stops watching `peer`.
    pub(crate) fn remove_peer(&self, peer: &Reactor) -> io::Result<()> {
        self.poller.delete(&peer.poller)
    }

    /// Waits up to `timeout` (`None`: forever) for events and dispatches them: readiness is
    /// published on each source and the wakers of ready directions are woken on this thread.
    /// Returns whether the watched peer reported activity. If another thread is already polling
    /// this reactor, returns at once having done nothing.
    pub(crate) fn poll(
        &self,
        events: &mut Events,
        wakers: &mut Vec<Waker>,
        timeout: Option<Duration>,
    ) -> io::Result<bool> {
        events.clear();
        match self.poller.wait(events, timeout) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Ok(false),
            Err(error) => return Err(error),
        }
        let mut peer_ready = false;
        let mut dispatched = 0u64;
        if !events.is_empty() {
            let sources = lock(&self.sources);
            for event in events.iter() {
                if event.key == PEER_KEY {
                    peer_ready = true;
                } else if let Some(source) = sources.get(event.key) {
                    dispatched += 1;
                    source.set_ready(event.readable, event.writable, wakers);
                }
            }
        }
        if dispatched > 0 {
            // One poller waiter at a time, so a load and a store count exactly.
            self.events.store(
                self.events.load(Ordering::Relaxed) + dispatched,
                Ordering::Relaxed,
            );
        }
        // Wake outside the slab lock: a wake may run the schedule function, which must never
        // wait on a lock that a deregistering task could hold.
        for waker in wakers.drain(..) {
            waker.wake();
        }
        Ok(peer_ready)
    }

    /// Marks the reactor closed (its runtime shut down) and wakes every waiter of every source,
    /// whose next poll then reports the shutdown instead of waiting forever.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let mut wakers = Vec::new();
        {
            let sources = lock(&self.sources);
            for (_, source) in sources.iter() {
                source.wake_all(&mut wakers);
            }
        }
        wakers.into_iter().for_each(Waker::wake);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}
