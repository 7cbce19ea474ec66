//! Procedural macros for the [`corio`] runtime: `#[corio::main]` and
//! `#[corio::test]`.
//!
//! Do not depend on this crate directly. It is re-exported by `corio` (behind
//! its default `macros` feature) as [`corio::main`] and [`corio::test`], and the
//! code it generates refers to `::corio::runtime::Builder`, so `corio` must be
//! a dependency of the crate using the attributes.
//!
//! Both attributes turn an `async fn` into a synchronous function that builds
//! a [`corio::Runtime`] and drives the function body to completion on it with
//! `Runtime::block_on`:
//!
//! ```ignore
//! #[corio::main]
//! async fn main() {
//!     println!("hello from a corio worker");
//! }
//! ```
//!
//! expands to (roughly)
//!
//! ```ignore
//! fn main() {
//!     let body = async move {
//!         println!("hello from a corio worker");
//!     };
//!     return ::corio::runtime::Builder::new()
//!         .build()
//!         .expect("corio::main: failed to build the runtime")
//!         .block_on(body);
//! }
//! ```
//!
//! # Arguments
//!
//! Both attributes accept one optional argument:
//!
//! - `worker_threads = N` — a positive integer literal; the runtime is built
//!   with `.worker_threads(N)`. Without it, the builder's default applies: the
//!   `CORIO_WORKER_THREADS` environment variable if set, otherwise the number
//!   of CPUs.
//!
//! # Errors
//!
//! Misuse is reported as a compile error pointing at the offending tokens,
//! never as a panic inside the macro: a missing `async`, parameters on the
//! function, an unknown or repeated argument, or a `worker_threads` value that
//! is not a positive integer literal.
//!
//! The examples here are marked `ignore` because this crate cannot depend on
//! `corio`; the runnable versions live in the documentation of the `corio`
//! re-exports.
//!
//! [`corio`]: https://docs.rs/corio
//! [`corio::main`]: https://docs.rs/corio/latest/corio/attr.main.html
//! [`corio::test`]: https://docs.rs/corio/latest/corio/attr.test.html
//! [`corio::Runtime`]: https://docs.rs/corio/latest/corio/struct.Runtime.html

#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate proc_macro;

mod entry;

use proc_macro::TokenStream;

/// Marks the `async fn main` of a program to run on a corio runtime.
///
/// The function is rewritten into a synchronous `fn` with the same name,
/// attributes, visibility and return type. Its body builds a runtime with
/// `corio::runtime::Builder` and runs the original body, wrapped in an
/// `async move` block, with `Runtime::block_on`. Because the body stays an
/// `async` block, `?` and `return` behave as they do in the `async fn`.
///
/// If the runtime cannot be built the program panics with
/// `corio::main: failed to build the runtime`.
///
/// # Arguments
///
/// - `worker_threads = N` (optional): number of worker threads, a positive
///   integer literal. When omitted the builder's default is used:
///   `CORIO_WORKER_THREADS` if set, otherwise the number of CPUs.
///
/// # Examples
///
/// ```ignore
/// #[corio::main]
/// async fn main() {
///     println!("Hello, world!");
/// }
/// ```
///
/// With a fixed number of worker threads:
///
/// ```ignore
/// #[corio::main(worker_threads = 4)]
/// async fn main() {
///     // runs on a runtime with exactly four workers
/// }
/// ```
///
/// Returning a `Result`, so `?` can be used in the body:
///
/// ```ignore
/// use std::error::Error;
///
/// #[corio::main]
/// async fn main() -> Result<(), Box<dyn Error>> {
///     let port: u16 = "8080".parse()?;
///     println!("listening on {port}");
///     Ok(())
/// }
/// ```
///
/// # Compile errors
///
/// - the function is not `async`
///   ("the `async` keyword is missing from the function declaration");
/// - the function takes parameters (read command-line arguments with
///   `std::env::args()` instead);
/// - an argument other than `worker_threads`, a repeated argument, or a
///   `worker_threads` value that is not a positive integer literal.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand_main(args.into(), item.into()).into()
}

/// Marks an `async fn` as a test that runs on its own corio runtime.
///
/// Emits `#[::core::prelude::v1::test]` on a synchronous function with the
/// same name, attributes and return type; do not add `#[test]` yourself. Other
/// attributes such as `#[should_panic]` or `#[ignore]` are kept. Each test
/// builds a fresh runtime and runs the body, wrapped in an `async move` block,
/// with `Runtime::block_on`. Tests may return a `Result`, as ordinary tests
/// can.
///
/// If the runtime cannot be built the test panics with
/// `corio::test: failed to build the runtime`.
///
/// # Arguments
///
/// - `worker_threads = N` (optional): number of worker threads, a positive
///   integer literal. When omitted the builder's default is used:
///   `CORIO_WORKER_THREADS` if set, otherwise the number of CPUs.
///
/// # Examples
///
/// ```ignore
/// #[corio::test]
/// async fn adds() {
///     assert_eq!(1 + 1, 2);
/// }
/// ```
///
/// With a fixed number of worker threads, and other test attributes:
///
/// ```ignore
/// #[corio::test(worker_threads = 2)]
/// #[should_panic(expected = "boom")]
/// async fn panics() {
///     panic!("boom");
/// }
/// ```
///
/// Returning a `Result`:
///
/// ```ignore
/// #[corio::test]
/// async fn parses() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "42".parse()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
///
/// # Compile errors
///
/// - the function is not `async`
///   ("the `async` keyword is missing from the function declaration");
/// - the function takes parameters, or already carries `#[test]`;
/// - an argument other than `worker_threads`, a repeated argument, or a
///   `worker_threads` value that is not a positive integer literal.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand_test(args.into(), item.into()).into()
}

#[cfg(test)]
mod tests;
