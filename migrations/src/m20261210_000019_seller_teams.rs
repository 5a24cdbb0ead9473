//! Seller teams: the people who work for a seller, with a role each, and one-time invites.
//!
//! - `seller_members`: one row per person and seller; a person works for one seller at most
//!   (`user_id` unique). Roles: `owner`, `admin`, `developer`. The owner of every existing
//!   seller is backfilled from `sellers.user_id`.
//! - `seller_invites`: a one-time invite, kept as the SHA-256 of its token; `used_by` /
//!   `used_at` are set once, by a conditional update, when someone accepts it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sellers {
    Table,
    Id,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SellerMembers {
    Table,
    Id,
    SellerId,
    UserId,
    Role,
    InvitedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SellerInvites {
    Table,
    Id,
    SellerId,
    TokenHash,
    Role,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedBy,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SellerMembers::Table)
                    .col(big_pk_auto(SellerMembers::Id))
                    .col(big_integer(SellerMembers::SellerId))
                    .col(big_integer(SellerMembers::UserId).unique_key())
                    .col(string_len(SellerMembers::Role, 16))
                    .col(big_integer(SellerMembers::InvitedBy))
                    .col(timestamp_with_time_zone(SellerMembers::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SellerMembers::Table, SellerMembers::SellerId)
                            .to(Sellers::Table, Sellers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_seller_members_seller")
                    .table(SellerMembers::Table)
                    .col(SellerMembers::SellerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SellerInvites::Table)
                    .col(big_pk_auto(SellerInvites::Id))
                    .col(big_integer(SellerInvites::SellerId))
                    .col(string_len(SellerInvites::TokenHash, 64).unique_key())
                    .col(string_len(SellerInvites::Role, 16))
                    .col(big_integer(SellerInvites::CreatedBy))
                    .col(timestamp_with_time_zone(SellerInvites::CreatedAt))
                    .col(timestamp_with_time_zone(SellerInvites::ExpiresAt))
                    .col(big_integer_null(SellerInvites::UsedBy))
                    .col(timestamp_with_time_zone_null(SellerInvites::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SellerInvites::Table, SellerInvites::SellerId)
                            .to(Sellers::Table, Sellers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Every seller's owner is the first member of its team.
        let backfill = Query::insert()
            .into_table(SellerMembers::Table)
            .columns([
                SellerMembers::SellerId,
                SellerMembers::UserId,
                SellerMembers::Role,
                SellerMembers::InvitedBy,
                SellerMembers::CreatedAt,
            ])
            .select_from(
                Query::select()
                    .column(Sellers::Id)
                    .column(Sellers::UserId)
                    .expr(Expr::val("owner"))
                    .column(Sellers::UserId)
                    .column(Sellers::CreatedAt)
                    .from(Sellers::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SellerInvites::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SellerMembers::Table).to_owned())
            .await
    }
}
