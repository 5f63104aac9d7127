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
}

/// The body of every HTTP error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}
