//! The session endpoints: claiming a name or signing in, checking a token, signing out, and a
//! user's list of sessions, each of which its owner can revoke.
//!
//! - `POST /api/session`, `GET /api/session`, `DELETE /api/session`
//! - `PUT /api/session/password`: a password for a passwordless account
//! - `GET /api/sessions`, `DELETE /api/sessions/{id}`
//!
//! [`client`] works out who is asking (address and `User-Agent`), for the attempt limits and
//! the session list; [`cookie`] is the files cookie that sign-in and the token check set and
//! signing out clears.

mod client;
pub mod cookie;

pub use client::client;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use shared::api::{PasswordRequest, SessionInfo, SessionList, SessionRequest, SessionResponse};
use shared::{close, ErrorCode, RoomName, UserName};

use crate::cidr::Cidr;
use crate::error::ApiFailure;
use crate::hub::Hub;
use crate::identity::{public_id, Identity, IdentityError, Session, Token};

/// What the session endpoints share. Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    pub identity: Identity,
    /// To close an ended session's WebSockets, and forget a released name's memberships.
    pub hub: Hub,
    /// `--trusted-proxies`: peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<[Cidr]>,
}

impl Sessions {
    /// Whether the files cookie is `Secure`: the request came over HTTPS.
    fn secure(&self, peer: SocketAddr, headers: &HeaderMap) -> bool {
        cookie::over_https(peer, headers, &self.trusted_proxies)
    }

    /// After `name` was released with its old account: every node forgets that account's
    /// memberships, and the members of the rooms it owned hear who owns each now (the
    /// release passed them on, as an owner's leaving does).
    async fn released(&self, name: &UserName) {
        let owned: Vec<RoomName> = self
            .hub
            .rooms_of(name)
            .into_iter()
            .filter(|room| {
                self.hub.settings(room).is_some_and(|s| {
                    s.owner
                        .and_then(|owner| UserName::parse(&owner).ok())
                        .is_some_and(|owner| owner.key() == name.key())
                })
            })
            .collect();
        self.hub.forget(name);
        for room in owned {
            match self.identity.room(&room).await {
                Ok(Some(settings)) => {
                    tracing::info!(room = %room, owner = ?settings.owner, "ownership passed on");
                    self.hub.update_room(&room, settings);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(room = %room, error = %e, "reading a released owner's room")
                }
            }
        }
    }

    /// After a session ended (signed out or revoked): its WebSockets are closed with 4001.
    /// The account stays, and so do its memberships.
    fn ended(&self, session: &Session) {
        self.hub.close_session(&session.id, close::SESSION_ENDED);
    }
}

/// The session endpoints, on `sessions`.
pub fn router(sessions: Sessions) -> Router {
    Router::new()
        .route("/api/session", get(who_am_i).post(claim).delete(sign_out))
        .route("/api/session/password", put(set_password))
        .route("/api/sessions", get(list))
        .route("/api/sessions/{id}", delete(revoke))
        .with_state(sessions)
}

/// An error answer, with `Retry-After` when the client should wait before trying again.
#[derive(Debug)]
pub struct Refusal {
    failure: ApiFailure,
    retry_after: Option<Duration>,
}

impl Refusal {
    /// `failure`, to be tried again after `wait`.
    pub fn with_retry(failure: ApiFailure, wait: Duration) -> Self {
        Self {
            failure,
            retry_after: Some(wait),
        }
    }
}

impl From<ApiFailure> for Refusal {
    fn from(failure: ApiFailure) -> Self {
        Self {
            failure,
            retry_after: None,
        }
    }
}

impl From<IdentityError> for Refusal {
    fn from(e: IdentityError) -> Self {
        let retry_after = e.retry_after();
        Self {
            failure: e.into(),
            retry_after,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = self.failure.into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs_f64().ceil().max(1.0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs as u64));
        }
        response
    }
}

async fn claim(
    State(sessions): State<Sessions>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<SessionRequest>, JsonRejection>,
) -> Result<Response, Refusal> {
    let Json(request) = body.map_err(|e| {
        ApiFailure::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.body_text(),
        )
    })?;
    let client = client(peer, &headers, &sessions.trusted_proxies);
    let claim = sessions.identity.claim(request, &client).await?;
    if let Some(released) = &claim.released {
        sessions.released(released).await;
    }
    tracing::info!(
        user = %claim.name,
        created = claim.created,
        address = %client.address,
        "session opened"
    );
    let status = if claim.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let admin = sessions
        .identity
        .claim_is_admin(&claim)
        .await
        .map_err(IdentityError::Store)?;
    let body = SessionResponse {
        name: claim.name.to_string(),
        token: Some(claim.token.expose().to_owned()),
        has_password: claim.has_password,
        admin,
    };
    let files = cookie::set(&claim.token, sessions.secure(peer, &headers));
    Ok((status, [(header::SET_COOKIE, files)], Json(body)).into_response())
}

async fn who_am_i(
    State(sessions): State<Sessions>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let token = bearer(&headers).ok_or_else(ApiFailure::unauthorized)?;
    let session = sessions.identity.authenticate(&token).await?;
    let body = SessionResponse {
        admin: sessions
            .identity
            .is_admin(&session.name)
            .await
            .map_err(IdentityError::Store)?,
        name: session.name.to_string(),
        token: None,
        has_password: session.has_password,
    };
    // A page that was signed in before it started gets its files cookie here.
    let files = cookie::set(&token, sessions.secure(peer, &headers));
    Ok(([(header::SET_COOKIE, files)], Json(body)).into_response())
}

/// Signs out; the files cookie is cleared whatever the answer (a token that no longer works
/// has no use in it either).
async fn sign_out(
    State(sessions): State<Sessions>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let clear = cookie::clear(sessions.secure(peer, &headers));
    let ended = async {
        let token = bearer(&headers).ok_or_else(ApiFailure::unauthorized)?;
        let session = sessions.identity.sign_out(&token).await?;
        sessions.ended(&session);
        tracing::info!(user = %session.name, "signed out");
        Ok::<_, Refusal>(StatusCode::NO_CONTENT)
    }
    .await;
    ([(header::SET_COOKIE, clear)], ended).into_response()
}

async fn set_password(
    State(sessions): State<Sessions>,
    headers: HeaderMap,
    body: Result<Json<PasswordRequest>, JsonRejection>,
) -> Result<StatusCode, Refusal> {
    let token = bearer(&headers).ok_or_else(ApiFailure::unauthorized)?;
    let Json(request) = body.map_err(|e| {
        ApiFailure::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.body_text(),
        )
    })?;
    let session = sessions
        .identity
        .set_password(&token, request.password)
        .await?;
    tracing::info!(user = %session.name, "password added");
    Ok(StatusCode::NO_CONTENT)
}

async fn list(
    State(sessions): State<Sessions>,
    headers: HeaderMap,
) -> Result<Json<SessionList>, Refusal> {
    let token = bearer(&headers).ok_or_else(ApiFailure::unauthorized)?;
    let (current, records) = sessions.identity.sessions(&token).await?;
    let sessions = records
        .into_iter()
        .map(|s| SessionInfo {
            id: public_id(&s.id),
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            user_agent: s.user_agent,
            address: s.address,
            current: s.id == current.id,
        })
        .collect();
    Ok(Json(SessionList { sessions }))
}

async fn revoke(
    State(sessions): State<Sessions>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, Refusal> {
    let token = bearer(&headers).ok_or_else(ApiFailure::unauthorized)?;
    let session = sessions.identity.revoke(&token, &id).await?;
    sessions.ended(&session);
    tracing::info!(user = %session.name, "session revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<Token> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| Token::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        let mut h = HeaderMap::new();
        assert!(bearer(&h).is_none());
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h), Some(Token::new("abc")));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(bearer(&h).is_none());
    }
}
