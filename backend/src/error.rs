//! HTTP error answers: one type, one body shape (`shared::api::ApiError`), logged in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::api::ApiError;
use shared::ErrorCode;

use crate::identity::IdentityError;

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
            IdentityError::WrongPassword => {
                Self::new(StatusCode::UNAUTHORIZED, ErrorCode::WrongPassword, message)
            }
            IdentityError::Unauthorized => Self::unauthorized(),
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
