//! tcp_echo_latency_under_hog: one loopback connection, `hog_round_trips` round trips
//! `hog_gap` apart, while another task blocks its worker thread for `hog_block` out of every
//! `hog_period` (a CPU-bound or blocking call that should have gone to `spawn_blocking`).
//!
//! What it shows: whether the runtime keeps serving ready I/O on the other workers while one
//! is stuck, or whether the connection's tasks (or the reactor they depend on) are stranded
//! behind the hog. Figure: the p99 round trip.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::tcp_echo::message;
use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::{run_corio, run_tokio, SmolRuntime};
use crate::stats::{millis, percentile};

/// The hog's duty cycle, shared by the three versions.
#[derive(Clone, Copy)]
struct Hog {
    block: Duration,
    rest: Duration,
}

impl Hog {
    fn of(params: &Params) -> Hog {
        Hog {
            block: params.hog_block,
            rest: params.hog_period - params.hog_block,
        }
    }
}

fn figures(what: &str, mut round_trips: Vec<Duration>, params: &Params) -> Sample {
    check::equal(
        &format!("{what} round trips completed under the hog"),
        round_trips.len(),
        params.hog_round_trips,
    );
    vec![millis(percentile(&mut round_trips, 99.0))]
}

/// corio's latency under a hog.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    use corio::io::{AsyncReadExt, AsyncWriteExt};
    use corio::net::{TcpListener, TcpStream};

    let (rounds, gap, len, hog) = (
        params.hog_round_trips,
        params.hog_gap,
        params.echo_message_len,
        Hog::of(params),
    );
    let round_trips = run_corio(runtime, async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address: SocketAddr = listener.local_addr().expect("local address");
        let server = corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            stream.set_nodelay(true).expect("nodelay");
            let mut buffer = [0u8; 4096];
            loop {
                let read = stream.read(&mut buffer).await.expect("server read");
                if read == 0 {
                    break;
                }
                stream.write_all(&buffer[..read]).await.expect("server write");
            }
        });
        let stop = Arc::new(AtomicBool::new(false));
        let stop_hog = stop.clone();
        let hogger = corio::spawn(async move {
            while !stop_hog.load(Ordering::Relaxed) {
                std::thread::sleep(hog.block); // blocks the worker on purpose
                corio::time::sleep(hog.rest).await;
            }
        });
        let client = corio::spawn(async move {
            let mut stream = TcpStream::connect(address).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut reply = vec![0u8; len];
            let mut round_trips = Vec::with_capacity(rounds);
            for round in 0..rounds {
                let sent = message(0, round, len);
                let start = Instant::now();
                stream.write_all(&sent).await.expect("client write");
                stream.read_exact(&mut reply).await.expect("client read");
                round_trips.push(start.elapsed());
                check::that("corio echo under the hog returns the bytes sent", reply == sent);
                corio::time::sleep(gap).await;
            }
            round_trips
        });
        let round_trips = client.await.expect("corio client task");
        stop.store(true, Ordering::Relaxed);
        hogger.await.expect("corio hog task");
        server.await.expect("corio server task");
        round_trips
    });
    figures("corio", round_trips, params)
}

/// tokio's latency under a hog.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    let (rounds, gap, len, hog) = (
        params.hog_round_trips,
        params.hog_gap,
        params.echo_message_len,
        Hog::of(params),
    );
    let round_trips = run_tokio(runtime, async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address: SocketAddr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            stream.set_nodelay(true).expect("nodelay");
            let mut buffer = [0u8; 4096];
            loop {
                let read = stream.read(&mut buffer).await.expect("server read");
                if read == 0 {
                    break;
                }
                stream.write_all(&buffer[..read]).await.expect("server write");
            }
        });
        let stop = Arc::new(AtomicBool::new(false));
        let stop_hog = stop.clone();
        let hogger = tokio::spawn(async move {
            while !stop_hog.load(Ordering::Relaxed) {
                std::thread::sleep(hog.block); // blocks the worker on purpose
                tokio::time::sleep(hog.rest).await;
            }
        });
        let client = tokio::spawn(async move {
            let mut stream = TcpStream::connect(address).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut reply = vec![0u8; len];
            let mut round_trips = Vec::with_capacity(rounds);
            for round in 0..rounds {
                let sent = message(0, round, len);
                let start = Instant::now();
                stream.write_all(&sent).await.expect("client write");
                stream.read_exact(&mut reply).await.expect("client read");
                round_trips.push(start.elapsed());
                check::that("tokio echo under the hog returns the bytes sent", reply == sent);
                tokio::time::sleep(gap).await;
            }
            round_trips
        });
        let round_trips = client.await.expect("tokio client task");
        stop.store(true, Ordering::Relaxed);
        hogger.await.expect("tokio hog task");
        server.await.expect("tokio server task");
        round_trips
    });
    figures("tokio", round_trips, params)
}

/// smol's latency under a hog.
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    use async_io::{Async, Timer};
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    use std::net::{TcpListener, TcpStream};

    let (rounds, gap, len, hog) = (
        params.hog_round_trips,
        params.hog_gap,
        params.echo_message_len,
        Hog::of(params),
    );
    let executor = runtime.executor().clone();
    let round_trips = runtime.run(async move {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).expect("bind");
        let address: SocketAddr = listener.get_ref().local_addr().expect("local address");
        let server = executor.spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("accept");
            stream.get_ref().set_nodelay(true).expect("nodelay");
            let mut buffer = [0u8; 4096];
            loop {
                let read = stream.read(&mut buffer).await.expect("server read");
                if read == 0 {
                    break;
                }
                stream.write_all(&buffer[..read]).await.expect("server write");
            }
        });
        let stop = Arc::new(AtomicBool::new(false));
        let stop_hog = stop.clone();
        let hogger = executor.spawn(async move {
            while !stop_hog.load(Ordering::Relaxed) {
                std::thread::sleep(hog.block); // blocks the worker on purpose
                Timer::after(hog.rest).await;
            }
        });
        let client = executor.spawn(async move {
            let mut stream = Async::<TcpStream>::connect(address).await.expect("connect");
            stream.get_ref().set_nodelay(true).expect("nodelay");
            let mut reply = vec![0u8; len];
            let mut round_trips = Vec::with_capacity(rounds);
            for round in 0..rounds {
                let sent = message(0, round, len);
                let start = Instant::now();
                stream.write_all(&sent).await.expect("client write");
                stream.read_exact(&mut reply).await.expect("client read");
                round_trips.push(start.elapsed());
                check::that("smol echo under the hog returns the bytes sent", reply == sent);
                Timer::after(gap).await;
            }
            round_trips
        });
        let round_trips = client.await;
        stop.store(true, Ordering::Relaxed);
        hogger.await;
        server.await;
        round_trips
    });
    figures("smol", round_trips, params)
}
