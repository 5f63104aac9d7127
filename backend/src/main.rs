//! `chat-server`: reads the configuration, raises the open-file limit and fits the connection
//! caps to it, opens the store and serves until Ctrl-C or SIGTERM. `chat-server healthcheck`
//! instead probes the server the same configuration describes and exits 0 or 1;
//! `chat-server admin grant|revoke NAME` makes an account an administrator or no longer one.

use anyhow::Context;
use backend::config::Command;
use backend::store;
use backend::tasks::Tasks;
use backend::{admin, healthcheck, logging, server, AppState, Config};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config = Config::parse();
    match &config.command {
        Some(Command::Healthcheck { timeout_ms, ready }) => {
            let target = healthcheck::target(config.listen_addr());
            let path = if *ready { "/readyz" } else { "/healthz" };
            let timeout = std::time::Duration::from_millis(*timeout_ms);
            healthcheck::probe(target, path, timeout).await?;
            return Ok(());
        }
        Some(Command::Admin { action }) => {
            println!("{}", admin::cli::run(&config, action).await?);
            return Ok(());
        }
        None => {}
    }
    logging::init(config.log_format);
    config.validate().context("invalid configuration")?;
    server::fds::fit(&mut config, server::fds::raise_limit());
    // The one owner of the background tasks, stopped and awaited by `server::run`.
    let tasks = Tasks::new();
    let store =
        store::open_store(&config, &tasks)
            .await
            .with_context(|| match config.database_url {
                // The URL may hold a password: it is not repeated.
                Some(_) => "opening the store at DATABASE_URL".to_owned(),
                None => format!("opening the store in {}", config.data_dir.display()),
            })?;
    let addr = config.listen_addr();
    let listener = server::listen::bind(addr).with_context(|| format!("binding {addr}"))?;
    if !config.static_dir.join("index.html").exists() {
        tracing::warn!(dir = %config.static_dir.display(), "no built web client here; only the API is served");
    }
    // The real address (a port of 0 has become the one chosen), and where a browser here opens it.
    let local = listener.local_addr()?;
    tracing::info!(addr = %local, url = %server::local_url(local), store = store.engine(), "listening");
    let state = AppState::open(config, store, tasks)
        .await
        .context("loading rooms and messages")?;
    server::run(listener, state, server::shutdown_signal())
        .await
        .context("serving")
}
