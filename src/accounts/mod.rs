//! Accounts: [`users`] (created on first contact, kept up to date), the [`credits`] ledger,
//! and the [`tiers`] that price a message. [`bot`] holds `/start`, `/balance`, `/history`,
//! `/language`, `/reset` and the help.

pub mod bot;
pub mod credits;
pub mod tiers;
pub mod users;
