//! `/balance`, `/history`, `/language`, `/reset`, `/help`.
use teloxide::{prelude::*, types::MessageId};

use crate::{
    bot::handlers::edit_private, bot::handlers::fmt_time, bot::handlers::locale_of_user,
    bot::handlers::send_private,
};
use crate::{
    bot::{BotDialogue, BotError, HandlerResult, Reply, State},
    context::AppCtx,
    delivery::replies::{HistoryLine, Tip},
    i18n::Locale,
    {
        accounts::credits,
        accounts::tiers,
        accounts::users::{self, User},
        billing::passes,
        services::settings,
    },
};

const HISTORY_PAGE: u64 = 5;

pub(crate) async fn balance(ctx: &AppCtx, user: &User) -> HandlerResult {
    let now = ctx.now();
    let balance = user.credits;
    let tier = tiers::of_user(&ctx.db, user).await?;
    let pass = passes::active(&ctx.db, now, user.id).await?;
    let threshold = settings::get(&ctx.db, &settings::LOW_CREDIT_THRESHOLD).await?;
    let scale = match credits::last_purchase(&ctx.db, user.id).await? {
        Some(pack) => pack,
        None => settings::get(&ctx.db, &settings::BALANCE_SCALE).await?,
    };
    let tip = if pass.is_some() {
        Tip::Pass
    } else if balance < tier.message_cost {
        Tip::Empty
    } else if balance <= threshold {
        Tip::Low
    } else {
        Tip::Normal
    };
    let reply = Reply::Balance {
        balance,
        scale,
        tier: tier.name,
        cost: tier.message_cost,
        pass_until: pass.map(|p| fmt_time(p.ends_at)),
        tip,
    };
    send_private(ctx, user.id, &reply, locale_of_user(ctx, user)).await?;
    Ok(())
}

async fn history_page(ctx: &AppCtx, user: &User, page: u32) -> Result<Reply, BotError> {
    let (rows, has_older) =
        credits::history(&ctx.db, user.id, u64::from(page), HISTORY_PAGE).await?;
    Ok(Reply::History {
        page,
        has_newer: page > 0,
        has_older,
        lines: {
            let mut lines = Vec::with_capacity(rows.len());
            for r in rows {
                lines.push(HistoryLine {
                    date: r.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    amount: r.amount,
                    detail: receipt(ctx, r.reference.as_deref()).await?,
                    reason: r.reason,
                    balance: r.balance_after,
                });
            }
            lines
        },
    })
}

/// For entries about an order: how it was paid and how much.
async fn receipt(ctx: &AppCtx, reference: Option<&str>) -> Result<Option<String>, BotError> {
    let Some(id) = reference
        .and_then(|r| r.strip_prefix("order:"))
        .and_then(|i| i.parse().ok())
    else {
        return Ok(None);
    };
    let Some(order) = crate::billing::orders::find(&ctx.db, id).await? else {
        return Ok(None);
    };
    Ok(Some(match order.method.as_str() {
        "stars" => format!("⭐ {}", order.amount_minor),
        method => {
            let how = if method == "stripe" {
                "card"
            } else {
                "Telegram"
            };
            format!(
                "{how} · {}",
                crate::billing::orders::format_price(order.amount_minor, &order.currency)
            )
        }
    }))
}

/// `/history`: the newest page as a new message.
pub(crate) async fn history(ctx: &AppCtx, user: &User) -> HandlerResult {
    let reply = history_page(ctx, user, 0).await?;
    send_private(ctx, user.id, &reply, locale_of_user(ctx, user)).await?;
    Ok(())
}

/// A history button: the same message now shows another page.
pub(crate) async fn history_turn(
    ctx: &AppCtx,
    user: &User,
    message: MessageId,
    page: u32,
) -> HandlerResult {
    let reply = history_page(ctx, user, page).await?;
    edit_private(
        ctx,
        ChatId(user.id),
        message,
        &reply,
        locale_of_user(ctx, user),
    )
    .await
}

pub(crate) async fn language_prompt(ctx: &AppCtx, user: &User) -> HandlerResult {
    send_private(
        ctx,
        user.id,
        &Reply::LanguagePrompt,
        locale_of_user(ctx, user),
    )
    .await?;
    Ok(())
}

pub(crate) async fn language_set(
    ctx: &AppCtx,
    user: &User,
    message: MessageId,
    locale: Locale,
) -> HandlerResult {
    users::set_locale(&ctx.db, user.id, locale.code()).await?;
    edit_private(ctx, ChatId(user.id), message, &Reply::LanguageSet, locale).await
}

pub(crate) async fn reset_prompt(
    ctx: &AppCtx,
    user: &User,
    dialogue: &BotDialogue,
) -> HandlerResult {
    let locale = locale_of_user(ctx, user);
    if !settings::get(&ctx.db, &settings::ALLOW_RESET).await? {
        send_private(ctx, user.id, &Reply::ResetDisabled, locale).await?;
        return Ok(());
    }
    dialogue
        .update(State::ConfirmingReset)
        .await
        .map_err(|e| BotError::Dialogue(e.to_string()))?;
    send_private(ctx, user.id, &Reply::ResetConfirm, locale).await?;
    Ok(())
}

pub(crate) async fn reset_answer(
    ctx: &AppCtx,
    user: &User,
    message: MessageId,
    confirmed: bool,
    dialogue: &BotDialogue,
) -> HandlerResult {
    let locale = locale_of_user(ctx, user);
    dialogue
        .exit()
        .await
        .map_err(|e| BotError::Dialogue(e.to_string()))?;
    // The setting is checked again: it may have been switched off since the prompt.
    let reply = if !confirmed {
        Reply::ResetCancelled
    } else if !settings::get(&ctx.db, &settings::ALLOW_RESET).await? {
        Reply::ResetDisabled
    } else {
        users::reset(&ctx.db, user.id).await?;
        Reply::ResetDone
    };
    edit_private(ctx, ChatId(user.id), message, &reply, locale).await
}

pub(crate) async fn help(ctx: &AppCtx, user_id: i64, locale: Locale) -> HandlerResult {
    send_private(ctx, user_id, &Reply::Help, locale).await?;
    Ok(())
}
