//! The HTTP surface: `fn app(state) -> Router`, so tests can build the whole server.
//!
//! - `/api/session`, `/api/sessions`: the session endpoints ([`crate::sessions`]).
//! - `/api/export`: a user's archive ([`crate::export`]).
//! - `/api/attachments`: uploads and the files served ([`crate::attachments::http`]).
//! - `GET /ws`: the WebSocket, after the origin and token checks.
//! - `GET /healthz`: liveness, with the sizes of the pool.
//! - `GET /metrics`: counters and histograms in the Prometheus text format.
//! - any other path under `/api`: 404 `not_found`.
//! - everything else: the built web client ([`crate::assets`]: precompressed, cached, the SPA
//!   fallback).
//!
//! Every error answer has an `ApiError` body ([`crate::error::api_errors`]); every answer has
//! the security headers ([`crate::security`]). The API's answers (all but `/ws` and the
//! client's files) are compressed when large enough ([`crate::compression`]) and carry
//! `Cache-Control: no-store`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{middleware, Json, Router};
use serde::Deserialize;
use shared::ErrorCode;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::admin::{self, Admin};
use crate::assets;
use crate::attachments::{self, Attachments, BlobError};
use crate::bus::{self, BusConfig};
use crate::compression;
use crate::config::Config;
use crate::connection::{Connection, LastSeen, Openings};
use crate::error::{self, ApiFailure};
use crate::export::{self, Exports};
use crate::hub::{Hub, HubConfig, Publish};
use crate::identity::{Identity, Token};
use crate::journal::Journal;
use crate::metrics::{self, Metrics};
use crate::security;
use crate::sessions::{self, bearer, Sessions};
use crate::store::{Store, StoreError};
use crate::tasks::Tasks;
use crate::ws::{Upgrade, UpgradeRejection};

/// Everything the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub hub: Hub,
    pub identity: Identity,
    pub store: Arc<dyn Store>,
    /// Stores messages, then has the hub deliver them.
    pub journal: Journal,
    /// The bus to the other nodes, when there are any: for readiness and this node's name.
    pub bus: Option<bus::Publisher>,
    /// Cancelled on shutdown; every connection task watches it.
    pub shutdown: CancellationToken,
    /// Tracks connection tasks so that shutdown can wait for them.
    pub connections: TaskTracker,
    /// The background tasks (the journal, the flusher, presence, the bus, the store's), stopped
    /// and awaited once the connections are closed.
    pub tasks: Tasks,
    /// Uploaded files: their records and their storage.
    pub attachments: Attachments,
    /// One permit per open WebSocket, up to `max_connections`.
    permits: Arc<Semaphore>,
    /// The connections reading their start from the store, a few at a time (public for the
    /// tests, which hold every turn to keep a connection between its token check and the hub).
    pub openings: Openings,
    /// Departures' times, written in batches.
    last_seen: LastSeen,
}

/// Why the server's state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("attachment storage: {0}")]
    Attachments(#[from] BlobError),
}

impl AppState {
    /// Loads what the hub keeps in memory from `store` and starts, in `tasks`, the journal,
    /// the flusher, the hub's presence timer, and, with `--redis-url`, the bus to the other
    /// nodes. The server stops them once the connections are closed.
    pub async fn open(
        config: Config,
        store: Arc<dyn Store>,
        tasks: Tasks,
    ) -> Result<Self, OpenError> {
        let attachments = Attachments::new(
            store.clone(),
            Attachments::open_blobs(&config).await?,
            config.max_upload_bytes,
            config.upload_quota_bytes,
        );
        let memberships = store.memberships().await?;
        let last_id = store.last_id().await?;
        let (publisher, outgoing) = match &config.redis_url {
            Some(_) => {
                let (publisher, outgoing) = bus::channel(&config.node_id);
                (Some(publisher), Some(outgoing))
            }
            None => (None, None),
        };
        let hub = Hub::new(
            HubConfig {
                max_rooms_per_user: config.max_rooms_per_user,
                max_connections_per_user: usize::try_from(config.max_connections_per_user)
                    .unwrap_or(usize::MAX),
                conversations_page: config.conversations_page,
                typing_interval: config.typing_interval(),
                presence_interval: config.presence_interval(),
                limits: shared::protocol::ServerLimits {
                    max_body_chars: shared::limits::MAX_BODY_CHARS,
                    max_frame_bytes: config.max_frame_bytes,
                    rate_per_sec: config.rate_per_sec,
                    burst: config.rate_burst,
                },
            },
            Arc::new(Metrics::default()),
            memberships,
            last_id,
            publisher
                .clone()
                .map(|publisher| Arc::new(publisher) as Arc<dyn Publish>),
        );
        hub.set_rooms(store.rooms().await?);
        let journal = Journal::start(
            store.clone(),
            hub.clone(),
            hub.metrics().clone(),
            last_id,
            config.store_timeout(),
            &tasks,
        );
        tasks.spawn("presence", hub.clone().run_presence(tasks.token()));
        tasks.spawn("flusher", hub.clone().run_flusher(tasks.token()));
        tasks.spawn(
            "pinger",
            hub.clone()
                .run_pinger(config.ping_interval(), tasks.token()),
        );
        if let (Some(url), Some(outgoing)) = (&config.redis_url, outgoing) {
            let bus_config = BusConfig {
                url: url.clone(),
                prefix: config.redis_prefix.clone(),
                heartbeat: config.heartbeat(),
                expiry: config.node_expiry(),
            };
            tasks.spawn(
                "bus",
                bus::run(
                    bus_config,
                    outgoing,
                    hub.clone(),
                    journal.clone(),
                    store.clone(),
                    tasks.token(),
                ),
            );
        }
        tasks.spawn(
            "attachment sweeper",
            attachments::sweeper::run(attachments.clone(), tasks.token()),
        );
        let retention = crate::retention::RetentionConfig {
            days: config.retention_days,
            interval: config.retention_interval(),
            batch: config.retention_batch,
        };
        tasks.spawn(
            "retention",
            crate::retention::run(store.clone(), retention, tasks.token()),
        );
        let identity = Identity::new(store.clone(), &config, &tasks);
        let last_seen = LastSeen::start(store.clone(), config.store_timeout(), &tasks);
        Ok(Self {
            last_seen,
            attachments,
            permits: Arc::new(Semaphore::new(config.max_connections)),
            openings: Openings::default(),
            config: Arc::new(config),
            journal,
            bus: publisher,
            hub,
            identity,
            store,
            shutdown: CancellationToken::new(),
            connections: TaskTracker::new(),
            tasks,
        })
    }
}

pub fn app(state: AppState) -> Router {
    let client = assets::service(&state.config.static_dir);
    let sessions = sessions::router(Sessions {
        identity: state.identity.clone(),
        hub: state.hub.clone(),
        trusted_proxies: state.config.trusted_proxies.clone().into(),
    });
    let exports = export::router(Exports::new(
        state.identity.clone(),
        state.store.clone(),
        state.attachments.blobs().clone(),
    ));
    let admin = admin::router(Admin {
        identity: state.identity.clone(),
        store: state.store.clone(),
        hub: state.hub.clone(),
        node: state
            .bus
            .as_ref()
            .map_or_else(|| "local".to_owned(), |bus| bus.node().to_owned()),
    });
    // Everything but the WebSocket and the client's files: JSON (and the metrics' text),
    // compressed when it pays, never kept by a cache (session tokens, live figures).
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(scrape))
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .with_state(state.clone())
        .merge(sessions)
        .merge(exports)
        .merge(attachments::http::router(
            state.attachments.clone(),
            state.identity.clone(),
        ))
        .merge(admin)
        .layer(compression::layer())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .route("/ws", get(upgrade))
        .with_state(state)
        .merge(api)
        .fallback_service(client)
        .layer(middleware::from_fn(error::api_errors))
        .layer(middleware::from_fn(security::security_headers))
}

/// A path under `/api` that the API does not have: not the web client's `index.html`.
async fn not_found() -> ApiFailure {
    ApiFailure::not_found()
}

#[derive(Debug, Deserialize)]
struct WsQuery {
    token: Option<String>,
    /// The highest message id the client holds: it gets every later one.
    after: Option<u64>,
}

async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<WsQuery>, QueryRejection>,
    ws: Result<Upgrade, UpgradeRejection>,
) -> Result<Response, ApiFailure> {
    if !origin_allowed(&headers, &state.config.allowed_origins) {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ForbiddenOrigin,
            "this origin may not open a WebSocket here",
        ));
    }
    // A malformed query (`after=-1`, `after=abc`, an `after` beyond 2^64 - 1) is the
    // client's mistake, not a sign that its token is dead: 400, not 401.
    let Query(query) = query.map_err(|e| {
        ApiFailure::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("the query is malformed: {}", e.body_text()),
        )
    })?;
    let token = bearer(&headers)
        .or_else(|| query.token.map(Token::new))
        .ok_or_else(ApiFailure::unauthorized)?;
    let session = state.identity.authenticate(&token).await?;
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    // The user's slot first, taken atomically: one user cannot hold every server slot.
    let slot = state.hub.reserve_slot(&session.name).map_err(|e| {
        ApiFailure::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyConnections,
            e.to_string(),
        )
    })?;
    let permit = state.permits.clone().try_acquire_owned().map_err(|_| {
        ApiFailure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerFull,
            "the server holds as many connections as it allows",
        )
    })?;
    let connection = Connection {
        hub: state.hub.clone(),
        store: state.store.clone(),
        journal: state.journal.clone(),
        last_seen: state.last_seen.clone(),
        session,
        after: query.after,
        config: state.config.clone(),
        shutdown: state.shutdown.clone(),
        permit,
        slot,
        openings: state.openings.clone(),
        task: state.connections.token(),
    };
    Ok(ws.on_upgrade(move |socket| connection.serve(socket)))
}

async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    let stats = state.hub.stats();
    Json(serde_json::json!({
        "status": "ok",
        "connections": stats.connections,
        "users_online": stats.users_online,
        "rooms": stats.rooms,
    }))
}

/// Readiness: 200 when the store answers and takes writes and (with several nodes) the bus
/// link is up, else 503. A load balancer sends new connections elsewhere while this node is
/// not ready.
async fn readyz(State(state): State<AppState>) -> Response {
    let within = std::time::Duration::from_secs(2);
    let store_ok = matches!(
        tokio::time::timeout(within, state.store.ping()).await,
        Ok(Ok(()))
    );
    // A store that answers reads may still refuse writes (read-only, locked, broken schema):
    // then nothing sent would be stored.
    let writable = store_ok
        && match tokio::time::timeout(within, state.store.probe_write()).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the store refuses writes");
                false
            }
            Err(_) => {
                tracing::warn!(?within, "the store did not take a write in time");
                false
            }
        };
    let bus = state.bus.as_ref().map(bus::Publisher::is_up);
    let ready = writable && bus != Some(false);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "store": match (store_ok, writable) {
            (true, true) => "ok",
            (true, false) => "refuses_writes",
            (false, _) => "unreachable",
        },
        "bus": match bus {
            None => "none",
            Some(true) => "ok",
            Some(false) => "unreachable",
        },
        "node": state.bus.as_ref().map(|bus| bus.node().to_owned()),
    });
    (status, Json(body)).into_response()
}

/// `GET /metrics`: the Prometheus text exposition, gauges read from the hub and the store now.
async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let body = state
        .hub
        .metrics()
        .render(state.hub.stats(), state.store.lists_behind());
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body)
}

/// Cross-site WebSocket hijacking guard. Browsers always send `Origin`; other clients need not.
/// With no allow-list, only a page from the host the request was sent to may connect.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    let listed: Vec<&str> = allowed
        .iter()
        .map(|a| a.trim().trim_end_matches('/'))
        .filter(|a| !a.is_empty())
        .collect();
    if !listed.is_empty() {
        return listed
            .iter()
            .any(|a| *a == "*" || a.eq_ignore_ascii_case(origin));
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn same_origin_by_default() {
        assert!(origin_allowed(&headers(None, "chat.example:8080"), &[]));
        assert!(origin_allowed(
            &headers(Some("http://chat.example:8080"), "chat.example:8080"),
            &[]
        ));
        assert!(origin_allowed(
            &headers(Some("https://Chat.Example"), "chat.example"),
            &[]
        ));
        assert!(!origin_allowed(
            &headers(Some("http://evil.example"), "chat.example"),
            &[]
        ));
        assert!(!origin_allowed(
            &headers(Some("http://chat.example:9999"), "chat.example:8080"),
            &[]
        ));
        assert!(!origin_allowed(&headers(Some("null"), "chat.example"), &[]));
    }

    #[test]
    fn an_allow_list_replaces_the_default() {
        let allowed = vec!["http://127.0.0.1:8081/".to_owned()];
        assert!(origin_allowed(
            &headers(Some("http://127.0.0.1:8081"), "127.0.0.1:3000"),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"),
            &allowed
        ));
        assert!(origin_allowed(
            &headers(Some("http://anything"), "x"),
            &["*".to_owned()]
        ));
    }
}
