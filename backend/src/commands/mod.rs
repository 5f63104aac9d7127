//! What each client frame does: one file per command, and [`dispatch`], the one `match` that
//! picks it. The connection's reader has already rate-limited and parsed the frame; a command
//! checks what it names (rooms, users, sizes), asks the hub, the store or the journal, and
//! answers. A refusal ([`Refusal`]) becomes an `error` frame, and the connection carries on.
//!
//! - `join`, `leave`: room memberships, stored before the hub announces them.
//! - `create_room`, `rooms`, `invite`, `set_room`, `set_role`: rooms with a topic, public
//!   or private, the public list, invitations, and what the owner (and moderators) change;
//!   checked against the store, stored, then announced by the hub on every node.
//! - `kick`, `ban`, `unban` (in `remove`), `audit`: moderation by those who run a room, each
//!   action recorded in the room's audit log, which only they read.
//! - `room_message`, `private_message`: handed to the journal, which stores, delivers and
//!   acknowledges them.
//!   A `reply_to` must name a message of the same conversation.
//! - `edit`, `delete`, `react` (with `unreact`): changes to a message the user can see,
//!   checked here (author, room owner, emoji) and handed to the journal like messages.
//! - `typing`: a notice, throttled by the hub.
//! - `ping`: answered with a `pong`.
//! - `history`: a page of a conversation, from the store.
//! - `read`: a read marker, stored, then told to the user's other connections, and to those
//!   whose messages it passed (a read receipt).
//! - `receipts`: where the others of a conversation have read up to, from the store.
//! - `search`: the messages the user may read that match a query, from the store's full-text
//!   index, on a budget of its own.
//! - `conversations`: a page of the user's private conversations, from the store; their
//!   other persons become of interest to the connection (their presence).
//! - `members`: who of a room is online (for `lobby`, everyone online), page by page.
//! - `activity`: the page is away or back, for presence.
//! - `block`, `unblock`: who the user blocks, stored and told to all their connections.
//! - `retention`: a room's owner sets how long the room keeps its messages.

mod activity;
mod audit;
mod block;
mod conversations;
mod create_room;
mod delete;
mod edit;
mod history;
mod invite;
mod join;
mod leave;
mod members;
mod ping;
mod private_message;
mod react;
mod read;
mod receipts;
mod remove;
mod retention;
mod room_message;
mod rooms;
mod search;
mod set_role;
mod set_room;
mod typing;

use shared::limits::{check_body, check_room_text, BodyError};
use shared::{ClientFrame, ErrorCode, RoomName, RoomSettings, ServerFrame, Target, UserName};

use crate::change::{Change, ChangeKind};
use crate::clock::now_ms;
use crate::hub::{Hub, HubError};
use crate::journal::{Entry, Journal};
use crate::message::{Conversation, Destination, NewMessage};
use crate::outbox::{ConnId, Outbox};
use crate::store::{FoundMessage, Store};

/// A refused frame: the error code and a human explanation.
pub type Refusal = (ErrorCode, String);

impl From<HubError> for (ErrorCode, String) {
    fn from(e: HubError) -> Self {
        (e.code(), e.to_string())
    }
}

/// What a command works with: the connection that sent the frame and the server's parts.
pub struct Context<'a> {
    /// The connection, in the hub.
    pub id: ConnId,
    /// The connection's user.
    pub name: &'a UserName,
    /// The pool, the rooms, all fan-out.
    pub hub: &'a Hub,
    /// Memberships, history, read markers, accounts.
    pub store: &'a dyn Store,
    /// Where messages go to be stored and delivered.
    pub journal: &'a Journal,
    /// The connection's own queue, for answers to it alone.
    pub outbox: &'a Outbox,
    /// The user's rate budgets: searches spend from theirs, besides the frame budget the
    /// reader spends.
    pub slot: &'a crate::hub::Slot,
}

/// Does what `frame` asks.
pub async fn dispatch(cx: &Context<'_>, frame: ClientFrame) -> Result<(), Refusal> {
    match frame {
        ClientFrame::Join { room, .. } => join::run(cx, &room).await,
        ClientFrame::Leave { room, .. } => leave::run(cx, &room).await,
        ClientFrame::RoomMessage {
            room,
            body,
            reply_to,
            attachments,
            req,
        } => room_message::run(cx, &room, body, reply_to, attachments, req).await,
        ClientFrame::PrivateMessage {
            to,
            body,
            reply_to,
            attachments,
            req,
        } => private_message::run(cx, &to, body, reply_to, attachments, req).await,
        ClientFrame::Typing { target } => typing::run(cx, target),
        ClientFrame::Ping { req } => ping::run(cx, req),
        ClientFrame::History {
            target,
            before,
            around,
            limit,
            req,
        } => history::run(cx, target, before, around, limit, req).await,
        ClientFrame::Read { target, up_to, .. } => read::run(cx, target, up_to).await,
        ClientFrame::Conversations { before, req } => conversations::run(cx, before, req).await,
        ClientFrame::Edit { id, body, req } => edit::run(cx, id, body, req).await,
        ClientFrame::Delete { id, req } => delete::run(cx, id, req).await,
        ClientFrame::React { id, emoji, req } => react::run(cx, id, emoji, true, req).await,
        ClientFrame::Unreact { id, emoji, req } => react::run(cx, id, emoji, false, req).await,
        ClientFrame::Activity { away } => activity::run(cx, away),
        ClientFrame::Receipts { target, req } => receipts::run(cx, target, req).await,
        ClientFrame::Search {
            query,
            room,
            to,
            sender,
            since,
            until,
            limit,
            offset,
            req,
        } => {
            let filters = search::Filters {
                room,
                to,
                sender,
                since,
                until,
            };
            search::run(cx, &query, filters, limit, offset, req).await
        }
        ClientFrame::CreateRoom {
            room,
            topic,
            private,
            ..
        } => create_room::run(cx, &room, topic.as_deref(), private).await,
        ClientFrame::Rooms { query, offset, req } => rooms::run(cx, query, offset, req).await,
        ClientFrame::Invite { room, user, req } => invite::run(cx, &room, &user, req).await,
        ClientFrame::SetRoom {
            room,
            title,
            topic,
            archived,
            req,
        } => {
            let asked = set_room::Asked {
                title,
                topic,
                archived,
            };
            set_room::run(cx, &room, asked, req).await
        }
        ClientFrame::SetRole {
            room,
            user,
            moderator,
            req,
        } => set_role::run(cx, &room, &user, moderator, req).await,
        ClientFrame::Kick { room, user, req } => {
            remove::run(cx, &room, &user, remove::Sanction::Kick, req).await
        }
        ClientFrame::Ban { room, user, req } => {
            remove::run(cx, &room, &user, remove::Sanction::Ban, req).await
        }
        ClientFrame::Unban { room, user, req } => {
            remove::run(cx, &room, &user, remove::Sanction::Unban, req).await
        }
        ClientFrame::Audit { room, before, req } => audit::run(cx, &room, before, req).await,
        ClientFrame::Block { user, req } => block::run(cx, &user, true, req).await,
        ClientFrame::Unblock { user, req } => block::run(cx, &user, false, req).await,
        ClientFrame::Retention { room, days, req } => retention::run(cx, &room, days, req).await,
        ClientFrame::Members { room, after, req } => members::run(cx, &room, after.as_deref(), req),
    }
}

impl Context<'_> {
    /// Answers this connection alone.
    fn reply(&self, frame: &ServerFrame) {
        self.outbox.send(frame);
    }

    /// A message from `from` to `to`, stamped now, with no reply, change or file: the
    /// command sets those it has.
    fn message(from: UserName, to: Destination, body: String, req: Option<String>) -> NewMessage {
        NewMessage {
            from,
            to,
            body,
            at: now_ms(),
            req,
            reply_to: None,
            change: None,
            attachments: Vec::new(),
        }
    }

    /// Hands a message to the journal, which stores it, then delivers and acknowledges it.
    async fn store_and_deliver(&self, message: NewMessage) -> Result<(), Refusal> {
        let entry = Entry {
            message,
            origin: self.id,
        };
        self.journal.submit(entry).await.map_err(internal)
    }

    /// A user who has an account, by the name they claimed.
    async fn existing_user(&self, raw: &str) -> Result<UserName, Refusal> {
        let name = user_name(raw)?;
        if let Some(online) = self.hub.online_name(&name) {
            return Ok(online);
        }
        match self.store.find_account(&name).await.map_err(internal)? {
            Some(account) => Ok(account.name),
            None => Err((ErrorCode::UnknownUser, format!("nobody is called {name}"))),
        }
    }

    /// Message `id` of a conversation the user is in; `unknown_message` for any other id
    /// (none, a change's, another conversation's: alike, so that ids tell nothing).
    async fn visible_message(&self, id: u64) -> Result<FoundMessage, Refusal> {
        let unknown = || {
            (
                ErrorCode::UnknownMessage,
                format!("there is no message {id} in your conversations"),
            )
        };
        let found = self
            .store
            .find_message(self.name, id)
            .await
            .map_err(internal)?
            .ok_or_else(unknown)?;
        if let Destination::Room(room) = &found.to {
            self.hub.member(self.id, room).map_err(|_| unknown())?;
        }
        Ok(found)
    }

    /// The settings of `room`, which the user runs (owns or moderates): refused
    /// `not_member` when they are not in it (whether it exists or not), `not_allowed` when
    /// they are a plain member. The store decides, so every node agrees.
    async fn running(&self, room: &RoomName) -> Result<RoomSettings, Refusal> {
        self.hub.member(self.id, room)?;
        let settings = self.store.room(room).await.map_err(internal)?;
        match settings {
            Some(settings) if settings.runs(self.name.as_str()) => Ok(settings),
            _ => Err((
                ErrorCode::NotAllowed,
                format!("only those who run #{room} do that"),
            )),
        }
    }

    /// The settings of `room`, which the user owns; refused as [`Self::running`] does.
    async fn owned(&self, room: &RoomName) -> Result<RoomSettings, Refusal> {
        let settings = self.running(room).await?;
        if settings.owner.as_deref() == Some(self.name.as_str()) {
            Ok(settings)
        } else {
            Err((
                ErrorCode::NotAllowed,
                format!("only the owner of #{room} does that"),
            ))
        }
    }

    /// The user's uploads `ids`, each unsent and theirs, to go on a message they send now;
    /// `unknown_attachment` for any other id (someone else's, sent already, none: alike).
    async fn own_attachments(&self, ids: &[String]) -> Result<Vec<shared::Attachment>, Refusal> {
        if ids.len() > shared::attachments::MAX_ATTACHMENTS {
            return Err((
                ErrorCode::UnknownAttachment,
                format!(
                    "a message carries at most {} attachments",
                    shared::attachments::MAX_ATTACHMENTS
                ),
            ));
        }
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let record = self.store.attachment(id).await.map_err(internal)?;
            match record {
                Some(r)
                    if r.is_of(self.name)
                        && r.message_id.is_none()
                        && !found.contains(&r.attachment) =>
                {
                    found.push(r.attachment)
                }
                _ => {
                    return Err((
                        ErrorCode::UnknownAttachment,
                        format!("{id:?} is not an upload of yours waiting to be sent"),
                    ))
                }
            }
        }
        Ok(found)
    }

    /// Hands a change of message `id` (found) to the journal, like a message. In an archived
    /// room only deletions go through.
    async fn change(
        &self,
        found: FoundMessage,
        id: u64,
        kind: ChangeKind,
        body: String,
        req: Option<String>,
    ) -> Result<(), Refusal> {
        if let (Destination::Room(room), false) = (&found.to, kind == ChangeKind::Delete) {
            self.hub.writer(self.id, room)?;
        }
        let change = Change {
            message: id,
            kind,
            // The store names it from the message's row.
            place: shared::Place::Room {
                room: String::new(),
            },
        };
        let message = NewMessage {
            change: Some(change),
            ..Self::message(self.name.clone(), found.to, body, req)
        };
        self.store_and_deliver(message).await
    }

    /// The conversation a `history`, `read` or `receipts` frame names, if it is the user's.
    async fn conversation(&self, target: Target) -> Result<Conversation, Refusal> {
        match target {
            Target::Room { room } => {
                let room = room_name(&room)?;
                self.hub.member(self.id, &room)?;
                Ok(Conversation::Room(room))
            }
            Target::User { to } => Ok(Conversation::Private {
                me: self.name.clone(),
                other: self.existing_user(&to).await?,
            }),
        }
    }
}

/// A failure of ours: logged here, answered with `internal`.
fn internal(e: impl std::fmt::Display) -> Refusal {
    tracing::error!(error = %e, "request failed");
    (ErrorCode::Internal, "internal error".to_owned())
}

fn room_name(raw: &str) -> Result<RoomName, Refusal> {
    RoomName::parse(raw).map_err(|e| (ErrorCode::InvalidRoomName, e.to_string()))
}

/// A room's topic or title, trimmed; `None` when empty.
fn room_text(raw: &str, max: usize) -> Result<Option<String>, Refusal> {
    check_room_text(raw, max).map_err(|e| (ErrorCode::InvalidTopic, format!("the text: {e}")))
}

fn user_name(raw: &str) -> Result<UserName, Refusal> {
    UserName::parse(raw).map_err(|e| (ErrorCode::InvalidUserName, e.to_string()))
}

/// The body of a message with `attachments` (ids): one with files may have an empty body.
fn body_ok(body: &str, attachments: &[String]) -> Result<(), Refusal> {
    if !attachments.is_empty() && body.trim().is_empty() {
        return Ok(());
    }
    check_body(body).map_err(|e| {
        let code = match e {
            BodyError::Empty => ErrorCode::EmptyBody,
            BodyError::TooLong { .. } => ErrorCode::BodyTooLong,
        };
        (code, e.to_string())
    })
}
