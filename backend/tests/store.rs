//! The store's behaviour: the same tests on SQLite (a temporary directory) and on PostgreSQL
//! (a fresh schema per test, dropped at its end), plus PostgreSQL with two nodes on one schema.
//!
//! PostgreSQL is `TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/test`; when it
//! cannot be reached the PostgreSQL tests fail and say so.

use backend::change::{Change, ChangeKind};
use backend::message::{Conversation, Destination, Message, NewMessage};
use backend::store::{
    Appended, Marked, NewSession, Opening, Readers, Replay, ReplayCut, Safety, SearchQuery,
    SessionId, SqlStore, Standing, Start, Store, StoreError,
};
use backend::tasks::Tasks;
use shared::limits::UNREAD_COUNTED;
use shared::{ConversationInfo, RoomName, Target, UserName};
use sqlx::Row;
use testkit::{
    on_postgres, on_postgres_url, on_sqlite, on_sqlite_url, open_store, Schema, StoreAt,
};

// ---------------------------------------------------------------------------------------------
// Running one test on each engine

testkit::on_both_engines!(
    sqlite = on_sqlite, postgres = on_postgres:
    accounts_and_sessions,
    a_password_is_set_once_and_ending_a_session_marks_the_account_used,
    names_are_taken_ignoring_case,
    memberships_last_until_left,
    append_numbers_messages_in_order,
    repeated_req_is_stored_once,
    history_pages_back_to_the_first_message,
    missed_holds_only_the_users_conversations,
    a_joined_connection_reads_its_standing_and_what_it_missed,
    since_holds_every_conversation,
    conversations_count_unread_and_list_private_newest_first,
    a_connections_start_reads_what_its_parts_read,
    unread_counts_stop_at_the_bound,
    read_markers_only_move_forward,
    deleting_an_account_takes_its_private_messages_only,
    large_batches_are_stored_whole,
    a_batch_is_stored_as_it_was_sent,
    private_conversations_list_both_participants_once,
    missed_replays_the_newest_and_says_where_it_cut,
    read_markers_stop_at_the_newest_message,
    receipts_list_the_others_markers_and_whose_messages_a_marker_passed,
    a_reused_req_with_other_content_conflicts,
    changes_take_ids_and_show_in_history_since_and_missed,
    last_seen_is_kept_and_only_moves_forward,
    search_follows_every_write_and_who_may_read,
    exports_page_the_authors_messages_and_tickets_work_once,
);

testkit::on_both_engines!(
    sqlite_url = on_sqlite_url, postgres_url = on_postgres_url:
    append_lists_each_pair_once_per_participant,
    upgrading_from_0002_keeps_private_conversations,
    upgrading_to_0004_clamps_read_markers,
);

// ---------------------------------------------------------------------------------------------
// Helpers

fn name(raw: &str) -> UserName {
    UserName::parse(raw).expect("a valid name")
}

fn room(raw: &str) -> RoomName {
    RoomName::parse(raw).expect("a valid room")
}

fn to_room(from: &str, to: &str, body: &str, req: Option<&str>) -> NewMessage {
    NewMessage {
        from: name(from),
        to: Destination::Room(room(to)),
        body: body.to_owned(),
        at: 1_000,
        req: req.map(str::to_owned),
        reply_to: None,
        change: None,
        attachments: Vec::new(),
    }
}

fn to_user(from: &str, to: &str, body: &str) -> NewMessage {
    NewMessage {
        from: name(from),
        to: Destination::User(name(to)),
        body: body.to_owned(),
        at: 1_000,
        req: None,
        reply_to: None,
        change: None,
        attachments: Vec::new(),
    }
}

/// Creates an account, without a password, for each of `names`.
async fn accounts(store: &SqlStore, names: &[&str]) {
    for who in names {
        store
            .create_account(&name(who), None, None)
            .await
            .expect("create");
    }
}

/// `who` joins `raw`, a room.
async fn join(store: &SqlStore, who: &str, raw: &str) {
    store.join_room(&name(who), &room(raw)).await.expect("join");
}

fn ids(messages: &[Message]) -> Vec<u64> {
    messages.iter().map(|m| m.id).collect()
}

fn bodies(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.body.as_str()).collect()
}

/// Stores `batch`, expecting every message to be new; returns their ids.
async fn append_new(store: &SqlStore, batch: Vec<NewMessage>) -> Vec<u64> {
    let stored = store.append(&batch).await.expect("append");
    assert!(
        stored.iter().all(|a| matches!(a, Appended::Stored(_))),
        "{stored:?}"
    );
    stored
        .iter()
        .filter_map(|a| a.message())
        .map(|m| m.id)
        .collect()
}

/// Each answer of an `append` as `(id, at, repeat)`; a conflict as `(0, 0, false)`.
fn answers(stored: &[Appended]) -> Vec<(u64, u64, bool)> {
    stored
        .iter()
        .map(|a| match a {
            Appended::Stored(m) => (m.id, m.at, false),
            Appended::Repeat(m) => (m.id, m.at, true),
            Appended::Conflict | Appended::Refused(..) => (0, 0, false),
            Appended::Unchanged { id, at } => (*id, *at, true),
        })
        .collect()
}

fn private(me: &str, other: &str) -> Conversation {
    Conversation::Private {
        me: name(me),
        other: name(other),
    }
}

fn in_room(raw: &str) -> Target {
    Target::Room {
        room: raw.to_owned(),
    }
}

fn with_user(raw: &str) -> Target {
    Target::User { to: raw.to_owned() }
}

// ---------------------------------------------------------------------------------------------
// The tests, run on both engines

async fn a_password_is_set_once_and_ending_a_session_marks_the_account_used(store: SqlStore) {
    let session = NewSession::bare(SessionId("s1".into()));
    store
        .create_account(&name("Bob"), None, Some(&session))
        .await
        .expect("create");
    let created = store.find_account(&name("bob")).await.unwrap().unwrap();
    assert!(created.last_used_at > 0);
    // Nobody sets a password on an account that does not exist.
    assert!(!store.set_password(&name("nobody"), "$h0").await.unwrap());
    assert!(store.set_password(&name("BOB"), "$h1").await.unwrap());
    // Once set, it stays.
    assert!(!store.set_password(&name("bob"), "$h2").await.unwrap());
    let found = store.find_account(&name("bob")).await.unwrap().unwrap();
    assert_eq!(found.password_hash.as_deref(), Some("$h1"));
    // Ending its last session keeps the account, marked used now.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(
        store
            .delete_session(&session.id, &name("bob"))
            .await
            .unwrap(),
        0
    );
    let after = store.find_account(&name("bob")).await.unwrap().unwrap();
    assert!(after.last_used_at > created.last_used_at);
    assert_eq!(after.name.as_str(), "Bob");
}

async fn accounts_and_sessions(store: SqlStore) {
    store.ping().await.expect("ping");
    store
        .create_account(&name("Alice"), Some("$argon2id$hash"), None)
        .await
        .expect("create");
    let found = store
        .find_account(&name("alice"))
        .await
        .expect("find")
        .expect("alice exists");
    assert_eq!(found.name.as_str(), "Alice");
    assert_eq!(found.password_hash.as_deref(), Some("$argon2id$hash"));
    assert!(store
        .find_account(&name("bob"))
        .await
        .expect("find")
        .is_none());

    store
        .create_account(&name("Bob"), None, None)
        .await
        .expect("create");
    let bob = store.find_account(&name("Bob")).await.expect("find");
    assert_eq!(bob.expect("bob exists").password_hash, None);

    // An account can come with its first session, in the same transaction.
    let first = SessionId("cc".repeat(32));
    store
        .create_account(&name("Dave"), None, Some(&NewSession::bare(first.clone())))
        .await
        .expect("create with a session");
    let owner = store
        .find_session(&first)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(owner.account.name.as_str(), "Dave");

    let (one, two) = (SessionId("aa".repeat(32)), SessionId("bb".repeat(32)));
    store
        .create_session(&NewSession::bare(one.clone()), &name("alice"))
        .await
        .expect("session");
    let described = NewSession {
        id: two.clone(),
        user_agent: Some("Firefox".into()),
        address: Some("192.0.2.7".into()),
    };
    store
        .create_session(&described, &name("alice"))
        .await
        .expect("session");
    let owner = store
        .find_session(&one)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(owner.account.name.as_str(), "Alice");
    // A use moves `last_used_at` forward, never back.
    let used = owner.last_used_at + 60_000;
    store.touch_session(&one, used).await.expect("touch");
    store.touch_session(&one, used - 1).await.expect("touch");
    let owner = store
        .find_session(&one)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(owner.last_used_at, used);
    let listed = store.sessions_of(&name("ALICE")).await.expect("list");
    assert_eq!(listed.len(), 2);
    let two_listed = listed.iter().find(|s| s.id == two).expect("listed");
    assert_eq!(two_listed.user_agent.as_deref(), Some("Firefox"));
    assert_eq!(two_listed.address.as_deref(), Some("192.0.2.7"));
    assert_eq!(two_listed.last_used_at, two_listed.created_at);
    let one_listed = listed.iter().find(|s| s.id == one).expect("listed");
    assert_eq!(
        (one_listed.last_used_at, one_listed.user_agent.as_deref()),
        (used, None)
    );
    assert_eq!(
        store
            .delete_session(&one, &name("alice"))
            .await
            .expect("delete"),
        1
    );
    assert!(store.find_session(&one).await.expect("find").is_none());
    assert_eq!(
        store
            .delete_session(&two, &name("alice"))
            .await
            .expect("delete"),
        0
    );
}

async fn names_are_taken_ignoring_case(store: SqlStore) {
    store
        .create_account(&name("Bob"), None, None)
        .await
        .expect("create");
    let again = store.create_account(&name("BOB"), Some("hash"), None).await;
    assert!(matches!(again, Err(StoreError::NameTaken)), "{again:?}");
    // The failed attempt left nothing behind, and the store goes on working.
    let bob = store.find_account(&name("bob")).await.expect("find");
    assert_eq!(bob.expect("bob exists").name.as_str(), "Bob");
    store
        .create_account(&name("Carol"), None, None)
        .await
        .expect("create");
}

async fn memberships_last_until_left(store: SqlStore) {
    accounts(&store, &["Alice", "Bob"]).await;
    join(&store, "alice", "rust").await;
    store
        .join_room(&name("alice"), &room("rust"))
        .await
        .expect("join again");
    join(&store, "bob", "rust").await;
    join(&store, "bob", "go").await;
    let mut all: Vec<(String, String)> = store
        .memberships()
        .await
        .expect("memberships")
        .into_iter()
        .map(|(r, u)| (r.to_string(), u.to_string()))
        .collect();
    all.sort();
    let expected = [("go", "Bob"), ("rust", "Alice"), ("rust", "Bob")];
    assert_eq!(all, expected.map(|(r, u)| (r.to_owned(), u.to_owned())));

    store
        .leave_room(&name("bob"), &room("rust"))
        .await
        .expect("leave");
    assert_eq!(store.memberships().await.expect("memberships").len(), 2);
}

async fn append_numbers_messages_in_order(store: SqlStore) {
    assert_eq!(store.last_id().await.expect("last id"), 0);
    assert!(store.append(&[]).await.expect("append nothing").is_empty());
    let first = vec![
        to_room("alice", "lobby", "one", Some("r1")),
        to_user("alice", "Bob", "two"),
        to_room("bob", "rust", "three", None),
    ];
    let stored = store.append(&first).await.expect("append");
    assert_eq!(stored.len(), 3);
    for (appended, (new, id)) in stored.iter().zip(first.iter().zip(1..)) {
        let Appended::Stored(message) = appended else {
            panic!("{appended:?}");
        };
        assert_eq!(message.id, id);
        assert_eq!(message.from, new.from);
        assert_eq!(message.to, new.to);
        assert_eq!(message.body, new.body);
        assert_eq!(message.at, new.at);
    }
    let more = vec![to_room("bob", "lobby", "four", None); 2];
    assert_eq!(append_new(&store, more).await, [4, 5]);
    assert_eq!(store.last_id().await.expect("last id"), 5);

    let all = store.since(0, 100).await.expect("since");
    assert_eq!(ids(&all), [1, 2, 3, 4, 5]);
    assert_eq!(all[1].to, Destination::User(name("Bob")));
    assert_eq!(all[1].from.as_str(), "alice");
}

async fn repeated_req_is_stored_once(store: SqlStore) {
    let mut original = to_room("alice", "lobby", "hello", Some("r1"));
    original.at = 10;
    let first = vec![
        original,
        to_room("bob", "lobby", "same req, other sender", Some("r1")),
    ];
    assert_eq!(append_new(&store, first).await, [1, 2]);

    // A resend in a later batch, and a repeat within one batch.
    let mut resend = to_room("ALICE", "lobby", "hello", Some("r1"));
    resend.at = 20;
    let second = vec![
        resend,
        to_room("alice", "lobby", "new", Some("r2")),
        to_room("alice", "lobby", "new", Some("r2")),
        to_room("alice", "lobby", "no req", None),
        to_room("alice", "lobby", "no req", None),
    ];
    let stored = store.append(&second).await.expect("append");
    assert_eq!(
        answers(&stored),
        [
            (1, 10, true),
            (3, 1_000, false),
            (3, 1_000, true),
            (4, 1_000, false),
            (5, 1_000, false)
        ]
    );
    assert_eq!(store.last_id().await.expect("last id"), 5);
    let all = store.since(0, 100).await.expect("since");
    assert_eq!(ids(&all), [1, 2, 3, 4, 5]);

    // A batch of nothing but repeats stores nothing and takes no id.
    let third = vec![to_room("alice", "lobby", "new", Some("r2"))];
    let stored = store.append(&third).await.expect("append");
    assert_eq!(answers(&stored), [(3, 1_000, true)]);
    assert_eq!(store.last_id().await.expect("last id"), 5);
    assert_eq!(
        append_new(&store, vec![to_user("bob", "alice", "dm")]).await,
        [6]
    );
}

async fn history_pages_back_to_the_first_message(store: SqlStore) {
    let rust = Conversation::Room(room("rust"));
    let (empty, complete) = store.history(&rust, None, 10).await.expect("history");
    assert!(empty.is_empty() && complete);

    let mut batch = Vec::new();
    for i in 1..=5 {
        batch.push(to_room("alice", "rust", &format!("rust {i}"), None));
        batch.push(to_room("alice", "lobby", &format!("lobby {i}"), None));
    }
    append_new(&store, batch).await;

    let (page, complete) = store.history(&rust, None, 2).await.expect("history");
    assert_eq!(bodies(&page), ["rust 4", "rust 5"]);
    assert!(!complete);
    let (page, complete) = store
        .history(&rust, Some(page[0].id), 2)
        .await
        .expect("history");
    assert_eq!(bodies(&page), ["rust 2", "rust 3"]);
    assert!(!complete);
    let (page, complete) = store
        .history(&rust, Some(page[0].id), 2)
        .await
        .expect("history");
    assert_eq!(bodies(&page), ["rust 1"]);
    assert!(complete);
    let (page, complete) = store.history(&rust, None, 5).await.expect("history");
    assert_eq!(page.len(), 5);
    assert!(complete, "exactly the whole conversation is complete");

    let dm = vec![
        to_user("alice", "bob", "hi"),
        to_user("bob", "alice", "hey"),
    ];
    append_new(&store, dm).await;
    let (page, complete) = store
        .history(&private("bob", "alice"), None, 10)
        .await
        .expect("history");
    assert_eq!(bodies(&page), ["hi", "hey"]);
    assert!(complete);
}

async fn missed_holds_only_the_users_conversations(store: SqlStore) {
    accounts(&store, &["alice", "bob", "carol"]).await;
    join(&store, "alice", "rust").await;
    let batch = vec![
        to_room("bob", "lobby", "lobby", None),
        to_room("bob", "rust", "rust", None),
        to_room("bob", "go", "go", None),
        to_user("bob", "alice", "bob to alice"),
        to_user("bob", "carol", "bob to carol"),
        to_user("alice", "carol", "alice to carol"),
        to_room("carol", "lobby", "lobby again", None),
    ];
    append_new(&store, batch).await;

    let alice = name("alice");
    let all = store.missed(&alice, 0, 7, 100).await.expect("missed");
    assert_eq!(all.cut, None);
    let all = all.messages;
    assert_eq!(
        bodies(&all),
        [
            "lobby",
            "rust",
            "bob to alice",
            "alice to carol",
            "lobby again"
        ]
    );
    assert_eq!(ids(&all), [1, 2, 4, 6, 7]);
    let window = store.missed(&alice, 1, 6, 100).await.expect("missed");
    assert_eq!(ids(&window.messages), [2, 4, 6]);
    let carol = store
        .missed(&name("carol"), 0, 7, 100)
        .await
        .expect("missed");
    assert_eq!(ids(&carol.messages), [1, 5, 6, 7]);
}

/// `Store::joined`, one connection for both on SQLite and PostgreSQL, reads what `opening`
/// and `missed` read apart, and nothing missed once the session is gone.
async fn a_joined_connection_reads_its_standing_and_what_it_missed(store: SqlStore) {
    accounts(&store, &["alice", "bob"]).await;
    let session = SessionId("alice-session".into());
    store
        .create_session(&NewSession::bare(session.clone()), &name("alice"))
        .await
        .expect("session");
    store
        .block(&name("alice"), &name("carol"))
        .await
        .expect("block");
    join(&store, "alice", "rust").await;
    let batch = vec![
        to_room("bob", "lobby", "lobby", None),
        to_room("bob", "rust", "rust", None),
        to_user("bob", "alice", "bob to alice"),
        to_room("bob", "go", "go", None),
    ];
    append_new(&store, batch).await;
    let alice = name("alice");
    for (after, limit) in [(0, 100), (1, 100), (0, 1), (4, 100)] {
        let replay = Replay {
            after,
            up_to: 4,
            limit,
        };
        let (opening, missed) = store
            .joined(&session, &alice, Some(replay))
            .await
            .expect("joined");
        assert_eq!(opening, store.opening(&session).await.expect("opening"));
        assert_eq!(
            missed,
            Some(store.missed(&alice, after, 4, limit).await.expect("missed")),
            "after {after}, limit {limit}"
        );
    }
    let (opening, missed) = store.joined(&session, &alice, None).await.expect("joined");
    assert_eq!(
        (opening, missed),
        (
            Opening {
                standing: Standing::Active,
                blocked: vec![name("carol")],
            },
            None
        )
    );
    let replay = Replay {
        after: 0,
        up_to: 4,
        limit: 100,
    };
    let (_, missed) = store
        .joined(&session, &alice, Some(replay))
        .await
        .expect("joined");
    assert_eq!(ids(&missed.expect("missed").messages), [1, 2, 3]);
    store
        .delete_session(&session, &alice)
        .await
        .expect("sign out");
    let (opening, missed) = store
        .joined(&session, &alice, Some(replay))
        .await
        .expect("joined");
    assert_eq!((opening.standing, missed), (Standing::Ended, None));
}

async fn since_holds_every_conversation(store: SqlStore) {
    assert!(store.since(0, 10).await.expect("since").is_empty());
    let batch = vec![
        to_room("bob", "lobby", "1", None),
        to_room("bob", "go", "2", None),
        to_user("bob", "alice", "3"),
        to_user("carol", "dave", "4"),
        to_room("carol", "rust", "5", None),
    ];
    append_new(&store, batch).await;
    let page = store.since(2, 2).await.expect("since");
    assert_eq!(ids(&page), [3, 4]);
    assert_eq!(bodies(&page), ["3", "4"]);
    assert_eq!(page[1].to, Destination::User(name("dave")));
    assert_eq!(
        ids(&store.since(0, 100).await.expect("since")),
        [1, 2, 3, 4, 5]
    );
    assert!(store.since(5, 10).await.expect("since").is_empty());
}

/// Unread messages and unread mentions are counted up to `UNREAD_COUNTED` and no further
/// (each one counted is a read): exact below it, the bound itself above it. On SQLite the
/// private conversation's messages are split between the lists file and the messages above
/// the id it covers, whose counts are added.
async fn unread_counts_stop_at_the_bound(store: SqlStore) {
    /// Alice's #busy and her conversation with Bob: (which, unread, mentions).
    async fn unread_of_alice(store: &SqlStore) -> Vec<(Target, u64, u64)> {
        store
            .conversations(&name("alice"), &[room("busy")])
            .await
            .expect("conversations")
            .into_iter()
            .map(|c| (c.target, c.unread, c.mentions))
            .collect()
    }

    let bound = u64::from(UNREAD_COUNTED);
    accounts(&store, &["alice", "bob"]).await;
    join(&store, "alice", "busy").await;
    join(&store, "bob", "busy").await;
    let mentions = |n: u64| -> Vec<NewMessage> {
        (0..n)
            .map(|i| to_room("bob", "busy", &format!("@alice {i}"), None))
            .collect()
    };
    let private = |n: u64| -> Vec<NewMessage> {
        (0..n)
            .map(|i| to_user("bob", "alice", &format!("p{i}")))
            .collect()
    };

    append_new(&store, mentions(bound - 1)).await;
    append_new(&store, private(bound / 2)).await;
    store.catch_up_lists().await.expect("catch up");
    append_new(&store, private(bound / 2 - 1)).await;
    assert_eq!(
        unread_of_alice(&store).await,
        [
            (in_room("busy"), bound - 1, bound - 1),
            (with_user("bob"), bound - 1, 0),
        ]
    );

    append_new(&store, mentions(2)).await;
    append_new(&store, private(2)).await;
    assert_eq!(
        unread_of_alice(&store).await,
        [
            (in_room("busy"), bound, bound),
            (with_user("bob"), bound, 0),
        ]
    );
    store.close().await;
}

async fn conversations_count_unread_and_list_private_newest_first(store: SqlStore) {
    accounts(&store, &["Alice", "Bob", "Carol"]).await;
    // Before Alice joins #rust it has a past; joining marks it read.
    append_new(&store, vec![to_room("Bob", "rust", "before", None)]).await; // 1
    join(&store, "alice", "rust").await;
    let batch = vec![
        to_room("Bob", "lobby", "l1", None),    // 2
        to_room("Carol", "lobby", "l2", None),  // 3
        to_room("Alice", "lobby", "l3", None),  // 4
        to_user("Carol", "Alice", "c1"),        // 5
        to_user("Alice", "Bob", "b1"),          // 6
        to_room("Bob", "rust", "r1", None),     // 7
        to_user("Carol", "Bob", "not alice's"), // 8
    ];
    append_new(&store, batch).await;

    let alice = name("alice");
    let rooms = [RoomName::lobby(), room("rust"), room("empty")];
    let got = store
        .conversations(&alice, &rooms)
        .await
        .expect("conversations");
    let info = |target, last_id, read_up_to, unread| ConversationInfo {
        target,
        last_id,
        read_up_to,
        unread,
        mentions: 0,
        since: None,
        last_seen: None,
    };
    assert_eq!(
        got,
        [
            info(in_room("lobby"), 4, 0, 2),
            info(in_room("rust"), 7, 1, 1),
            info(in_room("empty"), 0, 0, 0),
            info(with_user("Bob"), 6, 0, 0),
            info(with_user("Carol"), 5, 0, 1),
        ]
    );

    // A newer message moves a private conversation to the front; reading clears it.
    append_new(&store, vec![to_user("Carol", "Alice", "c2")]).await; // 9
    store
        .mark_read(&alice, &private("alice", "carol"), 9)
        .await
        .expect("mark");
    store
        .mark_read(&alice, &Conversation::Room(RoomName::lobby()), 3)
        .await
        .expect("mark");
    let got = store
        .conversations(&alice, &rooms[..1])
        .await
        .expect("conversations");
    assert_eq!(
        got,
        [
            info(in_room("lobby"), 4, 3, 0),
            info(with_user("Carol"), 9, 9, 0),
            info(with_user("Bob"), 6, 0, 0),
        ]
    );
    // Nobody in no room with no private messages has nothing to see.
    let nobody = store
        .conversations(&name("dave"), &[])
        .await
        .expect("conversations");
    assert!(nobody.is_empty());
}

/// `Store::start`, one read on SQLite (four statements in one string), reads what
/// `conversations_page`, `invitations` and `opening` read apart: with rooms and without, with
/// fewer, as many and more private conversations than the page holds, for a session that
/// stands (its user blocking two), one that does not and one whose account is disabled.
async fn a_connections_start_reads_what_its_parts_read(store: SqlStore) {
    accounts(&store, &["Alice", "Bob", "Carol", "Dave", "Erin", "Finn"]).await;
    let (session, gone, carols) = (
        SessionId("s-alice".into()),
        SessionId("s-gone".into()),
        SessionId("s-carol".into()),
    );
    for (id, owner) in [(&session, "alice"), (&carols, "carol")] {
        store
            .create_session(&NewSession::bare(id.clone()), &name(owner))
            .await
            .expect("session");
    }
    // Whom she blocks has no part in her conversations (a block hides private messages).
    for blocked in ["Finn", "Erin"] {
        store
            .block(&name("alice"), &name(blocked))
            .await
            .expect("block");
    }
    store
        .set_disabled(&name("carol"), true)
        .await
        .expect("disable");
    append_new(&store, vec![to_room("Bob", "rust", "before", None)]).await; // 1
    join(&store, "alice", "rust").await;
    append_new(
        &store,
        vec![
            to_room("Bob", "lobby", "l1", None),       // 2
            to_user("Carol", "Alice", "c1"),           // 3
            to_user("Alice", "Bob", "b1"),             // 4
            to_room("Bob", "rust", "r1 @alice", None), // 5
            to_user("Dave", "Alice", "d1"),            // 6
        ],
    )
    .await;
    store
        .mark_read(&name("alice"), &private("alice", "carol"), 3)
        .await
        .expect("mark");
    store
        .set_last_seen(&[(name("bob"), 2_000)])
        .await
        .expect("seen");
    store
        .create_room(&name("Carol"), &room("secret"), Some("plans"), true)
        .await
        .expect("create")
        .expect("new");
    store
        .invite(&room("secret"), &name("Carol"), &name("Alice"))
        .await
        .expect("invite");
    let alice = name("alice");
    let rooms = [RoomName::lobby(), room("rust"), room("empty")];
    for rooms in [&rooms[..], &rooms[..1], &[]] {
        for limit in [1, 2, 3, 4, 10] {
            for id in [&session, &gone, &carols] {
                let start = store.start(id, &alice, rooms, limit).await.expect("start");
                let apart = Start {
                    conversations: store
                        .conversations_page(&alice, rooms, None, limit)
                        .await
                        .expect("page"),
                    invitations: store.invitations(&alice).await.expect("invitations"),
                    opening: store.opening(id).await.expect("opening"),
                };
                assert_eq!(start, apart, "rooms {rooms:?}, limit {limit}, {id:?}");
            }
        }
    }
    let standings = [
        store.start(&session, &alice, &rooms, 2).await,
        store.start(&gone, &alice, &rooms, 2).await,
        store.start(&carols, &alice, &rooms, 2).await,
    ]
    .map(|start| start.expect("start").opening);
    assert_eq!(
        standings,
        [
            Opening {
                standing: Standing::Active,
                blocked: vec![name("Erin"), name("Finn")],
            },
            Opening {
                standing: Standing::Ended,
                blocked: Vec::new(),
            },
            Opening {
                standing: Standing::Disabled,
                blocked: Vec::new(),
            },
        ]
    );
    let start = store
        .start(&session, &alice, &rooms, 2)
        .await
        .expect("start");
    let targets: Vec<&Target> = start.conversations.iter().map(|c| &c.target).collect();
    assert_eq!(
        targets,
        [
            &in_room("lobby"),
            &in_room("rust"),
            &in_room("empty"),
            &with_user("Dave"),
            &with_user("Bob"),
        ]
    );
    assert_eq!(
        (
            start.conversations[1].unread,
            start.conversations[4].last_seen
        ),
        (1, Some(2_000))
    );
    let invited: Vec<(&str, &str)> = start
        .invitations
        .iter()
        .map(|i| (i.room.as_str(), i.from.as_str()))
        .collect();
    assert_eq!(invited, [("secret", "Carol")]);
    // Nobody in no room, with nothing: nothing.
    let nobody = store
        .start(&gone, &name("nobody"), &[], 10)
        .await
        .expect("start");
    assert_eq!(
        nobody,
        Start {
            conversations: Vec::new(),
            invitations: Vec::new(),
            opening: Opening {
                standing: Standing::Ended,
                blocked: Vec::new(),
            },
        }
    );
}

async fn last_seen_is_kept_and_only_moves_forward(store: SqlStore) {
    accounts(&store, &["Alice", "Bob", "Carol"]).await;
    append_new(
        &store,
        vec![
            to_user("Alice", "Bob", "b1"),
            to_user("Carol", "Alice", "c1"),
        ],
    )
    .await;
    let last_seen = |conversations: Vec<ConversationInfo>| -> Vec<(Target, Option<u64>)> {
        conversations
            .into_iter()
            .map(|c| (c.target, c.last_seen))
            .collect()
    };
    let alice = name("alice");
    let got = store
        .conversations(&alice, &[])
        .await
        .expect("conversations");
    assert_eq!(
        last_seen(got),
        [(with_user("Carol"), None), (with_user("Bob"), None)],
        "nobody was seen leaving yet"
    );
    store
        .set_last_seen(&[(name("bob"), 2_000)])
        .await
        .expect("set");
    store
        .set_last_seen(&[(name("BOB"), 1_000), (name("nobody"), 1_000)])
        .await
        .expect("an older time changes nothing; no account, no harm");
    let got = store
        .conversations(&alice, &[])
        .await
        .expect("conversations");
    assert_eq!(
        last_seen(got),
        [(with_user("Carol"), None), (with_user("Bob"), Some(2_000))]
    );
    store
        .set_last_seen(&[(name("carol"), 3_000)])
        .await
        .expect("set");
    let page = store
        .conversations_page(&alice, &[], None, 10)
        .await
        .expect("page");
    assert_eq!(
        last_seen(page),
        [
            (with_user("Carol"), Some(3_000)),
            (with_user("Bob"), Some(2_000))
        ]
    );
    // Rooms carry none; one's own time is not in one's own list.
    let bob = store
        .conversations(&name("bob"), &[RoomName::lobby()])
        .await
        .expect("conversations");
    assert_eq!(
        last_seen(bob),
        [(in_room("lobby"), None), (with_user("Alice"), None)]
    );
}

async fn read_markers_only_move_forward(store: SqlStore) {
    store
        .create_account(&name("alice"), None, None)
        .await
        .expect("create");
    store
        .create_account(&name("bob"), None, None)
        .await
        .expect("create");
    let mut batch = vec![to_room("bob", "lobby", "hi", None); 7];
    batch[1] = to_user("bob", "alice", "dm");
    append_new(&store, batch).await;
    let alice = name("alice");
    let lobby = Conversation::Room(RoomName::lobby());
    let marked = |before, up_to| Marked { before, up_to };
    assert_eq!(
        store.mark_read(&alice, &lobby, 5).await.expect("mark"),
        marked(0, 5)
    );
    assert_eq!(
        store.mark_read(&alice, &lobby, 3).await.expect("mark"),
        marked(5, 5)
    );
    assert_eq!(
        store.mark_read(&alice, &lobby, 7).await.expect("mark"),
        marked(5, 7)
    );
    let dm = private("alice", "bob");
    assert_eq!(
        store.mark_read(&alice, &dm, 2).await.expect("mark"),
        marked(0, 2)
    );
}

/// A replay holds the newest `limit` of the user's messages; the older ones are named by the
/// cut, for `history` (before the cap, the oldest `limit` came, and nothing said more existed).
async fn missed_replays_the_newest_and_says_where_it_cut(store: SqlStore) {
    accounts(&store, &["alice", "bob", "carol"]).await;
    join(&store, "alice", "rust").await;
    let batch = vec![
        to_room("bob", "lobby", "1", None),
        to_room("bob", "rust", "2", None),
        to_user("bob", "alice", "3"),
        to_room("bob", "go", "4", None),
        to_room("bob", "rust", "5", None),
        to_user("bob", "carol", "6"),
        to_user("alice", "carol", "7"),
        to_room("carol", "lobby", "8", None),
        to_room("bob", "go", "9", None),
    ];
    append_new(&store, batch).await;
    let alice = name("alice");
    // Alice's messages above 1 are 2, 3, 5, 7 and 8: the newest three come, 2 and 3 do not.
    let cut = store.missed(&alice, 1, 9, 3).await.expect("missed");
    assert_eq!(ids(&cut.messages), [5, 7, 8]);
    assert_eq!(
        cut.cut,
        Some(ReplayCut {
            after: 1,
            before: 5
        })
    );
    // Exactly as many as the limit: no cut.
    let whole = store.missed(&alice, 1, 9, 5).await.expect("missed");
    assert_eq!(ids(&whole.messages), [2, 3, 5, 7, 8]);
    assert_eq!(whole.cut, None);
    // Nothing replayed at all: the whole range is the cut.
    let none = store.missed(&alice, 1, 9, 0).await.expect("missed");
    assert!(none.messages.is_empty());
    assert_eq!(
        none.cut,
        Some(ReplayCut {
            after: 1,
            before: 10
        })
    );
    // Nothing missed: no cut, even with no room for any.
    let nothing = store.missed(&alice, 8, 9, 0).await.expect("missed");
    assert_eq!(nothing, Default::default());
}

/// `read` far above the newest id stops at the newest id, so a later message is unread
/// (before the clamp, `u64::MAX` was stored as `i64::MAX` and nothing was ever unread again).
async fn read_markers_stop_at_the_newest_message(store: SqlStore) {
    accounts(&store, &["alice", "bob"]).await;
    let batch = vec![
        to_room("bob", "lobby", "1", None),
        to_user("bob", "alice", "2"),
        to_room("bob", "lobby", "3", None),
    ];
    append_new(&store, batch).await;
    let alice = name("alice");
    let lobby = Conversation::Room(RoomName::lobby());
    let marked = store
        .mark_read(&alice, &lobby, u64::MAX)
        .await
        .expect("mark");
    assert_eq!(marked.up_to, 3);
    let dm = private("alice", "bob");
    assert_eq!(
        store
            .mark_read(&alice, &dm, 1 << 40)
            .await
            .expect("mark")
            .up_to,
        2
    );
    let empty = private("alice", "alice");
    assert_eq!(
        store
            .mark_read(&alice, &empty, 9)
            .await
            .expect("mark")
            .up_to,
        0
    );
    append_new(&store, vec![to_room("bob", "lobby", "4", None)]).await;
    let lobby_now = store
        .conversations(&alice, &[RoomName::lobby()])
        .await
        .expect("conversations")
        .into_iter()
        .find(|c| c.target == in_room("lobby"))
        .expect("the lobby");
    assert_eq!((lobby_now.read_up_to, lobby_now.unread), (3, 1));
}

/// The same `req` for another body, room, recipient or kind of message is a conflict, never
/// answered with the other message's id (before: `Repeat` of message 1, the new one dropped).
async fn a_reused_req_with_other_content_conflicts(store: SqlStore) {
    accounts(&store, &["alice", "bob"]).await;
    assert_eq!(
        append_new(&store, vec![to_room("alice", "lobby", "hello", Some("r1"))]).await,
        [1]
    );
    let mut to_bob = to_user("alice", "bob", "hello");
    to_bob.req = Some("r1".to_owned());
    let batch = vec![
        to_room("alice", "lobby", "other body", Some("r1")),
        to_room("alice", "rust", "hello", Some("r1")),
        to_bob,
        to_room("ALICE", "lobby", "hello", Some("r1")),
        to_room("alice", "lobby", "a", Some("r2")),
        to_room("alice", "lobby", "b", Some("r2")),
        to_room("alice", "lobby", "a", Some("r2")),
    ];
    let stored = store.append(&batch).await.expect("append");
    assert_eq!(
        answers(&stored),
        [
            (0, 0, false),
            (0, 0, false),
            (0, 0, false),
            (1, 1_000, true),
            (2, 1_000, false),
            (0, 0, false),
            (2, 1_000, true),
        ]
    );
    assert!(matches!(stored[0], Appended::Conflict));
    assert_eq!(store.last_id().await.expect("last id"), 2);
    assert_eq!(
        bodies(&store.since(0, 10).await.expect("since")),
        ["hello", "a"]
    );
}

async fn deleting_an_account_takes_its_private_messages_only(store: SqlStore) {
    accounts(&store, &["alice", "bob", "carol"]).await;
    let session = SessionId("cc".repeat(32));
    store
        .create_session(&NewSession::bare(session.clone()), &name("alice"))
        .await
        .expect("session");
    join(&store, "alice", "rust").await;
    let batch = vec![
        to_room("alice", "lobby", "room message stays", None),
        to_user("alice", "bob", "goes"),
        to_user("bob", "alice", "goes too"),
        to_user("bob", "carol", "stays"),
        to_room("alice", "rust", "stays too", None),
    ];
    append_new(&store, batch).await;

    store.delete_account(&name("Alice")).await.expect("delete");
    assert!(store
        .find_account(&name("alice"))
        .await
        .expect("find")
        .is_none());
    assert!(store.find_session(&session).await.expect("find").is_none());
    assert!(store.memberships().await.expect("memberships").is_empty());
    let left = store.since(0, 100).await.expect("since");
    assert_eq!(bodies(&left), ["room message stays", "stays", "stays too"]);
    // The name is free again, with nothing of the old owner's private past.
    store
        .create_account(&name("ALICE"), None, None)
        .await
        .expect("reclaim");
    let got = store
        .conversations(&name("alice"), &[])
        .await
        .expect("conversations");
    assert!(got.is_empty(), "{got:?}");
    // Nor do the other participants still list the conversations.
    let got = store
        .conversations(&name("bob"), &[])
        .await
        .expect("conversations");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].target, with_user("carol"));

    // A new conversation with the new owner starts empty, under the name as now written.
    let new = append_new(&store, vec![to_user("bob", "ALICE", "hello again")]).await;
    let got = store
        .conversations(&name("bob"), &[])
        .await
        .expect("conversations");
    assert_eq!(
        got.iter().map(|c| c.target.clone()).collect::<Vec<_>>(),
        [with_user("ALICE"), with_user("carol")]
    );
    assert_eq!(got[0].last_id, new[0]);
    let (page, complete) = store
        .history(&private("bob", "alice"), None, 10)
        .await
        .expect("history");
    assert_eq!(bodies(&page), ["hello again"]);
    assert!(complete);
}

async fn large_batches_are_stored_whole(store: SqlStore) {
    // More than one multi-row INSERT and one look-up statement hold; every even message past
    // the thousandth repeats the one a thousand before it.
    let batch: Vec<NewMessage> = (0..1_100)
        .map(|i| {
            let req = format!("r{}", i % 1_000);
            let sender = match i {
                0..1_000 => format!("user{}", i % 7),
                _ if i % 2 == 0 => format!("user{}", (i - 1_000) % 7),
                _ => "stranger".to_owned(),
            };
            to_room(&sender, "lobby", &(i % 1_000).to_string(), Some(&req))
        })
        .collect();
    let stored = store.append(&batch).await.expect("append");
    assert_eq!(stored.len(), batch.len());
    let mut next = 1;
    let answers = answers(&stored);
    for (i, &(id, _, repeat)) in answers.iter().enumerate() {
        let repeats = i >= 1_000 && i % 2 == 0;
        assert_eq!(repeat, repeats, "message {i}");
        if repeats {
            assert_eq!(id, answers[i - 1_000].0, "message {i}");
        } else {
            assert_eq!(id, next, "message {i}");
            next += 1;
        }
    }
    assert_eq!(next, 1_051);
    let all = store.since(0, 2_000).await.expect("since");
    assert_eq!(ids(&all), (1..next).collect::<Vec<_>>());

    // Sent again, all of it is found stored.
    let again = store.append(&batch).await.expect("append again");
    let first_ids: Vec<u64> = answers.iter().map(|a| a.0).collect();
    let again_ids: Vec<u64> = again.iter().filter_map(|a| Some(a.message()?.id)).collect();
    assert_eq!(again_ids, first_ids);
    assert!(again.iter().all(|a| matches!(a, Appended::Repeat(_))));
    assert_eq!(store.last_id().await.expect("last id"), next - 1);
}

/// Every column of every message in a batch is stored as it was sent, however the engine takes
/// the batch in (SQLite: as one JSON array): bodies with quotes, backslashes, line breaks and
/// characters beyond ASCII, a reply, a `req`, room and private messages; the private message
/// whose recipient blocks its sender is hidden from that recipient only.
async fn a_batch_is_stored_as_it_was_sent(store: SqlStore) {
    accounts(&store, &["ann", "Bob", "carol"]).await;
    store
        .block(&name("carol"), &name("ann"))
        .await
        .expect("block");
    let first = append_new(&store, vec![to_room("ann", "lobby", "first", None)]).await[0];
    let mut reply = to_room("Bob", "lobby", "re: \"first\" \\ 1\n2\t✓ 日本", Some("r-1"));
    reply.reply_to = Some(first);
    let mut later = to_user("ann", "Bob", "{\"json\": [1, 2]} 🎉 '--");
    later.at = 2_000;
    let batch = vec![
        reply,
        to_user("ann", "carol", "hidden from carol"),
        later,
        to_user("Bob", "ann", "x"),
    ];
    let ids = append_new(&store, batch.clone()).await;
    assert_eq!(ids, (first + 1..=first + 4).collect::<Vec<_>>());
    let read = store.since(first, 10).await.expect("since");
    assert_eq!(read.len(), batch.len());
    for (i, (message, sent)) in read.iter().zip(&batch).enumerate() {
        assert_eq!(message.id, ids[i], "message {i}");
        assert_eq!(message.from, sent.from, "message {i}");
        assert_eq!(message.to, sent.to, "message {i}");
        assert_eq!(message.body, sent.body, "message {i}");
        assert_eq!(message.at, sent.at, "message {i}");
        let hidden = (i == 1).then(|| "carol".to_owned());
        assert_eq!(message.hidden_for, hidden, "message {i}");
    }
    assert_eq!(
        read[0].details.reply.as_ref().map(|quote| quote.id),
        Some(first)
    );
    // The `req` was stored with its message: sent again, it is a repeat.
    let again = store.append(&batch[..1]).await.expect("append again");
    assert_eq!(answers(&again), vec![(ids[0], 1_000, true)]);
    assert_eq!(store.last_id().await.expect("last id"), first + 4);
}

async fn private_conversations_list_both_participants_once(store: SqlStore) {
    // Pairs repeated within a batch, in both directions, across batches, and with oneself.
    let first = vec![
        to_user("alice", "bob", "1"),
        to_user("bob", "alice", "2"),
        to_user("alice", "bob", "3"),
        to_user("carol", "alice", "4"),
        to_user("alice", "alice", "5: a note to self"),
        to_user("alice", "alice", "6"),
    ];
    append_new(&store, first).await;
    let second = vec![to_user("bob", "alice", "7"), to_user("bob", "carol", "8")];
    append_new(&store, second).await;

    let listed = |name: &'static str| {
        let store = store.clone();
        async move {
            store
                .conversations(&self::name(name), &[])
                .await
                .expect("conversations")
                .into_iter()
                .map(|c| (c.target, c.last_id, c.unread))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        listed("alice").await,
        [
            (with_user("bob"), 7, 2),
            (with_user("alice"), 6, 0),
            (with_user("carol"), 4, 1),
        ]
    );
    assert_eq!(
        listed("bob").await,
        [(with_user("carol"), 8, 0), (with_user("alice"), 7, 2)]
    );
    assert_eq!(
        listed("carol").await,
        [(with_user("bob"), 8, 1), (with_user("alice"), 4, 0)]
    );
    // Everyone's missed messages: their private conversations and nothing else.
    let missed = |name: &'static str| {
        let store = store.clone();
        async move {
            ids(&store
                .missed(&self::name(name), 0, 8, 100)
                .await
                .expect("missed")
                .messages)
        }
    };
    assert_eq!(missed("alice").await, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(missed("bob").await, [1, 2, 3, 7, 8]);
    assert_eq!(missed("carol").await, [4, 8]);
    assert!(missed("dave").await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// The tests that read the database itself, run on both engines

/// A connection to the database under test, apart from the store's.
/// With SQLite, the lists file beside the database (`chat-lists.db` beside `chat.db`) is
/// attached as `lists`, as the store's connections have it.
async fn raw(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let lists = url.strip_prefix("sqlite:").map(|rest| {
        let db = std::path::Path::new(rest.split('?').next().unwrap_or_default());
        assert_eq!(db.file_name().and_then(|n| n.to_str()), Some("chat.db"));
        db.with_file_name("chat-lists.db")
            .to_string_lossy()
            .into_owned()
    });
    sqlx::pool::PoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let lists = lists.clone();
            Box::pin(async move {
                if let Some(file) = lists {
                    sqlx::query("ATTACH DATABASE $1 AS lists")
                        .bind(file)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .expect("connect")
}

/// Every row of the conversation lists, sorted, once they cover every stored message: on
/// SQLite in the lists file, on PostgreSQL in the database.
async fn listed_pairs(store: &SqlStore, db: &sqlx::AnyPool) -> Vec<(String, String, String)> {
    store.catch_up_lists().await.expect("catch up");
    let table = match store.engine() {
        "sqlite" => "lists.private_conversations",
        _ => "private_conversations",
    };
    let rows = sqlx::query(&format!(
        "SELECT name_key, conversation, other_key FROM {table} \
         ORDER BY name_key, conversation"
    ))
    .fetch_all(db)
    .await
    .expect("private conversations");
    rows.iter()
        .map(|row| {
            (
                row.try_get("name_key").expect("name_key"),
                row.try_get("conversation").expect("conversation"),
                row.try_get("other_key").expect("other_key"),
            )
        })
        .collect()
}

/// `(name, conversation, other)` rows from short literals.
fn pairs(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, c, b)| ((*a).to_owned(), (*c).to_owned(), (*b).to_owned()))
        .collect()
}

async fn append_lists_each_pair_once_per_participant(url: String) {
    let store = open_store(&StoreAt::Url(url.clone()), &Tasks::new())
        .await
        .expect("open");
    let db = raw(&url).await;
    let batch = vec![
        to_user("Alice", "Bob", "1"),
        to_user("bob", "alice", "2"),
        to_user("Alice", "Bob", "3"),
        to_room("alice", "lobby", "4", None),
        to_user("alice", "alice", "5"),
    ];
    append_new(&store, batch).await;
    let after_first = pairs(&[
        ("alice", "dm:alice:alice", "alice"),
        ("alice", "dm:alice:bob", "bob"),
        ("bob", "dm:alice:bob", "alice"),
    ]);
    assert_eq!(listed_pairs(&store, &db).await, after_first);

    // Pairs listed before cost nothing and change nothing; a new one is listed twice.
    append_new(&store, vec![to_user("BOB", "alice", "6")]).await;
    assert_eq!(listed_pairs(&store, &db).await, after_first);
    append_new(
        &store,
        vec![to_user("alice", "bob", "7"), to_user("carol", "bob", "8")],
    )
    .await;
    let mut expected = after_first.clone();
    expected.extend(pairs(&[
        ("bob", "dm:bob:carol", "carol"),
        ("carol", "dm:bob:carol", "bob"),
    ]));
    expected.sort();
    assert_eq!(listed_pairs(&store, &db).await, expected);

    // A repeated `req` stores nothing, and lists nothing either.
    let mut with_req = to_user("dave", "erin", "9");
    with_req.req = Some("r1".to_owned());
    append_new(&store, vec![with_req.clone()]).await;
    let stored = store.append(&[with_req]).await.expect("append");
    assert!(matches!(stored[0], Appended::Repeat(_)));
    assert_eq!(listed_pairs(&store, &db).await.len(), expected.len() + 2);

    db.close().await;
    store.close().await;
}

/// Read markers stored above every id by a server without the clamp are brought back to
/// their conversation's newest message when the store opens; the others are left alone.
async fn upgrading_to_0004_clamps_read_markers(url: String) {
    let db = raw(&url).await;
    testkit::migrate_before(&db, "0004").await;
    sqlx::query(
        "INSERT INTO accounts (name_key, name, password_hash, created_at) \
         VALUES ('alice', 'alice', NULL, 0)",
    )
    .execute(&db)
    .await
    .expect("account");
    for (id, conversation) in [(1_i64, "room:lobby"), (2, "room:rust"), (3, "room:lobby")] {
        sqlx::query(
            "INSERT INTO messages (id, conversation, room, sender_key, sender, body, at) \
             VALUES ($1, $2, $3, 'alice', 'alice', 'x', 0)",
        )
        .bind(id)
        .bind(conversation)
        .bind(conversation.trim_start_matches("room:"))
        .execute(&db)
        .await
        .expect("message");
    }
    sqlx::query("UPDATE sequences SET value = 3 WHERE name = 'messages'")
        .execute(&db)
        .await
        .expect("sequence");
    // As `read` stored them: `u64::MAX` became `i64::MAX`.
    for (conversation, up_to) in [
        ("room:lobby", i64::MAX),
        ("room:rust", 3),
        ("room:go", 1_000),
        ("dm:alice:bob", 2),
    ] {
        sqlx::query(
            "INSERT INTO read_markers (name_key, conversation, up_to) VALUES ('alice', $1, $2)",
        )
        .bind(conversation)
        .bind(up_to)
        .execute(&db)
        .await
        .expect("marker");
    }

    let store = open_store(&StoreAt::Url(url.clone()), &Tasks::new())
        .await
        .expect("open and upgrade");
    let markers: Vec<(String, i64)> =
        sqlx::query("SELECT conversation, up_to FROM read_markers ORDER BY conversation")
            .fetch_all(&db)
            .await
            .expect("markers")
            .iter()
            .map(|row| (row.get("conversation"), row.get("up_to")))
            .collect();
    let expected = [
        ("dm:alice:bob", 2),
        ("room:go", 0),
        ("room:lobby", 3),
        ("room:rust", 3),
    ];
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(c, up_to)| (c.to_string(), *up_to))
        .collect();
    assert_eq!(markers, expected);
    db.close().await;
    store.close().await;
}

/// A database created before `private_conversations` existed, holding private messages, is
/// brought up to date when a store opens it: its conversations are listed, replayed and
/// deleted as before, and stored `req`s are still found.
async fn upgrading_from_0002_keeps_private_conversations(url: String) {
    let db = raw(&url).await;
    // The first two migrations only.
    testkit::migrate_before(&db, "0003").await;
    for who in ["Alice", "Bob", "Carol"] {
        sqlx::query(
            "INSERT INTO accounts (name_key, name, password_hash, created_at) \
             VALUES ($1, $2, NULL, 0)",
        )
        .bind(who.to_ascii_lowercase())
        .bind(who)
        .execute(&db)
        .await
        .expect("account");
    }
    // As the store wrote them before: private messages carry both names.
    let old_messages = [
        (
            1_i64,
            "dm:alice:bob",
            None,
            "Bob",
            Some("Alice"),
            Some("b1"),
        ),
        (2, "room:lobby", Some("lobby"), "Alice", None, Some("a1")),
        (3, "dm:alice:carol", None, "Alice", Some("Carol"), None),
        (4, "dm:alice:carol", None, "Carol", Some("Alice"), None),
        (5, "dm:bob:carol", None, "Bob", Some("Carol"), None),
        (6, "dm:alice:alice", None, "Alice", Some("Alice"), None),
    ];
    for (id, conversation, room, sender, recipient, req) in old_messages {
        sqlx::query(
            "INSERT INTO messages (id, conversation, room, sender_key, sender, recipient_key, \
             recipient, body, at, req) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(conversation)
        .bind(room)
        .bind(sender.to_ascii_lowercase())
        .bind(sender)
        .bind(recipient.map(str::to_ascii_lowercase))
        .bind(recipient)
        .bind(format!("old {id}"))
        .bind(1_000 + id)
        .bind(req)
        .execute(&db)
        .await
        .expect("old message");
    }
    sqlx::query("UPDATE sequences SET value = 6 WHERE name = 'messages'")
        .execute(&db)
        .await
        .expect("sequence");

    let store = open_store(&StoreAt::Url(url.clone()), &Tasks::new())
        .await
        .expect("open and upgrade");
    assert_eq!(
        listed_pairs(&store, &db).await,
        pairs(&[
            ("alice", "dm:alice:alice", "alice"),
            ("alice", "dm:alice:bob", "bob"),
            ("alice", "dm:alice:carol", "carol"),
            ("bob", "dm:alice:bob", "alice"),
            ("bob", "dm:bob:carol", "carol"),
            ("carol", "dm:alice:carol", "alice"),
            ("carol", "dm:bob:carol", "bob"),
        ])
    );
    let alice = name("alice");
    let listed: Vec<(Target, u64)> = store
        .conversations(&alice, &[])
        .await
        .expect("conversations")
        .into_iter()
        .map(|c| (c.target, c.last_id))
        .collect();
    assert_eq!(
        listed,
        [
            (with_user("Alice"), 6),
            (with_user("Carol"), 4),
            (with_user("Bob"), 1)
        ]
    );
    let missed = store
        .missed(&alice, 0, 6, 100)
        .await
        .expect("missed")
        .messages;
    assert_eq!(ids(&missed), [1, 2, 3, 4, 6]);
    assert_eq!(missed[0].from.as_str(), "Bob");
    assert_eq!(missed[0].to, Destination::User(name("Alice")));

    // Stored `req`s are found in the new index; messages without one are as many as ever.
    let mut resend = to_user("bob", "alice", "old 1");
    resend.req = Some("b1".to_owned());
    let stored = store
        .append(&[
            resend,
            to_user("bob", "alice", "7"),
            to_user("bob", "alice", "8"),
        ])
        .await
        .expect("append");
    assert_eq!(
        answers(&stored),
        [(1, 1_001, true), (7, 1_000, false), (8, 1_000, false)]
    );
    let twin = sqlx::query(
        "INSERT INTO messages (id, conversation, room, sender_key, sender, body, at, req) \
         VALUES (100, 'room:lobby', 'lobby', 'alice', 'Alice', 'twin', 0, 'a1')",
    )
    .execute(&db)
    .await;
    assert!(twin.is_err(), "a (sender, req) pair is still unique");

    // Deleting Alice takes her conversations for everyone, and nothing else.
    store.delete_account(&alice).await.expect("delete");
    assert_eq!(
        listed_pairs(&store, &db).await,
        pairs(&[
            ("bob", "dm:bob:carol", "carol"),
            ("carol", "dm:bob:carol", "bob"),
        ])
    );
    assert_eq!(
        bodies(&store.since(0, 100).await.expect("since")),
        ["old 2", "old 5"]
    );
    db.close().await;
    store.close().await;
}

// ---------------------------------------------------------------------------------------------
// SQLite only: the conversation lists in a file of their own

/// Each of `names`' private conversations as `conversations` lists them: (with whom, last id,
/// unread).
async fn private_lists(store: &SqlStore, names: &[&str]) -> Vec<Vec<(Target, u64, u64)>> {
    let mut all = Vec::new();
    for who in names {
        let listed = store
            .conversations(&name(who), &[])
            .await
            .expect("conversations");
        all.push(
            listed
                .into_iter()
                .map(|c| (c.target, c.last_id, c.unread))
                .collect(),
        );
    }
    all
}

/// The conversation lists read the same whether the lists file covers the newest messages yet
/// or not, and deleting an account takes its conversations from both.
#[tokio::test]
async fn sqlite_lists_read_the_same_before_and_after_they_catch_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_store(&StoreAt::Dir(dir.path().to_path_buf()), &Tasks::new())
        .await
        .expect("open");
    accounts(&store, &["alice", "bob", "carol", "dave"]).await;
    let first = vec![
        to_user("alice", "bob", "1"),
        to_user("carol", "alice", "2"),
        to_user("bob", "carol", "3"),
        to_room("bob", "lobby", "4", None),
    ];
    append_new(&store, first).await;
    assert_eq!(store.catch_up_lists().await.expect("catch up"), 4);
    // Not covered yet: a conversation listed before, a new one, one with oneself.
    let second = vec![
        to_user("dave", "alice", "5"),
        to_user("bob", "alice", "6"),
        to_user("alice", "alice", "7"),
    ];
    append_new(&store, second).await;
    let users = ["alice", "bob", "carol", "dave"];
    let expected = vec![
        vec![
            (with_user("alice"), 7, 0),
            (with_user("bob"), 6, 1),
            (with_user("dave"), 5, 1),
            (with_user("carol"), 2, 1),
        ],
        vec![(with_user("alice"), 6, 1), (with_user("carol"), 3, 0)],
        vec![(with_user("bob"), 3, 1), (with_user("alice"), 2, 0)],
        vec![(with_user("alice"), 5, 0)],
    ];
    assert_eq!(private_lists(&store, &users).await, expected);
    assert_eq!(store.catch_up_lists().await.expect("catch up"), 3);
    assert_eq!(private_lists(&store, &users).await, expected);
    assert_eq!(store.catch_up_lists().await.expect("catch up"), 0);

    // Alice goes with conversations covered (bob, carol, herself, dave) and one not yet (erin).
    append_new(&store, vec![to_user("erin", "alice", "8")]).await;
    store.delete_account(&name("alice")).await.expect("delete");
    let left = vec![
        vec![],
        vec![(with_user("carol"), 3, 0)],
        vec![(with_user("bob"), 3, 1)],
        vec![],
    ];
    assert_eq!(private_lists(&store, &users).await, left);
    assert!(private_lists(&store, &["erin"]).await[0].is_empty());
    assert_eq!(store.catch_up_lists().await.expect("catch up"), 0);
    assert_eq!(private_lists(&store, &users).await, left);
    assert_eq!(
        bodies(&store.since(0, 100).await.expect("since")),
        ["3", "4"]
    );
    store.close().await;
}

/// History pages, newest ids, read markers and unread counts come from the lists file's
/// `(conversation, id)` entries up to the id it covers and from the messages above it: the
/// same answers with the newest messages covered or not.
#[tokio::test]
async fn sqlite_history_reads_the_same_before_and_after_the_lists_catch_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_store(&StoreAt::Dir(dir.path().to_path_buf()), &Tasks::new())
        .await
        .expect("open");
    accounts(&store, &["alice", "bob", "carol"]).await;
    join(&store, "carol", "rust").await;
    let covered = vec![
        to_user("alice", "bob", "a1"),
        to_room("bob", "rust", "r1", None),
        to_user("bob", "alice", "b1"),
        to_room("alice", "rust", "r2", None),
    ];
    assert_eq!(append_new(&store, covered).await, [1, 2, 3, 4]);
    assert_eq!(store.catch_up_lists().await.expect("catch up"), 4);
    let above = vec![
        to_user("alice", "bob", "a2"),
        to_room("carol", "rust", "r3", None),
        to_user("bob", "alice", "b2"),
    ];
    assert_eq!(append_new(&store, above).await, [5, 6, 7]);
    // Arriving in the room marks all of it read, its newest message not covered yet.
    join(&store, "alice", "rust").await;

    let read = |store: SqlStore| async move {
        let mut pages = Vec::new();
        let mut before = None;
        loop {
            let (page, complete) = store
                .history(&private("alice", "bob"), before, 2)
                .await
                .expect("history");
            before = page.first().map(|m| m.id);
            pages.push((ids(&page), complete));
            if complete {
                break;
            }
        }
        let (rust, complete) = store
            .history(&Conversation::Room(room("rust")), None, 10)
            .await
            .expect("history");
        let mut standing = Vec::new();
        for who in ["alice", "carol"] {
            for c in store
                .conversations(&name(who), &[room("rust")])
                .await
                .expect("conversations")
            {
                standing.push((who, c.target, c.last_id, c.read_up_to, c.unread));
            }
        }
        (pages, bodies(&rust).join(" "), complete, standing)
    };
    let expected = (
        vec![(vec![5, 7], false), (vec![1, 3], true)],
        "r1 r2 r3".to_owned(),
        true,
        vec![
            ("alice", in_room("rust"), 6, 6, 0),
            ("alice", with_user("bob"), 7, 0, 2),
            ("carol", in_room("rust"), 6, 0, 2),
        ],
    );
    assert_eq!(read(store.clone()).await, expected);
    assert_eq!(store.catch_up_lists().await.expect("catch up"), 3);
    assert_eq!(read(store.clone()).await, expected);
    store.close().await;
}

/// The task catches the lists up by itself; `chat.db` holds no copy of them; a lost lists file
/// is rebuilt from the messages as the store opens, and reads the same.
#[tokio::test]
async fn sqlite_lists_catch_up_by_themselves_and_are_rebuilt_when_lost() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("chat.db").display());
    let store = open_store(&StoreAt::Dir(dir.path().to_path_buf()), &Tasks::new())
        .await
        .expect("open");
    let db = raw(&url).await;
    let batch: Vec<NewMessage> = (0..30)
        .map(|i| to_user(&format!("user{}", i % 6), &format!("user{}", i % 5), "hi"))
        .collect();
    append_new(&store, batch).await;
    let users = ["user0", "user1", "user2", "user3", "user4", "user5"];
    let expected = private_lists(&store, &users).await;
    assert!(expected.iter().all(|listed| !listed.is_empty()));

    // Rounds run every second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let up_to: i64 = sqlx::query_scalar(
            "SELECT up_to FROM lists.indexed WHERE name = 'private_conversations'",
        )
        .fetch_one(&db)
        .await
        .expect("the id the lists cover");
        if up_to == 30 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lists stayed at {up_to}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'private_conversations'",
    )
    .fetch_one(&db)
    .await
    .expect("tables");
    assert_eq!(tables, 0, "chat.db keeps no copy of the lists");
    let rows = listed_pairs(&store, &db).await;
    db.close().await;
    store.close().await;

    for file in ["chat-lists.db", "chat-lists.db-wal", "chat-lists.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(file));
    }
    let store = open_store(&StoreAt::Dir(dir.path().to_path_buf()), &Tasks::new())
        .await
        .expect("reopen");
    assert_eq!(private_lists(&store, &users).await, expected);
    let db = raw(&url).await;
    let (up_to, entries): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT up_to FROM lists.indexed WHERE name = 'private_conversations'), \
             (SELECT COUNT(*) FROM lists.conversation_ids)",
    )
    .fetch_one(&db)
    .await
    .expect("the rebuilt file");
    assert_eq!((up_to, entries), (30, 30), "rebuilt as the store opens");
    assert_eq!(listed_pairs(&store, &db).await, rows);
    assert_eq!(private_lists(&store, &users).await, expected);
    db.close().await;
    store.close().await;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL only: several nodes on one database

/// Two stores on one schema are two nodes: appending concurrently from several tasks on each,
/// ids come out unique and without gaps, and `since` lists them in id order.
#[tokio::test]
async fn postgres_nodes_share_one_id_sequence() {
    const TASKS_PER_NODE: usize = 4;
    const BATCHES: usize = 20;
    const BATCH: usize = 10;
    let schema = Schema::create().await;
    let url = schema.url();
    let outcome = tokio::spawn(async move {
        let nodes = [
            open_store(&StoreAt::Url(url.clone()), &Tasks::new())
                .await
                .expect("node a"),
            open_store(&StoreAt::Url(url.clone()), &Tasks::new())
                .await
                .expect("node b"),
        ];
        let mut tasks = Vec::new();
        for (n, node) in nodes.iter().enumerate() {
            for t in 0..TASKS_PER_NODE {
                let node = node.clone();
                tasks.push(tokio::spawn(async move {
                    let sender = format!("n{n}t{t}");
                    let mut ids = Vec::new();
                    for b in 0..BATCHES {
                        // Half the writers send without `req`: their batches take the
                        // sequence's lock with the bump itself, the others before a look-up.
                        let batch: Vec<NewMessage> = (0..BATCH)
                            .map(|i| {
                                let req = format!("{b}-{i}");
                                to_room(&sender, "lobby", &req, (t % 2 == 0).then_some(&*req))
                            })
                            .collect();
                        let stored = node.append(&batch).await.expect("append");
                        let batch_ids: Vec<u64> = stored
                            .iter()
                            .filter_map(|a| Some(a.message()?.id))
                            .collect();
                        assert!(
                            batch_ids.windows(2).all(|w| w[1] == w[0] + 1),
                            "a batch gets consecutive ids: {batch_ids:?}"
                        );
                        ids.extend(batch_ids);
                    }
                    ids
                }));
            }
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("appending task"));
        }
        all.sort_unstable();
        let total = (2 * TASKS_PER_NODE * BATCHES * BATCH) as u64;
        assert_eq!(all, (1..=total).collect::<Vec<_>>(), "unique and gap-free");
        let limit = u32::try_from(total).expect("small") + 10;
        for node in &nodes {
            let seen = node.since(0, limit).await.expect("since");
            assert_eq!(ids(&seen), (1..=total).collect::<Vec<_>>());
            assert_eq!(node.last_id().await.expect("last id"), total);
        }
        for node in &nodes {
            node.close().await;
        }
    })
    .await;
    drop(schema);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Both engines' URL forms open a store; anything else is refused without echoing the URL.
#[tokio::test]
async fn database_urls_choose_the_engine() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("other.db").display());
    let store = open_store(&StoreAt::Url(url.clone()), &Tasks::new())
        .await
        .expect("sqlite URL");
    assert_eq!(store.engine(), "sqlite");
    store.close().await;
    assert!(dir.path().join("other.db").exists());

    let refused = open_store(
        &StoreAt::Url("mysql://user:secret@host/db".into()),
        &Tasks::new(),
    )
    .await;
    let error = refused.expect_err("MySQL is not spoken").to_string();
    assert!(!error.contains("secret"), "{error}");

    let schema = Schema::create().await;
    let url = schema.url().replacen("postgres://", "postgresql://", 1);
    let store = open_store(&StoreAt::Url(url.clone()), &Tasks::new()).await;
    let engine = store.as_ref().map(|s| s.engine());
    if let Ok(store) = &store {
        store.close().await;
    }
    drop(schema);
    assert_eq!(engine.expect("postgresql URL"), "postgres");
}

/// A change by `by` of message `id` (the store fills in its place and destination).
fn change(by: &str, id: u64, kind: ChangeKind, body: &str) -> NewMessage {
    NewMessage {
        change: Some(Change {
            message: id,
            kind,
            place: shared::Place::Room {
                room: String::new(),
            },
        }),
        ..to_room(by, "lobby", body, None)
    }
}

async fn changes_take_ids_and_show_in_history_since_and_missed(store: SqlStore) {
    accounts(&store, &["alice", "bob", "carol"]).await;
    let sent = append_new(
        &store,
        vec![
            to_room("alice", "lobby", "frist", None),
            to_user("alice", "bob", "private"),
        ],
    )
    .await;
    let (public, private) = (sent[0], sent[1]);
    let changes = append_new(
        &store,
        vec![
            change("alice", public, ChangeKind::Edit, "first"),
            change("bob", public, ChangeKind::React("👍".into()), ""),
            change("carol", public, ChangeKind::React("👍".into()), ""),
            change("bob", private, ChangeKind::React("🎉".into()), ""),
        ],
    )
    .await;
    assert_eq!(changes, [3, 4, 5, 6], "the same sequence as messages");
    // A reaction already there changes nothing; a third user's private access is the
    // command's to refuse, but a deleted message refuses edits here.
    let again = store
        .append(&[change("bob", public, ChangeKind::React("👍".into()), "")])
        .await
        .expect("append");
    assert!(matches!(again[0], Appended::Unchanged { id, .. } if id == public));

    let (page, _) = store
        .history(&Conversation::Room(RoomName::lobby()), None, 10)
        .await
        .expect("history");
    assert_eq!(page[0].body, "first");
    assert!(page[0].details.edited_at.is_some());
    assert_eq!(page[0].details.reactions[0].users, ["bob", "carol"]);
    let since = store.since(2, 10).await.expect("since");
    assert_eq!(ids(&since), [3, 4, 5, 6]);
    let missed = store.missed(&name("bob"), 2, 6, 100).await.expect("missed");
    // Bob's view: the edit and both reactions on the lobby message, and his own on theirs.
    assert_eq!(missed.messages.len(), 4, "{:?}", missed.messages);

    // Deleting bob's account takes his reactions and the private conversation's changes.
    store.delete_account(&name("bob")).await.expect("delete");
    let (page, _) = store
        .history(&Conversation::Room(RoomName::lobby()), None, 10)
        .await
        .expect("history");
    assert_eq!(page[0].details.reactions[0].users, ["carol"]);
    let since = store.since(2, 10).await.expect("since");
    assert!(!ids(&since).contains(&6), "{since:?}");

    // A deletion erases the body; an edit of a tombstone is refused.
    append_new(
        &store,
        vec![change("alice", public, ChangeKind::Delete, "")],
    )
    .await;
    let refused = store
        .append(&[change("alice", public, ChangeKind::Edit, "back")])
        .await
        .expect("append");
    assert!(matches!(
        refused[0],
        Appended::Refused(shared::ErrorCode::MessageDeleted, _)
    ));
    let (page, _) = store
        .history(&Conversation::Room(RoomName::lobby()), None, 10)
        .await
        .expect("history");
    assert!(page[0].details.deleted && page[0].body.is_empty());
    assert!(page[0].details.reactions.is_empty());
}

/// `readers`: the others' markers above 0, furthest along first, members only (the lobby:
/// everyone; a private conversation: the other participant), cut at the limit with `more`.
/// `passed_senders`: who sent the newest room messages in a range, each once.
async fn receipts_list_the_others_markers_and_whose_messages_a_marker_passed(store: SqlStore) {
    accounts(&store, &["Alice", "bob", "carol", "dave"]).await;
    for who in ["Alice", "bob", "carol"] {
        join(&store, who, "rust").await;
    }
    let batch = vec![
        to_room("Alice", "rust", "1", None),
        to_room("carol", "rust", "2", None),
        to_user("Alice", "bob", "3"),
        to_room("Alice", "rust", "4", None),
        to_room("bob", "lobby", "5", None),
        to_room("dave", "rust", "6", None),
    ];
    append_new(&store, batch).await;
    let rust = Conversation::Room(room("rust"));
    let lobby = Conversation::Room(RoomName::lobby());
    let mark = |who: &'static str, conversation: Conversation, up_to: u64| {
        let store = &store;
        async move {
            store
                .mark_read(&name(who), &conversation, up_to)
                .await
                .expect("mark")
        }
    };
    mark("bob", rust.clone(), 4).await;
    mark("carol", rust.clone(), 2).await;
    mark("dave", rust.clone(), 6).await; // no member: never listed
    mark("Alice", rust.clone(), 6).await; // the asker: never listed
    let readers = |who: &'static str, conversation: Conversation, limit: u32| {
        let store = &store;
        async move {
            store
                .readers(&name(who), &conversation, limit)
                .await
                .expect("readers")
        }
    };
    let listed = |pairs: &[(&str, u64)], more: bool| Readers {
        readers: pairs.iter().map(|(n, up)| ((*n).to_owned(), *up)).collect(),
        more,
    };
    assert_eq!(
        readers("alice", rust.clone(), 10).await,
        listed(&[("bob", 4), ("carol", 2)], false)
    );
    assert_eq!(
        readers("alice", rust.clone(), 1).await,
        listed(&[("bob", 4)], true)
    );
    assert_eq!(
        readers("bob", rust.clone(), 10).await,
        listed(&[("Alice", 6), ("carol", 2)], false)
    );
    // The lobby is everyone's (dave's marker counts there); markers at 0 are not listed.
    mark("dave", lobby.clone(), 5).await;
    mark("carol", lobby.clone(), 0).await;
    assert_eq!(
        readers("alice", lobby.clone(), 10).await,
        listed(&[("dave", 5)], false)
    );
    // A private conversation: the other participant only, seen from either side.
    mark("bob", private("bob", "alice"), 3).await;
    assert_eq!(
        readers("alice", private("alice", "bob"), 10).await,
        listed(&[("bob", 3)], false)
    );
    assert_eq!(
        readers("bob", private("bob", "alice"), 10).await,
        listed(&[], false)
    );
    assert_eq!(
        readers("carol", private("carol", "bob"), 10).await,
        listed(&[], false)
    );

    // Who sent the room messages in (after, up_to], the newest `limit` of them, each once;
    // private messages and other rooms never count.
    let passed = |after: u64, up_to: u64, limit: u32| {
        let store = &store;
        let rust = rust.clone();
        async move {
            let mut keys = store
                .passed_senders(&rust, after, up_to, limit)
                .await
                .expect("passed");
            keys.sort();
            keys
        }
    };
    assert_eq!(passed(0, 6, 10).await, ["alice", "carol", "dave"]);
    assert_eq!(passed(1, 4, 10).await, ["alice", "carol"]);
    assert_eq!(passed(2, 5, 10).await, ["alice"]);
    assert_eq!(passed(0, 6, 2).await, ["alice", "dave"]);
    assert_eq!(passed(6, 6, 10).await, Vec::<String>::new());
}

/// A search of everything `who` may read for `query`: the ids found, best first.
async fn search(store: &SqlStore, who: &str, query: &str) -> Vec<u64> {
    let query = SearchQuery {
        terms: shared::search::terms(query).expect("terms"),
        conversation: None,
        sender: None,
        since: 0,
        until: u64::MAX,
        limit: 50,
        offset: 0,
    };
    let page = store.search(&name(who), &query).await.expect("search");
    page.hits.iter().map(|(m, _)| m.id).collect()
}

/// The index follows every write: stored messages (private ones before SQLite's lists file
/// covers them, and after), edits, tombstones, deleted accounts' messages, and a released
/// name's new holder reads nothing private from before.
async fn search_follows_every_write_and_who_may_read(store: SqlStore) {
    accounts(&store, &["alice", "bob", "carol"]).await;
    join(&store, "alice", "rust").await;
    let sent = append_new(
        &store,
        vec![
            to_room("alice", "lobby", "quartz in the lobby", None),
            to_room("alice", "rust", "quartz in rust", None),
            to_user("alice", "bob", "quartz between us"),
            to_user("bob", "carol", "quartz for carol"),
        ],
    )
    .await;
    let [lobby, rust, ab, bc] = sent[..] else {
        panic!("{sent:?}")
    };
    // Before SQLite's lists file covers the private messages, and after.
    for round in 0..2 {
        let mut alice = search(&store, "alice", "quartz").await;
        alice.sort_unstable();
        assert_eq!(alice, [lobby, rust, ab], "round {round}");
        let mut bob = search(&store, "bob", "QUARTZ").await;
        bob.sort_unstable();
        assert_eq!(bob, [lobby, ab, bc], "round {round}");
        let mut carol = search(&store, "carol", "quar").await;
        carol.sort_unstable();
        assert_eq!(carol, [lobby, bc], "round {round}");
        store.catch_up_lists().await.expect("catch up");
    }
    // Marks are byte ranges of the body.
    let query = SearchQuery {
        terms: vec!["rust".into()],
        conversation: Some(Conversation::Room(room("rust"))),
        sender: Some(name("alice")),
        since: 0,
        until: u64::MAX,
        limit: 5,
        offset: 0,
    };
    let page = store.search(&name("alice"), &query).await.expect("search");
    assert_eq!(page.hits.len(), 1);
    assert_eq!(page.hits[0].1, [[10, 14]]);
    assert!(!page.more);
    // An edit: the new words only; a tombstone: none.
    append_new(
        &store,
        vec![
            change("alice", lobby, ChangeKind::Edit, "granite in the lobby"),
            change("alice", rust, ChangeKind::Delete, ""),
        ],
    )
    .await;
    assert_eq!(search(&store, "carol", "granite").await, [lobby]);
    let mut alice = search(&store, "alice", "quartz").await;
    alice.sort_unstable();
    assert_eq!(alice, [ab]);
    // Alice's account deleted: her private messages go, and the index with them.
    store.delete_account(&name("alice")).await.expect("delete");
    let mut bob = search(&store, "bob", "quartz").await;
    bob.sort_unstable();
    assert_eq!(bob, [bc]);
    // Carol's name released to a new holder: nothing private from before.
    store
        .replace_account(&name("carol"), None, None)
        .await
        .expect("replace");
    assert!(search(&store, "carol", "quartz").await.is_empty());
    assert_eq!(search(&store, "bob", "quartz").await, [bc], "bob keeps it");
}

async fn exports_page_the_authors_messages_and_tickets_work_once(store: SqlStore) {
    accounts(&store, &["ada", "bob"]).await;
    let mut batch = Vec::new();
    for i in 0..5 {
        batch.push(to_room("ada", "lobby", &format!("ada {i}"), None));
        batch.push(to_user("bob", "ada", &format!("bob {i}")));
    }
    batch.push(to_user("ada", "bob", "ada to bob"));
    let ids = append_new(&store, batch).await;
    let ada = name("ada");
    let first = store.authored(&ada, 0, 4).await.expect("authored");
    assert_eq!(bodies(&first), ["ada 0", "ada 1", "ada 2", "ada 3"]);
    let rest = store
        .authored(&ada, first[3].id, 4)
        .await
        .expect("authored");
    assert_eq!(bodies(&rest), ["ada 4", "ada to bob"]);
    assert_eq!(rest[1].to, Destination::User(name("bob")));
    assert_eq!(rest[1].id, ids[10]);
    assert!(store.authored(&ada, ids[10], 4).await.unwrap().is_empty());

    // A ticket is taken once, and not after it expired; a new one replaces the old.
    store.create_export_ticket("t1", &ada, 5_000).await.unwrap();
    assert_eq!(
        store.take_export_ticket("t1", 4_999).await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(store.take_export_ticket("t1", 4_999).await.unwrap(), None);
    store.create_export_ticket("t2", &ada, 5_000).await.unwrap();
    assert_eq!(store.take_export_ticket("t2", 5_000).await.unwrap(), None);
    store.create_export_ticket("t3", &ada, 9_000).await.unwrap();
    store.create_export_ticket("t4", &ada, 9_000).await.unwrap();
    store
        .create_export_ticket("b1", &name("bob"), 9_000)
        .await
        .unwrap();
    assert_eq!(store.take_export_ticket("t3", 1).await.unwrap(), None);
    assert_eq!(store.take_export_ticket("t4", 1).await.unwrap(), Some(ada));
    assert_eq!(
        store.take_export_ticket("b1", 1).await.unwrap(),
        Some(name("bob"))
    );
}
