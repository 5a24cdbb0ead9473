//! Thin handlers: typed input in, one service call, a [`Reply`] out.
pub(crate) mod callbacks;

use teloxide::{
    prelude::*,
    types::{MessageId, ThreadId, User as TgUser},
};

use super::{BotError, HandlerResult, Reply};
pub(crate) use crate::delivery::{fmt_time, fmt_wait, locale_of_user};
use crate::{
    accounts::users::User, context::AppCtx, delivery, domain::TelegramProfile, i18n::Locale,
};

pub(crate) fn profile(user: &TgUser) -> TelegramProfile {
    TelegramProfile {
        id: user.id.0 as i64,
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        username: user.username.clone(),
        language_code: user.language_code.clone(),
    }
}

pub(crate) fn locale_for(ctx: &AppCtx, from: &TgUser, user: Option<&User>) -> Locale {
    Locale::resolve(
        user.and_then(|u| u.locale.as_deref()),
        from.language_code.as_deref(),
        ctx.config.default_locale,
    )
}

/// [`delivery::send_private`], for handlers.
pub(crate) async fn send_private(
    ctx: &AppCtx,
    user_id: i64,
    reply: &Reply,
    locale: Locale,
) -> Result<Option<Message>, BotError> {
    Ok(delivery::send_private(ctx, user_id, reply, locale).await?)
}

/// [`delivery::edit_private`], for handlers.
pub(crate) async fn edit_private(
    ctx: &AppCtx,
    chat: ChatId,
    message: MessageId,
    reply: &Reply,
    locale: Locale,
) -> HandlerResult {
    Ok(delivery::edit_private(ctx, chat, message, reply, locale).await?)
}

/// [`delivery::send_admin`], for handlers.
pub(crate) async fn send_admin(
    ctx: &AppCtx,
    chat: ChatId,
    thread: Option<ThreadId>,
    reply: &Reply,
) -> Result<Message, BotError> {
    Ok(delivery::send_admin(ctx, chat, thread, reply).await?)
}
