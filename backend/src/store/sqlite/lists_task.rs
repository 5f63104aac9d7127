//! SQLite's lists task: the conversation lists and private messages' index, kept off the commit
//! path.
//!
//! Each user's private conversations are derived from `messages`: a row per participant, added
//! when a pair first talks; so is the private messages' `(conversation, id)` index that history
//! pages and unread counts read. On SQLite both live in a file of their own (see
//! the `sqlite` module), and this task adds the rows and entries for the private messages stored
//! since its last round, once per round, in sorted order: rows that share a page share one
//! write of it, and the journal's commits never wait for them. A round is a few statements
//! (`INSERT … SELECT`) that SQLite runs on the round's own thread; no row of it passes through
//! the async runtime, whose one worker also serves the connections. Readers look at the messages
//! that the file does not cover yet themselves. A failed round loses nothing (the id the lists
//! cover did not move) and is tried again next round.
//!
//! The connection's thread runs at the lowest priority there is (niceness 19, on Linux): the
//! server runs on one core, and a round is tens of milliseconds of work that nothing waits for.
//! At normal priority it delayed the messages that arrived meanwhile by as much (docs/
//! benchmarks.md); at the lowest, their threads take the core back as soon as they are woken,
//! and rounds run in the time it would otherwise spend idle. A core that is never idle would
//! leave the lists ever further behind, and readers paying for it; so while they are over
//! [`URGENT_BEHIND`] ids behind, rounds run on a second connection, at normal priority.
//! How far behind they are is kept in memory (`rounds::ListsProgress`: `append` records the
//! newest id stored, rounds the newest covered) and shown at `/metrics` as
//! `chat_store_lists_behind_ids`.

use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;

use super::rounds::{index_list_round, ListsProgress, LIST_ROUND_IDS};
use crate::tasks::Tasks;

/// The name of the thread that runs the lists' usual connection: this task lowers its
/// priority by it.
pub(super) const LISTS_THREAD: &str = "chat-lists";
/// The name of the thread that runs the lists' other connection, which keeps its priority.
pub(super) const LISTS_URGENT_THREAD: &str = "chat-lists-now";

/// Ids behind from which rounds run at normal priority. Readers add the messages the lists do
/// not cover yet, so how far behind they are is what each reader pays. Under a load that keeps
/// the core busy all the time a thread at the lowest priority gets about 1.5% of it, and the
/// lists fell behind by 17,000 ids a second (docs/benchmarks.md); past this they catch up at
/// normal priority, a few seconds of the heaviest load behind.
const URGENT_BEHIND: u64 = 100_000;

/// Starts the task: a round every `round`, and at once while the last one left more to do; on
/// `indexer` (a pool of one connection, whose thread it gives the lowest priority) or, when
/// the lists are more than [`URGENT_BEHIND`] ids behind, on `urgent` (one that keeps normal
/// priority). Rounds record in `progress` what they cover. Spawned through `tasks`, it stops
/// between two rounds once they are stopping, or once the store is closed.
pub(super) fn spawn(
    tasks: &Tasks,
    indexer: SqlitePool,
    urgent: SqlitePool,
    progress: Arc<ListsProgress>,
    round: Duration,
) {
    let stop = tasks.token();
    tasks.spawn("store lists", run(indexer, urgent, progress, round, stop));
}

/// Whether the next round runs at normal priority, the lists being `behind` by so many ids.
fn is_urgent(behind: u64) -> bool {
    behind > URGENT_BEHIND
}

async fn run(
    indexer: SqlitePool,
    urgent: SqlitePool,
    progress: Arc<ListsProgress>,
    round: Duration,
    stop: CancellationToken,
) {
    let mut behind = 0;
    loop {
        if behind == 0 {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(round) => {}
            }
        } else if stop.is_cancelled() {
            return;
        }
        // `SqlStore::close` closes the pools; the task ends then, quietly.
        let closed = || indexer.is_closed() || urgent.is_closed();
        if closed() {
            return;
        }
        // Each round: the pool opens a new connection, on a new thread, if the last one broke.
        lower_priority(LISTS_THREAD);
        // Measured before each round. (A round at the lowest priority on a core that is never
        // idle waits for seconds, and the lists fall further behind meanwhile; smaller rounds
        // would see that sooner, but each round writes most of the lists' pages again: rounds
        // of 5,000 ids instead of 20,000 cost about 5 µs more per private message at
        // 10,000/s.)
        behind = progress.behind();
        let pool = if is_urgent(behind) { &urgent } else { &indexer };
        match index_list_round(pool, &progress, LIST_ROUND_IDS).await {
            Ok(done) => {
                tracing::trace!(
                    covered = done.covered,
                    behind = done.behind,
                    "a conversation-list round"
                );
                behind = done.behind;
            }
            Err(e) if closed() => {
                tracing::debug!(error = %e, "conversation lists: the store closed mid-round");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "updating the conversation lists failed; trying again next round");
                behind = 0;
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

    /// Rounds run at normal priority only once the lists are far behind.
    #[test]
    fn rounds_turn_urgent_only_far_behind() {
        assert!(!is_urgent(0));
        assert!(!is_urgent(LIST_ROUND_IDS as u64));
        assert!(!is_urgent(URGENT_BEHIND));
        assert!(is_urgent(URGENT_BEHIND + 1));
    }

    /// A store's lists thread runs at the lowest priority within a round or two; the store's
    /// other threads, the lists' urgent one among them, keep theirs.
    #[tokio::test]
    async fn the_lists_thread_runs_at_the_lowest_priority() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::SqlStore::open(dir.path(), &Tasks::new())
            .await
            .expect("open");
        assert!(!niceness_of(LISTS_THREAD).is_empty());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while niceness_of(LISTS_THREAD).iter().any(|&n| n != NICENESS) {
            assert!(
                std::time::Instant::now() < deadline,
                "still at normal priority"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut others = niceness_of("sqlx-sqlite-wor");
        others.extend(niceness_of(LISTS_URGENT_THREAD));
        assert!(others.len() > 1);
        assert!(others.iter().all(|&n| n == 0), "{others:?}");
        store.close().await;
    }
}
