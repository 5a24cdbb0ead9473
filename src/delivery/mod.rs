//! Delivery: what the bot says to people and how it reaches them. A [`Reply`] is rendered in
//! its reader's language and sent through the paced Telegram client; a user who blocked the
//! bot is marked unreachable. The bot, payments and jobs all send through here, so a notice
//! looks and behaves the same whoever triggers it.
pub mod callbacks;
pub mod campaigns;
pub mod notify;
pub mod replies;

use chrono::{DateTime, Utc};
use teloxide::{
    payloads::{EditMessageTextSetters, SendMessageSetters},
    prelude::*,
    types::{MessageId, ThreadId},
};

pub use replies::Reply;

use crate::{
    context::AppCtx,
    i18n::Locale,
    telegram::TgError,
    {
        accounts::users::{self, User},
        services::ServiceError,
    },
};

/// Why a message did not go out.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Telegram(#[from] TgError),
}

impl From<crate::storage::StorageError> for DeliveryError {
    fn from(e: crate::storage::StorageError) -> Self {
        DeliveryError::Service(e.into())
    }
}

/// The user's stored language, else their Telegram one, else the operator's default.
pub fn locale_of_user(ctx: &AppCtx, user: &User) -> Locale {
    Locale::resolve(
        user.locale.as_deref(),
        user.language_code.as_deref(),
        ctx.config.default_locale,
    )
}

/// A wait as people say it: "40 s", "4 min", "2 h 5 min".
pub fn fmt_wait(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Sends a reply (with its buttons) to a user's private chat. A user who blocked the bot is
/// recorded as unreachable (`Ok(None)`); that is not an error of the caller.
pub async fn send_private(
    ctx: &AppCtx,
    user_id: i64,
    reply: &Reply,
    locale: Locale,
) -> Result<Option<Message>, DeliveryError> {
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

/// Replaces a message the bot sent earlier (tour steps, history pages). Pressing the same
/// page twice changes nothing and is not an error.
pub async fn edit_private(
    ctx: &AppCtx,
    chat: ChatId,
    message: MessageId,
    reply: &Reply,
    locale: Locale,
) -> Result<(), DeliveryError> {
    let mut req = ctx
        .tg
        .bot()
        .edit_message_text(chat, message, reply.render(locale));
    if let Some(kb) = reply.keyboard(locale) {
        req = req.reply_markup(kb);
    }
    match ctx.tg.send(chat, req).await {
        Ok(_) => Ok(()),
        Err(TgError::Rejected(teloxide::ApiError::MessageNotModified)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Sends a note into an admin group (in the operator's language), in a topic when given.
pub async fn send_admin(
    ctx: &AppCtx,
    chat: ChatId,
    thread: Option<ThreadId>,
    reply: &Reply,
) -> Result<Message, DeliveryError> {
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
