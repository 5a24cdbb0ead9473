//! Payments: the product catalog (seeded with credit packs and time passes), an order for
//! every payment attempt, Stripe customers, debts left by refunds, and a flag for disputes.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Code,
    Kind,
    Credits,
    PassKind,
    Title,
    PriceMinor,
    Currency,
    StarsPrice,
    Active,
    SortOrder,
    StripeProductId,
    StripePriceId,
    StripePriceAmount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    UserId,
    ProductId,
    Method,
    Status,
    AmountMinor,
    Currency,
    StripeSessionId,
    StripePaymentIntent,
    TelegramChargeId,
    CreatedAt,
    UpdatedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum StripeCustomers {
    Table,
    UserId,
    CustomerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Debts {
    Table,
    Id,
    UserId,
    OrderId,
    Amount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    FlaggedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Products::Id))
                    .col(string_len_uniq(Products::Code, 32))
                    .col(string_len(Products::Kind, 16))
                    .col(big_integer_null(Products::Credits))
                    .col(string_len_null(Products::PassKind, 16))
                    .col(string_len(Products::Title, 128))
                    .col(big_integer(Products::PriceMinor))
                    .col(string_len(Products::Currency, 8))
                    .col(big_integer_null(Products::StarsPrice))
                    .col(boolean(Products::Active).default(true))
                    .col(integer(Products::SortOrder).default(0))
                    .col(string_len_null(Products::StripeProductId, 255))
                    .col(string_len_null(Products::StripePriceId, 255))
                    // The amount the stored Stripe price was made for: a new amount means a new price.
                    .col(big_integer_null(Products::StripePriceAmount))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .to_owned(),
            )
            .await?;
        let seed: [(&str, &str, Option<i64>, Option<&str>, &str, i64, i64); 7] = [
            ("pack10", "credits", Some(10), None, "10 credits", 500, 250),
            ("pack25", "credits", Some(25), None, "25 credits", 1000, 500),
            ("pack50", "credits", Some(50), None, "50 credits", 1800, 900),
            (
                "pack100",
                "credits",
                Some(100),
                None,
                "100 credits",
                3000,
                1500,
            ),
            ("pass_day", "pass", None, Some("day"), "Day pass", 300, 150),
            (
                "pass_week",
                "pass",
                None,
                Some("week"),
                "Week pass",
                1200,
                600,
            ),
            (
                "pass_month",
                "pass",
                None,
                Some("month"),
                "Month pass",
                3000,
                1500,
            ),
        ];
        let mut insert = Query::insert()
            .into_table(Products::Table)
            .columns([
                Products::Code,
                Products::Kind,
                Products::Credits,
                Products::PassKind,
                Products::Title,
                Products::PriceMinor,
                Products::Currency,
                Products::StarsPrice,
                Products::Active,
                Products::SortOrder,
                Products::CreatedAt,
            ])
            .to_owned();
        for (i, (code, kind, credits, pass, title, price, stars)) in seed.into_iter().enumerate() {
            insert.values_panic([
                code.into(),
                kind.into(),
                credits.into(),
                pass.into(),
                title.into(),
                price.into(),
                "usd".into(),
                Some(stars).into(),
                true.into(),
                (i as i32).into(),
                Expr::current_timestamp(),
            ]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Orders::Id))
                    .col(big_integer(Orders::UserId))
                    .col(big_integer(Orders::ProductId))
                    .col(string_len(Orders::Method, 16))
                    .col(string_len(Orders::Status, 16))
                    .col(big_integer(Orders::AmountMinor))
                    .col(string_len(Orders::Currency, 8))
                    .col(string_len_null(Orders::StripeSessionId, 255))
                    .col(string_len_null(Orders::StripePaymentIntent, 255))
                    .col(string_len_null(Orders::TelegramChargeId, 255))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Orders::PaidAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ux_orders_stripe_session_id", Orders::StripeSessionId),
            ("ux_orders_telegram_charge_id", Orders::TelegramChargeId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Orders::Table)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_user_id")
                    .table(Orders::Table)
                    .col(Orders::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StripeCustomers::Table)
                    .if_not_exists()
                    .col(big_integer(StripeCustomers::UserId).primary_key())
                    .col(string_len(StripeCustomers::CustomerId, 255))
                    .col(timestamp_with_time_zone(StripeCustomers::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Debts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Debts::Id))
                    .col(big_integer(Debts::UserId))
                    .col(big_integer(Debts::OrderId))
                    .col(big_integer(Debts::Amount))
                    .col(timestamp_with_time_zone(Debts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_debts_order_id")
                    .table(Debts::Table)
                    .col(Debts::OrderId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::FlaggedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Debts::Table.into_iden(),
            StripeCustomers::Table.into_iden(),
            Orders::Table.into_iden(),
            Products::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::FlaggedAt)
                    .to_owned(),
            )
            .await
    }
}
