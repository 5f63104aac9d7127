//! Safety in the store, on SQLite and on PostgreSQL: administrators and disabled accounts,
//! blocks and the private messages they hide (from every read of the blocker's), figures, and
//! retention (bounded batches, the oldest first, never a message newer than the cut, with
//! what hangs on the messages deleted).
//!
//! PostgreSQL is `TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/test`.

use backend::change::{Change, ChangeKind};
use backend::message::{Conversation, Destination, NewMessage};
use backend::store::{
    Appended, AttachmentRecord, Expiry, NewSession, Opening, Safety, SearchQuery, SessionId,
    SqlStore, Standing, Store,
};
use shared::{RoomName, UserName};
use testkit::{on_postgres, on_sqlite};

testkit::on_both_engines!(
    sqlite = on_sqlite, postgres = on_postgres:
    admins_and_disabled_accounts,
    an_opening_reads_the_sessions_standing_and_the_block_list,
    uploads_at_the_same_moment_take_turns_with_the_quota,
    blocked_private_messages_are_hidden_from_the_blocker_only,
    retention_deletes_the_oldest_in_batches_with_what_hangs_on_them,
);

fn name(raw: &str) -> UserName {
    UserName::parse(raw).expect("a valid name")
}

fn room(raw: &str) -> RoomName {
    RoomName::parse(raw).expect("a valid room")
}

fn message(from: &str, to: Destination, body: &str, at: u64) -> NewMessage {
    NewMessage {
        from: name(from),
        to,
        body: body.to_owned(),
        at,
        req: None,
        reply_to: None,
        change: None,
        attachments: Vec::new(),
    }
}

async fn append(store: &SqlStore, new: NewMessage) -> u64 {
    match &store.append(&[new]).await.expect("append")[0] {
        Appended::Stored(m) => m.id,
        other => panic!("not stored: {other:?}"),
    }
}

async fn account(store: &SqlStore, raw: &str) {
    store
        .create_account(&name(raw), None, None)
        .await
        .expect("account");
}

async fn admins_and_disabled_accounts(store: SqlStore) {
    account(&store, "Ann").await;
    let session = SessionId("ann-session".into());
    store
        .create_session(
            &backend::store::NewSession::bare(session.clone()),
            &name("ann"),
        )
        .await
        .unwrap();
    assert!(!store.is_admin(&name("ann")).await.unwrap());
    assert_eq!(
        store.set_admin(&name("ANN"), true).await.unwrap(),
        Some(name("Ann"))
    );
    assert!(store.is_admin(&name("ann")).await.unwrap());
    assert_eq!(
        store.set_admin(&name("ann"), false).await.unwrap(),
        Some(name("Ann"))
    );
    assert!(!store.is_admin(&name("ann")).await.unwrap());
    assert_eq!(store.set_admin(&name("nobody"), true).await.unwrap(), None);

    let owner = store
        .find_session(&session)
        .await
        .unwrap()
        .expect("session");
    assert!(!owner.account.disabled);
    assert_eq!(
        store.set_disabled(&name("ann"), true).await.unwrap(),
        Some(name("Ann"))
    );
    // The session stays (enabled again, it works); the account says it is disabled.
    let owner = store
        .find_session(&session)
        .await
        .unwrap()
        .expect("session");
    assert!(owner.account.disabled);
    assert!(
        store
            .find_account(&name("ann"))
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    let figures = store.figures().await.unwrap();
    assert_eq!((figures.accounts, figures.disabled_accounts), (1, 1));
    store.set_disabled(&name("ann"), false).await.unwrap();
    assert!(
        !store
            .find_account(&name("ann"))
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert_eq!(store.figures().await.unwrap().disabled_accounts, 0);
    assert_eq!(
        store.set_disabled(&name("nobody"), true).await.unwrap(),
        None
    );
}

async fn an_opening_reads_the_sessions_standing_and_the_block_list(store: SqlStore) {
    for who in ["Ann", "bob", "Carol"] {
        account(&store, who).await;
    }
    let session = SessionId("ann-session".into());
    store
        .create_session(&NewSession::bare(session.clone()), &name("ann"))
        .await
        .unwrap();
    let opening = |standing, blocked: &[&str]| Opening {
        standing,
        blocked: blocked.iter().map(|b| name(b)).collect(),
    };
    assert_eq!(
        store.opening(&session).await.unwrap(),
        opening(Standing::Active, &[])
    );
    store.block(&name("ann"), &name("Carol")).await.unwrap();
    store.block(&name("ann"), &name("bob")).await.unwrap();
    assert_eq!(
        store.opening(&session).await.unwrap(),
        opening(Standing::Active, &["bob", "Carol"])
    );
    store.set_disabled(&name("ann"), true).await.unwrap();
    assert_eq!(
        store.opening(&session).await.unwrap(),
        opening(Standing::Disabled, &[])
    );
    store.set_disabled(&name("ann"), false).await.unwrap();
    assert_eq!(
        store.opening(&session).await.unwrap().standing,
        Standing::Active
    );
    store.delete_session(&session, &name("ann")).await.unwrap();
    assert_eq!(
        store.opening(&session).await.unwrap(),
        opening(Standing::Ended, &[])
    );
    let unknown = SessionId("nobody's".into());
    assert_eq!(
        store.opening(&unknown).await.unwrap().standing,
        Standing::Ended
    );
}

/// Sixteen uploads of one user at once, five of which fit the quota: exactly five are
/// recorded (each checks the quota after the one before it, not against the same snapshot).
async fn uploads_at_the_same_moment_take_turns_with_the_quota(store: SqlStore) {
    account(&store, "ann").await;
    let uploads = (0..16u32).map(|i| {
        let store = store.clone();
        async move {
            let record = AttachmentRecord {
                attachment: shared::Attachment {
                    id: format!("{i:032x}"),
                    name: format!("{i}.txt"),
                    content_type: "text/plain".into(),
                    size: 10,
                },
                uploader: name("ann"),
                former: false,
                thumbnail: false,
                created_at: 900,
                message_id: None,
                conversation: None,
            };
            store
                .add_attachment(&record, 50)
                .await
                .expect("recorded or refused")
        }
    });
    let fitted = futures_util::future::join_all(uploads.map(tokio::spawn)).await;
    let fitted = fitted.into_iter().filter(|f| *f.as_ref().unwrap()).count();
    assert_eq!(fitted, 5);
}

async fn blocked_private_messages_are_hidden_from_the_blocker_only(store: SqlStore) {
    for who in ["alice", "Bob", "carol"] {
        account(&store, who).await;
    }
    let to_alice = || Destination::User(name("alice"));
    let seen = append(&store, message("Bob", to_alice(), "seen words", 1_000)).await;
    store.block(&name("alice"), &name("Bob")).await.unwrap();
    // Again, written otherwise: nothing changes.
    store.block(&name("alice"), &name("bob")).await.unwrap();
    store.block(&name("alice"), &name("carol")).await.unwrap();
    assert_eq!(
        store.blocked_by(&name("ALICE")).await.unwrap(),
        [name("Bob"), name("carol")]
    );
    store.unblock(&name("alice"), &name("carol")).await.unwrap();
    assert_eq!(
        store.blocked_by(&name("alice")).await.unwrap(),
        [name("Bob")]
    );
    assert!(store.blocked_by(&name("bob")).await.unwrap().is_empty());

    let stored = store
        .append(&[
            message("Bob", to_alice(), "hidden words", 2_000),
            message("carol", to_alice(), "carol words", 2_001),
            message(
                "alice",
                Destination::User(name("Bob")),
                "alice words",
                2_002,
            ),
        ])
        .await
        .unwrap();
    let ids: Vec<u64> = stored.iter().map(|a| a.message().unwrap().id).collect();
    let hidden = ids[0];
    let hidden_for: Vec<Option<String>> = stored
        .iter()
        .map(|a| a.message().unwrap().hidden_for.clone())
        .collect();
    assert_eq!(hidden_for, [Some("alice".into()), None, None]);

    let alice_with_bob = Conversation::Private {
        me: name("alice"),
        other: name("Bob"),
    };
    let bob_with_alice = Conversation::Private {
        me: name("Bob"),
        other: name("alice"),
    };
    let ids_of =
        |page: Vec<backend::message::Message>| page.iter().map(|m| m.id).collect::<Vec<_>>();
    let (page, complete) = store.history(&alice_with_bob, None, 50).await.unwrap();
    assert_eq!((ids_of(page), complete), (vec![seen, ids[2]], true));
    let (page, _) = store.history(&bob_with_alice, None, 50).await.unwrap();
    assert_eq!(ids_of(page), [seen, hidden, ids[2]]);
    // A page of hidden messages alone reads on to the visible ones.
    let (page, complete) = store
        .history(&alice_with_bob, Some(ids[2]), 1)
        .await
        .unwrap();
    assert_eq!((ids_of(page), complete), (vec![seen], true));
    let (page, _) = store
        .history_around(&alice_with_bob, seen, 4)
        .await
        .unwrap();
    assert_eq!(ids_of(page), [seen, ids[2]]);
    let missed = store.missed(&name("alice"), 0, 10_000, 100).await.unwrap();
    assert!(!missed.messages.iter().any(|m| m.id == hidden));
    let missed = store.missed(&name("bob"), 0, 10_000, 100).await.unwrap();
    assert!(missed.messages.iter().any(|m| m.id == hidden));
    assert!(store
        .find_message(&name("alice"), hidden)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_message(&name("bob"), hidden)
        .await
        .unwrap()
        .is_some());
    let search = |who: &str| {
        let store = store.clone();
        let who = name(who);
        async move {
            let query = SearchQuery {
                terms: vec!["hidden".into()],
                conversation: None,
                sender: None,
                since: 0,
                until: u64::MAX / 2,
                limit: 10,
                offset: 0,
            };
            let page = store.search(&who, &query).await.unwrap();
            page.hits.iter().map(|(m, _)| m.id).collect::<Vec<_>>()
        }
    };
    assert!(search("alice").await.is_empty());
    assert_eq!(search("bob").await, [hidden]);
    // Her unread count leaves it out.
    let listed = store.conversations(&name("alice"), &[]).await.unwrap();
    let with_bob = listed
        .iter()
        .find(|c| matches!(&c.target, shared::Target::User { to } if to == "Bob"))
        .expect("listed");
    assert_eq!(with_bob.unread, 1);
    // A conversation that a blocked user starts is not listed for the blocker at all.
    account(&store, "dave").await;
    store.block(&name("alice"), &name("dave")).await.unwrap();
    append(&store, message("dave", to_alice(), "first words", 2_500)).await;
    let listed = store.conversations(&name("alice"), &[]).await.unwrap();
    assert!(
        !listed
            .iter()
            .any(|c| matches!(&c.target, shared::Target::User { to } if to == "dave")),
        "{listed:?}"
    );
    let listed = store.conversations(&name("dave"), &[]).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");

    // Bob's change to it is hidden from her too.
    let edit = NewMessage {
        change: Some(Change {
            message: hidden,
            kind: ChangeKind::Edit,
            place: shared::Place::Room {
                room: String::new(),
            },
        }),
        ..message("Bob", to_alice(), "hidden edit", 3_000)
    };
    let changed = store.append(&[edit]).await.unwrap();
    assert_eq!(
        changed[0].message().unwrap().hidden_for.as_deref(),
        Some("alice")
    );
    let missed = store
        .missed(&name("alice"), ids[2], 10_000, 100)
        .await
        .unwrap();
    assert!(missed.messages.is_empty(), "{:?}", missed.messages);
    let missed = store
        .missed(&name("bob"), ids[2], 10_000, 100)
        .await
        .unwrap();
    assert_eq!(missed.messages.len(), 1);
}

async fn retention_deletes_the_oldest_in_batches_with_what_hangs_on_them(store: SqlStore) {
    for who in ["alice", "bob"] {
        account(&store, who).await;
    }
    store.join_room(&name("alice"), &room("ops")).await.unwrap();
    let lobby = || Destination::Room(RoomName::lobby());
    let ops = || Destination::Room(room("ops"));
    // The first old message carries a file.
    let file = shared::Attachment {
        id: "0123456789abcdef0123456789abcdef".into(),
        name: "old.txt".into(),
        content_type: "text/plain".into(),
        size: 3,
    };
    let record = AttachmentRecord {
        attachment: file.clone(),
        uploader: name("alice"),
        former: false,
        thumbnail: false,
        created_at: 900,
        message_id: None,
        conversation: None,
    };
    assert!(store.add_attachment(&record, 1_000_000).await.unwrap());
    let mut old = Vec::new();
    for (i, to) in [
        lobby(),
        ops(),
        Destination::User(name("bob")),
        lobby(),
        ops(),
    ]
    .into_iter()
    .enumerate()
    {
        let body = format!("old @bob {i}");
        let mut new = message("alice", to, &body, 1_000 + i as u64);
        if i == 0 {
            new.attachments = vec![file.clone()];
        }
        old.push(append(&store, new).await);
    }
    // A reaction to the first, an edit of the second.
    let react = NewMessage {
        change: Some(Change {
            message: old[0],
            kind: ChangeKind::React("👍".into()),
            place: shared::Place::Room {
                room: String::new(),
            },
        }),
        ..message("bob", lobby(), "", 1_100)
    };
    store.append(&[react]).await.unwrap();
    let newer_room = append(&store, message("alice", ops(), "new ops", 50_000)).await;
    let newer = append(&store, message("alice", lobby(), "new lobby", 60_000)).await;
    // Out of order in time: an id above the newer ones, stored as if older. It waits for
    // the next pass, as the pass stops at the first message not old enough.
    let straggler = append(&store, message("alice", lobby(), "straggler", 2_000)).await;

    // One room first: only its old messages go, the oldest first, in batches.
    assert_eq!(
        store
            .set_room_retention(&room("ops"), Some(1), &name("alice"))
            .await
            .unwrap(),
        ()
    );
    assert_eq!(store.room_retentions().await.unwrap(), [(room("ops"), 1)]);
    let scope = Expiry::Room(room("ops"));
    assert_eq!(store.expire(&scope, 10_000, 1).await.unwrap(), 1);
    assert_eq!(store.expire(&scope, 10_000, 5).await.unwrap(), 1);
    assert_eq!(store.expire(&scope, 10_000, 5).await.unwrap(), 0);
    let ops_history = |s: SqlStore| async move {
        let (page, _) = s
            .history(&Conversation::Room(room("ops")), None, 50)
            .await
            .unwrap();
        page.iter().map(|m| m.id).collect::<Vec<_>>()
    };
    assert_eq!(ops_history(store.clone()).await, [newer_room]);
    store
        .set_room_retention(&room("ops"), None, &name("alice"))
        .await
        .unwrap();
    assert!(store.room_retentions().await.unwrap().is_empty());

    // Then everything: batches of two, up to the first message not old enough.
    let all = Expiry::All;
    assert_eq!(store.expire(&all, 10_000, 2).await.unwrap(), 2);
    assert_eq!(store.expire(&all, 10_000, 2).await.unwrap(), 1);
    assert_eq!(store.expire(&all, 10_000, 2).await.unwrap(), 0);
    let lobby_history = |s: SqlStore| async move {
        let (page, _) = s
            .history(&Conversation::Room(RoomName::lobby()), None, 50)
            .await
            .unwrap();
        page.iter().map(|m| m.id).collect::<Vec<_>>()
    };
    assert_eq!(lobby_history(store.clone()).await, [newer, straggler]);
    let (private, complete) = store
        .history(
            &Conversation::Private {
                me: name("bob"),
                other: name("alice"),
            },
            None,
            50,
        )
        .await
        .unwrap();
    assert!(private.is_empty() && complete);
    // Its search entries, reactions, changes and mentions went too.
    let query = SearchQuery {
        terms: vec!["old".into()],
        conversation: None,
        sender: None,
        since: 0,
        until: u64::MAX / 2,
        limit: 10,
        offset: 0,
    };
    assert!(store
        .search(&name("alice"), &query)
        .await
        .unwrap()
        .hits
        .is_empty());
    let missed = store.missed(&name("bob"), 0, 100_000, 100).await.unwrap();
    let ids: Vec<u64> = missed.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, [newer, straggler]);
    assert!(missed.messages.iter().all(|m| m.change.is_none()));
    let listed = store
        .conversations(&name("bob"), &[RoomName::lobby()])
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "no private conversation left: {listed:?}");
    assert_eq!(listed[0].mentions, 0);
    assert_eq!(store.figures().await.unwrap().messages, 3);
    // Its file is the sweeper's now: no longer served, among those whose bytes go.
    assert!(store.attachment(&file.id).await.unwrap().is_none());
    let doomed = store.doomed_attachments(0, 10).await.unwrap();
    assert_eq!(doomed.len(), 1);
    assert_eq!(doomed[0].attachment.id, file.id);
}
