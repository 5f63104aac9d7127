//! Names that look alike, in the store: the unique index of confusable skeletons
//! (`accounts.name_skeleton`) on SQLite and on PostgreSQL, and its backfill for accounts made
//! before it existed.
//!
//! PostgreSQL is `TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/test`.

use backend::store::{SqlStore, Store, StoreError};
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
);

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
    let old = tempfile::tempdir().expect("temp dir");
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&migrations).expect("migrations") {
        let path = entry.expect("entry").path();
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        if file.ends_with(".sql") && file < "0007" {
            std::fs::copy(&path, old.path().join(file)).expect("copy a migration");
        }
    }
    sqlx::migrate::Migrator::new(old.path())
        .await
        .expect("the old migrations")
        .run(&db)
        .await
        .expect("run the old migrations");
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
