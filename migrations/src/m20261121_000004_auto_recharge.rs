//! Auto-recharge: a user who paid by card can have a pack bought for them, off-session, when
//! their balance falls below a threshold.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AutoRecharge {
    Table,
    UserId,
    Threshold,
    ProductId,
    PaymentMethod,
    Failures,
    Enabled,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AutoRecharge::Table)
                    .if_not_exists()
                    .col(big_integer(AutoRecharge::UserId).primary_key())
                    .col(big_integer(AutoRecharge::Threshold))
                    .col(big_integer(AutoRecharge::ProductId))
                    // Saved by a Checkout made with setup_future_usage=off_session.
                    .col(string_len_null(AutoRecharge::PaymentMethod, 255))
                    .col(integer(AutoRecharge::Failures).default(0))
                    .col(boolean(AutoRecharge::Enabled).default(true))
                    .col(timestamp_with_time_zone(AutoRecharge::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(AutoRecharge::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
