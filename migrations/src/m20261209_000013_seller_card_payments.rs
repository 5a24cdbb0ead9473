//! Card payments for sellers' plans.
//!
//! - `sellers.pay_mode`: who takes a card payment for the seller's plans: `platform` (the
//!   platform's Stripe account, the platform fee kept), `own_key` (the seller's own Stripe
//!   account through their secret key) or `connect` (a destination charge to the seller's
//!   connected account with the fee as `application_fee_amount`).
//! - `sellers.stripe_key_sealed` / `stripe_webhook_secret_sealed`: the seller's own secret key
//!   and endpoint secret, sealed with `ENCRYPTION_KEY` (never stored in the clear);
//!   `stripe_key_hint` is what the seller is shown to recognise the key (`sk_live_…wxyz`).
//! - `sellers.connect_account_id`: the `acct_…` of a connected account.
//! - `access_orders.stripe_session_id`, `stripe_payment_intent` (unique: one payment admits
//!   once), `paid_to` (the account that took the money), `refunded_minor`.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sellers {
    Table,
    PayMode,
    StripeKeySealed,
    StripeKeyHint,
    StripeWebhookSecretSealed,
    ConnectAccountId,
}

#[derive(DeriveIden)]
enum AccessOrders {
    Table,
    StripeSessionId,
    StripePaymentIntent,
    PaidTo,
    RefundedMinor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let seller_columns = [
            string_len(Sellers::PayMode, 16)
                .default("platform")
                .to_owned(),
            text_null(Sellers::StripeKeySealed).to_owned(),
            string_len_null(Sellers::StripeKeyHint, 32).to_owned(),
            text_null(Sellers::StripeWebhookSecretSealed).to_owned(),
            string_len_null(Sellers::ConnectAccountId, 64).to_owned(),
        ];
        for mut column in seller_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sellers::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let order_columns = [
            string_len_null(AccessOrders::StripeSessionId, 255).to_owned(),
            string_len_null(AccessOrders::StripePaymentIntent, 255).to_owned(),
            string_len_null(AccessOrders::PaidTo, 16).to_owned(),
            big_integer(AccessOrders::RefundedMinor)
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
        manager
            .create_index(
                Index::create()
                    .name("idx_access_orders_payment_intent")
                    .table(AccessOrders::Table)
                    .col(AccessOrders::StripePaymentIntent)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_orders_session")
                    .table(AccessOrders::Table)
                    .col(AccessOrders::StripeSessionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in [
            "idx_access_orders_session",
            "idx_access_orders_payment_intent",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(AccessOrders::Table)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            AccessOrders::RefundedMinor,
            AccessOrders::PaidTo,
            AccessOrders::StripePaymentIntent,
            AccessOrders::StripeSessionId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessOrders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Sellers::ConnectAccountId,
            Sellers::StripeWebhookSecretSealed,
            Sellers::StripeKeyHint,
            Sellers::StripeKeySealed,
            Sellers::PayMode,
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
