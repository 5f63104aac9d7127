//! Presence, by interest and coalesced: changes collect in a pending set and go out, at once
//! after a quiet interval, otherwise when the interval is over ([`Hub::run_presence`]), each
//! connection getting one `presence` frame with those of the users it has an interest in (see
//! `interest`) and the count of everyone online when it moved.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use shared::{ServerFrame, UserName};
use tokio_util::sync::CancellationToken;

use super::{by_name, ConnId, Hub, State};
use crate::ws::{encode, Frame};

/// Pending changes whose map is kept, emptied, for the next ones: past that, a burst's map is
/// dropped once sent.
const KEEP_PENDING: usize = 1024;

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
    /// Connections to tell where a user stands, whatever changed: a new interest (a private
    /// conversation new to them), told to them alone. Connection, user key, name.
    introductions: Vec<(ConnId, String, UserName)>,
    /// When the count of everyone online last went to every connection; `None` before.
    count_sent: Option<Instant>,
}

/// The count of everyone online goes to every connection at most once per this many
/// presence intervals (5 s with the default 250 ms): during a crowd's arrival it would
/// otherwise be a frame to every connection every interval. Frames with names go as before.
pub(super) const COUNT_EVERY_INTERVALS: u32 = 20;

impl Presence {
    /// Whether names wait to be told.
    fn has_names(&self) -> bool {
        !self.pending.is_empty() || !self.introductions.is_empty()
    }
}

impl Hub {
    /// After a presence change: sends it at once if no `presence` frame went out for an
    /// interval (the leading edge), otherwise leaves it to [`Hub::run_presence`], which sends
    /// everything pending once the interval has passed.
    pub(super) fn settle_presence(&self, state: &mut State) {
        if state.presence.deferred || (!state.presence.has_names() && !state.online.moved()) {
            return;
        }
        let now = Instant::now();
        let interval = self.shared.config.presence_interval;
        let quiet = state
            .presence
            .last_sent
            .is_none_or(|sent| now.duration_since(sent) >= interval);
        if quiet && state.presence.has_names() {
            state.flush_presence(now, interval * COUNT_EVERY_INTERVALS);
        }
        // What is left (names within the interval, a count not yet due) waits for the task.
        if state.presence.has_names() || state.online.moved() {
            state.presence.deferred = true;
            self.shared.presence_due.notify_one();
        }
    }

    /// Sends every pending presence change now, in one frame to every connection, whatever
    /// the interval; returns whether there was one. [`Hub::run_presence`] calls it when an
    /// interval is over; without that task (in unit tests), deferred changes wait for a call.
    pub fn flush_presence(&self) -> bool {
        self.state().flush_presence(Instant::now(), Duration::ZERO)
    }

    /// Sends deferred presence changes when their interval is over, until `shutdown`. The
    /// owner of the hub spawns it once; it sleeps until a change has to wait.
    pub async fn run_presence(self, shutdown: CancellationToken) {
        let interval = self.shared.config.presence_interval;
        let count_every = interval * COUNT_EVERY_INTERVALS;
        loop {
            tokio::select! {
                () = self.shared.presence_due.notified() => {}
                () = shutdown.cancelled() => return,
            }
            loop {
                let wait = {
                    let mut state = self.state();
                    let now = Instant::now();
                    let Some(due) = state.presence_due(now, interval, count_every) else {
                        state.presence.deferred = false;
                        break;
                    };
                    if due <= now {
                        state.flush_presence(now, count_every);
                        continue;
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
    /// When the next flush is due: the names' interval, or the count's; `None` when nothing
    /// waits.
    fn presence_due(
        &self,
        now: Instant,
        interval: Duration,
        count_every: Duration,
    ) -> Option<Instant> {
        let names = self
            .presence
            .has_names()
            .then(|| self.presence.last_sent.map_or(now, |sent| sent + interval));
        let count = self.online.moved().then(|| {
            self.presence
                .count_sent
                .map_or(now, |sent| sent + count_every)
        });
        names.into_iter().chain(count).min()
    }

    /// Tells connection `id` alone, with the next `presence` frame, where user `name` stands.
    pub(super) fn introduce(&mut self, id: ConnId, name: &UserName) {
        self.presence
            .introductions
            .push((id, name.key(), name.clone()));
    }

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

    /// Sends the pending changes: each connection here gets one `presence` frame with the
    /// changes of the users it has an interest in and the users introduced to it, and the
    /// count of everyone online when that moved and a count is due (none went out for
    /// `count_every`; every connection then gets it); returns whether a frame went out. Each
    /// user is in the list of the state they are in now. Connections told the same share one
    /// encoding. With no connection here the changes are dropped: whoever connects later
    /// learns them from their welcome, and the next change is still a leading edge.
    pub(super) fn flush_presence(&mut self, now: Instant, count_every: Duration) -> bool {
        self.presence.deferred = false;
        if self.conns.is_empty() {
            self.presence.pending = HashMap::new();
            self.presence.introductions.clear();
            self.online.take_moved();
            return false;
        }
        let count_due = self.online.moved()
            && self
                .presence
                .count_sent
                .is_none_or(|sent| now.duration_since(sent) >= count_every);
        if !self.presence.has_names() && !count_due {
            return false;
        }
        let mut pending = std::mem::take(&mut self.presence.pending);
        let introductions = std::mem::take(&mut self.presence.introductions);
        let mut changes: Vec<Change> = pending
            .iter()
            .map(|(key, name)| self.change(key.clone(), name.clone(), now, true))
            .collect();
        for (_, key, name) in &introductions {
            if !pending.contains_key(key) {
                changes.push(self.change(key.clone(), name.clone(), now, false));
            }
        }
        // Keep the allocation, unless a crowd's burst made it large: an idle server would
        // hold it (48 bytes a user, for as many as changed in one interval).
        if pending.capacity() <= KEEP_PENDING {
            pending.clear();
            self.presence.pending = pending;
        }
        changes.sort_unstable_by(|a, b| by_name(&a.name, &b.name));
        changes.dedup_by(|a, b| a.key == b.key);
        // Which changes each connection hears, in name order: the changes to everyone with
        // an interest, the introductions to their connection alone.
        let mut heard: HashMap<ConnId, Vec<usize>> = HashMap::new();
        for (i, change) in changes.iter().enumerate().filter(|(_, c)| c.broadcast) {
            self.each_interested(&change.key, |id| {
                heard.entry(id).or_default().push(i);
            });
        }
        if !introductions.is_empty() {
            let index: HashMap<&str, usize> = changes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.key.as_str(), i))
                .collect();
            for (id, key, _) in &introductions {
                if let Some(i) = index.get(key.as_str()) {
                    heard.entry(*id).or_default().push(*i);
                }
            }
        }
        for list in heard.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        let count = count_due.then(|| {
            self.online.take_moved();
            self.presence.count_sent = Some(now);
            self.online.len() as u64
        });
        let count_only = count.map(|count| presence_frame(&changes, &[], Some(count)));
        let mut frames: HashMap<&[usize], Frame> = HashMap::new();
        let mut sent = false;
        for (id, conn) in &self.conns {
            let frame = match heard.get(id) {
                Some(list) => frames
                    .entry(list.as_slice())
                    .or_insert_with(|| presence_frame(&changes, list, count))
                    .clone(),
                None => match &count_only {
                    Some(frame) => frame.clone(),
                    None => continue,
                },
            };
            conn.outbox.push(frame);
            sent = true;
        }
        self.presence.last_sent = Some(now);
        sent
    }

    /// What user `key` (named `name` when the change was noted) is now; told to everyone
    /// with an interest in them (`broadcast`), or only to the connections it is introduced to.
    fn change(&self, key: String, name: UserName, now: Instant, broadcast: bool) -> Change {
        match self.online_name(&key) {
            Some(online) => Change {
                away: self.listed_away(&key),
                name: online.to_string(),
                key,
                online: true,
                last_seen: None,
                broadcast,
            },
            None => Change {
                last_seen: self.departures.get(&key, now),
                name: name.to_string(),
                key,
                online: false,
                away: false,
                broadcast,
            },
        }
    }
}

/// One user's pending presence change, as it will be told.
#[derive(Debug)]
struct Change {
    key: String,
    name: String,
    online: bool,
    away: bool,
    last_seen: Option<u64>,
    /// To everyone with an interest in the user, not only to connections introduced to them.
    broadcast: bool,
}

/// The `presence` frame telling `changes[i]` for each `i` of `told` (in name order), and
/// `count` when it moved.
fn presence_frame(changes: &[Change], told: &[usize], count: Option<u64>) -> Frame {
    let (mut online, mut offline, mut away) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_seen = BTreeMap::new();
    for change in told.iter().map(|i| &changes[*i]) {
        if change.online {
            if change.away {
                away.push(change.name.clone());
            }
            online.push(change.name.clone());
        } else {
            if let Some(at) = change.last_seen {
                last_seen.insert(change.name.clone(), at);
            }
            offline.push(change.name.clone());
        }
    }
    encode(&ServerFrame::Presence {
        online,
        offline,
        away,
        last_seen,
        online_count: count,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use shared::protocol::MEMBERS_PAGE;
    use shared::{ConversationInfo, RoomName, Target};

    use super::*;
    use crate::hub::{ConnId, Event, HubConfig, HubError, MembersPage};
    use crate::metrics::Metrics;
    use crate::outbox::{Inbox, Limits};
    use crate::store::SessionId;

    /// A hub whose presence interval never ends by itself (what is deferred waits for
    /// [`Hub::flush_presence`]), where `rust`'s members are Ann, bob and carol.
    fn hub() -> Hub {
        let rust = RoomName::parse("rust").unwrap();
        Hub::new(
            HubConfig::for_tests(),
            Arc::new(Metrics::default()),
            ["Ann", "bob", "carol"]
                .iter()
                .map(|n| (rust.clone(), UserName::parse(n).unwrap()))
                .collect(),
            0,
            None,
        )
    }

    /// Connects a tab of `name`'s whose welcome lists private conversations with `partners`;
    /// returns its id, its welcome and its queue.
    fn open(hub: &Hub, name: &str, partners: &[&str]) -> (ConnId, ServerFrame, Inbox) {
        let (outbox, rx) = hub.queue(
            Limits {
                frames: 64,
                bytes: usize::MAX,
            },
            Arc::default(),
        );
        let conversations = partners
            .iter()
            .map(|p| ConversationInfo {
                target: Target::User { to: p.to_string() },
                last_id: 1,
                read_up_to: 1,
                unread: 0,
                mentions: 0,
                since: None,
                last_seen: None,
            })
            .collect();
        let name = UserName::parse(name).unwrap();
        let (id, welcome, _) =
            hub.connect(name, SessionId("s".into()), outbox, (conversations, true));
        let welcome = serde_json::from_str(&welcome.text_payload()).unwrap();
        (id, welcome, rx)
    }

    /// Connects a tab of `name`'s; returns its id and its queue (welcome already taken).
    fn connect(hub: &Hub, name: &str) -> (ConnId, Inbox) {
        let (id, _, rx) = open(hub, name, &[]);
        (id, rx)
    }

    /// The presence frames queued for a connection, as (online, offline, online_count).
    fn presence(rx: &mut Inbox) -> Vec<(Vec<String>, Vec<String>, Option<u64>)> {
        let mut frames = Vec::new();
        for frame in rx.take_now() {
            match serde_json::from_str(&frame.text_payload()).unwrap() {
                ServerFrame::Presence {
                    online,
                    offline,
                    online_count,
                    ..
                } => frames.push((online, offline, online_count)),
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

    /// The `online` list and count of the welcome a new tab of `name` gets.
    fn welcome_online(hub: &Hub, name: &str, partners: &[&str]) -> (Vec<String>, u64) {
        match open(hub, name, partners).1 {
            ServerFrame::Welcome {
                online,
                online_count,
                rooms,
                ..
            } => {
                assert_eq!(rooms[0].room, "lobby");
                assert!(
                    rooms[0].members.is_empty(),
                    "the lobby's members are not listed"
                );
                (online, online_count)
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    #[test]
    fn welcomes_list_the_users_of_interest_on_any_node_and_count_everyone() {
        let hub = hub();
        let (bob_tab, _bob) = connect(&hub, "bob");
        let (_, _zoe) = connect(&hub, "zoe");
        hub.node_sync("b", &names(&["erin", "Ann", "bob"]), &[]);
        assert_online_index(&hub);
        // carol shares `rust` with Ann (on node b) and bob; zoe and erin are in the lobby only.
        assert_eq!(
            welcome_online(&hub, "carol", &[]),
            (names(&["Ann", "bob", "carol"]), 5)
        );
        // A private conversation brings its other person in, online or not.
        assert_eq!(
            welcome_online(&hub, "yann", &["erin", "nobody"]),
            (names(&["erin", "yann"]), 6)
        );
        // Bob leaves here but is still on node b; Ann goes.
        hub.disconnect(bob_tab);
        hub.apply(
            "b",
            Event::Offline {
                user: "Ann".into(),
                at: None,
            },
        );
        assert_online_index(&hub);
        assert_eq!(
            welcome_online(&hub, "carol", &[]),
            (names(&["bob", "carol"]), 5)
        );
        hub.node_gone("b");
        assert_online_index(&hub);
        assert_eq!(welcome_online(&hub, "carol", &[]), (names(&["carol"]), 3));
    }

    #[test]
    fn presence_reaches_those_with_an_interest_and_the_count_everyone() {
        let hub = hub();
        let (carol_tab, mut carol) = connect(&hub, "carol");
        // The stranger's arrival is the leading edge: carol, who shares no room with them,
        // hears only the count; the newcomer learnt it from its welcome.
        let (_, mut stranger) = connect(&hub, "stranger");
        assert_eq!(presence(&mut carol), [(names(&[]), names(&[]), Some(2))]);
        assert_eq!(presence(&mut stranger), []);
        // Within the interval nothing goes out until the flush, then one frame each.
        let (bob_tab, _bob) = connect(&hub, "bob");
        let (_, _adam) = connect(&hub, "adam");
        let (_, _ann) = connect(&hub, "Ann");
        assert_eq!(presence(&mut carol), []);
        assert!(hub.flush_presence());
        assert_eq!(
            presence(&mut carol),
            [(names(&["Ann", "bob"]), names(&[]), Some(5))]
        );
        assert_eq!(presence(&mut stranger), [(names(&[]), names(&[]), Some(5))]);
        hub.disconnect(bob_tab);
        assert!(hub.flush_presence());
        assert_eq!(
            presence(&mut carol),
            [(names(&[]), names(&["bob"]), Some(4))]
        );
        assert_eq!(presence(&mut stranger), [(names(&[]), names(&[]), Some(4))]);
        assert!(!hub.flush_presence(), "nothing is pending any more");
        // Away moves no count and concerns no stranger; carol's own tabs hear of it.
        hub.set_away(carol_tab, true);
        assert!(hub.flush_presence());
        assert_eq!(presence(&mut stranger), []);
        assert_eq!(
            presence(&mut carol),
            [(names(&["carol"]), names(&[]), None)]
        );
    }

    #[test]
    fn a_count_that_moves_and_moves_back_is_told_again() {
        let hub = hub();
        let (_, mut carol) = connect(&hub, "carol");
        let (first_tab, _first) = connect(&hub, "first");
        assert_eq!(presence(&mut carol), [(names(&[]), names(&[]), Some(2))]);
        // Within one interval two come and two go: the count ends where it was told last,
        // but a connection welcomed in between was told 4.
        let (passer_tab, _) = connect(&hub, "passer");
        let (_, mut between) = connect(&hub, "between");
        hub.disconnect(passer_tab);
        hub.disconnect(first_tab);
        hub.flush_presence();
        assert_eq!(
            presence(&mut between),
            [(names(&["between"]), names(&[]), Some(2))]
        );
        assert_eq!(presence(&mut carol), [(names(&[]), names(&[]), Some(2))]);
    }

    #[test]
    fn a_user_is_reported_in_the_state_they_end_in() {
        let hub = hub();
        let (_, mut observer) = connect(&hub, "Ann");
        let (_, _first) = connect(&hub, "first");
        presence(&mut observer);
        // Offline, back online and a second tab within one interval: online.
        let (carol_tab, _carol) = connect(&hub, "carol");
        hub.disconnect(carol_tab);
        let (_, _carol) = connect(&hub, "carol");
        let (_, _carol2) = connect(&hub, "carol");
        hub.flush_presence();
        assert_eq!(
            presence(&mut observer),
            [(names(&["carol"]), names(&[]), Some(3))]
        );
    }

    #[test]
    fn other_nodes_users_are_coalesced_too_and_a_second_node_is_no_news() {
        let hub = hub();
        let (_, mut observer) = connect(&hub, "Ann");
        hub.node_sync("b", &names(&["erin", "bob"]), &[]);
        assert_eq!(
            presence(&mut observer),
            [(names(&["bob"]), names(&[]), Some(3))]
        );
        hub.apply("c", Event::Online { user: "bob".into() });
        hub.apply(
            "c",
            Event::Online {
                user: "carol".into(),
            },
        );
        hub.node_gone("b");
        hub.flush_presence();
        // bob is still on node c; erin is gone, but she is of no interest to Ann.
        assert_eq!(
            presence(&mut observer),
            [(names(&["carol"]), names(&[]), Some(3))]
        );
    }

    #[test]
    fn a_conversation_makes_its_other_person_of_interest_until_the_connection_closes() {
        let hub = hub();
        let (_, _zoe) = connect(&hub, "zoe");
        let (yann_tab, mut yann) = connect(&hub, "yann");
        hub.flush_presence();
        presence(&mut yann);
        // A `conversations` page told this tab of zoe and of someone offline.
        let (online, away) = hub.watch(yann_tab, &["zoe", "xavier"]);
        assert_eq!((online, away), (names(&["zoe"]), names(&[])));
        let (_, _xavier) = connect(&hub, "xavier");
        hub.flush_presence();
        assert_eq!(
            presence(&mut yann),
            [(names(&["xavier"]), names(&[]), Some(3))]
        );
        // Closing the tab forgets what it watched.
        hub.disconnect(yann_tab);
        assert!(hub.state().watchers.is_empty());
    }

    #[test]
    fn a_new_conversation_is_told_to_its_two_sides_alone() {
        let hub = hub();
        let (_, mut bob) = connect(&hub, "bob");
        let (_, mut carol) = connect(&hub, "carol");
        let (_, mut yann) = connect(&hub, "yann");
        hub.flush_presence();
        for rx in [&mut bob, &mut carol, &mut yann] {
            presence(rx);
        }
        let (b, y) = (
            UserName::parse("bob").unwrap(),
            UserName::parse("yann").unwrap(),
        );
        hub.state().conversed((&y, "yann"), (&b, "bob"), None);
        // In the same interval Ann, of the room, comes: a change for everyone interested.
        let (_, _ann) = connect(&hub, "Ann");
        assert!(hub.flush_presence());
        // Each side hears of the other; carol, who shares the room with bob, hears only of
        // Ann, as bob does beside yann.
        assert_eq!(
            presence(&mut yann),
            [(names(&["bob"]), names(&[]), Some(4))]
        );
        assert_eq!(
            presence(&mut bob),
            [(names(&["Ann", "yann"]), names(&[]), Some(4))]
        );
        assert_eq!(
            presence(&mut carol),
            [(names(&["Ann"]), names(&[]), Some(4))]
        );
        // A second message is no news.
        hub.state().conversed((&y, "yann"), (&b, "bob"), None);
        assert!(!hub.flush_presence());
    }

    #[test]
    fn members_pages_list_who_is_online_in_a_room_or_the_lobby() {
        let hub = hub();
        let (ann_tab, _ann) = connect(&hub, "Ann");
        let (_, _carol) = connect(&hub, "carol");
        let mut tabs = Vec::new();
        for i in 0..MEMBERS_PAGE + 1 {
            tabs.push(connect(&hub, &format!("u{i:03}")));
        }
        let lobby = RoomName::lobby();
        let first = hub.members(ann_tab, &lobby, None).unwrap();
        assert_eq!(first.members.len(), MEMBERS_PAGE);
        assert_eq!(first.members[..2], names(&["Ann", "carol"]));
        assert!(!first.complete);
        let after = UserName::parse(first.members.last().unwrap()).unwrap();
        let second = hub.members(ann_tab, &lobby, Some(&after)).unwrap();
        assert_eq!(second.members, names(&["u098", "u099", "u100"]));
        assert!(second.complete);
        // In a room: its members online (bob is not), in name order.
        let rust = RoomName::parse("rust").unwrap();
        assert_eq!(
            hub.members(ann_tab, &rust, None).unwrap(),
            MembersPage {
                members: names(&["Ann", "carol"]),
                away: Vec::new(),
                complete: true,
            }
        );
        let (u0, _) = &tabs[0];
        assert_eq!(hub.members(*u0, &rust, None), Err(HubError::NotMember));
    }
}
