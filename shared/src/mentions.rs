//! Mentions: `@name` in a room message. One rule, used by the server (which counts the unread
//! mentions of each member) and by the browser (which highlights them and offers names to
//! complete), so the two always agree.
//!
//! The rule, as `docs/protocol.md` states it:
//!
//! - A mention starts with `@` at the start of the body, or after white space or one of the
//!   opening characters `(`, `[`, `{`, `<`, `"`, `'`, `“`, `‘`, `«`. So `mail@example.org` and
//!   `https://example.org/@x` mention nobody.
//! - Its name is the longest run, right after the `@`, of the characters user names are made
//!   of ([`name_char`]: letters and digits of any alphabet, the combining marks of the common
//!   alphabets, `_`, `-` and `.`), starting with a letter or a digit.
//! - The run names a user when, lowercased, it equals that user's name key; when it does not,
//!   the run without its trailing `.`, `-` and `_` is tried (`@alice.` at the end of a
//!   sentence names `alice`, and `@bob.smith` still names `bob.smith`).
//!
//! Which names count (the room's members, the sender left out) is the caller's part: it says
//! through `is_name` which lowercased candidates are names.

use std::ops::Range;

use crate::limits::MAX_USER_NAME;
use crate::names::common_mark;

/// One `@name` token of a body, before anyone asked whether it names someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// Byte offset of the `@`.
    pub start: usize,
    /// The run of name characters right after the `@` (starting with a letter or a digit).
    pub run: &'a str,
}

impl<'a> Token<'a> {
    /// What it may name, lowercased, in the order they are tried: the whole run, then the run
    /// without its trailing separators when that differs. Forms longer than a name can be are
    /// left out.
    pub fn candidates(&self) -> Vec<String> {
        self.forms().into_iter().map(str::to_lowercase).collect()
    }

    /// The forms of [`Self::candidates`] as written in the body.
    fn forms(&self) -> Vec<&'a str> {
        let trimmed = self.run.trim_end_matches(['.', '-', '_']);
        let mut forms = vec![self.run];
        if trimmed.len() != self.run.len() && !trimmed.is_empty() {
            forms.push(trimmed);
        }
        forms.retain(|form| form.chars().count() <= MAX_USER_NAME);
        forms
    }
}

/// A mention found in a body: where it stands and whom it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The bytes of the `@` and the name (without a trailing separator that is not part of it).
    pub range: Range<usize>,
    /// The name key it names (lowercased).
    pub key: String,
}

/// Whether `c` is one of the characters user names are made of: a letter or a digit of any
/// alphabet, a combining mark of the common alphabets, `_`, `-` or `.`.
pub fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.') || common_mark(c)
}

/// Whether an `@` after `c` may start a mention.
fn opens(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | '[' | '{' | '<' | '"' | '\'' | '“' | '‘' | '«')
}

/// Every `@name` token of `body`, in order.
pub fn tokens(body: &str) -> Vec<Token<'_>> {
    let mut found = Vec::new();
    let mut before: Option<char> = None;
    for (start, c) in body.char_indices() {
        let prev = before.replace(c);
        if c != '@' || !prev.is_none_or(opens) {
            continue;
        }
        let rest = &body[start + 1..];
        let end = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
        let run = &rest[..end];
        if run.chars().next().is_some_and(char::is_alphanumeric) {
            found.push(Token { start, run });
        }
    }
    found
}

/// The mentions in `body` of the names `is_name` accepts (it is asked about lowercased
/// candidates, see [`Token::candidates`]), in order.
pub fn find(body: &str, mut is_name: impl FnMut(&str) -> bool) -> Vec<Mention> {
    let mut found = Vec::new();
    for token in tokens(body) {
        let named = token.forms().into_iter().find_map(|form| {
            let key = form.to_lowercase();
            is_name(&key).then_some((form, key))
        });
        if let Some((form, key)) = named {
            found.push(Mention {
                range: token.start..token.start + 1 + form.len(),
                key,
            });
        }
    }
    found
}

/// Every lowercased form the `@name` tokens of `body` may name, sorted, each once: what the
/// server looks up among a room's members.
pub fn candidate_keys(body: &str) -> Vec<String> {
    let mut keys: Vec<String> = tokens(body).iter().flat_map(Token::candidates).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Whether `body` mentions the user whose name key is `key`.
pub fn mentions(body: &str, key: &str) -> bool {
    !find(body, |candidate| candidate == key).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(body: &str, names: &[&str]) -> Vec<String> {
        find(body, |k| names.contains(&k))
            .into_iter()
            .map(|m| m.key)
            .collect()
    }

    #[test]
    fn a_mention_is_at_then_a_name() {
        assert_eq!(keys("hi @alice", &["alice"]), ["alice"]);
        assert_eq!(keys("@alice hi", &["alice"]), ["alice"]);
        assert_eq!(keys("@Alice, look", &["alice"]), ["alice"]);
        assert_eq!(keys("(@alice)", &["alice"]), ["alice"]);
        assert_eq!(keys("«@alice»", &["alice"]), ["alice"]);
        assert_eq!(
            keys("@alice @bob @carol", &["alice", "carol"]),
            ["alice", "carol"]
        );
        assert_eq!(keys("@alice @alice", &["alice"]), ["alice", "alice"]);
    }

    #[test]
    fn an_at_inside_a_word_or_address_is_no_mention() {
        assert!(keys("mail alice@example.org", &["example.org"]).is_empty());
        assert!(keys("https://example.org/@alice", &["alice"]).is_empty());
        assert!(keys("a@alice", &["alice"]).is_empty());
        assert!(keys("@@alice", &["alice"]).is_empty());
        assert!(keys("@ alice", &["alice"]).is_empty());
        assert!(keys("@_alice", &["_alice"]).is_empty());
    }

    #[test]
    fn the_longest_run_then_without_trailing_separators() {
        assert_eq!(keys("thanks @alice.", &["alice"]), ["alice"]);
        assert_eq!(keys("@alice...", &["alice"]), ["alice"]);
        assert_eq!(
            keys("@bob.smith said", &["bob", "bob.smith"]),
            ["bob.smith"]
        );
        assert_eq!(keys("@bob.smith said", &["bob"]), Vec::<String>::new());
        assert_eq!(keys("@x- ok", &["x-"]), ["x-"]);
        assert_eq!(keys("@alicex", &["alice"]), Vec::<String>::new());
        let found = find("hi @Alice. ok", |k| k == "alice");
        assert_eq!(found[0].range, 3..9);
        assert_eq!(&"hi @Alice. ok"[found[0].range.clone()], "@Alice");
    }

    #[test]
    fn names_of_any_alphabet() {
        assert_eq!(keys("@José ¿vienes?", &["josé"]), ["josé"]);
        assert_eq!(keys("привет @Дмитрий!", &["дмитрий"]), ["дмитрий"]);
        assert_eq!(keys("@王芳 你好", &["王芳"]), ["王芳"]);
        assert_eq!(keys("@नमस्ते", &["नमस्ते"]), ["नमस्ते"]);
        let found = find("@王芳", |k| k == "王芳");
        assert_eq!(found[0].range, 0..7);
    }

    #[test]
    fn too_long_runs_name_nobody() {
        let long = "a".repeat(25);
        assert!(candidate_keys(&format!("@{long}")).is_empty());
        assert_eq!(
            candidate_keys(&format!("@{}.", "a".repeat(24))),
            ["a".repeat(24)]
        );
    }

    #[test]
    fn candidates_are_sorted_lowercase_and_once() {
        assert_eq!(
            candidate_keys("@Bob. @alice @ALICE @x@y"),
            ["alice", "bob", "bob.", "x"]
        );
        assert!(mentions("hey @Alice", "alice"));
        assert!(!mentions("hey alice", "alice"));
    }
}
