//! Group commit: pushes that queue while a commit is in flight share the next one, each is
//! answered only after the commit that stored it, and one failing push fails alone.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use klingel_core::domain::{CallFilter, RequestRecord};
use klingel_core::sipgate::{parse, BodyFormat, Parsed, Push};
use klingel_core::{Monitor, Settings};
use time::OffsetDateTime;

use crate::support::temp_store;

fn push(body: &str) -> Push {
    match parse(body.as_bytes(), BodyFormat::Form) {
        Ok(Parsed::Push(push)) => push,
        other => panic!("test body must parse: {other:?}"),
    }
}

fn new_call(n: usize) -> String {
    format!("event=newCall&direction=in&from=4921155{n:05}&to=4921199999&callId=GROUP{n}&user%5B%5D=Anna")
}

fn record(body: &str) -> RequestRecord {
    let mut record = RequestRecord::received("POST", "/", OffsetDateTime::UNIX_EPOCH);
    record.body = body.into();
    record
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Holds the store's connection for `hold` on another thread; returns once it is held, with
/// the instant it will be let go of (at the latest) and the thread.
fn hold_store(
    monitor: &Monitor,
    hold: Duration,
) -> (mpsc::Receiver<Instant>, std::thread::JoinHandle<()>) {
    let store = monitor.store().clone();
    let (held, is_held) = mpsc::channel();
    let (released, was_released) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        store
            .with(|_| {
                held.send(()).expect("report");
                std::thread::sleep(hold);
                released.send(Instant::now()).expect("report");
                Ok(())
            })
            .expect("hold the store");
    });
    is_held.recv().expect("the store is held");
    (was_released, thread)
}

#[test]
fn pushes_queued_behind_a_commit_share_the_next_one_and_are_answered_after_it() {
    const PUSHES: usize = 50;
    let (_dir, store, _) = temp_store();
    let monitor = Monitor::new(store, &Settings::default());
    let runtime = runtime();
    // While the connection is busy (as during a commit's sync), every push queues.
    let (released, holder) = hold_store(&monitor, Duration::from_millis(300));
    let answered: Vec<(Instant, bool)> = runtime.block_on(async {
        let tasks: Vec<_> = (0..PUSHES)
            .map(|n| {
                let monitor = monitor.clone();
                tokio::spawn(async move {
                    let body = new_call(n);
                    let applied = monitor
                        .apply_async(push(&body), record(&body), OffsetDateTime::now_utc())
                        .await;
                    (Instant::now(), applied.is_ok_and(|a| a.changed))
                })
            })
            .collect();
        let mut answered = Vec::new();
        for task in tasks {
            answered.push(task.await.expect("task"));
        }
        answered
    });
    holder.join().expect("holder");
    let released = released.recv().expect("release time");

    assert!(
        answered.iter().all(|(_, ok)| *ok),
        "every push is stored as a new call"
    );
    assert!(
        answered.iter().all(|(at, _)| *at >= released),
        "no push is acknowledged before the commit that stores it"
    );
    let (commits, pushes) = monitor.commit_counts();
    assert_eq!(pushes, PUSHES as u64);
    // The writer may have taken the first push alone before the others queued.
    assert!(
        commits <= 2,
        "{PUSHES} pushes that queued together took {commits} commits"
    );
    let log = monitor
        .store()
        .calls(
            &CallFilter {
                limit: Some(100),
                ..CallFilter::default()
            },
            &Default::default(),
        )
        .expect("log");
    assert_eq!(log.len(), PUSHES, "every acknowledged push is in the log");
}

#[test]
fn a_push_that_cannot_be_stored_fails_alone_in_its_group() {
    let (_dir, store, _) = temp_store();
    let monitor = Monitor::new(store, &Settings::default());
    let first = new_call(0);
    monitor
        .apply(&push(&first), record(&first), OffsetDateTime::now_utc())
        .expect("the first call is stored");
    // A broken stored leg: the hangup for this call cannot be applied.
    monitor
        .store()
        .with(|conn| {
            conn.execute(
                "UPDATE legs SET leg = 'not json' WHERE call_id = 'GROUP0'",
                [],
            )?;
            Ok(())
        })
        .expect("break the stored leg");

    let runtime = runtime();
    let (_released, holder) = hold_store(&monitor, Duration::from_millis(200));
    let results = runtime.block_on(async {
        let hangup = "event=hangup&callId=GROUP0&cause=normalClearing".to_owned();
        let bodies = [new_call(1), hangup, new_call(2)];
        let tasks: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let monitor = monitor.clone();
                tokio::spawn(async move {
                    monitor
                        .apply_async(push(&body), record(&body), OffsetDateTime::now_utc())
                        .await
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("task"));
        }
        results
    });
    holder.join().expect("holder");

    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        results[1].is_err(),
        "the broken call's hangup must fail, not be acknowledged"
    );
    assert!(results[2].is_ok(), "{:?}", results[2]);
    let requests = monitor.store().recent_requests(10).expect("requests");
    assert_eq!(
        requests.len(),
        3,
        "the failed push's request record is taken back with it: {requests:?}"
    );
}

/// The newest published entry of a call, after one push.
fn published(
    updates: &mut tokio::sync::broadcast::Receiver<klingel_core::Update>,
) -> klingel_core::domain::CallEntry {
    let mut last = None;
    while let Ok(update) = updates.try_recv() {
        if let klingel_core::Update::Call(update) = update {
            last = Some(update.call);
        }
    }
    last.expect("the push published its call")
}

fn contact_name(entry: &klingel_core::domain::CallEntry) -> Option<String> {
    entry.contact.as_ref().map(|hit| hit.contact.name.clone())
}

#[test]
fn the_writer_remembers_callers_only_while_the_book_stays_as_it_was() {
    use klingel_core::domain::{ContactInput, NumberInput};
    use klingel_core::monitor::Decision;
    use klingel_core::{PhoneNumber, Region, Store};

    let (_dir, store, path) = temp_store();
    let monitor = Monitor::new(store, &Settings::default());
    let mut updates = monitor.subscribe();
    let apply = |body: &str| {
        monitor
            .apply(&push(body), record(body), OffsetDateTime::now_utc())
            .expect("stored")
    };
    let caller = "4921155500001";
    let new_call = |id: &str| {
        format!(
            "event=newCall&direction=in&from={caller}&to=4921199999&callId={id}&user%5B%5D=Anna"
        )
    };

    apply(&new_call("BOOK1"));
    assert_eq!(contact_name(&published(&mut updates)), None);

    // A contact added through this store: the call's next push names it.
    let input = |name: &str| ContactInput {
        name: name.into(),
        numbers: vec![NumberInput {
            number: "+49 211 55500001".into(),
            ..NumberInput::default()
        }],
        ..ContactInput::default()
    };
    let added = monitor
        .store()
        .add_contact(&input("Erika Mustermann"), Region::DE)
        .expect("add");
    apply("event=answer&callId=BOOK1&user=Anna&from=4921155500001&to=4921199999&direction=in");
    assert_eq!(
        contact_name(&published(&mut updates)).as_deref(),
        Some("Erika Mustermann")
    );

    // Renamed through another connection (as `klingeld contacts edit` does): the next push
    // names the new name, not the remembered one.
    let other = Store::open(&path).expect("a second connection");
    other
        .update_contact(added.id, &input("Erika Musterfrau"), Region::DE)
        .expect("rename");
    apply("event=hangup&callId=BOOK1&cause=normalClearing&from=4921155500001&to=4921199999&direction=in");
    assert_eq!(
        contact_name(&published(&mut updates)).as_deref(),
        Some("Erika Musterfrau")
    );

    // Blocked through this store: the caller's next call is turned away.
    let number = PhoneNumber::parse("+49 211 55500001", Region::DE).expect("number");
    monitor
        .store()
        .block_number(&number, "0211 55500001")
        .expect("block");
    let applied = apply(&new_call("BOOK2"));
    assert!(
        matches!(applied.decision, Decision::Reject(_)),
        "a blocked caller must be rejected: {:?}",
        applied.decision
    );
    // And let through again once unblocked, through the other connection.
    other.unblock_number(&number).expect("unblock");
    let applied = apply(&new_call("BOOK3"));
    assert!(
        matches!(applied.decision, Decision::Accept),
        "{:?}",
        applied.decision
    );
}
