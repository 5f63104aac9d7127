//! Rooms in the store, on SQLite and on PostgreSQL: created by their first member (the owner),
//! private rooms joined only with an invitation (used up by the join), archived rooms joined
//! by nobody new, settings and roles, the list of public rooms (member counts, query, pages),
//! a room that outlives its last member (settings, invitations, bans and log kept; joined
//! again by the same rules, owned by nobody); kicks, bans and the audit log (a deletion of
//! someone else's message logged with it).
//!
//! A database from before rooms were kept gets back, closed, the rooms that went with their
//! last member while their messages stayed (migration 0019).
//!
//! PostgreSQL is `TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/test`.

use backend::change::{Change, ChangeKind};
use backend::message::{Destination, NewMessage};
use backend::store::{Action, Appended, Invited, JoinRefusal, Joined, RoomChange, SqlStore, Store};
use backend::tasks::Tasks;
use shared::{RoomName, RoomSettings, UserName};
use testkit::{on_postgres, on_postgres_url, on_sqlite, on_sqlite_url, open_store, StoreAt};

testkit::on_both_engines!(
    sqlite = on_sqlite, postgres = on_postgres:
    private_rooms_take_the_invited_only,
    settings_and_roles_are_stored,
    public_rooms_are_listed_by_members_and_found,
    a_room_outlives_its_last_member,
    an_owner_who_leaves_hands_the_room_on,
    bans_keep_out_and_every_action_is_logged,
);

testkit::on_both_engines!(
    sqlite_url = on_sqlite_url, postgres_url = on_postgres_url:
    upgrading_to_0019_closes_the_rooms_that_went_with_their_last_member,
);

fn name(raw: &str) -> UserName {
    UserName::parse(raw).expect("a valid name")
}

fn room(raw: &str) -> RoomName {
    RoomName::parse(raw).expect("a valid room")
}

async fn accounts(store: &SqlStore, names: &[&str]) {
    for who in names {
        store
            .create_account(&name(who), None, None)
            .await
            .expect("create account");
    }
}

async fn join(store: &SqlStore, who: &str, r: &str) -> Joined {
    store.join_room(&name(who), &room(r)).await.expect("join")
}

async fn private_rooms_take_the_invited_only(store: SqlStore) {
    accounts(&store, &["Alice", "bob", "carol"]).await;
    let created = store
        .create_room(&name("Alice"), &room("secret"), Some("plans"), true)
        .await
        .expect("create")
        .expect("a new room");
    assert_eq!(
        created,
        RoomSettings {
            topic: Some("plans".into()),
            private: true,
            owner: Some("Alice".into()),
            ..RoomSettings::default()
        }
    );
    // Taken, whoever asks again.
    let again = store
        .create_room(&name("bob"), &room("secret"), None, false)
        .await
        .expect("create again");
    assert_eq!(again, None);
    assert_eq!(
        join(&store, "bob", "secret").await,
        Joined::Refused(JoinRefusal::Unknown)
    );
    assert_eq!(
        store
            .invite(&room("secret"), &name("Alice"), &name("bob"))
            .await
            .expect("invite"),
        Invited::Stored
    );
    let held = store.invitations(&name("bob")).await.expect("invitations");
    assert_eq!(
        held.iter()
            .map(|i| (i.room.as_str(), i.user.as_str(), i.from.as_str()))
            .collect::<Vec<_>>(),
        [("secret", "bob", "Alice")]
    );
    assert!(store
        .invitations(&name("carol"))
        .await
        .expect("none")
        .is_empty());
    assert!(matches!(
        join(&store, "bob", "secret").await,
        Joined::Member(_)
    ));
    // Used up; a member is not invited again.
    assert!(store
        .invitations(&name("bob"))
        .await
        .expect("none")
        .is_empty());
    assert_eq!(
        store
            .invite(&room("secret"), &name("Alice"), &name("bob"))
            .await
            .expect("invite a member"),
        Invited::Member
    );
    assert_eq!(
        join(&store, "carol", "secret").await,
        Joined::Refused(JoinRefusal::Unknown)
    );
    // Joining again as a member is no error.
    assert!(matches!(
        join(&store, "bob", "secret").await,
        Joined::Member(_)
    ));
    // Archived: an invitation does not let anyone in any more, and is not shown.
    store
        .invite(&room("secret"), &name("Alice"), &name("carol"))
        .await
        .expect("invite");
    let change = RoomChange {
        archived: Some(true),
        ..RoomChange::default()
    };
    store
        .update_room(&room("secret"), &change)
        .await
        .expect("archive");
    assert!(store
        .invitations(&name("carol"))
        .await
        .expect("none")
        .is_empty());
    assert_eq!(
        join(&store, "carol", "secret").await,
        Joined::Refused(JoinRefusal::Archived)
    );
}

async fn settings_and_roles_are_stored(store: SqlStore) {
    accounts(&store, &["Alice", "bob", "carol"]).await;
    let Joined::Member(settings) = join(&store, "Alice", "rust").await else {
        panic!("alice creates rust");
    };
    assert_eq!(settings.owner.as_deref(), Some("Alice"));
    join(&store, "bob", "rust").await;
    join(&store, "carol", "rust").await;
    let r = room("rust");
    for who in ["carol", "bob"] {
        store
            .set_moderator(&r, &name(who), true)
            .await
            .expect("appoint")
            .expect("a member");
    }
    // The owner's role stays; someone who is not in the room has none to change.
    assert_eq!(
        store
            .set_moderator(&r, &name("Alice"), true)
            .await
            .expect("owner"),
        None
    );
    let settings = store
        .set_moderator(&r, &name("carol"), false)
        .await
        .expect("remove")
        .expect("a member");
    assert_eq!(settings.moderators, ["bob"]);
    let change = RoomChange {
        title: Some(Some("The Rust room".into())),
        topic: Some(Some("Ownership".into())),
        archived: None,
    };
    store.update_room(&r, &change).await.expect("rename");
    let change = RoomChange {
        topic: Some(None),
        ..RoomChange::default()
    };
    let now = store.update_room(&r, &change).await.expect("no topic");
    let expected = RoomSettings {
        title: Some("The Rust room".into()),
        topic: None,
        private: false,
        archived: false,
        owner: Some("Alice".into()),
        moderators: vec!["bob".into()],
    };
    assert_eq!(now.as_ref(), Some(&expected));
    assert_eq!(store.room(&r).await.expect("read"), Some(expected.clone()));
    assert_eq!(store.rooms().await.expect("all"), [(r.clone(), expected)]);
    assert_eq!(
        store
            .update_room(&room("nowhere"), &change)
            .await
            .expect("none"),
        None
    );
    // A moderator who leaves is one no longer.
    store.leave_room(&name("bob"), &r).await.expect("leave");
    assert!(store
        .room(&r)
        .await
        .expect("read")
        .unwrap()
        .moderators
        .is_empty());
}

async fn public_rooms_are_listed_by_members_and_found(store: SqlStore) {
    accounts(&store, &["a", "b", "c"]).await;
    for (who, r) in [
        ("a", "alpha"),
        ("b", "alpha"),
        ("c", "alpha"),
        ("a", "beta"),
        ("b", "beta"),
        ("a", "gamma"),
    ] {
        join(&store, who, r).await;
    }
    // A public room nobody is in any more is listed, last, with none.
    join(&store, "c", "delta").await;
    store
        .leave_room(&name("c"), &room("delta"))
        .await
        .expect("leave");
    store
        .create_room(&name("c"), &room("hidden"), Some("alpha talk"), true)
        .await
        .expect("private");
    let change = RoomChange {
        topic: Some(Some("Greek 100% letters".into())),
        ..RoomChange::default()
    };
    store
        .update_room(&room("gamma"), &change)
        .await
        .expect("topic");
    let page = |query: &'static str, offset, limit| {
        let store = store.clone();
        async move {
            store
                .public_rooms(query, offset, limit)
                .await
                .expect("list")
                .into_iter()
                .map(|r| (r.room, r.member_count))
                .collect::<Vec<_>>()
        }
    };
    let all = [
        ("alpha".to_owned(), 3),
        ("beta".to_owned(), 2),
        ("gamma".to_owned(), 1),
        ("delta".to_owned(), 0),
    ];
    assert_eq!(page("", 0, 10).await, all);
    assert_eq!(page("", 1, 1).await, all[1..2]);
    assert_eq!(page("ALPH", 0, 10).await, all[..1]);
    assert_eq!(page("100%", 0, 10).await, all[2..3]);
    assert_eq!(page("", 3, 10).await, all[3..]);
    assert_eq!(page("0_", 0, 10).await, []);
    // Archived rooms are not listed.
    let change = RoomChange {
        archived: Some(true),
        ..RoomChange::default()
    };
    store
        .update_room(&room("beta"), &change)
        .await
        .expect("archive");
    assert_eq!(
        page("", 0, 10).await,
        [all[0].clone(), all[2].clone(), all[3].clone()]
    );
}

async fn a_room_outlives_its_last_member(store: SqlStore) {
    accounts(&store, &["a", "b", "c", "d"]).await;
    let (club, a, b, d) = (room("club"), name("a"), name("b"), name("d"));
    store
        .create_room(&a, &club, Some("x"), true)
        .await
        .expect("create");
    let titled = RoomChange {
        title: Some(Some("The club".into())),
        ..RoomChange::default()
    };
    store.update_room(&club, &titled).await.expect("title");
    store.invite(&club, &a, &b).await.expect("invite");
    store
        .remove_member(&action(&club, &a, "ban", &d))
        .await
        .expect("ban");
    store.leave_room(&a, &club).await.expect("leave");
    // Nobody is in it: its settings, invitation, ban and log stay; only the role went.
    let kept = RoomSettings {
        title: Some("The club".into()),
        topic: Some("x".into()),
        private: true,
        ..RoomSettings::default()
    };
    assert_eq!(store.room(&club).await.expect("read"), Some(kept.clone()));
    assert_eq!(
        store.rooms().await.expect("rooms"),
        [(club.clone(), kept.clone())]
    );
    assert!(store.memberships().await.expect("none").is_empty());
    let invites = store.invitations(&b).await.expect("invitations");
    assert_eq!(invites.len(), 1);
    assert_eq!(invites[0].room, "club");
    assert_eq!(
        store.audit(&club, None, 10).await.expect("log")[0].action,
        "ban"
    );
    // Its name stays taken; the uninvited and the banned stay out, its creator included.
    for who in ["c", "a"] {
        assert_eq!(
            store
                .create_room(&name(who), &club, None, false)
                .await
                .expect("create again"),
            None
        );
        assert_eq!(
            join(&store, who, "club").await,
            Joined::Refused(JoinRefusal::Unknown)
        );
    }
    assert_eq!(
        join(&store, "d", "club").await,
        Joined::Refused(JoinRefusal::Banned)
    );
    // The invitation still stands: b joins as a plain member, and owns nothing.
    assert_eq!(
        join(&store, "b", "club").await,
        Joined::Member(kept.clone())
    );
    assert!(store.invitations(&b).await.expect("used up").is_empty());
    store.leave_room(&b, &club).await.expect("leave");
    assert_eq!(
        join(&store, "b", "club").await,
        Joined::Refused(JoinRefusal::Unknown)
    );
    assert_eq!(store.room(&club).await.expect("read"), Some(kept));

    // A public room nobody is in is joined by anyone not banned, as a plain member.
    let open = room("open");
    join(&store, "a", "open").await;
    store.leave_room(&a, &open).await.expect("leave");
    let Joined::Member(settings) = join(&store, "c", "open").await else {
        panic!("c joins open");
    };
    assert_eq!(settings, RoomSettings::default());
    // Also when its members went with their deleted accounts.
    store.delete_account(&name("c")).await.expect("delete");
    assert_eq!(
        store.room(&open).await.expect("read"),
        Some(RoomSettings::default())
    );
    assert_eq!(
        join(&store, "a", "open").await,
        Joined::Member(RoomSettings::default())
    );
    // An archived one takes nobody new, empty or not.
    join(&store, "b", "attic").await;
    let archived = RoomChange {
        archived: Some(true),
        ..RoomChange::default()
    };
    store
        .update_room(&room("attic"), &archived)
        .await
        .expect("archive");
    store.leave_room(&b, &room("attic")).await.expect("leave");
    assert_eq!(
        join(&store, "b", "attic").await,
        Joined::Refused(JoinRefusal::Archived)
    );
}

async fn an_owner_who_leaves_hands_the_room_on(store: SqlStore) {
    accounts(&store, &["owner", "zed", "amy", "mod"]).await;
    let club = room("club");
    store
        .create_room(&name("owner"), &club, Some("x"), false)
        .await
        .expect("create");
    // Joined in this order, a few ms apart: zed before amy, though amy's name sorts first.
    for who in ["zed", "amy", "mod"] {
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        join(&store, who, "club").await;
    }
    store
        .set_moderator(&club, &name("mod"), true)
        .await
        .expect("moderator");
    let owned_by = |owner: &str| RoomSettings {
        topic: Some("x".into()),
        owner: Some(owner.into()),
        ..RoomSettings::default()
    };
    // The moderator first, though the last to join; then the member who joined first.
    let leave = |who: &'static str| {
        let store = store.clone();
        let club = club.clone();
        async move { store.leave_room(&name(who), &club).await.expect("leave") }
    };
    assert_eq!(leave("owner").await, Some(owned_by("mod")));
    assert_eq!(
        store.room(&club).await.expect("read"),
        Some(owned_by("mod"))
    );
    assert_eq!(leave("mod").await, Some(owned_by("zed")));
    // A plain member's leaving hands nothing on; the last owner's, nobody to hand it to.
    assert_eq!(leave("amy").await, None);
    assert_eq!(leave("zed").await, None);
    assert_eq!(
        store.room(&club).await.expect("read"),
        Some(RoomSettings {
            topic: Some("x".into()),
            ..RoomSettings::default()
        })
    );
}

fn action<'a>(
    r: &'a RoomName,
    actor: &'a UserName,
    action: &'static str,
    target: &'a UserName,
) -> Action<'a> {
    Action {
        room: r,
        actor,
        action,
        target,
        message: None,
    }
}

async fn bans_keep_out_and_every_action_is_logged(store: SqlStore) {
    accounts(&store, &["Alice", "bob", "carol"]).await;
    let (r, alice, bob, carol) = (room("rust"), name("Alice"), name("bob"), name("carol"));
    join(&store, "Alice", "rust").await;
    join(&store, "bob", "rust").await;
    // A kick removes; the kicked may come back. Kicking someone not in the room does nothing.
    assert!(store
        .remove_member(&action(&r, &alice, "kick", &bob))
        .await
        .expect("kick"));
    assert!(!store
        .remove_member(&action(&r, &alice, "kick", &carol))
        .await
        .expect("no-op"));
    assert!(matches!(
        join(&store, "bob", "rust").await,
        Joined::Member(_)
    ));
    // A ban removes and keeps out, invitations included; it may come before they join.
    assert!(store
        .remove_member(&action(&r, &alice, "ban", &bob))
        .await
        .expect("ban"));
    assert_eq!(
        join(&store, "bob", "rust").await,
        Joined::Refused(JoinRefusal::Banned)
    );
    assert_eq!(
        store.invite(&r, &alice, &bob).await.expect("invite"),
        Invited::Banned
    );
    store.invite(&r, &alice, &carol).await.expect("invite");
    assert!(!store
        .remove_member(&action(&r, &alice, "ban", &carol))
        .await
        .expect("ban an outsider"));
    assert!(store.invitations(&carol).await.expect("none").is_empty());
    assert_eq!(
        join(&store, "carol", "rust").await,
        Joined::Refused(JoinRefusal::Banned)
    );
    assert!(store
        .unban(&action(&r, &alice, "unban", &bob))
        .await
        .expect("unban"));
    assert!(!store
        .unban(&action(&r, &alice, "unban", &bob))
        .await
        .expect("again"));
    assert!(matches!(
        join(&store, "bob", "rust").await,
        Joined::Member(_)
    ));
    // A deletion of someone else's message is logged by the transaction that stores it; the
    // author's own, or one of a tombstone, is not.
    let said = |from: &UserName, body: &str| NewMessage {
        from: from.clone(),
        to: Destination::Room(r.clone()),
        body: body.to_owned(),
        at: 1_000,
        req: None,
        reply_to: None,
        change: None,
        attachments: Vec::new(),
    };
    let deletion = |by: &UserName, id: u64| NewMessage {
        change: Some(Change {
            message: id,
            kind: ChangeKind::Delete,
            place: shared::Place::Room {
                room: String::new(),
            },
        }),
        ..said(by, "")
    };
    let stored = store
        .append(&[said(&bob, "spam"), said(&bob, "mine to take back")])
        .await
        .expect("append");
    let ids: Vec<u64> = stored
        .iter()
        .map(|a| a.message().expect("stored").id)
        .collect();
    let deleted = store
        .append(&[deletion(&alice, ids[0]), deletion(&bob, ids[1])])
        .await
        .expect("delete");
    assert!(deleted.iter().all(|a| a.message().is_some()), "{deleted:?}");
    let again = store
        .append(&[deletion(&alice, ids[0])])
        .await
        .expect("again");
    assert!(
        matches!(again[..], [Appended::Unchanged { .. }]),
        "{again:?}"
    );
    // Newest first, paged by id; what changed nothing is not there.
    let log = store.audit(&r, None, 10).await.expect("audit");
    let read: Vec<(&str, Option<&str>, Option<u64>)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.user.as_deref(), e.message))
        .collect();
    assert_eq!(
        read,
        [
            ("delete", Some("bob"), Some(ids[0])),
            ("unban", Some("bob"), None),
            ("ban", Some("carol"), None),
            ("ban", Some("bob"), None),
            ("kick", Some("bob"), None),
        ]
    );
    assert!(log.iter().all(|e| e.actor == "Alice" && e.at > 0));
    assert!(log.windows(2).all(|w| w[0].id > w[1].id));
    let older = store.audit(&r, Some(log[1].id), 2).await.expect("page");
    assert_eq!(older, log[2..4]);
    assert!(store
        .audit(&room("other"), None, 10)
        .await
        .expect("none")
        .is_empty());
    // The log and the bans stay when the room empties: the banned stay out, and whoever
    // comes back is a plain member.
    store.leave_room(&bob, &r).await.expect("leave");
    store.leave_room(&alice, &r).await.expect("leave");
    assert_eq!(store.audit(&r, None, 10).await.expect("kept"), log);
    assert_eq!(
        join(&store, "carol", "rust").await,
        Joined::Refused(JoinRefusal::Banned)
    );
    assert_eq!(
        join(&store, "bob", "rust").await,
        Joined::Member(RoomSettings::default())
    );
}

/// Rooms that went with their last member before rooms were kept, their messages stored, come
/// back private when the store opens the database: nobody new joins them or makes them anew.
/// The rooms that have their row, the lobby and private messages are left alone.
async fn upgrading_to_0019_closes_the_rooms_that_went_with_their_last_member(url: String) {
    sqlx::any::install_default_drivers();
    let db = sqlx::pool::PoolOptions::<sqlx::Any>::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("connect");
    testkit::migrate_before(&db, "0019").await;
    for key in ["alice", "carol"] {
        sqlx::query(
            "INSERT INTO accounts (name_key, name, password_hash, created_at) \
             VALUES ($1, $1, NULL, 0)",
        )
        .bind(key)
        .execute(&db)
        .await
        .expect("account");
    }
    // `open` has its row and a member; `gone` and `left` lost theirs with their last member.
    sqlx::query("INSERT INTO rooms (room, topic, created_at) VALUES ('open', 'hi', 1)")
        .execute(&db)
        .await
        .expect("room");
    sqlx::query("INSERT INTO memberships (name_key, room, joined_at) VALUES ('alice', 'open', 1)")
        .execute(&db)
        .await
        .expect("membership");
    let messages = [
        (1_i64, Some("gone"), 20_i64),
        (2, Some("gone"), 10),
        (3, Some("open"), 30),
        (4, Some("lobby"), 40),
        (5, Some("left"), 50),
        (6, None, 60),
    ];
    for (id, at_room, at) in messages {
        let conversation = at_room.map_or("dm:alice:carol".to_owned(), |r| format!("room:{r}"));
        sqlx::query(
            "INSERT INTO messages (id, conversation, room, sender_key, sender, body, at) \
             VALUES ($1, $2, $3, 'alice', 'alice', 'x', $4)",
        )
        .bind(id)
        .bind(conversation)
        .bind(at_room.map(str::to_owned))
        .bind(at)
        .execute(&db)
        .await
        .expect("message");
    }
    sqlx::query("UPDATE sequences SET value = 6 WHERE name = 'messages'")
        .execute(&db)
        .await
        .expect("sequence");

    let store = open_store(&StoreAt::Url(url.clone()), &Tasks::new())
        .await
        .expect("open and upgrade");
    let closed = RoomSettings {
        private: true,
        ..RoomSettings::default()
    };
    let mut rooms = store.rooms().await.expect("rooms");
    rooms.sort_by(|a, b| a.0.cmp(&b.0));
    let open = RoomSettings {
        topic: Some("hi".into()),
        ..RoomSettings::default()
    };
    assert_eq!(
        rooms,
        [
            (room("gone"), closed.clone()),
            (room("left"), closed),
            (room("open"), open)
        ]
    );
    let created: i64 = sqlx::query_scalar("SELECT created_at FROM rooms WHERE room = 'gone'")
        .fetch_one(&db)
        .await
        .expect("created_at");
    assert_eq!(created, 10);
    for r in ["gone", "left"] {
        assert_eq!(
            join(&store, "carol", r).await,
            Joined::Refused(JoinRefusal::Unknown)
        );
        assert_eq!(
            store
                .create_room(&name("carol"), &room(r), None, false)
                .await
                .expect("create"),
            None
        );
    }
    db.close().await;
    store.close().await;
}
