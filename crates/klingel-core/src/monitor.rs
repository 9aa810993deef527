//! Applies pushes: caller lookup, the call state machine, the store, then a broadcast.
//!
//! Everything a push changes is written in one transaction together with the request record,
//! before the listener acknowledges it; subscribers hear about it only after the commit.

mod repair;

pub use repair::Repairs;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration as StdDuration;

use time::{Duration, OffsetDateTime};
use tokio::sync::{broadcast, watch};

use crate::calls::{CallState, Expiry, Legs};
use crate::config::{NumbersConfig, Settings};
use crate::domain::{
    CallEntry, CallKey, CallUpdate, RequestRecord, StoredRequest, Update, UpdateCause,
};
use crate::phone::Caller;
use crate::sipgate::{Direction, Event, Push, RejectReason};
use crate::store::prepared_tx::PreparedTransaction;
use crate::store::{calls, requests, write_transaction, Result, Store, StoreError};

/// The updates for calls a committed transaction changed (`previous`: the state before).
fn call_updates(
    conn: &rusqlite::Connection,
    changed: Vec<(CallKey, Option<CallState>)>,
    cause: UpdateCause,
    numbers: &NumbersConfig,
) -> Result<Vec<CallUpdate>> {
    changed
        .into_iter()
        .map(|(key, previous)| {
            Ok(CallUpdate {
                call: calls::entry(conn, key, numbers)?,
                cause,
                previous,
                popup: None,
            })
        })
        .collect()
}

/// How many updates a slow subscriber may fall behind before it misses some.
const CHANNEL_CAPACITY: usize = 256;
/// Most pushes one commit takes: a group this size is still committed within milliseconds.
const MAX_GROUP: usize = 512;
/// How often open calls are checked for expiry.
const EXPIRY_TICK: StdDuration = StdDuration::from_secs(15);

/// What the listener should answer a push with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let the call through.
    Accept,
    /// Turn the caller away (a blocked contact).
    Reject(RejectReason),
}

/// The result of applying one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// How to answer.
    pub decision: Decision,
    /// The call the push belongs to.
    pub call: CallKey,
    /// Whether the push changed anything (a repeat does not).
    pub changed: bool,
}

#[derive(Debug, Clone, Copy)]
struct Tuning {
    numbers: NumbersConfig,
    expiry: Expiry,
    reject_reason: RejectReason,
}

impl Tuning {
    fn from_settings(settings: &Settings) -> Self {
        let secs = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX));
        Self {
            numbers: settings.numbers,
            expiry: Expiry {
                ring: secs(settings.calls.ring_timeout_secs),
                call: secs(settings.calls.call_timeout_secs),
            },
            reject_reason: settings.listener.reject_reason,
        }
    }
}

/// The call monitor: the one place pushes become calls.
#[derive(Debug, Clone)]
pub struct Monitor {
    core: Arc<Core>,
    /// The queue to the thread that stores pushes, started by the first push. The thread ends
    /// when the last clone of this monitor is dropped (the queue closes).
    writer: Arc<OnceLock<mpsc::Sender<Job>>>,
}

/// What the monitor and its writer thread share (not the queue, so the queue can close).
#[derive(Debug)]
struct Core {
    store: Store,
    tuning: RwLock<Tuning>,
    updates: broadcast::Sender<Update>,
    /// Why the last push could not be stored; `None` once one is stored again.
    store_failure: watch::Sender<Option<String>>,
    /// How many commits the writer made, and for how many pushes.
    groups: GroupStats,
}

impl Core {
    fn tuning(&self) -> Tuning {
        *self.tuning.read().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self, update: Update) {
        // No subscriber is fine: the headless listener may run without one.
        let _ = self.updates.send(update);
    }

    /// Remembers whether the last push was stored; tells watchers only when that changes.
    fn note_stored(&self, failure: Option<String>) {
        self.store_failure.send_if_modified(|current| {
            if *current == failure {
                return false;
            }
            *current = failure;
            true
        });
    }
}

/// Counts of the writer's commits: pushes per commit shows how much group commit shares.
#[derive(Debug, Default)]
struct GroupStats {
    commits: AtomicU64,
    pushes: AtomicU64,
}

impl Monitor {
    /// A monitor over `store`, tuned by `settings`.
    pub fn new(store: Store, settings: &Settings) -> Self {
        crate::phone::warm_up();
        Self {
            core: Arc::new(Core {
                store,
                tuning: RwLock::new(Tuning::from_settings(settings)),
                updates: broadcast::channel(CHANNEL_CAPACITY).0,
                store_failure: watch::channel(None).0,
                groups: GroupStats::default(),
            }),
            writer: Arc::new(OnceLock::new()),
        }
    }

    /// Commits the push writer made so far, and the pushes they stored: under load one commit
    /// stores many pushes.
    pub fn commit_counts(&self) -> (u64, u64) {
        (
            self.core.groups.commits.load(Ordering::Relaxed),
            self.core.groups.pushes.load(Ordering::Relaxed),
        )
    }

    /// Why pushes cannot be stored right now (disk full, broken file), or `None`.
    pub fn store_failure(&self) -> Option<String> {
        self.core.store_failure.borrow().clone()
    }

    /// Hears when pushes start or stop failing to be stored.
    pub fn watch_store_failure(&self) -> watch::Receiver<Option<String>> {
        self.core.store_failure.subscribe()
    }

    /// The store behind it.
    pub fn store(&self) -> &Store {
        &self.core.store
    }

    fn tuning(&self) -> Tuning {
        self.core.tuning()
    }

    /// How numbers are read and shown.
    pub fn numbers(&self) -> NumbersConfig {
        self.tuning().numbers
    }

    /// Takes changed settings (region, expiry, reject reason) without a restart.
    pub fn reconfigure(&self, settings: &Settings) {
        *self.core.tuning.write().unwrap_or_else(|p| p.into_inner()) =
            Tuning::from_settings(settings);
    }

    /// Hears every update from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.core.updates.subscribe()
    }

    /// Tells every subscriber.
    pub(crate) fn publish(&self, update: Update) {
        self.core.publish(update);
    }

    /// Applies one push received at `at`, stores it with its request record, and publishes the
    /// change. Blocking (it waits for the commit): call through `spawn_blocking` from async
    /// code, or use [`Monitor::apply_async`].
    #[tracing::instrument(skip_all, fields(event = push.kind().as_str(), call_id = %push.call_id), err)]
    pub fn apply(&self, push: &Push, record: RequestRecord, at: OffsetDateTime) -> Result<Applied> {
        let (done, answer) = std::sync::mpsc::sync_channel(1);
        self.submit(push.clone(), record, at, Done::Blocking(done))?;
        answer.recv().unwrap_or_else(|_| Err(writer_gone()))
    }

    /// Like [`Monitor::apply`], awaiting the commit without holding a thread.
    pub async fn apply_async(
        &self,
        push: Push,
        record: RequestRecord,
        at: OffsetDateTime,
    ) -> Result<Applied> {
        let (done, answer) = tokio::sync::oneshot::channel();
        self.submit(push, record, at, Done::Async(done))?;
        answer.await.unwrap_or_else(|_| Err(writer_gone()))
    }

    /// Queues a push for the writer thread, starting it on first use.
    fn submit(
        &self,
        push: Push,
        record: RequestRecord,
        at: OffsetDateTime,
        done: Done,
    ) -> Result<()> {
        let writer = self.writer.get_or_init(|| {
            let (jobs, queue) = std::sync::mpsc::channel();
            let monitor = WriterSide {
                core: self.core.clone(),
                memo: Mutex::default(),
            };
            let spawned = std::thread::Builder::new()
                .name("klingel-writer".to_owned())
                .spawn(move || monitor.run(&queue));
            if let Err(e) = spawned {
                tracing::error!("cannot start the push writer: {e}");
            }
            jobs
        });
        let read = calls::ReadNumbers::of(&push, &self.tuning().numbers);
        writer
            .send(Job {
                push,
                record,
                at,
                done,
                read,
            })
            .map_err(|_| writer_gone())
    }

    /// Records a request that never became a push (refused, or an unknown event) and announces it.
    pub fn record_request(&self, record: &RequestRecord) -> Result<()> {
        self.record_requests(std::slice::from_ref(record))
    }

    /// Records requests that never became pushes, in one transaction, and announces them.
    pub fn record_requests(&self, records: &[RequestRecord]) -> Result<()> {
        for stored in self.core.store.record_requests(records)? {
            self.publish(Update::Request(Box::new(stored)));
        }
        Ok(())
    }

    /// Closes calls whose legs stayed open too long; returns how many closed.
    #[tracing::instrument(skip(self), err)]
    pub fn expire_due(&self, at: OffsetDateTime) -> Result<usize> {
        let tuning = self.tuning();
        let updates = self.core.store.with(|conn| {
            let tx = write_transaction(conn)?;
            let mut closed = Vec::new();
            for (key, mut legs) in calls::open_calls(&tx)? {
                let previous = legs.summary().map(|s| s.state);
                if legs.expire(at, tuning.expiry) {
                    calls::save(&tx, Some(key), &legs, at)?;
                    closed.push((key, previous));
                }
            }
            tx.commit()?;
            call_updates(conn, closed, UpdateCause::Expired, &tuning.numbers)
        })?;
        let count = updates.len();
        for update in updates {
            tracing::info!(call = %update.call.id, "closed a call that never got its hangup");
            self.publish(Update::Call(Box::new(update)));
        }
        Ok(count)
    }

    /// Marks the call with `call_id` as placed by Klingel (click-to-call) when sipgate's echo
    /// of it arrived before sipgate answered the request; its popup then closes.
    pub fn mark_dialed(&self, call_id: &str, at: OffsetDateTime) -> Result<()> {
        let tuning = self.tuning();
        let updates = self.core.store.with(|conn| {
            let tx = write_transaction(conn)?;
            let Some(key) = calls::call_of_leg(&tx, call_id)? else {
                return Ok(Vec::new());
            };
            let mut legs = calls::legs(&tx, key)?;
            let previous = legs.summary().map(|s| s.state);
            if !legs.mark_click_to_call(call_id) {
                return Ok(Vec::new());
            }
            calls::save(&tx, Some(key), &legs, at)?;
            tx.commit()?;
            let cause = UpdateCause::Push(crate::sipgate::EventKind::NewCall);
            call_updates(conn, vec![(key, previous)], cause, &tuning.numbers)
        })?;
        for update in updates {
            self.publish(Update::Call(Box::new(update)));
        }
        Ok(())
    }

    /// Marks missed calls seen (all when `keys` is empty) and publishes the change.
    pub fn mark_seen(&self, keys: &[CallKey], at: OffsetDateTime) -> Result<usize> {
        let changed = self.core.store.mark_seen(keys, at)?;
        let numbers = self.numbers();
        for key in &changed {
            let call = self.core.store.call(*key, &numbers)?;
            self.publish(Update::Call(Box::new(CallUpdate {
                call,
                cause: UpdateCause::Seen,
                previous: Some(CallState::Missed),
                popup: None,
            })));
        }
        Ok(changed.len())
    }

    /// Marks a missed call handled (first writer wins) and publishes the change.
    pub fn handle_call(&self, key: CallKey, handled: &crate::domain::Handled) -> Result<CallEntry> {
        self.core.store.handle_call(key, handled)?;
        let call = self.core.store.call(key, &self.numbers())?;
        self.publish(Update::Call(Box::new(CallUpdate {
            call: call.clone(),
            cause: UpdateCause::Handled,
            previous: Some(CallState::Missed),
            popup: None,
        })));
        Ok(call)
    }

    /// Runs expiry every few seconds until `shutdown` completes.
    pub async fn run_expiry(self, shutdown: impl std::future::Future<Output = ()>) {
        let mut tick = tokio::time::interval(EXPIRY_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => {
                    let monitor = self.clone();
                    let at = crate::time_fmt::now();
                    match tokio::task::spawn_blocking(move || monitor.expire_due(at)).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::warn!("expiry check failed: {e}"),
                        Err(e) => tracing::warn!("expiry task failed: {e}"),
                    }
                }
            }
        }
    }
}

/// How a push's submitter waits for its commit.
enum Done {
    /// A thread blocked in [`Monitor::apply`].
    Blocking(mpsc::SyncSender<Result<Applied>>),
    /// A task awaiting [`Monitor::apply_async`].
    Async(tokio::sync::oneshot::Sender<Result<Applied>>),
}

impl Done {
    fn send(self, result: Result<Applied>) {
        // The submitter may have given up (a dropped request); its push is stored regardless.
        match self {
            Self::Blocking(done) => {
                let _ = done.send(result);
            }
            Self::Async(done) => {
                let _ = done.send(result);
            }
        }
    }
}

/// One push waiting for the writer.
struct Job {
    push: Push,
    record: RequestRecord,
    at: OffsetDateTime,
    done: Done,
    /// Its numbers, read by the thread that received it.
    read: calls::ReadNumbers,
}

/// What a push changed, to be published once its group is committed.
struct Stored {
    applied: Applied,
    updates: Vec<CallUpdate>,
    request: StoredRequest,
}

fn writer_gone() -> StoreError {
    StoreError::WriterStopped
}

/// The writer thread's share of the monitor.
struct WriterSide {
    core: Arc<Core>,
    /// Numbers read and formatted by earlier pushes (a call's answer and hangup repeat its
    /// newCall's numbers). Only the writer thread uses it; the mutex only makes it `Sync`.
    memo: Mutex<calls::CallerMemo>,
}

impl WriterSide {
    /// Group commit: takes every push that queued while the previous commit was syncing, and
    /// stores them all in one transaction with one sync. A lone push is committed at once; under
    /// load, pushes share the cost of the sync instead of waiting in line for one each.
    fn run(&self, queue: &mpsc::Receiver<Job>) {
        while let Ok(first) = queue.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match queue.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            self.store_group(group);
        }
    }

    fn store_group(&self, mut group: Vec<Job>) {
        let tuning = self.core.tuning();
        let started = std::time::Instant::now();
        let size = group.len();
        let mut written = started;
        let committed = self.core.store.with(|conn| {
            let tx = PreparedTransaction::begin(conn)?;
            let mut results = Vec::with_capacity(group.len());
            // Pushes change no contact: who a number belongs to holds until a contact, the
            // blocklist or the account's names change (read inside this transaction, which
            // holds the write lock, so no change can slip in before its reads).
            let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
            memo.keep_parties_for(self.core.store.book_stamp(&tx)?);
            for job in &mut group {
                memo.take_read(std::mem::take(&mut job.read), &tuning.numbers);
            }
            for job in &group {
                // A savepoint per push: one that fails (a corrupt row) takes back only its own
                // writes, and the others in its group are still committed.
                results.push(tx.savepoint(|conn| store_push(conn, job, &tuning, &mut memo))?);
            }
            written = std::time::Instant::now();
            tx.commit()?;
            Ok(results)
        });
        tracing::trace!(
            size,
            write_us = (written - started).as_micros(),
            commit_us = written.elapsed().as_micros(),
            "stored a group of pushes"
        );
        match committed {
            Ok(results) => {
                self.core.groups.commits.fetch_add(1, Ordering::Relaxed);
                self.core
                    .groups
                    .pushes
                    .fetch_add(size as u64, Ordering::Relaxed);
                // The status shows whether the newest push could be stored: a failure stays
                // red until a push after it is stored again.
                let failure = results
                    .last()
                    .and_then(|r| r.as_ref().err().map(ToString::to_string));
                for (job, result) in group.into_iter().zip(results) {
                    let result = result.map(|stored| {
                        for update in stored.updates {
                            self.core.publish(Update::Call(Box::new(update)));
                        }
                        self.core.publish(Update::Request(Box::new(stored.request)));
                        stored.applied
                    });
                    if let Err(e) = &result {
                        tracing::error!(call_id = %job.push.call_id, "could not store push: {e}");
                    }
                    job.done.send(result);
                }
                self.core.note_stored(failure);
            }
            Err(e) => {
                tracing::error!(pushes = group.len(), "could not store pushes: {e}");
                self.core.note_stored(Some(e.to_string()));
                let shared = Arc::new(e);
                for job in group {
                    job.done.send(Err(StoreError::GroupCommit(shared.clone())));
                }
            }
        }
    }
}

/// Applies one push inside its group's transaction: decides, runs the state machine, saves
/// the call and the request record, and reads back the entries to publish after the commit
/// (read here, so each update shows the call as this push left it).
fn store_push(
    conn: &rusqlite::Connection,
    job: &Job,
    tuning: &Tuning,
    memo: &mut calls::CallerMemo,
) -> Result<Stored> {
    let Job {
        push, record, at, ..
    } = job;
    let at = *at;
    let decision = decide(conn, push, tuning, memo)?;
    let found = calls::find_for_push(conn, push)?;
    let previous = found
        .as_ref()
        .and_then(|(_, legs)| legs.summary())
        .map(|s| s.state);
    let (key, mut legs) = match found {
        Some((key, legs)) => (Some(key), legs),
        None => (None, Legs::default()),
    };
    // As stored, so that saving writes only what this push changed.
    let stored = key.map(|_| legs.clone());
    let rejected = match decision {
        Decision::Reject(reason) => Some(reason),
        Decision::Accept => None,
    };
    let mut changed = legs.apply(push, at, rejected);
    // sipgate echoes a click-to-call as a `newCall` for one's own phone: not a caller.
    if changed
        && matches!(push.event, Event::NewCall { .. })
        && calls::was_dialed(conn, &push.call_id)?
    {
        changed |= legs.mark_click_to_call(&push.call_id);
    }
    let (key, row) = match (key, changed) {
        (Some(key), false) => (key, None),
        (key, _) => {
            let row = calls::save_row(conn, key, &legs, stored.as_ref(), at)?;
            (row.key, Some(row))
        }
    };
    let mut called_back = Vec::new();
    if changed && previous.is_none() {
        called_back = mark_called_back(conn, push, &legs, at)?;
    }
    let mut record = record.clone();
    record.status = 200;
    let request_id = requests::insert(conn, &record)?;

    let mut updates = Vec::new();
    if let Some(row) = row {
        updates.push(CallUpdate {
            call: calls::entry_for_push(conn, row, &legs, &tuning.numbers, memo)?,
            cause: UpdateCause::Push(push.kind()),
            previous,
            popup: None,
        });
    }
    for other in called_back {
        updates.push(CallUpdate {
            call: calls::entry(conn, other, &tuning.numbers)?,
            cause: UpdateCause::CalledBack,
            previous: Some(CallState::Missed),
            popup: None,
        });
    }
    Ok(Stored {
        applied: Applied {
            decision,
            call: key,
            changed,
        },
        updates,
        request: StoredRequest {
            id: request_id,
            record,
        },
    })
}

/// Turns away an incoming caller whose number is on the blocklist or whose contact is blocked.
fn decide(
    conn: &rusqlite::Connection,
    push: &Push,
    tuning: &Tuning,
    memo: &mut calls::CallerMemo,
) -> Result<Decision> {
    let incoming_new_call = matches!(push.event, Event::NewCall { .. })
        && push.direction.unwrap_or(Direction::In) == Direction::In;
    // Whoever holds the test key must not be able to find out who is blocked.
    if !incoming_new_call || push.test {
        return Ok(Decision::Accept);
    }
    let Some(number) = memo
        .shown(push.from.as_deref(), &tuning.numbers)
        .caller()
        .number()
        .cloned()
    else {
        return Ok(Decision::Accept);
    };
    Ok(match memo.party(conn, &number)? {
        (_, true) => Decision::Reject(tuning.reject_reason),
        (Some(hit), false) if hit.contact.blocked => Decision::Reject(tuning.reject_reason),
        (Some(_) | None, false) => Decision::Accept,
    })
}

/// A new outgoing call to someone who called in and was missed marks those calls called back.
fn mark_called_back(
    conn: &rusqlite::Connection,
    push: &Push,
    legs: &Legs,
    at: OffsetDateTime,
) -> Result<Vec<CallKey>> {
    let Some(summary) = legs.summary() else {
        return Ok(Vec::new());
    };
    // A test call never settles a real one.
    if push.test || summary.test {
        return Ok(Vec::new());
    }
    if summary.direction != Direction::Out || !matches!(push.event, Event::NewCall { .. }) {
        return Ok(Vec::new());
    }
    let Caller::Number(number) = Caller::from_push(summary.remote.as_deref()) else {
        return Ok(Vec::new());
    };
    let by = summary
        .users
        .iter()
        .find(|u| !u.is_empty())
        .map(String::as_str);
    calls::mark_called_back(conn, number.e164(), by, at)
}

#[cfg(test)]
mod tests {
    use super::Monitor;
    use crate::config::Settings;
    use crate::domain::RequestRecord;
    use crate::sipgate::{parse, BodyFormat, Parsed};
    use crate::store::test_support::temp_store;
    use time::OffsetDateTime;

    /// Every call's queried columns and every leg, as stored.
    fn snapshot(monitor: &Monitor) -> Vec<String> {
        monitor
            .store()
            .with(|conn| {
                let mut rows = Vec::new();
                for sql in [
                    "SELECT id, state, direction, remote, remote_e164, started_at, ended_at
                     FROM calls ORDER BY id",
                    "SELECT call_id, call, orig_call_id, xcid, leg FROM legs ORDER BY call_id",
                ] {
                    let mut stmt = conn.prepare(sql)?;
                    let columns = stmt.column_count();
                    let mut found = stmt.query([])?;
                    while let Some(row) = found.next()? {
                        let values = (0..columns)
                            .map(|i| Ok(format!("{:?}", row.get::<_, rusqlite::types::Value>(i)?)))
                            .collect::<rusqlite::Result<Vec<_>>>()?;
                        rows.push(values.join(" | "));
                    }
                }
                Ok(rows)
            })
            .expect("snapshot")
    }

    /// Statements that began running for the first time since they were prepared.
    static FRESHLY_PREPARED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    fn note_fresh_statement(event: rusqlite::trace::TraceEvent<'_>) {
        if let rusqlite::trace::TraceEvent::Stmt(stmt, sql) = event {
            // "--" marks a trigger's program starting inside its statement, not a statement.
            if !sql.starts_with("--") && stmt.get_status(rusqlite::StatementStatus::Run) == 0 {
                FRESHLY_PREPARED
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(sql.to_owned());
            }
        }
    }

    /// Stores a ringing call that is answered, a missed call and a call back, with call ids
    /// and callers of their own (`round`), through `monitor`.
    fn push_calls(monitor: &Monitor, round: u32, at: &mut OffsetDateTime) {
        let (a, b, c) = (
            format!("A{round}"),
            format!("B{round}"),
            format!("C{round}"),
        );
        let (known, stranger) = ("4921155500001", format!("49301{round:07}"));
        let bodies = [
            format!("event=newCall&direction=in&from={known}&to=4921199999&callId={a}&origCallId={a}&user%5B%5D=Anna&xcid=x{a}"),
            format!("event=answer&callId={a}&user=Anna&from={known}&to=4921199999&direction=in&origCallId={a}&xcid=x{a}"),
            format!("event=hangup&callId={a}&cause=normalClearing&from={known}&to=4921199999&direction=in&origCallId={a}&xcid=x{a}"),
            format!("event=newCall&direction=in&from={stranger}&to=4921199999&callId={b}&origCallId={b}&user%5B%5D=Anna&xcid=x{b}"),
            format!("event=hangup&callId={b}&cause=cancel&from={stranger}&to=4921199999&direction=in&origCallId={b}&xcid=x{b}"),
            format!("event=newCall&direction=out&from=4921199999&to={stranger}&callId={c}&origCallId={c}&user%5B%5D=Anna&xcid=x{c}"),
            format!("event=answer&callId={c}&user=Anna&from=4921199999&to={stranger}&direction=out&origCallId={c}&xcid=x{c}"),
            format!("event=hangup&callId={c}&cause=normalClearing&from=4921199999&to={stranger}&direction=out&origCallId={c}&xcid=x{c}"),
        ];
        for body in bodies {
            let Ok(Parsed::Push(push)) = parse(body.as_bytes(), BodyFormat::Form) else {
                panic!("test body must parse: {body}");
            };
            *at += time::Duration::seconds(3);
            let mut record = RequestRecord::received("POST", "/", *at);
            record.body = body;
            monitor.apply(&push, record, *at).expect("stored");
        }
    }

    #[test]
    fn pushes_after_the_first_calls_run_on_prepared_statements_only() {
        let (_dir, store) = temp_store();
        store
            .add_contact(
                &crate::store::test_support::contact("Anna", "+4921155500001"),
                crate::phone::Region::DE,
            )
            .expect("contact");
        let monitor = Monitor::new(store, &Settings::default());
        let mut at = OffsetDateTime::now_utc();
        push_calls(&monitor, 1, &mut at);
        monitor
            .store()
            .with(|conn| {
                conn.trace_v2(
                    rusqlite::trace::TraceEventCodes::SQLITE_TRACE_STMT,
                    Some(note_fresh_statement),
                );
                Ok(())
            })
            .expect("trace");
        push_calls(&monitor, 2, &mut at);
        push_calls(&monitor, 3, &mut at);
        let fresh = std::mem::take(&mut *FRESHLY_PREPARED.lock().expect("list"));
        // Parsing and planning SQL again costs more than running it: every push would pay.
        assert!(fresh.is_empty(), "prepared again: {fresh:#?}");
    }

    #[test]
    fn a_push_writes_only_what_changed_and_leaves_what_a_full_write_would() {
        let (_dir, store) = temp_store();
        let monitor = Monitor::new(store, &Settings::default());
        let mut at = OffsetDateTime::now_utc();
        // A forward to voicemail (a second leg linked by origCallId and xcid), a missed call,
        // and an outgoing call that calls the missed caller back.
        let bodies = [
            "event=newCall&direction=in&from=4921155500001&to=4921199999&callId=A&origCallId=A&user%5B%5D=Anna&xcid=x1",
            "event=hangup&callId=A&cause=forwarded&from=4921155500001&to=4921199999&direction=in&origCallId=A&xcid=x1",
            "event=newCall&direction=in&from=4921155500001&to=4921199999&callId=B&origCallId=A&user%5B%5D=voicemail&xcid=x1&diversion=4921199999",
            "event=answer&callId=B&user=voicemail&from=4921155500001&to=4921199999&direction=in&origCallId=A&xcid=x1",
            "event=hangup&callId=B&cause=normalClearing&from=4921155500001&to=4921199999&direction=in&origCallId=A&xcid=x1",
            "event=newCall&direction=in&from=4921155500002&to=4921199999&callId=C&origCallId=C&user%5B%5D=Anna&xcid=x2",
            "event=hangup&callId=C&cause=cancel&from=4921155500002&to=4921199999&direction=in&origCallId=C&xcid=x2",
            "event=newCall&direction=out&from=4921199999&to=4921155500002&callId=D&origCallId=D&user%5B%5D=Anna&xcid=x3",
            "event=answer&callId=D&user=Anna&from=4921199999&to=4921155500002&direction=out&origCallId=D&xcid=x3",
            "event=hangup&callId=D&cause=normalClearing&from=4921199999&to=4921155500002&direction=out&origCallId=D&xcid=x3",
        ];
        for body in bodies {
            let Ok(Parsed::Push(push)) = parse(body.as_bytes(), BodyFormat::Form) else {
                panic!("test body must parse: {body}");
            };
            at += time::Duration::seconds(3);
            let mut record = RequestRecord::received("POST", "/", at);
            record.body = body.into();
            monitor.apply(&push, record, at).expect("stored");
        }
        let written = snapshot(&monitor);
        assert_eq!(
            written
                .iter()
                .filter(|row| row.contains("Text(\"missed\")"))
                .count(),
            1,
            "one missed call: {written:#?}"
        );
        // Rewrite every call and leg in full, as a migration does: nothing may differ.
        monitor
            .store()
            .with(|conn| crate::store::calls::rederive_all(conn, at))
            .expect("rewrite");
        assert_eq!(snapshot(&monitor), written);
    }
}
