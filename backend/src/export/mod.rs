//! A user's export: everything they wrote and the files they uploaded, as one zip archive
//! they download.
//!
//! - `POST /api/export` (the session token as `Authorization: Bearer`): a one-use link,
//!   valid for [`TICKET_TTL`], that replaces the caller's earlier one. The ticket is stored
//!   (its SHA-256) so that any node can take it.
//! - `GET /api/export/{ticket}`: the archive ([`archive`]), `Content-Disposition: attachment`,
//!   so a browser that follows the link saves it and stays on the page. An unknown, used or
//!   expired ticket is 404.
//!
//! Writing an archive reads every message of the store once, so few run at a time
//! ([`MAX_RUNNING`] per node); more are refused with 503 `server_busy` and `Retry-After`.

mod archive;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::api::ExportTicket;
use shared::ErrorCode;
use tokio::sync::Semaphore;
use tokio_util::io::ReaderStream;

use crate::attachments::Blobs;
use crate::clock::now_ms;
use crate::error::ApiFailure;
use crate::identity::{Identity, Token};
use crate::sessions::{bearer, Refusal};
use crate::store::Store;

/// How long a download link stays valid.
pub const TICKET_TTL: Duration = Duration::from_secs(60);
/// Archives written at once on one node.
pub const MAX_RUNNING: usize = 2;
/// What a refused download is told to wait.
const BUSY_RETRY: Duration = Duration::from_secs(5);

/// What the export endpoints share. Cheap to clone.
#[derive(Clone)]
pub struct Exports {
    pub identity: Identity,
    pub store: Arc<dyn Store>,
    /// Where the uploads' bytes are.
    pub blobs: Arc<dyn Blobs>,
    /// Bounds the archives written at once.
    pub running: Arc<Semaphore>,
}

impl Exports {
    pub fn new(identity: Identity, store: Arc<dyn Store>, blobs: Arc<dyn Blobs>) -> Self {
        Self {
            identity,
            store,
            blobs,
            running: Arc::new(Semaphore::new(MAX_RUNNING)),
        }
    }
}

/// The export endpoints, on `exports`.
pub fn router(exports: Exports) -> Router {
    Router::new()
        .route("/api/export", post(ticket))
        .route("/api/export/{ticket}", get(download))
        .with_state(exports)
}

async fn ticket(
    State(exports): State<Exports>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<ExportTicket>), Refusal> {
    let token = bearer(&headers).ok_or_else(ApiFailure::unauthorized)?;
    let session = exports.identity.authenticate(&token).await?;
    let ticket = Token::generate();
    let expires_at = now_ms() + TICKET_TTL.as_millis() as u64;
    exports
        .store
        .create_export_ticket(&ticket.session_id().0, &session.name, expires_at)
        .await
        .map_err(ApiFailure::from)?;
    Ok((
        StatusCode::CREATED,
        Json(ExportTicket {
            url: format!("/api/export/{}", ticket.expose()),
            expires_at,
        }),
    ))
}

async fn download(
    State(exports): State<Exports>,
    Path(ticket): Path<String>,
) -> Result<Response, Refusal> {
    let Ok(permit) = exports.running.clone().try_acquire_owned() else {
        return Err(Refusal::with_retry(
            ApiFailure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServerBusy,
                "too many exports are being written: try again shortly",
            ),
            BUSY_RETRY,
        ));
    };
    let now = now_ms();
    let hash = Token::new(ticket).session_id().0;
    let name = exports
        .store
        .take_export_ticket(&hash, now)
        .await
        .map_err(ApiFailure::from)?
        .ok_or_else(ApiFailure::not_found)?;
    let sources = archive::Sources {
        store: exports.store.clone(),
        blobs: exports.blobs.clone(),
    };
    let archive = archive::write(sources, name.clone(), now)
        .await
        .map_err(|err| {
            tracing::error!(user = %name, error = %err, "export failed");
            ApiFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "the export could not be written",
            )
        })?;
    drop(permit);
    tracing::info!(user = %name, bytes = archive.len, "export written");
    let body = Body::from_stream(ReaderStream::new(tokio::fs::File::from_std(archive.file)));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_LENGTH, HeaderValue::from(archive.len)),
            (header::CONTENT_DISPOSITION, disposition(name.as_str())),
        ],
        body,
    )
        .into_response())
}

/// `attachment` with an ASCII file name for old clients and the real one (RFC 6266, RFC 8187).
fn disposition(name: &str) -> HeaderValue {
    let mut encoded = String::new();
    for byte in format!("chat-export-{name}.zip").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"chat-export.zip\"; filename*=UTF-8''{encoded}"
    ))
    .expect("percent-encoded ASCII is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_is_percent_encoded() {
        assert_eq!(
            disposition("Zoë b").to_str().unwrap(),
            "attachment; filename=\"chat-export.zip\"; filename*=UTF-8''chat-export-Zo%C3%AB%20b.zip"
        );
    }
}
