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
            let action = popup::popup_for(&update, language, &settings.popups, &settings.numbers);
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
    if clicked == Clicked::CallBack {
        call_back(app, call);
        return;
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
            Clicked::CallBack => return,
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

/// "Call back" on a popup: the caller's number to the desktop's tel: handler, no window.
fn call_back(app: &AppHandle, call: CallKey) {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let entry = app.state::<Klingel>().session.call(call);
        match entry.ok().and_then(|e| e.remote_e164) {
            Some(e164) => {
                if let Err(e) = open::that_detached(format!("tel:{e164}")) {
                    tracing::warn!("cannot hand the call back to a tel: handler: {e}");
                }
            }
            None => tracing::warn!(%call, "no number to call back"),
        }
    });
}
