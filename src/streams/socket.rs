//! The connected socket under a stream pair: TCP or Unix, used through a shared reference.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::net::split::shutdown_ok;
use crate::net::{TcpStream, UnixStream};

/// What the stream layer needs of a connected socket. Shared by the reader, the writer's
/// flusher task and the server (which may abort it), so every method takes `&self`.
pub(crate) trait Socket: Send + Sync + 'static {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    fn peer_addr(&self) -> io::Result<SocketAddr>;
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

fn not_inet() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "a Unix domain socket has no IP socket address",
    )
}

impl Socket for TcpStream {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_read(cx, buf)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write(cx, buf)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        shutdown_ok(TcpStream::shutdown(self, how))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::peer_addr(self)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::local_addr(self)
    }
}

impl Socket for UnixStream {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_read(cx, buf)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write(cx, buf)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        shutdown_ok(UnixStream::shutdown(self, how))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Err(not_inet())
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Err(not_inet())
    }
}
