//! A listener on 127.0.0.1 with its own temp data dir, and a small blocking HTTP client.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use klingel_core::http::{self, HttpState, ListenerSettings};
use klingel_core::sipgate::TestSigner;
use klingel_core::{Monitor, Settings, Store};
use tokio::sync::watch;

/// A fixture body, read at compile time.
pub fn fixture(name: &str) -> &'static str {
    match name {
        "signed-newcall-2021.form" => include_str!("../fixtures/sipgate/signed-newcall-2021.form"),
        "signed-newcall-2021.sig" => include_str!("../fixtures/sipgate/signed-newcall-2021.sig"),
        "newcall-group.form" => include_str!("../fixtures/sipgate/newcall-group.form"),
        "docs-answer.form" => include_str!("../fixtures/sipgate/docs-answer.form"),
        "docs-hangup.form" => include_str!("../fixtures/sipgate/docs-hangup.form"),
        "docs-newcall-unencoded-brackets.form" => {
            include_str!("../fixtures/sipgate/docs-newcall-unencoded-brackets.form")
        }
        other => panic!("unknown fixture {other}"),
    }
}

/// A running listener over a store in a temp dir.
pub struct TestServer {
    pub url: String,
    pub addr: SocketAddr,
    pub monitor: Monitor,
    pub settings: Settings,
    /// Stands in for sipgate: its key is trusted for calls, as a configured `public_key` is.
    pub signer: TestSigner,
    /// Klingel's local test key: what it signs are test calls.
    pub test_signer: TestSigner,
    dir: tempfile::TempDir,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts with default settings changed by `configure`.
    pub fn start(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, configure)
    }

    /// Starts on an existing data dir (for restart tests).
    pub fn start_in(dir: tempfile::TempDir, configure: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings::default();
        configure(&mut settings);
        let store = Store::open(&dir.path().join("klingel.sqlite3")).expect("open store");
        let signer =
            TestSigner::load_or_create(&dir.path().join("sipgate-key.pem")).expect("sipgate key");
        let test_signer =
            TestSigner::load_or_create(&dir.path().join("test-key.pem")).expect("test key");
        let monitor = Monitor::new(store, &settings);
        let mut listener_settings =
            ListenerSettings::new(&settings.listener, Some(test_signer.public_key()))
                .expect("listener settings");
        listener_settings
            .verifier
            .add_key("sipgate stand-in", signer.public_key());
        let state = HttpState::new(monitor.clone(), listener_settings);
        let (stop, mut stopped) = watch::channel(false);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind loopback");
                addr_tx
                    .send(listener.local_addr().expect("local addr"))
                    .expect("report address");
                http::serve_with_timeout(
                    listener,
                    state,
                    async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    },
                    Duration::from_secs(1),
                )
                .await
                .expect("serve");
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("server started");
        Self {
            url: format!("http://{addr}"),
            addr,
            monitor,
            settings,
            signer,
            test_signer,
            dir,
            stop,
            thread: Some(thread),
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server and hands back its data dir.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.shutdown();
        let dir = tempfile::tempdir().expect("placeholder");
        std::mem::replace(&mut self.dir, dir)
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("server thread ended cleanly");
        }
    }

    /// Waits until `count` requests are on record: refused ones are written shortly after
    /// their answer, by the request log's writer.
    pub fn wait_for_requests(&self, count: i64) -> i64 {
        let store = self.monitor.store();
        for _ in 0..250 {
            let stored = store.request_count().expect("count");
            if stored >= count {
                return stored;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        store.request_count().expect("count")
    }

    /// POSTs a form body (unsigned) to `path`.
    pub fn post_form(&self, path: &str, body: &str) -> Reply {
        self.post(
            path,
            body,
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )],
        )
    }

    /// POSTs a form body signed as sipgate would (with the stand-in key trusted for calls).
    pub fn post_signed(&self, path: &str, body: &str) -> Reply {
        self.post_signed_by(&self.signer, path, body)
    }

    /// POSTs a form body signed with the local test key: a test call.
    pub fn post_test_signed(&self, path: &str, body: &str) -> Reply {
        self.post_signed_by(&self.test_signer, path, body)
    }

    fn post_signed_by(&self, signer: &TestSigner, path: &str, body: &str) -> Reply {
        let signature = signer.sign(body.as_bytes());
        self.post(
            path,
            body,
            &[
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=UTF-8",
                ),
                ("X-Sipgate-Signature", &signature),
            ],
        )
    }

    /// POSTs `body` with `headers`.
    pub fn post(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = agent().post(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::from(request.send(body).expect("request reaches the listener"))
    }

    /// GETs `path`.
    pub fn get(&self, path: &str) -> Reply {
        Reply::from(
            agent()
                .get(format!("{}{path}", self.url))
                .call()
                .expect("request reaches the listener"),
        )
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub www_authenticate: Option<String>,
    pub body: String,
}

impl From<ureq::http::Response<ureq::Body>> for Reply {
    fn from(mut response: ureq::http::Response<ureq::Body>) -> Self {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let www_authenticate = header("www-authenticate");
        Self {
            status: response.status().as_u16(),
            content_type,
            www_authenticate,
            body: response.body_mut().read_to_string().expect("body"),
        }
    }
}

/// A throwaway store in a temp dir.
pub fn temp_store() -> (tempfile::TempDir, Store, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("klingel.sqlite3");
    let store = Store::open(&path).expect("open store");
    (dir, store, path)
}
