//! `StreamWriter`: asyncio's buffered writer over a connection.
//!
//! `write` only appends to a buffer and wakes the connection's *flusher*, a small task that
//! owns the sending: it swaps the whole buffer out under the lock (O(1)) and writes it to the
//! socket outside the lock, as fast as the socket takes it. That is asyncio's transport
//! writing in the background: data is sent whether or not anyone awaits `drain`.
//!
//! Flow control as in asyncio: when the buffered amount (queued plus in flight) rises above the
//! high-water mark the writer is *paused*, and `drain` waits until the flusher brings it down to
//! the low-water mark. A writer that never drains still has all its data sent; the marks only
//! tell well-behaved producers when to wait.
//!
//! Closing: `write_eof` half-closes after the buffered data; `close` sends what is buffered and
//! then shuts the connection down; dropping the writer sends what is buffered and lets the
//! connection close when its reader is gone too.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::task::{Poll, Waker};

use super::socket::Socket;
use crate::loom::{lock, Mutex};

/// Default high-water mark: 64 KiB, as asyncio's transports.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;
/// Default low-water mark: 16 KiB (a quarter of the high mark), as asyncio's transports.
pub const DEFAULT_LOW_WATER: usize = 16 * 1024;

struct State {
    /// Queued by `write`, not yet taken by the flusher.
    queued: Vec<u8>,
    /// Taken by the flusher and not yet written (the flusher's own buffer holds the bytes).
    in_flight: usize,
    high: usize,
    low: usize,
    paused: bool,
    eof_requested: bool,
    /// `close()` was called (or the connection was aborted).
    closing: bool,
    /// The writer was dropped: finish sending, then stop.
    detached: bool,
    /// The flusher has stopped: everything was sent (or failed) and closing is complete.
    finished: bool,
    /// The first write error; every later `drain` reports it.
    error: Option<(io::ErrorKind, String)>,
    flusher: Option<Waker>,
    /// Tasks in `drain` (waiting for the low-water mark) or `wait_closed` (for `finished`).
    waiters: Vec<Waker>,
}

impl State {
    fn buffered(&self) -> usize {
        self.queued.len() + self.in_flight
    }

    fn error(&self) -> Option<io::Error> {
        self.error
            .as_ref()
            .map(|(kind, message)| io::Error::new(*kind, message.clone()))
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
}

/// The writing side of a connection (asyncio's `StreamWriter`).
///
/// ```
/// use corio::streams::{open_connection, start_server, StreamReader, StreamWriter};
///
/// corio::run(async {
///     let server = start_server(|mut reader: StreamReader, writer: StreamWriter| async move {
///         let line = reader.read_line().await.unwrap();
///         writer.write(&line);
///         writer.drain().await.unwrap();
///     }, "127.0.0.1:0").await?;
///     let (mut reader, writer) = open_connection(server.local_addr()?).await?;
///     writer.write(b"echo me\n");
///     writer.drain().await?;
///     assert_eq!(reader.read_line().await?, b"echo me\n");
///     writer.close();
///     writer.wait_closed().await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct StreamWriter {
    shared: Arc<Shared>,
    /// Addresses as they were when the connection was made (asyncio's `peername` and
    /// `sockname` extra info): the kernel forgets the peer once the connection is closed.
    peer_addr: Result<SocketAddr, (io::ErrorKind, String)>,
    local_addr: Result<SocketAddr, (io::ErrorKind, String)>,
}

impl StreamWriter {
    /// Makes the writer and spawns its flusher on the current runtime.
    pub(crate) fn new(socket: Arc<dyn Socket>) -> StreamWriter {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queued: Vec::new(),
                in_flight: 0,
                high: DEFAULT_HIGH_WATER,
                low: DEFAULT_LOW_WATER,
                paused: false,
                eof_requested: false,
                closing: false,
                detached: false,
                finished: false,
                error: None,
                flusher: None,
                waiters: Vec::new(),
            }),
        });
        let remember = |addr: io::Result<SocketAddr>| addr.map_err(|e| (e.kind(), e.to_string()));
        let peer_addr = remember(socket.peer_addr());
        let local_addr = remember(socket.local_addr());
        crate::spawn(flush(shared.clone(), socket));
        StreamWriter {
            shared,
            peer_addr,
            local_addr,
        }
    }

    /// Queues `data` for sending; never waits. Await [`drain`](StreamWriter::drain) to respect
    /// flow control. Data written after `close` or `write_eof` is discarded.
    pub fn write(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let flusher = {
            let mut state = lock(&self.shared.state);
            if state.closing || state.eof_requested || state.finished {
                return;
            }
            state.queued.extend_from_slice(data);
            if state.buffered() > state.high {
                state.paused = true;
            }
            state.flusher.take()
        };
        if let Some(flusher) = flusher {
            flusher.wake();
        }
    }

    /// Queues every line of `lines`, in order (asyncio's `writelines`).
    pub fn write_lines<I>(&self, lines: I)
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        for line in lines {
            self.write(line.as_ref());
        }
    }

    /// Waits until it is appropriate to write more: returns at once unless the buffer went over
    /// the high-water mark, in which case it waits until the buffer drains to the low-water
    /// mark. Fails with the connection's error if sending failed.
    pub async fn drain(&self) -> io::Result<()> {
        poll_fn(|cx| {
            std::task::ready!(crate::task::coop::poll_proceed(cx));
            let mut state = lock(&self.shared.state);
            if let Some(error) = state.error() {
                return Poll::Ready(Err(error));
            }
            if !state.paused || state.finished {
                return Poll::Ready(Ok(()));
            }
            register(&mut state.waiters, cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Sets the flow-control marks (asyncio's `transport.set_write_buffer_limits`).
    ///
    /// # Panics
    /// When `low > high`.
    pub fn set_write_buffer_limits(&self, high: usize, low: usize) {
        assert!(
            low <= high,
            "`StreamWriter::set_write_buffer_limits`: low ({low}) must not exceed high ({high})"
        );
        let wakers = {
            let mut state = lock(&self.shared.state);
            state.high = high;
            state.low = low;
            let buffered = state.buffered();
            if buffered > high {
                state.paused = true;
            } else if state.paused && buffered <= low {
                state.paused = false;
            }
            if state.paused {
                Vec::new()
            } else {
                std::mem::take(&mut state.waiters)
            }
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Bytes queued or in flight, not yet handed to the kernel.
    pub fn write_buffer_size(&self) -> usize {
        lock(&self.shared.state).buffered()
    }

    /// Closes the write direction after the buffered data is sent (a TCP half close: the peer
    /// reads end-of-stream and may still send).
    pub fn write_eof(&self) -> io::Result<()> {
        let flusher = {
            let mut state = lock(&self.shared.state);
            if let Some(error) = state.error() {
                return Err(error);
            }
            state.eof_requested = true;
            state.flusher.take()
        };
        if let Some(flusher) = flusher {
            flusher.wake();
        }
        Ok(())
    }

    /// Whether `write_eof` is supported: always, for TCP and Unix stream connections.
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Closes the connection once the buffered data is sent. Await
    /// [`wait_closed`](StreamWriter::wait_closed) to know when that happened.
    pub fn close(&self) {
        let flusher = {
            let mut state = lock(&self.shared.state);
            state.closing = true;
            state.flusher.take()
        };
        if let Some(flusher) = flusher {
            flusher.wake();
        }
    }

    /// Whether `close` was called or the connection is done.
    pub fn is_closing(&self) -> bool {
        let state = lock(&self.shared.state);
        state.closing || state.finished
    }

    /// Waits until the connection is closed (after `close`, or after a failure); reports the
    /// sending error, if any.
    pub async fn wait_closed(&self) -> io::Result<()> {
        poll_fn(|cx| {
            let mut state = lock(&self.shared.state);
            if state.finished {
                return Poll::Ready(match state.error() {
                    Some(error) => Err(error),
                    None => Ok(()),
                });
            }
            register(&mut state.waiters, cx.waker());
            Poll::Pending
        })
        .await
    }

    /// The remote address (TCP only), as it was when the connection was made.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.peer_addr
            .clone()
            .map_err(|(kind, message)| io::Error::new(kind, message))
    }

    /// The local address (TCP only), as it was when the connection was made.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.local_addr
            .clone()
            .map_err(|(kind, message)| io::Error::new(kind, message))
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Shared {
    /// `close()` on behalf of the server (`Server::close_clients`).
    pub(crate) fn close(&self) {
        let flusher = {
            let mut state = lock(&self.state);
            state.closing = true;
            state.flusher.take()
        };
        if let Some(flusher) = flusher {
            flusher.wake();
        }
    }

    /// Drops everything buffered and fails the connection (`Server::abort_clients`): the
    /// caller shuts the socket down.
    pub(crate) fn abort(&self) {
        let wakers = {
            let mut state = lock(&self.state);
            state.queued.clear();
            state.closing = true;
            state.error.get_or_insert((
                io::ErrorKind::ConnectionAborted,
                "the connection was aborted".into(),
            ));
            let mut wakers = std::mem::take(&mut state.waiters);
            wakers.extend(state.flusher.take());
            wakers
        };
        wakers.into_iter().for_each(Waker::wake);
    }
}

fn register(waiters: &mut Vec<Waker>, waker: &Waker) {
    if !waiters.iter().any(|w| w.will_wake(waker)) {
        waiters.push(waker.clone());
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        let flusher = {
            let mut state = lock(&self.shared.state);
            state.detached = true;
            state.flusher.take()
        };
        if let Some(flusher) = flusher {
            flusher.wake();
        }
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("StreamWriter")
            .field("buffered", &state.buffered())
            .field("closing", &state.closing)
            .finish()
    }
}

/// The flusher task: sends what `write` queues, then performs the requested closing.
async fn flush(shared: Arc<Shared>, socket: Arc<dyn Socket>) {
    let mut sending: Vec<u8> = Vec::new();
    let mut sent = 0;
    let mut eof_sent = false;
    poll_fn(|cx| loop {
        // Write out what we hold, outside the lock.
        while sent < sending.len() {
            match socket.poll_write(cx, &sending[sent..]) {
                Poll::Ready(Ok(n)) => {
                    sent += n;
                    let wakers = {
                        let mut state = lock(&shared.state);
                        state.in_flight = sending.len() - sent;
                        if state.paused && state.buffered() <= state.low {
                            state.paused = false;
                            std::mem::take(&mut state.waiters)
                        } else {
                            Vec::new()
                        }
                    };
                    wakers.into_iter().for_each(Waker::wake);
                }
                Poll::Ready(Err(error)) => {
                    let _ = socket.shutdown(Shutdown::Both);
                    finish(&shared, Some(error));
                    return Poll::Ready(());
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        let mut state = lock(&shared.state);
        if state.error.is_some() {
            // Aborted: nothing more is sent.
            drop(state);
            let _ = socket.shutdown(Shutdown::Both);
            finish(&shared, None);
            return Poll::Ready(());
        }
        if !state.queued.is_empty() {
            // Take the whole queue in O(1); our emptied buffer becomes the new queue.
            sending.clear();
            std::mem::swap(&mut sending, &mut state.queued);
            sent = 0;
            state.in_flight = sending.len();
            continue;
        }
        if state.closing {
            drop(state);
            let _ = socket.shutdown(Shutdown::Both);
            finish(&shared, None);
            return Poll::Ready(());
        }
        if state.eof_requested && !eof_sent {
            drop(state);
            eof_sent = true;
            if let Err(error) = socket.shutdown(Shutdown::Write) {
                finish(&shared, Some(error));
                return Poll::Ready(());
            }
            continue;
        }
        if state.detached {
            // Everything handed over; the socket closes when the reader is gone too.
            drop(state);
            finish(&shared, None);
            return Poll::Ready(());
        }
        let replaced = match &state.flusher {
            Some(waker) if waker.will_wake(cx.waker()) => None,
            _ => state.flusher.replace(cx.waker().clone()),
        };
        drop(state);
        drop(replaced); // outside the lock: a waker's drop may re-enter
        return Poll::Pending;
    })
    .await
}

/// Marks the writer finished (recording `error`) and wakes everyone waiting on it.
fn finish(shared: &Shared, error: Option<io::Error>) {
    let wakers = {
        let mut state = lock(&shared.state);
        if let Some(error) = error {
            state.error.get_or_insert((error.kind(), error.to_string()));
        }
        state.finished = true;
        state.paused = false;
        state.queued.clear();
        state.in_flight = 0;
        std::mem::take(&mut state.waiters)
    };
    wakers.into_iter().for_each(Waker::wake);
}
