//! `start_server` and `Server`: asyncio's stream servers.
//!
//! A server is one *accept task* plus one task per connection running the user's handler with a
//! `(StreamReader, StreamWriter)` pair. The server keeps a table of live connections (their
//! sockets and writers), which is what `close_clients`, `abort_clients` and `wait_closed` work
//! on; a connection leaves the table when its handler task ends.
//!
//! Accept errors that mean "out of resources" (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) do not
//! spin the accept loop: the listener stays readable while the pending connection cannot be
//! accepted, so the task backs off, 1 ms doubling up to 100 ms, and keeps serving the
//! connections it has; it recovers as soon as descriptors free up. Other accept errors
//! (a connection reset before it was accepted) are skipped.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use slab::Slab;

use super::reader::StreamReader;
use super::socket::Socket;
use super::writer::{self, StreamWriter};
use crate::loom::{lock, Mutex};
use crate::net::{TcpListener, ToSocketAddrs, UnixListener};
use crate::task::AbortHandle;

/// First back-off after an accept failed for lack of resources; doubles up to the cap.
const ACCEPT_BACKOFF_START: Duration = Duration::from_millis(1);
/// The longest wait before retrying: how quickly a saturated server notices freed descriptors.
const ACCEPT_BACKOFF_CAP: Duration = Duration::from_millis(100);

trait Listener: Send + Sync + 'static {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Arc<dyn Socket>>>;
    fn fd(&self) -> BorrowedFd<'_>;
}

impl Listener for TcpListener {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Arc<dyn Socket>>> {
        TcpListener::poll_accept(self, cx).map_ok(|(stream, _)| Arc::new(stream) as Arc<dyn Socket>)
    }

    fn fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }
}

impl Listener for UnixListener {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Arc<dyn Socket>>> {
        UnixListener::poll_accept(self, cx).map_ok(|(stream, _)| Arc::new(stream) as Arc<dyn Socket>)
    }

    fn fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }
}

/// Stops a listening socket at once: shut down, it leaves the listen table (new connections
/// are refused) and a pending `accept` fails, even while the accept task still holds it.
fn stop_listening(listener: &dyn Listener) {
    // SAFETY: `shutdown(2)` on a descriptor borrowed for the duration of the call; it touches
    // no memory of ours.
    unsafe {
        libc::shutdown(listener.fd().as_raw_fd(), libc::SHUT_RDWR);
    }
}

struct Connection {
    socket: Arc<dyn Socket>,
    writer: Arc<writer::Shared>,
}

struct State {
    serving: bool,
    connections: Slab<Connection>,
    accept_task: Option<AbortHandle>,
    /// Tasks in `wait_closed` (woken when the server is closed and the last connection ends).
    waiters: Vec<Waker>,
    /// Tasks in `serve_forever` (woken as soon as the server is closed).
    serving_waiters: Vec<Waker>,
}

struct Inner {
    local_addr: Option<SocketAddr>,
    /// The socket file of a Unix server, removed on close (as asyncio 3.13 does).
    unix_path: Option<PathBuf>,
    listener: Arc<dyn Listener>,
    state: Mutex<State>,
}

/// A running stream server (asyncio's `Server`), made by [`start_server`] or
/// [`start_unix_server`]. Dropping it stops accepting (as `close`); open connections go on.
///
/// ```
/// use corio::streams::{open_connection, start_server, StreamReader, StreamWriter};
///
/// corio::run(async {
///     let server = start_server(|_r: StreamReader, w: StreamWriter| async move {
///         w.write(b"bye\n");
///     }, "127.0.0.1:0").await?;
///     let (mut reader, _w) = open_connection(server.local_addr()?).await?;
///     assert_eq!(reader.read_line().await?, b"bye\n");
///     server.close();
///     server.wait_closed().await; // the handler has finished
///     assert!(!server.is_serving());
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct Server {
    inner: Arc<Inner>,
}

/// Starts a TCP server on `addr` that runs `handler(reader, writer)` for each connection, in a
/// task of its own (asyncio's `asyncio.start_server`). It is serving when this returns.
pub async fn start_server<H, F, A>(handler: H, addr: A) -> io::Result<Server>
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
    A: ToSocketAddrs,
{
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    Ok(start(Arc::new(listener), Some(local_addr), None, handler))
}

/// Starts a Unix domain socket server at `path` (asyncio's `asyncio.start_unix_server`).
pub async fn start_unix_server<H, F>(handler: H, path: impl AsRef<Path>) -> io::Result<Server>
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    remove_stale_socket(path.as_ref());
    let listener = UnixListener::bind(&path)?;
    Ok(start(
        Arc::new(listener),
        None,
        Some(path.as_ref().to_path_buf()),
        handler,
    ))
}

/// Removes a socket file left behind at `path` by an earlier server, as asyncio does; any other
/// kind of file is left alone (binding then fails with `AddrInUse`).
fn remove_stale_socket(path: &Path) {
    use std::os::unix::fs::FileTypeExt;
    if std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket()) {
        let _ = std::fs::remove_file(path);
    }
}

fn start<H, F>(
    listener: Arc<dyn Listener>,
    local_addr: Option<SocketAddr>,
    unix_path: Option<PathBuf>,
    handler: H,
) -> Server
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let inner = Arc::new(Inner {
        local_addr,
        unix_path,
        listener: listener.clone(),
        state: Mutex::new(State {
            serving: true,
            connections: Slab::new(),
            accept_task: None,
            waiters: Vec::new(),
            serving_waiters: Vec::new(),
        }),
    });
    let accept = crate::spawn(accept_loop(listener, inner.clone(), handler));
    lock(&inner.state).accept_task = Some(accept.abort_handle());
    Server { inner }
}

async fn accept_loop<H, F>(listener: Arc<dyn Listener>, inner: Arc<Inner>, handler: H)
where
    H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let mut backoff = ACCEPT_BACKOFF_START;
    loop {
        match poll_fn(|cx| listener.poll_accept(cx)).await {
            Ok(socket) => {
                backoff = ACCEPT_BACKOFF_START;
                let reader = StreamReader::new(socket.clone());
                let writer = StreamWriter::new(socket.clone());
                let key = {
                    let mut state = lock(&inner.state);
                    state.connections.insert(Connection {
                        socket,
                        writer: writer.shared().clone(),
                    })
                };
                let guard = ConnectionGuard {
                    inner: inner.clone(),
                    key,
                };
                let connection = handler(reader, writer);
                crate::spawn(async move {
                    let _guard = guard;
                    connection.await;
                });
            }
            Err(error) if out_of_resources(&error) => {
                crate::time::sleep(backoff).await;
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_CAP);
            }
            // A connection that failed between the handshake and accept: skip it.
            Err(error) if connection_failed(&error) => continue,
            // The listener itself is gone (closed by `Server::close`): stop.
            Err(_) => return,
        }
    }
}

fn connection_failed(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(
            libc::ECONNABORTED
                | libc::EINTR
                | libc::EPROTO
                | libc::EPERM
                | libc::ENETDOWN
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH
        )
    )
}

fn out_of_resources(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Takes a connection out of the table when its handler task ends (or is dropped).
struct ConnectionGuard {
    inner: Arc<Inner>,
    key: usize,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let (removed, wakers) = {
            let mut state = lock(&self.inner.state);
            let removed = state.connections.try_remove(self.key);
            let wakers = if !state.serving && state.connections.is_empty() {
                std::mem::take(&mut state.waiters)
            } else {
                Vec::new()
            };
            (removed, wakers)
        };
        drop(removed);
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl Server {
    /// The address the server listens on (TCP servers).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "a Unix domain server has no IP socket address",
            )
        })
    }

    /// Whether the server accepts new connections.
    pub fn is_serving(&self) -> bool {
        lock(&self.inner.state).serving
    }

    /// Stops accepting new connections; the listening socket is closed. Open connections go
    /// on (see [`close_clients`](Server::close_clients) and
    /// [`abort_clients`](Server::abort_clients)).
    pub fn close(&self) {
        let (accept, wakers) = {
            let mut state = lock(&self.inner.state);
            if state.serving {
                stop_listening(&*self.inner.listener);
                if let Some(path) = &self.inner.unix_path {
                    let _ = std::fs::remove_file(path);
                }
            }
            state.serving = false;
            let mut wakers = std::mem::take(&mut state.serving_waiters);
            if state.connections.is_empty() {
                wakers.append(&mut state.waiters);
            }
            (state.accept_task.take(), wakers)
        };
        if let Some(accept) = accept {
            accept.abort();
        }
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Waits until the server is closed and every connection handler has finished.
    pub async fn wait_closed(&self) {
        poll_fn(|cx| {
            let mut state = lock(&self.inner.state);
            if !state.serving && state.connections.is_empty() {
                return Poll::Ready(());
            }
            if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                state.waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// Serves until the server is closed; cancelling (dropping) this future closes the server,
    /// as asyncio's `serve_forever` does.
    pub async fn serve_forever(&self) {
        struct CloseOnDrop<'a>(&'a Server);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _close = CloseOnDrop(self);
        poll_fn(|cx| {
            let mut state = lock(&self.inner.state);
            if !state.serving {
                return Poll::Ready(());
            }
            if !state.serving_waiters.iter().any(|w| w.will_wake(cx.waker())) {
                state.serving_waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// Closes every open connection gracefully (asyncio's `close_clients`): reading stops at
    /// once (handlers read end-of-stream), buffered data is still sent, then the connection is
    /// shut down.
    pub fn close_clients(&self) {
        let connections: Vec<_> = lock(&self.inner.state)
            .connections
            .iter()
            .map(|(_, c)| (c.socket.clone(), c.writer.clone()))
            .collect();
        for (socket, writer) in connections {
            let _ = socket.shutdown(std::net::Shutdown::Read);
            writer.close();
        }
    }

    /// Closes every open connection at once, discarding buffered data: handlers see the
    /// connection fail or end.
    pub fn abort_clients(&self) {
        let connections: Vec<_> = lock(&self.inner.state)
            .connections
            .iter()
            .map(|(_, c)| (c.socket.clone(), c.writer.clone()))
            .collect();
        for (socket, writer) in connections {
            writer.abort();
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Number of open connections.
    pub fn connection_count(&self) -> usize {
        lock(&self.inner.state).connections.len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("Server")
            .field("local_addr", &self.inner.local_addr)
            .field("serving", &state.serving)
            .field("connections", &state.connections.len())
            .finish()
    }
}
