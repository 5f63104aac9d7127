//! The sign-in name box, checked while it is typed in: the same rules as the server's
//! ([`shared::UserName::parse`]), said before the form is sent. Nothing is cut: a name too long
//! stays as typed and the box says by how much, and a counter shows near the limit.

use shared::limits::MAX_USER_NAME;
use shared::names::user_name_length;
use shared::UserName;

/// The counter shows from this many characters on.
pub const COUNTER_FROM: usize = MAX_USER_NAME - 4;

/// What the name box says about what is in it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameCheck {
    /// "21/24" near or over the limit; `None` well below it.
    pub counter: Option<String>,
    /// Why the server would refuse the name, in its words; `None` when it is fine or empty (an
    /// empty box is not a mistake until the form is sent).
    pub problem: Option<String>,
}

/// Checks the name box's `input`.
pub fn check_name(input: &str) -> NameCheck {
    let length = user_name_length(input);
    let counter = (length >= COUNTER_FROM).then(|| format!("{length}/{MAX_USER_NAME}"));
    let problem = if length == 0 {
        None
    } else {
        UserName::parse(input).err().map(|e| e.to_string())
    };
    NameCheck { counter, problem }
}
