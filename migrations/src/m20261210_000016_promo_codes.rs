//! Sellers' promo and access codes.
//!
//! - `promo_codes`: one row per code of a seller in one mode (`livemode`). `code` is shown as
//!   the seller typed it; `code_norm` is its lowercase form, unique per seller and mode, so a
//!   buyer may type it in any case. `kind` is `percent` (`value` 1..=100) or `amount` (`value`
//!   in minor units of `currency`; `XTR` for Stars). `max_uses` (NULL: unlimited) caps
//!   `used`, the uses reserved or redeemed; a reservation is a conditional
//!   `UPDATE … SET used = used + 1 WHERE used < max_uses`, so concurrent buyers can never take
//!   more than the limit. `expires_at` NULL never expires; `plan_ids` is a comma-separated
//!   list of the plans it applies to (empty: all the seller's plans); `duration` is `once`
//!   (the buyer's first order with it) or `forever` (the same buyer's later orders of those
//!   plans too, without taking another use); `active` false once the seller deactivates it.
//! - `promo_redemptions`: one row per order a code discounts, `order_id` unique (an order
//!   redeems once), with the buyer, the `amount_off` and its currency, `status` `reserved`
//!   (order pending) → `redeemed` (paid) or `released` (the checkout expired or failed: the
//!   use goes back), and `takes_use` (this row took the buyer's use; `forever` repeats do not).
//!   A buyer holds at most one first redemption of a code that is not released (a partial
//!   unique index on both databases).
//! - `access_orders.promo_code_id` and `discount_minor`: the code an order was priced with and
//!   what it took off; `amount_minor + discount_minor` is the list price before it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PromoCodes {
    Table,
    Id,
    SellerId,
    Livemode,
    Code,
    CodeNorm,
    Kind,
    Value,
    Currency,
    MaxUses,
    Used,
    ExpiresAt,
    PlanIds,
    Duration,
    Active,
    CreatedBy,
    CreatedAt,
    DeactivatedAt,
}

#[derive(DeriveIden)]
enum PromoRedemptions {
    Table,
    Id,
    PromoCodeId,
    SellerId,
    OrderId,
    UserId,
    AmountOff,
    Currency,
    Status,
    TakesUse,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccessOrders {
    Table,
    PromoCodeId,
    DiscountMinor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PromoCodes::Table)
                    .if_not_exists()
                    .col(pk_auto(PromoCodes::Id).big_integer())
                    .col(big_integer(PromoCodes::SellerId))
                    .col(boolean(PromoCodes::Livemode))
                    .col(string_len(PromoCodes::Code, 32))
                    .col(string_len(PromoCodes::CodeNorm, 32))
                    .col(string_len(PromoCodes::Kind, 16))
                    .col(big_integer(PromoCodes::Value))
                    .col(string_len_null(PromoCodes::Currency, 8))
                    .col(big_integer_null(PromoCodes::MaxUses))
                    .col(big_integer(PromoCodes::Used).default(0))
                    .col(timestamp_with_time_zone_null(PromoCodes::ExpiresAt))
                    .col(text(PromoCodes::PlanIds).default(""))
                    .col(string_len(PromoCodes::Duration, 16))
                    .col(boolean(PromoCodes::Active).default(true))
                    .col(big_integer(PromoCodes::CreatedBy))
                    .col(timestamp_with_time_zone(PromoCodes::CreatedAt))
                    .col(timestamp_with_time_zone_null(PromoCodes::DeactivatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_promo_codes_seller_code")
                    .table(PromoCodes::Table)
                    .col(PromoCodes::SellerId)
                    .col(PromoCodes::Livemode)
                    .col(PromoCodes::CodeNorm)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromoRedemptions::Table)
                    .if_not_exists()
                    .col(pk_auto(PromoRedemptions::Id).big_integer())
                    .col(big_integer(PromoRedemptions::PromoCodeId))
                    .col(big_integer(PromoRedemptions::SellerId))
                    .col(big_integer_uniq(PromoRedemptions::OrderId))
                    .col(big_integer(PromoRedemptions::UserId))
                    .col(big_integer(PromoRedemptions::AmountOff))
                    .col(string_len(PromoRedemptions::Currency, 8))
                    .col(string_len(PromoRedemptions::Status, 16))
                    .col(boolean(PromoRedemptions::TakesUse))
                    .col(timestamp_with_time_zone(PromoRedemptions::CreatedAt))
                    .col(timestamp_with_time_zone(PromoRedemptions::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_promo_redemptions_code_user")
                    .table(PromoRedemptions::Table)
                    .col(PromoRedemptions::PromoCodeId)
                    .col(PromoRedemptions::UserId)
                    .to_owned(),
            )
            .await?;
        // One held first use per buyer and code. Partial indexes read the same on both
        // databases; the schema builder has no portable form for them.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_promo_redemptions_one_per_buyer \
                 ON promo_redemptions (promo_code_id, user_id) \
                 WHERE takes_use AND status <> 'released'",
            )
            .await?;
        let order_columns = [
            big_integer_null(AccessOrders::PromoCodeId).to_owned(),
            big_integer(AccessOrders::DiscountMinor)
                .default(0)
                .to_owned(),
        ];
        for mut column in order_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessOrders::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [AccessOrders::DiscountMinor, AccessOrders::PromoCodeId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessOrders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            PromoRedemptions::Table.into_iden(),
            PromoCodes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
