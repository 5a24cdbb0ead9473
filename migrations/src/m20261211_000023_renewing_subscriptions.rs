//! Renewing subscriptions for sellers' plans.
//!
//! - `seller_plans.renewing`: the plan sells a subscription that Stripe charges every period
//!   (the plan's period, its card price) rather than one period at a time.
//! - `sellers.retention_percent`: the one-time discount on the next period offered to a buyer
//!   who cancels (none: no offer).
//! - `subscriptions`: one row per subscription at a payment provider (`provider`,
//!   `external_id` unique), with its seller, mode, service, plan and buyer, the state the
//!   provider last reported (`status`, `cancel_at_period_end`, `current_period_end`), where an
//!   unpaid invoice is paid (`pay_url`), and whether the retention offer was used.
//! - `subscription_history`: one row per state change, unique on `dedupe_key` (derived from
//!   what caused it: the invoice, the change and the moment it took effect), so a retried or
//!   duplicated event records nothing twice.
//! - `access_orders.subscription_id` / `stripe_invoice_id`: each paid invoice is one order
//!   (the revenue record); the invoice id is unique, so an invoice pays once.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SellerPlans {
    Table,
    Renewing,
}

#[derive(DeriveIden)]
enum Sellers {
    Table,
    RetentionPercent,
}

#[derive(DeriveIden)]
enum AccessOrders {
    Table,
    SubscriptionId,
    StripeInvoiceId,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    SellerId,
    Livemode,
    ServiceId,
    PlanId,
    UserId,
    Provider,
    ExternalId,
    PaidTo,
    Status,
    CancelAtPeriodEnd,
    CurrentPeriodEnd,
    PayUrl,
    RetentionUsed,
    CreatedAt,
    UpdatedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum SubscriptionHistory {
    Table,
    Id,
    SubscriptionId,
    SellerId,
    Kind,
    Detail,
    DedupeKey,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SellerPlans::Table)
                    .add_column(boolean(SellerPlans::Renewing).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sellers::Table)
                    .add_column(integer_null(Sellers::RetentionPercent))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccessOrders::Table)
                    .add_column(big_integer_null(AccessOrders::SubscriptionId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccessOrders::Table)
                    .add_column(text_null(AccessOrders::StripeInvoiceId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_orders_invoice")
                    .table(AccessOrders::Table)
                    .col(AccessOrders::StripeInvoiceId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Subscriptions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Subscriptions::Id))
                    .col(big_integer(Subscriptions::SellerId))
                    .col(boolean(Subscriptions::Livemode))
                    .col(big_integer(Subscriptions::ServiceId))
                    .col(big_integer(Subscriptions::PlanId))
                    .col(big_integer(Subscriptions::UserId))
                    .col(text(Subscriptions::Provider))
                    .col(text(Subscriptions::ExternalId))
                    .col(text(Subscriptions::PaidTo))
                    .col(text(Subscriptions::Status))
                    .col(boolean(Subscriptions::CancelAtPeriodEnd).default(false))
                    .col(timestamp_with_time_zone_null(
                        Subscriptions::CurrentPeriodEnd,
                    ))
                    .col(text_null(Subscriptions::PayUrl))
                    .col(boolean(Subscriptions::RetentionUsed).default(false))
                    .col(timestamp_with_time_zone(Subscriptions::CreatedAt))
                    .col(timestamp_with_time_zone(Subscriptions::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Subscriptions::EndedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_external")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::Provider)
                    .col(Subscriptions::ExternalId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_buyer")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::UserId)
                    .col(Subscriptions::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscriptions_seller")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::SellerId)
                    .col(Subscriptions::Livemode)
                    .col(Subscriptions::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SubscriptionHistory::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SubscriptionHistory::Id))
                    .col(big_integer(SubscriptionHistory::SubscriptionId))
                    .col(big_integer(SubscriptionHistory::SellerId))
                    .col(text(SubscriptionHistory::Kind))
                    .col(text(SubscriptionHistory::Detail))
                    .col(text(SubscriptionHistory::DedupeKey).unique_key())
                    .col(timestamp_with_time_zone(SubscriptionHistory::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_subscription_history_sub")
                    .table(SubscriptionHistory::Table)
                    .col(SubscriptionHistory::SubscriptionId)
                    .col(SubscriptionHistory::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SubscriptionHistory::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Subscriptions::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_access_orders_invoice")
                    .table(AccessOrders::Table)
                    .to_owned(),
            )
            .await?;
        for col in [AccessOrders::StripeInvoiceId, AccessOrders::SubscriptionId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessOrders::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Sellers::Table)
                    .drop_column(Sellers::RetentionPercent)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SellerPlans::Table)
                    .drop_column(SellerPlans::Renewing)
                    .to_owned(),
            )
            .await
    }
}
