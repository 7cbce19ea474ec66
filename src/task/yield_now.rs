use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields execution back to the scheduler: the current task goes to the back of its worker's
/// run queue, so every other ready task runs before it resumes. asyncio's `await
/// asyncio.sleep(0)`.
///
/// ```
/// corio::run(async {
///     for _ in 0..3 {
///         corio::task::yield_now().await;
///     }
/// });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Woken while running: the schedule function sees a yield and puts the task at the back
        // of the local queue, not in the LIFO slot where it would run again at once.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
