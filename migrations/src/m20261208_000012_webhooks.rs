//! Sellers' outgoing webhooks.
//!
//! - `webhook_endpoints`: where a seller wants events posted, per mode (`livemode`); `events` is
//!   a JSON list of event types, or NULL for all of them. `secret` signs deliveries; during a
//!   rotation the `previous_secret` signs too until `previous_secret_expires_at`. `status` is
//!   `active` or `disabled` (after `consecutive_failures` reached the limit).
//! - `webhook_events`: what happened, written in the transaction of the change it describes;
//!   `public_id` (`evt_…`) is what receivers see; `payload` is the exact body that is sent.
//! - `webhook_deliveries`: one per event and endpoint subscribed when the event was written;
//!   `pending` until `succeeded` or `dead`. A worker holds a claimed one until `locked_until`.
//!   `(endpoint_id, status, id)` finds each endpoint's oldest pending delivery (deliveries go
//!   out in order per endpoint); `event_id` lists an event's deliveries.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    SellerId,
    Livemode,
    Url,
    Description,
    Events,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    Status,
    ConsecutiveFailures,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    PublicId,
    SellerId,
    Livemode,
    EventType,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EventId,
    EndpointId,
    SellerId,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastStatus,
    LastError,
    LastDurationMs,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .if_not_exists()
                    .col(pk_auto(WebhookEndpoints::Id).big_integer())
                    .col(big_integer(WebhookEndpoints::SellerId))
                    .col(boolean(WebhookEndpoints::Livemode))
                    .col(string_len(WebhookEndpoints::Url, 2048))
                    .col(string_len(WebhookEndpoints::Description, 255).default(""))
                    .col(text_null(WebhookEndpoints::Events))
                    .col(string_len(WebhookEndpoints::Secret, 128))
                    .col(string_len_null(WebhookEndpoints::PreviousSecret, 128))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::PreviousSecretExpiresAt,
                    ))
                    .col(string_len(WebhookEndpoints::Status, 16).default("active"))
                    .col(integer(WebhookEndpoints::ConsecutiveFailures).default(0))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_endpoints_seller")
                    .table(WebhookEndpoints::Table)
                    .col(WebhookEndpoints::SellerId)
                    .col(WebhookEndpoints::Livemode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .if_not_exists()
                    .col(pk_auto(WebhookEvents::Id).big_integer())
                    .col(string_len_uniq(WebhookEvents::PublicId, 40))
                    .col(big_integer(WebhookEvents::SellerId))
                    .col(boolean(WebhookEvents::Livemode))
                    .col(string_len(WebhookEvents::EventType, 40))
                    .col(text(WebhookEvents::Payload))
                    .col(timestamp_with_time_zone(WebhookEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_events_seller")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::SellerId)
                    .col(WebhookEvents::Livemode)
                    .col(WebhookEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .if_not_exists()
                    .col(pk_auto(WebhookDeliveries::Id).big_integer())
                    .col(big_integer(WebhookDeliveries::EventId))
                    .col(big_integer(WebhookDeliveries::EndpointId))
                    .col(big_integer(WebhookDeliveries::SellerId))
                    .col(string_len(WebhookDeliveries::Status, 16).default("pending"))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LockedUntil,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(integer_null(WebhookDeliveries::LastDurationMs))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_endpoint_queue")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EventId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEndpoints::Table).to_owned())
            .await
    }
}
