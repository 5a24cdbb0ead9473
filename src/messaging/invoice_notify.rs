//! The invoices' edge to Telegram and Stripe: the invoice message with its pay buttons and the
//! stop button ([`SEND_JOB`]), the reminders ([`REMIND_JOB`]), the receipt and the seller's
//! notice ([`PAID_JOB`]), the refund of a payment an invoice could not take ([`REFUND_JOB`]),
//! the Stars invoice and the Checkout Session a pay button opens, and the Stripe events that
//! pay an invoice by card.
//!
//! The jobs run through the outbox, so sends are paced, retried on 429 and 5xx, and survive a
//! crash; each asks again at send time whether the invoice is still unpaid and whether the
//! customer has stopped the seller. Buttons carry `iv:<verb>:<id>`; a press is checked against
//! the presser (only the invoice's customer can pay it).
use std::{collections::HashMap, str::FromStr};

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::{
    CheckoutSessionMode,
    checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionPaymentIntentData,
        CreateCheckoutSessionPaymentIntentDataTransferData, ProductData,
    },
};
use stripe_core::refund::CreateRefund;
use stripe_types::Currency;
use stripe_webhook::{Event, EventObject};
use teloxide::{
    payloads::SendMessageSetters,
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, TelegramTransactionId},
};

use super::{
    contacts,
    invoices::{
        self, Invoice, PAID_JOB, Paid, Payment, REFUND_JOB, REMIND_JOB, SEND_JOB, Status, Via,
    },
    notify::{stop_button, tr},
    usage::{self, Metric},
};
use crate::{
    accounts::users,
    billing::stripe::{Applied, HandleError},
    context::AppCtx,
    delivery::locale_of_user,
    i18n::Locale,
    jobs::{Job, JobError},
    sellers::{
        card::{self, CardError, Endpoint},
        catalog::{self, Seller},
        payouts::{self, PayMode},
        split_fee,
        tenant::Tenant,
    },
    services::{
        ServiceError,
        events::{self, Claim, EventSource},
    },
    telegram::TgError,
};

const PREFIX: &str = "iv:";
/// The Checkout Session's metadata key naming the invoice.
pub const INVOICE_KEY: &str = "tollgate_invoice";

/// What an invoice button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// Pay with Telegram Stars (an `XTR` invoice).
    Stars(i64),
    /// Pay by card on a Stripe Checkout page.
    Card(i64),
}

impl Press {
    pub fn data(self) -> String {
        let (verb, id) = match self {
            Press::Stars(i) => ("stars", i),
            Press::Card(i) => ("card", i),
        };
        format!("{PREFIX}{verb}:{id}")
    }

    pub fn parse(data: &str) -> Option<Press> {
        let (verb, id) = data.strip_prefix(PREFIX)?.split_once(':')?;
        let id: i64 = id.parse().ok().filter(|n| *n > 0)?;
        match verb {
            "stars" => Some(Press::Stars(id)),
            "card" => Some(Press::Card(id)),
            _ => None,
        }
    }
}

pub fn is_invoice_data(data: &str) -> bool {
    data.starts_with(PREFIX)
}

pub fn price(amount: i64, currency: &str) -> String {
    crate::billing::orders::format_price(amount, currency)
}

pub fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

async fn locale_of(ctx: &AppCtx, user: i64) -> Result<Locale, ServiceError> {
    Ok(match users::find(&ctx.db, user).await? {
        Some(u) => locale_of_user(ctx, &u),
        None => ctx.config.default_locale,
    })
}

/// The invoice as the customer reads it: the seller, the lines, the total, the due date and
/// the note.
pub fn render(locale: Locale, seller: &str, inv: &Invoice) -> String {
    let lines = invoices::lines_of(inv)
        .iter()
        .map(|l| {
            tr(
                locale,
                "inv-line",
                &[
                    ("description", l.description.clone()),
                    ("quantity", l.quantity.to_string()),
                    ("amount", price(l.unit_amount * l.quantity, &inv.currency)),
                ],
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut text = tr(
        locale,
        "inv-message",
        &[
            ("seller", seller.to_owned()),
            ("id", invoices::public_id(inv.id)),
            ("lines", lines),
            ("total", price(inv.total_minor, &inv.currency)),
            ("due", day(inv.due_at)),
        ],
    );
    if let Some(note) = &inv.note {
        text.push_str("\n\n");
        text.push_str(note);
    }
    text
}

/// The pay button (Stars for `XTR`, else card) and the stop button.
pub fn keyboard(locale: Locale, seller: &Seller, inv: &Invoice) -> InlineKeyboardMarkup {
    let total = price(inv.total_minor, &inv.currency);
    let pay = if inv.currency == invoices::STARS {
        InlineKeyboardButton::callback(
            tr(locale, "inv-pay-stars", &[("total", total)]),
            Press::Stars(inv.id).data(),
        )
    } else {
        InlineKeyboardButton::callback(
            tr(locale, "inv-pay-card", &[("total", total)]),
            Press::Card(inv.id).data(),
        )
    };
    InlineKeyboardMarkup::new([
        vec![pay],
        vec![stop_button(locale, seller.id, &seller.display_name)],
    ])
}

fn retry<E: std::fmt::Display>(e: E) -> JobError {
    JobError::Retry(e.to_string())
}

fn invoice_id(job: &Job) -> Result<(i64, serde_json::Value), JobError> {
    let payload: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(e.to_string()))?;
    let id = payload
        .get("invoice")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| JobError::Permanent("no invoice".into()))?;
    Ok((id, payload))
}

/// Runs the invoices' jobs.
pub async fn run_job(
    app: std::sync::Arc<std::sync::OnceLock<AppCtx>>,
    job: Job,
) -> Result<(), JobError> {
    let ctx = app
        .get()
        .ok_or_else(|| JobError::Retry("the app is starting".into()))?;
    let (id, payload) = invoice_id(&job)?;
    match job.kind.as_str() {
        SEND_JOB => send(ctx, id, None).await,
        REMIND_JOB => {
            let offset = payload.get("offset").and_then(|v| v.as_i64()).unwrap_or(0);
            send(ctx, id, Some(offset)).await
        }
        PAID_JOB => paid_notice(ctx, id).await,
        REFUND_JOB => refund(ctx, id, &payload).await,
        other => Err(JobError::Permanent(format!("not an invoice job: {other}"))),
    }
}

/// Sends the invoice (`reminder: None`) or a reminder `offset` days from its due date, if it
/// is still unpaid and the customer still hears from the seller.
async fn send(ctx: &AppCtx, id: i64, reminder: Option<i64>) -> Result<(), JobError> {
    let Some(inv) = invoices::by_id(&ctx.db, id).await.map_err(retry)? else {
        return Ok(());
    };
    if !invoices::status_of(&inv).payable() {
        return Ok(());
    }
    // A crash between the send and its record: the invoice went out already.
    if reminder.is_none() && inv.message_id.is_some() {
        return Ok(());
    }
    if !contacts::may_message(&ctx.db, inv.seller_id, inv.user_id)
        .await
        .map_err(retry)?
    {
        tracing::info!(
            invoice = inv.id,
            "the customer stopped the seller: nothing sent"
        );
        return Ok(());
    }
    let Some(seller) = catalog::seller(&ctx.db, inv.seller_id)
        .await
        .map_err(retry)?
    else {
        return Ok(());
    };
    let locale = locale_of(ctx, inv.user_id).await.map_err(retry)?;
    let body = render(locale, &seller.display_name, &inv);
    let text = match reminder {
        None => body,
        Some(offset) => {
            let key = match offset {
                d if d < 0 => "inv-reminder-before",
                0 => "inv-reminder-today",
                _ => "inv-reminder-after",
            };
            let head = tr(locale, key, &[("days", offset.abs().to_string())]);
            format!("{head}\n\n{body}")
        }
    };
    let chat = ChatId(inv.user_id);
    let req = ctx
        .tg
        .bot()
        .send_message(chat, text)
        .reply_markup(keyboard(locale, &seller, &inv));
    let message = match ctx.tg.send(chat, req).await {
        Ok(m) => m,
        Err(TgError::Unreachable(_)) => {
            users::mark_unreachable(&ctx.db, ctx.now(), inv.user_id)
                .await
                .map_err(retry)?;
            return Ok(());
        }
        Err(e) if e.is_transient() => return Err(retry(e)),
        Err(e) => return Err(JobError::Permanent(e.to_string())),
    };
    let t = Tenant {
        seller_id: inv.seller_id,
        livemode: inv.livemode,
    };
    let metric = if reminder.is_none() {
        invoices::sent(&ctx.db, inv.id, message.id.0)
            .await
            .map_err(retry)?;
        Metric::Invoices
    } else {
        Metric::MessagesSent
    };
    usage::record(&ctx.db, t, ctx.now(), metric, 1)
        .await
        .map_err(retry)?;
    Ok(())
}

/// The receipt to the customer and the notice to the seller's owner.
async fn paid_notice(ctx: &AppCtx, id: i64) -> Result<(), JobError> {
    let Some(inv) = invoices::by_id(&ctx.db, id).await.map_err(retry)? else {
        return Ok(());
    };
    let Some(seller) = catalog::seller(&ctx.db, inv.seller_id)
        .await
        .map_err(retry)?
    else {
        return Ok(());
    };
    let total = price(inv.total_minor, &inv.currency);
    let locale = locale_of(ctx, inv.user_id).await.map_err(retry)?;
    let receipt = tr(
        locale,
        "inv-receipt",
        &[
            ("seller", seller.display_name.clone()),
            ("id", invoices::public_id(inv.id)),
            ("total", total.clone()),
        ],
    );
    let chat = ChatId(inv.user_id);
    match ctx
        .tg
        .send(chat, ctx.tg.bot().send_message(chat, receipt))
        .await
    {
        Ok(_) | Err(TgError::Unreachable(_)) => {}
        Err(e) if e.is_transient() => return Err(retry(e)),
        Err(e) => tracing::warn!(error = %e, invoice = inv.id, "could not send a receipt"),
    }
    let name = users::find(&ctx.db, inv.user_id)
        .await
        .map_err(retry)?
        .map(|u| u.first_name)
        .unwrap_or_default();
    let owner_locale = locale_of(ctx, seller.user_id).await.map_err(retry)?;
    let text = tr(
        owner_locale,
        "inv-paid-seller",
        &[
            ("id", invoices::public_id(inv.id)),
            ("total", total),
            ("net", price(inv.net_minor, &inv.currency)),
            ("customer", name),
            ("user", inv.user_id.to_string()),
        ],
    );
    let owner = ChatId(seller.user_id);
    match ctx
        .tg
        .send(owner, ctx.tg.bot().send_message(owner, text))
        .await
    {
        Ok(_) | Err(TgError::Unreachable(_)) => Ok(()),
        Err(e) if e.is_transient() => Err(retry(e)),
        Err(e) => {
            tracing::warn!(error = %e, invoice = inv.id, "could not tell a seller about a paid invoice");
            Ok(())
        }
    }
}

/// Why a pay button did not lead to a payment.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// Not this user's invoice, or not payable any more.
    #[error("the invoice cannot be paid")]
    NotPayable,
    #[error(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    Telegram(#[from] TgError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

async fn payable(ctx: &AppCtx, user: i64, id: i64) -> Result<(Invoice, Seller), PayError> {
    let inv = invoices::by_id(&ctx.db, id)
        .await?
        .filter(|i| i.user_id == user && invoices::status_of(i).payable())
        .ok_or(PayError::NotPayable)?;
    let seller = catalog::seller(&ctx.db, inv.seller_id)
        .await?
        .ok_or(PayError::NotPayable)?;
    Ok((inv, seller))
}

/// Sends the Telegram Stars invoice for an `XTR` invoice to its customer.
pub async fn send_stars(ctx: &AppCtx, user: i64, id: i64) -> Result<(), PayError> {
    let (inv, seller) = payable(ctx, user, id).await?;
    if inv.currency != invoices::STARS {
        return Err(PayError::NotPayable);
    }
    let title: String = format!("{} · {}", seller.display_name, invoices::public_id(inv.id))
        .chars()
        .take(32)
        .collect();
    let description: String = invoices::lines_of(&inv)
        .iter()
        .map(|l| format!("{} × {}", l.description, l.quantity))
        .collect::<Vec<_>>()
        .join("; ")
        .chars()
        .take(255)
        .collect();
    let chat = ChatId(user);
    let req = ctx.tg.bot().send_invoice(
        chat,
        title.clone(),
        description,
        invoices::invoice_payload(inv.id),
        invoices::STARS,
        vec![LabeledPrice::new(title, inv.total_minor as u32)],
    );
    ctx.tg.send(chat, req).await?;
    Ok(())
}

/// A Checkout Session for a card invoice on the account the seller's payment mode names; its
/// page's address.
pub async fn checkout(ctx: &AppCtx, user: i64, id: i64) -> Result<String, PayError> {
    let (inv, seller) = payable(ctx, user, id).await?;
    if inv.currency == invoices::STARS {
        return Err(PayError::NotPayable);
    }
    if !card::card_available(ctx, &seller) {
        return Err(CardError::NotConfigured.into());
    }
    let mode = payouts::mode_of(&seller);
    let client = card::account_client(ctx, &seller, mode)?;
    let currency = Currency::from_str(&inv.currency.to_ascii_lowercase())
        .map_err(|_| CardError::Rejected(format!("unknown currency {}", inv.currency)))?;
    let items = invoices::lines_of(&inv)
        .into_iter()
        .map(|l| {
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
            price.unit_amount = Some(l.unit_amount);
            price.product_data = Some(ProductData::new(l.description));
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price_data = Some(price);
            item.quantity = Some(l.quantity as u64);
            item
        })
        .collect::<Vec<_>>();
    let ids: HashMap<String, String> = [
        (INVOICE_KEY, inv.id.to_string()),
        ("seller_id", seller.id.to_string()),
        ("user_id", user.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut intent = CreateCheckoutSessionPaymentIntentData::new();
    intent.metadata = Some(ids.clone());
    if mode == PayMode::Connect {
        let account = seller
            .connect_account_id
            .clone()
            .ok_or(CardError::NotConfigured)?;
        let percent = crate::sellers::platform::fee_percent(&ctx.db, seller.id).await?;
        intent.application_fee_amount = Some(split_fee(inv.total_minor, percent).0);
        intent.transfer_data = Some(CreateCheckoutSessionPaymentIntentDataTransferData::new(
            account,
        ));
    }
    let base = ctx.public_base();
    // One session per invoice and account: pressing again opens the same page.
    let key = IdempotencyKey::new(format!("invoice-checkout-{}-{}", inv.id, mode.as_str()))
        .map_err(|e| CardError::Rejected(e.to_string()))?;
    let session = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(items)
        .client_reference_id(invoices::public_id(inv.id))
        .metadata(ids)
        .payment_intent_data(intent)
        .success_url(format!(
            "{base}/pay/success/{}?session_id={{CHECKOUT_SESSION_ID}}",
            seller.id
        ))
        .cancel_url(format!("{base}/pay/cancel/{}", seller.id))
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&client)
        .await
        .map_err(card::stripe_err)?;
    invoices::attach_checkout(&ctx.db, ctx.now(), inv.id, mode.as_str()).await?;
    session
        .url
        .ok_or_else(|| CardError::Rejected("the checkout session has no URL".into()).into())
}

/// Applies a Stripe event that pays a seller's invoice by card, once; None: the event is not
/// about an invoice.
pub async fn apply_stripe(
    ctx: &AppCtx,
    event: &Event,
    endpoint: Endpoint,
) -> Result<Option<Applied>, HandleError> {
    use stripe_checkout::CheckoutSessionPaymentStatus as PayStatus;
    let (session, paid) = match &event.data.object {
        EventObject::CheckoutSessionCompleted(s) => (s, s.payment_status == PayStatus::Paid),
        EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => (s, true),
        EventObject::CheckoutSessionAsyncPaymentFailed(s)
        | EventObject::CheckoutSessionExpired(s) => (s, false),
        _ => return Ok(None),
    };
    let Some(id) = session
        .metadata
        .as_ref()
        .and_then(|m| m.get(INVOICE_KEY))
        .and_then(|v| v.parse::<i64>().ok())
    else {
        return Ok(None);
    };
    let Some(inv) = invoices::by_id(&ctx.db, id).await? else {
        return Ok(Some(Applied::Duplicate));
    };
    let mode = inv.paid_to.as_deref().and_then(PayMode::parse);
    let belongs = match endpoint {
        Endpoint::Platform => matches!(mode, Some(PayMode::Platform | PayMode::Connect)),
        Endpoint::Seller(s) => inv.seller_id == s && mode == Some(PayMode::OwnKey),
    };
    if !belongs {
        tracing::warn!(
            invoice = inv.id,
            ?endpoint,
            "a Stripe event about an invoice of another account; ignored"
        );
        return Ok(Some(Applied::Duplicate));
    }
    if !paid {
        // An abandoned or failed page: the invoice stays open, payable again.
        return Ok(Some(Applied::Duplicate));
    }
    let Some(pi) = session.payment_intent.as_ref().map(|p| p.id().to_string()) else {
        tracing::warn!(
            invoice = inv.id,
            "a paid session without a PaymentIntent; ignored"
        );
        return Ok(Some(Applied::Duplicate));
    };
    let event_id = event.id.as_str();
    if events::claim(
        &ctx.db,
        ctx.now(),
        EventSource::Stripe,
        event_id,
        event.type_.as_str(),
        "processing",
    )
    .await?
        == Claim::Duplicate
    {
        return Ok(Some(Applied::Duplicate));
    }
    let fee = match crate::sellers::platform::fee_percent(&ctx.db, inv.seller_id).await {
        Ok(f) => f,
        Err(e) => {
            events::release(&ctx.db, EventSource::Stripe, event_id).await?;
            return Err(e.into());
        }
    };
    let amount = session.amount_total.unwrap_or_default();
    let currency = session
        .currency
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let outcome = invoices::pay(
        &ctx.db,
        ctx.now(),
        inv.id,
        Payment {
            via: Via::Card,
            reference: &pi,
            amount,
            currency: &currency,
            fee_percent: mode.unwrap_or(PayMode::Platform).fee_percent(fee),
        },
    )
    .await;
    match outcome {
        Ok(result) => {
            events::complete(&ctx.db, ctx.now(), EventSource::Stripe, event_id).await?;
            ctx.jobs.notify();
            Ok(Some(match result {
                Some(Paid::Paid(_)) => Applied::Applied,
                _ => Applied::Duplicate,
            }))
        }
        Err(e) => {
            events::release(&ctx.db, EventSource::Stripe, event_id).await?;
            Err(e.into())
        }
    }
}

/// Gives back a payment the invoice could not take (paid another way meanwhile, voided, or
/// not its amount) on the account that took it, then tells the customer. A retried job
/// refunds once: the Stripe refund carries an idempotency key of the PaymentIntent, and
/// Telegram answers a repeated Star refund `CHARGE_ALREADY_REFUNDED`.
async fn refund(ctx: &AppCtx, id: i64, payload: &serde_json::Value) -> Result<(), JobError> {
    let text = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let reference = text("reference").ok_or_else(|| JobError::Permanent("no reference".into()))?;
    let amount = payload.get("amount").and_then(|v| v.as_i64()).unwrap_or(0);
    let currency = text("currency").unwrap_or_default().to_ascii_uppercase();
    let Some(inv) = invoices::by_id(&ctx.db, id).await.map_err(retry)? else {
        return Err(JobError::Permanent(format!("no invoice {id} to refund")));
    };
    let Some(seller) = catalog::seller(&ctx.db, inv.seller_id)
        .await
        .map_err(retry)?
    else {
        return Err(JobError::Permanent(format!("no seller {}", inv.seller_id)));
    };
    match text("via").as_deref() {
        Some("stars") => {
            let req = ctx.tg.bot().refund_star_payment(
                UserId(inv.user_id as u64),
                TelegramTransactionId(reference.clone()),
            );
            match ctx.tg.call(req).await {
                Ok(_) => {}
                Err(TgError::Rejected(e)) if e.to_string().contains("CHARGE_ALREADY_REFUNDED") => {}
                Err(e) if e.is_transient() => return Err(retry(e)),
                Err(e) => return Err(JobError::Permanent(format!("Telegram: {e}"))),
            }
        }
        Some("card") => {
            let mode = text("account")
                .as_deref()
                .and_then(PayMode::parse)
                .unwrap_or(PayMode::Platform);
            let client = card::account_client(ctx, &seller, mode).map_err(retry)?;
            let key = IdempotencyKey::new(format!("invoice-refund-{reference}"))
                .map_err(|e| JobError::Permanent(e.to_string()))?;
            let mut req = CreateRefund::new().payment_intent(reference.as_str());
            if mode == PayMode::Connect {
                // The charge went to the seller's account: take the transfer and the fee back.
                req = req.reverse_transfer(true).refund_application_fee(true);
            }
            req.customize()
                .request_strategy(RequestStrategy::Idempotent(key))
                .send(&client)
                .await
                .map_err(|e| retry(card::stripe_err(e)))?;
        }
        other => return Err(JobError::Permanent(format!("cannot refund via {other:?}"))),
    }
    let given_back = price(amount, &currency);
    crate::sellers::audit::record(
        &ctx.db,
        ctx.now(),
        seller.id,
        crate::sellers::audit::SYSTEM,
        "refund",
        Some(inv.user_id),
        format!(
            "invoice {}: a second payment {reference} of {given_back} was refunded",
            invoices::public_id(inv.id)
        ),
    )
    .await
    .map_err(retry)?;
    let locale = locale_of(ctx, inv.user_id).await.map_err(retry)?;
    let key = match invoices::status_of(&inv) {
        Status::Paid => "inv-refunded-paid",
        _ => "inv-refunded-unpaid",
    };
    let told = tr(
        locale,
        key,
        &[
            ("id", invoices::public_id(inv.id)),
            ("seller", seller.display_name.clone()),
            ("amount", given_back),
        ],
    );
    let chat = ChatId(inv.user_id);
    match ctx
        .tg
        .send(chat, ctx.tg.bot().send_message(chat, told))
        .await
    {
        Ok(_) | Err(TgError::Unreachable(_)) => Ok(()),
        Err(e) if e.is_transient() => Err(retry(e)),
        Err(e) => {
            tracing::warn!(error = %e, invoice = inv.id, "could not tell a customer of a refund");
            Ok(())
        }
    }
}

/// Telegram asks whether to take Stars for an invoice: only its customer, the exact amount,
/// and only while it is unpaid.
pub async fn check_stars(
    ctx: &AppCtx,
    payload: &str,
    payer: i64,
    amount: i64,
    currency: &str,
) -> Result<bool, ServiceError> {
    let Some(id) = invoices::invoice_of_payload(payload) else {
        return Ok(false);
    };
    Ok(invoices::by_id(&ctx.db, id).await?.is_some_and(|i| {
        i.user_id == payer
            && i.total_minor == amount
            && i.currency == currency
            && invoices::status_of(&i).payable()
    }))
}

/// The Stars for an invoice arrived: paid once per charge (a duplicated receipt is a
/// duplicate).
pub async fn stars_paid(
    ctx: &AppCtx,
    payload: &str,
    payer: i64,
    charge: &str,
    amount: i64,
    currency: &str,
) -> Result<Option<Paid>, ServiceError> {
    let Some(id) = invoices::invoice_of_payload(payload) else {
        return Ok(None);
    };
    let Some(inv) = invoices::by_id(&ctx.db, id)
        .await?
        .filter(|i| i.user_id == payer)
    else {
        tracing::error!(payload, charge, "Stars for no known invoice");
        return Ok(None);
    };
    let fee = crate::sellers::platform::fee_percent(&ctx.db, inv.seller_id).await?;
    let paid = invoices::pay(
        &ctx.db,
        ctx.now(),
        inv.id,
        Payment {
            via: Via::Stars,
            reference: charge,
            amount,
            currency,
            fee_percent: fee,
        },
    )
    .await?;
    ctx.jobs.notify();
    Ok(paid)
}

/// What the customer is told when an invoice cannot be paid any more.
pub fn not_payable_key(inv: Option<&Invoice>) -> &'static str {
    match inv.map(invoices::status_of) {
        Some(Status::Paid) => "inv-already-paid",
        Some(Status::Void) => "inv-voided",
        _ => "inv-not-payable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presses_round_trip_and_fit_telegrams_limit() {
        for p in [Press::Stars(1), Press::Card(i64::MAX)] {
            assert!(p.data().len() <= 64);
            assert_eq!(Press::parse(&p.data()), Some(p));
        }
        for bad in [
            "iv:stars",
            "iv:card:x",
            "iv:card:0",
            "iv:eat:1",
            "ms:stop:1",
        ] {
            assert_eq!(Press::parse(bad), None, "{bad}");
        }
    }
}
