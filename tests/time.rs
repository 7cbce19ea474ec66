//! Timers: sleeps, timeouts, intervals.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corio::time::{self, MissedTickBehavior};
use support::runtime;

#[test]
fn ten_thousand_sleeps_with_mixed_deadlines_all_fire_and_none_early() {
    let rt = runtime(2);
    let early = Arc::new(AtomicUsize::new(0));
    let fired = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut seed = 0x2545_F491u64;
        let handles: Vec<_> = (0..10_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // 0..300 ms, with sub-millisecond parts so rounding is exercised.
                let delay = Duration::from_micros(seed % 300_000);
                let (early, fired) = (early.clone(), fired.clone());
                corio::spawn(async move {
                    let deadline = Instant::now() + delay;
                    time::sleep_until(deadline).await;
                    if Instant::now() < deadline {
                        early.fetch_add(1, Ordering::SeqCst);
                    }
                    fired.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(fired.load(Ordering::SeqCst), 10_000);
    assert_eq!(early.load(Ordering::SeqCst), 0);
    assert_eq!(rt.metrics().pending_timers, 0);
}

#[test]
fn long_deadlines_cascade_through_the_wheel_levels_and_fire() {
    // 70 ms and 300 ms sit on wheel level 1 at insertion and must cascade down to fire.
    let rt = runtime(2);
    rt.block_on(async {
        for delay in [Duration::from_millis(70), Duration::from_millis(300)] {
            let start = Instant::now();
            time::sleep(delay).await;
            assert!(start.elapsed() >= delay);
        }
    });
}

#[test]
fn timeout_gives_elapsed_and_drops_the_future() {
    let rt = runtime(2);
    let drops = support::DropCounter::default();
    rt.block_on({
        let drops = drops.clone();
        async move {
            let guard = drops.guard();
            let result = time::timeout(Duration::from_millis(10), async move {
                let _guard = guard;
                std::future::pending::<()>().await
            })
            .await;
            let elapsed = result.unwrap_err();
            assert_eq!(elapsed.to_string(), "deadline has elapsed");
            let io: std::io::Error = elapsed.into();
            assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
            assert_eq!(drops.dropped(), 1);
            assert_eq!(time::timeout(Duration::from_secs(5), async { 3 }).await, Ok(3));
        }
    });
}

#[test]
fn reschedule_extends_the_deadline() {
    let rt = runtime(2);
    rt.block_on(async {
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let waiter = time::timeout(Duration::from_millis(5), rx);
        let mut waiter = std::pin::pin!(waiter);
        let extended = Instant::now() + Duration::from_secs(30);
        waiter.as_mut().reschedule(extended);
        assert_eq!(waiter.deadline(), extended);
        // Completes the future well after the original 5 ms deadline.
        corio::spawn(async move {
            time::sleep(Duration::from_millis(50)).await;
            tx.send(()).unwrap();
        });
        assert_eq!(waiter.await, Ok(Ok(())));
    });
}

#[test]
fn reschedule_shortens_the_deadline_of_a_pending_timeout() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut waiter = std::pin::pin!(time::timeout(
            Duration::from_secs(3600),
            std::future::pending::<()>()
        ));
        // Poll once so that the hour-long timer is registered, then shorten it.
        assert!(futures::poll!(waiter.as_mut()).is_pending());
        let start = Instant::now();
        waiter
            .as_mut()
            .reschedule(Instant::now() + Duration::from_millis(10));
        assert!(waiter.await.is_err());
        assert!(start.elapsed() >= Duration::from_millis(10));
    });
}

#[test]
fn sleep_reset_wakes_a_task_already_waiting() {
    // The task waits on an hour-long sleep; another task shortens it through a channel-free
    // path: reset happens on the waiting task's own future, so wrap both in one select.
    let rt = runtime(2);
    rt.block_on(async {
        let mut sleep = std::pin::pin!(time::sleep(Duration::from_secs(3600)));
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        sleep.as_mut().reset(Instant::now() + Duration::from_millis(5));
        let start = Instant::now();
        sleep.await;
        assert!(start.elapsed() < Duration::from_secs(60));
    });
}

#[test]
fn dropping_a_sleep_cancels_its_timer() {
    let rt = runtime(2);
    rt.block_on(async {
        let mut sleeps: Vec<_> = (0..1000)
            .map(|i| Box::pin(time::sleep(Duration::from_secs(60 + i))))
            .collect();
        for sleep in &mut sleeps {
            assert!(futures::poll!(sleep.as_mut()).is_pending());
        }
        assert_eq!(corio::Handle::current().metrics().pending_timers, 1000);
        drop(sleeps);
        assert_eq!(corio::Handle::current().metrics().pending_timers, 0);
    });
}

#[test]
fn interval_ticks_on_schedule_and_follows_missed_tick_behavior() {
    let rt = runtime(2);
    rt.block_on(async {
        let period = Duration::from_millis(10);
        let mut interval = time::interval(period);
        let first = interval.tick().await;
        let second = interval.tick().await;
        assert_eq!(second - first, period, "ticks are scheduled a period apart");

        // Burst: after a long stall, missed ticks come back to back at their scheduled times.
        let start = Instant::now();
        let mut burst = time::interval_at(start, period);
        burst.tick().await;
        std::thread::sleep(Duration::from_millis(35)); // stall the task on purpose
        let a = burst.tick().await;
        let b = burst.tick().await;
        assert_eq!(a, start + period);
        assert_eq!(b, start + 2 * period);

        // Skip: the next tick after a stall lands on the original grid, in the future.
        let start = Instant::now();
        let mut skip = time::interval_at(start, period);
        skip.set_missed_tick_behavior(MissedTickBehavior::Skip);
        skip.tick().await;
        std::thread::sleep(Duration::from_millis(35));
        let late = skip.tick().await;
        assert_eq!(late, start + period);
        let next = skip.tick().await;
        assert_eq!((next - start).as_nanos() % period.as_nanos(), 0);
        assert!(next >= start + 4 * period);

        // Delay: the next tick is a full period after the late one was taken.
        let mut delay = time::interval(period);
        delay.set_missed_tick_behavior(MissedTickBehavior::Delay);
        delay.tick().await;
        std::thread::sleep(Duration::from_millis(25));
        let late = delay.tick().await;
        let taken = Instant::now();
        let next = delay.tick().await;
        assert!(next >= taken + period - Duration::from_millis(1));
        let _ = late;
    });
}

#[test]
fn interval_is_a_stream() {
    use futures::StreamExt;
    let rt = runtime(2);
    rt.block_on(async {
        let ticks: Vec<Instant> = time::interval(Duration::from_millis(2)).take(3).collect().await;
        assert_eq!(ticks.len(), 3);
        assert!(ticks.windows(2).all(|pair| pair[1] > pair[0]));
    });
}

#[test]
#[should_panic(expected = "period must be non-zero")]
fn zero_interval_panics() {
    let rt = runtime(1);
    rt.block_on(async {
        let _ = time::interval(Duration::ZERO);
    });
}

#[test]
fn sleep_outside_a_runtime_panics_with_a_clear_message() {
    let payload = std::panic::catch_unwind(|| time::sleep(Duration::from_millis(1))).unwrap_err();
    assert!(support::panic_message(&*payload).contains("outside a corio runtime"));
}

#[test]
fn timers_fire_while_every_worker_is_blocked() {
    // Both workers blocked inside polls: no worker visits the wheel, yet the due timer is
    // processed (by the monitor, the timer service's backstop) while they are still blocked.
    let rt = runtime(2);
    let (registered_tx, registered_rx) = std::sync::mpsc::channel();
    let sleeper = rt.spawn(async move {
        let mut sleep = std::pin::pin!(time::sleep(Duration::from_millis(50)));
        assert!(futures::poll!(sleep.as_mut()).is_pending());
        registered_tx.send(sleep.deadline()).unwrap();
        sleep.await;
    });
    let deadline = registered_rx.recv_timeout(support::HANG_GUARD).unwrap();
    let entered = Arc::new(std::sync::Barrier::new(3));
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
    let blockers: Vec<_> = (0..2)
        .map(|_| {
            let (entered, release_rx) = (entered.clone(), release_rx.clone());
            rt.spawn(async move {
                entered.wait();
                let _ = release_rx.lock().unwrap().recv();
            })
        })
        .collect();
    entered.wait();
    // Timers never fire early, so before the deadline the timer must still be pending. (On a
    // machine so loaded that the blockers start after the deadline, this round proves less.)
    let pending = rt.metrics().pending_timers;
    let checked_by = Instant::now();
    if checked_by < deadline {
        assert_eq!(pending, 1);
    }
    support::eventually("the timer fires while both workers are blocked", || {
        rt.metrics().pending_timers == 0
    });
    drop(release_tx);
    rt.block_on(async move {
        for blocker in blockers {
            blocker.await.unwrap();
        }
        sleeper.await.unwrap();
    });
}

#[test]
fn a_task_woken_by_its_timer_runs_before_the_backlog_of_queued_tasks() {
    // One worker with 8,000 queued tasks of 5 µs each (40 ms of work) and a task whose 10 ms
    // sleep expires meanwhile: the timer's task runs when its timer fires, about 2,000 tasks
    // in, not behind all of them (its lateness would otherwise grow with the backlog).
    const BACKLOG: usize = 8_000;
    let rt = runtime(1);
    let (seen_by_sleeper, done) = rt
        .block_on(rt.spawn(async {
            let done = Arc::new(AtomicUsize::new(0));
            let (registered_tx, registered_rx) = corio::sync::oneshot::channel();
            let sleeper = corio::spawn({
                let done = done.clone();
                async move {
                    let mut sleep = std::pin::pin!(time::sleep(Duration::from_millis(10)));
                    assert!(futures::poll!(sleep.as_mut()).is_pending());
                    registered_tx.send(()).unwrap();
                    sleep.await;
                    done.load(Ordering::SeqCst)
                }
            });
            registered_rx.await.unwrap();
            let backlog: Vec<_> = (0..BACKLOG)
                .map(|_| {
                    let done = done.clone();
                    corio::spawn(async move {
                        let start = Instant::now();
                        while start.elapsed() < Duration::from_micros(5) {
                            std::hint::spin_loop();
                        }
                        done.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            let seen = sleeper.await.unwrap();
            for task in backlog {
                task.await.unwrap();
            }
            (seen, done.load(Ordering::SeqCst))
        }))
        .unwrap();
    assert_eq!(done, BACKLOG);
    assert!(
        seen_by_sleeper < BACKLOG / 2,
        "the timer's task ran after {seen_by_sleeper} of {BACKLOG} queued tasks"
    );
}

#[test]
fn a_sleep_polled_after_its_runtime_shut_down_panics_instead_of_hanging() {
    let rt = runtime(1);
    let handle = rt.handle().clone();
    drop(rt);
    let outcome = support::within(support::HANG_GUARD, move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle.block_on(async { time::sleep(Duration::from_millis(10)).await })
        }))
    });
    let message = support::panic_message(&*outcome.unwrap_err());
    assert!(message.contains("shut down"), "{message}");
}
