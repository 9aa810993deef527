//! Native notifications: show, update and close a call's popup, and hear its action buttons.
//!
//! A worker task owns every notification, so the listener and the bridge only ever queue a
//! message and never wait. On Linux and the BSDs the worker speaks the desktop's notification
//! protocol over D-Bus (`dbus`): popups are updated in place, closed, and have buttons. Other
//! systems' notifications (`plain`) can neither be updated nor closed from here: each change
//! worth telling is a new notification, without buttons.

#[cfg(all(unix, not(target_os = "macos")))]
mod dbus;
#[cfg(all(unix, not(target_os = "macos")))]
use dbus::Worker;
#[cfg(not(all(unix, not(target_os = "macos"))))]
mod plain;
#[cfg(not(all(unix, not(target_os = "macos"))))]
use plain::Worker;

use std::sync::Arc;

use klingel_core::domain::CallKey;
use klingel_core::popup::{ActionLabels, PopupAction};
use tokio::sync::mpsc;

/// A button the user pressed on a call's notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clicked {
    /// "Show" (or the notification body): bring the window up on this call.
    Show,
    /// "Add contact": open the contact form for the caller.
    AddContact,
    /// "Call back": dial the caller through the desktop's tel: handler.
    CallBack,
    /// "Reject": end the ringing call at sipgate.
    Reject,
}

/// One thing to do with a call's notification.
#[derive(Debug)]
// Buttons and delayed closes exist only with D-Bus notifications; elsewhere only the action
// is read.
#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
pub(crate) struct Job {
    pub(crate) call: CallKey,
    pub(crate) action: PopupAction,
    pub(crate) labels: ActionLabels,
    /// Only for this showing of the notification (a delayed close must not close a newer one).
    pub(crate) showing: Option<u64>,
}

/// Queues popup work for the notification worker.
#[derive(Debug, Clone)]
pub struct Notifier {
    jobs: mpsc::UnboundedSender<Job>,
}

/// Hears the buttons pressed on a call's notification.
pub(crate) type OnClick = Arc<dyn Fn(CallKey, Clicked) + Send + Sync>;

impl Notifier {
    /// Starts the worker on the current tokio runtime; `on_click` hears action buttons.
    pub fn spawn(
        app_name: &'static str,
        on_click: impl Fn(CallKey, Clicked) + Send + Sync + 'static,
    ) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        let worker = Worker::new(app_name, Arc::new(on_click), jobs.clone());
        tokio::spawn(worker.run(queue));
        Self { jobs }
    }

    /// Queues what to do with `call`'s notification; `labels` are the "Show" and "Add contact"
    /// button texts. Never blocks.
    pub fn apply(&self, call: CallKey, action: PopupAction, labels: ActionLabels) {
        if matches!(action, PopupAction::Nothing) {
            return;
        }
        // The worker only stops with the runtime; then there is nobody left to show anything.
        let _ = self.jobs.send(Job {
            call,
            action,
            labels,
            showing: None,
        });
    }
}
