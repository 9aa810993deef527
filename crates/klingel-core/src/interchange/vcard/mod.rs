//! vCard in and out.

mod read;

pub use read::*;
