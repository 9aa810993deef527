//! The window's commands: each calls the session and maps its error to `{code, message}`.
//! Synchronous ones run as `#[tauri::command(async)]`, off the UI thread and off the async
//! runtime's workers, since the session's database calls block.

use klingel_core::domain::{
    CallEntry, CallFilter, CallKey, CallsView, Contact, ContactId, ContactInput, StoredRequest,
};
use klingel_core::selftest::TestCallReport;
use klingel_core::server::ListenerStatus;
use klingel_core::session::{NumberCheck, Overview, SettingsSaved};
use klingel_core::{ErrorBody, Settings};
use serde::Serialize;
use tauri::State;

use crate::state::Klingel;

/// What the window gets when a command fails; it branches on `code`.
pub type CommandError = ErrorBody;

type Result<T> = std::result::Result<T, CommandError>;

/// The rail's summary, with the shell's do-not-disturb switch.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowOverview {
    #[serde(flatten)]
    overview: Overview,
    dnd: bool,
}

/// The listener, unseen missed calls, language and region for the rail.
#[tauri::command(async)]
#[tracing::instrument(skip(k), err(Debug))]
pub fn get_overview(k: State<'_, Klingel>) -> Result<WindowOverview> {
    Ok(WindowOverview {
        overview: k.session.overview()?,
        dnd: k.do_not_disturb(),
    })
}

/// One page of the log for a view and a search.
#[tauri::command(async)]
#[tracing::instrument(skip(k), err(Debug))]
pub fn list_calls(
    k: State<'_, Klingel>,
    filter: CallsView,
    search: Option<String>,
    limit: Option<usize>,
) -> Result<Vec<CallEntry>> {
    let limit = Some(limit.unwrap_or(200).min(2000));
    Ok(k.session.calls(&CallFilter::view(filter, search, limit))?)
}

/// Marks every missed call seen.
#[tauri::command(async)]
#[tracing::instrument(skip(k), err(Debug))]
pub fn mark_all_seen(k: State<'_, Klingel>) -> Result<usize> {
    Ok(k.session.mark_seen(&[])?)
}

/// Marks these missed calls seen.
#[tauri::command(async)]
#[tracing::instrument(skip(k), err(Debug))]
pub fn mark_seen(k: State<'_, Klingel>, ids: Vec<i64>) -> Result<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let keys: Vec<CallKey> = ids.into_iter().map(CallKey).collect();
    Ok(k.session.mark_seen(&keys)?)
}

/// How many contacts the list shows at once; searching narrows a large book.
const CONTACTS_PAGE: usize = 500;

/// The first contacts by name, optionally searched.
#[tauri::command(async)]
#[tracing::instrument(skip(k), err(Debug))]
pub fn list_contacts(k: State<'_, Klingel>, search: Option<String>) -> Result<Vec<Contact>> {
    Ok(k.session.contacts(search.as_deref(), Some(CONTACTS_PAGE))?)
}

/// Adds (no id) or updates a contact.
#[tauri::command(async)]
#[tracing::instrument(skip(k, contact), err(Debug))]
pub fn save_contact(
    k: State<'_, Klingel>,
    id: Option<i64>,
    contact: ContactInput,
) -> Result<Contact> {
    Ok(k.session.save_contact(id.map(ContactId), &contact)?)
}

/// Deletes a contact.
#[tauri::command(async)]
#[tracing::instrument(skip(k), err(Debug))]
pub fn delete_contact(k: State<'_, Klingel>, id: i64) -> Result<()> {
    Ok(k.session.remove_contact(ContactId(id))?)
}

/// How a typed number reads, while the user types.
#[tauri::command(async)]
pub fn check_number(k: State<'_, Klingel>, number: String) -> NumberCheck {
    k.session.check_number(&number)
}

/// Blocks the caller with this number.
#[tauri::command(async)]
#[tracing::instrument(skip(k), err(Debug))]
pub fn block_number(k: State<'_, Klingel>, e164: String) -> Result<Contact> {
    Ok(k.session.block_number(&e164)?)
}

/// The settings in force.
#[tauri::command(async)]
pub fn get_settings(k: State<'_, Klingel>) -> Settings {
    k.session.settings()
}

/// Validates, saves and applies settings (the listener rebinds when its address changed).
#[tauri::command]
#[tracing::instrument(skip(k, settings), err(Debug))]
pub async fn save_settings(k: State<'_, Klingel>, settings: Settings) -> Result<SettingsSaved> {
    Ok(k.session.apply_settings(settings).await?)
}

/// The listener's state.
#[tauri::command(async)]
pub fn listener_status(k: State<'_, Klingel>) -> ListenerStatus {
    k.session.listener_status()
}

/// The newest requests the listener received.
#[tauri::command(async)]
#[tracing::instrument(skip(k), err(Debug))]
pub fn recent_requests(k: State<'_, Klingel>, limit: Option<usize>) -> Result<Vec<StoredRequest>> {
    Ok(k.session.recent_requests(limit.unwrap_or(20))?)
}

/// Sends a signed test call through the listener.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn send_test_call(k: State<'_, Klingel>) -> Result<TestCallReport> {
    Ok(k.session.send_test_call().await?)
}
