//! `#[corio::test]` and `#[corio::main]` as a user writes them.

use std::time::Duration;

#[corio::test]
async fn a_test_body_runs_inside_a_runtime() {
    let handle = corio::Handle::current();
    assert!(corio::spawn(async { 1 }).await.is_ok());
    corio::time::sleep(Duration::from_millis(1)).await;
    drop(handle);
}

#[corio::test(worker_threads = 3)]
async fn worker_threads_sets_the_worker_count() {
    assert_eq!(corio::Handle::current().metrics().workers.len(), 3);
}

#[corio::test(worker_threads = 1)]
async fn tests_may_return_results() -> Result<(), std::io::Error> {
    let value: Result<u32, std::io::Error> = Ok(5);
    assert_eq!(value?, 5);
    Ok(())
}

#[corio::test]
#[should_panic(expected = "inside the runtime")]
async fn should_panic_is_kept() {
    panic!("inside the runtime");
}

mod main_fn {
    #[corio::main(worker_threads = 2)]
    pub async fn main() -> u32 {
        corio::spawn(async { 21 * 2 }).await.unwrap()
    }
}

#[test]
fn main_builds_a_runtime_and_returns_the_body_output() {
    assert_eq!(main_fn::main(), 42);
}
