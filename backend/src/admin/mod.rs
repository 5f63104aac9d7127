//! Administrators: who is one (`--admin NAME`, or `chat-server admin grant NAME` stored in
//! the accounts), and what only they may do over HTTP, with their session token:
//!
//! - `PUT /api/admin/accounts/{name}/disabled`: disable an account. Its tokens are refused
//!   (403 `account_disabled`), signing in to it too, and its open WebSockets are closed with
//!   4003 on every node.
//! - `DELETE /api/admin/accounts/{name}/disabled`: enable it again; its sessions work again.
//! - `GET /api/admin/figures`: accounts, disabled accounts, users online, rooms, messages
//!   stored, each node's open WebSockets.
//!
//! Anyone else gets 403 `not_admin`. [`cli`] is the `chat-server admin` subcommand.

pub mod cli;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Json, Router};
use shared::api::{AdminFigures, NodeFigures};
use shared::{close, ErrorCode, UserName};

use crate::error::ApiFailure;
use crate::hub::Hub;
use crate::identity::{Identity, Session};
use crate::sessions::{bearer, Refusal};
use crate::store::Store;

/// What the administrators' endpoints share. Cheap to clone.
#[derive(Clone)]
pub struct Admin {
    /// Whose token it is, and whether they are an administrator.
    pub identity: Identity,
    /// Accounts (who is disabled) and the stored figures.
    pub store: Arc<dyn Store>,
    /// To close a disabled account's connections, and the live figures.
    pub hub: Hub,
    /// This node's name in the figures.
    pub node: String,
}

/// The administrators' endpoints, on `admin`.
pub fn router(admin: Admin) -> Router {
    Router::new()
        .route(
            "/api/admin/accounts/{name}/disabled",
            put(disable).delete(enable),
        )
        .route("/api/admin/figures", get(figures))
        .with_state(admin)
}

impl Admin {
    /// The session of the token in `headers`, if it is an administrator's: 401 without a
    /// valid token, 403 `not_admin` for anyone else.
    async fn administrator(&self, headers: &HeaderMap) -> Result<Session, Refusal> {
        let token = bearer(headers).ok_or_else(ApiFailure::unauthorized)?;
        let session = self.identity.authenticate(&token).await?;
        let admin = self
            .identity
            .is_admin(&session.name)
            .await
            .map_err(internal)?;
        if !admin {
            tracing::info!(user = %session.name, "not an administrator");
            return Err(ApiFailure::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NotAdmin,
                "only an administrator may do this",
            )
            .into());
        }
        Ok(session)
    }
}

async fn disable(
    State(admin): State<Admin>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<StatusCode, Refusal> {
    let by = admin.administrator(&headers).await?;
    let name = account_name(&name)?;
    if name.key() == by.name.key() {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            ErrorCode::NotAllowed,
            "an administrator cannot disable their own account",
        )
        .into());
    }
    let name = admin
        .store
        .set_disabled(&name, true)
        .await
        .map_err(internal)?
        .ok_or_else(|| unknown(&name))?;
    // Stored first: a connection opened from now on is refused at its upgrade.
    admin.hub.close_user(&name, close::ACCOUNT_DISABLED);
    tracing::info!(user = %name, by = %by.name, "account disabled");
    Ok(StatusCode::NO_CONTENT)
}

async fn enable(
    State(admin): State<Admin>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<StatusCode, Refusal> {
    let by = admin.administrator(&headers).await?;
    let name = account_name(&name)?;
    let name = admin
        .store
        .set_disabled(&name, false)
        .await
        .map_err(internal)?
        .ok_or_else(|| unknown(&name))?;
    tracing::info!(user = %name, by = %by.name, "account enabled");
    Ok(StatusCode::NO_CONTENT)
}

async fn figures(
    State(admin): State<Admin>,
    headers: HeaderMap,
) -> Result<Json<AdminFigures>, Refusal> {
    admin.administrator(&headers).await?;
    let stored = admin.store.figures().await.map_err(internal)?;
    let live = admin.hub.figures();
    let mut nodes = vec![NodeFigures {
        node: admin.node.clone(),
        connections: live.connections,
    }];
    nodes.extend(
        live.nodes
            .into_iter()
            .map(|(node, connections)| NodeFigures { node, connections }),
    );
    Ok(Json(AdminFigures {
        accounts: stored.accounts,
        disabled_accounts: stored.disabled_accounts,
        online_users: live.online_users,
        rooms: live.rooms,
        messages: stored.messages,
        nodes,
    }))
}

fn account_name(raw: &str) -> Result<UserName, Refusal> {
    UserName::parse(raw).map_err(|e| {
        ApiFailure::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidUserName,
            e.to_string(),
        )
        .into()
    })
}

fn unknown(name: &UserName) -> Refusal {
    ApiFailure::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownUser,
        format!("nobody is called {name}"),
    )
    .into()
}

/// A failure of ours: logged, answered 500 `internal`.
fn internal(e: impl std::fmt::Display) -> Refusal {
    tracing::error!(error = %e, "administrator's request failed");
    ApiFailure::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "internal error",
    )
    .into()
}
