//! Persistence for Zhiyuan.
//!
//! One implementation over sqlx's `Any` driver serves both backends: SQLite (embedded default)
//! and PostgreSQL (scale). SQL text is shared where the dialects agree (`$n` placeholders,
//! `RETURNING`, partial indexes) and chosen per [`Backend`] where they do not. Each backend has
//! its own migrations folder. Repository functions take `&mut AnyConnection` so a use case can
//! compose several of them in one transaction; [`Store::write`] hands out that transaction.

pub mod audit;
pub mod auth;
pub mod events;
pub mod idempotency;
pub mod imports;
pub mod network;
pub mod notices;
pub mod orders;
pub mod people;
pub mod seek;
pub mod service;
pub mod stats;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use sqlx::AnyConnection as Conn;
/// A write transaction; commit it with `tx.commit().await`.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
/// A pooled read connection.
pub type PooledConn = sqlx::pool::PoolConnection<sqlx::Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A pagination cursor that this list did not hand out.
    #[error("invalid pagination cursor")]
    CursorInvalid,
}

impl StoreError {
    /// The name of the unique constraint (or index) a write violated, if that is why it failed.
    pub fn unique_violation(&self) -> Option<String> {
        if let StoreError::Db(sqlx::Error::Database(e)) = self {
            if e.is_unique_violation() {
                return Some(
                    e.constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| e.message().to_owned()),
                );
            }
        }
        None
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The placeholders of a multi-row `VALUES` list: `rows` groups of `cols` each. On SQLite
    /// they are anonymous (`?`): sqlx looks a numbered one up by name, in time that grows with
    /// the statement's parameters, which made bulk inserts quadratic.
    pub fn value_rows(self, rows: usize, cols: usize) -> String {
        let mut sql = String::with_capacity(rows * cols * 5);
        let mut n = 0;
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..cols {
                n += 1;
                if c > 0 {
                    sql.push_str(", ");
                }
                match self {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                }
            }
            sql.push(')');
        }
        sql
    }

    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }
}

/// The database: a pool for reads and a pool for writes. On SQLite the write pool holds a
/// single connection, so write transactions queue instead of failing with `SQLITE_BUSY`;
/// on PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

/// How to open the database.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreOptions {
    /// SQLite `synchronous = FULL`: a commit survives power loss and an OS crash. The default,
    /// `NORMAL` in WAL mode, survives a crash of the process (kill -9) but may lose the last
    /// commits when the machine loses power; the database stays consistent either way.
    pub sqlite_sync_full: bool,
}

impl Store {
    /// Connects to `sqlite://path` (created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, StoreOptions::default()).await
    }

    /// [`Store::connect`] with options.
    pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                };
                let opts = AnyConnectOptions::from_str(&url)?;
                let pragmas: &'static str = if options.sqlite_sync_full {
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;"
                } else {
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;"
                };
                let setup = |max: u32| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(move |conn, _| {
                            Box::pin(async move {
                                conn.execute(pragmas).await?;
                                Ok(())
                            })
                        })
                };
                let write = setup(1).connect_with(opts.clone()).await?;
                sqlx::query("PRAGMA journal_mode = WAL").execute(&write).await?;
                let read = setup(8).connect_with(opts).await?;
                Ok(Store { read, write, backend })
            }
            Backend::Postgres => {
                let opts = AnyConnectOptions::from_str(url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts)
                    .await?;
                Ok(Store {
                    read: pool.clone(),
                    write: pool,
                    backend,
                })
            }
        }
    }

    /// Brings the schema up to date (idempotent).
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.write).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.write).await?,
        }
        Ok(())
    }

    /// Applies only the migrations up to and including `version`: for tests that build an old
    /// schema, fill it, and then check what [`Store::migrate`] makes of it.
    pub async fn migrate_to(&self, version: i64) -> Result<()> {
        let mut m = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        m.migrations = m
            .migrations
            .iter()
            .filter(|x| x.version <= version)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        m.run(&self.write).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<PooledConn> {
        Ok(self.read.acquire().await?)
    }

    /// Bulk-load mode for a tool that fills an empty database (`zhiyuan generate`): on SQLite the
    /// writer stops waiting for the disk (`synchronous = OFF`: a crash mid-load loses the load,
    /// which is simply run again), keeps a 1 GiB page cache and sorts for `CREATE INDEX` on two
    /// threads; off again restores the
    /// server's settings. PostgreSQL needs nothing.
    pub async fn bulk_load(&self, on: bool) -> Result<()> {
        if self.backend == Backend::Sqlite {
            let pragmas = if on {
                "PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576; PRAGMA threads = 2"
            } else {
                "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -2000; PRAGMA threads = 0"
            };
            let mut conn = self.write.acquire().await?;
            conn.execute(pragmas).await?;
        }
        Ok(())
    }

    /// Starts a write transaction.
    pub async fn write(&self) -> Result<Tx> {
        match self.backend {
            // Take the write lock at BEGIN: no other process can slip a write in between this
            // transaction's first read and its first write, so row locks are not needed.
            Backend::Sqlite => Ok(self.write.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => Ok(self.write.begin().await?),
        }
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Bounds `[lo, hi)` that select every ASCII string starting with `prefix` by a plain
/// comparison, which both backends answer from an ordinary index (codes and paths are
/// stored with byte ordering).
pub fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}~"))
}

/// A yes/no column. The schema has no booleans (SQLite and PostgreSQL decode them differently
/// through `Any`): flags are BIGINT 0/1, read with `#[sqlx(try_from = "Flag")]` into a `bool`
/// and written as `flag as i64`, so the integer never leaves the store.
#[derive(Clone, Copy, Debug)]
pub struct Flag(i64);

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0 != 0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Flag, sqlx::error::BoxDynError> {
        Ok(Flag(<i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value)?))
    }
}

/// `'a','b'` for a fixed list of a domain enum's values (their `as_str()`: snake_case words,
/// never user input), for a fixed statement that cannot bind them.
pub fn sql_words(words: &[&'static str]) -> String {
    debug_assert!(words
        .iter()
        .all(|w| w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `$first, $first+1, …` for `n` values bound into an `IN (…)` list.
pub fn in_list(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A page of a list.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Which page of a list to read (1-based).
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    /// The last page number a request may name; past it, the last page is shown.
    pub const MAX_PAGE: i64 = 100_000;

    /// Page 1 to [`Self::MAX_PAGE`], 1 to 200 a page (20 by default): the offset stays small.
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> PageRequest {
        PageRequest {
            page: page.unwrap_or(1).clamp(1, Self::MAX_PAGE),
            per_page: per_page.unwrap_or(20).clamp(1, 200),
        }
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod value_rows_tests {
    use super::Backend;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        assert_eq!(Backend::Sqlite.value_rows(2, 2), "(?, ?), (?, ?)");
        assert_eq!(Backend::Postgres.value_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(Backend::Postgres.value_rows(0, 3), "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_requests_are_bounded() {
        let p = PageRequest::new(Some(i64::MAX), Some(i64::MAX));
        assert_eq!((p.page, p.per_page), (PageRequest::MAX_PAGE, 200));
        assert_eq!(p.offset(), (PageRequest::MAX_PAGE - 1) * 200);
        let p = PageRequest::new(Some(i64::MIN), Some(-5));
        assert_eq!((p.page, p.per_page, p.offset()), (1, 1, 0));
    }
}
