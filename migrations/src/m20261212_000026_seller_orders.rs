//! Sellers' orders and their packing notices to customers in Telegram.
//!
//! - `seller_orders`: an order a seller's shop told us about, per seller and mode, unique by
//!   (`seller_id`, `livemode`, `platform`, `external_id`), so the same order posted twice (or
//!   delivered twice by a shop's webhook) is one row. `reference` is the number the customer
//!   knows it by (`#1001`), when it differs from the id. `items` is a JSON array of
//!   `{name, quantity, packed}`; `status` moves only by a conditional update that names the
//!   status it leaves; `carrier`, `tracking_number`, `tracking_url` are set when it ships.
//! - `seller_order_events`: each accepted status change, unique by (`order_id`, `status`,
//!   `item`) (`item` is empty but for `item_packed`), so a retried update is no second change
//!   and no second message. `outcome` is `queued`, `sending` while a send is under way,
//!   then `sent`, `stopped` (the customer stopped the seller), `unreachable` or `uncertain`
//!   (no answer from Telegram, or a send cut short by a crash: not sent again).
//! - `order_templates`: a seller's own text of the customer's message for one status and
//!   language, per mode; absent, the shipped default applies.
//! - `commerce_endpoints`: one signed receiver of Shopify or WooCommerce order webhooks per
//!   seller, mode and platform; `token` is the URL's unguessable part, `secret` verifies the
//!   signatures.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SellerOrders {
    Table,
    Id,
    SellerId,
    Livemode,
    Platform,
    ExternalId,
    Reference,
    ContactId,
    UserId,
    Status,
    Items,
    Carrier,
    TrackingNumber,
    TrackingUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SellerOrderEvents {
    Table,
    Id,
    OrderId,
    SellerId,
    Livemode,
    Status,
    Item,
    Outcome,
    MessageId,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum OrderTemplates {
    Table,
    SellerId,
    Livemode,
    Status,
    Lang,
    Body,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommerceEndpoints {
    Table,
    Id,
    SellerId,
    Livemode,
    Platform,
    Token,
    Secret,
    CreatedAt,
    RotatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SellerOrders::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SellerOrders::Id))
                    .col(big_integer(SellerOrders::SellerId))
                    .col(boolean(SellerOrders::Livemode))
                    .col(string_len(SellerOrders::Platform, 32))
                    .col(string_len(SellerOrders::ExternalId, 128))
                    .col(string_len_null(SellerOrders::Reference, 128))
                    .col(big_integer(SellerOrders::ContactId))
                    .col(big_integer(SellerOrders::UserId))
                    .col(string_len(SellerOrders::Status, 16))
                    .col(text(SellerOrders::Items))
                    .col(string_len_null(SellerOrders::Carrier, 64))
                    .col(string_len_null(SellerOrders::TrackingNumber, 128))
                    .col(text_null(SellerOrders::TrackingUrl))
                    .col(timestamp_with_time_zone(SellerOrders::CreatedAt))
                    .col(timestamp_with_time_zone(SellerOrders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_seller_orders_external")
                    .table(SellerOrders::Table)
                    .col(SellerOrders::SellerId)
                    .col(SellerOrders::Livemode)
                    .col(SellerOrders::Platform)
                    .col(SellerOrders::ExternalId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SellerOrderEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SellerOrderEvents::Id))
                    .col(big_integer(SellerOrderEvents::OrderId))
                    .col(big_integer(SellerOrderEvents::SellerId))
                    .col(boolean(SellerOrderEvents::Livemode))
                    .col(string_len(SellerOrderEvents::Status, 16))
                    .col(string_len(SellerOrderEvents::Item, 200))
                    .col(string_len(SellerOrderEvents::Outcome, 16))
                    .col(integer_null(SellerOrderEvents::MessageId))
                    .col(timestamp_with_time_zone(SellerOrderEvents::CreatedAt))
                    .col(timestamp_with_time_zone_null(SellerOrderEvents::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_seller_order_events_once")
                    .table(SellerOrderEvents::Table)
                    .col(SellerOrderEvents::OrderId)
                    .col(SellerOrderEvents::Status)
                    .col(SellerOrderEvents::Item)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderTemplates::Table)
                    .if_not_exists()
                    .col(big_integer(OrderTemplates::SellerId))
                    .col(boolean(OrderTemplates::Livemode))
                    .col(string_len(OrderTemplates::Status, 16))
                    .col(string_len(OrderTemplates::Lang, 8))
                    .col(text(OrderTemplates::Body))
                    .col(big_integer(OrderTemplates::UpdatedBy))
                    .col(timestamp_with_time_zone(OrderTemplates::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(OrderTemplates::SellerId)
                            .col(OrderTemplates::Livemode)
                            .col(OrderTemplates::Status)
                            .col(OrderTemplates::Lang),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommerceEndpoints::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CommerceEndpoints::Id))
                    .col(big_integer(CommerceEndpoints::SellerId))
                    .col(boolean(CommerceEndpoints::Livemode))
                    .col(string_len(CommerceEndpoints::Platform, 16))
                    .col(string_len(CommerceEndpoints::Token, 64))
                    .col(text(CommerceEndpoints::Secret))
                    .col(timestamp_with_time_zone(CommerceEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(CommerceEndpoints::RotatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commerce_endpoints_tenant")
                    .table(CommerceEndpoints::Table)
                    .col(CommerceEndpoints::SellerId)
                    .col(CommerceEndpoints::Livemode)
                    .col(CommerceEndpoints::Platform)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commerce_endpoints_token")
                    .table(CommerceEndpoints::Table)
                    .col(CommerceEndpoints::Token)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CommerceEndpoints::Table.into_iden(),
            OrderTemplates::Table.into_iden(),
            SellerOrderEvents::Table.into_iden(),
            SellerOrders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
