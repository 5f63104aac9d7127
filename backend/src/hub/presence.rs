//! Presence, coalesced: changes collect in a pending set and go out in one `presence` frame
//! to every connection, at once after a quiet interval, otherwise when the interval is over
//! ([`Hub::run_presence`]).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use shared::{ServerFrame, UserName};
use tokio_util::sync::CancellationToken;

use super::{by_name, Hub, State};
use crate::ws::encode;

/// Presence changes on their way to this node's connections.
#[derive(Debug, Default)]
pub(super) struct Presence {
    /// The users whose online state changed since the last `presence` frame, by name key. The
    /// frame says the state they are in when it is sent; the name is kept for those offline
    /// by then, who are gone from the other maps.
    pending: HashMap<String, UserName>,
    /// When the last `presence` frame went out; `None` before the first.
    last_sent: Option<Instant>,
    /// Whether the pending changes wait for [`Hub::run_presence`]: set when it is woken,
    /// cleared by every flush.
    deferred: bool,
}

impl Hub {
    /// After a presence change: sends it at once if no `presence` frame went out for an
    /// interval (the leading edge), otherwise leaves it to [`Hub::run_presence`], which sends
    /// everything pending once the interval has passed.
    pub(super) fn settle_presence(&self, state: &mut State) {
        if state.presence.pending.is_empty() || state.presence.deferred {
            return;
        }
        let now = Instant::now();
        let interval = self.shared.config.presence_interval;
        let quiet = state
            .presence
            .last_sent
            .is_none_or(|sent| now.duration_since(sent) >= interval);
        if quiet {
            state.flush_presence(now);
        } else {
            state.presence.deferred = true;
            self.shared.presence_due.notify_one();
        }
    }

    /// Sends every pending presence change now, in one frame to every connection, whatever
    /// the interval; returns whether there was one. [`Hub::run_presence`] calls it when an
    /// interval is over; without that task (in unit tests), deferred changes wait for a call.
    pub fn flush_presence(&self) -> bool {
        self.state().flush_presence(Instant::now())
    }

    /// Sends deferred presence changes when their interval is over, until `shutdown`. The
    /// owner of the hub spawns it once; it sleeps until a change has to wait.
    pub async fn run_presence(self, shutdown: CancellationToken) {
        let interval = self.shared.config.presence_interval;
        loop {
            tokio::select! {
                () = self.shared.presence_due.notified() => {}
                () = shutdown.cancelled() => return,
            }
            loop {
                let wait = {
                    let mut state = self.state();
                    let now = Instant::now();
                    let due = state.presence.last_sent.map_or(now, |sent| sent + interval);
                    if state.presence.pending.is_empty() {
                        state.presence.deferred = false;
                        break;
                    }
                    if due <= now {
                        state.flush_presence(now);
                        break;
                    }
                    due - now
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = shutdown.cancelled() => return,
                }
            }
        }
    }
}

impl State {
    /// Notes that user `name` came online or went offline on the whole chat.
    pub(super) fn presence_changed(&mut self, name: &UserName) {
        self.presence.pending.insert(name.key(), name.clone());
    }

    /// Notes that user `name` went offline on the whole chat, last seen `at` when known.
    pub(super) fn went_offline(&mut self, name: &UserName, at: Option<u64>) {
        self.presence_changed(name);
        match at {
            Some(at) => self.departures.record(name.key(), at, Instant::now()),
            None => self.departures.forget(&name.key()),
        }
    }

    /// Sends every pending change in one `presence` frame, encoded once, to every connection
    /// on this node; returns whether a frame went out. Each user is in the list of the state
    /// they are in now. With no connection here the changes are dropped: whoever connects
    /// later learns them from their welcome, and the next change is still a leading edge.
    pub(super) fn flush_presence(&mut self, now: Instant) -> bool {
        self.presence.deferred = false;
        if self.conns.is_empty() {
            self.presence.pending.clear();
        }
        if self.presence.pending.is_empty() {
            return false;
        }
        let mut pending = std::mem::take(&mut self.presence.pending);
        let (mut online, mut offline, mut away) = (Vec::new(), Vec::new(), Vec::new());
        let mut last_seen = BTreeMap::new();
        for (key, name) in pending.drain() {
            match self.online_name(&key) {
                Some(now_online) => {
                    if self.listed_away(&key) {
                        away.push(now_online.to_string());
                    }
                    online.push(now_online.to_string());
                }
                None => {
                    if let Some(at) = self.departures.get(&key, now) {
                        last_seen.insert(name.to_string(), at);
                    }
                    offline.push(name.to_string());
                }
            }
        }
        // Keep the allocation: the next burst of sign-ins is likely as large.
        self.presence.pending = pending;
        online.sort_unstable_by(|a, b| by_name(a, b));
        offline.sort_unstable_by(|a, b| by_name(a, b));
        away.sort_unstable_by(|a, b| by_name(a, b));
        let frame = encode(&ServerFrame::Presence {
            online,
            offline,
            away,
            last_seen,
        });
        for conn in self.conns.values() {
            conn.outbox.push(frame.clone());
        }
        self.presence.last_sent = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use shared::protocol::ServerLimits;

    use super::*;
    use crate::hub::{ConnId, Event, HubConfig};
    use crate::metrics::Metrics;
    use crate::outbox::{Inbox, Limits};
    use crate::store::SessionId;

    /// A hub whose presence interval never ends by itself: what is deferred waits for
    /// [`Hub::flush_presence`].
    fn hub() -> Hub {
        Hub::new(
            HubConfig {
                max_rooms_per_user: 50,
                max_connections_per_user: 20,
                conversations_page: 100,
                typing_interval: Duration::from_secs(2),
                presence_interval: Duration::from_secs(3600),
                limits: ServerLimits {
                    max_body_chars: 4000,
                    max_frame_bytes: 65536,
                    rate_per_sec: 10,
                    burst: 20,
                },
            },
            Arc::new(Metrics::default()),
            Vec::new(),
            0,
            None,
        )
    }

    /// Connects a tab of `name`'s; returns its id and its queue (welcome already taken).
    fn connect(hub: &Hub, name: &str) -> (ConnId, Inbox) {
        let (outbox, rx) = hub.queue(
            Limits {
                frames: 64,
                bytes: usize::MAX,
            },
            Arc::default(),
        );
        let name = UserName::parse(name).unwrap();
        let (id, _welcome, _) =
            hub.connect(name, SessionId("s".into()), outbox, (Vec::new(), true));
        (id, rx)
    }

    /// The presence frames queued for a connection, as (online, offline).
    fn presence(rx: &mut Inbox) -> Vec<(Vec<String>, Vec<String>)> {
        let mut frames = Vec::new();
        for frame in rx.take_now() {
            match serde_json::from_str(&frame.text_payload()).unwrap() {
                ServerFrame::Presence {
                    online, offline, ..
                } => frames.push((online, offline)),
                other => panic!("expected presence, got {other:?}"),
            }
        }
        frames
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// The hub's ordered index of who is online holds exactly its local and remote users.
    fn assert_online_index(hub: &Hub) {
        let state = hub.state();
        let mut expected: Vec<&String> = state
            .users
            .keys()
            .chain(state.remote_users.keys())
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(state.online.keys().collect::<Vec<_>>(), expected);
    }

    /// The `online` list of the welcome a new tab of `name` gets.
    fn welcome_online(hub: &Hub, name: &str) -> Vec<String> {
        let (outbox, _rx) = hub.queue(
            Limits {
                frames: 64,
                bytes: usize::MAX,
            },
            Arc::default(),
        );
        let name = UserName::parse(name).unwrap();
        let (_, welcome, _) = hub.connect(name, SessionId("s".into()), outbox, (Vec::new(), true));
        match serde_json::from_str(&welcome.text_payload()).unwrap() {
            ServerFrame::Welcome { online, rooms, .. } => {
                assert_eq!(rooms[0].room, "lobby");
                assert!(
                    rooms[0].members.is_empty(),
                    "the lobby's members are `online`, not listed twice"
                );
                online
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    #[test]
    fn welcomes_list_everyone_online_on_any_node_in_name_order() {
        let hub = hub();
        let (bob_tab, _bob) = connect(&hub, "bob");
        let (_, _ann) = connect(&hub, "Ann");
        hub.node_sync("b", &names(&["erin", "Dave", "bob"]), &[]);
        assert_online_index(&hub);
        assert_eq!(
            welcome_online(&hub, "carol"),
            names(&["Ann", "bob", "carol", "Dave", "erin"])
        );
        // Bob leaves here but is still on node b; erin leaves b; Dave comes to this node too.
        hub.disconnect(bob_tab);
        hub.apply(
            "b",
            Event::Offline {
                user: "erin".into(),
                at: None,
            },
        );
        let (_, _dave) = connect(&hub, "Dave");
        assert_online_index(&hub);
        assert_eq!(
            welcome_online(&hub, "zoe"),
            names(&["Ann", "bob", "carol", "Dave", "zoe"])
        );
        // Node b goes: bob with it; Dave stays, here.
        hub.node_gone("b");
        assert_online_index(&hub);
        assert_eq!(
            welcome_online(&hub, "carol"),
            names(&["Ann", "carol", "Dave", "zoe"])
        );
    }

    #[test]
    fn a_change_after_a_quiet_interval_goes_out_at_once_and_later_ones_together() {
        let hub = hub();
        let (_, mut observer) = connect(&hub, "observer");
        // The first sign-in is the leading edge; the newcomer learns of itself from its welcome.
        let (_, mut zed) = connect(&hub, "Zed");
        assert_eq!(presence(&mut observer), [(names(&["Zed"]), names(&[]))]);
        assert_eq!(presence(&mut zed), []);
        // Within the interval: nothing goes out until the flush, then everything in one frame,
        // sorted ignoring case.
        let (bob_tab, _bob) = connect(&hub, "bob");
        let (_, _adam) = connect(&hub, "adam");
        let (_, _bea) = connect(&hub, "Bea");
        hub.disconnect(bob_tab);
        assert_eq!(presence(&mut observer), []);
        assert!(hub.flush_presence());
        let batch = (names(&["adam", "Bea"]), names(&["bob"]));
        assert_eq!(presence(&mut observer), std::slice::from_ref(&batch));
        // The same shared bytes went to everyone, the newcomers too.
        assert_eq!(presence(&mut zed), [batch]);
        assert!(!hub.flush_presence(), "nothing is pending any more");
    }

    #[test]
    fn a_user_is_reported_in_the_state_they_end_in() {
        let hub = hub();
        let (_, mut observer) = connect(&hub, "observer");
        let (_, _first) = connect(&hub, "first");
        presence(&mut observer);
        // Offline, back online and a second tab within one interval: online.
        let (carol_tab, _carol) = connect(&hub, "carol");
        hub.disconnect(carol_tab);
        let (_, _carol) = connect(&hub, "carol");
        let (_, _carol2) = connect(&hub, "carol");
        hub.flush_presence();
        assert_eq!(presence(&mut observer), [(names(&["carol"]), names(&[]))]);
    }

    #[test]
    fn other_nodes_users_are_coalesced_too_and_a_second_node_is_no_news() {
        let hub = hub();
        let (_, mut observer) = connect(&hub, "observer");
        hub.node_sync("b", &names(&["erin", "dave"]), &[]);
        assert_eq!(
            presence(&mut observer),
            [(names(&["dave", "erin"]), names(&[]))]
        );
        hub.apply(
            "c",
            Event::Online {
                user: "dave".into(),
            },
        );
        hub.apply(
            "c",
            Event::Online {
                user: "frank".into(),
            },
        );
        hub.node_gone("b");
        hub.flush_presence();
        // Dave is still on node c; erin is gone.
        assert_eq!(
            presence(&mut observer),
            [(names(&["frank"]), names(&["erin"]))]
        );
    }
}
