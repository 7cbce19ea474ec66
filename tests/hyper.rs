//! hyper 1.x on corio (`corio::compat::hyper`): a hyper client and a hyper server, both on
//! corio, over loopback.
#![cfg(feature = "hyper")]

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use corio::compat::hyper::{CorioExecutor, CorioIo, CorioTimer};
use corio::io::AsyncReadExt;
use corio::net::{TcpListener, TcpStream};
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::rt::Executor;
use hyper::{Request, Response, StatusCode};
use support::{runtime, within, HANG_GUARD};

/// Reads a whole body, frame by frame.
async fn read_body(mut body: Incoming) -> Vec<u8> {
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(data) = frame.expect("body frame").into_data() {
            bytes.extend_from_slice(&data);
        }
    }
    bytes
}

/// Answers `GET /hello` with a greeting, `POST /echo` with the request body reversed, and
/// anything else with 404.
async fn service(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let response = match (request.method().as_str(), request.uri().path()) {
        ("GET", "/hello") => Response::new(String::from("Hello, World!")),
        ("POST", "/echo") => {
            let mut body = read_body(request.into_body()).await;
            body.reverse();
            Response::new(String::from_utf8(body).expect("the test sends UTF-8"))
        }
        _ => {
            let mut response = Response::new(String::from("not found"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    };
    Ok(response)
}

/// A server task that serves `connections` connections, each as its own task, then returns.
async fn serve(connections: usize) -> (SocketAddr, corio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = corio::spawn(async move {
        let mut served = Vec::new();
        for _ in 0..connections {
            let (stream, _) = listener.accept().await.unwrap();
            served.push(corio::spawn(async move {
                hyper::server::conn::http1::Builder::new()
                    .timer(CorioTimer::new())
                    .serve_connection(CorioIo::new(stream), hyper::service::service_fn(service))
                    .await
                    .expect("the server connection ends cleanly");
            }));
        }
        for connection in served {
            connection.await.unwrap();
        }
    });
    (address, server)
}

/// A client connection; its driver runs as a corio task.
async fn connect(address: SocketAddr) -> SendRequest<String> {
    let stream = TcpStream::connect(address).await.unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(CorioIo::new(stream))
        .await
        .unwrap();
    corio::spawn(async move { connection.await.expect("the client connection ends cleanly") });
    sender
}

async fn request(
    sender: &mut SendRequest<String>,
    method: &str,
    path: &str,
    body: &str,
) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .body(body.to_string())
        .unwrap();
    // The connection takes a new request once it has finished the previous exchange.
    sender.ready().await.unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let body = read_body(response.into_body()).await;
    (status, String::from_utf8(body).unwrap())
}

#[test]
fn several_requests_on_one_keep_alive_connection() {
    within(HANG_GUARD, || {
        runtime(2).block_on(async {
            let (address, server) = serve(1).await;
            let mut sender = connect(address).await;
            for i in 0..20 {
                let (status, body) = request(&mut sender, "GET", "/hello", "").await;
                assert_eq!(
                    (status, body.as_str()),
                    (StatusCode::OK, "Hello, World!"),
                    "request {i}"
                );
                let sent = format!("message number {i}");
                let (status, body) = request(&mut sender, "POST", "/echo", &sent).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body, sent.chars().rev().collect::<String>());
            }
            let (status, body) = request(&mut sender, "GET", "/missing", "").await;
            assert_eq!((status, body.as_str()), (StatusCode::NOT_FOUND, "not found"));
            drop(sender);
            server.await.unwrap();
        })
    });
}

#[test]
fn concurrent_clients_each_get_their_own_answers() {
    const CLIENTS: usize = 16;
    within(HANG_GUARD, || {
        runtime(2).block_on(async {
            let (address, server) = serve(CLIENTS).await;
            let clients: Vec<_> = (0..CLIENTS)
                .map(|client| {
                    corio::spawn(async move {
                        let mut sender = connect(address).await;
                        for i in 0..10 {
                            let sent = format!("client {client} request {i}");
                            let (status, body) = request(&mut sender, "POST", "/echo", &sent).await;
                            assert_eq!(status, StatusCode::OK);
                            assert_eq!(body, sent.chars().rev().collect::<String>());
                        }
                    })
                })
                .collect();
            for client in clients {
                client.await.unwrap();
            }
            server.await.unwrap();
        })
    });
}

#[test]
fn a_large_body_crosses_in_both_directions() {
    within(HANG_GUARD, || {
        runtime(2).block_on(async {
            let (address, server) = serve(1).await;
            let mut sender = connect(address).await;
            // 1 MiB: many reads and writes, partial ones included, in each direction.
            let sent: String = (0..1 << 20).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            let (status, body) = request(&mut sender, "POST", "/echo", &sent).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body.len(), sent.len());
            assert!(body == sent.chars().rev().collect::<String>());
            drop(sender);
            server.await.unwrap();
        })
    });
}

#[test]
fn the_timer_drives_the_servers_header_read_timeout() {
    within(HANG_GUARD, || {
        runtime(2).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let server = corio::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                hyper::server::conn::http1::Builder::new()
                    .timer(CorioTimer::new())
                    .header_read_timeout(Duration::from_millis(50))
                    .serve_connection(CorioIo::new(stream), hyper::service::service_fn(service))
                    .await
            });
            // Half a request line, then silence: only the timer can end this connection.
            let mut stream = TcpStream::connect(address).await.unwrap();
            corio::io::AsyncWriteExt::write_all(&mut stream, b"GET /hello HT")
                .await
                .unwrap();
            let mut rest = Vec::new();
            stream.read_to_end(&mut rest).await.unwrap();
            let served = server.await.unwrap();
            let error = served.expect_err("the server gives up on the incomplete request");
            assert!(error.is_timeout(), "expected a header-read timeout, got {error}");
        })
    });
}

#[test]
fn the_executor_spawns_corio_tasks() {
    within(HANG_GUARD, || {
        runtime(2).block_on(async {
            let (sender, receiver) = corio::sync::oneshot::channel();
            CorioExecutor::new().execute(async move {
                sender.send(corio::task::try_id().is_some()).unwrap();
            });
            assert!(receiver.await.unwrap(), "the future ran inside a corio task");
        })
    });
}
