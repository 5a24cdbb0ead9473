//! Stripe Checkout and the customer portal, through async-stripe against `STRIPE_API_BASE`.
use std::str::FromStr;

use sea_orm::{ActiveValue::Set, EntityTrait};
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_checkout::{
    CheckoutSessionMode,
    checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionPaymentIntentData,
    },
};
use stripe_core::customer::CreateCustomer;
use stripe_product::{price::CreatePrice, product::CreateProduct};
use stripe_types::Currency;

use crate::{
    context::AppCtx,
    storage::entities::products,
    {
        accounts::users::User,
        billing::orders::{self, Order, Product},
        services::ServiceError,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("Stripe is not configured")]
    NotConfigured,
    #[error("Stripe: {0}")]
    Stripe(String),
    /// No answer from Stripe (network, timeout): nothing was decided there.
    #[error("Stripe is unreachable: {0}")]
    Unreachable(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

fn client(ctx: &AppCtx) -> Result<&stripe::Client, PaymentError> {
    ctx.stripe.as_ref().ok_or(PaymentError::NotConfigured)
}

fn key(k: String) -> Result<RequestStrategy, PaymentError> {
    IdempotencyKey::new(k)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PaymentError::Stripe(e.to_string()))
}

fn stripe_err(e: stripe::StripeError) -> PaymentError {
    match e {
        stripe::StripeError::Stripe(..) => PaymentError::Stripe(e.to_string()),
        other => PaymentError::Unreachable(other.to_string()),
    }
}

fn metadata(pairs: &[(&str, String)]) -> std::collections::HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// The Stripe price of a product, created on first use and again when the amount changed
/// (Stripe prices are immutable; the old one is simply no longer used).
async fn stripe_price(ctx: &AppCtx, product: &Product) -> Result<String, PaymentError> {
    if let (Some(price), Some(amount)) = (&product.stripe_price_id, product.stripe_price_amount)
        && amount == product.price_minor
    {
        return Ok(price.clone());
    }
    let client = client(ctx)?;
    let stripe_product = match &product.stripe_product_id {
        Some(id) => id.clone(),
        None => CreateProduct::new(product.title.clone())
            .metadata(metadata(&[("code", product.code.clone())]))
            .customize()
            .request_strategy(key(format!("product-{}", product.code))?)
            .send(client)
            .await
            .map_err(stripe_err)?
            .id
            .to_string(),
    };
    let currency = Currency::from_str(&product.currency)
        .map_err(|_| PaymentError::Stripe(format!("unknown currency {}", product.currency)))?;
    let price = CreatePrice::new(currency)
        .product(stripe_product.as_str())
        .unit_amount(product.price_minor)
        .customize()
        .request_strategy(key(format!(
            "price-{}-{}",
            product.code, product.price_minor
        ))?)
        .send(client)
        .await
        .map_err(stripe_err)?;
    let price_id = price.id.to_string();
    products::Entity::update(products::ActiveModel {
        id: Set(product.id),
        stripe_product_id: Set(Some(stripe_product)),
        stripe_price_id: Set(Some(price_id.clone())),
        stripe_price_amount: Set(Some(product.price_minor)),
        ..Default::default()
    })
    .exec(&ctx.db)
    .await
    .map_err(ServiceError::from)?;
    Ok(price_id)
}

/// The user's Stripe customer, created on their first card payment and reused after.
pub(crate) async fn customer(ctx: &AppCtx, user: &User) -> Result<String, PaymentError> {
    if let Some(id) = orders::stripe_customer(&ctx.db, user.id).await? {
        return Ok(id);
    }
    let created = CreateCustomer::new()
        .name(user.first_name.clone())
        .metadata(metadata(&[("telegram_user_id", user.id.to_string())]))
        .customize()
        .request_strategy(key(format!("customer-{}", user.id))?)
        .send(client(ctx)?)
        .await
        .map_err(stripe_err)?;
    let id = created.id.to_string();
    orders::remember_stripe_customer(&ctx.db, ctx.now(), user.id, &id).await?;
    Ok(id)
}

/// A Checkout session for the order; returns the page the user pays on.
pub async fn start_checkout(
    ctx: &AppCtx,
    user: &User,
    order: &Order,
    product: &Product,
) -> Result<String, PaymentError> {
    let price = stripe_price(ctx, product).await?;
    let customer = customer(ctx, user).await?;
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(price);
    item.quantity = Some(1);
    let ids = [
        ("order_id", order.id.to_string()),
        ("user_id", user.id.to_string()),
    ];
    let mut intent = CreateCheckoutSessionPaymentIntentData::new();
    intent.metadata = Some(metadata(&ids));
    // Users who opted in to auto-recharge get their card saved for off-session payments.
    if crate::billing::auto_recharge::get(&ctx.db, user.id)
        .await?
        .is_some_and(|a| crate::billing::auto_recharge::wants_card(&a))
    {
        intent.setup_future_usage = Some(
            stripe_checkout::checkout_session::CreateCheckoutSessionPaymentIntentDataSetupFutureUsage::OffSession,
        );
    }
    let base = ctx.public_base();
    let session = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .customer(customer.as_str())
        .line_items(vec![item])
        .client_reference_id(order.id.to_string())
        .metadata(metadata(&ids))
        .payment_intent_data(intent)
        .success_url(format!(
            "{base}/pay/success?session_id={{CHECKOUT_SESSION_ID}}"
        ))
        .cancel_url(format!("{base}/pay/cancel"))
        .customize()
        .request_strategy(key(format!("checkout-order-{}", order.id))?)
        .send(client(ctx)?)
        .await
        .map_err(stripe_err)?;
    orders::attach_session(&ctx.db, order.id, session.id.as_str()).await?;
    session
        .url
        .ok_or_else(|| PaymentError::Stripe("the checkout session has no URL".into()))
}

/// A customer-portal session for a user who paid by card before (None: never did).
pub async fn portal(
    ctx: &AppCtx,
    user: &User,
    return_url: &str,
) -> Result<Option<String>, PaymentError> {
    let Some(customer) = orders::stripe_customer(&ctx.db, user.id).await? else {
        return Ok(None);
    };
    let session = CreateBillingPortalSession::new()
        .customer(customer.as_str())
        .return_url(return_url)
        .send(client(ctx)?)
        .await
        .map_err(stripe_err)?;
    Ok(Some(session.url))
}
