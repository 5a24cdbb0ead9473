//! The paid support relay: a user's message is charged and copied into their forum topic in
//! the admin group; whatever an admin writes in that topic is copied back to the user.
use chrono::{DateTime, Utc};
use teloxide::{
    payloads::{
        CopyMessageSetters, CopyMessagesSetters, CreateForumTopicSetters, SendMessageSetters,
    },
    prelude::*,
    types::{MediaKind, MessageId, MessageKind, ReplyParameters, ThreadId, User as TgUser},
};

use super::{fmt_time, locale_for, send_admin, send_private};
use crate::{
    bot::{BotError, HandlerResult, Reply, handlers::onboarding},
    context::AppCtx,
    domain::{UserStatus, crossed_low_threshold},
    i18n::Locale,
    services::{
        ServiceError,
        credits::{self, Movement, Reason},
        passes,
        relay::{self, Direction, Pair},
        relay_backlog::{self, Queued, Waiting},
        relay_gate::{self, Admission, Admitted, Knock, KnownTopic, Unrelayed, Verdict},
        tiers,
        users::{self, User},
    },
    storage::StorageError,
    telegram::{Confirm, TgError},
};

/// Kinds Telegram lets a bot copy and a person would expect to reach the team.
fn relayable(msg: &Message) -> Option<bool> {
    let common = match &msg.kind {
        MessageKind::Common(common) => common,
        // Sent by a person, but not something a bot can pass on.
        MessageKind::Dice(_) => return Some(false),
        // Service messages: joins, pins, payments… not ours to relay.
        _ => return None,
    };
    Some(matches!(
        common.media_kind,
        MediaKind::Text(_)
            | MediaKind::Photo(_)
            | MediaKind::Document(_)
            | MediaKind::Voice(_)
            | MediaKind::Video(_)
            | MediaKind::VideoNote(_)
            | MediaKind::Sticker(_)
            | MediaKind::Audio(_)
            | MediaKind::Animation(_)
            | MediaKind::Location(_)
            | MediaKind::Venue(_)
            | MediaKind::Contact(_)
    ))
}

fn topic_name(user: &User) -> String {
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
) -> Result<Option<ThreadId>, BotError> {
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

/// The user's message to copy: where it is and what it answers.
#[derive(Debug, Clone, Copy)]
struct Original {
    chat: ChatId,
    id: MessageId,
    reply_to: Option<MessageId>,
}

impl Original {
    fn of(msg: &Message) -> Self {
        Self {
            chat: msg.chat.id,
            id: msg.id,
            reply_to: msg.reply_to_message().map(|r| r.id),
        }
    }
}

async fn copy_in(
    ctx: &AppCtx,
    user: &User,
    msg: Original,
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
) -> Result<MessageId, BotError> {
    let thread = match known {
        Some(t) if t.chat_id == admin.0 => {
            (t.thread_id != 0).then_some(ThreadId(MessageId(t.thread_id)))
        }
        _ => open_topic(ctx, user, admin).await?,
    };
    let phase = tracing::debug_span!(target: crate::timeline::TARGET, crate::timeline::COPY);
    let copied = match copy_in(ctx, user, msg, admin, thread).await {
        Err(e) if e.is_thread_not_found() => {
            tracing::info!(
                user_id = user.id,
                "support topic was deleted; opening a new one"
            );
            let thread = open_topic(ctx, user, admin).await?;
            copy_in(ctx, user, msg, admin, thread).await?
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
        })
        .await?;
    Ok(copied)
}

/// A message that can't go to the team (a poll, dice…) or a bot without an admin group: the
/// user hears why, nothing is charged.
async fn not_relayed(ctx: &AppCtx, from: &TgUser, can_relay: bool) -> HandlerResult {
    let user = known_user(ctx, from).await?;
    let locale = locale_for(ctx, from, Some(&user));
    if UserStatus::parse(&user.status) == Ok(UserStatus::Banned) {
        return banned(ctx, &user, locale).await;
    }
    let reply = if can_relay {
        Reply::RelayUnavailable
    } else {
        Reply::CantForward
    };
    send_private(ctx, user.id, &reply, locale).await?;
    Ok(())
}

/// A banned user is told once; their messages go nowhere.
async fn banned(ctx: &AppCtx, user: &User, locale: Locale) -> HandlerResult {
    if users::take_ban_notice(&ctx.db, user.id).await? {
        send_private(ctx, user.id, &Reply::Banned, locale).await?;
    }
    Ok(())
}

/// Asks the gate; someone who never pressed Start is registered (and welcomed) first.
async fn admit(ctx: &AppCtx, from: &TgUser, msg: &Message) -> Result<Box<Admission>, BotError> {
    let user_id = from.id.0 as i64;
    if let Admitted::Known(a) = ctx.relay_gate.admit(user_id, msg.id.0).await? {
        return Ok(a);
    }
    known_user(ctx, from).await?;
    match ctx.relay_gate.admit(user_id, msg.id.0).await? {
        Admitted::Known(a) => Ok(a),
        Admitted::Unknown => Err(ServiceError::from(StorageError::Corrupt(format!(
            "user {user_id} has no row right after registering"
        )))
        .into()),
    }
}

/// Any non-command message in the private chat.
pub(crate) async fn user_message(msg: Message, ctx: AppCtx, confirm: Confirm) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let Some(can_relay) = relayable(&msg) else {
        return Ok(());
    };
    if !can_relay || ctx.config.admin_chat_ids.is_empty() {
        return not_relayed(&ctx, from, can_relay).await;
    }

    // Charge first (atomically, keyed by the message so a redelivered update pays once),
    // then relay; a relay Telegram finally refuses is refunded.
    let admission = admit(&ctx, from, &msg).await?;
    let user = &admission.user;
    let locale = locale_for(&ctx, from, Some(user));
    let Some(admin) = ctx
        .config
        .admin_group_for(user.id, admission.topic.map(|t| t.chat_id))
        .map(ChatId)
    else {
        return Ok(());
    };
    if let Some(balance) = admission.recharge_due() {
        crate::payments::auto_recharge::maybe_trigger(&ctx, user.id, balance).await?;
    }
    let charged = match admission.verdict {
        Verdict::Banned => return banned(&ctx, user, locale).await,
        Verdict::Unlimited => None,
        Verdict::Charged {
            before,
            after,
            cost,
        } => Some((before, after, cost)),
        Verdict::Insufficient { balance } => {
            send_private(&ctx, user.id, &Reply::NoCredits { balance }, locale).await?;
            return Ok(());
        }
        // Seen before: relay only if the first attempt did not get that far, and only if
        // the start-up recovery is not copying it already.
        Verdict::Duplicate => {
            if relay::admin_side(&ctx.db, user.id, msg.id.0)
                .await?
                .is_some()
                || !claim(&ctx, user.id, msg.id).await?
            {
                return Ok(());
            }
            None
        }
    };
    // A charge is on record (the ledger entry, found by `recover` after a stop), so the
    // update needs no redelivery: confirm it, and let the copy wait for Telegram's pacing
    // without holding up other updates.
    if charged.is_some() {
        confirm.now();
    }

    let original = Original::of(&msg);
    let cost = charged.map(|(_, _, cost)| cost);
    if deliver(&ctx, user, original, admin, admission.topic, cost, locale).await?
        && let Some((before, after, _)) = charged
        && crossed_low_threshold(before, after, admission.low_credit_threshold)
    {
        send_private(&ctx, user.id, &Reply::LowCredits { balance: after }, locale).await?;
    }
    Ok(())
}

/// Relays a (charged, at `cost`) message into the user's topic. When it cannot go now (no
/// room under the admin group's sending limit, messages of the user already waiting, a 429
/// or Telegram unavailable) it waits in the backlog instead: charged, never refunded for
/// waiting. When Telegram finally refuses it, the charge is refunded and the user told.
/// True when the message was relayed or queued.
async fn deliver(
    ctx: &AppCtx,
    user: &User,
    original: Original,
    admin: ChatId,
    topic: Option<KnownTopic>,
    cost: Option<i64>,
    locale: Locale,
) -> Result<bool, BotError> {
    if ctx.backlog.has_waiting(user.id) || !ctx.tg.has_room(admin) {
        queue(ctx, user, original, admin, cost, ctx.now()).await?;
        return Ok(true);
    }
    let err = match relay_in(ctx, user, original, admin, topic).await {
        Ok(_) => return Ok(true),
        Err(BotError::Telegram(TgError::Uncertain(e))) => {
            // The copy may be in the group: neither refunded nor sent again.
            tracing::warn!(user_id = user.id, error = %e, "no answer to a relay copy; kept as sent");
            relay::mark_uncertain(&ctx.db, user.id, original.id.0, &ctx.instance, ctx.now())
                .await?;
            return Ok(true);
        }
        Err(BotError::Telegram(e)) if e.is_transient() => {
            tracing::info!(user_id = user.id, error = %e, "relay waits in the backlog");
            let wait = match e {
                TgError::RateLimited { retry_after } => {
                    chrono::Duration::from_std(retry_after).unwrap_or_default()
                }
                _ => relay_backlog::backoff(0),
            };
            queue(ctx, user, original, admin, cost, ctx.now() + wait).await?;
            return Ok(true);
        }
        Err(err) => err,
    };
    tracing::warn!(user_id = user.id, error = %err, "relay failed; refunding");
    refund(ctx, user, original.id, cost.unwrap_or(0), locale).await?;
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
) -> Result<(), BotError> {
    let waiting = Waiting {
        user_id: user.id,
        message_id: original.id.0,
        admin_chat_id: admin.0,
        cost: cost.unwrap_or(0),
        reply_to: original.reply_to.map(|m| m.0),
    };
    relay_backlog::enqueue(&ctx.db, &ctx.backlog, ctx.now(), not_before, waiting).await?;
    Ok(())
}

/// Gives back what a message Telegram refused was charged, and tells the user.
async fn refund(
    ctx: &AppCtx,
    user: &User,
    message: MessageId,
    cost: i64,
    locale: Locale,
) -> Result<(), BotError> {
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
pub async fn drain_backlog(ctx: &AppCtx, chat: i64) -> Result<bool, BotError> {
    let batch = relay_backlog::take(&ctx.db, chat, ctx.now()).await?;
    let Some(first) = batch.first() else {
        return Ok(false);
    };
    let Some(user) = users::find(&ctx.db, first.waiting.user_id).await? else {
        relay_backlog::done(&ctx.db, &ctx.backlog, &batch).await?;
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
            relay_backlog::delivered(&ctx.db, &ctx.backlog, ctx.now(), &batch, &pairs).await?;
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
        Err(BotError::Telegram(TgError::RateLimited { retry_after })) => {
            let later = ctx.now() + chrono::Duration::from_std(retry_after).unwrap_or_default();
            relay_backlog::later(&ctx.db, &batch, later).await?;
        }
        Err(BotError::Telegram(e @ TgError::Unavailable(_))) => {
            tracing::warn!(chat, error = %e, "Telegram unavailable; the backlog waits");
            let later = ctx.now() + relay_backlog::backoff(first.attempts);
            relay_backlog::later(&ctx.db, &batch, later).await?;
        }
        Err(BotError::Telegram(TgError::Uncertain(e))) => {
            tracing::warn!(user_id = user.id, error = %e, "no answer to a batch copy; kept as sent");
            keep_as_sent(ctx, user.id, &batch).await?;
        }
        Err(BotError::Telegram(e)) => {
            tracing::warn!(user_id = user.id, error = %e, "Telegram refused queued messages; refunding");
            let locale = user_locale(ctx, &user);
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
            relay_backlog::done(&ctx.db, &ctx.backlog, &batch).await?;
        }
        Err(other) => return Err(other),
    }
    Ok(true)
}

/// A batch that may be in the group: recorded as uncertain (never copied again, never
/// refunded) and out of the backlog.
async fn keep_as_sent(ctx: &AppCtx, user_id: i64, batch: &[Queued]) -> Result<(), BotError> {
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
    relay_backlog::done(&ctx.db, &ctx.backlog, batch).await?;
    Ok(())
}

/// Copies a batch into the user's topic (opening or reopening it as needed); the pairs to
/// record, or None when Telegram copied fewer messages than it was given.
async fn copy_batch(
    ctx: &AppCtx,
    user: &User,
    admin: ChatId,
    known: Option<KnownTopic>,
    batch: &[Queued],
) -> Result<Option<Vec<Pair>>, BotError> {
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
            };
            copy_in(ctx, user, original, admin, thread)
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
async fn claim(ctx: &AppCtx, user_id: i64, message: MessageId) -> Result<bool, BotError> {
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
pub async fn recover(ctx: &AppCtx, before: DateTime<Utc>) -> Result<usize, BotError> {
    if ctx.config.admin_chat_ids.is_empty() {
        return Ok(0);
    }
    let since = before - chrono::Duration::hours(RECOVER_HOURS);
    let pending = relay_gate::unrelayed(&ctx.db, since, before).await?;
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
        let original = Original {
            chat: ChatId(user.id),
            id: MessageId(knock.message_id),
            reply_to: None,
        };
        let locale = user_locale(ctx, &user);
        if deliver(ctx, &user, original, admin, topic, Some(cost), locale).await? {
            relayed += 1;
        }
    }
    if relayed > 0 {
        tracing::info!(relayed, "relayed messages charged before a stop");
    }
    Ok(relayed)
}

/// The user's row, creating it (with the welcome) for someone who never pressed Start.
async fn known_user(ctx: &AppCtx, from: &TgUser) -> Result<User, BotError> {
    if let Some(user) = users::find(&ctx.db, from.id.0 as i64).await? {
        return Ok(user);
    }
    let (outcome, balance) = onboarding::register(ctx, from, None).await?;
    let user = outcome.user().clone();
    let locale = locale_for(ctx, from, Some(&user));
    let welcome = Reply::WelcomeNew {
        name: user.first_name.clone(),
        credits: balance,
    };
    send_private(ctx, user.id, &welcome, locale).await?;
    Ok(users::find(&ctx.db, user.id).await?.unwrap_or(user))
}

/// An edited private message: the team sees a note under the copy; nothing is charged.
pub(crate) async fn user_edited(msg: Message, ctx: AppCtx) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let user_id = from.id.0 as i64;
    let Some(copy) = relay::admin_side(&ctx.db, user_id, msg.id.0).await? else {
        return Ok(());
    };
    // The note goes where the copy is.
    let admin = ChatId(copy.admin_chat_id);
    let text = msg.text().or(msg.caption()).unwrap_or("…").to_owned();
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

/// Who an admin-group message is for: the owner of its topic or, in a group without
/// topics, of the relayed message it replies to. None: General chatter, not for anyone.
async fn addressee(ctx: &AppCtx, msg: &Message) -> Result<Option<i64>, BotError> {
    if msg.is_topic_message
        && let Some(thread) = msg.thread_id
    {
        let user = relay::user_of_topic(&ctx.db, msg.chat.id.0, thread.0.0).await?;
        if user.is_none() {
            tracing::info!(
                thread = thread.0.0,
                "message in a topic that belongs to no known user; ignored"
            );
        }
        return Ok(user);
    }
    if let Some(reply_to) = msg.reply_to_message()
        && let Some(m) = relay::user_side(&ctx.db, msg.chat.id.0, reply_to.id.0).await?
    {
        return Ok(Some(m.user_id));
    }
    Ok(None)
}

/// An admin wrote in the admin group (not a command).
pub(crate) async fn admin_message(msg: Message, ctx: AppCtx) -> HandlerResult {
    if msg.from.as_ref().is_none_or(|u| u.is_bot) || relayable(&msg).is_none() {
        return Ok(());
    }
    let Some(user_id) = addressee(&ctx, &msg).await? else {
        return Ok(());
    };
    let thread = msg.thread_id.filter(|_| msg.is_topic_message);
    let mut req = ctx
        .tg
        .bot()
        .copy_message(ChatId(user_id), msg.chat.id, msg.id);
    if let Some(reply_to) = msg.reply_to_message()
        && let Some(m) = relay::user_side(&ctx.db, msg.chat.id.0, reply_to.id.0).await?
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
                msg.chat.id.0,
                msg.id.0,
                Direction::Out,
            )
            .await?;
        }
        Err(TgError::Unreachable(why)) => {
            tracing::info!(user_id, reason = %why, "user unreachable");
            users::mark_unreachable(&ctx.db, ctx.now(), user_id).await?;
            send_admin(&ctx, msg.chat.id, thread, &Reply::UserBlockedBot).await?;
        }
        Err(e) => {
            tracing::warn!(user_id, error = %e, "could not deliver an admin message");
            send_admin(
                &ctx,
                msg.chat.id,
                thread,
                &Reply::DeliveryFailed {
                    reason: e.to_string(),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// The language a note to this user should use.
pub(crate) fn user_locale(ctx: &AppCtx, user: &User) -> Locale {
    super::locale_of_user(ctx, user)
}
