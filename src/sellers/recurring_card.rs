//! Renewing plans on Stripe: Checkout in subscription mode on the account the seller's payout
//! mode names, the billing events (`invoice.paid`, `invoice.payment_failed`,
//! `customer.subscription.created` / `.updated` / `.deleted`), and the buyer's changes
//! (cancel at the period end, resume, the retention coupon).
//!
//! An edge module: it calls Stripe and takes the app's context, like [`card`](super::card).
//! The effects are [`recurring`]'s.
//!
//! Billing events are read through a narrow view of the fields used here, not the typed
//! objects: Stripe moved an invoice's subscription (`invoice.subscription` →
//! `invoice.parent.subscription_details.subscription`) and a subscription's period (onto its
//! items) between API versions, and both shapes are read. The state of a subscription is
//! never taken from an event's copy of it: after each event the subscription is read from
//! Stripe and [`recurring::sync`] stores that, so events applied in any order, any number of
//! times, leave Stripe's current state.
use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::{
    CheckoutSessionMode,
    checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionLineItemsPriceDataRecurring,
        CreateCheckoutSessionLineItemsPriceDataRecurringInterval,
        CreateCheckoutSessionSubscriptionData, CreateCheckoutSessionSubscriptionDataTransferData,
        ProductData,
    },
};
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_types::Currency;

use super::{
    access::{self, Ordered, PayBy},
    card::{self, CardError, Endpoint},
    catalog::{self, Plan, Seller, Service},
    payouts::{self, PayMode},
    recurring::{
        self, Change, InvoiceKey, InvoicePaid, Owner, PaidInvoice, Reported, Subscription,
    },
};
use crate::{
    billing::stripe::{Applied, HandleError},
    context::AppCtx,
    jobs::{self, NewJob},
    services::events::{self, Claim, EventSource},
};

const PAID_TO_KEY: &str = "paid_to";

/// A Checkout Session that starts a subscription to `plan` for `user`: the plan's card price
/// every `period_days` days, on the account the seller's mode names (Connect: the platform's
/// fee as `application_fee_percent`, the rest to the connected account). The subscription
/// carries who it is for in its metadata, which Stripe copies onto every invoice.
pub async fn checkout(
    ctx: &AppCtx,
    seller: &Seller,
    service: &Service,
    plan: &Plan,
    user: i64,
) -> Result<String, CardError> {
    let mode = payouts::mode_of(seller);
    let client = card::account_client(ctx, seller, mode)?;
    let order =
        match access::create_order_with(&ctx.db, ctx.now(), user, plan, PayBy::Card, None).await? {
            Ordered::Order(order) => *order,
            Ordered::Limit(reached) => return Err(CardError::Limit(reached)),
            Ordered::NoPrice | Ordered::Promo(_) => return Err(CardError::NoCardPrice),
        };
    let currency = Currency::from_str(&order.currency.to_ascii_lowercase())
        .map_err(|_| CardError::Rejected(format!("unknown currency {}", order.currency)))?;
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
    price.unit_amount = Some(order.amount_minor);
    let mut recurring = CreateCheckoutSessionLineItemsPriceDataRecurring::new(
        CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Day,
    );
    recurring.interval_count = Some(u64::try_from(plan.period_days.max(1)).unwrap_or(1));
    price.recurring = Some(recurring);
    price.product_data = Some(ProductData::new(format!(
        "{} · every {} days",
        service.title, plan.period_days
    )));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(1);
    let ids = card::metadata(&[
        (card::ORDER_KEY, order.id.to_string()),
        ("seller_id", seller.id.to_string()),
        ("service_id", service.id.to_string()),
        ("plan_id", plan.id.to_string()),
        ("user_id", user.to_string()),
        (PAID_TO_KEY, mode.as_str().to_owned()),
    ]);
    let mut data = CreateCheckoutSessionSubscriptionData::new();
    data.metadata = Some(ids.clone());
    if mode == PayMode::Connect {
        let account = seller
            .connect_account_id
            .clone()
            .ok_or(CardError::NotConfigured)?;
        let percent = super::platform::fee_percent(&ctx.db, seller.id).await?;
        data.application_fee_percent = Some(percent.clamp(0, 100) as f64);
        data.transfer_data = Some(CreateCheckoutSessionSubscriptionDataTransferData::new(
            account,
        ));
    }
    let base = ctx.public_base();
    let key = IdempotencyKey::new(format!("access-subscription-{}", order.id))
        .map_err(|e| CardError::Rejected(e.to_string()))?;
    let mut create = CreateCheckoutSession::new();
    let brand = super::branding::brand(&ctx.db, seller).await?;
    if brand.custom {
        create = create.branding_settings(card::branding_settings(&brand, &base));
    }
    let session = create
        .mode(CheckoutSessionMode::Subscription)
        .line_items(vec![item])
        .client_reference_id(access::invoice_payload(order.id))
        .metadata(ids)
        .subscription_data(data)
        .success_url(format!(
            "{base}/pay/success/{}?session_id={{CHECKOUT_SESSION_ID}}",
            seller.id
        ))
        .cancel_url(format!("{base}/pay/cancel/{}", seller.id))
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&client)
        .await;
    let session = match session {
        Ok(session) => session,
        Err(e) => {
            access::mark_failed(&ctx.db, ctx.now(), order.id).await?;
            return Err(card::stripe_err(e));
        }
    };
    access::attach_session(&ctx.db, order.id, session.id.as_str(), mode.as_str()).await?;
    session
        .url
        .ok_or_else(|| CardError::Rejected("the checkout session has no URL".into()))
}

// ---------------------------------------------------------------------------------------------
// Reading Stripe's billing objects

/// A verified Stripe event about invoices or subscriptions, in the narrow view read here.
#[derive(Debug, Clone)]
pub struct BillingEvent {
    pub id: String,
    pub kind: String,
    pub object: Value,
}

/// Whether events of this type are read here.
pub fn is_billing_type(kind: &str) -> bool {
    matches!(
        kind,
        "invoice.paid"
            | "invoice.payment_failed"
            | "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted"
    )
}

/// The billing event in a verified payload; None when the payload is another kind of event.
pub fn parse(payload: &str) -> Option<BillingEvent> {
    let v: Value = serde_json::from_str(payload).ok()?;
    let kind = v["type"].as_str()?;
    if !is_billing_type(kind) {
        return None;
    }
    Some(BillingEvent {
        id: v["id"].as_str()?.to_owned(),
        kind: kind.to_owned(),
        object: v["data"]["object"].clone(),
    })
}

fn timestamp(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(v.as_i64()?, 0)
}

/// The subscription an invoice belongs to and the metadata it carries (both API shapes).
fn invoice_subscription(invoice: &Value) -> (Option<String>, Value) {
    let details = &invoice["parent"]["subscription_details"];
    let id = details["subscription"]
        .as_str()
        .or_else(|| invoice["subscription"].as_str())
        .or_else(|| invoice["subscription"]["id"].as_str())
        .map(str::to_owned);
    let metadata = if details["metadata"].is_object() {
        details["metadata"].clone()
    } else {
        invoice["subscription_details"]["metadata"].clone()
    };
    (id, metadata)
}

/// A subscription's state (the period on its first item, or on the subscription itself in
/// older API versions).
pub fn reported(sub: &Value) -> Reported {
    let item = &sub["items"]["data"][0];
    Reported {
        status: sub["status"].as_str().unwrap_or("incomplete").to_owned(),
        cancel_at_period_end: sub["cancel_at_period_end"].as_bool().unwrap_or(false),
        current_period_end: timestamp(&item["current_period_end"])
            .or_else(|| timestamp(&sub["current_period_end"])),
    }
}

fn owner_of(metadata: &Value) -> Option<(Owner, PayMode)> {
    let num = |k: &str| metadata[k].as_str()?.parse::<i64>().ok();
    Some((
        Owner {
            seller_id: num("seller_id")?,
            service_id: num("service_id")?,
            plan_id: num("plan_id")?,
            user_id: num("user_id")?,
            order_id: num(card::ORDER_KEY),
        },
        metadata[PAID_TO_KEY]
            .as_str()
            .and_then(PayMode::parse)
            .unwrap_or(PayMode::Platform),
    ))
}

/// Whether a subscription paid to `paid_to` for `seller` speaks through `endpoint`.
fn belongs(seller: i64, paid_to: PayMode, endpoint: Endpoint) -> bool {
    match endpoint {
        Endpoint::Platform => matches!(paid_to, PayMode::Platform | PayMode::Connect),
        Endpoint::Seller(id) => seller == id && paid_to == PayMode::OwnKey,
    }
}

pub(super) async fn raw(
    client: &stripe::Client,
    method: StripeMethod,
    path: String,
    form: Option<&impl Serialize>,
    idempotency: Option<String>,
) -> Result<Value, CardError> {
    let mut builder = RequestBuilder::new(method, path);
    if let Some(form) = form {
        builder = builder.form(form);
    }
    let mut request = builder.customize::<miniserde::json::Value>();
    if let Some(key) = idempotency {
        let key = IdempotencyKey::new(key).map_err(|e| CardError::Rejected(e.to_string()))?;
        request = request.request_strategy(RequestStrategy::Idempotent(key));
    }
    let value = request.send(client).await.map_err(card::stripe_err)?;
    serde_json::from_str(&miniserde::json::to_string(&value))
        .map_err(|e| CardError::Rejected(format!("Stripe's answer is not JSON: {e}")))
}

async fn client_of(ctx: &AppCtx, sub: &Subscription) -> Result<stripe::Client, CardError> {
    let seller = catalog::seller(&ctx.db, sub.seller_id)
        .await?
        .ok_or(CardError::NotConfigured)?;
    let mode = PayMode::parse(&sub.paid_to).unwrap_or(PayMode::Platform);
    card::account_client(ctx, &seller, mode)
}

/// Reads the subscription from Stripe and stores its state.
pub async fn refresh(ctx: &AppCtx, sub: &Subscription) -> Result<Vec<Change>, CardError> {
    let client = client_of(ctx, sub).await?;
    let fresh = raw(
        &client,
        StripeMethod::Get,
        format!("/subscriptions/{}", sub.external_id),
        None::<&()>,
        None,
    )
    .await?;
    Ok(recurring::sync(
        &ctx.db,
        ctx.now(),
        recurring::PROVIDER_STRIPE,
        &sub.external_id,
        &reported(&fresh),
    )
    .await?)
}

/// The subscription a billing event is about, and the metadata it carries.
pub(super) fn subject(event: &BillingEvent) -> (Option<String>, Value) {
    let object = &event.object;
    if event.kind.starts_with("invoice.") {
        invoice_subscription(object)
    } else {
        (
            object["id"].as_str().map(str::to_owned),
            object["metadata"].clone(),
        )
    }
}

/// The end of the period a paid invoice paid for.
pub(super) fn invoice_period_end(invoice: &Value) -> Option<DateTime<Utc>> {
    timestamp(&invoice["lines"]["data"][0]["period"]["end"])
        .or_else(|| timestamp(&invoice["period_end"]))
}

// ---------------------------------------------------------------------------------------------
// Events

/// Applies a billing event once; None: it is not about a subscription of ours (the caller
/// answers "received").
pub async fn apply(
    ctx: &AppCtx,
    event: &BillingEvent,
    endpoint: Endpoint,
) -> Result<Option<Applied>, HandleError> {
    if super::platform_card::is_ours(ctx, event).await? {
        return super::platform_card::apply(ctx, event, endpoint).await;
    }
    let (external, metadata) = subject(event);
    let Some(external) = external else {
        return Ok(None);
    };
    let now = ctx.now();
    let known = recurring::by_external(&ctx.db, recurring::PROVIDER_STRIPE, &external).await?;
    let (sub, order_id) = match (known, owner_of(&metadata)) {
        (Some(sub), owner) => {
            let paid_to = PayMode::parse(&sub.paid_to).unwrap_or(PayMode::Platform);
            if !belongs(sub.seller_id, paid_to, endpoint) {
                tracing::warn!(
                    ?endpoint,
                    subscription = sub.id,
                    "a billing event of another account; ignored"
                );
                return Ok(Some(Applied::Duplicate));
            }
            (sub, owner.and_then(|(o, _)| o.order_id))
        }
        (None, Some((owner, paid_to))) => {
            if !belongs(owner.seller_id, paid_to, endpoint) {
                tracing::warn!(
                    ?endpoint,
                    seller = owner.seller_id,
                    "a billing event of another account; ignored"
                );
                return Ok(Some(Applied::Duplicate));
            }
            match recurring::ensure(
                &ctx.db,
                now,
                recurring::PROVIDER_STRIPE,
                &owner,
                &external,
                paid_to.as_str(),
            )
            .await?
            {
                Some(sub) => (sub, owner.order_id),
                None => return Ok(None),
            }
        }
        (None, None) => return Ok(None),
    };
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
    match effect(ctx, event, &sub, order_id).await {
        Ok(()) => {
            events::complete(&ctx.db, ctx.now(), EventSource::Stripe, &event.id).await?;
            ctx.jobs.notify();
            Ok(Some(Applied::Applied))
        }
        Err(e) => {
            events::release(&ctx.db, EventSource::Stripe, &event.id).await?;
            Err(e)
        }
    }
}

fn unreachable(e: CardError) -> HandleError {
    match e {
        CardError::Service(s) => HandleError::Service(s),
        other => HandleError::Upstream(other.to_string()),
    }
}

async fn effect(
    ctx: &AppCtx,
    event: &BillingEvent,
    sub: &Subscription,
    order_id: Option<i64>,
) -> Result<(), HandleError> {
    let now = ctx.now();
    let object = &event.object;
    match event.kind.as_str() {
        "invoice.paid" => {
            let Some(period_end) = invoice_period_end(object) else {
                tracing::warn!(event = %event.id, "a paid invoice without a period; ignored");
                return Ok(());
            };
            let invoice = PaidInvoice {
                key: InvoiceKey::Stripe(object["id"].as_str().unwrap_or_default()),
                amount_minor: object["amount_paid"].as_i64().unwrap_or(0),
                currency: object["currency"].as_str().unwrap_or("usd"),
                period_end,
                first: object["billing_reason"] == "subscription_create",
            };
            let mode = PayMode::parse(&sub.paid_to).unwrap_or(PayMode::Platform);
            let platform_fee = super::platform::fee_percent(&ctx.db, sub.seller_id).await?;
            let fee = mode.fee_percent(platform_fee);
            if let InvoicePaid::Applied(order) =
                recurring::invoice_paid(&ctx.db, now, sub, order_id, &invoice, fee).await?
            {
                let mut job = NewJob::now(
                    card::NOTICE_JOB,
                    serde_json::json!({ "order": order.id, "kind": "sale", "amount": 0 }),
                    now,
                );
                job.dedupe_key = Some(format!("sale:{}", order.id));
                jobs::enqueue(&ctx.db, now, job).await?;
            }
        }
        "invoice.payment_failed" => {
            let invoice = object["id"].as_str().unwrap_or_default();
            recurring::payment_failed(
                &ctx.db,
                now,
                sub,
                invoice,
                object["hosted_invoice_url"].as_str(),
            )
            .await?;
        }
        _ => {}
    }
    // Whatever the event said, the subscription's state is Stripe's current one.
    refresh(ctx, sub).await.map_err(unreachable)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The buyer's changes

#[derive(Serialize)]
struct CancelAtPeriodEnd {
    cancel_at_period_end: bool,
}

/// Turns renewal off (access runs to the period's end) or back on.
pub async fn set_cancel(
    ctx: &AppCtx,
    sub: &Subscription,
    cancel: bool,
) -> Result<Vec<Change>, CardError> {
    let client = client_of(ctx, sub).await?;
    let fresh = raw(
        &client,
        StripeMethod::Post,
        format!("/subscriptions/{}", sub.external_id),
        Some(&CancelAtPeriodEnd {
            cancel_at_period_end: cancel,
        }),
        None,
    )
    .await?;
    Ok(recurring::sync(
        &ctx.db,
        ctx.now(),
        recurring::PROVIDER_STRIPE,
        &sub.external_id,
        &reported(&fresh),
    )
    .await?)
}

#[derive(Serialize)]
struct NewCoupon {
    percent_off: i32,
    duration: &'static str,
    name: String,
    max_redemptions: i32,
    metadata: HashMap<&'static str, String>,
}

#[derive(Serialize)]
struct Discount {
    coupon: String,
}

#[derive(Serialize)]
struct KeepWithDiscount {
    cancel_at_period_end: bool,
    discounts: Vec<Discount>,
}

/// The buyer takes the retention offer: a one-time coupon of `percent` on the next invoice,
/// and renewal stays on. Once per subscription (false: taken before); the coupon and the
/// update carry idempotency keys, so a second press reaches the same coupon at Stripe.
pub async fn accept_retention(
    ctx: &AppCtx,
    sub: &Subscription,
    percent: i32,
) -> Result<bool, CardError> {
    let client = client_of(ctx, sub).await?;
    let coupon = raw(
        &client,
        StripeMethod::Post,
        "/coupons".to_owned(),
        Some(&NewCoupon {
            percent_off: percent,
            duration: "once",
            name: format!("{percent}% off the next period"),
            max_redemptions: 1,
            metadata: HashMap::from([("subscription", sub.external_id.clone())]),
        }),
        Some(format!("retention-coupon-{}", sub.id)),
    )
    .await?;
    let coupon = coupon["id"]
        .as_str()
        .ok_or_else(|| CardError::Rejected("the coupon has no id".into()))?
        .to_owned();
    let fresh = raw(
        &client,
        StripeMethod::Post,
        format!("/subscriptions/{}", sub.external_id),
        Some(&KeepWithDiscount {
            cancel_at_period_end: false,
            discounts: vec![Discount { coupon }],
        }),
        Some(format!("retention-apply-{}", sub.id)),
    )
    .await?;
    let taken = recurring::retention_accepted(&ctx.db, ctx.now(), sub, percent).await?;
    recurring::sync(
        &ctx.db,
        ctx.now(),
        recurring::PROVIDER_STRIPE,
        &sub.external_id,
        &reported(&fresh),
    )
    .await?;
    Ok(taken)
}
