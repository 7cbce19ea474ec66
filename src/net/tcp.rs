//! TCP: `TcpListener` and `TcpStream` on the per-worker reactors.
//!
//! Both wrap `Async<std::net::…>`: the descriptor is non-blocking and registered once with the
//! reactor of the worker that created it. Connecting is a non-blocking `connect(2)` followed by
//! a wait for writability and a check of `SO_ERROR`, tried on each resolved address in turn.

use std::fmt;
use std::io::{self};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::addr::{each_addr, ToSocketAddrs};
use super::split::{self, HalfClose};
use crate::io::Async;

/// A TCP socket server, listening for connections (asyncio's `loop.create_server` socket).
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
///
/// corio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = corio::spawn(async move { TcpStream::connect(addr).await });
///     let (_stream, peer) = listener.accept().await?;
///     assert_eq!(peer, client.await.unwrap()?.local_addr()?);
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct TcpListener {
    io: Async<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (the first resolved address that works) and listens.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(addr, |addr| async move {
            let listener = std::net::TcpListener::bind(addr)?;
            TcpListener::from_std(listener)
        })
        .await
    }

    /// Wraps a listener from the standard library (made non-blocking here). Must be called in
    /// a corio runtime.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: Async::new(listener)?,
        })
    }

    /// Gives back the standard library listener (left non-blocking).
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner()
    }

    /// Accepts a connection. Any number of tasks may accept on one listener at once.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self.io.read_with(|listener| listener.accept()).await?;
        Ok((TcpStream::from_std(stream)?, peer))
    }

    /// Polls for a connection (for manual `Stream`/`Future` implementations).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        loop {
            match self.io.get_ref().accept() {
                Ok((stream, peer)) => return Poll::Ready(TcpStream::from_std(stream).map(|s| (s, peer))),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
            std::task::ready!(self.io.poll_readable(cx))?;
        }
    }

    /// A stream of incoming connections.
    ///
    /// ```
    /// use corio::net::{TcpListener, TcpStream};
    /// use futures_util::StreamExt;
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     corio::spawn(async move { TcpStream::connect(addr).await });
    ///     let stream = listener.incoming().next().await.unwrap()?;
    ///     assert_eq!(stream.local_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of accepted sockets' packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// The stream of [`TcpListener::incoming`]: never ends; each item is one `accept`.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|accepted| Some(accepted.map(|(stream, _)| stream)))
    }
}

/// A TCP connection (asyncio's transport socket; see `corio::streams` for the buffered reader
/// and writer).
///
/// Implements `AsyncRead` and `AsyncWrite` (also through `&TcpStream`, so one task may read
/// while another writes); `poll_close` shuts the write half down (a half close: the peer reads
/// end-of-stream and may still send).
pub struct TcpStream {
    io: Async<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn.
    ///
    /// ```
    /// use corio::io::{AsyncReadExt, AsyncWriteExt};
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let port = listener.local_addr()?.port();
    ///     let server = corio::spawn(async move {
    ///         let (mut stream, _) = listener.accept().await?;
    ///         stream.write_all(b"hi").await
    ///     });
    ///     let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    ///     let mut buf = Vec::new();
    ///     stream.read_to_end(&mut buf).await?;
    ///     assert_eq!(buf, b"hi");
    ///     server.await.unwrap()
    /// })
    /// .unwrap();
    /// ```
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(addr, connect_one).await
    }

    /// Wraps a connected stream from the standard library (made non-blocking here). Must be
    /// called in a corio runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Async::new(stream)?,
        })
    }

    /// Gives back the standard library stream (left non-blocking).
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_inner()
    }

    /// The local address of the connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The remote address of the connection.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Enables or disables Nagle's algorithm (`TCP_NODELAY`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Shuts down the read half, the write half or both (`shutdown(2)`). Shutting the write
    /// half down is a half close: the peer reads end-of-stream.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Receives data without removing it from the socket's queue.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|stream| stream.peek(buf)).await
    }

    /// Waits until the stream is readable.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the stream is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Splits the stream into a reading and a writing half that borrow it.
    ///
    /// With `corio::io::AsyncReadExt` in scope, method syntax `stream.split()` picks that
    /// trait's by-value `split` (a lock-based split of any reader-writer); write
    /// `TcpStream::split(&mut stream)` for these lock-free halves.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (
            split::ReadHalf { stream: self },
            split::WriteHalf { stream: self },
        )
    }

    /// Splits the stream into owned halves that can move to different tasks. Dropping the
    /// write half shuts the write direction down; [`OwnedReadHalf::reunite`] puts them back.
    ///
    /// ```
    /// use corio::io::{AsyncReadExt, AsyncWriteExt};
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     corio::spawn(async move {
    ///         let (stream, _) = listener.accept().await?;
    ///         let (mut read, mut write) = stream.into_split();
    ///         corio::io::copy(&mut read, &mut write).await // echo
    ///     });
    ///     let (mut read, mut write) = TcpStream::connect(addr).await?.into_split();
    ///     let writer = corio::spawn(async move { write.write_all(b"echo").await });
    ///     let mut buf = [0; 4];
    ///     read.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"echo");
    ///     writer.await.unwrap()
    /// })
    /// .unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::owned(self)
    }
}

async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(error) => return Err(error),
    }
    let stream = TcpStream::from_std(std::net::TcpStream::from(socket))?;
    // The connection is established (or has failed) once the socket is writable.
    stream.io.writable().await?;
    if let Some(error) = stream.io.get_ref().take_error()? {
        return Err(error);
    }
    Ok(stream)
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

super::io_impls::as_fd!(TcpListener, TcpStream);
super::io_impls::stream_io!(TcpStream, short_read_drains: true);

impl HalfClose for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        split::shutdown_ok(self.io.get_ref().shutdown(Shutdown::Write))
    }
}

/// The reading half of [`TcpStream::split`].
pub type ReadHalf<'a> = split::ReadHalf<'a, TcpStream>;
/// The writing half of [`TcpStream::split`].
pub type WriteHalf<'a> = split::WriteHalf<'a, TcpStream>;
/// The owned reading half of [`TcpStream::into_split`].
pub type OwnedReadHalf = split::OwnedReadHalf<TcpStream>;
/// The owned writing half of [`TcpStream::into_split`]; dropping it shuts the write direction
/// down.
pub type OwnedWriteHalf = split::OwnedWriteHalf<TcpStream>;
/// Halves from different streams were passed to [`OwnedReadHalf::reunite`].
pub type ReuniteError = split::ReuniteError<TcpStream>;
