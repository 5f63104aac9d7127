//! The quick switcher (Ctrl+K): a name typed, the conversations that match it, best first, and
//! the one chosen with ↑ and ↓. The component shows it as a combobox and its listbox.
//!
//! Matching ignores case and a leading `#` or `@`. Exact names come first, then names that
//! start with what was typed, then names that contain it; within each, the sidebar's order.

use super::ConvSummary;
use crate::order;

/// The switcher's query and the highlighted option.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Switcher {
    /// What was typed.
    query: String,
    /// Index of the highlighted option among the matches.
    selected: usize,
}

impl Switcher {
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Index of the highlighted option among [`Switcher::matches`].
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// New text in the box: the best match is highlighted again.
    pub fn set_query(&mut self, query: &str) {
        query.clone_into(&mut self.query);
        self.selected = 0;
    }

    /// The conversations of `convs` (in the sidebar's order) that match, best first.
    pub fn matches(&self, convs: &[ConvSummary]) -> Vec<ConvSummary> {
        let wanted = self
            .query
            .trim()
            .trim_start_matches(['#', '@'])
            .to_lowercase();
        let mut ranked: Vec<(u8, usize, &ConvSummary)> = convs
            .iter()
            .enumerate()
            .filter_map(|(at, conv)| {
                let title = conv.title.to_lowercase();
                let rank = if title == wanted {
                    0
                } else if title.starts_with(&wanted) {
                    1
                } else if title.contains(&wanted) {
                    2
                } else {
                    return None;
                };
                Some((rank, at, conv))
            })
            .collect();
        order::sort_by_key(&mut ranked, |&(rank, at, _)| (rank, at));
        ranked
            .into_iter()
            .map(|(_, _, conv)| conv.clone())
            .collect()
    }

    /// Moves the highlight by `delta` among `count` options, wrapping around at the ends.
    pub fn move_by(&mut self, delta: isize, count: usize) {
        if count == 0 {
            self.selected = 0;
            return;
        }
        let count = count as isize;
        let at = (self.selected.min(count as usize - 1)) as isize;
        self.selected = (at + delta).rem_euclid(count) as usize;
    }

    /// The highlighted conversation among `matches`, for Enter.
    pub fn chosen<'a>(&self, matches: &'a [ConvSummary]) -> Option<&'a ConvSummary> {
        matches.get(self.selected).or_else(|| matches.last())
    }
}
