//! Messages the bot sends on its own initiative (payments settled, refunds, disputes), for the
//! payment webhooks and jobs; [`run_notice`] sends the notices the payment webhooks queue.
use std::sync::{Arc, OnceLock};

use teloxide::types::{ChatId, MessageId, ThreadId};

use super::{DeliveryError, Reply, fmt_time, locale_of_user, send_admin, send_private};
use crate::{
    context::AppCtx,
    jobs::{Job, JobError},
    {
        accounts::credits,
        accounts::users,
        billing::notices::Notice,
        billing::orders::{self, OrderStatus, Paid, Refunded},
        billing::passes,
        relay::threads as relay,
    },
};

/// Tells the user what their payment bought (exactly one message per grant).
pub async fn paid(ctx: &AppCtx, user_id: i64, paid: &Paid) -> Result<(), DeliveryError> {
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
            until: fmt_time(*until),
        }),
        Paid::AlreadyPaid | Paid::NotPayable => None,
    }
}

/// A notice to the user. Best effort: when it is about money already applied (a payment, a
/// refund), failing the webhook over an undeliverable notice would only make the sender retry
/// an event that is now a no-op, so a refusal from Telegram is logged, not returned.
pub async fn to_user(ctx: &AppCtx, user_id: i64, reply: &Reply) -> Result<(), DeliveryError> {
    let Some(user) = users::find(&ctx.db, user_id).await? else {
        return Ok(());
    };
    let locale = locale_of_user(ctx, &user);
    deliver(ctx, user_id, reply, locale).await
}

async fn deliver(
    ctx: &AppCtx,
    user_id: i64,
    reply: &Reply,
    locale: crate::i18n::Locale,
) -> Result<(), DeliveryError> {
    match send_private(ctx, user_id, reply, locale).await {
        Ok(_) => Ok(()),
        Err(DeliveryError::Telegram(e)) => {
            tracing::warn!(user_id, error = %e, notice = reply.key(), "notice not delivered");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// A note for the team, in the user's topic when there is one.
pub async fn to_admins(ctx: &AppCtx, user_id: i64, reply: &Reply) -> Result<(), DeliveryError> {
    let topic = relay::topic_of_user(&ctx.db, user_id).await?;
    let Some(admin) = ctx
        .config
        .admin_group_for(user_id, topic.as_ref().map(|t| t.chat_id))
    else {
        tracing::warn!(user_id, note = ?reply, "no admin group to tell");
        return Ok(());
    };
    let thread = topic
        .filter(|t| t.chat_id == admin && t.thread_id != 0)
        .map(|t| ThreadId(MessageId(t.thread_id)));
    match send_admin(ctx, ChatId(admin), thread, reply).await {
        Err(DeliveryError::Telegram(e)) if e.is_thread_not_found() => {
            send_admin(ctx, ChatId(admin), None, reply).await?;
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
) -> Result<(), DeliveryError> {
    let (clawed_back, debt) = match refunded {
        Refunded::Credits {
            clawed_back,
            debt,
            balance,
        } => {
            let notice = Reply::RefundNotice {
                credits: *clawed_back,
                balance: *balance,
            };
            to_user(ctx, user_id, &notice).await?;
            (*clawed_back, *debt)
        }
        Refunded::PassEnded | Refunded::PassKept => (0, 0),
        Refunded::BeforePayment | Refunded::AlreadyRefunded => return Ok(()),
    };
    let note = Reply::AdminRefundNote {
        user: user_id,
        order: order_id,
        clawed_back,
        debt,
    };
    to_admins(ctx, user_id, &note).await
}

/// The notice job ([`crate::billing::notices::JOB`]): renders the notice in its reader's
/// language and sends it. Telegram being slow, flooded or down (429, 5xx, network) retries the
/// job later; a user who blocked the bot is marked unreachable and the job ends; any other
/// refusal ends it as dead.
pub async fn run_notice(app: Arc<OnceLock<AppCtx>>, job: Job) -> Result<(), JobError> {
    let ctx = app
        .get()
        .ok_or_else(|| JobError::Retry("the app is starting".into()))?;
    let notice: Notice = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Permanent(format!("bad payload: {e}")))?;
    let sent = match notice {
        Notice::Credits {
            user_id,
            amount,
            balance,
        } => {
            let reply = Reply::PurchaseDone {
                credits: amount,
                balance,
            };
            send_to_user(ctx, user_id, &reply).await
        }
        Notice::Pass { user_id, until } => {
            let reply = Reply::PassGranted {
                until: fmt_time(until),
            };
            send_to_user(ctx, user_id, &reply).await
        }
        Notice::PaidOrder { user_id, order_id } => match paid_order_reply(ctx, order_id).await {
            Ok(Some(reply)) => send_to_user(ctx, user_id, &reply).await,
            other => other.map(|_| ()),
        },
        Notice::PaymentFailed { user_id } => {
            send_to_user(ctx, user_id, &Reply::PaymentFailed).await
        }
        Notice::Refund {
            user_id,
            credits,
            balance,
        } => send_to_user(ctx, user_id, &Reply::RefundNotice { credits, balance }).await,
        Notice::AdminRefund {
            user_id,
            order_id,
            clawed_back,
            debt,
        } => {
            let reply = Reply::AdminRefundNote {
                user: user_id,
                order: order_id,
                clawed_back,
                debt,
            };
            to_admins(ctx, user_id, &reply).await
        }
        Notice::AdminDispute { user_id, order_id } => {
            let reply = Reply::AdminDisputeNote {
                user: user_id,
                order: order_id,
            };
            to_admins(ctx, user_id, &reply).await
        }
    };
    sent.map_err(|e| match &e {
        DeliveryError::Telegram(tg) if !tg.is_transient() => JobError::Permanent(e.to_string()),
        _ => JobError::Retry(e.to_string()),
    })
}

/// What a paid order bought, told from the order as it stands (see [`Notice::PaidOrder`]).
async fn paid_order_reply(ctx: &AppCtx, order_id: i64) -> Result<Option<Reply>, DeliveryError> {
    let Some(order) = orders::find(&ctx.db, order_id).await? else {
        return Ok(None);
    };
    if order.status != OrderStatus::Paid {
        return Ok(None);
    }
    let Some(product) = orders::product(&ctx.db, order.product_id).await? else {
        return Ok(None);
    };
    let paid = match product.credits {
        Some(amount) => Paid::Credits {
            amount,
            balance: credits::balance(&ctx.db, order.user_id).await?,
        },
        None => match passes::active(&ctx.db, ctx.now(), order.user_id).await? {
            Some(pass) => Paid::Pass {
                until: pass.ends_at,
            },
            None => return Ok(None),
        },
    };
    Ok(paid_reply(&paid))
}

/// A notice to the user in their language; a user who blocked the bot is marked unreachable
/// (not an error), every other failure is the caller's.
async fn send_to_user(ctx: &AppCtx, user_id: i64, reply: &Reply) -> Result<(), DeliveryError> {
    let Some(user) = users::find(&ctx.db, user_id).await? else {
        return Ok(());
    };
    let locale = locale_of_user(ctx, &user);
    send_private(ctx, user_id, reply, locale).await.map(|_| ())
}
