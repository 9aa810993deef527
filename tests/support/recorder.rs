//! A recording `org.freedesktop.Notifications` server for tests: every `Notify` and
//! `CloseNotification` call it receives, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One `Notify` call as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub app_name: String,
    pub replaces_id: u32,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
    /// The urgency hint: 0 low, 1 normal, 2 critical.
    pub urgency: Option<u8>,
    /// When the server received it.
    pub at: std::time::Instant,
}

/// The server: what it was told, shared with the test.
#[derive(Default, Clone)]
pub struct Recorder {
    pub notified: Arc<Mutex<Vec<Seen>>>,
    pub closed: Arc<Mutex<Vec<u32>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Recorder {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut seen = self.notified.lock().expect("lock");
        seen.push(Seen {
            app_name,
            replaces_id,
            summary,
            body,
            actions,
            urgency: hints
                .get("urgency")
                .and_then(|v| v.downcast_ref::<u8>().ok()),
            at: std::time::Instant::now(),
        });
        if replaces_id != 0 {
            replaces_id
        } else {
            seen.len() as u32
        }
    }
    fn close_notification(&self, id: u32) {
        self.closed.lock().expect("lock").push(id);
    }
    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "body-markup".into(), "actions".into()]
    }
    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "recorder".into(),
            "klingel-tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }
}
