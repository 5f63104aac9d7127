//! Names that look alike, in the store: the unique index of confusable skeletons
//! (`accounts.name_skeleton`) on SQLite and on PostgreSQL, and its backfill for accounts made
//! before it existed.
//!
//! PostgreSQL is `TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/test`.

use std::sync::Arc;

use backend::identity::SignIns;
use backend::store::{NewSession, SessionId, SessionWrite, SqlStore, Store, StoreError};
use backend::tasks::Tasks;
use shared::UserName;
use sqlx::Row;
use testkit::{on_postgres_url, on_sqlite_url, open_store, StoreAt};

fn name(raw: &str) -> UserName {
    UserName::parse(raw).expect("a valid name")
}

async fn open(url: &str) -> SqlStore {
    open_store(&StoreAt::Url(url.to_owned()), &Tasks::new())
        .await
        .expect("open the store")
}

async fn raw(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::pool::PoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect")
}

testkit::on_both_engines!(
    sqlite = on_sqlite_url, postgres = on_postgres_url:
    look_alike_names_are_refused,
    look_alike_claims_at_once_make_one_account,
    upgrading_to_0007_fills_in_skeletons,
    a_batch_of_sign_ins_fails_only_its_taken_names,
    a_name_released_twice_in_one_batch_goes_to_the_first,
    a_write_that_fails_its_batch_is_retried_alone_and_fails_alone,
);

/// A new account `raw` with the session `token`.
fn account(raw: &str, token: &str) -> SessionWrite {
    SessionWrite::Account {
        name: name(raw),
        password_hash: None,
        session: NewSession::bare(SessionId(token.to_owned())),
        release: None,
    }
}

/// Whose session `token` is, if anyone's.
async fn owner(store: &SqlStore, token: &str) -> Option<String> {
    store
        .find_session(&SessionId(token.to_owned()))
        .await
        .expect("find_session")
        .map(|owner| owner.account.name.to_string())
}

async fn a_batch_of_sign_ins_fails_only_its_taken_names(url: String) {
    let store = open(&url).await;
    store
        .create_account(&name("bob"), None, None)
        .await
        .expect("create bob");
    let batch = [
        account("alice", "t1"),
        account("Alice", "t2"),
        account("aIice", "t3"),
        account("BOB", "t4"),
        SessionWrite::Session {
            name: name("bob"),
            session: NewSession::bare(SessionId("t5".into())),
        },
        account("carol", "t6"),
        SessionWrite::Session {
            name: name("alice"),
            session: NewSession::bare(SessionId("t7".into())),
        },
        account("b0b", "t8"),
        account("Aiice", "t9"),
    ];
    let outcomes = store.write_sessions(&batch).await.expect("the batch");
    let said: Vec<String> = outcomes
        .iter()
        .map(|o| match o {
            Ok(()) => "ok".to_owned(),
            Err(StoreError::NameTaken) => "taken".to_owned(),
            Err(StoreError::NameConfusable { like }) => format!("like {like}"),
            Err(e) => format!("{e}"),
        })
        .collect();
    assert_eq!(
        said,
        [
            "ok",
            "taken",
            "like alice",
            "taken",
            "ok",
            "ok",
            "ok",
            "like bob",
            "ok"
        ]
    );
    let owners = [
        owner(&store, "t1").await,
        owner(&store, "t2").await,
        owner(&store, "t3").await,
        owner(&store, "t4").await,
        owner(&store, "t5").await,
        owner(&store, "t6").await,
        owner(&store, "t7").await,
    ];
    let expected = [
        Some("alice"),
        None,
        None,
        None,
        Some("bob"),
        Some("carol"),
        Some("alice"),
    ];
    assert_eq!(owners, expected.map(|o| o.map(str::to_owned)));
    // The newcomers start with the lobby read, as one created alone does.
    let db = raw(&url).await;
    let marked: Vec<String> =
        sqlx::query_scalar("SELECT name_key FROM read_markers ORDER BY name_key")
            .fetch_all(&db)
            .await
            .expect("markers");
    assert_eq!(marked, ["aiice", "alice", "bob", "carol"]);
    db.close().await;
    store.close().await;
}

async fn a_name_released_twice_in_one_batch_goes_to_the_first(url: String) {
    let store = open(&url).await;
    store
        .create_account(&name("dave"), None, None)
        .await
        .expect("create dave");
    let db = raw(&url).await;
    sqlx::query("UPDATE accounts SET last_used_at = 5 WHERE name_key = 'dave'")
        .execute(&db)
        .await
        .expect("make dave unused");
    let release = |token: &str| SessionWrite::Account {
        name: name("Dave"),
        password_hash: None,
        session: NewSession::bare(SessionId(token.to_owned())),
        release: Some(6),
    };
    let outcomes = store
        .write_sessions(&[release("r1"), account("erin", "r2"), release("r3")])
        .await
        .expect("the batch");
    assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
    assert!(outcomes[1].is_ok(), "{:?}", outcomes[1]);
    assert!(
        matches!(outcomes[2], Err(StoreError::NameTaken)),
        "{:?}",
        outcomes[2]
    );
    assert_eq!(owner(&store, "r1").await.as_deref(), Some("Dave"));
    assert_eq!(owner(&store, "r2").await.as_deref(), Some("erin"));
    assert_eq!(owner(&store, "r3").await, None);
    // Used since: not released.
    let outcomes = store
        .write_sessions(&[release("r4")])
        .await
        .expect("the batch");
    assert!(matches!(outcomes[0], Err(StoreError::NameTaken)));
    db.close().await;
    store.close().await;
}

async fn a_write_that_fails_its_batch_is_retried_alone_and_fails_alone(url: String) {
    let tasks = Tasks::new();
    let store = open_store(&StoreAt::Url(url.clone()), &tasks)
        .await
        .expect("open the store");
    let sign_ins = SignIns::start(Arc::new(store.clone()), &tasks);
    // A session of an account that does not exist breaks the sessions' foreign key: the
    // batch it is in fails as a whole, and its writes are stored one by one.
    let mut writes = Vec::new();
    for i in 0..32 {
        writes.push(account(&format!("user{i}"), &format!("u{i}")));
        writes.push(account(&format!("User{i}"), &format!("d{i}")));
    }
    writes.insert(
        5,
        SessionWrite::Session {
            name: name("ghost"),
            session: NewSession::bare(SessionId("g".into())),
        },
    );
    // Queued together, they go in one batch or a few (how many the writer takes at once
    // depends on when it runs), and the ghost fails whichever batch it is in. Which spelling of
    // a name is queued first is not fixed either: `join_all` and tokio's budget may poll the
    // writes out of order.
    let outcomes =
        futures_util::future::join_all(writes.into_iter().map(|w| sign_ins.write(w))).await;
    let mut created = 0;
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Ok(()) => created += 1,
            Err(StoreError::NameTaken) => {}
            Err(StoreError::Database(_)) if i == 5 => {}
            other => panic!("write {i}: {other:?}"),
        }
    }
    assert!(outcomes[5].is_err());
    assert_eq!(created, 32);
    // Each name went to exactly one of its two spellings, with that spelling's session.
    for i in 0..32 {
        let owners = (
            owner(&store, &format!("u{i}")).await,
            owner(&store, &format!("d{i}")).await,
        );
        let (lower, upper) = (format!("user{i}"), format!("User{i}"));
        assert!(
            owners == (Some(lower.clone()), None) || owners == (None, Some(upper.clone())),
            "name {i}: {owners:?}"
        );
    }
    assert_eq!(owner(&store, "g").await, None);
    // Stopped, the writer answers what was queued, and then refuses.
    tasks.shutdown(std::time::Duration::from_secs(10)).await;
    assert!(sign_ins.write(account("late", "l")).await.is_err());
    store.close().await;
}

async fn look_alike_names_are_refused(url: String) {
    let store = open(&url).await;
    store
        .create_account(&name("alice"), None, None)
        .await
        .expect("create alice");
    let refused = store.create_account(&name("aIice"), None, None).await;
    match refused {
        Err(StoreError::NameConfusable { like }) => assert_eq!(like.as_str(), "alice"),
        other => panic!("aIice while alice exists: {other:?}"),
    }
    // The same name in another case is still taken, not merely confusable.
    assert!(matches!(
        store.create_account(&name("ALICE"), None, None).await,
        Err(StoreError::NameTaken)
    ));
    // Nothing was left behind.
    assert!(store
        .find_account(&name("aIice"))
        .await
        .expect("find")
        .is_none());
    // Names that differ to the eye are fine: José and jose are two people.
    store
        .create_account(&name("José"), None, None)
        .await
        .expect("create José");
    store
        .create_account(&name("jose"), None, None)
        .await
        .expect("create jose");
    store
        .create_account(&name("王芳"), None, None)
        .await
        .expect("create 王芳");
    // Once alice's account is gone, the look-alike is free.
    store.delete_account(&name("alice")).await.expect("delete");
    store
        .create_account(&name("aIice"), None, None)
        .await
        .expect("create aIice");
    store.close().await;
}

async fn look_alike_claims_at_once_make_one_account(url: String) {
    let store = open(&url).await;
    // Two keys (alice, aiice), one skeleton (alice): one account at most, whoever is first.
    let names = ["alice", "aIice", "AIice", "Alice"];
    let mut claims = Vec::new();
    for _ in 0..4 {
        for raw in names {
            let store = store.clone();
            claims.push(tokio::spawn(async move {
                store.create_account(&name(raw), None, None).await
            }));
        }
    }
    let mut created = 0;
    for claim in claims {
        match claim.await.expect("join") {
            Ok(()) => created += 1,
            Err(StoreError::NameTaken | StoreError::NameConfusable { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(created, 1);
    let db = raw(&url).await;
    let rows = sqlx::query("SELECT name_skeleton FROM accounts")
        .fetch_all(&db)
        .await
        .expect("accounts");
    let skeletons: Vec<Option<String>> = rows.iter().map(|r| r.get("name_skeleton")).collect();
    assert_eq!(skeletons, [Some("alice".to_owned())]);
    db.close().await;
    store.close().await;
}

/// Accounts made before migration 0007 get their skeletons when a store opens the database;
/// of two old accounts that look alike, the older keeps the skeleton and the younger its
/// name.
async fn upgrading_to_0007_fills_in_skeletons(url: String) {
    let db = raw(&url).await;
    testkit::migrate_before(&db, "0007").await;
    for (key, shown, at) in [
        ("bob", "bob", 1_i64),
        ("alice", "alice", 2),
        ("aiice", "aIice", 3),
        ("josé", "José", 4),
    ] {
        sqlx::query(
            "INSERT INTO accounts (name_key, name, password_hash, created_at) \
             VALUES ($1, $2, NULL, $3)",
        )
        .bind(key)
        .bind(shown)
        .bind(at)
        .execute(&db)
        .await
        .expect("account");
    }

    let store = open(&url).await;
    let rows = sqlx::query("SELECT name_key, name_skeleton FROM accounts ORDER BY name_key")
        .fetch_all(&db)
        .await
        .expect("accounts");
    let skeletons: Vec<(String, Option<String>)> = rows
        .iter()
        .map(|r| (r.get("name_key"), r.get("name_skeleton")))
        .collect();
    let expected = [
        ("aiice", None),
        ("alice", Some(name("alice").skeleton())),
        ("bob", Some("bob".to_owned())),
        ("josé", Some(name("José").skeleton())),
    ];
    let expected: Vec<(String, Option<String>)> = expected
        .into_iter()
        .map(|(k, s)| (k.to_owned(), s))
        .collect();
    assert_eq!(skeletons, expected);
    // The filled-in skeletons are enforced like new ones.
    match store.create_account(&name("b0b"), None, None).await {
        Err(StoreError::NameConfusable { like }) => assert_eq!(like.as_str(), "bob"),
        other => panic!("b0b while bob exists: {other:?}"),
    }
    store
        .create_account(&name("jose"), None, None)
        .await
        .expect("jose is not José");
    db.close().await;
    store.close().await;
}
