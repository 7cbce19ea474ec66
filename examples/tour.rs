//! A tour of corio, in the order of asyncio's documentation. Run it with
//! `cargo run --release --example tour`.

use std::time::{Duration, Instant};

use corio::io::{Async, AsyncReadExt, AsyncWriteExt};

#[corio::main]
async fn main() -> std::io::Result<()> {
    // asyncio's Hello World: a coroutine that sleeps between two prints.
    println!("Hello ...");
    corio::time::sleep(Duration::from_secs(1)).await;
    println!("... World!");

    // Tasks run concurrently on every core: three sleeps of 100 ms take 100 ms, not 300.
    let start = Instant::now();
    let tasks: Vec<_> = (1..=3)
        .map(|i| {
            corio::task::Builder::new()
                .name(&format!("sleeper-{i}"))
                .spawn(async move {
                    corio::time::sleep(Duration::from_millis(100)).await;
                    i
                })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("sleeper task");
    }
    println!(
        "three concurrent 100 ms sleeps: sum {total} in {:?}",
        start.elapsed()
    );

    // A timeout cancels what runs too long (asyncio.timeout).
    let slow = corio::time::sleep(Duration::from_secs(10));
    match corio::time::timeout(Duration::from_millis(50), slow).await {
        Ok(()) => println!("the slow operation finished?"),
        Err(elapsed) => println!("timeout: {elapsed}"),
    }

    // Cancelling a task (Task.cancel()).
    let forever = corio::spawn(std::future::pending::<()>());
    forever.abort();
    println!(
        "aborted task cancelled: {}",
        forever.await.unwrap_err().is_cancelled()
    );

    // Blocking code goes to the blocking pool (asyncio.to_thread).
    let sum = corio::spawn_blocking(|| (1..=1_000_000u64).sum::<u64>())
        .await
        .expect("blocking job");
    println!("sum computed on the blocking pool: {sum}");

    // Raw readiness on a socket (loop.add_reader): a TCP echo over loopback.
    let listener = Async::new(std::net::TcpListener::bind("127.0.0.1:0")?)?;
    let addr = listener.get_ref().local_addr()?;
    let server = corio::spawn(async move {
        let (stream, _) = listener.read_with(|l| l.accept()).await?;
        let mut stream = Async::new(stream)?;
        let mut buf = vec![0; 64];
        let n = stream.read(&mut buf).await?;
        stream.write_all(&buf[..n]).await?;
        std::io::Result::Ok(())
    });
    let mut client = Async::new(std::net::TcpStream::connect(addr)?)?;
    client.write_all(b"ping over loopback").await?;
    let mut reply = vec![0; 18];
    client.read_exact(&mut reply).await?;
    server.await??;
    println!("echoed: {}", String::from_utf8_lossy(&reply));
    Ok(())
}
