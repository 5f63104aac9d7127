//! SQLite's checkpoint task: `chat.db`'s WAL checkpoints, off the commit path.
//!
//! In WAL mode a commit appends the pages it changed to the WAL, and a checkpoint copies them
//! back into the database file. By default SQLite checkpoints inside the commit that takes the
//! WAL past 1,000 pages: that commit, and every message queued behind it, waits for the copy and
//! two syncs to disk, many times a second under load. So the store's connections never
//! checkpoint (`wal_autocheckpoint = 0`); this task does, on a connection of its own:
//!
//! - every [`Policy::round`] a `PASSIVE` checkpoint copies what was committed since the last
//!   one, while the journal goes on committing (under a light load that copies everything, and
//!   the next commit starts the WAL over by itself);
//! - the WAL only starts over (and stops growing) when a write transaction begins with every
//!   frame copied, which a steady stream of commits never allows. So once the WAL holds
//!   [`Policy::restart_frames`], rounds run back to back, each copying what was committed
//!   during the one before, until that is at most [`Policy::settled_frames`]. Then one more
//!   copies the rest on the writer's own connection, between two of the journal's transactions,
//!   and the next transaction starts the WAL over. The journal waits only for that last, short
//!   copy.
//!
//! The WAL thus stays near `restart_frames` pages however long the load lasts. A failed
//! checkpoint loses nothing (the pages stay in the WAL) and is tried again next round. Every
//! copy syncs the WAL before and the database file after (`synchronous = FULL`), so a page is
//! never overwritten in the WAL before it is safe in the database file.

use std::time::Duration;

use sqlx::{Any, AnyPool, Executor};
use tokio_util::sync::CancellationToken;

use crate::store::kept::Writer;
use crate::store::StoreError;
use crate::tasks::Tasks;

/// When the checkpoints run.
#[derive(Debug, Clone, Copy)]
pub(in crate::store) struct Policy {
    /// Time between two rounds while the WAL is below `restart_frames`.
    pub(in crate::store) round: Duration,
    /// Pages in the WAL at which it is copied to the end and started over.
    pub(in crate::store) restart_frames: i64,
    /// Pages committed during a round few enough for the writer to copy them itself.
    pub(in crate::store) settled_frames: i64,
    /// Most rounds back to back before the writer copies the rest, however much it is.
    pub(in crate::store) max_rounds: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            // Short rounds keep each copy, and the sync of the database file that ends it,
            // small: rounds of 1 s made the commits that overlapped them slower (docs/benchmarks.md).
            round: Duration::from_millis(100),
            // 64 MiB of 4 KiB pages.
            restart_frames: 16_384,
            settled_frames: 512,
            max_rounds: 8,
        }
    }
}

/// Starts the task through `tasks`; it stops between two rounds once they are stopping, or
/// once the store is closed.
pub(super) fn spawn(tasks: &Tasks, pool: AnyPool, writer: Writer, policy: Policy) {
    tasks.spawn(
        "store checkpoints",
        run(pool, writer, policy, tasks.token()),
    );
}

async fn run(pool: AnyPool, writer: Writer, policy: Policy, stop: CancellationToken) {
    // `SqlStore::close` closes the pools; the task ends then, quietly.
    let closed = || pool.is_closed() || writer.is_closed();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(policy.round) => {}
        }
        if closed() {
            return;
        }
        if let Err(e) = round(&pool, &writer, &policy).await {
            if closed() {
                return;
            }
            tracing::warn!(error = %e, "checkpointing the WAL failed; trying again next round");
        }
    }
}

/// The WAL's state after a checkpoint.
#[derive(Debug, Clone, Copy)]
struct Wal {
    /// Pages in the WAL when the checkpoint began.
    frames: i64,
    /// Of those, pages now copied into the database file.
    copied: i64,
}

/// A passive checkpoint of `chat.db` on `on` (a reader of the pool, or the writer).
async fn checkpoint<'e>(on: impl Executor<'e, Database = Any>) -> Result<Wal, sqlx::Error> {
    // (busy, log, checkpointed): busy when another checkpoint was running; the counts are then
    // -1, and the next round does the work. `main`: not the lists file that SQLite connections
    // also have attached (`lists_task`'s connection checkpoints that one).
    let (_busy, frames, copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA main.wal_checkpoint(PASSIVE)")
            .fetch_one(on)
            .await?;
    Ok(Wal { frames, copied })
}

async fn round(pool: &AnyPool, writer: &Writer, policy: &Policy) -> Result<(), StoreError> {
    let mut wal = checkpoint(pool).await?;
    if wal.frames < policy.restart_frames {
        return Ok(());
    }
    for _ in 0..policy.max_rounds {
        let next = checkpoint(pool).await?;
        // Committed during the previous round. Negative when the WAL started over meanwhile
        // (a round found nothing left to copy) or when another checkpoint was running (-1).
        let committed = next.frames - wal.frames;
        wal = next;
        if committed <= policy.settled_frames {
            break;
        }
    }
    let mut conn = writer.conn().await?;
    let last = checkpoint(&mut *conn).await?;
    conn.give_back();
    tracing::debug!(
        frames = last.frames,
        copied = last.copied,
        "copied the WAL to its end; the next commit starts it over"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use shared::UserName;

    use super::*;
    use crate::message::{Destination, NewMessage};
    use crate::store::{SqlStore, Store};

    /// The largest the WAL grows while `batches` batches of private messages between varied
    /// pairs are stored back to back, checkpointed by `policy`.
    async fn wal_extent(policy: Policy, batches: usize) -> u64 {
        let dir = tempfile::tempdir().expect("temp dir");
        let tasks = Tasks::new();
        let store = SqlStore::open_with(dir.path(), &tasks, policy)
            .await
            .expect("open");
        let users: Vec<UserName> = (0..50)
            .map(|i| UserName::parse(&format!("user{i}")).expect("a name"))
            .collect();
        let wal = dir.path().join("chat.db-wal");
        let mut largest = 0;
        for b in 0..batches {
            let batch: Vec<NewMessage> = (0..10)
                .map(|i| {
                    let n = b * 10 + i;
                    NewMessage {
                        from: users[n % 50].clone(),
                        to: Destination::User(users[(n * 7 + b) % 50].clone()),
                        body: format!("message {n}"),
                        at: 1,
                        req: Some(format!("r{n}")),
                        reply_to: None,
                        change: None,
                        attachments: Vec::new(),
                    }
                })
                .collect();
            store.append(&batch).await.expect("append");
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        assert_eq!(store.last_id().await.expect("last id"), batches as u64 * 10);
        assert!(tasks.shutdown(Duration::from_secs(5)).await);
        store.close().await;
        largest
    }

    /// Under a steady stream of commits the WAL starts over once it reaches the policy's size,
    /// rather than growing for as long as the stream lasts.
    #[tokio::test]
    async fn the_wal_starts_over_under_steady_commits() {
        let tight = Policy {
            round: std::time::Duration::from_millis(10),
            restart_frames: 100,
            settled_frames: 16,
            max_rounds: 8,
        };
        let never = Policy {
            round: std::time::Duration::from_secs(3600),
            ..tight
        };
        let checkpointed = wal_extent(tight, 150).await;
        let unchecked = wal_extent(never, 150).await;
        eprintln!("WAL extent: {checkpointed} B checkpointed, {unchecked} B without checkpoints");
        assert!(
            checkpointed * 4 < unchecked,
            "{checkpointed} B checkpointed, {unchecked} B without"
        );
    }
}
