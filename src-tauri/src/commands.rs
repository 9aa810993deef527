//! The window's commands: each calls the session and maps its error to `{code, message}`.
//! Session calls that reach the database block, so they run through [`blocking`]: off the UI
//! thread and off the async runtime's workers. The few that only read memory run as
//! `#[tauri::command(async)]`.

use klingel_core::account::{AccountStatus, WebhookState};
use klingel_core::domain::{
    BlockedNumber, Blocking, CallEntry, CallFilter, CallKey, CallsPage, CallsView, Contact,
    ContactId, ContactInput, ContactsPage, HandledHow, SharedNumber, StoredRequest,
};
use klingel_core::hub::desk::DeskStatus;
use klingel_core::selftest::TestCallReport;
use klingel_core::server::ListenerStatus;
use klingel_core::session::{NumberCheck, Overview, Rejected, SettingsSaved};
use klingel_core::{Error, ErrorBody, Session, Settings};
use serde::Serialize;
use tauri::State;

use crate::state::Klingel;

/// What the window gets when a command fails; it branches on `code`.
pub type CommandError = ErrorBody;

type Result<T> = std::result::Result<T, CommandError>;

/// Runs a blocking session call on the blocking pool and maps its error for the window.
pub async fn blocking<T: Send + 'static>(
    k: &State<'_, Klingel>,
    call: impl FnOnce(&Session) -> klingel_core::session::Result<T> + Send + 'static,
) -> Result<T> {
    let session = k.session.clone();
    tauri::async_runtime::spawn_blocking(move || call(&session))
        .await
        .map_err(|e| ErrorBody::from(Error::Internal(e.to_string())))?
        .map_err(Into::into)
}

/// The rail's summary, with the shell's do-not-disturb switch.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowOverview {
    #[serde(flatten)]
    overview: Overview,
    dnd: bool,
}

/// The listener, unseen missed calls, language and region for the rail.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn get_overview(k: State<'_, Klingel>) -> Result<WindowOverview> {
    let overview = blocking(&k, Session::overview).await?;
    Ok(WindowOverview {
        overview,
        dnd: k.do_not_disturb(),
    })
}

/// A page of the log older than call `before` (the newest page without it), with the view's
/// total and whether older calls follow.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn calls_page(
    k: State<'_, Klingel>,
    filter: CallsView,
    search: Option<String>,
    before: Option<i64>,
    limit: Option<usize>,
) -> Result<CallsPage> {
    let mut filter = CallFilter::view(filter, search, Some(limit.unwrap_or(200).min(2000)));
    filter.before = before.map(CallKey);
    blocking(&k, move |s| s.calls_page(&filter)).await
}

/// Marks every missed call seen.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn mark_all_seen(k: State<'_, Klingel>) -> Result<usize> {
    blocking(&k, |s| s.mark_seen(&[])).await
}

/// Marks these missed calls seen.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn mark_seen(k: State<'_, Klingel>, ids: Vec<i64>) -> Result<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let keys: Vec<CallKey> = ids.into_iter().map(CallKey).collect();
    blocking(&k, move |s| s.mark_seen(&keys)).await
}

/// One contact by id (for a contact further down a long book than the list has loaded).
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn get_contact(k: State<'_, Klingel>, id: i64) -> Result<Contact> {
    blocking(&k, move |s| s.contact(ContactId(id))).await
}

/// A page of contacts from `offset` of those `search` finds, with their total.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn contacts_page(
    k: State<'_, Klingel>,
    search: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
) -> Result<ContactsPage> {
    let limit = limit.unwrap_or(200).min(2000);
    blocking(&k, move |s| {
        s.contacts_page(search.as_deref(), offset.unwrap_or(0), limit)
    })
    .await
}

/// Adds (no id) or updates a contact.
#[tauri::command]
#[tracing::instrument(skip(k, contact), err(Debug))]
pub async fn save_contact(
    k: State<'_, Klingel>,
    id: Option<i64>,
    contact: ContactInput,
) -> Result<Contact> {
    blocking(&k, move |s| s.save_contact(id.map(ContactId), &contact)).await
}

/// Deletes a contact.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn delete_contact(k: State<'_, Klingel>, id: i64) -> Result<()> {
    blocking(&k, move |s| s.remove_contact(ContactId(id))).await
}

/// How a call back went out.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "via")]
pub enum CalledBack {
    /// Through sipgate: this device rings first, then the number is called.
    Sipgate {
        /// The device that rings.
        device: String,
    },
    /// Handed to the desktop's handler for `tel:` links (a softphone).
    Desktop,
}

/// Calls a number back: through sipgate when an account is connected, else through the
/// desktop's handler for `tel:` links (a softphone).
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn call_back(k: State<'_, Klingel>, number: String) -> Result<CalledBack> {
    blocking(&k, move |s| {
        let (parsed, _) = s.lookup(&number)?;
        dial_or_hand_over(s, parsed.e164())
    })
    .await
}

/// Dials `e164` through sipgate when an account is connected, else hands it to `tel:`.
pub fn dial_or_hand_over(
    session: &Session,
    e164: &str,
) -> klingel_core::session::Result<CalledBack> {
    if session.account_connected() {
        let dialed = session.dial(e164, None)?;
        return Ok(CalledBack::Sipgate {
            device: dialed.device,
        });
    }
    open::that_detached(format!("tel:{e164}")).map_err(|e| {
        Error::Internal(format!(
            "no program on this computer takes phone calls (tel: links): {e}"
        ))
    })?;
    Ok(CalledBack::Desktop)
}

/// The sipgate account connection as last known (asks nobody).
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn account_status(k: State<'_, Klingel>) -> Result<AccountStatus> {
    blocking(&k, |s| Ok(s.account_status())).await
}

/// Connects the sipgate account with a Personal Access Token; nothing changes when sipgate
/// refuses it.
#[tauri::command]
#[tracing::instrument(skip(k, token), err(Debug))]
pub async fn connect_account(
    k: State<'_, Klingel>,
    token_id: String,
    token: String,
) -> Result<AccountStatus> {
    blocking(&k, move |s| s.connect_account(&token_id, &token)).await
}

/// Reads the account from sipgate again.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn refresh_account(k: State<'_, Klingel>) -> Result<AccountStatus> {
    blocking(&k, Session::refresh_account).await
}

/// Forgets the token (sipgate's webhook URLs stay).
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn disconnect_account(k: State<'_, Klingel>) -> Result<AccountStatus> {
    blocking(&k, |s| {
        s.disconnect_account()?;
        Ok(s.account_status())
    })
    .await
}

/// Points the account's webhook URLs at this Klingel's public URL.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn set_webhooks(k: State<'_, Klingel>) -> Result<WebhookState> {
    blocking(&k, |s| s.set_webhooks(None)).await
}

/// Rejects a ringing call at sipgate (a caller already gone is no error).
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn reject_call(k: State<'_, Klingel>, id: i64) -> Result<Rejected> {
    blocking(&k, move |s| s.reject_call(CallKey(id))).await
}

/// Whether popups are paused (the tray's "do not disturb").
#[tauri::command]
pub fn do_not_disturb(k: State<'_, Klingel>) -> bool {
    k.do_not_disturb()
}

/// Pauses or resumes popups from the window; the tray's check mark follows.
#[tauri::command]
pub fn set_do_not_disturb(app: tauri::AppHandle, on: bool) {
    crate::tray::set_do_not_disturb(&app, on);
}

/// Removes every test call from the log; returns how many.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn remove_test_calls(k: State<'_, Klingel>) -> Result<usize> {
    blocking(&k, |s| s.remove_test_calls()).await
}

/// Numbers more than one contact has (books from before the one-owner rule).
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn shared_numbers(k: State<'_, Klingel>) -> Result<Vec<SharedNumber>> {
    blocking(&k, |s| s.shared_numbers()).await
}

/// How a typed number reads, while the user types.
#[tauri::command(async)]
#[tracing::instrument(skip(k))]
pub fn check_number(k: State<'_, Klingel>, number: String) -> NumberCheck {
    k.session.check_number(&number)
}

/// Blocks the caller with this number.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn block_number(k: State<'_, Klingel>, e164: String) -> Result<Blocking> {
    blocking(&k, move |s| s.block_number(&e164)).await
}

/// Lets a blocked number through again; `false` when it was not blocked.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn unblock_number(k: State<'_, Klingel>, number: String) -> Result<bool> {
    blocking(&k, move |s| s.unblock_number(&number)).await
}

/// Every blocked number: the blocklist and blocked contacts.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn blocked_numbers(k: State<'_, Klingel>) -> Result<Vec<BlockedNumber>> {
    blocking(&k, |s| s.blocked_numbers()).await
}

/// The settings in force.
#[tauri::command(async)]
#[tracing::instrument(skip(k))]
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
#[tracing::instrument(skip(k))]
pub fn listener_status(k: State<'_, Klingel>) -> ListenerStatus {
    k.session.listener_status()
}

/// The newest requests the listener received.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn recent_requests(
    k: State<'_, Klingel>,
    limit: Option<usize>,
) -> Result<Vec<StoredRequest>> {
    blocking(&k, move |s| s.recent_requests(limit.unwrap_or(20))).await
}

/// Sends a signed test call through the listener.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn send_test_call(k: State<'_, Klingel>) -> Result<TestCallReport> {
    Ok(k.session.send_test_call().await?)
}

/// Makes this Klingel a desk of the office hub at `url` (the token is checked with the hub
/// first); the local listener stops.
#[tauri::command]
#[tracing::instrument(skip(k, token), err(Debug))]
pub async fn connect_hub(
    k: State<'_, Klingel>,
    url: String,
    token: String,
    ca_file: Option<String>,
) -> Result<DeskStatus> {
    let ca_file = ca_file
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .map(std::path::PathBuf::from);
    Ok(k.session.connect_hub(&url, &token, ca_file).await?)
}

/// Leaves the office hub: this Klingel listens for sipgate itself again.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn disconnect_hub(k: State<'_, Klingel>) -> Result<ListenerStatus> {
    Ok(k.session.disconnect_hub().await?)
}

/// Marks a missed call handled for the whole office: `how` is `called_back` or `done`.
#[tauri::command]
#[tracing::instrument(skip(k, note), err(Debug))]
pub async fn handle_call(
    k: State<'_, Klingel>,
    id: i64,
    how: String,
    note: Option<String>,
) -> Result<CallEntry> {
    let how = HandledHow::parse(&how).ok_or_else(|| ErrorBody {
        code: klingel_core::ErrorCode::Internal,
        message: format!("unknown way of handling a call: {how:?}"),
        field: None,
    })?;
    let note = note.unwrap_or_default();
    blocking(&k, move |s| s.handle_call(CallKey(id), how, &note)).await
}

/// Whether Klingel starts when the user logs in.
#[tauri::command(async)]
#[tracing::instrument(skip(app), err(Debug))]
pub fn start_at_login(app: tauri::AppHandle) -> Result<bool> {
    crate::login::enabled(&app).map_err(|e| Error::Internal(e).into())
}

/// Turns starting at login on or off; returns whether it is on now.
#[tauri::command(async)]
#[tracing::instrument(skip(app), err(Debug))]
pub fn set_start_at_login(app: tauri::AppHandle, on: bool) -> Result<bool> {
    crate::login::set(&app, on).map_err(|e| Error::Internal(e).into())
}

/// Closes the first start's welcome for good.
#[tauri::command]
#[tracing::instrument(skip(k), err(Debug))]
pub async fn close_welcome(k: State<'_, Klingel>) -> Result<()> {
    blocking(&k, |s| s.close_welcome()).await
}
