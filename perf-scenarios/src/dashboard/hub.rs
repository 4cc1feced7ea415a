//! The dashboard's events: each one encoded once as a server-sent event, kept in a
//! history and broadcast to the open pages. A page that connects (or reconnects) gets
//! the history first, then what follows, with nothing missed or repeated in between:
//! both are taken under one lock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

/// Per-second events kept for a page that connects late: an hour of them (every other
/// event is kept whole: sessions, points, notes, the search).
const SECONDS_KEPT: usize = 3600;
/// Events a slow page may fall behind before it is dropped (it reconnects and gets
/// the history).
const BACKLOG: usize = 1024;

/// The events so far and the pages listening.
#[derive(Debug)]
pub struct Hub {
    history: Mutex<History>,
    tx: broadcast::Sender<Arc<str>>,
}

#[derive(Debug, Default)]
struct History {
    kept: Vec<(u64, Arc<str>)>,
    seconds: VecDeque<(u64, Arc<str>)>,
    next: u64,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            history: Mutex::default(),
            tx: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Hub {
    fn history(&self) -> MutexGuard<'_, History> {
        // A panic while holding it leaves whole events behind; go on with them.
        self.history.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Encodes `data` as an event named `kind`, keeps it and sends it to every page.
    pub fn publish(&self, kind: &str, data: &serde_json::Value) {
        let mut h = self.history();
        let id = h.next;
        h.next += 1;
        let ev: Arc<str> = format!("id: {id}\nevent: {kind}\ndata: {data}\n\n").into();
        if kind == "second" {
            if h.seconds.len() == SECONDS_KEPT {
                h.seconds.pop_front();
            }
            h.seconds.push_back((id, ev.clone()));
        } else {
            h.kept.push((id, ev.clone()));
        }
        // No page open is not an error.
        let _ = self.tx.send(ev);
    }

    /// The history so far, in order, and a receiver of every event after it.
    pub fn subscribe(&self) -> (String, broadcast::Receiver<Arc<str>>) {
        let h = self.history();
        let mut all: Vec<&(u64, Arc<str>)> = h.kept.iter().chain(h.seconds.iter()).collect();
        all.sort_by_key(|e| e.0);
        let text = all.iter().map(|e| &*e.1).collect::<String>();
        (text, self.tx.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_page_gets_the_history_in_order_then_the_rest() {
        let hub = Hub::default();
        hub.publish("session", &serde_json::json!({"scenario": "api"}));
        hub.publish("second", &serde_json::json!({"second": 0}));
        hub.publish("note", &serde_json::json!({"msg": "x"}));
        let (past, mut rx) = hub.subscribe();
        let ids: Vec<&str> = past.lines().filter(|l| l.starts_with("id: ")).collect();
        assert_eq!(ids, ["id: 0", "id: 1", "id: 2"]);
        assert!(past.contains("event: second\ndata: {\"second\":0}\n\n"));
        hub.publish("second", &serde_json::json!({"second": 1}));
        assert!(rx.try_recv().unwrap().starts_with("id: 3\nevent: second\n"));
        assert!(rx.try_recv().is_err(), "nothing twice");
    }

    #[test]
    fn only_the_newest_seconds_are_kept_and_every_other_event_is() {
        let hub = Hub::default();
        hub.publish("session", &serde_json::json!({}));
        for s in 0..SECONDS_KEPT + 10 {
            hub.publish("second", &serde_json::json!({ "second": s }));
        }
        let (past, _) = hub.subscribe();
        assert!(past.starts_with("id: 0\nevent: session\n"));
        assert_eq!(past.matches("event: second").count(), SECONDS_KEPT);
        assert!(!past.contains("{\"second\":9}") && past.contains("{\"second\":10}"));
    }
}
