//! Tollgate: a self-hosted Telegram monetization bot.
//!
//! Layers, outside in: `http` and `telegram` (edges) → `bot` (thin handlers) → `services`
//! (use-cases) → `storage` (sea-orm); `domain` holds rules and value types with no I/O.
pub mod accounts;
pub mod admin;
pub mod app;
pub mod billing;
pub mod bot;
pub mod cli;
pub mod clock;
pub mod config;
pub mod context;
pub mod delivery;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod metrics;
pub mod relay;
pub mod sandbox;
pub mod services;
pub mod shutdown;
pub mod storage;
pub mod telegram;
pub mod timeline;
