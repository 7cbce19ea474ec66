//! The blocking pool (`src/runtime/blocking.rs`): idle threads, wake-ups, keep-alive expiry and
//! shutdown.
//!
//! The pool is the runtime's own, spawning loom threads (`crate::loom::thread`); jobs are real
//! blocking tasks spawned through `Shared::spawn_blocking` (see `ModelRuntime`). The pool is
//! limited to one thread, the case in which a lost wake-up cannot be covered by a fresh thread.
//!
//! Loom has no time. A keep-alive wait is modelled two ways (`corio::__loom::set_timeouts_expire`):
//! by default it never times out (every interleaving of notifications is explored); with
//! expiring timeouts it releases the lock and reports a timeout at once, the other extreme.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;
use std::time::Duration;

use corio::__loom::{set_timeouts_expire, ModelRuntime};
use corio_loom_tests::block_on;
use loom::sync::Arc;
use loom::thread;

/// Long enough never to expire in a model: loom's wait for exiting threads ignores it anyway.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(3600);

/// Resets the keep-alive mode at the end of a test, also when it panics.
struct ExpiringTimeouts;

impl ExpiringTimeouts {
    fn enable() -> ExpiringTimeouts {
        set_timeouts_expire(true);
        ExpiringTimeouts
    }
}

impl Drop for ExpiringTimeouts {
    fn drop(&mut self) {
        set_timeouts_expire(false);
    }
}

/// A second job is scheduled while the pool's only thread finishes the first one and goes
/// idle: the job is not stranded (either the thread sees it before waiting, or the wake-up
/// reaches it), and both handles complete.
#[test]
fn a_job_scheduled_while_the_only_thread_goes_idle_runs() {
    loom::model(second_job_while_the_thread_goes_idle);
}

/// The only thread's keep-alive expires while a new job is scheduled: either the thread takes
/// the job, or it is on its way out and the job gets a new thread. The job never waits for a
/// thread that is leaving.
#[test]
fn keep_alive_expiry_racing_a_new_job_runs_it() {
    let _expiring = ExpiringTimeouts::enable();
    loom::model(second_job_while_the_thread_goes_idle);
}

/// The body of the two models above: the pool's only thread runs a first job and heads for
/// idle (and, with expiring timeouts, for the exit) while a second job is scheduled.
fn second_job_while_the_thread_goes_idle() {
    let runtime = ModelRuntime::new(1);
    assert_eq!(block_on(runtime.spawn_blocking(|| 1)).unwrap(), 1);
    let second = runtime.spawn_blocking(|| 2);
    assert_eq!(block_on(second).unwrap(), 2, "the job was stranded");
    assert!(runtime.shutdown_blocking(SHUTDOWN_TIMEOUT));
    assert_eq!(runtime.blocking_threads(), 0);
}

/// Shutdown races a running job and a queued one: shutdown returns (the thread exits), each
/// job either ran (its handle has the value) or was dropped unrun (its handle is cancelled),
/// and each job closure is dropped exactly once.
#[test]
fn shutdown_racing_a_running_and_a_queued_job_returns_and_cancels() {
    loom::model(|| {
        let runtime = Arc::new(ModelRuntime::new(1));
        let drops = StdArc::new(AtomicUsize::new(0));
        let job = |value: u32| {
            let guard = Dropped(drops.clone());
            move || {
                let _guard = guard;
                value
            }
        };
        let first = runtime.spawn_blocking(job(1));
        let second = runtime.spawn_blocking(job(2));
        let shutdown = {
            let runtime = runtime.clone();
            thread::spawn(move || runtime.shutdown_blocking(SHUTDOWN_TIMEOUT))
        };
        for (handle, value) in [(first, 1), (second, 2)] {
            match block_on(handle) {
                Ok(got) => assert_eq!(got, value),
                Err(error) => assert!(error.is_cancelled(), "not a cancellation: {error}"),
            }
        }
        assert!(shutdown.join().unwrap(), "shutdown gave up on an exiting thread");
        assert_eq!(runtime.blocking_threads(), 0);
        assert_eq!(runtime.blocking_queue_depth(), 0, "queued jobs are dropped");
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2,
            "each job is dropped exactly once"
        );
    });
}

/// Shutdown races the only thread going idle after its job: the thread does not sleep through
/// the shutdown's wake-up, so shutdown returns.
#[test]
fn shutdown_racing_the_thread_going_idle_returns() {
    loom::model(|| {
        let runtime = Arc::new(ModelRuntime::new(1));
        let job = runtime.spawn_blocking(|| 7);
        let shutdown = {
            let runtime = runtime.clone();
            thread::spawn(move || runtime.shutdown_blocking(SHUTDOWN_TIMEOUT))
        };
        match block_on(job) {
            Ok(value) => assert_eq!(value, 7),
            Err(error) => assert!(error.is_cancelled()),
        }
        assert!(shutdown.join().unwrap());
        assert_eq!(runtime.blocking_threads(), 0);
    });
}

/// A job scheduled after shutdown is dropped unrun and its handle is cancelled; nothing hangs.
#[test]
fn a_job_scheduled_racing_shutdown_runs_or_is_cancelled() {
    loom::model(|| {
        let runtime = Arc::new(ModelRuntime::new(1));
        let spawner = {
            let runtime = runtime.clone();
            thread::spawn(move || block_on(runtime.spawn_blocking(|| 3)))
        };
        assert!(runtime.shutdown_blocking(SHUTDOWN_TIMEOUT));
        match spawner.join().unwrap() {
            Ok(value) => assert_eq!(value, 3),
            Err(error) => assert!(error.is_cancelled()),
        }
    });
}

/// Counts its drops.
struct Dropped(StdArc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A job that blocks until a later job has run gets that later job a thread of its own. The pool
/// starts threads lazily (a burst of short jobs does not start one per job), so this checks the
/// other half of that rule: the thread that takes the first job and leaves the second queued,
/// with no idle or starting thread to take it, starts one, whatever the interleaving.
#[test]
fn a_job_blocking_on_a_later_job_gets_it_a_thread() {
    loom::model(|| {
        let runtime = ModelRuntime::new(2);
        let signal = Arc::new((loom::sync::Mutex::new(false), loom::sync::Condvar::new()));
        let waiter = {
            let signal = signal.clone();
            runtime.spawn_blocking(move || {
                let (done, condvar) = &*signal;
                let mut done = done.lock().unwrap();
                while !*done {
                    done = condvar.wait(done).unwrap();
                }
                "waited"
            })
        };
        let setter = runtime.spawn_blocking(move || {
            let (done, condvar) = &*signal;
            *done.lock().unwrap() = true;
            condvar.notify_one();
            "set"
        });
        assert_eq!(
            block_on(setter).unwrap(),
            "set",
            "the second job never got a thread"
        );
        assert_eq!(block_on(waiter).unwrap(), "waited");
        assert!(runtime.shutdown_blocking(SHUTDOWN_TIMEOUT));
        assert_eq!(runtime.blocking_threads(), 0);
    });
}
