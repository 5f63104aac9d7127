//! The results of a run, as the scenarios fill them in and the report and the plots read
//! them: plain data, serialised to `docs/bench/results.json`, one module per scenario.
//!
//! - [`Results`]: everything one run measured, with the machine and how busy it was;
//! - [`PerServer`]: one scenario for our server, the Node.js peer and the Bun peer, each an
//!   [`Outcome`];
//! - [`latency`] and [`ramp`]: the shapes several scenarios share;
//! - [`fanout`], [`capacity`], [`idle`], [`private`], [`acks`], [`connect`], [`scaleout`]: each
//!   scenario's figures, and the limits they are judged by.
//!
//! Nothing here runs anything or renders anything.

pub mod acks;
pub mod capacity;
pub mod connect;
pub mod fanout;
pub mod growth;
pub mod idle;
pub mod latency;
pub mod merged;
pub mod private;
pub mod ramp;
pub mod scaleout;
pub mod stores;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use self::acks::Acks;
use self::capacity::Capacity;
use self::connect::Connect;
use self::fanout::Fanout;
use self::growth::Growth;
use self::idle::Idle;
use self::private::Private;
use self::scaleout::Scaleout;
use self::stores::Stores;
use crate::pauses::Pauses;
use crate::proc::{Busy, Machine};

/// The outcome of one scenario for one server: its figures, or why it failed.
pub type Outcome<T> = std::result::Result<T, String>;

/// One scenario, for each server (`None`: not run).
#[derive(Debug, Serialize, Deserialize)]
pub struct PerServer<T> {
    pub ours: Option<Outcome<T>>,
    pub node: Option<Outcome<T>>,
    /// The same peer on Bun (absent from runs before Bun joined).
    #[serde(default = "none")]
    pub bun: Option<Outcome<T>>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> Default for PerServer<T> {
    fn default() -> Self {
        Self {
            ours: None,
            node: None,
            bun: None,
        }
    }
}

impl<T> PerServer<T> {
    pub fn ours(&self) -> Option<&T> {
        self.ours.as_ref().and_then(|o| o.as_ref().ok())
    }

    pub fn node(&self) -> Option<&T> {
        self.node.as_ref().and_then(|o| o.as_ref().ok())
    }

    pub fn bun(&self) -> Option<&T> {
        self.bun.as_ref().and_then(|o| o.as_ref().ok())
    }

    /// Ours, Node's and Bun's figures, each mapped by `pick`.
    pub fn each<'a, U>(&'a self, pick: impl Fn(&'a T) -> Option<U>) -> [Option<U>; 3] {
        [self.ours(), self.node(), self.bun()].map(|x| x.and_then(&pick))
    }

    /// Whether any server ran the scenario.
    pub fn ran(&self) -> bool {
        self.ours.is_some() || self.node.is_some() || self.bun.is_some()
    }

    fn errors(&self, name: &str) -> Vec<String> {
        let mut errors = Vec::new();
        if let Some(Err(e)) = &self.ours {
            errors.push(format!("{name}, ours: {e}"));
        }
        if let Some(Err(e)) = &self.node {
            errors.push(format!("{name}, Node: {e}"));
        }
        if let Some(Err(e)) = &self.bun {
            errors.push(format!("{name}, Bun: {e}"));
        }
        errors
    }
}

/// Everything one run measured.
#[derive(Debug, Serialize, Deserialize)]
pub struct Results {
    pub date: String,
    /// The commit measured (`git describe`), and whether the server's sources had changes.
    #[serde(default)]
    pub commit: Option<String>,
    pub smoke: bool,
    pub machine: Machine,
    pub ws_version: String,
    /// The Bun version of the Bun peers (absent from runs before Bun joined).
    #[serde(default)]
    pub bun_version: Option<String>,
    pub busy_start: Busy,
    pub busy_end: Option<Busy>,
    /// What a busy loop on each core lost to pauses just before and just after the scenarios.
    #[serde(default)]
    pub pauses_start: Vec<Pauses>,
    #[serde(default)]
    pub pauses_end: Vec<Pauses>,
    pub duration_s: f64,
    pub fanout: PerServer<Fanout>,
    pub capacity: PerServer<Capacity>,
    pub idle: PerServer<Idle>,
    pub private: PerServer<Private>,
    pub acks: Option<Outcome<Acks>>,
    pub connect: PerServer<Connect>,
    /// Several nodes of ours (the peer has no multi-node mode).
    #[serde(default)]
    pub scaleout: Option<Outcome<Scaleout>>,
    /// Why the scale-out scenario did not run (PostgreSQL or Redis unreachable).
    #[serde(default)]
    pub scaleout_skipped: Option<String>,
    /// Durable sends on 1, 2, … nodes sharing PostgreSQL (absent from runs before it).
    #[serde(default)]
    pub stores: Option<Outcome<Stores>>,
    /// Append and history latency and bytes per message as the store fills (absent from runs
    /// before it).
    #[serde(default)]
    pub growth: Option<Outcome<Growth>>,
    /// The partial runs merged into these results since the full run, oldest first: the
    /// scenarios each still accounts for, with its own date, commit and load. The scenarios
    /// none of them lists are the full run's.
    #[serde(default)]
    pub merged: Vec<merged::MergedRun>,
}

impl Results {
    pub fn new(
        machine: Machine,
        (ws_version, bun_version): (String, String),
        busy_start: Busy,
        smoke: bool,
    ) -> Self {
        Self {
            date: now_utc(),
            commit: commit(),
            smoke,
            machine,
            ws_version,
            bun_version: Some(bun_version),
            busy_start,
            busy_end: None,
            pauses_start: Vec::new(),
            pauses_end: Vec::new(),
            duration_s: 0.0,
            fanout: PerServer::default(),
            capacity: PerServer::default(),
            idle: PerServer::default(),
            private: PerServer::default(),
            acks: None,
            connect: PerServer::default(),
            scaleout: None,
            scaleout_skipped: None,
            stores: None,
            growth: None,
            merged: Vec::new(),
        }
    }

    pub fn finish(&mut self, busy: Busy, took: Duration) {
        self.busy_end = Some(busy);
        self.duration_s = took.as_secs_f64();
    }

    /// Scenarios that failed, one line each.
    pub fn failures(&self) -> Vec<String> {
        let mut all = Vec::new();
        all.extend(self.fanout.errors("fan-out"));
        all.extend(self.capacity.errors("capacity"));
        all.extend(self.idle.errors("idle memory"));
        all.extend(self.private.errors("private messages"));
        if let Some(Err(e)) = &self.acks {
            all.push(format!("durable sends: {e}"));
        }
        all.extend(self.connect.errors("connection rate"));
        if let Some(Err(e)) = &self.scaleout {
            all.push(format!("scale-out: {e}"));
        }
        if let Some(Err(e)) = &self.stores {
            all.push(format!("durable sends on shared PostgreSQL: {e}"));
        }
        if let Some(Err(e)) = &self.growth {
            all.push(format!("growth: {e}"));
        }
        all
    }

    /// Puts the scenarios of `partial` that ran (`ran` says which) into these results, keeping
    /// the others: a partial run (`--only … --merge`) updates its part of an earlier report.
    /// The run's date, commit and load are recorded in [`Results::merged`] beside its
    /// scenarios; the header's stay those of the full run.
    pub fn merge(&mut self, partial: Self, ran: &Ran) {
        merged::record(
            &mut self.merged,
            merged::MergedRun {
                scenarios: ran.names().into_iter().map(str::to_owned).collect(),
                date: partial.date.clone(),
                commit: partial.commit.clone(),
                cpu: Some(partial.machine.cpu_text()),
                busy_start: partial.busy_start,
                busy_end: partial.busy_end,
            },
        );
        if ran.fanout {
            self.fanout = partial.fanout;
        }
        if ran.capacity {
            self.capacity = partial.capacity;
        }
        if ran.idle {
            self.idle = partial.idle;
        }
        if ran.private {
            self.private = partial.private;
        }
        if ran.acks {
            self.acks = partial.acks;
        }
        if ran.connect {
            self.connect = partial.connect;
        }
        if ran.scaleout {
            self.scaleout = partial.scaleout;
            self.scaleout_skipped = partial.scaleout_skipped;
        }
        if ran.stores {
            self.stores = partial.stores;
        }
        if ran.growth {
            self.growth = partial.growth;
        }
    }
}

/// Which scenarios a run ran.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ran {
    pub fanout: bool,
    pub capacity: bool,
    pub idle: bool,
    pub private: bool,
    pub acks: bool,
    pub connect: bool,
    pub scaleout: bool,
    pub stores: bool,
    pub growth: bool,
}

impl Ran {
    /// The names of the scenarios that ran, as the report calls them.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.fanout, "fan-out"),
            (self.capacity, "capacity"),
            (self.idle, "idle memory"),
            (self.private, "private messages"),
            (self.acks, "durable sends"),
            (self.connect, "connection rate"),
            (self.scaleout, "scale-out"),
            (self.stores, "durable sends on shared PostgreSQL"),
            (self.growth, "growth"),
        ]
        .into_iter()
        .filter_map(|(ran, name)| ran.then_some(name))
        .collect()
    }
}

/// The time now, as the report shows it.
pub fn now_utc() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown date".to_owned(), |s| s.trim().to_owned())
}

/// The commit of the workspace, marked when the server's sources (`backend/`, `shared/`) have
/// uncommitted changes.
pub fn commit() -> Option<String> {
    let root = crate::root();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--short", "HEAD"])?;
    let dirty =
        git(&["status", "--porcelain", "--", "backend", "shared"]).is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{head} (with uncommitted changes in backend/ or shared/)")
    } else {
        head
    })
}
