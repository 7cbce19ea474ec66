//! Verification inside the workloads: a runtime that loses or duplicates work must not "win".
//!
//! Every workload counts what it did (tasks run, messages received, bytes echoed) and checks it
//! here. A mismatch stops the whole run with a message naming the runtime and the workload:
//! its timing would be meaningless.

use std::fmt::Debug;

/// Panics unless `got == expected`.
#[track_caller]
pub fn equal<T: PartialEq + Debug>(what: &str, got: T, expected: T) {
    if got != expected {
        panic!(
            "verification failed: {what}: got {got:?}, expected {expected:?}; the runtime lost or \
             duplicated work, so its time would mean nothing"
        );
    }
}

/// Panics unless `condition` holds.
#[track_caller]
pub fn that(what: &str, condition: bool) {
    if !condition {
        panic!("verification failed: {what}");
    }
}
