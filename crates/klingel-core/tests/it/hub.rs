//! The office hub's API in process: a session with the hub on (plain HTTP on loopback, as
//! behind a reverse proxy), desks as [`HubClient`]s over real HTTP.

use std::time::Duration;

use axum::http::Method;
use klingel_core::hub::client::{ClientError, HubClient};
use klingel_core::hub::sse::SseItem;
use klingel_core::hub::wire::WireContact;
use klingel_core::{Paths, Session, Settings};
use serde_json::{json, Value};

struct Hub {
    dir: tempfile::TempDir,
    session: Session,
    url: String,
}

impl Hub {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::default();
        settings.listener.address = "127.0.0.1:0".parse().expect("loopback");
        settings.listener.verify_signature = false;
        settings.hub.enabled = true;
        settings.hub.behind_proxy = true;
        let paths = Paths {
            config_file: dir.path().join("klingel.toml"),
            data_dir: dir.path().join("data"),
        };
        let session =
            tokio::task::block_in_place(|| Session::open(paths, settings)).expect("session");
        let status = session.start().await.expect("start");
        let url = format!("http://{}", status.address);
        Self { dir, session, url }
    }

    fn desk(&self, name: &str, users: &[&str]) -> HubClient {
        let users: Vec<String> = users.iter().map(|u| u.to_string()).collect();
        let (_, token) = tokio::task::block_in_place(|| self.session.add_desk(name, &users, false))
            .expect("add desk");
        HubClient::new(&self.url, &token, None).expect("client")
    }

    /// Posts a push body (signatures are off); returns the status.
    async fn push(&self, body: &str) -> u16 {
        let (url, body) = (format!("{}/", self.url), body.to_string());
        tokio::task::spawn_blocking(move || {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent()
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(&body)
                .map(|r| r.status().as_u16())
                .expect("push answered")
        })
        .await
        .expect("push task")
    }

    async fn missed_call(&self, id: &str, from: &str) {
        let ring = format!(
            "event=newCall&direction=in&from={from}&to=4921199999&callId={id}\
             &user%5B%5D=Anna&userId%5B%5D=w0"
        );
        assert_eq!(self.push(&ring).await, 200);
        let hangup = format!("event=hangup&cause=cancel&callId={id}");
        assert_eq!(self.push(&hangup).await, 200);
    }

    fn database(&self) -> std::path::PathBuf {
        self.dir.path().join("data").join("klingel.sqlite3")
    }
}

fn status_of<T: std::fmt::Debug>(result: &Result<T, ClientError>) -> u16 {
    match result {
        Ok(_) => 200,
        Err(ClientError::Status { status, .. }) => *status,
        Err(e) => panic!("unexpected: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desks_editing_one_contact_one_wins_and_the_other_learns_the_current_record() {
    let hub = Hub::start().await;
    let (anna, bob) = (hub.desk("Anna", &["w0"]), hub.desk("Bob", &["w1"]));
    let erika = json!({"name": "Erika Mustermann", "company": "Muster GmbH",
                       "numbers": [{"label": "work", "typed": "0211 1234567"}]});
    let (created, etag): (WireContact, _) = anna
        .json(Method::POST, "/api/v1/contacts", Some(&erika), None)
        .await
        .expect("created");
    let etag = etag.expect("an ETag");
    assert_eq!(etag, format!("\"v{}\"", created.v));
    assert_eq!(created.contact.numbers[0].e164, "+492111234567");
    let path = format!("/api/v1/contacts/{}", created.contact.id);

    let mut by_anna = erika.clone();
    by_anna["company"] = json!("Muster AG");
    let mut by_bob = erika.clone();
    by_bob["notes"] = json!("calls on Mondays");
    let (a, b) = tokio::join!(
        anna.json::<WireContact>(Method::PUT, &path, Some(&by_anna), Some(&etag)),
        bob.json::<WireContact>(Method::PUT, &path, Some(&by_bob), Some(&etag)),
    );
    let mut statuses = [status_of(&a), status_of(&b)];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "one writer wins: {a:?} {b:?}");
    let (winner, loser) = if a.is_ok() { (a, b) } else { (b, a) };
    let (winner, new_tag) = winner.expect("winner");
    match loser {
        Err(ClientError::Status { body, .. }) => {
            assert_eq!(body["code"], "stale_version");
            assert_eq!(
                body["current"]["v"],
                json!(winner.v),
                "412 carries the current record"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(new_tag.expect("new ETag"), format!("\"v{}\"", winner.v));

    let unconditional = anna
        .json::<Value>(Method::PUT, &path, Some(&by_anna), None)
        .await;
    assert_eq!(status_of(&unconditional), 428);
    let bad_number = json!({"name": "X", "numbers": [{"typed": "12"}]});
    match anna
        .json::<Value>(Method::POST, "/api/v1/contacts", Some(&bad_number), None)
        .await
    {
        Err(ClientError::Status { status, body, .. }) => {
            assert_eq!(status, 422);
            assert_eq!(body["code"], "invalid_number");
            assert_eq!(body["field"]["position"], 1);
        }
        other => panic!("a bad number must be refused: {other:?}"),
    }
    let (why, _): (Value, _) = bob
        .json(
            Method::GET,
            "/api/v1/lookup?number=%2B49%20211%201234567",
            None,
            None,
        )
        .await
        .expect("lookup");
    assert_eq!(why["e164"], "+492111234567");
    assert_eq!(why["match"]["contact"]["name"], "Erika Mustermann");
    assert_eq!(why["match"]["number"]["e164"], "+492111234567");
    let stale_delete = anna
        .json::<Value>(Method::DELETE, &path, None, Some(&etag))
        .await;
    assert_eq!(status_of(&stale_delete), 412);
    let current = format!("\"v{}\"", winner.v);
    let deleted = anna
        .json::<Value>(Method::DELETE, &path, None, Some(&current))
        .await;
    assert_eq!(status_of(&deleted), 200, "204 No Content: {deleted:?}");
    let gone = anna.json::<Value>(Method::GET, &path, None, None).await;
    assert_eq!(status_of(&gone), 404);
    hub.session.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_desks_marking_one_missed_call_one_wins_and_the_rest_learn_who() {
    let hub = Hub::start().await;
    hub.missed_call("m1", "492111234567").await;
    let desks: Vec<HubClient> = (0..20)
        .map(|i| hub.desk(&format!("Desk {i}"), &[]))
        .collect();
    let (page, _): (Value, _) = desks[0]
        .json(Method::GET, "/api/v1/calls?missed=true", None, None)
        .await
        .expect("missed calls");
    let call = page["calls"][0]["id"].as_i64().expect("a missed call");
    let path = format!("/api/v1/calls/{call}/handle");
    let body = json!({"how": "called_back", "note": "rang back"});
    let results = futures_util::future::join_all(
        desks
            .iter()
            .map(|desk| desk.json::<Value>(Method::POST, &path, Some(&body), None)),
    )
    .await;
    let winners: Vec<&Value> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|(v, _)| v)
        .collect();
    assert_eq!(winners.len(), 1, "first writer wins");
    let winner = winners[0]["call"]["handled"]["by_name"]
        .as_str()
        .expect("winner")
        .to_string();
    for result in &results {
        if let Err(e) = result {
            match e {
                ClientError::Status { status, body, .. } => {
                    assert_eq!(*status, 409);
                    assert_eq!(body["code"], "already_handled");
                    assert_eq!(
                        body["handled"]["by_name"],
                        json!(winner),
                        "names the winner"
                    );
                }
                other => panic!("{other}"),
            }
        }
    }
    let (one, _): (Value, _) = desks[3]
        .json(Method::GET, &format!("/api/v1/calls/{call}"), None, None)
        .await
        .expect("the call");
    assert_eq!(one["handled"]["how"], "called_back");
    assert_eq!(one["handled"]["note"], "rang back");

    hub.push("event=newCall&direction=out&from=4921199999&to=492111234567&callId=o1")
        .await;
    let (page, _): (Value, _) = desks[0]
        .json(Method::GET, "/api/v1/calls", None, None)
        .await
        .expect("calls");
    let outgoing = page["calls"][0]["id"].as_i64().expect("outgoing");
    let refused = desks[0]
        .json::<Value>(
            Method::POST,
            &format!("/api/v1/calls/{outgoing}/handle"),
            Some(&json!({"how": "done"})),
            None,
        )
        .await;
    assert_eq!(status_of(&refused), 422, "only missed calls are a to-do");
    hub.session.shutdown().await;
}

/// Reads stream items until `done` holds for the events read (bounded).
async fn read_until(
    stream: &mut klingel_core::hub::client::EventStream,
    done: impl Fn(&[(String, Option<i64>, Value)]) -> bool,
) -> Vec<(String, Option<i64>, Value)> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(&events) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stream never showed it: {events:?}"
        );
        if let Some(SseItem::Event(e)) = stream
            .next(Duration::from_secs(10))
            .await
            .expect("stream alive")
        {
            let seq = e
                .has_id
                .then(|| e.id.and_then(|id| id.parse().ok()))
                .flatten();
            let data = serde_json::from_str(&e.data).unwrap_or(Value::Null);
            events.push((e.event, seq, data));
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_added_by_another_process_relabels_the_call_on_open_streams() {
    let hub = Hub::start().await;
    let anna = hub.desk("Anna", &["w0"]);
    hub.missed_call("c1", "492111234567").await;
    let mut stream = anna.events(None).await.expect("stream");
    read_until(&mut stream, |e| {
        e.iter().any(|(name, _, _)| name == "synced")
    })
    .await;

    // Another process (the CLI) writes to the same database with a connection of its own.
    let other = klingel_core::Store::open(&hub.database()).expect("second connection");
    let started = std::time::Instant::now();
    tokio::task::block_in_place(|| {
        other.add_contact(
            &klingel_core::domain::ContactInput {
                name: "Erika Mustermann".into(),
                numbers: vec![klingel_core::domain::NumberInput {
                    number: "0211 1234567".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            klingel_core::Region::DE,
        )
    })
    .expect("add from the other process");
    let events = read_until(&mut stream, |e| {
        e.iter()
            .any(|(name, _, data)| name == "call" && data["contact"].is_object())
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "within a second: {:?}",
        started.elapsed()
    );
    let names: Vec<&str> = events.iter().map(|(n, _, _)| n.as_str()).collect();
    assert!(names.contains(&"contact"), "{names:?}");
    let call = events.iter().find(|(n, _, _)| n == "call").expect("call");
    assert_eq!(call.2["contact"]["contact"]["name"], "Erika Mustermann");
    let seqs: Vec<i64> = events.iter().filter_map(|(_, s, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    hub.session.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_that_never_reads_holds_back_neither_pushes_nor_other_desks() {
    use tokio::io::AsyncWriteExt as _;

    let hub = Hub::start().await;
    let reader = hub.desk("Reader", &["w0"]);
    let (_, stalled_token) =
        tokio::task::block_in_place(|| hub.session.add_desk("Stalled", &[], false)).expect("desk");
    let address = hub.url.trim_start_matches("http://").to_string();
    // A tiny receive window, so the hub's writes back up after a few events.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small buffer");
    let mut stalled = socket
        .connect(address.parse().expect("address"))
        .await
        .expect("connect");
    stalled
        .write_all(
            format!(
                "GET /api/v1/events?since=0 HTTP/1.1\r\nHost: {address}\r\n\
                 Authorization: Bearer {stalled_token}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("request");
    let mut stream = reader.events(None).await.expect("stream");
    read_until(&mut stream, |e| {
        e.iter().any(|(name, _, _)| name == "synced")
    })
    .await;

    let calls = 400;
    for i in 0..calls {
        hub.missed_call(&format!("s{i}"), &format!("4921140{i:05}"))
            .await;
    }
    let head = tokio::task::block_in_place(|| hub.session.head_seq()).expect("head");
    let events = read_until(&mut stream, |e| {
        e.iter().any(|(_, seq, _)| *seq == Some(head))
    })
    .await;
    let ids: std::collections::HashSet<i64> = events
        .iter()
        .filter(|(_, _, data)| data["state"] == "missed")
        .filter_map(|(_, _, data)| data["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), calls, "the reading desk got every call");
    drop(stalled);
    hub.session.shutdown().await;
}

/// Waits (bounded) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_connected_to_a_hub_reads_and_writes_the_offices_data() {
    use klingel_core::domain::{CallFilter, ContactInput, HandledHow, NumberInput};

    let hub = Hub::start().await;
    hub.missed_call("d1", "492111234567").await;
    let (_, token) =
        tokio::task::block_in_place(|| hub.session.add_desk("Anna", &["w0".to_string()], false))
            .expect("desk");
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = Paths {
        config_file: dir.path().join("klingel.toml"),
        data_dir: dir.path().join("data"),
    };
    let mut settings = Settings::default();
    settings.listener.address = "127.0.0.1:0".parse().expect("loopback");
    let desk = tokio::task::block_in_place(|| Session::open(paths, settings)).expect("desk");
    desk.start().await.expect("listens before it connects");

    let refused = desk.connect_hub(&hub.url, "kl1_1_wrong", None).await;
    assert!(refused.is_err(), "a wrong token changes nothing");
    assert!(desk.desk_status().is_none());

    let status = desk
        .connect_hub(&hub.url, &token, None)
        .await
        .expect("connects");
    assert_eq!(status.hub_url, hub.url);
    let saved = std::fs::read_to_string(dir.path().join("desk-token")).expect("token file");
    assert_eq!(saved, token);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("desk-token"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner reads the token");
    }
    let settings_text = std::fs::read_to_string(dir.path().join("klingel.toml")).expect("toml");
    assert!(
        !settings_text.contains(&token),
        "the token stays out of the settings"
    );

    eventually("the hub's missed call at the desk", || {
        tokio::task::block_in_place(|| desk.calls_page(&CallFilter::default()))
            .is_ok_and(|page| page.calls.len() == 1)
    })
    .await;
    let call = tokio::task::block_in_place(|| desk.calls_page(&CallFilter::default()))
        .expect("page")
        .calls[0]
        .clone();
    assert_eq!(
        tokio::task::block_in_place(|| desk.unseen_missed()).expect("count"),
        1
    );
    let handled = tokio::task::block_in_place(|| {
        desk.handle_call(call.id, HandledHow::CalledBack, "spoke to her")
    })
    .expect("handled at the hub");
    assert_eq!(handled.handled.as_ref().expect("handled").by_name, "Anna");
    assert_eq!(
        tokio::task::block_in_place(|| desk.unseen_missed()).expect("count"),
        0
    );
    let again = tokio::task::block_in_place(|| desk.handle_call(call.id, HandledHow::Done, ""));
    assert_eq!(
        again.expect_err("second time").code(),
        klingel_core::ErrorCode::AlreadyHandled
    );

    // Contacts live at the hub: an edit based on an old copy is refused, not lost.
    let erika = ContactInput {
        name: "Erika".into(),
        numbers: vec![NumberInput {
            number: "0211 1234567".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let added = tokio::task::block_in_place(|| desk.add_contact(&erika)).expect("added at the hub");
    let on_hub = tokio::task::block_in_place(|| hub.session.contact(added.id)).expect("on hub");
    assert_eq!(on_hub.name, "Erika");
    let mut elsewhere = erika.clone();
    elsewhere.company = "changed at another desk".into();
    tokio::task::block_in_place(|| hub.session.update_contact(added.id, &elsewhere))
        .expect("edit elsewhere");
    let mut mine = erika.clone();
    mine.notes = "mine".into();
    let stale = tokio::task::block_in_place(|| desk.update_contact(added.id, &mine));
    assert_eq!(
        stale.expect_err("stale edit").code(),
        klingel_core::ErrorCode::StaleVersion
    );

    desk.disconnect_hub().await.expect("leaves");
    assert!(desk.desk_status().is_none());
    assert!(!dir.path().join("desk-token").exists());
    desk.shutdown().await;
    hub.session.shutdown().await;
}
