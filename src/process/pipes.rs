//! The child's standard streams as async pipes.
//!
//! Each pipe end std hands back after `spawn` is put in non-blocking mode and wrapped in
//! [`Async`], so it is registered with a reactor exactly like a socket: reads and writes are
//! retried when the reactor reports readiness. Only the parent's end changes mode; the child's
//! end is a separate open file description and stays blocking.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::Async;

macro_rules! pipe_fd {
    ($($ty:ident),*) => {$(
        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.as_fd()
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.io.as_fd().as_raw_fd()
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("fd", &self.as_raw_fd()).finish()
            }
        }
    )*};
}

/// The write end of a child's standard input, created by [`Stdio::piped`](super::Stdio::piped).
///
/// Dropping it closes the pipe, which the child reads as end of file.
///
/// ```
/// use corio::io::{AsyncReadExt, AsyncWriteExt};
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"ping").await?;
///     drop(stdin); // end of file for `cat`
///     let mut echoed = String::new();
///     child.stdout.take().unwrap().read_to_string(&mut echoed).await?;
///     assert_eq!(echoed, "ping");
///     child.wait().await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct ChildStdin {
    io: Async<std::process::ChildStdin>,
}

/// The read end of a child's standard output, created by [`Stdio::piped`](super::Stdio::piped).
///
/// ```
/// use corio::io::AsyncReadExt;
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
///     let mut out = String::new();
///     child.stdout.take().unwrap().read_to_string(&mut out).await?;
///     assert_eq!(out, "hi\n");
///     child.wait().await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct ChildStdout {
    io: Async<std::process::ChildStdout>,
}

/// The read end of a child's standard error, created by [`Stdio::piped`](super::Stdio::piped).
///
/// ```
/// use corio::io::AsyncReadExt;
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let mut child = Command::shell("echo oops >&2").stderr(Stdio::piped()).spawn()?;
///     let mut err = String::new();
///     child.stderr.take().unwrap().read_to_string(&mut err).await?;
///     assert_eq!(err, "oops\n");
///     child.wait().await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct ChildStderr {
    io: Async<std::process::ChildStderr>,
}

pipe_fd!(ChildStdin, ChildStdout, ChildStderr);

impl ChildStdin {
    pub(super) fn new(pipe: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            io: Async::new(pipe)?,
        })
    }
}

impl ChildStdout {
    pub(super) fn new(pipe: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout {
            io: Async::new(pipe)?,
        })
    }
}

impl ChildStderr {
    pub(super) fn new(pipe: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr {
            io: Async::new(pipe)?,
        })
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    /// Flushes; the pipe itself closes when the `ChildStdin` is dropped.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}
