//! Subprocesses: asyncio's `create_subprocess_exec`/`create_subprocess_shell` and `Process`,
//! with tokio's method names.
//!
//! [`Command`] wraps [`std::process::Command`], which does the spawning itself (so a missing
//! program fails at [`Command::spawn`] with `ErrorKind::NotFound`). After the spawn:
//!
//! * the parent's ends of the piped standard streams are made non-blocking and registered with
//!   a reactor like sockets ([`ChildStdin`] is `AsyncWrite`, [`ChildStdout`]/[`ChildStderr`]
//!   are `AsyncRead`);
//! * the child's exit is watched through a pidfd registered with a reactor, or, where the
//!   kernel refuses `pidfd_open`, through a private SIGCHLD self-pipe (see `reap.rs`);
//! * the child is reaped with `waitpid(pid, WNOHANG)` once its exit is announced.
//!
//! # Invariants
//!
//! * A pid is only ever signalled while the child is unreaped: the zombie keeps the pid from
//!   being recycled, and only corio reaps it. Once reaped, [`Child::id`] is `None` and the
//!   signalling methods are no-ops returning `Ok(())`.
//! * No zombie is left behind: a [`Child`] dropped while running (killed first under
//!   [`Command::kill_on_drop`]) is reaped by a background task on the current runtime awaiting
//!   its pidfd; without a runtime (or in fallback mode, or when the runtime shuts down before
//!   the child exits) its pid joins a global orphan list reaped with `WNOHANG` at every
//!   `spawn`, every drop of a `Child`, and every SIGCHLD in fallback mode. A child that
//!   has already exited is always reaped on the spot.
//! * [`Child::wait`] is cancel-safe and idempotent: it caches the status.
//! * A `Child` is meant to be awaited on the runtime that spawned it (its pidfd and pipes are
//!   registered with that runtime's reactors).

mod pipes;
mod reap;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;

pub use std::process::{ExitStatus, Output, Stdio};

pub use pipes::{ChildStderr, ChildStdin, ChildStdout};
use reap::ExitWatcher;

use crate::io::{AsyncReadExt, AsyncWriteExt};

/// A process builder: [`std::process::Command`] plus async spawning and waiting.
///
/// The builder methods return `&mut Command` so calls chain; [`spawn`](Command::spawn),
/// [`output`](Command::output) and [`status`](Command::status) may be called repeatedly.
///
/// ```
/// use corio::process::Command;
///
/// corio::run(async {
///     let output = Command::new("echo").arg("hello").output().await?;
///     assert!(output.status.success());
///     assert_eq!(output.stdout, b"hello\n");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    stdin_set: bool,
}

impl Command {
    /// A command running `program` (looked up in `PATH` when it has no `/`), with no
    /// arguments, the parent's environment and working directory, and inherited stdio.
    ///
    /// ```
    /// corio::run(async {
    ///     let status = corio::process::Command::new("true").status().await.unwrap();
    ///     assert!(status.success());
    /// });
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: std::process::Command::new(program),
            kill_on_drop: false,
            stdin_set: false,
        }
    }

    /// A command running `cmdline` through the shell: `/bin/sh -c cmdline`
    /// (asyncio's `create_subprocess_shell`). Quoting `cmdline` is the caller's job.
    ///
    /// ```
    /// corio::run(async {
    ///     let output = corio::process::Command::shell("echo $((6*7))").output().await.unwrap();
    ///     assert_eq!(output.stdout, b"42\n");
    /// });
    /// ```
    pub fn shell(cmdline: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(cmdline);
        command
    }

    /// Appends one argument.
    ///
    /// ```
    /// corio::run(async {
    ///     let out = corio::process::Command::new("echo").arg("a b").output().await.unwrap();
    ///     assert_eq!(out.stdout, b"a b\n");
    /// });
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Appends several arguments.
    ///
    /// ```
    /// corio::run(async {
    ///     let out = corio::process::Command::new("echo").args(["a", "b"]).output().await.unwrap();
    ///     assert_eq!(out.stdout, b"a b\n");
    /// });
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets one environment variable for the child.
    ///
    /// ```
    /// corio::run(async {
    ///     let out = corio::process::Command::shell("echo $GREETING")
    ///         .env("GREETING", "hi")
    ///         .output()
    ///         .await
    ///         .unwrap();
    ///     assert_eq!(out.stdout, b"hi\n");
    /// });
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets several environment variables for the child.
    ///
    /// ```
    /// corio::run(async {
    ///     let out = corio::process::Command::shell("echo $A$B")
    ///         .envs([("A", "1"), ("B", "2")])
    ///         .output()
    ///         .await
    ///         .unwrap();
    ///     assert_eq!(out.stdout, b"12\n");
    /// });
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes one variable from the child's environment.
    ///
    /// ```
    /// corio::run(async {
    ///     let out = corio::process::Command::shell("echo ${GREETING-unset}")
    ///         .env("GREETING", "hi")
    ///         .env_remove("GREETING")
    ///         .output()
    ///         .await
    ///         .unwrap();
    ///     assert_eq!(out.stdout, b"unset\n");
    /// });
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the child's environment (variables set afterwards are kept).
    ///
    /// ```
    /// corio::run(async {
    ///     let out = corio::process::Command::new("/usr/bin/env").env_clear().env("ONLY", "1")
    ///         .output()
    ///         .await
    ///         .unwrap();
    ///     assert_eq!(out.stdout, b"ONLY=1\n");
    /// });
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// ```
    /// corio::run(async {
    ///     let out = corio::process::Command::new("pwd").current_dir("/").output().await.unwrap();
    ///     assert_eq!(out.stdout, b"/\n");
    /// });
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Configures the child's standard input ([`Stdio::piped`] gives [`Child::stdin`]).
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    ///     let out = child.communicate(Some(b"data".to_vec())).await?;
    ///     assert_eq!(out.stdout, b"data");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// Configures the child's standard output ([`Stdio::piped`] gives [`Child::stdout`]).
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let status = Command::new("echo").stdout(Stdio::null()).status().await.unwrap();
    ///     assert!(status.success());
    /// });
    /// ```
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Configures the child's standard error ([`Stdio::piped`] gives [`Child::stderr`]).
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let child = Command::shell("echo e >&2").stderr(Stdio::piped()).spawn().unwrap();
    ///     let out = child.wait_with_output().await.unwrap();
    ///     assert_eq!(out.stderr, b"e\n");
    /// });
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether a [`Child`] dropped while still running is sent `SIGKILL` (default `false`).
    /// Either way the child is reaped in the background (see the module docs).
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// corio::run(async {
    ///     let child = Command::new("sleep").arg("1000").kill_on_drop(true).spawn().unwrap();
    ///     drop(child); // killed, then reaped by a background task
    /// });
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Starts the child (asyncio's `create_subprocess_exec`).
    ///
    /// Must be called inside a corio runtime (the pipes and the exit watcher are registered
    /// with its reactors); fails with `ErrorKind::Other` otherwise, and with the error of
    /// `std::process::Command::spawn` when the program cannot be started (`NotFound` for a
    /// missing program).
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// corio::run(async {
    ///     let mut child = Command::new("true").spawn().unwrap();
    ///     assert!(child.wait().await.unwrap().success());
    ///     let missing = Command::new("/no/such/program").spawn().unwrap_err();
    ///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    /// });
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        if crate::Handle::try_current().is_err() {
            return Err(io::Error::other(
                "`Command::spawn` called outside a corio runtime; spawn children inside a task or `block_on`",
            ));
        }
        reap::reap_orphans();
        reap::prepare()?;
        let child = self.std.spawn()?;
        Child::from_std(child, self.kill_on_drop)
    }

    /// Runs the child to completion, capturing its stdout and stderr (both always piped); its
    /// stdin is `/dev/null` unless [`stdin`](Command::stdin) was set.
    ///
    /// ```
    /// corio::run(async {
    ///     let out = corio::process::Command::shell("echo out; echo err >&2; exit 3")
    ///         .output()
    ///         .await
    ///         .unwrap();
    ///     assert_eq!(out.status.code(), Some(3));
    ///     assert_eq!((out.stdout.as_slice(), out.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
    /// });
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        if !self.stdin_set {
            self.std.stdin(Stdio::null());
        }
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        self.spawn()?.wait_with_output().await
    }

    /// Runs the child to completion and returns its exit status. Pipes configured with
    /// [`Stdio::piped`] are closed at once.
    ///
    /// ```
    /// corio::run(async {
    ///     let status = corio::process::Command::shell("exit 3").status().await.unwrap();
    ///     assert_eq!(status.code(), Some(3));
    /// });
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        drop((child.stdin.take(), child.stdout.take(), child.stderr.take()));
        child.wait().await
    }
}

/// A spawned child process (asyncio's `Process`).
///
/// Dropping a `Child` never leaves a zombie (see the module docs); it does not kill the child
/// unless [`Command::kill_on_drop`] was set.
///
/// ```
/// use corio::process::Command;
///
/// corio::run(async {
///     let mut child = Command::new("sleep").arg("1000").spawn()?;
///     assert!(child.id().is_some());
///     child.kill().await?;
///     assert!(child.id().is_none());
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct Child {
    /// The write end of the child's stdin, when it was [`Stdio::piped`].
    pub stdin: Option<ChildStdin>,
    /// The read end of the child's stdout, when it was [`Stdio::piped`].
    pub stdout: Option<ChildStdout>,
    /// The read end of the child's stderr, when it was [`Stdio::piped`].
    pub stderr: Option<ChildStderr>,
    std: std::process::Child,
    /// `None` once reaped.
    watcher: Option<ExitWatcher>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
}

impl Child {
    fn from_std(mut std: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let (stdin, stdout, stderr) = (std.stdin.take(), std.stdout.take(), std.stderr.take());
        let parts = (|| {
            Ok((
                reap::watch(std.id())?,
                stdin.map(ChildStdin::new).transpose()?,
                stdout.map(ChildStdout::new).transpose()?,
                stderr.map(ChildStderr::new).transpose()?,
            ))
        })();
        match parts {
            Ok((watcher, stdin, stdout, stderr)) => Ok(Child {
                stdin,
                stdout,
                stderr,
                std,
                watcher: Some(watcher),
                status: None,
                kill_on_drop,
            }),
            Err(e) => {
                // Setting up failed after the spawn: do not leave the child behind. Reaping a
                // SIGKILLed child blocks only for the moment the kernel takes to tear it down.
                let _ = std.kill();
                let _ = std.wait();
                Err(e)
            }
        }
    }

    /// The child's pid, or `None` once it has been reaped (its pid may then belong to another
    /// process).
    ///
    /// ```
    /// corio::run(async {
    ///     let mut child = corio::process::Command::new("true").spawn().unwrap();
    ///     assert!(child.id().is_some());
    ///     child.wait().await.unwrap();
    ///     assert_eq!(child.id(), None);
    /// });
    /// ```
    pub fn id(&self) -> Option<u32> {
        self.status.is_none().then(|| self.std.id())
    }

    /// Waits for the child to exit and reaps it. Cancel-safe and idempotent: once the child is
    /// reaped, every call returns the same status at once. Does not close the child's stdin;
    /// drop [`Child::stdin`] first if the child waits for end of input.
    ///
    /// ```
    /// corio::run(async {
    ///     let mut child = corio::process::Command::shell("exit 3").spawn().unwrap();
    ///     assert_eq!(child.wait().await.unwrap().code(), Some(3));
    ///     assert_eq!(child.wait().await.unwrap().code(), Some(3));
    /// });
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            match &self.watcher {
                Some(ExitWatcher::Pidfd(pidfd)) => pidfd.readable().await?,
                Some(ExitWatcher::Sigchld) => {
                    let notified = reap::sigchld_notify().notified();
                    let mut notified = std::pin::pin!(notified);
                    // Enabled before checking, so a SIGCHLD between the check and the sleep
                    // still wakes us.
                    notified.as_mut().enable();
                    if let Some(status) = self.try_wait()? {
                        return Ok(status);
                    }
                    notified.await;
                }
                None => unreachable!("the watcher is only dropped once the status is known"),
            }
        }
    }

    /// Reaps the child if it has exited, without waiting: `Ok(None)` while it runs.
    ///
    /// ```
    /// corio::run(async {
    ///     let mut child = corio::process::Command::new("sleep").arg("1000").spawn().unwrap();
    ///     assert!(child.try_wait().unwrap().is_none());
    ///     child.kill().await.unwrap();
    ///     assert!(child.try_wait().unwrap().is_some());
    /// });
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let status = self.std.try_wait()?;
        if status.is_some() {
            self.status = status;
            self.watcher = None;
        }
        Ok(status)
    }

    /// Sends signal `signal` (for example `libc::SIGUSR1`) to the child. A no-op returning
    /// `Ok(())` once the child has been reaped, so a recycled pid is never signalled; an
    /// invalid signal number gives the OS error (`EINVAL`).
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// corio::run(async {
    ///     let mut child = corio::process::Command::new("sleep").arg("1000").spawn().unwrap();
    ///     child.send_signal(15).unwrap(); // SIGTERM
    ///     assert_eq!(child.wait().await.unwrap().signal(), Some(15));
    /// });
    /// ```
    pub fn send_signal(&mut self, signal: i32) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        let pid = libc::pid_t::try_from(self.std.id()).map_err(io::Error::other)?;
        // SAFETY: kill(2) takes plain integers. The pid is still ours: the child is unreaped
        // (we are its only reaper), so its pid cannot have been recycled.
        if unsafe { libc::kill(pid, signal) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends `SIGTERM` (asyncio's `Process.terminate`); see [`Child::send_signal`].
    ///
    /// ```
    /// corio::run(async {
    ///     let mut child = corio::process::Command::new("sleep").arg("1000").spawn().unwrap();
    ///     child.terminate().unwrap();
    ///     assert!(!child.wait().await.unwrap().success());
    /// });
    /// ```
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Sends `SIGKILL` without waiting (asyncio's `Process.kill`); see [`Child::send_signal`].
    ///
    /// ```
    /// corio::run(async {
    ///     let mut child = corio::process::Command::new("sleep").arg("1000").spawn().unwrap();
    ///     child.start_kill().unwrap();
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// Sends `SIGKILL` and waits until the child is reaped. `Ok(())` if it had already exited.
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// corio::run(async {
    ///     let mut child = corio::process::Command::new("sleep").arg("1000").spawn().unwrap();
    ///     child.kill().await.unwrap();
    ///     assert_eq!(child.wait().await.unwrap().signal(), Some(9));
    /// });
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Closes stdin, reads stdout and stderr to the end while the child runs (so a child that
    /// fills a pipe never deadlocks), then waits for it. Pipes that were not piped give empty
    /// vectors.
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn().unwrap();
    ///     let out = child.wait_with_output().await.unwrap();
    ///     assert_eq!(out.stdout, b"hi\n");
    /// });
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        self.communicate(None).await
    }

    /// asyncio's `Process.communicate`: writes `input` to stdin and closes it, while reading
    /// stdout and stderr to the end concurrently (no deadlock however large either side is),
    /// then waits for the child.
    ///
    /// `input` with a stdin that is not piped is an `InvalidInput` error. A child that exits
    /// without reading all its input is not an error (`BrokenPipe` is ignored, as in asyncio).
    /// Cancelling drops the pipes (the child sees end of file / a broken pipe) and loses the
    /// output read so far; the child itself can still be waited for.
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let mut child = Command::new("tr").arg("a-z").arg("A-Z")
    ///         .stdin(Stdio::piped())
    ///         .stdout(Stdio::piped())
    ///         .spawn()?;
    ///     let out = child.communicate(Some(b"shout".to_vec())).await?;
    ///     assert_eq!(out.stdout, b"SHOUT");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn communicate(&mut self, input: Option<Vec<u8>>) -> io::Result<Output> {
        let stdin = self.stdin.take();
        if input.is_some() && stdin.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "`Child::communicate` got input but the child's stdin is not piped; \
                 spawn it with `stdin(Stdio::piped())`",
            ));
        }
        let feed = async move {
            if let (Some(mut stdin), Some(input)) = (stdin, input) {
                match stdin.write_all(&input).await {
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                        ) => {}
                    result => result?,
                }
            }
            // `stdin` was dropped above (or never existed): the child sees end of file.
            io::Result::Ok(())
        };
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        let read_stdout = async move {
            let mut buf = Vec::new();
            if let Some(mut stdout) = stdout {
                stdout.read_to_end(&mut buf).await?;
            }
            io::Result::Ok(buf)
        };
        let read_stderr = async move {
            let mut buf = Vec::new();
            if let Some(mut stderr) = stderr {
                stderr.read_to_end(&mut buf).await?;
            }
            io::Result::Ok(buf)
        };
        let ((), stdout, stderr) = futures_util::future::try_join3(feed, read_stdout, read_stderr).await?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.std.id())
            .field("status", &self.status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        reap::reap_orphans();
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            let _ = self.start_kill();
        }
        if !matches!(self.try_wait(), Ok(None)) {
            return; // reaped now, or no longer ours to wait for
        }
        let Ok(pid) = libc::pid_t::try_from(self.std.id()) else {
            return;
        };
        match (self.watcher.take(), crate::Handle::try_current()) {
            (Some(ExitWatcher::Pidfd(pidfd)), Ok(handle)) => {
                let orphan = reap::Orphan {
                    pid,
                    pidfd,
                    reaped: false,
                };
                drop(handle.spawn(orphan.reap()));
            }
            _ => reap::adopt(pid),
        }
    }
}
