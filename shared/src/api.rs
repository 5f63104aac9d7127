//! Bodies of the HTTP API. `POST /api/session` claims a name (or signs in to one that has a
//! password) and returns a session token; the WebSocket at `/ws` then requires that token.

use serde::{Deserialize, Serialize};

use crate::protocol::ErrorCode;

/// `POST /api/session`: claim `name`, or sign in to it when it has a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    pub name: String,
    /// Optional. Given when claiming a free name, it protects the name so that its owner can
    /// sign in again from another browser. Given for a taken name, it signs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// The answer to a successful `POST /api/session` and to `GET /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    /// The name as its owner first wrote it.
    pub name: String,
    /// The secret that proves the name is yours. Absent from `GET /api/session`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Whether the account has a password, so that it can be signed in to from elsewhere.
    /// Without one, only this device's session holds it: the client offers to add one.
    #[serde(default)]
    pub has_password: bool,
    /// Whether the account is an administrator (`--admin`, or `chat-server admin grant`) as
    /// the server answers: the client then offers the administrators' panel. Absent when not.
    #[serde(default, skip_serializing_if = "crate::skip::is_false")]
    pub admin: bool,
}

/// `PUT /api/session/password`: protect the caller's passwordless account with `password`,
/// so that it can be signed in to from elsewhere with `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRequest {
    pub password: String,
}

/// The body of every HTTP error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

/// `GET /api/sessions`: the caller's sessions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

/// One session, as its owner sees it. `DELETE /api/sessions/{id}` revokes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Names the session; not its token.
    pub id: String,
    /// When it was opened, ms since the Unix epoch.
    pub created_at: u64,
    /// When it was last used (signing in, checking the token, opening a WebSocket), ms since the
    /// Unix epoch, to within a minute. It expires `session_ttl` after that.
    pub last_used_at: u64,
    /// The `User-Agent` it was opened with, if any.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// The client address it was opened from.
    #[serde(default)]
    pub address: Option<String>,
    /// Whether this is the session whose token asked.
    pub current: bool,
}

/// The answer to `POST /api/export`: where to download the caller's archive, once, before
/// `expires_at` (ms since the Unix epoch). The link carries a one-use ticket, not the session
/// token, so a browser can simply follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportTicket {
    /// A path on this server: `/api/export/<ticket>`.
    pub url: String,
    pub expires_at: u64,
}

/// `messages.json` in the archive `GET /api/export/{ticket}` downloads: everything `name`
/// wrote, as it read at `exported_at` (ms since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportArchive {
    pub name: String,
    pub exported_at: u64,
    /// Oldest first; deleted messages are not in it.
    pub messages: Vec<ExportedMessage>,
    /// The files they uploaded and still have (sent or not), oldest first, each beside this
    /// file in the archive at its `path`.
    #[serde(default)]
    pub attachments: Vec<ExportedAttachment>,
}

/// One uploaded file of an [`ExportArchive`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedAttachment {
    /// As messages name it.
    #[serde(flatten)]
    pub attachment: crate::attachments::Attachment,
    /// The message it was sent with; absent when it was never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<u64>,
    /// Where its bytes are in the archive: `attachments/<id>/<name>`.
    pub path: String,
}

/// One message of an [`ExportArchive`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedMessage {
    pub id: u64,
    /// The room, for a room message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The other participant, for a private message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// When it was sent, ms since the Unix epoch.
    pub at: u64,
    /// As it reads now (edits show).
    pub body: String,
    /// The message it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
    /// When it was last edited, ms since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<u64>,
}

/// `GET /api/admin/figures` (an administrator's token): the whole chat's figures now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminFigures {
    /// Accounts stored, disabled ones included.
    pub accounts: u64,
    /// Of those, the disabled ones.
    pub disabled_accounts: u64,
    /// Users online on any node.
    pub online_users: u64,
    /// Rooms with members, `lobby` included.
    pub rooms: u64,
    /// Messages stored (changes such as edits and reactions not counted).
    pub messages: u64,
    /// Each node's open WebSockets: this node's now, the others' as of their last heartbeat.
    pub nodes: Vec<NodeFigures>,
}

/// One node's share of [`AdminFigures`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFigures {
    /// The node's name (`NODE_ID` and its suffix); `"local"` for a single node without a bus.
    pub node: String,
    /// Its open WebSockets.
    pub connections: u64,
}
