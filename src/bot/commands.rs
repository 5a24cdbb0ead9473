use teloxide::utils::command::BotCommands;

/// Commands of end users, in the private chat.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum UserCommand {
    /// `/start` or `/start <deep-link payload>`.
    Start(String),
    Help,
    Balance,
    History,
    Language,
    Reset,
    Buy,
    Buy10,
    Buy25,
    Buy50,
    Billing,
    Autorecharge(String),
    /// Sellers: onboarding, then a new channel or group.
    Sell,
    Services,
    Members(String),
    /// `/grant <user id> <days> [service code]` (an admin listed in ADMIN_USER_IDS who is no
    /// seller gets the admin command).
    Grant(String),
    Revoke(String),
    Whitelist(String),
    Dashboard,
    Alert(String),
    Audit(String),
    /// `/apikey [live|test NAME [days] | revoke PREFIX]`: the seller's REST API keys.
    Apikey(String),
    /// The seller's webhook endpoints and recent deliveries.
    Webhooks,
    /// Who takes card payments for the seller's plans.
    Payouts,
    /// The seller's extra invite links with their join counts.
    Links,
    /// The seller's promo codes.
    Promos,
    /// The seller's team: members, roles, invites (the owner's).
    Team,
    /// `/retention [percent|off]`: the seller's offer to a buyer who cancels a subscription.
    Retention(String),
    /// A buyer's renewing subscriptions: status, next charge, cancel, resume.
    Subscriptions,
    /// The seller's brand name, logo and accent colour.
    Branding,
    /// The sellers who may message the user, to stop or resume each.
    Stop,
    /// The seller's platform plan: usage, limits, changing plan.
    Plan,
    /// The seller's drip campaigns and their numbers.
    Drips,
    /// `/drip new|step|pause|resume …`: make and run a drip campaign.
    Drip(String),
    Cancel,
    /// `/invoice [list | <who> <amount> <currency> <due> <text> | void <id> | reminders …]`:
    /// the seller's invoices.
    Invoice(String),
    /// `/templates [test] [change lang [text | reset]]`: the texts of order messages.
    Templates(String),
    /// `/shops [shopify|woocommerce [test]]`: the signed receivers of shops' order webhooks.
    Shops(String),
}

/// Commands of the admin group; the argument text is parsed by each handler.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    /// The control center.
    Admin,
    /// Quick replies, in a user's topic.
    Qr,
    /// The user card, in a user's topic (or `/user <id>`).
    User(String),
    /// `/credits +N reason` in a user's topic (or `/credits <id> +N reason`).
    Credits(String),
    /// `/note text` in a user's topic: a note on the user card.
    Note(String),
    /// `/close` in a user's topic: the conversation is closed (until they write again);
    /// `/reopen` opens it again.
    Close,
    Reopen,
    Status,
    Grant(String),
    Pass(String),
    Ban(String),
    Unban(String),
    Settings,
    Set(String),
    Refund(String),
    Tier(String),
    Settier(String),
    /// Sellers: the list, and suspending one.
    Sellers,
    Suspend(String),
    Unsuspend(String),
    /// The platform plans sellers pay for, and the revenue from them.
    Plans,
    /// `/setplan <code> <field> <value>`: edit a platform plan.
    Setplan(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_parses_with_and_without_the_bot_name() {
        let user = |s| UserCommand::parse(s, "tollbot").ok();
        assert_eq!(user("/start"), Some(UserCommand::Start(String::new())));
        assert_eq!(
            user("/start ref_42"),
            Some(UserCommand::Start("ref_42".into()))
        );
        assert_eq!(user("/help@tollbot"), Some(UserCommand::Help));
        for (text, cmd) in [
            ("/balance", UserCommand::Balance),
            ("/history", UserCommand::History),
            ("/language", UserCommand::Language),
            ("/reset", UserCommand::Reset),
        ] {
            assert_eq!(user(text), Some(cmd));
        }
        assert!(user("/help@otherbot").is_none());
        assert!(user("/nope").is_none());

        let admin = |s| AdminCommand::parse(s, "tollbot").ok();
        assert_eq!(admin("/status"), Some(AdminCommand::Status));
        assert_eq!(admin("/grant 5"), Some(AdminCommand::Grant("5".into())));
        assert_eq!(admin("/grant"), Some(AdminCommand::Grant(String::new())));
        assert_eq!(
            admin("/pass 42 week"),
            Some(AdminCommand::Pass("42 week".into()))
        );
        assert_eq!(admin("/ban"), Some(AdminCommand::Ban(String::new())));
        assert_eq!(admin("/settings"), Some(AdminCommand::Settings));
        assert_eq!(
            admin("/set message_cost 2"),
            Some(AdminCommand::Set("message_cost 2".into()))
        );
    }
}
