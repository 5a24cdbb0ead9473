//! Credits (an append-only ledger with a cached balance), tiers, time passes, and the support
//! relay (one forum topic per user, and the message mapping both ways).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Credits,
    TierId,
    BannedNoticeSent,
}

#[derive(DeriveIden)]
enum Tiers {
    Table,
    Id,
    Name,
    MessageCost,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CreditLedger {
    Table,
    Id,
    UserId,
    Amount,
    BalanceAfter,
    Reason,
    Reference,
    IdempotencyKey,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TimePasses {
    Table,
    Id,
    UserId,
    Kind,
    StartsAt,
    EndsAt,
    Source,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SupportTopics {
    Table,
    UserId,
    ChatId,
    ThreadId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RelayMessages {
    Table,
    Id,
    UserId,
    UserMessageId,
    AdminChatId,
    AdminMessageId,
    Direction,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(big_integer(Users::Credits).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(big_integer_null(Users::TierId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::BannedNoticeSent).default(false))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tiers::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Tiers::Id))
                    .col(string_len_uniq(Tiers::Name, 64))
                    .col(big_integer(Tiers::MessageCost))
                    .col(text(Tiers::Description))
                    .col(timestamp_with_time_zone(Tiers::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CreditLedger::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CreditLedger::Id))
                    .col(big_integer(CreditLedger::UserId))
                    .col(big_integer(CreditLedger::Amount))
                    .col(big_integer(CreditLedger::BalanceAfter))
                    .col(string_len(CreditLedger::Reason, 32))
                    .col(string_len_null(CreditLedger::Reference, 255))
                    .col(string_len_null(CreditLedger::IdempotencyKey, 255))
                    .col(string_len(CreditLedger::Actor, 64))
                    .col(timestamp_with_time_zone(CreditLedger::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // History pages read a user's newest entries first.
        manager
            .create_index(
                Index::create()
                    .name("idx_credit_ledger_user_id_id")
                    .table(CreditLedger::Table)
                    .col(CreditLedger::UserId)
                    .col(CreditLedger::Id)
                    .to_owned(),
            )
            .await?;
        // Applied once: a retried grant or debit with the same key changes nothing.
        manager
            .create_index(
                Index::create()
                    .name("ux_credit_ledger_idempotency_key")
                    .table(CreditLedger::Table)
                    .col(CreditLedger::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TimePasses::Table)
                    .if_not_exists()
                    .col(big_pk_auto(TimePasses::Id))
                    .col(big_integer(TimePasses::UserId))
                    .col(string_len(TimePasses::Kind, 16))
                    .col(timestamp_with_time_zone(TimePasses::StartsAt))
                    .col(timestamp_with_time_zone(TimePasses::EndsAt))
                    .col(string_len(TimePasses::Source, 32))
                    .col(timestamp_with_time_zone(TimePasses::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_time_passes_user_id_ends_at")
                    .table(TimePasses::Table)
                    .col(TimePasses::UserId)
                    .col(TimePasses::EndsAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SupportTopics::Table)
                    .if_not_exists()
                    .col(big_integer(SupportTopics::UserId).primary_key())
                    .col(big_integer(SupportTopics::ChatId))
                    .col(integer(SupportTopics::ThreadId))
                    .col(timestamp_with_time_zone(SupportTopics::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Admin answers find their user by the topic they were written in.
        manager
            .create_index(
                Index::create()
                    .name("ux_support_topics_chat_thread")
                    .table(SupportTopics::Table)
                    .col(SupportTopics::ChatId)
                    .col(SupportTopics::ThreadId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RelayMessages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RelayMessages::Id))
                    .col(big_integer(RelayMessages::UserId))
                    .col(integer(RelayMessages::UserMessageId))
                    .col(big_integer(RelayMessages::AdminChatId))
                    .col(integer(RelayMessages::AdminMessageId))
                    .col(string_len(RelayMessages::Direction, 8))
                    .col(timestamp_with_time_zone(RelayMessages::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_relay_messages_admin")
                    .table(RelayMessages::Table)
                    .col(RelayMessages::AdminChatId)
                    .col(RelayMessages::AdminMessageId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_relay_messages_user")
                    .table(RelayMessages::Table)
                    .col(RelayMessages::UserId)
                    .col(RelayMessages::UserMessageId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RelayMessages::Table.into_iden(),
            SupportTopics::Table.into_iden(),
            TimePasses::Table.into_iden(),
            CreditLedger::Table.into_iden(),
            Tiers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for column in [
            Users::BannedNoticeSent.into_iden(),
            Users::TierId.into_iden(),
            Users::Credits.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
