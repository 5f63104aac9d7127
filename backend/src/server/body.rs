//! A request's body within a deadline: read in full (up to [`MAX_BODY_BYTES`]) before the
//! handler runs, so that a trickled body is answered 408 `request_timeout` once the deadline
//! (`--body-timeout-secs`) passes, and an oversized one 413 `bad_request`, instead of holding
//! its connection for as long as the sender likes. An upload (`POST /api/attachments`) has
//! its own bounds: `--max-upload-bytes` (413 `file_too_large`, at once when its
//! `Content-Length` says so) within `--upload-timeout-secs`.

use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::ErrorCode;

use crate::error::ApiFailure;

/// The largest request body accepted: the API's bodies are a name and a password.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a body may take and how large it may be.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// `--body-timeout-secs`.
    pub deadline: Duration,
    /// `--upload-timeout-secs`, for uploads.
    pub upload_deadline: Duration,
    /// `--max-upload-bytes`.
    pub upload_bytes: u64,
}

/// The path uploads are sent to.
const UPLOAD_PATH: &str = "/api/attachments";

/// Middleware: reads the body within its deadline, then hands the request on.
pub async fn within_deadline(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().size_hint().exact() == Some(0) {
        return next.run(request).await;
    }
    let upload = request.method() == Method::POST && request.uri().path() == UPLOAD_PATH;
    let (max, deadline) = if upload {
        let max = usize::try_from(limits.upload_bytes).unwrap_or(usize::MAX);
        (max, limits.upload_deadline)
    } else {
        (MAX_BODY_BYTES, limits.deadline)
    };
    let too_large = |e: &dyn std::fmt::Display| {
        let response = if upload {
            ApiFailure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::FileTooLarge,
                format!("a file may be at most {max} bytes"),
            )
        } else {
            ApiFailure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BadRequest,
                format!("the request body is unreadable or larger than {max} bytes: {e}"),
            )
        };
        response.into_response()
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(&"its Content-Length says so");
    }
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, max);
    let bytes = match tokio::time::timeout(deadline, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return too_large(&e),
        Err(_) => {
            tracing::debug!(method = %parts.method, path = %parts.uri.path(), ?deadline, "request body too slow");
            return ApiFailure::new(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::RequestTimeout,
                format!(
                    "the request body did not arrive within {} s",
                    deadline.as_secs()
                ),
            )
            .into_response();
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
