//! What each client frame does: one file per command, and [`dispatch`], the one `match` that
//! picks it. The connection's reader has already rate-limited and parsed the frame; a command
//! checks what it names (rooms, users, sizes), asks the hub, the store or the journal, and
//! answers. A refusal ([`Refusal`]) becomes an `error` frame, and the connection carries on.
//!
//! - `join`, `leave`: room memberships, stored before the hub announces them.
//! - `room_message`, `private_message`: handed to the journal, which stores, delivers and
//!   acknowledges them.
//! - `typing`: a notice, throttled by the hub.
//! - `ping`: answered with a `pong`.
//! - `history`: a page of a conversation, from the store.
//! - `read`: a read marker, stored, then told to the user's other connections.
//! - `conversations`: a page of the user's private conversations, from the store.

mod conversations;
mod history;
mod join;
mod leave;
mod ping;
mod private_message;
mod read;
mod room_message;
mod typing;

use shared::limits::{check_body, BodyError};
use shared::{ClientFrame, ErrorCode, RoomName, ServerFrame, Target, UserName};

use crate::clock::now_ms;
use crate::hub::{Hub, HubError};
use crate::journal::{Entry, Journal};
use crate::message::{Conversation, Destination, NewMessage};
use crate::outbox::{ConnId, Outbox};
use crate::store::Store;

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
}

/// Does what `frame` asks.
pub async fn dispatch(cx: &Context<'_>, frame: ClientFrame) -> Result<(), Refusal> {
    match frame {
        ClientFrame::Join { room, .. } => join::run(cx, &room).await,
        ClientFrame::Leave { room, .. } => leave::run(cx, &room).await,
        ClientFrame::RoomMessage {
            room, body, req, ..
        } => room_message::run(cx, &room, body, req).await,
        ClientFrame::PrivateMessage { to, body, req, .. } => {
            private_message::run(cx, &to, body, req).await
        }
        ClientFrame::Typing { target } => typing::run(cx, target),
        ClientFrame::Ping { req } => ping::run(cx, req),
        ClientFrame::History {
            target,
            before,
            limit,
            req,
        } => history::run(cx, target, before, limit, req).await,
        ClientFrame::Read { target, up_to, .. } => read::run(cx, target, up_to).await,
        ClientFrame::Conversations { before, req } => conversations::run(cx, before, req).await,
        ClientFrame::Edit { .. }
        | ClientFrame::Delete { .. }
        | ClientFrame::React { .. }
        | ClientFrame::Unreact { .. } => {
            Err((ErrorCode::UnknownType, "not implemented yet".to_owned()))
        }
    }
}

impl Context<'_> {
    /// Answers this connection alone.
    fn reply(&self, frame: &ServerFrame) {
        self.outbox.send(frame);
    }

    /// Hands a message to the journal, which stores it, then delivers and acknowledges it.
    async fn store_and_deliver(
        &self,
        from: UserName,
        to: Destination,
        body: String,
        req: Option<String>,
    ) -> Result<(), Refusal> {
        let message = NewMessage {
            from,
            to,
            body,
            at: now_ms(),
            req,
        };
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

    /// The conversation a `history` or `read` frame names, if it is the user's.
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

fn user_name(raw: &str) -> Result<UserName, Refusal> {
    UserName::parse(raw).map_err(|e| (ErrorCode::InvalidUserName, e.to_string()))
}

fn body_ok(body: &str) -> Result<(), Refusal> {
    check_body(body).map_err(|e| {
        let code = match e {
            BodyError::Empty => ErrorCode::EmptyBody,
            BodyError::TooLong { .. } => ErrorCode::BodyTooLong,
        };
        (code, e.to_string())
    })
}
