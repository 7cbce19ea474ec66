//! `runtime::Builder`: every knob of a runtime, with its default and the reason for it.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::config::Config;
use super::{Runtime, UnhandledPanic};

/// Builds a [`Runtime`] with custom settings (asyncio's `Runner` options and the event loop
/// setters).
///
/// Methods take and return `&mut Builder`, so settings chain; `build` may be called more than
/// once.
///
/// ```
/// use std::time::Duration;
///
/// let runtime = corio::runtime::Builder::new()
///     .worker_threads(2)
///     .thread_name("my-app")
///     .thread_keep_alive(Duration::from_secs(30))
///     .build()
///     .unwrap();
/// assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    /// `None`: decided at `build` (environment, then CPU count).
    worker_threads: Option<usize>,
    debug: bool,
    /// Everything else, with its defaults (see `Config::default`).
    config: Config,
}

/// The slow-poll threshold of debug mode: asyncio's `slow_callback_duration` default.
const DEBUG_SLOW_POLL: Duration = Duration::from_millis(100);

/// The environment variable that sets the default number of worker threads.
pub const WORKER_THREADS_ENV: &str = "CORIO_WORKER_THREADS";

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// A builder with the defaults.
    pub fn new() -> Builder {
        Builder {
            worker_threads: None,
            debug: false,
            config: Config::default(),
        }
    }

    /// Number of worker threads. Default: the `CORIO_WORKER_THREADS` environment variable, else
    /// the number of CPUs.
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "`Builder::worker_threads` must be at least 1");
        self.worker_threads = Some(n);
        self
    }

    /// Name of the runtime's threads (workers and blocking threads). Default `corio-worker`.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        let name = name.into();
        self.config.thread_name = Arc::new(move || name.clone());
        self
    }

    /// A function that names each new thread.
    pub fn thread_name_fn(&mut self, f: impl Fn() -> String + Send + Sync + 'static) -> &mut Builder {
        self.config.thread_name = Arc::new(f);
        self
    }

    /// Stack size of the runtime's threads. Default: the platform's default for new threads.
    pub fn thread_stack_size(&mut self, size: usize) -> &mut Builder {
        self.config.thread_stack_size = Some(size);
        self
    }

    /// Upper bound of blocking-pool threads. Default 512.
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "`Builder::max_blocking_threads` must be at least 1");
        self.config.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before it exits. Default 10 s.
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Builder {
        self.config.thread_keep_alive = duration;
        self
    }

    /// Ticks between two non-blocking polls of a busy worker's own reactor. Default 61.
    ///
    /// # Panics
    /// When `ticks` is 0.
    pub fn event_interval(&mut self, ticks: u32) -> &mut Builder {
        assert!(ticks > 0, "`Builder::event_interval` must be at least 1");
        self.config.event_interval = ticks;
        self
    }

    /// Ticks between two checks of the shared injector before the local queue. Default 31.
    ///
    /// # Panics
    /// When `ticks` is 0.
    pub fn global_queue_interval(&mut self, ticks: u32) -> &mut Builder {
        assert!(ticks > 0, "`Builder::global_queue_interval` must be at least 1");
        self.config.global_queue_interval = ticks;
        self
    }

    /// Runs `f` on every runtime thread (worker or blocking) when it starts.
    pub fn on_thread_start(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.config.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on every runtime thread (worker or blocking) before it stops.
    pub fn on_thread_stop(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.config.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Debug mode (asyncio's debug mode): every task poll that runs longer than the slow-poll
    /// threshold (100 ms, asyncio's `slow_callback_duration`, unless set with
    /// [`slow_poll_threshold`](Builder::slow_poll_threshold)) is reported through `tracing`,
    /// target `corio`, with the task's id, name, spawn location and duration — while it is still
    /// running (the monitor thread sees it) and once more when it ends.
    ///
    /// ```
    /// let runtime = corio::runtime::Builder::new().debug(true).build().unwrap();
    /// runtime.block_on(async { corio::spawn(async { 1 }).await.unwrap() });
    /// ```
    pub fn debug(&mut self, enabled: bool) -> &mut Builder {
        self.debug = enabled;
        self
    }

    /// Sets the slow-poll threshold and turns the slow-poll reports on.
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Builder {
        self.config.slow_poll_threshold = Some(threshold);
        self
    }

    /// What a panic in a spawned task does to the runtime (asyncio's exception handler).
    pub fn unhandled_panic(&mut self, behavior: UnhandledPanic) -> &mut Builder {
        self.config.unhandled_panic = behavior;
        self
    }

    /// Starts the runtime's threads.
    ///
    /// Fails when a worker's poller cannot be created or a thread cannot be spawned, or when
    /// `CORIO_WORKER_THREADS` is set to something that is not a positive integer.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let worker_threads = match self.worker_threads {
            Some(n) => n,
            None => workers_from_env()?.unwrap_or_else(num_cpus::get).max(1),
        };
        let slow_poll_threshold = self
            .config
            .slow_poll_threshold
            .or(self.debug.then_some(DEBUG_SLOW_POLL));
        let config = Config {
            worker_threads,
            slow_poll_threshold,
            ..self.config.clone()
        };
        Runtime::start(config)
    }
}

fn workers_from_env() -> io::Result<Option<usize>> {
    match std::env::var(WORKER_THREADS_ENV) {
        Ok(value) => match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{WORKER_THREADS_ENV}={value:?} is not a positive integer"),
            )),
        },
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(value)) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{WORKER_THREADS_ENV}={value:?} is not a positive integer"),
        )),
    }
}
