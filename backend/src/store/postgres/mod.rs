//! The PostgreSQL engine, for several nodes on one database: chosen by a `postgres://` or
//! `postgresql://` URL. The tables live in the first schema of the connection's `search_path`,
//! which a URL can set: `…?options=-c%20search_path%3Dmy_schema`. `messages` has its
//! `(conversation, id)` index, and `append` writes the conversation lists in the transaction
//! that stores the messages ([`ListsTable`]): there is no task to run. Message bodies are
//! indexed for search by a generated `tsvector` column ([`TsVector`]).

mod lists_table;
#[cfg(test)]
mod plans;
mod search_index;

use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;

use super::sql::{migrate, ACQUIRE_TIMEOUT};
use super::StoreError;

pub(super) use lists_table::ListsTable;
pub(super) use search_index::TsVector;

/// Connects to the PostgreSQL database at `url` and runs the migrations; returns the pool,
/// which is also where `append` runs, and the lists.
pub(super) async fn open(url: &str) -> Result<(AnyPool, AnyPool, Arc<ListsTable>), StoreError> {
    sqlx::any::install_default_drivers();
    let options = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        // A database that does not answer fails a request in seconds, not half a minute:
        // a send is refused (`unavailable`) rather than left hanging.
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(8)
        // A connection over the network may have broken while it sat in the pool: it is
        // pinged before it is lent.
        .test_before_acquire(true)
        .connect_with(options)
        .await?;
    migrate(&pool).await?;
    super::search::SearchIndex::prepare(&TsVector, &pool).await?;
    Ok((pool.clone(), pool, Arc::new(ListsTable)))
}
