//! Whether this page is away ([`Attention`]): hidden, or untouched (no pointer, key or focus
//! event) for [`IDLE_AFTER_MS`]. The server hears of it with `activity`, on change only, and
//! again after a reconnect when the page is away (a new connection counts as present).

use shared::ClientFrame;

use super::ChatState;
use crate::timeline::Millis;

/// A page nobody has touched for this long is away.
pub const IDLE_AFTER_MS: Millis = 5 * 60_000;

/// The page's attention, and what this connection's server was told of it.
#[derive(Debug, Clone, Default)]
pub(super) struct Attention {
    /// The tab is hidden (a background tab, minimised).
    hidden: bool,
    /// The last pointer, key or focus event; `None` until the page first looks (it counts
    /// as touched then).
    touched_at: Option<Millis>,
    /// Away is what this connection's server was last told (a new connection assumes
    /// present).
    told_away: bool,
}

impl Attention {
    /// Whether the page is away at `now`.
    pub(super) fn is_away(&self, now: Millis) -> bool {
        self.hidden
            || self
                .touched_at
                .is_some_and(|at| now.saturating_sub(at) >= IDLE_AFTER_MS)
    }

    /// Someone used the page.
    pub(super) fn touched(&mut self, now: Millis) {
        self.touched_at = Some(now);
    }

    /// A new connection: its server counts the page present until told otherwise.
    pub(super) fn reconnected(&mut self) {
        self.told_away = false;
    }

    /// The page is `visible` or not at `now`: the `activity` frame to send when the page's
    /// state differs from what the server was told.
    pub(super) fn frame(&mut self, visible: bool, now: Millis) -> Option<ClientFrame> {
        self.hidden = !visible;
        self.touched_at.get_or_insert(now);
        let away = self.is_away(now);
        (away != self.told_away).then(|| {
            self.told_away = away;
            ClientFrame::Activity { away }
        })
    }
}

impl ChatState {
    /// A pointer, key or focus event in the page at `now`: the `activity` frame to send when
    /// that brings the page back from away. Cheap: call it for every such event.
    pub fn touched(&mut self, now: Millis) -> Option<ClientFrame> {
        self.attention.touched(now);
        if !self.is_connected() {
            return None;
        }
        let visible = !self.attention.hidden;
        self.attention.frame(visible, now)
    }

    /// The `activity` frame to send when the page, `visible` or not at `now`, went away
    /// (hidden, or untouched for [`IDLE_AFTER_MS`]) or came back since the server was told,
    /// or is away on a new connection. Call it with [`Self::due`].
    pub fn activity(&mut self, visible: bool, now: Millis) -> Option<ClientFrame> {
        if !self.is_connected() {
            return None;
        }
        self.attention.frame(visible, now)
    }

    /// Whether this page is away at `now` (hidden, or untouched for [`IDLE_AFTER_MS`]).
    pub fn page_away(&self, now: Millis) -> bool {
        self.attention.is_away(now)
    }
}
