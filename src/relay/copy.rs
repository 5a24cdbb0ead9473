//! The relay's copying: a charged message goes into its user's forum topic (opening or
//! reopening the topic as needed), or waits in the [`backlog`] when there is no room; a
//! message Telegram finally refuses is refunded; [`recover`] relays what a stop left behind;
//! an admin's answer goes back to the user ([`answer`]). The bot's handlers, the backlog
//! drainer and the start-up recovery all call these, so a message is handled the same way
//! whoever moves it.
use chrono::{DateTime, Utc};
use teloxide::{
    payloads::{
        CopyMessageSetters, CopyMessagesSetters, CreateForumTopicSetters, SendMessageSetters,
    },
    prelude::*,
    types::{MessageId, ReplyParameters, ThreadId},
};

use crate::{
    accounts::{
        credits::{self, Movement, Reason},
        tiers,
        users::{self, User},
    },
    billing::passes,
    context::AppCtx,
    delivery::{DeliveryError, Reply, fmt_time, locale_of_user, send_admin, send_private},
    i18n::Locale,
    relay::{
        backlog::{self, Queued, Waiting},
        gate::{self, Knock, KnownTopic, Unrelayed},
        threads::{self as relay, Direction, Pair},
    },
    telegram::TgError,
};

/// The name of a user's support topic: name, @username and id (Telegram's 128 characters).
pub fn topic_name(user: &User) -> String {
    let mut name = user.first_name.clone();
    if let Some(u) = &user.username {
        name.push_str(&format!(" · @{u}"));
    }
    name.push_str(&format!(" · {}", user.id));
    name.chars().take(128).collect()
}

/// Opens a topic for the user (or, in a group without topics, remembers that there are
/// none: thread 0) and posts the user card at its top.
async fn open_topic(
    ctx: &AppCtx,
    user: &User,
    admin: ChatId,
) -> Result<Option<ThreadId>, DeliveryError> {
    let now = ctx.now();
    let thread = match ctx
        .tg
        .send(
            admin,
            ctx.tg
                .bot()
                .create_forum_topic(admin, topic_name(user))
                .icon_color(teloxide::types::Rgb::from_u32(0x6FB9F0)),
        )
        .await
    {
        Ok(topic) => Some(topic.thread_id),
        Err(TgError::Rejected(e)) if e.to_string().contains("not a forum") => None,
        Err(e) => return Err(e.into()),
    };
    relay::set_topic(&ctx.db, now, user.id, admin.0, thread.map_or(0, |t| t.0.0)).await?;
    let tier = tiers::of_user(&ctx.db, user).await?;
    let pass = passes::active(&ctx.db, now, user.id).await?;
    let card = Reply::UserCard {
        name: [Some(user.first_name.as_str()), user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        id: user.id,
        username: user
            .username
            .as_ref()
            .map_or("—".to_owned(), |u| format!("@{u}")),
        language: user.language_code.clone().unwrap_or_else(|| "—".into()),
        balance: credits::balance(&ctx.db, user.id).await?,
        tier: tier.name,
        pass: pass.map_or("—".to_owned(), |p| fmt_time(p.ends_at)),
    };
    send_admin(ctx, admin, thread, &card).await?;
    Ok(thread)
}

/// The user's message to copy: where it is, what it answers and what it says.
#[derive(Debug, Clone)]
pub struct Original {
    /// The private chat the message is in.
    pub chat: ChatId,
    /// The message.
    pub id: MessageId,
    /// The message it answers, if any.
    pub reply_to: Option<MessageId>,
    /// Its text or caption ([`relay::kept_text`]), remembered with the copy for search; None
    /// when it has none or is not known (a message recovered after a stop).
    pub text: Option<String>,
}

impl Original {
    pub fn of(msg: &Message) -> Self {
        Self {
            chat: msg.chat.id,
            id: msg.id,
            reply_to: msg.reply_to_message().map(|r| r.id),
            text: relay::kept_text(msg.text().or(msg.caption())),
        }
    }
}

async fn copy_in(
    ctx: &AppCtx,
    user: &User,
    msg: &Original,
    admin: ChatId,
    thread: Option<ThreadId>,
) -> Result<MessageId, TgError> {
    let mut req = ctx.tg.bot().copy_message(admin, msg.chat, msg.id);
    if let Some(t) = thread {
        req = req.message_thread_id(t);
    }
    // The user answered one of the team's messages: thread it under the original.
    if let Some(reply_to) = msg.reply_to
        && let Ok(Some(m)) = relay::admin_side(&ctx.db, user.id, reply_to.0).await
    {
        req = req.reply_parameters(
            ReplyParameters::new(MessageId(m.admin_message_id)).allow_sending_without_reply(),
        );
    }
    ctx.tg.send(admin, req).await
}

/// Copies the message into the user's topic (`known`, as the gate found it), creating or
/// recreating the topic as needed.
async fn relay_in(
    ctx: &AppCtx,
    user: &User,
    msg: Original,
    admin: ChatId,
    known: Option<KnownTopic>,
) -> Result<MessageId, DeliveryError> {
    let thread = match known {
        Some(t) if t.chat_id == admin.0 => {
            (t.thread_id != 0).then_some(ThreadId(MessageId(t.thread_id)))
        }
        _ => open_topic(ctx, user, admin).await?,
    };
    let phase = tracing::debug_span!(target: crate::timeline::TARGET, crate::timeline::COPY);
    let copied = match copy_in(ctx, user, &msg, admin, thread).await {
        Err(e) if e.is_thread_not_found() => {
            tracing::info!(
                user_id = user.id,
                "support topic was deleted; opening a new one"
            );
            let thread = open_topic(ctx, user, admin).await?;
            copy_in(ctx, user, &msg, admin, thread).await?
        }
        other => other?,
    };
    drop(phase);
    ctx.relay_gate
        .record(Pair {
            user_id: user.id,
            user_message_id: msg.id.0,
            admin_chat_id: admin.0,
            admin_message_id: copied.0,
            direction: Direction::In,
            text: msg.text,
        })
        .await?;
    Ok(copied)
}

/// Relays a (charged, at `cost`) message into the user's topic. When it cannot go now (no
/// room under the admin group's sending limit, messages of the user already waiting, a 429
/// or Telegram unavailable) it waits in the backlog instead: charged, never refunded for
/// waiting. When Telegram finally refuses it, the charge is refunded and the user told.
/// True when the message was relayed or queued.
pub async fn deliver(
    ctx: &AppCtx,
    user: &User,
    original: Original,
    admin: ChatId,
    topic: Option<KnownTopic>,
    cost: Option<i64>,
    locale: Locale,
) -> Result<bool, DeliveryError> {
    if ctx.backlog.has_waiting(user.id) || !ctx.tg.has_room(admin) {
        queue(ctx, user, original, admin, cost, ctx.now()).await?;
        return Ok(true);
    }
    let message = original.id;
    let err = match relay_in(ctx, user, original.clone(), admin, topic).await {
        Ok(_) => return Ok(true),
        Err(DeliveryError::Telegram(TgError::Uncertain(e))) => {
            // The copy may be in the group: neither refunded nor sent again.
            tracing::warn!(user_id = user.id, error = %e, "no answer to a relay copy; kept as sent");
            relay::mark_uncertain(&ctx.db, user.id, message.0, &ctx.instance, ctx.now()).await?;
            return Ok(true);
        }
        Err(DeliveryError::Telegram(e)) if e.is_transient() => {
            tracing::info!(user_id = user.id, error = %e, "relay waits in the backlog");
            let wait = match e {
                TgError::RateLimited { retry_after } => {
                    chrono::Duration::from_std(retry_after).unwrap_or_default()
                }
                _ => backlog::backoff(0),
            };
            queue(ctx, user, original, admin, cost, ctx.now() + wait).await?;
            return Ok(true);
        }
        Err(err) => err,
    };
    tracing::warn!(user_id = user.id, error = %err, "relay failed; refunding");
    refund(ctx, user, message, cost.unwrap_or(0), locale).await?;
    Ok(false)
}

/// Puts a charged message into the backlog of its admin group, to go from `not_before` on.
async fn queue(
    ctx: &AppCtx,
    user: &User,
    original: Original,
    admin: ChatId,
    cost: Option<i64>,
    not_before: chrono::DateTime<Utc>,
) -> Result<(), DeliveryError> {
    let waiting = Waiting {
        user_id: user.id,
        message_id: original.id.0,
        admin_chat_id: admin.0,
        cost: cost.unwrap_or(0),
        reply_to: original.reply_to.map(|m| m.0),
        text: original.text,
    };
    backlog::enqueue(&ctx.db, &ctx.backlog, ctx.now(), not_before, waiting).await?;
    Ok(())
}

/// Gives back what a message Telegram refused was charged, and tells the user.
async fn refund(
    ctx: &AppCtx,
    user: &User,
    message: MessageId,
    cost: i64,
    locale: Locale,
) -> Result<(), DeliveryError> {
    if cost > 0 {
        let knock = Knock {
            user_id: user.id,
            message_id: message.0,
        };
        let refund = Movement::new(user.id, cost, Reason::RelayRefund)
            .key(knock.refund_key())
            .reference(message.0.to_string());
        credits::grant(&ctx.db, ctx.now(), &refund).await?;
    }
    send_private(ctx, user.id, &Reply::RelayFailed, locale).await?;
    Ok(())
}

/// Copies the next batch of the admin group `chat`'s backlog: the messages of the user who
/// has waited longest, in one call (`copyMessages`) or, for one message, as a reply-threaded
/// copy. Returns false when nothing was due.
///
/// A 429 or an outage puts the batch back for later; a refusal (the group is gone, the bot
/// was removed, the user deleted the message) refunds each message and tells the user; no
/// answer at all keeps them as sent (they may be in the group).
pub async fn drain_backlog(ctx: &AppCtx, chat: i64) -> Result<bool, DeliveryError> {
    let batch = backlog::take(&ctx.db, chat, ctx.now()).await?;
    let Some(first) = batch.first() else {
        return Ok(false);
    };
    let Some(user) = users::find(&ctx.db, first.waiting.user_id).await? else {
        backlog::done(&ctx.db, &ctx.backlog, &batch).await?;
        return Ok(true);
    };
    let admin = ChatId(chat);
    let known = relay::topic_of_user(&ctx.db, user.id)
        .await?
        .map(|t| KnownTopic {
            chat_id: t.chat_id,
            thread_id: t.thread_id,
        });
    match copy_batch(ctx, &user, admin, known, &batch).await {
        Ok(Some(pairs)) => {
            backlog::delivered(&ctx.db, &ctx.backlog, ctx.now(), &batch, &pairs).await?;
        }
        Ok(None) => {
            // Fewer copies than messages (some were deleted meanwhile): which is which is
            // unknown, so none is refunded or copied again.
            tracing::warn!(
                user_id = user.id,
                "a batch copy skipped messages; kept as sent"
            );
            keep_as_sent(ctx, user.id, &batch).await?;
        }
        Err(DeliveryError::Telegram(TgError::RateLimited { retry_after })) => {
            let later = ctx.now() + chrono::Duration::from_std(retry_after).unwrap_or_default();
            backlog::later(&ctx.db, &batch, later).await?;
        }
        Err(DeliveryError::Telegram(e @ TgError::Unavailable(_))) => {
            tracing::warn!(chat, error = %e, "Telegram unavailable; the backlog waits");
            let later = ctx.now() + backlog::backoff(first.attempts);
            backlog::later(&ctx.db, &batch, later).await?;
        }
        Err(DeliveryError::Telegram(TgError::Uncertain(e))) => {
            tracing::warn!(user_id = user.id, error = %e, "no answer to a batch copy; kept as sent");
            keep_as_sent(ctx, user.id, &batch).await?;
        }
        Err(DeliveryError::Telegram(e)) => {
            tracing::warn!(user_id = user.id, error = %e, "Telegram refused queued messages; refunding");
            let locale = locale_of_user(ctx, &user);
            for q in &batch {
                refund(
                    ctx,
                    &user,
                    MessageId(q.waiting.message_id),
                    q.waiting.cost,
                    locale,
                )
                .await?;
            }
            backlog::done(&ctx.db, &ctx.backlog, &batch).await?;
        }
        Err(other) => return Err(other),
    }
    Ok(true)
}

/// A batch that may be in the group: recorded as uncertain (never copied again, never
/// refunded) and out of the backlog.
async fn keep_as_sent(ctx: &AppCtx, user_id: i64, batch: &[Queued]) -> Result<(), DeliveryError> {
    for q in batch {
        relay::mark_uncertain(
            &ctx.db,
            user_id,
            q.waiting.message_id,
            &ctx.instance,
            ctx.now(),
        )
        .await?;
    }
    backlog::done(&ctx.db, &ctx.backlog, batch).await?;
    Ok(())
}

/// Drains the relay backlog of the admin group `chat` until shutdown: batch after batch while
/// messages wait (the Telegram client paces them), otherwise waits for the next one.
pub async fn run_backlog(ctx: AppCtx, chat: i64, shutdown: crate::shutdown::Shutdown) {
    loop {
        // A stop in the middle of a batch leaves its rows leased: after the lease they go
        // again (a copy Telegram made meanwhile would then be made twice: at least once).
        let drained = tokio::select! {
            _ = shutdown.wait() => return,
            drained = drain_backlog(&ctx, chat) => drained,
        };
        let pause = match drained {
            Ok(true) => continue,
            Ok(false) => std::time::Duration::from_secs(1),
            Err(e) => {
                tracing::error!(chat, error = %e, "relay backlog: a batch failed; retrying");
                std::time::Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = ctx.backlog.rung(pause) => {}
        }
    }
}

/// Copies a batch into the user's topic (opening or reopening it as needed); the pairs to
/// record, or None when Telegram copied fewer messages than it was given.
async fn copy_batch(
    ctx: &AppCtx,
    user: &User,
    admin: ChatId,
    known: Option<KnownTopic>,
    batch: &[Queued],
) -> Result<Option<Vec<Pair>>, DeliveryError> {
    let mut thread = match known {
        Some(t) if t.chat_id == admin.0 => {
            (t.thread_id != 0).then_some(ThreadId(MessageId(t.thread_id)))
        }
        _ => open_topic(ctx, user, admin).await?,
    };
    let mut reopened = false;
    loop {
        let copied = if let [one] = batch {
            let original = Original {
                chat: ChatId(user.id),
                id: MessageId(one.waiting.message_id),
                reply_to: one.waiting.reply_to.map(MessageId),
                text: None,
            };
            copy_in(ctx, user, &original, admin, thread)
                .await
                .map(|m| vec![m])
        } else {
            let ids = batch.iter().map(|q| MessageId(q.waiting.message_id));
            let mut req = ctx.tg.bot().copy_messages(admin, ChatId(user.id), ids);
            if let Some(t) = thread {
                req = req.message_thread_id(t);
            }
            ctx.tg.send(admin, req).await
        };
        match copied {
            Ok(ids) if ids.len() == batch.len() => {
                return Ok(Some(
                    batch
                        .iter()
                        .zip(ids)
                        .map(|(q, copy)| Pair {
                            user_id: user.id,
                            user_message_id: q.waiting.message_id,
                            admin_chat_id: admin.0,
                            admin_message_id: copy.0,
                            direction: Direction::In,
                            text: q.waiting.text.clone(),
                        })
                        .collect(),
                ));
            }
            Ok(_) => return Ok(None),
            Err(e) if e.is_thread_not_found() && !reopened => {
                tracing::info!(
                    user_id = user.id,
                    "support topic was deleted; opening a new one"
                );
                thread = open_topic(ctx, user, admin).await?;
                reopened = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Claims a message for one of the recovery paths (see [`relay::claim`]).
pub async fn claim(ctx: &AppCtx, user_id: i64, message: MessageId) -> Result<bool, DeliveryError> {
    Ok(relay::claim(
        &ctx.db,
        user_id,
        message.0,
        &ctx.instance,
        ctx.started_at,
        ctx.now(),
    )
    .await?)
}

/// How far back [`recover`] looks: Telegram keeps an update for a day, so a message older than
/// that would not have been redelivered before charges were confirmed early either.
const RECOVER_HOURS: i64 = 24;

/// Relays the messages charged before `before` (this process's start) that never reached the
/// team: the process stopped between confirming a charged message and copying it. Each is
/// copied into its user's topic now, or refunded (with a note to the user) when Telegram
/// refuses (the user deleted it meanwhile). Returns how many it relayed.
///
/// Each message is claimed first ([`relay::claim`]), so a redelivered update of it does not
/// copy it a second time. A stop right after the copy and before its pair was recorded still
/// means a second copy at the next start: the relay delivers at least once, never not at all.
pub async fn recover(ctx: &AppCtx, before: DateTime<Utc>) -> Result<usize, DeliveryError> {
    if ctx.config.admin_chat_ids.is_empty() {
        return Ok(0);
    }
    let since = before - chrono::Duration::hours(RECOVER_HOURS);
    let pending = gate::unrelayed(&ctx.db, since, before).await?;
    let mut relayed = 0;
    for Unrelayed { knock, cost } in pending {
        let Some(user) = users::find(&ctx.db, knock.user_id).await? else {
            continue;
        };
        // A redelivered update of the same message may be copying it right now.
        if !claim(ctx, user.id, MessageId(knock.message_id)).await? {
            continue;
        }
        let topic = relay::topic_of_user(&ctx.db, user.id)
            .await?
            .map(|t| KnownTopic {
                chat_id: t.chat_id,
                thread_id: t.thread_id,
            });
        let Some(admin) = ctx
            .config
            .admin_group_for(user.id, topic.map(|t| t.chat_id))
            .map(ChatId)
        else {
            continue;
        };
        // The update is gone: what the message said is not known here.
        let original = Original {
            chat: ChatId(user.id),
            id: MessageId(knock.message_id),
            reply_to: None,
            text: None,
        };
        let locale = locale_of_user(ctx, &user);
        if deliver(ctx, &user, original, admin, topic, Some(cost), locale).await? {
            relayed += 1;
        }
    }
    if relayed > 0 {
        tracing::info!(relayed, "relayed messages charged before a stop");
    }
    Ok(relayed)
}

/// What became of an admin's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// Copied to the user.
    Copied,
    /// The user blocked the bot (now marked unreachable).
    Unreachable,
    /// Telegram refused it, for this reason.
    Failed(String),
}

/// Copies an admin's message (`message` in `chat`, answering `reply_to` there) to the user,
/// threaded under the user's message it answers, and remembers the pair.
pub async fn answer(
    ctx: &AppCtx,
    user_id: i64,
    chat: ChatId,
    message: MessageId,
    reply_to: Option<MessageId>,
) -> Result<Answered, DeliveryError> {
    let mut req = ctx.tg.bot().copy_message(ChatId(user_id), chat, message);
    if let Some(reply_to) = reply_to
        && let Some(m) = relay::user_side(&ctx.db, chat.0, reply_to.0).await?
        && m.user_id == user_id
    {
        req = req.reply_parameters(
            ReplyParameters::new(MessageId(m.user_message_id)).allow_sending_without_reply(),
        );
    }
    match ctx.tg.send(ChatId(user_id), req).await {
        Ok(copied) => {
            relay::remember(
                &ctx.db,
                ctx.now(),
                user_id,
                copied.0,
                chat.0,
                message.0,
                Direction::Out,
            )
            .await?;
            Ok(Answered::Copied)
        }
        Err(TgError::Unreachable(why)) => {
            tracing::info!(user_id, reason = %why, "user unreachable");
            users::mark_unreachable(&ctx.db, ctx.now(), user_id).await?;
            Ok(Answered::Unreachable)
        }
        Err(e) => {
            tracing::warn!(user_id, error = %e, "could not deliver an admin message");
            Ok(Answered::Failed(e.to_string()))
        }
    }
}

/// The user edited a relayed message: the team sees `text` as a note under the copy, in the
/// copy's topic. Nothing when the message was never relayed or the topic is gone.
pub async fn note_edit(
    ctx: &AppCtx,
    user_id: i64,
    message: MessageId,
    text: String,
) -> Result<(), DeliveryError> {
    let Some(copy) = relay::admin_side(&ctx.db, user_id, message.0).await? else {
        return Ok(());
    };
    let admin = ChatId(copy.admin_chat_id);
    let topic = relay::topic_of_user(&ctx.db, user_id).await?;
    let mut req = ctx
        .tg
        .bot()
        .send_message(
            admin,
            Reply::EditNote { text }.render(ctx.config.default_locale),
        )
        .reply_parameters(
            ReplyParameters::new(MessageId(copy.admin_message_id)).allow_sending_without_reply(),
        );
    if let Some(t) = topic.filter(|t| t.thread_id != 0 && t.chat_id == admin.0) {
        req = req.message_thread_id(ThreadId(MessageId(t.thread_id)));
    }
    match ctx.tg.send(admin, req).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_thread_not_found() => Ok(()), // the topic is gone; the next message reopens it
        Err(e) => Err(e.into()),
    }
}
