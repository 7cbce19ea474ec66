//! Task dumps, debug-mode slow-poll reports, runtime metrics.

mod support;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use corio::task::TaskState;
use futures::channel::oneshot;
use support::{runtime, HANG_GUARD};

#[test]
fn the_dump_lists_a_named_task_its_state_and_the_task_awaiting_it() {
    let rt = runtime(2);
    rt.block_on(async {
        let (release_tx, release_rx) = oneshot::channel::<()>();
        let (child_id_tx, child_id_rx) = oneshot::channel();
        let parent = corio::task::Builder::new().name("parent").spawn(async move {
            let child = corio::task::Builder::new().name("child").spawn(async move {
                release_rx.await.unwrap();
                "child done"
            });
            child_id_tx.send(child.id()).unwrap();
            child.await.unwrap()
        });
        let child_id = child_id_rx.await.unwrap();
        // Wait (bounded) until both are parked: the child on its channel, the parent on the
        // child's handle.
        let mut dump = corio::Handle::current().dump();
        for _ in 0..10_000 {
            let settled = [parent.id(), child_id].iter().all(|id| {
                dump.get(*id)
                    .is_some_and(|t| t.state == TaskState::Idle && t.polls > 0)
            });
            if settled && dump.get(child_id).unwrap().awaited_by.is_some() {
                break;
            }
            corio::task::yield_now().await;
            dump = corio::Handle::current().dump();
        }
        let parent_info = dump.get(parent.id()).expect("the parent is listed");
        let child_info = dump.get(child_id).expect("the child is listed");
        assert_eq!(parent_info.name.as_deref(), Some("parent"));
        assert_eq!(child_info.name.as_deref(), Some("child"));
        assert_eq!(child_info.state, TaskState::Idle);
        assert_eq!(child_info.awaited_by, Some(parent.id()));
        assert!(child_info.spawned_at.file().ends_with("introspection.rs"));
        assert!(parent_info.polls >= 1);
        assert_eq!(
            dump.awaited_by(parent.id()).map(|t| t.id).collect::<Vec<_>>(),
            vec![child_id]
        );
        // The tree shows the child under its parent.
        let text = dump.to_string();
        let parent_line = text.lines().position(|l| l.contains("\"parent\"")).unwrap();
        let child_line = text.lines().position(|l| l.contains("\"child\"")).unwrap();
        assert_eq!(child_line, parent_line + 1, "{text}");
        assert!(
            text.lines().nth(child_line).unwrap().starts_with("    └── ") || text.contains("│   └── "),
            "{text}"
        );
        release_tx.send(()).unwrap();
        assert_eq!(parent.await.unwrap(), "child done");
        // Finished tasks leave the dump.
        assert!(corio::Handle::current().dump().get(child_id).is_none());
    });
}

#[test]
fn the_dump_shows_a_running_task_as_running() {
    let rt = runtime(2);
    let (inside_tx, inside_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let busy = rt.spawn(async move {
        inside_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    inside_rx.recv_timeout(HANG_GUARD).unwrap();
    let dump = rt.handle().dump();
    assert_eq!(dump.get(busy.id()).unwrap().state, TaskState::Running);
    release_tx.send(()).unwrap();
    rt.block_on(busy).unwrap();
}

/// A `tracing` writer that appends to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[test]
fn debug_mode_reports_a_slow_poll_while_it_runs_and_when_it_ends() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_target(true)
        .try_init()
        .expect("this test binary installs the only global subscriber");
    let rt = corio::runtime::Builder::new()
        .worker_threads(2)
        .slow_poll_threshold(Duration::from_millis(20))
        .build()
        .unwrap();
    let finished = Arc::new(AtomicBool::new(false));
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let slow = {
        let finished = finished.clone();
        corio::task::Builder::new().name("slowpoke").spawn_on(
            async move {
                // Blocks its worker inside one poll until released.
                release_rx.recv().unwrap();
                finished.store(true, Ordering::SeqCst);
            },
            rt.handle(),
        )
    };
    support::eventually("the slow poll is reported while it runs", || {
        capture.text().contains("still running")
    });
    assert!(
        !finished.load(Ordering::SeqCst),
        "reported while the poll was still running"
    );
    let text = capture.text();
    let line = text.lines().find(|l| l.contains("still running")).unwrap();
    assert!(line.contains("corio"), "target corio: {line}");
    assert!(line.contains("slowpoke"), "task name: {line}");
    assert!(line.contains("introspection.rs"), "spawn location: {line}");
    assert!(
        line.contains(&format!("task_id={}", slow.id())),
        "task id: {line}"
    );
    release_tx.send(()).unwrap();
    rt.block_on(slow).unwrap();
    support::eventually("the slow poll is reported when it ends", || {
        capture.text().contains("slow poll finished")
    });
    let text = capture.text();
    let line = text.lines().find(|l| l.contains("slow poll finished")).unwrap();
    assert!(line.contains("slowpoke") && line.contains("duration="), "{line}");
    // A fast poll is not reported.
    let before = capture.text().matches("slow poll").count();
    rt.block_on(async { corio::spawn(async {}).await.unwrap() });
    assert_eq!(capture.text().matches("slow poll").count(), before);
}

#[test]
fn metrics_count_reactor_events_and_blocking_threads() {
    let rt = runtime(2);
    rt.block_on(async {
        let (a, b) = corio::net::UnixStream::pair().unwrap();
        // The reader waits before any data exists, so only a reactor event can wake it.
        let (waiting_tx, waiting_rx) = oneshot::channel::<()>();
        let reader = corio::spawn(async move {
            use futures::AsyncReadExt;
            let mut a = a;
            let mut buf = [0u8; 1];
            let mut read = std::pin::pin!(a.read(&mut buf));
            assert!(futures::poll!(read.as_mut()).is_pending());
            waiting_tx.send(()).unwrap();
            read.await.unwrap()
        });
        waiting_rx.await.unwrap();
        use futures::AsyncWriteExt;
        let mut b = b;
        b.write_all(b"x").await.unwrap();
        assert_eq!(reader.await.unwrap(), 1);
        corio::spawn_blocking(|| ()).await.unwrap();
    });
    let metrics = rt.metrics();
    let events: u64 = metrics.workers.iter().map(|w| w.reactor_events).sum();
    assert!(events > 0, "{metrics:?}");
    assert!(metrics.blocking_threads >= 1, "{metrics:?}");
}
