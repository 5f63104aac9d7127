//! The journal's task against an in-memory store: shutdown waits for what is queued, and a
//! batch whose append timed out but committed is delivered once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use shared::{ConversationInfo, RoomName, UserName};
use tokio::sync::{Notify, Semaphore};

use super::*;
use crate::message::{Conversation, Destination};
use crate::store::{
    Account, Action, AttachmentRecord, Invited, Joined, Marked, Missed, NewSession, Readers,
    RoomChange, SessionId, SessionOwner, SessionRecord,
};

/// A store of messages alone, in memory, whose `append` waits until the test lets it go.
struct GatedStore {
    /// One permit per append allowed to finish.
    gate: Semaphore,
    /// Notified when an append has begun (and waits at the gate).
    appending: Notify,
    /// What was stored.
    messages: Mutex<Vec<Message>>,
    /// The id stored under each `req`.
    reqs: Mutex<HashMap<String, u64>>,
    /// The next append stores its batch, then never answers: a COMMIT that lands after
    /// the journal gave up waiting.
    lose_next_answer: AtomicBool,
}

impl GatedStore {
    /// Closed: every append waits for a permit.
    fn closed() -> Self {
        Self {
            gate: Semaphore::new(0),
            appending: Notify::new(),
            messages: Mutex::default(),
            reqs: Mutex::default(),
            lose_next_answer: AtomicBool::new(false),
        }
    }

    /// Open, but the first append's answer never comes (its batch is stored).
    fn first_answer_lost() -> Self {
        Self {
            gate: Semaphore::new(Semaphore::MAX_PERMITS),
            lose_next_answer: AtomicBool::new(true),
            ..Self::closed()
        }
    }
}

fn not_for_the_journal() -> ! {
    unreachable!("the journal only appends and reads what was stored since")
}

#[async_trait]
impl Store for GatedStore {
    async fn append(&self, batch: &[NewMessage]) -> Result<Vec<Appended>, StoreError> {
        self.appending.notify_one();
        self.gate.acquire().await.expect("open gate").forget();
        let stored = {
            let mut messages = self.messages.lock().unwrap();
            let mut reqs = self.reqs.lock().unwrap();
            let mut stored = Vec::new();
            for new in batch {
                let earlier = new.req.as_ref().and_then(|req| reqs.get(req));
                if let Some(&id) = earlier {
                    stored.push(Appended::Repeat(messages[id as usize - 1].clone()));
                    continue;
                }
                let message = Message {
                    id: messages.len() as u64 + 1,
                    from: new.from.clone(),
                    to: new.to.clone(),
                    body: new.body.clone(),
                    at: new.at,
                    details: Default::default(),
                    change: None,
                    hidden_for: None,
                };
                if let Some(req) = &new.req {
                    reqs.insert(req.clone(), message.id);
                }
                messages.push(message.clone());
                stored.push(Appended::Stored(message));
            }
            stored
        };
        if self.lose_next_answer.swap(false, Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        Ok(stored)
    }
    async fn since(&self, after: u64, limit: u32) -> Result<Vec<Message>, StoreError> {
        let messages = self.messages.lock().unwrap();
        Ok(messages
            .iter()
            .filter(|m| m.id > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }
    async fn last_id(&self) -> Result<u64, StoreError> {
        Ok(self.messages.lock().unwrap().len() as u64)
    }
    async fn find_message(
        &self,
        _: &UserName,
        _: u64,
    ) -> Result<Option<crate::store::FoundMessage>, StoreError> {
        not_for_the_journal()
    }
    async fn create_account(
        &self,
        _: &UserName,
        _: Option<&str>,
        _: Option<&NewSession>,
    ) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn find_account(&self, _: &UserName) -> Result<Option<Account>, StoreError> {
        not_for_the_journal()
    }
    async fn delete_account(&self, _: &UserName) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn set_password(&self, _: &UserName, _: &str) -> Result<bool, StoreError> {
        not_for_the_journal()
    }
    async fn create_session(&self, _: &NewSession, _: &UserName) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn find_session(&self, _: &SessionId) -> Result<Option<SessionOwner>, StoreError> {
        not_for_the_journal()
    }
    async fn touch_session(&self, _: &SessionId, _: u64) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn set_last_seen(&self, _: &[(UserName, u64)]) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn sessions_of(&self, _: &UserName) -> Result<Vec<SessionRecord>, StoreError> {
        not_for_the_journal()
    }
    async fn delete_session(&self, _: &SessionId, _: &UserName) -> Result<u64, StoreError> {
        not_for_the_journal()
    }
    async fn memberships(&self) -> Result<Vec<(RoomName, UserName)>, StoreError> {
        not_for_the_journal()
    }
    async fn join_room(&self, _: &UserName, _: &RoomName) -> Result<Joined, StoreError> {
        not_for_the_journal()
    }
    async fn create_room(
        &self,
        _: &UserName,
        _: &RoomName,
        _: Option<&str>,
        _: bool,
    ) -> Result<Option<shared::RoomSettings>, StoreError> {
        not_for_the_journal()
    }
    async fn rooms(&self) -> Result<Vec<(RoomName, shared::RoomSettings)>, StoreError> {
        not_for_the_journal()
    }
    async fn room(&self, _: &RoomName) -> Result<Option<shared::RoomSettings>, StoreError> {
        not_for_the_journal()
    }
    async fn public_rooms(
        &self,
        _: &str,
        _: u32,
        _: u32,
    ) -> Result<Vec<shared::RoomListing>, StoreError> {
        not_for_the_journal()
    }
    async fn invite(
        &self,
        _: &RoomName,
        _: &UserName,
        _: &UserName,
    ) -> Result<Invited, StoreError> {
        not_for_the_journal()
    }
    async fn remove_member(&self, _: &Action<'_>) -> Result<bool, StoreError> {
        not_for_the_journal()
    }
    async fn unban(&self, _: &Action<'_>) -> Result<bool, StoreError> {
        not_for_the_journal()
    }
    async fn audit(
        &self,
        _: &RoomName,
        _: Option<u64>,
        _: u32,
    ) -> Result<Vec<shared::AuditEntry>, StoreError> {
        not_for_the_journal()
    }
    async fn invitations(&self, _: &UserName) -> Result<Vec<shared::Invite>, StoreError> {
        not_for_the_journal()
    }
    async fn update_room(
        &self,
        _: &RoomName,
        _: &RoomChange,
    ) -> Result<Option<shared::RoomSettings>, StoreError> {
        not_for_the_journal()
    }
    async fn set_moderator(
        &self,
        _: &RoomName,
        _: &UserName,
        _: bool,
    ) -> Result<Option<shared::RoomSettings>, StoreError> {
        not_for_the_journal()
    }
    async fn leave_room(
        &self,
        _: &UserName,
        _: &RoomName,
    ) -> Result<Option<shared::RoomSettings>, StoreError> {
        not_for_the_journal()
    }
    async fn history(
        &self,
        _: &Conversation,
        _: Option<u64>,
        _: u32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        not_for_the_journal()
    }
    async fn history_around(
        &self,
        _: &Conversation,
        _: u64,
        _: u32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        not_for_the_journal()
    }
    async fn search(
        &self,
        _: &UserName,
        _: &crate::store::SearchQuery,
    ) -> Result<crate::store::SearchPage, StoreError> {
        not_for_the_journal()
    }
    async fn missed(&self, _: &UserName, _: u64, _: u64, _: u32) -> Result<Missed, StoreError> {
        not_for_the_journal()
    }
    async fn conversations(
        &self,
        _: &UserName,
        _: &[RoomName],
    ) -> Result<Vec<ConversationInfo>, StoreError> {
        not_for_the_journal()
    }
    async fn mark_read(
        &self,
        _: &UserName,
        _: &Conversation,
        _: u64,
    ) -> Result<Marked, StoreError> {
        not_for_the_journal()
    }
    async fn readers(&self, _: &UserName, _: &Conversation, _: u32) -> Result<Readers, StoreError> {
        not_for_the_journal()
    }
    async fn passed_senders(
        &self,
        _: &Conversation,
        _: u64,
        _: u64,
        _: u32,
    ) -> Result<Vec<String>, StoreError> {
        not_for_the_journal()
    }
    async fn authored(&self, _: &UserName, _: u64, _: u32) -> Result<Vec<Message>, StoreError> {
        not_for_the_journal()
    }
    async fn create_export_ticket(&self, _: &str, _: &UserName, _: u64) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn take_export_ticket(&self, _: &str, _: u64) -> Result<Option<UserName>, StoreError> {
        not_for_the_journal()
    }
    async fn add_attachment(&self, _: &AttachmentRecord, _: u64) -> Result<bool, StoreError> {
        not_for_the_journal()
    }
    async fn attachment(&self, _: &str) -> Result<Option<AttachmentRecord>, StoreError> {
        not_for_the_journal()
    }
    async fn attachments_of(&self, _: &UserName) -> Result<Vec<AttachmentRecord>, StoreError> {
        not_for_the_journal()
    }
    async fn may_read_attachment(
        &self,
        _: &UserName,
        _: &AttachmentRecord,
    ) -> Result<bool, StoreError> {
        not_for_the_journal()
    }
    async fn doomed_attachments(
        &self,
        _: u64,
        _: u32,
    ) -> Result<Vec<AttachmentRecord>, StoreError> {
        not_for_the_journal()
    }
    async fn forget_attachments(&self, _: &[String]) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
    fn engine(&self) -> &'static str {
        "gated"
    }
}

#[async_trait]
impl crate::store::Safety for GatedStore {
    async fn set_admin(&self, _: &UserName, _: bool) -> Result<Option<UserName>, StoreError> {
        not_for_the_journal()
    }
    async fn is_admin(&self, _: &UserName) -> Result<bool, StoreError> {
        not_for_the_journal()
    }
    async fn set_disabled(&self, _: &UserName, _: bool) -> Result<Option<UserName>, StoreError> {
        not_for_the_journal()
    }
    async fn block(&self, _: &UserName, _: &UserName) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn unblock(&self, _: &UserName, _: &UserName) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn opening(&self, _: &SessionId) -> Result<crate::store::Opening, StoreError> {
        not_for_the_journal()
    }
    async fn blocked_by(&self, _: &UserName) -> Result<Vec<UserName>, StoreError> {
        not_for_the_journal()
    }
    async fn figures(&self) -> Result<crate::store::StoredFigures, StoreError> {
        not_for_the_journal()
    }
    async fn set_room_retention(
        &self,
        _: &RoomName,
        _: Option<u32>,
        _: &UserName,
    ) -> Result<(), StoreError> {
        not_for_the_journal()
    }
    async fn room_retentions(&self) -> Result<Vec<(RoomName, u32)>, StoreError> {
        not_for_the_journal()
    }
    async fn expire(&self, _: &crate::store::Expiry, _: u64, _: u32) -> Result<u64, StoreError> {
        not_for_the_journal()
    }
}

/// The acknowledgements the journal gave, as (origin, id).
#[derive(Default, Clone)]
struct Acks(Arc<Mutex<Vec<(ConnId, u64)>>>);

impl Delivery for Acks {
    fn storing(&self, _: bool) {}
    fn deliver(&self, message: &Message, duplicate: bool, origin: ConnId, _: Option<String>) {
        assert!(!duplicate);
        self.0.lock().unwrap().push((origin, message.id));
    }
    fn deliver_remote(&self, _: &Message) {}
    fn refuse(&self, origin: ConnId, _: ErrorCode, message: &str, _: Option<String>) {
        panic!("connection {origin} refused: {message}");
    }
    fn stored(&self, _: &[&Message]) {}
    fn acknowledge(&self, _: ConnId, _: Option<String>, _: u64, _: u64) {}
}

fn entry(origin: ConnId, body: &str) -> Entry {
    Entry {
        message: NewMessage {
            from: UserName::parse("ann").unwrap(),
            to: Destination::Room(RoomName::lobby()),
            body: body.to_owned(),
            at: 1,
            req: None,
            reply_to: None,
            change: None,
            attachments: Vec::new(),
        },
        origin,
    }
}

#[tokio::test]
async fn shutdown_waits_for_the_batch_in_hand_and_what_is_queued() {
    let tasks = Tasks::new();
    let store = Arc::new(GatedStore::closed());
    let acks = Acks::default();
    let journal = Journal::start(
        store.clone(),
        acks.clone(),
        Arc::new(Metrics::default()),
        0,
        Duration::from_secs(10),
        &tasks,
    );
    // The first message is being stored (its append waits at the gate); the second is
    // queued behind it.
    journal.submit(entry(1, "first")).await.unwrap();
    store.appending.notified().await;
    journal.submit(entry(2, "second")).await.unwrap();

    let shutdown = tokio::spawn({
        let tasks = tasks.clone();
        async move { tasks.shutdown(Duration::from_secs(10)).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !shutdown.is_finished(),
        "shutdown ended with a batch half stored"
    );
    assert!(
        acks.0.lock().unwrap().is_empty(),
        "acknowledged before stored"
    );

    store.gate.add_permits(2);
    assert!(
        shutdown.await.unwrap(),
        "the journal ended within the grace"
    );
    let bodies: Vec<String> = store
        .messages
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.body.clone())
        .collect();
    assert_eq!(bodies, ["first", "second"]);
    assert_eq!(*acks.0.lock().unwrap(), [(1, 1), (2, 2)]);
    assert!(tasks.is_empty());
    // A stopped journal takes nothing more.
    assert!(journal.submit(entry(3, "late")).await.is_err());
}

/// What a [`Delivery`] was asked to do, in order.
#[derive(Debug, PartialEq)]
enum Told {
    Ack { origin: ConnId, id: u64 },
    Delivered(u64),
    Refused { origin: ConnId, code: ErrorCode },
}

/// Reports each call as a [`Told`].
struct Recorder(mpsc::Sender<Told>);

impl Delivery for Recorder {
    fn storing(&self, _: bool) {}
    fn deliver(&self, message: &Message, duplicate: bool, origin: ConnId, _: Option<String>) {
        if !duplicate {
            self.0.try_send(Told::Delivered(message.id)).unwrap();
        }
        let ack = Told::Ack {
            origin,
            id: message.id,
        };
        self.0.try_send(ack).unwrap();
    }
    fn deliver_remote(&self, message: &Message) {
        self.0.try_send(Told::Delivered(message.id)).unwrap();
    }
    fn refuse(&self, origin: ConnId, code: ErrorCode, _: &str, _: Option<String>) {
        self.0.try_send(Told::Refused { origin, code }).unwrap();
    }
    fn acknowledge(&self, origin: ConnId, _: Option<String>, id: u64, _: u64) {
        self.0.try_send(Told::Ack { origin, id }).unwrap();
    }
    fn stored(&self, _: &[&Message]) {}
}

/// An append that times out but commits after all: its sender hears `unavailable`, its
/// resend with the same `req` is acknowledged with the stored id, and the message is
/// delivered once (before the fix it was only acknowledged, never delivered).
#[tokio::test]
async fn a_late_commit_is_delivered_once_and_its_resend_acknowledged() {
    let tasks = Tasks::new();
    let store = Arc::new(GatedStore::first_answer_lost());
    let (tx, mut told) = mpsc::channel(16);
    let journal = Journal::start(
        store.clone(),
        Recorder(tx),
        Arc::new(Metrics::default()),
        0,
        Duration::from_millis(50),
        &tasks,
    );
    let with_req = |origin| {
        let mut entry = entry(origin, "late");
        entry.message.req = Some("r1".to_owned());
        entry
    };
    journal.submit(with_req(1)).await.unwrap();
    let refused = Told::Refused {
        origin: 1,
        code: ErrorCode::Unavailable,
    };
    assert_eq!(told.recv().await, Some(refused));
    assert_eq!(store.messages.lock().unwrap().len(), 1, "committed late");

    journal.submit(with_req(1)).await.unwrap();
    assert_eq!(told.recv().await, Some(Told::Delivered(1)));
    assert_eq!(told.recv().await, Some(Told::Ack { origin: 1, id: 1 }));
    // The next message is delivered, and the late one not again.
    journal.submit(entry(2, "next")).await.unwrap();
    assert_eq!(told.recv().await, Some(Told::Delivered(2)));
    assert_eq!(told.recv().await, Some(Told::Ack { origin: 2, id: 2 }));
    assert_eq!(store.messages.lock().unwrap().len(), 2, "stored once");
    assert!(tasks.shutdown(Duration::from_secs(10)).await);
}
