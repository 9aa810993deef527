//! The sipgate account connection: a Personal Access Token, what it may do, the account's
//! people and lines, and the account's webhook URLs.
//!
//! Nothing here is on the push path: pushes, popups and the log work the same whether the
//! API answers or not. What the API said last is cached, so names stay known offline.
//!
//! Layout:
//! - `api`       — sipgate's REST API over HTTPS; status codes to [`ApiError`]
//! - `wire`      — the API's JSON shapes, read leniently
//! - `token`     — the token, and its owner-only file
//! - `vault`     — the desktop's keyring when one answers, else that file
//! - `directory` — the account's users, devices, groups and numbers, and what the token may do
//! - `history`   — the call history, reduced to what repairs a call whose hangup never came
//! - `webhooks`  — pointing the account's webhook URLs at Klingel (read-modify-write)

pub mod api;
pub mod directory;
pub mod history;
pub mod token;
pub mod vault;
pub mod webhooks;
pub mod wire;

pub use api::{Api, ApiError, DEFAULT_API_URL};
pub use directory::{AccountStatus, Capability, CapabilityState, DeviceChoice, Directory, Person};
pub use token::{Token, TokenFile};
pub use vault::{Kept, TokenVault};
pub use webhooks::WebhookState;

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No token is saved.
    #[error("no sipgate account is connected")]
    NotConnected,
    /// What was pasted cannot be a token.
    #[error("{0}")]
    BadToken(String),
    /// sipgate's API refused or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A webhook URL Klingel will not give sipgate.
    #[error("{0}")]
    WebhookUrl(String),
    /// sipgate took the webhook write but reads back something else, or refused it.
    #[error("{0}")]
    WebhooksRefused(String),
    /// Click-to-call has no device to ring first.
    #[error("no device to ring first: choose one in Settings, or name it (e0, x1, y2)")]
    NoDevice,
    /// The token or the cache could not be written.
    #[error("cannot save {path}: {source}")]
    Save {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
}
