//! A released name's new holder: when the other person of a private conversation has an
//! account created by releasing the name of a former holder (`since` in the conversation's
//! entry, protocol "Release after inactivity"), the messages sent before `since` were with that
//! former holder. A line goes above the first message sent after it, when older ones are shown.

use crate::entries::Entry;
use crate::timeline::{Millis, Row};

/// Puts [`Entry::Former`] into `entries` above the first message sent at or after `since`,
/// when a message sent before it is among them. Nothing without `since`.
pub fn mark_former(entries: &mut Vec<Entry>, since: Option<Millis>) {
    let Some(since) = since else {
        return;
    };
    let sent = |entry: &Entry| match entry {
        Entry::Row {
            row: Row::Message { at, .. },
            ..
        } => Some(*at),
        _ => None,
    };
    let Some(first_new) = entries
        .iter()
        .position(|e| sent(e).is_some_and(|at| at >= since))
    else {
        return;
    };
    if !entries[..first_new]
        .iter()
        .any(|e| sent(e).is_some_and(|at| at < since))
    {
        return;
    }
    // Below the day separator that heads that message's day, if it has one.
    entries.insert(first_new, Entry::Former { since });
}

/// The line's text: `name` is a new account since `day` (as the day separators say it).
pub fn former_text(name: &str, day: &str) -> String {
    format!(
        "{name} is a new account since {day}: earlier messages were with a former holder of \
         the name"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::days::Day;
    use crate::timeline::Status;

    fn message(seq: u64, at: Millis) -> Entry {
        Entry::Row {
            row: Row::Message {
                seq,
                from: "bob".into(),
                body: format!("m{seq}"),
                at,
                own: false,
                mentions_me: false,
                status: Status::Confirmed,
                reason: None,
                starts_group: true,
                details: Default::default(),
                rev: 0,
                id: None,
                blocked: false,
            },
            shows_sender: true,
        }
    }

    fn day(n: Day) -> Entry {
        Entry::Day {
            day: n,
            label: format!("day {n}"),
        }
    }

    fn shape(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Day { label, .. } => format!("[{label}]"),
                Entry::Former { since } => format!("FORMER {since}"),
                Entry::New => "NEW".to_owned(),
                Entry::Row { row, .. } => format!("m{}", row.seq()),
            })
            .collect()
    }

    #[test]
    fn the_line_goes_above_the_first_message_after_since_when_older_ones_are_shown() {
        let mut entries = vec![
            day(1),
            message(1, 100),
            message(2, 200),
            day(2),
            message(3, 900),
        ];
        mark_former(&mut entries, Some(500));
        assert_eq!(
            shape(&entries),
            ["[day 1]", "m1", "m2", "[day 2]", "FORMER 500", "m3"]
        );
    }

    #[test]
    fn a_message_at_since_is_the_new_holder_s() {
        let mut entries = vec![message(1, 499), message(2, 500)];
        mark_former(&mut entries, Some(500));
        assert_eq!(shape(&entries), ["m1", "FORMER 500", "m2"]);
    }

    #[test]
    fn no_line_without_since_or_without_older_messages_or_without_newer_ones() {
        let all = vec![message(1, 100), message(2, 900)];
        let mut none = all.clone();
        mark_former(&mut none, None);
        assert_eq!(none, all);
        let mut only_new = vec![message(2, 900), message(3, 950)];
        mark_former(&mut only_new, Some(500));
        assert_eq!(shape(&only_new), ["m2", "m3"]);
        let mut only_old = vec![message(1, 100)];
        mark_former(&mut only_old, Some(500));
        assert_eq!(shape(&only_old), ["m1"]);
    }

    #[test]
    fn the_text_names_the_person_and_the_day() {
        assert_eq!(
            former_text("bob", "Today"),
            "bob is a new account since Today: earlier messages were with a former holder of \
             the name"
        );
    }
}
