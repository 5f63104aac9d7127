//! [`Kept`]: SQLite connections for the reads of a connection's opening (the token's check,
//! [`Store::start`](super::Store::start), [`Store::joined`](super::Store::joined)), kept
//! between uses instead of given back to sqlx's pool.
//!
//! sqlx pings every connection given back to its pool (to flush what a cancelled query may
//! have left), and on SQLite a ping is one more hand-off to the connection's thread and back:
//! as many as the statements themselves in a reconnection storm, where those hand-offs were
//! most of a reconnection's CPU (docs/benchmarks.md). A read that ends normally leaves nothing
//! to flush, so its connection goes back to a list here, unpinged; one that fails or is
//! cancelled drops its connection into its own pool, which pings it as usual. The connections
//! come from a pool of their own (the same settings as the store's readers), so the store's
//! other readers never wait for one held here.
//!
//! [`Writer`] keeps SQLite's one writing connection the same way: every batch the journal
//! stores, every search index round and the checkpoint's last step borrow it, and give it back
//! unpinged (the ping was a fourth hand-off per batch, after `BEGIN`, the statements and
//! `COMMIT`, and the next batch waited for it).

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::sql::ACQUIRE_TIMEOUT;
use super::sql_store::SqlStore;
use super::StoreError;

impl SqlStore {
    /// A connection for a connection's opening reads: one kept between uses on SQLite, the
    /// pool's on PostgreSQL (whose pings cost no thread hand-off of ours).
    pub(super) async fn opening_conn(&self) -> Result<Borrowed<'_>, StoreError> {
        borrow(self.kept.as_deref(), &self.pool).await
    }
}

/// A connection kept by `kept`, or else one of `pool`'s (given back to it as usual).
async fn borrow<'k>(kept: Option<&'k Kept>, pool: &AnyPool) -> Result<Borrowed<'k>, StoreError> {
    match kept {
        Some(kept) => kept.borrow().await,
        None => Ok(Borrowed {
            conn: Some(pool.acquire().await?),
            kept: None,
            _permit: None,
        }),
    }
}

/// Where the store writes: SQLite's one connection, kept between uses; PostgreSQL's pool.
/// A cheap handle: clones share the connection.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    /// The connections. SQLite: a pool of one, which only `kept` borrows from.
    pool: AnyPool,
    /// SQLite: the one connection, kept between uses. PostgreSQL: `None`, the pool's.
    kept: Option<Arc<Kept>>,
}

impl Writer {
    /// SQLite's writer: `pool`'s one connection, kept between uses.
    pub(super) fn kept(pool: AnyPool) -> Self {
        Self {
            kept: Some(Arc::new(Kept::new(pool.clone(), 1))),
            pool,
        }
    }

    /// PostgreSQL's writer: any connection of `pool`, given back to it as usual.
    pub(super) fn pooled(pool: AnyPool) -> Self {
        Self { pool, kept: None }
    }

    /// A connection to write on: [`Borrowed::give_back`] once its transaction ended.
    pub(super) async fn conn(&self) -> Result<Borrowed<'_>, StoreError> {
        borrow(self.kept.as_deref(), &self.pool).await
    }

    pub(super) fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    /// Closes the connection(s), waiting for one in use to come back.
    pub(super) async fn close(&self) {
        match &self.kept {
            Some(kept) => kept.close().await,
            None => self.pool.close().await,
        }
    }
}

/// Connections kept between the opening reads. Borrowed through [`Kept::borrow`].
#[derive(Debug)]
pub(super) struct Kept {
    /// Where the connections come from, and go back to when a read did not end normally.
    pool: AnyPool,
    /// One permit per connection: a borrower holds one, so the list below or the pool
    /// always has a connection for it.
    permits: Semaphore,
    /// The connections given back after a read that ended normally.
    idle: Mutex<Vec<PoolConnection<Any>>>,
}

impl Kept {
    /// Keeps up to `size` of `pool`'s connections (`pool` allows at least that many).
    pub(super) fn new(pool: AnyPool, size: usize) -> Self {
        Self {
            pool,
            permits: Semaphore::new(size),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A connection, within the pool's acquire timeout, as `AnyPool::acquire` would give it.
    pub(super) async fn borrow(&self) -> Result<Borrowed<'_>, StoreError> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let kept = self
            .idle
            .lock()
            .expect("never poisoned: no panics under it")
            .pop();
        let conn = match kept {
            Some(conn) => conn,
            // Bounded by the permits, so this waits only for a connection being pinged back.
            None => self.pool.acquire().await?,
        };
        Ok(Borrowed {
            conn: Some(conn),
            kept: Some(self),
            _permit: Some(permit),
        })
    }

    /// Closes the connections, kept or in use (waiting for those in use to come back).
    pub(super) async fn close(&self) {
        // Closed first: a connection given back from now on goes to the pool, which waits
        // for it (see `give_back`, under the same lock).
        self.permits.close();
        let idle = std::mem::take(&mut *self.idle.lock().expect("never poisoned"));
        drop(idle);
        self.pool.close().await;
    }
}

/// A connection borrowed for the opening reads ([`SqlStore::opening_conn`]):
/// [`Borrowed::give_back`] once its reads are done; dropped otherwise (an error, a cancelled
/// read), it goes back to sqlx's pool, pinged.
#[derive(Debug)]
pub(super) struct Borrowed<'k> {
    /// `None` only once given back.
    conn: Option<PoolConnection<Any>>,
    /// Where it is kept between uses; `None` for a connection of the store's pool.
    kept: Option<&'k Kept>,
    /// Given back after the connection is.
    _permit: Option<SemaphorePermit<'k>>,
}

impl Borrowed<'_> {
    /// The reads on it ended normally: it is kept for the next borrower, unpinged (a
    /// connection of the store's pool goes back to it).
    pub(super) fn give_back(mut self) {
        let (Some(conn), Some(kept)) = (self.conn.take(), self.kept) else {
            return;
        };
        let mut idle = kept
            .idle
            .lock()
            .expect("never poisoned: no panics under it");
        if kept.permits.is_closed() {
            // Closing: to the pool, which `close` waits for.
            drop(idle);
            drop(conn);
        } else {
            idle.push(conn);
        }
    }
}

impl Deref for Borrowed<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn
            .as_ref()
            .expect("a borrowed connection until given back")
    }
}

impl DerefMut for Borrowed<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn
            .as_mut()
            .expect("a borrowed connection until given back")
    }
}

#[cfg(test)]
mod tests {
    use sqlx::any::AnyPoolOptions;
    use sqlx::Executor;

    use super::*;

    async fn kept(size: u32) -> Kept {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(size)
            .connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        Kept::new(pool, size as usize)
    }

    #[tokio::test]
    async fn a_connection_given_back_is_kept_and_one_dropped_goes_back_to_its_pool() {
        // One connection: the pool cannot open another (another in-memory database).
        let kept = kept(1).await;
        let mut conn = kept.borrow().await.expect("borrow");
        // An in-memory database is the connection's own: the table tells it apart.
        conn.execute("CREATE TABLE mine (x)").await.expect("create");
        conn.give_back();
        assert_eq!(kept.idle.lock().unwrap().len(), 1);
        let mut again = kept.borrow().await.expect("borrow");
        assert!(kept.idle.lock().unwrap().is_empty());
        again
            .execute("SELECT x FROM mine")
            .await
            .expect("the same connection");
        // Dropped, as after an error or a cancelled read: sqlx's pool takes it back.
        drop(again);
        assert!(kept.idle.lock().unwrap().is_empty());
        let mut from_pool = kept.borrow().await.expect("borrow");
        from_pool
            .execute("SELECT x FROM mine")
            .await
            .expect("the pool gave it back");
        from_pool.give_back();
        kept.close().await;
        assert!(kept.idle.lock().unwrap().is_empty());
        assert!(kept.borrow().await.is_err(), "closed");
    }

    /// SQLite's writer: its one connection kept between transactions (not given back to the
    /// pool, which would ping it), one borrower at a time, and closed while kept.
    #[tokio::test]
    async fn a_writer_keeps_its_one_connection_between_uses_and_closes_while_it_is_kept() {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        let writer = Writer::kept(pool.clone());
        let mut conn = writer.conn().await.expect("the writer");
        let mut tx = sqlx::Connection::begin(&mut *conn).await.expect("begin");
        tx.execute("CREATE TABLE mine (x)").await.expect("create");
        tx.commit().await.expect("commit");
        conn.give_back();
        // Kept, not in the pool (where it would be back, pinged, by now): the pool has no
        // connection to lend meanwhile.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(pool.num_idle(), 0);
        let again = writer.conn().await.expect("the writer");
        let next = writer.conn();
        tokio::pin!(next);
        assert!(
            futures_util::FutureExt::now_or_never(next.as_mut()).is_none(),
            "one borrower at a time"
        );
        drop(again);
        let mut from_pool = next.await.expect("its turn, from the pool");
        from_pool
            .execute("SELECT x FROM mine")
            .await
            .expect("the same connection, the one in-memory database");
        from_pool.give_back();
        tokio::time::timeout(std::time::Duration::from_secs(5), writer.close())
            .await
            .expect("closing does not wait for the kept connection");
        assert!(writer.is_closed());
        assert!(writer.conn().await.is_err(), "closed");
    }

    #[tokio::test]
    async fn no_more_are_borrowed_at_once_than_it_keeps() {
        let kept = kept(1).await;
        let first = kept.borrow().await.expect("borrow");
        let next = kept.borrow();
        tokio::pin!(next);
        assert!(futures_util::FutureExt::now_or_never(next.as_mut()).is_none());
        first.give_back();
        next.await.expect("its turn").give_back();
        kept.close().await;
    }
}
