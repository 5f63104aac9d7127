//! The connection as the client sees it: its [`Link`] state for the status bar, and the
//! [`ResumePoint`] the next connection asks the server to replay from.

use crate::timeline::Millis;

/// The connection to the server, as the person should see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Opening a connection (the first one, or an attempt after a wait).
    Connecting,
    /// The server said `welcome`.
    Connected,
    /// Waiting until `retry_at` before the next attempt.
    Reconnecting { retry_at: Millis },
    /// The browser reports no network; an attempt follows at `retry_at` or when it is back.
    Offline { retry_at: Millis },
}

impl Link {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Offline { .. } => "offline",
        }
    }

    /// What the status bar says, given the time now (for the countdown).
    pub fn describe(self, now: Millis) -> String {
        let seconds = |at: Millis| at.saturating_sub(now).div_ceil(1000);
        match self {
            Self::Connecting => "Connecting…".to_owned(),
            Self::Connected => "Connected".to_owned(),
            Self::Reconnecting { retry_at } => match seconds(retry_at) {
                0 => "Reconnecting…".to_owned(),
                s => format!("Reconnecting in {s} s"),
            },
            Self::Offline { retry_at } => match seconds(retry_at) {
                0 => "Offline: trying again…".to_owned(),
                s => format!("Offline: trying again in {s} s"),
            },
        }
    }
}

/// The highest message id this page has received (messages, acks, `welcome.last_id`): the
/// next connection asks for everything after it.
#[derive(Debug, Clone, Default)]
pub(super) struct ResumePoint {
    /// `None` until this page load's first `welcome`, so that connection replays nothing and
    /// history pages fill the view.
    after: Option<u64>,
}

impl ResumePoint {
    /// The `after` of the next connection: `None` on a page's first one.
    pub(super) fn after(&self) -> Option<u64> {
        self.after
    }

    /// A `welcome` names the newest id the server has for us; the point never moves back.
    pub(super) fn welcomed(&mut self, last_id: u64) {
        self.after = Some(self.after.unwrap_or(0).max(last_id));
    }

    /// A message id reached us: the next connection resumes after it (once there has been a
    /// `welcome`).
    pub(super) fn reached(&mut self, id: u64) {
        if let Some(after) = &mut self.after {
            *after = (*after).max(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_counts_down() {
        assert_eq!(Link::Connected.describe(0), "Connected");
        assert_eq!(
            Link::Reconnecting { retry_at: 2_500 }.describe(0),
            "Reconnecting in 3 s"
        );
        assert_eq!(
            Link::Reconnecting { retry_at: 2_500 }.describe(2_500),
            "Reconnecting…"
        );
        assert_eq!(
            Link::Offline { retry_at: 1_000 }.describe(0),
            "Offline: trying again in 1 s"
        );
        assert_eq!(Link::Offline { retry_at: 0 }.as_str(), "offline");
    }

    #[test]
    fn the_resume_point_waits_for_a_welcome_and_never_moves_back() {
        let mut resume = ResumePoint::default();
        resume.reached(7);
        assert_eq!(resume.after(), None);
        resume.welcomed(5);
        resume.reached(9);
        resume.reached(8);
        resume.welcomed(6);
        assert_eq!(resume.after(), Some(9));
    }
}
