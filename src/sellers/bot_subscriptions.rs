//! A channel's Telegram Star subscription link, for its seller: "⭐ Star subscription" on the
//! service card asks for the Stars a month (or `-` to turn it off), the bot makes the link with
//! `createChatSubscriptionInviteLink`, stores it and shows it. Telegram offers Star
//! subscriptions in channels only, so a group's service is refused with a clear message; a bad
//! price is refused and asked for again, and nothing changes. Buyers find the link on the
//! service's card beside the plans; whoever joins through it becomes a Telegram-managed member
//! ([`access::joined`](super::access::joined)).
use teloxide::types::{InlineKeyboardButton, ReplyMarkup};

use super::{
    admission::{self, say, tr},
    bot::{Press, button, done, keyboard, tell, wait},
    catalog::{self, NoSubscription, Seller, Service},
    drafts::Step,
};
use crate::{bot::BotError, context::AppCtx, i18n::Locale, telegram::TgError};

/// The line of the seller's service card about the subscription link.
pub fn card_line(locale: Locale, service: &Service) -> Option<String> {
    if catalog::subscription_allowed(service) == Err(NoSubscription::NotAChannel) {
        return None;
    }
    Some(match (service.star_sub_price, &service.star_sub_link) {
        (Some(stars), Some(link)) => tr(
            locale,
            "sl-star-sub-line",
            &[("stars", stars.to_string()), ("link", link.clone())],
        ),
        _ => tr(locale, "sl-star-sub-line-none", &[]),
    })
}

/// The buyer's button for the subscription link, when the service offers one.
pub fn buyer_button(locale: Locale, service: &Service) -> Option<InlineKeyboardButton> {
    catalog::subscription_allowed(service).ok()?;
    let (Some(stars), Some(link)) = (service.star_sub_price, &service.star_sub_link) else {
        return None;
    };
    let url = url::Url::parse(link).ok()?;
    Some(InlineKeyboardButton::url(
        tr(locale, "sl-star-sub-buy", &[("stars", stars.to_string())]),
        url,
    ))
}

/// Tells the seller why `service` cannot have a subscription link.
async fn refuse(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    service: &Service,
    why: NoSubscription,
) -> Result<(), BotError> {
    let key = match why {
        NoSubscription::NotAChannel => "sl-star-sub-channels-only",
        NoSubscription::TestMode => "sl-star-sub-test-mode",
    };
    let text = tr(locale, key, &[("title", service.title.clone())]);
    say(ctx, seller.user_id, text, None).await?;
    Ok(())
}

/// "⭐ Star subscription" on one of the seller's services: asks for the Stars a month, or says
/// why the service cannot have one. False when the service is none of theirs.
pub async fn ask(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    service: i64,
) -> Result<bool, BotError> {
    let Some(service) = catalog::own_service(&ctx.db, seller.id, service)
        .await?
        .filter(|s| s.status != "archived")
    else {
        return Ok(false);
    };
    if let Err(why) = catalog::subscription_allowed(&service) {
        refuse(ctx, seller, locale, &service, why).await?;
        return Ok(true);
    }
    wait(
        ctx,
        seller.user_id,
        &Step::StarSubPrice {
            service: service.id,
        },
    )
    .await?;
    let mut text = tr(
        locale,
        "sl-star-sub-ask",
        &[
            ("title", service.title.clone()),
            ("max", catalog::STAR_SUBSCRIPTION_MAX.to_string()),
        ],
    );
    if let Some(stars) = service.star_sub_price {
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-star-sub-ask-current",
            &[("stars", stars.to_string())],
        ));
    }
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-cancel-button", &[]),
        Press::Cancel,
    )]]);
    say(
        ctx,
        seller.user_id,
        text,
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    Ok(true)
}

/// The answer to [`ask`]: a price makes a new link (the old one, if any, is revoked once the
/// new one is stored), `-` revokes the link. A bad price is refused and asked for again.
pub async fn answer(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    service: i64,
    text: &str,
) -> Result<(), BotError> {
    let price = if text.trim() == "-" {
        None
    } else {
        match catalog::parse_subscription_price(text) {
            Ok(stars) => Some(stars),
            Err(_) => {
                let text = tr(
                    locale,
                    "sl-bad-star-sub-price",
                    &[("max", catalog::STAR_SUBSCRIPTION_MAX.to_string())],
                );
                say(ctx, seller.user_id, text, None).await?;
                return Ok(());
            }
        }
    };
    done(ctx, seller.user_id).await?;
    let Some(service) = catalog::own_service(&ctx.db, seller.id, service)
        .await?
        .filter(|s| s.status != "archived")
    else {
        tell(ctx, seller.user_id, locale, "sl-not-yours").await?;
        return Ok(());
    };
    if let Err(why) = catalog::subscription_allowed(&service) {
        return refuse(ctx, seller, locale, &service, why).await;
    }
    match price {
        Some(stars) => create(ctx, seller, locale, &service, stars).await,
        None => turn_off(ctx, seller, locale, &service).await,
    }
}

async fn create(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    service: &Service,
    stars: i64,
) -> Result<(), BotError> {
    let made = match admission::create_subscription_link(ctx, service, stars).await {
        Ok(made) => made,
        Err(e) if e.is_transient() => return Err(e.into()),
        Err(e) => {
            let text = tr(
                locale,
                "sl-star-sub-failed",
                &[("title", service.title.clone()), ("error", e.to_string())],
            );
            say(ctx, seller.user_id, text, None).await?;
            return Ok(());
        }
    };
    let link = made.invite_link;
    let stored = catalog::set_star_subscription(
        &ctx.db,
        ctx.now(),
        seller.id,
        service.id,
        seller.user_id,
        Some((stars, &link)),
    )
    .await;
    if !matches!(stored, Ok(true)) {
        // Not recorded: the link must not sell unseen.
        if let Err(e) = admission::revoke_link(ctx, service, &link).await {
            tracing::warn!(error = %e, "could not revoke a subscription link that was not stored");
        }
        stored?;
        tell(ctx, seller.user_id, locale, "sl-not-yours").await?;
        return Ok(());
    }
    // The old link stops taking new subscribers; those who joined through it stay subscribed.
    if let Some(old) = service.star_sub_link.as_deref().filter(|old| *old != link)
        && let Err(e) = admission::revoke_link(ctx, service, old).await
    {
        tracing::warn!(error = %e, "could not revoke a replaced subscription link");
    }
    let text = tr(
        locale,
        "sl-star-sub-set",
        &[
            ("title", service.title.clone()),
            ("stars", stars.to_string()),
            ("link", link.clone()),
        ],
    );
    let mut rows = Vec::new();
    if let Ok(url) = url::Url::parse(&link) {
        rows.push(vec![InlineKeyboardButton::url(
            tr(locale, "sl-star-sub-buy", &[("stars", stars.to_string())]),
            url,
        )]);
    }
    rows.push(vec![button(
        tr(locale, "sl-my-services", &[]),
        Press::Services,
    )]);
    say(
        ctx,
        seller.user_id,
        text,
        Some(ReplyMarkup::InlineKeyboard(keyboard(rows))),
    )
    .await?;
    Ok(())
}

async fn turn_off(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    service: &Service,
) -> Result<(), BotError> {
    let Some(link) = service.star_sub_link.as_deref() else {
        let text = tr(
            locale,
            "sl-star-sub-none",
            &[("title", service.title.clone())],
        );
        say(ctx, seller.user_id, text, None).await?;
        return Ok(());
    };
    match admission::revoke_link(ctx, service, link).await {
        Ok(()) => {}
        Err(e) if e.is_transient() => return Err(e.into()),
        // Gone in Telegram already (revoked by hand): it sells no more.
        Err(TgError::Rejected(e)) if e.to_string().contains("INVITE_HASH_EXPIRED") => {}
        Err(e) => {
            let text = tr(
                locale,
                "sl-star-sub-failed",
                &[("title", service.title.clone()), ("error", e.to_string())],
            );
            say(ctx, seller.user_id, text, None).await?;
            return Ok(());
        }
    }
    catalog::set_star_subscription(
        &ctx.db,
        ctx.now(),
        seller.id,
        service.id,
        seller.user_id,
        None,
    )
    .await?;
    let text = tr(
        locale,
        "sl-star-sub-off",
        &[("title", service.title.clone())],
    );
    say(ctx, seller.user_id, text, None).await?;
    Ok(())
}
