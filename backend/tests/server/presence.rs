//! Presence: the welcome, joins and leaves, online and offline.

use std::collections::BTreeSet;
use std::time::Duration;

use backend::Config;
use futures_util::future::join_all;
use serde_json::json;
use shared::{RoomInfo, ServerFrame};
use tokio::time::Instant;

use testkit::{lists, presence, spawn_app, spawn_app_with, Client, QUIET_FOR};

/// Who `client` takes to be online: its welcome's list, with every `presence` frame it reads
/// applied, as a client applies them.
struct OnlineSet {
    names: BTreeSet<String>,
    /// Presence frames applied.
    frames: usize,
    /// When the last one was read.
    last_frame: Option<Instant>,
}

impl OnlineSet {
    fn of(client: &Client) -> Self {
        let ServerFrame::Welcome { online, .. } = &client.welcome else {
            unreachable!()
        };
        Self {
            names: online.iter().cloned().collect(),
            frames: 0,
            last_frame: None,
        }
    }

    /// Applies `frame` if it is a `presence` frame; returns whether it was.
    fn apply(&mut self, frame: &ServerFrame) -> bool {
        let ServerFrame::Presence {
            online, offline, ..
        } = frame
        else {
            return false;
        };
        for name in online {
            assert!(
                !offline.contains(name),
                "{name} is in both lists of {frame:?}"
            );
            self.names.insert(name.clone());
        }
        for name in offline {
            self.names.remove(name);
        }
        self.frames += 1;
        self.last_frame = Some(Instant::now());
        true
    }

    /// Applies what `client` reads until it has been quiet for longer than a presence interval.
    async fn settle(&mut self, client: &mut Client) {
        while let Some(item) = client.next(QUIET_FOR).await {
            let frame = item.expect("the connection stays open");
            assert!(self.apply(&frame), "expected presence, got {frame:?}");
        }
    }
}

/// The server's default presence interval, which the coalescing tests run with.
fn default_interval_ms() -> u64 {
    Config::defaults().presence_interval_ms
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn the_welcome_says_who_is_online_and_which_rooms_one_is_in() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("Alice").await;
    let (_, _bob) = app.user("bob").await;
    alice.join("rust").await;

    // A second tab of Alice's is in the same rooms.
    let tab2 = app.connect(&alice_token).await;
    let ServerFrame::Welcome {
        protocol,
        user,
        online,
        away,
        rooms,
        conversations,
        conversations_complete,
        last_id,
        limits,
    } = tab2.welcome
    else {
        unreachable!()
    };
    assert_eq!(protocol, shared::protocol::PROTOCOL_VERSION);
    assert!(away.is_empty(), "nobody is away");
    assert_eq!(last_id, 0, "nothing has been said yet");
    assert!(conversations_complete);
    let targets: Vec<_> = conversations.iter().map(|c| c.target.clone()).collect();
    assert_eq!(
        targets,
        vec![
            shared::Target::Room {
                room: "lobby".into()
            },
            shared::Target::Room {
                room: "rust".into()
            }
        ]
    );
    assert_eq!(user, "Alice");
    assert_eq!(online, vec!["Alice", "bob"]);
    assert_eq!(
        rooms,
        vec![
            RoomInfo {
                settings: Default::default(),
                room: "lobby".into(),
                members: Vec::new()
            },
            RoomInfo {
                settings: shared::RoomSettings {
                    owner: Some("Alice".into()),
                    ..Default::default()
                },
                room: "rust".into(),
                members: vec!["Alice".into()]
            },
        ]
    );
    assert_eq!(limits.max_body_chars, shared::limits::MAX_BODY_CHARS);
}

#[tokio::test]
async fn joining_and_leaving_are_announced_to_the_room() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.user("alice").await;
    let mut alice_tab2 = app.connect(&alice_token).await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    bob.join("rust").await;
    for client in [&mut alice, &mut alice_tab2, &mut bob, &mut carol] {
        client.sync().await;
    }

    alice
        .send_json(json!({"type": "join", "room": "rust"}))
        .await;
    let joined = ServerFrame::RoomJoined {
        settings: shared::RoomSettings {
            owner: Some("bob".into()),
            ..Default::default()
        },
        room: "rust".into(),
        members: vec!["alice".into(), "bob".into()],
    };
    assert_eq!(alice.recv().await, joined);
    assert_eq!(alice_tab2.recv().await, joined);
    assert_eq!(
        bob.recv().await,
        ServerFrame::MemberJoined {
            room: "rust".into(),
            user: "alice".into()
        }
    );
    carol.assert_quiet().await;

    alice
        .send_json(json!({"type": "leave", "room": "rust"}))
        .await;
    let left = ServerFrame::RoomLeft {
        room: "rust".into(),
        by: None,
        banned: false,
    };
    assert_eq!(alice.recv().await, left);
    assert_eq!(alice_tab2.recv().await, left);
    assert_eq!(
        bob.recv().await,
        ServerFrame::MemberLeft {
            room: "rust".into(),
            user: "alice".into(),
            by: None,
            banned: false,
        }
    );
    carol.assert_quiet().await;
    // Alice no longer receives the room's messages.
    bob.send_json(json!({"type": "room_message", "room": "rust", "body": "still here?"}))
        .await;
    bob.recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    alice.assert_quiet().await;
}

#[tokio::test]
async fn a_user_goes_offline_only_when_the_last_tab_closes() {
    let app = spawn_app().await;
    let (_, mut bob) = app.user("bob").await;
    let (alice_token, alice) = app.user("alice").await;
    assert_eq!(bob.recv().await, presence(&["alice"], &[]));
    let alice_tab2 = app.connect(&alice_token).await;
    // A second tab is not news.
    bob.assert_quiet().await;

    let mut alice = alice;
    alice.join("rust").await;
    alice.close().await;
    app.wait_for_connections(2).await;
    // One of two tabs closed: still online, still in the room.
    bob.assert_quiet().await;
    assert_eq!(app.state.hub.stats().users_online, 2);

    bob.send_json(json!({"type": "join", "room": "rust"})).await;
    assert_eq!(
        bob.recv().await,
        ServerFrame::RoomJoined {
            settings: shared::RoomSettings {
                owner: Some("alice".into()),
                ..Default::default()
            },
            room: "rust".into(),
            members: vec!["alice".into(), "bob".into()]
        }
    );
    alice_tab2.close().await;
    // Offline, but still a member: no member_left.
    assert_eq!(lists(bob.recv().await), presence(&[], &["alice"]));
    bob.assert_quiet().await;
    app.wait_for_connections(1).await;
    let stats = app.state.hub.stats();
    assert_eq!((stats.users_online, stats.rooms), (1, 2));
    // Alice comes back and is still in the room, as are her room's members.
    let alice = app.connect(&alice_token).await;
    let ServerFrame::Welcome { rooms, .. } = alice.welcome else {
        unreachable!()
    };
    assert_eq!(
        rooms[1],
        RoomInfo {
            settings: shared::RoomSettings {
                owner: Some("alice".into()),
                ..Default::default()
            },
            room: "rust".into(),
            members: vec!["alice".into(), "bob".into()]
        }
    );
}

#[tokio::test]
async fn a_lone_sign_in_reaches_the_others_at_once() {
    // An interval far longer than the bound below: only the leading edge can meet it.
    let interval = Duration::from_secs(10);
    let app = spawn_app_with(|c| c.presence_interval_ms = interval.as_millis() as u64).await;
    // The observer's own sign-in told nobody (nobody else was connected), so the next change
    // is the first news in an interval.
    let (_, mut observer) = app.user("observer").await;
    let dave_token = app.claim("dave").await;

    let started = Instant::now();
    let mut dave = app.connect(&dave_token).await;
    assert_eq!(observer.recv().await, presence(&["dave"], &[]));
    let took = started.elapsed();
    assert!(
        took < interval / 2,
        "a lone sign-in took {took:?} to reach the others (interval {interval:?})"
    );
    // Dave's own connection knows from its welcome; nothing repeats it.
    dave.assert_quiet().await;
}

#[tokio::test]
async fn thirty_sign_ins_at_once_reach_an_observer_in_a_few_frames() {
    let interval = Duration::from_millis(default_interval_ms());
    let app = spawn_app_with(|c| c.presence_interval_ms = default_interval_ms()).await;
    let (_, mut observer) = app.user("observer").await;
    let names: Vec<String> = (0..30).map(|i| format!("user{i:02}")).collect();
    let mut tokens = Vec::new();
    for name in &names {
        tokens.push(app.claim(name).await);
    }
    let mut expected: BTreeSet<String> = names.iter().cloned().collect();
    expected.insert("observer".into());

    let started = Instant::now();
    let clients = join_all(tokens.iter().map(|token| app.connect(token))).await;
    let mut seen = OnlineSet::of(&observer);
    while seen.names != expected {
        let frame = observer.recv().await;
        assert!(seen.apply(&frame), "expected presence, got {frame:?}");
        assert!(
            seen.names.is_subset(&expected),
            "the observer was told of someone who did not sign in: {frame:?}"
        );
    }
    let took = started.elapsed();
    let bound = (took.as_millis() / interval.as_millis()) as usize + 2;
    assert!(
        seen.frames <= bound,
        "{} presence frames for 30 sign-ins in {took:?} (at most {bound} expected)",
        seen.frames
    );
    // Nothing more to say.
    seen.settle(&mut observer).await;
    assert_eq!(seen.names, expected);
    drop(clients);
}

#[tokio::test]
async fn a_user_who_comes_and_goes_quickly_ends_offline() {
    let interval = Duration::from_millis(default_interval_ms());
    let app = spawn_app_with(|c| c.presence_interval_ms = default_interval_ms()).await;
    let (_, mut observer) = app.user("observer").await;
    let mut seen = OnlineSet::of(&observer);
    let started = Instant::now();
    // Erin's sign-in goes out at once and starts an interval, so what follows is coalesced.
    let (_, _erin) = app.user("erin").await;
    let frank_token = app.claim("frank").await;
    let frank = app.connect(&frank_token).await;
    frank.close().await;
    app.wait_for_connections(2).await;

    seen.settle(&mut observer).await;
    assert_eq!(seen.names, set(&["erin", "observer"]));
    // At most one frame per interval after the leading one, however slowly this ran: two
    // when it all happened within an interval.
    let took = seen.last_frame.expect("presence came") - started;
    let bound = (took.as_millis() / interval.as_millis()) as usize + 2;
    assert!(
        seen.frames <= bound,
        "{} presence frames for two users in {took:?} (at most {bound} expected)",
        seen.frames
    );
    // A newcomer agrees.
    let (_, late) = app.user("late").await;
    assert_eq!(
        OnlineSet::of(&late).names,
        set(&["erin", "late", "observer"])
    );
}
