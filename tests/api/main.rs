//! Integration tests: one binary, the real app over loopback HTTP.
mod helpers;

mod account;
mod admin_access;
mod admin_center;
mod campaigns;
mod cli;
mod health;
mod http_limits;
mod layering;
mod notices;
mod payments;
mod promos;
mod refunds;
mod relay;
mod relay_backlog;
mod relay_gate;
mod seller_api;
mod sellers;
mod settlements;
mod sqlite_schema;
mod start;
mod storage;
mod stripe_webhook;
mod telegram_webhook;
mod webhooks;
