//! Search: the words of a query and where they match in a body, one rule for every engine.
//!
//! A query is cut into words ([`terms`]): runs of letters and digits (`char::is_alphanumeric`),
//! lowercased; everything else separates them. A message matches when each word of the query
//! begins some word of its body (prefix match: `deplo` finds "Deployed"). The store's index
//! (SQLite FTS5, PostgreSQL `tsvector`) finds the candidates; the server then keeps those this
//! rule accepts and marks, with [`marks`], the byte ranges of the body's words that matched:
//! the same ranges whichever engine found them, and what a client highlights without parsing
//! anything.

use std::fmt;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words a query may have.
pub const MAX_QUERY_TERMS: usize = 8;
/// Results in one `search_results` when the client asks for no particular number.
pub const SEARCH_PAGE: u32 = 20;
/// The most results one `search_results` holds.
pub const MAX_SEARCH_PAGE: u32 = 50;
/// The furthest `offset` a search may page to.
pub const MAX_SEARCH_OFFSET: u32 = 500;

/// Why a query cannot be searched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// No letter or digit in it.
    NoWords,
    /// Longer than [`MAX_QUERY_CHARS`].
    TooLong,
    /// More words than [`MAX_QUERY_TERMS`].
    TooManyWords,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoWords => f.write_str("the query has no word to look for"),
            Self::TooLong => write!(f, "the query is longer than {MAX_QUERY_CHARS} characters"),
            Self::TooManyWords => write!(f, "the query has more than {MAX_QUERY_TERMS} words"),
        }
    }
}

impl std::error::Error for QueryError {}

/// The words of `text`: each a byte range of a run of letters and digits.
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = chars.find(|(_, c)| c.is_alphanumeric())?;
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !c.is_alphanumeric() {
                end = i;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

/// The words of a query, lowercased, each once, in order.
pub fn terms(query: &str) -> Result<Vec<String>, QueryError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let mut out: Vec<String> = Vec::new();
    for (start, end) in words(query) {
        let term = query[start..end].to_lowercase();
        if !out.contains(&term) {
            out.push(term);
        }
    }
    match out.len() {
        0 => Err(QueryError::NoWords),
        n if n > MAX_QUERY_TERMS => Err(QueryError::TooManyWords),
        _ => Ok(out),
    }
}

/// The byte ranges `[start, end)` of the words of `body` that some term begins, in order; `None`
/// when a term begins no word (the body does not match).
pub fn marks(body: &str, terms: &[String]) -> Option<Vec<[u32; 2]>> {
    let mut found = vec![false; terms.len()];
    let mut out = Vec::new();
    for (start, end) in words(body) {
        let word = body[start..end].to_lowercase();
        let mut hit = false;
        for (i, term) in terms.iter().enumerate() {
            if word.starts_with(term.as_str()) {
                found[i] = true;
                hit = true;
            }
        }
        if hit {
            let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            out.push([at(start), at(end)]);
        }
    }
    found.iter().all(|f| *f).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(q: &str) -> Vec<String> {
        terms(q).expect("terms")
    }

    #[test]
    fn a_query_is_its_words_lowercased_once_each() {
        assert_eq!(t("Deploy the  DEPLOY-script!"), ["deploy", "the", "script"]);
        assert_eq!(t("Ünïcode 東京 42"), ["ünïcode", "東京", "42"]);
        assert_eq!(terms(" -- !? "), Err(QueryError::NoWords));
        assert_eq!(terms(&"a ".repeat(101)), Err(QueryError::TooLong));
        assert_eq!(terms("a b c d e f g h i"), Err(QueryError::TooManyWords));
        assert_eq!(t("a b c d e f g h").len(), 8);
    }

    #[test]
    fn every_term_must_begin_a_word_and_the_words_are_marked() {
        let body = "Deployed the new build; deploy again?";
        assert_eq!(
            marks(body, &t("deplo")),
            Some(vec![[0, 8], [24, 30]]),
            "prefixes match, whatever the case"
        );
        assert_eq!(marks(body, &t("deploy ployed")), None, "not inside a word");
        assert_eq!(
            marks(body, &t("build again")),
            Some(vec![[17, 22], [31, 36]])
        );
        // Byte ranges: a client slices the body's UTF-8 at them.
        let body = "Grüße aus Köln";
        let ranges = marks(body, &t("köln")).expect("match");
        assert_eq!(&body[ranges[0][0] as usize..ranges[0][1] as usize], "Köln");
        assert_eq!(marks("", &t("x")), None);
        // Punctuation separates words, as in the query.
        assert_eq!(
            marks("see http://example.com/a_b", &t("com b")),
            Some(vec![[19, 22], [25, 26]])
        );
    }
}
