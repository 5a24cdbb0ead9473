//! Storage: the sea-orm connection, entities and the queries the services use.
//!
//! SQLite is the embedded default (WAL, foreign keys, a busy timeout); PostgreSQL is chosen by
//! a `postgres://` URL. Migrations run on every connect, so a fresh database is ready at once.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

pub mod entities;
pub mod rows;

pub type Db = DatabaseConnection;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] DbErr),
    #[error("migrations failed: {0}")]
    Migrate(#[source] DbErr),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// How long the first connection at start may take. The pool would keep retrying an
/// unreachable server until its acquire timeout; at start, failing fast says more.
pub const FIRST_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects, tunes SQLite, and brings the schema up to date. A PostgreSQL server that refuses
/// or does not answer fails within [`FIRST_CONNECT_TIMEOUT`], with its own reason.
pub async fn connect(url: &str) -> Result<Db, StorageError> {
    if url.starts_with("postgres") {
        reach_postgres(url).await?;
    }
    let db = connect_without_migrating(url).await?;
    Migrator::up(&db, None)
        .await
        .map_err(StorageError::Migrate)?;
    Ok(db)
}

pub async fn connect_without_migrating(url: &str) -> Result<Db, StorageError> {
    open(options(url, PING_IF_IDLE_FOR)).await
}

/// A pooled connection idle at least this long is pinged before it is handed out.
///
/// sqlx pings every connection before handing it out by default (`test_before_acquire`),
/// and again when it comes back: each statement costs three round trips to the server
/// instead of one, and the ping before it is on the caller's path. A connection lost to a
/// server restart, a proxy or a firewall is one that sat idle; one used moments ago is
/// trusted. Should it have died meanwhile, its one statement fails, the ping on its return
/// finds it dead, and the pool drops it.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

fn options(url: &str, ping_if_idle_for: Duration) -> ConnectOptions {
    let is_sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire_if_idle_for(ping_if_idle_for)
        .sqlx_logging(false);
    if is_sqlite {
        // One connection: SQLite takes one writer at a time anyway, and with several pooled
        // connections one that had read the schema before a migration added a unique index
        // refused upserts naming it ("ON CONFLICT clause does not match any PRIMARY KEY or
        // UNIQUE constraint": SQLite checks the target while preparing, against its cached
        // schema, and does not reload the schema for that error; tests/api/sqlite_schema.rs,
        // docs/decisions/0003). PostgreSQL is the path to scale out.
        options.max_connections(1).min_connections(1);
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(16).min_connections(1);
        // Plan each prepared statement once per connection. With the default (`auto`),
        // PostgreSQL plans a statement afresh on each of its first five runs and then keeps
        // doing so whenever the generic plan's estimate looks worse, which it does for the
        // batched statements (a JSON parameter of unknown size): their planning took longer
        // than their execution (~1.1 ms vs 0.3 ms for the relay gate's read, on this project's
        // 2-core test machine). Every statement here is a keyed lookup or a short batch, for
        // which the generic plan is the plan.
        options.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_generic_plan")]));
    }
    options
}

/// One connection, once: the server's answer (or its silence) without the pool's retries.
async fn reach_postgres(url: &str) -> Result<(), StorageError> {
    use sea_orm::sqlx::{Connection, postgres::PgConnection};
    let failed =
        |why: String| StorageError::Connect(DbErr::Conn(sea_orm::RuntimeErr::Internal(why)));
    match tokio::time::timeout(FIRST_CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(failed(e.to_string())),
        Err(_) => Err(failed(format!(
            "no answer within {} s",
            FIRST_CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

async fn open(options: ConnectOptions) -> Result<Db, StorageError> {
    Database::connect(options)
        .await
        .map_err(StorageError::Connect)
}

pub async fn migrate(db: &Db) -> Result<(), StorageError> {
    Migrator::up(db, None).await.map_err(StorageError::Migrate)
}

/// `SELECT 1`, for `/readyz`.
pub async fn ping(db: &Db) -> Result<(), StorageError> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}

/// Raw SQL written with PostgreSQL's `$1` placeholders, for either backend. On SQLite,
/// placeholders that run `$1, $2, …` once each in order become anonymous `?`; otherwise `?1`
/// (the same numbered parameter). The driver looks up each numbered parameter's name in a
/// list as long as the statement's parameters, so binding a multi-row insert of thousands of
/// numbered parameters takes time quadratic in their count; anonymous ones have no names.
pub fn sql(backend: DbBackend, postgres_sql: &str) -> String {
    match backend {
        DbBackend::Postgres => postgres_sql.to_owned(),
        _ if placeholders_in_order(postgres_sql) => {
            let mut out = String::with_capacity(postgres_sql.len());
            let mut chars = postgres_sql.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                    while chars.next_if(char::is_ascii_digit).is_some() {}
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => postgres_sql.replace('$', "?"),
    }
}

/// Whether the `$n` placeholders of `sql` are `$1, $2, …, $k`, each once and in that order.
fn placeholders_in_order(sql: &str) -> bool {
    let mut expected = 1u64;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            // Not a placeholder: keep every `$` as it was turned before.
            return false;
        }
        if rest[..digits].parse::<u64>().ok() != Some(expected) {
            return false;
        }
        expected += 1;
        rest = &rest[digits..];
    }
    true
}

/// The day of a timestamp column as `YYYY-MM-DD` text, in UTC, for grouping rows per day in
/// [`sql`] text on either backend.
pub fn day_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        _ => format!("substr({column}, 1, 10)"),
    }
}

/// `$from, $from+1, …` (`count` of them), for an `IN (…)` list in [`sql`] text.
pub fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value per row id, for multi-row updates: `case` is ` WHEN $i THEN $v …` (wrap it in
/// `CASE id … END`), `ids` the ids' placeholders for `IN (…)`; numbering starts at `first`.
pub struct PerId {
    pub case: String,
    pub ids: String,
    pub values: Vec<sea_orm::Value>,
}

pub fn per_id<V: Into<sea_orm::Value>>(
    first: usize,
    rows: impl IntoIterator<Item = (i64, V)>,
) -> PerId {
    let mut out = PerId {
        case: String::new(),
        ids: String::new(),
        values: Vec::new(),
    };
    for (i, (id, value)) in rows.into_iter().enumerate() {
        let (k, v) = (first + 2 * i, first + 2 * i + 1);
        out.case.push_str(&format!(" WHEN ${k} THEN ${v}"));
        if i > 0 {
            out.ids.push_str(", ");
        }
        out.ids.push_str(&format!("${k}"));
        out.values.push(id.into());
        out.values.push(value.into());
    }
    out
}

/// Runs [`sql`] text with its values and returns every row.
pub async fn query_all(
    db: &impl ConnectionTrait,
    postgres_sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    let backend = db.get_database_backend();
    db.query_all_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        sql(backend, postgres_sql),
        values,
    ))
    .await
}

pub fn is_postgres(db: &Db) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// True when the error is a unique-constraint violation (a duplicate insert).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use sea_orm::Statement;

    use super::*;

    #[test]
    fn sqlite_placeholders_are_anonymous_only_when_they_run_in_order() {
        let sqlite = |q: &str| sql(DbBackend::Sqlite, q);
        assert_eq!(
            sqlite("SELECT $1, $2 WHERE x = $3"),
            "SELECT ?, ? WHERE x = ?"
        );
        assert_eq!(sqlite("VALUES ($1,$2),($3,$4)"), "VALUES (?,?),(?,?)");
        assert_eq!(sqlite("SELECT 1"), "SELECT 1");
        // Reused, out of order or gapped: numbered, as PostgreSQL reads them.
        assert_eq!(sqlite("WHERE a = $1 OR b = $1"), "WHERE a = ?1 OR b = ?1");
        assert_eq!(
            sqlite("SET a = $2 WHERE id = $1"),
            "SET a = ?2 WHERE id = ?1"
        );
        assert_eq!(sqlite("SELECT $2"), "SELECT ?2");
        assert_eq!(sqlite("SELECT $10, $11"), "SELECT ?10, ?11");
        let many = placeholders(1, 12_000);
        assert_eq!(sqlite(&many), vec!["?"; 12_000].join(", "));
        assert_eq!(sql(DbBackend::Postgres, "SELECT $1"), "SELECT $1");
    }

    async fn backend_pid(db: &Db) -> Result<i32, DbErr> {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_backend_pid() AS pid",
            ))
            .await?
            .expect("one row");
        row.try_get("", "pid")
    }

    /// Ends the server process of the pool's one connection (as a restart or a proxy would),
    /// once the pool has it back, and waits until it is gone.
    async fn kill_backend(db: &Db, server: &Db, pid: i32) {
        // The connection goes back to the pool after a ping of its own (sqlx): killing it
        // during that ping would make the pool drop it there and then.
        let pool = db.get_postgres_connection_pool();
        for _ in 0..200 {
            if pool.num_idle() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(pool.num_idle(), 1, "the connection did not come back");
        server
            .execute_unprepared(&format!("SELECT pg_terminate_backend({pid})"))
            .await
            .unwrap();
        for _ in 0..200 {
            let row = server
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = {pid}"),
                ))
                .await
                .unwrap()
                .unwrap();
            if row.try_get::<i64>("", "n").unwrap() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("backend {pid} did not end");
    }

    async fn server() -> Option<(String, Db)> {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("storage pool tests: skipped (TEST_DATABASE_URL is not set)");
            return None;
        };
        let server = connect_without_migrating(&url).await.unwrap();
        Some((url, server))
    }

    /// A pool of one connection, so that the next statement surely gets the one killed.
    async fn one_connection(url: &str, ping_if_idle_for: Duration) -> Db {
        let mut options = options(url, ping_if_idle_for);
        options.max_connections(1).min_connections(1);
        open(options).await.unwrap()
    }

    #[tokio::test]
    async fn a_connection_idle_past_the_threshold_is_pinged_and_replaced_when_dead() {
        let Some((url, server)) = server().await else {
            return;
        };
        let db = open(options(&url, Duration::from_millis(100)))
            .await
            .unwrap();
        let before = backend_pid(&db).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        kill_backend(&db, &server, before).await;

        // The ping finds the idle connection dead; the statement runs on a new one.
        let after = backend_pid(&db).await.unwrap();
        assert_ne!(after, before);
        db.close().await.unwrap();
        server.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_connection_used_moments_ago_is_not_pinged_and_a_dead_one_fails_only_once() {
        let Some((url, server)) = server().await else {
            return;
        };
        let db = one_connection(&url, PING_IF_IDLE_FOR).await;
        let before = backend_pid(&db).await.unwrap();
        kill_backend(&db, &server, before).await;

        // Not pinged: the statement goes to the dead connection and fails…
        assert!(backend_pid(&db).await.is_err());
        // …which the pool then drops, so the next one runs on a new connection.
        let after = backend_pid(&db).await.unwrap();
        assert_ne!(after, before);
        db.close().await.unwrap();
        server.close().await.unwrap();
    }
}
