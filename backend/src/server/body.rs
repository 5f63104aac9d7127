//! A request's body within a deadline: read in full (up to [`MAX_BODY_BYTES`]) before the
//! handler runs, so that a trickled body is answered 408 `request_timeout` once the deadline
//! (`--body-timeout-secs`) passes, and an oversized one 413 `bad_request`, instead of holding
//! its connection for as long as the sender likes.

use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::ErrorCode;

use crate::error::ApiFailure;

/// The largest request body accepted: the API's bodies are a name and a password.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Middleware: reads the body within `deadline`, then hands the request on.
pub async fn within_deadline(
    State(deadline): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().size_hint().exact() == Some(0) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, MAX_BODY_BYTES);
    let bytes = match tokio::time::timeout(deadline, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            return ApiFailure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BadRequest,
                format!(
                    "the request body is unreadable or larger than {MAX_BODY_BYTES} bytes: {e}"
                ),
            )
            .into_response()
        }
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
