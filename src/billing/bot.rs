//! `/buy`, the payment-method choice, Stripe Checkout links, Telegram invoices (Stars or a
//! provider), pre-checkout validation, successful payments, and `/billing`.
use teloxide::{
    payloads::{AnswerPreCheckoutQuerySetters, SendInvoiceSetters},
    prelude::*,
    types::{LabeledPrice, MessageId},
};

use crate::{
    accounts::users::{self, User},
    billing::{
        checkout,
        orders::{self, CheckoutRefusal, Method, PaymentRef, Product, format_price},
    },
    bot::{
        BotError, HandlerResult, Reply,
        handlers::{edit_private, locale_for, locale_of_user, send_private},
    },
    context::AppCtx,
    delivery::{callbacks::PayMethod, notify, replies::CatalogItem},
    i18n::{self, Args},
    services::{
        events::{self, Claim, EventSource},
        settings,
    },
    telegram::TgError,
};

/// The ways of paying the operator has switched on (and configured).
#[derive(Debug, Clone, Copy)]
struct Ways {
    stars: bool,
    card: bool,
}

async fn ways(ctx: &AppCtx) -> Result<Ways, BotError> {
    Ok(Ways {
        stars: settings::get(&ctx.db, &settings::SELL_WITH_STARS).await?,
        card: ctx.stripe.is_some() && settings::get(&ctx.db, &settings::SELL_WITH_CARD).await?,
    })
}

fn item(p: &Product, ways: Ways) -> CatalogItem {
    CatalogItem {
        product: p.id,
        title: p.title.clone(),
        price: format_price(p.price_minor, &p.currency),
        stars: p.stars_price.filter(|_| ways.stars),
    }
}

pub(crate) async fn catalog(ctx: &AppCtx, user: &User) -> HandlerResult {
    let ways = ways(ctx).await?;
    let items = orders::catalog(&ctx.db)
        .await?
        .iter()
        .map(|p| item(p, ways))
        .collect();
    send_private(
        ctx,
        user.id,
        &Reply::Catalog { items },
        locale_of_user(ctx, user),
    )
    .await?;
    Ok(())
}

/// The ways this product can be paid for here.
fn choices(ctx: &AppCtx, p: &Product, ways: Ways) -> Reply {
    Reply::ChooseMethod {
        product: p.id,
        title: p.title.clone(),
        price: format_price(p.price_minor, &p.currency),
        stars: p.stars_price.filter(|_| ways.stars),
        card: ways.card,
        card_in_telegram: ctx.config.telegram_payment_provider_token.is_some(),
    }
}

async fn active_product(ctx: &AppCtx, id: i64) -> Result<Option<Product>, BotError> {
    Ok(orders::product(&ctx.db, id).await?.filter(|p| p.active))
}

pub(crate) async fn choose(
    ctx: &AppCtx,
    user: &User,
    message: MessageId,
    product: i64,
) -> HandlerResult {
    let locale = locale_of_user(ctx, user);
    match active_product(ctx, product).await? {
        Some(p) => {
            let ways = ways(ctx).await?;
            edit_private(
                ctx,
                ChatId(user.id),
                message,
                &choices(ctx, &p, ways),
                locale,
            )
            .await
        }
        None => {
            edit_private(
                ctx,
                ChatId(user.id),
                message,
                &Reply::ProductUnavailable,
                locale,
            )
            .await
        }
    }
}

/// Starts paying for `product` by `method`: an order, then a Checkout link or an invoice.
pub(crate) async fn pay(
    ctx: &AppCtx,
    user: &User,
    product: i64,
    method: PayMethod,
) -> HandlerResult {
    let locale = locale_of_user(ctx, user);
    let Some(product) = active_product(ctx, product).await? else {
        send_private(ctx, user.id, &Reply::ProductUnavailable, locale).await?;
        return Ok(());
    };
    let ways = ways(ctx).await?;
    let method = match method {
        PayMethod::Card if ways.card => Method::Stripe,
        PayMethod::Stars if ways.stars && product.stars_price.is_some() => Method::Stars,
        PayMethod::Telegram if ctx.config.telegram_payment_provider_token.is_some() => {
            Method::Provider
        }
        _ => {
            send_private(ctx, user.id, &Reply::PaymentUnavailable, locale).await?;
            return Ok(());
        }
    };
    // A second tap on the same button: the first order's link or invoice is already there.
    let since = ctx.now() - chrono::Duration::minutes(1);
    if orders::recent_pending(&ctx.db, user.id, product.id, method, since)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let order = orders::create(&ctx.db, ctx.now(), user.id, &product, method).await?;
    if method == Method::Stripe {
        match checkout::start_checkout(ctx, user, &order, &product).await {
            Ok(url) => {
                let reply = Reply::CheckoutLink {
                    title: product.title.clone(),
                    price: format_price(product.price_minor, &product.currency),
                    url,
                };
                send_private(ctx, user.id, &reply, locale).await?;
            }
            Err(e) => {
                tracing::error!(error = %e, order = order.id, "Stripe checkout failed");
                // Stripe refused: the attempt is over. Stripe unreachable: nothing was decided,
                // the order stays pending (a later session may still complete it).
                if !matches!(e, checkout::PaymentError::Unreachable(_)) {
                    orders::mark_failed(&ctx.db, ctx.now(), order.id).await?;
                }
                send_private(ctx, user.id, &Reply::PaymentUnavailable, locale).await?;
            }
        }
        return Ok(());
    }
    let description = match product.credits {
        Some(credits) => i18n::text(
            locale,
            "invoice-credits",
            &[("credits".into(), credits.into())].into_iter().collect(),
        ),
        None => i18n::text(locale, "invoice-pass", &Args::new()),
    };
    let chat = ChatId(user.id);
    let price = LabeledPrice::new(product.title.clone(), order.amount_minor as u32);
    let mut req = ctx.tg.bot().send_invoice(
        chat,
        product.title.clone(),
        description,
        orders::invoice_payload(order.id),
        order.currency.to_uppercase(),
        vec![price],
    );
    if method == Method::Provider
        && let Some(token) = &ctx.config.telegram_payment_provider_token
    {
        req = req.provider_token(token.expose().to_owned());
    }
    if let Err(e) = ctx.tg.send(chat, req).await {
        tracing::error!(error = %e, order = order.id, "sendInvoice failed");
        orders::mark_failed(&ctx.db, ctx.now(), order.id).await?;
        send_private(ctx, user.id, &Reply::PaymentUnavailable, locale).await?;
    }
    Ok(())
}

/// `/buy10`, `/buy25`, `/buy50`: straight to paying for that pack (card when Stripe is on,
/// else Stars).
pub(crate) async fn quick_buy(ctx: &AppCtx, user: &User, code: &str) -> HandlerResult {
    let Some(product) = orders::product_by_code(&ctx.db, code)
        .await?
        .filter(|p| p.active)
    else {
        send_private(
            ctx,
            user.id,
            &Reply::ProductUnavailable,
            locale_of_user(ctx, user),
        )
        .await?;
        return Ok(());
    };
    let method = if ways(ctx).await?.card {
        PayMethod::Card
    } else {
        PayMethod::Stars
    };
    pay(ctx, user, product.id, method).await
}

/// Telegram asks whether to take the money (answer within 10 s): the order is checked again
/// ([`orders::check_checkout`]) and a refusal is shown to the payer in their language.
pub(crate) async fn pre_checkout(q: PreCheckoutQuery, ctx: AppCtx) -> HandlerResult {
    if crate::messaging::invoices::is_invoice_payload(&q.invoice_payload) {
        return crate::messaging::bot_invoices::pre_checkout(q, ctx).await;
    }
    if crate::sellers::access::is_access_payload(&q.invoice_payload) {
        return crate::sellers::bot::pre_checkout(q, ctx).await;
    }
    let payer = q.from.id.0 as i64;
    let verdict = match orders::check_checkout(
        &ctx.db,
        &q.invoice_payload,
        payer,
        i64::from(q.total_amount),
        &q.currency,
    )
    .await
    {
        Ok(verdict) => verdict,
        Err(e) => {
            tracing::warn!(error = %e, "pre-checkout could not be checked");
            Err(CheckoutRefusal::Unavailable)
        }
    };
    let mut answer = ctx
        .tg
        .bot()
        .answer_pre_checkout_query(q.id.clone(), verdict.is_ok());
    if let Err(reason) = verdict {
        tracing::info!(payload = %q.invoice_payload, ?reason, "pre-checkout refused");
        let user = users::find(&ctx.db, payer).await.ok().flatten();
        let locale = locale_for(&ctx, &q.from, user.as_ref());
        answer = answer.error_message(Reply::CheckoutRefused { reason }.render(locale));
    }
    ctx.tg.call(answer).await?;
    Ok(())
}

/// The money arrived: apply the order once per `telegram_payment_charge_id`.
pub(crate) async fn successful_payment(msg: Message, ctx: AppCtx) -> HandlerResult {
    let (Some(payment), Some(from)) = (msg.successful_payment(), msg.from.as_ref()) else {
        return Ok(());
    };
    if crate::sellers::access::is_access_payload(&payment.invoice_payload) {
        return crate::sellers::bot::successful_payment(msg, ctx).await;
    }
    if crate::messaging::invoices::is_invoice_payload(&payment.invoice_payload) {
        return crate::messaging::bot_invoices::successful_payment(msg, ctx).await;
    }
    let charge = payment.telegram_payment_charge_id.0.as_str();
    let Some(order) = match orders::order_of_payload(&payment.invoice_payload) {
        Some(id) => orders::find(&ctx.db, id).await?,
        None => None,
    }
    .filter(|o| o.user_id == from.id.0 as i64) else {
        tracing::error!(payload = %payment.invoice_payload, charge, "payment for no known order");
        return Ok(());
    };
    if events::claim(
        &ctx.db,
        ctx.now(),
        EventSource::TelegramPayment,
        charge,
        "successful_payment",
        "done",
    )
    .await?
        == Claim::Duplicate
    {
        return Ok(());
    }
    let paid = orders::pay(
        &ctx.db,
        ctx.now(),
        &order,
        PaymentRef {
            stripe_payment_intent: None,
            telegram_charge_id: Some(charge),
        },
    )
    .await?;
    Ok(notify::paid(&ctx, order.user_id, &paid).await?)
}

/// `/billing`: the Stripe customer portal for users who paid by card.
pub(crate) async fn billing(ctx: &AppCtx, user: &User, bot_username: &str) -> HandlerResult {
    let locale = locale_of_user(ctx, user);
    let back = format!("https://t.me/{bot_username}");
    let reply = match checkout::portal(ctx, user, &back).await {
        Ok(Some(url)) => Reply::BillingPortal { url },
        Ok(None) | Err(checkout::PaymentError::NotConfigured) => Reply::BillingNoCard,
        Err(e) => {
            tracing::error!(error = %e, "billing portal failed");
            Reply::PaymentUnavailable
        }
    };
    match send_private(ctx, user.id, &reply, locale).await {
        Ok(_) => Ok(()),
        Err(BotError::Telegram(TgError::Rejected(e))) => {
            tracing::warn!(error = %e, "could not send the billing link");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// `/autorecharge` (status), `/autorecharge <below> <pack>` (e.g. `2 10`), `/autorecharge off`.
pub(crate) async fn autorecharge(ctx: &AppCtx, user: &User, args: &str) -> HandlerResult {
    use crate::billing::auto_recharge;
    let locale = locale_of_user(ctx, user);
    if !settings::get(&ctx.db, &settings::AUTO_RECHARGE).await? {
        send_private(ctx, user.id, &Reply::PaymentUnavailable, locale).await?;
        return Ok(());
    }
    let credits_of = |product_id: i64| async move {
        orders::product(&ctx.db, product_id)
            .await
            .map(|p| p.and_then(|p| p.credits).unwrap_or(0))
    };
    let reply = match args.split_whitespace().collect::<Vec<_>>()[..] {
        [] => match auto_recharge::get(&ctx.db, user.id)
            .await?
            .filter(|a| a.enabled)
        {
            Some(a) => Reply::AutoRechargeStatus {
                threshold: a.threshold,
                credits: credits_of(a.product_id).await?,
                card: a.payment_method.is_some(),
            },
            None => Reply::AutoRechargeUsage,
        },
        ["off"] => {
            auto_recharge::disable(&ctx.db, ctx.now(), user.id).await?;
            Reply::AutoRechargeOff
        }
        [below, pack] if ctx.stripe.is_some() => {
            let product = match (below.parse::<i64>(), pack.parse::<i64>()) {
                (Ok(b), Ok(p)) if (1..=1000).contains(&b) => {
                    orders::product_by_code(&ctx.db, &format!("pack{p}"))
                        .await?
                        .filter(|x| x.active)
                        .map(|x| (b, x))
                }
                _ => None,
            };
            match product {
                Some((threshold, product)) => {
                    let a =
                        auto_recharge::enable(&ctx.db, ctx.now(), user.id, threshold, product.id)
                            .await?;
                    Reply::AutoRechargeOn {
                        threshold,
                        credits: product.credits.unwrap_or(0),
                        card: a.payment_method.is_some(),
                    }
                }
                None => Reply::AutoRechargeUsage,
            }
        }
        [_, _] => Reply::PaymentUnavailable,
        _ => Reply::AutoRechargeUsage,
    };
    send_private(ctx, user.id, &reply, locale).await?;
    Ok(())
}
