//! Networking: TCP, UDP and Unix domain sockets on corio's per-worker reactors.
//!
//! The types follow tokio's names and methods. Addresses are `SocketAddr`s, `"host:port"`
//! strings or `(host, port)` pairs ([`ToSocketAddrs`]); host names are resolved on the blocking
//! pool. Every socket is registered, once, with the reactor of the worker that creates it.
//! For asyncio's buffered streams (`open_connection`, `start_server`) see `corio::streams`.

mod addr;
mod io_impls;
pub mod tcp;
pub mod udp;
pub mod unix;

pub mod split;

pub use addr::{lookup_host, ToSocketAddrs};
pub use split::HalfClose;
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};
