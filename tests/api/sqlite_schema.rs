//! Why the SQLite pool has one connection (`storage::options`, docs/decisions/0003): each
//! SQLite connection caches the schema. A statement compiled against a cache older than the
//! last `CREATE UNIQUE INDEX` is normally caught when it runs (the schema cookie differs, SQLite
//! reloads and compiles it again), but an upsert whose `ON CONFLICT` target names that index
//! fails while it is being compiled, and that error does not make SQLite check its cache. So a
//! pooled connection that read the schema before a migration added an index on another
//! connection refuses the upsert until some other statement makes it reload.
use sea_orm::sqlx::{Connection, Row, SqliteConnection, sqlite::SqliteConnectOptions};

async fn open(path: &std::path::Path) -> SqliteConnection {
    SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true),
    )
    .await
    .unwrap()
}

const UPSERT_A: &str =
    "INSERT INTO t (k, v) VALUES (1, 'a') ON CONFLICT (k) DO UPDATE SET v = excluded.v";
const UPSERT: &str =
    "INSERT INTO t (k, v) VALUES (1, 'b') ON CONFLICT (k) DO UPDATE SET v = excluded.v";

#[tokio::test]
async fn a_connection_with_a_stale_schema_refuses_an_upsert_on_a_newer_unique_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.db");
    let mut migrating = open(&path).await;
    let mut pooled = open(&path).await;

    sea_orm::sqlx::query("CREATE TABLE t (k INTEGER NOT NULL, v TEXT NOT NULL)")
        .execute(&mut migrating)
        .await
        .unwrap();
    // The other connection reads the schema: the table, no index yet.
    sea_orm::sqlx::query("SELECT count(*) FROM t")
        .fetch_one(&mut pooled)
        .await
        .unwrap();
    // A later migration adds the unique index the upsert relies on.
    sea_orm::sqlx::query("CREATE UNIQUE INDEX t_k ON t (k)")
        .execute(&mut migrating)
        .await
        .unwrap();

    // The connection that made the index sees it.
    sea_orm::sqlx::query(UPSERT_A)
        .execute(&mut migrating)
        .await
        .unwrap();
    // The other one compiles the upsert against its cached schema and fails; retrying does
    // not help, since nothing has made it look at the schema again.
    for _ in 0..2 {
        let err = sea_orm::sqlx::query(UPSERT)
            .execute(&mut pooled)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint"),
            "{err}"
        );
    }
    // Any statement that runs against the table finds the schema changed and reloads it;
    // after that the same upsert succeeds.
    sea_orm::sqlx::query("SELECT count(*) FROM t")
        .fetch_one(&mut pooled)
        .await
        .unwrap();
    sea_orm::sqlx::query(UPSERT)
        .execute(&mut pooled)
        .await
        .unwrap();
    let v: String = sea_orm::sqlx::query("SELECT v FROM t WHERE k = 1")
        .fetch_one(&mut pooled)
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, "b");

    migrating.close().await.unwrap();
    pooled.close().await.unwrap();
}
