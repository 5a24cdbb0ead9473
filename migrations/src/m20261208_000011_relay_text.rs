//! What users wrote, for the control center's search over relayed messages.
//!
//! - `relay_messages.text`: the text or caption of a user's message relayed into the admin
//!   group (direction `in`), at most 4,096 characters; NULL for messages without text
//!   (stickers, voice notes…), for the team's answers, and for rows written before.
//! - `relay_messages.search_text`: the same text folded to lower case (Unicode, by the app),
//!   which the search compares with. SQLite's `LIKE` and `lower()` fold ASCII letters only,
//!   and PostgreSQL's `ILIKE` depends on the database's locale: folding once, when the row is
//!   written, makes "Привет" and "привет" the same on both.
//! - `relay_backlog.text`: the text of a message waiting in the backlog, so that it reaches
//!   `relay_messages` when the message is finally copied.
//!
//! On PostgreSQL a trigram index (`pg_trgm`) serves `search_text LIKE '%…%'`. Creating the
//! extension needs a privilege the database role may lack; then the migration goes on without
//! the index and the search reads the rows newest first instead.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RelayMessages {
    Table,
    Text,
    SearchText,
}

#[derive(DeriveIden)]
enum RelayBacklog {
    Table,
    Text,
}

/// Creates `pg_trgm` when the role may (a failure is caught in a subtransaction, so the
/// migration's own transaction goes on), then the index when the extension is there, with
/// the operator class named in whichever schema holds it.
const POSTGRES_TRIGRAMS: &str = r#"
DO $$
DECLARE
    ext_schema text;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%); relayed messages are searched without an index', SQLERRM;
    END;
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NOT NULL THEN
        EXECUTE format(
            'CREATE INDEX IF NOT EXISTS idx_relay_messages_search_text ON relay_messages '
            'USING gin (search_text %I.gin_trgm_ops) '
            'WHERE direction = ''in'' AND search_text IS NOT NULL',
            ext_schema);
    END IF;
END
$$;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(RelayMessages::Table)
                    .add_column(text_null(RelayMessages::Text))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RelayMessages::Table)
                    .add_column(text_null(RelayMessages::SearchText))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RelayBacklog::Table)
                    .add_column(text_null(RelayBacklog::Text))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(POSTGRES_TRIGRAMS)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            // The extension stays: other database objects may use it.
            manager
                .get_connection()
                .execute_unprepared("DROP INDEX IF EXISTS idx_relay_messages_search_text")
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(RelayBacklog::Table)
                    .drop_column(RelayBacklog::Text)
                    .to_owned(),
            )
            .await?;
        for column in [RelayMessages::SearchText, RelayMessages::Text] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RelayMessages::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
