//! Rules and value types. Nothing here knows about Telegram, HTTP or the database.
mod admin_args;
mod balance;
mod start_payload;
mod user;

pub use admin_args::split_target;
pub use balance::{crossed_low_threshold, progress_bar};
pub use start_payload::StartPayload;
pub use user::{TelegramProfile, UserStatus};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("a /start payload must be 1-64 characters of A-Z, a-z, 0-9, _ and -")]
    InvalidStartPayload,
    #[error("unknown user status '{0}'")]
    UnknownUserStatus(String),
}
