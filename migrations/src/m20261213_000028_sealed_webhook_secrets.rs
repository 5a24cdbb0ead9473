//! Outgoing webhook secrets stored sealed under `ENCRYPTION_KEY` when one is configured: a
//! sealed secret (`v1.` + base64 of nonce, secret and tag, about 135 characters) does not fit
//! `webhook_endpoints.secret` and `previous_secret` as `varchar(128)`, so on PostgreSQL both
//! become `text`. SQLite does not enforce a declared length and keeps its columns.
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE webhook_endpoints ALTER COLUMN secret TYPE text, \
                     ALTER COLUMN previous_secret TYPE text",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            // Only plain secrets fit back; a sealed one makes this fail rather than be cut.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE webhook_endpoints ALTER COLUMN secret TYPE varchar(128), \
                     ALTER COLUMN previous_secret TYPE varchar(128)",
                )
                .await?;
        }
        Ok(())
    }
}
