//! "Start Klingel when I log in": the platform's autostart entry (XDG autostart on Linux),
//! which starts the app with `--minimized`, straight into the tray.

use tauri::AppHandle;
use tauri::Manager as _;
use tauri_plugin_autostart::ManagerExt as _;

use crate::state::Klingel;

/// Whether Klingel starts at login.
pub fn enabled(app: &AppHandle) -> Result<bool, String> {
    app.autolaunch().is_enabled().map_err(|e| e.to_string())
}

/// Turns starting at login on or off.
pub fn set(app: &AppHandle, on: bool) -> Result<bool, String> {
    let manager = app.autolaunch();
    let result = if on {
        manager.enable()
    } else {
        manager.disable()
    };
    result.map_err(|e| e.to_string())?;
    tracing::info!(on, "start at login");
    enabled(app)
}

/// On the app's first start on a new data dir, starting at login is turned on: Klingel only
/// helps while it runs. The welcome shows the choice, and Settings can change it.
pub fn on_first_start(app: &AppHandle) {
    let app = app.clone();
    // The first-start mark is a file: not on an async worker.
    tauri::async_runtime::spawn_blocking(move || {
        if app.state::<Klingel>().session.first_app_start() {
            if let Err(e) = set(&app, true) {
                tracing::warn!("cannot turn on starting at login: {e}");
            }
        }
    });
}
