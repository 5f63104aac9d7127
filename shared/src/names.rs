//! User and room names: the rules, in one place, so the browser and the server agree.
//!
//! A user name is 1 to [`MAX_USER_NAME`] characters once trimmed and NFC-normalised: letters of
//! any alphabet (with their combining marks) and digits, and `_`, `-` or `.` after the first
//! character, which is a letter or a digit. Characters that Unicode TS #39 does not recommend in
//! identifiers (emoji, symbols, invisible and format characters, obsolete scripts) are refused,
//! and so is a mix of alphabets beyond TS #39's "moderately restrictive" level (`Ωmega`, Greek
//! and Latin; Latin with Chinese, Japanese or Korean is fine). Its case is kept for display, but
//! two names that differ only in case are the same name: [`UserName::key`] is the form to compare
//! and index by. Two names that merely look alike (`alice`, `aIice` with a capital i) have the
//! same [`UserName::skeleton`]: the server lets only one of them be an account.
//!
//! The whole of these rules needs Unicode's tables (NFC, TS #39's identifier characters and
//! scripts, the confusables), which the `unicode` feature brings: the server, which decides,
//! builds with it. Without it (the browser client, where the tables would weigh about 80 KB
//! gzipped) [`UserName::parse`] checks the shape only: the length, letters and digits by the
//! standard library's tables (with the combining marks of the common alphabets), no spaces,
//! symbols or invisible characters; a name that mixes alphabets passes there and the server's
//! refusal says why. Names that come from the server are valid and NFC already.
//!
//! A room name is 1 to 32 lowercase ASCII letters, digits, `_` or `-`, starting with a letter or
//! digit. Input is lowercased first, so `Rust` names the room `rust`. Room names stay ASCII: they
//! are typed after `#` and carried in links.

use std::fmt;
use std::sync::Arc;

#[cfg(feature = "unicode")]
use unicode_normalization::UnicodeNormalization;
#[cfg(feature = "unicode")]
use unicode_script::{Script, UnicodeScript};
#[cfg(feature = "unicode")]
use unicode_security::{GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection};

use crate::limits::{LOBBY, MAX_ROOM_NAME, MAX_USER_NAME};

/// What a user name may be, in a sentence a person can read before typing one.
pub const USER_NAME_RULES: &str = "Up to 24 characters: letters (any alphabet, but one per name) \
     and digits, with ‘_’, ‘-’ and ‘.’ after the first character.";

/// How many characters `input` has as a user name (trimmed, NFC): what the length limit counts.
pub fn user_name_length(input: &str) -> usize {
    nfc(input.trim()).chars().count()
}

/// Why a name was refused. Its text is the sentence to show a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Names cannot be empty")]
    Empty,
    #[error("Names are at most {max} characters (this one has {len})")]
    TooLong { max: usize, len: usize },
    #[error("Names start with a letter or a digit, not ‘{ch}’")]
    BadStart { ch: char },
    #[error("Names are letters, digits, ‘_’, ‘-’ and ‘.’; ‘{ch}’ is not allowed")]
    BadUserChar { ch: char },
    #[error(
        "Names are letters, digits, ‘_’, ‘-’ and ‘.’; the invisible character U+{:04X} is not \
         allowed",
        *ch as u32
    )]
    Invisible { ch: char },
    #[error("Names are letters, digits, ‘_’, ‘-’ and ‘.’; spaces are not allowed")]
    Space,
    #[error(
        "Names use one alphabet (Latin may go with Chinese, Japanese or Korean); this one mixes \
         {first} and {second}"
    )]
    MixedScripts {
        first: &'static str,
        second: &'static str,
    },
    #[error("the room name may only contain letters, digits, '_' and '-'")]
    BadRoomChar { ch: char },
}

/// A valid user name (trimmed, NFC). Compare and index by [`UserName::key`], show
/// [`UserName::as_str`].
///
/// Its clones share one allocation: a server holds the name of every user online in several
/// places (the session, the user map, the online list), one copy for them all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(Arc<str>);

impl UserName {
    /// Checks `input` against the rules. Surrounding white space is not part of a name, and the
    /// name is NFC-normalised first, so `José` typed either way is the same name.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let name = nfc(input.trim());
        check_shape(&name, MAX_USER_NAME)?;
        if let Some(ch) = name.chars().find(|&c| !user_char(c)) {
            return Err(if ch.is_whitespace() {
                NameError::Space
            } else if invisible(ch) {
                NameError::Invisible { ch }
            } else {
                NameError::BadUserChar { ch }
            });
        }
        match name.chars().next() {
            Some(ch) if !letter_or_digit(ch) => return Err(NameError::BadStart { ch }),
            _ => {}
        }
        #[cfg(feature = "unicode")]
        if !name
            .as_str()
            .check_restriction_level(RestrictionLevel::ModeratelyRestrictive)
        {
            let (first, second) = two_scripts(&name);
            return Err(NameError::MixedScripts { first, second });
        }
        Ok(Self(name.into()))
    }

    /// The name as its owner wrote it (NFC).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form: two names are the same name when their keys are equal. For an
    /// ASCII name, its ASCII lowercase.
    pub fn key(&self) -> String {
        fold(&self.0)
    }

    /// The key of a name known to be valid already (a canonical name the server sent or
    /// stored), without checking it again: the same as `UserName::parse(name)?.key()`.
    pub fn key_of(name: &str) -> String {
        fold(name)
    }

    /// The confusable skeleton (Unicode TS #39 `skeleton`, then lowercased, then `skeleton`
    /// again): names that look alike have equal skeletons. `aIice` (capital i) and `alice`
    /// share `alice`; `José` and `jose` do not (the accent is seen).
    #[cfg(feature = "unicode")]
    pub fn skeleton(&self) -> String {
        let once: String = unicode_security::skeleton(&self.0).collect();
        unicode_security::skeleton(&once.to_lowercase()).collect()
    }

    /// Whether `other` names the same user, ignoring case.
    pub fn same_as(&self, other: &str) -> bool {
        self.key() == fold(&nfc(other.trim()))
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<UserName> for String {
    fn from(name: UserName) -> Self {
        name.0.to_string()
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
        let room_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        if let Some(ch) = name
            .chars()
            .find(|&c| !room_char(c) && !matches!(c, '_' | '-'))
        {
            return Err(NameError::BadRoomChar { ch });
        }
        match name.chars().next() {
            Some(ch) if !room_char(ch) => Err(NameError::BadStart { ch }),
            _ => Ok(Self(name)),
        }
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

/// Empty, or longer than `max` characters.
fn check_shape(name: &str, max: usize) -> Result<(), NameError> {
    let len = name.chars().count();
    if len == 0 {
        return Err(NameError::Empty);
    }
    if len > max {
        return Err(NameError::TooLong { max, len });
    }
    Ok(())
}

/// `text` in Unicode's composed form (NFC); as it is without the `unicode` feature. ASCII is
/// its own NFC: no table is consulted for it.
fn nfc(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    #[cfg(feature = "unicode")]
    return text.nfc().collect();
    #[cfg(not(feature = "unicode"))]
    return text.to_owned();
}

/// A letter or digit of any script that TS #39 recommends for identifiers.
#[cfg(feature = "unicode")]
fn letter_or_digit(c: char) -> bool {
    c.is_alphanumeric() && c.identifier_allowed()
}

/// A letter or digit (the standard library's tables; the server also asks TS #39).
#[cfg(not(feature = "unicode"))]
fn letter_or_digit(c: char) -> bool {
    c.is_alphanumeric()
}

/// A combining mark (a Devanagari vowel sign, an accent NFC could not compose) allowed in
/// identifiers.
#[cfg(feature = "unicode")]
fn mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c) && c.identifier_allowed()
}

/// A character of the blocks that hold the common alphabets' combining marks (the server
/// checks each exactly).
#[cfg(not(feature = "unicode"))]
fn mark(c: char) -> bool {
    common_mark(c)
}

/// Whether `c` is in the blocks that hold the common alphabets' combining marks: the same
/// table with or without the `unicode` feature (mentions are found by it on both sides).
pub(crate) fn common_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0487 | 0x0591..=0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x0670 | 0x06D6..=0x06ED | 0x0900..=0x0DFF | 0x0E31..=0x0EFF | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0x3099..=0x309A | 0xFE20..=0xFE2F)
        && !c.is_whitespace()
}

/// What a user name may contain: letters and digits, their combining marks, and the
/// separators.
fn user_char(c: char) -> bool {
    matches!(c, '_' | '-' | '.') || (!invisible(c) && (letter_or_digit(c) || mark(c)))
}

/// Whether `c` shows nothing: a control or format character (zero-width space,
/// joiners, direction marks), a variation selector or a filler.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
            | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0xE0000..=0xE0FFF)
}

#[cfg(feature = "unicode")]
/// The first two scripts `name` uses (Common and Inherited characters, which go with any, left
/// out), by their English names.
fn two_scripts(name: &str) -> (&'static str, &'static str) {
    let mut scripts = name
        .chars()
        .map(|c| c.script())
        .filter(|s| !matches!(s, Script::Common | Script::Inherited | Script::Unknown));
    let first = scripts.next().unwrap_or(Script::Unknown);
    let second = scripts.find(|&s| s != first).unwrap_or(first);
    (first.full_name(), second.full_name())
}

/// Lowercased and NFC again: the form names are compared by.
fn fold(name: &str) -> String {
    // ASCII is its own NFC, and its Unicode lowercase is its ASCII lowercase: one allocation
    // instead of two and no tables, for most names.
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    nfc(&name.to_lowercase())
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
        assert_eq!(
            UserName::parse("_bob"),
            Err(NameError::BadStart { ch: '_' })
        );
        assert_eq!(UserName::parse("bo b"), Err(NameError::Space));
        assert_eq!(UserName::parse("bo\u{3000}b"), Err(NameError::Space));
        assert_eq!(
            UserName::parse("<script>"),
            Err(NameError::BadUserChar { ch: '<' })
        );
        assert_eq!(UserName::parse(&"a".repeat(24)).unwrap().as_str().len(), 24);
        assert_eq!(
            UserName::parse(&"a".repeat(25)),
            Err(NameError::TooLong { max: 24, len: 25 })
        );
    }

    #[test]
    fn letters_of_other_alphabets_are_names() {
        for name in [
            "José",
            "王芳",
            "Ωμέγα",
            "Дмитрий",
            "नमस्ते",
            "Łukasz",
            "Tanaka太郎",
            "김민준",
        ] {
            assert_eq!(UserName::parse(name).unwrap().as_str(), name);
        }
        // Length is in characters, not bytes: 24 Chinese characters fit.
        assert!(UserName::parse(&"王".repeat(24)).is_ok());
        assert_eq!(
            UserName::parse(&"王".repeat(25)),
            Err(NameError::TooLong { max: 24, len: 25 })
        );
    }

    #[test]
    #[cfg(feature = "unicode")]
    fn names_are_nfc_normalised() {
        let composed = UserName::parse("Jos\u{e9}").unwrap();
        let decomposed = UserName::parse("Jose\u{301}").unwrap();
        assert_eq!(decomposed.as_str(), "Jos\u{e9}");
        assert_eq!(composed, decomposed);
        assert_eq!(composed.key(), "jos\u{e9}");
        assert!(composed.same_as("JOSE\u{301}"));
        assert!(!composed.same_as("jose"));
    }

    #[test]
    fn emoji_and_symbols_are_refused_by_name() {
        let refused = UserName::parse("bob😀").unwrap_err();
        assert_eq!(refused, NameError::BadUserChar { ch: '😀' });
        assert_eq!(
            refused.to_string(),
            "Names are letters, digits, ‘_’, ‘-’ and ‘.’; ‘😀’ is not allowed"
        );
        assert_eq!(
            UserName::parse("😀"),
            Err(NameError::BadUserChar { ch: '😀' })
        );
        // A superscript is a digit to the standard library; TS #39 does not allow it.
        #[cfg(feature = "unicode")]
        assert_eq!(
            UserName::parse("x²"),
            Err(NameError::BadUserChar { ch: '²' })
        );
    }

    #[test]
    fn invisible_characters_are_refused() {
        for (name, ch) in [
            ("ali\u{200B}ce", '\u{200B}'),
            ("ali\u{200D}ce", '\u{200D}'),
            ("bob\u{FEFF}", '\u{FEFF}'),
            ("a\u{3164}b", '\u{3164}'),
            ("bob\u{202E}", '\u{202E}'),
        ] {
            assert_eq!(
                UserName::parse(name),
                Err(NameError::Invisible { ch }),
                "{name:?}"
            );
        }
        assert_eq!(
            NameError::Invisible { ch: '\u{200B}' }.to_string(),
            "Names are letters, digits, ‘_’, ‘-’ and ‘.’; the invisible character U+200B is not \
             allowed"
        );
    }

    #[test]
    #[cfg(feature = "unicode")]
    fn mixed_scripts_are_refused_unless_usual() {
        let refused = UserName::parse("Ωmega").unwrap_err();
        assert_eq!(
            refused,
            NameError::MixedScripts {
                first: "Greek",
                second: "Latin"
            }
        );
        assert!(refused
            .to_string()
            .ends_with("this one mixes Greek and Latin"));
        // Cyrillic 'а' in a Latin name.
        assert!(matches!(
            UserName::parse("\u{430}lice"),
            Err(NameError::MixedScripts { .. })
        ));
        // Latin with Han, Hiragana or Hangul is usual (TS #39 highly restrictive).
        assert!(UserName::parse("Tanaka太郎").is_ok());
        assert!(UserName::parse("mika_みか").is_ok());
    }

    #[test]
    fn the_too_long_message_gives_both_numbers() {
        let refused = UserName::parse(&"a".repeat(200)).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Names are at most 24 characters (this one has 200)"
        );
    }

    #[test]
    #[cfg(feature = "unicode")]
    fn look_alike_names_share_a_skeleton() {
        let skeleton = |s: &str| UserName::parse(s).unwrap().skeleton();
        assert_eq!(skeleton("aIice"), skeleton("alice"));
        assert_eq!(skeleton("aIice"), "alice");
        assert_eq!(skeleton("Alice"), skeleton("alice"));
        assert_eq!(skeleton("AIice"), skeleton("alice"));
        assert_eq!(skeleton("rnary"), skeleton("mary"));
        assert_eq!(skeleton("b0b"), skeleton("bob"));
        // All-Cyrillic "аре" is one script, and looks like Latin "ape".
        assert_eq!(skeleton("\u{430}\u{440}\u{435}"), skeleton("ape"));
        assert_ne!(skeleton("José"), skeleton("jose"));
        assert_ne!(skeleton("alice"), skeleton("alicia"));
    }

    #[test]
    fn user_names_compare_without_case() {
        let alice = UserName::parse("Alice").unwrap();
        assert_eq!(alice.key(), UserName::parse("ALICE").unwrap().key());
        assert!(alice.same_as("aLiCe"));
        assert!(!alice.same_as("alice2"));
        assert_eq!(
            UserName::parse("ΩΜΈΓΑ").unwrap().key(),
            UserName::parse("ωμέγα").unwrap().key()
        );
    }

    #[test]
    fn room_names_are_lowercased_and_checked() {
        assert_eq!(
            RoomName::parse(" Rust-Lang ").unwrap().as_str(),
            "rust-lang"
        );
        assert!(RoomName::parse("lobby").unwrap().is_lobby());
        assert_eq!(
            RoomName::parse("a.b"),
            Err(NameError::BadRoomChar { ch: '.' })
        );
        assert_eq!(
            RoomName::parse("café"),
            Err(NameError::BadRoomChar { ch: 'é' })
        );
        assert_eq!(RoomName::parse("-x"), Err(NameError::BadStart { ch: '-' }));
        assert_eq!(RoomName::parse(""), Err(NameError::Empty));
        assert_eq!(
            RoomName::parse(&"r".repeat(33)),
            Err(NameError::TooLong { max: 32, len: 33 })
        );
    }
    /// Without the `unicode` feature (the browser client): the shape is checked, and what
    /// needs Unicode's tables is left to the server.
    #[test]
    #[cfg(not(feature = "unicode"))]
    fn without_the_unicode_tables_the_shape_is_checked() {
        for name in [
            "José",
            "王芳",
            "Дмитрий",
            "नमस्ते",
            "Tanaka太郎",
            "bob.smith-2_x",
        ] {
            assert_eq!(UserName::parse(name).unwrap().as_str(), name, "{name}");
        }
        assert_eq!(
            UserName::parse("bo😀b"),
            Err(NameError::BadUserChar { ch: '😀' })
        );
        assert_eq!(UserName::parse("bo b"), Err(NameError::Space));
        assert_eq!(
            UserName::parse("ali\u{200B}ce"),
            Err(NameError::Invisible { ch: '\u{200B}' })
        );
        assert_eq!(
            UserName::parse(&"a".repeat(200)),
            Err(NameError::TooLong { max: 24, len: 200 })
        );
        // Mixed alphabets are the server's to refuse.
        assert!(UserName::parse("Ωmega").is_ok());
        assert!(UserName::parse("Alice").unwrap().same_as("alice"));
    }

    /// The ASCII shortcuts give what the Unicode path gives: every ASCII character, alone and
    /// in a name, folds and composes alike both ways.
    #[test]
    fn ascii_keys_are_what_the_unicode_path_makes() {
        let all: String = (0u8..128).map(char::from).collect();
        let mut texts: Vec<String> = all.chars().map(String::from).collect();
        texts.extend([all, "Bob.Smith-2_X".to_owned(), "ALICE".to_owned()]);
        for text in &texts {
            assert_eq!(fold(text), nfc_slow(&text.to_lowercase()), "{text:?}");
            assert_eq!(nfc(text), nfc_slow(text), "{text:?}");
        }
        assert_eq!(UserName::parse("Bob").unwrap().key(), "bob");
    }

    #[test]
    fn a_user_names_clones_share_its_text() {
        let name = UserName::parse("Alice").unwrap();
        let clone = name.clone();
        assert_eq!(clone, name);
        assert!(std::ptr::eq(name.as_str(), clone.as_str()));
        assert_eq!(String::from(clone), "Alice");
    }

    /// NFC without the ASCII shortcut.
    fn nfc_slow(text: &str) -> String {
        #[cfg(feature = "unicode")]
        return text.nfc().collect();
        #[cfg(not(feature = "unicode"))]
        return text.to_owned();
    }
}
