//! `Async<T>`: readiness-based async I/O for any file descriptor.
//!
//! This is asyncio's `add_reader`/`add_writer` and `sock_*` layer: wrap a non-blocking
//! descriptor, await `readable()`/`writable()`, or hand a closure to `read_with`/`write_with`
//! that performs the system call and is retried whenever it would block.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::{Direction, Reactor, Source};
use crate::task::coop;
use std::sync::Arc;

/// An I/O object registered with a corio reactor.
///
/// `Async::new` puts the descriptor in non-blocking mode and registers it, once, with the
/// reactor of the worker that calls it (off-worker callers are spread round-robin over the
/// workers). Readiness events then wake the tasks that wait on it, from any worker.
///
/// `Async<T>` implements [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`] when `T`
/// implements `Read`/`Write`, and so does `&Async<T>` when `&T` does (sockets), so one socket can
/// be read by one task and written by another.
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// use corio::io::{Async, AsyncReadExt, AsyncWriteExt};
///
/// corio::run(async {
///     let listener = Async::new(TcpListener::bind("127.0.0.1:0")?)?;
///     let addr = listener.get_ref().local_addr()?;
///     let server = corio::spawn(async move {
///         let (stream, _) = listener.read_with(|l| l.accept()).await?;
///         let mut stream = Async::new(stream)?;
///         let mut buf = [0; 5];
///         stream.read_exact(&mut buf).await?;
///         stream.write_all(&buf).await?;
///         std::io::Result::Ok(())
///     });
///     let mut client = Async::new(TcpStream::connect(addr)?)?;
///     client.write_all(b"hello").await?;
///     let mut echo = [0; 5];
///     client.read_exact(&mut echo).await?;
///     assert_eq!(&echo, b"hello");
///     server.await.unwrap()
/// })
/// .unwrap();
/// ```
pub struct Async<T: AsFd> {
    source: Arc<Source>,
    reactor: Arc<Reactor>,
    io: Option<T>,
}

impl<T: AsFd> Async<T> {
    /// Puts `io` in non-blocking mode and registers it with a reactor of the current runtime.
    ///
    /// Fails with `ErrorKind::Other` when called outside a corio runtime, and with the OS error
    /// when the descriptor cannot be registered (for example a regular file, which epoll
    /// refuses: use `spawn_blocking` for files).
    pub fn new(io: T) -> io::Result<Async<T>> {
        set_nonblocking(io.as_fd())?;
        let reactor = crate::runtime::context::reactor_for_new_source().ok_or_else(|| {
            io::Error::other(
                "`Async::new` called outside a corio runtime; create I/O objects inside a task or `block_on`",
            )
        })?;
        let source = reactor.register(io.as_fd())?;
        Ok(Async {
            source,
            reactor,
            io: Some(io),
        })
    }

    /// A reference to the inner I/O object.
    pub fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("the I/O object is only taken by `into_inner`")
    }

    /// A mutable reference to the inner I/O object.
    pub fn get_mut(&mut self) -> &mut T {
        self.io
            .as_mut()
            .expect("the I/O object is only taken by `into_inner`")
    }

    /// Deregisters the I/O object and returns it (still in non-blocking mode).
    pub fn into_inner(mut self) -> io::Result<T> {
        let io = self
            .io
            .take()
            .expect("the I/O object is only taken by `into_inner`");
        self.reactor.deregister(io.as_fd(), &self.source)?;
        Ok(io)
    }

    /// Waits until the I/O object is readable: level-triggered, like asyncio's `add_reader`.
    ///
    /// Readiness is edge-triggered underneath, and corio cannot see what the caller's own system
    /// calls consumed; so when readiness is recorded, `readable()` confirms it with the kernel
    /// (`poll(2)`, zero timeout) before answering, and waits for the next event if it is gone. A
    /// caller that drained the descriptor therefore never spins. `read_with` and the
    /// `AsyncRead` path skip this check: they learn from `WouldBlock` directly.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Direction::Read).await
    }

    /// Waits until the I/O object is writable. See [`Async::readable`].
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Direction::Write).await
    }

    /// Polls for read readiness, with the semantics of [`Async::readable`]. Like the
    /// `AsyncRead` methods, it keeps one waker per direction: one task at a time should poll
    /// it. Any number of tasks may await `readable()` or `read_with` concurrently.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready_checked(Direction::Read, cx, None)
    }

    /// Polls for write readiness; see [`Async::poll_readable`].
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready_checked(Direction::Write, cx, None)
    }

    /// Runs `op` until it does not fail with `WouldBlock`, waiting for read readiness between
    /// attempts.
    ///
    /// ```
    /// # use std::net::UdpSocket;
    /// # use corio::io::Async;
    /// corio::run(async {
    ///     let a = Async::new(UdpSocket::bind("127.0.0.1:0")?)?;
    ///     let b = UdpSocket::bind("127.0.0.1:0")?;
    ///     b.send_to(b"ping", a.get_ref().local_addr()?)?;
    ///     let mut buf = [0; 4];
    ///     let (n, _) = a.read_with(|s| s.recv_from(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn read_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io_with(Direction::Read, op).await
    }

    /// Like [`Async::read_with`], with mutable access to the I/O object.
    pub async fn read_with_mut<R>(&mut self, op: impl FnMut(&mut T) -> io::Result<R>) -> io::Result<R> {
        self.io_with_mut(Direction::Read, op).await
    }

    /// Runs `op` until it does not fail with `WouldBlock`, waiting for write readiness between
    /// attempts.
    pub async fn write_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io_with(Direction::Write, op).await
    }

    /// Like [`Async::write_with`], with mutable access to the I/O object.
    pub async fn write_with_mut<R>(&mut self, op: impl FnMut(&mut T) -> io::Result<R>) -> io::Result<R> {
        self.io_with_mut(Direction::Write, op).await
    }

    /// A shared-reference operation: many tasks may run one at once, so each future waits in a
    /// waiter slot of its own.
    async fn io_with<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        let mut guard = SlotGuard {
            source: &self.source,
            direction,
            slot: None,
        };
        std::future::poll_fn(|cx| {
            poll_io(
                &self.source,
                &self.reactor,
                direction,
                cx,
                Some(&mut guard.slot),
                || op(io),
            )
        })
        .await
    }

    /// An exclusive operation: nobody else can wait on this object meanwhile, so the primary
    /// waiter slot is enough.
    async fn io_with_mut<R>(
        &mut self,
        direction: Direction,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_with_mut(direction, cx, &mut op)).await
    }

    fn ready(&self, direction: Direction) -> impl Future<Output = io::Result<()>> + '_ {
        let mut guard = SlotGuard {
            source: &self.source,
            direction,
            slot: None,
        };
        std::future::poll_fn(move |cx| self.poll_ready_checked(direction, cx, Some(&mut guard.slot)))
    }

    /// Readiness for `readable()`/`writable()`, confirmed with the kernel's level state.
    fn poll_ready_checked(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut slot: Option<&mut Option<usize>>,
    ) -> Poll<io::Result<()>> {
        std::task::ready!(coop::poll_proceed(cx));
        loop {
            let event = match self.source.poll_ready(direction, cx, slot.as_deref_mut()) {
                Poll::Ready(event) => event,
                Poll::Pending if self.reactor.is_closed() => return Poll::Ready(Err(runtime_gone())),
                Poll::Pending => return Poll::Pending,
            };
            if level_ready(self.get_ref().as_fd(), direction)? {
                return Poll::Ready(Ok(()));
            }
            // Stale: the readiness was consumed by I/O we did not see.
            self.source.clear_ready(direction, event);
        }
    }
}

/// Releases a `readable()`/`writable()` waiter slot when the future completes or is dropped.
struct SlotGuard<'a> {
    source: &'a Source,
    direction: Direction,
    slot: Option<usize>,
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        self.source.release_slot(self.direction, &mut self.slot);
    }
}

/// One attempt of an I/O operation driven by readiness: wait for readiness, run `op`, and on
/// `WouldBlock` forget that readiness and wait again. `slot` as in `Source::poll_ready`.
fn poll_io<R>(
    source: &Source,
    reactor: &Reactor,
    direction: Direction,
    cx: &mut Context<'_>,
    slot: Option<&mut Option<usize>>,
    op: impl FnMut() -> io::Result<R>,
) -> Poll<io::Result<R>> {
    poll_io_draining(source, reactor, direction, cx, slot, op, |_| false)
}

/// `poll_io`, and a successful result for which `drained` says the kernel's buffer is now
/// empty forgets the readiness too, saving the `WouldBlock` attempt the next call would make.
fn poll_io_draining<R>(
    source: &Source,
    reactor: &Reactor,
    direction: Direction,
    cx: &mut Context<'_>,
    mut slot: Option<&mut Option<usize>>,
    mut op: impl FnMut() -> io::Result<R>,
    drained: impl Fn(&R) -> bool,
) -> Poll<io::Result<R>> {
    std::task::ready!(coop::poll_proceed(cx));
    loop {
        let event = match source.poll_ready(direction, cx, slot.as_deref_mut()) {
            Poll::Ready(event) => event,
            // Checked after the waker is registered: `Reactor::close` sets the flag and then
            // wakes every waiter, so we either see it here or get woken to see it next time.
            Poll::Pending if reactor.is_closed() => return Poll::Ready(Err(runtime_gone())),
            Poll::Pending => return Poll::Pending,
        };
        match op() {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => source.clear_ready(direction, event),
            Ok(value) if drained(&value) => {
                source.clear_ready_drained(event);
                return Poll::Ready(Ok(value));
            }
            result => return Poll::Ready(result),
        }
    }
}

/// The error of I/O waiting on the reactor of a runtime that has shut down.
fn runtime_gone() -> io::Error {
    io::Error::other("the corio runtime that owns this I/O object has shut down")
}

fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl on a descriptor borrowed for the duration of the call; F_GETFL/F_SETFL
    // neither read nor write memory of ours.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: as above.
        if unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Asks the kernel whether `fd` is ready in `direction` right now, without blocking.
fn level_ready(fd: BorrowedFd<'_>, direction: Direction) -> io::Result<bool> {
    let events = match direction {
        Direction::Read => libc::POLLIN | libc::POLLPRI | libc::POLLRDHUP,
        Direction::Write => libc::POLLOUT,
    };
    let mut pollfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    loop {
        // SAFETY: `pollfd` is a valid, initialised array of one element for the whole call.
        let n = unsafe { libc::poll(&mut pollfd, 1, 0) };
        if n >= 0 {
            return Ok(n > 0 && pollfd.revents != 0);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            // Deregister before `io` closes the descriptor (the contract of `Reactor::register`).
            let _ = self.reactor.deregister(io.as_fd(), &self.source);
            drop(io);
        }
    }
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async").field("io", &self.io).finish()
    }
}

impl<T: AsFd> Async<T> {
    /// One readiness-driven attempt with exclusive access, waiting in the primary slot.
    fn poll_with_mut<R>(
        &mut self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self
            .io
            .as_mut()
            .expect("the I/O object is only taken by `into_inner`");
        poll_io(&self.source, &self.reactor, direction, cx, None, || op(io))
    }

    /// One readiness-driven attempt through a shared reference, waiting in the primary slot
    /// (the futures-io convention: one reader and one writer at a time).
    fn poll_with<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        poll_io(&self.source, &self.reactor, direction, cx, None, || op(io))
    }
}

impl<T: AsFd> Async<T>
where
    for<'a> &'a T: Read,
{
    /// A read from a stream socket: as `AsyncRead` for `&Async<T>`, and with
    /// `short_read_drains`, a read that fills less than `buf` forgets the read readiness, as
    /// tokio does: on a TCP socket a short read means the receive buffer is empty now, and
    /// with edge triggering any later data is a new event. That saves the read that would
    /// only return `WouldBlock`, one system call per message of a request-reply protocol. The
    /// peer's end of stream cannot be lost to it even when it arrived in the same edge as the
    /// data: the registration asks for `EPOLLRDHUP`, and a read-closed source keeps its
    /// readiness (`Source::clear_ready_drained`).
    ///
    /// Not for Unix streams, where a read also stops after a segment that carried descriptors
    /// with more data queued behind it, nor for datagram or message sockets; generic
    /// `Async<T>` reads never assume it. One TCP case is the same, as in tokio: a read stops at
    /// the urgent mark of out-of-band data (`MSG_OOB` without `SO_OOBINLINE`), and data queued
    /// after it then waits for the next event.
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        short_read_drains: bool,
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let mut io = self.get_ref();
        poll_io_draining(
            &self.source,
            &self.reactor,
            Direction::Read,
            cx,
            None,
            || io.read(buf),
            |&read| short_read_drains && read > 0 && read < len,
        )
    }
}

impl<T: AsFd + Read + Unpin> AsyncRead for Async<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_with_mut(Direction::Read, cx, |io| io.read(buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_with_mut(Direction::Read, cx, |io| io.read_vectored(bufs))
    }
}

impl<T: AsFd> AsyncRead for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_with(Direction::Read, cx, |mut io| io.read(buf))
    }
}

impl<T: AsFd + Write + Unpin> AsyncWrite for Async<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_with_mut(Direction::Write, cx, |io| io.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_with_mut(Direction::Write, cx, |io| io.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_with_mut(Direction::Write, cx, |io| io.flush())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T: AsFd> AsyncWrite for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_with(Direction::Write, cx, |mut io| io.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_with(Direction::Write, cx, |mut io| io.flush())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
