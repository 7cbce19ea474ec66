//! A chat server: every line a client sends goes to every other client.
//!
//! ```sh
//! cargo run --release --example chat               # listens on 127.0.0.1:8008
//! ```
//! Connect with `nc 127.0.0.1 8008` from several terminals; the first line is your name.
//!
//! Each client has its own channel (an unbounded `corio::sync::mpsc`): the connection's
//! handler reads lines and hands them to the others' channels, and a writer task per client
//! drains its channel into the socket, so a slow client never holds up the rest.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use corio::streams::{start_server, StreamReader, StreamWriter};
use corio::sync::{mpsc, Mutex};

type Clients = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Arc<str>>>>>;

async fn broadcast(clients: &Clients, from: u64, message: Arc<str>) {
    for (id, sender) in clients.lock().await.iter() {
        if *id != from {
            // A client that left has dropped its receiver; nothing to do.
            let _ = sender.send(message.clone());
        }
    }
}

async fn client(clients: Clients, id: u64, mut reader: StreamReader, writer: StreamWriter) {
    writer.write(b"name? ");
    let name = match reader.read_line().await {
        Ok(line) if !line.is_empty() => String::from_utf8_lossy(&line).trim().to_string(),
        _ => return,
    };
    let (sender, mut inbox) = mpsc::unbounded_channel::<Arc<str>>();
    clients.lock().await.insert(id, sender);
    broadcast(&clients, id, format!("* {name} joined\n").into()).await;

    // Deliver what others say, through this client's own channel.
    let delivery = corio::spawn(async move {
        while let Some(message) = inbox.recv().await {
            writer.write(message.as_bytes());
            if writer.drain().await.is_err() {
                break;
            }
        }
    });
    while let Ok(line) = reader.read_line().await {
        if line.is_empty() {
            break; // the client left
        }
        let text = String::from_utf8_lossy(&line);
        broadcast(&clients, id, format!("{name}: {}\n", text.trim_end()).into()).await;
    }
    clients.lock().await.remove(&id);
    delivery.abort();
    broadcast(&clients, id, format!("* {name} left\n").into()).await;
}

#[corio::main]
async fn main() -> std::io::Result<()> {
    let clients: Clients = Arc::default();
    let next_id = Arc::new(AtomicU64::new(0));
    let server = start_server(
        move |reader, writer| {
            client(
                clients.clone(),
                next_id.fetch_add(1, Ordering::Relaxed),
                reader,
                writer,
            )
        },
        "127.0.0.1:8008",
    )
    .await?;
    println!("chat server on {}", server.local_addr()?);
    server.serve_forever().await;
    Ok(())
}
