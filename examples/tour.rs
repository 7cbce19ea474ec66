//! A tour of corio, in the order of asyncio's documentation. Run it with
//! `cargo run --release --example tour`.

use std::time::{Duration, Instant};

use corio::io::Async;

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

    // Structured concurrency (asyncio.TaskGroup): results in spawn order, or every failure.
    let mut group = corio::task::TaskGroup::new();
    for word in ["task", "group", "results"] {
        group.spawn(async move { Ok::<_, String>(word.len()) });
    }
    println!("task group lengths: {:?}", group.join().await);
    let mut group = corio::task::TaskGroup::<(), String>::new();
    group.spawn(async { Err("one child failed".to_string()) });
    group.spawn(std::future::pending()); // cancelled by its sibling's failure
    match group.join().await {
        Ok(_) => println!("the group succeeded?"),
        Err(error) => println!("task group error: {error}"),
    }

    // Introspection (asyncio's call graph): a named task awaited by another, in a dump.
    let (release, released) = std::sync::mpsc::channel::<()>();
    let parent = corio::task::Builder::new().name("parent").spawn(async move {
        let child = corio::task::Builder::new()
            .name("child")
            .spawn(async move { corio::spawn_blocking(move || released.recv()).await });
        child.await
    });
    corio::time::sleep(Duration::from_millis(10)).await;
    print!("{}", corio::Handle::current().dump());
    release.send(()).ok();
    let _ = parent.await;

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

    // Streams (asyncio.start_server / open_connection): a TCP round trip over loopback.
    let server = corio::streams::start_server(
        |mut reader: corio::streams::StreamReader, writer: corio::streams::StreamWriter| async move {
            while let Ok(line) = reader.read_line().await {
                if line.is_empty() {
                    break;
                }
                writer.write(&line.to_ascii_uppercase());
            }
        },
        "127.0.0.1:0",
    )
    .await?;
    let (mut reader, writer) = corio::streams::open_connection(server.local_addr()?).await?;
    let start = Instant::now();
    writer.write(b"hello over tcp\n");
    let reply = reader.read_line().await?;
    println!(
        "round trip {:?}: {}",
        start.elapsed(),
        String::from_utf8_lossy(&reply).trim_end()
    );

    // Subprocesses (create_subprocess_shell / create_subprocess_exec): a two-step pipeline whose
    // second child gets the first one's output through Process.communicate.
    let produced = corio::process::Command::shell("printf 'pear\\napple\\nfig\\n'")
        .stdout(corio::process::Stdio::piped())
        .output()
        .await?;
    let mut sort = corio::process::Command::new("sort")
        .stdin(corio::process::Stdio::piped())
        .stdout(corio::process::Stdio::piped())
        .spawn()?;
    let sorted = sort.communicate(Some(produced.stdout)).await?;
    println!(
        "sorted by a child process ({}): {}",
        sorted.status,
        String::from_utf8_lossy(&sorted.stdout).trim().replace('\n', ", ")
    );

    // Raw readiness on any descriptor (loop.add_reader): a UDP datagram through Async<T>.
    let receiver = Async::new(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    let sender = std::net::UdpSocket::bind("127.0.0.1:0")?;
    sender.send_to(b"datagram", receiver.get_ref().local_addr()?)?;
    let mut buf = [0u8; 16];
    let (n, _) = receiver.read_with(|socket| socket.recv_from(&mut buf)).await?;
    println!(
        "received through Async<UdpSocket>: {}",
        String::from_utf8_lossy(&buf[..n])
    );
    Ok(())
}
