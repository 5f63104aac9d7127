//! Search: ranked results with the matched words' places, filters and paging, edits and
//! deletions kept in step, and nothing found outside what the searcher may read (a third
//! user finds nothing of a private pair's conversation, nor of a room they are not in).
//! `history` around a message opens a conversation at a result.

use serde_json::json;
use shared::{ErrorCode, ServerFrame, Target};
use testkit::{spawn_app, spawn_app_with};

/// The error code of a refused search.
fn code(answer: Result<(Vec<shared::StoredMessage>, Option<u32>), ServerFrame>) -> ErrorCode {
    match answer {
        Err(ServerFrame::Error { code, .. }) => code,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn results_are_ranked_and_their_words_marked() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let once = alice
        .say(
            "lobby",
            "we could deploy the new version of the service tomorrow morning",
            "r1",
        )
        .await;
    let thrice = alice.say("lobby", "Deploy, deploy, DEPLOY!", "r2").await;
    let other = alice.say("lobby", "nothing to see here", "r3").await;
    let (hits, next) = alice
        .try_search(json!({"query": "deploy"}))
        .await
        .expect("results");
    let ids: Vec<u64> = hits.iter().map(|h| h.id).collect();
    assert_eq!(
        ids,
        [thrice, once],
        "the denser match first; {other} not found"
    );
    assert_eq!(next, None);
    assert_eq!(hits[0].marks, [[0, 6], [8, 14], [16, 22]]);
    let body = &hits[1].body;
    let [start, end] = hits[1].marks[0];
    assert_eq!(&body[start as usize..end as usize], "deploy");
    assert_eq!(
        hits[0].target,
        Target::Room {
            room: "lobby".into()
        }
    );
    // Prefixes, several words (all of them), any case, and no match inside a word.
    assert_eq!(
        alice.search_ids(json!({"query": "DEPL serv"})).await,
        [once]
    );
    assert_eq!(
        alice.search_ids(json!({"query": "ploy"})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        alice.search_ids(json!({"query": "deploy nothing"})).await,
        Vec::<u64>::new()
    );
}

/// A message is found as soon as it is acknowledged, before the index's next round (SQLite
/// indexes in rounds of its own, and a search first brings the index up to date), and only by
/// those who may read it: the round that indexes a private message does not show it to a third.
#[tokio::test]
async fn a_message_is_found_as_soon_as_it_is_acknowledged() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    let mut sent = Vec::new();
    for i in 0..3 {
        let id = alice
            .whisper("bob", &format!("ultramarine {i}"), &format!("u{i}"))
            .await;
        sent.insert(0, id);
        assert_eq!(
            bob.search_ids(json!({"query": "ultramarine"})).await,
            sent,
            "newest first"
        );
        assert_eq!(
            carol.search_ids(json!({"query": "ultramarine"})).await,
            Vec::<u64>::new(),
            "not the third user's conversation"
        );
    }
}

#[tokio::test]
async fn filters_by_conversation_sender_and_time_and_pages() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("Bob").await;
    alice.join("ops").await;
    bob.join("ops").await;
    let in_lobby = alice.say("lobby", "release notes", "a1").await;
    let in_ops = alice.say("ops", "release train", "a2").await;
    let by_bob = bob.say("ops", "release party", "b1").await;
    let private = bob.whisper("alice", "release secret", "b2").await;
    let all = alice.search_ids(json!({"query": "release"})).await;
    let mut sorted = all.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [in_lobby, in_ops, by_bob, private]);
    // Equal ranks: newest first.
    assert_eq!(all, [private, by_bob, in_ops, in_lobby]);
    assert_eq!(
        alice
            .search_ids(json!({"query": "release", "room": "ops"}))
            .await,
        [by_bob, in_ops]
    );
    assert_eq!(
        alice
            .search_ids(json!({"query": "release", "to": "bob"}))
            .await,
        [private]
    );
    assert_eq!(
        alice
            .search_ids(json!({"query": "release", "sender": "BOB"}))
            .await,
        [private, by_bob]
    );
    // The time range, from the messages' own times.
    let (hits, _) = alice
        .try_search(json!({"query": "release"}))
        .await
        .expect("results");
    let at = |id: u64| hits.iter().find(|h| h.id == id).unwrap().at;
    let since = alice
        .search_ids(json!({"query": "release", "since": at(by_bob)}))
        .await;
    assert!(
        since.contains(&by_bob) && since.contains(&private),
        "{since:?}"
    );
    assert!(!since.contains(&in_lobby) || at(in_lobby) == at(by_bob));
    let until = alice
        .search_ids(json!({"query": "release", "until": at(in_ops)}))
        .await;
    assert!(until.iter().all(|id| at(*id) < at(in_ops)), "{until:?}");
    assert!(!until.contains(&in_ops));
    // Pages of two: each result once, in the same order.
    let (first, next) = alice
        .try_search(json!({"query": "release", "limit": 2}))
        .await
        .expect("results");
    assert_eq!(next, Some(2));
    let (second, next) = alice
        .try_search(json!({"query": "release", "limit": 2, "offset": 2}))
        .await
        .expect("results");
    assert_eq!(next, None);
    let paged: Vec<u64> = first.iter().chain(&second).map(|h| h.id).collect();
    assert_eq!(paged, all);
}

#[tokio::test]
async fn an_edit_is_found_by_its_new_words_and_a_deletion_never() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let id = alice.say("lobby", "the meeting is on monday", "r1").await;
    let gone = alice.say("lobby", "monday secret plans", "r2").await;
    let private = alice.whisper("bob", "monday between us", "r3").await;
    alice
        .send_acked(
            json!({"type": "edit", "id": id, "body": "the meeting moved to tuesday", "req": "e1"}),
        )
        .await;
    alice
        .send_acked(json!({"type": "delete", "id": gone, "req": "d1"}))
        .await;
    alice
        .send_acked(json!({"type": "delete", "id": private, "req": "d2"}))
        .await;
    for searcher in [&mut alice, &mut bob] {
        assert_eq!(
            searcher.search_ids(json!({"query": "monday"})).await,
            Vec::<u64>::new()
        );
        assert_eq!(searcher.search_ids(json!({"query": "tuesday"})).await, [id]);
        assert_eq!(
            searcher.search_ids(json!({"query": "secret"})).await,
            Vec::<u64>::new()
        );
    }
    let (hits, _) = bob
        .try_search(json!({"query": "meeting"}))
        .await
        .expect("results");
    assert_eq!(hits[0].body, "the meeting moved to tuesday");
    assert!(hits[0].details.edited_at.is_some());
}

#[tokio::test]
async fn a_third_user_finds_nothing_of_others_conversations_or_rooms() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let (_, mut carol) = app.user("carol").await;
    let private = alice.whisper("bob", "pineapple pizza tonight", "r1").await;
    alice.join("kitchen").await;
    let in_room = alice.say("kitchen", "pineapple stock low", "r2").await;
    let public = alice.say("lobby", "pineapple for everyone", "r3").await;
    assert_eq!(
        alice.search_ids(json!({"query": "pineapple"})).await,
        [public, in_room, private]
    );
    assert_eq!(
        bob.search_ids(json!({"query": "pineapple"})).await,
        [public, private]
    );
    assert_eq!(
        carol.search_ids(json!({"query": "pineapple"})).await,
        [public]
    );
    assert_eq!(
        code(
            carol
                .try_search(json!({"query": "pineapple", "room": "kitchen"}))
                .await
        ),
        ErrorCode::NotMember
    );
    // Carol's own conversation with Alice holds none of Alice and Bob's.
    assert_eq!(
        carol
            .search_ids(json!({"query": "pineapple", "to": "alice"}))
            .await,
        Vec::<u64>::new()
    );
    assert_eq!(
        carol
            .search_ids(json!({"query": "pineapple", "sender": "alice"}))
            .await,
        [public]
    );
    // Leaving the room ends finding its messages.
    alice
        .send_json(json!({"type": "leave", "room": "kitchen"}))
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::RoomLeft { .. }))
        .await;
    assert_eq!(
        alice.search_ids(json!({"query": "pineapple"})).await,
        [public, private]
    );
}

#[tokio::test]
async fn bad_searches_are_refused_with_their_req() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    for query in [
        json!({"query": " ?! "}),
        json!({"query": "x".repeat(201)}),
        json!({"query": "a b c d e f g h i"}),
    ] {
        assert_eq!(code(alice.try_search(query).await), ErrorCode::InvalidQuery);
    }
    for frame in [
        json!({"query": "a", "limit": 0}),
        json!({"query": "a", "limit": 51}),
        json!({"query": "a", "offset": 501}),
        json!({"query": "a", "room": "lobby", "to": "alice"}),
        json!({"query": "a", "since": 10, "until": 10}),
    ] {
        assert_eq!(code(alice.try_search(frame).await), ErrorCode::InvalidFrame);
    }
    assert_eq!(
        code(
            alice
                .try_search(json!({"query": "a", "sender": "nobody"}))
                .await
        ),
        ErrorCode::UnknownUser
    );
    assert_eq!(
        code(
            alice
                .try_search(json!({"query": "a", "room": "no such"}))
                .await
        ),
        ErrorCode::InvalidRoomName
    );
    // Within every bound: answered.
    let (hits, next) = alice
        .try_search(json!({"query": "a", "limit": 50, "offset": 500}))
        .await
        .expect("results");
    assert!(hits.is_empty() && next.is_none());
}

#[tokio::test]
async fn searches_have_a_budget_of_their_own() {
    let app = spawn_app_with(|c| {
        c.rate_per_sec = 10;
        c.rate_burst = 20;
    })
    .await;
    let (_, mut alice) = app.user("alice").await;
    // The defaults' search budget: bursts of 5, then about one a second.
    let mut refused = 0;
    for i in 0..8 {
        let answer = alice
            .try_search(json!({"query": "hello", "req": format!("s{i}")}))
            .await;
        if let Err(ServerFrame::Error { code, req, .. }) = answer {
            assert_eq!(code, ErrorCode::RateLimited);
            assert_eq!(req.as_deref(), Some(format!("s{i}").as_str()));
            refused += 1;
        }
    }
    assert!((2..=3).contains(&refused), "{refused} of 8 refused");
    // Other frames still pass: the frame budget was not spent up.
    alice.say("lobby", "still here", "r1").await;
}

#[tokio::test]
async fn history_around_a_message_holds_its_neighbours() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    alice.join("ops").await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(alice.say("ops", &format!("m{i}"), &format!("r{i}")).await);
        // Messages elsewhere between them: ids of the conversation are not contiguous.
        alice.say("lobby", "noise", &format!("n{i}")).await;
    }
    let (page, complete) = alice
        .history(json!({"room": "ops", "around": ids[5], "limit": 6}))
        .await;
    assert_eq!(page, ids[3..9], "three up to it, three after");
    assert!(!complete);
    let (page, complete) = alice
        .history(json!({"room": "ops", "around": ids[1], "limit": 6}))
        .await;
    assert_eq!(page, ids[..5]);
    assert!(complete, "nothing older");
    let (page, _) = alice
        .history(json!({"room": "ops", "around": ids[11], "limit": 5}))
        .await;
    assert_eq!(page, ids[9..]);
    // A private conversation too, and the refusals of `history` apply.
    let a = alice.whisper("alice", "note to self", "p1").await;
    let (page, _) = alice
        .history(json!({"to": "alice", "around": a, "limit": 4}))
        .await;
    assert_eq!(page, [a]);
    let err = alice
        .try_history(json!({"room": "ops", "around": 3, "before": 9}))
        .await
        .expect_err("refused");
    assert!(matches!(
        err,
        ServerFrame::Error {
            code: ErrorCode::InvalidFrame,
            ..
        }
    ));
}
