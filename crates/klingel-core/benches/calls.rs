//! How fast the log reads a page of calls: `cargo bench -p klingel-core --bench calls`.
//!
//! A book of 2,000 contacts (100 of them switchboards) and a log of 1,000 calls from known
//! numbers, switchboard extensions and strangers. Measures one page of 200 calls as the window
//! asks for it (legs in one query, callers resolved in one lookup), and as a baseline in the
//! same run the same 200 calls read one by one, each with its own leg query and caller lookup:
//! the N+1 pattern the page read replaces. Also a text search over the whole log.

mod support;

use std::time::Duration;

use support::best_of;

use klingel_core::config::NumbersConfig;
use klingel_core::domain::{CallFilter, RequestRecord};
use klingel_core::interchange::{ContactRecord, Place, RecordNumber};
use klingel_core::sipgate::{parse, BodyFormat, Parsed};
use klingel_core::{Monitor, Region, Settings, Store};
use time::OffsetDateTime;

const CONTACTS: usize = 2_000;
const SWITCHBOARDS: usize = 100;
const CALLS: usize = 1_000;
const PAGE: usize = 200;

fn contacts() -> Vec<ContactRecord> {
    (0..CONTACTS)
        .map(|i| {
            let switchboard = i < SWITCHBOARDS;
            let number = if switchboard {
                format!("030 5{i:04}-0")
            } else {
                format!("0211 1{i:06}")
            };
            ContactRecord {
                place: Place::Row { line: i + 2 },
                name: format!("Kontakt {i}"),
                company: format!("Firma {} GmbH", i % 300),
                notes: String::new(),
                numbers: vec![RecordNumber {
                    label: "work".into(),
                    number,
                    switchboard,
                }],
                blocked: false,
            }
        })
        .collect()
}

/// The caller of call `i`: a known number, an extension below a switchboard, or a stranger.
fn caller(i: usize) -> String {
    match i % 10 {
        0..=3 => format!(
            "49211{:07}",
            1_000_000 + SWITCHBOARDS + i % (CONTACTS - SWITCHBOARDS)
        ),
        4..=6 => format!("49305{:04}{:02}", i % SWITCHBOARDS, 10 + i % 80),
        _ => format!("4940{:07}", 2_000_000 + i),
    }
}

fn push(body: &str) -> klingel_core::sipgate::Push {
    match parse(body.as_bytes(), BodyFormat::Form) {
        Ok(Parsed::Push(push)) => push,
        other => panic!("bench push must parse: {other:?}"),
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.sqlite3")).expect("store");
    store
        .import(&contacts(), Region::DE, false, |_, _| {})
        .expect("contacts");
    let monitor = Monitor::new(store.clone(), &Settings::default());
    let start = OffsetDateTime::now_utc() - time::Duration::days(1);
    for i in 0..CALLS {
        let at = start + time::Duration::seconds(i as i64 * 30);
        let from = caller(i);
        let id = format!("C{i}");
        let mut bodies = vec![format!(
            "event=newCall&direction=in&from={from}&to=4921155500000&callId={id}&origCallId={id}&user%5B%5D=Alice&user%5B%5D=Bob"
        )];
        if i % 3 == 0 {
            bodies.push(format!("event=answer&direction=in&callId={id}&user=Bob"));
        }
        bodies.push(format!("event=hangup&callId={id}&cause=normalClearing"));
        for (step, body) in bodies.iter().enumerate() {
            let at = at + time::Duration::seconds(step as i64 * 5);
            let record = RequestRecord::received("POST", "/", at);
            monitor.apply(&push(body), record, at).expect("apply");
        }
    }
    let numbers = NumbersConfig::default();
    println!("{CONTACTS} contacts ({SWITCHBOARDS} switchboards), {CALLS} calls");

    let page = CallFilter {
        limit: Some(PAGE),
        ..CallFilter::default()
    };
    let (batched, calls) = best_of(20, || store.calls(&page, &numbers).expect("page"));
    assert_eq!(calls.len(), PAGE);
    let named = calls.iter().filter(|c| c.contact.is_some()).count();
    assert!(named > PAGE / 2, "most callers are known: {named}");

    let keys: Vec<_> = calls.iter().map(|c| c.id).collect();
    let (one_by_one, again) = best_of(20, || {
        keys.iter()
            .map(|key| store.call(*key, &numbers).expect("call"))
            .collect::<Vec<_>>()
    });
    assert_eq!(again, calls, "both reads show the same calls");

    let search = CallFilter {
        limit: Some(PAGE),
        search: Some("firma 12".into()),
        ..CallFilter::default()
    };
    let (searched, found) = best_of(10, || store.calls(&search, &numbers).expect("search"));
    assert!(!found.is_empty());

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "page of {PAGE} calls, batched:             {:8.2} ms",
        ms(batched)
    );
    println!(
        "baseline: the same {PAGE} calls one by one: {:8.2} ms",
        ms(one_by_one)
    );
    println!(
        "page = {:.2} x baseline ({:.1} x faster)",
        batched.as_secs_f64() / one_by_one.as_secs_f64(),
        one_by_one.as_secs_f64() / batched.as_secs_f64()
    );
    println!(
        "search over all {CALLS} calls ({} found):   {:8.2} ms",
        found.len(),
        ms(searched)
    );
}
