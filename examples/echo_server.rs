//! An echo server with asyncio-style streams.
//!
//! ```sh
//! cargo run --release --example echo_server            # listens on 127.0.0.1:8007
//! cargo run --release --example echo_server -- 9000    # another port
//! ```
//! Then `nc 127.0.0.1 8007` and type lines. Stop it with Ctrl-C.

use corio::streams::{start_server, StreamReader, StreamWriter};

/// Echoes every line back until the client closes its side.
async fn echo(mut reader: StreamReader, writer: StreamWriter) {
    let peer = writer.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("{peer} connected");
    loop {
        match reader.read_line().await {
            Ok(line) if line.is_empty() => break, // end-of-stream
            Ok(line) => {
                writer.write(&line);
                // Respect flow control: wait if the client reads slower than it sends.
                if writer.drain().await.is_err() {
                    break;
                }
            }
            Err(error) => {
                eprintln!("{peer}: {error}");
                break;
            }
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
    println!("{peer} disconnected");
}

#[corio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .map_or(Ok(8007), |p| p.parse())
        .map_err(std::io::Error::other)?;
    let server = start_server(echo, ("127.0.0.1", port)).await?;
    println!("echo server listening on {}", server.local_addr()?);
    server.serve_forever().await;
    Ok(())
}
