//! The Session as the app and klingeld hold it: an old database upgrades without loss, every
//! write publishes exactly its own update, and a taken port is a typed failure.

use std::collections::BTreeMap;
use std::path::Path;

use klingel_core::domain::{
    CallFilter, CallKey, CallUpdate, ContactId, ContactInput, NumberInput, Update, UpdateCause,
};
use klingel_core::interchange::{ContactRecord, Place, RecordNumber};
use klingel_core::server::{BindFailure, ListenerState, ListenerStatus};
use klingel_core::view::{OutcomeCode, PartyKind};
use klingel_core::words::Words;
use klingel_core::{Paths, Session, Settings};
use tokio::sync::broadcast::Receiver;

/// A database written by release ef5390b (see fixtures/upgrade/make-release-db.sh).
const RELEASE_DB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/upgrade/release-ef5390b.sqlite3"
);

fn paths(dir: &Path) -> Paths {
    Paths {
        config_file: dir.join("klingel.toml"),
        data_dir: dir.join("data"),
    }
}

/// Settings for a session on a free loopback port, signatures off (pushes are posted raw).
fn loopback() -> Settings {
    let mut settings = Settings::default();
    settings.listener.address = "127.0.0.1:0".parse().expect("loopback");
    settings.listener.verify_signature = false;
    settings
}

fn drain(updates: &mut Receiver<Update>) -> Vec<Update> {
    std::iter::from_fn(|| updates.try_recv().ok()).collect()
}

fn kinds(updates: &[Update]) -> Vec<&'static str> {
    updates
        .iter()
        .map(|u| match u {
            Update::Call(_) => "call",
            Update::ContactsChanged => "contacts",
            Update::SettingsChanged(_) => "settings",
            Update::Listener(_) => "listener",
            Update::Request(_) => "request",
            Update::CallsRemoved(_) => "removed",
            Update::Desk(_) => "desk",
        })
        .collect()
}

fn alice() -> ContactInput {
    ContactInput {
        name: "Alice Example".into(),
        company: "ACME GmbH".into(),
        numbers: vec![NumberInput {
            number: "030 12345678".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn a_database_of_release_ef5390b_upgrades_with_every_row_and_mark() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = paths(dir.path());
    std::fs::create_dir_all(&paths.data_dir).expect("data dir");
    std::fs::copy(RELEASE_DB, paths.database()).expect("copy the release's database");
    let session =
        Session::open(paths.clone(), Settings::default()).expect("the old database opens");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(paths.database())
            .expect("database")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a copied database is tightened at start"
        );
    }

    let contacts = session.contacts(None, None).expect("contacts");
    let names: Vec<&str> = contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["Alice Example", "Spam Caller", "Stadtwerke Zentrale"],
        "every contact is kept"
    );
    let alice = &contacts[0];
    assert_eq!(alice.company, "ACME GmbH");
    assert_eq!(alice.notes, "Prefers mornings");
    let labels: Vec<&str> = alice.numbers.iter().map(|n| n.label.as_str()).collect();
    assert_eq!(
        labels,
        ["work", "mobile"],
        "numbers keep their order, and \"office\" became the code the window words"
    );
    assert!(contacts[1].blocked, "the block survives");
    assert!(
        contacts[2].numbers[0].switchboard,
        "the switchboard flag survives"
    );

    let calls = session
        .calls(&CallFilter {
            limit: Some(100),
            ..CallFilter::default()
        })
        .expect("the log reads");
    let by_id: BTreeMap<i64, _> = calls.iter().map(|c| (c.id.0, c)).collect();
    let outcome = |id: i64| {
        let call = by_id[&id];
        (call.outcome.code, call.outcome.by.as_deref())
    };
    assert_eq!(by_id.len(), 11, "every call is kept");
    assert_eq!(outcome(1), (OutcomeCode::Answered, Some("Bob")));
    assert_eq!(outcome(2), (OutcomeCode::Missed, None));
    assert_eq!(outcome(3), (OutcomeCode::Missed, None));
    assert_eq!(outcome(4), (OutcomeCode::Missed, None));
    assert_eq!(outcome(5), (OutcomeCode::Voicemail, None));
    assert_eq!(outcome(6), (OutcomeCode::Busy, None));
    assert_eq!(outcome(7), (OutcomeCode::Rejected, None));
    assert_eq!(outcome(8), (OutcomeCode::Answered, Some("Marty")));
    assert_eq!(
        outcome(9),
        (OutcomeCode::Answered, None),
        "outgoing: no 'by'"
    );
    assert_eq!(outcome(10), (OutcomeCode::NotAnswered, None));
    assert_eq!(
        outcome(11),
        (OutcomeCode::Ringing, None),
        "a live call stays live"
    );

    assert_eq!(
        by_id[&8].outcome.via,
        ["Doc", "Marty"],
        "both legs of the forward"
    );
    assert_eq!(by_id[&8].summary.dtmf, "12", "leg details survive");
    assert_eq!(
        by_id[&8].contact.as_ref().map(|m| m.contact.name.as_str()),
        Some("Stadtwerke Zentrale"),
        "an extension still finds its switchboard"
    );
    assert_eq!(by_id[&4].party.kind, PartyKind::Withheld);
    assert_eq!(by_id[&1].talk_seconds, Some(2));
    assert!(by_id[&3].seen_at.is_some(), "the seen mark survives");
    assert!(!by_id[&3].outcome.unseen);
    assert!(
        by_id[&2].outcome.unseen,
        "an unseen missed call stays unseen"
    );
    assert_eq!(by_id[&2].called_back_by.as_deref(), Some("Bob"));
    assert!(
        by_id[&2].called_back_at.is_some(),
        "the called-back mark survives"
    );
    assert_eq!(session.unseen_missed().expect("count"), 2);
    assert_eq!(
        session.recent_requests(1000).expect("requests").len(),
        30,
        "every recorded request is kept (29 pushes and the script's first probe)"
    );
    let missed = session
        .calls(&CallFilter {
            missed: true,
            ..CallFilter::default()
        })
        .expect("missed view");
    assert_eq!(missed.len(), 3, "the state column still drives the views");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_publishes_exactly_its_own_update() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = tokio::task::block_in_place(|| Session::open(paths(dir.path()), loopback()))
        .expect("session");
    let mut updates = session.subscribe();

    let status = session.start().await.expect("start");
    assert_eq!(status.state, ListenerState::Listening);
    assert_eq!(kinds(&drain(&mut updates)), ["listener"], "start");

    let (added, updated) = tokio::task::block_in_place(|| {
        let added = session.add_contact(&alice()).expect("add");
        let first = drain(&mut updates);
        let mut input = alice();
        input.company = "ACME AG".into();
        session.update_contact(added.id, &input).expect("update");
        (first, drain(&mut updates))
    });
    assert_eq!(kinds(&added), ["contacts"], "add_contact");
    assert_eq!(kinds(&updated), ["contacts"], "update_contact");

    tokio::task::block_in_place(|| {
        assert!(session.add_contact(&ContactInput::default()).is_err());
        assert!(
            drain(&mut updates).is_empty(),
            "a refused write publishes nothing"
        );
        session.contacts(None, None).expect("read");
        session.calls(&CallFilter::default()).expect("read");
        assert!(drain(&mut updates).is_empty(), "reads publish nothing");

        session.block_number("0211 1234567").expect("block");
        assert_eq!(kinds(&drain(&mut updates)), ["contacts"], "block_number");
        let records = [ContactRecord {
            place: Place::Row { line: 2 },
            name: "Bob Import".into(),
            company: String::new(),
            notes: String::new(),
            numbers: vec![RecordNumber {
                label: String::new(),
                number: "040 555123".into(),
                switchboard: false,
            }],
            blocked: false,
        }];
        session
            .import_contacts(&records, true, |_, _| {})
            .expect("dry run");
        assert!(
            drain(&mut updates).is_empty(),
            "a dry run writes and says nothing"
        );
        session
            .import_contacts(&records, false, |_, _| {})
            .expect("import");
        assert_eq!(kinds(&drain(&mut updates)), ["contacts"], "import");
        session.remove_contact(ContactId(1)).expect("remove");
        assert_eq!(kinds(&drain(&mut updates)), ["contacts"], "remove_contact");
    });

    // A missed call over real HTTP: the call and request updates come from the listener.
    let url = format!("http://{}/", status.address);
    tokio::task::spawn_blocking(move || {
        for body in [
            "event=newCall&direction=in&from=4940555123&to=4921155500000&callId=S1&user%5B%5D=Alice",
            "event=hangup&direction=in&callId=S1&cause=cancel",
        ] {
            ureq::post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(body)
                .expect("push accepted");
        }
    })
    .await
    .expect("pushes");
    assert_eq!(
        kinds(&drain(&mut updates)),
        ["call", "request", "call", "request"],
        "each push: its call, then its record"
    );

    tokio::task::block_in_place(|| {
        assert_eq!(session.mark_seen(&[]).expect("seen"), 1);
        let seen = drain(&mut updates);
        assert!(
            matches!(&seen[..], [Update::Call(update)] if matches!(**update, CallUpdate { cause: UpdateCause::Seen, .. })),
            "mark_seen publishes the call it marked: {seen:?}"
        );
        assert_eq!(session.mark_seen(&[CallKey(1)]).expect("again"), 0);
        assert!(
            drain(&mut updates).is_empty(),
            "nothing changed, nothing said"
        );
    });

    let mut settings = session.settings();
    settings.calls.ring_timeout_secs = 90;
    let saved = session.apply_settings(settings).await.expect("apply");
    assert_eq!(saved.settings.calls.ring_timeout_secs, 90);
    assert_eq!(
        kinds(&drain(&mut updates)),
        ["settings", "listener"],
        "apply_settings"
    );
    session.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_a_typed_failure_the_window_has_words_for() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = loopback();
    settings.listener.address = taken.local_addr().expect("address");
    let session =
        tokio::task::block_in_place(|| Session::open(paths(dir.path()), settings.clone()))
            .expect("session");
    let status = session
        .start()
        .await
        .expect("a failed bind is not an error");
    assert_eq!(status.state, ListenerState::Failed);
    assert_eq!(
        status.failure,
        Some(BindFailure::PortInUse),
        "the kind comes from io::ErrorKind, not from OS text"
    );
    let json = serde_json::to_value(&status).expect("serialises");
    assert_eq!(json["failure"], "portInUse", "the window reads this key");
    for language in [
        klingel_core::config::Language::De,
        klingel_core::config::Language::En,
    ] {
        assert!(
            Words::of(language).has("listener.portInUse")
                && Words::of(language).has("setup.reasonPortInUse"),
            "the window words the failure in {language:?}"
        );
    }
    let error = session.send_test_call().await.expect_err("nothing listens");
    assert_eq!(error.code(), klingel_core::ErrorCode::ListenerDown);
    session.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn klingel_s_files_are_its_owner_s_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = paths(dir.path());
    let database = paths.database();
    let beside_database = |suffix: &str| {
        let mut file = database.clone().into_os_string();
        file.push(suffix);
        std::path::PathBuf::from(file)
    };
    let (wal, shm) = (beside_database("-wal"), beside_database("-shm"));
    let desk_token = dir.path().join("desk-token");
    let sipgate_token = dir.path().join("sipgate-token");
    let save_password = |session: Session| async move {
        let mut settings = session.settings();
        settings.listener.username = Some("sipgate".into());
        settings.listener.password = Some("secret".into());
        session
            .apply_settings(settings)
            .await
            .expect("save settings");
        session
    };
    let secrets = [
        (&database, "the call log"),
        (&wal, "its WAL"),
        (&shm, "its shared memory"),
        (&paths.test_key(), "the signing key"),
        (&paths.config_file, "the settings, with a password"),
        (&desk_token, "the desk token"),
        (&sipgate_token, "the sipgate token"),
    ];

    // A first run makes everything owner-only.
    let session =
        tokio::task::block_in_place(|| Session::open(paths.clone(), loopback())).expect("session");
    tokio::task::block_in_place(|| session.add_contact(&alice())).expect("a write");
    session.start().await.expect("start");
    let session = save_password(session).await;
    assert_eq!(mode(&paths.data_dir), 0o700, "a new data dir");
    for (file, what) in &secrets[..5] {
        assert_eq!(mode(file), 0o600, "{what}");
    }
    session.shutdown().await;
    drop(session);

    // A restore from a backup, a copy or a hand edit widened them all.
    std::fs::write(&desk_token, "").expect("desk token");
    std::fs::write(&sipgate_token, r#"{"tokenId":"token-A","token":"s"}"#).expect("token");
    for (file, _) in &secrets {
        if !file.exists() {
            // SQLite removed its WAL files on close; a crash leaves them behind.
            std::fs::write(file, "").expect("leftover WAL file");
        }
        chmod(file, 0o644);
    }
    chmod(&paths.data_dir, 0o755);

    // The next start tightens every file, but not a data dir that was given (it may be shared).
    let session =
        tokio::task::block_in_place(|| Session::open(paths.clone(), loopback())).expect("session");
    session.start().await.expect("start");
    for (file, what) in &secrets {
        assert_eq!(mode(file), 0o600, "{what} after a start");
    }
    assert_eq!(
        mode(&paths.data_dir),
        0o755,
        "a data dir given by flag or variable is only warned about"
    );
    let session = save_password(session).await;
    for (file, what) in &secrets {
        assert_eq!(mode(file), 0o600, "{what} after saving settings");
    }
    session.shutdown().await;
}

/// Posts a raw form push and returns the status.
async fn post_raw(url: &str, body: &'static str) -> u16 {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        ureq::post(&url)
            .config()
            .http_status_as_error(false)
            .build()
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body)
            .expect("the listener answers")
            .status()
            .as_u16()
    })
    .await
    .expect("push task")
}

/// Waits for the next listener status update.
async fn next_listener_status(updates: &mut Receiver<Update>) -> ListenerStatus {
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if let Update::Listener(status) = updates.recv().await.expect("updates") {
                return status;
            }
        }
    })
    .await
    .expect("a listener update in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_that_cannot_be_stored_is_a_500_and_a_red_status_until_one_is_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = tokio::task::block_in_place(|| Session::open(paths(dir.path()), loopback()))
        .expect("session");
    let status = session.start().await.expect("start");
    let url = format!("http://{}/", status.address);
    let mut updates = session.subscribe();

    // Break the file's schema from outside, as a damaged or foreign-written database would be.
    let outside = rusqlite::Connection::open(dir.path().join("data/klingel.sqlite3")).expect("db");
    outside
        .execute_batch("ALTER TABLE requests RENAME TO requests_away")
        .expect("rename");
    let failed = post_raw(
        &url,
        "event=newCall&direction=in&from=4940555123&to=4921155500000&callId=F1",
    )
    .await;
    assert_eq!(failed, 500, "sipgate must not think the push arrived");
    let red = next_listener_status(&mut updates).await;
    let reason = red
        .store_error
        .expect("the window hears why calls are lost");
    assert!(reason.contains("requests"), "{reason}");
    assert_eq!(session.listener_status().store_error, Some(reason));
    let json = serde_json::to_value(session.listener_status()).expect("json");
    assert!(json["storeError"].is_string(), "the window's field: {json}");

    outside
        .execute_batch("ALTER TABLE requests_away RENAME TO requests")
        .expect("rename back");
    let stored = post_raw(
        &url,
        "event=newCall&direction=in&from=4940555123&to=4921155500000&callId=F2",
    )
    .await;
    assert_eq!(stored, 200);
    let green = next_listener_status(&mut updates).await;
    assert_eq!(
        green.store_error, None,
        "the red status ends with a stored push"
    );
    let calls =
        tokio::task::block_in_place(|| session.calls(&CallFilter::default())).expect("calls");
    assert_eq!(calls.len(), 1, "only the stored push is a call");
    session.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_settings_with_a_taken_address_change_nothing_and_calls_keep_coming() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = tokio::task::block_in_place(|| Session::open(paths(dir.path()), loopback()))
        .expect("session");
    let running = session.start().await.expect("start");
    assert_eq!(running.state, ListenerState::Listening);
    let url = format!("http://{}/", running.address);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let mut settings = session.settings();
    settings.listener.address = taken.local_addr().expect("address");
    settings.calls.ring_timeout_secs = 42;
    let error = session
        .apply_settings(settings)
        .await
        .expect_err("a taken address is refused");
    assert_eq!(error.code(), klingel_core::ErrorCode::AddressUnavailable);
    assert!(error.to_string().contains("nothing was changed"), "{error}");
    assert_ne!(
        session.settings().calls.ring_timeout_secs,
        42,
        "nothing of it applies"
    );
    assert!(
        !dir.path().join("klingel.toml").exists(),
        "nothing is saved"
    );
    assert_eq!(session.listener_status().address, running.address);
    assert_eq!(
        post_raw(
            &url,
            "event=newCall&direction=in&from=4940555123&to=4921155500000&callId=KEEP1"
        )
        .await,
        200,
        "the running listener keeps taking calls"
    );

    // The same port on another address of this machine: the listener lets go and moves.
    let mut settings = session.settings();
    settings.listener.address = format!(
        "127.0.0.2:{}",
        running.address.rsplit(':').next().unwrap_or("0")
    )
    .parse()
    .expect("address");
    let moved = session.apply_settings(settings).await.expect("moves");
    assert_eq!(moved.listener.state, ListenerState::Listening);
    assert!(moved.listener.address.starts_with("127.0.0.2:"));
    session.shutdown().await;
}

#[test]
fn a_new_data_dir_is_greeted_once_and_starts_at_login_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = paths(dir.path());
    // A CLI command may be the first to open the data dir: the app still greets the user.
    let first = Session::open(paths.clone(), loopback()).expect("open");
    assert!(first.welcome_pending());
    assert!(first.overview().expect("overview").welcome);
    drop(first);

    let app = Session::open(paths.clone(), loopback()).expect("open again");
    assert!(app.welcome_pending(), "still greeted until closed");
    assert!(
        app.first_app_start(),
        "the app's first start turns on starting at login"
    );
    assert!(!app.first_app_start(), "only once");
    app.close_welcome().expect("close the welcome");
    assert!(!app.welcome_pending());
    drop(app);

    let later = Session::open(paths, loopback()).expect("a later start");
    assert!(!later.welcome_pending());
    assert!(!later.first_app_start());
    assert!(!later.overview().expect("overview").welcome);
}

#[test]
fn a_data_dir_of_an_older_version_is_not_greeted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = paths(dir.path());
    std::fs::create_dir_all(&paths.data_dir).expect("data dir");
    std::fs::copy(RELEASE_DB, paths.database()).expect("copy the release's database");
    let session = Session::open(paths, loopback()).expect("open");
    assert!(!session.welcome_pending());
    assert!(
        !session.first_app_start(),
        "an upgrade never turns on starting at login by itself"
    );
    session.close_welcome().expect("closing nothing is fine");
}
