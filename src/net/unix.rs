//! Unix domain sockets: `UnixListener`, `UnixStream`, `UnixDatagram` (asyncio's
//! `open_unix_connection` / `start_unix_server` sockets).

use std::fmt;
use std::io::{self};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, Socket, Type};

use super::split::{self, HalfClose};
use crate::io::Async;

/// A Unix domain socket server.
///
/// ```
/// use corio::net::{UnixListener, UnixStream};
///
/// corio::run(async {
///     let dir = std::env::temp_dir().join(format!("corio-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir)?;
///     let path = dir.join("listener.sock");
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     let client = corio::spawn({
///         let path = path.clone();
///         async move { UnixStream::connect(path).await }
///     });
///     let (_stream, _addr) = listener.accept().await?;
///     client.await.unwrap()?;
///     std::fs::remove_dir_all(&dir)
/// })
/// .unwrap();
/// ```
pub struct UnixListener {
    io: Async<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Binds to the socket file at `path` and listens. Must be called in a corio runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Wraps a listener from the standard library (made non-blocking here).
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Async::new(listener)?,
        })
    }

    /// Gives back the standard library listener (left non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.io.into_inner()
    }

    /// Accepts a connection. Any number of tasks may accept on one listener at once.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self.io.read_with(|listener| listener.accept()).await?;
        Ok((UnixStream::from_std(stream)?, addr))
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        loop {
            match self.io.get_ref().accept() {
                Ok((stream, addr)) => return Poll::Ready(UnixStream::from_std(stream).map(|s| (s, addr))),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
            std::task::ready!(self.io.poll_readable(cx))?;
        }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// A Unix domain stream connection. Implements `AsyncRead` and `AsyncWrite`, also through
/// `&UnixStream`; `poll_close` shuts the write half down.
pub struct UnixStream {
    io: Async<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket file at `path`, without blocking the worker.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        socket.set_nonblocking(true)?;
        match socket.connect(&SockAddr::unix(path)?) {
            Ok(()) => {}
            // `EAGAIN` from a Unix connect means the listener's backlog is full and nothing
            // happened: only `EINPROGRESS` means "connecting, wait for writability".
            Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(error) => return Err(error),
        }
        let stream = UnixStream::from_std(std::os::unix::net::UnixStream::from(std::os::fd::OwnedFd::from(
            socket,
        )))?;
        stream.io.writable().await?;
        if let Some(error) = stream.io.get_ref().take_error()? {
            return Err(error);
        }
        Ok(stream)
    }

    /// A connected pair of streams (`socketpair(2)`).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Wraps a stream from the standard library (made non-blocking here). Must be called in a
    /// corio runtime.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: Async::new(stream)?,
        })
    }

    /// Gives back the standard library stream (left non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_inner()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the stream is readable.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the stream is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Splits the stream into a reading and a writing half that borrow it (see
    /// [`TcpStream::split`](super::TcpStream::split) about method syntax).
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (
            split::ReadHalf { stream: self },
            split::WriteHalf { stream: self },
        )
    }

    /// Splits the stream into owned halves that can move to different tasks.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::owned(self)
    }
}

impl HalfClose for UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        split::shutdown_ok(self.io.get_ref().shutdown(Shutdown::Write))
    }
}

/// The reading half of [`UnixStream::split`].
pub type ReadHalf<'a> = split::ReadHalf<'a, UnixStream>;
/// The writing half of [`UnixStream::split`].
pub type WriteHalf<'a> = split::WriteHalf<'a, UnixStream>;
/// The owned reading half of [`UnixStream::into_split`].
pub type OwnedReadHalf = split::OwnedReadHalf<UnixStream>;
/// The owned writing half of [`UnixStream::into_split`].
pub type OwnedWriteHalf = split::OwnedWriteHalf<UnixStream>;

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

super::io_impls::as_fd!(UnixListener, UnixStream, UnixDatagram);
super::io_impls::stream_io!(UnixStream, short_read_drains: false);

/// A Unix domain datagram socket.
///
/// ```
/// use corio::net::UnixDatagram;
///
/// corio::run(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"hello").await?;
///     let mut buf = [0; 8];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"hello");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct UnixDatagram {
    io: Async<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to the socket file at `path`. Must be called in a corio runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// An unbound socket.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a socket from the standard library (made non-blocking here).
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Async::new(socket)?,
        })
    }

    /// Gives back the standard library socket (left non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_inner()
    }

    /// Sets the default peer.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends a datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Receives a datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(buf)).await
    }

    /// Sends a datagram to the socket at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.write_with(|socket| socket.send_to(buf, path)).await
    }

    /// Receives a datagram and its sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
