//! What the account holds (users, devices, groups, numbers) and what the token may do, read at
//! once on connect and on each refresh, and cached in an owner-only file for offline use.

use std::path::Path;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::api::{Api, ApiError};
use super::webhooks::WebhookState;
use super::wire::{AccountInfo, AccountNumber, Device, Group, User, UserInfo};

/// Whether the token may do one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CapabilityState {
    /// It may.
    Ok,
    /// sipgate refused (403): the scope is missing.
    Missing,
    /// sipgate refused (403) where that also means "feature not booked".
    Refused,
    /// sipgate could not be asked, or answered oddly; tried again on the next refresh.
    Failed,
    /// Only a real use tells (a call placed, a webhook written).
    Unchecked,
}

/// One thing Klingel does with the account, the scope it needs, and whether the token has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capability {
    /// A stable key: `people`, `devices`, `groups`, `lines`, `webhooks`, `webhookSetup`,
    /// `history`, `reject`, `dial`, `account`.
    pub key: String,
    /// The scope the token needs for it.
    pub scope: String,
    /// Whether it has it.
    pub state: CapabilityState,
    /// What went wrong, when something did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Everything read from the account, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    /// Who the token belongs to.
    pub user: UserInfo,
    /// The account's company and history setting, when the token may read them.
    pub account: Option<AccountInfo>,
    /// The account's users.
    pub users: Vec<User>,
    /// The token owner's devices.
    pub devices: Vec<Device>,
    /// The account's groups.
    pub groups: Vec<Group>,
    /// The account's numbers and where they lead.
    pub numbers: Vec<AccountNumber>,
    /// The webhook URLs as last read.
    pub webhooks: Option<WebhookState>,
    /// What the token may do.
    pub capabilities: Vec<Capability>,
    /// When it was read.
    #[serde(with = "time::serde::rfc3339")]
    pub refreshed_at: OffsetDateTime,
}

impl Directory {
    /// Reads everything the token may read. Only a token sipgate does not accept (or an API
    /// that cannot be reached at all) fails; every other refusal is noted in `capabilities`.
    pub fn read(api: &Api, own_url: Option<&str>) -> Result<Self, ApiError> {
        let user = api.userinfo()?;
        let mut capabilities = Vec::new();
        let mut note = |key: &str, scope: &str, result: Result<(), ApiError>, booked: bool| {
            let (state, detail) = match result {
                Ok(()) => (CapabilityState::Ok, None),
                Err(e @ ApiError::Forbidden { .. }) if booked => {
                    (CapabilityState::Refused, Some(e.to_string()))
                }
                Err(e @ ApiError::Forbidden { .. }) => {
                    (CapabilityState::Missing, Some(e.to_string()))
                }
                Err(e) => (CapabilityState::Failed, Some(e.to_string())),
            };
            capabilities.push(Capability {
                key: key.to_string(),
                scope: scope.to_string(),
                state,
                detail,
            });
        };
        let users = api.users();
        note("people", "users:read", outcome(&users), false);
        let devices = api.devices(&user.sub);
        note("devices", "devices:read", outcome(&devices), false);
        let groups = api.groups();
        note("groups", "groups:read", outcome(&groups), false);
        let numbers = api.numbers();
        note("lines", "numbers:read", outcome(&numbers), false);
        let webhooks = api.webhook_settings();
        note(
            "webhooks",
            "settings:sipgateio:read",
            outcome(&webhooks),
            true,
        );
        note("history", "history:read", api.history_probe(), false);
        // A call id that cannot exist: 404 says the token may end calls, 403 that it may not.
        let reject = match api.hang_up("klingel-scope-check") {
            Err(ApiError::NotFound { .. }) => Ok(()),
            other => other,
        };
        note("reject", "rtcm:write", reject, false);
        let account = api.account();
        note("account", "account:read", outcome(&account), false);
        for (key, scope) in [
            ("webhookSetup", "settings:sipgateio:write"),
            ("dial", "sessions:calls:write"),
        ] {
            capabilities.push(Capability {
                key: key.to_string(),
                scope: scope.to_string(),
                state: CapabilityState::Unchecked,
                detail: None,
            });
        }
        Ok(Self {
            user,
            account: account.ok(),
            users: users.unwrap_or_default(),
            devices: devices.unwrap_or_default(),
            groups: groups.unwrap_or_default(),
            numbers: numbers.unwrap_or_default(),
            webhooks: webhooks.ok().map(|w| WebhookState::of(&w, own_url)),
            capabilities,
            refreshed_at: OffsetDateTime::now_utc(),
        })
    }

    /// The token owner's name ("Max Muster"), when the users could be read.
    pub fn own_name(&self) -> Option<String> {
        self.user_name(&self.user.sub)
    }

    /// A user's full name by id (`w1` → "Max Muster").
    pub fn user_name(&self, id: &str) -> Option<String> {
        self.users.iter().find(|u| u.id == id).map(User::full_name)
    }

    /// How things stand for `key`.
    pub fn capability(&self, key: &str) -> Option<&Capability> {
        self.capabilities.iter().find(|c| c.key == key)
    }
}

/// Whether a read worked, without what it read.
fn outcome<T>(result: &Result<T, ApiError>) -> Result<(), ApiError> {
    result.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// The cached directory's file.
pub type DirectoryFile = crate::private_files::JsonFile<Cached>;

impl DirectoryFile {
    /// The cache in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> Self {
        Self::at(data_dir.join("sipgate-account.json"))
    }
}

/// The cache: the directory as last read, and what went wrong since, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cached {
    /// The directory.
    pub directory: Directory,
    /// The last refresh's failure, while the directory above is older.
    pub problem: Option<String>,
    /// When calls were last repaired from sipgate's history.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_repaired_at: Option<OffsetDateTime>,
}

/// The account connection as `account status` and the window show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    /// A token is saved.
    pub connected: bool,
    /// Its id (never the secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// Where the token is kept: the desktop's keyring or an owner-only file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_kept: Option<super::vault::Kept>,
    /// The token owner's id (`w1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The token owner's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The account's company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// What the token may do.
    pub capabilities: Vec<Capability>,
    /// How many users, devices, groups and numbers are known.
    pub counts: Counts,
    /// The account's users by name, for choosing whose calls pop up (and desks' users).
    pub users: Vec<Person>,
    /// The token owner's devices, for choosing which one rings first when calling out.
    pub devices: Vec<DeviceChoice>,
    /// The webhook URLs as last read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<WebhookState>,
    /// When the account was last read (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshed_at: Option<String>,
    /// One line on what is wrong right now, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A user of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// `w1`.
    pub id: String,
    /// "Max Muster".
    pub name: String,
}

/// A device that can ring first for a call placed from Klingel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceChoice {
    /// `e1`.
    pub id: String,
    /// "Desk phone".
    pub alias: String,
    /// The user's default device.
    pub default: bool,
}

/// Sizes of the account's lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Users.
    pub users: usize,
    /// The token owner's devices.
    pub devices: usize,
    /// Groups.
    pub groups: usize,
    /// Numbers.
    pub numbers: usize,
}

impl AccountStatus {
    /// The status for a saved token (`token_id`) and what the cache holds.
    pub fn of(token_id: Option<String>, cached: Option<&Cached>) -> Self {
        let Some(token_id) = token_id else {
            return Self::default();
        };
        let Some(cached) = cached else {
            return Self {
                connected: true,
                token_id: Some(token_id),
                problem: Some("the account has not been read yet".to_string()),
                ..Self::default()
            };
        };
        let directory = &cached.directory;
        Self {
            connected: true,
            token_id: Some(token_id),
            token_kept: None,
            user_id: Some(directory.user.sub.clone()),
            user_name: directory.own_name(),
            company: directory
                .account
                .as_ref()
                .map(|a| a.company.clone())
                .filter(|c| !c.is_empty()),
            capabilities: directory.capabilities.clone(),
            counts: Counts {
                users: directory.users.len(),
                devices: directory.devices.len(),
                groups: directory.groups.len(),
                numbers: directory.numbers.len(),
            },
            users: directory
                .users
                .iter()
                .map(|u| Person {
                    id: u.id.clone(),
                    name: u.full_name(),
                })
                .collect(),
            devices: {
                let default = directory
                    .users
                    .iter()
                    .find(|u| u.id == directory.user.sub)
                    .map(|u| u.default_device.as_str());
                directory
                    .devices
                    .iter()
                    .map(|d| DeviceChoice {
                        id: d.id.clone(),
                        alias: d.alias.clone(),
                        default: default == Some(d.id.as_str()),
                    })
                    .collect()
            },
            webhooks: directory.webhooks.clone(),
            refreshed_at: Some(crate::time_fmt::rfc3339(directory.refreshed_at)),
            problem: cached.problem.clone(),
        }
    }
}
