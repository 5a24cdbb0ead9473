//! Platform plans: what sellers pay the platform, and what each plan allows.
//!
//! - `platform_plans`: the operator's plans (`code` unique: `free`, `pro`, `enterprise`), each
//!   with its price every `period_days` (0: no charge), its limits (services, active members,
//!   API calls an hour; NULL: no limit) and the platform's fee on the seller's sales. Seeded
//!   with three plans the operator edits in the admin group.
//! - `platform_subscriptions`: one row per Stripe subscription a seller took for a paid plan
//!   (`external_id` unique), with the state Stripe last reported and when Stripe created it
//!   (`started_at`): the seller's plan is the one of their newest subscription that is still
//!   live, else `free`.
//! - `platform_invoices`: one row per paid invoice of those subscriptions (`invoice_id`
//!   unique), the platform's revenue from plans; an invoice is recorded once however often its
//!   event arrives.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlatformPlans {
    Table,
    Id,
    Code,
    Name,
    PriceMinor,
    Currency,
    PeriodDays,
    MaxServices,
    MaxMembers,
    MaxApiCallsPerHour,
    FeePercent,
    Position,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlatformSubscriptions {
    Table,
    Id,
    SellerId,
    PlanCode,
    ExternalId,
    Status,
    CancelAtPeriodEnd,
    CurrentPeriodEnd,
    StartedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlatformInvoices {
    Table,
    Id,
    InvoiceId,
    SellerId,
    SubscriptionId,
    PlanCode,
    AmountMinor,
    Currency,
    PeriodEnd,
    PaidAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlatformPlans::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PlatformPlans::Id))
                    .col(text(PlatformPlans::Code).unique_key())
                    .col(text(PlatformPlans::Name))
                    .col(big_integer(PlatformPlans::PriceMinor))
                    .col(text(PlatformPlans::Currency))
                    .col(integer(PlatformPlans::PeriodDays))
                    .col(big_integer_null(PlatformPlans::MaxServices))
                    .col(big_integer_null(PlatformPlans::MaxMembers))
                    .col(big_integer_null(PlatformPlans::MaxApiCallsPerHour))
                    .col(integer(PlatformPlans::FeePercent))
                    .col(integer(PlatformPlans::Position))
                    .col(timestamp_with_time_zone(PlatformPlans::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let seeds: [(
            &str,
            &str,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i32,
            i32,
        ); 3] = [
            ("free", "Free", 0, Some(3), Some(100), Some(1_000), 10, 0),
            (
                "pro",
                "Pro",
                2_900,
                Some(25),
                Some(5_000),
                Some(20_000),
                5,
                1,
            ),
            ("enterprise", "Enterprise", 19_900, None, None, None, 2, 2),
        ];
        for (code, name, price, services, members, calls, fee, position) in seeds {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(PlatformPlans::Table)
                        .columns([
                            PlatformPlans::Code,
                            PlatformPlans::Name,
                            PlatformPlans::PriceMinor,
                            PlatformPlans::Currency,
                            PlatformPlans::PeriodDays,
                            PlatformPlans::MaxServices,
                            PlatformPlans::MaxMembers,
                            PlatformPlans::MaxApiCallsPerHour,
                            PlatformPlans::FeePercent,
                            PlatformPlans::Position,
                            PlatformPlans::UpdatedAt,
                        ])
                        .values_panic([
                            code.into(),
                            name.into(),
                            price.into(),
                            "usd".into(),
                            30.into(),
                            services.into(),
                            members.into(),
                            calls.into(),
                            fee.into(),
                            position.into(),
                            Expr::current_timestamp(),
                        ])
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(PlatformSubscriptions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PlatformSubscriptions::Id))
                    .col(big_integer(PlatformSubscriptions::SellerId))
                    .col(text(PlatformSubscriptions::PlanCode))
                    .col(text(PlatformSubscriptions::ExternalId).unique_key())
                    .col(text(PlatformSubscriptions::Status))
                    .col(boolean(PlatformSubscriptions::CancelAtPeriodEnd).default(false))
                    .col(timestamp_with_time_zone_null(
                        PlatformSubscriptions::CurrentPeriodEnd,
                    ))
                    .col(timestamp_with_time_zone(PlatformSubscriptions::StartedAt))
                    .col(timestamp_with_time_zone(PlatformSubscriptions::CreatedAt))
                    .col(timestamp_with_time_zone(PlatformSubscriptions::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_platform_subscriptions_seller")
                    .table(PlatformSubscriptions::Table)
                    .col(PlatformSubscriptions::SellerId)
                    .col(PlatformSubscriptions::StartedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlatformInvoices::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PlatformInvoices::Id))
                    .col(text(PlatformInvoices::InvoiceId).unique_key())
                    .col(big_integer(PlatformInvoices::SellerId))
                    .col(big_integer(PlatformInvoices::SubscriptionId))
                    .col(text(PlatformInvoices::PlanCode))
                    .col(big_integer(PlatformInvoices::AmountMinor))
                    .col(text(PlatformInvoices::Currency))
                    .col(timestamp_with_time_zone(PlatformInvoices::PeriodEnd))
                    .col(timestamp_with_time_zone(PlatformInvoices::PaidAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_platform_invoices_seller")
                    .table(PlatformInvoices::Table)
                    .col(PlatformInvoices::SellerId)
                    .col(PlatformInvoices::PaidAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlatformInvoices::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PlatformSubscriptions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PlatformPlans::Table).to_owned())
            .await?;
        Ok(())
    }
}
