//! Stripe webhooks: verify the signature (async-stripe's `Webhook`), claim the event once by
//! `event.id`, apply it, and only then call it done. A failure releases the claim and answers
//! 500, so Stripe's retry is applied rather than dropped. Every effect is idempotent on its own
//! (orders move forward by conditional updates, grants are keyed by order), so two different
//! events about one order grant once, and a refund that arrives before the payment stops it.
//! What people are told about it (payment received, refunds, failures, disputes) is queued as
//! notice jobs ([`notices`]) and sent by the job worker: the answer to Stripe never waits on
//! Telegram.
use chrono::{DateTime, Utc};
use stripe_checkout::CheckoutSession;
use stripe_webhook::{Event, EventObject, Webhook, WebhookError};

use crate::{
    context::AppCtx,
    storage::entities::orders as order_rows,
    {
        billing::notices::{self, Keyed},
        billing::orders::{self, Order, PaymentRef},
        billing::settlements::{PaidSession, Settled},
        services::ServiceError,
        services::events::{self, Claim, EventSource},
    },
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
    /// First delivery: applied.
    Applied,
    /// Seen before (or being applied right now): nothing changed.
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// Stripe did not answer a read the event needs: the event is released for Stripe's retry.
    #[error("Stripe: {0}")]
    Upstream(String),
}

impl From<crate::storage::StorageError> for HandleError {
    fn from(e: crate::storage::StorageError) -> Self {
        HandleError::Service(e.into())
    }
}

/// Claims the event, applies it, and marks it done; releases the claim if applying failed.
#[tracing::instrument(skip_all, fields(event_id = %event.id.as_str(), kind = %event.type_.as_str()))]
pub async fn apply(ctx: &AppCtx, event: &Event) -> Result<Applied, HandleError> {
    if let Some(session) = paid_session(event) {
        match ctx.settler.settle(session).await? {
            Settled::Applied { user_id, paid, .. } => {
                // The batch queued the notice with the grant.
                ctx.jobs.notify();
                orders::paid_hook(&ctx.db, ctx.now(), user_id, &paid).await;
                return Ok(Applied::Applied);
            }
            Settled::Duplicate => return Ok(Applied::Duplicate),
            Settled::OneByOne => {}
        }
    }
    let id = event.id.as_str();
    let claim = events::claim(
        &ctx.db,
        ctx.now(),
        EventSource::Stripe,
        id,
        event.type_.as_str(),
        "processing",
    )
    .await?;
    if claim == Claim::Duplicate {
        return Ok(Applied::Duplicate);
    }
    match dispatch(ctx, event).await {
        Ok(()) => {
            events::complete(&ctx.db, ctx.now(), EventSource::Stripe, id).await?;
            Ok(Applied::Applied)
        }
        Err(e) => {
            events::release(&ctx.db, EventSource::Stripe, id).await?;
            Err(e)
        }
    }
}

/// Queues notices (each once per key) and wakes the worker. Called after the effect is stored
/// and before the event is marked done: a crash in between leaves the event to Stripe's retry,
/// which finds the effect applied and queues the same keys again.
async fn tell(ctx: &AppCtx, owed: impl IntoIterator<Item = Keyed>) -> Result<(), HandleError> {
    if notices::enqueue(&ctx.db, ctx.now(), owed).await? {
        ctx.jobs.notify();
    }
    Ok(())
}

/// A Checkout Session this event says was paid, for the batched settlement.
fn paid_session(event: &Event) -> Option<PaidSession> {
    use stripe_checkout::CheckoutSessionPaymentStatus as Status;
    let session = match &event.data.object {
        EventObject::CheckoutSessionCompleted(s) if s.payment_status == Status::Paid => s,
        EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => s,
        _ => return None,
    };
    Some(PaidSession {
        event_id: event.id.as_str().to_owned(),
        event_kind: event.type_.as_str().to_owned(),
        order_id: order_id_of(
            session.metadata.as_ref(),
            session.client_reference_id.as_deref(),
        )?,
        customer: session
            .customer
            .as_ref()
            .map(|c| c.id().as_str().to_owned()),
        payment_intent: session
            .payment_intent
            .as_ref()
            .map(|p| p.id().as_str().to_owned()),
    })
}

fn order_id_of(
    metadata: Option<&std::collections::HashMap<String, String>>,
    reference: Option<&str>,
) -> Option<i64> {
    metadata
        .and_then(|m| m.get("order_id"))
        .map(String::as_str)
        .or(reference)
        .and_then(|s| s.parse().ok())
}

async fn order(ctx: &AppCtx, id: Option<i64>) -> Result<Option<Order>, HandleError> {
    match id {
        Some(id) => Ok(orders::find(&ctx.db, id).await?),
        None => Ok(None),
    }
}

async fn order_by_payment_intent(ctx: &AppCtx, pi: &str) -> Result<Option<Order>, HandleError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Ok(order_rows::Entity::find()
        .filter(order_rows::Column::StripePaymentIntent.eq(pi))
        .one(&ctx.db)
        .await
        .map_err(ServiceError::from)?)
}

async fn session_paid(ctx: &AppCtx, session: &CheckoutSession) -> Result<(), HandleError> {
    let Some(order) = order(
        ctx,
        order_id_of(
            session.metadata.as_ref(),
            session.client_reference_id.as_deref(),
        ),
    )
    .await?
    else {
        tracing::warn!(session = %session.id.as_str(), "checkout session for no known order; ignored");
        return Ok(());
    };
    if let Some(customer) = &session.customer {
        orders::remember_stripe_customer(&ctx.db, ctx.now(), order.user_id, customer.id().as_str())
            .await?;
    }
    let pi = session
        .payment_intent
        .as_ref()
        .map(|p| p.id().as_str().to_owned());
    let paid = orders::pay(
        &ctx.db,
        ctx.now(),
        &order,
        PaymentRef {
            stripe_payment_intent: pi.as_deref(),
            telegram_charge_id: None,
        },
    )
    .await?;
    if let Some(pi) = &pi {
        crate::billing::recharge::remember_card(ctx, order.user_id, pi).await?;
    }
    tell(ctx, notices::paid(order.user_id, order.id, &paid)).await
}

async fn payment_failed(ctx: &AppCtx, order: Option<Order>) -> Result<(), HandleError> {
    if let Some(order) = order
        && orders::mark_failed(&ctx.db, ctx.now(), order.id).await?
    {
        tell(ctx, [notices::payment_failed(order.user_id, order.id)]).await?;
    }
    Ok(())
}

async fn dispatch(ctx: &AppCtx, event: &Event) -> Result<(), HandleError> {
    use stripe_checkout::CheckoutSessionPaymentStatus as Status;
    match &event.data.object {
        EventObject::CheckoutSessionCompleted(s) if s.payment_status == Status::Paid => {
            session_paid(ctx, s).await
        }
        // Paid later (bank debits): the async events settle it.
        EventObject::CheckoutSessionCompleted(_) => Ok(()),
        EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => session_paid(ctx, s).await,
        EventObject::CheckoutSessionAsyncPaymentFailed(s) => {
            let order = order(
                ctx,
                order_id_of(s.metadata.as_ref(), s.client_reference_id.as_deref()),
            )
            .await?;
            payment_failed(ctx, order).await
        }
        EventObject::CheckoutSessionExpired(s) => {
            if let Some(order) = order(
                ctx,
                order_id_of(s.metadata.as_ref(), s.client_reference_id.as_deref()),
            )
            .await?
            {
                orders::mark_expired(&ctx.db, ctx.now(), order.id).await?;
            }
            Ok(())
        }
        EventObject::PaymentIntentPaymentFailed(pi) => {
            let order = match order(ctx, order_id_of(Some(&pi.metadata), None)).await? {
                Some(o) => Some(o),
                None => order_by_payment_intent(ctx, pi.id.as_str()).await?,
            };
            payment_failed(ctx, order).await
        }
        EventObject::ChargeRefunded(charge) => {
            let order = match order(ctx, order_id_of(Some(&charge.metadata), None)).await? {
                Some(o) => Some(o),
                None => match &charge.payment_intent {
                    Some(pi) => order_by_payment_intent(ctx, pi.id().as_str()).await?,
                    None => None,
                },
            };
            let Some(order) = order else {
                tracing::warn!(charge = %charge.id.as_str(), "refund for no known order; ignored");
                return Ok(());
            };
            let refunded =
                orders::refund(&ctx.db, ctx.now(), &order, charge.amount_refunded).await?;
            let total = charge.amount_refunded.clamp(0, order.amount_minor);
            tell(
                ctx,
                notices::refunded(order.user_id, order.id, total, &refunded),
            )
            .await
        }
        EventObject::ChargeDisputeCreated(dispute) => {
            let Some(pi) = &dispute.payment_intent else {
                return Ok(());
            };
            if let Some(order) = order_by_payment_intent(ctx, pi.id().as_str()).await? {
                orders::flag_user(&ctx.db, ctx.now(), order.user_id).await?;
                tell(
                    ctx,
                    [notices::dispute(
                        order.user_id,
                        order.id,
                        dispute.id.as_str(),
                    )],
                )
                .await?;
            }
            Ok(())
        }
        _ => {
            tracing::debug!(
                kind = event.type_.as_str(),
                "Stripe event of a kind we do not act on"
            );
            Ok(())
        }
    }
}
