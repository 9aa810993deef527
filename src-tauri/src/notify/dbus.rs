//! Native notifications (notify-rust over D-Bus): show, update and close a call's popup, and
//! hear its action buttons.
//!
//! A worker task owns every notification, so the listener and the bridge only ever queue a
//! message and never wait. Every D-Bus round trip is time-boxed: a notification server that
//! hangs (notify-rust has no timeout of its own) must not stall anything.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use klingel_core::domain::CallKey;
use klingel_core::popup::{ActionLabels, PopupAction, PopupText};
use notify_rust::{Hint, Notification, NotificationHandle, NotificationResponse, Timeout, Urgency};
use tokio::sync::mpsc;

/// How long one D-Bus call to the notification server may take.
const DBUS_TIMEOUT: Duration = Duration::from_secs(2);
/// The action keys of the two buttons.
const ACTION_SHOW: &str = "show";
const ACTION_ADD_CONTACT: &str = "add-contact";
const ACTION_CALL_BACK: &str = "call-back";
const ACTION_REJECT: &str = "reject";

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
struct Job {
    call: CallKey,
    action: PopupAction,
    labels: ActionLabels,
    /// Only for this showing of the notification (a delayed close must not close a newer one).
    showing: Option<u64>,
}

/// Queues popup work for the notification worker.
#[derive(Debug, Clone)]
pub struct Notifier {
    jobs: mpsc::UnboundedSender<Job>,
}

type OnClick = Arc<dyn Fn(CallKey, Clicked) + Send + Sync>;

impl Notifier {
    /// Starts the worker on the current tokio runtime; `on_click` hears action buttons.
    pub fn spawn(
        app_name: &'static str,
        on_click: impl Fn(CallKey, Clicked) + Send + Sync + 'static,
    ) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        let worker = Worker {
            app_name,
            on_click: Arc::new(on_click),
            shown: HashMap::new(),
            showings: 0,
            later: jobs.clone(),
            unavailable_logged: false,
        };
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

struct Worker {
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
    async fn run(mut self, mut queue: mpsc::UnboundedReceiver<Job>) {
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
