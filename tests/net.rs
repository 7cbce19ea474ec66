//! Networking: TCP, UDP, Unix sockets, name resolution.

mod support;

use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{lookup_host, TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use support::{runtime, within, HANG_GUARD};

/// A per-worker metric of the current runtime, summed over its workers.
fn summed<T: std::iter::Sum<T>>(metric: impl Fn(&corio::runtime::WorkerMetrics) -> T) -> T {
    corio::Handle::current()
        .metrics()
        .workers
        .iter()
        .map(metric)
        .sum()
}

fn reactor_events() -> u64 {
    summed(|worker| worker.reactor_events)
}

fn registered_sources() -> usize {
    summed(|worker| worker.registered_sources)
}

#[test]
fn a_thousand_connections_times_a_hundred_messages_through_an_echo_server() {
    let rt = runtime(2);
    let echoed = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let mut connections = Vec::new();
            for _ in 0..1000 {
                let (stream, _) = listener.accept().await.unwrap();
                connections.push(corio::spawn(async move {
                    let (mut reader, mut writer) = stream.into_split();
                    corio::io::copy(&mut reader, &mut writer).await.unwrap()
                }));
            }
            let mut total = 0;
            for connection in connections {
                total += connection.await.unwrap();
            }
            total
        });
        let clients: Vec<_> = (0..1000u32)
            .map(|client| {
                let echoed = echoed.clone();
                corio::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    for message in 0..100u32 {
                        // 32 bytes that identify the client and the message.
                        let payload: Vec<u8> = (0..32u32)
                            .map(|i| (client ^ message.rotate_left(i) ^ i) as u8)
                            .collect();
                        stream.write_all(&payload).await.unwrap();
                        let mut reply = [0u8; 32];
                        stream.read_exact(&mut reply).await.unwrap();
                        assert_eq!(&reply[..], &payload[..], "client {client} message {message}");
                        echoed.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        // Clients dropped their streams: every server connection sees end-of-stream and ends.
        let bytes = corio::time::timeout(HANG_GUARD, server).await.unwrap().unwrap();
        assert_eq!(bytes, 1000 * 100 * 32);
    });
    assert_eq!(echoed.load(Ordering::Relaxed), 100_000);
}

#[test]
fn half_close_lets_the_peer_read_eof_and_still_answer() {
    let rt = runtime(2);
    rt.block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            stream.read_to_end(&mut request).await.unwrap(); // ends at the client's half close
            stream
                .write_all(&request.iter().rev().copied().collect::<Vec<_>>())
                .await
                .unwrap();
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"abc").await.unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"cba");
        server.await.unwrap();
    });
}

#[test]
fn split_halves_work_from_different_tasks_and_reunite() {
    let rt = runtime(2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        corio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (mut reader, mut writer) = stream.into_split();
            corio::io::copy(&mut reader, &mut writer).await.unwrap();
        });
        let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
        let writing = corio::spawn(async move {
            for i in 0..100u8 {
                writer.write_all(&[i; 10]).await.unwrap();
            }
            writer
        });
        let mut all = vec![0u8; 1000];
        reader.read_exact(&mut all).await.unwrap();
        for (i, chunk) in all.chunks(10).enumerate() {
            assert_eq!(chunk, &[i as u8; 10]);
        }
        let writer = writing.await.unwrap();
        let mut stream = reader.reunite(writer).expect("halves of one stream");
        stream.write_all(b"again").await.unwrap();
        let mut again = [0u8; 5];
        stream.read_exact(&mut again).await.unwrap();
        assert_eq!(&again, b"again");

        // Halves of different streams are refused and handed back.
        let other = TcpStream::connect(addr).await;
        if let Ok(other) = other {
            let (r1, _w1) = stream.into_split();
            let (_r2, w2) = other.into_split();
            assert!(r1.reunite(w2).is_err());
        }
    });
}

#[test]
fn borrowed_split_reads_and_writes_concurrently() {
    let rt = runtime(2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            // Spelled out: with `AsyncReadExt` in scope, `stream.split()` is futures' own split.
            let (mut reader, mut writer) = TcpStream::split(&mut stream);
            corio::io::copy(&mut reader, &mut writer).await.unwrap();
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let (mut reader, mut writer) = TcpStream::split(&mut stream);
        let (written, read) = futures::join!(
            async {
                writer.write_all(&[7u8; 100_000]).await.unwrap();
                100_000
            },
            async {
                let mut buf = vec![0u8; 100_000];
                reader.read_exact(&mut buf).await.unwrap();
                buf.iter().filter(|&&b| b == 7).count()
            }
        );
        assert_eq!(written, read);
    });
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let rt = runtime(1);
    rt.block_on(async {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let error = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn bad_addresses_are_clear_errors() {
    let rt = runtime(1);
    rt.block_on(async {
        let error = TcpStream::connect("no port here").await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
        let error = TcpListener::bind("127.0.0.1:99999").await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
    });
}

#[test]
fn lookup_host_resolves_localhost_on_the_blocking_pool() {
    let rt = runtime(1);
    rt.block_on(async {
        let addrs: Vec<SocketAddr> = lookup_host("localhost:0").await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(
            addrs
                .iter()
                .all(|addr| addr.ip().is_loopback() && addr.port() == 0),
            "{addrs:?}"
        );
        let literal: Vec<SocketAddr> = lookup_host(("127.0.0.1", 8080)).await.unwrap().collect();
        assert_eq!(literal, vec!["127.0.0.1:8080".parse().unwrap()]);
        // A host name works for connect too.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accept = corio::spawn(async move { listener.accept().await.map(|_| ()) });
        let connected = TcpStream::connect(("localhost", port)).await;
        if connected.is_ok() {
            accept.await.unwrap().unwrap();
        } else {
            // localhost may resolve to ::1 first on some hosts; 127.0.0.1 must then follow.
            panic!("connect(localhost) failed: {connected:?}");
        }
    });
}

#[test]
fn incoming_is_a_stream_of_connections() {
    use futures::StreamExt;
    let rt = runtime(2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clients: Vec<_> = (0..5).map(|_| corio::spawn(TcpStream::connect(addr))).collect();
        let accepted: Vec<_> = listener.incoming().take(5).collect().await;
        assert!(accepted.iter().all(Result::is_ok));
        for client in clients {
            client.await.unwrap().unwrap();
        }
    });
}

#[test]
fn udp_send_to_and_recv_from_between_tasks() {
    let rt = runtime(2);
    rt.block_on(async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let server_addr = server.local_addr().unwrap();
        let echo = corio::spawn({
            let server = server.clone();
            async move {
                let mut buf = [0u8; 64];
                for _ in 0..50 {
                    let (n, from) = server.recv_from(&mut buf).await.unwrap();
                    server.send_to(&buf[..n], from).await.unwrap();
                }
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(server_addr).await.unwrap();
        assert_eq!(client.peer_addr().unwrap(), server_addr);
        for i in 0..50u8 {
            client.send(&[i; 8]).await.unwrap();
            let mut buf = [0u8; 64];
            let n = client.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &[i; 8]);
        }
        echo.await.unwrap();
    });
}

fn temp_socket_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-net-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("socket")
}

#[test]
fn unix_stream_echo_and_half_close() {
    let rt = runtime(2);
    let path = temp_socket_path("stream");
    rt.block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        let server = corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            stream.read_to_end(&mut request).await.unwrap();
            stream.write_all(&request).await.unwrap();
        });
        let mut stream = UnixStream::connect(&path).await.unwrap();
        stream.write_all(b"over a unix socket").await.unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"over a unix socket");
        server.await.unwrap();

        let (a, b) = UnixStream::pair().unwrap();
        let (mut ar, mut aw) = a.into_split();
        let (mut br, mut bw) = b.into_split();
        aw.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        br.read_exact(&mut buf).await.unwrap();
        bw.write_all(&buf).await.unwrap();
        ar.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    });
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn unix_datagrams_by_path_and_by_pair() {
    let rt = runtime(2);
    let server_path = temp_socket_path("dgram-server");
    let client_path = temp_socket_path("dgram-client");
    rt.block_on(async {
        let server = UnixDatagram::bind(&server_path).unwrap();
        let client = UnixDatagram::bind(&client_path).unwrap();
        client.send_to(b"hello", &server_path).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        server
            .send_to(b"back", from.as_pathname().unwrap())
            .await
            .unwrap();
        let n = client.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");
    });
    let _ = std::fs::remove_dir_all(server_path.parent().unwrap());
    let _ = std::fs::remove_dir_all(client_path.parent().unwrap());
}

#[test]
fn a_connection_dropped_mid_read_or_mid_write_releases_its_registration() {
    let rt = runtime(2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let baseline = registered_sources();
        let peer = std::net::TcpStream::connect(addr).unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        assert_eq!(registered_sources(), baseline + 1);
        let stream = Arc::new(stream);
        // A reader blocked in read, and a writer blocked because nobody reads the other end.
        let (reading_tx, reading_rx) = futures::channel::oneshot::channel();
        let reader = corio::spawn({
            let stream = stream.clone();
            async move {
                let mut buf = [0u8; 8];
                let mut shared: &corio::net::TcpStream = &stream;
                let mut read = std::pin::pin!(shared.read(&mut buf));
                assert!(futures::poll!(read.as_mut()).is_pending());
                reading_tx.send(()).unwrap();
                read.await
            }
        });
        let writer = corio::spawn({
            let stream = stream.clone();
            async move {
                let chunk = vec![0u8; 1 << 16];
                let mut shared: &corio::net::TcpStream = &stream;
                loop {
                    shared.write_all(&chunk).await?;
                }
                #[allow(unreachable_code)]
                std::io::Result::Ok(())
            }
        });
        reading_rx.await.unwrap();
        drop(stream);
        reader.abort();
        writer.abort();
        assert!(reader.await.unwrap_err().is_cancelled());
        assert!(writer.await.unwrap_err().is_cancelled());
        assert_eq!(
            registered_sources(),
            baseline,
            "the aborted tasks' socket left the reactor"
        );
        drop(peer);
    });
}

/// `UnixStream::connect` treats `EAGAIN` (listener backlog full) as "in progress" and returns
/// an unconnected socket as if connected.
#[test]
fn unix_connect_to_a_full_backlog_does_not_return_an_unconnected_stream() {
    let rt = runtime(2);
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("corio-review2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("full.sock");
        let _ = std::fs::remove_file(&path);
        // A listener with a backlog of 1 that never accepts.
        let listener = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        listener.bind(&socket2::SockAddr::unix(&path).unwrap()).unwrap();
        listener.listen(1).unwrap();
        let mut streams = Vec::new();
        let mut bad = None;
        for _ in 0..16 {
            match corio::net::UnixStream::connect(&path).await {
                Ok(stream) => {
                    if let Err(error) = stream.peer_addr() {
                        bad = Some(error);
                        break;
                    }
                    streams.push(stream);
                }
                Err(_) => break, // the right outcome: an error once the backlog is full
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(error) = bad {
            panic!(
                "connect returned Ok after {} connections, but the stream is not connected: {error}",
                streams.len()
            );
        }
    });
}

/// A short read forgets the read readiness (the receive buffer is empty), which must not lose
/// an end-of-stream that arrived with the data, in the same readiness edge: the next read still
/// returns 0 instead of waiting for an event that will never come. Each round puts the data
/// and the FIN in the socket before the reader's first read, on TCP and on Unix streams.
#[test]
fn a_short_read_does_not_hide_an_end_of_stream_that_came_with_the_data() {
    async fn read_data_then_end(reader: &mut (impl futures::AsyncRead + Unpin), sent: &[u8]) {
        let mut buffer = [0u8; 64];
        let read = corio::time::timeout(HANG_GUARD, reader.read(&mut buffer))
            .await
            .expect("the data arrives")
            .unwrap();
        assert_eq!(&buffer[..read], sent, "a short read of what was sent");
        let end = corio::time::timeout(HANG_GUARD, reader.read(&mut buffer))
            .await
            .expect("the end of stream is reported, not waited for")
            .unwrap();
        assert_eq!(end, 0);
    }

    let rt = runtime(2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for round in 0..50u32 {
            let mut client = TcpStream::connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            server.write_all(&round.to_le_bytes()).await.unwrap();
            server.shutdown(Shutdown::Write).unwrap();
            read_data_then_end(&mut client, &round.to_le_bytes()).await;
        }
        for round in 0..50u32 {
            let (mut left, mut right) = UnixStream::pair().unwrap();
            left.write_all(&round.to_le_bytes()).await.unwrap();
            left.shutdown(Shutdown::Write).unwrap();
            read_data_then_end(&mut right, &round.to_le_bytes()).await;
        }
    });
}

/// How long a test waits to see that nothing arrives where nothing was sent. A bounded check of
/// an absence, not a wait for an event.
const NOTHING_ARRIVES: std::time::Duration = std::time::Duration::from_millis(300);

/// A connected UDP socket whose peer is gone gets an ICMP error (`EPOLLERR`). `recv` reports it
/// once, and the next `recv` and `readable()` wait: an error must not leave the socket
/// permanently "ready", which would make them retry `WouldBlock` forever inside one poll
/// (only the `within` guard could stop that).
#[test]
fn after_an_icmp_error_a_udp_socket_waits_instead_of_spinning() {
    within(HANG_GUARD, || {
        runtime(2).block_on(async {
            let gone = std::net::UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.connect(gone).await.unwrap();
            let events_before = reactor_events();
            socket.send(b"ping").await.unwrap();
            // Let a reactor report the error event before anything reads it: the flag is in
            // the event only while the error is pending. Each yield is a poll of this task; a
            // worker polls its own reactor every few dozen polls.
            let mut yields = 0;
            while reactor_events() == events_before {
                assert!(yields < 1_000_000, "the ICMP error event never came");
                corio::task::yield_now().await;
                yields += 1;
            }
            let mut buffer = [0u8; 16];
            let first = corio::time::timeout(HANG_GUARD, socket.recv(&mut buffer))
                .await
                .expect("the ICMP error arrives");
            assert_eq!(first.unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
            let second = corio::time::timeout(NOTHING_ARRIVES, socket.recv(&mut buffer)).await;
            assert!(second.is_err(), "nothing was sent: {second:?}");
            let readable = corio::time::timeout(NOTHING_ARRIVES, socket.readable()).await;
            assert!(readable.is_err(), "nothing was sent: {readable:?}");
        })
    });
}

/// On a Unix stream a read stops after a segment that carried descriptors even when more data
/// is queued behind it, so a short read there must not forget the readiness: the data written
/// after the descriptor is read at once.
#[test]
fn a_unix_stream_read_that_stops_at_passed_descriptors_still_finds_the_data_behind_them() {
    use std::io::Write;
    use std::os::fd::AsRawFd;

    /// Sends `data` with one descriptor attached (`SCM_RIGHTS`).
    fn send_with_descriptor(socket: &std::os::unix::net::UnixStream, data: &[u8]) {
        let mut iov = libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        };
        let mut control = [0u64; 8];
        let fd: libc::c_int = socket.as_raw_fd();
        // SAFETY: `msghdr` is plain data; zeroed is a valid empty header.
        let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE only computes a size.
        message.msg_controllen = unsafe { libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) } as _;
        // SAFETY: `message` points at `control`, 64 bytes, room for one header with one
        // descriptor; the pointers stay valid through `sendmsg`.
        unsafe {
            let header = libc::CMSG_FIRSTHDR(&message);
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
            std::ptr::copy_nonoverlapping(
                (&fd as *const libc::c_int).cast::<u8>(),
                libc::CMSG_DATA(header),
                std::mem::size_of::<libc::c_int>(),
            );
            assert_eq!(
                libc::sendmsg(socket.as_raw_fd(), &message, 0),
                data.len() as isize
            );
        }
    }

    within(HANG_GUARD, || {
        runtime(2).block_on(async {
            let (mut left, right) = std::os::unix::net::UnixStream::pair().unwrap();
            let mut right = UnixStream::from_std(right).unwrap();
            let mut buffer = [0u8; 64];
            // One attempt while nothing is queued: it finds `WouldBlock` and forgets the
            // optimistic readiness of a new source, so the reads below are driven by the event.
            assert!(futures::FutureExt::now_or_never(right.read(&mut buffer)).is_none());
            let events_before = reactor_events();
            send_with_descriptor(&left, b"A");
            left.write_all(b"B").unwrap();
            let mut yields = 0;
            while reactor_events() == events_before {
                assert!(yields < 1_000_000, "the readiness event never came");
                corio::task::yield_now().await;
                yields += 1;
            }
            let read = right.read(&mut buffer).await.unwrap();
            assert_eq!(
                &buffer[..read],
                b"A",
                "the read stops after the segment with the descriptor"
            );
            let next = corio::time::timeout(HANG_GUARD, right.read(&mut buffer))
                .await
                .expect("\"B\" is already queued: the read must not wait for an event");
            assert_eq!(&buffer[..next.unwrap()], b"B");
        })
    });
}
