//! Away and last seen: `activity` from each tab, presence frames that say who is away, and the
//! time a user was last seen, stored so that it survives a restart.

use serde_json::json;
use shared::{ErrorCode, ServerFrame, Target};
use testkit::{is_offline, spawn_app, spawn_app_with, Client};

/// Matches a `presence` frame that mentions `user` at all.
fn mentions(user: &str) -> impl Fn(&ServerFrame) -> bool + '_ {
    move |f| match f {
        ServerFrame::Presence {
            online, offline, ..
        } => online.iter().chain(offline).any(|u| u == user),
        _ => false,
    }
}

/// The `last_seen` of the private conversation with `with` in `client`'s welcome.
fn welcome_last_seen(client: &Client, with: &str) -> Option<u64> {
    let ServerFrame::Welcome { conversations, .. } = &client.welcome else {
        unreachable!()
    };
    let target = Target::User { to: with.into() };
    conversations
        .iter()
        .find(|c| c.target == target)
        .unwrap_or_else(|| panic!("no conversation with {with} in {conversations:?}"))
        .last_seen
}

#[tokio::test]
async fn the_only_tab_away_makes_its_user_away_for_everyone_online_and_back() {
    let app = spawn_app().await;
    let (_, mut alice) = app.member("alice").await;
    let (_, mut bob) = app.member("bob").await;
    // Carol talks to neither; she is in the room they are all in.
    let (_, mut carol) = app.member("carol").await;
    alice.sees_online("carol").await;
    bob.sees_online("carol").await;

    alice.activity(true).await;
    bob.sees_away("alice").await;
    carol.sees_away("alice").await;
    // Her own connection hears it too, and nothing else answers the frame.
    let before = alice.sync().await;
    assert!(
        before
            .iter()
            .all(|f| matches!(f, ServerFrame::Presence { .. })),
        "only presence: {before:?}"
    );
    alice.sees_away("alice").await;
    assert!(alice.knows_online("alice"), "away is still online");

    // A new connection sees her away in its welcome.
    let (_, dave) = app.member("dave").await;
    let ServerFrame::Welcome { online, away, .. } = &dave.welcome else {
        unreachable!()
    };
    assert!(online.contains(&"alice".to_owned()));
    assert_eq!(away, &["alice"]);

    alice.activity(false).await;
    bob.sees_present("alice").await;
    carol.sees_present("alice").await;
}

#[tokio::test]
async fn a_user_is_not_away_while_another_tab_is_present() {
    let app = spawn_app().await;
    let (alice_token, mut tab1) = app.member("alice").await;
    let mut tab2 = app.connect(&alice_token).await;
    let (_, mut bob) = app.member("bob").await;
    bob.sync().await;

    tab1.activity(true).await;
    tab1.sync().await;
    bob.assert_none_of("news of alice", mentions("alice")).await;
    assert!(!bob.knows_away("alice"));

    tab2.activity(true).await;
    bob.sees_away("alice").await;
    // A third tab is present from the start: she is back, and its welcome says so.
    let tab3 = app.connect(&alice_token).await;
    let ServerFrame::Welcome { away, .. } = &tab3.welcome else {
        unreachable!()
    };
    assert!(away.is_empty(), "away: {away:?}");
    bob.sees_present("alice").await;
    // It closes: the two left are away, so she is.
    tab3.close().await;
    bob.sees_away("alice").await;
    // One of them closes too: still away, and still online.
    tab1.close().await;
    bob.assert_none_of("news of alice", mentions("alice")).await;
    assert!(bob.knows_online("alice") && bob.knows_away("alice"));
}

#[tokio::test]
async fn going_offline_says_when_and_the_time_survives_a_restart() {
    let app = spawn_app().await;
    let (alice_token, mut alice) = app.member("alice").await;
    let (bob_token, mut bob) = app.member("bob").await;
    alice.whisper("bob", "see you", "w1").await;
    let before = shared_now();
    alice.close().await;
    let frame = bob.recv_until(is_offline("alice")).await;
    let after = shared_now();
    let seen = bob.last_seen("alice").expect("last seen");
    assert!(
        (before..=after).contains(&seen),
        "{before} <= {seen} <= {after}"
    );
    let ServerFrame::Presence { away, .. } = frame else {
        unreachable!()
    };
    assert!(away.is_empty());

    // Bob's next welcome says it; so does a page of conversations.
    let bob2 = app.connect(&bob_token).await;
    assert_eq!(welcome_last_seen(&bob2, "alice"), Some(seen));
    bob.send_json(json!({"type": "conversations", "req": "c1"}))
        .await;
    match bob
        .recv_until(|f| matches!(f, ServerFrame::Conversations { .. }))
        .await
    {
        ServerFrame::Conversations { conversations, .. } => {
            assert_eq!(conversations[0].last_seen, Some(seen));
        }
        _ => unreachable!(),
    }
    drop(bob2);

    let app = app.restart().await;
    let mut bob = app.connect(&bob_token).await;
    assert_eq!(welcome_last_seen(&bob, "alice"), Some(seen), "stored");
    // Alice comes back and leaves again: a later time.
    let mut alice = app.connect(&alice_token).await;
    alice.sync().await;
    alice.close().await;
    bob.recv_until(is_offline("alice")).await;
    assert!(bob.last_seen("alice").expect("again") >= seen);
}

#[tokio::test]
async fn activity_has_no_answer_and_spares_the_message_budget() {
    let app = spawn_app_with(|c| {
        c.rate_per_sec = 1;
        c.rate_burst = 2;
    })
    .await;
    let (_, mut alice) = app.member("alice").await;
    // Within the notices' budget (bursts of 10): none is answered, none costs a message.
    for i in 0..8 {
        alice.activity(i % 2 == 0).await;
    }
    alice.say("lobby", "still here", "m1").await;
    // A frame without `away` is refused like any malformed frame.
    alice.send_json(json!({"type": "activity"})).await;
    match alice
        .recv_until(|f| matches!(f, ServerFrame::Error { .. }))
        .await
    {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::InvalidFrame),
        _ => unreachable!(),
    }
}

fn shared_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn a_crowd_leaving_at_once_has_every_departure_stored() {
    let app = spawn_app().await;
    let (_, mut observer) = app.user("observer").await;
    let mut crowd = Vec::new();
    for i in 0..40 {
        let name = format!("leaver{i:02}");
        let (_, client) = app.user(&name).await;
        observer.whisper(&name, "hi", &format!("w{i}")).await;
        crowd.push(client);
    }
    // Every connection closes at once; the departures are written in batches.
    futures_util::future::join_all(crowd.into_iter().map(Client::close)).await;
    app.wait_for_connections(1).await;
    let me = shared::UserName::parse("observer").unwrap();
    let deadline = tokio::time::Instant::now() + testkit::ARRIVES_WITHIN;
    loop {
        let listed = app
            .state
            .store
            .conversations_page(&me, &[], None, 100)
            .await
            .expect("conversations");
        let stored = listed.iter().filter(|c| c.last_seen.is_some()).count();
        if stored == 40 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{stored} of 40 departures stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
