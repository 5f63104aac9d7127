//! Where a message body mentions the signed-in user (`@name`, by the shared rule the server
//! counts with): [`marks`] cuts a piece of text into plain runs and the mentions to emphasise.

/// Cuts `text` into runs, each marked `true` when it is a mention of the user whose name key
/// is `me_key` (the `@` and the name). Joined again they are `text`.
pub fn marks(text: &str, me_key: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    for mention in shared::mentions::find(text, |key| key == me_key) {
        if mention.range.start > at {
            out.push((text[at..mention.range.start].to_owned(), false));
        }
        out.push((text[mention.range.clone()].to_owned(), true));
        at = mention.range.end;
    }
    if at < text.len() || out.is_empty() {
        out.push((text[at..].to_owned(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_mentions_are_marked() {
        assert_eq!(
            marks("hi @Alice. and @bob", "alice"),
            [
                ("hi ".to_owned(), false),
                ("@Alice".to_owned(), true),
                (". and @bob".to_owned(), false)
            ]
        );
        assert_eq!(marks("@alice", "alice"), [("@alice".to_owned(), true)]);
        assert_eq!(
            marks("mail@alice", "alice"),
            [("mail@alice".to_owned(), false)]
        );
        assert_eq!(marks("", "alice"), [(String::new(), false)]);
    }
}
