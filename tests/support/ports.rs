//! Loopback ports for the apps the tests start.

use std::net::TcpListener;

/// A port free on 127.0.0.1 right now (the app binds it a moment later).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
