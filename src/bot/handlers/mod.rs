//! Thin handlers: typed input in, one service call, a [`Reply`] out.
pub(super) mod account;
pub(super) mod admin;
pub(super) mod callbacks;
pub(super) mod onboarding;
pub(super) mod relay;
pub(super) mod shop;

use chrono::{DateTime, Utc};
use teloxide::{
    payloads::{EditMessageTextSetters, SendMessageSetters},
    prelude::*,
    types::{MessageId, ThreadId, User as TgUser},
};

use super::{BotError, HandlerResult, Reply};
use crate::{
    context::AppCtx,
    domain::TelegramProfile,
    i18n::Locale,
    services::users::{self, User},
    telegram::TgError,
};

pub(super) fn profile(user: &TgUser) -> TelegramProfile {
    TelegramProfile {
        id: user.id.0 as i64,
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        username: user.username.clone(),
        language_code: user.language_code.clone(),
    }
}

pub(super) fn locale_for(ctx: &AppCtx, from: &TgUser, user: Option<&User>) -> Locale {
    Locale::resolve(
        user.and_then(|u| u.locale.as_deref()),
        from.language_code.as_deref(),
        ctx.config.default_locale,
    )
}

/// The user's stored language, else their Telegram one, else the operator's default.
pub(crate) fn locale_of_user(ctx: &AppCtx, user: &User) -> Locale {
    Locale::resolve(
        user.locale.as_deref(),
        user.language_code.as_deref(),
        ctx.config.default_locale,
    )
}

/// A wait as people say it: "40 s", "4 min", "2 h 5 min".
pub(crate) fn fmt_wait(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Sends a reply (with its buttons) to a user's private chat. A user who blocked the bot is
/// recorded as unreachable; that is not an error of the handler.
pub(crate) async fn send_private(
    ctx: &AppCtx,
    user_id: i64,
    reply: &Reply,
    locale: Locale,
) -> Result<Option<Message>, BotError> {
    let mut req = ctx
        .tg
        .bot()
        .send_message(ChatId(user_id), reply.render(locale));
    if let Some(kb) = reply.keyboard(locale) {
        req = req.reply_markup(kb);
    }
    match ctx.tg.send(ChatId(user_id), req).await {
        Ok(m) => Ok(Some(m)),
        Err(TgError::Unreachable(why)) => {
            tracing::info!(user_id, reason = %why, "user unreachable");
            users::mark_unreachable(&ctx.db, ctx.now(), user_id).await?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Replaces a message the bot sent earlier (tour steps, history pages).
pub(super) async fn edit_private(
    ctx: &AppCtx,
    chat: ChatId,
    message: MessageId,
    reply: &Reply,
    locale: Locale,
) -> HandlerResult {
    let mut req = ctx
        .tg
        .bot()
        .edit_message_text(chat, message, reply.render(locale));
    if let Some(kb) = reply.keyboard(locale) {
        req = req.reply_markup(kb);
    }
    match ctx.tg.send(chat, req).await {
        Ok(_) => Ok(()),
        // Pressing the same page twice: nothing to change, nothing wrong.
        Err(TgError::Rejected(teloxide::ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Sends a note into the admin group, in a topic when there is one.
pub(crate) async fn send_admin(
    ctx: &AppCtx,
    chat: ChatId,
    thread: Option<ThreadId>,
    reply: &Reply,
) -> Result<Message, BotError> {
    let mut req = ctx
        .tg
        .bot()
        .send_message(chat, reply.render(ctx.config.default_locale));
    if let Some(thread) = thread {
        req = req.message_thread_id(thread);
    }
    Ok(ctx.tg.send(chat, req).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn waits_read_as_people_say_them() {
        use chrono::Duration;
        assert_eq!(super::fmt_wait(Duration::seconds(40)), "40 s");
        assert_eq!(super::fmt_wait(Duration::seconds(250)), "4 min");
        assert_eq!(super::fmt_wait(Duration::seconds(7500)), "2 h 5 min");
        assert_eq!(super::fmt_wait(Duration::seconds(-3)), "0 s");
    }
}
