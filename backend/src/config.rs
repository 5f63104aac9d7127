//! Configuration, from flags or the environment, with defaults that work out of the box.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::Parser;

use crate::cidr::Cidr;
use crate::logging::LogFormat;

/// The default least time, in milliseconds, between two `presence` frames. A quarter of a
/// second is below what a person notices in a member list, yet when many users sign in at
/// once it bounds the presence frames every connection gets to 4 per second, whatever the
/// rate of sign-ins. A lone sign-in is not delayed at all (the leading edge).
pub const PRESENCE_INTERVAL_MS: u64 = 250;

/// The default byte budget of a connection's queue: a few of the largest frames (a history
/// page of long bodies approaches 2.4 MB), and a bound on what one slow client can pin.
pub const QUEUE_BYTES: usize = 4 * 1024 * 1024;
/// The least `--queue-bytes`: below it ordinary frames would close connections.
pub const MIN_QUEUE_BYTES: usize = 64 * 1024;
/// The least `--max-frame-bytes`: the largest control frame's payload.
pub const MIN_FRAME_BYTES: u64 = 125;
/// The most `--max-frame-bytes`: 16 MiB. A larger limit would let one message take that much
/// memory per connection, and nothing in the chat needs it.
pub const MAX_FRAME_BYTES: u64 = 16 * 1024 * 1024;

/// Everything an operator can set. Every flag also reads an environment variable.
#[derive(Debug, Clone, Parser)]
#[command(name = "chat-server", version, about = "Real-time chat server")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "0.0.0.0:8080")]
    pub bind: SocketAddr,

    /// Port to listen on; overrides the port of --bind (the container convention).
    #[arg(long, env = "PORT")]
    pub port: Option<u16>,

    /// Directory for the SQLite database; created when missing.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// The database: `postgres://…` or `postgresql://…` for PostgreSQL, `sqlite:<path>` for that
    /// SQLite file. Unset: `chat.db` in --data-dir. It may hold a password: never log it.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory of the built web client (trunk's dist/), served at `/`.
    #[arg(long, env = "STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// Origins allowed to open a WebSocket, comma-separated (`*` allows any). Empty: only pages
    /// served from the same host as the server.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',', num_args = 0..)]
    pub allowed_origins: Vec<String>,

    /// Most WebSocket connections held at once; more are answered 503. At start it is lowered
    /// to what the open-file limit allows (see `server::fds`).
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// Most WebSocket connections one user may hold at once (on this node); more are answered
    /// 429 `too_many_connections`. Their connections share one rate budget.
    #[arg(long, env = "MAX_CONNECTIONS_PER_USER", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_user: u32,

    /// Private conversations listed in a welcome (the newest) and in each `conversations`
    /// frame that pages in the rest.
    #[arg(long, env = "CONVERSATIONS_PAGE", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub conversations_page: u32,

    /// Most HTTP connections held before their upgrade (keep-alive, requests being read or
    /// answered). At the cap the server stops accepting (new connections wait in the listen
    /// backlog, as deep as net.core.somaxconn) and closes, to make room, only a connection
    /// that has kept it waiting for its bytes past a grace (100 ms after part of a request,
    /// 1 s with nothing sent), never a handshake in progress. Lowered at start to what the
    /// open-file limit allows.
    #[arg(long, env = "MAX_HTTP_CONNECTIONS", default_value_t = 1024)]
    pub max_http_connections: usize,

    /// Seconds an HTTP connection may take to send a request's head, and may stay idle
    /// between requests, before it is closed.
    #[arg(long, env = "HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request's body may take to arrive in full; later, the answer is 408.
    #[arg(long, env = "BODY_TIMEOUT_SECS", default_value_t = 10)]
    pub body_timeout_secs: u64,

    /// Largest WebSocket frame or message in bytes; a larger one closes the connection (1009).
    /// From 125 (a control frame's payload) to 16 MiB.
    #[arg(
        long,
        env = "MAX_FRAME_BYTES",
        default_value_t = 64 * 1024,
        value_parser = clap::value_parser!(u64)
            .range(MIN_FRAME_BYTES..=MAX_FRAME_BYTES)
            .map(|bytes| usize::try_from(bytes).unwrap_or(usize::MAX))
    )]
    pub max_frame_bytes: usize,

    /// Frames a connection may send per second, on average.
    #[arg(long, env = "RATE_PER_SEC", default_value_t = 10)]
    pub rate_per_sec: u32,

    /// Frames a connection may send in one burst.
    #[arg(long, env = "RATE_BURST", default_value_t = 20)]
    pub rate_burst: u32,

    /// Rate-limited frames in a row after which the connection is closed (1008).
    #[arg(long, env = "FLOOD_LIMIT", default_value_t = 50)]
    pub flood_limit: u32,

    /// Frames queued for one connection before it counts as a slow consumer and is closed (1013).
    #[arg(long, env = "QUEUE_FRAMES", default_value_t = 256)]
    pub queue_frames: usize,

    /// Bytes queued for one connection, with the batch its writer holds, before it counts as a
    /// slow consumer and is closed (1013). At least 64 KiB.
    #[arg(long, env = "QUEUE_BYTES", default_value_t = QUEUE_BYTES, value_parser = parse_queue_bytes)]
    pub queue_bytes: usize,

    /// Rooms one user may be in at once, lobby included.
    #[arg(long, env = "MAX_ROOMS_PER_USER", default_value_t = 50)]
    pub max_rooms_per_user: usize,

    /// Most missed messages replayed to a reconnecting client (the newest ones); when it
    /// missed more, a `replay_cut` frame names the gap, which it pages in with `history`.
    #[arg(long, env = "MAX_REPLAY", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub max_replay: u32,

    /// Milliseconds the journal waits for the database to store a batch of messages; then
    /// their senders get `unavailable` (the batch may still commit: a resend with the same
    /// `req` is acknowledged with the stored id).
    #[arg(long, env = "STORE_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub store_timeout_ms: u64,

    /// Seconds between the server's pings.
    #[arg(long, env = "PING_INTERVAL_SECS", default_value_t = 20)]
    pub ping_interval_secs: u64,

    /// Seconds of silence (no frame, no pong) after which a connection is dropped.
    #[arg(long, env = "IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,

    /// Milliseconds between two typing notices forwarded for one user and conversation.
    #[arg(long, env = "TYPING_INTERVAL_MS", default_value_t = 2000)]
    pub typing_interval_ms: u64,

    /// Least milliseconds between two `presence` frames: arrivals and departures within it are
    /// sent together in one frame (a change after a quiet interval goes out at once).
    #[arg(long, env = "PRESENCE_INTERVAL_MS", default_value_t = PRESENCE_INTERVAL_MS)]
    pub presence_interval_ms: u64,

    /// Redis URL (`redis://host:6379`): nodes that share it (and the database) act as one chat,
    /// fanning out messages and presence through Redis pub/sub. Unset: this node alone.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of this chat's Redis channel, so that several chats (or tests) share one Redis.
    #[arg(long, env = "REDIS_PREFIX", default_value = "chat")]
    pub redis_prefix: String,

    /// This node's name on the bus and in logs; a random suffix keeps every process distinct.
    #[arg(long, env = "NODE_ID", default_value = "node")]
    pub node_id: String,

    /// Milliseconds between this node's heartbeats on the bus.
    #[arg(long, env = "HEARTBEAT_MS", default_value_t = 1000)]
    pub heartbeat_ms: u64,

    /// Milliseconds without a heartbeat after which another node counts as gone and its users
    /// as offline.
    #[arg(long, env = "NODE_EXPIRY_MS", default_value_t = 5000)]
    pub node_expiry_ms: u64,

    /// Seconds to wait for connections to close on shutdown.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 5)]
    pub shutdown_grace_secs: u64,

    /// Passwords hashed at once (argon2id, 19 MiB and one core each); 0: the number of cores.
    #[arg(long, env = "HASH_CONCURRENCY", default_value_t = 0)]
    pub hash_concurrency: usize,

    /// Passwords waiting for a hashing thread; beyond them a sign-in is answered 503
    /// `server_busy` with `Retry-After`.
    #[arg(long, env = "HASH_QUEUE", default_value_t = 32)]
    pub hash_queue: usize,

    /// Password attempts on one name at once, before 429 `too_many_attempts`.
    #[arg(long, env = "NAME_ATTEMPTS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub name_attempts: u32,

    /// Password attempts on one name per hour, after the first `--name-attempts`.
    #[arg(long, env = "NAME_ATTEMPTS_PER_HOUR", default_value_t = 120,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub name_attempts_per_hour: u32,

    /// Password attempts from one client address (IPv6: its /64) at once, on any names.
    #[arg(long, env = "ADDRESS_ATTEMPTS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub address_attempts: u32,

    /// Password attempts from one client address per hour, after the first `--address-attempts`.
    #[arg(long, env = "ADDRESS_ATTEMPTS_PER_HOUR", default_value_t = 360,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub address_attempts_per_hour: u32,

    /// Accounts one client address may create at once.
    #[arg(long, env = "ACCOUNT_CREATIONS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub account_creations: u32,

    /// Accounts one client address may create per hour, after the first `--account-creations`.
    #[arg(long, env = "ACCOUNT_CREATIONS_PER_HOUR", default_value_t = 360,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub account_creations_per_hour: u32,

    /// Names, and addresses, whose attempts each table remembers; the oldest is forgotten first.
    #[arg(long, env = "ATTEMPT_TABLE_SIZE", default_value_t = 65_536,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub attempt_table_size: u32,

    /// Proxies (addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For` names the
    /// client, and whose `X-Forwarded-Proto: https` makes the files cookie `Secure`. Empty:
    /// the peer address is the client's.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', num_args = 0..)]
    pub trusted_proxies: Vec<Cidr>,

    /// Seconds a session lasts unused; each use extends it (sliding). Default 30 days.
    #[arg(long, env = "SESSION_TTL_SECS", default_value_t = 30 * 24 * 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub session_ttl_secs: u64,

    /// Days a passwordless account may go unused (no session of it used, none ended) before
    /// its name may be claimed by someone else, as a new account. Its sessions last at least
    /// this long. 0: as soon as it has no live session (for tests).
    #[arg(long, env = "RELEASE_NAMES_AFTER_DAYS", default_value_t = 365)]
    pub release_names_after_days: u32,

    /// Largest file one upload may bring, in bytes (`POST /api/attachments`); a larger one is
    /// refused 413 `file_too_large`.
    #[arg(long, env = "MAX_UPLOAD_BYTES", default_value_t = 5 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub max_upload_bytes: u64,

    /// Bytes of attachments one user may keep stored, all their files together; an upload
    /// past it is refused 413 `quota_exceeded`.
    #[arg(long, env = "UPLOAD_QUOTA_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub upload_quota_bytes: u64,

    /// Seconds an upload's body may take to arrive in full (instead of --body-timeout-secs).
    #[arg(long, env = "UPLOAD_TIMEOUT_SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub upload_timeout_secs: u64,

    /// Directory of the uploaded files and their thumbnails. Default: `attachments` in
    /// --data-dir. Several nodes must share it (or use --s3-bucket).
    #[arg(long, env = "ATTACHMENTS_DIR")]
    pub attachments_dir: Option<PathBuf>,

    /// Keep uploads in this bucket of an S3-compatible object store instead of a directory
    /// (credentials from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`).
    #[arg(long, env = "S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// The S3-compatible store's address (for MinIO, Ceph, …); unset: AWS's.
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// The S3 region.
    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// Administrators by name, besides those made with `chat-server admin grant` (repeatable,
    /// or comma-separated). Not stored: a name is an administrator while the flag names it.
    #[arg(long = "admin", env = "ADMINS", value_delimiter = ',', num_args = 0..)]
    pub admins: Vec<String>,

    /// Days a message is kept; older ones are deleted (with their changes, reactions,
    /// mentions, search entries and attachments) by a background task. Unset: kept for ever (a room's
    /// owner may still set a retention for the room).
    #[arg(long, env = "RETENTION_DAYS",
          value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub retention_days: Option<u32>,

    /// Seconds between two retention passes (each deletes in batches until nothing is old
    /// enough).
    #[arg(long, env = "RETENTION_INTERVAL_SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub retention_interval_secs: u64,

    /// Messages one retention batch deletes, in one transaction.
    #[arg(long, env = "RETENTION_BATCH", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub retention_batch: u32,

    /// Log lines as `text` (for people) or `json` (one object per line, for collectors).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// What to do instead of serving (`healthcheck`, `admin`); none: serve.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `chat-server` can do besides serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Probe the server this configuration describes: `GET /healthz` on loopback at --port
    /// (or --bind's port); exit 0 when it answers 200, 1 otherwise. For container health
    /// checks, in images without curl.
    Healthcheck {
        /// How long the probe may take, connecting included, in milliseconds.
        #[arg(long, default_value_t = 3000)]
        timeout_ms: u64,
        /// Probe `/readyz` instead: the store and Redis reachable too.
        #[arg(long)]
        ready: bool,
    },
    /// Make an account an administrator, or no longer one, in the store this configuration
    /// names (`--database-url` or `--data-dir`); exit 1 when there is no such account.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

/// `chat-server admin …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AdminAction {
    /// The account `name` becomes an administrator.
    Grant { name: String },
    /// The account `name` is no longer an administrator (one named by `--admin` stays one).
    Revoke { name: String },
}

fn parse_queue_bytes(value: &str) -> Result<usize, String> {
    let bytes: usize = value.parse().map_err(|e| format!("{e}"))?;
    if bytes < MIN_QUEUE_BYTES {
        return Err(format!("must be at least {MIN_QUEUE_BYTES} bytes"));
    }
    Ok(bytes)
}

/// A flag whose value cannot work, found by [`Config::validate`] at start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("--{flag} {value}: {reason}")]
pub struct ConfigError {
    pub flag: &'static str,
    pub value: String,
    pub reason: &'static str,
}

/// The longest timeout a flag of seconds accepts: a day. Longer is a typo, and near
/// `u64::MAX` it would overflow the clock's arithmetic.
const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;

impl Config {
    /// Refuses values that cannot work, with the flag named, so that the server does not start
    /// on them.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("max-connections", self.max_connections as u64),
            ("max-http-connections", self.max_http_connections as u64),
        ];
        for (flag, value) in positive {
            if value == 0 {
                return Err(ConfigError {
                    flag,
                    value: value.to_string(),
                    reason: "must be at least 1",
                });
            }
        }
        let timeouts = [
            ("header-timeout-secs", self.header_timeout_secs),
            ("body-timeout-secs", self.body_timeout_secs),
        ];
        for (flag, value) in timeouts {
            if value == 0 || value > MAX_TIMEOUT_SECS {
                return Err(ConfigError {
                    flag,
                    value: value.to_string(),
                    reason: "must be 1..=86400 seconds",
                });
            }
        }
        Ok(())
    }

    /// The defaults, as if started with no flags and no environment.
    pub fn defaults() -> Self {
        // Parsing an empty command line would read the environment; forget the variables.
        let matches = <Self as clap::CommandFactory>::command()
            .mut_args(|arg| arg.env(None))
            .try_get_matches_from(["chat-server"])
            .expect("the defaults parse");
        <Self as clap::FromArgMatches>::from_arg_matches(&matches).expect("the defaults parse")
    }

    /// Where to listen: --bind with --port applied.
    pub fn listen_addr(&self) -> SocketAddr {
        let mut addr = self.bind;
        if let Some(port) = self.port {
            addr.set_port(port);
        }
        addr
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs.max(1))
    }

    /// Also how long a write may make no progress before the connection is dropped.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }

    pub fn typing_interval(&self) -> Duration {
        Duration::from_millis(self.typing_interval_ms)
    }

    pub fn presence_interval(&self) -> Duration {
        Duration::from_millis(self.presence_interval_ms)
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.max(10))
    }

    pub fn node_expiry(&self) -> Duration {
        Duration::from_millis(self.node_expiry_ms.max(self.heartbeat_ms.max(10) * 2))
    }

    pub fn store_timeout(&self) -> Duration {
        Duration::from_millis(self.store_timeout_ms)
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.clamp(1, MAX_TIMEOUT_SECS))
    }

    pub fn upload_timeout(&self) -> Duration {
        Duration::from_secs(self.upload_timeout_secs)
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs.clamp(1, MAX_TIMEOUT_SECS))
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// Threads hashing passwords: `--hash-concurrency`, or the number of cores.
    pub fn hash_workers(&self) -> usize {
        match self.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            n => n,
        }
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs)
    }

    pub fn retention_interval(&self) -> Duration {
        Duration::from_secs(self.retention_interval_secs)
    }

    /// `--release-names-after-days`.
    pub fn release_names_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.release_names_after_days) * 24 * 3600)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn queue_bytes_defaults_to_4_mib_and_refuses_less_than_64_kib() {
        assert_eq!(Config::defaults().queue_bytes, 4 * 1024 * 1024);
        let parse = |value: &str| Config::try_parse_from(["chat-server", "--queue-bytes", value]);
        assert_eq!(parse("65536").unwrap().queue_bytes, 65_536);
        assert!(parse("65535").is_err());
        assert!(parse("lots").is_err());
    }

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(Config::defaults().validate(), Ok(()));
    }

    #[test]
    fn nonsense_values_are_refused_with_the_flag_named() {
        let mut config = Config::defaults();
        config.header_timeout_secs = 0;
        let e = config.validate().unwrap_err();
        assert_eq!(e.flag, "header-timeout-secs");
        assert!(e.to_string().starts_with("--header-timeout-secs 0:"), "{e}");

        let mut config = Config::defaults();
        config.body_timeout_secs = u64::MAX;
        assert_eq!(config.validate().unwrap_err().flag, "body-timeout-secs");

        let mut config = Config::defaults();
        config.max_http_connections = 0;
        assert_eq!(config.validate().unwrap_err().flag, "max-http-connections");

        let mut config = Config::defaults();
        config.max_connections = 0;
        assert_eq!(config.validate().unwrap_err().flag, "max-connections");
    }

    fn max_frame_bytes(value: &str) -> Result<usize, clap::Error> {
        Config::try_parse_from(["chat-server", "--max-frame-bytes", value])
            .map(|c| c.max_frame_bytes)
    }

    #[test]
    fn max_frame_bytes_is_bounded_from_a_control_frame_to_16_mib() {
        assert_eq!(Config::defaults().max_frame_bytes, 64 * 1024);
        assert_eq!(max_frame_bytes("125").unwrap(), 125);
        assert_eq!(max_frame_bytes("16777216").unwrap(), 16 * 1024 * 1024);
        for refused in ["0", "124", "16777217", "18446744073709551615", "-1", "big"] {
            assert!(max_frame_bytes(refused).is_err(), "{refused}");
        }
    }
}
