//! Campaigns: one message sent to many chats (a broadcast), optionally with a gift.
//!
//! - `campaigns`: what goes out (`message`, JSON), to whom (`audience`, JSON), the gift
//!   (credits or a pass, with a note), its state (`scheduled`, `running`, `paused`,
//!   `cancelled`, `done`) and exact counters, kept in the same transaction as each
//!   delivery's outcome; optionally the chat and message a UI edits to show progress.
//! - `campaign_deliveries`: one row per recipient (UNIQUE per campaign), materialised once at
//!   creation. A worker claims due `queued` rows with a lease, marks a row `sending` (naming
//!   itself) before the send and `sent`, `failed`, `unreachable` or `uncertain` after it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Kind,
    Status,
    Message,
    GiftCredits,
    GiftPass,
    GiftNote,
    Audience,
    CreatedBy,
    CreatedAt,
    RunAt,
    StartedAt,
    FinishedAt,
    Total,
    Sent,
    Failed,
    Unreachable,
    Uncertain,
    ProgressChatId,
    ProgressMessageId,
}

#[derive(DeriveIden)]
enum CampaignDeliveries {
    Table,
    Id,
    CampaignId,
    UserId,
    Status,
    Attempts,
    NextAt,
    LockedUntil,
    LockedBy,
    Error,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Campaigns::Id))
                    .col(string_len(Campaigns::Kind, 16))
                    .col(string_len(Campaigns::Status, 16))
                    .col(text(Campaigns::Message))
                    .col(big_integer_null(Campaigns::GiftCredits))
                    .col(string_len_null(Campaigns::GiftPass, 16))
                    .col(text_null(Campaigns::GiftNote))
                    .col(text(Campaigns::Audience))
                    .col(big_integer(Campaigns::CreatedBy))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .col(timestamp_with_time_zone(Campaigns::RunAt))
                    .col(timestamp_with_time_zone_null(Campaigns::StartedAt))
                    .col(timestamp_with_time_zone_null(Campaigns::FinishedAt))
                    .col(big_integer(Campaigns::Total).default(0))
                    .col(big_integer(Campaigns::Sent).default(0))
                    .col(big_integer(Campaigns::Failed).default(0))
                    .col(big_integer(Campaigns::Unreachable).default(0))
                    .col(big_integer(Campaigns::Uncertain).default(0))
                    .col(big_integer_null(Campaigns::ProgressChatId))
                    .col(integer_null(Campaigns::ProgressMessageId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_campaigns_status_run_at")
                    .table(Campaigns::Table)
                    .col(Campaigns::Status)
                    .col(Campaigns::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignDeliveries::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CampaignDeliveries::Id))
                    .col(big_integer(CampaignDeliveries::CampaignId))
                    .col(big_integer(CampaignDeliveries::UserId))
                    .col(string_len(CampaignDeliveries::Status, 16).default("queued"))
                    .col(integer(CampaignDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(CampaignDeliveries::NextAt))
                    .col(timestamp_with_time_zone_null(
                        CampaignDeliveries::LockedUntil,
                    ))
                    .col(string_len_null(CampaignDeliveries::LockedBy, 64))
                    .col(text_null(CampaignDeliveries::Error))
                    .col(timestamp_with_time_zone_null(CampaignDeliveries::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_deliveries_campaign")
                            .from(CampaignDeliveries::Table, CampaignDeliveries::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_campaign_deliveries_recipient")
                    .table(CampaignDeliveries::Table)
                    .col(CampaignDeliveries::CampaignId)
                    .col(CampaignDeliveries::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Claiming: due queued rows, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_campaign_deliveries_claim")
                    .table(CampaignDeliveries::Table)
                    .col(CampaignDeliveries::Status)
                    .col(CampaignDeliveries::NextAt)
                    .col(CampaignDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        // Progress: counts by status within a campaign.
        manager
            .create_index(
                Index::create()
                    .name("idx_campaign_deliveries_campaign_status")
                    .table(CampaignDeliveries::Table)
                    .col(CampaignDeliveries::CampaignId)
                    .col(CampaignDeliveries::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CampaignDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Campaigns::Table).to_owned())
            .await
    }
}
