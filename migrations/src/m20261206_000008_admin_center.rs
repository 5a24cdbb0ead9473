//! The admin control center.
//!
//! - `admin_panels`: one row per control-center message. The buttons of its current screen are
//!   stored here (`actions`, JSON) under a random `nonce`; a button's callback data names only
//!   the panel, the nonce and the button's index, so a forged, stale or replayed press finds
//!   nothing. `pending` (JSON) is the multi-step input the panel waits for, from `waiting_for`.
//! - `admin_audit`: every admin action: who, what, on whom, before → after, when.
//! - `quick_replies`: answer templates the team sends to a user from their topic (`/qr`).
//! - `admin_notes`: notes the team keeps on a user (`/note`), shown on the user card only.
//! - `conversation_states`: the team's marks on a conversation: closed (until the user writes
//!   again) and priority.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminPanels {
    Table,
    Id,
    ChatId,
    MessageId,
    OpenedBy,
    Nonce,
    Actions,
    Pending,
    WaitingFor,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AdminAudit {
    Table,
    Id,
    AdminId,
    Action,
    TargetUser,
    Before,
    After,
    CreatedAt,
}

#[derive(DeriveIden)]
enum QuickReplies {
    Table,
    Id,
    Title,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AdminNotes {
    Table,
    Id,
    UserId,
    AdminId,
    Text,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConversationStates {
    Table,
    UserId,
    ClosedAt,
    Priority,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdminPanels::Table)
                    .if_not_exists()
                    .col(pk_auto(AdminPanels::Id).big_integer())
                    .col(big_integer(AdminPanels::ChatId))
                    .col(integer_null(AdminPanels::MessageId))
                    .col(big_integer(AdminPanels::OpenedBy))
                    .col(string_len(AdminPanels::Nonce, 16))
                    .col(text(AdminPanels::Actions))
                    .col(text_null(AdminPanels::Pending))
                    .col(big_integer_null(AdminPanels::WaitingFor))
                    .col(timestamp_with_time_zone(AdminPanels::CreatedAt))
                    .col(timestamp_with_time_zone(AdminPanels::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_admin_panels_waiting")
                    .table(AdminPanels::Table)
                    .col(AdminPanels::ChatId)
                    .col(AdminPanels::WaitingFor)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminAudit::Table)
                    .if_not_exists()
                    .col(pk_auto(AdminAudit::Id).big_integer())
                    .col(big_integer(AdminAudit::AdminId))
                    .col(string_len(AdminAudit::Action, 64))
                    .col(big_integer_null(AdminAudit::TargetUser))
                    .col(text_null(AdminAudit::Before))
                    .col(text_null(AdminAudit::After))
                    .col(timestamp_with_time_zone(AdminAudit::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuickReplies::Table)
                    .if_not_exists()
                    .col(pk_auto(QuickReplies::Id).big_integer())
                    .col(string_len(QuickReplies::Title, 64))
                    .col(text(QuickReplies::Body))
                    .col(timestamp_with_time_zone(QuickReplies::CreatedAt))
                    .col(timestamp_with_time_zone(QuickReplies::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminNotes::Table)
                    .if_not_exists()
                    .col(pk_auto(AdminNotes::Id).big_integer())
                    .col(big_integer(AdminNotes::UserId))
                    .col(big_integer(AdminNotes::AdminId))
                    .col(text(AdminNotes::Text))
                    .col(timestamp_with_time_zone(AdminNotes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_admin_notes_user")
                    .table(AdminNotes::Table)
                    .col(AdminNotes::UserId)
                    .col(AdminNotes::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversationStates::Table)
                    .if_not_exists()
                    .col(big_integer(ConversationStates::UserId).primary_key())
                    .col(timestamp_with_time_zone_null(ConversationStates::ClosedAt))
                    .col(boolean(ConversationStates::Priority).default(false))
                    .col(timestamp_with_time_zone(ConversationStates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_admin_audit_admin", AdminAudit::AdminId),
            ("idx_admin_audit_target", AdminAudit::TargetUser),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AdminAudit::Table)
                        .col(col)
                        .col(AdminAudit::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConversationStates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AdminNotes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(QuickReplies::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AdminAudit::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AdminPanels::Table).to_owned())
            .await
    }
}
