//! The tray icon: its state at a glance, the newest missed calls, do not disturb, quit. What
//! it shows is decided in the core ([`klingel_core::tray`]); this draws it.

use std::sync::Mutex;
use std::time::Duration;

use klingel_core::tray::{TrayState, TrayView};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, Wry};
use tokio::sync::broadcast::error::RecvError;

use crate::state::Klingel;

/// The tray's id.
const TRAY: &str = "klingel";
/// Updates that arrive within this time are drawn once (a burst of pushes is one redraw).
const SETTLE: Duration = Duration::from_millis(250);

/// The tray and what it shows now.
struct Tray {
    icon: TrayIcon<Wry>,
    shown: Mutex<Option<TrayView>>,
}

/// Pauses or resumes popups, from the tray or the window: the switch, the tray and the
/// window's status say the same thing.
pub fn set_do_not_disturb(app: &AppHandle, on: bool) {
    app.state::<Klingel>().set_do_not_disturb(on);
    let _ = app.emit("tray://dnd", on);
    refresh(app);
}

/// Creates the tray icon and keeps it up to date with the session.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let icon = TrayIconBuilder::with_id(TRAY)
        .icon(icon_for(TrayState::Listening))
        .tooltip("Klingel")
        .show_menu_on_left_click(cfg!(target_os = "linux"))
        .on_menu_event(on_menu)
        .on_tray_icon_event(|tray, event| {
            // Where the platform reports clicks (not Linux's indicators, which open the menu),
            // a left click opens the window.
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_main_window(tray.app_handle());
            }
        })
        .build(app)?;
    app.manage(Tray {
        icon,
        shown: Mutex::new(None),
    });
    refresh(app);
    follow(app.clone());
    Ok(())
}

/// Redraws the tray after every change that could alter it, a burst at a time.
fn follow(app: AppHandle) {
    let mut updates = app.state::<Klingel>().session.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match updates.recv().await {
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
            tokio::time::sleep(SETTLE).await;
            // What came meanwhile is covered by the one redraw below.
            while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) =
                updates.try_recv()
            {}
            refresh(&app);
        }
    });
}

/// Reads the tray's view off the async workers and draws it if it changed.
fn refresh(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let klingel = app.state::<Klingel>();
        let view = match klingel
            .session
            .tray_view(klingel.do_not_disturb(), crate::local_offset())
        {
            Ok(view) => view,
            Err(e) => {
                tracing::warn!("cannot read what the tray shows: {e}");
                return;
            }
        };
        let Some(tray) = app.try_state::<Tray>() else {
            return;
        };
        let mut shown = tray.shown.lock().unwrap_or_else(|e| e.into_inner());
        if shown.as_ref() == Some(&view) {
            return;
        }
        if shown.as_ref().map(|s| s.state) != Some(view.state) {
            if let Err(e) = tray.icon.set_icon(Some(icon_for(view.state))) {
                tracing::warn!("cannot change the tray icon: {e}");
            }
        }
        match menu(&app, &view) {
            Ok(menu) => {
                if let Err(e) = tray.icon.set_menu(Some(menu)) {
                    tracing::warn!("cannot change the tray menu: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot build the tray menu: {e}"),
        }
        let tooltip = match &view.detail {
            Some(detail) => format!("Klingel — {} · {detail}", view.status),
            None => format!("Klingel — {}", view.status),
        };
        let _ = tray.icon.set_tooltip(Some(tooltip));
        *shown = Some(view);
    });
}

/// The menu: how things stand, open, the newest missed calls, do not disturb, quit.
fn menu(app: &AppHandle, view: &TrayView) -> tauri::Result<Menu<Wry>> {
    let words = app.state::<Klingel>().session.words();
    let menu = Menu::new(app)?;
    // Plain entries; the disabled ones are lines to read, not to choose.
    let entry = |id: &str, text: &str, enabled: bool| -> tauri::Result<()> {
        menu.append(&MenuItem::with_id(app, id, text, enabled, None::<&str>)?)
    };
    let separator = || menu.append(&PredefinedMenuItem::separator(app)?);
    entry("status", &view.status, false)?;
    if let Some(detail) = &view.detail {
        entry("detail", detail, false)?;
    }
    separator()?;
    entry("show", &words.text("tray.show", &[]), true)?;
    if !view.missed.is_empty() {
        separator()?;
        entry("missed", &words.text("tray.missedHeading", &[]), false)?;
        for missed in &view.missed {
            entry(&format!("call:{}", missed.call.0), &missed.label, true)?;
        }
    }
    separator()?;
    let dnd = words.text("tray.dnd", &[]);
    menu.append(&CheckMenuItem::with_id(
        app,
        "dnd",
        dnd,
        true,
        view.do_not_disturb,
        None::<&str>,
    )?)?;
    separator()?;
    entry("quit", &words.text("tray.quit", &[]), true)?;
    Ok(menu)
}

fn on_menu(app: &AppHandle, event: tauri::menu::MenuEvent) {
    let id = event.id().as_ref();
    if let Some(call) = id.strip_prefix("call:").and_then(|n| n.parse::<i64>().ok()) {
        crate::show_main_window(app);
        let _ = app.emit(
            "app://navigate",
            serde_json::json!({ "view": "calls", "callId": call }),
        );
        return;
    }
    match id {
        "show" => crate::show_main_window(app),
        "dnd" => {
            let on = !app.state::<Klingel>().do_not_disturb();
            set_do_not_disturb(app, on);
        }
        "quit" => {
            app.state::<Klingel>().begin_quit();
            app.exit(0);
        }
        other => tracing::debug!("unknown tray menu item {other}"),
    }
}

/// The tray's icons by [`TrayState::icon_name`], drawn by `scripts/make-icons.sh` and built
/// into the binary.
const ICONS: &[(&str, &[u8])] = &[
    (
        "listening",
        include_bytes!("../../icons/tray/listening.png"),
    ),
    ("problem", include_bytes!("../../icons/tray/problem.png")),
    ("dnd", include_bytes!("../../icons/tray/dnd.png")),
    ("missed-1", include_bytes!("../../icons/tray/missed-1.png")),
    ("missed-2", include_bytes!("../../icons/tray/missed-2.png")),
    ("missed-3", include_bytes!("../../icons/tray/missed-3.png")),
    ("missed-4", include_bytes!("../../icons/tray/missed-4.png")),
    ("missed-5", include_bytes!("../../icons/tray/missed-5.png")),
    ("missed-6", include_bytes!("../../icons/tray/missed-6.png")),
    ("missed-7", include_bytes!("../../icons/tray/missed-7.png")),
    ("missed-8", include_bytes!("../../icons/tray/missed-8.png")),
    ("missed-9", include_bytes!("../../icons/tray/missed-9.png")),
    (
        "missed-many",
        include_bytes!("../../icons/tray/missed-many.png"),
    ),
];

/// The icon for a state.
fn icon_for(state: TrayState) -> Image<'static> {
    let name = state.icon_name();
    let png = ICONS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(ICONS[0].1, |(_, png)| *png);
    // The files are part of the build; a broken one is a build mistake the first start shows.
    Image::from_bytes(png).expect("the tray icons are valid PNG files")
}
