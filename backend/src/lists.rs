//! SQLite's conversation lists, kept off the commit path.
//!
//! Each user's private conversations are derived from `messages`: a row per participant, added
//! when a pair first talks. On SQLite they live in a file of their own (see [`crate::store`]),
//! and this task adds the rows for everything stored since its last round, once per round, in
//! sorted order: rows that share a page share one write of it, and the journal's commits never
//! wait for them. Readers look at the messages that the lists do not cover yet themselves.
//! A failed round loses nothing (the id the lists cover did not move) and is tried again next
//! round.
//!
//! The connection's thread runs at the lowest priority there is (niceness 19, on Linux): the
//! server runs on one core, and a round is tens of milliseconds of work that nothing waits for.
//! At normal priority it delayed the messages that arrived meanwhile by as much (docs/
//! benchmarks.md); at the lowest, their threads take the core back as soon as they are woken,
//! and rounds run in the time it would otherwise spend idle.

use std::time::Duration;

use sqlx::SqlitePool;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::store;

/// Starts the task on `indexer` (a pool of the one connection that writes the lists), one round
/// every `round`; it stops when the guard is dropped.
pub fn spawn(indexer: SqlitePool, round: Duration) -> DropGuard {
    let stop = CancellationToken::new();
    tokio::spawn(run(indexer, round, stop.clone()));
    stop.drop_guard()
}

async fn run(indexer: SqlitePool, round: Duration, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(round) => {}
        }
        // `SqlStore::close` closes the pool; the task ends then, quietly.
        if indexer.is_closed() {
            return;
        }
        // Each round: the pool opens a new connection, on a new thread, if the last one broke.
        lower_priority(store::LISTS_THREAD);
        match store::index_lists(&indexer, store::LIST_ROUND_IDS).await {
            Ok(read) => tracing::trace!(read, "conversation lists caught up"),
            Err(e) if indexer.is_closed() => {
                tracing::debug!(error = %e, "conversation lists: the store closed mid-round");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "updating the conversation lists failed; trying again next round");
            }
        }
    }
}

/// The niceness of the lists' thread: the lowest priority.
const NICENESS: i32 = 19;

/// Gives the threads of this process named `name` the lowest priority (Linux, where a thread's
/// name is in `/proc/self/task/<tid>/comm` and `setpriority` takes a thread id; elsewhere this
/// does nothing).
fn lower_priority(name: &str) {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process, Pid};
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return;
        };
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim_end() != name {
                continue;
            }
            let Some(tid) = task
                .file_name()
                .to_str()
                .and_then(|id| id.parse().ok())
                .and_then(Pid::from_raw)
            else {
                continue;
            };
            if getpriority_process(Some(tid)).ok() == Some(NICENESS) {
                continue;
            }
            if let Err(e) = setpriority_process(Some(tid), NICENESS) {
                tracing::warn!(error = %e, thread = name, "could not lower a thread's priority");
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = name;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The niceness of every thread of this process named `name`.
    fn niceness_of(name: &str) -> Vec<i32> {
        let mut found = Vec::new();
        for task in std::fs::read_dir("/proc/self/task")
            .expect("tasks")
            .flatten()
        {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim_end() == name {
                // Field 19 of `stat`, counted after the name in parentheses (field 2).
                let stat = std::fs::read_to_string(task.path().join("stat")).expect("stat");
                let after = &stat[stat.rfind(')').expect("a name") + 2..];
                let nice = after.split(' ').nth(16).expect("niceness");
                found.push(nice.parse().expect("a number"));
            }
        }
        found
    }

    /// A store's lists thread runs at the lowest priority within a round or two; the store's
    /// other threads keep theirs.
    #[tokio::test]
    async fn the_lists_thread_runs_at_the_lowest_priority() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::SqlStore::open(dir.path())
            .await
            .expect("open");
        assert!(!niceness_of(store::LISTS_THREAD).is_empty());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while niceness_of(store::LISTS_THREAD)
            .iter()
            .any(|&n| n != NICENESS)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "still at normal priority"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let others = niceness_of("sqlx-sqlite-wor");
        assert!(!others.is_empty());
        assert!(others.iter().all(|&n| n == 0), "{others:?}");
        store.close().await;
    }
}
