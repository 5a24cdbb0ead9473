//! `/payouts` in the seller's private chat: who takes card payments for the seller's plans
//! (the platform's account with its fee, the seller's own Stripe key, or a Stripe Connect
//! account), and the card price of a plan. Secrets typed into the chat are checked, sealed and
//! the message holding them is deleted.
use teloxide::{
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ReplyMarkup},
};

use super::{
    admission::{say, tr},
    bot::{Press, plan_label},
    card::{self, CardError},
    catalog::{self, Seller},
    connect,
    drafts::{self, Step},
    payouts::{self, Change, ConnectStatus, PayMode},
};
use crate::{bot::BotError, context::AppCtx, i18n::Locale};

fn button(label: String, press: Press) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, press.data())
}

async fn ask(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    step: Step,
    key: &str,
    args: &[(&'static str, String)],
) -> Result<(), BotError> {
    drafts::set(&ctx.db, ctx.now(), seller.user_id, &step).await?;
    ctx.drafting.insert(seller.user_id);
    say(ctx, seller.user_id, tr(locale, key, args), None).await?;
    Ok(())
}

fn seal_err(e: crate::services::sealing::SealError) -> BotError {
    BotError::Service(
        crate::storage::StorageError::Corrupt(format!("sealing a secret: {e}")).into(),
    )
}

async fn finish(ctx: &AppCtx, seller: &Seller) -> Result<(), BotError> {
    drafts::clear(&ctx.db, seller.user_id).await?;
    ctx.drafting.remove(seller.user_id);
    Ok(())
}

async fn tell(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    key: &str,
    args: &[(&'static str, String)],
) -> Result<(), BotError> {
    say(ctx, seller.user_id, tr(locale, key, args), None).await?;
    Ok(())
}

/// Where the seller's own Stripe account sends its events.
fn endpoint_url(ctx: &AppCtx, seller: &Seller) -> String {
    format!(
        "{}/webhooks/stripe/sellers/{}",
        ctx.public_base(),
        seller.id
    )
}

/// `/payouts`: the current mode and the three choices.
pub async fn screen(ctx: &AppCtx, seller: &Seller, locale: Locale) -> Result<(), BotError> {
    let fee = super::platform::fee_percent(&ctx.db, seller.id).await?;
    let current = match payouts::mode_of(seller) {
        PayMode::Platform => tr(locale, "sl-payout-is-platform", &[("fee", fee.to_string())]),
        PayMode::OwnKey => tr(
            locale,
            "sl-payout-is-own",
            &[
                ("hint", seller.stripe_key_hint.clone().unwrap_or_default()),
                ("url", endpoint_url(ctx, seller)),
            ],
        ),
        PayMode::Connect => {
            let mut text = tr(
                locale,
                "sl-payout-is-connect",
                &[
                    (
                        "account",
                        seller.connect_account_id.clone().unwrap_or_default(),
                    ),
                    ("fee", fee.to_string()),
                ],
            );
            text.push('\n');
            text.push_str(&connect_lines(locale, &ConnectStatus::of(seller)));
            text
        }
    };
    let mut text = tr(locale, "sl-payout-title", &[]);
    text.push_str("\n\n");
    text.push_str(&current);
    if !card::card_available(ctx, seller) {
        text.push_str("\n\n");
        text.push_str(&tr(locale, "sl-payout-cards-off", &[]));
    }
    let kb = InlineKeyboardMarkup::new(vec![
        vec![button(
            tr(locale, "sl-payout-platform", &[("fee", fee.to_string())]),
            Press::Payout(0),
        )],
        vec![button(tr(locale, "sl-payout-own", &[]), Press::Payout(1))],
        vec![button(
            tr(locale, "sl-payout-connect", &[]),
            Press::Payout(2),
        )],
        vec![button(onboard_label(locale, seller), Press::Payout(3))],
    ]);
    say(
        ctx,
        seller.user_id,
        text,
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    Ok(())
}

/// A choice on the `/payouts` screen.
pub async fn choose(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    which: i64,
) -> Result<(), BotError> {
    match which {
        0 => {
            payouts::set_mode(&ctx.db, ctx.now(), seller, seller.user_id, Change::Platform).await?;
            let fee = super::platform::fee_percent(&ctx.db, seller.id).await?;
            tell(
                ctx,
                seller,
                locale,
                "sl-payout-set-platform",
                &[("fee", fee.to_string())],
            )
            .await
        }
        1 if ctx.sealer.is_none() => tell(ctx, seller, locale, "sl-payout-no-sealing", &[]).await,
        1 => {
            ask(
                ctx,
                seller,
                locale,
                Step::StripeKey,
                "sl-payout-ask-key",
                &[],
            )
            .await
        }
        _ if ctx.stripe.is_none() => tell(ctx, seller, locale, "sl-payout-no-platform", &[]).await,
        3 => onboard(ctx, seller, locale).await,
        _ => {
            ask(
                ctx,
                seller,
                locale,
                Step::ConnectAccount,
                "sl-payout-ask-account",
                &[],
            )
            .await
        }
    }
}

/// The connected account's flags and what Stripe needs, one line each.
pub fn connect_lines(locale: Locale, status: &ConnectStatus) -> String {
    let flag = |on: bool| if on { "✅" } else { "❌" };
    let mut text = tr(
        locale,
        "sl-connect-flags",
        &[
            ("charges", flag(status.charges_enabled).to_owned()),
            ("payouts", flag(status.payouts_enabled).to_owned()),
        ],
    );
    if !status.due.is_empty() {
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-connect-due",
            &[("due", status.due.join(", "))],
        ));
    }
    text
}

/// "Create a Stripe account", or "Continue onboarding" for the account Tollgate made.
fn onboard_label(locale: Locale, seller: &Seller) -> String {
    let ours = payouts::mode_of(seller) == PayMode::Connect && seller.connect_onboarding;
    if ours && !ConnectStatus::of(seller).complete() {
        tr(locale, "sl-connect-continue", &[])
    } else if ours {
        tr(locale, "sl-connect-manage", &[])
    } else {
        tr(locale, "sl-connect-create", &[])
    }
}

/// Makes (or continues) the seller's Express account and hands over Stripe's onboarding link.
pub async fn onboard(ctx: &AppCtx, seller: &Seller, locale: Locale) -> Result<(), BotError> {
    let fresh = |kind: &str, why: String| tr(locale, kind, &[("why", why)]);
    let text_and_link = match connect::onboard(ctx, seller).await {
        Ok(o) => {
            let key = if o.created {
                "sl-connect-created"
            } else {
                "sl-connect-link"
            };
            (tr(locale, key, &[("account", o.account)]), Some(o.url))
        }
        Err(CardError::NotConfigured) => (tr(locale, "sl-payout-no-platform", &[]), None),
        Err(CardError::Rejected(why)) => (fresh("sl-connect-refused", why), None),
        Err(CardError::Service(e)) => return Err(e.into()),
        Err(other) => (fresh("sl-connect-try-later", other.to_string()), None),
    };
    let (text, link) = text_and_link;
    let markup = match link.as_deref().map(reqwest::Url::parse) {
        Some(Ok(url)) => Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(
            vec![vec![InlineKeyboardButton::url(
                tr(locale, "sl-connect-open", &[]),
                url,
            )]],
        ))),
        _ => None,
    };
    say(ctx, seller.user_id, text, markup).await?;
    Ok(())
}

/// The notice of [`connect::NOTICE_JOB`]: what changed on the seller's connected account.
pub async fn connect_notice(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    news: &str,
    due: Vec<String>,
) -> Result<(), BotError> {
    let due = due.join(", ");
    let (key, continue_button) = match news {
        "ready" => ("sl-connect-ready", false),
        "stopped" => ("sl-connect-stopped", true),
        _ => ("sl-connect-needs", true),
    };
    let text = tr(
        locale,
        key,
        &[
            (
                "account",
                seller.connect_account_id.clone().unwrap_or_default(),
            ),
            ("due", due),
        ],
    );
    let markup = (continue_button && seller.connect_onboarding).then(|| {
        ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(vec![vec![button(
            tr(locale, "sl-connect-continue", &[]),
            Press::Payout(3),
        )]]))
    });
    say(ctx, seller.user_id, text, markup).await?;
    Ok(())
}

/// "💳" on a plan: asks for its card price. False: not the seller's plan.
pub async fn ask_card_price(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    plan: i64,
) -> Result<bool, BotError> {
    let Some(found) = catalog::own_plan(&ctx.db, seller.id, plan).await? else {
        return Ok(false);
    };
    if found.status == "archived" {
        return Ok(false);
    }
    ask(
        ctx,
        seller,
        locale,
        Step::PlanCardPrice { plan },
        "sl-ask-card-price",
        &[("plan", plan_label(locale, &found))],
    )
    .await?;
    Ok(true)
}

/// Tells the seller why Stripe's check failed: refused (`rejected_key`) or unreachable (try
/// later); the step stays, so the seller can answer again.
async fn refused(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    e: CardError,
    rejected_key: &str,
) -> Result<(), BotError> {
    match e {
        CardError::Rejected(why) => tell(ctx, seller, locale, rejected_key, &[("why", why)]).await,
        CardError::Service(e) => Err(e.into()),
        other => {
            let why = other.to_string();
            tell(ctx, seller, locale, "sl-payout-try-later", &[("why", why)]).await
        }
    }
}

/// Removes the message that carried a secret (best effort: it may be too old to delete).
async fn forget_message(ctx: &AppCtx, seller: &Seller, message: MessageId) {
    let chat = ChatId(seller.user_id);
    if let Err(e) = ctx
        .tg
        .call(ctx.tg.bot().delete_message(chat, message))
        .await
    {
        tracing::debug!(error = %e, "could not delete the message with a secret");
    }
}

/// The answer to one of the steps above.
pub async fn answer(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    step: Step,
    text: &str,
    message: MessageId,
) -> Result<(), BotError> {
    let now = ctx.now();
    match step {
        Step::StripeKey => {
            forget_message(ctx, seller, message).await;
            let Ok(key) = payouts::parse_secret_key(text) else {
                return tell(ctx, seller, locale, "sl-payout-bad-key", &[]).await;
            };
            match card::check_key(ctx, &key).await {
                Ok(()) => {}
                Err(e) => return refused(ctx, seller, locale, e, "sl-payout-key-rejected").await,
            }
            let Some(sealer) = &ctx.sealer else {
                finish(ctx, seller).await?;
                return tell(ctx, seller, locale, "sl-payout-no-sealing", &[]).await;
            };
            let key_sealed = sealer
                .seal(&payouts::purpose(seller.id, payouts::KEY), &key)
                .map_err(seal_err)?;
            let hint = payouts::key_hint(&key);
            let next = Step::StripeWebhookSecret {
                key_sealed,
                hint: hint.clone(),
            };
            ask(
                ctx,
                seller,
                locale,
                next,
                "sl-payout-ask-webhook",
                &[("hint", hint), ("url", endpoint_url(ctx, seller))],
            )
            .await
        }
        Step::StripeWebhookSecret { key_sealed, hint } => {
            forget_message(ctx, seller, message).await;
            let Ok(secret) = payouts::parse_webhook_secret(text) else {
                return tell(ctx, seller, locale, "sl-payout-bad-webhook", &[]).await;
            };
            let Some(sealer) = &ctx.sealer else {
                finish(ctx, seller).await?;
                return tell(ctx, seller, locale, "sl-payout-no-sealing", &[]).await;
            };
            let secret_sealed = sealer
                .seal(
                    &payouts::purpose(seller.id, payouts::WEBHOOK_SECRET),
                    &secret,
                )
                .map_err(seal_err)?;
            finish(ctx, seller).await?;
            payouts::set_mode(
                &ctx.db,
                now,
                seller,
                seller.user_id,
                Change::OwnKey {
                    key_sealed: &key_sealed,
                    hint: &hint,
                    webhook_secret_sealed: &secret_sealed,
                },
            )
            .await?;
            tell(ctx, seller, locale, "sl-payout-set-own", &[("hint", hint)]).await
        }
        Step::ConnectAccount => {
            let Ok(account) = payouts::parse_account(text) else {
                return tell(ctx, seller, locale, "sl-payout-bad-account", &[]).await;
            };
            let status = match connect::fetch_status(ctx, &account).await {
                Ok(status) if status.charges_enabled => status,
                Ok(_) => {
                    return tell(
                        ctx,
                        seller,
                        locale,
                        "sl-payout-account-not-ready",
                        &[("account", account)],
                    )
                    .await;
                }
                Err(e) => {
                    return refused(ctx, seller, locale, e, "sl-payout-account-rejected").await;
                }
            };
            finish(ctx, seller).await?;
            payouts::set_mode(
                &ctx.db,
                now,
                seller,
                seller.user_id,
                Change::Connect {
                    account: &account,
                    status: &status,
                    onboarding: false,
                },
            )
            .await?;
            let fee = super::platform::fee_percent(&ctx.db, seller.id).await?;
            tell(
                ctx,
                seller,
                locale,
                "sl-payout-set-connect",
                &[("account", account), ("fee", fee.to_string())],
            )
            .await
        }
        Step::PlanCardPrice { plan } => {
            let card = if text.trim() == "-" {
                None
            } else {
                match crate::billing::catalog::parse_price(text) {
                    Ok(price) => Some(price),
                    Err(_) => return tell(ctx, seller, locale, "sl-bad-card-price", &[]).await,
                }
            };
            finish(ctx, seller).await?;
            let removing = card.is_none();
            if !catalog::set_card_price(&ctx.db, seller.id, plan, card).await? {
                let key = if removing {
                    "sl-card-price-last"
                } else {
                    "sl-not-yours"
                };
                return tell(ctx, seller, locale, key, &[]).await;
            }
            let Some(updated) = catalog::own_plan(&ctx.db, seller.id, plan).await? else {
                return Ok(());
            };
            super::audit::record(
                &ctx.db,
                now,
                seller.id,
                seller.user_id,
                "plan_card_price",
                None,
                format!("{plan}: {}", plan_label(locale, &updated)),
            )
            .await?;
            let mut text = tr(
                locale,
                "sl-card-price-set",
                &[("plan", plan_label(locale, &updated))],
            );
            if !card::card_available(ctx, seller) {
                text.push('\n');
                text.push_str(&tr(locale, "sl-payout-cards-off", &[]));
            }
            say(ctx, seller.user_id, text, None).await?;
            Ok(())
        }
        _ => Ok(()),
    }
}
