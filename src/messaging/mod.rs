//! Messaging for sellers: their contacts, the users' `/stop` per seller, one-time codes over
//! Telegram and usage metering.
//!
//! - [`contacts`], [`otp`] and [`usage`] are services: they take a `Db` and return outcomes.
//!   Everything a seller may send to a user asks [`contacts::may_message`] first, and counts
//!   what it sent with [`usage::record`].
//! - [`notify`] is the edge that sends the codes and the abuse reports through Telegram, and
//!   builds the "stop messages from this seller" button every seller message carries.
//! - [`bot`] holds the handlers: `/stop`, its buttons, "this wasn't me", and the deep link an
//!   OTP send gives back for a user who never started the bot.
pub mod bot;
pub mod contacts;
pub mod drip_runner;
pub mod drips;
pub mod notify;
pub mod otp;
pub mod usage;
