//! Billing: the catalog and [`orders`], Stripe [`checkout`] and its [`stripe`] webhooks,
//! Telegram Stars, batched [`settlements`], time [`passes`], [`refunds`], auto-recharge
//! ([`auto_recharge`] holds the user's wish, [`recharge`] charges the saved card) and the
//! [`notices`] owed to people after a payment event. [`bot`] holds the shop's handlers.

pub mod auto_recharge;
pub mod bot;
pub mod catalog;
pub mod checkout;
pub mod notices;
pub mod orders;
pub mod passes;
pub mod recharge;
pub mod refunds;
pub mod settlements;
pub mod stripe;
