//! Sellers' invoices to their contacts, and each seller's reminder schedule.
//!
//! - `invoices`: per seller and mode, to one contact (`contact_id`, `user_id`), in one currency
//!   (`XTR` for Stars, else a card currency) with its lines as a bounded JSON array and their
//!   total in minor units. `status` is `draft`, `open`, `paid`, `overdue` or `void`; each move
//!   is a conditional update from the statuses it may leave, so a payment applies once
//!   (`payment_ref` is unique: the Stripe PaymentIntent or the Telegram charge id). Indexed by
//!   tenant and id (the API's pages) and by status and due date (the overdue sweep).
//! - `invoice_schedules`: a seller's reminder offsets in days from the due date (negative
//!   before, 0 on the day, positive after), where they differ from the default.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    SellerId,
    Livemode,
    ContactId,
    UserId,
    Currency,
    Lines,
    TotalMinor,
    Note,
    DueAt,
    Status,
    MessageId,
    PaymentRef,
    PaidVia,
    PaidTo,
    FeeMinor,
    NetMinor,
    PaidAt,
    OverdueAt,
    VoidedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InvoiceSchedules {
    Table,
    SellerId,
    Offsets,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Invoices::Id))
                    .col(big_integer(Invoices::SellerId))
                    .col(boolean(Invoices::Livemode))
                    .col(big_integer(Invoices::ContactId))
                    .col(big_integer(Invoices::UserId))
                    .col(string_len(Invoices::Currency, 8))
                    .col(text(Invoices::Lines))
                    .col(big_integer(Invoices::TotalMinor))
                    .col(text_null(Invoices::Note))
                    .col(timestamp_with_time_zone(Invoices::DueAt))
                    .col(string_len(Invoices::Status, 16))
                    .col(integer_null(Invoices::MessageId))
                    .col(string_len_null(Invoices::PaymentRef, 255))
                    .col(string_len_null(Invoices::PaidVia, 16))
                    .col(string_len_null(Invoices::PaidTo, 16))
                    .col(big_integer(Invoices::FeeMinor).default(0))
                    .col(big_integer(Invoices::NetMinor).default(0))
                    .col(timestamp_with_time_zone_null(Invoices::PaidAt))
                    .col(timestamp_with_time_zone_null(Invoices::OverdueAt))
                    .col(timestamp_with_time_zone_null(Invoices::VoidedAt))
                    .col(timestamp_with_time_zone(Invoices::CreatedAt))
                    .col(timestamp_with_time_zone(Invoices::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoices_tenant")
                    .table(Invoices::Table)
                    .col(Invoices::SellerId)
                    .col(Invoices::Livemode)
                    .col(Invoices::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoices_status_due")
                    .table(Invoices::Table)
                    .col(Invoices::Status)
                    .col(Invoices::DueAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoices_payment_ref")
                    .table(Invoices::Table)
                    .col(Invoices::PaymentRef)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceSchedules::Table)
                    .if_not_exists()
                    .col(big_integer(InvoiceSchedules::SellerId).primary_key())
                    .col(string_len(InvoiceSchedules::Offsets, 64))
                    .col(timestamp_with_time_zone(InvoiceSchedules::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InvoiceSchedules::Table.into_iden(),
            Invoices::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
