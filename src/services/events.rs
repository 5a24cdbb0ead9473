//! Idempotency for external events (Stripe `event.id`, Telegram `update_id`,
//! `telegram_payment_charge_id`): a unique `(source, external_id)` row is the claim.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
    sea_query::OnConflict,
};

use super::ServiceResult;
use crate::storage::entities::processed_events;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    Stripe,
    TelegramUpdate,
    TelegramPayment,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Stripe => "stripe",
            EventSource::TelegramUpdate => "telegram_update",
            EventSource::TelegramPayment => "telegram_payment",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First time we see it: apply it, then [`complete`].
    New,
    /// Seen before (applied, or being applied right now): do nothing.
    Duplicate,
}

/// Claims an event. Safe under concurrent deliveries of the same event: the database's unique
/// index lets exactly one insert through. Works inside a transaction too (pass the txn), so the
/// claim and the event's effects commit or roll back together.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    source: EventSource,
    external_id: &str,
    kind: &str,
    status: &str,
) -> ServiceResult<Claim> {
    let row = processed_events::ActiveModel {
        source: Set(source.as_str().to_owned()),
        external_id: Set(external_id.to_owned()),
        kind: Set(kind.chars().take(128).collect()),
        status: Set(status.to_owned()),
        received_at: Set(now),
        processed_at: Set((status == "done").then_some(now)),
        ..Default::default()
    };
    let inserted = processed_events::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                processed_events::Column::Source,
                processed_events::Column::ExternalId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(if inserted == 1 {
        Claim::New
    } else {
        Claim::Duplicate
    })
}

/// Marks a claimed event as applied.
pub async fn complete<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    source: EventSource,
    external_id: &str,
) -> ServiceResult<()> {
    processed_events::Entity::update_many()
        .col_expr(processed_events::Column::Status, Expr::value("done"))
        .col_expr(processed_events::Column::ProcessedAt, Expr::value(now))
        .filter(processed_events::Column::Source.eq(source.as_str()))
        .filter(processed_events::Column::ExternalId.eq(external_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives a claim back so a redelivery is applied (the first attempt failed).
pub async fn release<C: ConnectionTrait>(
    db: &C,
    source: EventSource,
    external_id: &str,
) -> ServiceResult<()> {
    processed_events::Entity::delete_many()
        .filter(processed_events::Column::Source.eq(source.as_str()))
        .filter(processed_events::Column::ExternalId.eq(external_id))
        .filter(processed_events::Column::Status.eq("processing"))
        .exec(db)
        .await?;
    Ok(())
}

/// At start-up: claims left `processing` by a crash are released, so the sender's retry is
/// applied instead of being dropped as a duplicate.
pub async fn release_interrupted(
    db: &impl ConnectionTrait,
    source: EventSource,
) -> ServiceResult<u64> {
    let res = processed_events::Entity::delete_many()
        .filter(processed_events::Column::Source.eq(source.as_str()))
        .filter(processed_events::Column::Status.eq("processing"))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Forgets completed events of a source older than `before` (Telegram update ids only need
/// remembering for as long as Telegram may redeliver them).
pub async fn prune(
    db: &impl ConnectionTrait,
    source: EventSource,
    before: DateTime<Utc>,
) -> ServiceResult<u64> {
    let res = processed_events::Entity::delete_many()
        .filter(processed_events::Column::Source.eq(source.as_str()))
        .filter(processed_events::Column::Status.eq("done"))
        .filter(processed_events::Column::ReceivedAt.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub async fn count(db: &impl ConnectionTrait, source: EventSource) -> ServiceResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(processed_events::Entity::find()
        .filter(processed_events::Column::Source.eq(source.as_str()))
        .count(db)
        .await?)
}
