//! Time: sleeps, timeouts and intervals on the runtime's shared timer wheel.
//!
//! asyncio's `asyncio.sleep` is [`sleep`], `asyncio.timeout`/`wait_for` is [`timeout`],
//! `asyncio.timeout_at` is [`timeout_at`] and `Timeout.reschedule` is [`Timeout::reschedule`].
//! Time points are `std::time::Instant` (asyncio's `loop.time()` is `Instant::now()`).
//! Resolution is one millisecond; a timer never fires before its deadline.

pub(crate) mod driver;
mod error;
mod interval;
mod sleep;
mod timeout;
pub(crate) mod wheel;

pub use error::Elapsed;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub(crate) use sleep::deadline_after;
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};
