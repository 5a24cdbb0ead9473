//! The foundation: users, settings, dialogue state, processed external events
//! (idempotency) and the jobs outbox.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    FirstName,
    LastName,
    Username,
    LanguageCode,
    Locale,
    Status,
    StartPayload,
    CreatedAt,
    LastSeenAt,
    UnreachableAt,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DialogueStates {
    Table,
    ChatId,
    State,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProcessedEvents {
    Table,
    Id,
    Source,
    ExternalId,
    Kind,
    Status,
    ReceivedAt,
    ProcessedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    Status,
    DedupeKey,
    RunAt,
    Attempts,
    MaxAttempts,
    LastError,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    // Telegram user ids fit in 52 bits; they are the primary key.
                    .col(big_integer(Users::Id).primary_key())
                    .col(string(Users::FirstName))
                    .col(string_null(Users::LastName))
                    .col(string_null(Users::Username))
                    .col(string_null(Users::LanguageCode))
                    .col(string_null(Users::Locale))
                    .col(string_len(Users::Status, 16).default("active"))
                    .col(string_len_null(Users::StartPayload, 64))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::LastSeenAt))
                    .col(timestamp_with_time_zone_null(Users::UnreachableAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_username")
                    .table(Users::Table)
                    .col(Users::Username)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_status")
                    .table(Users::Table)
                    .col(Users::Status)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .if_not_exists()
                    .col(string_len(Settings::Key, 64).primary_key())
                    .col(text(Settings::Value))
                    .col(timestamp_with_time_zone(Settings::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DialogueStates::Table)
                    .if_not_exists()
                    .col(big_integer(DialogueStates::ChatId).primary_key())
                    .col(text(DialogueStates::State))
                    .col(timestamp_with_time_zone(DialogueStates::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProcessedEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ProcessedEvents::Id))
                    .col(string_len(ProcessedEvents::Source, 32))
                    .col(string_len(ProcessedEvents::ExternalId, 255))
                    .col(string_len(ProcessedEvents::Kind, 128))
                    .col(string_len(ProcessedEvents::Status, 16))
                    .col(timestamp_with_time_zone(ProcessedEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(ProcessedEvents::ProcessedAt))
                    .to_owned(),
            )
            .await?;
        // The idempotency guarantee: one row per external event, enforced by the database.
        manager
            .create_index(
                Index::create()
                    .name("ux_processed_events_source_external_id")
                    .table(ProcessedEvents::Table)
                    .col(ProcessedEvents::Source)
                    .col(ProcessedEvents::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_processed_events_received_at")
                    .table(ProcessedEvents::Table)
                    .col(ProcessedEvents::ReceivedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Jobs::Id))
                    .col(string_len(Jobs::Kind, 64))
                    .col(text(Jobs::Payload))
                    .col(string_len(Jobs::Status, 16))
                    .col(string_len_null(Jobs::DedupeKey, 255))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts).default(5))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Workers look for due jobs by status and time.
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_status_run_at")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_jobs_dedupe_key")
                    .table(Jobs::Table)
                    .col(Jobs::DedupeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Jobs::Table.into_iden(),
            ProcessedEvents::Table.into_iden(),
            DialogueStates::Table.into_iden(),
            Settings::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
