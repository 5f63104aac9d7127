//! What every statement of the [`SqlStore`](super::SqlStore) shares, whichever engine runs it:
//! the engine's name and parameter syntax, how many rows one statement takes, the columns of a
//! message and the conversions between stored values and the server's types.

use shared::{MessageDetails, Quote, RoomName, UserName};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::message::{Destination, Message};

/// The database engines a [`SqlStore`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine a URL names, by its scheme.
    pub(super) fn of(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::UnsupportedUrl),
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Brings the schema up to date: one set of migrations (`migrations/`, portable SQL) for both
/// engines, then the account name skeletons SQL cannot compute ([`super::skeletons`]).
pub(super) async fn migrate(pool: &AnyPool) -> Result<(), StoreError> {
    sqlx::migrate!("./migrations").run(pool).await?;
    super::skeletons::backfill(pool).await?;
    Ok(())
}

/// How long a request waits for a database connection.
pub(super) const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub(super) fn now_ms() -> i64 {
    i64::try_from(crate::clock::now_ms()).unwrap_or(i64::MAX)
}

pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub(super) fn user(raw: &str) -> Result<UserName, StoreError> {
    UserName::parse(raw).map_err(|e| StoreError::Corrupt(format!("user {raw:?}: {e}")))
}

pub(super) fn room(raw: &str) -> Result<RoomName, StoreError> {
    RoomName::parse(raw).map_err(|e| StoreError::Corrupt(format!("room {raw:?}: {e}")))
}

/// The columns [`message_from`] reads.
pub(super) const MESSAGE_COLUMNS: &str =
    "id, room, sender, recipient, body, at, reply_to, edited_at, deleted_at, hidden_for";

/// A message row (its [`MESSAGE_COLUMNS`]); its `details.reply`, when it is a reply, holds
/// only the quoted id until `changes::fill_details` fills the quote in.
pub(super) fn message_from(row: &AnyRow) -> Result<Message, StoreError> {
    let to = match row.try_get::<Option<String>, _>("room")? {
        Some(r) => Destination::Room(room(&r)?),
        None => {
            let recipient: Option<String> = row.try_get("recipient")?;
            Destination::User(user(recipient.as_deref().unwrap_or_default())?)
        }
    };
    Ok(Message {
        id: to_u64(row.try_get("id")?),
        from: user(row.try_get("sender")?)?,
        to,
        body: row.try_get("body")?,
        at: to_u64(row.try_get("at")?),
        details: MessageDetails {
            reply: row
                .try_get::<Option<i64>, _>("reply_to")?
                .map(|id| Quote::of(to_u64(id), String::new(), "", false)),
            edited_at: row.try_get::<Option<i64>, _>("edited_at")?.map(to_u64),
            deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
            reactions: Vec::new(),
            attachments: Vec::new(),
        },
        change: None,
        hidden_for: row.try_get("hidden_for")?,
    })
}

/// `(…, …), (…, …), …`: `rows` tuples of `columns` placeholders for the parameters numbered
/// from `first`, in order of appearance.
///
/// `$n` is what both engines read. But SQLite finds a named parameter's number by a linear
/// search, and sqlx asks for the name of every parameter it binds: with thousands that is
/// quadratic (it took 40% of `append`'s time). So when a statement has no other parameters
/// (`first == 1`), SQLite gets anonymous `?`, which are numbered by position.
pub(super) fn placeholders(engine: Engine, rows: usize, columns: usize, first: usize) -> String {
    let anonymous = engine == Engine::Sqlite && first == 1;
    let mut sql = String::with_capacity(rows * columns * 6);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            if anonymous {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&(first + r * columns + c).to_string());
            }
        }
        sql.push(')');
    }
    sql
}

/// Most rows in one multi-row `INSERT` (ten bind parameters each: far below SQLite's 32,766
/// and PostgreSQL's 65,535).
pub(super) const INSERT_ROWS: usize = 256;
/// Most `(sender, req)` pairs or conversations looked up in one statement.
pub(super) const LOOKUP_ROWS: usize = 512;

/// Splits `n` rows into chunks of powers of two, largest first, none above [`INSERT_ROWS`]:
/// few statements per batch, and few distinct statements for the engines to prepare and cache.
pub(super) fn insert_chunks(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = if n >= INSERT_ROWS {
            INSERT_ROWS
        } else {
            1 << n.ilog2()
        };
        n -= size;
        Some(size)
    })
}

/// `n` rounded up: to a power of two up to 32, then to a multiple of 32. Look-ups are padded
/// to it (repeating their last row, which is harmless), so that the engines see few distinct
/// statements and reuse their plans, at the cost of at most 31 extra rows.
pub(super) fn padded(n: usize) -> usize {
    if n <= 32 {
        n.next_power_of_two()
    } else {
        n.next_multiple_of(32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_engine() {
        assert_eq!(Engine::of("postgres://u@h/db").ok(), Some(Engine::Postgres));
        assert_eq!(
            Engine::of("PostgreSQL://u@h/db").ok(),
            Some(Engine::Postgres)
        );
        assert_eq!(Engine::of("sqlite:chat.db").ok(), Some(Engine::Sqlite));
        assert_eq!(
            Engine::of("sqlite://data/chat.db").ok(),
            Some(Engine::Sqlite)
        );
        assert!(Engine::of("mysql://u:p@h/db").is_err());
        assert!(Engine::of("chat.db").is_err());
    }

    #[test]
    fn batches_split_into_few_inserts() {
        let chunks = |n| insert_chunks(n).collect::<Vec<_>>();
        assert_eq!(chunks(0), Vec::<usize>::new());
        assert_eq!(chunks(1), [1]);
        assert_eq!(chunks(500), [256, 128, 64, 32, 16, 4]);
        assert_eq!(chunks(512), [256, 256]);
        assert_eq!(chunks(600), [256, 256, 64, 16, 8]);
        assert_eq!(
            placeholders(Engine::Postgres, 2, 2, 1),
            "($1, $2), ($3, $4)"
        );
        assert_eq!(placeholders(Engine::Sqlite, 2, 2, 1), "(?, ?), (?, ?)");
        assert_eq!(placeholders(Engine::Sqlite, 2, 1, 3), "($3), ($4)");
        let sizes: Vec<usize> = [1, 3, 32, 33, 500, 512].map(padded).into();
        assert_eq!(sizes, [1, 4, 32, 64, 512, 512]);
    }
}
