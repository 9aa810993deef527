//! Refused requests reach the request log through a bounded queue and a writer thread of their
//! own: a refusal is answered at once, never after a disk sync, and a flood of junk can neither
//! queue in front of sipgate's pushes nor grow memory. A flood is also thinned: beyond a burst,
//! a few refused requests per second are recorded (the log keeps 1,000 anyway, so thousands a
//! second would only wear the disk). Records that are thinned out or find the queue full are
//! dropped and counted (the log says how many).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::domain::RequestRecord;
use crate::monitor::Monitor;

/// How many refused requests may wait for the writer.
pub const QUEUE_CAPACITY: usize = 1024;
/// How many records the writer stores in one transaction.
const BATCH: usize = 256;
/// Refused requests recorded in a burst before thinning starts.
pub const BURST: f64 = 200.0;
/// Refused requests recorded per second during a flood.
pub const PER_SECOND: f64 = 20.0;

/// The sending side; clones share the queue and the writer.
#[derive(Debug, Clone)]
pub struct RequestLog {
    queue: SyncSender<RequestRecord>,
    dropped: Arc<AtomicU64>,
    allowance: Arc<Mutex<Allowance>>,
}

/// A token bucket: how many records may go to the queue now.
#[derive(Debug)]
struct Allowance {
    tokens: f64,
    at: Instant,
}

impl Allowance {
    fn full() -> Self {
        Self {
            tokens: BURST,
            at: Instant::now(),
        }
    }

    /// Takes one token if there is one, after adding what the time since the last call earned.
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let earned = now.duration_since(self.at).as_secs_f64() * PER_SECOND;
        self.tokens = (self.tokens + earned).min(BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl RequestLog {
    /// Starts the writer thread for `monitor`; it ends when the last clone is dropped.
    pub fn start(monitor: Monitor) -> Self {
        let (queue, pending) = sync_channel(QUEUE_CAPACITY);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&dropped);
        let spawned = std::thread::Builder::new()
            .name("klingel-request-log".into())
            .spawn(move || write_until_closed(&monitor, &pending, &counter));
        if let Err(e) = spawned {
            // Without the thread the queue fills and every record is counted as dropped:
            // refusals still go out, only their records are lost.
            tracing::error!("cannot start the request log writer: {e}");
        }
        Self {
            queue,
            dropped,
            allowance: Arc::new(Mutex::new(Allowance::full())),
        }
    }

    /// Queues `record` without waiting; during a flood or with a full queue it is dropped and
    /// counted instead.
    pub fn record(&self, record: RequestRecord) {
        let allowed = self
            .allowance
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if !allowed {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match self.queue.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// How many records were dropped: thinned out during a flood, or the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Stores what arrives in batches until every sender is gone.
fn write_until_closed(monitor: &Monitor, pending: &Receiver<RequestRecord>, dropped: &AtomicU64) {
    let mut reported = 0;
    while let Ok(first) = pending.recv() {
        let mut batch = Vec::with_capacity(BATCH);
        batch.push(first);
        batch.extend(pending.try_iter().take(BATCH - 1));
        if let Err(e) = monitor.record_requests(&batch) {
            tracing::warn!("could not record {} refused requests: {e}", batch.len());
        }
        let now = dropped.load(Ordering::Relaxed);
        if now > reported {
            tracing::warn!(
                "{} refused requests were not recorded: they came faster than worth writing",
                now - reported
            );
            reported = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::store::Store;
    use crate::time_fmt::now;

    #[test]
    fn queued_records_are_all_stored_and_a_full_queue_drops_and_counts() {
        const SENT: usize = QUEUE_CAPACITY + BATCH + 50;
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("k.sqlite3")).expect("store");
        let monitor = Monitor::new(store.clone(), &Settings::default());
        // Hold the store: the writer takes at most one batch, then waits, and the queue fills.
        let (log, dropped) = store
            .with(|_| {
                let log = RequestLog::start(monitor.clone());
                for i in 0..SENT {
                    log.record(RequestRecord::received("GET", &format!("/{i}"), now()));
                }
                let dropped = log.dropped();
                Ok((log, dropped))
            })
            .expect("held");
        assert!(
            dropped >= 50,
            "a full queue drops instead of waiting: {dropped}"
        );
        drop(log);
        // Ids count every stored record (only the newest 1,000 are kept).
        let newest = (0..250).find_map(|_| {
            let newest = store
                .recent_requests(1)
                .expect("read")
                .first()
                .map(|r| r.id);
            if newest.is_some_and(|id| id as u64 + dropped == SENT as u64) {
                return newest;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            None
        });
        assert!(
            newest.is_some(),
            "everything not dropped is stored ({dropped} dropped)"
        );
        let last = store.recent_requests(1).expect("read");
        assert_eq!(
            last[0].record.path,
            format!("/{}", SENT - 1 - dropped as usize),
            "stored in the order they came; the ones that found the queue full are the dropped ones"
        );
    }
}
