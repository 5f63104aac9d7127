//! A released name's new holder in the store, on SQLite and on PostgreSQL: a new person who
//! has nothing of the old holder's: not his uploads (to read as their uploader, to send, in
//! his quota or his export), not his messages (to edit or delete as their author, or to
//! export), not his blocks, invitations, bans, roles, export tickets or rooms (those he owned
//! pass on, as when an owner leaves); nor is an administrator's name released.
//!
//! PostgreSQL is `TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/test`.

use backend::change::{Change, ChangeKind};
use backend::message::{Destination, NewMessage};
use backend::store::{
    Action, Appended, AttachmentRecord, JoinRefusal, Joined, Safety, SqlStore, Store, StoreError,
};
use shared::{Attachment, RoomName, UserName};
use testkit::{on_postgres, on_sqlite};

testkit::on_both_engines!(
    sqlite = on_sqlite, postgres = on_postgres:
    the_new_holder_has_nothing_of_the_old_holders,
    an_administrators_name_is_not_released,
);

fn name(raw: &str) -> UserName {
    UserName::parse(raw).expect("a valid name")
}

fn room(raw: &str) -> RoomName {
    RoomName::parse(raw).expect("a valid room")
}

fn yard() -> Destination {
    Destination::Room(room("yard"))
}

fn lobby() -> Destination {
    Destination::Room(RoomName::lobby())
}

fn message(from: &str, to: Destination, body: &str) -> NewMessage {
    NewMessage {
        from: name(from),
        to,
        body: body.to_owned(),
        at: 1_000,
        req: None,
        reply_to: None,
        change: None,
        attachments: Vec::new(),
    }
}

/// Stores `new`: the stored message.
async fn append(store: &SqlStore, new: NewMessage) -> backend::message::Message {
    match store.append(&[new]).await.expect("append").remove(0) {
        Appended::Stored(m) => m,
        other => panic!("not stored: {other:?}"),
    }
}

/// `uploader`'s upload `id` of `size` bytes, recorded within `quota`: whether it fitted.
async fn upload(store: &SqlStore, uploader: &str, id: char, size: u64, quota: u64) -> bool {
    let record = AttachmentRecord {
        attachment: file(id, size),
        uploader: name(uploader),
        former: false,
        thumbnail: false,
        created_at: 900,
        message_id: None,
        conversation: None,
    };
    store.add_attachment(&record, quota).await.expect("add")
}

/// The attachment `id` (32 times that digit) of `size` bytes.
fn file(id: char, size: u64) -> Attachment {
    Attachment {
        id: id.to_string().repeat(32),
        name: format!("{id}.txt"),
        content_type: "text/plain".into(),
        size,
    }
}

async fn the_new_holder_has_nothing_of_the_old_holders(store: SqlStore) {
    for who in ["alice", "carol", "dave"] {
        store.create_account(&name(who), None, None).await.unwrap();
    }
    // The first carol: a file sent to alice, one never sent, a lobby message, a block, a
    // moderator's role, an invitation, a ban, an export ticket.
    assert!(upload(&store, "carol", '1', 6, 100).await);
    assert!(upload(&store, "carol", '2', 6, 100).await);
    let mut whisper = message("carol", Destination::User(name("alice")), "a file for you");
    whisper.attachments = vec![file('1', 6)];
    let private = append(&store, whisper).await;
    assert_eq!(private.details.attachments, vec![file('1', 6)]);
    let said = append(&store, message("carol", lobby(), "the first carol"))
        .await
        .id;
    store.block(&name("carol"), &name("dave")).await.unwrap();
    store.join_room(&name("alice"), &room("ops")).await.unwrap();
    store.join_room(&name("carol"), &room("ops")).await.unwrap();
    let ops = store
        .set_moderator(&room("ops"), &name("carol"), true)
        .await
        .unwrap()
        .expect("a member");
    assert_eq!(ops.moderators, ["carol"]);
    store
        .create_room(&name("dave"), &room("den"), None, true)
        .await
        .unwrap()
        .expect("created");
    store
        .invite(&room("den"), &name("dave"), &name("carol"))
        .await
        .unwrap();
    store.join_room(&name("dave"), &room("yard")).await.unwrap();
    store
        .join_room(&name("carol"), &room("yard"))
        .await
        .unwrap();
    let in_yard = append(&store, message("carol", yard(), "the first carol's"))
        .await
        .id;
    let ban = Action {
        room: &room("yard"),
        actor: &name("dave"),
        action: "ban",
        target: &name("carol"),
        message: None,
    };
    store.remove_member(&ban).await.unwrap();
    store
        .create_export_ticket("ticket", &name("carol"), u64::MAX / 2)
        .await
        .unwrap();
    // Rooms she owns: one with a moderator and a member, one of her own alone.
    for who in ["carol", "alice", "dave"] {
        store.join_room(&name(who), &room("nook")).await.unwrap();
    }
    store
        .set_moderator(&room("nook"), &name("dave"), true)
        .await
        .unwrap()
        .expect("a member");
    store
        .join_room(&name("carol"), &room("cell"))
        .await
        .unwrap();

    store
        .replace_account(&name("carol"), None, None)
        .await
        .expect("released");

    // Her files: the sent one stays on its message, for alice only; the unsent one is gone.
    let sent = store
        .attachment(&file('1', 6).id)
        .await
        .unwrap()
        .expect("kept on its message");
    assert!(sent.former && !sent.is_of(&name("carol")));
    assert!(!store
        .may_read_attachment(&name("carol"), &sent)
        .await
        .unwrap());
    assert!(store
        .may_read_attachment(&name("alice"), &sent)
        .await
        .unwrap());
    assert_eq!(store.attachment(&file('2', 6).id).await.unwrap(), None);
    assert!(store
        .attachments_of(&name("carol"))
        .await
        .unwrap()
        .is_empty());
    // Sending her unsent file carries nothing.
    let mut again = message("carol", lobby(), "");
    again.attachments = vec![file('2', 6)];
    assert!(append(&store, again).await.details.attachments.is_empty());
    // Her 12 bytes are not in the new carol's quota of 10.
    assert!(upload(&store, "carol", '3', 10, 10).await);
    assert_eq!(
        store.attachments_of(&name("carol")).await.unwrap()[0].attachment,
        file('3', 10)
    );

    // Her messages: not the new carol's to change, nor in his export.
    let found = store
        .find_message(&name("carol"), said)
        .await
        .unwrap()
        .expect("a lobby message");
    assert!(!found.own);
    assert_eq!(
        store
            .find_message(&name("carol"), private.id)
            .await
            .unwrap(),
        None
    );
    let found = store
        .find_message(&name("alice"), private.id)
        .await
        .unwrap()
        .expect("alice's still");
    assert!(!found.own);
    let authored: Vec<u64> = store
        .authored(&name("carol"), 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert!(authored.iter().all(|id| *id > said), "{authored:?}");

    // Neither her block, her role, her invitation, her ban nor her export ticket.
    assert!(store.blocked_by(&name("carol")).await.unwrap().is_empty());
    let ops = store.room(&room("ops")).await.unwrap().expect("alice's");
    assert!(ops.moderators.is_empty(), "{ops:?}");
    assert!(!ops.runs("carol"));
    // Her rooms passed on as when an owner leaves: to the moderator; the one she was alone
    // in stays, owned by nobody.
    let nook = store.room(&room("nook")).await.unwrap().expect("kept");
    assert_eq!(nook.owner.as_deref(), Some("dave"));
    assert!(nook.moderators.is_empty(), "{nook:?}");
    let cell = store.room(&room("cell")).await.unwrap().expect("kept");
    assert_eq!(cell.owner, None);
    assert!(store.invitations(&name("carol")).await.unwrap().is_empty());
    assert_eq!(
        store.join_room(&name("carol"), &room("den")).await.unwrap(),
        Joined::Refused(JoinRefusal::Unknown)
    );
    assert!(matches!(
        store
            .join_room(&name("carol"), &room("yard"))
            .await
            .unwrap(),
        Joined::Member(_)
    ));
    assert_eq!(store.take_export_ticket("ticket", 0).await.unwrap(), None);
    let rooms: Vec<(RoomName, UserName)> = store.memberships().await.unwrap();
    assert_eq!(
        rooms
            .iter()
            .filter(|(_, who)| *who == name("carol"))
            .map(|(r, _)| r.as_str())
            .collect::<Vec<_>>(),
        ["yard"]
    );

    // Deleting her message in a room is deleting someone else's: logged (had the new carol
    // not run the room, the command would have refused it).
    let deletion = NewMessage {
        change: Some(Change {
            message: in_yard,
            kind: ChangeKind::Delete,
            place: shared::Place::Room {
                room: String::new(),
            },
        }),
        ..message("carol", yard(), "")
    };
    assert!(store.append(&[deletion]).await.unwrap()[0]
        .message()
        .is_some());
    let log = store.audit(&room("yard"), None, 10).await.unwrap();
    let read: Vec<(&str, &str, Option<&str>, Option<u64>)> = log
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.actor.as_str(),
                e.user.as_deref(),
                e.message,
            )
        })
        .collect();
    assert_eq!(read[0], ("delete", "carol", Some("carol"), Some(in_yard)));

    // What the new carol writes is his.
    let his = append(&store, message("carol", lobby(), "the second carol"))
        .await
        .id;
    let found = store
        .find_message(&name("carol"), his)
        .await
        .unwrap()
        .expect("his");
    assert!(found.own);
    let authored: Vec<u64> = store
        .authored(&name("carol"), 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(authored.last(), Some(&his));
    assert!(!authored.contains(&said) && !authored.contains(&private.id));
}

async fn an_administrators_name_is_not_released(store: SqlStore) {
    store
        .create_account(&name("root"), None, None)
        .await
        .unwrap();
    store.set_admin(&name("root"), true).await.unwrap();
    // Unused since long before now, but an administrator: taken.
    let release = backend::store::SessionWrite::Account {
        name: name("root"),
        password_hash: None,
        session: backend::store::NewSession::bare(backend::store::SessionId("t".into())),
        release: Some(u64::MAX / 2),
    };
    let outcomes = store
        .write_sessions(std::slice::from_ref(&release))
        .await
        .unwrap();
    assert!(
        matches!(outcomes[..], [Err(StoreError::NameTaken)]),
        "{outcomes:?}"
    );
    assert!(store.is_admin(&name("root")).await.unwrap());
    // No longer one: released.
    store.set_admin(&name("root"), false).await.unwrap();
    let outcomes = store.write_sessions(&[release]).await.unwrap();
    assert!(matches!(outcomes[..], [Ok(())]), "{outcomes:?}");
}
