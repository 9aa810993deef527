//! Random identifiers and secrets, from the operating system's generator.

use rsa::rand_core::{OsRng, RngCore};

/// `N` random bytes, e.g. the secret part of a desk token.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    OsRng.fill_bytes(&mut buf);
    buf
}

/// `bytes` random bytes as lowercase hex, e.g. for a simulated `callId` or `xcid`.
pub fn hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
