//! Stripe webhooks: verify the signature (async-stripe's `Webhook`), record the event once by
//! `event.id`, then dispatch it, all in one transaction: a retried or concurrent delivery of
//! the same event is a no-op.
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use stripe_webhook::{Event, Webhook, WebhookError};

use crate::{
    services::{
        ServiceResult,
        events::{self, Claim, EventSource},
    },
    storage::Db,
};

/// Why a webhook delivery was refused (each is a 400, and nothing is stored).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    #[error("missing Stripe-Signature header")]
    MissingSignature,
    #[error("Stripe-Signature does not match the payload")]
    BadSignature,
    #[error("Stripe-Signature timestamp is outside the 5 minute tolerance")]
    Stale,
    #[error("payload is not a Stripe event: {0}")]
    Malformed(String),
}

/// Verifies a delivery against the webhook secret at time `now` (the injected clock).
pub fn verify(
    payload: &str,
    signature: Option<&str>,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Event, Rejection> {
    let signature = signature.ok_or(Rejection::MissingSignature)?;
    Webhook::construct_event_with_timestamp(payload, signature, secret, now.timestamp()).map_err(
        |e| match e {
            WebhookError::BadSignature | WebhookError::BadHeader(_) | WebhookError::BadKey => {
                Rejection::BadSignature
            }
            WebhookError::BadTimestamp(_) => Rejection::Stale,
            WebhookError::BadParse(why) => Rejection::Malformed(why),
        },
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// First delivery: recorded and dispatched.
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
}

/// Records the event once and dispatches it.
#[tracing::instrument(skip_all, fields(event_id = %event.id.as_str(), kind = %event.type_.as_str()))]
pub async fn apply(db: &Db, now: DateTime<Utc>, event: &Event) -> ServiceResult<Applied> {
    let txn = db.begin().await?;
    let claim = events::claim(
        &txn,
        now,
        EventSource::Stripe,
        event.id.as_str(),
        event.type_.as_str(),
        "done",
    )
    .await?;
    if claim == Claim::Duplicate {
        txn.rollback().await?;
        return Ok(Applied::Duplicate);
    }
    dispatch(&txn, event).await?;
    txn.commit().await?;
    Ok(Applied::Applied)
}

/// Where each event type is handled, inside the claiming transaction. Payments (the catalog
/// issue) add the money events here; until then every event is recorded, and logged as having
/// no handler.
async fn dispatch(_txn: &sea_orm::DatabaseTransaction, event: &Event) -> ServiceResult<()> {
    tracing::info!(
        kind = event.type_.as_str(),
        "Stripe event recorded; no handler for this type"
    );
    Ok(())
}
