//! File descriptors: every connection, waiting or upgraded, holds one, and so do the store's
//! files and connections. At start the soft `RLIMIT_NOFILE` is raised to the hard limit
//! ([`raise_limit`]), and the connection caps are lowered to what it allows ([`fit`]) with
//! [`RESERVE`] descriptors kept for the store, health checks and accepts: so a crowd of
//! WebSockets is answered 503 `server_full` while the descriptors last, rather than the
//! process running out of them and answering nothing.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

use crate::config::Config;

/// Descriptors kept out of the connection caps: the store's files and pool, the bus, the
/// log, a health check or a `503` answer while every connection slot is taken.
pub const RESERVE: u64 = 128;

/// The open-file limit, as found and as set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nofile {
    /// The soft limit found at start.
    pub before: u64,
    /// The soft limit now in force.
    pub soft: u64,
    /// The hard limit (`u64::MAX` when unlimited).
    pub hard: u64,
}

/// Raises the soft open-file limit to the hard one; logs both. A refusal is logged and the
/// limit found kept.
pub fn raise_limit() -> Nofile {
    let found = getrlimit(Resource::Nofile);
    let before = found.current.unwrap_or(u64::MAX);
    let hard = found.maximum.unwrap_or(u64::MAX);
    let mut soft = before;
    if before < hard {
        let raised = Rlimit {
            current: found.maximum,
            maximum: found.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => soft = hard,
            Err(e) => {
                tracing::warn!(error = %e, soft = before, hard, "cannot raise the open-file limit")
            }
        }
    }
    tracing::info!(soft_before = before, soft, hard, "open-file limit");
    Nofile { before, soft, hard }
}

/// The connection caps that `soft` descriptors allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// WebSockets held at once.
    pub websockets: usize,
    /// HTTP connections waiting before their upgrade.
    pub http: usize,
}

/// What fits in `soft` descriptors beside the [`RESERVE`]: a quarter for connections waiting
/// before their upgrade, the rest for WebSockets; never more than the flags ask.
pub fn caps(soft: u64, max_websockets: usize, max_http: usize) -> Caps {
    let budget = soft.saturating_sub(RESERVE).max(2);
    let http = usize::try_from((budget / 4).max(1))
        .unwrap_or(usize::MAX)
        .min(max_http);
    let websockets = usize::try_from(budget - http as u64)
        .unwrap_or(usize::MAX)
        .min(max_websockets);
    Caps { websockets, http }
}

/// Lowers `config`'s caps to what `nofile` allows, logging what changed.
pub fn fit(config: &mut Config, nofile: Nofile) {
    if nofile.soft < RESERVE * 2 {
        tracing::warn!(
            soft = nofile.soft,
            reserve = RESERVE,
            "the open-file limit is very low: few connections fit"
        );
    }
    let fitted = caps(
        nofile.soft,
        config.max_connections,
        config.max_http_connections,
    );
    if fitted.websockets < config.max_connections || fitted.http < config.max_http_connections {
        tracing::warn!(
            max_connections = fitted.websockets,
            max_http_connections = fitted.http,
            asked_connections = config.max_connections,
            asked_http_connections = config.max_http_connections,
            soft = nofile.soft,
            reserve = RESERVE,
            "connection caps lowered to fit the open-file limit"
        );
    }
    config.max_connections = fitted.websockets;
    config.max_http_connections = fitted.http;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caps_fit_the_limit_with_the_reserve_kept() {
        // The common soft limit of 1,024: 896 descriptors for connections.
        let caps_1024 = caps(1024, 10_000, 1024);
        assert_eq!(
            caps_1024,
            Caps {
                websockets: 672,
                http: 224
            }
        );
        assert!(caps_1024.websockets as u64 + caps_1024.http as u64 + RESERVE <= 1024);
        assert_eq!(
            caps(256, 10_000, 1024),
            Caps {
                websockets: 96,
                http: 32
            }
        );
    }

    #[test]
    fn the_flags_win_when_descriptors_are_plenty() {
        assert_eq!(
            caps(1 << 20, 10_000, 1024),
            Caps {
                websockets: 10_000,
                http: 1024
            }
        );
    }

    #[test]
    fn a_limit_below_the_reserve_still_leaves_one_of_each() {
        let tiny = caps(16, 10_000, 1024);
        assert!(tiny.websockets >= 1 && tiny.http >= 1, "{tiny:?}");
    }
}
