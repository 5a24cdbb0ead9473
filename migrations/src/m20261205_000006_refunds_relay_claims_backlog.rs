//! Partial refunds, relay claims and the relay backlog.
//!
//! - `orders.refunded_minor`: how much of the order Stripe has refunded so far (its
//!   `amount_refunded` is cumulative), so each later refund takes back only the difference;
//!   `orders.status` grows to hold `partially_refunded` (SQLite does not enforce the length).
//! - `relay_claims`: one row per user message that a recovery path is about to copy into the
//!   admin group. The start-up recovery and a redelivered update both insert it first; only
//!   the one whose insert lands copies the message. `state` is `copying`, or `uncertain` when
//!   Telegram never answered the copy (it may have happened; it is not sent again).
//! - `relay_backlog`: charged messages waiting for their turn to be copied into the admin group
//!   (its sending limit, a 429, a Telegram outage). Rows, so that a restart loses none; one
//!   row per user message; deleted once the copy is recorded.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    RefundedMinor,
}

#[derive(DeriveIden)]
enum RelayClaims {
    Table,
    UserId,
    MessageId,
    Owner,
    State,
    ClaimedAt,
}

#[derive(DeriveIden)]
enum RelayBacklog {
    Table,
    Id,
    UserId,
    MessageId,
    AdminChatId,
    Cost,
    ReplyTo,
    EnqueuedAt,
    Attempts,
    NotBefore,
    LockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(big_integer(Orders::RefundedMinor).default(0))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE orders ALTER COLUMN status TYPE VARCHAR(32)")
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RelayClaims::Table)
                    .if_not_exists()
                    .col(big_integer(RelayClaims::UserId))
                    .col(integer(RelayClaims::MessageId))
                    .col(string_len(RelayClaims::Owner, 64))
                    .col(string_len(RelayClaims::State, 16).default("copying"))
                    .col(timestamp_with_time_zone(RelayClaims::ClaimedAt))
                    .primary_key(
                        Index::create()
                            .col(RelayClaims::UserId)
                            .col(RelayClaims::MessageId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RelayBacklog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RelayBacklog::Id))
                    .col(big_integer(RelayBacklog::UserId))
                    .col(integer(RelayBacklog::MessageId))
                    .col(big_integer(RelayBacklog::AdminChatId))
                    .col(big_integer(RelayBacklog::Cost))
                    .col(integer_null(RelayBacklog::ReplyTo))
                    .col(timestamp_with_time_zone(RelayBacklog::EnqueuedAt))
                    .col(integer(RelayBacklog::Attempts).default(0))
                    .col(timestamp_with_time_zone(RelayBacklog::NotBefore))
                    .col(timestamp_with_time_zone_null(RelayBacklog::LockedUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_relay_backlog_message")
                    .table(RelayBacklog::Table)
                    .col(RelayBacklog::UserId)
                    .col(RelayBacklog::MessageId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_relay_backlog_group")
                    .table(RelayBacklog::Table)
                    .col(RelayBacklog::AdminChatId)
                    .col(RelayBacklog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RelayBacklog::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RelayClaims::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::RefundedMinor)
                    .to_owned(),
            )
            .await
    }
}
