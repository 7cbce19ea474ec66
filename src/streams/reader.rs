//! `StreamReader`: asyncio's buffered reader over a connection.
//!
//! The reader pulls from the socket only when asked, into one buffer (`buffer[start..end]` is
//! unread). Not reading is therefore the backpressure: the kernel's receive window fills and
//! the peer slows down, which is what asyncio's "pause reading above 2 × limit" achieves.
//!
//! The *limit* (64 KiB unless set) bounds how far `read_until`/`read_line` look for their
//! separator: past it they fail with `LimitOverrunError` and consume nothing, so the data stays
//! readable, and the buffer never grows much past the limit waiting for a separator.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead};

use super::error::{IncompleteReadError, LimitOverrunError, ReadError};
use super::socket::Socket;

/// The default limit of `read_until`/`read_line`: 64 KiB, asyncio's `_DEFAULT_LIMIT`.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// How much one read from the socket asks for at least.
const READ_CHUNK: usize = 16 * 1024;

/// The reading side of a connection from [`open_connection`](super::open_connection) or a
/// [`start_server`](super::start_server) handler (asyncio's `StreamReader`).
///
/// ```
/// use corio::streams::{open_connection, start_server, StreamReader, StreamWriter};
///
/// corio::run(async {
///     let server = start_server(|_reader: StreamReader, writer: StreamWriter| async move {
///         writer.write(b"first line\nsecond");
///     }, "127.0.0.1:0").await?;
///     let (mut reader, _writer) = open_connection(server.local_addr()?).await?;
///     assert_eq!(reader.read_line().await?, b"first line\n");
///     assert_eq!(reader.read_line().await?, b"second"); // end-of-stream ends the last line
///     assert!(reader.at_eof());
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct StreamReader {
    socket: Arc<dyn Socket>,
    /// Initialised storage; `buffer[start..end]` is unread. Kept initialised so that a read
    /// into the free tail never has to zero it again.
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    limit: usize,
}

impl StreamReader {
    pub(crate) fn new(socket: Arc<dyn Socket>) -> StreamReader {
        StreamReader {
            socket,
            buffer: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            limit: DEFAULT_LIMIT,
        }
    }

    /// Sets the limit of `read_until`/`read_line` (default 64 KiB).
    ///
    /// # Panics
    /// When `limit` is 0 (asyncio raises `ValueError` for it too).
    pub fn with_limit(mut self, limit: usize) -> StreamReader {
        assert!(
            limit > 0,
            "`StreamReader::with_limit` needs a limit of at least 1 byte"
        );
        self.limit = limit;
        self
    }

    /// The limit of `read_until`/`read_line`.
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn buffered(&self) -> &[u8] {
        &self.buffer[self.start..self.end]
    }

    /// Removes and returns the first `n` buffered bytes.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let taken = self.buffer[self.start..self.start + n].to_vec();
        self.consume_buffered(n);
        taken
    }

    fn consume_buffered(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads once more from the socket into the buffer; `Ok(0)` at end-of-stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if self.buffer.len() - self.end < READ_CHUNK {
            // Reuse the consumed prefix before growing.
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buffer.len() - self.end < READ_CHUNK {
                self.buffer.resize(self.end + READ_CHUNK, 0);
            }
        }
        match self.socket.poll_read(cx, &mut self.buffer[self.end..]) {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                Poll::Ready(Ok(0))
            }
            Poll::Ready(Ok(n)) => {
                self.end += n;
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    async fn fill(&mut self) -> io::Result<usize> {
        poll_fn(|cx| self.poll_fill(cx)).await
    }

    /// Reads up to `n` bytes: what is buffered, or else one read from the connection. An
    /// empty result means end-of-stream (or `n == 0`).
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.buffered().is_empty() {
            self.fill().await?;
        }
        let available = self.buffered().len().min(n);
        Ok(self.take(available))
    }

    /// Reads until end-of-stream.
    pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        while self.fill().await? > 0 {}
        let all = self.buffered().len();
        Ok(self.take(all))
    }

    /// Reads exactly `n` bytes; end-of-stream first gives `IncompleteRead` with what was read.
    pub async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.buffered().len() < n {
            if self.fill().await? == 0 {
                let partial = self.buffered().len();
                return Err(ReadError::IncompleteRead(IncompleteReadError {
                    partial: self.take(partial),
                    expected: Some(n),
                }));
            }
        }
        Ok(self.take(n))
    }

    /// Reads up to and including `separator` (asyncio's `readuntil`).
    ///
    /// End-of-stream first gives `IncompleteRead` with everything that was left (consumed).
    /// A separator not found within the limit gives `LimitOverrun` and consumes nothing: the
    /// data stays buffered, readable with `read`. An empty separator is an `InvalidInput`
    /// error.
    ///
    /// ```
    /// use corio::streams::{open_connection, start_server, ReadError, StreamReader, StreamWriter};
    ///
    /// corio::run(async {
    ///     let server = start_server(|_r: StreamReader, w: StreamWriter| async move {
    ///         w.write(b"key=value\r\n\r\nrest");
    ///     }, "127.0.0.1:0").await?;
    ///     let (mut reader, _w) = open_connection(server.local_addr()?).await?;
    ///     assert_eq!(reader.read_until(b"\r\n\r\n").await?, b"key=value\r\n\r\n");
    ///     match reader.read_until(b"\r\n").await {
    ///         Err(ReadError::IncompleteRead(e)) => assert_eq!(e.partial, b"rest"),
    ///         other => panic!("{other:?}"),
    ///     }
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn read_until(&mut self, separator: &[u8]) -> Result<Vec<u8>, ReadError> {
        if separator.is_empty() {
            return Err(ReadError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "`StreamReader::read_until` needs a separator of at least one byte",
            )));
        }
        // Where the search resumes: bytes before it were already searched.
        let mut searched = 0;
        loop {
            let buffered = self.buffered();
            if let Some(found) = find(&buffered[searched..], separator).map(|i| i + searched) {
                if found > self.limit {
                    return Err(ReadError::LimitOverrun(LimitOverrunError {
                        consumed: found,
                        separator_found: true,
                    }));
                }
                return Ok(self.take(found + separator.len()));
            }
            // The separator may straddle what we have and what comes next.
            searched = (buffered.len() + 1).saturating_sub(separator.len());
            if searched > self.limit {
                return Err(ReadError::LimitOverrun(LimitOverrunError {
                    consumed: searched,
                    separator_found: false,
                }));
            }
            if self.fill().await? == 0 {
                let partial = self.buffered().len();
                return Err(ReadError::IncompleteRead(IncompleteReadError {
                    partial: self.take(partial),
                    expected: None,
                }));
            }
        }
    }

    /// Reads one line, with its `\n` (asyncio's `readline`). At end-of-stream it returns what is
    /// left, possibly without `\n`, and then empty lines. A line longer than the limit gives
    /// `LimitOverrun`, the data staying buffered.
    pub async fn read_line(&mut self) -> Result<Vec<u8>, ReadError> {
        match self.read_until(b"\n").await {
            Err(ReadError::IncompleteRead(incomplete)) => Ok(incomplete.partial),
            other => other,
        }
    }

    /// Whether the buffer is empty and the peer has closed its side.
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffered().is_empty()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() == 1 {
        return haystack.iter().position(|&b| b == needle[0]);
    }
    haystack.windows(needle.len()).position(|window| window == needle)
}

impl AsyncRead for StreamReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buffered().is_empty() {
            if buf.len() >= READ_CHUNK && !this.eof {
                // Large reads bypass the buffer.
                return match this.socket.poll_read(cx, buf) {
                    Poll::Ready(Ok(0)) => {
                        this.eof = true;
                        Poll::Ready(Ok(0))
                    }
                    other => other,
                };
            }
            std::task::ready!(this.poll_fill(cx))?;
        }
        let n = this.buffered().len().min(buf.len());
        buf[..n].copy_from_slice(&this.buffered()[..n]);
        this.consume_buffered(n);
        Poll::Ready(Ok(n))
    }
}

impl AsyncBufRead for StreamReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.buffered().is_empty() {
            std::task::ready!(this.poll_fill(cx))?;
        }
        Poll::Ready(Ok(&this.buffer[this.start..this.end]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let amt = amt.min(this.buffered().len());
        this.consume_buffered(amt);
    }
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &self.buffered().len())
            .field("eof", &self.eof)
            .field("limit", &self.limit)
            .finish()
    }
}
