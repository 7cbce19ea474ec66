//! The tcp_echo floor: the same echo traffic as the workload (same connections, round trips,
//! message bytes and checks), served by one thread looping on `polling` (epoll) directly.
//!
//! Every client and server socket is registered level-triggered once; each wake-up reads what
//! is ready, the server side writes it back, the client side checks a complete echo and sends
//! its next message. That is the fewest syscalls per message (one `read` and one `write` per
//! side, `epoll_wait` shared by whatever is ready) with no task, waker or queue in between.
//! At most one message is in flight per connection, so a 64-byte write into an empty socket
//! buffer never blocks; a short write fails the run rather than being silently retried.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use polling::{Event, Events, PollMode, Poller};

use crate::check;
use crate::params::Params;
use crate::workloads::tcp_echo::message;
use crate::workloads::Sample;

/// A client connection's progress.
struct Client {
    stream: TcpStream,
    round: usize,
    sent: Vec<u8>,
    reply: Vec<u8>,
    received: usize,
}

/// One sample of the floor: messages per second on one thread.
pub fn run(params: &Params) -> Sample {
    let (connections, rounds, len) = (
        params.echo_connections,
        params.echo_round_trips,
        params.echo_message_len,
    );
    let start = Instant::now();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("local address");
    let mut clients = Vec::with_capacity(connections);
    let mut servers = Vec::with_capacity(connections);
    for connection in 0..connections {
        let client = TcpStream::connect(address).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        for stream in [&client, &server] {
            stream.set_nodelay(true).expect("nodelay");
            stream.set_nonblocking(true).expect("nonblocking");
        }
        clients.push(Client {
            stream: client,
            round: 0,
            sent: message(connection, 0, len),
            reply: vec![0; len],
            received: 0,
        });
        servers.push(server);
    }

    // Keys: client `i` is `i`, its server side is `connections + i`.
    let poller = Poller::new().expect("create an epoll instance");
    for (key, client) in clients.iter().enumerate() {
        // SAFETY: every socket stays open until it is deleted from the poller below.
        unsafe { poller.add_with_mode(&client.stream, Event::readable(key), PollMode::Level) }
            .expect("register a client");
    }
    for (index, server) in servers.iter().enumerate() {
        // SAFETY: as above.
        unsafe { poller.add_with_mode(server, Event::readable(connections + index), PollMode::Level) }
            .expect("register a server side");
    }
    for client in &mut clients {
        write_whole(&mut client.stream, &client.sent);
    }

    let mut events = Events::new();
    let mut buffer = [0u8; 4096];
    let (mut finished, mut round_trips, mut echoed_bytes) = (0, 0, 0);
    while finished < connections {
        events.clear();
        poller.wait(&mut events, None).expect("epoll_wait");
        for event in events.iter() {
            if event.key >= connections {
                let server = &mut servers[event.key - connections];
                if let Some(read) = read_some(server, &mut buffer) {
                    write_whole(server, &buffer[..read]);
                    echoed_bytes += read;
                }
            } else {
                let key = event.key;
                let client = &mut clients[key];
                let Some(read) = read_some(&mut client.stream, &mut client.reply[client.received..]) else {
                    continue;
                };
                client.received += read;
                if client.received < len {
                    continue;
                }
                round_trips += usize::from(client.reply == client.sent);
                client.received = 0;
                client.round += 1;
                if client.round == rounds {
                    finished += 1;
                } else {
                    client.sent = message(key, client.round, len);
                    write_whole(&mut client.stream, &client.sent);
                }
            }
        }
    }
    let elapsed = start.elapsed();
    for client in &clients {
        poller.delete(&client.stream).expect("deregister a client");
    }
    for server in &servers {
        poller.delete(server).expect("deregister a server side");
    }

    let messages = connections * rounds;
    check::equal("echo floor round trips", round_trips, messages);
    check::equal("echo floor bytes echoed", echoed_bytes, messages * len);
    vec![messages as f64 / elapsed.as_secs_f64()]
}

/// Reads what is there; `None` when nothing was (a spurious wake-up).
fn read_some(stream: &mut TcpStream, buffer: &mut [u8]) -> Option<usize> {
    match stream.read(buffer) {
        Ok(0) => panic!("echo floor: a peer closed its connection before the end"),
        Ok(read) => Some(read),
        Err(error) if error.kind() == ErrorKind::WouldBlock => None,
        Err(error) => panic!("echo floor: read failed: {error}"),
    }
}

fn write_whole(stream: &mut TcpStream, bytes: &[u8]) {
    match stream.write(bytes) {
        Ok(written) if written == bytes.len() => {}
        Ok(written) => panic!("echo floor: short write ({written} of {} bytes)", bytes.len()),
        Err(error) => panic!("echo floor: write failed: {error}"),
    }
}
