//! The HTTP API for sessions (`/api/session`), the export (`/api/export`) and the
//! administrators (`/api/admin/…`), and what to tell a person when it says no.
//!
//! The request functions need a browser; the checks and texts are plain and tested on the host.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use shared::api::{
    AdminFigures, ApiError, ExportTicket, PasswordRequest, SessionRequest, SessionResponse,
};
use shared::limits::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use shared::names::USER_NAME_RULES;
use shared::{ErrorCode, NameError, UserName};

const SESSION_URL: &str = "/api/session";
const PASSWORD_URL: &str = "/api/session/password";

/// Why a request to the API did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFailure {
    /// The server answered with an error status (and usually an [`ApiError`] body).
    Refused {
        status: u16,
        error: Option<ApiError>,
    },
    /// No answer: the server is down, or the network.
    Network(String),
}

impl ApiFailure {
    /// The token is not (or no longer) valid.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Refused { status: 401, .. })
    }

    /// An administrator disabled the account.
    pub fn is_disabled(&self) -> bool {
        self.code() == Some(ErrorCode::AccountDisabled)
    }

    fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused {
                error: Some(error), ..
            } => Some(error.code),
            _ => None,
        }
    }
}

/// Checks the sign-in form before anything is sent; the error text is shown under the form.
pub fn sign_in_request(name: &str, password: &str) -> Result<SessionRequest, String> {
    let name = UserName::parse(name).map_err(|e| name_problem(&e))?;
    let password = if password.is_empty() {
        None
    } else {
        let chars = password.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            return Err(format!(
                "A password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters; \
                 leave it empty to use the name without one."
            ));
        }
        Some(password.to_owned())
    };
    Ok(SessionRequest {
        name: name.into(),
        password,
    })
}

/// The rule `error` says `name` breaks, in the words the server uses too.
fn name_problem(error: &NameError) -> String {
    match error {
        NameError::Empty => "Please enter a name.".to_owned(),
        other => other.to_string(),
    }
}

/// The server's own words from `failure`, if it sent any.
fn server_message(failure: &ApiFailure) -> Option<&str> {
    match failure {
        ApiFailure::Refused {
            error: Some(error), ..
        } if !error.message.is_empty() => Some(&error.message),
        _ => None,
    }
}

/// What to say when signing in as `name` failed.
pub fn sign_in_problem(name: &str, failure: &ApiFailure) -> String {
    match (failure.code(), failure) {
        (Some(ErrorCode::NameTaken), _) => format!(
            "The name “{name}” is taken. Pick another one, or enter its password if it is yours."
        ),
        (Some(ErrorCode::WrongPassword), _) => {
            format!("That is not the password for “{name}”.")
        }
        (Some(ErrorCode::NameConfusable), _) => match server_message(failure) {
            Some(message) => format!("{message}. Pick another name."),
            None => {
                format!("The name “{name}” looks too much like someone else's. Pick another name.")
            }
        },
        (Some(ErrorCode::InvalidUserName), _) => match server_message(failure) {
            Some(message) => message.to_owned(),
            None => format!("That name is not allowed. {USER_NAME_RULES}"),
        },
        (Some(ErrorCode::InvalidPassword), _) => {
            format!("A password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters.")
        }
        (_, ApiFailure::Network(_)) => {
            "The server cannot be reached. Check your connection and try again.".to_owned()
        }
        (_, ApiFailure::Refused { status, error }) => match error {
            Some(error) if !error.message.is_empty() => error.message.clone(),
            _ => format!("Signing in failed (HTTP {status}). Please try again."),
        },
    }
}

/// `POST /api/session`: claim a name or sign in to it.
pub async fn create_session(request: &SessionRequest) -> Result<SessionResponse, ApiFailure> {
    let request = Request::post(SESSION_URL).json(request).map_err(network)?;
    answer(request.send().await.map_err(network)?).await
}

/// `GET /api/session`: is this token still good, and whose is it?
pub async fn check_session(token: &str) -> Result<SessionResponse, ApiFailure> {
    answer(send(bearer(Request::get(SESSION_URL), token)).await?).await
}

/// `DELETE /api/session`: sign out; the token stops working.
pub async fn end_session(token: &str) -> Result<(), ApiFailure> {
    done(send(bearer(Request::delete(SESSION_URL), token)).await?).await
}

/// `POST /api/export`: a one-use link to the archive of everything the user wrote.
pub async fn request_export(token: &str) -> Result<ExportTicket, ApiFailure> {
    answer(send(bearer(Request::post("/api/export"), token)).await?).await
}

/// `PUT /api/session/password`: protect the account with a password.
pub async fn set_password(token: &str, request: &PasswordRequest) -> Result<(), ApiFailure> {
    let request = bearer(Request::put(PASSWORD_URL), token)
        .json(request)
        .map_err(network)?;
    done(request.send().await.map_err(network)?).await
}

/// `GET /api/admin/figures`: the whole chat's figures (an administrator's token).
pub async fn admin_figures(token: &str) -> Result<AdminFigures, ApiFailure> {
    answer(send(bearer(Request::get("/api/admin/figures"), token)).await?).await
}

/// `PUT` (`disabled`) or `DELETE /api/admin/accounts/{name}/disabled`: an administrator
/// disables the account `name`, or enables it again.
pub async fn set_disabled(token: &str, name: &str, disabled: bool) -> Result<(), ApiFailure> {
    let url = format!(
        "/api/admin/accounts/{}/disabled",
        String::from(js_sys::encode_uri_component(name))
    );
    let request = if disabled {
        Request::put(&url)
    } else {
        Request::delete(&url)
    };
    done(send(bearer(request, token)).await?).await
}

/// `builder` with the session's token.
fn bearer(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {token}"))
}

/// Sends a request without a body.
async fn send(builder: RequestBuilder) -> Result<Response, ApiFailure> {
    builder.send().await.map_err(network)
}

/// No answer, or one that could not be read.
fn network(error: gloo_net::Error) -> ApiFailure {
    ApiFailure::Network(error.to_string())
}

/// The answer's JSON body, or why there is none.
async fn answer<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    if !response.ok() {
        return Err(refused(response).await);
    }
    response.json().await.map_err(network)
}

/// Whether the server did what was asked (its answer has no body to read).
async fn done(response: Response) -> Result<(), ApiFailure> {
    if response.ok() {
        Ok(())
    } else {
        Err(refused(response).await)
    }
}

async fn refused(response: Response) -> ApiFailure {
    ApiFailure::Refused {
        status: response.status(),
        error: response.json::<ApiError>().await.ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: ErrorCode) -> ApiFailure {
        ApiFailure::Refused {
            status,
            error: Some(ApiError {
                code,
                message: "server text".into(),
            }),
        }
    }

    #[test]
    fn the_form_is_checked_before_sending() {
        assert_eq!(
            sign_in_request(" alice ", ""),
            Ok(SessionRequest {
                name: "alice".into(),
                password: None
            })
        );
        assert_eq!(
            sign_in_request("alice", "correct horse")
                .unwrap()
                .password
                .as_deref(),
            Some("correct horse")
        );
        assert_eq!(sign_in_request("", ""), Err("Please enter a name.".into()));
        assert_eq!(
            sign_in_request("a b", "").unwrap_err(),
            "Names are letters, digits, ‘_’, ‘-’ and ‘.’; spaces are not allowed"
        );
        assert_eq!(
            sign_in_request("_a", "").unwrap_err(),
            "Names start with a letter or a digit, not ‘_’"
        );
        assert_eq!(
            sign_in_request(&"a".repeat(25), "").unwrap_err(),
            "Names are at most 24 characters (this one has 25)"
        );
        assert!(sign_in_request("alice", "short")
            .unwrap_err()
            .contains("8 to 128"));
    }

    #[test]
    fn refusals_are_explained() {
        assert!(
            sign_in_problem("bob", &refused(409, ErrorCode::NameTaken)).contains("“bob” is taken")
        );
        assert!(
            sign_in_problem("bob", &refused(401, ErrorCode::WrongPassword))
                .contains("not the password")
        );
        assert_eq!(
            sign_in_problem("b b", &refused(400, ErrorCode::InvalidUserName)),
            "server text"
        );
        assert_eq!(
            sign_in_problem("aIice", &refused(409, ErrorCode::NameConfusable)),
            "server text. Pick another name."
        );
        assert!(
            sign_in_problem("bob", &refused(400, ErrorCode::InvalidPassword)).contains("8 to 128")
        );
        assert!(sign_in_problem("bob", &ApiFailure::Network("x".into())).contains("reached"));
        assert_eq!(
            sign_in_problem("bob", &refused(503, ErrorCode::ServerFull)),
            "server text"
        );
        assert!(sign_in_problem(
            "bob",
            &ApiFailure::Refused {
                status: 500,
                error: None
            }
        )
        .contains("HTTP 500"));
    }

    #[test]
    fn only_401_means_the_token_is_gone() {
        assert!(refused(401, ErrorCode::Unauthorized).is_unauthorized());
        assert!(!refused(503, ErrorCode::ServerFull).is_unauthorized());
        assert!(!ApiFailure::Network("down".into()).is_unauthorized());
        assert!(refused(403, ErrorCode::AccountDisabled).is_disabled());
        assert!(!refused(401, ErrorCode::Unauthorized).is_disabled());
    }
}
