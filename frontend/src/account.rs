//! The account's words and checks: what signing out does to a passwordless account, and the
//! form that adds a password to it. Plain Rust, tested on the host.

use shared::api::PasswordRequest;
use shared::limits::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use shared::ErrorCode;

use crate::api::ApiFailure;

/// What the sign-out dialog warns `name` of: `None` for an account with a password, which is
/// simply signed out. `has_password` is `None` while the client does not know yet.
pub fn sign_out_warning(name: &str, has_password: Option<bool>) -> Option<String> {
    match has_password {
        Some(true) => None,
        Some(false) => Some(format!(
            "You have no password: after signing out you cannot sign in as {name} again, \
             from this device or another. Add a password first."
        )),
        None => Some(format!(
            "If {name} has no password, you cannot sign in as {name} again after signing out. \
             Add a password first to be sure."
        )),
    }
}

/// What the dialog says when signing out is simple.
pub fn sign_out_note(name: &str) -> String {
    format!("You can sign in as {name} again, here or on another device, with your password.")
}

/// Checks the password form before anything is sent.
pub fn password_request(password: &str, repeat: &str) -> Result<PasswordRequest, String> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(format!(
            "A password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters."
        ));
    }
    if password != repeat {
        return Err("The two passwords differ.".to_owned());
    }
    Ok(PasswordRequest {
        password: password.to_owned(),
    })
}

/// What to say when adding a password failed.
pub fn password_problem(failure: &ApiFailure) -> String {
    match failure {
        ApiFailure::Refused {
            error: Some(error), ..
        } => match error.code {
            ErrorCode::PasswordSet => "This account has a password already.".to_owned(),
            ErrorCode::InvalidPassword => {
                format!("A password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters.")
            }
            ErrorCode::Unauthorized => {
                "Your session has ended: the password was not added.".to_owned()
            }
            _ if !error.message.is_empty() => error.message.clone(),
            _ => "Adding the password failed. Please try again.".to_owned(),
        },
        ApiFailure::Refused {
            status,
            error: None,
        } => format!("Adding the password failed (HTTP {status}). Please try again."),
        ApiFailure::Network(_) => {
            "The server cannot be reached. Check your connection and try again.".to_owned()
        }
    }
}

/// What the dialog says once the password is added.
pub fn password_added(name: &str) -> String {
    format!("Password added. You can now sign in as {name} on any device with it.")
}

#[cfg(test)]
mod tests {
    use shared::api::ApiError;

    use super::*;

    #[test]
    fn only_a_passwordless_account_is_warned() {
        assert_eq!(sign_out_warning("bob", Some(true)), None);
        let warning = sign_out_warning("bob", Some(false)).unwrap();
        assert!(warning.starts_with("You have no password"), "{warning}");
        assert!(warning.contains("cannot sign in as bob again"), "{warning}");
        assert!(warning.contains("Add a password first"), "{warning}");
        // Not known yet: warned, conditionally.
        assert!(sign_out_warning("bob", None).unwrap().starts_with("If bob"));
        assert!(sign_out_note("bob").contains("with your password"));
    }

    #[test]
    fn the_password_form_is_checked_before_sending() {
        assert_eq!(
            password_request("long enough", "long enough"),
            Ok(PasswordRequest {
                password: "long enough".into()
            })
        );
        assert!(password_request("short", "short")
            .unwrap_err()
            .contains("8 to 128"));
        assert!(password_request(&"x".repeat(129), &"x".repeat(129)).is_err());
        assert_eq!(
            password_request("long enough", "long enougj"),
            Err("The two passwords differ.".into())
        );
    }

    #[test]
    fn refusals_are_explained() {
        let refused = |status, code| ApiFailure::Refused {
            status,
            error: Some(ApiError {
                code,
                message: "server text".into(),
            }),
        };
        assert!(password_problem(&refused(409, ErrorCode::PasswordSet)).contains("already"));
        assert!(password_problem(&refused(400, ErrorCode::InvalidPassword)).contains("8 to 128"));
        assert!(password_problem(&refused(401, ErrorCode::Unauthorized)).contains("ended"));
        assert_eq!(
            password_problem(&refused(503, ErrorCode::ServerBusy)),
            "server text"
        );
        assert!(password_problem(&ApiFailure::Network("x".into())).contains("reached"));
        assert!(password_added("bob").contains("sign in as bob"));
    }
}
