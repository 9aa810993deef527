//! Contacts, lookup, leg linking, expiry and the request log, on a real SQLite file.

use klingel_core::calls::CallState;
use klingel_core::config::NumbersConfig;
use klingel_core::domain::{
    CallFilter, CallKey, ContactInput, MatchKind, NumberInput, RequestRecord,
};
use klingel_core::monitor::Decision;
use klingel_core::sipgate::{parse, BodyFormat, Parsed, Push};
use klingel_core::store::StoreError;
use klingel_core::{Monitor, PhoneNumber, Region, Settings, Update, UpdateCause};
use time::OffsetDateTime;

use crate::support::temp_store;

fn push(body: &str) -> Push {
    match parse(body.as_bytes(), BodyFormat::Form) {
        Ok(Parsed::Push(push)) => push,
        other => panic!("test body must parse: {other:?}"),
    }
}

fn record(body: &str) -> RequestRecord {
    let mut record = RequestRecord::received("POST", "/", OffsetDateTime::UNIX_EPOCH);
    record.body = body.into();
    record
}

fn t(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000 + secs).expect("time")
}

fn number(typed: &str) -> NumberInput {
    NumberInput {
        number: typed.into(),
        ..Default::default()
    }
}

fn contact(name: &str, company: &str, numbers: Vec<NumberInput>) -> ContactInput {
    ContactInput {
        name: name.into(),
        company: company.into(),
        numbers,
        ..Default::default()
    }
}

fn monitor() -> (tempfile::TempDir, Monitor) {
    let (dir, store, _) = temp_store();
    (dir, Monitor::new(store, &Settings::default()))
}

fn apply(monitor: &Monitor, body: &str, at: OffsetDateTime) -> klingel_core::monitor::Applied {
    monitor
        .apply(&push(body), record(body), at)
        .expect("apply push")
}

fn log(monitor: &Monitor) -> Vec<klingel_core::domain::CallEntry> {
    monitor
        .store()
        .calls(&CallFilter::default(), &NumbersConfig::default())
        .expect("calls")
}

#[test]
fn any_written_form_finds_the_contact() {
    let (_dir, store, _) = temp_store();
    store
        .add_contact(
            &contact("Alice Example", "ACME GmbH", vec![number("0211 1234567")]),
            Region::DE,
        )
        .expect("add");
    for typed in [
        "0211 1234567",
        "+49 (0)211 123 45-67",
        "0049 211 1234567",
        "0211/1234567",
        "492111234567",
    ] {
        let n = PhoneNumber::parse(typed, Region::DE).expect("parses");
        let hit = store
            .lookup(&n)
            .expect("lookup")
            .unwrap_or_else(|| panic!("{typed} must find Alice"));
        assert_eq!(hit.contact.name, "Alice Example");
        assert_eq!(hit.kind, MatchKind::Exact);
    }
}

#[test]
fn switchboard_matches_extensions_by_longest_prefix() {
    let (_dir, store, _) = temp_store();
    let switchboard = |n: &str| NumberInput {
        number: n.into(),
        switchboard: true,
        ..Default::default()
    };
    store
        .add_contact(
            &contact("Head Office", "ACME", vec![switchboard("0211 12345-0")]),
            Region::DE,
        )
        .expect("add");
    store
        .add_contact(
            &contact("Sales Dept", "ACME", vec![switchboard("0211 12345-09")]),
            Region::DE,
        )
        .expect("add");
    store
        .add_contact(
            &contact("Plain", "", vec![number("0211 1234567")]),
            Region::DE,
        )
        .expect("add");
    let find = |typed: &str| {
        store
            .lookup(&PhoneNumber::parse(typed, Region::DE).expect("parses"))
            .expect("lookup")
    };
    let hit = find("+4921112345099").expect("an extension under a switchboard matches");
    assert_eq!(hit.contact.name, "Sales Dept", "the longest prefix wins");
    assert_eq!(hit.kind, MatchKind::Switchboard);
    assert_eq!(
        find("+492111234501").expect("matches").contact.name,
        "Head Office"
    );
    assert_eq!(
        find("0211 1234567").expect("exact").kind,
        MatchKind::Exact,
        "exact beats prefix"
    );
    assert!(
        find("0211 1299999").is_none(),
        "numbers outside every switchboard match nothing"
    );
    assert_eq!(
        find("0211 12345-77")
            .expect("an extension replacing the switchboard's -0")
            .contact
            .name,
        "Head Office",
        "0211 12345-0 is reached from 0211 12345-77"
    );
}

#[test]
fn search_finds_by_name_company_and_number_ignoring_case() {
    let (_dir, store, _) = temp_store();
    store
        .add_contact(
            &contact(
                "Jörg Müller",
                "Bäckerei Schmidt",
                vec![number("0171 2345678")],
            ),
            Region::DE,
        )
        .expect("add");
    store
        .add_contact(
            &contact("Alice", "ACME", vec![number("+44 20 7946 0958")]),
            Region::DE,
        )
        .expect("add");
    let names = |q: &str| -> Vec<String> {
        store
            .contacts(Some(q), Region::DE)
            .expect("search")
            .into_iter()
            .map(|c| c.name)
            .collect()
    };
    assert_eq!(
        names("MÜLLER"),
        vec!["Jörg Müller"],
        "case folding works beyond ASCII"
    );
    assert_eq!(
        names("bäckerei"),
        vec!["Jörg Müller"],
        "company is searched"
    );
    assert_eq!(
        names("0171 234"),
        vec!["Jörg Müller"],
        "a national number fragment finds the E.164 key"
    );
    assert_eq!(names("7946"), vec!["Alice"]);
    assert_eq!(
        names("50%"),
        Vec::<String>::new(),
        "LIKE wildcards are taken literally"
    );
    assert_eq!(store.contacts(None, Region::DE).expect("all").len(), 2);
}

#[test]
fn unparseable_number_is_an_error_naming_it_and_nothing_is_stored() {
    let (_dir, store, _) = temp_store();
    let err = store
        .add_contact(
            &contact("Bob", "", vec![number("0211 1234567"), number("call me")]),
            Region::DE,
        )
        .expect_err("a bad number must not be stored silently");
    match &err {
        StoreError::InvalidNumber {
            position, input, ..
        } => {
            assert_eq!(
                (*position, input.as_str()),
                (2, "call me"),
                "the error points at the field"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(
        klingel_core::Error::from(err).code(),
        klingel_core::ErrorCode::InvalidNumber
    );
    assert!(
        store.contacts(None, Region::DE).expect("list").is_empty(),
        "nothing half-written"
    );
    assert!(matches!(
        store.add_contact(&contact("  ", "", vec![]), Region::DE),
        Err(StoreError::EmptyName)
    ));
}

#[test]
fn contact_edits_relabel_the_call_log() {
    let (_dir, monitor) = monitor();
    apply(
        &monitor,
        "event=newCall&direction=in&from=4930123456&to=4921155500000&callId=C1&user%5B%5D=Bob",
        t(0),
    );
    assert!(log(&monitor)[0].contact.is_none(), "unknown at first");
    let store = monitor.store();
    let added = store
        .add_contact(
            &contact("Priya", "Natarajan AG", vec![number("030 123456")]),
            Region::DE,
        )
        .expect("add");
    assert_eq!(
        log(&monitor)[0]
            .contact
            .as_ref()
            .map(|m| m.contact.name.clone()),
        Some("Priya".into()),
        "adding names old calls"
    );
    let mut input = contact(
        "Priya Natarajan",
        "Natarajan AG",
        vec![number("030 123456")],
    );
    input.notes = "prefers mornings".into();
    store
        .update_contact(added.id, &input, Region::DE)
        .expect("update");
    assert_eq!(
        log(&monitor)[0]
            .contact
            .as_ref()
            .map(|m| m.contact.name.clone()),
        Some("Priya Natarajan".into()),
        "renaming relabels the log"
    );
    store.remove_contact(added.id).expect("remove");
    assert!(
        log(&monitor)[0].contact.is_none(),
        "removing the contact leaves the call, unnamed"
    );
    assert!(matches!(
        store.remove_contact(added.id),
        Err(StoreError::ContactNotFound(_))
    ));
}

#[test]
fn forward_to_voicemail_legs_are_linked_into_one_call() {
    let (_dir, monitor) = monitor();
    let a = "54566B150B0C0D3A5D53405450587E5853555B535758555B775F5C5B45514058474144555A56";
    let b = "54566B150B0C0D3A5D50435A5D5A7E5B525551575452535A7C50565745514058474144555A56";
    let xcid = "5aada1e696b94cec";
    apply(&monitor, &format!("event=newCall&direction=in&from=4917812345&to=4920312345&callId={a}&origCallId={a}&user%5B%5D=Oliver&userId%5B%5D=w1&xcid={xcid}"), t(0));
    apply(&monitor, &format!("event=hangup&callId={a}&cause=forwarded&to=4920312345&from=4917812345&direction=in&origCallId={a}&xcid={xcid}"), t(20));
    apply(&monitor, &format!("event=newCall&direction=in&from=4917812345&to=4920312345&callId={b}&origCallId={a}&user%5B%5D=voicemail&xcid={xcid}&diversion=4920312345"), t(21));
    apply(
        &monitor,
        &format!(
            "event=answer&callId={b}&direction=in&user=voicemail&from=4917812345&to=4920312345"
        ),
        t(22),
    );
    apply(
        &monitor,
        &format!("event=hangup&callId={b}&cause=normalClearing&direction=in"),
        t(60),
    );
    let calls = log(&monitor);
    assert_eq!(calls.len(), 1, "a forward is one call, not two: {calls:?}");
    assert_eq!(calls[0].summary.state, CallState::Voicemail);
    assert_eq!(calls[0].path, vec!["Oliver", "voicemail"]);
    assert_eq!(
        monitor
            .store()
            .call_legs(calls[0].id)
            .expect("legs")
            .0
            .len(),
        2
    );
}

#[test]
fn legs_sharing_only_an_xcid_are_linked() {
    let (_dir, monitor) = monitor();
    apply(
        &monitor,
        "event=newCall&direction=in&from=4930111&to=4921155500000&callId=P&user%5B%5D=Doc&xcid=abc",
        t(0),
    );
    apply(&monitor, "event=hangup&callId=P&cause=forwarded", t(5));
    apply(&monitor, "event=newCall&direction=in&from=4930111&to=4921155500000&callId=Q&user%5B%5D=Marty&xcid=abc", t(6));
    apply(&monitor, "event=answer&callId=Q&user=Marty", t(8));
    let calls = log(&monitor);
    assert_eq!(calls.len(), 1, "xcid stays the same over the forward chain");
    assert_eq!(calls[0].summary.answered_by.as_deref(), Some("Marty"));
}

#[test]
fn duplicate_pushes_do_not_duplicate_calls_or_updates() {
    let (_dir, monitor) = monitor();
    let mut updates = monitor.subscribe();
    let body = "event=newCall&direction=in&from=4930111&to=4921155500000&callId=D&user%5B%5D=A";
    assert!(apply(&monitor, body, t(0)).changed);
    assert!(
        !apply(&monitor, body, t(1)).changed,
        "the repeat changes nothing"
    );
    assert_eq!(log(&monitor).len(), 1);
    let mut kinds = Vec::new();
    while let Ok(update) = updates.try_recv() {
        kinds.push(match update {
            Update::Call(_) => "call",
            Update::Request(_) => "request",
            Update::ContactsChanged => "contacts",
            Update::SettingsChanged(_) => "settings",
            Update::Listener(_) => "listener",
            Update::CallsRemoved(_) => "removed",
            Update::Desk(_) => "desk",
        });
    }
    assert_eq!(
        kinds,
        vec!["call", "request", "request"],
        "the first push changes the call; the repeat is only a recorded request"
    );
    assert_eq!(
        monitor.store().request_count().expect("count"),
        2,
        "both requests are on record"
    );
}

#[test]
fn hangup_for_an_unknown_call_is_stored() {
    let (_dir, monitor) = monitor();
    apply(&monitor, "event=hangup&direction=in&callId=1234567890-3&cause=normalClearing&to=4930600000000&from=4912347114711", t(0));
    let calls = log(&monitor);
    assert_eq!(calls.len(), 1, "a lone hangup is not dropped");
    assert_eq!(calls[0].remote_e164.as_deref(), Some("+4912347114711"));
}

#[test]
fn call_without_hangup_expires_and_is_announced() {
    let (_dir, store, _) = temp_store();
    let mut settings = Settings::default();
    settings.calls.ring_timeout_secs = 60;
    let monitor = Monitor::new(store, &settings);
    apply(
        &monitor,
        "event=newCall&direction=in&from=4930111&to=4921155500000&callId=E&user%5B%5D=A",
        t(0),
    );
    let mut updates = monitor.subscribe();
    assert_eq!(monitor.expire_due(t(59)).expect("expire"), 0, "not yet");
    assert_eq!(
        monitor.expire_due(t(60)).expect("expire"),
        1,
        "ringing for the full timeout"
    );
    let Ok(Update::Call(update)) = updates.try_recv() else {
        panic!("expiry must be announced")
    };
    assert_eq!(update.cause, UpdateCause::Expired);
    assert_eq!(update.previous, Some(CallState::Ringing));
    assert_eq!(update.call.summary.state, CallState::Ended);
    assert!(update.call.summary.expired);
    assert_eq!(
        monitor.expire_due(t(120)).expect("expire"),
        0,
        "a closed call is not closed twice"
    );
}

#[test]
fn missed_call_remembers_the_call_back_and_can_be_marked_seen() {
    let (_dir, monitor) = monitor();
    apply(
        &monitor,
        "event=newCall&direction=in&from=4930123456&to=4921155500000&callId=M&user%5B%5D=Alice",
        t(0),
    );
    apply(
        &monitor,
        "event=hangup&direction=in&callId=M&cause=cancel",
        t(15),
    );
    assert_eq!(monitor.store().unseen_missed().expect("count"), 1);
    apply(
        &monitor,
        "event=newCall&direction=out&from=4921155500000&to=4930123456&callId=R&user%5B%5D=Bob",
        t(600),
    );
    let missed = monitor
        .store()
        .calls(
            &CallFilter {
                missed: true,
                ..Default::default()
            },
            &NumbersConfig::default(),
        )
        .expect("missed calls");
    assert_eq!(missed.len(), 1, "the outgoing call is not a missed call");
    assert_eq!(
        missed[0].called_back_at,
        Some(t(600)),
        "when it was called back"
    );
    assert_eq!(
        missed[0].called_back_by.as_deref(),
        Some("Bob"),
        "and by whom"
    );
    assert_eq!(
        monitor.store().unseen_missed().expect("count"),
        0,
        "a call returned is a call seen"
    );
    assert!(!missed[0].outcome.unseen);
    assert_eq!(
        monitor.mark_seen(&[missed[0].id], t(700)).expect("seen"),
        0,
        "already seen by the call back"
    );
    assert_eq!(
        monitor.mark_seen(&[], t(701)).expect("seen"),
        0,
        "nothing left to mark"
    );
    assert!(matches!(
        monitor.mark_seen(&[CallKey(999)], t(702)),
        Err(StoreError::CallNotFound(999))
    ));
}

#[test]
fn blocked_contact_decides_a_reject_only_for_incoming_calls() {
    let (_dir, monitor) = monitor();
    let mut input = contact("Spam", "", vec![number("030 5550000")]);
    input.blocked = true;
    monitor
        .store()
        .add_contact(&input, Region::DE)
        .expect("add");
    let incoming = apply(
        &monitor,
        "event=newCall&direction=in&from=49305550000&to=4921155500000&callId=S1",
        t(0),
    );
    assert!(matches!(incoming.decision, Decision::Reject(_)));
    let outgoing = apply(
        &monitor,
        "event=newCall&direction=out&from=4921155500000&to=49305550000&callId=S2",
        t(1),
    );
    assert_eq!(
        outgoing.decision,
        Decision::Accept,
        "calling a blocked number yourself is allowed"
    );
}

#[test]
fn only_the_newest_thousand_requests_are_kept() {
    let (_dir, store, _) = temp_store();
    for i in 0..1010 {
        store
            .record_request(&record(&format!("n={i}")))
            .expect("record");
    }
    assert_eq!(store.request_count().expect("count"), 1000);
    let newest = store.recent_requests(1).expect("recent");
    assert_eq!(newest[0].record.body, "n=1009", "the newest survive");
}

#[test]
fn concurrent_writers_on_one_file_do_not_fail() {
    let (dir, store, path) = temp_store();
    let other = klingel_core::Store::open(&path)
        .expect("a second connection, like the CLI beside the listener");
    let a = std::thread::spawn(move || {
        for i in 0..50 {
            store
                .add_contact(&contact(&format!("A{i}"), "", vec![]), Region::DE)
                .expect("writer A");
        }
    });
    for i in 0..50 {
        other
            .add_contact(&contact(&format!("B{i}"), "", vec![]), Region::DE)
            .expect("writer B");
    }
    a.join().expect("thread");
    assert_eq!(other.contacts(None, Region::DE).expect("all").len(), 100);
    drop(dir);
}

#[test]
fn a_push_waits_for_another_connection_s_write_instead_of_failing() {
    let (_dir, monitor) = monitor();
    let path = _dir.path().join("klingel.sqlite3");
    let importer = klingel_core::Store::open(&path).expect("a second connection, like an import");
    // Another connection writes the contacts a push will read; the push arrives meanwhile.
    let (began, wait) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        importer
            .with(|conn| {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                tx.execute(
                    "INSERT INTO contacts (name, search, created_at, updated_at)
                     VALUES ('Bulk', 'bulk', 0, 0)",
                    [],
                )?;
                began.send(()).expect("signal");
                std::thread::sleep(std::time::Duration::from_millis(300));
                tx.commit()?;
                Ok(())
            })
            .expect("the other write");
    });
    wait.recv().expect("the other write has the lock");
    let body = "event=newCall&direction=in&from=4930111222&to=4921155500000&callId=W&user%5B%5D=A";
    let applied = monitor.apply(&push(body), record(body), t(0));
    writer.join().expect("writer thread");
    assert!(
        applied.is_ok(),
        "contention delays a push, it never fails it: {:?}",
        applied.err()
    );
    assert_eq!(log(&monitor).len(), 1, "the push is stored");
}

#[test]
fn a_caller_that_is_no_number_reads_as_unknown_with_the_raw_value_in_details() {
    let (_dir, monitor) = monitor();
    apply(
        &monitor,
        "event=newCall&direction=in&from=sip%3Aanyone%40example.org&to=4921155500000&callId=U&user%5B%5D=A",
        t(0),
    );
    apply(
        &monitor,
        "event=newCall&direction=in&from=4930123456&to=sip%3Aoffice%40example.org&callId=L&user%5B%5D=A",
        t(1),
    );
    let calls = log(&monitor);
    let (line, call) = (&calls[0], &calls[1]);
    let (de, en) = (
        klingel_core::words::Words::of(klingel_core::config::Language::De),
        klingel_core::words::Words::of(klingel_core::config::Language::En),
    );
    assert_eq!(call.party.kind, klingel_core::view::PartyKind::Unknown);
    assert_eq!(call.party.label(de), "unbekannte Nummer");
    assert_eq!(call.party.label(en), "unknown number");
    assert_eq!(call.remote_display, None, "nothing to copy, block or dial");
    assert_eq!(call.remote_e164, None);
    assert_eq!(
        call.summary.remote.as_deref(),
        Some("sip:anyone@example.org"),
        "the raw value stays in the details"
    );
    assert!(!call.line_unknown, "its line is a number");

    assert!(
        line.line_unknown,
        "our line is no number: it reads as unknown"
    );
    assert_eq!(
        line.line_display, None,
        "the raw value is not the line's name"
    );
    assert_eq!(
        line.summary.line.as_deref(),
        Some("sip:office@example.org"),
        "the raw value stays in the details"
    );
    let json = serde_json::to_value(line).expect("json");
    assert_eq!(json["lineUnknown"], true, "the window reads it");
    assert_eq!(json["line"], "sip:office@example.org");
}

#[test]
fn reopening_applies_no_migration_twice() {
    let (_dir, store, path) = temp_store();
    store
        .add_contact(
            &contact("Kept", "", vec![number("0211 1234567")]),
            Region::DE,
        )
        .expect("add");
    drop(store);
    let again = klingel_core::Store::open(&path).expect("reopen");
    assert_eq!(again.contacts(None, Region::DE).expect("list").len(), 1);
}

#[test]
fn call_search_finds_by_contact_user_and_number_digits() {
    let (_dir, monitor) = monitor();
    monitor
        .store()
        .add_contact(
            &contact("Jörg Müller", "Bäckerei", vec![number("030 123456")]),
            Region::DE,
        )
        .expect("add");
    apply(
        &monitor,
        "event=newCall&direction=in&from=4930123456&to=4921155500000&callId=S1&user%5B%5D=Alice",
        t(0),
    );
    apply(
        &monitor,
        "event=newCall&direction=in&from=4940999888&to=4921155500000&callId=S2&user%5B%5D=Bob",
        t(1),
    );
    let search = |q: &str| -> Vec<String> {
        let filter = CallFilter {
            search: Some(q.into()),
            ..Default::default()
        };
        monitor
            .store()
            .calls(&filter, &NumbersConfig::default())
            .expect("search")
            .into_iter()
            .map(|c| c.summary.remote.unwrap_or_default())
            .collect()
    };
    assert_eq!(
        search("müller"),
        vec!["4930123456"],
        "by the contact's current name"
    );
    assert_eq!(
        search("BOB"),
        vec!["4940999888"],
        "by the user who was rung"
    );
    assert_eq!(
        search("040 999"),
        vec!["4940999888"],
        "by digits as the number is shown"
    );
    assert_eq!(search("  ").len(), 2, "a blank search is no filter");
}

/// Every blocked number as (shown form, contact name).
fn blocked_list(store: &klingel_core::Store) -> Vec<(String, Option<String>)> {
    store
        .blocked_numbers(&NumbersConfig::default())
        .expect("blocked")
        .into_iter()
        .map(|b| (b.display, b.contact_name))
        .collect()
}

#[test]
fn blocking_a_number_blocks_its_contact_or_lists_the_number_never_inventing_a_contact() {
    use klingel_core::domain::Blocking;
    let (_dir, monitor) = monitor();
    let store = monitor.store();
    let known = store
        .add_contact(
            &contact("Known", "", vec![number("030 111111")]),
            Region::DE,
        )
        .expect("add");
    let parse = |n: &str| PhoneNumber::parse(n, Region::DE).expect("parses");
    match store
        .block_number(&parse("+4930111111"), "+4930111111")
        .expect("block")
    {
        Blocking::Contact(blocked) => {
            assert_eq!((blocked.id, blocked.blocked), (known.id, true));
        }
        other @ Blocking::Number(_) => panic!("the existing contact is blocked: {other:?}"),
    }
    assert_eq!(
        store
            .block_number(&parse("040 222222"), "040 222222")
            .expect("block"),
        Blocking::Number("+4940222222".into()),
        "a stranger's number goes on the list"
    );
    assert_eq!(
        store.contacts(None, Region::DE).expect("list").len(),
        1,
        "no contact is invented for a blocked stranger"
    );
    let blocked = blocked_list(store);
    assert!(
        blocked.contains(&("040 222222".into(), None)),
        "{blocked:?}"
    );
    assert!(
        blocked.contains(&("030 111111".into(), Some("Known".into()))),
        "{blocked:?}"
    );

    // A listed number is rejected and shows as blocked in the log.
    let applied = apply(
        &monitor,
        "event=newCall&direction=in&from=4940222222&to=4921155500000&callId=B1",
        t(0),
    );
    assert!(matches!(applied.decision, Decision::Reject(_)));
    assert!(log(&monitor)[0].party.blocked, "the row says blocked");

    assert!(store.unblock_number(&parse("040 222222")).expect("unblock"));
    assert!(store.unblock_number(&parse("030 111111")).expect("unblock"));
    assert!(
        !store.unblock_number(&parse("030 111111")).expect("again"),
        "nothing left"
    );
    assert!(store
        .blocked_numbers(&NumbersConfig::default())
        .expect("blocked")
        .is_empty());
    let applied = apply(
        &monitor,
        "event=newCall&direction=in&from=4940222222&to=4921155500000&callId=B2",
        t(10),
    );
    assert_eq!(
        applied.decision,
        Decision::Accept,
        "unblocked calls ring again"
    );
}

#[test]
fn the_contact_list_can_be_limited_to_a_page() {
    let (_dir, store, _) = temp_store();
    for name in ["Cem", "Anna", "Bernd"] {
        store
            .add_contact(&contact(name, "", vec![]), Region::DE)
            .expect("add");
    }
    let page: Vec<String> = store
        .contacts_first(None, Region::DE, 2)
        .expect("page")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        page,
        vec!["Anna", "Bernd"],
        "the first names in order, no more"
    );
    assert_eq!(
        store
            .contacts_first(Some("e"), Region::DE, 1)
            .expect("search")
            .len(),
        1,
        "a search is limited too"
    );
}

#[test]
fn a_number_belongs_to_one_contact_only() {
    let (_dir, store, _) = temp_store();
    let alice = store
        .add_contact(
            &contact("Alice", "", vec![number("0211 1234567")]),
            Region::DE,
        )
        .expect("alice");
    let refused = store.add_contact(
        &contact(
            "Test Person",
            "",
            vec![number("0171 2345678"), number("+49 211 1234567")],
        ),
        Region::DE,
    );
    match refused {
        Err(StoreError::DuplicateNumber {
            position,
            owner,
            owner_name,
            ..
        }) => {
            assert_eq!(position, 2, "the field is named");
            assert_eq!((owner, owner_name.as_str()), (alice.id.0, "Alice"));
        }
        other => panic!("a second owner must be refused: {other:?}"),
    }
    assert_eq!(
        store.contacts(None, Region::DE).expect("list").len(),
        1,
        "nothing written"
    );

    let bob = store
        .add_contact(
            &contact("Bob", "", vec![number("0171 2345678")]),
            Region::DE,
        )
        .expect("bob");
    let mut input = contact(
        "Bob",
        "",
        vec![number("0171 2345678"), number("0211 1234567")],
    );
    assert!(
        matches!(
            store.update_contact(bob.id, &input, Region::DE),
            Err(StoreError::DuplicateNumber { owner, .. }) if owner == alice.id.0
        ),
        "editing cannot take another contact's number either"
    );
    input.numbers.pop();
    input.company = "Bob GmbH".into();
    store
        .update_contact(bob.id, &input, Region::DE)
        .expect("a contact keeps its own numbers when saved again");
    assert!(store
        .shared_numbers(&NumbersConfig::default())
        .expect("shared")
        .is_empty());
}

#[test]
fn numbers_shared_by_an_older_book_are_listed_and_the_oldest_contact_names_the_call() {
    let (_dir, store, path) = temp_store();
    let alice = store
        .add_contact(
            &contact("Alice", "", vec![number("0211 1234567")]),
            Region::DE,
        )
        .expect("alice");
    let bob = store
        .add_contact(
            &contact("Bob", "", vec![number("0171 2345678")]),
            Region::DE,
        )
        .expect("bob");
    // What an older release let through: the same number on a second contact.
    let raw = rusqlite::Connection::open(&path).expect("db");
    raw.execute(
        "INSERT INTO contact_numbers (contact_id, position, label, typed, e164, switchboard)
         VALUES (?1, 1, '', '0211 1234567', '+492111234567', 0)",
        [bob.id.0],
    )
    .expect("old duplicate");
    let shared = store
        .shared_numbers(&NumbersConfig::default())
        .expect("shared");
    assert_eq!(shared.len(), 1, "{shared:?}");
    assert_eq!(shared[0].display, "0211 1234567");
    let names: Vec<&str> = shared[0].contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Alice", "Bob"], "oldest first");
    let hit = store
        .lookup(&PhoneNumber::parse("0211 1234567", Region::DE).expect("number"))
        .expect("lookup")
        .expect("hit");
    assert_eq!(
        hit.contact.id, alice.id,
        "the oldest names the call meanwhile"
    );
}

#[test]
fn an_import_leaves_a_number_with_its_owner_and_skips_records_without_numbers() {
    use klingel_core::interchange::{ContactRecord, Place, RecordNumber};
    let (_dir, store, _) = temp_store();
    store
        .add_contact(
            &contact("Alice", "", vec![number("0211 1234567")]),
            Region::DE,
        )
        .expect("alice");
    store
        .add_contact(
            &contact("Bob", "", vec![number("0171 2345678")]),
            Region::DE,
        )
        .expect("bob");
    let record = |line, name: &str, numbers: &[&str]| ContactRecord {
        place: Place::Row { line },
        name: name.into(),
        company: String::new(),
        notes: String::new(),
        numbers: numbers
            .iter()
            .map(|n| RecordNumber {
                label: String::new(),
                number: (*n).into(),
                switchboard: false,
            })
            .collect(),
        blocked: false,
    };
    let report = store
        .import(
            &[
                record(2, "Alice Example", &["0211 1234567", "0171 2345678"]),
                record(3, "Nobody Callable", &[]),
            ],
            Region::DE,
            false,
            |_, _| {},
        )
        .expect("import");
    assert_eq!(
        (report.created, report.unchanged),
        (0, 1),
        "merged into Alice, who already has her name: {report:?}"
    );
    let reasons: Vec<&str> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("0171 2345678") && r.contains("another contact")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("Nobody Callable") && r.contains("no usable number")),
        "{reasons:?}"
    );
    assert!(store
        .shared_numbers(&NumbersConfig::default())
        .expect("shared")
        .is_empty());
}

#[test]
fn contacts_older_releases_made_for_blocked_strangers_move_to_the_blocklist() {
    let (_dir, store, path) = temp_store();
    store
        .add_contact(
            &ContactInput {
                name: "089 98765432".into(),
                blocked: true,
                numbers: vec![number("+498998765432")],
                ..Default::default()
            },
            Region::DE,
        )
        .expect("stand-in");
    store
        .add_contact(
            &ContactInput {
                name: "Spam Caller".into(),
                blocked: true,
                numbers: vec![number("0800 1234567")],
                ..Default::default()
            },
            Region::DE,
        )
        .expect("a named blocked contact");
    drop(store);
    // The book as release 2 of the schema left it.
    let raw = rusqlite::Connection::open(&path).expect("db");
    undo_hub_schema(&raw);
    raw.execute_batch("DROP TABLE blocked_numbers; PRAGMA user_version = 2;")
        .expect("downgrade");
    drop(raw);

    let store = klingel_core::Store::open(&path).expect("upgrade");
    let names: Vec<String> = store
        .contacts(None, Region::DE)
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        ["Spam Caller"],
        "the stand-in is no contact any more"
    );
    let blocked = blocked_list(&store);
    assert!(
        blocked.contains(&("089 98765432".into(), None)),
        "{blocked:?}"
    );
    assert!(
        blocked.contains(&("0800 1234567".into(), Some("Spam Caller".into()))),
        "{blocked:?}"
    );
}

#[test]
fn calls_and_contacts_are_found_by_the_same_rule() {
    let (_dir, monitor) = monitor();
    let store = monitor.store();
    store
        .add_contact(
            &contact("Anna Krüger", "ACME GmbH", vec![number("0221 5550999")]),
            Region::DE,
        )
        .expect("anna");
    store
        .add_contact(
            &contact("Bernd Anders", "", vec![number("030 1234567")]),
            Region::DE,
        )
        .expect("bernd");
    apply(
        &monitor,
        "event=newCall&direction=in&from=492215550999&to=4921155500000&callId=S1&user%5B%5D=Alice",
        t(0),
    );
    apply(
        &monitor,
        "event=newCall&direction=in&from=49301234567&to=4921155500000&callId=S2&user%5B%5D=Alice",
        t(5),
    );
    let numbers = NumbersConfig::default();
    for query in [
        "+49 (0)221 555 09-99",
        "0049 221 5550999",
        "0221 555",
        "5550999",
        "Krüger Anna",
        "anna acme",
        "KRÜGER",
    ] {
        let found: Vec<String> = store
            .contacts(Some(query), Region::DE)
            .expect("contacts")
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(found, ["Anna Krüger"], "contacts for {query:?}");
        let calls: Vec<String> = store
            .calls(
                &CallFilter {
                    search: Some(query.into()),
                    ..CallFilter::default()
                },
                &numbers,
            )
            .expect("calls")
            .into_iter()
            .filter_map(|c| c.contact.map(|m| m.contact.name))
            .collect();
        assert_eq!(calls, ["Anna Krüger"], "calls for {query:?}");
    }
}

#[test]
fn the_log_pages_through_every_call_with_its_total() {
    let (_dir, monitor) = monitor();
    for i in 0..25 {
        apply(
            &monitor,
            &format!("event=newCall&direction=in&from=4940555{i:03}&to=4921155500000&callId=P{i}"),
            t(i),
        );
    }
    let store = monitor.store();
    let numbers = NumbersConfig::default();
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .calls(
                &CallFilter {
                    limit: Some(10),
                    before,
                    ..CallFilter::default()
                },
                &numbers,
            )
            .expect("page");
        if page.is_empty() {
            break;
        }
        before = page.last().map(|c| c.id);
        seen.extend(page.into_iter().map(|c| c.id));
    }
    assert_eq!(seen.len(), 25, "every call once: {seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_by_key(|k| std::cmp::Reverse(k.0));
    assert_eq!(seen, sorted, "newest first, no call twice");
    assert_eq!(
        store.count_calls(&CallFilter::default()).expect("count"),
        25
    );
}

#[test]
fn a_search_that_stops_at_its_depth_says_so_and_goes_on_from_there() {
    let (_dir, monitor) = monitor();
    // The oldest call is the only one from 040 777…; 29 strangers called since.
    for i in 0..30 {
        let from = if i == 0 {
            "4940777000".to_owned()
        } else {
            format!("4940555{i:03}")
        };
        apply(
            &monitor,
            &format!("event=newCall&direction=in&from={from}&to=4921155500000&callId=D{i}"),
            t(i),
        );
    }
    let store = monitor.store();
    let numbers = NumbersConfig::default();
    let search = |before: Option<CallKey>| {
        store
            .find_calls_within(
                &CallFilter {
                    limit: Some(200),
                    search: Some("040 777".into()),
                    before,
                    ..CallFilter::default()
                },
                &numbers,
                12,
            )
            .expect("search")
    };

    let first = search(None);
    assert!(first.calls.is_empty(), "the match is older than the depth");
    let stop = first.stopped_at.expect("the search says where it stopped");
    assert_eq!(first.searched, Some(12), "the newest 12 calls are searched");

    let second = search(Some(stop));
    assert!(second.calls.is_empty());
    let stop = second.stopped_at.expect("a second stretch stops too");
    assert_eq!(second.searched, Some(24), "counted from the newest call");

    let third = search(Some(stop));
    assert_eq!(
        third
            .calls
            .iter()
            .map(|c| c.summary.remote.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec!["4940777000"],
        "searching on finds the old call"
    );
    assert_eq!(
        (third.stopped_at, third.searched),
        (None, None),
        "the log's end is no stop"
    );

    // A page that fills up is no stop either: its `more` goes on, not a new stretch.
    let full = store
        .find_calls_within(
            &CallFilter {
                limit: Some(3),
                search: Some("040 555".into()),
                ..CallFilter::default()
            },
            &numbers,
            12,
        )
        .expect("search");
    assert_eq!((full.calls.len(), full.stopped_at), (3, None));

    // With exactly the depth's calls left the search reads them all and says nothing.
    let oldest_twelve = store
        .find_calls_within(
            &CallFilter {
                limit: Some(200),
                search: Some("040 777".into()),
                before: Some(with_twelve_older(store, &numbers)),
                ..CallFilter::default()
            },
            &numbers,
            12,
        )
        .expect("search");
    assert_eq!(
        (oldest_twelve.calls.len(), oldest_twelve.stopped_at),
        (1, None)
    );
}

/// The call with exactly twelve calls older than it.
fn with_twelve_older(store: &klingel_core::Store, numbers: &NumbersConfig) -> CallKey {
    let all = store
        .calls(
            &CallFilter {
                limit: Some(200),
                ..CallFilter::default()
            },
            numbers,
        )
        .expect("log");
    all[all.len() - 13].id
}

/// Takes migrations 9 (account names), 8 (placed calls), 7 (call counts), 6 (the switchboard index) and 5 (the
/// hub's change log, desks, handled marks) back out, for tests that rebuild an older schema
/// from today's.
fn undo_hub_schema(raw: &rusqlite::Connection) {
    raw.execute_batch("DROP TABLE account_names; DROP TABLE dialed;")
        .expect("undo migrations 9 and 8");
    let triggers: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .expect("list triggers")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names");
    for trigger in triggers {
        raw.execute_batch(&format!("DROP TRIGGER {trigger};"))
            .expect("drop trigger");
    }
    // Migration 7's call counts (its triggers go with all the others below), migration 6's
    // switchboard index, then migration 5's change log.
    raw.execute_batch(
        "DROP TABLE call_counts; DROP INDEX calls_missed;
                     DROP INDEX contact_numbers_switchboard;",
    )
    .expect("drop the call counts and the switchboard index");
    raw.execute_batch(
        "DROP TABLE events; DROP TABLE hub_state; DROP TABLE desks;
         ALTER TABLE calls DROP COLUMN handled_at; ALTER TABLE calls DROP COLUMN handled_how;
         ALTER TABLE calls DROP COLUMN handled_note; ALTER TABLE calls DROP COLUMN handled_by;
         ALTER TABLE calls DROP COLUMN handled_desk;",
    )
    .expect("undo migration 5");
}

#[test]
fn the_kept_call_totals_match_a_count_of_the_log() {
    let (_dir, monitor) = monitor();
    // Missed, answered, outgoing, rejected-by-hangup-before-answer, and a test call.
    let flows: [&[&str]; 5] = [
        &[
            "event=newCall&direction=in&from=492111111&to=4930222&callId=M1",
            "event=hangup&callId=M1&cause=cancel",
        ],
        &[
            "event=newCall&direction=in&from=492111112&to=4930222&callId=A1",
            "event=answer&callId=A1&user=Anna",
            "event=hangup&callId=A1&cause=normalClearing",
        ],
        &[
            "event=newCall&direction=out&from=4930222&to=492111111&callId=O1&user%5B%5D=Anna",
            "event=hangup&callId=O1&cause=normalClearing",
        ],
        &["event=newCall&direction=in&from=492111113&to=4930222&callId=M2"],
        &[
            "event=newCall&direction=in&from=492111114&to=4930222&callId=T1",
            "event=hangup&callId=T1&cause=cancel",
        ],
    ];
    for (i, flow) in flows.iter().enumerate() {
        for (step, body) in flow.iter().enumerate() {
            let mut push = push(body);
            if i == 4 {
                push = push.into_test();
            }
            monitor
                .apply(&push, record(body), t(i as i64 * 100 + step as i64))
                .expect("apply");
        }
    }
    // M2 never hangs up: expiry turns it from ringing into missed.
    monitor.expire_due(t(100_000)).expect("expire");
    let check = |when: &str| {
        let all = monitor
            .store()
            .calls(
                &CallFilter {
                    limit: Some(1000),
                    ..CallFilter::default()
                },
                &NumbersConfig::default(),
            )
            .expect("log");
        for missed in [false, true] {
            for direction in [
                None,
                Some(klingel_core::sipgate::Direction::In),
                Some(klingel_core::sipgate::Direction::Out),
            ] {
                let filter = CallFilter {
                    missed,
                    direction,
                    ..CallFilter::default()
                };
                let counted = all
                    .iter()
                    .filter(|c| {
                        !missed
                            || (c.summary.state == CallState::Missed
                                && c.summary.direction == klingel_core::sipgate::Direction::In)
                    })
                    .filter(|c| direction.is_none_or(|d| c.summary.direction == d))
                    .count();
                assert_eq!(
                    monitor.store().count_calls(&filter).expect("count"),
                    counted as i64,
                    "{when}: missed {missed}, direction {direction:?}"
                );
            }
        }
    };
    check("after the pushes");
    monitor
        .store()
        .remove_test_calls()
        .expect("remove test calls");
    check("after the test call was removed");
}

#[test]
fn contact_search_sees_changes_from_this_store_and_from_other_connections() {
    let (_dir, store, path) = temp_store();
    let names = |store: &klingel_core::Store, query: &str| -> Vec<String> {
        store
            .contacts(Some(query), Region::DE)
            .expect("search")
            .into_iter()
            .map(|c| c.name)
            .collect()
    };
    let anna = store
        .add_contact(
            &contact("Anna Krüger", "Acme", vec![number("0211 5550999")]),
            Region::DE,
        )
        .expect("add");
    assert_eq!(names(&store, "krüger"), ["Anna Krüger"]);
    assert_eq!(
        names(&store, "0211 555"),
        ["Anna Krüger"],
        "numbers are searched too"
    );

    // Another connection writes, as `klingeld contacts add` does from another process.
    let other = klingel_core::Store::open(&path).expect("second connection");
    let bernd = other
        .add_contact(
            &contact("Bernd Krüger", "", vec![number("030 1234567")]),
            Region::DE,
        )
        .expect("add elsewhere");
    assert_eq!(names(&store, "krüger"), ["Anna Krüger", "Bernd Krüger"]);

    store
        .update_contact(
            anna.id,
            &contact("Anna Schmidt", "Acme", vec![number("0211 5550999")]),
            Region::DE,
        )
        .expect("rename");
    assert_eq!(names(&store, "krüger"), ["Bernd Krüger"]);
    assert_eq!(names(&store, "schmidt"), ["Anna Schmidt"]);

    other.remove_contact(bernd.id).expect("remove elsewhere");
    assert!(names(&store, "krüger").is_empty());
    assert!(
        names(&store, "030 123").is_empty(),
        "a removed contact's number finds nothing"
    );
}
