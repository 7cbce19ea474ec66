//! http_hello: a hyper 1.x hello-world server (HTTP/1.1, keep-alive) on each runtime, loaded by
//! `wrk -t1 -c<wrk_connections> -d<wrk_seconds>s`; skipped with a note when `wrk` is not on
//! `PATH`.
//!
//! The three servers are the same hyper code: one accept loop task, one task per connection
//! running `http1::Builder::serve_connection` with the same service. Only the glue differs:
//! tokio uses hyper-util's `TokioIo`; corio uses `corio::compat::hyper::CorioIo`, and so does
//! smol (the adapter is generic over `futures-io` streams, so smol gets the same glue as corio,
//! not a slower or faster one). No hyper timer is configured on any of them (each would add a
//! header-read timer per request). Before wrk runs, one plain request checks that the server
//! answers 200 with the right body; a run with any non-2xx answer fails.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::Command;
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::SmolRuntime;

const BODY: &[u8] = b"Hello, World!";

async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(BODY))))
}

/// `Ok` when `wrk` is on `PATH`, else the note the report prints.
pub fn wrk_available() -> Result<(), String> {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("wrk").is_file()));
    if found {
        Ok(())
    } else {
        Err("skipped: wrk not found on PATH (install wrk, e.g. `apt-get install wrk`, to measure it)".into())
    }
}

/// corio's http_hello.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    let (bound, address) = sync_channel(1);
    let server = runtime.spawn(async move {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        bound
            .send(listener.local_addr().expect("local address"))
            .expect("send the address");
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            stream.set_nodelay(true).expect("nodelay");
            drop(corio::spawn(async move {
                let io = corio::compat::hyper::CorioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service_fn(hello))
                    .await;
            }));
        }
    });
    let sample = load("corio", address.recv().expect("the server binds"), params);
    server.abort();
    sample
}

/// tokio's http_hello.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    let (bound, address) = sync_channel(1);
    let server = runtime.spawn(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        bound
            .send(listener.local_addr().expect("local address"))
            .expect("send the address");
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            stream.set_nodelay(true).expect("nodelay");
            drop(tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service_fn(hello))
                    .await;
            }));
        }
    });
    let sample = load("tokio", address.recv().expect("the server binds"), params);
    server.abort();
    sample
}

/// smol's http_hello.
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    let (bound, address) = sync_channel(1);
    let executor = runtime.executor().clone();
    let server = runtime.executor().spawn(async move {
        let listener = async_io::Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).expect("bind");
        bound
            .send(listener.get_ref().local_addr().expect("local address"))
            .expect("send the address");
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            stream.get_ref().set_nodelay(true).expect("nodelay");
            executor
                .spawn(async move {
                    let io = corio::compat::hyper::CorioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service_fn(hello))
                        .await;
                })
                .detach();
        }
    });
    let sample = load("smol", address.recv().expect("the server binds"), params);
    drop(server); // cancels the accept loop
    sample
}

/// Checks one answer by hand, then runs wrk against `address` and returns its requests/s.
fn load(what: &str, address: SocketAddr, params: &Params) -> Sample {
    check_one_request(what, address);
    let output = Command::new("wrk")
        .arg("-t1")
        .arg(format!("-c{}", params.wrk_connections))
        .arg(format!("-d{}s", params.wrk_seconds))
        .arg(format!("http://{address}/"))
        .output()
        .expect("run wrk");
    let report = String::from_utf8_lossy(&output.stdout);
    check::that(
        &format!("{what}: wrk exited with {} ({report})", output.status),
        output.status.success(),
    );
    check::that(
        &format!("{what}: the server gave non-2xx answers under wrk ({report})"),
        !report.contains("Non-2xx"),
    );
    if let Some(errors) = report.lines().find(|line| line.contains("Socket errors")) {
        eprintln!("  note: {what} http_hello: wrk reports {}", errors.trim());
    }
    let requests_per_second = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{what}: no `Requests/sec:` in wrk's output:\n{report}"));
    check::that(
        &format!("{what}: wrk completed requests"),
        requests_per_second > 0.0,
    );
    vec![requests_per_second]
}

fn check_one_request(what: &str, address: SocketAddr) {
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the http_hello server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("send a request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    check::that(
        &format!("{what}: http_hello answers `200` with `Hello, World!`"),
        answer.starts_with(b"HTTP/1.1 200") && answer.ends_with(BODY),
    );
}
