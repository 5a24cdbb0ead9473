//! Integration tests: one binary, the real app over loopback HTTP.
mod helpers;

mod account;
mod cli;
mod health;
mod http_limits;
mod notices;
mod payments;
mod relay;
mod relay_gate;
mod settlements;
mod start;
mod storage;
mod stripe_webhook;
mod telegram_webhook;
