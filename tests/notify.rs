//! A call's popup reaches a real notification server: a private D-Bus session bus (its own
//! dbus-daemon, no service files) with a recording `org.freedesktop.Notifications` server.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support/recorder.rs"]
mod recorder;

use klingel::notify::{Clicked, Notifier};
use klingel_core::config::{Language, Settings};
use klingel_core::domain::{ContactInput, NumberInput};
use klingel_core::popup;
use klingel_core::{Paths, Session, Update};
use recorder::Recorder;

/// A dbus-daemon of our own, so no real notification server can answer instead.
struct Bus {
    daemon: Child,
    _dir: tempfile::TempDir,
    address: String,
}

impl Bus {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("bus");
        let config = dir.path().join("session.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
                socket.display()
            ),
        )
        .expect("write bus config");
        let daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon must be installed (make test installs it)");
        let started = Instant::now();
        while !socket.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "dbus-daemon did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            daemon,
            address: format!("unix:path={}", socket.display()),
            _dir: dir,
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Posts a push to the session's listener the way sipgate does (unsigned: the check is off).
fn post(url: &str, body: &str) {
    let status = ureq::post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body)
        .expect("the listener answers")
        .status();
    assert_eq!(status, 200, "the push is accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ringing_call_pops_up_updates_on_answer_and_leaves_a_missed_notice() {
    let bus = Bus::start();
    // The only test in this binary, so no other thread reads the environment concurrently.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);

    let recorder = Recorder::default();
    let _server = zbus::connection::Builder::address(bus.address.as_str())
        .name("org.freedesktop.Notifications")
        .serve_at("/org/freedesktop/Notifications", recorder.clone())
        .build()
        .await
        .expect("notification server on the private bus");

    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::default();
    settings.listener.address = "127.0.0.1:0".parse().expect("loopback address");
    settings.listener.verify_signature = false;
    // The answered notice closes by itself after this long.
    settings.popups.answered_secs = 1;
    let paths = Paths {
        config_file: dir.path().join("klingel.toml"),
        data_dir: dir.path().join("data"),
    };
    let session =
        tokio::task::block_in_place(|| Session::open(paths, settings.clone())).expect("session");
    tokio::task::block_in_place(|| {
        session.add_contact(&ContactInput {
            name: "Eve <b>Example</b>".into(),
            company: "Müller & Söhne".into(),
            notes: "VIP – Rückruf innerhalb 1 Stunde".into(),
            numbers: vec![NumberInput {
                number: "030 12345678".into(),
                ..Default::default()
            }],
            ..Default::default()
        })
    })
    .expect("contact");
    let updates = session.subscribe();
    let listening = session.start().await.expect("listener");
    let url = format!("http://{}/", listening.address);

    let clicks = Arc::new(Mutex::new(Vec::new()));
    let clicked = clicks.clone();
    let notifier = Notifier::spawn("Klingel", move |call, what| {
        clicked.lock().expect("lock").push((call, what))
    });

    // What the app's bridge does with every update the core publishes.
    let updates = std::cell::RefCell::new(updates);
    let hand_on = || {
        while let Ok(update) = updates.borrow_mut().try_recv() {
            if let Update::Call(update) = update {
                let action =
                    popup::popup_for(&update, Language::De, &settings.popups, &settings.numbers);
                notifier.apply(update.call.id, action, popup::action_labels(Language::De));
            }
        }
    };
    let deliver = |body: &str| {
        // The listener publishes before it answers, so the updates are there once it has.
        tokio::task::block_in_place(|| post(&url, body));
        hand_on();
    };

    deliver("event=newCall&direction=in&from=493012345678&to=4921155580000&callId=N1&user%5B%5D=Alice&user%5B%5D=Bob");
    wait_until("the ringing popup", || {
        !recorder.notified.lock().expect("lock").is_empty()
    })
    .await;
    let first = recorder.notified.lock().expect("lock")[0].clone();
    assert_eq!(first.app_name, "Klingel");
    assert_eq!(
        first.summary, "Anruf von Eve <b>Example</b>",
        "the summary is plain text, in German"
    );
    assert!(
        first.body.contains("Müller &amp; Söhne"),
        "the company is in the body, escaped for the server's markup: {:?}",
        first.body
    );
    assert!(
        first.body.contains("Alice, Bob"),
        "who it rings: {:?}",
        first.body
    );
    assert!(
        !first.body.contains("<b>"),
        "no markup from data reaches the server: {:?}",
        first.body
    );
    assert!(
        first.actions.iter().any(|a| a == "Anzeigen")
            && first.actions.iter().any(|a| a == "Zurückrufen")
            && !first.actions.iter().any(|a| a == "Kontakt anlegen"),
        "a known caller gets Show and Call back, not Add contact: {:?}",
        first.actions
    );
    assert!(
        first.body.contains("VIP – Rückruf innerhalb 1 Stunde"),
        "the contact's notes are for whoever picks up: {:?}",
        first.body
    );
    assert_eq!(first.urgency, Some(2), "a ringing call is urgent");

    deliver("event=answer&callId=N1&user=Bob&direction=in");
    wait_until("the answered update", || {
        recorder.notified.lock().expect("lock").len() >= 2
    })
    .await;
    let second = recorder.notified.lock().expect("lock")[1].clone();
    assert_eq!(
        second.replaces_id, 1,
        "the same notification is updated, not a second one shown"
    );
    assert!(
        second.summary.contains("angenommen von Bob"),
        "{:?}",
        second.summary
    );

    // A button press on the notification comes back as a click for that call.
    _server
        .emit_signal(
            None::<&str>,
            "/org/freedesktop/Notifications",
            "org.freedesktop.Notifications",
            "ActionInvoked",
            &(1u32, "show"),
        )
        .await
        .expect("emit ActionInvoked");
    wait_until("the click", || !clicks.lock().expect("lock").is_empty()).await;
    assert_eq!(clicks.lock().expect("lock")[0].1, Clicked::Show);

    // The answered notice leaves by itself while the call goes on.
    let answered_at = Instant::now();
    wait_until("the answered notice to close", || {
        !recorder.closed.lock().expect("lock").is_empty()
    })
    .await;
    assert!(
        answered_at.elapsed() >= Duration::from_millis(700),
        "not before its time"
    );
    assert_eq!(recorder.closed.lock().expect("lock")[0], 1);
    deliver("event=hangup&callId=N1&cause=normalClearing");

    deliver(
        "event=newCall&direction=in&from=4940999888&to=4921155580000&callId=N2&user%5B%5D=Alice",
    );
    deliver("event=hangup&callId=N2&cause=cancel");
    wait_until("the missed notice", || {
        recorder
            .notified
            .lock()
            .expect("lock")
            .iter()
            .any(|n| n.summary.starts_with("Verpasster Anruf"))
    })
    .await;
    let missed = recorder
        .notified
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a notice");
    assert!(
        missed.summary.contains("040 999888"),
        "a missed unknown caller reads as the number: {:?}",
        missed.summary
    );
    assert!(
        missed.actions.iter().any(|a| a == "Kontakt anlegen"),
        "an unknown caller can be added: {:?}",
        missed.actions
    );
    let notice = recorder.notified.lock().expect("lock").len() as u32;

    // Seen: the missed notice goes.
    let closed_before = recorder.closed.lock().expect("lock").len();
    tokio::task::block_in_place(|| session.mark_seen(&[])).expect("mark seen");
    hand_on();
    wait_until("the missed notice to close when seen", || {
        recorder.closed.lock().expect("lock")[closed_before..].contains(&notice)
    })
    .await;

    // Called back: the missed notice goes too.
    deliver(
        "event=newCall&direction=in&from=4940999777&to=4921155580000&callId=N3&user%5B%5D=Alice",
    );
    deliver("event=hangup&callId=N3&cause=cancel");
    wait_until("the second missed notice", || {
        recorder
            .notified
            .lock()
            .expect("lock")
            .iter()
            .any(|n| n.summary.contains("040 999777"))
    })
    .await;
    let notice = recorder.notified.lock().expect("lock").len() as u32;
    deliver(
        "event=newCall&direction=out&from=4921155580000&to=4940999777&callId=N4&user%5B%5D=Alice",
    );
    wait_until("the missed notice to close when called back", || {
        recorder.closed.lock().expect("lock").contains(&notice)
    })
    .await;

    // Push -> popup: from posting a newCall until the notification server has its Notify
    // (the listener stores the push durably first), over 100 calls, one at a time. Printed as
    // a measurement, not asserted: docs/BENCHMARKS.md has the figures.
    let mut latencies = Vec::new();
    for i in 0..100 {
        let shown = recorder.notified.lock().expect("lock").len();
        let sent = Instant::now();
        deliver(&format!(
            "event=newCall&direction=in&from=4930123456{i:02}&to=4921155580000&callId=L{i}&user%5B%5D=Alice"
        ));
        wait_until("the popup", || {
            recorder.notified.lock().expect("lock").len() > shown
        })
        .await;
        let at = recorder.notified.lock().expect("lock")[shown].at;
        latencies.push(at.duration_since(sent));
        // The caller gives up: its missed notice comes before the next call is timed.
        deliver(&format!("event=hangup&callId=L{i}&cause=cancel"));
        wait_until("the missed notice", || {
            recorder.notified.lock().expect("lock").len() > shown + 1
        })
        .await;
    }
    latencies.sort();
    println!(
        "push -> popup (Notify received by the server), 100 calls: p50 {:.1} ms, p99 {:.1} ms",
        latencies[49].as_secs_f64() * 1e3,
        latencies[98].as_secs_f64() * 1e3
    );
}
