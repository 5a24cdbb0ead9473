//! Messaging: sellers' contacts, the users' `/stop` per seller, one-time codes over Telegram
//! and per-day usage counters.
//!
//! - `contacts`: a Telegram user a seller may message, per seller and mode (`seller_id`,
//!   `livemode`, `user_id` unique). Recorded when the user opens one of the seller's links, or
//!   added through the API (pending until the user has started the bot). `tags` is a JSON array
//!   of strings, `attributes` a JSON object, both bounded by the service that writes them.
//! - `contact_stops`: the users who stopped a seller's messages (`/stop`), one row per seller
//!   and user whatever the mode; only the user removes it.
//! - `otp_codes`: a one-time code sent for a seller. Only an HMAC-SHA256 of the code under a
//!   per-code salt is kept. `attempts` is raised by a conditional update that cannot pass
//!   `max_attempts`, so concurrent verifications cannot try more codes than allowed. Indexed by
//!   seller, mode, user and time (cooldown and per-user limits) and by key and time (per-key
//!   limit).
//! - `usage_daily`: per seller, mode and UTC day, counters raised by upserts.
//! - `seller_limits`: a seller's own daily limit of one metric, where it differs from the
//!   default.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    SellerId,
    Livemode,
    UserId,
    Source,
    Tags,
    Attributes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContactStops {
    Table,
    SellerId,
    UserId,
    StoppedAt,
}

#[derive(DeriveIden)]
enum OtpCodes {
    Table,
    Id,
    SellerId,
    Livemode,
    ContactId,
    UserId,
    KeyId,
    Purpose,
    CodeHash,
    Salt,
    Attempts,
    MaxAttempts,
    ExpiresAt,
    MessageId,
    VerifiedAt,
    ReportedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UsageDaily {
    Table,
    SellerId,
    Livemode,
    Day,
    ApiCalls,
    MessagesSent,
    Otps,
    Invoices,
    DripMessages,
}

#[derive(DeriveIden)]
enum SellerLimits {
    Table,
    SellerId,
    Metric,
    PerDay,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Contacts::Id))
                    .col(big_integer(Contacts::SellerId))
                    .col(boolean(Contacts::Livemode))
                    .col(big_integer(Contacts::UserId))
                    .col(string_len(Contacts::Source, 16))
                    .col(text(Contacts::Tags))
                    .col(text(Contacts::Attributes))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contacts_tenant_user")
                    .table(Contacts::Table)
                    .col(Contacts::SellerId)
                    .col(Contacts::Livemode)
                    .col(Contacts::UserId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contacts_user")
                    .table(Contacts::Table)
                    .col(Contacts::UserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactStops::Table)
                    .if_not_exists()
                    .col(big_integer(ContactStops::SellerId))
                    .col(big_integer(ContactStops::UserId))
                    .col(timestamp_with_time_zone(ContactStops::StoppedAt))
                    .primary_key(
                        Index::create()
                            .col(ContactStops::SellerId)
                            .col(ContactStops::UserId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OtpCodes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OtpCodes::Id))
                    .col(big_integer(OtpCodes::SellerId))
                    .col(boolean(OtpCodes::Livemode))
                    .col(big_integer(OtpCodes::ContactId))
                    .col(big_integer(OtpCodes::UserId))
                    .col(big_integer(OtpCodes::KeyId))
                    .col(string_len(OtpCodes::Purpose, 16))
                    .col(string_len(OtpCodes::CodeHash, 64))
                    .col(string_len(OtpCodes::Salt, 32))
                    .col(integer(OtpCodes::Attempts))
                    .col(integer(OtpCodes::MaxAttempts))
                    .col(timestamp_with_time_zone(OtpCodes::ExpiresAt))
                    .col(integer_null(OtpCodes::MessageId))
                    .col(timestamp_with_time_zone_null(OtpCodes::VerifiedAt))
                    .col(timestamp_with_time_zone_null(OtpCodes::ReportedAt))
                    .col(timestamp_with_time_zone(OtpCodes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_otp_codes_recipient")
                    .table(OtpCodes::Table)
                    .col(OtpCodes::SellerId)
                    .col(OtpCodes::UserId)
                    .col(OtpCodes::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_otp_codes_key")
                    .table(OtpCodes::Table)
                    .col(OtpCodes::KeyId)
                    .col(OtpCodes::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageDaily::Table)
                    .if_not_exists()
                    .col(big_integer(UsageDaily::SellerId))
                    .col(boolean(UsageDaily::Livemode))
                    .col(string_len(UsageDaily::Day, 10))
                    .col(big_integer(UsageDaily::ApiCalls).default(0))
                    .col(big_integer(UsageDaily::MessagesSent).default(0))
                    .col(big_integer(UsageDaily::Otps).default(0))
                    .col(big_integer(UsageDaily::Invoices).default(0))
                    .col(big_integer(UsageDaily::DripMessages).default(0))
                    .primary_key(
                        Index::create()
                            .col(UsageDaily::SellerId)
                            .col(UsageDaily::Livemode)
                            .col(UsageDaily::Day),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SellerLimits::Table)
                    .if_not_exists()
                    .col(big_integer(SellerLimits::SellerId))
                    .col(string_len(SellerLimits::Metric, 32))
                    .col(big_integer(SellerLimits::PerDay))
                    .primary_key(
                        Index::create()
                            .col(SellerLimits::SellerId)
                            .col(SellerLimits::Metric),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SellerLimits::Table.into_iden(),
            UsageDaily::Table.into_iden(),
            OtpCodes::Table.into_iden(),
            ContactStops::Table.into_iden(),
            Contacts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
