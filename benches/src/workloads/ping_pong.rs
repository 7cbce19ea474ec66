//! ping_pong: `ping_pongs` pairs of tasks, each pair exchanging one message over two oneshot
//! channels, as tokio's `ping_pong` bench: a root task spawns one task per pair, which spawns
//! its partner, pings it and awaits the pong; the last pair to finish wakes the main thread.
//! smol has no oneshot type: its idiom is a `bounded(1)` async-channel.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::Instant;

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::SmolRuntime;
use crate::stats::millis;

/// Counts finished pairs; the last one signals `done`.
struct Pairs {
    remaining: AtomicUsize,
    exchanged: AtomicUsize,
    done: std::sync::Mutex<Option<std::sync::mpsc::SyncSender<()>>>,
}

impl Pairs {
    fn new(pairs: usize) -> (Arc<Pairs>, std::sync::mpsc::Receiver<()>) {
        let (done, finished) = sync_channel(1);
        let pairs = Arc::new(Pairs {
            remaining: AtomicUsize::new(pairs),
            exchanged: AtomicUsize::new(0),
            done: std::sync::Mutex::new(Some(done)),
        });
        (pairs, finished)
    }

    /// Records one pair's exchange (`pong` must be the ping plus one).
    fn finish(&self, pong: u32) {
        if pong == 2 {
            self.exchanged.fetch_add(1, Ordering::Relaxed);
        }
        // AcqRel: the last pair must see every other pair's `exchanged` increment.
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            let done = self.done.lock().unwrap().take();
            done.expect("one last pair")
                .send(())
                .expect("the main thread waits");
        }
    }

    fn check(&self, what: &str, pairs: usize) {
        check::equal(what, self.exchanged.load(Ordering::Acquire), pairs);
    }
}

/// corio's ping_pong.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    let count = params.ping_pongs;
    let (pairs, finished) = Pairs::new(count);
    let shared = pairs.clone();
    let start = Instant::now();
    drop(runtime.spawn(async move {
        for _ in 0..count {
            let pairs = shared.clone();
            drop(corio::spawn(async move {
                let (ping, pinged) = corio::sync::oneshot::channel::<u32>();
                let (pong, ponged) = corio::sync::oneshot::channel::<u32>();
                drop(corio::spawn(async move {
                    let value = pinged.await.expect("ping");
                    pong.send(value + 1).expect("pong");
                }));
                ping.send(1).expect("ping");
                pairs.finish(ponged.await.expect("pong"));
            }));
        }
    }));
    finished.recv().expect("every pair finishes");
    let elapsed = start.elapsed();
    pairs.check("corio ping_pong exchanges", count);
    vec![millis(elapsed)]
}

/// tokio's ping_pong.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let count = params.ping_pongs;
    let (pairs, finished) = Pairs::new(count);
    let shared = pairs.clone();
    let start = Instant::now();
    drop(runtime.spawn(async move {
        for _ in 0..count {
            let pairs = shared.clone();
            drop(tokio::spawn(async move {
                let (ping, pinged) = tokio::sync::oneshot::channel::<u32>();
                let (pong, ponged) = tokio::sync::oneshot::channel::<u32>();
                drop(tokio::spawn(async move {
                    let value = pinged.await.expect("ping");
                    pong.send(value + 1).expect("pong");
                }));
                ping.send(1).expect("ping");
                pairs.finish(ponged.await.expect("pong"));
            }));
        }
    }));
    finished.recv().expect("every pair finishes");
    let elapsed = start.elapsed();
    pairs.check("tokio ping_pong exchanges", count);
    vec![millis(elapsed)]
}

/// smol's ping_pong.
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    let count = params.ping_pongs;
    let (pairs, finished) = Pairs::new(count);
    let shared = pairs.clone();
    let executor = runtime.executor().clone();
    let start = Instant::now();
    runtime
        .executor()
        .spawn(async move {
            for _ in 0..count {
                let pairs = shared.clone();
                let inner = executor.clone();
                executor
                    .spawn(async move {
                        let (ping, pinged) = async_channel::bounded::<u32>(1);
                        let (pong, ponged) = async_channel::bounded::<u32>(1);
                        inner
                            .spawn(async move {
                                let value = pinged.recv().await.expect("ping");
                                pong.send(value + 1).await.expect("pong");
                            })
                            .detach();
                        ping.send(1).await.expect("ping");
                        pairs.finish(ponged.recv().await.expect("pong"));
                    })
                    .detach();
            }
        })
        .detach();
    finished.recv().expect("every pair finishes");
    let elapsed = start.elapsed();
    pairs.check("smol ping_pong exchanges", count);
    vec![millis(elapsed)]
}
