//! Drip campaigns: timed sequences of messages a seller sends their contacts.
//!
//! - `drip_campaigns`: per seller and mode, a name, what enrols a contact (`trigger`, with
//!   `trigger_tag` for `tag_added`), the goal that ends an enrolment early (`goal`) and
//!   whether it runs (`status`: `active` or `paused`).
//! - `drip_steps`: a campaign's messages in order (`position` unique per campaign), each due
//!   `delay_secs` after the one before (after the enrolment for the first), with its text
//!   (or caption with `media_file_id`), optional URL buttons (a JSON array) and an optional
//!   condition (`paid`, `not_paid` or `tag:<tag>`).
//! - `drip_enrollments`: one per campaign and contact (unique: enrolling twice is one
//!   enrolment), with the position of the next step and when it falls due. The runner claims
//!   due rows by a conditional update (`claimed_by`, `claimed_until`); `status` is `active`,
//!   `completed`, `exited` (with `exit_reason`) or `goal_met`.
//! - `drip_sends`: one per enrolment and step (unique: the exactly-once guard), written before
//!   the step goes to Telegram; `outcome` says how it went, `clicked_at` and `converted_at`
//!   feed the per-step metrics.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DripCampaigns {
    Table,
    Id,
    SellerId,
    Livemode,
    Name,
    Trigger,
    TriggerTag,
    Goal,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DripSteps {
    Table,
    Id,
    CampaignId,
    Position,
    DelaySecs,
    Text,
    MediaKind,
    MediaFileId,
    Buttons,
    Condition,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DripEnrollments {
    Table,
    Id,
    CampaignId,
    SellerId,
    Livemode,
    ContactId,
    UserId,
    NextPosition,
    NextRunAt,
    Status,
    ExitReason,
    ClaimedBy,
    ClaimedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DripSends {
    Table,
    Id,
    EnrollmentId,
    StepId,
    CampaignId,
    UserId,
    Outcome,
    SentAt,
    ClickedAt,
    ConvertedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DripCampaigns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(DripCampaigns::Id))
                    .col(big_integer(DripCampaigns::SellerId))
                    .col(boolean(DripCampaigns::Livemode))
                    .col(string_len(DripCampaigns::Name, 64))
                    .col(string_len(DripCampaigns::Trigger, 16))
                    .col(string_len_null(DripCampaigns::TriggerTag, 32))
                    .col(string_len(DripCampaigns::Goal, 16))
                    .col(string_len(DripCampaigns::Status, 16))
                    .col(timestamp_with_time_zone(DripCampaigns::CreatedAt))
                    .col(timestamp_with_time_zone(DripCampaigns::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drip_campaigns_tenant")
                    .table(DripCampaigns::Table)
                    .col(DripCampaigns::SellerId)
                    .col(DripCampaigns::Livemode)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DripSteps::Table)
                    .if_not_exists()
                    .col(big_pk_auto(DripSteps::Id))
                    .col(big_integer(DripSteps::CampaignId))
                    .col(integer(DripSteps::Position))
                    .col(big_integer(DripSteps::DelaySecs))
                    .col(text(DripSteps::Text))
                    .col(string_len_null(DripSteps::MediaKind, 16))
                    .col(text_null(DripSteps::MediaFileId))
                    .col(text_null(DripSteps::Buttons))
                    .col(string_len_null(DripSteps::Condition, 40))
                    .col(timestamp_with_time_zone(DripSteps::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drip_steps_position")
                    .table(DripSteps::Table)
                    .col(DripSteps::CampaignId)
                    .col(DripSteps::Position)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DripEnrollments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(DripEnrollments::Id))
                    .col(big_integer(DripEnrollments::CampaignId))
                    .col(big_integer(DripEnrollments::SellerId))
                    .col(boolean(DripEnrollments::Livemode))
                    .col(big_integer(DripEnrollments::ContactId))
                    .col(big_integer(DripEnrollments::UserId))
                    .col(integer(DripEnrollments::NextPosition))
                    .col(timestamp_with_time_zone_null(DripEnrollments::NextRunAt))
                    .col(string_len(DripEnrollments::Status, 16))
                    .col(string_len_null(DripEnrollments::ExitReason, 32))
                    .col(string_len_null(DripEnrollments::ClaimedBy, 64))
                    .col(timestamp_with_time_zone_null(DripEnrollments::ClaimedUntil))
                    .col(timestamp_with_time_zone(DripEnrollments::CreatedAt))
                    .col(timestamp_with_time_zone(DripEnrollments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drip_enrollments_contact")
                    .table(DripEnrollments::Table)
                    .col(DripEnrollments::CampaignId)
                    .col(DripEnrollments::ContactId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drip_enrollments_due")
                    .table(DripEnrollments::Table)
                    .col(DripEnrollments::Status)
                    .col(DripEnrollments::NextRunAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drip_enrollments_user")
                    .table(DripEnrollments::Table)
                    .col(DripEnrollments::SellerId)
                    .col(DripEnrollments::UserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DripSends::Table)
                    .if_not_exists()
                    .col(big_pk_auto(DripSends::Id))
                    .col(big_integer(DripSends::EnrollmentId))
                    .col(big_integer(DripSends::StepId))
                    .col(big_integer(DripSends::CampaignId))
                    .col(big_integer(DripSends::UserId))
                    .col(string_len(DripSends::Outcome, 16))
                    .col(timestamp_with_time_zone(DripSends::SentAt))
                    .col(timestamp_with_time_zone_null(DripSends::ClickedAt))
                    .col(timestamp_with_time_zone_null(DripSends::ConvertedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drip_sends_once")
                    .table(DripSends::Table)
                    .col(DripSends::EnrollmentId)
                    .col(DripSends::StepId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drip_sends_step")
                    .table(DripSends::Table)
                    .col(DripSends::StepId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DripSends::Table.into_iden(),
            DripEnrollments::Table.into_iden(),
            DripSteps::Table.into_iden(),
            DripCampaigns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
