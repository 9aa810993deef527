//! The app as a desk: the call log it follows from a hub, kept in memory, and the link that
//! feeds it. The window's calls view reads this log through the same [`crate::Session`] calls
//! it uses for a local one, and hears the same updates, so it does not know which it has.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::watch;

use super::client::{follow, ClientError, CursorFile, DeskEvent, FollowOptions, HubClient};
use super::wire::{DeskInfo, WireCall};
use crate::calls::CallState;
use crate::domain::{CallEntry, CallFilter, CallKey, CallUpdate, CallsPage, Update, UpdateCause};
use crate::phone::Region;
use crate::sipgate::EventKind;

/// How many calls a desk loads when it connects.
const SNAPSHOT: usize = 500;

/// Where the desk's link stands, for the window's rail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeskStatus {
    /// The hub's URL.
    pub hub_url: String,
    /// Following the hub's stream now.
    pub connected: bool,
    /// Who this desk is, once the hub said.
    pub desk: Option<DeskInfo>,
    /// Unreachable since then (None while connected).
    #[serde(with = "time::serde::rfc3339::option")]
    pub offline_since: Option<OffsetDateTime>,
    /// Why it is not connected (the last failure), or a fatal refusal (revoked, bad token).
    pub error: Option<String>,
    /// The hub refused this desk for good (bad token, revoked): it no longer retries.
    pub stopped: bool,
    /// Missed calls that rang here while the desk was away (shown once after a reconnect).
    pub missed_while_away: usize,
}

/// The calls a desk knows, by id, each at the newest version it has seen.
#[derive(Debug, Default)]
pub struct DeskLog {
    calls: HashMap<CallKey, CallEntry>,
}

impl DeskLog {
    /// Takes a call's newer state; returns its previous state (`Some(None)` for a new call),
    /// or `None` when `call` is not newer than what the log has (a replay).
    pub fn apply(&mut self, call: CallEntry) -> Option<Option<CallState>> {
        match self.calls.get(&call.id) {
            Some(known) if known.v >= call.v && call.v != 0 => None,
            known => {
                let previous = known.map(|k| k.summary.state);
                // Seen is this desk's own mark: a newer state from the hub keeps it.
                let seen = known.and_then(|k| k.seen_at);
                let mut call = call;
                if call.seen_at.is_none() {
                    call.seen_at = seen;
                    call.refresh();
                }
                self.calls.insert(call.id, call);
                Some(previous)
            }
        }
    }

    /// Forgets a call that left the hub's log.
    pub fn remove(&mut self, key: CallKey) -> bool {
        self.calls.remove(&key).is_some()
    }

    /// One call.
    pub fn get(&self, key: CallKey) -> Option<CallEntry> {
        self.calls.get(&key).cloned()
    }

    /// A page of the log, newest first, as [`crate::Session::calls_page`] gives it.
    pub fn page(&self, filter: &CallFilter, region: Region) -> CallsPage {
        let admits = filter.admits(region);
        let order = |c: &CallEntry| (c.summary.started_at, c.id.0);
        let mut in_view: Vec<&CallEntry> = self.calls.values().filter(|c| admits(c)).collect();
        in_view.sort_by_key(|c| std::cmp::Reverse(order(c)));
        let total = i64::try_from(in_view.len()).unwrap_or(i64::MAX);
        // Older than the cursor's call; a cursor this log does not know leaves the view whole.
        let after_cursor: Vec<&CallEntry> =
            match filter.before.and_then(|b| self.calls.get(&b)).map(order) {
                Some(cursor) => in_view.into_iter().filter(|c| order(c) < cursor).collect(),
                None => in_view,
            };
        let limit = filter.limit.unwrap_or(100);
        let more = after_cursor.len() > limit;
        let searching = filter
            .search
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        CallsPage {
            calls: after_cursor.into_iter().take(limit).cloned().collect(),
            total: (!searching).then_some(total),
            more,
            // The desk holds the office's log in memory and searches all of it at once.
            searched_to: None,
            searched: None,
        }
    }

    /// Missed incoming calls not marked seen here.
    pub fn unseen_missed(&self) -> i64 {
        let unseen = self
            .calls
            .values()
            .filter(|c| c.is_missed() && c.seen_at.is_none() && c.handled.is_none())
            .count();
        i64::try_from(unseen).unwrap_or(i64::MAX)
    }

    /// Marks missed calls seen here (all when `keys` is empty); returns the changed calls.
    pub fn mark_seen(&mut self, keys: &[CallKey], at: OffsetDateTime) -> Vec<CallEntry> {
        let mut changed = Vec::new();
        for call in self.calls.values_mut() {
            let wanted = keys.is_empty() || keys.contains(&call.id);
            if wanted && call.is_missed() && call.seen_at.is_none() {
                call.seen_at = Some(at);
                call.refresh();
                changed.push(call.clone());
            }
        }
        changed
    }
}

/// Why a call update reads the way it does, from the states before and after.
fn cause_of(previous: Option<&CallEntry>, call: &CallEntry) -> UpdateCause {
    if previous.is_some_and(|p| p.handled.is_none()) && call.handled.is_some() {
        return UpdateCause::Handled;
    }
    if previous.is_some_and(|p| p.called_back_at.is_none()) && call.called_back_at.is_some() {
        return UpdateCause::CalledBack;
    }
    if call.summary.expired && previous.is_some_and(|p| !p.summary.expired) {
        return UpdateCause::Expired;
    }
    UpdateCause::Push(match call.summary.state {
        CallState::Ringing => EventKind::NewCall,
        CallState::Answered | CallState::Voicemail if call.summary.ended_at.is_none() => {
            EventKind::Answer
        }
        _ => EventKind::Hangup,
    })
}

/// A running link to a hub: the log it fills and the status it reports.
#[derive(Clone)]
pub struct DeskLink {
    log: Arc<Mutex<DeskLog>>,
    /// The version of each contact this desk last read: what its edits are based on.
    contact_versions: Arc<Mutex<HashMap<i64, i64>>>,
    status: Arc<watch::Sender<DeskStatus>>,
    client: HubClient,
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl std::fmt::Debug for DeskLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskLink")
            .field("hub", &self.client.url())
            .finish_non_exhaustive()
    }
}

impl DeskLink {
    /// Starts following the hub: loads the newest calls, then the stream from there, and hands
    /// every update to `publish`. Needs a tokio runtime.
    pub fn start(
        client: HubClient,
        cursor: CursorFile,
        publish: impl Fn(Update) + Send + Sync + 'static,
    ) -> Self {
        let status = Arc::new(
            watch::channel(DeskStatus {
                hub_url: client.url().to_string(),
                ..DeskStatus::default()
            })
            .0,
        );
        let link = Self {
            log: Arc::new(Mutex::new(DeskLog::default())),
            contact_versions: Arc::new(Mutex::new(HashMap::new())),
            status,
            client,
            task: Arc::new(Mutex::new(None)),
        };
        let runner = link.clone();
        let task = tokio::spawn(async move { runner.run(cursor, publish).await });
        *link.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        link
    }

    /// Stops following.
    pub fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }

    /// The hub client (for contacts and the to-do, which go to the hub).
    pub fn client(&self) -> &HubClient {
        &self.client
    }

    /// Where the link stands.
    pub fn status(&self) -> DeskStatus {
        self.status.borrow().clone()
    }

    /// Hears status changes.
    pub fn watch_status(&self) -> watch::Receiver<DeskStatus> {
        self.status.subscribe()
    }

    /// Works on the log.
    pub fn with_log<T>(&self, f: impl FnOnce(&mut DeskLog) -> T) -> T {
        f(&mut self.log.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Notes the version of a contact this desk read from the hub.
    pub fn remember_contact(&self, id: i64, v: i64) {
        self.contact_versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, v);
    }

    /// The version of a contact this desk last read, if it read it.
    pub fn contact_version(&self, id: i64) -> Option<i64> {
        self.contact_versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .copied()
    }

    fn set_status(&self, change: impl FnOnce(&mut DeskStatus)) {
        self.status.send_modify(change);
    }

    async fn run(self, cursor: CursorFile, publish: impl Fn(Update) + Send + Sync + 'static) {
        // The window shows history at once; the stream goes on from the snapshot's head.
        loop {
            match self.client.snapshot(SNAPSHOT).await {
                Ok(snapshot) => {
                    self.with_log(|log| {
                        for call in snapshot.calls {
                            log.apply(call.call);
                        }
                    });
                    if let Err(e) = cursor.save(self.client.url(), snapshot.head_seq) {
                        tracing::warn!("cannot save the desk cursor: {e}");
                    }
                    publish(Update::ContactsChanged);
                    break;
                }
                Err(e) if e.is_fatal() => {
                    self.stopped(&e);
                    return;
                }
                Err(e) => {
                    self.set_status(|s| {
                        s.connected = false;
                        s.offline_since.get_or_insert_with(crate::time_fmt::now);
                        s.error = Some(e.to_string());
                    });
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                }
            }
        }
        let on_event = |event: DeskEvent| self.on_event(event, &publish);
        let error = follow(&self.client, &cursor, &FollowOptions::default(), on_event).await;
        self.stopped(&error);
    }

    fn stopped(&self, error: &ClientError) {
        tracing::warn!("the hub refused this desk: {error}");
        self.set_status(|s| {
            s.connected = false;
            s.stopped = true;
            s.error = Some(error.to_string());
        });
    }

    fn on_event(&self, event: DeskEvent, publish: &impl Fn(Update)) {
        match event {
            DeskEvent::Connected(hello) => self.set_status(|s| {
                s.connected = true;
                s.offline_since = None;
                s.error = None;
                s.desk = Some(hello.desk);
            }),
            DeskEvent::Offline { since, reason } => self.set_status(|s| {
                s.connected = false;
                s.offline_since = Some(since);
                s.error = Some(reason);
            }),
            DeskEvent::Synced { missed, .. } => {
                if missed > 0 {
                    self.set_status(|s| s.missed_while_away = missed);
                }
            }
            DeskEvent::Call { popup, call, .. } => {
                let call = WireCall::into_entry(*call);
                let (applied, cause) = self.with_log(|log| {
                    let before = log.get(call.id);
                    let cause = cause_of(before.as_ref(), &call);
                    (log.apply(call.clone()), cause)
                });
                if let Some(previous) = applied {
                    let call = self.with_log(|log| log.get(call.id)).unwrap_or(call);
                    publish(Update::Call(Box::new(CallUpdate {
                        call,
                        cause,
                        previous,
                        popup: Some(popup),
                    })));
                }
            }
            DeskEvent::CallGone(gone) => {
                if self.with_log(|log| log.remove(gone.id)) {
                    publish(Update::CallsRemoved(vec![gone.id]));
                }
            }
            DeskEvent::Contact { .. } => publish(Update::ContactsChanged),
            DeskEvent::Resynced(_) | DeskEvent::NewerProtocol(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::Legs;
    use crate::sipgate::{parse, BodyFormat, Parsed};

    fn entry(id: i64, v: i64, bodies: &[&str], start: i64) -> CallEntry {
        let mut legs = Legs::default();
        for body in bodies {
            let push = match parse(body.as_bytes(), BodyFormat::Form) {
                Ok(Parsed::Push(push)) => push,
                other => panic!("{other:?}"),
            };
            let at = OffsetDateTime::from_unix_timestamp(1_700_000_000 + start).expect("time");
            legs.apply(&push, at, None);
        }
        let mut entry = CallEntry::new(CallKey(id), legs.summary().expect("call"), legs.path());
        entry.v = v;
        entry
    }

    const RING: &str = "event=newCall&direction=in&callId=c&from=492111234567&to=4921199";
    const MISS: &str = "event=hangup&callId=c&cause=cancel";

    #[test]
    fn a_replayed_older_version_changes_nothing() {
        let mut log = DeskLog::default();
        assert_eq!(log.apply(entry(1, 5, &[RING], 0)), Some(None));
        assert_eq!(
            log.apply(entry(1, 7, &[RING, MISS], 0)),
            Some(Some(CallState::Ringing))
        );
        assert_eq!(log.apply(entry(1, 5, &[RING], 0)), None, "older: ignored");
        assert_eq!(
            log.apply(entry(1, 7, &[RING, MISS], 0)),
            None,
            "same: ignored"
        );
        assert_eq!(
            log.get(CallKey(1)).expect("call").summary.state,
            CallState::Missed
        );
    }

    #[test]
    fn pages_go_newest_first_and_on_from_a_cursor() {
        let mut log = DeskLog::default();
        for id in 1..=5 {
            log.apply(entry(id, id, &[RING, MISS], id));
        }
        let first = log.page(
            &CallFilter {
                limit: Some(2),
                ..CallFilter::default()
            },
            Region::DE,
        );
        let ids: Vec<i64> = first.calls.iter().map(|c| c.id.0).collect();
        assert_eq!(ids, [5, 4]);
        assert!(first.more);
        assert_eq!(first.total, Some(5));
        let next = log.page(
            &CallFilter {
                limit: Some(2),
                before: Some(CallKey(4)),
                ..CallFilter::default()
            },
            Region::DE,
        );
        let ids: Vec<i64> = next.calls.iter().map(|c| c.id.0).collect();
        assert_eq!(ids, [3, 2]);
        assert_eq!(log.unseen_missed(), 5);
        let seen = log.mark_seen(&[CallKey(3)], OffsetDateTime::UNIX_EPOCH);
        assert_eq!(seen.len(), 1);
        assert_eq!(log.unseen_missed(), 4);
        log.apply(entry(3, 9, &[RING, MISS], 3));
        assert_eq!(
            log.unseen_missed(),
            4,
            "a newer state keeps this desk's seen mark"
        );
    }
}
