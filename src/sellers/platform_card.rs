//! Platform plans on Stripe: the seller's Checkout (subscription mode, on the platform's
//! account, the seller's owner as the customer), the billing events of those subscriptions,
//! and the seller's changes (renewal off or back on).
//!
//! An edge module like [`recurring_card`]: it calls Stripe; the effects are
//! [`platform`]'s. The subscription carries `tollgate_kind = platform_plan`, the seller and
//! the plan's code in its metadata, which Stripe copies onto every invoice. After each event
//! the subscription is read back from Stripe and that state is stored, so events in any order
//! end in Stripe's state. When a new plan's subscription is live, the seller's older live
//! ones are ended at Stripe with `prorate`, which credits their unused time to the customer.
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::{
    CheckoutSessionMode,
    checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionLineItemsPriceDataRecurring,
        CreateCheckoutSessionLineItemsPriceDataRecurringInterval,
        CreateCheckoutSessionSubscriptionData, ProductData,
    },
};
use stripe_client_core::StripeMethod;
use stripe_types::Currency;

use super::{
    card::{self, CardError, Endpoint},
    catalog::Seller,
    platform::{self, Moved, PlatformPlan, PlatformSubscription},
    recurring_card::{self, BillingEvent},
};
use crate::{
    billing::stripe::{Applied, HandleError},
    context::AppCtx,
    jobs::{self, NewJob},
    services::events::{self, Claim, EventSource},
    storage::entities::users,
};

/// The metadata that marks a platform plan's subscription.
pub const KIND_KEY: &str = "tollgate_kind";
pub const KIND: &str = "platform_plan";

/// The job that tells a seller about their plan (`seller`, `kind`: `limit` with `limit`,
/// `plan` with `from` and `to`, `ending` with `plan` and `at`).
pub const NOTICE_JOB: &str = "seller_plan_notice";

fn platform_client(ctx: &AppCtx) -> Result<stripe::Client, CardError> {
    ctx.stripe.clone().ok_or(CardError::NotConfigured)
}

/// A Checkout Session that starts the seller's subscription to `plan`: its price every
/// `period_days` days, on the platform's account, paid by the seller's owner as a customer
/// of the platform (the same customer for every plan, so a credit for unused time of an
/// earlier plan goes to the next invoice). Presses within the same ten minutes reach the
/// same session.
pub async fn checkout(
    ctx: &AppCtx,
    owner: &users::Model,
    seller: &Seller,
    plan: &PlatformPlan,
) -> Result<String, CardError> {
    if plan.price_minor <= 0 {
        return Err(CardError::NoCardPrice);
    }
    let client = platform_client(ctx)?;
    let customer = crate::billing::checkout::customer(ctx, owner)
        .await
        .map_err(|e| match e {
            crate::billing::checkout::PaymentError::Service(s) => CardError::Service(s),
            other => CardError::Rejected(other.to_string()),
        })?;
    let currency = Currency::from_str(&plan.currency.to_ascii_lowercase())
        .map_err(|_| CardError::Rejected(format!("unknown currency {}", plan.currency)))?;
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
    price.unit_amount = Some(plan.price_minor);
    let mut recurring = CreateCheckoutSessionLineItemsPriceDataRecurring::new(
        CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Day,
    );
    recurring.interval_count = Some(u64::try_from(plan.period_days.max(1)).unwrap_or(1));
    price.recurring = Some(recurring);
    price.product_data = Some(ProductData::new(format!(
        "Tollgate {} · every {} days",
        plan.name, plan.period_days
    )));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(1);
    let ids = card::metadata(&[
        (KIND_KEY, KIND.to_owned()),
        ("seller_id", seller.id.to_string()),
        ("plan", plan.code.clone()),
    ]);
    let mut data = CreateCheckoutSessionSubscriptionData::new();
    data.metadata = Some(ids.clone());
    let base = ctx.public_base();
    let window = ctx.now().timestamp() / 600;
    let key = IdempotencyKey::new(format!(
        "platform-plan-{}-{}-{}-{}-{window}",
        seller.id, plan.code, plan.price_minor, plan.period_days
    ))
    .map_err(|e| CardError::Rejected(e.to_string()))?;
    let session = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Subscription)
        .customer(customer)
        .line_items(vec![item])
        .metadata(ids)
        .subscription_data(data)
        .success_url(format!(
            "{base}/pay/success?session_id={{CHECKOUT_SESSION_ID}}"
        ))
        .cancel_url(format!("{base}/pay/cancel"))
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&client)
        .await
        .map_err(card::stripe_err)?;
    session
        .url
        .ok_or_else(|| CardError::Rejected("the checkout session has no URL".into()))
}

/// What asking to move to a plan came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The seller is on that plan already.
    Already,
    /// The seller uses more than the plan allows (limit, used, max): nothing changed; asked
    /// again with `confirmed`, the move goes ahead.
    OverLimits(Vec<(platform::Limit, i64, i64)>),
    /// A paid plan: the seller pays on this Checkout page; `replaces` ends when it is paid.
    Checkout {
        url: String,
        replaces: Option<PlatformPlan>,
    },
    /// Down to the free plan: `from` runs to `at`, then ends.
    Ending {
        from: PlatformPlan,
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

/// The seller asks to move to `target`; `owner` pays for a paid plan.
pub async fn change(
    ctx: &AppCtx,
    seller: &Seller,
    owner: &users::Model,
    target: &PlatformPlan,
    confirmed: bool,
) -> Result<Change, CardError> {
    let current = platform::current(&ctx.db, seller.id).await?;
    if target.id == current.id {
        return Ok(Change::Already);
    }
    let over = platform::over(target, platform::usage(&ctx.db, seller.id).await?);
    if !over.is_empty() && !confirmed {
        return Ok(Change::OverLimits(over));
    }
    let sub = platform::live_subscription(&ctx.db, seller.id).await?;
    if target.price_minor <= 0 {
        let Some(sub) = sub else {
            return Ok(Change::Already);
        };
        let sub = if sub.cancel_at_period_end {
            sub
        } else {
            set_cancel(ctx, &sub, true).await?;
            platform::subscription_by_external(&ctx.db, &sub.external_id)
                .await?
                .unwrap_or(sub)
        };
        return Ok(Change::Ending {
            from: current,
            at: sub.current_period_end,
        });
    }
    let url = checkout(ctx, owner, seller, target).await?;
    Ok(Change::Checkout {
        url,
        replaces: sub.map(|_| current),
    })
}

/// Whether a billing event is about a platform plan (by its metadata, or a subscription
/// already recorded as one).
pub async fn is_ours(ctx: &AppCtx, event: &BillingEvent) -> Result<bool, HandleError> {
    let (external, metadata) = recurring_card::subject(event);
    if metadata[KIND_KEY].as_str() == Some(KIND) {
        return Ok(true);
    }
    Ok(match external {
        Some(external) => platform::subscription_by_external(&ctx.db, &external)
            .await?
            .is_some(),
        None => false,
    })
}

fn upstream(e: CardError) -> HandleError {
    match e {
        CardError::Service(s) => HandleError::Service(s),
        other => HandleError::Upstream(other.to_string()),
    }
}

async fn read(ctx: &AppCtx, external: &str) -> Result<Value, HandleError> {
    let client = platform_client(ctx).map_err(upstream)?;
    recurring_card::raw(
        &client,
        StripeMethod::Get,
        format!("/subscriptions/{external}"),
        None::<&()>,
        None,
    )
    .await
    .map_err(upstream)
}

/// Applies a platform plan's billing event once. Events through a seller's own endpoint are
/// not the platform's: ignored.
pub async fn apply(
    ctx: &AppCtx,
    event: &BillingEvent,
    endpoint: Endpoint,
) -> Result<Option<Applied>, HandleError> {
    if endpoint != Endpoint::Platform {
        tracing::warn!(?endpoint, event = %event.id, "a platform plan's event through a seller's endpoint; ignored");
        return Ok(Some(Applied::Duplicate));
    }
    let (Some(external), _) = recurring_card::subject(event) else {
        return Ok(None);
    };
    let now = ctx.now();
    let claim = events::claim(
        &ctx.db,
        now,
        EventSource::Stripe,
        &event.id,
        &event.kind,
        "processing",
    )
    .await?;
    if claim == Claim::Duplicate {
        return Ok(Some(Applied::Duplicate));
    }
    match effect(ctx, event, &external).await {
        Ok(applied) => {
            events::complete(&ctx.db, ctx.now(), EventSource::Stripe, &event.id).await?;
            ctx.jobs.notify();
            Ok(applied)
        }
        Err(e) => {
            events::release(&ctx.db, EventSource::Stripe, &event.id).await?;
            Err(e)
        }
    }
}

async fn effect(
    ctx: &AppCtx,
    event: &BillingEvent,
    external: &str,
) -> Result<Option<Applied>, HandleError> {
    let now = ctx.now();
    // Stripe's subscription, not the event's copy: its metadata says whose it is.
    let fresh = read(ctx, external).await?;
    let sub = match platform::subscription_by_external(&ctx.db, external).await? {
        Some(sub) => sub,
        None => {
            let meta = &fresh["metadata"];
            let seller = meta["seller_id"]
                .as_str()
                .and_then(|s| s.parse::<i64>().ok());
            let code = meta["plan"].as_str();
            let (Some(seller), Some(code), Some(KIND)) = (seller, code, meta[KIND_KEY].as_str())
            else {
                return Ok(None);
            };
            if super::catalog::seller(&ctx.db, seller).await?.is_none() {
                tracing::warn!(seller, "a platform plan of an unknown seller; ignored");
                return Ok(None);
            }
            let started = fresh["created"]
                .as_i64()
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .unwrap_or(now);
            platform::ensure(&ctx.db, now, seller, code, external, started).await?
        }
    };
    if event.kind == "invoice.paid" {
        let object = &event.object;
        let period_end = recurring_card::invoice_period_end(object).unwrap_or(now);
        platform::invoice_paid(
            &ctx.db,
            now,
            &sub,
            object["id"].as_str().unwrap_or_default(),
            object["amount_paid"].as_i64().unwrap_or(0),
            object["currency"].as_str().unwrap_or("usd"),
            period_end,
        )
        .await?;
    }
    let moved = platform::sync(&ctx.db, now, external, &recurring_card::reported(&fresh)).await?;
    notice(ctx, &sub, &moved, &event.id).await?;
    // The newest live plan replaces the seller's older ones.
    if let Some(live) = platform::live_subscription(&ctx.db, sub.seller_id).await?
        && live.id == sub.id
    {
        for old in platform::superseded(&ctx.db, &live).await? {
            end_now(ctx, &old).await.map_err(upstream)?;
        }
    }
    Ok(Some(Applied::Applied))
}

#[derive(Serialize)]
struct EndNow {
    prorate: bool,
}

/// Ends an older plan's subscription at Stripe now (its unused time credited) and stores it.
async fn end_now(ctx: &AppCtx, sub: &PlatformSubscription) -> Result<(), CardError> {
    let client = platform_client(ctx)?;
    let fresh = match recurring_card::raw(
        &client,
        StripeMethod::Delete,
        format!("/subscriptions/{}", sub.external_id),
        Some(&EndNow { prorate: true }),
        Some(format!("platform-plan-end-{}", sub.id)),
    )
    .await
    {
        Ok(fresh) => fresh,
        // Ended already (by an earlier try, or at Stripe): store what Stripe says now.
        Err(CardError::Rejected(why)) => {
            tracing::info!(subscription = %sub.external_id, %why, "ending an older plan");
            recurring_card::raw(
                &client,
                StripeMethod::Get,
                format!("/subscriptions/{}", sub.external_id),
                None::<&()>,
                None,
            )
            .await?
        }
        Err(e) => return Err(e),
    };
    platform::sync(
        &ctx.db,
        ctx.now(),
        &sub.external_id,
        &recurring_card::reported(&fresh),
    )
    .await?;
    Ok(())
}

#[derive(Serialize)]
struct CancelAtPeriodEnd {
    cancel_at_period_end: bool,
}

/// Turns the renewal of the seller's plan off (the plan runs to the period's end, then the
/// seller is on Free) or back on.
pub async fn set_cancel(
    ctx: &AppCtx,
    sub: &PlatformSubscription,
    cancel: bool,
) -> Result<Moved, CardError> {
    let client = platform_client(ctx)?;
    let fresh = recurring_card::raw(
        &client,
        StripeMethod::Post,
        format!("/subscriptions/{}", sub.external_id),
        Some(&CancelAtPeriodEnd {
            cancel_at_period_end: cancel,
        }),
        None,
    )
    .await?;
    Ok(platform::sync(
        &ctx.db,
        ctx.now(),
        &sub.external_id,
        &recurring_card::reported(&fresh),
    )
    .await?)
}

/// Queues the seller's notice of a change of plan (once per cause).
async fn notice(
    ctx: &AppCtx,
    sub: &PlatformSubscription,
    moved: &Moved,
    cause: &str,
) -> Result<(), HandleError> {
    let payload = match moved {
        Moved::Nothing => return Ok(()),
        Moved::Plan { from, to } => serde_json::json!({
            "seller": sub.seller_id, "kind": "plan", "from": from.code, "to": to.code,
        }),
        Moved::Ending { plan, at } => serde_json::json!({
            "seller": sub.seller_id, "kind": "ending", "plan": plan.code,
            "at": at.map(|t| t.timestamp()),
        }),
    };
    let now = ctx.now();
    let mut job = NewJob::now(NOTICE_JOB, payload, now);
    job.dedupe_key = Some(format!("plan-notice:{}:{cause}", sub.seller_id));
    jobs::enqueue(&ctx.db, now, job).await?;
    Ok(())
}

/// Queues the seller's notice that a limit turned a buyer or a new service away: at most one
/// per seller, limit and day.
pub async fn limit_notice(
    ctx: &AppCtx,
    seller_id: i64,
    reached: &platform::LimitReached,
) -> Result<(), crate::services::ServiceError> {
    let now = ctx.now();
    let mut job = NewJob::now(
        NOTICE_JOB,
        serde_json::json!({
            "seller": seller_id, "kind": "limit", "limit": reached.limit.as_str(),
        }),
        now,
    );
    job.dedupe_key = Some(format!(
        "plan-limit:{seller_id}:{}:{}",
        reached.limit.as_str(),
        now.format("%Y-%m-%d")
    ));
    jobs::enqueue(&ctx.db, now, job)
        .await
        .map_err(crate::services::ServiceError::from)?;
    ctx.jobs.notify();
    Ok(())
}
