//! Subprocesses: real children, on a 2-worker runtime.

mod support;

use std::io;
use std::os::unix::process::ExitStatusExt;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::process::{Command, Stdio};
use corio::time::timeout;
use support::HANG_GUARD;

/// The tests run one at a time: the zombie scan sees every child of this process, so another
/// test's child that exited but is not reaped yet must not be mistaken for a leak.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    let _serial = serial();
    let rt = support::runtime(2);
    support::within(HANG_GUARD * 2, move || {
        rt.block_on(async move { timeout(HANG_GUARD, f).await.expect("test hung") })
    })
}

/// Zombie children of this process, from `/proc/*/stat` (state `Z`, ppid == our pid).
fn zombie_children() -> Vec<u32> {
    let me = std::process::id();
    let mut zombies = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue; // exited meanwhile
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let (state, ppid) = (fields.next(), fields.next().and_then(|p| p.parse::<u32>().ok()));
        if state == Some("Z") && ppid == Some(me) {
            zombies.push(pid);
        }
    }
    zombies
}

fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn echo_output() {
    let out = run(async { Command::new("echo").args(["hello", "world"]).output().await }).unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"hello world\n");
    assert!(out.stderr.is_empty());
}

#[test]
fn shell_arithmetic() {
    let out = run(async { Command::shell("echo $((6*7))").output().await }).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "42");
}

#[test]
fn exit_codes() {
    let (three, zero) = run(async {
        let three = Command::new("sh").args(["-c", "exit 3"]).status().await?;
        let zero = Command::shell("exit 0").status().await?;
        io::Result::Ok((three, zero))
    })
    .unwrap();
    assert_eq!(three.code(), Some(3));
    assert!(!three.success());
    assert!(zero.success());
}

#[test]
fn kill_reports_signal() {
    let (status, again, id) = run(async {
        let mut child = Command::new("sleep").arg("1000").spawn()?;
        child.kill().await?;
        let status = child.wait().await?;
        // Killing a reaped child is a no-op, never a signal to a recycled pid.
        child.start_kill()?;
        child.terminate()?;
        let again = child.wait().await?;
        io::Result::Ok((status, again, child.id()))
    })
    .unwrap();
    assert_eq!(status.signal(), Some(9));
    assert_eq!(status, again);
    assert_eq!(id, None);
}

#[test]
fn terminate_sends_sigterm() {
    let status = run(async {
        let mut child = Command::new("sleep").arg("1000").spawn()?;
        child.terminate()?;
        child.wait().await
    })
    .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM));
}

#[test]
fn two_hundred_concurrent_children_all_reaped() {
    let statuses = run(async {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                corio::spawn(async move {
                    let status = Command::shell(format!("exit {}", i % 7)).status().await?;
                    io::Result::Ok((i, status))
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for handle in handles {
            statuses.push(handle.await.unwrap()?);
        }
        io::Result::Ok(statuses)
    })
    .unwrap();
    assert_eq!(statuses.len(), 200);
    for (i, status) in statuses {
        assert_eq!(status.code(), Some(i % 7));
    }
    assert_eq!(zombie_children(), Vec::<u32>::new());
}

#[test]
fn communicate_ten_mib_through_cat() {
    let input: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let expected = input.clone();
    let out = run(async move {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child.communicate(Some(input)).await
    })
    .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), expected.len());
    assert!(out.stdout == expected, "the bytes came back changed");
    assert!(out.stderr.is_empty());
}

#[test]
fn large_stdout_read_only_at_the_end_does_not_deadlock() {
    let out = run(async {
        let child = Command::new("head")
            .args(["-c", "5000000", "/dev/zero"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child.wait_with_output().await
    })
    .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 5_000_000);
    assert!(out.stdout.iter().all(|&b| b == 0));
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    let pid = run(async {
        let child = Command::new("sleep").arg("1000").kill_on_drop(true).spawn()?;
        let pid = child.id().expect("running");
        assert!(process_exists(pid));
        drop(child);
        // Killed and reaped by the background reaper while the runtime runs: the pid vanishes
        // from /proc (a zombie would stay listed). This thread is not a worker, so the
        // bounded wait here blocks no task.
        support::eventually("the killed child to be reaped", || !process_exists(pid));
        io::Result::Ok(pid)
    })
    .unwrap();
    assert!(!process_exists(pid));
}

#[test]
fn dropped_running_child_is_reaped_in_the_background() {
    let _serial = serial();
    let rt = support::runtime(2);
    let pid = support::within(HANG_GUARD, move || {
        rt.block_on(async {
            let mut child = Command::new("sh")
                .args(["-c", "read line"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let pid = child.id().unwrap();
            let stdin = child.stdin.take().unwrap();
            drop(child); // running: handed to the background reaper
            drop(stdin); // now it exits
            support::eventually("the dropped child to be reaped", || !process_exists(pid));
            pid
        })
    });
    assert!(!process_exists(pid));
}

#[test]
fn missing_program_is_not_found() {
    let err = run(async { Command::new("/definitely/not/a/program").spawn().map(drop) }).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn spawn_outside_runtime_is_an_error() {
    let _serial = serial();
    let err = Command::new("true").spawn().unwrap_err();
    assert!(err.to_string().contains("outside a corio runtime"), "{err}");
}

#[test]
fn try_wait_before_and_after_exit() {
    run(async {
        let mut child = Command::new("sh")
            .args(["-c", "read line; exit 5"])
            .stdin(Stdio::piped())
            .spawn()?;
        assert_eq!(child.try_wait()?, None);
        assert!(child.id().is_some());
        drop(child.stdin.take()); // end of input: the child exits
        let status = child.wait().await?;
        assert_eq!(status.code(), Some(5));
        assert_eq!(child.try_wait()?, Some(status));
        assert_eq!(child.id(), None);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn wait_is_cancel_safe() {
    run(async {
        let mut child = Command::new("sh")
            .args(["-c", "read line; exit 4"])
            .stdin(Stdio::piped())
            .spawn()?;
        // A cancelled wait (the child cannot exit yet) leaves the child waitable.
        let cancelled = timeout(std::time::Duration::from_millis(20), child.wait()).await;
        assert!(cancelled.is_err());
        drop(child.stdin.take());
        assert_eq!(child.wait().await?.code(), Some(4));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn piped_streams_by_hand() {
    let (out, err) = run(async {
        let mut child = Command::shell("cat; echo done >&2")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        stdin.write_all(b"line one\n").await?;
        let mut buf = [0; 9];
        stdout.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"line one\n");
        drop(stdin);
        let mut rest = Vec::new();
        stdout.read_to_end(&mut rest).await?;
        let mut err = String::new();
        stderr.read_to_string(&mut err).await?;
        assert!(child.wait().await?.success());
        io::Result::Ok((rest, err))
    })
    .unwrap();
    assert!(out.is_empty());
    assert_eq!(err, "done\n");
}

#[test]
fn communicate_input_without_piped_stdin_is_invalid_input() {
    let err = run(async {
        let mut child = Command::new("true").spawn()?;
        let result = child.communicate(Some(b"x".to_vec())).await;
        child.wait().await?;
        result
    })
    .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn env_and_current_dir() {
    let out = run(async {
        Command::shell("echo $FOO; pwd")
            .env_clear()
            .env("FOO", "bar")
            .current_dir("/")
            .output()
            .await
    })
    .unwrap();
    assert_eq!(out.stdout, b"bar\n/\n");
}

#[test]
fn child_is_debug() {
    run(async {
        let mut child = Command::new("true").spawn()?;
        let debug = format!("{child:?}");
        assert!(debug.starts_with("Child"), "{debug}");
        child.wait().await?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn child_and_pipes_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<corio::process::Child>();
    assert_send_sync::<corio::process::ChildStdin>();
    assert_send_sync::<corio::process::ChildStdout>();
    assert_send_sync::<corio::process::ChildStderr>();
    assert_send_sync::<Command>();
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Some(stat.rsplit_once(')')?.1.split_whitespace().next()? == "Z"))
        .unwrap_or(false)
}

#[test]
fn child_dropped_outside_a_runtime_is_reaped_at_the_next_spawn() {
    let _serial = serial();
    let rt = support::runtime(2);
    let mut child = support::within(HANG_GUARD, move || {
        rt.block_on(async { Command::shell("read line").stdin(Stdio::piped()).spawn() })
    })
    .unwrap();
    let pid = child.id().unwrap();
    let stdin = child.stdin.take();
    drop(child); // running, no runtime: its pid joins the orphan list
    drop(stdin); // it exits, and stays a zombie until someone reaps it
    support::eventually("the orphan to exit", || is_zombie(pid));
    // The next spawn reaps the orphans first.
    let rt = support::runtime(2);
    support::within(HANG_GUARD, move || {
        rt.block_on(async { Command::new("true").status().await })
    })
    .unwrap();
    assert!(!process_exists(pid), "the orphan {pid} was not reaped");
}

#[test]
fn sigchld_fallback_passes_the_reaping_tests() {
    if std::env::var_os("CORIO_PROCESS_FORCE_SIGCHLD").is_some() {
        return; // already the fallback run: do not recurse
    }
    let exe = std::env::current_exe().unwrap();
    let out = run(async move {
        Command::new(exe)
            .env("CORIO_PROCESS_FORCE_SIGCHLD", "1")
            .args([
                "--exact",
                "--test-threads=1",
                "two_hundred_concurrent_children_all_reaped",
                "kill_on_drop_kills_and_reaps",
                "dropped_running_child_is_reaped_in_the_background",
                "communicate_ten_mib_through_cat",
                "try_wait_before_and_after_exit",
            ])
            .output()
            .await
    })
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("5 passed"), "{report}");
}
