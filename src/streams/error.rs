//! The errors of `StreamReader`, named as asyncio names them.

use std::fmt;
use std::io;

/// `read_exact` or `read_until` reached end-of-stream first (asyncio's `IncompleteReadError`).
/// The bytes read so far are in `partial`; they have been consumed from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// The bytes that were read before end-of-stream.
    pub partial: Vec<u8>,
    /// How many bytes were expected (`None` when waiting for a separator).
    pub expected: Option<usize>,
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(expected) => write!(
                f,
                "{} bytes read on a total of {expected} expected bytes",
                self.partial.len()
            ),
            None => write!(
                f,
                "{} bytes read before end-of-stream, separator not found",
                self.partial.len()
            ),
        }
    }
}

impl std::error::Error for IncompleteReadError {}

/// The separator was not found within the reader's limit (asyncio's `LimitOverrunError`).
/// Nothing was consumed: the data stays in the reader's buffer and can still be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrunError {
    /// How many bytes were examined without finding the separator within the limit.
    pub consumed: usize,
    /// Whether the separator was found (beyond the limit) or not at all.
    pub separator_found: bool,
}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.separator_found {
            write!(
                f,
                "separator is found, but chunk is longer than limit ({} bytes)",
                self.consumed
            )
        } else {
            write!(
                f,
                "separator is not found, and chunk exceeds the limit ({} bytes)",
                self.consumed
            )
        }
    }
}

impl std::error::Error for LimitOverrunError {}

/// Why a `StreamReader` read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The connection failed.
    Io(io::Error),
    /// End-of-stream came before the requested data.
    IncompleteRead(IncompleteReadError),
    /// The separator was not found within the limit.
    LimitOverrun(LimitOverrunError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(error) => fmt::Display::fmt(error, f),
            ReadError::IncompleteRead(error) => fmt::Display::fmt(error, f),
            ReadError::LimitOverrun(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(error) => Some(error),
            ReadError::IncompleteRead(error) => Some(error),
            ReadError::LimitOverrun(error) => Some(error),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> ReadError {
        ReadError::Io(error)
    }
}

impl From<ReadError> for io::Error {
    fn from(error: ReadError) -> io::Error {
        match error {
            ReadError::Io(error) => error,
            ReadError::IncompleteRead(error) => io::Error::new(io::ErrorKind::UnexpectedEof, error),
            ReadError::LimitOverrun(error) => io::Error::new(io::ErrorKind::InvalidData, error),
        }
    }
}
