//! Dropping a runtime: every future dropped, no descriptor and no thread left behind.
//!
//! This file holds one test on purpose: it counts the process's descriptors and threads, which
//! concurrently running tests would disturb.

mod support;

use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use corio::io::{Async, AsyncReadExt};
use support::{open_fds, thread_count, within, DropCounter, HANG_GUARD};

#[test]
fn dropping_a_runtime_with_pending_tasks_and_open_sockets_cleans_up_everything() {
    // Warm up process-wide lazies (std's thread-local and stdio machinery) so that the
    // before/after counts compare like with like.
    drop(support::runtime(2));
    let fds_before = open_fds();
    let threads_before = thread_count();

    let drops = DropCounter::default();
    let rt = support::runtime(2);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut peers = Vec::new();
    let (registered_tx, registered_rx) = std::sync::mpsc::channel();
    // 100 tasks each waiting to read from a socket nobody writes to.
    for _ in 0..100 {
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().unwrap();
        peers.push(client);
        let guard = drops.guard();
        let registered_tx = registered_tx.clone();
        rt.spawn(async move {
            let _guard = guard;
            let mut stream = Async::new(server).unwrap();
            registered_tx.send(()).unwrap();
            let mut buf = [0u8; 1];
            let _ = stream.read(&mut buf).await;
        });
    }
    // 9,900 tasks: sleeping, pending forever, waiting on a channel, or never polled.
    let mut senders = Vec::new();
    for i in 0..9_900 {
        let guard = drops.guard();
        match i % 3 {
            0 => drop(rt.spawn(async move {
                let _guard = guard;
                corio::time::sleep(Duration::from_secs(3600)).await;
            })),
            1 => drop(rt.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            })),
            _ => {
                let (tx, rx) = futures::channel::oneshot::channel::<()>();
                senders.push(tx);
                drop(rt.spawn(async move {
                    let _guard = guard;
                    let _ = rx.await;
                }));
            }
        }
    }
    for _ in 0..100 {
        registered_rx.recv_timeout(HANG_GUARD).unwrap();
    }
    assert!(rt.metrics().alive_tasks >= 10_000 - 100);

    within(HANG_GUARD, move || drop(rt));

    assert_eq!(drops.dropped(), 10_000, "every task's future was dropped");
    drop(peers);
    drop(listener);
    drop(senders);
    assert_eq!(open_fds(), fds_before, "no file descriptor leaked");
    support::eventually("the runtime's threads are gone", || {
        thread_count() == threads_before
    });
}
