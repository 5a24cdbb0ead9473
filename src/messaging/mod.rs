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
//! - [`invoices`] is the invoices' service, [`invoice_notify`] their edge (the invoice message,
//!   reminders, receipts, the Stars invoice and the Checkout page, Stripe's events) and
//!   [`bot_invoices`] the seller's `/invoice` and the customer's pay buttons.
//! - [`orders`], [`order_templates`] and [`commerce`] are services for sellers' orders, the
//!   texts of their customers' messages, and the Shopify / WooCommerce receivers;
//!   [`order_notify`] is the job that sends an order's message, and [`bot_orders`] holds
//!   `/templates` and `/shops`.
//! - [`drips`] is the drip campaigns' service and [`drip_runner`] the edge that sends their
//!   steps; [`operator_drips`] runs the operator's own campaigns (the admin center's) on the
//!   same machinery as the reserved tenant [`drips::OPERATOR`].
pub mod bot;
pub mod bot_invoices;
pub mod bot_orders;
pub mod commerce;
pub mod contacts;
pub mod drip_runner;
pub mod drips;
pub mod invoice_notify;
pub mod invoices;
pub mod notify;
pub mod operator_drips;
pub mod order_notify;
pub mod order_templates;
pub mod orders;
pub mod otp;
pub mod usage;
