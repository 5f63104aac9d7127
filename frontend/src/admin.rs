//! The administrators' panel, as plain state: the server's figures as labelled rows, and
//! disabling or enabling an account by name: the name checked, a confirmation asked, the
//! request's outcome in words. Tested on the host; `components/admin.rs` only draws it and
//! sends the requests (`api::admin_figures`, `api::set_disabled`).

use shared::api::AdminFigures;
use shared::{ErrorCode, UserName};

use crate::api::ApiFailure;

/// What an administrator does to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Disable,
    Enable,
}

/// The panel's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminPanel {
    /// The figures last read, as rows; empty until the first answer.
    pub figures: Vec<(String, u64)>,
    /// Figures being read.
    pub loading: bool,
    /// Why the figures could not be read.
    pub figures_problem: Option<String>,
    /// The action and account (as typed, checked) waiting for the administrator's "yes".
    pub confirming: Option<(Action, String)>,
    /// A disable or enable is on its way.
    pub busy: bool,
    /// What the last disable or enable did: `Ok` says it was done, `Err` why not.
    pub outcome: Option<Result<String, String>>,
}

impl AdminPanel {
    /// A refresh of the figures starts; `false` when one is on its way already.
    pub fn refresh(&mut self) -> bool {
        !std::mem::replace(&mut self.loading, true)
    }

    /// The figures' answer.
    pub fn figures_read(&mut self, answer: Result<AdminFigures, ApiFailure>) {
        self.loading = false;
        match answer {
            Ok(figures) => {
                self.figures = figure_rows(&figures);
                self.figures_problem = None;
            }
            Err(failure) => self.figures_problem = Some(problem(&failure, None)),
        }
    }

    /// `action` asked for the account `typed`: a confirmation, or why the name cannot be one.
    pub fn ask(&mut self, action: Action, typed: &str) {
        self.outcome = None;
        match UserName::parse(typed) {
            Ok(name) => self.confirming = Some((action, name.as_str().to_owned())),
            Err(e) => {
                self.confirming = None;
                self.outcome = Some(Err(match e {
                    shared::NameError::Empty => "Enter the name of an account.".to_owned(),
                    other => other.to_string(),
                }));
            }
        }
    }

    /// The confirmation's question, while one is asked.
    pub fn question(&self) -> Option<String> {
        let (action, name) = self.confirming.as_ref()?;
        Some(match action {
            Action::Disable => format!(
                "Disable the account “{name}”? Its open sessions end at once, on every server, \
                 and nobody can sign in to it until an administrator enables it again."
            ),
            Action::Enable => format!(
                "Enable the account “{name}” again? Its sessions and its password work again."
            ),
        })
    }

    /// The confirming button's words: the action and the account.
    pub fn confirm_label(&self) -> Option<String> {
        let (action, name) = self.confirming.as_ref()?;
        let verb = match action {
            Action::Disable => "Disable",
            Action::Enable => "Enable",
        };
        Some(format!("{verb} “{name}”"))
    }

    /// "Yes": the request to send, unless one is on its way.
    pub fn confirm(&mut self) -> Option<(Action, String)> {
        if self.busy {
            return None;
        }
        let asked = self.confirming.take()?;
        self.busy = true;
        Some(asked)
    }

    /// "Cancel": nothing is done.
    pub fn cancel(&mut self) {
        self.confirming = None;
    }

    /// The answer to `action` on `name`.
    pub fn done(&mut self, action: Action, name: &str, answer: Result<(), ApiFailure>) {
        self.busy = false;
        self.outcome = Some(match answer {
            Ok(()) => Ok(match action {
                Action::Disable => {
                    format!("The account “{name}” is disabled; its sessions have ended.")
                }
                Action::Enable => format!("The account “{name}” is enabled again."),
            }),
            Err(failure) => Err(problem(&failure, Some(name))),
        });
    }
}

/// The figures as labelled rows: the whole chat's, then each node's connections.
pub fn figure_rows(figures: &AdminFigures) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = [
        ("Accounts", figures.accounts),
        ("Disabled accounts", figures.disabled_accounts),
        ("Users online", figures.online_users),
        ("Rooms", figures.rooms),
        ("Messages stored", figures.messages),
    ]
    .into_iter()
    .map(|(label, n)| (label.to_owned(), n))
    .collect();
    for node in &figures.nodes {
        rows.push((format!("Connections on {}", node.node), node.connections));
    }
    rows
}

/// What to say when an administrator's request failed (`name`: the account it was about).
pub fn problem(failure: &ApiFailure, name: Option<&str>) -> String {
    let ApiFailure::Refused { status, error } = failure else {
        return "The server cannot be reached. Check your connection and try again.".to_owned();
    };
    match (error.as_ref().map(|e| e.code), name) {
        (Some(ErrorCode::NotAdmin), _) => {
            "The server says you are not an administrator (any more): it did nothing.".to_owned()
        }
        (Some(ErrorCode::UnknownUser), Some(name)) => format!("No account is called “{name}”."),
        (Some(ErrorCode::NotAllowed), _) => "You cannot disable your own account.".to_owned(),
        (Some(ErrorCode::Unauthorized), _) => "Your session has ended: sign in again.".to_owned(),
        _ => match error {
            Some(error) if !error.message.is_empty() => error.message.clone(),
            _ => format!("The server refused (HTTP {status}). Please try again."),
        },
    }
}

#[cfg(test)]
mod tests {
    use shared::api::{ApiError, NodeFigures};

    use super::*;

    fn refused(status: u16, code: ErrorCode) -> ApiFailure {
        ApiFailure::Refused {
            status,
            error: Some(ApiError {
                code,
                message: "server text".into(),
            }),
        }
    }

    fn figures() -> AdminFigures {
        AdminFigures {
            accounts: 1520,
            disabled_accounts: 3,
            online_users: 211,
            rooms: 48,
            messages: 982_113,
            nodes: vec![
                NodeFigures {
                    node: "a-4f1c".into(),
                    connections: 130,
                },
                NodeFigures {
                    node: "b-9e20".into(),
                    connections: 118,
                },
            ],
        }
    }

    #[test]
    fn the_figures_are_labelled_rows_with_each_nodes_connections() {
        let mut panel = AdminPanel::default();
        assert!(panel.refresh());
        assert!(!panel.refresh(), "one refresh at a time");
        panel.figures_read(Ok(figures()));
        assert!(!panel.loading);
        let rows: Vec<(&str, u64)> = panel
            .figures
            .iter()
            .map(|(l, n)| (l.as_str(), *n))
            .collect();
        assert_eq!(
            rows,
            [
                ("Accounts", 1520),
                ("Disabled accounts", 3),
                ("Users online", 211),
                ("Rooms", 48),
                ("Messages stored", 982_113),
                ("Connections on a-4f1c", 130),
                ("Connections on b-9e20", 118),
            ]
        );
        // A failed refresh keeps the last figures and says why.
        assert!(panel.refresh());
        panel.figures_read(Err(refused(403, ErrorCode::NotAdmin)));
        assert_eq!(panel.figures.len(), 7);
        assert!(panel
            .figures_problem
            .as_deref()
            .unwrap()
            .contains("not an administrator"));
        assert!(panel.refresh());
        panel.figures_read(Ok(figures()));
        assert_eq!(panel.figures_problem, None);
    }

    #[test]
    fn disabling_asks_first_and_says_what_happened() {
        let mut panel = AdminPanel::default();
        panel.ask(Action::Disable, "  ");
        assert_eq!(
            panel.outcome,
            Some(Err("Enter the name of an account.".into()))
        );
        assert_eq!(panel.confirm(), None, "nothing asked");
        panel.ask(Action::Disable, "b b");
        assert!(panel.outcome.as_ref().unwrap().is_err());
        assert_eq!(panel.confirming, None);

        panel.ask(Action::Disable, " bob ");
        assert_eq!(panel.outcome, None);
        let question = panel.question().unwrap();
        assert!(
            question.starts_with("Disable the account “bob”?"),
            "{question}"
        );
        assert!(question.contains("sessions end at once"), "{question}");
        assert_eq!(panel.confirm_label().unwrap(), "Disable “bob”");
        panel.cancel();
        assert_eq!(panel.question(), None);
        assert_eq!(panel.confirm(), None, "cancelled: nothing to send");

        panel.ask(Action::Disable, "bob");
        assert_eq!(panel.confirm(), Some((Action::Disable, "bob".into())));
        assert!(panel.busy);
        panel.ask(Action::Enable, "bob");
        assert_eq!(panel.confirm(), None, "one request at a time");
        panel.done(Action::Disable, "bob", Ok(()));
        assert!(!panel.busy);
        assert_eq!(
            panel.outcome,
            Some(Ok(
                "The account “bob” is disabled; its sessions have ended.".into()
            ))
        );

        panel.ask(Action::Enable, "bob");
        assert!(panel
            .question()
            .unwrap()
            .starts_with("Enable the account “bob” again?"));
        assert_eq!(panel.confirm_label().unwrap(), "Enable “bob”");
        let (action, name) = panel.confirm().unwrap();
        panel.done(action, &name, Ok(()));
        assert_eq!(
            panel.outcome,
            Some(Ok("The account “bob” is enabled again.".into()))
        );
    }

    #[test]
    fn refusals_are_explained() {
        let mut panel = AdminPanel::default();
        panel.ask(Action::Disable, "nobody");
        let (action, name) = panel.confirm().unwrap();
        panel.done(action, &name, Err(refused(404, ErrorCode::UnknownUser)));
        assert_eq!(
            panel.outcome,
            Some(Err("No account is called “nobody”.".into()))
        );
        let said = |failure: ApiFailure| problem(&failure, Some("bob"));
        assert!(said(refused(403, ErrorCode::NotAdmin)).contains("not an administrator"));
        assert_eq!(
            said(refused(403, ErrorCode::NotAllowed)),
            "You cannot disable your own account."
        );
        assert!(said(refused(401, ErrorCode::Unauthorized)).contains("session has ended"));
        assert_eq!(
            said(refused(400, ErrorCode::InvalidUserName)),
            "server text"
        );
        assert!(said(ApiFailure::Network("down".into())).contains("cannot be reached"));
        assert!(said(ApiFailure::Refused {
            status: 502,
            error: None
        })
        .contains("HTTP 502"));
    }
}
