//! The settled configuration of a runtime, made by `Builder::build`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::UnhandledPanic;

pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) worker_threads: usize,
    pub(crate) thread_name: Arc<dyn Fn() -> String + Send + Sync>,
    pub(crate) thread_stack_size: Option<usize>,
    pub(crate) max_blocking_threads: usize,
    pub(crate) thread_keep_alive: Duration,
    pub(crate) event_interval: u32,
    pub(crate) global_queue_interval: u32,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    pub(crate) unhandled_panic: UnhandledPanic,
    /// Debug mode's slow-poll threshold; `None`: no reports.
    pub(crate) slow_poll_threshold: Option<Duration>,
    /// How long a worker may stay inside one poll before the monitor sends help.
    pub(crate) stall_threshold: Duration,
}

impl Default for Config {
    /// The defaults of `Builder`, with the reason for each.
    fn default() -> Config {
        Config {
            worker_threads: 1,
            thread_name: Arc::new(|| "corio-worker".to_string()),
            thread_stack_size: None,
            max_blocking_threads: 512,
            thread_keep_alive: Duration::from_secs(10),
            // 61, as Go's scheduler uses: a prime, so the check does not fall into lockstep
            // with periodic task patterns.
            event_interval: 61,
            // 31: tokio's long-standing default for the same fairness check.
            global_queue_interval: 31,
            on_thread_start: None,
            on_thread_stop: None,
            unhandled_panic: UnhandledPanic::Ignore,
            slow_poll_threshold: None,
            // One millisecond: the latency goal for I/O behind a blocked worker is a p99 of 1 ms.
            stall_threshold: Duration::from_millis(1),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.thread_keep_alive)
            .field("event_interval", &self.event_interval)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("unhandled_panic", &self.unhandled_panic)
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .finish_non_exhaustive()
    }
}
