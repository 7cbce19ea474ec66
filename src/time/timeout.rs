use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::error::Elapsed;
use super::sleep::{deadline_after, sleep_until, Sleep};

/// Runs `future` with a time limit (asyncio's `asyncio.timeout` / `wait_for`).
///
/// Gives `Ok(output)` if the future completes first, `Err(Elapsed)` if the deadline passes
/// first; the future is then dropped (cancelled) with the `Timeout`.
///
/// # Panics
/// When called outside a corio runtime.
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let slow = corio::time::sleep(Duration::from_secs(10));
///     assert!(corio::time::timeout(Duration::from_millis(5), slow).await.is_err());
///     let fast = async { 7 };
///     assert_eq!(corio::time::timeout(Duration::from_secs(1), fast).await, Ok(7));
/// });
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    timeout_at(deadline_after(duration), future)
}

/// Runs `future` until `deadline` (asyncio's `asyncio.timeout_at`).
#[track_caller]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The current deadline.
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }

    /// Moves the deadline, earlier or later (asyncio's `Timeout.reschedule`).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// corio::run(async {
    ///     let mut t = std::pin::pin!(corio::time::timeout(Duration::from_millis(1), async {
    ///         corio::time::sleep(Duration::from_millis(20)).await;
    ///         "done"
    ///     }));
    ///     t.as_mut().reschedule(Instant::now() + Duration::from_secs(5));
    ///     assert_eq!(t.await, Ok("done"));
    /// });
    /// ```
    pub fn reschedule(self: Pin<&mut Self>, deadline: Instant) {
        Pin::new(self.project().sleep).reset(deadline);
    }

    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The wrapped future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives the wrapped future back, dropping the timer.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    }
}
