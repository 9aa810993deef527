//! End to end: the real app in a real webview (WebKitWebDriver through tauri-driver, under
//! Xvfb), on a temp data dir and a free port. Run through `make test`, which provides the
//! display, a D-Bus session and the drivers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// The e2e test reads only what a popup says; the popup test reads the rest.
#[allow(dead_code)]
#[path = "support/recorder.rs"]
mod recorder;

#[path = "support/ports.rs"]
mod ports;
use ports::free_port;

// The e2e test uses the fake's accounts and journal, not every switch it has.
#[allow(dead_code)]
#[path = "../crates/klingel-core/tests/it/fake_sipgate.rs"]
mod fake_sipgate;

use fantoccini::{Client, ClientBuilder, Locator};
use klingel_core::domain::{ContactInput, NumberInput};
use klingel_core::sipgate::TestSigner;
use klingel_core::{Paths, Session};
use serde_json::{json, Value};

/// How long any single thing in the window may take to appear.
const PATIENCE: Duration = Duration::from_secs(20);

/// tauri-driver, stopped with SIGTERM so it takes WebKitWebDriver down with it.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(env: &[(&str, PathBuf)]) -> Self {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let program = std::env::var_os("TAURI_DRIVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join(".tools/bin/tauri-driver"));
        let (port, native) = (free_port(), free_port());
        let mut command = Command::new(&program);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}); `make test` installs it",
                program.display()
            )
        });
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

async fn connect(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({ "application": env!("CARGO_BIN_EXE_klingel") }),
    );
    let started = Instant::now();
    loop {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
        {
            Ok(client) => return client,
            Err(e) if started.elapsed() < PATIENCE => {
                tracing_free_log(&format!("waiting for tauri-driver: {e}"));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    }
}

fn tracing_free_log(message: &str) {
    if std::env::var_os("E2E_VERBOSE").is_some() {
        eprintln!("{message}");
    }
}

/// Evaluates `script` (which returns a value) until `done` accepts it.
async fn wait_js(
    client: &Client,
    what: &str,
    script: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let value = client.execute(script, vec![]).await.unwrap_or(Value::Null);
        if done(&value) {
            return value;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "timed out waiting for {what}; last value {value}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the first element matching `css`, once it contains `needle`.
async fn wait_text(client: &Client, css: &str, needle: &str) -> String {
    let script = format!(
        "return Array.from(document.querySelectorAll({css:?})).map(e => e.textContent).join('\\n');"
    );
    let value = wait_js(
        client,
        &format!("{css} to contain {needle:?}"),
        &script,
        |v| v.as_str().is_some_and(|t| t.contains(needle)),
    )
    .await;
    value.as_str().unwrap_or_default().to_string()
}

async fn click(client: &Client, css: &str) {
    // A list that redraws (the windowed contact list after a resize) may replace the element
    // between finding and clicking it: find it again.
    let started = Instant::now();
    loop {
        let element = client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        match element.click().await {
            Ok(_) => return,
            Err(e) if started.elapsed() < PATIENCE && e.to_string().contains("not found") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Partly under a sticky bar (the Save bar of Settings): a person would scroll it
            // up first; so does the test.
            Err(e)
                if started.elapsed() < PATIENCE
                    && format!("{e:?}").contains("ElementClickIntercepted") =>
            {
                let _ = client
                    .execute(
                        "document.querySelector(arguments[0])?.scrollIntoView({ block: 'center' });",
                        vec![json!(css)],
                    )
                    .await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => {
                // What the window looked like is the best clue to why a click failed.
                screenshot(client, "click-failed.png").await;
                panic!("click {css}: {e:?}")
            }
        }
    }
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let element = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    element
        .clear()
        .await
        .unwrap_or_else(|e| panic!("clear {css}: {e}"));
    element
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

async fn screenshot(client: &Client, name: &str) {
    // WebKit captures the last painted frame: let two frames render after the DOM settled.
    let _ = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let dir = std::env::var_os("KLINGEL_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(name), png).expect("write screenshot");
}

/// Posts a signed push, as sipgate would post it.
async fn push(port: u16, signer: &TestSigner, body: &str) -> String {
    let signature = signer.sign(body.as_bytes());
    let body = body.to_string();
    tokio::task::spawn_blocking(move || {
        let mut response = ureq::post(&format!("http://127.0.0.1:{port}/sipgate"))
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .header("X-Sipgate-Signature", &signature)
            .send(&body)
            .expect("the app's listener answers");
        assert_eq!(response.status(), 200);
        response.body_mut().read_to_string().expect("reply")
    })
    .await
    .expect("push task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver: run through `make test`"]
async fn the_window_shows_calls_live_and_manages_contacts() {
    let app = AppData::prepare(
        "en",
        &[
            ("Alice Example", "ACME GmbH", "", "030 12345678"),
            (
                "Alicia Maria Schwarzer-Westerhagen",
                "Stadtwerke Düsseldorf Netzgesellschaft mbH",
                "",
                "0211 7654321",
            ),
            ("Bernd Ölmüller", "ACME GmbH", "", "0171 9876543"),
        ],
    );
    // The app's own local test key signs the test call.
    let local =
        TestSigner::load_or_create(&app.data.join("test-signing-key.pem")).expect("test key");
    let env = app.env();
    let home = app.home();
    // The dir lives until the app is done; the stand-in key goes to the scenario.
    let AppData {
        dir: _dir,
        port,
        sipgate,
        ..
    } = app;
    with_app(&env, move |client| {
        scenario(client, port, sipgate, local, home)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver: run through `make test`"]
async fn the_window_as_a_desk_of_an_office_hub_pops_up_only_what_rings_here() {
    // Popups go to a recording notification server on the session bus the app uses.
    let recorder = recorder::Recorder::default();
    let _server = zbus::connection::Builder::session()
        .name("org.freedesktop.Notifications")
        .serve_at("/org/freedesktop/Notifications", recorder.clone())
        .build()
        .await
        .expect("a notification server on the session bus (make e2e runs dbus-run-session)");

    // The hub: this test process, the app being the desk of "Anna" (sipgate user w0).
    let hub_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = klingel_core::Settings::default();
    settings.listener.address = "127.0.0.1:0".parse().expect("loopback");
    settings.listener.verify_signature = false;
    settings.hub.enabled = true;
    settings.hub.behind_proxy = true;
    let hub_paths = Paths {
        config_file: hub_dir.path().join("klingel.toml"),
        data_dir: hub_dir.path().join("data"),
    };
    let hub = tokio::task::block_in_place(|| Session::open(hub_paths, settings)).expect("hub");
    let token = tokio::task::block_in_place(|| {
        hub.add_contact(&ContactInput {
            name: "Erika Mustermann".into(),
            company: "Muster GmbH".into(),
            numbers: vec![NumberInput {
                number: "+49 211 1234567".into(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .expect("contact");
        hub.add_desk("Anna", &["w0".to_string()], false)
            .expect("desk")
            .1
    });
    let status = hub.start().await.expect("hub listens");
    let hub_url = format!("http://{}", status.address);

    // The app starts on its own, listening itself; the scenario connects it to the hub.
    let app_dir = tempfile::tempdir().expect("temp dir");
    let config = app_dir.path().join("klingel.toml");
    std::fs::write(
        &config,
        format!(
            "[listener]\naddress = \"127.0.0.1:{}\"\n[ui]\nlanguage = \"de\"\n",
            free_port()
        ),
    )
    .expect("config");
    let home = app_dir.path().join("home");
    let env = vec![
        ("HOME", home.clone()),
        ("KLINGEL_CONFIG", config),
        ("KLINGEL_DATA_DIR", app_dir.path().join("data")),
        ("XDG_DATA_HOME", app_dir.path().join("xdg-data")),
        ("XDG_CACHE_HOME", app_dir.path().join("xdg-cache")),
        ("XDG_CONFIG_HOME", app_dir.path().join("xdg-config")),
    ];
    let seen = recorder.notified.clone();
    with_app(&env, move |client| {
        desk_scenario(client, hub_url, token, seen, home)
    })
    .await;
    let kept = std::fs::read_to_string(app_dir.path().join("desk-token")).expect("token kept");
    assert!(!kept.is_empty(), "the token is kept beside the settings");
    hub.shutdown().await;
}

/// Posts a push to the hub (its signature check is off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver: run through `make test`"]
async fn the_window_connects_the_sipgate_account_and_rejects_a_ringing_call() {
    let fake = fake_sipgate::FakeSipgate::start();
    let app = AppData::prepare(
        "de",
        &[("Erika Mustermann", "Muster AG", "", "030 12345678")],
    );
    // A public URL to give sipgate, and the fake as sipgate's API.
    let config = std::fs::read_to_string(&app.config).expect("config");
    let config = config.replacen(
        "[listener]\n",
        "[listener]\npublic_url = \"https://klingel.example/\"\n",
        1,
    );
    std::fs::write(
        &app.config,
        format!("{config}[sipgate]\napi_url = \"{}\"\n", fake.api_url),
    )
    .expect("config");
    let env = app.env();
    let AppData {
        dir: _dir,
        port,
        sipgate,
        ..
    } = app;
    let fake = std::sync::Arc::new(fake);
    let journal = fake.clone();
    with_app(&env, move |client| {
        account_scenario(client, port, sipgate, journal)
    })
    .await;
}

async fn account_scenario(
    client: Client,
    port: u16,
    signer: TestSigner,
    fake: std::sync::Arc<fake_sipgate::FakeSipgate>,
) {
    wait_text(&client, "#listener-status", "bereit").await;
    click(&client, "#nav-setup").await;
    // A wrong token changes nothing and says why.
    type_into(&client, "#account-token-id", fake_sipgate::TOKEN_ID).await;
    type_into(
        &client,
        "#account-token",
        "00000000-0000-4000-8000-000000000000",
    )
    .await;
    click(&client, "#account-connect-btn").await;
    wait_text(&client, "#toast", "nimmt dieses Token nicht an").await;
    type_into(&client, "#account-token", fake_sipgate::TOKEN).await;
    click(&client, "#account-connect-btn").await;
    wait_text(
        &client,
        "#account-state",
        "Verbunden als Max Muster, Test GmbH",
    )
    .await;
    wait_text(&client, "#account-capabilities", "Anrufe abweisen").await;
    click(&client, "#account-set-webhooks").await;
    wait_text(&client, "#account-webhooks", "zeigt auf dieses Klingel").await;
    assert_eq!(
        fake.state().settings["incomingUrl"],
        "https://klingel.example/",
        "sipgate was given the public URL"
    );
    screenshot(&client, "de-setup-account.png").await;

    // Settings offer the account's people for popups and its phones for calling out.
    click(&client, "#nav-settings").await;
    wait_text(&client, "#set-dial-device", "Desk phone (e1)").await;
    wait_text(&client, "#popup-user-picks", "Max Muster").await;
    client
        .execute(
            "document.querySelector('#popup-user-picks').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("scroll");
    screenshot(&client, "de-settings-account.png").await;
    click(&client, "#popup-user-picks .user-pick:last-child").await;
    wait_js(
        &client,
        "Max in the popup filter",
        "return document.querySelector('#set-popup-users').value;",
        |v| v.as_str() == Some("Max Muster"),
    )
    .await;
    click(&client, "#settings-discard").await;

    // A ringing call can be rejected from the window; sipgate is asked to end it.
    click(&client, "#nav-calls").await;
    fake.state().live_calls.insert("E2EREJECT".into());
    push(
        port,
        &signer,
        "event=newCall&direction=in&from=493012345678&to=49211123456&callId=E2EREJECT&user%5B%5D=Max&userId%5B%5D=w1",
    )
    .await;
    wait_text(&client, ".ringing-call", "Erika Mustermann").await;
    wait_text(&client, ".ringing-call .ring-route", "Support").await;
    wait_text(&client, ".ringing-call .ring-route", "Max Muster").await;
    screenshot(&client, "de-ringing-reject.png").await;
    click(&client, ".ring-reject").await;
    wait_text(&client, "#toast", "Anruf abgewiesen").await;
    assert!(
        fake.requests()
            .contains(&"DELETE /calls/E2EREJECT".to_string()),
        "{:?}",
        fake.requests()
    );
}

async fn push_to_hub(hub_url: &str, body: &str) {
    let (url, body) = (format!("{hub_url}/"), body.to_string());
    tokio::task::spawn_blocking(move || {
        let status = ureq::post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(&body)
            .expect("the hub answers")
            .status();
        assert_eq!(status, 200);
    })
    .await
    .expect("push task");
}

async fn desk_scenario(
    client: Client,
    hub_url: String,
    token: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<recorder::Seen>>>,
    home: PathBuf,
) {
    wait_text(&client, "#listener-status", "bereit").await;
    // A new user is greeted, with starting at login already on (the first start turned it
    // on), and led to the office hub from there.
    wait_js(
        &client,
        "the welcome",
        "return document.querySelector('#welcome-dialog')?.open ?? false;",
        |v| v == &json!(true),
    )
    .await;
    wait_js(
        &client,
        "start at login shown as on",
        "return document.querySelector('#welcome-start-at-login').checked;",
        |v| v == &json!(true),
    )
    .await;
    assert!(
        autostart_entry(&home).is_some_and(|e| e.contains("--minimized")),
        "the first start turned on starting at login"
    );
    screenshot(&client, "de-welcome.png").await;
    click(&client, "#welcome-office").await;
    wait_js(
        &client,
        "the hub's URL field, focused",
        "return document.activeElement?.id ?? '';",
        |v| v == "hub-url",
    )
    .await;
    type_into(&client, "#hub-url", &hub_url).await;
    type_into(&client, "#hub-token", "kl1_1_not-the-token").await;
    click(&client, "#hub-connect").await;
    // A wrong token changes nothing and says why.
    wait_text(&client, "#toast", "Büro-Hub").await;
    type_into(&client, "#hub-token", &token).await;
    click(&client, "#hub-connect").await;
    wait_text(&client, "#listener-status", "verbunden als Anna").await;
    click(&client, "#nav-setup").await;
    wait_text(&client, "#setup-desk-note", "Platz am Büro-Hub").await;
    click(&client, "#nav-calls").await;
    // A call for Bob (w1) shows in the shared log but pops up nowhere here.
    push_to_hub(
        &hub_url,
        "event=newCall&direction=in&from=49309876543&to=4921155580&callId=bob1\
         &user%5B%5D=Bob&userId%5B%5D=w1",
    )
    .await;
    wait_text(&client, "#call-list", "030 9876543").await;
    // Erika rings Anna: the popup carries her name.
    push_to_hub(
        &hub_url,
        "event=newCall&direction=in&from=492111234567&to=4921155580&callId=anna1\
         &user%5B%5D=Anna&userId%5B%5D=w0",
    )
    .await;
    let started = Instant::now();
    loop {
        let popups = seen.lock().expect("lock").clone();
        if popups
            .iter()
            .any(|p| p.summary.contains("Erika Mustermann"))
        {
            assert!(
                popups
                    .iter()
                    .all(|p| !format!("{} {}", p.summary, p.body).contains("9876543")),
                "Bob's call must not pop up at Anna's desk: {popups:?}"
            );
            break;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "no popup with the contact's name: {popups:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Erika gives up: a missed call, the office's to-do; Anna marks it done for everyone.
    push_to_hub(&hub_url, "event=hangup&cause=cancel&callId=anna1").await;
    wait_text(&client, "#call-list", "verpasst").await;
    wait_js(
        &client,
        "the done button on the missed call",
        "return document.querySelectorAll('#call-list .action-handled').length;",
        |v| v.as_i64() == Some(1),
    )
    .await;
    client
        .execute(
            "document.querySelector('#call-list .action-handled').click(); return true;",
            vec![],
        )
        .await
        .expect("click done");
    wait_text(&client, "#call-list", "erledigt: Anna").await;
    screenshot(&client, "desk-calls.png").await;
    click(&client, "#nav-settings").await;
    wait_text(&client, "#hub-state", "Verbunden als Platz „Anna“").await;
    screenshot(&client, "desk-settings.png").await;
}

/// A data dir and settings file for the app: a free loopback port, a key standing in for
/// sipgate's as the configured public key, the window's language, and contacts in the book.
struct AppData {
    dir: tempfile::TempDir,
    data: PathBuf,
    config: PathBuf,
    port: u16,
    sipgate: TestSigner,
}

impl AppData {
    /// Writes the settings and fills the book with `(name, company, notes, number)` through the
    /// same session the app will open (and drops it before the app starts).
    fn prepare(language: &str, contacts: &[(&str, &str, &str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let config = dir.path().join("klingel.toml");
        let port = free_port();
        let sipgate = TestSigner::load_or_create(&dir.path().join("sipgate-stand-in.pem"))
            .expect("stand-in key");
        std::fs::write(
            &config,
            format!(
                "[listener]\naddress = \"127.0.0.1:{port}\"\npublic_key = \"\"\"\n{}\"\"\"\n[ui]\nlanguage = \"{language}\"\n",
                sipgate.public_pem()
            ),
        )
        .expect("config");
        let paths = Paths {
            config_file: config.clone(),
            data_dir: data.clone(),
        };
        tokio::task::block_in_place(|| {
            let session = Session::open_lenient(paths).expect("session on the test's data");
            // The scenarios start where a returning user does; the welcome has its own.
            session.close_welcome().expect("welcome closed");
            for (name, company, notes, number) in contacts {
                session
                    .add_contact(&ContactInput {
                        name: (*name).into(),
                        company: (*company).into(),
                        notes: (*notes).into(),
                        numbers: vec![NumberInput {
                            number: (*number).into(),
                            ..Default::default()
                        }],
                        ..Default::default()
                    })
                    .expect("contact");
            }
        });
        Self {
            dir,
            data,
            config,
            port,
            sipgate,
        }
    }

    /// The app's home directory: where its autostart entry goes.
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The environment the app runs in: these files, and a home and XDG dirs of its own.
    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", self.home()),
            ("KLINGEL_CONFIG", self.config.clone()),
            ("KLINGEL_DATA_DIR", self.data.clone()),
            ("XDG_DATA_HOME", self.dir.path().join("xdg-data")),
            ("XDG_CACHE_HOME", self.dir.path().join("xdg-cache")),
            ("XDG_CONFIG_HOME", self.dir.path().join("xdg-config")),
        ]
    }
}

/// Waits until no process runs the app's binary. The app is one instance per desktop session:
/// the next one may only start once this one is gone, or it would hand over to it and quit. (A
/// desk has no listener whose port could tell.)
///
/// WebKitWebDriver ends the app when its session closes, but the app turns a closed window
/// into a hidden one (it lives on in the tray), and on a loaded machine the driver's own wait
/// for it can outlast ours. What a user's logout does then, the test does too: SIGTERM, after
/// which the app must be gone.
async fn wait_until_the_app_quit() {
    let app = std::fs::canonicalize(env!("CARGO_BIN_EXE_klingel")).expect("the app's binary");
    let running = || -> Vec<String> {
        std::fs::read_dir("/proc")
            .map(|procs| {
                procs
                    .flatten()
                    .filter(|p| std::fs::read_link(p.path().join("exe")).is_ok_and(|e| e == app))
                    .map(|p| p.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let started = Instant::now();
    let mut terminated = false;
    loop {
        let pids = running();
        if pids.is_empty() {
            return;
        }
        if !terminated && started.elapsed() > Duration::from_secs(5) {
            eprintln!("the app outlived its driver session; ending it with SIGTERM");
            let _ = Command::new("kill").arg("-TERM").args(&pids).status();
            terminated = true;
        }
        assert!(started.elapsed() < PATIENCE, "the app did not quit");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Starts the app with `env` under tauri-driver, runs `scenario` against its window, closes
/// both, and passes on the scenario's panic.
async fn with_app<F, Fut>(env: &[(&str, PathBuf)], scenario: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let driver = Driver::start(env);
    let client = connect(&driver).await;
    let result = tokio::spawn(scenario(client.clone())).await;
    let _ = client.close().await;
    drop(driver);
    wait_until_the_app_quit().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn scenario(client: Client, port: u16, signer: TestSigner, local: TestSigner, home: PathBuf) {
    wait_js(
        &client,
        "the listener to be ready",
        "return document.querySelector('#listener-status')?.dataset.state ?? null;",
        |v| v == "listening",
    )
    .await;
    wait_text(&client, "#calls-empty", "No calls yet").await;

    let call = "direction=in&from=493012345678&to=4921155580000&callId=E2E1&origCallId=E2E1&xcid=0123456789abcdef";
    let reply = push(
        port,
        &signer,
        &format!(
            "event=newCall&{call}&user%5B%5D=Bob&user%5B%5D=Carol&userId%5B%5D=w1&userId%5B%5D=w2"
        ),
    )
    .await;
    assert!(
        reply.contains("onAnswer="),
        "the app asks for follow-ups: {reply}"
    );
    wait_text(&client, ".ringing-call", "Alice Example").await;
    wait_text(
        &client,
        ".call-row[data-call-id] .call-party",
        "Alice Example",
    )
    .await;
    screenshot(&client, "calls-ringing.png").await;

    push(
        port,
        &signer,
        &format!("event=answer&{call}&user=Bob&userId=w1&answeringNumber=4921155580000"),
    )
    .await;
    wait_text(&client, ".call-row .call-outcome", "Bob").await;
    push(
        port,
        &signer,
        &format!("event=hangup&{call}&cause=normalClearing"),
    )
    .await;
    wait_js(
        &client,
        "the ringing area to empty",
        "return document.querySelectorAll('.ringing-call').length;",
        |v| v == 0,
    )
    .await;
    let outcome = wait_text(
        &client,
        ".call-row[data-state='ended'] .call-outcome",
        "answered by Bob",
    )
    .await;
    assert!(outcome.contains("answered by Bob"), "{outcome}");

    // Four calls ringing at once, at 1280×800 and at 800×600: every caller's name is whole.
    let four = [
        ("492117654321", "R1"),
        ("491719876543", "R2"),
        ("442079460958", "R3"),
        ("anonymous", "R4"),
    ];
    for (from, id) in four {
        push(
            port,
            &signer,
            &format!("event=newCall&direction=in&from={from}&to=4921155580000&callId={id}&user%5B%5D=Bob"),
        )
        .await;
    }
    wait_js(
        &client,
        "four ringing calls",
        "return document.querySelectorAll('.ringing-call').length;",
        |v| v == 4,
    )
    .await;
    for (width, height) in [(1280, 800), (800, 600)] {
        client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let cut = client
            .execute(
                "return Array.from(document.querySelectorAll('.ring-name-text'))
                   .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent);",
                vec![],
            )
            .await
            .expect("measure names");
        assert_eq!(cut, json!([]), "names cut at {width}×{height}");
        screenshot(&client, &format!("ringing-{width}x{height}.png")).await;
    }
    for (from, id) in four {
        push(
            port,
            &signer,
            &format!(
                "event=hangup&direction=in&from={from}&to=4921155580000&callId={id}&cause=busy"
            ),
        )
        .await;
    }
    wait_js(
        &client,
        "the ringing area to empty again",
        "return document.querySelectorAll('.ringing-call').length;",
        |v| v == 0,
    )
    .await;

    // A second caller nobody knows, who gives up: a missed call with its number formatted.
    let unknown = "direction=in&from=4940999888&to=4921155580000&callId=E2E2";
    push(
        port,
        &signer,
        &format!("event=newCall&{unknown}&user%5B%5D=Bob"),
    )
    .await;
    push(
        port,
        &signer,
        &format!("event=hangup&{unknown}&cause=cancel"),
    )
    .await;
    wait_text(
        &client,
        ".call-row[data-state='missed'] .call-party",
        "040 999888",
    )
    .await;
    wait_text(&client, "#missed-count", "1").await;
    screenshot(&client, "calls.png").await;

    // A push signed only by the app's own test key is a test call: tagged, never missed.
    let test = "direction=in&from=4940999888&to=4921155580000&callId=E2E3";
    push(
        port,
        &local,
        &format!("event=newCall&{test}&user%5B%5D=Bob"),
    )
    .await;
    push(port, &local, &format!("event=hangup&{test}&cause=cancel")).await;
    wait_text(&client, ".call-row .tag-test", "Test").await;
    wait_text(&client, "#missed-count", "1").await;

    // Add a contact through the form and find it by search.
    click(&client, "#nav-contacts").await;
    click(&client, "#contact-new").await;
    type_into(&client, "#contact-name", "Zed Zimmermann").await;
    type_into(&client, "#contact-company", "Zimmerei Zed").await;
    type_into(
        &client,
        "#number-rows .number-row:last-child .number-input",
        "0171 2345678",
    )
    .await;
    click(&client, "#contact-save").await;
    wait_text(&client, "#contact-list .contact-name", "Zed Zimmermann").await;
    type_into(&client, "#contact-search", "zimmer").await;
    wait_js(
        &client,
        "the search to narrow the list",
        "return Array.from(document.querySelectorAll('#contact-list .contact-name')).map(e => e.textContent);",
        |v| v == &json!(["Zed Zimmermann"]),
    )
    .await;

    // An Outlook export imported through the window's commands appears in the list at once.
    let outlook = format!(
        "{}/crates/klingel-core/tests/fixtures/import/outlook-de-1252.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let report = client
        .execute_async(
            "const [path, done] = arguments;
             const invoke = window.__TAURI__.core.invoke;
             invoke('preview_import', { path, format: null, overrides: [] })
               .then(p => invoke('run_import', { path, format: p.format, overrides: [], dryRun: false })
               .then(r => done({ dialect: p.layout.dialect, total: p.total, created: r.created })))
               .catch(e => done({ error: String(e.message || e) }));",
            vec![json!(outlook)],
        )
        .await
        .expect("import through the window's commands");
    assert_eq!(
        report,
        json!({ "dialect": "outlookGerman", "total": 5, "created": 4 }),
        "{report}"
    );
    type_into(&client, "#contact-search", "müller").await;
    wait_text(&client, "#contact-list .contact-name", "Jörg Müller").await;

    // A malformed number shows its error next to the field.
    click(&client, "#contact-new").await;
    type_into(&client, "#contact-name", "Broken Number").await;
    type_into(
        &client,
        "#number-rows .number-row:last-child .number-input",
        "call me maybe",
    )
    .await;
    click(&client, "#contact-name").await;
    let error = wait_js(
        &client,
        "the number's error",
        "return document.querySelector('#number-rows .number-row:last-child .number-error')?.textContent ?? '';",
        |v| v.as_str().is_some_and(|t| !t.trim().is_empty()),
    )
    .await;
    assert!(
        error
            .as_str()
            .is_some_and(|t| t.to_lowercase().contains("number")),
        "{error}"
    );
    screenshot(&client, "contacts.png").await;

    // A number another contact has is refused at its field, naming that contact.
    click(&client, "#contact-new").await;
    type_into(&client, "#contact-name", "Test Person").await;
    type_into(
        &client,
        "#number-rows .number-row:last-child .number-input",
        "+49 30 12345678",
    )
    .await;
    click(&client, "#contact-save").await;
    wait_text(
        &client,
        "#number-rows .number-row:last-child .number-error",
        "Alice Example",
    )
    .await;
    wait_text(&client, "#contact-error", "Alice Example").await;

    click(&client, "#nav-setup").await;
    wait_text(&client, "#request-list", "newCall").await;
    // "Send test call" goes through the real listener and shows up as a call.
    click(&client, "#send-test-call").await;
    wait_js(
        &client,
        "the test call's result",
        "return document.querySelector('#test-call-result')?.dataset.state ?? '';",
        |v| v == "ok" || v == "failed",
    )
    .await
    .as_str()
    .filter(|state| *state == "ok")
    .unwrap_or_else(|| panic!("the test call failed"));
    screenshot(&client, "setup.png").await;
    click(&client, "#nav-calls").await;
    wait_js(
        &client,
        "the test call in the log, tagged as one",
        "return document.querySelectorAll('.call-row .tag-test').length;",
        |v| v == 2,
    )
    .await;
    click(&client, "#nav-settings").await;
    wait_js(
        &client,
        "the settings form",
        "return document.querySelector('#set-address')?.value ?? '';",
        |v| v.as_str().is_some_and(|a| a.starts_with("127.0.0.1:")),
    )
    .await;
    screenshot(&client, "settings.png").await;
    start_at_login(&client, &home).await;

    // Typing a port changes nothing until Save: the listener stays where it is.
    let before = client
        .execute(
            "return document.querySelector('#listener-status .status-text').textContent;",
            vec![],
        )
        .await
        .expect("rail text");
    type_into(&client, "#set-address", "127.0.0.1:1").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = client
        .execute(
            "return document.querySelector('#listener-status .status-text').textContent;",
            vec![],
        )
        .await
        .expect("rail text");
    assert_eq!(before, after, "no rebind while typing");
    wait_js(
        &client,
        "the unsaved-changes bar",
        "return !document.querySelector('#settings-unsaved').hidden && !document.querySelector('#settings-save').disabled;",
        |v| v == &json!(true),
    )
    .await;
    click(&client, "#settings-discard").await;
    wait_js(
        &client,
        "the address back as it was",
        "return document.querySelector('#set-address').value;",
        |v| v.as_str().is_some_and(|a| a != "127.0.0.1:1"),
    )
    .await;

    keyboard(&client).await;
    push_to_row(&client, port, &signer).await;
    burst(&client, port, &signer).await;
    scrolled_log(&client).await;
    whole_book(&client).await;
}

/// The autostart entry in `home`, if there is one.
fn autostart_entry(home: &Path) -> Option<String> {
    std::fs::read_to_string(home.join(".config/autostart/Klingel.desktop")).ok()
}

/// Settings → "Start Klingel when I log in": the desktop's autostart entry comes and goes
/// with the switch, at once.
async fn start_at_login(client: &Client, home: &Path) {
    // The app's first start on this data dir turned it on.
    wait_js(
        client,
        "start at login shown as on",
        "return document.querySelector('#set-start-at-login').checked;",
        |v| v == &json!(true),
    )
    .await;
    let entry = autostart_entry(home).expect("an autostart entry after the first start");
    assert!(
        entry
            .lines()
            .any(|l| l.starts_with("Exec=") && l.ends_with(" --minimized")),
        "{entry}"
    );
    click(client, "#set-start-at-login").await;
    let started = Instant::now();
    while autostart_entry(home).is_some() {
        assert!(started.elapsed() < PATIENCE, "the autostart entry stayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(client, "#set-start-at-login").await;
    let started = Instant::now();
    while autostart_entry(home).is_none() {
        assert!(started.elapsed() < PATIENCE, "no autostart entry came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Presses `keys` on the focused element.
async fn press(client: &Client, keys: &str) {
    client
        .active_element()
        .await
        .expect("an active element")
        .send_keys(keys)
        .await
        .unwrap_or_else(|e| panic!("press {keys:?}: {e}"));
}

/// The shortcuts people expect: `?` lists them, Ctrl+N starts a contact, Esc closes the form,
/// Ctrl+F searches.
async fn keyboard(client: &Client) {
    use fantoccini::key::Key;
    click(client, "#nav-calls").await;
    // Off any field, so the keys go to the window.
    client
        .execute("document.activeElement?.blur();", vec![])
        .await
        .expect("blur");
    press(client, "?").await;
    wait_js(
        client,
        "the keyboard help",
        "return document.querySelector('#keys-dialog').open;",
        |v| v == &json!(true),
    )
    .await;
    wait_text(client, "#keys-list", "New contact").await;
    press(client, &Key::Escape.to_string()).await;
    wait_js(
        client,
        "the help closed",
        "return document.querySelector('#keys-dialog').open;",
        |v| v == &json!(false),
    )
    .await;
    press(client, &format!("{}n", Key::Control)).await;
    wait_js(
        client,
        "a new contact's form",
        "return !document.querySelector('#view-contacts').hidden && !document.querySelector('#contact-form').hidden;",
        |v| v == &json!(true),
    )
    .await;
    press(client, &Key::Escape.to_string()).await;
    wait_js(
        client,
        "the form closed by Esc",
        "return document.querySelector('#contact-form').hidden;",
        |v| v == &json!(true),
    )
    .await;
    // Esc put the focus back in the list's search; start from nowhere to see Ctrl+F do it.
    client
        .execute("document.activeElement?.blur();", vec![])
        .await
        .expect("blur");
    press(client, &format!("{}f", Key::Control)).await;
    wait_js(
        client,
        "the search focused",
        "return document.activeElement?.id ?? '';",
        |v| v == "contact-search",
    )
    .await;
}

/// Push -> window: from posting a signed newCall (signed beforehand) until the calls view
/// holds an element for the new call, over 20 calls one at a time. Printed for
/// docs/BENCHMARKS.md, not asserted: both clocks are the wall clock of this machine.
async fn push_to_row(client: &Client, port: u16, signer: &TestSigner) {
    click(client, "#nav-calls").await;
    client
        .execute(
            "window.__seen = [];
             const known = new Set();
             const look = () => {
               for (const e of document.querySelectorAll('#view-calls [data-call-id]')) {
                 if (!known.has(e.dataset.callId)) { known.add(e.dataset.callId); window.__seen.push(Date.now()); }
               }
             };
             look();
             window.__seen = [];
             window.__ringing = [];
             window.__TAURI__.event.listen('call://updated', (e) => {
               if (e.payload.call.state === 'ringing') window.__ringing.push(Date.now());
             });
             new MutationObserver(look).observe(document.querySelector('#view-calls'), { childList: true, subtree: true });",
            vec![],
        )
        .await
        .expect("watch the calls view");
    let wall_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    };
    let mut latencies = Vec::new();
    let mut acknowledged = Vec::new();
    let mut sent_at = Vec::new();
    for i in 0..20 {
        let call = format!("direction=in&from=49302{i:06}&to=4921155580000&callId=ROW{i}");
        let body = format!("event=newCall&{call}&user%5B%5D=Bob");
        let signature = signer.sign(body.as_bytes());
        let sent = wall_ms();
        sent_at.push(sent);
        tokio::task::spawn_blocking(move || {
            let status = ureq::post(&format!("http://127.0.0.1:{port}/sipgate"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Sipgate-Signature", &signature)
                .send(&body)
                .expect("the app's listener answers")
                .status();
            assert_eq!(status, 200);
        })
        .await
        .expect("push task");
        acknowledged.push(wall_ms() - sent);
        let seen = wait_js(
            client,
            "the new call in the window",
            &format!("return window.__seen[{i}] ?? null;"),
            |v| v.is_i64(),
        )
        .await;
        latencies.push(seen.as_i64().unwrap_or(sent) - sent);
        push(port, signer, &format!("event=hangup&{call}&cause=cancel")).await;
    }
    // When each call's ringing update reached the page's event listener: what the listener
    // and the bridge take, apart from what the page takes to draw the row.
    let ringing = client
        .execute("return window.__ringing;", vec![])
        .await
        .expect("the page's event times");
    let mut reached: Vec<i64> = ringing
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_i64)
        .zip(&sent_at)
        .map(|(at, sent)| at - sent)
        .collect();
    // In the order they were sent: a slow first one is the app warming up, a slow one
    // later is the machine.
    println!(
        "push -> window, each (ms): {latencies:?}; acknowledged after: {acknowledged:?}; \
         the update reached the page after: {reached:?}"
    );
    latencies.sort_unstable();
    acknowledged.sort_unstable();
    reached.sort_unstable();
    println!(
        "push -> window: 20 calls, median {} ms, slowest {} ms; the listener acknowledged after a median {} ms, the update reached the page after a median {} ms",
        latencies[10],
        latencies[19],
        acknowledged[10],
        reached.get(reached.len() / 2).copied().unwrap_or(-1)
    );
}

/// A book of thousands: the contacts view scrolls to its last contact, and only the rows in
/// view exist in the page.
async fn whole_book(client: &Client) {
    const CONTACTS: usize = 3_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("book.vcf");
    let cards: String = (0..CONTACTS)
        .map(|i| {
            format!(
                "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zz Kunde {i:04}\r\nTEL;TYPE=WORK:+49 89 {:07}\r\nEND:VCARD\r\n",
                3_000_000 + i
            )
        })
        .collect();
    std::fs::write(&path, cards).expect("write the book");
    let report = client
        .execute_async(
            "const [path, done] = arguments;
             window.__TAURI__.core.invoke('run_import', { path, format: 'vcard', overrides: [], dryRun: false })
               .then(r => done(r.created)).catch(e => done(String(e.message || e)));",
            vec![json!(path)],
        )
        .await
        .expect("import the book");
    assert_eq!(report, json!(CONTACTS), "{report}");
    click(client, "#nav-contacts").await;
    type_into(client, "#contact-search", "zz kunde").await;
    wait_js(
        client,
        "the search to find the whole book",
        "return document.querySelector('#contact-list .contact-item')?.getAttribute('aria-setsize');",
        |v| v == &json!(CONTACTS.to_string()),
    )
    .await;
    // Scrolled to the end on every try: the search box's debounced reload may still put the
    // list back to the top once.
    wait_js(
        client,
        "the last contact of the book, scrolled to",
        "const list = document.querySelector('#contact-list');
         list.scrollTop = list.scrollHeight;
         // The scroll event comes with the next frame; dispatch it now so the rows are read
         // after the list drew them.
         list.dispatchEvent(new Event('scroll'));
         return Array.from(list.querySelectorAll('.contact-name')).map(e => e.textContent).join('\\n');",
        |v| v.as_str().is_some_and(|names| names.contains("Zz Kunde 2999")),
    )
    .await;
    let drawn = wait_js(
        client,
        "the rows drawn at the end of the book",
        "return document.querySelectorAll('#contact-list .contact-item').length;",
        |v| v.as_u64().is_some_and(|n| n > 0),
    )
    .await;
    assert!(
        drawn.as_u64().is_some_and(|n| n < 100),
        "only the rows in view are drawn, not {drawn} of {CONTACTS}"
    );
}

/// 200 calls (600 pushes: newCall, answer, hangup) as fast as eight senders can post them,
/// then the calls view: it must take the burst and switch views again. How long that took
/// and what the webview holds afterwards are printed for docs/BENCHMARKS.md.
async fn burst(client: &Client, port: u16, signer: &TestSigner) {
    click(client, "#nav-calls").await;
    let before_mb = webview_rss_mb();
    let bodies: Vec<(String, String)> = (0..200)
        .flat_map(|i| {
            let call = format!("direction=in&from=49301{i:06}&to=4921155580000&callId=BURST{i}");
            [
                format!("event=newCall&{call}&user%5B%5D=Bob"),
                format!("event=answer&{call}&user=Bob"),
                format!("event=hangup&{call}&cause=normalClearing"),
            ]
        })
        .map(|body| {
            let signature = signer.sign(body.as_bytes());
            (body, signature)
        })
        .collect();
    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/sipgate");
    tokio::task::spawn_blocking(move || {
        // Each call's three pushes in order on one sender; eight calls at a time.
        let chunks: Vec<Vec<(String, String)>> = bodies.chunks(3 * 25).map(<[_]>::to_vec).collect();
        std::thread::scope(|scope| {
            for chunk in chunks {
                let url = &url;
                scope.spawn(move || {
                    for (body, signature) in chunk {
                        let status = ureq::post(url)
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .header("X-Sipgate-Signature", &signature)
                            .send(&body)
                            .expect("the listener answers")
                            .status();
                        assert_eq!(status, 200);
                    }
                });
            }
        });
    })
    .await
    .expect("burst");
    let pushed = started.elapsed();
    let caught_up = Instant::now();
    wait_js(
        client,
        "the burst in the log",
        "return document.querySelectorAll('.call-row[data-state=ended]').length;",
        |v| v.as_u64().is_some_and(|n| n >= 200),
    )
    .await;
    let shown = caught_up.elapsed();
    let switching = Instant::now();
    click(client, "#filter-incoming").await;
    wait_js(
        client,
        "the incoming view",
        "return document.querySelector('#filter-incoming').getAttribute('aria-pressed') === 'true'
           && document.querySelectorAll('.call-row').length > 0;",
        |v| v == &json!(true),
    )
    .await;
    let switched = switching.elapsed();
    println!(
        "burst: 600 pushes posted in {} ms; log caught up {} ms after the last; the incoming \
         view {} ms after the click; webview {} MB resident ({} MB before the burst)",
        pushed.as_millis(),
        shown.as_millis(),
        switched.as_millis(),
        webview_rss_mb().map_or_else(|| "?".into(), |mb| mb.to_string()),
        before_mb.map_or_else(|| "?".into(), |mb| mb.to_string())
    );
    click(client, "#filter-all").await;
}

/// With more calls than one page (the burst's 200 and those before): scrolling the log to its
/// end loads the next page by itself, and a new search starts at the top of its list, not
/// where the last list was scrolled to.
async fn scrolled_log(client: &Client) {
    const ROWS: &str = "return document.querySelectorAll('#call-list .call-row').length;";
    const TO_THE_END: &str = "const s = document.querySelector('.call-scroll');
         s.scrollTop = s.scrollHeight; return s.scrollTop;";
    click(client, "#nav-calls").await;
    let first = wait_js(
        client,
        "a first page with older calls after it",
        "return document.querySelector('#calls-older').hidden
           ? 0 : document.querySelectorAll('#call-list .call-row').length;",
        |v| v.as_u64().is_some_and(|n| n >= 200),
    )
    .await
    .as_u64()
    .unwrap_or_default();
    client.execute(TO_THE_END, vec![]).await.expect("scroll");
    let loaded = wait_js(client, "the next page, loaded by scrolling", ROWS, |v| {
        v.as_u64().is_some_and(|n| n > first)
    })
    .await;
    println!("scrolling to the log's end: {first} calls, then {loaded} without a click");

    let scrolled = client.execute(TO_THE_END, vec![]).await.expect("scroll");
    assert!(
        scrolled.as_f64().is_some_and(|top| top > 0.0),
        "the log scrolls: {scrolled}"
    );
    type_into(client, "#call-search", "Bob").await;
    wait_js(
        client,
        "the search's list at the top",
        "return document.querySelectorAll('#call-list .call-row').length > 0
           && document.querySelector('.call-scroll').scrollTop === 0
           && document.querySelector('#calls-total').textContent.length > 0;",
        |v| v == &json!(true),
    )
    .await;
    client
        .execute(
            "const s = document.querySelector('#call-search'); s.value = '';
             s.dispatchEvent(new Event('input'));",
            vec![],
        )
        .await
        .expect("clear the search");
}

/// The resident memory of the WebKit web process, in MB, when one runs.
fn webview_rss_mb() -> Option<u64> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read_to_string(entry.path().join("comm"))
                .is_ok_and(|comm| comm.trim() == "WebKitWebProces")
        })
        .filter_map(|entry| {
            let status = std::fs::read_to_string(entry.path().join("status")).ok()?;
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb / 1024)
        })
        .max()
}

/// The screenshot gallery in docs/screenshots/: every view at 800×600 and 1280×800, light and
/// dark, German and English. Run by `make screenshots`, never by `make test`, so tests leave
/// tracked files alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the gallery: run through `make screenshots`"]
async fn gallery() {
    for language in ["de", "en"] {
        for theme in ["light", "dark"] {
            gallery_for(language, theme).await;
        }
    }
}

async fn gallery_for(language: &str, theme: &str) {
    let app = AppData::prepare(
        language,
        &[
            ("Alice Example", "ACME GmbH", "", "030 12345678"),
            (
                "Alicia Maria Schwarzer-Westerhagen",
                "Stadtwerke Düsseldorf Netzgesellschaft mbH",
                "VIP – Rückruf innerhalb 1 Stunde",
                "0211 7654321",
            ),
            ("Bernd Ölmüller", "Ölmüller & Söhne", "", "0171 9876543"),
        ],
    );
    let mut env = app.env();
    if theme == "dark" {
        env.push(("GTK_THEME", PathBuf::from("Adwaita:dark")));
    }
    let AppData {
        dir: _dir,
        port,
        sipgate,
        ..
    } = app;
    let prefix = format!("{language}-{theme}");
    with_app(&env, move |client| {
        gallery_shots(client, port, sipgate, prefix)
    })
    .await;
}

async fn gallery_shots(client: Client, port: u16, signer: TestSigner, prefix: String) {
    wait_js(
        &client,
        "the listener to be ready",
        "return document.querySelector('#listener-status')?.dataset.state ?? null;",
        |v| v == "listening",
    )
    .await;
    let answered = "direction=in&from=493012345678&to=4921155580000&callId=G1";
    for step in [
        format!("event=newCall&{answered}&user%5B%5D=Bob"),
        format!("event=answer&{answered}&user=Bob"),
        format!("event=hangup&{answered}&cause=normalClearing"),
        "event=newCall&direction=in&from=4940999888&to=4921155580000&callId=G2&user%5B%5D=Bob".into(),
        "event=hangup&direction=in&callId=G2&cause=cancel".into(),
        "event=newCall&direction=in&from=492117654321&to=4921155580000&callId=G3&user%5B%5D=Bob&user%5B%5D=Carol".into(),
    ] {
        push(port, &signer, &step).await;
    }
    wait_js(
        &client,
        "the ringing call",
        "return document.querySelectorAll('.ringing-call').length;",
        |v| v == 1,
    )
    .await;
    for (width, height) in [(1280, 800), (800, 600)] {
        client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        for view in ["calls", "contacts", "setup", "settings"] {
            click(&client, &format!("#nav-{view}")).await;
            if view == "contacts" {
                wait_text(&client, "#contact-list .contact-name", "Alicia").await;
                click(&client, "#contact-list .contact-item:nth-child(2)").await;
                wait_js(
                    &client,
                    "Alicia's form",
                    "return document.querySelector('#contact-name').value;",
                    |v| v.as_str().is_some_and(|name| name.starts_with("Alicia")),
                )
                .await;
            }
            screenshot(&client, &format!("{prefix}-{width}x{height}-{view}.png")).await;
        }
    }
}
