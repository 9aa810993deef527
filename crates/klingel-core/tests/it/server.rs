//! The listener's lifecycle: bind, report a failure, rebind on a new address.

use std::net::{SocketAddr, TcpListener};

use klingel_core::config::ListenerConfig;
use klingel_core::server::{ListenerState, Server};
use klingel_core::{Monitor, Settings};

use crate::support::temp_store;

fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
}

async fn healthy(address: SocketAddr) -> bool {
    tokio::task::spawn_blocking(move || {
        ureq::get(&format!("http://{address}/healthz"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    })
    .await
    .expect("probe")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_reported_and_a_new_address_rebinds_without_restart() {
    let (_dir, store, _) = temp_store();
    let monitor = Monitor::new(store, &Settings::default());
    let first = free_address();
    let mut config = ListenerConfig {
        address: first,
        public_url: Some("https://tunnel.example/hook".into()),
        ..ListenerConfig::default()
    };
    let (server, status) = Server::start(monitor, &config, None).await.expect("start");
    assert_eq!(status.state, ListenerState::Listening);
    assert_eq!(
        status.sipgate_url.as_deref(),
        Some("https://tunnel.example/hook"),
        "the URL to paste"
    );
    assert!(healthy(first).await, "listening on the configured address");

    let taken = TcpListener::bind("127.0.0.1:0").expect("another program's port");
    config.address = taken.local_addr().expect("addr");
    let status = server.apply(&config, None).await.expect("apply");
    assert_eq!(
        status.state,
        ListenerState::Failed,
        "a taken port is a status, not a crash"
    );
    assert!(
        status
            .error
            .as_deref()
            .is_some_and(|e| e.contains("in use")),
        "{status:?}"
    );
    assert_eq!(
        status.address,
        config.address.to_string(),
        "the status names the address"
    );
    assert!(
        !healthy(first).await,
        "the old address was given up for the new one"
    );

    let second = free_address();
    config.address = second;
    let status = server.apply(&config, None).await.expect("apply");
    assert_eq!(status.state, ListenerState::Listening, "{status:?}");
    assert!(
        healthy(second).await,
        "listening on the new address, same process"
    );
    assert_eq!(server.status(), status, "the status is kept for the window");
    server.shutdown().await;
    assert!(!healthy(second).await, "shut down on quit");
}
