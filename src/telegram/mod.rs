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

/// How long the client waits for the Bot API's answer. Longer than the longest a request is
/// held open on purpose (a long poll, 25 s) with room for a slow server, so that a call
/// Telegram carries out is rarely given up on. A call given up on after it was sent is
/// [`TgError::Uncertain`], not retried blindly.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);

pub fn build_bot(token: &str, api_url: &Url, timeout: Duration) -> AppBot {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(timeout)
        .build()
        .expect("the HTTP client builds with static settings");
    Bot::with_client(token, client).set_api_url(api_url.clone())
}
