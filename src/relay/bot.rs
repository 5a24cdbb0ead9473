//! The relay's handlers: a user's private message is admitted (and charged) by the gate and
//! handed to [`copy`]; an admin's message in a topic goes back to its user; an edit becomes a
//! note under the copy. What the relay does lives in [`copy`] and the gate; these only read
//! the update and say the outcome.
use teloxide::{
    prelude::*,
    types::{MediaKind, MessageKind, User as TgUser},
};

use crate::{
    accounts::{
        bot::onboarding,
        users::{self, User},
    },
    bot::{
        BotError, HandlerResult, Reply,
        handlers::{locale_for, send_admin, send_private},
    },
    context::AppCtx,
    domain::{UserStatus, crossed_low_threshold},
    i18n::Locale,
    relay::{
        copy::{self, Answered},
        gate::{Admission, Admitted, Verdict},
        threads as relay,
    },
    services::ServiceError,
    storage::StorageError,
    telegram::Confirm,
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
        crate::billing::recharge::maybe_trigger(&ctx, user.id, balance).await?;
    }
    let charged = match admission.verdict {
        Verdict::Banned => return banned(&ctx, user, locale).await,
        Verdict::Paused => {
            send_private(&ctx, user.id, &Reply::RelayPaused, locale).await?;
            return Ok(());
        }
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
                || !copy::claim(&ctx, user.id, msg.id).await?
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

    let original = copy::Original::of(&msg);
    let cost = charged.map(|(_, _, cost)| cost);
    if copy::deliver(&ctx, user, original, admin, admission.topic, cost, locale).await?
        && let Some((before, after, _)) = charged
        && crossed_low_threshold(before, after, admission.low_credit_threshold)
    {
        send_private(&ctx, user.id, &Reply::LowCredits { balance: after }, locale).await?;
    }
    Ok(())
}

/// The user's row, creating it (with the welcome) for someone who never pressed Start.
async fn known_user(ctx: &AppCtx, from: &TgUser) -> Result<User, BotError> {
    if let Some(user) = users::find(&ctx.db, from.id.0 as i64).await? {
        return Ok(user);
    }
    let (outcome, balance) = onboarding::register(ctx, from, None).await?;
    let user = outcome.user().clone();
    let locale = locale_for(ctx, from, Some(&user));
    let welcome = onboarding::welcome(ctx, user.first_name.clone(), balance, locale).await?;
    send_private(ctx, user.id, &welcome, locale).await?;
    Ok(users::find(&ctx.db, user.id).await?.unwrap_or(user))
}

/// An edited private message: the team sees a note under the copy; nothing is charged.
pub(crate) async fn user_edited(msg: Message, ctx: AppCtx) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let text = msg.text().or(msg.caption()).unwrap_or("…").to_owned();
    Ok(copy::note_edit(&ctx, from.id.0 as i64, msg.id, text).await?)
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
    let reply_to = msg.reply_to_message().map(|r| r.id);
    let reply = match copy::answer(&ctx, user_id, msg.chat.id, msg.id, reply_to).await? {
        Answered::Copied => return Ok(()),
        Answered::Unreachable => Reply::UserBlockedBot,
        Answered::Failed(reason) => Reply::DeliveryFailed { reason },
    };
    send_admin(&ctx, msg.chat.id, thread, &reply).await?;
    Ok(())
}

/// The language a note to this user should use.
pub(crate) fn user_locale(ctx: &AppCtx, user: &User) -> Locale {
    crate::bot::handlers::locale_of_user(ctx, user)
}
