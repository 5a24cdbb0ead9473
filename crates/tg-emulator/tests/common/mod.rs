#![allow(dead_code)]

use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Update};
use tg_emulator::{Emulator, EmulatorConfig, UserSpec};

pub async fn setup() -> (Emulator, Bot) {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    let bot = Bot::new(emu.token()).set_api_url(url::Url::parse(&emu.api_url()).expect("url"));
    (emu, bot)
}

pub fn user(emu: &Emulator, name: &str) -> i64 {
    emu.add_user(UserSpec {
        first_name: name.to_owned(),
        ..Default::default()
    })
}

pub fn all_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::EditedMessage,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::ChatMember,
        AllowedUpdate::MyChatMember,
        AllowedUpdate::ChatJoinRequest,
        AllowedUpdate::PreCheckoutQuery,
    ]
}

/// Tell the emulator which updates we want (as the app does on start).
pub async fn subscribe_all(bot: &Bot) {
    bot.get_updates()
        .allowed_updates(all_updates())
        .timeout(0)
        .await
        .expect("getUpdates");
}

/// Fetch and confirm everything pending.
pub async fn drain(bot: &Bot) -> Vec<Update> {
    let ups = bot.get_updates().timeout(0).await.expect("getUpdates");
    if let Some(last) = ups.last() {
        bot.get_updates()
            .offset(last.id.0 as i32 + 1)
            .timeout(0)
            .await
            .expect("confirm");
    }
    ups
}
