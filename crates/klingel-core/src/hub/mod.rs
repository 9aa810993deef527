//! The office hub: this Klingel receives sipgate for everyone and serves desks.
//!
//! Layout:
//! - `token`      — desk tokens: minted, hashed, checked in constant time
//! - `wire`       — the v1 JSON desks read, rendered from the change log
//! - `api`        — the `/api/v1/` routes: hello, the event stream, calls, contacts, lookup
//! - `sse`        — the desk's parser for the event stream
//! - `desk_popup` — the popup rule both desks apply
//! - `client`     — a desk's side of the protocol (`klingeld watch`)
//! - `desk`       — the app as a desk: the followed call log and its link
//!
//! The feed: one task follows the change log (`events`, written by triggers in the same
//! transaction as every change, from any process) with its own read connection. It wakes on
//! every update this process publishes and, for writes by other processes (`klingeld contacts
//! add`, `desks revoke`), on a short tick; it renders each new row once and broadcasts it in
//! `seq` order. Streams that fall behind read the rows from the database instead, so a stalled
//! desk never holds back the push path or other desks.

pub mod api;
pub mod client;
pub mod desk;
pub mod desk_popup;
pub mod sse;
pub mod token;
pub mod wire;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::config::HubConfig;
use crate::monitor::Monitor;
use crate::store::{desks, events, Result, Store};
use wire::WireEvent;

/// How many rendered events the feed keeps for streams that are a little behind.
const FEED_CAPACITY: usize = 1024;
/// How often the feed looks for writes by other processes and for revoked desks.
const TICK: Duration = Duration::from_millis(250);
/// Rows rendered per database read.
const BATCH: usize = 500;
/// How often old tombstones are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// What the feed tells the streams.
#[derive(Debug, Clone)]
pub enum FeedMessage {
    /// A new event, in `seq` order.
    Event(Arc<WireEvent>),
    /// These desks were revoked: their streams end now.
    Revoked(Arc<Vec<i64>>),
}

/// The hub: cheap to clone, shared by the routes and the feed.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    monitor: Monitor,
    /// A read connection of its own: rendering events never waits on the push path's lock.
    reader: Store,
    feed: broadcast::Sender<FeedMessage>,
    published: AtomicI64,
    /// Desks with an open stream, and how many each has.
    connected: Mutex<HashMap<i64, usize>>,
    stop: watch::Sender<bool>,
    config: HubConfig,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("published", &self.inner.published.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Opens the hub over the database at `database` and starts its feed. Needs a tokio
    /// runtime; blocking (opens a connection).
    pub fn start(monitor: Monitor, database: &Path, config: HubConfig) -> Result<Self> {
        let reader = Store::open_reader(database)?;
        let head = reader.with(|conn| events::head_seq(conn))?;
        let hub = Self {
            inner: Arc::new(Inner {
                monitor,
                reader,
                feed: broadcast::channel(FEED_CAPACITY).0,
                published: AtomicI64::new(head),
                connected: Mutex::new(HashMap::new()),
                stop: watch::channel(false).0,
                config,
            }),
        };
        tokio::spawn(hub.clone().run_feed());
        Ok(hub)
    }

    /// Ends the feed and every open stream.
    pub fn stop(&self) {
        let _ = self.inner.stop.send(true);
    }

    /// The monitor pushes go to (its store holds contacts and calls).
    pub(crate) fn monitor(&self) -> &Monitor {
        &self.inner.monitor
    }

    /// The hub's own read connection.
    pub(crate) fn reader(&self) -> &Store {
        &self.inner.reader
    }

    /// Hears the feed from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<FeedMessage> {
        self.inner.feed.subscribe()
    }

    /// Fires when the hub stops.
    pub(crate) fn stopped(&self) -> watch::Receiver<bool> {
        self.inner.stop.subscribe()
    }

    /// Notes an open stream for `desk`; dropping the guard notes it closed.
    pub(crate) fn connect(&self, desk: i64) -> Connected {
        *self
            .inner
            .connected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(desk)
            .or_default() += 1;
        Connected {
            hub: self.clone(),
            desk,
        }
    }

    fn connected_desks(&self) -> Vec<i64> {
        self.inner
            .connected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect()
    }

    async fn run_feed(self) {
        let mut updates = self.inner.monitor.subscribe();
        let mut stop = self.stopped();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut purged = tokio::time::Instant::now() - PURGE_EVERY;
        loop {
            let ticked = tokio::select! {
                _ = updates.recv() => false,
                _ = tick.tick() => true,
                _ = stop.changed() => return,
            };
            // Drain what else is queued: one read serves a burst of pushes.
            while updates.try_recv().is_ok() {}
            let hub = self.clone();
            let purge = ticked && purged.elapsed() >= PURGE_EVERY;
            if purge {
                purged = tokio::time::Instant::now();
            }
            let done = tokio::task::spawn_blocking(move || hub.publish_new(ticked, purge)).await;
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!("hub feed: {e}"),
                Err(e) => tracing::warn!("hub feed task: {e}"),
            }
        }
    }

    /// Publishes every change-log row after the last one published, in order; on a tick also
    /// ends the streams of revoked desks and, now and then, purges old tombstones.
    fn publish_new(&self, ticked: bool, purge: bool) -> Result<()> {
        let numbers = self.inner.monitor.numbers();
        loop {
            let after = self.inner.published.load(Ordering::Acquire);
            let rendered = self.inner.reader.with(|conn| {
                let rows = events::since(conn, after, BATCH)?;
                wire::render(conn, &rows, &numbers)
            })?;
            let Some(last) = rendered.last().map(|e| e.seq) else {
                break;
            };
            for event in rendered {
                let _ = self.inner.feed.send(FeedMessage::Event(Arc::new(event)));
            }
            self.inner.published.store(last, Ordering::Release);
        }
        if ticked {
            let connected = self.connected_desks();
            if !connected.is_empty() {
                let revoked = self
                    .inner
                    .reader
                    .with(|conn| desks::revoked_among(conn, &connected))?;
                if !revoked.is_empty() {
                    let _ = self
                        .inner
                        .feed
                        .send(FeedMessage::Revoked(Arc::new(revoked)));
                }
            }
        }
        if purge {
            let days = i64::from(self.inner.config.horizon_days);
            let before = crate::time_fmt::to_millis(crate::time_fmt::now()) - days * 86_400_000;
            self.inner
                .monitor
                .store()
                .with(|conn| events::purge_tombstones(conn, before))?;
        }
        Ok(())
    }
}

/// An open stream of one desk; dropping it notes the stream closed.
pub(crate) struct Connected {
    hub: Hub,
    desk: i64,
}

impl Drop for Connected {
    fn drop(&mut self) {
        let mut connected = self
            .hub
            .inner
            .connected
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(count) = connected.get_mut(&self.desk) {
            *count -= 1;
            if *count == 0 {
                connected.remove(&self.desk);
            }
        }
    }
}
