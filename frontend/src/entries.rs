//! The message list as the view draws it: the rows of [`crate::timeline::rows`] with a day
//! separator before each calendar day's first row, the "New" divider above the first message
//! the reader had not read when opening the conversation, and for each group of messages
//! whether it shows the sender's avatar and name (others') or neither (our own: no name
//! repeated above our own bubbles).

use crate::days::{self, Day};
use crate::timeline::{Millis, Row};

/// One entry of the list. Nearly every entry is a row (a message): boxing it would cost an
/// allocation per entry to save space on the few separators.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// "Today", "Yesterday", "Tue 2 Dec 2025": the rows below are from that day.
    Day { day: Day, label: String },
    /// The first message below is the first one not read when the conversation was opened.
    New,
    /// The messages above were with a former holder of the other person's name: their account
    /// is new since this instant (placed by `former.rs`, which uses this list).
    Former { since: Millis },
    /// A system line or a message.
    Row {
        row: Row,
        /// Draw the sender's avatar and name above this message (the first of a group of
        /// someone else's messages).
        shows_sender: bool,
    },
}

impl Entry {
    /// A key for the view's list: a row's own key, a day by its date, the one divider.
    pub fn key(&self) -> String {
        match self {
            Self::Day { day, label } => format!("d{day}-{label}"),
            Self::New => "new".to_owned(),
            Self::Former { .. } => "former".to_owned(),
            Self::Row { row, shows_sender } => format!("{}-{}", row.key(), u8::from(*shows_sender)),
        }
    }
}

/// Lays out `rows`: `day_of` gives the reader's calendar day of an instant, `today` is the
/// reader's day now, and `new_after` the read marker when the conversation was opened (the
/// divider goes above the first message from someone else with a greater id; `id_of` gives
/// the server id of the message with a row's sequence number, once known).
pub fn entries(
    rows: &[Row],
    id_of: impl Fn(u64) -> Option<u64>,
    day_of: impl Fn(Millis) -> Day,
    today: Day,
    new_after: Option<u64>,
) -> Vec<Entry> {
    let mut out = Vec::with_capacity(rows.len() + 4);
    let mut current_day = None;
    let mut divided = new_after.is_none();
    for row in rows {
        let at = match row {
            Row::System { at, .. } | Row::Message { at, .. } => *at,
        };
        let day = day_of(at);
        let new_day = current_day != Some(day);
        if new_day {
            current_day = Some(day);
            out.push(Entry::Day {
                day,
                label: days::label(day, today),
            });
        }
        let (own, starts_group) = match row {
            Row::Message {
                own, starts_group, ..
            } => (*own, *starts_group),
            Row::System { .. } => (true, false),
        };
        let unread = !own
            && !divided
            && id_of(row.seq())
                .zip(new_after)
                .is_some_and(|(id, after)| id > after);
        if unread {
            divided = true;
            out.push(Entry::New);
        }
        out.push(Entry::Row {
            row: row.clone(),
            // A new day or the divider starts a group again, so the sender shows again.
            shows_sender: !own && (starts_group || new_day || unread),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::Status;

    const DAY: Millis = 86_400_000;

    fn message(seq: u64, from: &str, at: Millis, own: bool, starts_group: bool) -> Row {
        Row::Message {
            seq,
            from: from.into(),
            body: format!("m{seq}"),
            at,
            own,
            mentions_me: false,
            status: Status::Confirmed,
            reason: None,
            starts_group,
            details: Default::default(),
            rev: 0,
            id: None,
            blocked: false,
        }
    }

    /// Ids by sequence number: `ids[seq - 1]`.
    fn by(ids: &[Option<u64>]) -> impl Fn(u64) -> Option<u64> + '_ {
        move |seq| {
            ids.get(usize::try_from(seq).ok()?.checked_sub(1)?)
                .copied()
                .flatten()
        }
    }

    fn utc_day(at: Millis) -> Day {
        days::local_day(at, 0)
    }

    fn shape(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Day { label, .. } => format!("[{label}]"),
                Entry::New => "NEW".to_owned(),
                Entry::Former { .. } => "FORMER".to_owned(),
                Entry::Row {
                    row: Row::Message { body, .. },
                    shows_sender,
                } => format!("{body}{}", if *shows_sender { "*" } else { "" }),
                Entry::Row {
                    row: Row::System { text, .. },
                    ..
                } => text.clone(),
            })
            .collect()
    }

    #[test]
    fn each_day_gets_a_separator() {
        let today = 20_000;
        let start = today as Millis * DAY;
        let rows = [
            message(1, "bob", start - 3 * DAY, false, true),
            message(2, "bob", start - DAY + 5, false, true),
            message(3, "bob", start - DAY + 10, false, false),
            message(4, "bob", start + 1, false, true),
            Row::System {
                seq: 5,
                text: "carol joined".into(),
                at: start + 2,
            },
        ];
        let ids = [Some(1), Some(2), Some(3), Some(4), None];
        let out = entries(&rows, by(&ids), utc_day, today, None);
        assert_eq!(
            shape(&out),
            [
                "[Tue 1 Oct 2024]",
                "m1*",
                "[Yesterday]",
                "m2*",
                "m3",
                "[Today]",
                "m4*",
                "carol joined"
            ]
        );
    }

    #[test]
    fn the_divider_stands_above_the_first_unread_message_from_others() {
        let rows = [
            message(1, "bob", 10, false, true),
            message(2, "me", 20, true, true),
            message(3, "bob", 30, false, true),
            message(4, "bob", 40, false, false),
        ];
        let ids = [Some(10), Some(11), Some(12), Some(13)];
        // Read up to 10; our own 11 is not "new" to us; 12 is the first unread.
        let out = entries(&rows, by(&ids), utc_day, 0, Some(10));
        assert_eq!(shape(&out), ["[Today]", "m1*", "m2", "NEW", "m3*", "m4"]);
        // Everything read: no divider.
        let out = entries(&rows, by(&ids), utc_day, 0, Some(13));
        assert!(!out.contains(&Entry::New));
        // Nothing to compare with: no divider.
        assert!(!entries(&rows, by(&ids), utc_day, 0, None).contains(&Entry::New));
    }

    #[test]
    fn the_divider_restarts_a_group() {
        let rows = [
            message(1, "bob", 10, false, true),
            message(2, "bob", 20, false, false),
        ];
        let out = entries(&rows, by(&[Some(1), Some(2)]), utc_day, 0, Some(1));
        assert_eq!(shape(&out), ["[Today]", "m1*", "NEW", "m2*"]);
    }

    #[test]
    fn our_own_messages_never_show_the_sender() {
        let rows = [
            message(1, "me", 10, true, true),
            message(2, "me", 20, true, false),
            message(3, "bob", 30, false, true),
            message(4, "me", 40, true, true),
        ];
        let ids = [Some(1), Some(2), Some(3), Some(4)];
        let out = entries(&rows, by(&ids), utc_day, 0, None);
        assert_eq!(shape(&out), ["[Today]", "m1", "m2", "m3*", "m4"]);
    }

    #[test]
    fn entry_keys_are_unique() {
        let rows = [
            message(1, "bob", 10, false, true),
            message(2, "bob", DAY + 10, false, true),
        ];
        let out = entries(&rows, by(&[Some(1), Some(2)]), utc_day, 1, Some(1));
        let mut keys: Vec<String> = out.iter().map(Entry::key).collect();
        let count = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), count);
    }
}
