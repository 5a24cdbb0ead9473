use super::DomainError;

/// Who wrote to the bot, as Telegram describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramProfile {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    /// Blocked the bot or deleted the account: Telegram answers 403, so we stop sending.
    Unreachable,
    /// Banned by an admin.
    Banned,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Unreachable => "unreachable",
            UserStatus::Banned => "banned",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "active" => Ok(UserStatus::Active),
            "unreachable" => Ok(UserStatus::Unreachable),
            "banned" => Ok(UserStatus::Banned),
            other => Err(DomainError::UnknownUserStatus(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_refused() {
        for s in [
            UserStatus::Active,
            UserStatus::Unreachable,
            UserStatus::Banned,
        ] {
            assert_eq!(UserStatus::parse(s.as_str()), Ok(s));
        }
        assert!(UserStatus::parse("zombie").is_err());
    }
}
