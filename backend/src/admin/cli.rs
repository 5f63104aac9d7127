//! `chat-server admin grant NAME` and `chat-server admin revoke NAME`: the store the
//! configuration names (`--database-url`, or `chat.db` in `--data-dir`) is opened, migrated,
//! changed and closed; the server need not run (a running one reads it at the next request).

use shared::UserName;

use crate::config::{AdminAction, Config};
use crate::store::{self, StoreError};
use crate::tasks::Tasks;

/// Why `chat-server admin` failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminCliError {
    #[error("{0}")]
    InvalidName(#[from] shared::NameError),
    #[error("no account is called {0}")]
    NoSuchAccount(UserName),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Does `action` on the configured store; returns what to print.
pub async fn run(config: &Config, action: &AdminAction) -> Result<String, AdminCliError> {
    let (raw, grant) = match action {
        AdminAction::Grant { name } => (name, true),
        AdminAction::Revoke { name } => (name, false),
    };
    let name = UserName::parse(raw)?;
    let tasks = Tasks::new();
    let store = store::open_store(config, &tasks).await?;
    let done = store.set_admin(&name, grant).await;
    tasks.shutdown(config.shutdown_grace()).await;
    let name = done?.ok_or(AdminCliError::NoSuchAccount(name))?;
    Ok(if grant {
        format!("{name} is an administrator")
    } else {
        format!("{name} is no longer an administrator")
    })
}
