//! Core events to window events ("call://updated", …) and popups.

use klingel_core::domain::CallKey;
use klingel_core::popup::{self, PopupAction};
use klingel_core::Update;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::notify::{Clicked, Notifier};
use crate::state::Klingel;

/// Where a notification button sends the window.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Navigate {
    view: &'static str,
    call_id: Option<i64>,
    prefill_number: Option<String>,
    contact_id: Option<i64>,
}

/// Starts forwarding core events to the window and to popups.
pub fn start(app: AppHandle) {
    let mut updates = app.state::<Klingel>().session.subscribe();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let clicks = handle.clone();
        let notifier = Notifier::spawn("Klingel", move |call, clicked| {
            on_click(&clicks, call, clicked)
        });
        loop {
            match updates.recv().await {
                Ok(update) => forward(&handle, &notifier, update),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!("window fell behind by {missed} updates");
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

fn forward(app: &AppHandle, notifier: &Notifier, update: Update) {
    match update {
        Update::Call(update) => {
            if let Err(e) = app.emit("call://updated", &*update) {
                tracing::warn!("cannot tell the window about call {}: {e}", update.call.id);
            }
            let klingel = app.state::<Klingel>();
            let settings = klingel.session.settings();
            let language = settings.ui.language.resolve();
            let mut action =
                popup::popup_for(&update, language, &settings.popups, &settings.numbers);
            // "Reject" needs a sipgate account to end the call with.
            if let PopupAction::Show(text) | PopupAction::Update(text) = &mut action {
                text.reject &= klingel.session.account_connected();
            }
            // Do not disturb pauses new popups; closing the ones already shown still happens.
            let paused = klingel.do_not_disturb()
                && matches!(
                    action,
                    PopupAction::Show(_)
                        | PopupAction::Update(_)
                        | PopupAction::Answered(..)
                        | PopupAction::Missed(_)
                );
            if !paused {
                notifier.apply(update.call.id, action, popup::action_labels(language));
            }
        }
        Update::ContactsChanged => {
            let _ = app.emit("contacts://changed", ());
        }
        Update::SettingsChanged(settings) => {
            let _ = app.emit("settings://changed", &*settings);
        }
        Update::Listener(status) => {
            let _ = app.emit("listener://status", status);
        }
        Update::Request(request) => {
            let _ = app.emit("listener://request", &*request);
        }
        Update::CallsRemoved(keys) => {
            let _ = app.emit("calls://removed", keys);
        }
        Update::Desk(status) => {
            let _ = app.emit("desk://status", &*status);
        }
    }
}

fn on_click(app: &AppHandle, call: CallKey, clicked: Clicked) {
    match clicked {
        Clicked::CallBack => return call_back(app, call),
        Clicked::Reject => return reject(app, call),
        Clicked::Show | Clicked::AddContact => {}
    }
    crate::show_main_window(app);
    let app = app.clone();
    // Reading the call touches the database: not on an async worker.
    tauri::async_runtime::spawn_blocking(move || {
        let navigate = match clicked {
            Clicked::Show => Navigate {
                view: "calls",
                call_id: Some(call.0),
                prefill_number: None,
                contact_id: None,
            },
            Clicked::CallBack | Clicked::Reject => return,
            Clicked::AddContact => {
                let entry = app.state::<Klingel>().session.call(call).ok();
                Navigate {
                    view: "contacts",
                    call_id: Some(call.0),
                    prefill_number: entry.as_ref().and_then(|e| e.remote_display.clone()),
                    contact_id: entry.and_then(|e| e.contact.map(|m| m.contact.id.0)),
                }
            }
        };
        let _ = app.emit("app://navigate", navigate);
    });
}

/// "Call back" on a popup: through sipgate when an account is connected (one's phone rings
/// first), else to the desktop's tel: handler; no window either way.
fn call_back(app: &AppHandle, call: CallKey) {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let session = &app.state::<Klingel>().session;
        match session.call(call).ok().and_then(|e| e.remote_e164) {
            Some(e164) => {
                if let Err(e) = crate::commands::dial_or_hand_over(session, &e164) {
                    tracing::warn!("cannot call back: {e}");
                }
            }
            None => tracing::warn!(%call, "no number to call back"),
        }
    });
}

/// "Reject" on a ringing call's popup: sipgate ends the call.
fn reject(app: &AppHandle, call: CallKey) {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        match app.state::<Klingel>().session.reject_call(call) {
            Ok(done) => tracing::info!(%call, ?done, "rejected from its popup"),
            Err(e) => tracing::warn!(%call, "cannot reject the call: {e}"),
        }
    });
}
