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
