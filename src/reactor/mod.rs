//! Per-worker reactors.
//!
//! Every worker thread owns one `polling::Poller` (epoll on Linux). It is the worker's park
//! primitive — a worker with nothing to run sleeps in one `epoll_pwait2` on the poller's
//! descriptor ([`Reactor::poll`]) — and the readiness source of every I/O object registered
//! with it. Unparking a worker rings its *doorbell*, an eventfd
//! registered level-triggered in the same poller, coalesced by a flag (see [`Reactor::notify`]
//! for why not `Poller::notify`).
//!
//! An I/O source registers once, with the reactor of the worker that creates it (round-robin
//! across workers when created off-worker), and stays there. Its readiness lives in a shared
//! [`Source`] so that any thread may observe it. Events are dispatched by whichever thread polls
//! the reactor: normally the owner, which makes woken tasks land in the owner's local queue
//! (locality). But any worker may poll any reactor without blocking ([`Reactor::poll_now`]: one
//! `epoll_wait` with a zero timeout on the reactor's descriptor, which the kernel allows from
//! any thread, even while the owner sleeps in it), and the woken tasks then run on that
//! worker. Idle workers do so before they park: that is how corio avoids head-of-line blocking
//! behind a worker stuck in a long poll, and how a request and its reply between tasks whose
//! sockets live on different reactors stay on one awake thread instead of paying a thread
//! wake-up (20-30 µs here) per message (see `scheduler::worker`). Measured with one loopback
//! connection doing round trips 1 ms apart on 2 workers: median 50 µs when each reactor was
//! served only by its owner, 7 µs with idle workers polling their peers' reactors.
//!
//! Registration is edge-triggered and once per source: a readiness change costs one
//! `epoll_wait` entry and no `epoll_ctl` re-arm, where oneshot mode would cost one extra
//! `epoll_ctl` per operation that blocks. The price is the tick bookkeeping in [`Source`].
//! Measured (strace -c) on the echo test of `tests/reactor.rs`, 10 connections × 100 round
//! trips: 4,006 `recvfrom` of which 1,996 returned `EAGAIN`; oneshot mode would add one
//! `epoll_ctl(MOD)` for each of those 1,996, edge-triggered adds none. (The 1,648 `epoll_ctl`
//! calls the trace showed were registrations, peer watches, and `polling`'s own re-arming of
//! its timer and notifier descriptors, two per `wait`; the park no longer goes through
//! `Poller::wait`, so those are gone.) Sources are registered with `EPOLLRDHUP` too, so that a
//! stream read that comes back short may forget the readiness without losing an end of
//! stream that arrived with the data (`Async::poll_read_stream`): that saves the read that
//! would return `EAGAIN` after every message, about half of those 1,996.
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
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::task::Waker;
use std::time::Duration;

use polling::{Event, PollMode, Poller};
use slab::Slab;

use crate::loom::{lock, AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering};
use std::sync::Arc;

pub use source::{Direction, Source};

/// The event key of a watched peer's epoll descriptor; never a slab key (a slab would need
/// that many entries to hand it out). Not `usize::MAX`: `polling` reserves that key for its own
/// notifications and refuses it.
pub(crate) const PEER_KEY: usize = usize::MAX - 1;

/// The event key of the reactor's doorbell (see [`Reactor::notify`]).
const DOORBELL_KEY: usize = usize::MAX - 2;

/// The key `polling` registers its own notifier and timer descriptors under.
const POLLING_KEY: usize = usize::MAX;

/// The raw epoll events one non-blocking poll takes at most; more wait for the next poll.
pub(crate) const RAW_EVENTS: usize = 256;

/// A buffer for [`Reactor::poll_now`].
pub(crate) struct RawEvents(Vec<libc::epoll_event>);

impl RawEvents {
    pub(crate) fn new() -> RawEvents {
        RawEvents(Vec::with_capacity(RAW_EVENTS))
    }
}

/// One worker's reactor.
pub(crate) struct Reactor {
    poller: Poller,
    /// The unpark eventfd, registered level-triggered: see [`Reactor::notify`].
    doorbell: OwnedFd,
    /// Set while the doorbell rings (written and not yet drained by the owner): coalesces
    /// notifications.
    rung: AtomicBool,
    sources: Mutex<Slab<Arc<Source>>>,
    /// Number of registered sources, readable without the lock (metrics, tests).
    registered: AtomicUsize,
    /// Set when the runtime shut down: nothing polls this reactor any more.
    closed: AtomicBool,
    /// I/O events dispatched so far (metrics), by any thread that polls this reactor.
    events: AtomicU64,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        let poller = Poller::new()?;
        // SAFETY: `eventfd` has no memory effects; it returns a new descriptor or -1.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor we just opened and nothing else owns.
        let doorbell = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: `add` requires deleting the descriptor before it closes: `Drop` does.
        unsafe {
            poller.add_with_mode(raw, Event::readable(DOORBELL_KEY), PollMode::Level)?;
        }
        Ok(Reactor {
            poller,
            doorbell,
            rung: AtomicBool::new(false),
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
        // Registered directly rather than through `Poller::add`, for `EPOLLRDHUP`, which
        // `polling` does not offer: it tells a reader that the peer closed its writing half even
        // when that came in the same edge as the last data (`Source`'s read-closed bit). The
        // descriptor is deleted (`Poller::delete`, a plain `EPOLL_CTL_DEL`) before it closes:
        // `Async<T>` owns it and deregisters in its `Drop` and in `into_inner`.
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
            u64: source.key as u64,
        };
        // SAFETY: `epoll_ctl` reads the event struct, which lives across the call; both
        // descriptors are open (the poller's is owned by `self`, `fd` is borrowed).
        let added = unsafe {
            libc::epoll_ctl(
                self.poller.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd.as_raw_fd(),
                &mut event,
            )
        };
        let added = if added == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
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

    /// Wakes the thread blocked in (or about to enter) `poll` on this reactor: rings its
    /// doorbell, an eventfd registered *level-triggered*, unless it already rings.
    ///
    /// Why not `Poller::notify`: `polling`'s notifier is registered oneshot and re-armed by the
    /// owner's next `wait`, so a peer that polls this reactor without blocking (`poll_now`) could
    /// consume the one notification and leave the owner asleep. A level-triggered doorbell
    /// cannot be consumed by anyone but the owner, which drains it when it sees it; a peer that
    /// polls it just sees the event again and ignores it, and the kernel keeps waking the owner.
    pub(crate) fn notify(&self) {
        // SeqCst, as `polling`'s own flag: pairs with the owner's clearing swap after a drain.
        if !self.rung.swap(true, Ordering::SeqCst) {
            let one = 1u64.to_ne_bytes();
            // SAFETY: writes 8 bytes from a live buffer to a descriptor we own. It cannot block
            // (non-blocking eventfd) and can only fail if the counter would overflow, which
            // needs 2^64 - 1 unread rings: the owner drains it at every wake.
            unsafe { libc::write(self.doorbell.as_raw_fd(), one.as_ptr().cast(), one.len()) };
        }
    }

    /// Whether the doorbell rings: the owner has not yet drained a notification. A watcher
    /// skips such a peer, whose epoll descriptor stays readable until then.
    pub(crate) fn is_rung(&self) -> bool {
        self.rung.load(Ordering::Relaxed)
    }

    /// The owner, awake again after a park: silences a ring sent for that park. A ring that
    /// came while it was already waking (a task woken by its own wake-up's events picked it as
    /// the sleeper to notify) would otherwise keep its descriptor readable while it runs, and
    /// peers do not watch a ringing reactor (`scheduler::worker`).
    pub(crate) fn silence_doorbell(&self) {
        if self.rung.load(Ordering::SeqCst) {
            self.drain_doorbell();
        }
    }

    /// The owner saw its doorbell: silence it.
    fn drain_doorbell(&self) {
        let mut buffer = [0u8; 8];
        // SAFETY: reads at most 8 bytes into a live buffer from a descriptor we own; never blocks.
        unsafe {
            libc::read(
                self.doorbell.as_raw_fd(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
            )
        };
        self.rung.swap(false, Ordering::SeqCst);
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

    /// The owner's blocking poll: waits up to `timeout` (`None`: forever) for events and
    /// dispatches them: readiness is published on each source and the wakers of ready
    /// directions are woken on this thread. Returns whether the watched peer reported activity.
    /// Only the owner calls it (peers use `poll_now`).
    ///
    /// One `epoll_pwait2` (nanosecond timeout) on the reactor's descriptor, where
    /// `Poller::wait` costs four system calls for a timed wait (arming and re-arming its timer
    /// descriptor and notifier) and reports events without `EPOLLRDHUP`. Kernels before 5.11
    /// lack `epoll_pwait2`: there the timeout is rounded up to whole milliseconds for
    /// `epoll_wait`, which never wakes before a timer is due.
    pub(crate) fn poll(
        &self,
        raw: &mut RawEvents,
        wakers: &mut Vec<Waker>,
        timeout: Option<Duration>,
    ) -> io::Result<bool> {
        let count = match self.wait(raw, timeout) {
            Ok(count) => count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Ok(false),
            Err(error) => return Err(error),
        };
        if count == 0 {
            return Ok(false);
        }
        let seen = self.dispatch(raw.0.iter().map(decode), true, wakers);
        Ok(seen.peer_ready)
    }

    /// Waits for events into `raw`; returns how many.
    fn wait(&self, raw: &mut RawEvents, timeout: Option<Duration>) -> io::Result<usize> {
        let buffer = &mut raw.0;
        buffer.clear();
        let capacity = buffer.capacity().min(i32::MAX as usize) as i32;
        let epfd = self.poller.as_raw_fd();
        let spec = timeout.map(|timeout| libc::timespec {
            tv_sec: timeout.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        });
        let spec_ptr = spec
            .as_ref()
            .map_or(std::ptr::null(), |spec| spec as *const libc::timespec);
        // `epoll_pwait2` takes a `__kernel_timespec`, two 64-bit fields: `libc::timespec` has
        // that layout only where `time_t` and `c_long` are 64 bits; elsewhere, `epoll_wait`.
        let try_pwait2 = std::mem::size_of::<libc::timespec>() == 16
            && !PWAIT2_MISSING.load(std::sync::atomic::Ordering::Relaxed);
        if try_pwait2 {
            // SAFETY: the kernel writes at most `capacity` entries into the vector's spare
            // capacity; the timespec (of the kernel's layout, checked above) outlives the call;
            // a null signal mask means "unchanged".
            let count = unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    epfd,
                    buffer.as_mut_ptr(),
                    capacity,
                    spec_ptr,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                ) as i32
            };
            if count >= 0 {
                // SAFETY: the kernel wrote `count` (at most the capacity) entries.
                unsafe { buffer.set_len(count as usize) };
                return Ok(count as usize);
            }
            let error = io::Error::last_os_error();
            // ENOSYS: a kernel before 5.11. EPERM: a seccomp filter (older container
            // profiles) that refuses system calls it does not know.
            if !matches!(error.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) {
                return Err(error);
            }
            PWAIT2_MISSING.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let millis = timeout.map_or(-1, |timeout| {
            // Rounded up: a wait that ends before the deadline would find no timer due.
            let millis = timeout.as_nanos().div_ceil(1_000_000);
            millis.min(i32::MAX as u128) as i32
        });
        // SAFETY: the kernel writes at most `capacity` entries into the vector's spare capacity.
        let count = unsafe { libc::epoll_wait(epfd, buffer.as_mut_ptr(), capacity, millis) };
        if count < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel wrote `count` (non-negative, at most the capacity) entries.
        unsafe { buffer.set_len(count as usize) };
        Ok(count as usize)
    }

    /// Polls this reactor without blocking and dispatches what it finds, with one `epoll_wait`
    /// on its descriptor. Unlike `Poller::wait` (four system calls, and a no-op while another
    /// thread waits), any thread may call this at any time, the owner asleep in `poll`
    /// included: the kernel hands each edge-triggered event to exactly one of the callers, and
    /// the owner, woken for an event a peer took first, finds nothing and sleeps on inside
    /// the kernel. That is what lets an idle worker serve a sleeping peer's sockets at once
    /// instead of waiting 20-30 µs for the peer's thread to wake (`scheduler::worker`).
    ///
    /// `own` says whether the caller is this reactor's owner, who alone drains the doorbell.
    /// A peer may take an event meant for a *sleeping* owner: its one-shot watch of a busy
    /// peer. The result says so (`Polled::owner_event`), and the caller rings the owner's
    /// doorbell if the owner is parked; an awake owner watches nothing.
    pub(crate) fn poll_now(&self, raw: &mut RawEvents, wakers: &mut Vec<Waker>, own: bool) -> Polled {
        // A zero timeout: one non-blocking system call, the same `wait` as the owner's park.
        match self.wait(raw, Some(Duration::ZERO)) {
            Ok(count) if count > 0 => {}
            _ => return Polled::default(),
        }
        let seen = self.dispatch(raw.0.iter().map(decode), own, wakers);
        Polled {
            dispatched: seen.dispatched > 0,
            owner_event: !own && seen.peer_ready,
        }
    }

    /// Publishes a batch of events on their sources and wakes the wakers of ready directions.
    fn dispatch(&self, events: impl Iterator<Item = RawEvent>, own: bool, wakers: &mut Vec<Waker>) -> Seen {
        let mut seen = Seen::default();
        {
            let mut sources = None;
            for RawEvent {
                key,
                readable,
                writable,
                read_closed,
            } in events
            {
                match key {
                    PEER_KEY => seen.peer_ready = true,
                    DOORBELL_KEY => seen.doorbell = true,
                    // `polling`'s own notifier and timer: never armed, since corio waits
                    // with its own `epoll_pwait2` and rings its own doorbell.
                    POLLING_KEY => {}
                    key => {
                        let sources = sources.get_or_insert_with(|| lock(&self.sources));
                        if let Some(source) = sources.get(key) {
                            seen.dispatched += 1;
                            source.set_ready(readable, writable, read_closed, wakers);
                        }
                    }
                }
            }
        }
        if seen.doorbell && own {
            self.drain_doorbell();
        }
        if seen.dispatched > 0 {
            self.events.fetch_add(seen.dispatched, Ordering::Relaxed);
        }
        // Wake outside the slab lock: a wake may run the schedule function, which must never
        // wait on a lock that a deregistering task could hold.
        for waker in wakers.drain(..) {
            waker.wake();
        }
        seen
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

/// Whether `epoll_pwait2` is missing (a kernel before 5.11): `Reactor::wait` then falls back to
/// `epoll_wait`, after one `ENOSYS`.
/// A capability flag, not a synchronization protocol: std's atomic even under loom.
static PWAIT2_MISSING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// One epoll event, decoded.
struct RawEvent {
    key: usize,
    readable: bool,
    writable: bool,
    /// The peer closed its writing half, or the descriptor hung up or failed: reading will not
    /// block again.
    read_closed: bool,
}

fn decode(event: &libc::epoll_event) -> RawEvent {
    let flags = event.events as libc::c_int;
    RawEvent {
        key: event.u64 as usize,
        readable: flags & (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR | libc::EPOLLPRI) != 0,
        writable: flags & (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) != 0,
        read_closed: flags & (libc::EPOLLRDHUP | libc::EPOLLHUP) != 0,
    }
}

/// What a `poll_now` found.
#[derive(Default)]
pub(crate) struct Polled {
    /// Some source was ready (its tasks are now scheduled on the caller).
    pub(crate) dispatched: bool,
    /// A peer took an event meant for the owner (see `poll_now`).
    pub(crate) owner_event: bool,
}

/// What one batch of events contained besides source readiness.
#[derive(Default)]
struct Seen {
    dispatched: u64,
    peer_ready: bool,
    doorbell: bool,
}

impl Drop for Reactor {
    fn drop(&mut self) {
        let _ = self.poller.delete(self.doorbell.as_fd());
    }
}
