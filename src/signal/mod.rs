//! Asynchronous signal handling: asyncio's `loop.add_signal_handler`, with tokio's API.
//!
//! [`ctrl_c`] waits for one SIGINT; [`unix::signal`] gives a [`unix::Signal`] stream for any
//! catchable signal. Every listener of a signal receives every delivery that happens while it
//! exists (several deliveries before a `recv` may coalesce into one, as in tokio).
//!
//! # Design
//!
//! The OS handler, installed once per signal number through `signal_hook_registry` and never
//! uninstalled, is async-signal-safe: it sets that signal's entry in a static array of
//! `AtomicBool`s and writes one byte to a process-wide non-blocking self-pipe. It neither
//! allocates nor locks.
//!
//! There is no driver thread and no driver task. Each [`unix::Signal`] owns a *dup* of the pipe's
//! read end, registered with the reactor of the runtime that created it as an
//! [`Async`](crate::io::Async). A byte written to the pipe makes every dup readable, so every
//! listener, in whatever runtime, is woken by its own reactor. Whichever listener is polled
//! drains the pipe and then *dispatches*: it clears each signal's OS flag that is set and, for
//! each such signal, sets the `pending` flag of every listener slot of that signal in the global
//! registry and wakes the slot's waker (after releasing the registry lock). A listener then
//! reports a delivery when it finds its own `pending` flag set.
//!
//! Invariants that make this lossless:
//! - The handler sets the OS flag *before* writing the byte, and a dispatcher reads the pipe
//!   *before* clearing flags; so a flag the dispatcher misses always has a byte behind it that
//!   makes every dup readable again, and some listener dispatches it.
//! - A listener registers its waker in its slot *before* it drains and checks its flag, so a
//!   dispatch that sets the flag after the check wakes it.
//!
//! - [`unix::signal`] dispatches once before adding the new listener's slot, so a listener never
//!   reports a delivery whose handler finished before it was created, even if nobody polled.
//!
//! `recv` yields `None` only once the runtime whose reactor holds the listener's pipe dup has
//! shut down (tokio's listeners end when their driver is gone). The cost of needing no driver is
//! one file descriptor per live listener.

pub mod unix;

use std::io;

/// Waits for the next SIGINT (Ctrl-C) delivered to the process.
///
/// It is a [`unix::signal`]`(SignalKind::interrupt())` created on the first poll and awaited
/// once. That first poll installs corio's SIGINT handler, which replaces the default action
/// (terminating the process) for the rest of the process's life, as tokio's does; a SIGINT
/// delivered after the first poll returned is received. Fails outside a corio runtime, and when
/// the runtime whose reactor the listener was registered with shuts down while it waits.
///
/// ```
/// use std::future::Future;
/// use std::task::Poll;
///
/// corio::run(async {
///     let mut ctrl_c = std::pin::pin!(corio::signal::ctrl_c());
///     // The first poll installs the handler and starts listening.
///     std::future::poll_fn(|cx| {
///         assert!(ctrl_c.as_mut().poll(cx).is_pending());
///         Poll::Ready(())
///     })
///     .await;
///     // SAFETY: `raise` has no preconditions; SIGINT is now handled by corio.
///     unsafe { libc::raise(libc::SIGINT) };
///     ctrl_c.await
/// })
/// .unwrap();
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupt = unix::signal(unix::SignalKind::interrupt())?;
    match interrupt.recv().await {
        Some(()) => Ok(()),
        None => Err(unix::closed_error()),
    }
}
