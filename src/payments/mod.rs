//! Payments: Stripe (webhooks now; Checkout and the portal come with the catalog) and, later,
//! Telegram's native invoices.
pub mod auto_recharge;
pub mod checkout;
pub mod refunds;
pub mod stripe;
