//! Popups over D-Bus (the freedesktop notification protocol, through notify-rust): shown,
//! updated in place, closed, with buttons. Every D-Bus round trip is time-boxed: a
//! notification server that hangs (notify-rust has no timeout of its own) must not stall
//! anything.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use klingel_core::domain::CallKey;
use klingel_core::popup::{ActionLabels, PopupAction, PopupText};
use notify_rust::{Hint, Notification, NotificationHandle, NotificationResponse, Timeout, Urgency};
use tokio::sync::mpsc;

use super::{Clicked, Job, OnClick};

/// How long one D-Bus call to the notification server may take.
const DBUS_TIMEOUT: Duration = Duration::from_secs(2);
/// The action keys of the buttons.
const ACTION_SHOW: &str = "show";
const ACTION_ADD_CONTACT: &str = "add-contact";
const ACTION_CALL_BACK: &str = "call-back";
const ACTION_REJECT: &str = "reject";

/// Owns every call's notification.
pub(super) struct Worker {
    app_name: &'static str,
    on_click: OnClick,
    /// Each call's notification on screen, and which showing of it that is.
    shown: HashMap<CallKey, (Arc<NotificationHandle>, u64)>,
    showings: u64,
    /// The worker's own queue, for closes it schedules.
    later: mpsc::UnboundedSender<Job>,
    unavailable_logged: bool,
}

impl Worker {
    /// A worker that shows as `app_name`, tells `on_click` of buttons, and queues its own
    /// delayed closes on `later`.
    pub(super) fn new(
        app_name: &'static str,
        on_click: OnClick,
        later: mpsc::UnboundedSender<Job>,
    ) -> Self {
        Self {
            app_name,
            on_click,
            shown: HashMap::new(),
            showings: 0,
            later,
            unavailable_logged: false,
        }
    }

    /// Does the queued jobs until the queue closes.
    pub(super) async fn run(mut self, mut queue: mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = queue.recv().await {
            match job.action {
                PopupAction::Show(text) | PopupAction::Update(text) => {
                    // An update for a notification the user (or a forward) closed shows it again.
                    self.show(job.call, &text, &job.labels).await;
                }
                PopupAction::Answered(text, after) => {
                    if let Some(showing) = self.show(job.call, &text, &job.labels).await {
                        self.close_later(job.call, showing, after);
                    }
                }
                PopupAction::Close => {
                    let current = self.shown.get(&job.call).map(|(_, showing)| *showing);
                    // A scheduled close applies only to the showing it was scheduled for.
                    if job.showing.is_none() || job.showing == current {
                        self.close(job.call).await;
                    }
                }
                PopupAction::Missed(text) => {
                    self.close(job.call).await;
                    self.show(job.call, &text, &job.labels).await;
                }
                PopupAction::Nothing => {}
            }
        }
    }

    /// Shows (or replaces) the call's notification; returns which showing it is.
    async fn show(
        &mut self,
        call: CallKey,
        text: &PopupText,
        labels: &ActionLabels,
    ) -> Option<u64> {
        let mut notification = Notification::new();
        notification
            .appname(self.app_name)
            .summary(&text.summary)
            .body(&text.body)
            .action("default", &labels.show)
            .action(ACTION_SHOW, &labels.show)
            .hint(Hint::Category("im.received".into()))
            .urgency(if text.urgent {
                Urgency::Critical
            } else {
                Urgency::Normal
            })
            .timeout(Timeout::Never);
        // Only a caller nobody knows yet gets "Add contact".
        if text.add_contact {
            notification.action(ACTION_ADD_CONTACT, &labels.add_contact);
        }
        if text.call_back {
            notification.action(ACTION_CALL_BACK, &labels.call_back);
        }
        if text.reject {
            notification.action(ACTION_REJECT, &labels.reject);
        }
        if text.sound {
            notification.hint(Hint::SoundName("phone-incoming-call".into()));
        }
        let replacing = self.shown.get(&call).map(|(handle, _)| handle.id());
        if let Some(id) = replacing {
            notification.id(id);
        }
        match tokio::time::timeout(DBUS_TIMEOUT, notification.show_async()).await {
            Ok(Ok(handle)) => {
                let handle = Arc::new(handle);
                if replacing != Some(handle.id()) {
                    self.listen_for_clicks(call, handle.clone());
                }
                self.showings += 1;
                self.shown.insert(call, (handle, self.showings));
                Some(self.showings)
            }
            Ok(Err(e)) => {
                self.unavailable(&format!("cannot show a notification: {e}"));
                None
            }
            Err(_) => {
                self.unavailable("the notification server did not answer in time");
                None
            }
        }
    }

    /// Closes this showing of the call's notification after `after`, unless it changed since.
    fn close_later(&self, call: CallKey, showing: u64, after: Duration) {
        let queue = self.later.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = queue.send(Job {
                call,
                action: PopupAction::Close,
                labels: ActionLabels {
                    show: String::new(),
                    add_contact: String::new(),
                    call_back: String::new(),
                    reject: String::new(),
                },
                showing: Some(showing),
            });
        });
    }

    fn listen_for_clicks(&self, call: CallKey, handle: Arc<NotificationHandle>) {
        let on_click = self.on_click.clone();
        tokio::spawn(async move {
            handle
                .wait_for_action_async(|response| {
                    let clicked = match response {
                        NotificationResponse::Action(key) if key == ACTION_ADD_CONTACT => {
                            Some(Clicked::AddContact)
                        }
                        NotificationResponse::Action(key) if key == ACTION_CALL_BACK => {
                            Some(Clicked::CallBack)
                        }
                        NotificationResponse::Action(key) if key == ACTION_REJECT => {
                            Some(Clicked::Reject)
                        }
                        NotificationResponse::Action(_) | NotificationResponse::Default => {
                            Some(Clicked::Show)
                        }
                        _ => None,
                    };
                    if let Some(clicked) = clicked {
                        on_click(call, clicked);
                    }
                })
                .await;
        });
    }

    async fn close(&mut self, call: CallKey) {
        if let Some((handle, _)) = self.shown.remove(&call) {
            if tokio::time::timeout(DBUS_TIMEOUT, handle.close_async())
                .await
                .is_err()
            {
                self.unavailable("the notification server did not close a notification in time");
            }
        }
    }

    /// Logs a missing or hung notification server once, then quietly; popups are a courtesy.
    fn unavailable(&mut self, message: &str) {
        if self.unavailable_logged {
            tracing::debug!("{message}");
        } else {
            tracing::warn!("{message}; popups are skipped while this lasts");
            self.unavailable_logged = true;
        }
    }
}
