//! The Telegram side: the Bot API client stack, the update pump (polling or webhook) and
//! start-up chores (identity, commands, webhook registration).
mod api;
mod pump;
mod setup;

pub use api::{Telegram, TgError};
pub use pump::{ErrorReporter as ErrorReporterFn, PumpClosed, UpdatePump, update_kind};
pub use setup::{ALLOWED_UPDATES, register_commands, user_commands};

use std::time::Duration;

use teloxide::{
    Bot,
    adaptors::{
        Throttle,
        throttle::{Limits, Settings},
    },
};
use url::Url;

/// The client every handler uses: teloxide's `Throttle` paces requests per chat and overall
/// (Telegram's limits). Its own 429 retry is switched off: it waits any `retry_after`, even
/// hours, inside the caller's request; [`Telegram::call`] retries within a time budget instead
/// and hands longer waits back to the caller (a job reschedules).
pub type AppBot = Throttle<Bot>;

pub fn build_bot(token: &str, api_url: &Url, limits: Limits) -> AppBot {
    let client = teloxide::net::default_reqwest_settings()
        // Long polling holds a request open for up to the poll timeout.
        .timeout(Duration::from_secs(60))
        .build()
        .expect("the HTTP client builds with static settings");
    let bot = Bot::with_client(token, client).set_api_url(api_url.clone());
    Throttle::spawn_with_settings(bot, Settings::default().limits(limits).no_retry())
}

/// Limits for the emulator, the sandbox and the benchmark, where nothing enforces Telegram's.
pub fn unthrottled() -> Limits {
    Limits {
        messages_per_sec_chat: 10_000,
        messages_per_min_chat: 600_000,
        messages_per_min_channel_or_supergroup: 600_000,
        messages_per_sec_overall: 100_000,
    }
}
