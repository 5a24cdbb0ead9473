//! The Telegram side: the Bot API client stack, the update pump (polling or webhook) and
//! start-up chores (identity, commands, webhook registration).
mod api;
mod limiter;
mod pump;
mod setup;

pub use api::{Telegram, TgError};
pub use limiter::{RateLimiter, RateLimits};
pub use pump::{
    Confirm, ErrorReporter as ErrorReporterFn, Origin, PumpClosed, UpdatePump, update_kind,
};
pub use setup::{ALLOWED_UPDATES, register_commands, user_commands};

use std::time::Duration;

use teloxide::Bot;
use url::Url;

/// The plain Bot API client. Pacing and retries live in [`Telegram`].
pub type AppBot = Bot;

pub fn build_bot(token: &str, api_url: &Url) -> AppBot {
    let client = teloxide::net::default_reqwest_settings()
        // Long polling holds a request open for up to the poll timeout.
        .timeout(Duration::from_secs(60))
        .build()
        .expect("the HTTP client builds with static settings");
    Bot::with_client(token, client).set_api_url(api_url.clone())
}
