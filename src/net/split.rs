//! Reading and writing halves of a stream socket (TCP or Unix), borrowed or owned.
//!
//! Both halves work through `&S`, which implements `AsyncRead` and `AsyncWrite`; the owned
//! halves share the stream through an `Arc`. Dropping an owned write half shuts the write
//! direction down, so the peer reads end-of-stream, unless it was `forget`-ed or reunited.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// A stream socket whose write direction can be shut down.
pub trait HalfClose {
    /// `shutdown(Shutdown::Write)`, treating an already disconnected socket as done.
    fn shutdown_write(&self) -> io::Result<()>;
}

/// The result of `shutdown(2)`, treating "not connected" (the peer already left, or the
/// socket was shut down before) as done: shutting down is then already achieved.
pub(crate) fn shutdown_ok(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
        result => result,
    }
}

/// The reading half of a borrowed split (`split()`).
#[derive(Debug)]
pub struct ReadHalf<'a, S> {
    pub(crate) stream: &'a S,
}

/// The writing half of a borrowed split (`split()`).
#[derive(Debug)]
pub struct WriteHalf<'a, S> {
    pub(crate) stream: &'a S,
}

/// The owned reading half of `into_split()`.
#[derive(Debug)]
pub struct OwnedReadHalf<S> {
    pub(crate) stream: Arc<S>,
}

/// The owned writing half of `into_split()`; dropping it shuts the write direction down
/// (unless [`forget`](OwnedWriteHalf::forget) was called).
#[derive(Debug)]
pub struct OwnedWriteHalf<S: HalfClose> {
    pub(crate) stream: Arc<S>,
    pub(crate) shutdown_on_drop: bool,
}

/// Owned halves made by `into_split`.
pub(crate) fn owned<S: HalfClose>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Arc::new(stream);
    (
        OwnedReadHalf {
            stream: stream.clone(),
        },
        OwnedWriteHalf {
            stream,
            shutdown_on_drop: true,
        },
    )
}

/// The halves passed to `reunite` came from different streams; both are handed back.
pub struct ReuniteError<S: HalfClose>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: HalfClose> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S: HalfClose> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<S: HalfClose> std::error::Error for ReuniteError<S> {}

impl<S: HalfClose> OwnedReadHalf<S> {
    /// Puts the halves back together into the stream they came from.
    pub fn reunite(self, mut write: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.shutdown_on_drop = false;
        drop(write);
        Ok(Arc::try_unwrap(self.stream)
            .unwrap_or_else(|_| unreachable!("both halves were consumed, so this is the last reference")))
    }
}

impl<S: HalfClose> OwnedWriteHalf<S> {
    /// Drops the half without shutting the write direction down.
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }
}

impl<S: HalfClose> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            let _ = self.stream.shutdown_write();
        }
    }
}

macro_rules! read_half {
    ($($ty:ty),*) => {$(
        impl<S> AsyncRead for $ty
        where
            for<'s> &'s S: AsyncRead,
            S: HalfClose,
        {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self.stream).poll_read(cx, buf)
            }
        }
    )*};
}

macro_rules! write_half {
    ($($ty:ty),*) => {$(
        impl<S> AsyncWrite for $ty
        where
            for<'s> &'s S: AsyncWrite,
            S: HalfClose,
        {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self.stream).poll_write(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut &*self.stream).poll_flush(cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut &*self.stream).poll_close(cx)
            }
        }
    )*};
}

read_half!(ReadHalf<'_, S>, OwnedReadHalf<S>);
write_half!(WriteHalf<'_, S>, OwnedWriteHalf<S>);
