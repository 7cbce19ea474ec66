//! Loom models of corio's concurrency protocols.
//!
//! The models live in `tests/`, one file per area, and check corio's real code: the crate is
//! built with `RUSTFLAGS="--cfg loom"`, which switches its atomics and locks (the `src/loom.rs`
//! facade) to loom's and exposes the protocol types through `corio::__loom`.
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p corio-loom-tests --target-dir target/loom
//! ```
//!
//! Without `--cfg loom` the test files compile to nothing.
