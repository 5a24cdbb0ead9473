//! Renewing plans in the bot: `/subscriptions` for buyers (status, next charge, cancel at the
//! period end with the seller's one-time retention offer, resume, pay a past-due invoice), the
//! seller's 🔁 toggle on a plan and `/retention`, and the dunning reminders
//! ([`recurring::DUNNING_JOB`]).
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ReplyMarkup};

use super::{
    access,
    admission::{say, tr},
    bot::{Press, button, keyboard, show, tell},
    catalog::{self, Plan, Seller, Service},
    recurring::{self, NotRenewable, Subscription},
    recurring_card,
};
use crate::{bot::BotError, context::AppCtx, i18n::Locale, jobs::JobError};

fn date(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string())
}

fn status_text(locale: Locale, sub: &Subscription, now: chrono::DateTime<chrono::Utc>) -> String {
    let key = if recurring::is_over(sub, now) {
        "sl-rec-status-ended"
    } else if sub.status == "past_due" {
        "sl-rec-status-past-due"
    } else if sub.cancel_at_period_end {
        "sl-rec-status-canceling"
    } else if sub.status == "active" {
        "sl-rec-status-active"
    } else {
        "sl-rec-status-pending"
    };
    tr(
        locale,
        key,
        &[
            ("date", date(sub.current_period_end)),
            ("ended", date(sub.ended_at)),
        ],
    )
}

fn pay_button(locale: Locale, sub: &Subscription) -> Option<InlineKeyboardButton> {
    let url = url::Url::parse(sub.pay_url.as_deref()?).ok()?;
    Some(InlineKeyboardButton::url(
        tr(locale, "sl-rec-pay-now", &[]),
        url,
    ))
}

/// `/subscriptions` in a private chat.
pub async fn command(ctx: &AppCtx, user: i64) -> Result<(), BotError> {
    let locale = super::admission::locale_of(ctx, user).await?;
    screen(ctx, user, locale, None).await
}

/// `/subscriptions`: the buyer's renewing subscriptions with what they can do about each;
/// sent, or edited into `edit`.
pub async fn screen(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    edit: Option<MessageId>,
) -> Result<(), BotError> {
    let subs = recurring::of_buyer(&ctx.db, user).await?;
    if subs.is_empty() {
        tell(ctx, user, locale, "sl-rec-none").await?;
        return Ok(());
    }
    let mut text = tr(locale, "sl-rec-title", &[]);
    let mut rows = Vec::new();
    for sub in subs.iter().take(10) {
        let title = catalog::service(&ctx.db, sub.service_id)
            .await?
            .map(|s| s.title)
            .unwrap_or_default();
        text.push_str("\n\n");
        text.push_str(&tr(
            locale,
            "sl-rec-line",
            &[
                ("title", title.clone()),
                ("status", status_text(locale, sub, ctx.now())),
            ],
        ));
        if recurring::is_over(sub, ctx.now()) {
            continue;
        }
        if sub.status == "past_due"
            && let Some(pay) = pay_button(locale, sub)
        {
            rows.push(vec![pay]);
        }
        let (label, press) = if sub.cancel_at_period_end {
            (
                tr(locale, "sl-rec-resume-button", &[("title", title)]),
                Press::SubResume(sub.id),
            )
        } else {
            (
                tr(locale, "sl-rec-cancel-button", &[("title", title)]),
                Press::SubCancel(sub.id),
            )
        };
        rows.push(vec![button(label, press)]);
    }
    show(ctx, user, text, keyboard(rows), edit).await
}

/// The buyer's press on one of their subscriptions; false: not theirs, or not a press of
/// this screen.
pub async fn press(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    press: Press,
    message: Option<MessageId>,
) -> Result<bool, BotError> {
    let id = match press {
        Press::SubCancel(id)
        | Press::SubCancelConfirm(id)
        | Press::SubResume(id)
        | Press::SubKeep(id) => id,
        _ => return Ok(false),
    };
    let Some(sub) = recurring::of_buyer_by_id(&ctx.db, user, id).await? else {
        return Ok(false);
    };
    if recurring::is_over(&sub, ctx.now()) {
        tell(ctx, user, locale, "sl-rec-already-ended").await?;
        return Ok(true);
    }
    let seller = catalog::seller(&ctx.db, sub.seller_id).await?;
    match press {
        Press::SubCancel(_) => {
            if sub.cancel_at_period_end {
                return screen(ctx, user, locale, message).await.map(|_| true);
            }
            // A Star subscription's price cannot be discounted: no offer there.
            let offer =
                recurring::retention_offer(&sub, seller.as_ref().and_then(|s| s.retention_percent))
                    .filter(|_| sub.provider == recurring::PROVIDER_STRIPE);
            let offer = match offer {
                Some(p) if recurring::offer_made(&ctx.db, ctx.now(), &sub).await? => Some(p),
                _ => None,
            };
            match offer {
                Some(percent) => {
                    let text = tr(
                        locale,
                        "sl-rec-offer",
                        &[
                            ("percent", percent.to_string()),
                            ("date", date(sub.current_period_end)),
                        ],
                    );
                    let kb = keyboard(vec![
                        vec![button(
                            tr(
                                locale,
                                "sl-rec-offer-keep",
                                &[("percent", percent.to_string())],
                            ),
                            Press::SubKeep(sub.id),
                        )],
                        vec![button(
                            tr(locale, "sl-rec-offer-cancel", &[]),
                            Press::SubCancelConfirm(sub.id),
                        )],
                    ]);
                    show(ctx, user, text, kb, message).await?;
                }
                None => cancel(ctx, user, locale, &sub, true).await?,
            }
        }
        Press::SubCancelConfirm(_) => cancel(ctx, user, locale, &sub, true).await?,
        Press::SubResume(_) => cancel(ctx, user, locale, &sub, false).await?,
        Press::SubKeep(_) => {
            let Some(percent) =
                recurring::offer_open(&sub, seller.as_ref().and_then(|s| s.retention_percent))
            else {
                tell(ctx, user, locale, "sl-rec-offer-gone").await?;
                return Ok(true);
            };
            match recurring_card::accept_retention(ctx, &sub, percent).await {
                Ok(true) => {
                    let text = tr(
                        locale,
                        "sl-rec-offer-taken",
                        &[("percent", percent.to_string())],
                    );
                    say(ctx, user, text, None).await?;
                }
                Ok(false) => tell(ctx, user, locale, "sl-rec-offer-gone").await?,
                Err(super::card::CardError::Service(e)) => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(error = %e, subscription = sub.id, "the retention offer failed at Stripe");
                    tell(ctx, user, locale, "sl-rec-stripe-down").await?;
                }
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

async fn cancel(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    sub: &Subscription,
    on: bool,
) -> Result<(), BotError> {
    if sub.provider == recurring::PROVIDER_STARS {
        return cancel_stars(ctx, user, locale, sub, on).await;
    }
    match recurring_card::set_cancel(ctx, sub, on).await {
        Ok(_) => {
            let fresh = recurring::by_id(&ctx.db, sub.id)
                .await?
                .unwrap_or_else(|| sub.clone());
            let key = if on {
                "sl-rec-cancelled"
            } else {
                "sl-rec-resumed"
            };
            let text = tr(locale, key, &[("date", date(fresh.current_period_end))]);
            say(ctx, user, text, None).await?;
        }
        Err(super::card::CardError::Service(e)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, subscription = sub.id, "changing a subscription failed at Stripe");
            tell(ctx, user, locale, "sl-rec-stripe-down").await?;
        }
    }
    Ok(())
}

/// A buyer's card press on a renewing plan: a Checkout page that starts the subscription, or
/// why not (a subscription of this service runs already).
pub async fn subscribe(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    seller: &Seller,
    service: &Service,
    plan: &Plan,
) -> Result<(), BotError> {
    if recurring::live_of(&ctx.db, ctx.now(), service, user)
        .await?
        .is_some()
    {
        tell(ctx, user, locale, "sl-rec-already").await?;
        return Ok(());
    }
    let url = match recurring_card::checkout(ctx, seller, service, plan, user).await {
        Ok(url) => url,
        Err(super::card::CardError::NoCardPrice) => {
            tell(ctx, user, locale, "sl-plan-unavailable").await?;
            return Ok(());
        }
        Err(super::card::CardError::Limit(reached)) => {
            super::bot_platform::turned_away(ctx, user, locale, seller.id, &reached).await?;
            return Ok(());
        }
        Err(super::card::CardError::Service(e)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, plan = plan.id, "a subscription checkout failed");
            tell(ctx, user, locale, "sl-card-unavailable").await?;
            return Ok(());
        }
    };
    let Ok(url) = url::Url::parse(&url) else {
        tell(ctx, user, locale, "sl-card-unavailable").await?;
        return Ok(());
    };
    let price = match (plan.price_minor, &plan.currency) {
        (Some(minor), Some(currency)) => crate::billing::orders::format_price(minor, currency),
        _ => String::new(),
    };
    let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
        tr(locale, "sl-rec-pay-button", &[("price", price.clone())]),
        url,
    )]]);
    let text = tr(
        locale,
        "sl-rec-checkout",
        &[
            ("title", service.title.clone()),
            ("price", price),
            ("days", plan.period_days.to_string()),
        ],
    );
    say(ctx, user, text, Some(ReplyMarkup::InlineKeyboard(kb))).await?;
    Ok(())
}

/// Whether a plan's Stars sell a Telegram Star subscription: it renews and its period is
/// the one Telegram allows (30 days).
pub fn stars_renew(plan: &Plan) -> bool {
    plan.renewing && plan.stars_price.is_some() && plan.period_days == recurring::STARS_PERIOD_DAYS
}

/// A buyer's Stars press on a renewing 30-day plan: a Telegram Star subscription link
/// (`createInvoiceLink` with `subscription_period`), or why not.
pub async fn subscribe_stars(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    service: &Service,
    plan: &Plan,
) -> Result<(), BotError> {
    use teloxide::{payloads::CreateInvoiceLinkSetters, prelude::Requester, types::LabeledPrice};
    if recurring::live_of(&ctx.db, ctx.now(), service, user)
        .await?
        .is_some()
    {
        tell(ctx, user, locale, "sl-rec-already").await?;
        return Ok(());
    }
    let ordered =
        access::create_order_with(&ctx.db, ctx.now(), user, plan, access::PayBy::Stars, None)
            .await?;
    let order = match ordered {
        access::Ordered::Order(order) => *order,
        access::Ordered::Limit(reached) => {
            super::bot_platform::turned_away(ctx, user, locale, plan.seller_id, &reached).await?;
            return Ok(());
        }
        access::Ordered::NoPrice | access::Ordered::Promo(_) => {
            tell(ctx, user, locale, "sl-plan-unavailable").await?;
            return Ok(());
        }
    };
    let title: String = service.title.chars().take(32).collect();
    let description = tr(
        locale,
        "sl-rec-stars-description",
        &[("title", service.title.clone())],
    );
    let amount = u32::try_from(order.amount_minor).unwrap_or(u32::MAX);
    let req = ctx
        .tg
        .bot()
        .create_invoice_link(
            title.clone(),
            description,
            access::invoice_payload(order.id),
            "XTR",
            vec![LabeledPrice::new(title, amount)],
        )
        .subscription_period(teloxide::types::Seconds::from_seconds(
            u32::try_from(i64::from(recurring::STARS_PERIOD_DAYS) * 86_400).unwrap_or(2_592_000),
        ));
    let link = match ctx.tg.call(req).await {
        Ok(link) => link,
        Err(e) => {
            tracing::warn!(error = %e, plan = plan.id, "a Star subscription link was refused");
            access::mark_failed(&ctx.db, ctx.now(), order.id).await?;
            tell(ctx, user, locale, "sl-plan-unavailable").await?;
            return Ok(());
        }
    };
    let Ok(url) = url::Url::parse(&link) else {
        tell(ctx, user, locale, "sl-plan-unavailable").await?;
        return Ok(());
    };
    let stars = order.amount_minor.to_string();
    let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
        tr(locale, "sl-rec-stars-button", &[("stars", stars.clone())]),
        url,
    )]]);
    let text = tr(
        locale,
        "sl-rec-stars-checkout",
        &[("title", service.title.clone()), ("stars", stars)],
    );
    say(ctx, user, text, Some(ReplyMarkup::InlineKeyboard(kb))).await?;
    Ok(())
}

/// Cancels (or resumes) a Star subscription with `editUserStarSubscription`; Telegram then
/// charges no more (or again) at the period's end.
async fn cancel_stars(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    sub: &Subscription,
    on: bool,
) -> Result<(), BotError> {
    use teloxide::{
        prelude::Requester,
        types::{TelegramTransactionId, UserId},
    };
    let req = ctx.tg.bot().edit_user_star_subscription(
        UserId(u64::try_from(user).unwrap_or_default()),
        TelegramTransactionId(sub.external_id.clone()),
        on,
    );
    if let Err(e) = ctx.tg.call(req).await {
        tracing::warn!(error = %e, subscription = sub.id, "Telegram refused to change a Star subscription");
        tell(ctx, user, locale, "sl-rec-stripe-down").await?;
        return Ok(());
    }
    recurring::sync(
        &ctx.db,
        ctx.now(),
        recurring::PROVIDER_STARS,
        &sub.external_id,
        &recurring::Reported {
            status: sub.status.clone(),
            cancel_at_period_end: on,
            current_period_end: sub.current_period_end,
        },
    )
    .await?;
    let key = if on {
        "sl-rec-cancelled"
    } else {
        "sl-rec-resumed"
    };
    let text = tr(locale, key, &[("date", date(sub.current_period_end))]);
    say(ctx, user, text, None).await?;
    Ok(())
}

/// The seller's 🔁 press on a plan: renewal on or off. False: not the seller's plan.
pub async fn toggle(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    plan: i64,
) -> Result<bool, BotError> {
    let Some(plan) = catalog::plan(&ctx.db, plan)
        .await?
        .filter(|p| p.seller_id == seller.id)
    else {
        return Ok(false);
    };
    let on = !plan.renewing;
    match recurring::set_renewing(&ctx.db, ctx.now(), &plan, seller.user_id, on).await? {
        Ok(()) => {
            let key = match (on, recurring::renews(&plan)) {
                (false, _) => "sl-rec-plan-off",
                (true, Ok((true, true))) => "sl-rec-plan-on-both",
                (true, Ok((false, true))) => "sl-rec-plan-on-stars",
                (true, _) => "sl-rec-plan-on",
            };
            let text = tr(locale, key, &[("days", plan.period_days.to_string())]);
            say(ctx, seller.user_id, text, None).await?;
        }
        Err(NotRenewable::NoCardPrice) => {
            tell(ctx, seller.user_id, locale, "sl-rec-plan-no-card").await?
        }
        Err(NotRenewable::StarsPeriod) => {
            tell(ctx, seller.user_id, locale, "sl-rec-plan-stars-period").await?
        }
        Err(NotRenewable::PeriodTooLong) => {
            tell(ctx, seller.user_id, locale, "sl-rec-plan-too-long").await?
        }
    }
    Ok(true)
}

/// `/retention [percent|off]`: shows or sets the one-time discount offered to a buyer who
/// cancels.
pub async fn retention(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    args: &str,
) -> Result<(), BotError> {
    let args = args.trim();
    if args.is_empty() {
        let text = match seller.retention_percent {
            Some(p) => tr(locale, "sl-rec-retention-is", &[("percent", p.to_string())]),
            None => tr(locale, "sl-rec-retention-none", &[]),
        };
        say(ctx, seller.user_id, text, None).await?;
        return Ok(());
    }
    match recurring::parse_retention(args) {
        Ok(percent) => {
            recurring::set_retention(&ctx.db, ctx.now(), seller.id, seller.user_id, percent)
                .await?;
            let text = match percent {
                Some(p) => tr(
                    locale,
                    "sl-rec-retention-set",
                    &[("percent", p.to_string())],
                ),
                None => tr(locale, "sl-rec-retention-off", &[]),
            };
            say(ctx, seller.user_id, text, None).await?;
        }
        Err(_) => tell(ctx, seller.user_id, locale, "sl-rec-retention-invalid").await?,
    }
    Ok(())
}

/// The dunning reminder: sent while the subscription is past due on that invoice.
pub async fn dunning(ctx: &AppCtx, payload: &serde_json::Value) -> Result<(), JobError> {
    let retry = |e: crate::services::ServiceError| JobError::Retry(e.to_string());
    let Some(id) = payload.get("subscription").and_then(|v| v.as_i64()) else {
        return Err(JobError::Permanent("no subscription".into()));
    };
    let day = payload.get("day").and_then(|v| v.as_i64()).unwrap_or(0);
    let invoice = payload
        .get("invoice")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let Some(sub) = recurring::by_id(&ctx.db, id).await.map_err(retry)? else {
        return Ok(());
    };
    let paid = recurring::invoice_is_paid(&ctx.db, invoice)
        .await
        .map_err(retry)?;
    if !recurring::dunning_due(&sub, paid) {
        return Ok(());
    }
    let locale = super::admission::locale_of(ctx, sub.user_id)
        .await
        .map_err(retry)?;
    let service = catalog::service(&ctx.db, sub.service_id)
        .await
        .map_err(retry)?;
    let membership = access::membership(&ctx.db, sub.service_id, sub.user_id)
        .await
        .map_err(retry)?;
    let key = if day == 0 {
        "sl-rec-dunning-first"
    } else {
        "sl-rec-dunning-reminder"
    };
    let text = tr(
        locale,
        key,
        &[
            ("title", service.map(|s| s.title).unwrap_or_default()),
            (
                "until",
                date(membership.and_then(|m| m.remove_at.or(m.ends_at))),
            ),
        ],
    );
    let markup = pay_button(locale, &sub)
        .map(|b| ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(vec![vec![b]])));
    say(ctx, sub.user_id, text, markup)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(())
}
