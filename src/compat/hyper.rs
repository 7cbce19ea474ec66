//! hyper 1.x on corio: [`CorioExecutor`], [`CorioTimer`] and [`CorioIo`].
//!
//! hyper 1.x owns no runtime. It asks its user for three things, each a trait of `hyper::rt`:
//! an `Executor` to spawn background futures (HTTP/2 streams, pooled client connections), a
//! `Timer` for its timeouts (`header_read_timeout`, keep-alive), and transports implementing
//! its own `Read` and `Write`. This module provides the three on corio:
//!
//! - [`CorioExecutor`] spawns with [`crate::spawn`], so hyper's futures become ordinary corio
//!   tasks on the work-stealing workers.
//! - [`CorioTimer`] sleeps on corio's timer wheel ([`crate::time::sleep_until`]); hyper's
//!   `Timer::reset` moves the existing timer ([`crate::time::Sleep::reset`]) instead of
//!   allocating a new one.
//! - [`CorioIo`] wraps any `futures-io` `AsyncRead + AsyncWrite` (a [`crate::net::TcpStream`],
//!   a [`crate::net::UnixStream`], a TLS stream built on them) into a hyper transport.
//!
//! A hello-world server is `examples/http.rs`; run it with
//! `cargo run --example http --features hyper`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

/// A [`hyper::rt::Executor`] that spawns each future as a corio task.
///
/// Give it to hyper wherever a builder takes an executor (HTTP/2 connections, hyper-util's
/// pooled client). The spawned task is detached: hyper tracks its futures itself.
///
/// # Panics
/// `execute` panics when called outside a corio runtime, as [`crate::spawn`] does; hyper calls
/// it from the connection futures, which run inside tasks.
///
/// ```
/// use corio::compat::hyper::CorioExecutor;
/// use hyper::rt::Executor;
///
/// corio::run(async {
///     let (sender, receiver) = corio::sync::oneshot::channel();
///     CorioExecutor::new().execute(async move {
///         sender.send(6 * 7).unwrap();
///     });
///     assert_eq!(receiver.await.unwrap(), 42);
/// });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CorioExecutor {
    _private: (),
}

impl CorioExecutor {
    /// An executor that spawns on the runtime in which `execute` is called.
    ///
    /// ```
    /// let executor = corio::compat::hyper::CorioExecutor::new();
    /// # let _ = executor;
    /// ```
    pub fn new() -> CorioExecutor {
        CorioExecutor { _private: () }
    }
}

impl<F> hyper::rt::Executor<F> for CorioExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        // Detached on purpose: hyper owns the future's lifecycle and never joins it.
        drop(crate::spawn(future));
    }
}

/// A [`hyper::rt::Timer`] on corio's timer wheel.
///
/// Enables hyper's timeouts, such as the server's `header_read_timeout`. Like every corio timer
/// it has millisecond resolution and never fires early.
///
/// # Panics
/// `sleep` and `sleep_until` panic when called outside a corio runtime, as
/// [`crate::time::sleep`] does.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use corio::compat::hyper::CorioTimer;
/// use hyper::rt::Timer;
///
/// corio::run(async {
///     let timer = CorioTimer::new();
///     let start = Instant::now();
///     timer.sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
///
///     // `reset` moves the existing timer: this one completes after 5 ms, not an hour.
///     let mut sleep = timer.sleep(Duration::from_secs(3600));
///     timer.reset(&mut sleep, Instant::now() + Duration::from_millis(5));
///     sleep.await;
///
///     // What it is for: hyper's own timeouts.
///     let mut server = hyper::server::conn::http1::Builder::new();
///     server.timer(timer).header_read_timeout(Duration::from_secs(5));
/// });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CorioTimer {
    _private: (),
}

impl CorioTimer {
    /// A timer on the runtime in which its sleeps are created.
    ///
    /// ```
    /// let timer = corio::compat::hyper::CorioTimer::new();
    /// # let _ = timer;
    /// ```
    pub fn new() -> CorioTimer {
        CorioTimer { _private: () }
    }
}

impl hyper::rt::Timer for CorioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CorioSleep {
            inner: crate::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CorioSleep {
            inner: crate::time::sleep_until(deadline),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        // hyper resets its keep-alive and read timers on every request: moving the timer we
        // made avoids an allocation and a wheel insert+remove each time. A sleep from another
        // timer is simply replaced.
        match sleep.as_mut().downcast_mut_pin::<CorioSleep>() {
            Some(ours) => ours.project().inner.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

pin_project! {
    /// corio's [`Sleep`](crate::time::Sleep) as a `hyper::rt::Sleep`, so that `reset` can find
    /// it again by downcasting.
    struct CorioSleep {
        #[pin]
        inner: crate::time::Sleep,
    }
}

impl Future for CorioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl hyper::rt::Sleep for CorioSleep {}

pin_project! {
    /// A `futures-io` byte stream as a hyper transport ([`hyper::rt::Read`] and
    /// [`hyper::rt::Write`]).
    ///
    /// Wrap the stream that hyper should speak HTTP over: a [`crate::net::TcpStream`] from
    /// `accept` or `connect`, or anything else implementing [`AsyncRead`] and [`AsyncWrite`].
    /// Reads go into hyper's own buffer (its not yet initialized part is zeroed once, as
    /// `futures-io` reads need an initialized slice); `poll_shutdown` is `poll_close`.
    ///
    /// A client and a server, both on corio, over loopback:
    ///
    /// ```
    /// use corio::compat::hyper::CorioIo;
    /// use corio::net::{TcpListener, TcpStream};
    /// use hyper::body::{Body, Incoming};
    /// use hyper::{Request, Response};
    ///
    /// /// Reads a whole body (http-body-util's `collect`, in five lines).
    /// async fn read_body(mut body: Incoming) -> Vec<u8> {
    ///     let mut bytes = Vec::new();
    ///     while let Some(frame) =
    ///         std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    ///     {
    ///         if let Ok(data) = frame.unwrap().into_data() {
    ///             bytes.extend_from_slice(&data);
    ///         }
    ///     }
    ///     bytes
    /// }
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let address = listener.local_addr().unwrap();
    ///     let server = corio::spawn(async move {
    ///         let (stream, _) = listener.accept().await.unwrap();
    ///         let hello = hyper::service::service_fn(|_request: Request<Incoming>| async {
    ///             Ok::<_, std::convert::Infallible>(Response::new(String::from("Hello, World!")))
    ///         });
    ///         hyper::server::conn::http1::Builder::new()
    ///             .serve_connection(CorioIo::new(stream), hello)
    ///             .await
    ///             .unwrap();
    ///     });
    ///
    ///     let stream = TcpStream::connect(address).await.unwrap();
    ///     let (mut sender, connection) =
    ///         hyper::client::conn::http1::handshake(CorioIo::new(stream)).await.unwrap();
    ///     let connection = corio::spawn(connection);
    ///     let request = Request::get("/").header("host", "localhost").body(String::new()).unwrap();
    ///     let response = sender.send_request(request).await.unwrap();
    ///     assert_eq!(response.status(), 200);
    ///     assert_eq!(read_body(response.into_body()).await, b"Hello, World!");
    ///
    ///     // Closing the client's side ends both connections.
    ///     drop(sender);
    ///     connection.await.unwrap().unwrap();
    ///     server.await.unwrap();
    /// });
    /// ```
    #[derive(Debug)]
    pub struct CorioIo<T> {
        #[pin]
        inner: T,
    }
}

impl<T> CorioIo<T> {
    /// Wraps a `futures-io` stream.
    ///
    /// ```
    /// corio::run(async {
    ///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = corio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let io = corio::compat::hyper::CorioIo::new(stream);
    ///     # let _ = io;
    /// });
    /// ```
    pub fn new(inner: T) -> CorioIo<T> {
        CorioIo { inner }
    }

    /// The wrapped stream.
    ///
    /// ```
    /// corio::run(async {
    ///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let address = listener.local_addr().unwrap();
    ///     let io = corio::compat::hyper::CorioIo::new(corio::net::TcpStream::connect(address).await.unwrap());
    ///     assert_eq!(io.inner().peer_addr().unwrap(), address);
    /// });
    /// ```
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably. Reading or writing it directly while hyper uses the
    /// wrapper interleaves bytes with hyper's.
    ///
    /// ```
    /// corio::run(async {
    ///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let address = listener.local_addr().unwrap();
    ///     let mut io = corio::compat::hyper::CorioIo::new(corio::net::TcpStream::connect(address).await.unwrap());
    ///     io.inner_mut().set_nodelay(true).unwrap();
    /// });
    /// ```
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream, for example after an HTTP upgrade handed the connection back.
    ///
    /// ```
    /// corio::run(async {
    ///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let address = listener.local_addr().unwrap();
    ///     let io = corio::compat::hyper::CorioIo::new(corio::net::TcpStream::connect(address).await.unwrap());
    ///     let stream: corio::net::TcpStream = io.into_inner();
    ///     assert_eq!(stream.peer_addr().unwrap(), address);
    /// });
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> hyper::rt::Read for CorioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // `futures-io` reads into `&mut [u8]`, so the unfilled part must be initialized first;
        // `initialize_unfilled` zeroes only what was never initialized.
        let unfilled = buf.initialize_unfilled();
        let read = std::task::ready!(self.project().inner.poll_read(cx, unfilled))?;
        // SAFETY: `poll_read` wrote `read <= unfilled.len()` bytes into the initialized
        // unfilled part, so the first `read` bytes past the cursor are initialized.
        unsafe { buf.advance(read) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> hyper::rt::Write for CorioIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}
