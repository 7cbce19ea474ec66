//! corio: the asyncio model, rebuilt in Rust on a multi-threaded work-stealing runtime with
//! per-core reactors.
//!
//! Each worker thread owns a local run queue and a `polling` reactor and steals from its peers
//! when it runs dry; a shared hierarchical timer wheel, a blocking thread pool and a monitor
//! thread complete the runtime. Everything that can be shared is `Send + Sync` and works across
//! workers; cancellation is dropping a future.
//!
//! # From asyncio to corio
//!
//! | asyncio | corio |
//! |---|---|
//! | `asyncio.run(main())` | [`run`]`(main())`, or `#[corio::main]` |
//! | `asyncio.Runner`, the event loop | [`Runtime`], [`runtime::Builder`] |
//! | `asyncio.get_running_loop()` | [`Handle::current`] |
//! | `asyncio.create_task(coro, name=…)` | [`spawn`], [`task::Builder`] |
//! | `Task.cancel()`, `Task.done()` | [`task::JoinHandle::abort`], [`task::JoinHandle::is_finished`] |
//! | `CancelledError`, a task's exception | [`task::JoinError`] |
//! | `asyncio.current_task()` | [`task::id`], [`task::name`] |
//! | `asyncio.sleep(0)` | [`task::yield_now`] |
//! | `asyncio.sleep(d)` | [`time::sleep`] |
//! | `asyncio.timeout(d)`, `wait_for` | [`time::timeout`] (`Timeout::reschedule`) |
//! | `asyncio.to_thread(f)`, `run_in_executor(None, f)` | [`spawn_blocking`] |
//! | `loop.add_reader` / `add_writer`, `sock_*` | [`io::Async`] |
//!
//! # Hello, World
//!
//! ```
//! use std::time::Duration;
//!
//! corio::run(async {
//!     println!("Hello ...");
//!     corio::time::sleep(Duration::from_millis(10)).await;
//!     println!("... World!");
//! });
//! ```

#![warn(missing_docs)]

#[cfg(feature = "hyper")]
pub mod compat;
pub mod io;
pub(crate) mod loom;
pub mod net;
pub mod process;
pub mod queue;
pub(crate) mod reactor;
pub mod runtime;
pub mod signal;
pub mod streams;
pub mod sync;
pub mod task;
pub mod time;

use std::future::Future;

pub use runtime::{Handle, Runtime};
pub use task::{spawn, spawn_blocking};

/// Runs an `async fn main` on a corio runtime.
///
/// ```
/// #[corio::main(worker_threads = 2)]
/// async fn main() {
///     let answer = corio::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
#[cfg(feature = "macros")]
pub use corio_macros::main;

/// Runs an `async fn` test on its own corio runtime.
///
/// ```
/// #[corio::test(worker_threads = 1)]
/// async fn adds() {
///     assert_eq!(corio::spawn(async { 1 + 1 }).await.unwrap(), 2);
/// }
/// # fn main() {}
/// ```
#[cfg(feature = "macros")]
pub use corio_macros::test;

/// Internals exposed only to the loom models in `loom-tests/` (built with `--cfg loom`), so that
/// they check the real protocol code, not a copy of it. Not a public API.
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::loom::{inject_fault, set_timeouts_expire, Fault, FaultGuard, ModelRuntime};
    pub use crate::reactor::{Direction, Source};
    pub use crate::runtime::scheduler::lifo::{LifoSlot, SlotTask};
    pub use crate::runtime::scheduler::Idle;
    pub use crate::time::driver::TimerService;
}

/// Runs `future` on a new runtime with the default settings and shuts the runtime down when it
/// completes (asyncio's `asyncio.run`): remaining tasks are cancelled, and running blocking jobs
/// get a bounded grace period.
///
/// # Panics
/// When the runtime cannot be started (no threads or pollers could be created), or when called
/// on a worker thread of another corio runtime.
///
/// ```
/// let answer = corio::run(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    let runtime =
        Runtime::new().unwrap_or_else(|error| panic!("`corio::run`: failed to start the runtime: {error}"));
    runtime.block_on(future)
}
