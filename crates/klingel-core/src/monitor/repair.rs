//! Calls repaired from sipgate's call history: an open call closed with its real end when no
//! `hangup` came, a call that expiry closed blind corrected, and a call no push brought added,
//! marked as such. All in one transaction; updates go out after the commit.

use time::{Duration, OffsetDateTime};

use super::Monitor;
use crate::calls::{HistoryFact, Legs};
use crate::domain::{CallKey, Update, UpdateCause};
use crate::phone::Caller;
use crate::sipgate::Direction;
use crate::store::{calls, write_transaction, Result};

/// How far apart a history entry without a known call id and a logged call may have begun
/// and still be the same call.
const SAME_CALL: Duration = Duration::minutes(2);

/// What a repair did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Repairs {
    /// History entries looked at.
    pub checked: usize,
    /// Logged calls closed or corrected.
    pub repaired: usize,
    /// Calls added from the history.
    pub added: usize,
}

impl Monitor {
    /// Applies sipgate's history: each fact repairs the logged call it names (by call id, else
    /// the same number and direction within two minutes) when that call began before
    /// `settled` (younger calls may still get their pushes). A fact no logged call matches is
    /// added as a call of its own when it began after `add_after` and before `settled`.
    pub fn repair_from_history(
        &self,
        facts: &[HistoryFact],
        settled: OffsetDateTime,
        add_after: Option<OffsetDateTime>,
        at: OffsetDateTime,
    ) -> Result<Repairs> {
        let tuning = self.tuning();
        let mut repairs = Repairs {
            checked: facts.len(),
            ..Repairs::default()
        };
        let updates = self.core.store.with(|conn| {
            let tx = write_transaction(conn)?;
            let mut changed: Vec<(CallKey, Option<crate::calls::CallState>)> = Vec::new();
            for fact in facts {
                match matching_call(&tx, fact)? {
                    Some(key) => {
                        let mut legs = calls::legs(&tx, key)?;
                        let previous = legs.summary();
                        if previous.as_ref().is_some_and(|s| s.started_at > settled) {
                            continue;
                        }
                        if legs.repair(fact) {
                            calls::save(&tx, Some(key), &legs, at)?;
                            changed.push((key, previous.map(|s| s.state)));
                            repairs.repaired += 1;
                        }
                    }
                    None if add_after.is_some_and(|after| fact.started_at >= after)
                        && fact.started_at <= settled =>
                    {
                        let key = calls::save(&tx, None, &Legs::from_history(fact), at)?;
                        changed.push((key, None));
                        repairs.added += 1;
                    }
                    None => {}
                }
            }
            tx.commit()?;
            super::call_updates(conn, changed, UpdateCause::Repaired, &tuning.numbers)
        })?;
        for update in updates {
            tracing::info!(call = %update.call.id, "repaired from sipgate's call history");
            self.publish(Update::Call(Box::new(update)));
        }
        Ok(repairs)
    }
}

/// The logged call a fact is about: by a leg's call id, else by number, direction and time.
fn matching_call(conn: &rusqlite::Connection, fact: &HistoryFact) -> Result<Option<CallKey>> {
    if let Some(call_id) = fact.call_id.as_deref() {
        if let Some(key) = calls::call_of_leg(conn, call_id)? {
            return Ok(Some(key));
        }
    }
    let remote = match fact.direction {
        Direction::In => &fact.from,
        Direction::Out => &fact.to,
    };
    // sipgate's history writes numbers with a `+`, pushes without: compare E.164 keys.
    let Some(number) = Caller::from_push(Some(remote)).number().cloned() else {
        return Ok(None);
    };
    calls::call_near(
        conn,
        number.e164(),
        fact.direction,
        fact.started_at - SAME_CALL,
        fact.started_at + SAME_CALL,
    )
}
