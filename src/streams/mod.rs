//! asyncio's streams: buffered readers and writers over connections, and stream servers.
//!
//! | asyncio | corio |
//! |---|---|
//! | `open_connection`, `open_unix_connection` | [`open_connection`], [`open_unix_connection`] |
//! | `start_server`, `start_unix_server`, `Server` | [`start_server`], [`start_unix_server`], [`Server`] |
//! | `StreamReader` (`read`, `readline`, `readuntil`, `readexactly`, `at_eof`) | [`StreamReader`] |
//! | `StreamWriter` (`write`, `drain`, `write_eof`, `close`, `wait_closed`) | [`StreamWriter`] |
//! | `IncompleteReadError`, `LimitOverrunError` | [`IncompleteReadError`], [`LimitOverrunError`] ([`ReadError`]) |

mod error;
mod reader;
mod server;
mod socket;
mod writer;

use std::io;
use std::path::Path;
use std::sync::Arc;

pub use error::{IncompleteReadError, LimitOverrunError, ReadError};
pub use reader::{StreamReader, DEFAULT_LIMIT};
pub use server::{start_server, start_unix_server, Server};
pub use writer::{StreamWriter, DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER};

use crate::net::{TcpStream, ToSocketAddrs, UnixStream};

/// Connects to `addr` and returns the connection's reader and writer (asyncio's
/// `asyncio.open_connection`).
///
/// ```
/// use corio::streams::{open_connection, start_server, StreamReader, StreamWriter};
///
/// corio::run(async {
///     let server = start_server(|mut r: StreamReader, w: StreamWriter| async move {
///         let name = r.read_line().await.unwrap();
///         w.write(b"hello ");
///         w.write(&name);
///     }, "127.0.0.1:0").await?;
///     let (mut reader, writer) = open_connection(server.local_addr()?).await?;
///     writer.write(b"corio\n");
///     assert_eq!(reader.read_line().await?, b"hello corio\n");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub async fn open_connection<A: ToSocketAddrs>(addr: A) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = TcpStream::connect(addr).await?;
    Ok(pair(Arc::new(stream)))
}

/// Connects to the Unix domain socket at `path` (asyncio's `asyncio.open_unix_connection`).
pub async fn open_unix_connection(path: impl AsRef<Path>) -> io::Result<(StreamReader, StreamWriter)> {
    let stream = UnixStream::connect(path).await?;
    Ok(pair(Arc::new(stream)))
}

fn pair(socket: Arc<dyn socket::Socket>) -> (StreamReader, StreamWriter) {
    (StreamReader::new(socket.clone()), StreamWriter::new(socket))
}
