//! Klingel's desktop shell: a Tauri window, native popups and a tray icon over klingel-core.
//! It only wires; everything testable without a window lives in the core.
//!
//! Layout:
//! - `state`    — the core's session and the shell's switches (do not disturb, quitting)
//! - `commands` — the window's commands, a few lines each
//! - `bridge`   — core events to window events and popups
//! - `notify`   — native notifications: show, update, close, actions; time-boxed
//! - `transfer` — import and export: file dialogs, preview, progress, report
//! - `tray`     — tray icon and menu
//! - `login`    — starting at login (the autostart entry)

mod bridge;
mod commands;
mod login;
pub mod notify;
mod state;
mod transfer;
mod tray;

use tauri::{Manager, WindowEvent};

pub use state::Klingel;

/// The main window's label.
pub const MAIN_WINDOW: &str = "main";

/// The argument the login autostart passes: start in the tray, without a window.
pub const MINIMIZED: &str = "--minimized";

/// The local UTC offset, read before any thread starts (reading it later is unsound on Linux
/// and the time crate refuses).
static LOCAL_OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();

/// The local UTC offset for times written to files.
pub(crate) fn local_offset() -> time::UtcOffset {
    LOCAL_OFFSET.get().copied().unwrap_or(time::UtcOffset::UTC)
}

/// Starts the app; returns when the user quits.
pub fn run() {
    let _ =
        LOCAL_OFFSET.set(time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let minimized = std::env::args().skip(1).any(|arg| arg == MINIMIZED);
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .arg(MINIMIZED)
                .build(),
        )
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            // A second launch only brings the running window forward.
            show_main_window(app);
        }))
        .invoke_handler(tauri::generate_handler![
            commands::get_overview,
            commands::calls_page,
            commands::mark_all_seen,
            commands::mark_seen,
            commands::contacts_page,
            commands::get_contact,
            commands::save_contact,
            commands::delete_contact,
            commands::shared_numbers,
            commands::remove_test_calls,
            commands::call_back,
            commands::do_not_disturb,
            commands::set_do_not_disturb,
            commands::check_number,
            commands::block_number,
            commands::unblock_number,
            commands::blocked_numbers,
            commands::get_settings,
            commands::save_settings,
            commands::listener_status,
            commands::recent_requests,
            commands::send_test_call,
            commands::connect_hub,
            commands::disconnect_hub,
            commands::handle_call,
            commands::account_status,
            commands::connect_account,
            commands::refresh_account,
            commands::disconnect_account,
            commands::set_webhooks,
            commands::reject_call,
            commands::start_at_login,
            commands::set_start_at_login,
            commands::close_welcome,
            transfer::pick_import_file,
            transfer::preview_import,
            transfer::run_import,
            transfer::export_contacts,
            transfer::export_calls,
        ])
        .setup(move |app| {
            let klingel = tauri::async_runtime::block_on(Klingel::start())?;
            app.manage(klingel);
            bridge::start(app.handle().clone());
            tray::create(app.handle())?;
            login::on_first_start(app.handle());
            // Started at login: the tray only; the window opens from there.
            if !minimized {
                show_main_window(app.handle());
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                // Closing hides to the tray: the listener keeps running. Quit is in the tray menu.
                if window.label() == MAIN_WINDOW && !quitting(window.app_handle()) {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("error while building the Klingel app");

    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(klingel) = handle.try_state::<Klingel>() {
                tauri::async_runtime::block_on(klingel.session.shutdown());
            }
        }
    });
}

/// Whether the user chose Quit (then closing the window must not be turned into hiding).
fn quitting(app: &tauri::AppHandle) -> bool {
    app.try_state::<Klingel>().is_some_and(|k| k.quitting())
}

/// Shows, unminimises and focuses the main window.
pub(crate) fn show_main_window(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}
