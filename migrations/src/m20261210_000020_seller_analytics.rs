//! Sellers' analytics: one row per commercial event, and where an order came from.
//!
//! - `seller_events`: a view of a service's card, a checkout started, a payment, a trial
//!   started, a renewal, a churn (an expiry) and a refund, each with its seller, mode, service,
//!   plan, buyer and source (what the buyer's deep link said: `direct`, `promo_<code>`).
//!   `dedupe_key` is unique and derived from what caused the event (the order, the membership
//!   and its end, the buyer and the day of a view), and rows are inserted with
//!   `ON CONFLICT DO NOTHING`, so a retried payment or sweep records nothing twice.
//! - `(seller_id, livemode, created_at)`: a seller's window of events is one range.
//! - `(service_id, user_id, created_at)`: the buyer's latest view, which names an order's source.
//! - `access_orders.source`: the source the order was attributed to when it was made.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SellerEvents {
    Table,
    Id,
    SellerId,
    Livemode,
    ServiceId,
    PlanId,
    UserId,
    Kind,
    Source,
    AmountMinor,
    NetMinor,
    Currency,
    DedupeKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccessOrders {
    Table,
    Source,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SellerEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SellerEvents::Id))
                    .col(big_integer(SellerEvents::SellerId))
                    .col(boolean(SellerEvents::Livemode))
                    .col(big_integer(SellerEvents::ServiceId))
                    .col(big_integer_null(SellerEvents::PlanId))
                    .col(big_integer(SellerEvents::UserId))
                    .col(text(SellerEvents::Kind))
                    .col(text_null(SellerEvents::Source))
                    .col(big_integer_null(SellerEvents::AmountMinor))
                    .col(big_integer_null(SellerEvents::NetMinor))
                    .col(text_null(SellerEvents::Currency))
                    .col(text(SellerEvents::DedupeKey).unique_key())
                    .col(timestamp_with_time_zone(SellerEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_seller_events_window")
                    .table(SellerEvents::Table)
                    .col(SellerEvents::SellerId)
                    .col(SellerEvents::Livemode)
                    .col(SellerEvents::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_seller_events_buyer")
                    .table(SellerEvents::Table)
                    .col(SellerEvents::ServiceId)
                    .col(SellerEvents::UserId)
                    .col(SellerEvents::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccessOrders::Table)
                    .add_column(text_null(AccessOrders::Source))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessOrders::Table)
                    .drop_column(AccessOrders::Source)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(SellerEvents::Table).to_owned())
            .await
    }
}
