//! User and room names: the rules, in one place, so the browser and the server agree.
//!
//! A user name is 1 to 24 ASCII letters, digits, `_`, `-` or `.`, starting with a letter or
//! digit. Its case is kept for display, but two names that differ only in case are the same
//! name: [`UserName::key`] is the form to compare and index by.
//!
//! A room name is 1 to 32 lowercase ASCII letters, digits, `_` or `-`, starting with a letter or
//! digit. Input is lowercased first, so `Rust` names the room `rust`.

use std::fmt;

use crate::limits::{LOBBY, MAX_ROOM_NAME, MAX_USER_NAME};

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the name must start with a letter or a digit")]
    BadStart,
    #[error("the name may only contain letters, digits, '_', '-' and '.'")]
    BadUserChar,
    #[error("the room name may only contain letters, digits, '_' and '-'")]
    BadRoomChar,
}

/// A valid user name. Compare and index by [`UserName::key`], show [`UserName::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(String);

impl UserName {
    /// Checks `input` against the rules. Surrounding white space is not part of a name.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let name = input.trim();
        check_shape(name, MAX_USER_NAME)?;
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(NameError::BadUserChar);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as its owner wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form: two names are the same name when their keys are equal.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// Whether `other` names the same user, ignoring case.
    pub fn same_as(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.trim())
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<UserName> for String {
    fn from(name: UserName) -> Self {
        name.0
    }
}

/// A valid room name, always lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomName(String);

impl RoomName {
    /// Checks `input` against the rules after trimming and lowercasing it.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let name = input.trim().to_ascii_lowercase();
        check_shape(&name, MAX_ROOM_NAME)?;
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
        {
            return Err(NameError::BadRoomChar);
        }
        Ok(Self(name))
    }

    /// The room everyone is in.
    pub fn lobby() -> Self {
        Self(LOBBY.to_owned())
    }

    pub fn is_lobby(&self) -> bool {
        self.0 == LOBBY
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<RoomName> for String {
    fn from(name: RoomName) -> Self {
        name.0
    }
}

fn check_shape(name: &str, max: usize) -> Result<(), NameError> {
    let Some(first) = name.chars().next() else {
        return Err(NameError::Empty);
    };
    if name.chars().count() > max {
        return Err(NameError::TooLong { max });
    }
    if !first.is_ascii_alphanumeric() {
        return Err(NameError::BadStart);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_follow_the_rules() {
        assert_eq!(UserName::parse(" Alice ").unwrap().as_str(), "Alice");
        assert_eq!(
            UserName::parse("bob.smith-2_x").unwrap().key(),
            "bob.smith-2_x"
        );
        assert_eq!(UserName::parse(""), Err(NameError::Empty));
        assert_eq!(UserName::parse("   "), Err(NameError::Empty));
        assert_eq!(UserName::parse("_bob"), Err(NameError::BadStart));
        assert_eq!(UserName::parse("bo b"), Err(NameError::BadUserChar));
        assert_eq!(UserName::parse("bób"), Err(NameError::BadUserChar));
        assert_eq!(UserName::parse("<script>"), Err(NameError::BadStart));
        assert_eq!(UserName::parse(&"a".repeat(24)).unwrap().as_str().len(), 24);
        assert_eq!(
            UserName::parse(&"a".repeat(25)),
            Err(NameError::TooLong { max: 24 })
        );
    }

    #[test]
    fn user_names_compare_without_case() {
        let alice = UserName::parse("Alice").unwrap();
        assert_eq!(alice.key(), UserName::parse("ALICE").unwrap().key());
        assert!(alice.same_as("aLiCe"));
        assert!(!alice.same_as("alice2"));
    }

    #[test]
    fn room_names_are_lowercased_and_checked() {
        assert_eq!(
            RoomName::parse(" Rust-Lang ").unwrap().as_str(),
            "rust-lang"
        );
        assert!(RoomName::parse("lobby").unwrap().is_lobby());
        assert_eq!(RoomName::parse("a.b"), Err(NameError::BadRoomChar));
        assert_eq!(RoomName::parse("-x"), Err(NameError::BadStart));
        assert_eq!(RoomName::parse(""), Err(NameError::Empty));
        assert_eq!(
            RoomName::parse(&"r".repeat(33)),
            Err(NameError::TooLong { max: 32 })
        );
    }
}
