//! Micro benchmarks of the push path and the window's reads: `cargo bench -p klingel-core --bench micro`.
//!
//! Parse, verify and normalise one push; look a caller up in books of 1,000, 100,000 and
//! 1,000,000 contacts (hit and miss: a miss also tries the switchboard prefixes); run the call
//! state machine; search a book of 100,000 contacts as the window does per keystroke; read the
//! first and a filtered page of a log of 1,000,000 calls. The books and the log are built once,
//! before the first benchmark that needs them (the million-contact book takes a while).

mod support;

use std::sync::LazyLock;

use klingel_core::calls::Legs;
use klingel_core::config::NumbersConfig;
use klingel_core::domain::{CallFilter, RequestRecord};
use klingel_core::interchange::{ContactRecord, Place, RecordNumber};
use klingel_core::sipgate::{parse, BodyFormat, Parsed, Push, SignatureVerifier};
use klingel_core::{Monitor, PhoneNumber, Region, Settings, Store};
use time::OffsetDateTime;

fn main() {
    divan::main();
}

const SIGNED: &[u8] = include_bytes!("../tests/fixtures/sipgate/signed-newcall-2021.form");
const SIGNATURE: &str = include_str!("../tests/fixtures/sipgate/signed-newcall-2021.sig");

fn push(body: &str) -> Push {
    match parse(body.as_bytes(), BodyFormat::Form) {
        Ok(Parsed::Push(push)) => push,
        other => panic!("bench push must parse: {other:?}"),
    }
}

#[divan::bench]
fn parse_push() -> Push {
    match parse(divan::black_box(SIGNED), BodyFormat::Form) {
        Ok(Parsed::Push(push)) => push,
        other => panic!("{other:?}"),
    }
}

#[divan::bench(sample_count = 50)]
fn verify_signature(bencher: divan::Bencher) {
    let verifier = SignatureVerifier::sipgate();
    bencher.bench_local(|| verifier.verify(divan::black_box(SIGNED), Some(SIGNATURE)));
}

#[divan::bench(args = ["0211 1234567", "+49 (0)221 555 09-99", "0049 30 12345-0", "491776249000"])]
fn normalise(typed: &str) -> PhoneNumber {
    PhoneNumber::parse(divan::black_box(typed), Region::DE).expect("a number")
}

#[divan::bench]
fn call_state_machine(bencher: divan::Bencher) {
    let pushes = [
        push("event=newCall&direction=in&from=492111234567&to=4921155500&callId=A&origCallId=A&user%5B%5D=Anna&xcid=x1"),
        push("event=answer&direction=in&callId=A&user=Anna&from=492111234567&to=4921155500&xcid=x1"),
        push("event=hangup&callId=A&cause=normalClearing&from=492111234567&to=4921155500&xcid=x1"),
    ];
    let at = OffsetDateTime::now_utc();
    bencher.bench_local(|| {
        let mut legs = Legs::default();
        for push in &pushes {
            legs.apply(push, at, None);
        }
        legs.summary()
    });
}

/// A book of `size` generated contacts, each with an office and a mobile number; one in a
/// hundred is a switchboard.
fn book(size: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("book.sqlite3")).expect("store");
    let mut first = 0;
    while first < size {
        let last = (first + 100_000).min(size);
        let records: Vec<ContactRecord> = (first..last).map(record).collect();
        store
            .import(&records, Region::DE, false, |_, _| {})
            .expect("import");
        first = last;
    }
    (dir, store)
}

fn record(i: usize) -> ContactRecord {
    let (first, last) = support::person(i);
    let switchboard = i.is_multiple_of(100);
    let office = if switchboard {
        format!("+49 30 5{:07}-0", i / 100)
    } else {
        format!("+49 211 {:07}", 1_000_000 + i)
    };
    ContactRecord {
        place: Place::Row { line: i + 2 },
        name: format!("{first} {last} {i}"),
        company: format!("Firma {} GmbH", i % 5000),
        notes: String::new(),
        numbers: vec![
            RecordNumber {
                label: "work".into(),
                number: office,
                switchboard,
            },
            RecordNumber {
                label: "cell".into(),
                number: format!("+49 171 {:07}", 1_000_000 + i),
                switchboard: false,
            },
        ],
        blocked: false,
    }
}

/// Each book is built the first time a benchmark asks for it.
static BOOK_1K: LazyLock<(tempfile::TempDir, Store)> = LazyLock::new(|| book(1_000));
static BOOK_100K: LazyLock<(tempfile::TempDir, Store)> = LazyLock::new(|| book(100_000));
static BOOK_1M: LazyLock<(tempfile::TempDir, Store)> = LazyLock::new(|| book(1_000_000));

fn store_of(size: usize) -> &'static Store {
    match size {
        1_000 => &BOOK_1K.1,
        100_000 => &BOOK_100K.1,
        1_000_000 => &BOOK_1M.1,
        other => panic!("no generated book of {other} contacts"),
    }
}

#[divan::bench(args = [1_000, 100_000, 1_000_000])]
fn lookup_hit(bencher: divan::Bencher, size: usize) {
    let store = store_of(size);
    let numbers: Vec<PhoneNumber> = (0..1000)
        .map(|i| {
            let n = (i * 7919) % size;
            PhoneNumber::parse(&format!("+49 171 {:07}", 1_000_000 + n), Region::DE)
                .expect("number")
        })
        .collect();
    let mut next = 0;
    bencher.bench_local(|| {
        next = (next + 1) % numbers.len();
        let found = store.lookup(&numbers[next]).expect("lookup");
        assert!(found.is_some());
    });
}

#[divan::bench(args = [1_000, 100_000, 1_000_000])]
fn lookup_miss(bencher: divan::Bencher, size: usize) {
    let store = store_of(size);
    let numbers: Vec<PhoneNumber> = (0..1000)
        .map(|i| {
            PhoneNumber::parse(&format!("+49 89 {:07}", 3_000_000 + i), Region::DE).expect("number")
        })
        .collect();
    let mut next = 0;
    bencher.bench_local(|| {
        next = (next + 1) % numbers.len();
        let found = store.lookup(&numbers[next]).expect("lookup");
        assert!(found.is_none());
    });
}

/// What a user types into the contacts view's search, keystroke by keystroke.
#[divan::bench(args = ["m", "mü", "müller", "firma 12", "schmidt anna", "0211 100", "+49 171 1004"])]
fn search_100k(bencher: divan::Bencher, query: &str) {
    let store = store_of(100_000);
    bencher.bench_local(|| {
        store
            .contacts_page(Some(query), Region::DE, 0, 100)
            .expect("search")
    });
}

/// A log of 1,000,000 calls: 1,000 calls written through the monitor as real pushes (a third
/// missed), then copied 999 times further back in time by SQL.
static LOG: LazyLock<(tempfile::TempDir, Store)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("log.sqlite3")).expect("store");
    let records: Vec<ContactRecord> = (0..2_000).map(record).collect();
    store
        .import(&records, Region::DE, false, |_, _| {})
        .expect("contacts");
    let monitor = Monitor::new(store.clone(), &Settings::default());
    let start = OffsetDateTime::now_utc() - time::Duration::days(1);
    for i in 0..1_000_i64 {
        let at = start + time::Duration::seconds(i * 30);
        let from = format!("49171{:07}", 1_000_000 + i % 3_000);
        let id = format!("C{i}");
        let mut bodies = vec![format!(
            "event=newCall&direction=in&from={from}&to=4921155500&callId={id}&origCallId={id}&user%5B%5D=Anna"
        )];
        // Two in three answered; the others missed (the caller gave up).
        if i % 3 != 0 {
            bodies.push(format!("event=answer&direction=in&callId={id}&user=Anna"));
            bodies.push(format!("event=hangup&callId={id}&cause=normalClearing"));
        } else {
            bodies.push(format!("event=hangup&callId={id}&cause=cancel"));
        }
        for body in bodies {
            monitor
                .apply(&push(&body), RequestRecord::received("POST", "/", at), at)
                .expect("apply");
        }
    }
    store
        .with(|conn| {
            conn.execute_batch(
                "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 999)
                 INSERT INTO calls (id, state, direction, remote, remote_e164, started_at, ended_at,
                                    seen_at, called_back_at, called_back_by, updated_at)
                 SELECT c.id + n * 1000, state, direction, remote, remote_e164,
                        started_at - n * 30000000, ended_at - n * 30000000,
                        seen_at, called_back_at, called_back_by, updated_at
                 FROM calls c, k WHERE c.id <= 1000;
                 WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 999)
                 INSERT INTO legs (call_id, call, orig_call_id, xcid, leg)
                 SELECT call_id || '-' || n, call + n * 1000, orig_call_id || '-' || n, xcid, leg
                 FROM legs, k WHERE call <= 1000;",
            )?;
            Ok(())
        })
        .expect("copy the log");
    (dir, store)
});

#[divan::bench(args = ["all", "missed", "missed, page 50", "search"])]
fn calls_page_1m(bencher: divan::Bencher, view: &str) {
    let store = &LOG.1;
    let numbers = NumbersConfig::default();
    let mut filter = CallFilter {
        limit: Some(100),
        missed: view.starts_with("missed"),
        search: (view == "search").then(|| "müller".to_owned()),
        ..CallFilter::default()
    };
    if view == "missed, page 50" {
        // The page after 49 pages of missed calls.
        let mut before = None;
        for _ in 0..49 {
            filter.before = before;
            before = store
                .calls(&filter, &numbers)
                .expect("page")
                .last()
                .map(|c| c.id);
        }
        filter.before = before;
    }
    assert_eq!(
        store.count_calls(&CallFilter::default()).expect("count"),
        1_000_000
    );
    bencher.bench_local(|| {
        let page = store.calls(&filter, &numbers).expect("page");
        let total = (filter.search.is_none()).then(|| store.count_calls(&filter).expect("count"));
        (page, total)
    });
}
