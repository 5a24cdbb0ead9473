//! Sellers' extra invite links: named links a seller makes for a service (a promotion, a
//! partner) beside the buyers' single-use ones.
//!
//! - `seller_links`: one row per link, with its seller and service, its `name` (Telegram's
//!   limit: 32 characters), the `invite_link` itself (unique: join tracking looks a joiner's
//!   link up by it), whether it `creates_join_request` (as the service admitted when it was
//!   made), how many people joined through it (`joins`, counted from `chat_member` updates),
//!   who made it, and when it was revoked (NULL while it works). `(seller_id, id)` lists a
//!   seller's links newest first.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SellerLinks {
    Table,
    Id,
    SellerId,
    ServiceId,
    Name,
    InviteLink,
    CreatesJoinRequest,
    Joins,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SellerLinks::Table)
                    .if_not_exists()
                    .col(pk_auto(SellerLinks::Id).big_integer())
                    .col(big_integer(SellerLinks::SellerId))
                    .col(big_integer(SellerLinks::ServiceId))
                    .col(string_len(SellerLinks::Name, 32))
                    .col(string_len_uniq(SellerLinks::InviteLink, 128))
                    .col(boolean(SellerLinks::CreatesJoinRequest).default(false))
                    .col(big_integer(SellerLinks::Joins).default(0))
                    .col(big_integer(SellerLinks::CreatedBy))
                    .col(timestamp_with_time_zone(SellerLinks::CreatedAt))
                    .col(timestamp_with_time_zone_null(SellerLinks::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_seller_links_seller")
                    .table(SellerLinks::Table)
                    .col(SellerLinks::SellerId)
                    .col(SellerLinks::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SellerLinks::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
