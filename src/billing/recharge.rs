//! Auto-recharge: when an opted-in user's balance falls below their threshold, a job buys
//! their pack with an off-session PaymentIntent on the card their last Checkout saved.
//! Declines tell the user; the third in a row switches auto-recharge off.
use std::sync::{Arc, OnceLock};

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::payment_intent::{CreatePaymentIntent, RetrievePaymentIntent};
use stripe_types::Currency;

use crate::{
    context::AppCtx,
    delivery::{Reply, notify},
    jobs::{self, Job, JobError, NewJob},
    {
        accounts::credits,
        billing::auto_recharge::{self, MAX_FAILURES},
        billing::orders::{self, Method, PaymentRef},
        services::ServiceError,
    },
};

pub const JOB: &str = "auto_recharge";

/// After a debit: queue a recharge when this user wants one now (at most one a minute).
pub async fn maybe_trigger(ctx: &AppCtx, user_id: i64, balance: i64) -> Result<(), ServiceError> {
    let Some(a) = auto_recharge::get(&ctx.db, user_id).await? else {
        return Ok(());
    };
    if !a.enabled || a.payment_method.is_none() || balance >= a.threshold || ctx.stripe.is_none() {
        return Ok(());
    }
    // The operator switched auto-recharge off for everyone.
    if !crate::services::settings::get(&ctx.db, &crate::services::settings::AUTO_RECHARGE).await? {
        return Ok(());
    }
    let now = ctx.now();
    let job = NewJob {
        dedupe_key: Some(format!("{JOB}:{user_id}:{}", now.format("%Y%m%d%H%M"))),
        max_attempts: 5,
        ..NewJob::now(JOB, serde_json::json!({ "user_id": user_id }), now)
    };
    if jobs::enqueue(&ctx.db, now, job).await? {
        ctx.jobs.notify();
    }
    Ok(())
}

/// After a Checkout paid by an opted-in user: keep the card it saved for later.
pub async fn remember_card(
    ctx: &AppCtx,
    user_id: i64,
    payment_intent: &str,
) -> Result<(), ServiceError> {
    let (Some(a), Some(client)) = (
        auto_recharge::get(&ctx.db, user_id).await?,
        ctx.stripe.as_ref(),
    ) else {
        return Ok(());
    };
    if !auto_recharge::wants_card(&a) {
        return Ok(());
    }
    match RetrievePaymentIntent::new(payment_intent)
        .send(client)
        .await
    {
        Ok(pi) => {
            if let Some(pm) = pi.payment_method {
                auto_recharge::save_payment_method(&ctx.db, ctx.now(), user_id, pm.id().as_str())
                    .await?;
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read the saved card"),
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct Payload {
    user_id: i64,
}

/// The job. The app context is set once the app is built (the job runner exists before it).
pub async fn run(ctx: Arc<OnceLock<AppCtx>>, job: Job) -> Result<(), JobError> {
    let ctx = ctx
        .get()
        .ok_or_else(|| JobError::Retry("the app is starting".into()))?;
    let p: Payload =
        serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(e.to_string()))?;
    let retry = |e: ServiceError| JobError::Retry(e.to_string());
    let Some(a) = auto_recharge::get(&ctx.db, p.user_id)
        .await
        .map_err(retry)?
    else {
        return Ok(());
    };
    let balance = credits::balance(&ctx.db, p.user_id).await.map_err(retry)?;
    let (Some(pm), Some(client)) = (a.payment_method.clone(), ctx.stripe.as_ref()) else {
        return Ok(());
    };
    if !a.enabled || balance >= a.threshold {
        return Ok(()); // topped up meanwhile, or switched off
    }
    let Some(product) = orders::product(&ctx.db, a.product_id)
        .await
        .map_err(retry)?
        .filter(|p| p.active)
    else {
        return Err(JobError::Permanent(
            "the auto-recharge pack is no longer sold".into(),
        ));
    };
    let Some(customer) = orders::stripe_customer(&ctx.db, p.user_id)
        .await
        .map_err(retry)?
    else {
        return Err(JobError::Permanent("no Stripe customer".into()));
    };
    let order = orders::create(&ctx.db, ctx.now(), p.user_id, &product, Method::Stripe)
        .await
        .map_err(retry)?;
    let currency: Currency = product
        .currency
        .parse()
        .map_err(|_| JobError::Permanent("bad currency".into()))?;
    let metadata: std::collections::HashMap<String, String> = [
        ("order_id".to_owned(), order.id.to_string()),
        ("user_id".to_owned(), p.user_id.to_string()),
    ]
    .into_iter()
    .collect();
    let key = IdempotencyKey::new(format!("auto-recharge-order-{}", order.id))
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    let result = CreatePaymentIntent::new(product.price_minor, currency)
        .customer(customer.as_str())
        .payment_method(pm.as_str())
        .off_session(stripe_core::payment_intent::CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .metadata(metadata)
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(client)
        .await;
    match result {
        Ok(pi) if pi.status == stripe_core::PaymentIntentStatus::Succeeded => {
            let paid = orders::pay(
                &ctx.db,
                ctx.now(),
                &order,
                PaymentRef {
                    stripe_payment_intent: Some(pi.id.as_str()),
                    telegram_charge_id: None,
                },
            )
            .await
            .map_err(retry)?;
            auto_recharge::record_success(&ctx.db, p.user_id)
                .await
                .map_err(retry)?;
            notify::paid(ctx, p.user_id, &paid)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            Ok(())
        }
        Ok(_) | Err(stripe::StripeError::Stripe(..)) => {
            // Declined (or needs the customer present): count it, tell the user.
            orders::mark_failed(&ctx.db, ctx.now(), order.id)
                .await
                .map_err(retry)?;
            let failures = auto_recharge::record_failure(&ctx.db, ctx.now(), p.user_id)
                .await
                .map_err(retry)?;
            let reply = if failures >= MAX_FAILURES {
                Reply::AutoRechargeDisabled
            } else {
                Reply::AutoRechargeFailed
            };
            notify::to_user(ctx, p.user_id, &reply)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            Ok(())
        }
        Err(e) => {
            orders::mark_failed(&ctx.db, ctx.now(), order.id)
                .await
                .map_err(retry)?;
            Err(JobError::Retry(format!("Stripe unreachable: {e}")))
        }
    }
}
