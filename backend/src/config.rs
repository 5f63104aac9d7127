//! Configuration, from flags or the environment, with defaults that work out of the box.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::Parser;

use crate::logging::LogFormat;

/// The default least time, in milliseconds, between two `presence` frames. A quarter of a
/// second is below what a person notices in a member list, yet when many users sign in at
/// once it bounds the presence frames every connection gets to 4 per second, whatever the
/// rate of sign-ins. A lone sign-in is not delayed at all (the leading edge).
pub const PRESENCE_INTERVAL_MS: u64 = 250;

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

    /// Most WebSocket connections held at once; more are answered 503.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

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

    /// Rooms one user may be in at once, lobby included.
    #[arg(long, env = "MAX_ROOMS_PER_USER", default_value_t = 50)]
    pub max_rooms_per_user: usize,

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

    /// Log lines as `text` (for people) or `json` (one object per line, for collectors).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Config {
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

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

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
