//! The tray icon: show the window, pause popups, quit.

use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, Wry};

use crate::state::Klingel;

/// The tray's "do not disturb" check item, so the window can switch it too.
struct DndItem(CheckMenuItem<Wry>);

/// Pauses or resumes popups, from the tray or the window: the switch, the tray's check mark
/// and the window's status say the same thing.
pub fn set_do_not_disturb(app: &AppHandle, on: bool) {
    app.state::<Klingel>().set_do_not_disturb(on);
    if let Some(item) = app.try_state::<DndItem>() {
        let _ = item.0.set_checked(on);
    }
    let _ = app.emit("tray://dnd", on);
}

/// Creates the tray icon and its menu in the app's language.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let words = app.state::<Klingel>().session.words();
    let (show, dnd, quit) = (
        words.text("tray.show", &[]),
        words.text("tray.dnd", &[]),
        words.text("tray.quit", &[]),
    );
    let show = MenuItem::with_id(app, "show", &show, true, None::<&str>)?;
    let dnd = CheckMenuItem::with_id(app, "dnd", &dnd, true, false, None::<&str>)?;
    app.manage(DndItem(dnd.clone()));
    let quit = MenuItem::with_id(app, "quit", &quit, true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&show, &dnd, &separator, &quit])?;
    let mut builder = TrayIconBuilder::with_id("klingel")
        .tooltip("Klingel")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(move |app, event| match event.id().as_ref() {
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
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}
