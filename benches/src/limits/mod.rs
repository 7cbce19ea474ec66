//! The limit rows: physical floors measured with no runtime at all, shown beside the runtimes
//! so that a ratio can be read against what is possible, not only against a competitor.
//!
//! - [`spawn_floor`]: raw `async-task` spawn + run + join on one thread, the allocation and
//!   state-machine cost every task pays whatever schedules it.
//! - [`echo_floor`]: a single-threaded echo loop written directly on `polling` (epoll), the
//!   syscall cost per message; `N` workers could at best divide its time by `N`.

pub mod echo_floor;
pub mod spawn_floor;
