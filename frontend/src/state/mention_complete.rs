//! The composer's `@name` completion: the token being typed at the cursor, the members that
//! match it, best first, the highlighted one, and the text once one is chosen. The component
//! shows it as an ARIA combobox (the message box) with a listbox under it.
//!
//! A token is an `@` that may start a mention (`shared::mentions`: at the start, or after
//! white space or an opening bracket or quote) followed by name characters up to the cursor.
//! Names that start with what was typed come first, then names that contain it; within each,
//! by name. Matching ignores case.

use shared::mentions::name_char;

/// Most names offered at once.
pub const MAX_OFFERED: usize = 8;

/// An `@name` being typed: where its `@` is and what follows it up to the cursor (bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    /// Byte offset of the `@`.
    pub start: usize,
    /// Byte offset of the cursor.
    pub end: usize,
    /// The name characters between them.
    pub query: String,
}

/// The token being typed in `text` with the cursor at byte `cursor`, if the cursor is in one.
pub fn typed(text: &str, cursor: usize) -> Option<Typed> {
    let before = text.get(..cursor)?;
    let at = before.rfind('@')?;
    let query = &before[at + 1..];
    if !query.chars().all(name_char) || query.starts_with(['_', '-', '.']) {
        return None;
    }
    let opens = before[..at].chars().next_back().is_none_or(|c| {
        c.is_whitespace() || matches!(c, '(' | '[' | '{' | '<' | '"' | '\'' | '“' | '‘' | '«')
    });
    opens.then(|| Typed {
        start: at,
        end: cursor,
        query: query.to_owned(),
    })
}

/// The names among `members` that match `query`, best first, at most [`MAX_OFFERED`].
pub fn matches(query: &str, members: &[String]) -> Vec<String> {
    let wanted = query.to_lowercase();
    let mut ranked: Vec<(u8, String, &String)> = members
        .iter()
        .filter_map(|name| {
            let key = name.to_lowercase();
            let rank = if key.starts_with(&wanted) {
                0
            } else if key.contains(&wanted) {
                1
            } else {
                return None;
            };
            Some((rank, key, name))
        })
        .collect();
    crate::order::sort_by_key(&mut ranked, |r| (r.0, r.1.clone()));
    ranked.dedup_by(|a, b| a.1 == b.1);
    ranked
        .into_iter()
        .take(MAX_OFFERED)
        .map(|(_, _, name)| name.clone())
        .collect()
}

/// `text` with the token `typed` replaced by `@name ` , and the cursor after it (bytes).
pub fn insert(text: &str, typed: &Typed, name: &str) -> (String, usize) {
    let rest = &text[typed.end..];
    // A space after the name, unless the text goes on with one already.
    let space = if rest.starts_with(char::is_whitespace) {
        ""
    } else {
        " "
    };
    let mut out = String::with_capacity(text.len() + name.len() + 2);
    out.push_str(&text[..typed.start]);
    out.push('@');
    out.push_str(name);
    out.push_str(space);
    let cursor = out.len() + usize::from(space.is_empty());
    out.push_str(rest);
    let cursor = cursor.min(out.len());
    (out, cursor)
}

/// The byte offset in `text` of the UTF-16 offset `units` (a text box's cursor).
pub fn byte_of_utf16(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (at, c) in text.char_indices() {
        if seen >= units {
            return at;
        }
        seen += c.len_utf16();
    }
    text.len()
}

/// The UTF-16 offset of the byte offset `byte` of `text`.
pub fn utf16_of_byte(text: &str, byte: usize) -> usize {
    text.get(..byte)
        .map_or(0, |head| head.encode_utf16().count())
}

/// The completion's state: the options offered and the highlighted one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// The token being completed, while the list is open.
    typed: Option<Typed>,
    /// The names offered, best first.
    options: Vec<String>,
    /// Index of the highlighted option.
    selected: usize,
    /// Closed with Escape: stays closed until the token changes.
    dismissed: Option<usize>,
}

impl Completion {
    /// The text or the cursor changed: find the token and the names for it. `members` are the
    /// names that may be mentioned here (ourselves left out by the caller).
    pub fn update(&mut self, text: &str, cursor: usize, members: &[String]) {
        let found = typed(text, cursor);
        let same_token = found.as_ref().map(|t| t.start) == self.typed.as_ref().map(|t| t.start);
        let options = found
            .as_ref()
            .map(|t| matches(&t.query, members))
            .unwrap_or_default();
        if !same_token || options != self.options {
            self.selected = 0;
        }
        if found.as_ref().map(|t| t.start) != self.dismissed {
            self.dismissed = None;
        }
        self.options = options;
        self.typed = found;
    }

    /// The names offered, empty when the list is closed.
    pub fn options(&self) -> &[String] {
        if self.dismissed.is_some() || self.typed.is_none() {
            &[]
        } else {
            &self.options
        }
    }

    pub fn is_open(&self) -> bool {
        !self.options().is_empty()
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    /// ↓ (`by` 1) or ↑ (`by` -1): the next or previous option, wrapping.
    pub fn step(&mut self, by: isize) {
        let n = self.options().len();
        if n == 0 {
            return;
        }
        let n = isize::try_from(n).unwrap_or(isize::MAX);
        let at = isize::try_from(self.selected).unwrap_or(0);
        self.selected = usize::try_from((at + by).rem_euclid(n)).unwrap_or(0);
    }

    /// Highlights option `index` (the pointer is over it).
    pub fn point(&mut self, index: usize) {
        if index < self.options().len() {
            self.selected = index;
        }
    }

    /// Escape: closes the list until another token is typed.
    pub fn dismiss(&mut self) {
        self.dismissed = self.typed.as_ref().map(|t| t.start);
    }

    /// Chooses option `index` (the highlighted one with Enter or Tab): the new text and
    /// cursor, and the list closes.
    pub fn choose(&mut self, text: &str, index: usize) -> Option<(String, usize)> {
        let name = self.options().get(index)?.clone();
        let typed = self.typed.take()?;
        self.options.clear();
        self.selected = 0;
        Some(insert(text, &typed, &name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_token_at_the_cursor() {
        let t = typed("hi @al", 6).unwrap();
        assert_eq!((t.start, t.end, t.query.as_str()), (3, 6, "al"));
        assert_eq!(typed("@", 1).unwrap().query, "");
        assert_eq!(typed("(@Jo", 4).unwrap().query, "Jo");
        assert!(typed("mail@al", 7).is_none());
        assert!(typed("@al bo", 6).is_none(), "a space ends the token");
        assert!(typed("hi @al", 2).is_none());
        assert!(typed("@_x", 3).is_none());
        // The cursor in the middle of a name: what is before it is the query.
        assert_eq!(typed("@alice", 3).unwrap().query, "al");
        assert!(typed("é", 1).is_none(), "not a char boundary");
    }

    #[test]
    fn prefixes_first_then_contained_by_name_ignoring_case() {
        let members = names(&["carol", "Alice", "albert", "Sal", "bob"]);
        assert_eq!(matches("al", &members), ["albert", "Alice", "Sal"]);
        assert_eq!(matches("AL", &members), ["albert", "Alice", "Sal"]);
        assert_eq!(matches("", &members).len(), 5);
        assert!(matches("zz", &members).is_empty());
        let many: Vec<String> = (0..20).map(|i| format!("u{i:02}")).collect();
        assert_eq!(matches("u", &many).len(), MAX_OFFERED);
    }

    #[test]
    fn choosing_inserts_the_name_and_a_space() {
        let t = typed("hi @al", 6).unwrap();
        assert_eq!(insert("hi @al", &t, "Alice"), ("hi @Alice ".to_owned(), 10));
        let t = typed("@al how are you", 3).unwrap();
        assert_eq!(
            insert("@al how are you", &t, "Alice"),
            ("@Alice how are you".to_owned(), 7)
        );
        let t = typed("@alx", 3).unwrap();
        assert_eq!(insert("@alx", &t, "alice"), ("@alice x".to_owned(), 7));
    }

    #[test]
    fn cursors_convert_between_utf16_and_bytes() {
        let text = "é😀@al";
        assert_eq!(byte_of_utf16(text, 3), 6);
        assert_eq!(byte_of_utf16(text, 6), text.len());
        assert_eq!(utf16_of_byte(text, 6), 3);
        assert_eq!(utf16_of_byte(text, text.len()), 6);
    }

    #[test]
    fn arrows_escape_and_choose() {
        let members = names(&["alice", "albert", "bob"]);
        let mut c = Completion::default();
        c.update("hi", 2, &members);
        assert!(!c.is_open());
        c.update("hi @a", 5, &members);
        assert_eq!(c.options(), ["albert", "alice"]);
        c.step(1);
        assert_eq!(c.selected(), 1);
        c.step(1);
        assert_eq!(c.selected(), 0, "wraps");
        c.step(-1);
        assert_eq!(c.selected(), 1);
        c.update("hi @al", 6, &members);
        assert_eq!(c.selected(), 1, "the same options keep the highlight");
        c.dismiss();
        assert!(!c.is_open());
        c.update("hi @ali", 7, &members);
        assert!(!c.is_open(), "dismissed until another token");
        c.update("hi @ali @", 9, &members);
        assert!(c.is_open());
        c.update("hi @a", 5, &members);
        c.point(1);
        assert_eq!(
            c.choose("hi @a", c.selected()),
            Some(("hi @alice ".to_owned(), 10))
        );
        assert!(!c.is_open());
    }
}
