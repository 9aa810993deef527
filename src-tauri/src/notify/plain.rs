//! Popups where notifications cannot be updated or closed from the app (Windows, macOS): each
//! change worth telling is a notification of its own, without buttons (a click brings the app
//! forward, as the system does for any notification).

use klingel_core::popup::PopupAction;
use notify_rust::Notification;
use tokio::sync::mpsc;

use super::{Job, OnClick};

/// Shows every call's news as a new notification.
pub(super) struct Worker {
    app_name: &'static str,
    unavailable_logged: bool,
}

impl Worker {
    /// A worker that shows as `app_name`; buttons and delayed closes do not exist here.
    pub(super) fn new(
        app_name: &'static str,
        _on_click: OnClick,
        _later: mpsc::UnboundedSender<Job>,
    ) -> Self {
        Self {
            app_name,
            unavailable_logged: false,
        }
    }

    /// Does the queued jobs until the queue closes.
    pub(super) async fn run(mut self, mut queue: mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = queue.recv().await {
            // A ringing call, who answered it, and a missed call are news; an update of a
            // ringing call (another line rung) would only repeat the popup, and nothing can
            // be closed.
            let text = match job.action {
                PopupAction::Show(text)
                | PopupAction::Answered(text, _)
                | PopupAction::Missed(text) => text,
                PopupAction::Update(_) | PopupAction::Close | PopupAction::Nothing => continue,
            };
            let app_name = self.app_name;
            // The system's notification call blocks: not on an async worker.
            let shown = tokio::task::spawn_blocking(move || {
                Notification::new()
                    .appname(app_name)
                    .summary(&text.summary)
                    .body(&text.body)
                    .show()
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
            if let Err(e) = shown {
                if !self.unavailable_logged {
                    tracing::warn!("cannot show a notification: {e}; popups are skipped");
                    self.unavailable_logged = true;
                }
            }
        }
    }
}
