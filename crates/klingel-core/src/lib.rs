//! Klingel's brain without a window: sipgate pushes in, caller lookup, the call log out.
//!
//! Layout:
//! - `session`  — [`Session`]: the one API the app and klingeld hold; every write publishes
//! - `domain`   — the types faces see: contacts, calls, filters, requests, updates, reports
//! - `view`     — what people read about a call: outcome code, party, rung, durations
//! - `words`    — the window's dictionaries (`ui/i18n`), for every word outside the window
//! - `error`    — [`Error`] with its [`ErrorCode`], and the `{code, message}` body
//! - `sipgate`  — raw push body to [`sipgate::Push`], signature check, XML/JSON replies
//! - `phone`    — [`phone::PhoneNumber`]: any written form to an E.164 key and back to display
//! - `config`   — the TOML settings file and its defaults
//! - `paths`    — where settings and data live (flags, `KLINGEL_*`, XDG dirs)
//! - `store`    — (crate-private) SQLite: migrations, contacts, calls, requests, stored forms
//! - `calls`    — the call state machine over legs (pure; time is an argument)
//! - `monitor`  — (crate-private) applies a push: lookup, state machine, store, broadcast
//! - `popup`    — what a call update means for its desktop notification, and its words (pure)
//! - `interchange` — contacts in and out (vCard, CSV) and the call log as CSV
//! - `http`     — the axum listener sipgate posts to, and `serve`
//! - `hub`      — the office hub: desk API and event stream, and a desk's client
//! - `account`  — the sipgate account: token, what it may do, people and lines, webhook URLs
//! - `tls`      — HTTPS from certificate files, reloaded when they change
//! - `random`   — random ids for simulated calls
//! - `selftest` — a realistic test call through a running listener
//! - `server`   — the listener's lifecycle: bind, status, rebind
//! - `private_files` — owner-only files and directories, written atomically
//! - `time_fmt` — timestamps as stored and shown
//! - `tray`     — what the tray icon and its menu show: state, status line, missed calls

pub mod account;
pub mod calls;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod hub;
pub mod interchange;
pub mod labels;
// The store and the monitor are the core's insides: faces use `Session`. The crate's own
// integration tests reach them with the `testing` feature.
#[cfg(feature = "testing")]
pub mod monitor;
#[cfg(not(feature = "testing"))]
pub(crate) mod monitor;
pub mod paths;
pub mod phone;
pub mod popup;
mod private_files;
pub mod random;
pub(crate) mod request_log;
pub mod search;
pub mod selftest;
pub mod server;
pub mod session;
pub mod sipgate;
#[cfg(feature = "testing")]
pub mod store;
#[cfg(not(feature = "testing"))]
pub(crate) mod store;
pub mod time_fmt;
pub mod tls;
pub mod tray;
pub mod view;
pub mod words;

pub use calls::{CallState, Leg, LegState};
pub use config::Settings;
pub use domain::{CallUpdate, Update, UpdateCause};
pub use error::{Error, ErrorBody, ErrorCode};
#[cfg(feature = "testing")]
pub use monitor::Monitor;
pub use paths::Paths;
pub use phone::{Caller, PhoneNumber, Region};
pub use session::Session;
#[cfg(feature = "testing")]
pub use store::Store;
