//! SQLite's full-text index in rounds: the messages stored since the last round added to
//! `message_search` (`search_index`), off the journal's storing transactions.
//!
//! A round is one transaction on the writer's connection (SQLite has one writer per file, and
//! the index is in `chat.db`): the bodies of the messages above the covered id, up to
//! [`SEARCH_ROUND_IDS`] of them, inserted in id order, and the new covered id. Ids are visible
//! in commit order, so none below the newest can appear later. FTS5 then flushes and merges its
//! pending terms once a round instead of once a batch. The journal waits for a round as for
//! any other transaction on its connection, so rounds are short: a few thousand messages.
//! A failed round loses nothing (the covered id did not move) and is tried again next round.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use tokio_util::sync::CancellationToken;

use super::rounds::ListsProgress;
use crate::store::kept::Writer;
use crate::store::sql::to_u64;
use crate::store::StoreError;
use crate::tasks::Tasks;

/// Time between two rounds while the index keeps up.
pub(super) const SEARCH_ROUND: Duration = Duration::from_millis(200);

/// Most ids one round covers: the journal's commits wait for a round, so it stays a few
/// milliseconds long.
pub(super) const SEARCH_ROUND_IDS: i64 = 2_000;

/// A round's insert, `$1` the most ids it covers: the bodies above the covered id, in id order.
pub(super) const SEARCH_ROUND_INSERT: &str = "\
    INSERT INTO message_search (rowid, body) \
    SELECT id, body FROM messages \
    WHERE id > (SELECT id FROM search_covered) AND id <= (SELECT id FROM search_covered) + $1 \
    ORDER BY id";

/// After [`SEARCH_ROUND_INSERT`], in the same string: the new covered id (unchanged when
/// nothing is above it: the newest messages may have been deleted; a round with nothing to do
/// then writes nothing), then the covered id and how many ids stored are above it.
const SEARCH_ROUND_COVERED: &str = "\
    UPDATE search_covered \
    SET id = MIN(id + $1, (SELECT COALESCE(MAX(id), 0) FROM messages)) \
    WHERE id < (SELECT COALESCE(MAX(id), 0) FROM messages); \
    SELECT c.id, (SELECT COALESCE(MAX(id), 0) FROM messages) - c.id FROM search_covered c;";

/// What a round left: the covered id, and ids stored above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SearchRound {
    pub covered: u64,
    pub behind: u64,
}

/// One round on `writer`, covering at most `round_ids` more ids.
pub(super) async fn index_search_round(
    writer: &Writer,
    round_ids: i64,
) -> Result<SearchRound, StoreError> {
    let mut conn = writer.conn().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let sql = format!("{SEARCH_ROUND_INSERT}; {SEARCH_ROUND_COVERED}");
    let rows = sqlx::query(&sql)
        .bind(round_ids)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    conn.give_back();
    let row = rows.last().ok_or(sqlx::Error::RowNotFound)?;
    Ok(SearchRound {
        covered: to_u64(row.try_get::<i64, _>(0)?),
        behind: to_u64(row.try_get::<i64, _>(1)?),
    })
}

/// Rounds until the index covers every message stored when this was called (a search's first
/// step: it then finds the newest messages too).
pub(super) async fn catch_up(writer: &Writer) -> Result<(), StoreError> {
    let first = index_search_round(writer, SEARCH_ROUND_IDS).await?;
    let target = first.covered.saturating_add(first.behind);
    let mut covered = first.covered;
    while covered < target {
        covered = index_search_round(writer, SEARCH_ROUND_IDS).await?.covered;
    }
    Ok(())
}

/// Starts the task through `tasks`: a round every [`SEARCH_ROUND`] when messages were stored
/// since the last one (`progress` has the newest id), at once again while a round left more.
/// It stops between two rounds once they are stopping, or once the store is closed.
pub(super) fn spawn(tasks: &Tasks, writer: Writer, progress: Arc<ListsProgress>) {
    tasks.spawn(
        "store search index",
        run(writer, progress, SEARCH_ROUND, tasks.token()),
    );
}

async fn run(
    writer: Writer,
    progress: Arc<ListsProgress>,
    round: Duration,
    stop: CancellationToken,
) {
    // Unknown until the first round.
    let mut covered = 0;
    let mut behind = 1;
    loop {
        if behind == 0 {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(round) => {}
            }
        } else if stop.is_cancelled() {
            return;
        } else {
            // Between two rounds back to back, the journal's next transaction goes first.
            tokio::task::yield_now().await;
        }
        if writer.is_closed() {
            return;
        }
        if behind == 0 && progress.newest() <= covered {
            continue;
        }
        match index_search_round(&writer, SEARCH_ROUND_IDS).await {
            Ok(done) => {
                tracing::trace!(
                    covered = done.covered,
                    behind = done.behind,
                    "a search index round"
                );
                covered = done.covered;
                behind = done.behind;
            }
            Err(e) if writer.is_closed() => {
                tracing::debug!(error = %e, "search index: the store closed mid-round");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "indexing messages for search failed; trying again next round");
                behind = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::{Change, ChangeKind};
    use crate::message::{Destination, NewMessage};
    use crate::store::{SqlStore, Store};
    use shared::{RoomName, UserName};

    fn private(n: usize) -> NewMessage {
        NewMessage {
            from: UserName::parse(&format!("user{}", n % 7)).expect("a name"),
            to: Destination::User(UserName::parse(&format!("user{}", n % 5 + 7)).expect("a name")),
            body: format!("message {n}"),
            at: 1,
            req: None,
            reply_to: None,
            change: None,
            attachments: Vec::new(),
        }
    }

    /// Stored messages wait for a round; a round covers at most its ids, the next ones the
    /// rest, and a round with nothing new changes nothing.
    #[tokio::test]
    async fn rounds_cover_the_messages_stored_since() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tasks = Tasks::new();
        let store = SqlStore::open(dir.path(), &tasks).await.expect("open");
        // Rounds by hand only.
        assert!(tasks.shutdown(Duration::from_secs(5)).await);
        let batch: Vec<NewMessage> = (0..5).map(private).collect();
        store.append(&batch).await.expect("append");
        let indexed = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM message_search WHERE message_search MATCH 'message'",
            )
            .fetch_one(&store.pool)
            .await
            .expect("count")
        };
        assert_eq!(indexed().await, 0, "not in the storing transaction");
        let first = index_search_round(&store.writer, 3).await.expect("round");
        assert_eq!(
            first,
            SearchRound {
                covered: 3,
                behind: 2
            }
        );
        assert_eq!(indexed().await, 3);
        let second = index_search_round(&store.writer, 3).await.expect("round");
        assert_eq!(
            second,
            SearchRound {
                covered: 5,
                behind: 0
            }
        );
        let third = index_search_round(&store.writer, 3).await.expect("round");
        assert_eq!(third, second);
        assert_eq!(indexed().await, 5);
        store.close().await;
    }

    fn name(who: &str) -> UserName {
        UserName::parse(who).expect("a name")
    }

    fn message(from: &str, to: Destination, body: &str) -> NewMessage {
        NewMessage {
            from: name(from),
            to,
            body: body.to_owned(),
            at: 1,
            req: None,
            reply_to: None,
            change: None,
            attachments: Vec::new(),
        }
    }

    fn edit(id: u64, kind: ChangeKind, body: &str) -> NewMessage {
        NewMessage {
            change: Some(Change {
                message: id,
                kind,
                place: shared::Place::Room {
                    room: String::new(),
                },
            }),
            ..message("alice", Destination::Room(RoomName::lobby()), body)
        }
    }

    /// Edits, tombstones and deleted rows stay exact whether the round has covered the
    /// message or not: the index then holds exactly the bodies stored (FTS5's own check).
    #[tokio::test]
    async fn changes_stay_exact_on_both_sides_of_the_covered_id() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tasks = Tasks::new();
        let store = SqlStore::open(dir.path(), &tasks).await.expect("open");
        assert!(tasks.shutdown(Duration::from_secs(5)).await);
        for who in ["alice", "bob"] {
            store
                .create_account(&name(who), None, None)
                .await
                .expect("account");
        }
        let lobby = || Destination::Room(RoomName::lobby());
        store
            .append(&[
                message("alice", Destination::User(name("bob")), "gamma"),
                message("alice", lobby(), "alpha"),
                message("alice", lobby(), "beta"),
                message("bob", Destination::User(name("alice")), "delta"),
                message("alice", lobby(), "kappa"),
            ])
            .await
            .expect("append");
        // 1 and 2 covered, 3 to 5 not yet.
        let round = index_search_round(&store.writer, 2).await.expect("round");
        assert_eq!(round.covered, 2);
        store
            .append(&[
                edit(2, ChangeKind::Edit, "epsilon"),
                edit(3, ChangeKind::Edit, "zeta"),
                edit(5, ChangeKind::Delete, ""),
            ])
            .await
            .expect("changes");
        // Both private messages go with the account.
        store.delete_account(&name("alice")).await.expect("delete");
        catch_up(&store.writer).await.expect("catch up");
        let mut found = Vec::new();
        for word in [
            "gamma", "alpha", "epsilon", "beta", "zeta", "delta", "kappa",
        ] {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT rowid FROM message_search WHERE message_search MATCH $1 ORDER BY rowid",
            )
            .bind(word)
            .fetch_all(&store.pool)
            .await
            .expect("match");
            found.push((word, ids));
        }
        let expected: Vec<(&str, Vec<i64>)> = vec![
            ("gamma", vec![]),
            ("alpha", vec![]),
            ("epsilon", vec![2]),
            ("beta", vec![]),
            ("zeta", vec![3]),
            ("delta", vec![]),
            ("kappa", vec![]),
        ];
        assert_eq!(found, expected);
        sqlx::query("INSERT INTO message_search (message_search) VALUES ('integrity-check')")
            .execute(&mut *store.writer.conn().await.expect("the writer"))
            .await
            .expect("the index holds exactly the stored bodies");
        store.close().await;
    }
}
