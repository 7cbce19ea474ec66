//! Unix signals as streams: [`signal`] returns a [`Signal`] listener for one [`SignalKind`].
//!
//! See the [module docs of `corio::signal`](super) for the design: an async-signal-safe handler
//! that sets a per-signal flag and writes to one process-wide self-pipe, one reactor-registered
//! dup of the pipe's read end per listener, and a global registry `signal number → listener
//! slots` through which whichever listener is polled fans each delivery out to all of them.
//!
//! Which thread touches what:
//! - the OS handler (any thread, any time): `OS_PENDING[signum]` and the pipe's write end only;
//! - [`signal`] and `Signal::drop` (any thread): the registry, under its lock;
//! - a polled listener (any worker of any runtime): its own dup of the read end, the
//!   `OS_PENDING` flags, and the registry under its lock only when some flag was set.
//!
//! `Signal::recv` returns `None` only when the runtime whose reactor the listener's pipe dup is
//! registered with has shut down (tokio's listeners return `None` once their driver is gone);
//! from then on it keeps returning `None`. Otherwise the stream never ends: handlers are never
//! uninstalled and the pipe lives as long as the process.

use std::fmt;
use std::io::{self, PipeReader};
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
use std::pin::Pin;
// The handler runs in signal context, where only plain atomics are sound, and the registry is
// a process-wide static; neither can be loom's (which need a model to run in), so this module
// uses std's atomics and mutex directly rather than `crate::loom`.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures_io::AsyncRead;
use futures_util::task::AtomicWaker;

use crate::io::Async;
use crate::task::coop;

/// The largest signal number corio accepts: Linux's `SIGRTMAX`, and above every classic
/// signal of the BSDs and macOS (whose `sigaction` rejects the numbers they lack).
const MAX_SIGNAL: libc::c_int = 64;

/// Array length indexed by signal number (index 0 unused).
const SIGNAL_SLOTS: usize = MAX_SIGNAL as usize + 1;

/// Signals whose handling would be unsound or impossible: SIGKILL and SIGSTOP cannot be caught,
/// and returning from a handler of a synchronous fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE) re-runs
/// the faulting instruction forever.
const FORBIDDEN: [libc::c_int; 6] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
];

/// Set by the OS handler of signal `n` at index `n`; cleared by the dispatcher that fans the
/// delivery out. Read in signal context, hence plain static atomics.
static OS_PENDING: [AtomicBool; SIGNAL_SLOTS] = [const { AtomicBool::new(false) }; SIGNAL_SLOTS];

/// The process-wide registry, created empty at compile time.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    pipe: None,
    installed: [false; SIGNAL_SLOTS],
    listeners: [const { Vec::new() }; SIGNAL_SLOTS],
});

struct Registry {
    /// The self-pipe, created by the first [`signal`] call and never closed.
    pipe: Option<SelfPipe>,
    /// `installed[n]`: corio's handler for signal `n` is registered with the OS (never undone).
    installed: [bool; SIGNAL_SLOTS],
    /// `listeners[n]`: the slots of the live [`Signal`]s of signal `n`.
    listeners: [Vec<Arc<Slot>>; SIGNAL_SLOTS],
}

struct SelfPipe {
    /// The read end; each listener registers its own `dup` of it.
    reader: PipeReader,
    /// The non-blocking write end, leaked on purpose: handlers write to it until the process
    /// exits, so it must never be closed (or reused by another file).
    writer: RawFd,
}

/// One listener's state in the registry.
struct Slot {
    /// A delivery reached this listener and was not yet reported by `poll_recv`.
    pending: AtomicBool,
    /// The task waiting in `poll_recv`, woken by whichever listener dispatches.
    waker: AtomicWaker,
}

fn registry() -> MutexGuard<'static, Registry> {
    // A panic never leaves the registry half-updated (every update is one push or one remove),
    // so a poisoned lock is still consistent.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The kind of signal a [`Signal`] listens for: a signal number.
///
/// ```
/// use corio::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// The kind for signal number `signum`. Any number is accepted here; [`signal`] rejects the
    /// invalid and forbidden ones.
    ///
    /// ```
    /// use corio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::from_raw(libc::SIGTERM), SignalKind::terminate());
    /// ```
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    ///
    /// ```
    /// use corio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    /// ```
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }

    /// SIGALRM: a real-time timer expired.
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::alarm().as_raw_value(), libc::SIGALRM);
    /// ```
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGCHLD: a child process exited, stopped or continued.
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::child().as_raw_value(), libc::SIGCHLD);
    /// ```
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGHUP: the terminal hung up; daemons conventionally reload their configuration.
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    /// ```
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGINT: interrupt from the keyboard (Ctrl-C).
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::interrupt().as_raw_value(), libc::SIGINT);
    /// ```
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGPIPE: a write to a pipe or socket with no reader.
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::pipe().as_raw_value(), libc::SIGPIPE);
    /// ```
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGQUIT: quit from the keyboard (Ctrl-\).
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::quit().as_raw_value(), libc::SIGQUIT);
    /// ```
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGTERM: a polite request to terminate.
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    /// ```
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGUSR1: user-defined signal 1.
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    /// ```
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2: user-defined signal 2.
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    /// ```
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGWINCH: the terminal window changed size.
    ///
    /// ```
    /// assert_eq!(corio::signal::unix::SignalKind::window_change().as_raw_value(), libc::SIGWINCH);
    /// ```
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<libc::c_int> for SignalKind {
    fn from(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }
}

impl From<SignalKind> for libc::c_int {
    fn from(kind: SignalKind) -> libc::c_int {
        kind.0
    }
}

/// A listener for one kind of signal, created by [`signal`].
///
/// Each delivery of the signal to the process after `signal` returned reaches every live
/// listener of it exactly once; deliveries before a `recv` may coalesce into one. A listener
/// created after a delivery was dispatched does not see it. `Signal` is `Send + Sync`, works
/// from any worker (and may be moved to another runtime while that of its creation is alive),
/// implements [`futures_core::Stream`], and its drop unregisters it (the OS handler stays).
///
/// ```
/// use corio::signal::unix::{signal, SignalKind};
///
/// corio::run(async {
///     let mut hangup = signal(SignalKind::hangup())?;
///     // SAFETY: `raise` has no preconditions; SIGHUP is now handled by corio.
///     unsafe { libc::raise(libc::SIGHUP) };
///     assert_eq!(hangup.recv().await, Some(()));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct Signal {
    kind: SignalKind,
    slot: Arc<Slot>,
    /// This listener's dup of the self-pipe's read end, registered with a reactor.
    pipe: Async<PipeReader>,
}

/// Listens for signals of `kind`.
///
/// When it returns, corio's handler for the signal is installed (once per process, never
/// uninstalled; it replaces the signal's default action, so e.g. SIGINT no longer terminates the
/// process), so a signal sent right after is caught and received by the new listener.
///
/// Fails with `ErrorKind::InvalidInput` for a number that is not a signal (outside `1..=64`) or
/// a forbidden one (SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE), with `ErrorKind::Other`
/// outside a corio runtime (the listener registers with a reactor), and with the OS error when
/// the handler cannot be installed or the pipe cannot be created or duplicated.
///
/// ```
/// use corio::signal::unix::{signal, SignalKind};
///
/// corio::run(async {
///     let mut user1 = signal(SignalKind::user_defined1())?;
///     // SAFETY: `raise` has no preconditions; SIGUSR1 is now handled by corio.
///     unsafe { libc::raise(libc::SIGUSR1) };
///     user1.recv().await;
///
///     let error = signal(SignalKind::from_raw(libc::SIGKILL)).err().unwrap();
///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.0;
    if !(1..=MAX_SIGNAL).contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`signal`: {signum} is not a signal number (expected 1..={MAX_SIGNAL})"),
        ));
    }
    if FORBIDDEN.contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`signal`: signal {signum} cannot be listened for (SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, \
                 SIGILL and SIGFPE are forbidden)"
            ),
        ));
    }
    let reader = install(signum)?;
    // Registered outside the registry lock: registration takes the reactor's own lock.
    let pipe = Async::new(reader)?;
    let slot = Arc::new(Slot {
        pending: AtomicBool::new(false),
        waker: AtomicWaker::new(),
    });
    // Fan out what was delivered so far to the existing listeners, so that this one does not
    // report a delivery that happened before it was created, even when no listener has polled
    // since.
    dispatch();
    registry().listeners[signum as usize].push(slot.clone());
    Ok(Signal { kind, slot, pipe })
}

/// Creates the self-pipe if needed, installs the handler of `signum` if needed, and returns a
/// dup of the pipe's read end.
fn install(signum: libc::c_int) -> io::Result<PipeReader> {
    let mut registry = registry();
    if registry.pipe.is_none() {
        registry.pipe = Some(SelfPipe::new()?);
    }
    let pipe = registry.pipe.as_ref().expect("created above");
    let reader = pipe.reader.try_clone()?;
    let writer = pipe.writer;
    if !registry.installed[signum as usize] {
        let handler = move || {
            // Release: the dispatcher that reads the byte below and then clears the flag
            // (Acquire) sees the flag set. Only atomics and `write(2)` here: async-signal-safe.
            OS_PENDING[signum as usize].store(true, Ordering::Release);
            let byte = 1u8;
            // SAFETY: `writer` is the self-pipe's write end, open for the life of the process
            // (it is leaked), and `byte` is a valid 1-byte buffer. A full pipe (EAGAIN) is
            // fine: its unread bytes already make every listener readable. `write` is
            // async-signal-safe, and signal-hook-registry restores `errno` around handlers.
            unsafe { libc::write(writer, (&byte as *const u8).cast(), 1) };
        };
        // SAFETY: the action is async-signal-safe (an atomic store and `write(2)`, no
        // allocation, no lock), and `signum` is not one of signal-hook-registry's forbidden
        // signals (checked by the caller).
        unsafe { signal_hook_registry::register(signum, handler) }?;
        registry.installed[signum as usize] = true;
    }
    Ok(reader)
}

impl SelfPipe {
    fn new() -> io::Result<SelfPipe> {
        // `std::io::pipe` creates both ends close-on-exec.
        let (reader, writer) = io::pipe()?;
        let writer = writer.into_raw_fd();
        // SAFETY: `writer` is an open descriptor owned by this function; F_GETFL/F_SETFL only
        // change its flags.
        let result = unsafe {
            let flags = libc::fcntl(writer, libc::F_GETFL);
            if flags < 0 {
                flags
            } else {
                libc::fcntl(writer, libc::F_SETFL, flags | libc::O_NONBLOCK)
            }
        };
        if result < 0 {
            let error = io::Error::last_os_error();
            // SAFETY: `writer` is open, owned here and not yet shared with any handler.
            unsafe { libc::close(writer) };
            return Err(error);
        }
        Ok(SelfPipe { reader, writer })
    }
}

/// Drains as much of the self-pipe as this listener's dup can read, leaving its read interest
/// registered with the reactor when the pipe is empty. `Err` when the reactor is gone.
fn drain(pipe: &Async<PipeReader>, cx: &mut Context<'_>) -> Result<(), io::Error> {
    let mut buf = [0u8; 64];
    // 64 reads of 64 bytes drain a pipe filled by a storm of 4096 deliveries; past that,
    // yield (re-polling at once) rather than monopolise the worker.
    for _ in 0..64 {
        match Pin::new(&mut &*pipe).poll_read(cx, &mut buf) {
            Poll::Pending => return Ok(()),
            // The write end is never closed, so 0 cannot happen; treat it as empty.
            Poll::Ready(Ok(0)) => return Ok(()),
            Poll::Ready(Ok(_)) => continue,
            Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => continue,
            Poll::Ready(Err(error)) => return Err(error),
        }
    }
    cx.waker().wake_by_ref();
    Ok(())
}

/// Fans every signal whose OS flag is set out to all of its listeners, then wakes them.
fn dispatch() {
    let mut delivered = [false; SIGNAL_SLOTS];
    let mut any = false;
    for (signum, flag) in OS_PENDING.iter().enumerate().skip(1) {
        // Acquire pairs with the handler's Release (and the flag is cleared only after the
        // pipe was read, see the module docs).
        if flag.load(Ordering::Relaxed) && flag.swap(false, Ordering::Acquire) {
            delivered[signum] = true;
            any = true;
        }
    }
    if !any {
        return;
    }
    let to_wake: Vec<Arc<Slot>> = {
        let registry = registry();
        let mut to_wake = Vec::new();
        for (signum, listeners) in registry.listeners.iter().enumerate() {
            if delivered[signum] {
                for slot in listeners {
                    // Release: published before the wake below; the listener swaps it with
                    // Acquire.
                    slot.pending.store(true, Ordering::Release);
                    to_wake.push(slot.clone());
                }
            }
        }
        to_wake
    };
    // Woken (and the clones dropped) after the registry lock is released.
    for slot in to_wake {
        slot.waker.wake();
    }
}

impl Signal {
    /// Waits for the next delivery of the signal: `Some(())`, or `None` once the runtime whose
    /// reactor this listener registered with has shut down.
    ///
    /// Cancel-safe: a delivery that arrives while the future is dropped is kept for the next
    /// call.
    ///
    /// ```
    /// use corio::signal::unix::{signal, SignalKind};
    ///
    /// corio::run(async {
    ///     let mut user2 = signal(SignalKind::user_defined2())?;
    ///     // SAFETY: `raise` has no preconditions; SIGUSR2 is now handled by corio.
    ///     unsafe { libc::raise(libc::SIGUSR2) };
    ///     assert_eq!(user2.recv().await, Some(()));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery; see [`Signal::recv`]. Keeps one waker: the last task that
    /// polled is the one woken.
    ///
    /// ```
    /// use corio::signal::unix::{signal, SignalKind};
    ///
    /// corio::run(async {
    ///     let mut window = signal(SignalKind::window_change())?;
    ///     // SAFETY: `raise` has no preconditions; SIGWINCH is now handled by corio.
    ///     unsafe { libc::raise(libc::SIGWINCH) };
    ///     std::future::poll_fn(|cx| window.poll_recv(cx)).await;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        // Registered before the flag check, so a dispatch after the check wakes this task.
        self.slot.waker.register(cx.waker());
        let drained = drain(&self.pipe, cx);
        // Dispatch even if the reactor is gone: deliveries this listener drained must still
        // reach the others.
        dispatch();
        if self.slot.pending.swap(false, Ordering::Acquire) {
            return Poll::Ready(Some(()));
        }
        match drained {
            Ok(()) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }

    /// The kind of signal this listener receives.
    ///
    /// ```
    /// use corio::signal::unix::{signal, SignalKind};
    ///
    /// corio::run(async {
    ///     let quit = signal(SignalKind::quit())?;
    ///     assert_eq!(quit.kind(), SignalKind::quit());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl futures_core::Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .field("pipe", &self.pipe.get_ref().as_raw_fd())
            .finish()
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        let removed = {
            let mut registry = registry();
            let listeners = &mut registry.listeners[self.kind.0 as usize];
            listeners
                .iter()
                .position(|slot| Arc::ptr_eq(slot, &self.slot))
                .map(|index| listeners.swap_remove(index))
        };
        // Dropped after the lock is released (it may hold a waker).
        drop(removed);
    }
}

/// The error of [`ctrl_c`](super::ctrl_c) when its listener's runtime shut down.
pub(super) fn closed_error() -> io::Error {
    io::Error::other("the corio runtime that owned the signal listener has shut down")
}
