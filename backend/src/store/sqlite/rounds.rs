//! One round of the lists file (SQLite): the private messages stored since the last round,
//! added in one transaction of that file; and [`ListsProgress`], how far behind the file is.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::SqlitePool;

use super::schema::{entries_sql, list_rows_sql, LISTED_IN_FILE, NEWEST_ID};
use crate::store::sql::to_u64;
use crate::store::StoreError;

/// A round's two statements, for the private messages with ids in `($1, $2]`: their index
/// entries, then their conversation-list rows. Both run in SQLite, on the round's own thread:
/// no row crosses to the async side, whose one worker thread also serves every connection
/// (taking 20,000 rows a round there delayed the messages that arrived meanwhile).
pub(super) fn list_round_sql() -> [String; 2] {
    let range = "id > $1 AND id <= $2";
    [
        format!(
            "INSERT INTO lists.conversation_ids (conversation, id) {} \
             ON CONFLICT (conversation, id) DO NOTHING",
            entries_sql(range)
        ),
        format!(
            "INSERT INTO {LISTED_IN_FILE} (name_key, conversation, other_key) {} \
             ON CONFLICT (name_key, conversation) DO NOTHING",
            list_rows_sql(range)
        ),
    ]
}

/// Most ids one round of [`index_list_round`] covers.
pub(super) const LIST_ROUND_IDS: i64 = 20_000;

/// What a round of [`index_list_round`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ListRound {
    /// Ids it covered.
    pub covered: u64,
    /// Ids stored that the lists still do not cover.
    pub behind: u64,
}

/// How far the lists file is (SQLite): the newest id stored, kept by `append`, and the newest
/// it covers, kept by [`index_list_round`], both read from the files as the store opens. Both
/// only grow; within one process only its own writer stores messages in a SQLite file.
#[derive(Debug)]
pub(super) struct ListsProgress {
    newest: AtomicU64,
    covered: AtomicU64,
}

impl ListsProgress {
    /// Progress with `newest` stored and `covered` by the file, as read when the store opens.
    pub(super) fn new(newest: i64, covered: i64) -> Self {
        Self {
            newest: AtomicU64::new(to_u64(newest)),
            covered: AtomicU64::new(to_u64(covered)),
        }
    }

    /// Stored ids the lists do not cover yet.
    pub(super) fn behind(&self) -> u64 {
        let covered = self.covered.load(Ordering::Relaxed);
        self.newest.load(Ordering::Relaxed).saturating_sub(covered)
    }

    /// The newest id stored.
    pub(super) fn newest(&self) -> u64 {
        self.newest.load(Ordering::Relaxed)
    }

    pub(super) fn stored(&self, id: u64) {
        self.newest.fetch_max(id, Ordering::Relaxed);
    }

    fn covered(&self, id: u64) {
        self.covered.fetch_max(id, Ordering::Relaxed);
    }
}

/// One round: adds the private messages stored since the last one, up to `round_ids` ids, to
/// the lists file (SQLite): their `(conversation, id)` entries, and their conversations to the
/// conversation lists. A round is one transaction of the lists file: its write lock first
/// (so that rounds, and account deletions, take turns), then the private messages above the id
/// it covers (ids are visible in commit order, so none below the newest can appear later), the
/// rows in sorted order, the new id. `chat.db` is only read: its writer never waits for a round.
pub(super) async fn index_list_round(
    indexer: &SqlitePool,
    progress: &ListsProgress,
    round_ids: i64,
) -> Result<ListRound, StoreError> {
    let mut tx = indexer.begin().await?;
    let up_to: i64 = sqlx::query_scalar(
        "UPDATE lists.indexed SET up_to = up_to WHERE name = 'private_conversations' \
         RETURNING up_to",
    )
    .fetch_one(&mut *tx)
    .await?;
    let newest: i64 = sqlx::query_scalar(&format!("SELECT {NEWEST_ID}"))
        .fetch_one(&mut *tx)
        .await?;
    if newest <= up_to {
        tx.rollback().await?;
        return Ok(ListRound {
            covered: 0,
            behind: 0,
        });
    }
    let through = newest.min(up_to + round_ids);
    for sql in list_round_sql() {
        sqlx::query(&sql)
            .bind(up_to)
            .bind(through)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE lists.indexed SET up_to = $1 WHERE name = 'private_conversations'")
        .bind(through)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    progress.covered(to_u64(through));
    Ok(ListRound {
        covered: to_u64(through - up_to),
        behind: to_u64(newest - through),
    })
}

#[cfg(test)]
mod tests {
    use shared::{RoomName, UserName};

    use super::*;
    use crate::message::{Destination, NewMessage};
    use crate::store::sql::Engine;
    use crate::store::sqlite::{open, url_in, Policy};
    use crate::store::{SqlStore, Store};
    use crate::tasks::Tasks;

    /// Rounds cover a bounded range of ids each, and as many as it takes.
    #[tokio::test]
    async fn the_lists_catch_up_in_rounds_of_bounded_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = url_in(dir.path()).expect("a URL");
        let opened = open(&url, &Tasks::new(), Policy::default())
            .await
            .expect("open");
        let lists = opened.lists.clone();
        let store = SqlStore::new(
            Engine::Sqlite,
            opened.pool,
            opened.writer,
            Some(std::sync::Arc::new(opened.kept)),
            lists.clone(),
        );
        let users: Vec<UserName> = ["ann", "ben", "cal"]
            .iter()
            .map(|n| UserName::parse(n).expect("a name"))
            .collect();
        // Ten messages, ids 1 to 10: a room message at 5, and ben and cal first talk at 10.
        let batch: Vec<NewMessage> = (0..10)
            .map(|i| NewMessage {
                from: users[usize::from(i == 9)].clone(),
                to: match i {
                    4 => Destination::Room(RoomName::lobby()),
                    9 => Destination::User(users[2].clone()),
                    _ => Destination::User(users[1 + i % 2].clone()),
                },
                body: format!("{i}"),
                at: 1,
                req: None,
                reply_to: None,
                change: None,
                attachments: Vec::new(),
            })
            .collect();
        store.append(&batch).await.expect("append");
        // What `/metrics` shows: every id stored is above the covered one.
        assert_eq!(store.lists_behind(), Some(10));
        let mut rounds = Vec::new();
        loop {
            let round = index_list_round(&lists.indexer, &lists.progress, 3)
                .await
                .expect("a round");
            rounds.push((round.covered, round.behind, store.lists_behind()));
            if round.behind == 0 {
                break;
            }
        }
        assert_eq!(
            rounds,
            [
                (3, 7, Some(7)),
                (3, 4, Some(4)),
                (3, 1, Some(1)),
                (1, 0, Some(0))
            ]
        );
        let round = index_list_round(&lists.indexer, &lists.progress, 3)
            .await
            .expect("a round");
        assert_eq!((round.covered, round.behind), (0, 0));
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT name_key, conversation, other_key FROM lists.private_conversations \
             ORDER BY name_key, conversation",
        )
        .fetch_all(&store.pool)
        .await
        .expect("rows");
        let row = |a: &str, c: &str, b: &str| (a.to_owned(), c.to_owned(), b.to_owned());
        assert_eq!(
            rows,
            [
                row("ann", "dm:ann:ben", "ben"),
                row("ann", "dm:ann:cal", "cal"),
                row("ben", "dm:ann:ben", "ann"),
                row("ben", "dm:ben:cal", "cal"),
                row("cal", "dm:ann:cal", "ann"),
                row("cal", "dm:ben:cal", "ben"),
            ]
        );
        let up_to: i64 = sqlx::query_scalar("SELECT up_to FROM lists.indexed")
            .fetch_one(&store.pool)
            .await
            .expect("up_to");
        assert_eq!(up_to, 10);
        store.close().await;
    }
}
