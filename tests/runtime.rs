//! Runtime behaviour: spawning at scale, panics, handles, block_on misuse, builder options.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::{runtime, within, HANG_GUARD};

#[test]
fn hundred_thousand_tasks_spawned_inside_the_runtime_all_complete() {
    let rt = runtime(2);
    let counter = Arc::new(AtomicUsize::new(0));
    let total = rt.block_on({
        let counter = counter.clone();
        async move {
            // Spawned from a task, so the spawns go through the worker-local path.
            corio::spawn(async move {
                let handles: Vec<_> = (0..100_000)
                    .map(|_| {
                        let counter = counter.clone();
                        corio::spawn(async move {
                            counter.fetch_add(1, Ordering::Relaxed);
                            1usize
                        })
                    })
                    .collect();
                let mut total = 0;
                for handle in handles {
                    total += handle.await.unwrap();
                }
                total
            })
            .await
            .unwrap()
        }
    });
    assert_eq!(total, 100_000);
    assert_eq!(counter.load(Ordering::Relaxed), 100_000);
}

#[test]
fn hundred_thousand_tasks_spawned_from_outside_all_complete() {
    let rt = runtime(2);
    let counter = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..100_000)
        .map(|_| {
            let counter = counter.clone();
            rt.spawn(async move {
                counter.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    rt.block_on(async {
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(counter.load(Ordering::Relaxed), 100_000);
}

#[test]
fn spawns_from_many_outside_threads_all_complete() {
    let rt = runtime(2);
    let counter = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let handle = rt.handle().clone();
            let counter = counter.clone();
            std::thread::spawn(move || {
                let handles: Vec<_> = (0..5_000)
                    .map(|_| {
                        let counter = counter.clone();
                        handle.spawn(async move {
                            counter.fetch_add(1, Ordering::Relaxed);
                        })
                    })
                    .collect();
                handle.block_on(async {
                    for h in handles {
                        h.await.unwrap();
                    }
                });
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(counter.load(Ordering::Relaxed), 20_000);
}

#[test]
fn a_panicking_task_gives_its_payload_and_the_runtime_goes_on() {
    let rt = runtime(2);
    rt.block_on(async {
        let failing = corio::spawn(async {
            panic!("task exploded on purpose");
        });
        let healthy = corio::spawn(async { 7 });
        let error = failing.await.unwrap_err();
        assert!(error.is_panic());
        assert!(!error.is_cancelled());
        assert!(error.to_string().contains("task exploded on purpose"), "{error}");
        let payload = error.into_panic();
        assert_eq!(
            *payload.downcast_ref::<&str>().unwrap(),
            "task exploded on purpose"
        );
        assert_eq!(healthy.await.unwrap(), 7);
        // The runtime still runs new work after the panic.
        assert_eq!(corio::spawn(async { 8 }).await.unwrap(), 8);
    });
}

#[test]
fn unhandled_panic_shutdown_runtime_stops_block_on() {
    let rt = corio::runtime::Builder::new()
        .worker_threads(2)
        .unhandled_panic(corio::runtime::UnhandledPanic::ShutdownRuntime)
        .build()
        .unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            drop(corio::spawn(async { panic!("fatal task") }));
            std::future::pending::<()>().await;
        })
    }));
    let message = support::panic_message(&*result.unwrap_err());
    assert!(message.contains("ShutdownRuntime"), "{message}");
}

#[test]
fn handle_current_outside_a_runtime_panics_with_a_clear_message() {
    let result = std::panic::catch_unwind(corio::Handle::current);
    let message = support::panic_message(&*result.unwrap_err());
    assert!(message.contains("outside a corio runtime"), "{message}");
    assert!(message.contains("try_current"), "{message}");
    let error = corio::Handle::try_current().unwrap_err();
    assert_eq!(error.to_string(), "no corio runtime is running on this thread");
}

#[test]
fn handle_current_works_in_block_on_tasks_and_blocking_jobs() {
    let rt = runtime(2);
    rt.block_on(async {
        assert!(corio::Handle::try_current().is_ok());
        assert!(corio::spawn(async { corio::Handle::try_current().is_ok() })
            .await
            .unwrap());
        assert!(corio::spawn_blocking(|| corio::Handle::try_current().is_ok())
            .await
            .unwrap());
    });
    assert!(
        corio::Handle::try_current().is_err(),
        "block_on leaves the context behind"
    );
}

#[test]
fn block_on_on_a_worker_thread_panics_instead_of_deadlocking() {
    let rt = runtime(2);
    let handle = rt.handle().clone();
    let error = rt.block_on(async move {
        corio::spawn(async move { handle.block_on(async { 1 }) })
            .await
            .unwrap_err()
    });
    assert!(error.is_panic());
    let message = error.to_string();
    assert!(message.contains("worker thread"), "{message}");
    assert!(message.contains("spawn_blocking"), "{message}");
}

#[test]
fn block_on_inside_spawn_blocking_is_allowed() {
    let rt = runtime(2);
    let value = rt.block_on(async {
        corio::spawn_blocking(|| {
            corio::Handle::current().block_on(async { corio::spawn(async { 3 }).await.unwrap() })
        })
        .await
        .unwrap()
    });
    assert_eq!(value, 3);
}

#[test]
fn spawn_outside_a_runtime_panics_with_a_clear_message() {
    let payload = std::panic::catch_unwind(|| corio::spawn(async {})).unwrap_err();
    let message = support::panic_message(&*payload);
    assert!(message.contains("outside a corio runtime"), "{message}");
}

#[test]
fn run_returns_the_output_and_shuts_down() {
    let before = support::thread_count();
    let value = corio::run(async { corio::spawn(async { 40 + 2 }).await.unwrap() });
    assert_eq!(value, 42);
    // Other tests of this binary run concurrently, so only check the bound loosely: run()'s own
    // threads are gone, which the shutdown test checks exactly.
    let _ = before;
}

#[test]
fn runtime_threads_run_the_start_and_stop_hooks_and_carry_the_name() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let rt = corio::runtime::Builder::new()
        .worker_threads(3)
        .thread_name("hooked-worker")
        .on_thread_start({
            let started = started.clone();
            move || {
                started.fetch_add(1, Ordering::SeqCst);
            }
        })
        .on_thread_stop({
            let stopped = stopped.clone();
            move || {
                stopped.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap();
    let name = rt.block_on(async {
        corio::spawn(async { std::thread::current().name().map(String::from) })
            .await
            .unwrap()
    });
    assert_eq!(name.as_deref(), Some("hooked-worker"));
    drop(rt);
    assert_eq!(started.load(Ordering::SeqCst), 3);
    assert_eq!(stopped.load(Ordering::SeqCst), 3);
}

#[test]
fn invalid_worker_threads_env_is_a_clear_error() {
    // The variable is read only when no explicit count is given; run the check in a child
    // process so this test does not change the environment of the others.
    if std::env::var("CORIO_ENV_CHILD").is_ok() {
        let error = corio::runtime::Builder::new().build().unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("CORIO_WORKER_THREADS"));
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "invalid_worker_threads_env_is_a_clear_error",
            "--exact",
            "--nocapture",
        ])
        .env("CORIO_ENV_CHILD", "1")
        .env("CORIO_WORKER_THREADS", "many")
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn worker_threads_env_sets_the_default_count() {
    if std::env::var("CORIO_ENV_CHILD").is_ok() {
        let rt = corio::runtime::Builder::new().build().unwrap();
        assert_eq!(rt.metrics().workers.len(), 3);
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "worker_threads_env_sets_the_default_count",
            "--exact",
            "--nocapture",
        ])
        .env("CORIO_ENV_CHILD", "1")
        .env("CORIO_WORKER_THREADS", "3")
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn task_ids_names_and_yield_now() {
    let rt = runtime(2);
    rt.block_on(async {
        assert!(corio::task::try_id().is_none());
        let handle = corio::task::Builder::new().name("named").spawn(async {
            for _ in 0..10 {
                corio::task::yield_now().await;
            }
            (corio::task::id(), corio::task::name())
        });
        let expected = handle.id();
        let (id, name) = handle.await.unwrap();
        assert_eq!(id, expected);
        assert_eq!(name.as_deref(), Some("named"));
        let unnamed = corio::spawn(async { corio::task::name() }).await.unwrap();
        assert_eq!(unnamed, None);
        let other = corio::spawn(async { corio::task::id() }).await.unwrap();
        assert_ne!(other, expected);
    });
}

#[test]
fn yield_now_lets_other_tasks_on_the_same_worker_run() {
    // One worker. The spinner spawns the bumper (queued behind it on the same worker) and then
    // only yields: the bumper can run, and the spinner see its effect, only through yield_now.
    let rt = runtime(1);
    let observed = rt.block_on(async {
        corio::spawn(async {
            let progress = Arc::new(AtomicUsize::new(0));
            let bumper = corio::spawn({
                let progress = progress.clone();
                async move {
                    progress.fetch_add(1, Ordering::SeqCst);
                }
            });
            let mut yields = 0;
            while progress.load(Ordering::SeqCst) == 0 && yields < 10_000 {
                corio::task::yield_now().await;
                yields += 1;
            }
            bumper.await.unwrap();
            (progress.load(Ordering::SeqCst), yields)
        })
        .await
        .unwrap()
    });
    assert_eq!(observed.0, 1);
    assert!(
        observed.1 >= 1 && observed.1 < 10_000,
        "progress after {} yields",
        observed.1
    );
}

#[test]
fn joinhandle_drop_detaches_the_task() {
    let rt = runtime(2);
    let (sender, receiver) = std::sync::mpsc::channel();
    rt.block_on(async move {
        let handle = corio::spawn(async move {
            corio::time::sleep(std::time::Duration::from_millis(5)).await;
            sender.send("finished").unwrap();
        });
        drop(handle);
    });
    assert_eq!(receiver.recv_timeout(HANG_GUARD).unwrap(), "finished");
}

#[test]
fn is_finished_reflects_completion() {
    let rt = runtime(2);
    rt.block_on(async {
        let (sender, receiver) = futures::channel::oneshot::channel::<()>();
        let handle = corio::spawn(async move {
            receiver.await.unwrap();
        });
        assert!(!handle.is_finished());
        sender.send(()).unwrap();
        let abort = handle.abort_handle();
        handle.await.unwrap();
        assert!(abort.is_finished());
    });
}

#[test]
fn cooperative_budget_keeps_a_busy_task_from_starving_others() {
    // One worker and a task that awaits always-ready timers in a loop: it is never Pending on
    // its own, so only the budget makes it yield and lets the task it spawned run meanwhile.
    let rt = runtime(1);
    let saw_flag = rt.block_on(async move {
        corio::spawn(async move {
            let flag = Arc::new(AtomicUsize::new(0));
            let setter = {
                let flag = flag.clone();
                corio::spawn(async move { flag.store(1, Ordering::SeqCst) })
            };
            let mut saw_at = None;
            for i in 0..10_000 {
                corio::time::sleep(std::time::Duration::ZERO).await;
                if saw_at.is_none() && flag.load(Ordering::SeqCst) == 1 {
                    saw_at = Some(i);
                }
            }
            setter.await.unwrap();
            saw_at
        })
        .await
        .unwrap()
    });
    let saw_at = saw_flag.expect("the other task never ran during the loop");
    assert!(saw_at <= 200, "yielded only after {saw_at} ready operations");
}

#[test]
fn metrics_count_workers_tasks_and_polls() {
    let rt = runtime(2);
    let (sender, receiver) = futures::channel::oneshot::channel::<()>();
    let parked = rt.spawn(async move {
        let _ = receiver.await;
    });
    rt.block_on(async {
        for _ in 0..100 {
            corio::spawn(async {}).await.unwrap();
        }
    });
    let metrics = rt.metrics();
    assert_eq!(metrics.workers.len(), 2);
    // Exactly the parked task: the 100 finished ones are gone, even while their registry
    // entries wait in a worker's batch of removals.
    assert_eq!(metrics.alive_tasks, 1, "{metrics:?}");
    let polls: u64 = metrics.workers.iter().map(|w| w.polls).sum();
    assert!(polls >= 100, "{metrics:?}");
    sender.send(()).unwrap();
    within(HANG_GUARD, move || drop(parked));
}

/// A worker that wakes a task for itself (here, a timer's) does not wake its sleeping peer as
/// well: that costs the waker a system call and keeps a second CPU busy for nothing.
#[test]
fn a_task_woken_alone_by_its_timer_does_not_wake_the_sleeping_peer() {
    let rt = runtime(2);
    let ticks = 100u64;
    let parks = |rt: &corio::Runtime| rt.metrics().workers.iter().map(|w| w.parks).sum::<u64>();
    let before = parks(&rt);
    let ticker = rt.spawn(async move {
        // The timer wakes are what is measured here, not a wait for something to happen.
        for _ in 0..ticks {
            corio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let rt = within(HANG_GUARD, move || {
        rt.block_on(ticker).unwrap();
        rt
    });
    // One park per tick by the worker that runs the task, plus a few for the start and the end.
    // A worker that also woke its peer at every tick made it two per tick.
    let parks = parks(&rt) - before;
    assert!(parks < ticks * 3 / 2, "{parks} parks for {ticks} timer ticks");
}

#[test]
fn shutdown_background_returns_without_waiting_for_a_blocked_worker() {
    let rt = runtime(2);
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    rt.spawn(async move {
        entered_tx.send(()).unwrap();
        // Blocks its worker until the test releases it, after shutdown_background returned.
        let _ = release_rx.recv();
    });
    entered_rx.recv_timeout(HANG_GUARD).unwrap();
    within(HANG_GUARD, move || rt.shutdown_background());
    release_tx.send(()).unwrap();
}

#[test]
fn spawning_through_a_handle_after_shutdown_gives_a_cancelled_task() {
    let rt = runtime(1);
    let handle = rt.handle().clone();
    drop(rt);
    let task = handle.spawn(async { 1 });
    let error = within(HANG_GUARD, move || futures::executor::block_on(task)).unwrap_err();
    assert!(error.is_cancelled());
    let blocking = handle.spawn_blocking(|| 1);
    let error = within(HANG_GUARD, move || futures::executor::block_on(blocking)).unwrap_err();
    assert!(error.is_cancelled());
}

#[test]
fn a_join_handle_awaited_on_another_runtime_works() {
    let first = runtime(1);
    let second = runtime(1);
    let task = first.spawn(async {
        corio::time::sleep(std::time::Duration::from_millis(2)).await;
        "from the first runtime"
    });
    assert_eq!(second.block_on(task).unwrap(), "from the first runtime");
}

#[test]
fn dropping_the_runtime_on_one_of_its_blocking_threads_does_not_wait_for_itself() {
    let rt = runtime(1);
    let handle = rt.handle().clone();
    let (dropped_tx, dropped_rx) = std::sync::mpsc::channel();
    handle.spawn_blocking(move || {
        drop(rt);
        dropped_tx.send(()).unwrap();
    });
    // The drop would otherwise wait the whole 10 s blocking grace for its own thread.
    dropped_rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("the runtime dropped on its own blocking thread returned promptly");
}

#[test]
fn shutdown_background_of_busy_runtimes_leaks_nothing() {
    // Tasks still running when shutdown_background returns go idle after the registry was
    // drained; they must still be dropped, or their metadata keeps each runtime (and its epoll,
    // eventfd and timerfd descriptors) alive. Counted in a child process, alone.
    if std::env::var("CORIO_LEAK_CHILD").is_err() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "shutdown_background_of_busy_runtimes_leaks_nothing",
                "--exact",
                "--nocapture",
            ])
            .env("CORIO_LEAK_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success());
        return;
    }
    let threads_before = support::thread_count();
    let fds_before = support::open_fds();
    for _ in 0..50 {
        let rt = runtime(2);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        for _ in 0..32 {
            let stop = stop.clone();
            rt.spawn(async move {
                loop {
                    corio::task::yield_now().await;
                    if stop.load(Ordering::SeqCst) {
                        std::future::pending::<()>().await;
                    }
                }
            });
        }
        stop.store(true, Ordering::SeqCst);
        rt.shutdown_background();
    }
    support::eventually("every runtime thread exits", || {
        support::thread_count() == threads_before
    });
    support::eventually("every runtime descriptor is closed", || {
        support::open_fds() == fds_before
    });
}
