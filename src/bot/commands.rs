use teloxide::utils::command::BotCommands;

/// Commands of end users, in the private chat.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum UserCommand {
    /// `/start` or `/start <deep-link payload>`.
    Start(String),
    Help,
}

/// Commands of the admin group.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    Status,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_parses_with_and_without_the_bot_name() {
        assert_eq!(
            UserCommand::parse("/start", "tollbot").ok(),
            Some(UserCommand::Start(String::new()))
        );
        assert_eq!(
            UserCommand::parse("/start ref_42", "tollbot").ok(),
            Some(UserCommand::Start("ref_42".into()))
        );
        assert_eq!(
            UserCommand::parse("/help@tollbot", "tollbot").ok(),
            Some(UserCommand::Help)
        );
        assert!(UserCommand::parse("/help@otherbot", "tollbot").is_err());
        assert!(UserCommand::parse("/nope", "tollbot").is_err());
        assert_eq!(
            AdminCommand::parse("/status", "tollbot").ok(),
            Some(AdminCommand::Status)
        );
    }
}
