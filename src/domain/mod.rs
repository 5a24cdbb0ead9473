//! Rules and value types. Nothing here knows about Telegram, HTTP or the database.
mod start_payload;
mod user;

pub use start_payload::StartPayload;
pub use user::{TelegramProfile, UserStatus};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("a /start payload must be 1-64 characters of A-Z, a-z, 0-9, _ and -")]
    InvalidStartPayload,
    #[error("unknown user status '{0}'")]
    UnknownUserStatus(String),
}
