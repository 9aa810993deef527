//! Random identifiers, from the operating system's generator.

use rsa::rand_core::{OsRng, RngCore};

/// `bytes` random bytes as lowercase hex, e.g. for a simulated `callId` or `xcid`.
pub fn hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
