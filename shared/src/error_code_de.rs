//! Reading an [`ErrorCode`] from its wire name, written by hand.
//!
//! The derived deserialiser matched every name twice (as text and as bytes) and weighed about
//! 7 KB of the browser client's wasm; this one looks the name up in [`ErrorCode::ALL`], through
//! [`ErrorCode::as_str`]. A code missing from `ALL` could not be read: the tests below and the
//! error-code table check of `tests/protocol_doc.rs` catch that.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};

use crate::protocol::ErrorCode;

impl ErrorCode {
    /// The code whose wire name is `name`, if there is one.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == name)
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

/// Turns a string into the [`ErrorCode`] of that name.
struct NameVisitor;

impl Visitor<'_> for NameVisitor {
    type Value = ErrorCode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error code")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<ErrorCode, E> {
        ErrorCode::from_name(name).ok_or_else(|| E::invalid_value(Unexpected::Str(name), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_json() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        }
    }

    #[test]
    fn all_lists_the_codes_in_declaration_order_without_gaps() {
        // A code declared between two others but left out of `ALL` shifts the rest.
        for (index, &code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(
                code as usize, index,
                "{code:?} is not at its place in ErrorCode::ALL"
            );
        }
    }

    #[test]
    fn unknown_names_and_other_types_are_refused() {
        assert!(serde_json::from_str::<ErrorCode>(r#""no_such_code""#).is_err());
        assert!(serde_json::from_str::<ErrorCode>(r#""RateLimited""#).is_err());
        assert!(serde_json::from_str::<ErrorCode>("3").is_err());
        assert_eq!(ErrorCode::from_name(""), None);
    }

    #[test]
    fn an_error_frame_reads_its_code() {
        let frame: crate::ServerFrame = serde_json::from_str(
            r#"{"type":"error","code":"rate_limited","message":"slow down","req":"r1"}"#,
        )
        .unwrap();
        assert_eq!(
            frame,
            crate::ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: "slow down".into(),
                req: Some("r1".into()),
            }
        );
    }
}
