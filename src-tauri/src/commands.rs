//! The window's commands: each calls the core and maps its error to `{code, message}`.

use std::time::Duration;

use klingel_core::selftest::{self, TestCall, TestCallReport};
use klingel_core::server::ListenerStatus;
use klingel_core::sipgate::Direction;
use klingel_core::store::{
    CallEntry, CallFilter, CallKey, Contact, ContactId, ContactInput, StoreError, StoredRequest,
};
use klingel_core::{PhoneNumber, Settings};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::state::{Klingel, SettingsError};

/// What the window gets when a command fails; it branches on `code`.
#[derive(Debug, Serialize)]
pub struct CommandError {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<Field>,
}

/// Which input an error is about.
#[derive(Debug, Serialize)]
pub struct Field {
    /// 1-based position in a contact's number list.
    position: usize,
}

impl CommandError {
    /// An error with a code and a message.
    pub fn new(code: &'static str, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
            field: None,
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        let field = match &e {
            StoreError::InvalidNumber { position, .. } => Some(Field {
                position: *position,
            }),
            _ => None,
        };
        if e.code() == "storage" {
            tracing::error!("{e}");
        }
        Self {
            code: e.code(),
            message: e.to_string(),
            field,
        }
    }
}

impl From<SettingsError> for CommandError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid(message) => Self::new("invalid_settings", message),
            SettingsError::Save(message) => Self::new("storage", message),
        }
    }
}

type Result<T> = std::result::Result<T, CommandError>;

/// The rail's and the calls view's summary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    listener: ListenerStatus,
    unseen_missed: i64,
    language: klingel_core::config::Language,
    region: String,
    dnd: bool,
    settings_error: Option<String>,
}

#[tauri::command(async)]
pub fn get_overview(k: State<'_, Klingel>) -> Result<Overview> {
    Ok(Overview {
        listener: k.server().status(),
        unseen_missed: k.monitor().store().unseen_missed()?,
        language: k.language(),
        region: k.monitor().region().to_string(),
        dnd: k.do_not_disturb(),
        settings_error: k.settings_error(),
    })
}

/// Which calls the log shows.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallsView {
    All,
    Missed,
    Incoming,
    Outgoing,
}

#[tauri::command(async)]
pub fn list_calls(
    k: State<'_, Klingel>,
    filter: CallsView,
    search: Option<String>,
    limit: Option<usize>,
) -> Result<Vec<CallEntry>> {
    let filter = CallFilter {
        limit: Some(limit.unwrap_or(200).min(2000)),
        missed: matches!(filter, CallsView::Missed),
        direction: match filter {
            CallsView::Incoming => Some(Direction::In),
            CallsView::Outgoing => Some(Direction::Out),
            CallsView::All | CallsView::Missed => None,
        },
        search,
    };
    Ok(k.monitor().store().calls(&filter, &k.monitor().numbers())?)
}

#[tauri::command(async)]
pub fn mark_all_seen(k: State<'_, Klingel>) -> Result<usize> {
    Ok(k.monitor().mark_seen(&[], klingel_core::time_fmt::now())?)
}

#[tauri::command(async)]
pub fn mark_seen(k: State<'_, Klingel>, ids: Vec<i64>) -> Result<usize> {
    let keys: Vec<CallKey> = ids.into_iter().map(CallKey).collect();
    if keys.is_empty() {
        return Ok(0);
    }
    Ok(k.monitor()
        .mark_seen(&keys, klingel_core::time_fmt::now())?)
}

/// How many contacts the list shows at once; searching narrows a large book.
const CONTACTS_PAGE: usize = 500;

#[tauri::command(async)]
pub fn list_contacts(k: State<'_, Klingel>, search: Option<String>) -> Result<Vec<Contact>> {
    let store = k.monitor().store();
    Ok(store.contacts_first(search.as_deref(), k.monitor().region(), CONTACTS_PAGE)?)
}

#[tauri::command(async)]
pub fn save_contact(
    k: State<'_, Klingel>,
    id: Option<i64>,
    contact: ContactInput,
) -> Result<Contact> {
    let store = k.monitor().store();
    let region = k.monitor().region();
    let saved = match id {
        Some(id) => store.update_contact(ContactId(id), &contact, region)?,
        None => store.add_contact(&contact, region)?,
    };
    k.monitor().contacts_changed();
    Ok(saved)
}

#[tauri::command(async)]
pub fn delete_contact(k: State<'_, Klingel>, id: i64) -> Result<()> {
    k.monitor().store().remove_contact(ContactId(id))?;
    k.monitor().contacts_changed();
    Ok(())
}

/// A number as the contact form checks it while the user types.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase", untagged)]
pub enum NumberCheck {
    Ok {
        ok: bool,
        e164: String,
        display: String,
    },
    Err {
        ok: bool,
        code: &'static str,
        message: String,
    },
}

#[tauri::command(async)]
pub fn check_number(k: State<'_, Klingel>, number: String) -> NumberCheck {
    let numbers = k.monitor().numbers();
    match PhoneNumber::parse(&number, numbers.region) {
        Ok(parsed) => NumberCheck::Ok {
            ok: true,
            e164: parsed.e164().to_string(),
            display: numbers.show(&parsed),
        },
        Err(e) => NumberCheck::Err {
            ok: false,
            code: e.code(),
            message: e.to_string(),
        },
    }
}

#[tauri::command(async)]
pub fn block_number(k: State<'_, Klingel>, e164: String) -> Result<Contact> {
    let numbers = k.monitor().numbers();
    let number =
        PhoneNumber::parse(&e164, numbers.region).map_err(|e| CommandError::new(e.code(), e))?;
    let contact = k.monitor().store().block_number(&number, &numbers)?;
    k.monitor().contacts_changed();
    Ok(contact)
}

#[tauri::command(async)]
pub fn get_settings(k: State<'_, Klingel>) -> Settings {
    k.settings()
}

/// Saved settings and what the listener made of them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsSaved {
    settings: Settings,
    listener: ListenerStatus,
}

#[tauri::command]
pub async fn save_settings(
    app: tauri::AppHandle,
    k: State<'_, Klingel>,
    settings: Settings,
) -> Result<SettingsSaved> {
    let listener = k.save_settings(settings).await?;
    let settings = k.settings();
    crate::bridge::settings_changed(&app, &settings);
    Ok(SettingsSaved { settings, listener })
}

#[tauri::command(async)]
pub fn listener_status(k: State<'_, Klingel>) -> ListenerStatus {
    k.server().status()
}

#[tauri::command(async)]
pub fn recent_requests(k: State<'_, Klingel>, limit: Option<usize>) -> Result<Vec<StoredRequest>> {
    Ok(k.monitor()
        .store()
        .recent_requests(limit.unwrap_or(20).min(1000))?)
}

/// The caller every test call comes from, so that adding it as a contact names the next one.
const TEST_CALLER: &str = "+49 30 12345678";
/// The sipgate number test calls ring.
const TEST_LINE: &str = "+49 211 5558000";

#[tauri::command]
pub async fn send_test_call(k: State<'_, Klingel>) -> Result<TestCallReport> {
    let status = k.server().status();
    if status.state != klingel_core::server::ListenerState::Listening {
        return Err(CommandError::new(
            "listener_down",
            status
                .error
                .unwrap_or_else(|| "the listener is not running".into()),
        ));
    }
    let address: std::net::SocketAddr = status
        .address
        .parse()
        .map_err(|e| CommandError::new("listener_down", e))?;
    let settings = k.settings();
    let region = settings.numbers.region;
    let parse = |n: &str| PhoneNumber::parse(n, region).map_err(|e| CommandError::new(e.code(), e));
    // Through the tunnel when one is configured: that is the path sipgate takes.
    let url = settings
        .listener
        .public_url
        .clone()
        .unwrap_or_else(|| klingel_core::http::local_url(address));
    let call = TestCall {
        url,
        from: parse(TEST_CALLER)?,
        to: parse(TEST_LINE)?,
        user: match settings.ui.language.resolve() {
            klingel_core::config::Language::De => "Testanruf".into(),
            klingel_core::config::Language::En => "Test call".into(),
        },
        ring: Duration::from_secs(3),
        talk: Duration::from_secs(2),
        missed: false,
    };
    let credentials = settings
        .listener
        .credentials()
        .map(|(u, p)| (u.to_string(), p.to_string()));
    let signer = k.signer();
    tauri::async_runtime::spawn_blocking(move || selftest::run(&call, &signer, credentials, |_| {}))
        .await
        .map_err(|e| CommandError::new("internal", e))
}
