//! Stripe Connect onboarding from the bot: the state of a seller's connected account as
//! Stripe last reported it (`account.updated`, or a read when the seller comes back from
//! Stripe's onboarding).
//!
//! - `sellers.connect_charges_enabled` / `connect_payouts_enabled` / `connect_details_submitted`:
//!   the account's flags. Card payments in Connect mode need charges enabled.
//! - `sellers.connect_requirements`: what Stripe needs now (`requirements.currently_due`),
//!   comma-separated; NULL or empty when nothing.
//! - `sellers.connect_onboarding`: the account was created by Tollgate (an Express account), so
//!   the bot can hand out onboarding links for it.
//! - `sellers.connect_checked_at`: when the state was last written.
//!
//! Sellers already in Connect mode were let in only with charges enabled: they start so.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sellers {
    Table,
    PayMode,
    ConnectChargesEnabled,
    ConnectPayoutsEnabled,
    ConnectDetailsSubmitted,
    ConnectRequirements,
    ConnectOnboarding,
    ConnectCheckedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let columns = [
            boolean(Sellers::ConnectChargesEnabled)
                .default(false)
                .to_owned(),
            boolean(Sellers::ConnectPayoutsEnabled)
                .default(false)
                .to_owned(),
            boolean(Sellers::ConnectDetailsSubmitted)
                .default(false)
                .to_owned(),
            text_null(Sellers::ConnectRequirements).to_owned(),
            boolean(Sellers::ConnectOnboarding)
                .default(false)
                .to_owned(),
            timestamp_with_time_zone_null(Sellers::ConnectCheckedAt).to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sellers::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let update = Query::update()
            .table(Sellers::Table)
            .value(Sellers::ConnectChargesEnabled, true)
            .value(Sellers::ConnectPayoutsEnabled, true)
            .value(Sellers::ConnectDetailsSubmitted, true)
            .and_where(Expr::col(Sellers::PayMode).eq("connect"))
            .to_owned();
        manager.exec_stmt(update).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Sellers::ConnectChargesEnabled,
            Sellers::ConnectPayoutsEnabled,
            Sellers::ConnectDetailsSubmitted,
            Sellers::ConnectRequirements,
            Sellers::ConnectOnboarding,
            Sellers::ConnectCheckedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sellers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
