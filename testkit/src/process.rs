//! The real `chat-server` binary as a process: [`ServerProcess`], started from
//! [`ServerOptions`] on a free port of loopback with a fresh data directory; it can be killed
//! with SIGKILL, stopped with SIGTERM (and its exit status awaited), and started again on the
//! same port and data directory. It is killed, and reaped, when dropped.
//!
//! The binary is `CHAT_SERVER_BIN`, else the one [`ServerOptions::binary`] names, else the
//! newest `target/{debug,release}/chat-server` (also under `CARGO_TARGET_DIR`);
//! [`ServerOptions::only_binary`] names one that `CHAT_SERVER_BIN` does not override (the
//! benchmark measures the build it was told to). It may run through a command that execs it
//! in place ([`ServerOptions::command_prefix`]: `taskset`, `setpriv`), so that
//! [`ServerProcess::pid`] is still the server's. Its output goes to `server.log` in the data
//! directory ([`ServerProcess::log_text`], [`ServerProcess::log_tail`]), or to the terminal
//! when `TEST_LOG` or `E2E_LOG` is set (unless [`ServerOptions::capture_output`]).
//!
//! [`ServerOptions::start`] fails the test when the server does not start;
//! [`ServerOptions::try_start`] returns a [`StartError`] instead, for a caller that goes on.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::client::Endpoint;
use crate::net::free_addr;

/// How long a starting server may take to answer its readiness path, unless
/// [`ServerOptions::start_within`] says otherwise.
const START_WITHIN: Duration = Duration::from_secs(20);

/// The lines of the server's log that a [`StartError`] shows.
const LOG_TAIL_LINES: usize = 40;

/// How long dropping a [`ServerProcess`] waits for the killed process to be gone.
const REAP_WITHIN: Duration = Duration::from_secs(5);

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ lives in the repository")
        .to_path_buf()
}

/// The server binary: `CHAT_SERVER_BIN`, else the newest one cargo built.
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CHAT_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let mut targets = vec![repo_root().join("target")];
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        targets.insert(0, PathBuf::from(dir));
    }
    targets
        .iter()
        .flat_map(|t| ["debug", "release"].map(|profile| t.join(profile).join("chat-server")))
        .filter_map(|p| {
            let modified = p.metadata().ok()?.modified().ok()?;
            Some((modified, p))
        })
        .max()
        .map(|(_, p)| p)
        .expect("no chat-server binary: set CHAT_SERVER_BIN or run `cargo build -p backend`")
}

/// Whether the server's output should reach the terminal rather than its log file.
fn log_to_terminal() -> bool {
    std::env::var_os("TEST_LOG").is_some() || std::env::var_os("E2E_LOG").is_some()
}

/// Sign-in limits (environment variables) that tests, browser tests and benchmarks, which sign
/// in many users fast from one address, never reach. A flag (`--name-attempts 10`) overrides
/// its variable, for a test of the limits themselves.
const GENEROUS_SIGN_IN: &[(&str, &str)] = &[
    ("NAME_ATTEMPTS", "1000000"),
    ("NAME_ATTEMPTS_PER_HOUR", "1000000"),
    ("ADDRESS_ATTEMPTS", "1000000"),
    ("ADDRESS_ATTEMPTS_PER_HOUR", "1000000"),
    ("ACCOUNT_CREATIONS", "1000000"),
    ("ACCOUNT_CREATIONS_PER_HOUR", "1000000"),
    ("HASH_QUEUE", "1024"),
];

/// How to start a [`ServerProcess`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The binary, when `CHAT_SERVER_BIN` does not say (a test target knows its own).
    binary: Option<PathBuf>,
    /// Whether `binary` is run even when `CHAT_SERVER_BIN` names another.
    binary_wins: bool,
    /// A program and its arguments that exec the server in place (`taskset -c 0`), if any.
    prefix: Vec<OsString>,
    /// Where to listen; a free port of loopback when `None`.
    addr: Option<SocketAddr>,
    /// `--static-dir`; a missing folder (no web client) when `None`.
    static_dir: Option<PathBuf>,
    /// Further flags.
    args: Vec<OsString>,
    /// Environment variables set for the process.
    env: Vec<(OsString, OsString)>,
    /// The path that answers 200 once the server is ready.
    ready_path: &'static str,
    /// How long it may take to be ready.
    start_within: Duration,
    /// Whether the output goes to the log file even when `TEST_LOG` or `E2E_LOG` is set.
    capture: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerOptions {
    pub fn new() -> Self {
        Self {
            binary: None,
            binary_wins: false,
            prefix: Vec::new(),
            addr: None,
            static_dir: None,
            args: Vec::new(),
            env: GENEROUS_SIGN_IN
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v)))
                .collect(),
            ready_path: "/healthz",
            start_within: START_WITHIN,
            capture: false,
        }
    }

    /// Runs this binary unless `CHAT_SERVER_BIN` is set (say `env!("CARGO_BIN_EXE_chat-server")`).
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self.binary_wins = false;
        self
    }

    /// Runs this binary whatever `CHAT_SERVER_BIN` says (the benchmark's `--server-bin`).
    pub fn only_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self.binary_wins = true;
        self
    }

    /// Runs the server through `command`, a program and its arguments that exec it in place
    /// (say `["taskset", "-c", "0"]`, or `setpriv --pdeathsig KILL` before it), so that
    /// [`ServerProcess::pid`] is still the server's. Empty: the server is run directly.
    pub fn command_prefix<I, S>(mut self, command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.prefix = command.into_iter().map(Into::into).collect();
        self
    }

    /// Listens on `addr` rather than on a free port.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Serves the web client in `dir`.
    pub fn static_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.static_dir = Some(dir.into());
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Waits for `path` (say `/readyz`) rather than `/healthz` to answer 200 at start.
    pub fn ready_path(mut self, path: &'static str) -> Self {
        self.ready_path = path;
        self
    }

    /// Gives the server `within` (rather than 20 s) to answer its readiness path.
    pub fn start_within(mut self, within: Duration) -> Self {
        self.start_within = within;
        self
    }

    /// Always writes the output to the log file, for a test that reads it.
    pub fn capture_output(mut self) -> Self {
        self.capture = true;
        self
    }

    /// Starts the server and waits until it is ready; fails the test if it does not start.
    pub async fn start(self) -> ServerProcess {
        self.try_start().await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts the server and waits until it is ready, or says why it did not start.
    pub async fn try_start(self) -> Result<ServerProcess, StartError> {
        let data = tempfile::tempdir().map_err(|e| StartError {
            reason: format!("no data directory: {e}"),
            log_tail: String::new(),
        })?;
        let addr = self.addr.unwrap_or_else(free_addr);
        let mut server = ServerProcess {
            endpoint: Endpoint::new(addr),
            child: None,
            log: data.path().join("server.log"),
            data,
            options: self,
        };
        server.spawn().await?;
        Ok(server)
    }
}

/// Why a server did not start: what happened, and the end of its log.
#[derive(Debug)]
pub struct StartError {
    pub reason: String,
    /// The last lines the server wrote (empty when its output went to the terminal).
    pub log_tail: String,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.log_tail.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}; the end of its log:\n{}", self.reason, self.log_tail)
        }
    }
}

impl std::error::Error for StartError {}

/// One `chat-server` process; killed and reaped when dropped.
pub struct ServerProcess {
    endpoint: Endpoint,
    /// `None` once killed or stopped.
    child: Option<Child>,
    /// How it was started, to start it again the same way.
    options: ServerOptions,
    /// Where its output goes (unless `TEST_LOG` or `E2E_LOG` is set).
    log: PathBuf,
    /// Holds `data/` (the server's `--data-dir`) and the log; kept across restarts.
    data: TempDir,
}

impl Deref for ServerProcess {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl ServerProcess {
    /// Starts the server with the default options.
    pub async fn start() -> Self {
        ServerOptions::new().start().await
    }

    pub fn options() -> ServerOptions {
        ServerOptions::new()
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The server's `--data-dir`.
    pub fn data_dir(&self) -> PathBuf {
        self.data.path().join("data")
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.endpoint.addr)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    async fn spawn(&mut self) -> Result<(), StartError> {
        let options = &self.options;
        let binary = match (&options.binary, options.binary_wins) {
            (Some(path), true) => path.clone(),
            (binary, _) => std::env::var_os("CHAT_SERVER_BIN")
                .map(PathBuf::from)
                .or_else(|| binary.clone())
                .unwrap_or_else(server_binary),
        };
        let mut command = match options.prefix.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&binary);
                command
            }
            None => Command::new(&binary),
        };
        command
            .arg("--bind")
            .arg(self.endpoint.addr.to_string())
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--static-dir")
            .arg(
                options
                    .static_dir
                    .clone()
                    .unwrap_or_else(|| self.data.path().join("no-client")),
            )
            .args(&options.args)
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if options.capture || !log_to_terminal() {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .and_then(|log| Ok((log.try_clone()?, log)))
                .map_err(|e| self.failed(format!("no log file: {e}")))?;
            command.stdout(log.0).stderr(log.1);
        }
        let shown = match options.prefix.first() {
            Some(program) => format!("{} {}", program.to_string_lossy(), binary.display()),
            None => binary.display().to_string(),
        };
        let mut child = command
            .spawn()
            .map_err(|e| self.failed(format!("cannot start {shown}: {e}")))?;
        let within = options.start_within;
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(self.failed(format!("the server exited with {status}")));
            }
            if self.endpoint.status_of(options.ready_path).await == Some(200) {
                break;
            }
            if Instant::now() >= deadline {
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(self.failed(format!(
                    "the server at {} was not ready ({} answering 200) within {within:?}",
                    self.endpoint.addr, options.ready_path
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.child = Some(child);
        Ok(())
    }

    /// A [`StartError`] with the end of the log.
    fn failed(&self, reason: String) -> StartError {
        StartError {
            reason,
            log_tail: self.log_tail(LOG_TAIL_LINES),
        }
    }

    /// The server's output so far (empty when it goes to the terminal).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last `lines` lines of the server's output.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// SIGKILL: no goodbye to anyone, like a crash. Waits until the process is gone.
    pub async fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// SIGTERM, then waits up to `within` for the process to exit; returns its exit status
    /// and how long it took. Fails the test (after killing it) if it does not exit in time.
    pub async fn terminate(&mut self, within: Duration) -> (ExitStatus, Duration) {
        let mut child = self.child.take().expect("the server is running");
        let pid = child.id().expect("a running process has an id");
        let pid = rustix::process::Pid::from_raw(i32::try_from(pid).expect("a pid"))
            .expect("a pid is not 0");
        let started = Instant::now();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        match tokio::time::timeout(within, child.wait()).await {
            Ok(status) => (status.expect("wait"), started.elapsed()),
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                panic!(
                    "the server did not exit within {within:?} of SIGTERM:\n{}",
                    self.log_text()
                );
            }
        }
    }

    /// Starts the server again on the same port and data directory (killing it first if it
    /// still runs).
    pub async fn restart(&mut self) {
        self.kill_9().await;
        self.spawn().await.unwrap_or_else(|e| panic!("{e}"));
    }
}

impl Drop for ServerProcess {
    /// SIGKILL, then a short wait until the process is gone, so that the next server (or the
    /// next benchmark scenario) does not start beside one still exiting.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if child.start_kill().is_ok() {
                let deadline = std::time::Instant::now() + REAP_WITHIN;
                while matches!(child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
}
