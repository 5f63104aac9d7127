//! Away across tabs and nodes, and what presence frames say of it.

use std::collections::BTreeMap;
use std::sync::Arc;

use shared::{RoomName, ServerFrame, UserName};

use crate::hub::{ConnId, Event, Hub, HubConfig};
use crate::metrics::Metrics;
use crate::outbox::{Inbox, Limits};
use crate::store::SessionId;

/// Everyone these tests connect, in one room: each has an interest in the others.
fn team() -> Vec<(RoomName, UserName)> {
    [
        "observer", "Carol", "dave", "erin", "frank", "gina", "Hal", "ivy",
    ]
    .iter()
    .map(|n| {
        (
            RoomName::parse("team").unwrap(),
            UserName::parse(n).unwrap(),
        )
    })
    .collect()
}

/// A hub whose presence interval never ends by itself: what is deferred waits for a flush.
fn hub() -> Hub {
    Hub::new(
        HubConfig::for_tests(),
        Arc::new(Metrics::default()),
        team(),
        0,
        None,
    )
}

/// Connects a tab of `name`'s; returns its id, its welcome and its queue.
fn connect(hub: &Hub, name: &str) -> (ConnId, ServerFrame, Inbox) {
    let (outbox, rx) = hub.queue(
        Limits {
            frames: 64,
            bytes: usize::MAX,
        },
        Arc::default(),
    );
    let name = UserName::parse(name).unwrap();
    let (id, welcome, _) = hub.connect(name, SessionId("s".into()), outbox, (Vec::new(), true));
    let welcome = serde_json::from_str(&welcome.text_payload()).unwrap();
    (id, welcome, rx)
}

/// What one `presence` frame said: online, away, offline, last seen.
type Said = (Vec<String>, Vec<String>, Vec<String>, BTreeMap<String, u64>);

/// Flushes and returns the presence frames queued for a connection.
fn presence(hub: &Hub, rx: &mut Inbox) -> Vec<Said> {
    hub.flush_presence();
    rx.take_now()
        .into_iter()
        .map(
            |frame| match serde_json::from_str(&frame.text_payload()).unwrap() {
                ServerFrame::Presence {
                    online,
                    offline,
                    away,
                    last_seen,
                    ..
                } => (online, away, offline, last_seen),
                other => panic!("expected presence, got {other:?}"),
            },
        )
        .collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn said(online: &[&str], away: &[&str]) -> Said {
    (names(online), names(away), Vec::new(), BTreeMap::new())
}

fn welcome_away(welcome: &ServerFrame) -> Vec<String> {
    match welcome {
        ServerFrame::Welcome { away, .. } => away.clone(),
        other => panic!("expected welcome, got {other:?}"),
    }
}

#[test]
fn a_user_is_away_when_every_tab_is_and_back_with_any() {
    let hub = hub();
    let (_, _, mut observer) = connect(&hub, "observer");
    let (tab1, _, _t1) = connect(&hub, "Carol");
    let (tab2, _, _t2) = connect(&hub, "Carol");
    presence(&hub, &mut observer);

    // One tab away: Carol is still present; nothing to say.
    hub.set_away(tab1, true);
    assert_eq!(presence(&hub, &mut observer), []);
    // Both: away.
    hub.set_away(tab2, true);
    assert_eq!(
        presence(&hub, &mut observer),
        [said(&["Carol"], &["Carol"])]
    );
    // Saying it again changes nothing.
    hub.set_away(tab2, true);
    assert_eq!(presence(&hub, &mut observer), []);
    let (_, welcome, _) = connect(&hub, "dave");
    assert_eq!(welcome_away(&welcome), names(&["Carol"]));
    presence(&hub, &mut observer);
    // Back in one tab: present.
    hub.set_away(tab1, false);
    assert_eq!(presence(&hub, &mut observer), [said(&["Carol"], &[])]);
    // A new tab is present: an away user comes back with it, and its welcome says so.
    hub.set_away(tab1, true);
    presence(&hub, &mut observer);
    let (tab3, welcome, _t3) = connect(&hub, "Carol");
    assert_eq!(welcome_away(&welcome), Vec::<String>::new());
    assert_eq!(presence(&hub, &mut observer), [said(&["Carol"], &[])]);
    // The present tab closes: the others are away, so Carol is.
    assert_eq!(hub.disconnect(tab3), None, "not Carol's last tab");
    assert_eq!(
        presence(&hub, &mut observer),
        [said(&["Carol"], &["Carol"])]
    );
}

#[test]
fn the_last_tab_closing_says_when_the_user_was_last_seen() {
    let hub = hub();
    let (_, _, mut observer) = connect(&hub, "observer");
    let (tab, _, _t) = connect(&hub, "erin");
    hub.set_away(tab, true);
    presence(&hub, &mut observer);
    let at = hub.disconnect(tab).expect("erin's last tab");
    assert_eq!(hub.disconnect(tab), None, "removed once");
    let frames = presence(&hub, &mut observer);
    assert_eq!(
        frames,
        [(
            Vec::new(),
            Vec::new(),
            names(&["erin"]),
            BTreeMap::from([("erin".to_owned(), at)])
        )]
    );
    // Back online: present, and not listed away any more.
    let (_, welcome, _) = connect(&hub, "erin");
    assert_eq!(welcome_away(&welcome), Vec::<String>::new());
}

#[test]
fn a_user_on_two_nodes_is_away_only_when_away_on_both() {
    let hub = hub();
    let (_, _, mut observer) = connect(&hub, "observer");
    let (tab, _, _t) = connect(&hub, "frank");
    hub.apply(
        "b",
        Event::Online {
            user: "frank".into(),
        },
    );
    presence(&hub, &mut observer);
    // Away here only.
    hub.set_away(tab, true);
    assert_eq!(presence(&hub, &mut observer), []);
    // And on node b.
    hub.apply(
        "b",
        Event::Away {
            user: "frank".into(),
            away: true,
        },
    );
    assert_eq!(
        presence(&hub, &mut observer),
        [said(&["frank"], &["frank"])]
    );
    // His tab here closes: still online on b, still away; b's last seen is the one that counts.
    assert!(hub.disconnect(tab).is_some(), "his last tab here");
    assert_eq!(presence(&hub, &mut observer), []);
    // A node that syncs says who is away there.
    hub.node_sync("c", &names(&["gina", "hal"]), &names(&["Hal"]));
    assert_eq!(
        presence(&hub, &mut observer),
        [said(&["gina", "hal"], &["hal"])]
    );
    // Leaving b with a time: offline with it.
    hub.apply(
        "b",
        Event::Offline {
            user: "frank".into(),
            at: Some(42),
        },
    );
    assert_eq!(
        presence(&hub, &mut observer),
        [(
            Vec::new(),
            Vec::new(),
            names(&["frank"]),
            BTreeMap::from([("frank".to_owned(), 42)])
        )]
    );
    // A node that vanishes takes its users offline without a time.
    hub.node_gone("c");
    assert_eq!(
        presence(&hub, &mut observer),
        [(
            Vec::new(),
            Vec::new(),
            names(&["gina", "hal"]),
            BTreeMap::new()
        )]
    );
}

#[test]
fn this_node_tells_the_others_of_its_users_away_state() {
    #[derive(Debug, Default)]
    struct Recorder(std::sync::Mutex<Vec<Event>>);
    impl crate::hub::Publish for Recorder {
        fn publish(&self, event: Event) {
            self.0.lock().unwrap().push(event);
        }
    }
    let recorder = Arc::new(Recorder::default());
    let hub = Hub::new(
        hub().shared.config.clone(),
        Arc::new(Metrics::default()),
        Vec::new(),
        0,
        Some(recorder.clone()),
    );
    let (tab1, _, _t1) = connect(&hub, "ivy");
    let (tab2, _, _t2) = connect(&hub, "ivy");
    hub.set_away(tab1, true);
    hub.set_away(tab2, true);
    assert_eq!(hub.local_away(), names(&["ivy"]));
    hub.set_away(tab2, false);
    hub.disconnect(tab2);
    let events = recorder.0.lock().unwrap().clone();
    let away = |away| Event::Away {
        user: "ivy".into(),
        away,
    };
    assert_eq!(
        events,
        [
            Event::Online { user: "ivy".into() },
            away(true),
            away(false),
            away(true),
        ]
    );
}
