//! [`ErrorCode`]: why the server refused something, in WebSocket `error` frames and in HTTP
//! error bodies alike.

use serde::Serialize;

/// Machine-readable reasons, used in WebSocket `error` frames and in HTTP error bodies.
///
/// `Deserialize` is written by hand (in `error_code_de.rs`, through [`ErrorCode::ALL`]): a new
/// code goes into `ALL` and [`ErrorCode::as_str`] too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not valid JSON.
    MalformedJson,
    /// The frame's `type` is not one the server knows.
    UnknownType,
    /// A field is missing, has the wrong type, or a value is out of range.
    InvalidFrame,
    /// A binary frame; the protocol is text only.
    BinaryNotSupported,
    /// A message body longer than the limit.
    BodyTooLong,
    /// A message body that is empty or only white space.
    EmptyBody,
    /// A user name that breaks the naming rules.
    InvalidUserName,
    /// A room name that breaks the naming rules.
    InvalidRoomName,
    /// No user has that name.
    UnknownUser,
    /// You are not in that room.
    NotMember,
    /// `lobby` cannot be left.
    CannotLeaveLobby,
    /// You are in as many rooms as the server allows.
    TooManyRooms,
    /// Too many frames too fast; this one was dropped.
    RateLimited,
    /// HTTP: the name belongs to someone else.
    NameTaken,
    /// HTTP: the name looks like one that belongs to someone else (same confusable skeleton).
    NameConfusable,
    /// HTTP: the password does not match the name's.
    WrongPassword,
    /// HTTP: the password is too short or too long.
    InvalidPassword,
    /// HTTP: no session token, or one the server does not know.
    Unauthorized,
    /// HTTP: the page's origin is not allowed to open a WebSocket here.
    ForbiddenOrigin,
    /// HTTP: the server holds as many connections as it allows.
    ServerFull,
    /// HTTP: this user holds as many connections as the server allows one user.
    TooManyConnections,
    /// HTTP: too many passwords are being checked right now; try again after `Retry-After`.
    ServerBusy,
    /// HTTP: too many sign-in attempts on this name or from this address, or too many accounts
    /// created from this address; try again after `Retry-After`.
    TooManyAttempts,
    /// HTTP: no session of yours has that id.
    UnknownSession,
    /// HTTP: the account has a password already (`PUT /api/session/password`).
    PasswordSet,
    /// HTTP: the request body is not what the endpoint expects.
    BadRequest,
    /// HTTP: no resource at this path (under `/api`).
    NotFound,
    /// HTTP: the path does not take this method.
    MethodNotAllowed,
    /// HTTP: the request body did not arrive in time.
    RequestTimeout,
    /// Something went wrong on the server; it has been logged.
    Internal,
    /// The database did not answer in time or failed: what the frame asked may or may not
    /// have been stored. Send it again later; with the same `req` a message stored already is
    /// acknowledged with its id, never stored twice.
    Unavailable,
    /// The frame's `req` was used before by the same user for a different message (another
    /// body, conversation or kind of message): nothing was stored.
    ReqConflict,
    /// No message with that id in a conversation you are in (whether it does not exist or is
    /// not yours to see: the answer is the same).
    UnknownMessage,
    /// Not yours to do: someone else's message (only its author edits it, and only its author
    /// or the room's owner or a moderator deletes it), or a room's settings, roles or
    /// invitations (only those who run it change them).
    NotAllowed,
    /// The message was deleted: it cannot be edited or reacted to.
    MessageDeleted,
    /// The reaction is not an emoji (see `changes::check_emoji`).
    InvalidEmoji,
    /// The message has as many distinct reactions as allowed.
    TooManyReactions,
    /// A search query with no word, too long, or with too many words.
    InvalidQuery,
    /// `create_room`: a room by that name exists already.
    RoomExists,
    /// No room by that name that you may join: none exists, or it is private and you are not
    /// invited (the answer is the same).
    UnknownRoom,
    /// The room is archived: read-only.
    RoomArchived,
    /// A room's topic or title is too long or holds a control character.
    InvalidTopic,
    /// `invite`: that user is in the room already.
    AlreadyMember,
    /// You, or the user invited, are banned from that room.
    Banned,
    /// An attachment id that is not one of your uploads waiting to be attached (unknown,
    /// someone else's, or on a message already), or more than a message may carry.
    UnknownAttachment,
    /// HTTP: the upload is larger than the server takes (`--max-upload-bytes`).
    FileTooLarge,
    /// HTTP: the upload would take you past your quota (`--upload-quota-bytes`).
    QuotaExceeded,
    /// You block as many users as allowed ([`MAX_BLOCKS`]).
    TooManyBlocks,
    /// HTTP: the account was disabled by an administrator: its tokens and its password are
    /// refused until it is enabled again.
    AccountDisabled,
    /// HTTP: only an administrator may do this.
    NotAdmin,
}

impl ErrorCode {
    /// Every code, for documentation checks.
    pub const ALL: &'static [ErrorCode] = &[
        Self::MalformedJson,
        Self::UnknownType,
        Self::InvalidFrame,
        Self::BinaryNotSupported,
        Self::BodyTooLong,
        Self::EmptyBody,
        Self::InvalidUserName,
        Self::InvalidRoomName,
        Self::UnknownUser,
        Self::NotMember,
        Self::CannotLeaveLobby,
        Self::TooManyRooms,
        Self::RateLimited,
        Self::NameTaken,
        Self::NameConfusable,
        Self::WrongPassword,
        Self::InvalidPassword,
        Self::Unauthorized,
        Self::ForbiddenOrigin,
        Self::ServerFull,
        Self::TooManyConnections,
        Self::ServerBusy,
        Self::TooManyAttempts,
        Self::UnknownSession,
        Self::PasswordSet,
        Self::BadRequest,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::RequestTimeout,
        Self::Internal,
        Self::Unavailable,
        Self::ReqConflict,
        Self::UnknownMessage,
        Self::NotAllowed,
        Self::MessageDeleted,
        Self::InvalidEmoji,
        Self::TooManyReactions,
        Self::InvalidQuery,
        Self::RoomExists,
        Self::UnknownRoom,
        Self::RoomArchived,
        Self::InvalidTopic,
        Self::AlreadyMember,
        Self::Banned,
        Self::UnknownAttachment,
        Self::FileTooLarge,
        Self::QuotaExceeded,
        Self::TooManyBlocks,
        Self::AccountDisabled,
        Self::NotAdmin,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::UnknownType => "unknown_type",
            Self::InvalidFrame => "invalid_frame",
            Self::BinaryNotSupported => "binary_not_supported",
            Self::BodyTooLong => "body_too_long",
            Self::EmptyBody => "empty_body",
            Self::InvalidUserName => "invalid_user_name",
            Self::InvalidRoomName => "invalid_room_name",
            Self::UnknownUser => "unknown_user",
            Self::NotMember => "not_member",
            Self::CannotLeaveLobby => "cannot_leave_lobby",
            Self::TooManyRooms => "too_many_rooms",
            Self::RateLimited => "rate_limited",
            Self::NameTaken => "name_taken",
            Self::NameConfusable => "name_confusable",
            Self::WrongPassword => "wrong_password",
            Self::InvalidPassword => "invalid_password",
            Self::Unauthorized => "unauthorized",
            Self::ForbiddenOrigin => "forbidden_origin",
            Self::ServerFull => "server_full",
            Self::TooManyConnections => "too_many_connections",
            Self::ServerBusy => "server_busy",
            Self::TooManyAttempts => "too_many_attempts",
            Self::UnknownSession => "unknown_session",
            Self::PasswordSet => "password_set",
            Self::BadRequest => "bad_request",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::ReqConflict => "req_conflict",
            Self::UnknownMessage => "unknown_message",
            Self::NotAllowed => "not_allowed",
            Self::MessageDeleted => "message_deleted",
            Self::InvalidEmoji => "invalid_emoji",
            Self::TooManyReactions => "too_many_reactions",
            Self::InvalidQuery => "invalid_query",
            Self::RoomExists => "room_exists",
            Self::UnknownRoom => "unknown_room",
            Self::RoomArchived => "room_archived",
            Self::InvalidTopic => "invalid_topic",
            Self::AlreadyMember => "already_member",
            Self::Banned => "banned",
            Self::UnknownAttachment => "unknown_attachment",
            Self::FileTooLarge => "file_too_large",
            Self::QuotaExceeded => "quota_exceeded",
            Self::TooManyBlocks => "too_many_blocks",
            Self::AccountDisabled => "account_disabled",
            Self::NotAdmin => "not_admin",
        }
    }
}
