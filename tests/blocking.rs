//! The blocking pool.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use support::HANG_GUARD;

#[test]
fn spawn_blocking_runs_more_jobs_at_once_than_there_are_workers() {
    let rt = support::runtime(2);
    // Eight jobs that can only finish once all eight are running at the same time.
    let barrier = Arc::new(Barrier::new(8));
    rt.block_on(async {
        let jobs: Vec<_> = (0..8)
            .map(|i| {
                let barrier = barrier.clone();
                corio::spawn_blocking(move || {
                    barrier.wait();
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for job in jobs {
            sum += job.await.unwrap();
        }
        assert_eq!(sum, 28);
    });
}

#[test]
fn idle_blocking_threads_exit_after_the_keep_alive() {
    let (stopped_tx, stopped_rx) = std::sync::mpsc::channel();
    let stopped_tx = std::sync::Mutex::new(stopped_tx);
    let rt = corio::runtime::Builder::new()
        .worker_threads(1)
        .thread_keep_alive(Duration::from_millis(50))
        .on_thread_stop(move || {
            let _ = stopped_tx.lock().unwrap().send(std::thread::current().id());
        })
        .build()
        .unwrap();
    let barrier = Arc::new(Barrier::new(3));
    let blocking_threads = rt.block_on(async {
        let jobs: Vec<_> = (0..3)
            .map(|_| {
                let barrier = barrier.clone();
                corio::spawn_blocking(move || {
                    barrier.wait();
                    std::thread::current().id()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for job in jobs {
            ids.push(job.await.unwrap());
        }
        ids
    });
    assert_eq!(rt.metrics().blocking_threads, 3);
    // The three blocking threads stop on their own, with the runtime still alive.
    let mut stopped = Vec::new();
    for _ in 0..3 {
        stopped.push(
            stopped_rx
                .recv_timeout(HANG_GUARD)
                .expect("an idle blocking thread exits"),
        );
    }
    for id in &blocking_threads {
        assert!(stopped.contains(id));
    }
    support::eventually("the pool counts no thread", || rt.metrics().blocking_threads == 0);
    // And the pool still works afterwards, with a fresh thread.
    let value = rt.block_on(async { corio::spawn_blocking(|| 11).await.unwrap() });
    assert_eq!(value, 11);
}

#[test]
fn the_blocking_pool_is_capped_and_queues_beyond_the_cap() {
    let rt = corio::runtime::Builder::new()
        .worker_threads(1)
        .max_blocking_threads(2)
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let jobs: Vec<_> = (0..20)
            .map(|_| {
                let (running, max_seen) = (running.clone(), max_seen.clone());
                corio::spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    max_seen.fetch_max(now, Ordering::SeqCst);
                    std::thread::yield_now();
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for job in jobs {
            job.await.unwrap();
        }
    });
    assert!(max_seen.load(Ordering::SeqCst) <= 2);
    assert!(rt.metrics().blocking_threads <= 2);
}

#[test]
fn a_panicking_blocking_job_gives_a_join_error() {
    let rt = support::runtime(1);
    rt.block_on(async {
        let error = corio::spawn_blocking(|| panic!("blocking boom"))
            .await
            .unwrap_err();
        assert!(error.is_panic());
        assert_eq!(corio::spawn_blocking(|| 1).await.unwrap(), 1);
    });
}

#[test]
fn shutdown_timeout_does_not_wait_for_a_stuck_blocking_job() {
    let rt = support::runtime(1);
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv();
    });
    started_rx.recv_timeout(HANG_GUARD).unwrap();
    // Returns although the job is still blocked; the guard catches a hang.
    support::within(HANG_GUARD, move || rt.shutdown_timeout(Duration::from_millis(10)));
    drop(release_tx);
}
