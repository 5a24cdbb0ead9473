//! Messages the bot sends on its own initiative (payments settled, refunds, disputes), for the
//! payment webhooks and jobs.
use teloxide::types::{ChatId, MessageId, ThreadId};

use super::{BotError, Reply, handlers};
use crate::{
    context::AppCtx,
    services::{
        orders::{Paid, Refunded},
        relay, users,
    },
};

/// Tells the user what their payment bought (exactly one message per grant).
pub async fn paid(ctx: &AppCtx, user_id: i64, paid: &Paid) -> Result<(), BotError> {
    match paid_reply(paid) {
        Some(reply) => to_user(ctx, user_id, &reply).await,
        None => Ok(()),
    }
}

fn paid_reply(paid: &Paid) -> Option<Reply> {
    match paid {
        Paid::Credits { amount, balance } => Some(Reply::PurchaseDone {
            credits: *amount,
            balance: *balance,
        }),
        Paid::Pass { until } => Some(Reply::PassGranted {
            until: handlers::fmt_time(*until),
        }),
        Paid::AlreadyPaid | Paid::NotPayable => None,
    }
}

/// [`paid`] for a user whose languages the caller already has.
pub async fn paid_in(
    ctx: &AppCtx,
    user_id: i64,
    paid: &Paid,
    locale: Option<&str>,
    language_code: Option<&str>,
) -> Result<(), BotError> {
    let Some(reply) = paid_reply(paid) else {
        return Ok(());
    };
    let locale = crate::i18n::Locale::resolve(locale, language_code, ctx.config.default_locale);
    deliver(ctx, user_id, &reply, locale).await
}

/// A notice to the user. Best effort: when it is about money already applied (a payment, a
/// refund), failing the webhook over an undeliverable notice would only make the sender retry
/// an event that is now a no-op, so a refusal from Telegram is logged, not returned.
pub async fn to_user(ctx: &AppCtx, user_id: i64, reply: &Reply) -> Result<(), BotError> {
    let Some(user) = users::find(&ctx.db, user_id).await? else {
        return Ok(());
    };
    let locale = handlers::locale_of_user(ctx, &user);
    deliver(ctx, user_id, reply, locale).await
}

async fn deliver(
    ctx: &AppCtx,
    user_id: i64,
    reply: &Reply,
    locale: crate::i18n::Locale,
) -> Result<(), BotError> {
    match handlers::send_private(ctx, user_id, reply, locale).await {
        Ok(_) => Ok(()),
        Err(BotError::Telegram(e)) => {
            tracing::warn!(user_id, error = %e, notice = reply.key(), "notice not delivered");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// A note for the team, in the user's topic when there is one.
pub async fn to_admins(ctx: &AppCtx, user_id: i64, reply: &Reply) -> Result<(), BotError> {
    let Some(admin) = ctx.config.admin_chat_id else {
        tracing::warn!(user_id, note = ?reply, "no admin group to tell");
        return Ok(());
    };
    let thread = relay::topic_of_user(&ctx.db, user_id)
        .await?
        .filter(|t| t.chat_id == admin && t.thread_id != 0)
        .map(|t| ThreadId(MessageId(t.thread_id)));
    match handlers::send_admin(ctx, ChatId(admin), thread, reply).await {
        Err(BotError::Telegram(e)) if e.is_thread_not_found() => {
            handlers::send_admin(ctx, ChatId(admin), None, reply).await?;
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

/// A refund took credits back (or ended a pass): the user and the team hear about it, and
/// any debt is spelled out for the team.
pub async fn refunded(
    ctx: &AppCtx,
    user_id: i64,
    order_id: i64,
    refunded: &Refunded,
) -> Result<(), BotError> {
    match refunded {
        Refunded::Credits {
            clawed_back,
            debt,
            balance,
        } => {
            to_user(
                ctx,
                user_id,
                &Reply::RefundNotice {
                    credits: *clawed_back,
                    balance: *balance,
                },
            )
            .await?;
            to_admins(
                ctx,
                user_id,
                &Reply::AdminRefundNote {
                    user: user_id,
                    order: order_id,
                    clawed_back: *clawed_back,
                    debt: *debt,
                },
            )
            .await
        }
        Refunded::PassEnded | Refunded::PassKept => {
            to_admins(
                ctx,
                user_id,
                &Reply::AdminRefundNote {
                    user: user_id,
                    order: order_id,
                    clawed_back: 0,
                    debt: 0,
                },
            )
            .await
        }
        Refunded::BeforePayment | Refunded::AlreadyRefunded => Ok(()),
    }
}
