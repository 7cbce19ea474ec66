//! mpsc: `producers` tasks each send `messages_per_producer` numbers into one bounded channel
//! of `channel_capacity`; the root task receives until every sender is gone and checks the
//! count and the sum. tokio's `mpsc`, smol's `async-channel`, corio's `sync::mpsc`.

use std::time::{Duration, Instant};

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::{run_corio, run_tokio, SmolRuntime};
use crate::stats::millis;

/// What the consumer received.
struct Received {
    count: usize,
    sum: u64,
}

fn checked(what: &str, received: Received, elapsed: Duration, params: &Params) -> Sample {
    let per = params.messages_per_producer as u64;
    check::equal(
        &format!("{what} messages received"),
        received.count,
        params.producers * params.messages_per_producer,
    );
    check::equal(
        &format!("{what} sum of messages"),
        received.sum,
        params.producers as u64 * per * (per - 1) / 2,
    );
    vec![millis(elapsed)]
}

/// corio's mpsc.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    let (producers, per) = (params.producers, params.messages_per_producer as u64);
    let capacity = params.channel_capacity;
    let (received, elapsed) = run_corio(runtime, async move {
        let start = Instant::now();
        let (sender, mut receiver) = corio::sync::mpsc::channel::<u64>(capacity);
        for _ in 0..producers {
            let sender = sender.clone();
            drop(corio::spawn(async move {
                for value in 0..per {
                    sender.send(value).await.expect("the receiver is alive");
                }
            }));
        }
        drop(sender);
        let mut received = Received { count: 0, sum: 0 };
        while let Some(value) = receiver.recv().await {
            received.count += 1;
            received.sum += value;
        }
        (received, start.elapsed())
    });
    checked("corio mpsc", received, elapsed, params)
}

/// tokio's mpsc.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let (producers, per) = (params.producers, params.messages_per_producer as u64);
    let capacity = params.channel_capacity;
    let (received, elapsed) = run_tokio(runtime, async move {
        let start = Instant::now();
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<u64>(capacity);
        for _ in 0..producers {
            let sender = sender.clone();
            drop(tokio::spawn(async move {
                for value in 0..per {
                    sender.send(value).await.expect("the receiver is alive");
                }
            }));
        }
        drop(sender);
        let mut received = Received { count: 0, sum: 0 };
        while let Some(value) = receiver.recv().await {
            received.count += 1;
            received.sum += value;
        }
        (received, start.elapsed())
    });
    checked("tokio mpsc", received, elapsed, params)
}

/// smol's mpsc (async-channel).
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    let (producers, per) = (params.producers, params.messages_per_producer as u64);
    let capacity = params.channel_capacity;
    let executor = runtime.executor().clone();
    let (received, elapsed) = runtime.run(async move {
        let start = Instant::now();
        let (sender, receiver) = async_channel::bounded::<u64>(capacity);
        for _ in 0..producers {
            let sender = sender.clone();
            executor
                .spawn(async move {
                    for value in 0..per {
                        sender.send(value).await.expect("the receiver is alive");
                    }
                })
                .detach();
        }
        drop(sender);
        let mut received = Received { count: 0, sum: 0 };
        while let Ok(value) = receiver.recv().await {
            received.count += 1;
            received.sum += value;
        }
        (received, start.elapsed())
    });
    checked("smol mpsc", received, elapsed, params)
}
