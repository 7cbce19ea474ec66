//! Adapters that let other ecosystems' libraries run on corio.
//!
//! Each adapter lives behind the cargo feature named after the library it serves, so that corio
//! itself never depends on them:
//!
//! | feature | module | what it adapts |
//! |---|---|---|
//! | `hyper` | [`hyper`] | hyper 1.x's runtime traits (`hyper::rt::{Executor, Timer, Read, Write}`) |

pub mod hyper;
