//! Start-up chores: the command menus per scope and language.
use teloxide::{
    prelude::*,
    types::{AllowedUpdate, BotCommand, BotCommandScope, Recipient},
};

use super::{Telegram, TgError};
use crate::i18n::{self, Args, Locale};

/// Every update kind Tollgate handles. `chat_member` must be listed explicitly or Telegram
/// never sends it.
pub const ALLOWED_UPDATES: [AllowedUpdate; 7] = [
    AllowedUpdate::Message,
    AllowedUpdate::EditedMessage,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::ChatMember,
    AllowedUpdate::MyChatMember,
    AllowedUpdate::ChatJoinRequest,
    AllowedUpdate::PreCheckoutQuery,
];

fn commands(locale: Locale, list: &[(&str, &str)]) -> Vec<BotCommand> {
    list.iter()
        .map(|(cmd, key)| BotCommand::new(*cmd, i18n::text(locale, key, &Args::new())))
        .collect()
}

/// The private-chat menu: what end users can type.
pub fn user_commands(locale: Locale) -> Vec<BotCommand> {
    commands(
        locale,
        &[
            ("start", "cmd-start"),
            ("balance", "cmd-balance"),
            ("buy", "cmd-buy"),
            ("history", "cmd-history"),
            ("billing", "cmd-billing"),
            ("autorecharge", "cmd-autorecharge"),
            ("language", "cmd-language"),
            ("stop", "cmd-stop"),
            ("help", "cmd-help"),
        ],
    )
}

fn admin_commands(locale: Locale) -> Vec<BotCommand> {
    commands(
        locale,
        &[
            ("status", "cmd-status"),
            ("grant", "cmd-grant"),
            ("pass", "cmd-pass"),
            ("ban", "cmd-ban"),
            ("unban", "cmd-unban"),
            ("settings", "cmd-settings"),
            ("set", "cmd-set"),
            ("refund", "cmd-refund"),
            ("tier", "cmd-tier"),
            ("settier", "cmd-settier"),
            ("plans", "cmd-plans"),
            ("setplan", "cmd-setplan"),
        ],
    )
}

/// `setMyCommands` for private chats (per shipped language, plus the default) and for the
/// admin group.
pub async fn register_commands(
    tg: &Telegram,
    default: Locale,
    admin_chats: &[ChatId],
) -> Result<(), TgError> {
    let bot = tg.bot();
    tg.call(
        bot.set_my_commands(user_commands(default))
            .scope(BotCommandScope::AllPrivateChats),
    )
    .await?;
    for locale in Locale::ALL {
        tg.call(
            bot.set_my_commands(user_commands(locale))
                .scope(BotCommandScope::AllPrivateChats)
                .language_code(locale.code()),
        )
        .await?;
    }
    for &chat in admin_chats {
        tg.call(
            bot.set_my_commands(admin_commands(default))
                .scope(BotCommandScope::Chat {
                    chat_id: Recipient::Id(chat),
                }),
        )
        .await?;
    }
    Ok(())
}
