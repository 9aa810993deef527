//! The errors a window, a CLI or a desk can see from a [`crate::Session`], each with a stable
//! [`ErrorCode`] to branch on and a message for people.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::ConfigError;
use crate::interchange::ReadError;
use crate::phone::PhoneError;
use crate::sipgate::KeyError;
use crate::store::StoreError;

/// What went wrong, as a stable code (JSON: snake_case). The window maps each to its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The database failed; details are logged.
    Storage,
    /// A contact needs a name.
    EmptyName,
    /// A number cannot be read.
    InvalidNumber,
    /// No such contact.
    ContactNotFound,
    /// A number already belongs to another contact.
    DuplicateNumber,
    /// No such call.
    CallNotFound,
    /// A setting makes no sense.
    InvalidSettings,
    /// The settings file could not be read or written.
    SettingsFile,
    /// The listener is not running (e.g. for a test call).
    ListenerDown,
    /// New settings name an address the listener cannot bind; nothing was changed.
    AddressUnavailable,
    /// A file to import cannot be read.
    UnreadableFile,
    /// A file could not be written.
    UnwritableFile,
    /// A bug or a failed background task; details are logged.
    Internal,
    /// An active desk already has this name.
    DeskExists,
    /// No desk has this name.
    DeskNotFound,
    /// The record changed since the version the change was based on.
    StaleVersion,
    /// Another desk marked the missed call handled first.
    AlreadyHandled,
    /// Only a missed incoming call can be marked handled.
    NotMissed,
    /// The office hub cannot be reached, or refused this desk.
    HubUnavailable,
    /// No sipgate account is connected.
    AccountNotConnected,
    /// sipgate does not accept the token (401), or what was pasted cannot be one.
    SipgateTokenInvalid,
    /// sipgate refused: a scope is missing, a feature is not booked, or the request is invalid.
    SipgateRefused,
    /// sipgate's API cannot be reached or answered oddly (timeouts, 429, 5xx, bad JSON).
    SipgateUnavailable,
    /// A webhook URL Klingel will not give sipgate (not https://).
    WebhookUrl,
}

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store said no.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Settings are invalid or their file failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The configured public key does not load.
    #[error("[listener] public_key: {0}")]
    Key(#[from] KeyError),
    /// A number cannot be read.
    #[error("{input:?}: {reason}")]
    Number {
        /// What was given.
        input: String,
        /// Why it is not a number.
        reason: PhoneError,
    },
    /// The listener is not running.
    #[error("{0}")]
    ListenerDown(String),
    /// The new address cannot be bound; the settings were not changed.
    #[error("cannot listen on {address}: {reason}; nothing was changed")]
    Bind {
        /// The address asked for.
        address: String,
        /// Why, as a kind the window words.
        failure: crate::server::BindFailure,
        /// The system's words.
        reason: String,
    },
    /// A file cannot be read or understood.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file could not be written.
    #[error("{path}: {source}")]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A background task failed.
    #[error("internal error: {0}")]
    Internal(String),
    /// The office hub cannot be reached or refused (a desk's request).
    #[error("office hub: {0}")]
    Hub(String),
    /// The sipgate account connection failed.
    #[error(transparent)]
    Account(#[from] crate::account::AccountError),
}

impl Error {
    /// The code to branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Store(e) => match e {
                StoreError::Sqlite(_)
                | StoreError::Migration(_)
                | StoreError::CreateDir { .. }
                | StoreError::Protect { .. }
                | StoreError::Corrupt(_)
                | StoreError::GroupCommit(_)
                | StoreError::WriterStopped => ErrorCode::Storage,
                StoreError::EmptyName => ErrorCode::EmptyName,
                StoreError::InvalidNumber { .. } => ErrorCode::InvalidNumber,
                StoreError::ContactNotFound(_) => ErrorCode::ContactNotFound,
                StoreError::DuplicateNumber { .. } => ErrorCode::DuplicateNumber,
                StoreError::CallNotFound(_) => ErrorCode::CallNotFound,
                StoreError::DeskExists(_) => ErrorCode::DeskExists,
                StoreError::DeskNotFound(_) => ErrorCode::DeskNotFound,
                StoreError::Stale { .. } => ErrorCode::StaleVersion,
                StoreError::AlreadyHandled(_) => ErrorCode::AlreadyHandled,
                StoreError::NotMissed(_) => ErrorCode::NotMissed,
            },
            Self::Config(e) => match e {
                ConfigError::Value { .. } | ConfigError::Invalid { .. } => {
                    ErrorCode::InvalidSettings
                }
                ConfigError::Read { .. }
                | ConfigError::Parse { .. }
                | ConfigError::Write { .. } => ErrorCode::SettingsFile,
            },
            Self::Key(_) => ErrorCode::InvalidSettings,
            Self::Number { .. } => ErrorCode::InvalidNumber,
            Self::ListenerDown(_) => ErrorCode::ListenerDown,
            Self::Bind { .. } => ErrorCode::AddressUnavailable,
            Self::Unreadable { .. } => ErrorCode::UnreadableFile,
            Self::Unwritable { .. } => ErrorCode::UnwritableFile,
            Self::Internal(_) => ErrorCode::Internal,
            Self::Hub(_) => ErrorCode::HubUnavailable,
            Self::Account(e) => account_code(e),
        }
    }

    /// A file that could not be read as contacts.
    pub(crate) fn unreadable(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        Self::Unreadable {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
}

/// The code for an account failure: told apart as a person needs to act on it.
fn account_code(e: &crate::account::AccountError) -> ErrorCode {
    use crate::account::{AccountError, ApiError};
    match e {
        AccountError::NotConnected => ErrorCode::AccountNotConnected,
        AccountError::BadToken(_) | AccountError::Api(ApiError::Unauthorized) => {
            ErrorCode::SipgateTokenInvalid
        }
        AccountError::Api(
            ApiError::Forbidden { .. }
            | ApiError::NotFound { .. }
            | ApiError::BadRequest { .. }
            | ApiError::InsufficientFunds,
        )
        | AccountError::WebhooksRefused(_) => ErrorCode::SipgateRefused,
        AccountError::Api(_) => ErrorCode::SipgateUnavailable,
        AccountError::WebhookUrl(_) => ErrorCode::WebhookUrl,
        AccountError::NoDevice => ErrorCode::InvalidSettings,
        AccountError::Save { .. } => ErrorCode::UnwritableFile,
    }
}

impl From<(PathBuf, ReadError)> for Error {
    fn from((path, e): (PathBuf, ReadError)) -> Self {
        Self::unreadable(&path, e)
    }
}

/// An error as a window or a desk receives it: `{"code", "message", "field"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub code: ErrorCode,
    /// For people (English; the window words the code itself).
    pub message: String,
    /// Which input it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<ErrorField>,
}

/// The input an error is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorField {
    /// 1-based position in a contact's number list.
    pub position: usize,
    /// For a number that belongs to another contact: that contact, to link to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// The contact a number already belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

impl From<&Error> for ErrorBody {
    fn from(e: &Error) -> Self {
        let field = match e {
            Error::Store(StoreError::InvalidNumber { position, .. }) => Some(ErrorField {
                position: *position,
                owner: None,
            }),
            Error::Store(StoreError::DuplicateNumber {
                position,
                owner,
                owner_name,
                ..
            }) => Some(ErrorField {
                position: *position,
                owner: Some(Owner {
                    id: *owner,
                    name: owner_name.clone(),
                }),
            }),
            _ => None,
        };
        let code = e.code();
        let message = match code {
            // Internals stay in the log.
            ErrorCode::Storage | ErrorCode::Internal => {
                tracing::error!("{e}");
                "Klingel could not complete this; the log has details".to_string()
            }
            _ => e.to_string(),
        };
        Self {
            code,
            message,
            field,
        }
    }
}

impl From<Error> for ErrorBody {
    fn from(e: Error) -> Self {
        Self::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_json_shape_is_pinned() {
        let e = Error::Store(StoreError::InvalidNumber {
            position: 2,
            input: "12".into(),
            reason: PhoneError::TooShort,
        });
        assert_eq!(
            serde_json::to_value(ErrorBody::from(&e)).expect("serialises"),
            serde_json::json!({
                "code": "invalid_number",
                "message": e.to_string(),
                "field": {"position": 2}
            }),
            "the window and desks read exactly these keys"
        );
        let down = ErrorBody::from(Error::ListenerDown("not running".into()));
        assert_eq!(
            serde_json::to_value(down).expect("serialises"),
            serde_json::json!({"code": "listener_down", "message": "not running"}),
            "no field key when no field is concerned"
        );
    }

    #[test]
    fn every_code_has_its_snake_case_word() {
        let words: Vec<String> = [
            ErrorCode::Storage,
            ErrorCode::EmptyName,
            ErrorCode::InvalidNumber,
            ErrorCode::ContactNotFound,
            ErrorCode::CallNotFound,
            ErrorCode::InvalidSettings,
            ErrorCode::SettingsFile,
            ErrorCode::ListenerDown,
            ErrorCode::UnreadableFile,
            ErrorCode::UnwritableFile,
            ErrorCode::Internal,
        ]
        .iter()
        .map(|c| serde_json::to_value(c).expect("serialises").to_string())
        .collect();
        assert_eq!(
            words.join(" "),
            r#""storage" "empty_name" "invalid_number" "contact_not_found" "call_not_found" "invalid_settings" "settings_file" "listener_down" "unreadable_file" "unwritable_file" "internal""#
        );
    }

    #[test]
    fn storage_failures_do_not_leak_their_details() {
        let e = Error::Store(StoreError::Corrupt("secret internals".into()));
        let body = ErrorBody::from(&e);
        assert_eq!(body.code, ErrorCode::Storage);
        assert!(
            !body.message.contains("secret"),
            "500s never leak internals"
        );
    }
}
