//! The sipgate account connection against a fake sipgate API on loopback: token checks,
//! scopes told apart, the directory, webhook read-modify-write, refusals and outages.

use std::collections::BTreeSet;
use std::path::Path;

use klingel_core::account::CapabilityState;
use klingel_core::{ErrorCode, Paths, Session, Settings};
use serde_json::{json, Value};

use crate::fake_sipgate::{FakeSipgate, Fault, TOKEN, TOKEN_ID};

struct Setup {
    fake: FakeSipgate,
    session: Session,
    dir: tempfile::TempDir,
}

fn setup(configure: impl FnOnce(&mut Settings)) -> Setup {
    let fake = FakeSipgate::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::default();
    settings.sipgate.api_url = fake.api_url.clone();
    configure(&mut settings);
    let paths = Paths {
        config_file: dir.path().join("klingel.toml"),
        data_dir: dir.path().join("data"),
    };
    let session = Session::open(paths, settings).expect("session");
    Setup { fake, session, dir }
}

fn public(settings: &mut Settings) {
    settings.listener.public_url = Some("https://klingel.example/".into());
    settings.listener.username = Some("sipgate".into());
    settings.listener.password = Some("pa ss".into());
}

fn states(status: &klingel_core::account::AccountStatus) -> Vec<(String, CapabilityState)> {
    status
        .capabilities
        .iter()
        .map(|c| (c.key.clone(), c.state))
        .collect()
}

fn files_mention(dir: &Path, secret: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        if std::fs::read(&entry)
            .map(|bytes| String::from_utf8_lossy(&bytes).contains(secret))
            .unwrap_or(false)
        {
            found.push(
                entry
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn connecting_checks_the_token_reads_the_account_and_keeps_the_secret_to_one_private_file() {
    let s = setup(|_| {});
    let status = s
        .session
        .connect_account(TOKEN_ID, TOKEN)
        .expect("connects");
    assert!(status.connected);
    assert_eq!(status.token_id.as_deref(), Some(TOKEN_ID));
    assert_eq!(status.user_id.as_deref(), Some("w1"));
    assert_eq!(status.user_name.as_deref(), Some("Max Muster"));
    assert_eq!(status.company.as_deref(), Some("Test GmbH"));
    assert_eq!(
        (
            status.counts.users,
            status.counts.devices,
            status.counts.groups,
            status.counts.numbers
        ),
        (2, 1, 1, 3)
    );
    let people: Vec<(&str, &str)> = status
        .users
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(people, [("w0", "Ada Lovelace"), ("w1", "Max Muster")]);
    assert_eq!(status.devices.len(), 1);
    assert!(status.devices[0].default && status.devices[0].alias == "Desk phone");
    assert!(
        states(&status)
            .iter()
            .all(|(key, state)| *state == CapabilityState::Ok
                || (["webhookSetup", "dial"].contains(&key.as_str())
                    && *state == CapabilityState::Unchecked)),
        "{:?}",
        status.capabilities
    );
    assert_eq!(
        s.fake.requests().first().map(String::as_str),
        Some("GET /authorization/userinfo"),
        "the token is checked first"
    );
    let numbers_query = s
        .fake
        .state()
        .journal
        .iter()
        .find(|r| r.path == "/numbers")
        .map(|r| r.query.clone());
    assert_eq!(
        numbers_query.as_deref(),
        Some("offset=0&limit=100"),
        "numbers are paged"
    );
    assert!(
        s.fake
            .requests()
            .iter()
            .all(|r| r.starts_with("GET ") || r.starts_with("DELETE /calls/")),
        "connecting writes nothing at sipgate: {:?}",
        s.fake.requests()
    );

    // The secret is in exactly one owner-only file, not in the settings.
    assert_eq!(files_mention(s.dir.path(), TOKEN), ["sipgate-token"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(s.dir.path().join("sipgate-token"))
            .expect("token file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second session (klingeld after the app) sees the same connection without asking.
    let before = s.fake.requests().len();
    assert_eq!(s.session.account_status(), status);
    assert_eq!(s.fake.requests().len(), before, "status asks nobody");

    s.session.disconnect_account().expect("disconnect");
    assert!(!s.session.account_status().connected);
    assert!(
        files_mention(s.dir.path(), TOKEN).is_empty(),
        "the token is gone"
    );
    assert!(!s.dir.path().join("data/sipgate-account.json").exists());
}

#[test]
fn a_wrong_token_changes_nothing_and_says_so_whatever_the_error_body() {
    for body in ["", "json", "html"] {
        let s = setup(|_| {});
        s.fake.state().error_body = body;
        let e = s
            .session
            .connect_account(TOKEN_ID, "00000000-0000-4000-8000-000000000000")
            .expect_err("refused");
        assert_eq!(e.code(), ErrorCode::SipgateTokenInvalid, "{body}: {e}");
        assert!(e.to_string().contains("401"), "{e}");
        assert!(!s.session.account_status().connected, "nothing saved");
        assert_eq!(s.fake.requests(), ["GET /authorization/userinfo"]);
    }
    let s = setup(|_| {});
    let pasted = s
        .session
        .connect_account("token:ABC", TOKEN)
        .expect_err("a ':'");
    assert_eq!(pasted.code(), ErrorCode::SipgateTokenInvalid);
    assert!(s.fake.requests().is_empty(), "not even sent");
}

#[test]
fn missing_scopes_and_an_unbooked_feature_are_told_apart() {
    let s = setup(|_| {});
    s.fake.state().scopes = Some(BTreeSet::from([
        "users:read".to_string(),
        "history:read".to_string(),
    ]));
    let status = s
        .session
        .connect_account(TOKEN_ID, TOKEN)
        .expect("a token with few scopes still connects");
    let by_key: std::collections::HashMap<_, _> = states(&status).into_iter().collect();
    assert_eq!(by_key["people"], CapabilityState::Ok);
    assert_eq!(by_key["history"], CapabilityState::Ok);
    for key in ["devices", "groups", "lines", "reject", "account"] {
        assert_eq!(by_key[key], CapabilityState::Missing, "{key}");
    }
    assert_eq!(
        by_key["webhooks"],
        CapabilityState::Refused,
        "a 403 on the webhook settings may also mean sipgate.io is not booked"
    );
    let scope_of = |key: &str| {
        status
            .capabilities
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.scope.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        scope_of("lines"),
        "numbers:read",
        "the missing scope is named"
    );
    assert_eq!(scope_of("reject"), "rtcm:write");

    let s = setup(public);
    s.fake.state().not_booked = true;
    s.session
        .connect_account(TOKEN_ID, TOKEN)
        .expect("connects");
    let e = s.session.set_webhooks(None).expect_err("not booked");
    assert_eq!(e.code(), ErrorCode::SipgateRefused);
    assert!(e.to_string().contains("not booked"), "{e}");
}

#[test]
fn setting_the_webhooks_changes_only_the_urls_and_reads_them_back() {
    let s = setup(public);
    s.fake.state().settings = json!({
        "incomingUrl": "https://crm.example/in", "outgoingUrl": "", "log": true,
        "whitelist": ["p0"], "pushApiVersion": 1
    });
    s.session
        .connect_account(TOKEN_ID, TOKEN)
        .expect("connects");
    let before = s
        .session
        .account_status()
        .webhooks
        .expect("read on connect");
    assert_eq!(before.points_here, Some(false));
    let journal_start = s.fake.state().journal.len();

    let state = s.session.set_webhooks(None).expect("set");
    assert_eq!(state.points_here, Some(true));
    assert_eq!(
        state.incoming_url, "https://sipgate:•••@klingel.example/",
        "shown without the password"
    );
    let journal = s.fake.state().journal[journal_start..].to_vec();
    let steps: Vec<String> = journal
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        steps,
        [
            "GET /settings/sipgateio",
            "PUT /settings/sipgateio",
            "GET /settings/sipgateio"
        ],
        "read, write, read back"
    );
    let put: Value = serde_json::from_str(&journal[1].body).expect("PUT body is JSON");
    assert_eq!(
        put,
        json!({
            "incomingUrl": "https://sipgate:pa%20ss@klingel.example/",
            "outgoingUrl": "https://sipgate:pa%20ss@klingel.example/",
            "log": true, "whitelist": ["p0"], "pushApiVersion": 1
        }),
        "log, whitelist and the unknown field go back as read; the URL carries the credentials"
    );
    assert_eq!(s.session.account_status().webhooks, Some(state));

    // Clearing empties Klingel's URLs and leaves another integration's alone.
    s.fake.state().settings["outgoingUrl"] = json!("https://crm.example/out");
    let cleared = s.session.clear_webhooks().expect("clear");
    assert_eq!(cleared.incoming_url, "");
    assert_eq!(cleared.outgoing_url, "https://crm.example/out");
    assert_eq!(s.fake.state().settings["log"], json!(true));
}

#[test]
fn urls_sipgate_must_not_get_and_refusals_are_explained() {
    let s = setup(|settings| settings.listener.public_url = Some("http://klingel.example/".into()));
    s.session
        .connect_account(TOKEN_ID, TOKEN)
        .expect("connects");
    let before = s.fake.requests().len();
    let e = s.session.set_webhooks(None).expect_err("plain http");
    assert_eq!(e.code(), ErrorCode::WebhookUrl);
    assert!(e.to_string().contains("https://"), "{e}");
    assert_eq!(
        s.fake.requests().len(),
        before,
        "refused before asking sipgate"
    );

    // sipgate Neo: webhooks are set per channel in the web app; the API refuses the write.
    s.fake
        .state()
        .faults
        .insert("PUT /settings/sipgateio".into(), Fault::Status(403));
    let e = s
        .session
        .set_webhooks(Some("https://user:secret@klingel.example/"))
        .expect_err("refused");
    assert_eq!(e.code(), ErrorCode::SipgateRefused);
    let message = e.to_string();
    assert!(
        message.contains("Neo") && message.contains("web app"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");

    // sipgate refusing the URL itself (Neo takes only https).
    s.fake.state().faults.clear();
    s.fake.state().neo = true;
    s.fake
        .state()
        .faults
        .insert("PUT /settings/sipgateio".into(), Fault::Status(400));
    let e = s
        .session
        .set_webhooks(Some("https://klingel.example/"))
        .expect_err("400");
    assert!(e.to_string().contains("(400)"), "{e}");

    let none = setup(|_| {});
    none.session
        .connect_account(TOKEN_ID, TOKEN)
        .expect("connects");
    let e = none.session.set_webhooks(None).expect_err("no public URL");
    assert!(e.to_string().contains("public_url"), "{e}");
    let disconnected = setup(public);
    let e = disconnected
        .session
        .set_webhooks(None)
        .expect_err("not connected");
    assert_eq!(e.code(), ErrorCode::AccountNotConnected);
}

#[test]
fn an_outage_keeps_the_cached_account_and_becomes_one_status_line() {
    let s = setup(|_| {});
    s.session
        .connect_account(TOKEN_ID, TOKEN)
        .expect("connects");
    for fault in [Fault::Status(503), Fault::Status(429), Fault::Malformed] {
        s.fake
            .state()
            .faults
            .insert("GET /authorization/userinfo".into(), fault.clone());
        let e = s.session.refresh_account().expect_err("down");
        assert_eq!(e.code(), ErrorCode::SipgateUnavailable, "{fault:?}: {e}");
        let status = s.session.account_status();
        assert_eq!(
            status.user_name.as_deref(),
            Some("Max Muster"),
            "names stay known"
        );
        assert_eq!(status.problem, Some(e.to_string()), "{fault:?}");
    }
    s.fake.state().faults.clear();
    let status = s.session.refresh_account().expect("back");
    assert_eq!(status.problem, None, "a good refresh clears the problem");

    // A users list that fails on its own leaves the rest read.
    s.fake
        .state()
        .faults
        .insert("GET /users".into(), Fault::Status(500));
    let status = s.session.refresh_account().expect("partly");
    let people = status
        .capabilities
        .iter()
        .find(|c| c.key == "people")
        .expect("people");
    assert_eq!(people.state, CapabilityState::Failed);
    assert!(people.detail.as_deref().unwrap_or_default().contains("500"));
    assert_eq!(status.counts.groups, 1);
}

#[test]
fn a_call_is_placed_from_the_users_default_device() {
    let s = setup(|_| {});
    let e = s
        .session
        .dial("0211 5550", None)
        .expect_err("not connected");
    assert_eq!(e.code(), ErrorCode::AccountNotConnected);
    s.session
        .connect_account(TOKEN_ID, TOKEN)
        .expect("connects");

    let dialed = s.session.dial("0211 5550", None).expect("placed");
    assert_eq!(dialed.device, "e1", "Max's default device");
    let dial = s
        .session
        .account_status()
        .capabilities
        .into_iter()
        .find(|c| c.key == "dial")
        .expect("dial");
    assert_eq!(
        dial.state,
        CapabilityState::Ok,
        "a placed call shows the token may dial"
    );
    assert_eq!(dialed.callee, "+492115550");
    let post = s
        .fake
        .state()
        .journal
        .iter()
        .rev()
        .find(|r| r.path == "/sessions/calls")
        .map(|r| r.body.clone())
        .expect("a POST");
    assert_eq!(
        serde_json::from_str::<Value>(&post).expect("JSON"),
        json!({"caller": "e1", "callee": "+492115550", "deviceId": "e1"})
    );
    assert!(
        s.fake.state().live_calls.contains(&dialed.session_id),
        "the session id is the call's id"
    );

    let other = s
        .session
        .dial("030 1234", Some("y2"))
        .expect("another device");
    assert_eq!(other.device, "y2");
    assert_eq!(
        s.session.dial("12", None).expect_err("no number").code(),
        ErrorCode::InvalidNumber
    );
    s.fake
        .state()
        .faults
        .insert("POST /sessions/calls".into(), Fault::Status(402));
    let broke = s.session.dial("0211 5550", None).expect_err("402");
    assert_eq!(broke.code(), ErrorCode::SipgateRefused);
    assert!(broke.to_string().contains("balance"), "{broke}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejecting_a_ringing_call_ends_it_at_sipgate_and_a_caller_gone_is_no_error() {
    let (s, url) = listening(|_| {}).await;
    tokio::task::spawn_blocking(move || {
        ureq::post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send("event=newCall&direction=in&from=492115550&to=4921155500000&callId=RING1&user%5B%5D=Max")
            .expect("push accepted");
    })
    .await
    .expect("push");
    let key = tokio::task::block_in_place(|| {
        s.session
            .calls(&klingel_core::domain::CallFilter::default())
            .expect("log")
            .first()
            .map(|c| c.id)
            .expect("the call is logged")
    });
    s.fake.state().live_calls.insert("RING1".into());
    tokio::task::block_in_place(|| {
        assert_eq!(
            s.session
                .reject_call(key)
                .expect_err("not connected")
                .code(),
            ErrorCode::AccountNotConnected
        );
        s.session
            .connect_account(TOKEN_ID, TOKEN)
            .expect("connects");
        assert_eq!(
            s.session.reject_call(key).expect("rejected"),
            klingel_core::session::Rejected::Ended
        );
        assert!(s
            .fake
            .requests()
            .contains(&"DELETE /calls/RING1".to_string()));
        assert_eq!(
            s.session.reject_call(key).expect("the caller is gone"),
            klingel_core::session::Rejected::AlreadyOver,
            "a 404 means the caller hung up meanwhile"
        );
        s.fake.state().live_calls.insert("RING1".into());
        s.fake
            .state()
            .faults
            .insert("DELETE /calls/RING1".into(), Fault::Status(403));
        let refused = s.session.reject_call(key).expect_err("no rtcm:write");
        assert_eq!(refused.code(), ErrorCode::SipgateRefused);
    });
    s.session.shutdown().await;
}

/// A session listening on loopback with signatures off (pushes are posted raw), and its URL.
async fn listening(configure: impl FnOnce(&mut Settings)) -> (Setup, String) {
    let s = tokio::task::block_in_place(|| {
        setup(|settings| {
            settings.listener.address = "127.0.0.1:0".parse().expect("loopback");
            settings.listener.verify_signature = false;
            configure(settings);
        })
    });
    let status = s.session.start().await.expect("listening");
    let url = format!("http://{}/", status.address);
    (s, url)
}

/// Posts form pushes to a listener, one after the other.
async fn post_all(url: String, bodies: &'static [&'static str]) {
    tokio::task::spawn_blocking(move || {
        for body in bodies {
            ureq::post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(*body)
                .expect("push accepted");
        }
    })
    .await
    .expect("pushes");
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_hangup_is_repaired_from_the_history_and_unseen_calls_are_added() {
    let (s, url) = listening(|settings| {
        // Calls count as overdue at once, so the test need not wait out the grace period.
        settings.calls.repair_after_secs = 0;
    })
    .await;
    post_all(
        url.clone(),
        &[
            "event=newCall&direction=in&from=492115550&to=4921155500000&callId=TALK1&user%5B%5D=Max&userId%5B%5D=w1",
            "event=answer&direction=in&from=492115550&to=4921155500000&callId=TALK1&user=Max&userId=w1",
            "event=newCall&direction=in&from=4930999&to=4921155500000&callId=RING2&user%5B%5D=Max",
        ],
    )
    .await;
    let open = tokio::task::block_in_place(|| {
        s.session
            .calls(&klingel_core::domain::CallFilter::default())
            .expect("log")
    });
    assert_eq!(open.len(), 2);
    assert!(
        open.iter().all(|c| c.summary.ended_at.is_none()),
        "no hangup came"
    );
    let started = |remote: &str| {
        open.iter()
            .find(|c| c.remote_e164.as_deref() == Some(remote))
            .map(|c| c.summary.started_at)
            .expect("logged")
    };
    let now = time::OffsetDateTime::now_utc();
    s.fake.state().history = vec![
        json!({"id": "4", "type": "SMS", "created": rfc3339(now), "source": "+4940777"}),
        json!({"id": "3", "callId": "AWAY3", "type": "CALL", "direction": "INCOMING", "status": "PICKUP",
               "source": "+4940777", "target": "+4921155500000", "created": rfc3339(now - time::Duration::minutes(10)),
               "duration": 30, "callStatus": "SUCCESS"}),
        // No call id: found by number and time (the push had no '+', the history has).
        json!({"id": "2", "type": "CALL", "direction": "MISSED_INCOMING", "status": "NOPICKUP",
               "source": "+4930999", "target": "+4921155500000",
               "created": rfc3339(started("+4930999") + time::Duration::seconds(20))}),
        json!({"id": "1", "callId": "TALK1", "type": "CALL", "direction": "INCOMING", "status": "PICKUP",
               "source": "+492115550", "target": "+4921155500000", "created": rfc3339(started("+492115550")),
               "duration": 83, "callStatus": "SUCCESS", "recordings": []}),
        json!({"id": "0", "callId": "LONGAGO", "type": "CALL", "direction": "INCOMING", "status": "PICKUP",
               "source": "+4989111", "target": "+4921155500000", "created": rfc3339(now - time::Duration::days(10)),
               "duration": 5}),
    ];
    let mut updates = s.session.subscribe();
    let repairs = tokio::task::block_in_place(|| {
        s.session
            .connect_account(TOKEN_ID, TOKEN)
            .expect("connects");
        s.session.reconcile_calls().expect("repaired")
    });
    assert_eq!(
        (repairs.checked, repairs.repaired, repairs.added),
        (3, 2, 1),
        "{repairs:?}"
    );
    let history_query = s
        .fake
        .state()
        .journal
        .iter()
        .rev()
        .find(|r| r.path == "/history")
        .map(|r| r.query.clone())
        .expect("history asked");
    assert!(
        history_query.contains("types=CALL") && history_query.contains("from="),
        "{history_query}"
    );

    let calls = tokio::task::block_in_place(|| {
        s.session
            .calls(&klingel_core::domain::CallFilter::default())
            .expect("log")
    });
    let by_remote = |remote: &str| {
        calls
            .iter()
            .find(|c| c.remote_e164.as_deref() == Some(remote))
            .unwrap_or_else(|| panic!("{remote} in {calls:#?}"))
    };
    let talk = by_remote("+492115550");
    assert_eq!(talk.talk_seconds, Some(83), "the real duration");
    assert_eq!(talk.outcome.code.as_str(), "answered");
    assert!(talk.summary.repaired && !talk.summary.expired);
    let missed = by_remote("+4930999");
    assert_eq!(missed.outcome.code.as_str(), "missed");
    assert!(missed.summary.ended_at.is_some() && missed.summary.repaired);
    let away = by_remote("+4940777");
    assert!(
        away.summary.from_history,
        "marked as coming from the history"
    );
    assert_eq!(away.talk_seconds, Some(30));
    assert!(
        !calls
            .iter()
            .any(|c| c.remote_e164.as_deref() == Some("+4989111")),
        "nothing older than the window"
    );

    let causes: Vec<_> = std::iter::from_fn(|| updates.try_recv().ok())
        .filter_map(|u| match u {
            klingel_core::Update::Call(call) => Some(call.cause),
            _ => None,
        })
        .collect();
    assert_eq!(causes.len(), 3);
    assert!(causes
        .iter()
        .all(|c| *c == klingel_core::UpdateCause::Repaired));

    let again = tokio::task::block_in_place(|| s.session.reconcile_calls().expect("again"));
    assert_eq!(
        (again.repaired, again.added),
        (0, 0),
        "a second run changes nothing"
    );
    s.session.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipgates_echo_of_a_placed_call_never_pops_up_as_a_caller() {
    use klingel_core::popup::{popup_for, PopupAction};
    let (s, url) = listening(|_| {}).await;
    tokio::task::block_in_place(|| s.session.connect_account(TOKEN_ID, TOKEN)).expect("connects");
    let settings = s.session.settings();
    let mut updates = s.session.subscribe();
    let actions = |updates: &mut tokio::sync::broadcast::Receiver<klingel_core::Update>| {
        std::iter::from_fn(|| updates.try_recv().ok())
            .filter_map(|u| match u {
                klingel_core::Update::Call(call) => Some(popup_for(
                    &call,
                    klingel_core::config::Language::En,
                    &settings.popups,
                    &settings.numbers,
                )),
                _ => None,
            })
            .collect::<Vec<_>>()
    };

    // The usual order: sipgate answers the request, then echoes the call to one's phone.
    s.fake.state().next_session_id = Some("DIAL1".into());
    tokio::task::block_in_place(|| s.session.dial("0211 5550", None)).expect("placed");
    post_all(
        url.clone(),
        &[
            "event=newCall&direction=in&from=492115550&to=4921155500000&callId=DIAL1&user%5B%5D=Max",
            "event=hangup&callId=DIAL1&cause=cancel",
        ],
    )
    .await;
    let seen = actions(&mut updates);
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|a| matches!(a, PopupAction::Nothing | PopupAction::Close)),
        "no popup, no missed notice: {seen:?}"
    );
    let call = tokio::task::block_in_place(|| {
        s.session
            .calls(&klingel_core::domain::CallFilter::default())
            .expect("log")
            .remove(0)
    });
    assert!(call.summary.click_to_call);
    assert_ne!(
        call.outcome.code.as_str(),
        "missed",
        "one's own phone not picked up is no missed call"
    );

    // The echo first: its popup shows, and closes once the call turns out to be one's own.
    post_all(
        url,
        &["event=newCall&direction=in&from=492115551&to=4921155500000&callId=DIAL2&user%5B%5D=Max"],
    )
    .await;
    assert!(matches!(actions(&mut updates)[..], [PopupAction::Show(_)]));
    s.fake.state().next_session_id = Some("DIAL2".into());
    tokio::task::block_in_place(|| s.session.dial("0211 5551", None)).expect("placed");
    assert_eq!(actions(&mut updates), [PopupAction::Close]);
    s.session.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_and_popups_name_people_and_lines_as_the_account_does() {
    use klingel_core::popup::{popup_for, PopupAction};
    let (s, url) = listening(|_| {}).await;
    tokio::task::block_in_place(|| s.session.connect_account(TOKEN_ID, TOKEN)).expect("connects");
    let settings = s.session.settings();
    let mut updates = s.session.subscribe();
    post_all(
        url.clone(),
        &[
            "event=newCall&direction=in&from=4930111&to=49211123456&callId=N1&user%5B%5D=Max&user%5B%5D=Ada&userId%5B%5D=w1&userId%5B%5D=w0",
            "event=answer&callId=N1&user=Max&userId=w1",
            "event=hangup&callId=N1&cause=normalClearing",
            "event=newCall&direction=in&from=4930112&to=49211123457&callId=N2&user%5B%5D=Bob&userId%5B%5D=w9",
        ],
    )
    .await;
    let first = std::iter::from_fn(|| updates.try_recv().ok())
        .find_map(|u| match u {
            klingel_core::Update::Call(call) => Some(call),
            _ => None,
        })
        .expect("an update");
    match popup_for(
        &first,
        klingel_core::config::Language::En,
        &settings.popups,
        &settings.numbers,
    ) {
        PopupAction::Show(text) => {
            let all = format!("{} {}", text.summary, text.body);
            assert!(all.contains("Support"), "the line by its name: {all}");
        }
        other => panic!("a popup: {other:?}"),
    }

    let log = |s: &Setup| {
        tokio::task::block_in_place(|| {
            s.session
                .calls(&klingel_core::domain::CallFilter::default())
                .expect("log")
        })
    };
    let calls = log(&s);
    let named = calls
        .iter()
        .find(|c| c.remote_e164.as_deref() == Some("+4930111"))
        .expect("N1");
    assert_eq!(named.rung, ["Max Muster", "Ada Lovelace"]);
    assert_eq!(named.line_display.as_deref(), Some("Support"));
    assert_eq!(
        named.outcome.by.as_deref(),
        Some("Max Muster"),
        "answered by Max Muster"
    );
    assert_eq!(
        named.summary.users,
        ["Max", "Ada"],
        "the pushes' own words are kept"
    );
    let unnamed = calls
        .iter()
        .find(|c| c.remote_e164.as_deref() == Some("+4930112"))
        .expect("N2");
    assert_eq!(
        unnamed.rung,
        ["Bob"],
        "an id the account does not know keeps its pushed name"
    );
    assert_eq!(
        unnamed.line_display.as_deref(),
        Some("0211 123457"),
        "a number that leads nowhere is shown as a number"
    );
    let mut by_name = settings.popups.clone();
    by_name.mode = klingel_core::config::PopupMode::Users;
    by_name.users = vec!["max muster".into()];
    assert!(
        klingel_core::popup::passes_filter(named, &by_name),
        "the popup filter knows people by the account's names"
    );
    let found = tokio::task::block_in_place(|| {
        s.session
            .calls(&klingel_core::domain::CallFilter {
                search: Some("lovelace".into()),
                ..Default::default()
            })
            .expect("search")
    });
    assert_eq!(found.len(), 1, "the account's names are found too");

    tokio::task::block_in_place(|| s.session.disconnect_account()).expect("disconnect");
    let calls = log(&s);
    let named = calls
        .iter()
        .find(|c| c.remote_e164.as_deref() == Some("+4930111"))
        .expect("N1");
    assert_eq!(
        named.rung,
        ["Max", "Ada"],
        "without the account, as the pushes said"
    );
    assert_eq!(named.line_display.as_deref(), Some("0211 123456"));
    s.session.shutdown().await;
}
