//! Async I/O traits, helpers, and [`Async`]: readiness for any file descriptor.
//!
//! The traits are those of `futures-io`, the extension traits and helpers those of
//! `futures-util`, re-exported so that `use corio::io::*` is all an application needs.

pub use crate::reactor::async_io::Async;
pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_util::io::{
    copy, copy_buf, empty, repeat, sink, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt,
    BufReader, BufWriter, Cursor,
};
