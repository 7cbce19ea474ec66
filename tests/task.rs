//! Tasks: abort, cancellation drops the future, stealing across workers.

mod support;

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use corio::io::{Async, AsyncReadExt};
use support::{runtime, DropCounter, HANG_GUARD};

#[test]
fn abort_of_a_task_sleeping_on_a_timer_cancels_it_and_drops_its_future() {
    let rt = runtime(2);
    let drops = DropCounter::default();
    rt.block_on({
        let drops = drops.clone();
        async move {
            let (started_tx, started_rx) = futures::channel::oneshot::channel();
            let guard = drops.guard();
            let sleeper = corio::spawn(async move {
                let _guard = guard;
                started_tx.send(()).unwrap();
                corio::time::sleep(Duration::from_secs(3600)).await;
                "woke up"
            });
            started_rx.await.unwrap();
            assert_eq!(drops.dropped(), 0);
            sleeper.abort();
            let error = sleeper.await.unwrap_err();
            assert!(error.is_cancelled(), "{error}");
            assert!(!error.is_panic());
            assert_eq!(
                drops.dropped(),
                1,
                "the future is dropped when the handle reports it"
            );
        }
    });
    // And its timer is gone.
    assert_eq!(rt.metrics().pending_timers, 0);
}

#[test]
fn abort_of_a_task_pending_on_io_cancels_it_and_drops_its_future() {
    let rt = runtime(2);
    let drops = DropCounter::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    rt.block_on({
        let drops = drops.clone();
        async move {
            let (started_tx, started_rx) = futures::channel::oneshot::channel();
            let guard = drops.guard();
            let reader = corio::spawn(async move {
                let _guard = guard;
                let mut stream = Async::new(server).unwrap();
                started_tx.send(()).unwrap();
                let mut buf = [0u8; 16];
                stream.read(&mut buf).await
            });
            started_rx.await.unwrap();
            let sources_before: usize = corio::Handle::current()
                .metrics()
                .workers
                .iter()
                .map(|w| w.registered_sources)
                .sum();
            assert_eq!(sources_before, 1);
            reader.abort();
            assert!(reader.await.unwrap_err().is_cancelled());
            assert_eq!(drops.dropped(), 1);
            let sources_after: usize = corio::Handle::current()
                .metrics()
                .workers
                .iter()
                .map(|w| w.registered_sources)
                .sum();
            assert_eq!(sources_after, 0, "the cancelled reader's socket left its reactor");
        }
    });
    drop(client);
}

#[test]
fn abort_handle_works_after_the_join_handle_is_dropped() {
    let rt = runtime(2);
    let drops = DropCounter::default();
    let guard = drops.guard();
    let handle = rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let abort = handle.abort_handle();
    assert!(!abort.is_finished());
    drop(handle);
    abort.abort();
    let drops_clone = drops.clone();
    support::eventually("the aborted task's future is dropped", move || {
        drops_clone.dropped() == 1
    });
    assert!(abort.is_finished());
}

/// `AbortHandle::is_finished` of a blocking task follows the job: false while it runs, true
/// once it returned.
#[test]
fn abort_handle_of_a_running_blocking_task_is_not_finished_until_it_returns() {
    let rt = runtime(2);
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let handle = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(HANG_GUARD).unwrap();
        7
    });
    let abort = handle.abort_handle();
    started_rx.recv_timeout(HANG_GUARD).unwrap();
    assert!(!abort.is_finished(), "the blocking job is still running");
    release_tx.send(()).unwrap();
    assert_eq!(rt.block_on(handle).unwrap(), 7);
    assert!(abort.is_finished());
}

#[test]
fn abort_after_completion_keeps_the_result() {
    let rt = runtime(2);
    rt.block_on(async {
        let handle = corio::spawn(async { 5 });
        while !handle.is_finished() {
            corio::task::yield_now().await;
        }
        handle.abort();
        assert_eq!(handle.await.unwrap(), 5);
    });
}

#[test]
fn abort_of_a_running_task_takes_effect_at_its_next_await() {
    let rt = runtime(2);
    rt.block_on(async {
        let (inside_tx, inside_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let handle = corio::spawn(async move {
            inside_tx.send(()).unwrap();
            // Blocks its worker until the test has called abort, so abort lands mid-poll.
            go_rx.recv().unwrap();
            corio::task::yield_now().await;
            "should not get here"
        });
        inside_rx.recv_timeout(HANG_GUARD).unwrap();
        handle.abort();
        go_tx.send(()).unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn stealing_lets_two_tasks_from_one_worker_run_at_once() {
    // Both tasks are spawned from one task on one worker; they can only both pass the
    // barrier if the other worker steals one of them and they run in parallel.
    for _ in 0..20 {
        let rt = runtime(2);
        let ok = rt.block_on(async {
            corio::spawn(async {
                let barrier = Arc::new(Barrier::new(2));
                let a = corio::spawn({
                    let barrier = barrier.clone();
                    async move { barrier.wait().is_leader() }
                });
                let b = corio::spawn({
                    let barrier = barrier.clone();
                    async move { barrier.wait().is_leader() }
                });
                let (a, b) = (a.await.unwrap(), b.await.unwrap());
                a != b
            })
            .await
            .unwrap()
        });
        assert!(ok, "exactly one leader");
    }
}

#[test]
fn blocking_task_aborted_before_it_starts_is_cancelled() {
    let rt = corio::runtime::Builder::new()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let occupying = corio::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        started_rx.recv_timeout(HANG_GUARD).unwrap();
        // The only blocking thread is busy, so this job waits in the queue.
        let queued = corio::spawn_blocking(|| "ran");
        queued.abort();
        release_tx.send(()).unwrap();
        occupying.await.unwrap();
        assert!(queued.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn join_error_display_and_io_conversion() {
    let rt = runtime(1);
    rt.block_on(async {
        let handle = corio::spawn(std::future::pending::<()>());
        let id = handle.id();
        handle.abort();
        let error = handle.await.unwrap_err();
        assert_eq!(error.id(), id);
        assert_eq!(error.to_string(), format!("task {id} was cancelled"));
        let io: std::io::Error = error.into();
        assert_eq!(io.kind(), std::io::ErrorKind::Interrupted);
        let value = std::hint::black_box(42);
        let panicked = corio::spawn(async move { panic!("value {value}") })
            .await
            .unwrap_err();
        assert!(panicked.to_string().contains("value 42"), "{panicked}");
        let payload = panicked.try_into_panic().unwrap();
        assert_eq!(support::panic_message(&*payload), "value 42");
    });
}

#[test]
fn a_task_woken_just_before_its_waker_blocks_the_worker_runs_elsewhere() {
    // The blocker wakes the receiver (which lands in the blocker's LIFO slot, to run next on the
    // same worker) and then blocks that worker for 300 ms. The receiver must not wait for it:
    // the monitor flags the worker as stuck and a peer takes the task from the slot.
    let rt = runtime(2);
    let blocker_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (result_tx, result_rx) = std::sync::mpsc::channel();
    let blocker = rt.spawn({
        let blocker_done = blocker_done.clone();
        async move {
            let (message_tx, message_rx) = futures::channel::oneshot::channel::<()>();
            let (waiting_tx, waiting_rx) = futures::channel::oneshot::channel::<()>();
            let receiver_done = blocker_done.clone();
            let receiver = corio::spawn(async move {
                waiting_tx.send(()).unwrap();
                message_rx.await.unwrap();
                result_tx
                    .send(receiver_done.load(std::sync::atomic::Ordering::SeqCst))
                    .unwrap();
            });
            waiting_rx.await.unwrap();
            message_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            blocker_done.store(true, std::sync::atomic::Ordering::SeqCst);
            // Handed back (not awaited here) so the test awaits it after the blocker returned.
            Some(receiver)
        }
    });
    let blocker_was_done = result_rx.recv_timeout(HANG_GUARD).unwrap();
    assert!(
        !blocker_was_done,
        "the woken task ran while its waker still blocked the worker"
    );
    rt.block_on(async move { blocker.await.unwrap().unwrap().await.unwrap() });
}
