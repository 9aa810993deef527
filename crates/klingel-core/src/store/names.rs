//! The sipgate account's names for people and lines, kept in the database so that every
//! process showing the log (the listener, the hub's desks, `klingeld`) names them alike: a
//! user id (`w1`) as "Max Muster", a number of the account as its endpoint ("Support").

use std::collections::HashMap;

use rusqlite::{params, Connection};

use super::{write_transaction, Result, Store};
use crate::domain::CallEntry;
use crate::phone::Caller;

/// Names of the account's users and lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountNames {
    /// User id (`w1`) → full name.
    users: HashMap<String, String>,
    /// E.164 number → what the account calls where it leads ("Support").
    lines: HashMap<String, String>,
}

impl AccountNames {
    /// Names from the account's users (id, full name) and numbers (as sipgate writes them,
    /// with the endpoint's alias); numbers that lead nowhere or cannot be read are left out.
    pub fn new<'a>(
        users: impl IntoIterator<Item = (String, String)>,
        lines: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let lines = lines
            .into_iter()
            .filter(|(_, alias)| !alias.trim().is_empty())
            .filter_map(|(number, alias)| {
                // With or without `+`, as sipgate's API writes it.
                let e164 = Caller::from_push(Some(number)).number()?.e164().to_string();
                Some((e164, alias.trim().to_string()))
            })
            .collect();
        Self {
            users: users.into_iter().filter(|(_, n)| !n.is_empty()).collect(),
            lines,
        }
    }

    /// Names the people and the line of `entry` (its facts stay as the pushes said).
    pub(crate) fn apply(&self, entry: &mut CallEntry) {
        if self.users.is_empty() && self.lines.is_empty() {
            return;
        }
        let summary = &mut entry.summary;
        let named: Vec<Option<&String>> = summary
            .user_ids
            .iter()
            .map(|id| self.users.get(id))
            .collect();
        if named.iter().any(Option::is_some) {
            summary.user_names = summary
                .users
                .iter()
                .enumerate()
                .map(|(i, pushed)| {
                    named
                        .get(i)
                        .copied()
                        .flatten()
                        .cloned()
                        .unwrap_or_else(|| pushed.clone())
                })
                .collect();
        }
        summary.answered_by_name = summary
            .answered_by_user_id
            .as_ref()
            .and_then(|id| self.users.get(id))
            .cloned();
        let line = Caller::from_push(summary.line.as_deref());
        if let Some(alias) = line.number().and_then(|n| self.lines.get(n.e164())) {
            entry.line_display = Some(alias.clone());
        }
    }

    /// The names as stored.
    pub(crate) fn load(conn: &Connection) -> Result<Self> {
        let mut names = Self::default();
        let mut stmt = conn.prepare_cached("SELECT kind, key, name FROM account_names")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (kind, key, name): (String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            match kind.as_str() {
                "user" => names.users.insert(key, name),
                "line" => names.lines.insert(key, name),
                _ => None,
            };
        }
        Ok(names)
    }
}

impl Store {
    /// Replaces the account's names (empty: none, after a disconnect).
    pub fn set_account_names(&self, names: &AccountNames) -> Result<()> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            tx.execute("DELETE FROM account_names", [])?;
            {
                let mut insert = tx.prepare(
                    "INSERT OR REPLACE INTO account_names (kind, key, name) VALUES (?1, ?2, ?3)",
                )?;
                for (id, name) in &names.users {
                    insert.execute(params!["user", id, name])?;
                }
                for (e164, alias) in &names.lines {
                    insert.execute(params!["line", e164, alias])?;
                }
            }
            tx.commit()?;
            self.book_changed();
            Ok(())
        })
    }
}
