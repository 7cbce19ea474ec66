//! Addresses: what `bind`, `connect` and `send_to` accept, and name resolution.
//!
//! An address is a `SocketAddr` (or the pieces of one), or a `"host:port"` string, or a
//! `(host, port)` pair. Literal IP addresses are parsed on the spot; host names are resolved by
//! the system resolver (`getaddrinfo`) on the blocking pool, because it blocks.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::JoinHandle;

/// Something that resolves to one or more socket addresses: `SocketAddr` and its parts,
/// `"host:port"` strings, `(host, port)` pairs, and slices of addresses.
///
/// Sealed: corio decides how each form resolves (literals at once, names on the blocking pool).
pub trait ToSocketAddrs: sealed::Sealed {}

mod sealed {
    use super::Resolve;

    pub trait Sealed {
        fn resolve(&self) -> Resolve;
    }
}

/// The resolution of a [`ToSocketAddrs`]: already known, or running on the blocking pool.
#[doc(hidden)]
pub enum Resolve {
    Ready(Option<io::Result<Vec<SocketAddr>>>),
    Blocking(JoinHandle<io::Result<Vec<SocketAddr>>>),
}

impl Future for Resolve {
    type Output = io::Result<Vec<SocketAddr>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Resolve::Ready(result) => Poll::Ready(result.take().expect("`Resolve` polled after completion")),
            Resolve::Blocking(handle) => Pin::new(handle)
                .poll(cx)
                .map(|joined| joined.map_err(io::Error::from)?),
        }
    }
}

/// Resolves `addr` (asyncio's `loop.getaddrinfo`). Host names go through the system resolver
/// on the blocking pool.
///
/// ```
/// corio::run(async {
///     let addrs: Vec<_> = corio::net::lookup_host("localhost:80").await?.collect();
///     assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub async fn lookup_host<T: ToSocketAddrs>(addr: T) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(resolve(&addr).await?.into_iter())
}

pub(crate) fn resolve<T: ToSocketAddrs + ?Sized>(addr: &T) -> Resolve {
    sealed::Sealed::resolve(addr)
}

/// Resolves `host:port` text: a literal address at once, a name on the blocking pool.
fn resolve_text(text: String) -> Resolve {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Resolve::Ready(Some(Ok(vec![addr])));
    }
    Resolve::Blocking(crate::task::spawn_blocking(move || {
        std::net::ToSocketAddrs::to_socket_addrs(&text).map(Iterator::collect)
    }))
}

fn resolve_host_port(host: &str, port: u16) -> Resolve {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Resolve::Ready(Some(Ok(vec![SocketAddr::new(ip, port)])));
    }
    let host = host.to_owned();
    Resolve::Blocking(crate::task::spawn_blocking(move || {
        std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)).map(Iterator::collect)
    }))
}

macro_rules! ready_addrs {
    ($($ty:ty => |$this:ident| $body:expr),* $(,)?) => {
        $(
            impl ToSocketAddrs for $ty {}
            impl sealed::Sealed for $ty {
                fn resolve(&self) -> Resolve {
                    let $this = self;
                    Resolve::Ready(Some(Ok($body)))
                }
            }
        )*
    };
}

ready_addrs! {
    SocketAddr => |a| vec![*a],
    SocketAddrV4 => |a| vec![SocketAddr::V4(*a)],
    SocketAddrV6 => |a| vec![SocketAddr::V6(*a)],
    (IpAddr, u16) => |a| vec![SocketAddr::new(a.0, a.1)],
    (Ipv4Addr, u16) => |a| vec![SocketAddr::new(IpAddr::V4(a.0), a.1)],
    (Ipv6Addr, u16) => |a| vec![SocketAddr::new(IpAddr::V6(a.0), a.1)],
    [SocketAddr] => |a| a.to_vec(),
    Vec<SocketAddr> => |a| a.clone(),
}

impl ToSocketAddrs for str {}
impl sealed::Sealed for str {
    fn resolve(&self) -> Resolve {
        resolve_text(self.to_owned())
    }
}

impl ToSocketAddrs for String {}
impl sealed::Sealed for String {
    fn resolve(&self) -> Resolve {
        resolve_text(self.clone())
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Sealed for (&str, u16) {
    fn resolve(&self) -> Resolve {
        resolve_host_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Sealed for (String, u16) {
    fn resolve(&self) -> Resolve {
        resolve_host_port(&self.0, self.1)
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {
    fn resolve(&self) -> Resolve {
        sealed::Sealed::resolve(*self)
    }
}

/// Tries `op` on each resolved address in turn; returns the first success or the last error.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: A, mut op: F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let addrs = resolve(&addr).await?;
    let mut last_error = None;
    for addr in addrs {
        match op(addr).await {
            Ok(value) => return Ok(value),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to no socket address",
        )
    }))
}
