//! Signals: `corio::signal::ctrl_c` and `corio::signal::unix`.
//!
//! Signals are process-wide, so every signal test lives in this file and each uses its own
//! signal number, which lets them run in parallel.

mod support;

use std::future::Future;
use std::io;
use std::task::Poll;

use corio::signal::unix::{signal, Signal, SignalKind};
use corio::time::timeout;
use support::{runtime, HANG_GUARD};

/// Raises `signum` in the calling thread: its handler has run when this returns.
fn raise(signum: libc::c_int) {
    // SAFETY: `raise` has no preconditions; every test installs a handler first.
    assert_eq!(unsafe { libc::raise(signum) }, 0, "raise({signum})");
}

/// Sends `signum` to the whole process: any thread may take it, asynchronously.
fn kill_self(signum: libc::c_int) {
    // SAFETY: `kill` and `getpid` have no preconditions; every test installs a handler first.
    assert_eq!(unsafe { libc::kill(libc::getpid(), signum) }, 0, "kill({signum})");
}

/// Polls `listener` once: whether a delivery was already waiting for it.
/// Polls `future` once and asserts that it is still waiting.
async fn poll_once_pending<F: Future + Unpin>(future: &mut F) {
    std::future::poll_fn(|cx| {
        assert!(std::pin::Pin::new(&mut *future).poll(cx).is_pending());
        Poll::Ready(())
    })
    .await
}

async fn has_pending_delivery(listener: &mut Signal) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(listener.poll_recv(cx).is_ready())).await
}

async fn recv_guarded(listener: &mut Signal) -> Option<()> {
    timeout(HANG_GUARD, listener.recv())
        .await
        .expect("the signal was not received in time")
}

async fn wait_for_three(progress: &mut corio::sync::mpsc::Receiver<()>) {
    for _ in 0..3 {
        timeout(HANG_GUARD, progress.recv()).await.unwrap().unwrap();
    }
}

#[test]
fn every_listener_of_a_signal_receives_each_delivery() {
    let rt = runtime(2);
    rt.block_on(async {
        let listeners: Vec<Signal> = (0..3)
            .map(|_| signal(SignalKind::user_defined1()).unwrap())
            .collect();
        // Each task reports on `progress` when it is parked in `recv` and after each delivery.
        let (progress_tx, mut progress_rx) = corio::sync::mpsc::channel::<()>(3);
        let tasks: Vec<_> = listeners
            .into_iter()
            .map(|mut listener| {
                let progress_tx = progress_tx.clone();
                corio::spawn(async move {
                    assert!(!has_pending_delivery(&mut listener).await);
                    progress_tx.send(()).await.unwrap();
                    for _ in 0..2 {
                        assert_eq!(recv_guarded(&mut listener).await, Some(()));
                        progress_tx.send(()).await.unwrap();
                    }
                })
            })
            .collect();
        wait_for_three(&mut progress_rx).await;
        // From this thread to the whole process: any thread may take it.
        kill_self(libc::SIGUSR1);
        wait_for_three(&mut progress_rx).await;
        // Raised on another thread, after every listener saw the first (so nothing coalesces).
        std::thread::spawn(|| raise(libc::SIGUSR1)).join().unwrap();
        for task in tasks {
            timeout(HANG_GUARD, task).await.unwrap().unwrap();
        }
    });
}

#[test]
fn a_listener_created_after_a_delivery_does_not_see_it() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut early = signal(SignalKind::user_defined2()).unwrap();
        raise(libc::SIGUSR2);
        assert_eq!(recv_guarded(&mut early).await, Some(()));

        let mut late = signal(SignalKind::user_defined2()).unwrap();
        assert!(
            !has_pending_delivery(&mut late).await,
            "the late listener saw an old delivery"
        );
        assert!(
            !has_pending_delivery(&mut early).await,
            "one delivery was reported twice"
        );

        raise(libc::SIGUSR2);
        assert_eq!(recv_guarded(&mut late).await, Some(()));
        assert_eq!(recv_guarded(&mut early).await, Some(()));
    });
}

#[test]
fn a_delivery_nobody_polled_for_is_not_reported_to_a_later_listener() {
    let rt = runtime(2);
    rt.block_on(async {
        // Installs the handler, then leaves nobody listening.
        drop(signal(SignalKind::from_raw(libc::SIGIO)).unwrap());
        raise(libc::SIGIO);
        let mut late = signal(SignalKind::from_raw(libc::SIGIO)).unwrap();
        assert!(
            !has_pending_delivery(&mut late).await,
            "the late listener saw an old delivery"
        );
        raise(libc::SIGIO);
        assert_eq!(recv_guarded(&mut late).await, Some(()));
    });
}

#[test]
fn deliveries_before_a_recv_coalesce_and_none_is_lost() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut listener = signal(SignalKind::from_raw(libc::SIGXCPU)).unwrap();
        for _ in 0..10 {
            raise(libc::SIGXCPU);
        }
        assert_eq!(recv_guarded(&mut listener).await, Some(()));
        // At most one more report for those ten, then nothing until the next delivery.
        let _ = has_pending_delivery(&mut listener).await;
        assert!(!has_pending_delivery(&mut listener).await);
        raise(libc::SIGXCPU);
        assert_eq!(recv_guarded(&mut listener).await, Some(()));
    });
}

#[test]
fn ctrl_c_resolves_on_sigint_without_killing_the_process() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut ctrl_c = std::pin::pin!(corio::signal::ctrl_c());
        // The first poll installs the handler; raising before it would kill the test process.
        poll_once_pending(&mut ctrl_c).await;
        raise(libc::SIGINT);
        timeout(HANG_GUARD, ctrl_c).await.unwrap().unwrap();
    });
}

#[test]
fn listeners_of_two_runtimes_both_receive() {
    let first = runtime(2);
    let second = runtime(2);
    let mut in_first = first.block_on(async { signal(SignalKind::hangup()) }).unwrap();
    let mut in_second = second.block_on(async { signal(SignalKind::hangup()) }).unwrap();
    raise(libc::SIGHUP);
    let waiter =
        std::thread::spawn(move || second.block_on(async move { recv_guarded(&mut in_second).await }));
    assert_eq!(first.block_on(recv_guarded(&mut in_first)), Some(()));
    assert_eq!(waiter.join().unwrap(), Some(()));
}

#[test]
fn a_listener_moved_to_another_runtime_still_receives() {
    let first = runtime(2);
    let second = runtime(2);
    let mut listener = first
        .block_on(async { signal(SignalKind::window_change()) })
        .unwrap();
    second.block_on(async {
        let task = corio::spawn(async move { recv_guarded(&mut listener).await });
        corio::task::yield_now().await;
        kill_self(libc::SIGWINCH);
        assert_eq!(timeout(HANG_GUARD, task).await.unwrap().unwrap(), Some(()));
    });
}

#[test]
fn recv_returns_none_once_the_listeners_runtime_shut_down() {
    let first = runtime(2);
    let mut listener = first.block_on(async { signal(SignalKind::alarm()) }).unwrap();
    drop(first);
    let second = runtime(2);
    second.block_on(async {
        assert_eq!(recv_guarded(&mut listener).await, None);
        assert_eq!(recv_guarded(&mut listener).await, None);
    });
}

#[test]
fn a_dropped_recv_loses_no_delivery() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut listener = signal(SignalKind::terminate()).unwrap();
        {
            let mut recv = std::pin::pin!(listener.recv());
            poll_once_pending(&mut recv).await;
        }
        raise(libc::SIGTERM);
        assert_eq!(recv_guarded(&mut listener).await, Some(()));
    });
}

#[test]
fn a_dropped_listener_does_not_disturb_the_others() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut kept = signal(SignalKind::from_raw(libc::SIGURG)).unwrap();
        let dropped = signal(SignalKind::from_raw(libc::SIGURG)).unwrap();
        let dropped_in_task = signal(SignalKind::from_raw(libc::SIGURG)).unwrap();
        drop(dropped);
        corio::spawn(async move { drop(dropped_in_task) }).await.unwrap();
        raise(libc::SIGURG);
        assert_eq!(recv_guarded(&mut kept).await, Some(()));
    });
}

#[test]
fn signal_is_a_stream() {
    use futures::StreamExt;

    let rt = runtime(2);
    rt.block_on(async {
        let listener = signal(SignalKind::from_raw(libc::SIGVTALRM)).unwrap();
        let mut deliveries = listener.take(2);
        for _ in 0..2 {
            raise(libc::SIGVTALRM);
            assert_eq!(timeout(HANG_GUARD, deliveries.next()).await.unwrap(), Some(()));
        }
        assert_eq!(deliveries.next().await, None);
    });
}

#[test]
fn forbidden_and_invalid_signals_are_rejected() {
    let rt = runtime(2);
    rt.block_on(async {
        for signum in [
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            0,
            -1,
            65,
            1000,
        ] {
            let error = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::InvalidInput,
                "signal {signum}: {error}"
            );
        }
    });
}

#[test]
fn signal_outside_a_runtime_is_an_error() {
    let error = signal(SignalKind::from_raw(libc::SIGPROF)).unwrap_err();
    assert!(error.to_string().contains("outside a corio runtime"), "{error}");
}

#[test]
fn signal_kinds_map_to_their_numbers() {
    let kinds = [
        (SignalKind::interrupt(), libc::SIGINT),
        (SignalKind::terminate(), libc::SIGTERM),
        (SignalKind::hangup(), libc::SIGHUP),
        (SignalKind::quit(), libc::SIGQUIT),
        (SignalKind::user_defined1(), libc::SIGUSR1),
        (SignalKind::user_defined2(), libc::SIGUSR2),
        (SignalKind::child(), libc::SIGCHLD),
        (SignalKind::alarm(), libc::SIGALRM),
        (SignalKind::pipe(), libc::SIGPIPE),
        (SignalKind::window_change(), libc::SIGWINCH),
    ];
    for (kind, signum) in kinds {
        assert_eq!(kind.as_raw_value(), signum);
        assert_eq!(SignalKind::from_raw(signum), kind);
    }
}

#[test]
fn signal_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Signal>();
    assert_send_sync::<SignalKind>();
}
