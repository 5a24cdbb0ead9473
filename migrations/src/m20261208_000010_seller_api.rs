//! The sellers' REST API.
//!
//! - `seller_services.livemode`: a service made through a test key is test data (`false`) and is
//!   seen only through test keys; everything below a service (plans, memberships, payments)
//!   inherits its mode. Services connected in the bot are live.
//! - `api_keys`: a seller's secret keys. Only the SHA-256 of a key is kept (`key_hash`,
//!   unique), with a visible `prefix` to recognise it; `mode` is `live` or `test`; a key may
//!   expire and is revoked by setting `revoked_at`. `rate_limit` is requests per hour.
//! - `api_idempotency`: the first response to each `Idempotency-Key` of a key, with a hash of
//!   the request it answered; `status` 0 while that request is still running.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SellerServices {
    Table,
    Livemode,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    SellerId,
    Name,
    Mode,
    Prefix,
    KeyHash,
    CreatedBy,
    RateLimit,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum ApiIdempotency {
    Table,
    Id,
    ApiKeyId,
    IdemKey,
    RequestHash,
    Status,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SellerServices::Table)
                    .add_column(boolean(SellerServices::Livemode).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(pk_auto(ApiKeys::Id).big_integer())
                    .col(big_integer(ApiKeys::SellerId))
                    .col(string_len(ApiKeys::Name, 64))
                    .col(string_len(ApiKeys::Mode, 8))
                    .col(string_len(ApiKeys::Prefix, 24))
                    .col(string_len_uniq(ApiKeys::KeyHash, 64))
                    .col(big_integer(ApiKeys::CreatedBy))
                    .col(integer(ApiKeys::RateLimit).default(1000))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_seller")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::SellerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiIdempotency::Table)
                    .if_not_exists()
                    .col(pk_auto(ApiIdempotency::Id).big_integer())
                    .col(big_integer(ApiIdempotency::ApiKeyId))
                    .col(string_len(ApiIdempotency::IdemKey, 255))
                    .col(string_len(ApiIdempotency::RequestHash, 64))
                    .col(integer(ApiIdempotency::Status).default(0))
                    .col(text(ApiIdempotency::Body))
                    .col(timestamp_with_time_zone(ApiIdempotency::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_idempotency_key")
                    .table(ApiIdempotency::Table)
                    .col(ApiIdempotency::ApiKeyId)
                    .col(ApiIdempotency::IdemKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_idempotency_created")
                    .table(ApiIdempotency::Table)
                    .col(ApiIdempotency::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiIdempotency::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SellerServices::Table)
                    .drop_column(SellerServices::Livemode)
                    .to_owned(),
            )
            .await
    }
}
