//! HTTP error answers: one type, one body shape (`shared::api::ApiError`), logged in one place;
//! and [`api_errors`], the middleware that gives every other 4xx and 5xx answer (axum's 405,
//! the handshake's refusals, the static files' 404) that body too.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::api::ApiError;
use shared::ErrorCode;

use crate::identity::IdentityError;
use crate::store::StoreError;

/// An HTTP error answer. User mistakes are answered, not logged; internal failures are logged
/// here and answered with a generic body.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl ApiFailure {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "a valid session token is required",
        )
    }

    /// 404 `not_found`: nothing at this path.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "there is nothing at this path",
        )
    }

    /// The code an error status gets when its answer has no `ApiError` body of its own.
    fn code_for(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
            StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
            s if s.is_client_error() => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }
}

/// The longest text of a plain error answer kept as the `ApiError` message.
const MAX_MESSAGE_BYTES: usize = 1024;

/// Middleware: an error answer (4xx, 5xx) whose body is not JSON gets an `ApiError` body, its
/// code chosen by status ([`ApiFailure::code_for`]) and its text, if any, as the message. The
/// status and the other headers (`Allow`, `Sec-WebSocket-Version`) are kept.
pub async fn api_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_MESSAGE_BYTES)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    let message =
        text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_lowercase());
    let body = ApiError {
        code: ApiFailure::code_for(status),
        message,
    };
    let json = serde_json::to_vec(&body).expect("an ApiError serialises");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(json))
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let body = ApiError {
            code: self.code,
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<IdentityError> for ApiFailure {
    fn from(e: IdentityError) -> Self {
        let message = e.to_string();
        match e {
            IdentityError::InvalidName(_) => {
                Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidUserName, message)
            }
            IdentityError::InvalidPassword => {
                Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidPassword, message)
            }
            IdentityError::NameTaken => {
                Self::new(StatusCode::CONFLICT, ErrorCode::NameTaken, message)
            }
            IdentityError::NameConfusable { .. } => {
                Self::new(StatusCode::CONFLICT, ErrorCode::NameConfusable, message)
            }
            IdentityError::WrongPassword => {
                Self::new(StatusCode::UNAUTHORIZED, ErrorCode::WrongPassword, message)
            }
            IdentityError::Unauthorized => Self::unauthorized(),
            IdentityError::Disabled => {
                Self::new(StatusCode::FORBIDDEN, ErrorCode::AccountDisabled, message)
            }
            IdentityError::PasswordSet => {
                Self::new(StatusCode::CONFLICT, ErrorCode::PasswordSet, message)
            }
            IdentityError::UnknownSession => {
                Self::new(StatusCode::NOT_FOUND, ErrorCode::UnknownSession, message)
            }
            IdentityError::TooManyAttempts(_) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyAttempts,
                message,
            ),
            IdentityError::Busy => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServerBusy,
                message,
            ),
            IdentityError::Store(_) | IdentityError::Hashing(_) => {
                tracing::error!(error = %e, "identity request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "internal error",
                )
            }
        }
    }
}

impl From<StoreError> for ApiFailure {
    /// A store failure behind an HTTP request: logged here, answered with a generic 500.
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "request failed in the store");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error",
        )
    }
}
