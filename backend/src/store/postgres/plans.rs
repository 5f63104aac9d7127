//! The plans PostgreSQL makes for a reconnecting client's replay and for `read`: index
//! searches, never a scan of a table (a test). Sequential scans are disabled for the session,
//! so that the planner takes an index whenever there is one, whatever the tables hold: a
//! `Seq Scan` left in a plan means no index serves the statement.

use sqlx::Row;

use crate::store::receipts::{readers_sql, PASSED_SENDERS_SQL};
use crate::store::SqlStore;
use crate::tasks::Tasks;

/// `EXPLAIN` of `sql` with `binds` (text or bigint), one line per plan node.
async fn plan(store: &SqlStore, sql: &str, binds: &[Bind<'_>]) -> Vec<String> {
    let mut conn = store.pool.acquire().await.expect("a connection");
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .expect("set");
    let explain = format!("EXPLAIN {sql}");
    let mut query = sqlx::query(&explain);
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(*text),
            Bind::Id(id) => query.bind(*id),
        };
    }
    let rows = query.fetch_all(&mut *conn).await.expect("plan");
    sqlx::query("RESET enable_seqscan")
        .execute(&mut *conn)
        .await
        .expect("reset");
    rows.iter()
        .map(|row| row.try_get::<String, _>(0).expect("a plan line"))
        .collect()
}

/// A statement parameter.
enum Bind<'a> {
    Text(&'a str),
    Id(i64),
}

/// The replay reads each conversation through `messages_by_conversation` (a range of it,
/// newest first), the user's rooms and private conversations through their primary keys,
/// `read`'s clamp finds the newest id by the same index, and read receipts find a
/// conversation's markers and the senders a marker passed by theirs: no statement scans a
/// table.
#[tokio::test]
async fn postgres_replay_and_read_search_indexes() {
    let schema = testkit::Schema::create().await;
    let store = SqlStore::connect(&schema.url(), &Tasks::new())
        .await
        .expect("open PostgreSQL");
    let no_scan = |sql: &str, plan: &[String]| {
        assert!(
            plan.iter().all(|line| !line.contains("Seq Scan")),
            "{sql}: {plan:#?}"
        );
    };
    let has = |plan: &[String], part: &str| {
        assert!(
            plan.iter().any(|line| line.contains(part)),
            "{part}: {plan:#?}"
        );
    };

    let replay = &store.sql.replay;
    let binds = [
        Bind::Text("room:lobby"),
        Bind::Id(1_000),
        Bind::Id(1_001),
        Bind::Id(10),
    ];
    let lines = plan(&store, replay, &binds).await;
    no_scan(replay, &lines);
    has(
        &lines,
        "Index Scan Backward using messages_by_conversation on messages",
    );
    has(
        &lines,
        "Index Cond: ((conversation = 'room:lobby'::text) AND (id > '10'::bigint) \
         AND (id < '1000'::bigint))",
    );

    let rooms = "SELECT room FROM memberships WHERE name_key = $1";
    let lines = plan(&store, rooms, &[Bind::Text("alice")]).await;
    no_scan(rooms, &lines);
    let own = &store.sql.own_private;
    let lines = plan(&store, own, &[Bind::Text("alice")]).await;
    no_scan(own, &lines);
    has(&lines, "private_conversations_pkey");

    let mark = &store.sql.mark_read;
    let binds = [Bind::Text("alice"), Bind::Text("room:lobby"), Bind::Id(5)];
    let lines = plan(&store, mark, &binds).await;
    no_scan(mark, &lines);
    has(&lines, "messages_by_conversation");

    // Read receipts: a conversation's markers by `read_markers_by_conversation` (migration
    // 0012), with or without a room's memberships; whose room messages a marker passed, by
    // the range of the conversation's index.
    for members in [false, true] {
        let readers = readers_sql(members);
        let mut binds = vec![Bind::Text("room:rust"), Bind::Text("alice"), Bind::Id(101)];
        if members {
            binds.push(Bind::Text("rust"));
        }
        let lines = plan(&store, &readers, &binds).await;
        no_scan(&readers, &lines);
        has(&lines, "read_markers_by_conversation");
    }
    let binds = [
        Bind::Text("room:rust"),
        Bind::Id(10),
        Bind::Id(20),
        Bind::Id(100),
    ];
    let lines = plan(&store, PASSED_SENDERS_SQL, &binds).await;
    no_scan(PASSED_SENDERS_SQL, &lines);
    has(&lines, "messages_by_conversation");

    store.close().await;
    drop(schema);
}
