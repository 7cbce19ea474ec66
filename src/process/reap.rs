//! Learning that a child exited, and reaping it: pidfds first, SIGCHLD as the fallback, and the
//! orphan list that guarantees no zombie outlives its chance to be reaped.
//!
//! * **pidfd** (Linux 5.3+): `pidfd_open(pid)` gives a descriptor that polls readable once the
//!   child has exited. It is wrapped in [`Async`] like a socket, so a waiting task sleeps on the
//!   reactor and is woken by the exit itself; it then reaps with `waitpid(pid, WNOHANG)`.
//! * **SIGCHLD fallback**, used when `pidfd_open` is refused (`ENOSYS` on old kernels, `EPERM`
//!   under some seccomp filters), or forced with `CORIO_PROCESS_FORCE_SIGCHLD=1` in the
//!   environment (read once; a testing knob). A `SIGCHLD` handler, registered through
//!   `signal-hook-registry` so it coexists with other handlers, writes one byte to a
//!   non-blocking self-pipe. A private thread (`corio-sigchld`) blocks reading that pipe and, on
//!   each wake, notifies every waiting child (each then tries `waitpid(its pid, WNOHANG)`) and
//!   reaps the orphans. A thread rather than a reactor registration, so that the fallback does
//!   not depend on any runtime staying alive. Waiters enable their `Notified` before checking
//!   the child, so an exit between the check and the sleep is never missed.
//! * **Orphans**: a child whose `Child` handle is gone while it still runs is reaped by a
//!   background task on the current runtime awaiting its pidfd. Where that is impossible (no
//!   runtime, the fallback mode, or the runtime shutting down and dropping that task) its pid
//!   joins a global list that is reaped opportunistically with `WNOHANG`: at every
//!   `Command::spawn`, every drop of a `Child`, and every SIGCHLD of the fallback.
//!
//! Only ever `waitpid(<one of our pids>)` is called, never `waitpid(-1)`: children spawned by
//! other code in the process (`std::process`) are left to their owners.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::io::Async;
use crate::sync::Notify;

/// How a running child's exit is observed.
pub(super) enum ExitWatcher {
    /// A pidfd registered with a reactor: readable once the child exited.
    Pidfd(Async<OwnedFd>),
    /// The process-wide SIGCHLD self-pipe; wait on [`sigchld_notify`].
    Sigchld,
}

/// Set once `pidfd_open` was refused: later spawns go straight to the fallback.
static PIDFD_UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// Pids of children nobody waits for any more. A plain `std` mutex: process-wide state, never
/// part of a loom model, held only for `waitpid(WNOHANG)` calls that do not block.
static ORPHANS: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

fn force_sigchld() -> bool {
    static FORCE: OnceLock<bool> = OnceLock::new();
    *FORCE.get_or_init(|| std::env::var_os("CORIO_PROCESS_FORCE_SIGCHLD").is_some_and(|v| v == "1"))
}

fn use_fallback() -> bool {
    // Relaxed: a stale `false` only costs one more refused `pidfd_open`.
    force_sigchld() || PIDFD_UNSUPPORTED.load(Ordering::Relaxed)
}

/// Called before spawning: in fallback mode the SIGCHLD handler must exist before the child
/// does, so that its exit cannot go unannounced.
pub(super) fn prepare() -> io::Result<()> {
    if use_fallback() {
        install_sigchld()?;
    }
    Ok(())
}

/// Chooses and sets up the exit watcher for the freshly spawned `pid`.
pub(super) fn watch(pid: u32) -> io::Result<ExitWatcher> {
    if !use_fallback() {
        match pidfd_open(pid) {
            Ok(fd) => return Ok(ExitWatcher::Pidfd(Async::new(fd)?)),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) => {
                PIDFD_UNSUPPORTED.store(true, Ordering::Relaxed);
            }
            Err(e) => return Err(e),
        }
    }
    // Installed after the spawn on the first refusal: still sound, because a waiter checks the
    // child after enabling its wake-up, never relying on a SIGCHLD sent before the handler.
    install_sigchld()?;
    Ok(ExitWatcher::Sigchld)
}

fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: pidfd_open takes a pid and a flags word (0) and touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor (close-on-exec by definition); nothing
    // else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

/// `waitpid(pid, WNOHANG)`: `true` once the child is reaped (now or earlier, `ECHILD`).
pub(super) fn reap_nohang(pid: libc::pid_t) -> bool {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer for the duration of the call.
        let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        match reaped {
            0 => return false,
            -1 if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => continue,
            // Our pid (reaped now), or ECHILD: not ours to wait for any more.
            _ => return true,
        }
    }
}

/// Hands a still-running child to the orphan list.
///
/// The list is reaped again right after the push: a child that exited between its owner's last
/// check and the push (its SIGCHLD already consumed by a reap that did not see it yet) is
/// reaped here instead of waiting for the next opportunity.
pub(super) fn adopt(pid: libc::pid_t) {
    let mut orphans = lock_static(&ORPHANS);
    orphans.push(pid);
    orphans.retain(|&pid| !reap_nohang(pid));
}

/// Reaps every orphan that has exited.
pub(super) fn reap_orphans() {
    lock_static(&ORPHANS).retain(|&pid| !reap_nohang(pid));
}

/// A dropped, still-running child, reaped by a background task awaiting its pidfd. If the task
/// is dropped first (the runtime shuts down), the child is reaped now if it has exited, or
/// joins the orphan list.
pub(super) struct Orphan {
    pub(super) pid: libc::pid_t,
    pub(super) pidfd: Async<OwnedFd>,
    pub(super) reaped: bool,
}

impl Orphan {
    pub(super) async fn reap(mut self) {
        while !self.reaped {
            if self.pidfd.readable().await.is_err() {
                // The reactor failed us: leave the child to the orphan list (in `drop`).
                return;
            }
            self.reaped = reap_nohang(self.pid);
        }
    }
}

impl Drop for Orphan {
    fn drop(&mut self) {
        if !self.reaped && !reap_nohang(self.pid) {
            adopt(self.pid);
        }
    }
}

/// Wakes the children waiting in fallback mode.
pub(super) fn sigchld_notify() -> &'static Notify {
    static NOTIFY: OnceLock<Notify> = OnceLock::new();
    NOTIFY.get_or_init(Notify::new)
}

/// Installs the SIGCHLD handler and its reader thread, once per process.
fn install_sigchld() -> io::Result<()> {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = lock_static(&INSTALLED);
    if *installed {
        return Ok(());
    }
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid out-array of two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 just created both descriptors; each is owned exactly once here.
    let (read_end, write_end) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // The handler must never block: a full pipe already guarantees a pending wake.
    // SAFETY: fcntl on a descriptor we own.
    if unsafe { libc::fcntl(write_end.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    std::thread::Builder::new()
        .name("corio-sigchld".into())
        .spawn(move || sigchld_thread(read_end))?;
    // Leaked on purpose: the handler stays installed for the life of the process.
    let write_fd = write_end.into_raw_fd();
    // SAFETY: the action only calls write(2), which is async-signal-safe; it allocates nothing,
    // takes no lock and preserves errno-independent behaviour (a failed write is harmless).
    unsafe {
        signal_hook_registry::register(libc::SIGCHLD, move || {
            let errno = *libc::__errno_location();
            libc::write(write_fd, [1u8].as_ptr().cast(), 1);
            *libc::__errno_location() = errno;
        })
    }?;
    *installed = true;
    Ok(())
}

fn sigchld_thread(read_end: OwnedFd) {
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes; `read_end` is open (owned here).
        let n = unsafe { libc::read(read_end.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 {
            return; // unreachable in practice: the write end is never closed
        }
        if n < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
        sigchld_notify().notify_waiters();
        reap_orphans();
    }
}

/// Locks a process-wide static, ignoring poisoning (nothing is left half-updated under these
/// locks). These statics are std's even under `--cfg loom`: they live for the whole process,
/// outside any loom model, so the `crate::loom` facade does not apply to them.
fn lock_static<T>(mutex: &'static std::sync::Mutex<T>) -> std::sync::MutexGuard<'static, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
