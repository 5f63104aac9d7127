//! The plans SQLite makes for the statements that go through the lists file: index searches,
//! never a scan of a table (a test: the statements were tuned with benchmarks).

use sqlx::Row;

use super::rounds::list_round_sql;
use super::search_rounds::SEARCH_ROUND_INSERT;
use crate::store::accounts::delete_conversations_sql;
use crate::store::append::stored_requests_sql;
use crate::store::receipts::{readers_sql, PASSED_SENDERS_SQL};
use crate::store::sql::Engine;
use crate::store::SqlStore;
use crate::tasks::Tasks;

/// SQLite's plans for what replaced the indexes by sender and by recipient, and for the
/// look-up of stored `req`s in the partial index: index searches, no scan of a table.
#[tokio::test]
async fn sqlite_plans_search_indexes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqlStore::open(dir.path(), &Tasks::new())
        .await
        .expect("open");
    let plan = |sql: String, params: usize| {
        let pool = store.pool.clone();
        async move {
            let explain = format!("EXPLAIN QUERY PLAN {sql}");
            let mut query = sqlx::query(&explain);
            for _ in 0..params {
                query = query.bind("x");
            }
            let rows = query.fetch_all(&pool).await.expect("plan");
            let details: Vec<String> = rows
                .iter()
                .map(|row| row.try_get("detail").expect("detail"))
                .collect();
            for line in &details {
                let scanned = line.strip_prefix("SCAN ").and_then(|s| s.split(' ').next());
                assert!(
                    !matches!(
                        scanned,
                        Some(
                            "messages"
                                | "m"
                                | "l"
                                | "private_conversations"
                                | "lists.private_conversations"
                        )
                    ),
                    "{sql}: {details:?}"
                );
            }
            details
        }
    };
    let has = |details: &[String], line: &str| {
        assert!(details.iter().any(|d| d == line), "{line}: {details:?}");
    };
    let lookup = plan(stored_requests_sql(Engine::Sqlite, 4), 8).await;
    has(
        &lookup,
        "SEARCH m USING INDEX messages_idempotency (sender_key=? AND req=?)",
    );
    // A round reads the range of ids it covers, not every message.
    for sql in list_round_sql() {
        has(
            &plan(sql, 2).await,
            "SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id>? AND id<?)",
        );
    }
    // So does a round of the search index.
    has(
        &plan(SEARCH_ROUND_INSERT.to_owned(), 1).await,
        "SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id>? AND id<?)",
    );
    // What the lists file does not cover yet: a range of ids, not every message.
    let above = "SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id>?)";
    let entries = "SEARCH lists.conversation_ids USING PRIMARY KEY (conversation=?)";
    let newest = plan(store.sql.newest_private.clone(), 1).await;
    has(
        &newest,
        "SEARCH lists.private_conversations USING PRIMARY KEY (name_key=?)",
    );
    has(&newest, above);
    has(&newest, entries);
    // A page of the conversation list goes the same way: its user's lists, by index.
    let page = plan(store.sql.newest_private_page.clone(), 3).await;
    has(
        &page,
        "SEARCH lists.private_conversations USING PRIMARY KEY (name_key=?)",
    );
    has(&page, entries);
    let standing = plan(
        format!(
            "SELECT {}, {} FROM (VALUES ($2)) AS k",
            store.lists.last_id_sql("k.column1"),
            store.lists.unread_sql("k.column1", "$3")
        ),
        3,
    )
    .await;
    has(&standing, above);
    has(
        &standing,
        "SEARCH l USING PRIMARY KEY (conversation=? AND id>?)",
    );
    has(
        &standing,
        "SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)",
    );
    has(
        &standing,
        "SEARCH messages USING INDEX messages_by_room (conversation=? AND id>?)",
    );
    let history = plan(store.sql.history.clone(), 3).await;
    has(&history, "MERGE (UNION ALL)");
    has(
        &history,
        "SEARCH lists.conversation_ids USING PRIMARY KEY (conversation=? AND id<?)",
    );
    has(
        &history,
        "SEARCH messages USING INDEX sqlite_autoindex_messages_1 (id>? AND id<?)",
    );
    let rooms = "SEARCH messages USING INDEX messages_by_room (conversation=? AND id<?)";
    has(&history, rooms);
    // A reconnecting client's replay: per conversation, a range of its entries (newest
    // first), never the range of everyone's ids since `after` that it used to read.
    let replay = plan(store.sql.replay.clone(), 4).await;
    has(
        &replay,
        "SEARCH lists.conversation_ids USING PRIMARY KEY (conversation=? AND id>? AND id<?)",
    );
    has(
        &replay,
        "SEARCH messages USING INDEX messages_by_room (conversation=? AND id>? AND id<?)",
    );
    let own = plan(store.sql.own_private.clone(), 1).await;
    has(
        &own,
        "SEARCH lists.private_conversations USING PRIMARY KEY (name_key=?)",
    );
    has(&own, above);
    // `read`'s clamp: the conversation's newest id, by the same indexes.
    let mark = plan(store.sql.mark_read.clone(), 3).await;
    has(&mark, above);
    has(
        &mark,
        "SEARCH messages USING INDEX messages_by_room (conversation=?)",
    );
    // Read receipts: the markers of a conversation by their index; whose room messages a
    // marker passed, by the rooms' index.
    for members in [false, true] {
        let readers = plan(readers_sql(members), 3 + usize::from(members)).await;
        has(
            &readers,
            "SEARCH r USING INDEX read_markers_by_conversation (conversation=? AND up_to>?)",
        );
    }
    let passed = plan(PASSED_SENDERS_SQL.to_owned(), 4).await;
    has(
        &passed,
        "SEARCH messages USING INDEX messages_by_room (conversation=? AND id>? AND id<?)",
    );
    // `chat.db` indexes only room messages by conversation (`messages_by_room`, above):
    // migration 0002's full index is gone, private messages' entries are the lists file's.
    let indexes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'messages_by_conversation'",
    )
    .fetch_one(&store.pool)
    .await
    .expect("indexes");
    assert_eq!(indexes, 0);
    let delete = delete_conversations_sql(&store, 4);
    has(
        &plan(delete[0].clone(), 4).await,
        "SEARCH lists.conversation_ids USING PRIMARY KEY (conversation=?)",
    );
    has(&plan(delete[2].clone(), 4).await, above);
    let others = plan(store.sql.delete_others_rows.clone(), 1).await;
    has(
        &others,
        "SEARCH lists.private_conversations USING PRIMARY KEY (name_key=? AND conversation=?)",
    );
    has(
        &plan(
            store
                .sql
                .unlisted
                .clone()
                .expect("SQLite has unlisted conversations"),
            1,
        )
        .await,
        above,
    );
}
