//! Presence: the welcome, joins and leaves, online and offline, by interest (protocol 11): a
//! connection hears of the members of its rooms and the people of its private conversations,
//! and of everyone else only how many are online.

use std::collections::BTreeSet;
use std::time::Duration;

use backend::Config;
use futures_util::future::join_all;
use serde_json::json;
use shared::{RoomInfo, ServerFrame};
use tokio::time::Instant;

use testkit::{lists, names_someone, presence, spawn_app, spawn_app_with, Client, QUIET_FOR};

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
    let (_, mut carol) = app.user("carol").await;
    alice.join("rust").await;
    carol.join("rust").await;

    // A second tab of Alice's is in the same rooms.
    let tab2 = app.connect(&alice_token).await;
    let ServerFrame::Welcome {
        protocol,
        user,
        online,
        online_count,
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
    // bob shares no room with Alice: counted, not listed.
    assert_eq!(online, vec!["Alice", "carol"]);
    assert_eq!(online_count, 3);
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
                members: vec!["Alice".into(), "carol".into()]
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
        online: vec!["alice".into(), "bob".into()],
        away: Vec::new(),
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
    bob.join("rust").await;
    let (alice_token, mut alice) = app.user("alice").await;
    // alice is of no interest to bob yet: he hears only how many are online.
    assert_eq!(lists(bob.recv().await), presence(&[], &[]));
    assert_eq!(bob.online_count(), 2);
    assert!(!bob.knows_online("alice"));
    // Joining his room makes her of interest, and says she is online.
    alice.join("rust").await;
    assert_eq!(
        bob.recv().await,
        ServerFrame::MemberJoined {
            room: "rust".into(),
            user: "alice".into()
        }
    );
    let alice_tab2 = app.connect(&alice_token).await;
    // A second tab is not news.
    bob.assert_quiet().await;
    alice.close().await;
    app.wait_for_connections(2).await;
    // One of two tabs closed: still online, still in the room.
    bob.assert_quiet().await;
    assert_eq!(app.state.hub.stats().users_online, 2);

    alice_tab2.close().await;
    // Offline, but still a member: no member_left.
    let gone = bob.recv().await;
    assert_eq!(lists(gone.clone()), presence(&[], &["alice"]));
    assert!(
        matches!(
            gone,
            ServerFrame::Presence {
                online_count: Some(1),
                ..
            }
        ),
        "{gone:?}"
    );
    bob.assert_quiet().await;
    app.wait_for_connections(1).await;
    let stats = app.state.hub.stats();
    assert_eq!((stats.users_online, stats.rooms), (1, 2));
    // Alice comes back and is still in the room, as are her room's members.
    let alice = app.connect(&alice_token).await;
    let ServerFrame::Welcome { rooms, online, .. } = alice.welcome else {
        unreachable!()
    };
    assert_eq!(online, vec!["alice", "bob"]);
    assert_eq!(
        rooms[1],
        RoomInfo {
            settings: shared::RoomSettings {
                owner: Some("bob".into()),
                ..Default::default()
            },
            room: "rust".into(),
            members: vec!["alice".into(), "bob".into()]
        }
    );
}

#[tokio::test]
async fn nobody_hears_of_a_user_they_have_no_interest_in() {
    let app = spawn_app().await;
    let erin_token = app.teammate("erin").await;
    let (_, mut mate) = app.user("mate").await;
    mate.join("team").await;
    let (_, mut stranger) = app.user("stranger").await;
    mate.recv_until(|f| matches!(f, ServerFrame::Presence { .. }))
        .await;
    mate.sync().await;
    stranger.sync().await;
    let erin = app.connect(&erin_token).await;
    mate.sees_online("erin").await;
    erin.close().await;
    mate.sees_offline("erin").await;
    // The stranger heard the count go up and down, and never erin's name.
    let mut counts = Vec::new();
    while let Some(item) = stranger.next(QUIET_FOR).await {
        let frame = item.expect("the connection stays open");
        assert!(!names_someone(&frame), "the stranger was told {frame:?}");
        counts.push(stranger.online_count());
    }
    assert!(!counts.is_empty(), "the stranger heard no count");
    assert_eq!(stranger.online_count(), 2);
    assert!(!stranger.knows_online("erin"));
}

#[tokio::test]
async fn members_lists_who_is_online_page_by_page() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let mut crowd = Vec::new();
    for i in 0..shared::protocol::MEMBERS_PAGE {
        crowd.push(app.user(&format!("u{i:03}")).await.1);
    }
    alice.join("rust").await;
    alice
        .send_json(json!({"type": "members", "room": "lobby", "req": "m1"}))
        .await;
    let ServerFrame::Members {
        room,
        members,
        complete,
        req,
        ..
    } = alice
        .recv_until(|f| matches!(f, ServerFrame::Members { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!((room.as_str(), req.as_deref()), ("lobby", Some("m1")));
    assert_eq!(members.len(), shared::protocol::MEMBERS_PAGE);
    assert_eq!(members[..2], ["alice", "u000"]);
    assert!(!complete);
    let last = members.last().unwrap().clone();
    alice
        .send_json(json!({"type": "members", "room": "lobby", "after": last, "req": "m2"}))
        .await;
    let page = alice
        .recv_until(|f| matches!(f, ServerFrame::Members { .. }))
        .await;
    assert_eq!(
        page,
        ServerFrame::Members {
            room: "lobby".into(),
            members: vec!["u099".into()],
            away: Vec::new(),
            complete: true,
            req: Some("m2".into()),
        }
    );
    // Asking creates no interest: u099 going is only a count to alice.
    crowd.pop().unwrap().close().await;
    let frame = alice
        .recv_until(|f| matches!(f, ServerFrame::Presence { .. }))
        .await;
    assert!(!names_someone(&frame), "{frame:?}");
    // A room one is not in is refused, with the frame's req; so is a bad name.
    crowd[0]
        .send_json(json!({"type": "members", "room": "rust", "req": "m3"}))
        .await;
    let refused = crowd[0]
        .recv_until(|f| matches!(f, ServerFrame::Error { .. }))
        .await;
    assert!(
        matches!(&refused, ServerFrame::Error { code: shared::ErrorCode::NotMember, req: Some(r), .. } if r == "m3"),
        "{refused:?}"
    );
    crowd[0]
        .send_json(json!({"type": "members", "room": "lobby", "after": "not a name!", "req": "m4"}))
        .await;
    let refused = crowd[0]
        .recv_until(|f| matches!(f, ServerFrame::Error { .. }))
        .await;
    assert!(
        matches!(&refused, ServerFrame::Error { code: shared::ErrorCode::InvalidUserName, req: Some(r), .. } if r == "m4"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_private_conversation_makes_each_of_interest_to_the_other() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (bob_token, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    alice.sync().await;
    carol.sync().await;
    assert!(!alice.knows_online("bob"));
    alice
        .send_json(json!({"type": "private_message", "to": "bob", "body": "hi", "req": "p1"}))
        .await;
    // The sender hears where bob stands, and bob where alice does.
    alice.sees_online("bob").await;
    bob.sees_online("alice").await;
    // A third user hears of neither, nor of the message.
    carol
        .assert_none_of("a name or a message", |f| {
            names_someone(f) || testkit::is_message(f)
        })
        .await;
    // From then on each hears of the other; carol hears only the count.
    bob.close().await;
    alice.sees_offline("bob").await;
    carol
        .recv_until(|f| matches!(f, ServerFrame::Presence { .. }))
        .await;
    assert!(!carol.knows_online("alice") && !carol.knows_online("bob"));
    // A later connection of bob's is told of alice by its welcome's conversations.
    let bob = app.connect(&bob_token).await;
    assert!(bob.knows_online("alice"));
    alice.sees_online("bob").await;
}

#[tokio::test]
async fn a_lone_sign_in_reaches_the_others_at_once() {
    // An interval far longer than the bound below: only the leading edge can meet it.
    let interval = Duration::from_secs(10);
    let app = spawn_app_with(|c| c.presence_interval_ms = interval.as_millis() as u64).await;
    let dave_token = app.teammate("dave").await;
    // The observer's own sign-in and join told nobody (nobody else was connected), so the
    // next change is the first news in an interval.
    let (_, mut observer) = app.user("observer").await;
    observer.join("team").await;

    let started = Instant::now();
    let mut dave = app.connect(&dave_token).await;
    assert_eq!(lists(observer.recv().await), presence(&["dave"], &[]));
    let took = started.elapsed();
    assert!(
        took < interval / 2,
        "a lone sign-in took {took:?} to reach the others (interval {interval:?})"
    );
    assert_eq!(observer.online_count(), 2);
    // Dave's own connection knows from its welcome; nothing repeats it.
    dave.assert_quiet().await;
}

#[tokio::test]
async fn thirty_sign_ins_at_once_reach_an_observer_in_a_few_frames() {
    let interval = Duration::from_millis(default_interval_ms());
    let app = spawn_app_with(|c| c.presence_interval_ms = default_interval_ms()).await;
    let names: Vec<String> = (0..30).map(|i| format!("user{i:02}")).collect();
    let mut tokens = Vec::new();
    for name in &names {
        tokens.push(app.teammate(name).await);
    }
    let (_, mut observer) = app.user("observer").await;
    observer.join("team").await;
    let (_, mut stranger) = app.user("stranger").await;
    observer.sync().await;
    stranger.sync().await;
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
    // The count follows, at most every 20 intervals, to everyone: the stranger, in the lobby
    // only, hears it and no name, in a frame or two.
    let mut frames = 0;
    while stranger.online_count() != 32 {
        let frame = stranger.recv().await;
        assert!(!names_someone(&frame), "the stranger was told {frame:?}");
        frames += 1;
    }
    assert!(frames <= 2, "{frames} count frames for 30 sign-ins");
    while observer.online_count() != 32 {
        let frame = observer.recv().await;
        assert!(seen.apply(&frame), "expected presence, got {frame:?}");
    }
    // Nothing more to say.
    seen.settle(&mut observer).await;
    assert_eq!(seen.names, expected);
    stranger.assert_quiet().await;
    drop(clients);
}

#[tokio::test]
async fn a_user_who_comes_and_goes_quickly_ends_offline() {
    let interval = Duration::from_millis(default_interval_ms());
    let app = spawn_app_with(|c| c.presence_interval_ms = default_interval_ms()).await;
    let erin_token = app.teammate("erin").await;
    let frank_token = app.teammate("frank").await;
    let (_, mut observer) = app.user("observer").await;
    observer.join("team").await;
    let mut seen = OnlineSet::of(&observer);
    let started = Instant::now();
    // Erin's sign-in goes out at once and starts an interval, so what follows is coalesced.
    let _erin = app.connect(&erin_token).await;
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
    // A newcomer of the team agrees.
    let late_token = app.teammate("late").await;
    let late = app.connect(&late_token).await;
    assert_eq!(
        OnlineSet::of(&late).names,
        set(&["erin", "late", "observer"])
    );
}
