//! A hyper 1.x hello-world HTTP/1.1 server on corio.
//!
//! ```sh
//! cargo run --release --example http --features hyper            # listens on 127.0.0.1:3000
//! cargo run --release --example http --features hyper -- 8080    # another port
//! ```
//! Then `curl http://127.0.0.1:3000/`. Stop it with Ctrl-C.
//!
//! The three adapters of `corio::compat::hyper` at work: every connection is a corio task
//! reading and writing through `CorioIo`, and `CorioTimer` drives hyper's header-read timeout.

use std::convert::Infallible;
use std::time::Duration;

use corio::compat::hyper::{CorioIo, CorioTimer};
use corio::net::TcpListener;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

async fn hello(_request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    Ok(Response::new(String::from("Hello, World!\n")))
}

#[corio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .map_or(Ok(3000), |p| p.parse())
        .map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = listener.accept().await?;
        stream.set_nodelay(true)?;
        corio::spawn(async move {
            let served = http1::Builder::new()
                .timer(CorioTimer::new())
                // A client that never finishes its headers is dropped instead of held forever.
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(CorioIo::new(stream), service_fn(hello))
                .await;
            if let Err(error) = served {
                eprintln!("{peer}: {error}");
            }
        });
    }
}
