//! Applies pushes: caller lookup, the call state machine, the store, then a broadcast.
//!
//! Everything a push changes is written in one transaction together with the request record,
//! before the listener acknowledges it; subscribers hear about it only after the commit.

use std::sync::{Arc, RwLock};
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
use crate::store::{blocklist, calls, contacts, requests, write_transaction, Result, Store};

/// How many updates a slow subscriber may fall behind before it misses some.
const CHANNEL_CAPACITY: usize = 256;
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
    store: Store,
    tuning: Arc<RwLock<Tuning>>,
    updates: broadcast::Sender<Update>,
    /// Why the last push could not be stored; `None` once one is stored again.
    store_failure: Arc<watch::Sender<Option<String>>>,
}

impl Monitor {
    /// A monitor over `store`, tuned by `settings`.
    pub fn new(store: Store, settings: &Settings) -> Self {
        crate::phone::warm_up();
        Self {
            store,
            tuning: Arc::new(RwLock::new(Tuning::from_settings(settings))),
            updates: broadcast::channel(CHANNEL_CAPACITY).0,
            store_failure: Arc::new(watch::channel(None).0),
        }
    }

    /// Why pushes cannot be stored right now (disk full, broken file), or `None`.
    pub fn store_failure(&self) -> Option<String> {
        self.store_failure.borrow().clone()
    }

    /// Hears when pushes start or stop failing to be stored.
    pub fn watch_store_failure(&self) -> watch::Receiver<Option<String>> {
        self.store_failure.subscribe()
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

    /// The store behind it.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn tuning(&self) -> Tuning {
        *self.tuning.read().unwrap_or_else(|p| p.into_inner())
    }

    /// How numbers are read and shown.
    pub fn numbers(&self) -> NumbersConfig {
        self.tuning().numbers
    }

    /// Takes changed settings (region, expiry, reject reason) without a restart.
    pub fn reconfigure(&self, settings: &Settings) {
        *self.tuning.write().unwrap_or_else(|p| p.into_inner()) = Tuning::from_settings(settings);
    }

    /// Hears every update from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.updates.subscribe()
    }

    /// Tells every subscriber.
    pub(crate) fn publish(&self, update: Update) {
        // No subscriber is fine: the headless listener may run without one.
        let _ = self.updates.send(update);
    }

    /// Applies one push received at `at`, stores it with its request record, and publishes the
    /// change. Blocking: call through `spawn_blocking` from async code.
    #[tracing::instrument(skip_all, fields(event = push.kind().as_str(), call_id = %push.call_id), err)]
    pub fn apply(&self, push: &Push, record: RequestRecord, at: OffsetDateTime) -> Result<Applied> {
        let result = self.store_push(push, record, at);
        self.note_stored(result.as_ref().err().map(ToString::to_string));
        result
    }

    fn store_push(
        &self,
        push: &Push,
        mut record: RequestRecord,
        at: OffsetDateTime,
    ) -> Result<Applied> {
        let tuning = self.tuning();
        let (applied, updates, stored) = self.store.with(|conn| {
            let tx = write_transaction(conn)?;
            let decision = decide(&tx, push, tuning.reject_reason)?;
            let found = calls::find_for_push(&tx, push)?;
            let previous = found
                .as_ref()
                .and_then(|(_, legs)| legs.summary())
                .map(|s| s.state);
            let (key, mut legs) = match found {
                Some((key, legs)) => (Some(key), legs),
                None => (None, Legs::default()),
            };
            let rejected = match decision {
                Decision::Reject(reason) => Some(reason),
                Decision::Accept => None,
            };
            let changed = legs.apply(push, at, rejected);
            let key = match (key, changed) {
                (Some(key), false) => key,
                (key, _) => calls::save(&tx, key, &legs, at)?,
            };
            let mut called_back = Vec::new();
            if changed && previous.is_none() {
                called_back = mark_called_back(&tx, push, &legs, at)?;
            }
            record.status = 200;
            let request_id = requests::insert(&tx, &record)?;
            tx.commit()?;

            let mut updates = Vec::new();
            if changed {
                updates.push(CallUpdate {
                    call: calls::entry(conn, key, &tuning.numbers)?,
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
            Ok((
                Applied {
                    decision,
                    call: key,
                    changed,
                },
                updates,
                StoredRequest {
                    id: request_id,
                    record,
                },
            ))
        })?;
        for update in updates {
            self.publish(Update::Call(Box::new(update)));
        }
        self.publish(Update::Request(Box::new(stored)));
        Ok(applied)
    }

    /// Records a request that never became a push (refused, or an unknown event) and announces it.
    pub fn record_request(&self, record: &RequestRecord) -> Result<()> {
        self.record_requests(std::slice::from_ref(record))
    }

    /// Records requests that never became pushes, in one transaction, and announces them.
    pub fn record_requests(&self, records: &[RequestRecord]) -> Result<()> {
        for stored in self.store.record_requests(records)? {
            self.publish(Update::Request(Box::new(stored)));
        }
        Ok(())
    }

    /// Closes calls whose legs stayed open too long; returns how many closed.
    #[tracing::instrument(skip(self), err)]
    pub fn expire_due(&self, at: OffsetDateTime) -> Result<usize> {
        let tuning = self.tuning();
        let updates = self.store.with(|conn| {
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
            closed
                .into_iter()
                .map(|(key, previous)| {
                    Ok(CallUpdate {
                        call: calls::entry(conn, key, &tuning.numbers)?,
                        cause: UpdateCause::Expired,
                        previous,
                        popup: None,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let count = updates.len();
        for update in updates {
            tracing::info!(call = %update.call.id, "closed a call that never got its hangup");
            self.publish(Update::Call(Box::new(update)));
        }
        Ok(count)
    }

    /// Marks missed calls seen (all when `keys` is empty) and publishes the change.
    pub fn mark_seen(&self, keys: &[CallKey], at: OffsetDateTime) -> Result<usize> {
        let changed = self.store.mark_seen(keys, at)?;
        let numbers = self.numbers();
        for key in &changed {
            let call = self.store.call(*key, &numbers)?;
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
        self.store.handle_call(key, handled)?;
        let call = self.store.call(key, &self.numbers())?;
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

/// Turns away an incoming caller whose number is on the blocklist or whose contact is blocked.
fn decide(conn: &rusqlite::Connection, push: &Push, reason: RejectReason) -> Result<Decision> {
    let incoming_new_call = matches!(push.event, Event::NewCall { .. })
        && push.direction.unwrap_or(Direction::In) == Direction::In;
    // Whoever holds the test key must not be able to find out who is blocked.
    if !incoming_new_call || push.test {
        return Ok(Decision::Accept);
    }
    let Caller::Number(number) = Caller::from_push(push.from.as_deref()) else {
        return Ok(Decision::Accept);
    };
    if blocklist::is_listed(conn, &number)? {
        return Ok(Decision::Reject(reason));
    }
    Ok(match contacts::lookup(conn, &number)? {
        Some(hit) if hit.contact.blocked => Decision::Reject(reason),
        Some(_) | None => Decision::Accept,
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
