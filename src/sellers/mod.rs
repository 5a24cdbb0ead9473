//! Sellers: people who sell paid access to their own Telegram channels and groups through
//! Tollgate. A seller onboards with `/sell` ([`drafts`] holds the step they are in), connects
//! a chat as a service and adds plans ([`catalog`]); buyers pay for a plan and hold a
//! membership ([`access`]): a single-use invite link, join tracking, reminders before the end,
//! removal after it. Everything a seller's customers do is logged per seller ([`audit`]).
//! [`bot`] renders all of it in Telegram; the services never see a Telegram type, except
//! [`admission`], the Telegram side the bot and the API share (checking a chat's rights,
//! issuing invite links). [`api_keys`] are the sellers' keys to the REST API; [`links`] the
//! extra invite links a seller names for a promotion or a partner; [`stats`] the per-day
//! series of the seller's dashboard chart, and [`analytics`] the commercial events and the
//! numbers made of them (MRR, churn, trial conversion, revenue by source); [`branding`] the
//! name, logo and accent colour buyers see on checkout pages, share cards and alerts. A channel may also sell through a Telegram Star
//! subscription link ([`bot_subscriptions`]): Telegram charges and removes those members, and
//! Tollgate tracks them as Telegram-managed memberships. A plan marked renewing sells a Stripe
//! subscription instead ([`recurring`] keeps it and its history, [`recurring_card`] talks to
//! Stripe, [`bot_recurring`] is `/subscriptions` and the dunning reminders).

pub mod access;
pub mod admission;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod bot;
pub mod bot_analytics;
pub mod bot_branding;
pub mod bot_keys;
pub mod bot_links;
pub mod bot_payouts;
pub mod bot_platform;
pub mod bot_promos;
pub mod bot_recurring;
pub mod bot_subscriptions;
pub mod bot_team;
pub mod branding;
pub mod card;
pub mod catalog;
pub mod connect;
pub mod drafts;
pub mod links;
pub mod payouts;
pub mod platform;
pub mod platform_card;
pub mod promos;
pub mod recurring;
pub mod recurring_card;
pub mod stats;
pub mod sweep;
pub mod team;
pub mod tenant;
pub mod webhooks;

/// The fee and the seller's net of a gross amount (the fee rounds down: never more than the
/// percentage).
pub fn split_fee(gross: i64, percent: i64) -> (i64, i64) {
    let fee = gross.saturating_mul(percent.clamp(0, 100)) / 100;
    (fee, gross - fee)
}

#[cfg(test)]
mod tests {
    use super::split_fee;

    #[test]
    fn the_fee_rounds_down_and_the_net_is_the_rest() {
        assert_eq!(split_fee(1000, 10), (100, 900));
        assert_eq!(split_fee(999, 10), (99, 900));
        assert_eq!(split_fee(5, 10), (0, 5));
        assert_eq!(split_fee(500, 0), (0, 500));
        assert_eq!(split_fee(500, 250), (500, 0));
    }
}
