//! tcp_echo: `echo_connections` loopback connections × `echo_round_trips` round trips of
//! `echo_message_len` bytes, client and server on the same runtime.
//!
//! The server task accepts every connection and spawns one echo task each (read whatever
//! arrived, write it back); each client task connects and then, round after round, writes one
//! message and reads the echo back, checking its bytes (every message carries its connection
//! and round, so crossed streams are caught). All sockets have `TCP_NODELAY`. Figure:
//! messages per second, connection set-up included (the limit row includes it too).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::Sample;
use crate::check;
use crate::params::Params;
use crate::runtimes::{run_corio, run_tokio, SmolRuntime};

/// The bytes of round `round` on connection `connection`: both numbers, then a filler.
pub fn message(connection: usize, round: usize, len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let tag = [(connection as u32).to_le_bytes(), (round as u32).to_le_bytes()].concat();
    let n = tag.len().min(len);
    bytes[..n].copy_from_slice(&tag[..n]);
    bytes
}

/// Size of the server's read buffer: larger than a message, so one read takes what arrived.
const ECHO_BUFFER: usize = 4096;

struct Totals {
    round_trips: usize,
    echoed_bytes: usize,
}

fn figures(what: &str, totals: Totals, elapsed: Duration, params: &Params) -> Sample {
    let messages = params.echo_connections * params.echo_round_trips;
    check::equal(
        &format!("{what} tcp_echo round trips"),
        totals.round_trips,
        messages,
    );
    check::equal(
        &format!("{what} tcp_echo bytes echoed by the server"),
        totals.echoed_bytes,
        messages * params.echo_message_len,
    );
    vec![messages as f64 / elapsed.as_secs_f64()]
}

/// corio's tcp_echo.
pub fn corio(runtime: &corio::Runtime, params: &Params) -> Sample {
    use corio::io::{AsyncReadExt, AsyncWriteExt};
    use corio::net::{TcpListener, TcpStream};

    let (connections, rounds, len) = (
        params.echo_connections,
        params.echo_round_trips,
        params.echo_message_len,
    );
    let (totals, elapsed) = run_corio(runtime, async move {
        let start = Instant::now();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address: SocketAddr = listener.local_addr().expect("local address");
        let server = corio::spawn(async move {
            let mut echoes = Vec::with_capacity(connections);
            for _ in 0..connections {
                let (mut stream, _) = listener.accept().await.expect("accept");
                stream.set_nodelay(true).expect("nodelay");
                echoes.push(corio::spawn(async move {
                    let mut buffer = [0u8; ECHO_BUFFER];
                    let mut echoed = 0;
                    loop {
                        let read = stream.read(&mut buffer).await.expect("server read");
                        if read == 0 {
                            return echoed;
                        }
                        stream.write_all(&buffer[..read]).await.expect("server write");
                        echoed += read;
                    }
                }));
            }
            let mut echoed = 0;
            for echo in echoes {
                echoed += echo.await.expect("corio echo task");
            }
            echoed
        });
        let clients: Vec<_> = (0..connections)
            .map(|connection| {
                corio::spawn(async move {
                    let mut stream = TcpStream::connect(address).await.expect("connect");
                    stream.set_nodelay(true).expect("nodelay");
                    let mut reply = vec![0u8; len];
                    let mut ok = 0;
                    for round in 0..rounds {
                        let sent = message(connection, round, len);
                        stream.write_all(&sent).await.expect("client write");
                        stream.read_exact(&mut reply).await.expect("client read");
                        ok += usize::from(reply == sent);
                    }
                    ok
                })
            })
            .collect();
        let mut round_trips = 0;
        for client in clients {
            round_trips += client.await.expect("corio client task");
        }
        let echoed_bytes = server.await.expect("corio server task");
        (
            Totals {
                round_trips,
                echoed_bytes,
            },
            start.elapsed(),
        )
    });
    figures("corio", totals, elapsed, params)
}

/// tokio's tcp_echo.
pub fn tokio(runtime: &tokio::runtime::Runtime, params: &Params) -> Sample {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    let (connections, rounds, len) = (
        params.echo_connections,
        params.echo_round_trips,
        params.echo_message_len,
    );
    let (totals, elapsed) = run_tokio(runtime, async move {
        let start = Instant::now();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address: SocketAddr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            let mut echoes = Vec::with_capacity(connections);
            for _ in 0..connections {
                let (mut stream, _) = listener.accept().await.expect("accept");
                stream.set_nodelay(true).expect("nodelay");
                echoes.push(tokio::spawn(async move {
                    let mut buffer = [0u8; ECHO_BUFFER];
                    let mut echoed = 0;
                    loop {
                        let read = stream.read(&mut buffer).await.expect("server read");
                        if read == 0 {
                            return echoed;
                        }
                        stream.write_all(&buffer[..read]).await.expect("server write");
                        echoed += read;
                    }
                }));
            }
            let mut echoed = 0;
            for echo in echoes {
                echoed += echo.await.expect("tokio echo task");
            }
            echoed
        });
        let clients: Vec<_> = (0..connections)
            .map(|connection| {
                tokio::spawn(async move {
                    let mut stream = TcpStream::connect(address).await.expect("connect");
                    stream.set_nodelay(true).expect("nodelay");
                    let mut reply = vec![0u8; len];
                    let mut ok = 0;
                    for round in 0..rounds {
                        let sent = message(connection, round, len);
                        stream.write_all(&sent).await.expect("client write");
                        stream.read_exact(&mut reply).await.expect("client read");
                        ok += usize::from(reply == sent);
                    }
                    ok
                })
            })
            .collect();
        let mut round_trips = 0;
        for client in clients {
            round_trips += client.await.expect("tokio client task");
        }
        let echoed_bytes = server.await.expect("tokio server task");
        (
            Totals {
                round_trips,
                echoed_bytes,
            },
            start.elapsed(),
        )
    });
    figures("tokio", totals, elapsed, params)
}

/// smol's tcp_echo (async-io's `Async<TcpStream>`).
pub fn smol(runtime: &SmolRuntime, params: &Params) -> Sample {
    use async_io::Async;
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    use std::net::{TcpListener, TcpStream};

    let (connections, rounds, len) = (
        params.echo_connections,
        params.echo_round_trips,
        params.echo_message_len,
    );
    let executor = runtime.executor().clone();
    let (totals, elapsed) = runtime.run(async move {
        let start = Instant::now();
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).expect("bind");
        let address: SocketAddr = listener.get_ref().local_addr().expect("local address");
        let spawner = executor.clone();
        let server = executor.spawn(async move {
            let mut echoes = Vec::with_capacity(connections);
            for _ in 0..connections {
                let (mut stream, _) = listener.accept().await.expect("accept");
                stream.get_ref().set_nodelay(true).expect("nodelay");
                echoes.push(spawner.spawn(async move {
                    let mut buffer = [0u8; ECHO_BUFFER];
                    let mut echoed = 0;
                    loop {
                        let read = stream.read(&mut buffer).await.expect("server read");
                        if read == 0 {
                            return echoed;
                        }
                        stream.write_all(&buffer[..read]).await.expect("server write");
                        echoed += read;
                    }
                }));
            }
            let mut echoed = 0;
            for echo in echoes {
                echoed += echo.await;
            }
            echoed
        });
        let clients: Vec<_> = (0..connections)
            .map(|connection| {
                executor.spawn(async move {
                    let mut stream = Async::<TcpStream>::connect(address).await.expect("connect");
                    stream.get_ref().set_nodelay(true).expect("nodelay");
                    let mut reply = vec![0u8; len];
                    let mut ok = 0;
                    for round in 0..rounds {
                        let sent = message(connection, round, len);
                        stream.write_all(&sent).await.expect("client write");
                        stream.read_exact(&mut reply).await.expect("client read");
                        ok += usize::from(reply == sent);
                    }
                    ok
                })
            })
            .collect();
        let mut round_trips = 0;
        for client in clients {
            round_trips += client.await;
        }
        let echoed_bytes = server.await;
        (
            Totals {
                round_trips,
                echoed_bytes,
            },
            start.elapsed(),
        )
    });
    figures("smol", totals, elapsed, params)
}
