//! Throwaway PostgreSQL databases.
use sea_orm::ConnectionTrait;
use tollgate::storage::{Db, StorageError, connect_without_migrating};

/// A throwaway PostgreSQL database, for tests and benchmarks: created on a server given by
/// `server_url` (any database on it), dropped by [`ScratchDatabase::drop_now`].
pub struct ScratchDatabase {
    server: Db,
    name: String,
    pub url: String,
}

impl ScratchDatabase {
    pub async fn create(server_url: &str, prefix: &str) -> Result<Self, StorageError> {
        let server = connect_without_migrating(server_url).await?;
        let name = format!(
            "{prefix}_{}",
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..12)
                .unwrap_or("x")
        );
        server
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let mut url = url::Url::parse(server_url)
            .map_err(|e| StorageError::Corrupt(format!("bad PostgreSQL URL: {e}")))?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            server,
            name,
            url: url.to_string(),
        })
    }

    /// Drops the database (after every connection to it is closed).
    pub async fn drop_now(self) -> Result<(), StorageError> {
        self.server
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await?;
        self.server.close().await?;
        Ok(())
    }
}
