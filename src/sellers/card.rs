//! Card payments for sellers' plans through Stripe: the Checkout Session on the account the
//! seller's payout mode names ([`payouts`]), the seller's own key checked with one call, a
//! connected account checked before it is used, and the Stripe events that pay, fail and
//! refund access orders, from the platform's endpoint or from a seller's own.
//!
//! An edge module: it calls Stripe and takes the app's context, like `billing::checkout`. The
//! effects are the services' ([`access::pay`], [`access::refund`]): a PaymentIntent is unique
//! on its order, so a retried or duplicated event admits once; each event is also claimed by
//! its id first.
use std::str::FromStr;

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::{
    CheckoutSessionMode,
    checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionBrandingSettings,
        CreateCheckoutSessionBrandingSettingsLogo, CreateCheckoutSessionBrandingSettingsLogoType,
        CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
        CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionPaymentIntentDataTransferData,
        ProductData,
    },
};
use stripe_core::customer::ListCustomer;
use stripe_types::Currency;
use stripe_webhook::{Event, EventObject};

use super::{
    access::{self, AccessOrder, ChargeRef, Ordered, Paid, PayBy},
    branding::{self, Brand},
    catalog::{Plan, Seller, Service},
    payouts::{self, PayMode},
    promos, split_fee,
};
use crate::{
    billing::stripe::{Applied, HandleError},
    context::AppCtx,
    jobs::{self, NewJob},
    services::{
        ServiceError,
        events::{self, Claim, EventSource},
    },
};

/// Tells the buyer and the seller about a card payment or a refund (payload `{"order": id,
/// "kind": "sale" | "refund", "amount": refunded now}`), after Stripe has had its answer.
pub const NOTICE_JOB: &str = "seller_payment_notice";

pub(super) const ORDER_KEY: &str = "access_order";

#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The platform has no Stripe account configured (platform and Connect modes).
    #[error("Stripe is not configured")]
    NotConfigured,
    /// The seller's own key cannot be used: no `ENCRYPTION_KEY`, or it does not open.
    #[error("the seller's Stripe key is not available")]
    KeyUnavailable,
    /// The plan has no card price.
    #[error("the plan has no card price")]
    NoCardPrice,
    /// The promo code does not apply (any more): no order was made.
    #[error("the promo code does not apply")]
    Promo(promos::Invalid),
    /// The seller's platform plan takes no new members now: no order was made.
    #[error("the seller's plan takes no new members")]
    Limit(Box<super::platform::LimitReached>),
    /// Stripe answered with an error (a rejected key, an unknown account, …).
    #[error("Stripe: {0}")]
    Rejected(String),
    /// No answer from Stripe: nothing was decided there.
    #[error("Stripe is unreachable: {0}")]
    Unreachable(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

pub fn stripe_err(e: stripe::StripeError) -> CardError {
    match e {
        stripe::StripeError::Stripe(..) => CardError::Rejected(e.to_string()),
        other => CardError::Unreachable(other.to_string()),
    }
}

fn api_base(ctx: &AppCtx) -> String {
    ctx.config.stripe.as_ref().map_or_else(
        || crate::config::DEFAULT_STRIPE_API_BASE.to_owned(),
        |s| s.api_base.to_string(),
    )
}

fn client_for_key(ctx: &AppCtx, key: &str) -> Result<stripe::Client, CardError> {
    stripe::ClientBuilder::new(key)
        .url(api_base(ctx))
        .build()
        .map_err(|e| CardError::Unreachable(e.to_string()))
}

/// Checks a seller's secret key with one read (the first customer of the account).
pub async fn check_key(ctx: &AppCtx, key: &str) -> Result<(), CardError> {
    ListCustomer::new()
        .limit(1)
        .send(&client_for_key(ctx, key)?)
        .await
        .map(|_| ())
        .map_err(stripe_err)
}

/// The Stripe client of the account `mode` names for `seller`: the platform's (platform and
/// Connect payments) or the seller's own key.
pub fn account_client(
    ctx: &AppCtx,
    seller: &Seller,
    mode: PayMode,
) -> Result<stripe::Client, CardError> {
    match mode {
        PayMode::Platform | PayMode::Connect => ctx.stripe.clone().ok_or(CardError::NotConfigured),
        PayMode::OwnKey => {
            let sealer = ctx.sealer.as_ref().ok_or(CardError::KeyUnavailable)?;
            let key = payouts::own_key(sealer, seller)
                .map_err(|_| CardError::KeyUnavailable)?
                .ok_or(CardError::KeyUnavailable)?;
            client_for_key(ctx, &key)
        }
    }
}

/// Whether the seller's plans can be paid by card at all right now (the button is shown).
pub fn card_available(ctx: &AppCtx, seller: &Seller) -> bool {
    match payouts::mode_of(seller) {
        PayMode::Platform => ctx.stripe.is_some(),
        PayMode::Connect => {
            ctx.stripe.is_some()
                && seller.connect_account_id.is_some()
                && seller.connect_charges_enabled
        }
        PayMode::OwnKey => ctx.sealer.is_some() && seller.stripe_key_sealed.is_some(),
    }
}

pub(super) fn metadata(pairs: &[(&str, String)]) -> std::collections::HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// What a card checkout came to.
#[derive(Debug)]
pub enum Checkout {
    /// The page the buyer pays on.
    Page(String),
    /// A promo code took the whole price: the order is paid without Stripe.
    Free(Paid),
}

/// A Checkout Session for `plan` bought by `user` (priced with a promo code's quote), on the
/// account the seller's mode names. The discount goes into the line's unit amount, so the
/// platform fee and a connected account's `application_fee_amount` are taken from what the
/// buyer actually pays; the code and the list price are in the session's metadata.
pub async fn checkout(
    ctx: &AppCtx,
    seller: &Seller,
    service: &Service,
    plan: &Plan,
    user: i64,
    promo: Option<&promos::Quote>,
) -> Result<Checkout, CardError> {
    if let Some(q) = promo
        && q.card.as_ref().is_some_and(|p| p.amount == 0)
    {
        let order = ordered(ctx, user, plan, promo).await?;
        let paid = access::pay(&ctx.db, ctx.now(), &order, ChargeRef::Free, 0).await?;
        return Ok(Checkout::Free(paid));
    }
    let mode = payouts::mode_of(seller);
    let client = &account_client(ctx, seller, mode)?;
    let order = ordered(ctx, user, plan, promo).await?;
    let currency = Currency::from_str(&order.currency.to_ascii_lowercase())
        .map_err(|_| CardError::Rejected(format!("unknown currency {}", order.currency)))?;
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
    price.unit_amount = Some(order.amount_minor);
    let name = match promo {
        Some(q) => format!(
            "{} · {} days · code {} (-{})",
            service.title,
            plan.period_days,
            q.code.code,
            promos::discount_label(&q.code)
        ),
        None => format!("{} · {} days", service.title, plan.period_days),
    };
    price.product_data = Some(ProductData::new(name));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(1);
    let mut pairs = vec![
        (ORDER_KEY, order.id.to_string()),
        ("seller_id", seller.id.to_string()),
        ("service_id", service.id.to_string()),
        ("plan_id", plan.id.to_string()),
        ("user_id", user.to_string()),
    ];
    if let Some(q) = promo {
        pairs.push(("promo_code", q.code.code.clone()));
        pairs.push((
            "list_amount",
            (order.amount_minor + order.discount_minor).to_string(),
        ));
    }
    let ids = metadata(&pairs);
    let mut intent = CreateCheckoutSessionPaymentIntentData::new();
    intent.metadata = Some(ids.clone());
    if mode == PayMode::Connect {
        let account = seller
            .connect_account_id
            .clone()
            .ok_or(CardError::NotConfigured)?;
        let percent = super::platform::fee_percent(&ctx.db, seller.id).await?;
        intent.application_fee_amount = Some(split_fee(order.amount_minor, percent).0);
        intent.transfer_data = Some(CreateCheckoutSessionPaymentIntentDataTransferData::new(
            account,
        ));
    }
    let base = ctx.public_base();
    let key = IdempotencyKey::new(format!("access-checkout-{}", order.id))
        .map_err(|e| CardError::Rejected(e.to_string()))?;
    let mut create = CreateCheckoutSession::new();
    if promo.is_some() {
        // The session holds one of the code's uses: it ends soon so that an abandoned page
        // gives it back (Stripe's clock, not ours: it checks the bound against its own).
        let ends = chrono::Utc::now() + promos::CARD_HOLD + chrono::Duration::minutes(1);
        create = create.expires_at(ends.timestamp());
    }
    let brand = branding::brand(&ctx.db, seller).await?;
    if brand.custom {
        create = create.branding_settings(branding_settings(&brand, &base));
    }
    let session = create
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![item])
        .client_reference_id(access::invoice_payload(order.id))
        .metadata(ids)
        .payment_intent_data(intent)
        .success_url(format!(
            "{base}/pay/success/{}?session_id={{CHECKOUT_SESSION_ID}}",
            seller.id
        ))
        .cancel_url(format!("{base}/pay/cancel/{}", seller.id))
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(client)
        .await;
    let session = match session {
        Ok(session) => session,
        Err(e) => {
            // No page for the buyer: the order cannot be paid, and a code's use goes back.
            access::mark_failed(&ctx.db, ctx.now(), order.id).await?;
            return Err(stripe_err(e));
        }
    };
    access::attach_session(&ctx.db, order.id, session.id.as_str(), mode.as_str()).await?;
    session
        .url
        .map(Checkout::Page)
        .ok_or_else(|| CardError::Rejected("the checkout session has no URL".into()))
}

/// The seller's branding on the Checkout page: their name at the top, their colour on the
/// pay button, their logo (served by our logo route, which Stripe fetches).
pub(super) fn branding_settings(
    brand: &Brand,
    base: &str,
) -> CreateCheckoutSessionBrandingSettings {
    let mut settings = CreateCheckoutSessionBrandingSettings::new();
    settings.display_name = Some(brand.name.clone());
    settings.button_color = Some(brand.accent.clone());
    if brand.logo.is_some() {
        let mut logo = CreateCheckoutSessionBrandingSettingsLogo::new(
            CreateCheckoutSessionBrandingSettingsLogoType::Url,
        );
        logo.url = Some(logo_url(base, brand.seller_id));
        settings.logo = Some(logo);
    }
    settings
}

/// Where a seller's logo is served (the HTTP layer's logo route).
pub fn logo_url(base: &str, seller_id: i64) -> String {
    format!("{base}/brand/{seller_id}/logo")
}

async fn ordered(
    ctx: &AppCtx,
    user: i64,
    plan: &Plan,
    promo: Option<&promos::Quote>,
) -> Result<AccessOrder, CardError> {
    match access::create_order_with(&ctx.db, ctx.now(), user, plan, PayBy::Card, promo).await? {
        Ordered::Order(order) => Ok(*order),
        Ordered::NoPrice => Err(CardError::NoCardPrice),
        Ordered::Promo(why) => Err(CardError::Promo(why)),
        Ordered::Limit(reached) => Err(CardError::Limit(reached)),
    }
}

/// Whose endpoint an event came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The platform's own Stripe endpoint.
    Platform,
    /// A seller's own account's endpoint.
    Seller(i64),
}

/// What an event says about an access order.
enum Effect<'a> {
    Paid { pi: Option<&'a str> },
    Failed,
    Nothing,
    Refunded { total: i64 },
}

fn order_id(metadata: Option<&std::collections::HashMap<String, String>>) -> Option<i64> {
    metadata?.get(ORDER_KEY)?.parse().ok()
}

/// The access order an event is about and what it does to it; None: not about one.
async fn classify<'a>(
    ctx: &AppCtx,
    event: &'a Event,
) -> Result<Option<(AccessOrder, Effect<'a>)>, HandleError> {
    use stripe_checkout::CheckoutSessionPaymentStatus as Status;
    let by_id = |id: Option<i64>| async move {
        match id {
            Some(id) => access::order(&ctx.db, id).await,
            None => Ok(None),
        }
    };
    let (order, effect) = match &event.data.object {
        EventObject::CheckoutSessionCompleted(s) => (
            by_id(order_id(s.metadata.as_ref())).await?,
            // A renewing plan's order is paid by the subscription's first invoice
            // (`recurring_card`), which carries the period it paid for.
            if s.mode == CheckoutSessionMode::Subscription {
                Effect::Nothing
            } else if s.payment_status == Status::Paid {
                Effect::Paid {
                    pi: s.payment_intent.as_ref().map(|p| p.id().as_str()),
                }
            } else {
                // A delayed method: the async events decide.
                Effect::Nothing
            },
        ),
        EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => (
            by_id(order_id(s.metadata.as_ref())).await?,
            Effect::Paid {
                pi: s.payment_intent.as_ref().map(|p| p.id().as_str()),
            },
        ),
        EventObject::CheckoutSessionAsyncPaymentFailed(s)
        | EventObject::CheckoutSessionExpired(s) => {
            (by_id(order_id(s.metadata.as_ref())).await?, Effect::Failed)
        }
        // A declined card inside Checkout can be retried on the same page: only the session's
        // end (expired, async failure) fails the order.
        EventObject::PaymentIntentPaymentFailed(pi) => {
            (by_id(order_id(Some(&pi.metadata))).await?, Effect::Nothing)
        }
        EventObject::ChargeRefunded(charge) => {
            let order = match &charge.payment_intent {
                Some(pi) => access::order_by_payment_intent(&ctx.db, pi.id().as_str()).await?,
                None => None,
            };
            (
                order,
                Effect::Refunded {
                    total: charge.amount_refunded,
                },
            )
        }
        _ => return Ok(None),
    };
    Ok(order.map(|o| (o, effect)))
}

/// Whether an order's money went to the account behind `endpoint`: the platform's endpoint
/// speaks for platform and Connect payments, a seller's own endpoint for that seller's own.
fn belongs(order: &AccessOrder, endpoint: Endpoint) -> bool {
    let paid_to = order.paid_to.as_deref().and_then(PayMode::parse);
    match endpoint {
        Endpoint::Platform => matches!(paid_to, Some(PayMode::Platform | PayMode::Connect)),
        Endpoint::Seller(id) => order.seller_id == id && paid_to == Some(PayMode::OwnKey),
    }
}

/// Applies a Stripe event about an access order, once; None: the event is not about one (the
/// platform's endpoint then hands it to the credit shop).
pub async fn apply(
    ctx: &AppCtx,
    event: &Event,
    endpoint: Endpoint,
) -> Result<Option<Applied>, HandleError> {
    let Some((order, effect)) = classify(ctx, event).await? else {
        return Ok(None);
    };
    if !belongs(&order, endpoint) {
        tracing::warn!(
            order = order.id,
            ?endpoint,
            "a Stripe event about an order of another account; ignored"
        );
        return Ok(Some(Applied::Duplicate));
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
        return Ok(Some(Applied::Duplicate));
    }
    match effect_on(ctx, &order, effect).await {
        Ok(()) => {
            events::complete(&ctx.db, ctx.now(), EventSource::Stripe, id).await?;
            Ok(Some(Applied::Applied))
        }
        Err(e) => {
            events::release(&ctx.db, EventSource::Stripe, id).await?;
            Err(e)
        }
    }
}

async fn effect_on(
    ctx: &AppCtx,
    order: &AccessOrder,
    effect: Effect<'_>,
) -> Result<(), HandleError> {
    let now = ctx.now();
    match effect {
        Effect::Paid { pi } => {
            let Some(pi) = pi else {
                tracing::warn!(
                    order = order.id,
                    "a paid session without a PaymentIntent; ignored"
                );
                return Ok(());
            };
            let mode = order
                .paid_to
                .as_deref()
                .and_then(PayMode::parse)
                .unwrap_or(PayMode::Platform);
            let platform_fee = super::platform::fee_percent(&ctx.db, order.seller_id).await?;
            let paid = access::pay(
                &ctx.db,
                now,
                order,
                ChargeRef::Stripe(pi),
                mode.fee_percent(platform_fee),
            )
            .await?;
            if let Paid::Admitted { order, .. } = paid {
                notice(ctx, &order, "sale", 0, format!("sale:{}", order.id)).await?;
            }
        }
        Effect::Failed => {
            access::mark_failed(&ctx.db, now, order.id).await?;
        }
        Effect::Nothing => {}
        Effect::Refunded { total } => {
            if let Some(r) = access::refund(&ctx.db, now, order, total).await? {
                let key = format!("refund:{}:{}", order.id, r.order.refunded_minor);
                notice(ctx, &r.order, "refund", r.amount, key).await?;
            }
        }
    }
    ctx.jobs.notify();
    Ok(())
}

async fn notice(
    ctx: &AppCtx,
    order: &AccessOrder,
    kind: &str,
    amount: i64,
    key: String,
) -> Result<(), HandleError> {
    let mut job = NewJob::now(
        NOTICE_JOB,
        serde_json::json!({ "order": order.id, "kind": kind, "amount": amount }),
        ctx.now(),
    );
    job.dedupe_key = Some(key);
    jobs::enqueue(&ctx.db, ctx.now(), job).await?;
    Ok(())
}
