//! Tollgate: a self-hosted Telegram monetization bot.
//!
//! Feature folders (`relay`, `billing`, `accounts`, `admin`) each hold their handlers
//! (`bot.rs`), services and queries; shared infrastructure sits beside them (`telegram`,
//! `delivery`, `bot`, `http`, `storage`, `domain`, `jobs`, `services`). Layers point one way:
//! handlers → services → `storage` / `domain` (see `docs/decisions/0005-feature-folders.md`).
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
pub mod errors_log;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod messaging;
pub mod metrics;
pub mod relay;
pub mod sandbox;
pub mod sellers;
pub mod services;
pub mod shutdown;
pub mod storage;
pub mod telegram;
pub mod timeline;
