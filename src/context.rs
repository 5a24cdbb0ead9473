//! What every handler, route and job can reach: injected once, cloned cheaply.
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use crate::{
    admin::AdminAccess,
    clock::SharedClock,
    config::Config,
    jobs::JobRunner,
    metrics::Metrics,
    storage::Db,
    telegram::Telegram,
    {billing::settlements::Settler, relay::backlog::Backlog, relay::gate::RelayGate},
};

#[derive(Clone)]
pub struct AppCtx {
    pub db: Db,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    pub metrics: Metrics,
    pub tg: Telegram,
    pub jobs: JobRunner,
    /// The Stripe API client, when `STRIPE_SECRET_KEY` is set.
    pub stripe: Option<stripe::Client>,
    pub started_at: DateTime<Utc>,
    /// Names this process (a fresh id each start) where rows record who holds them.
    pub instance: Arc<str>,
    /// Admits relayed messages and records their copies, in batches (see [`RelayGate`]).
    pub relay_gate: RelayGate,
    /// Settles paid Checkout Sessions in batches (see [`Settler`]).
    pub settler: Settler,
    /// Who has relayed messages waiting for the admin group (see [`Backlog`]).
    pub backlog: Arc<Backlog>,
    /// Who may run admin commands (see [`AdminAccess`]).
    pub admins: Arc<AdminAccess>,
    /// Recent error events of the log.
    pub errors: crate::errors_log::ErrorLog,
    /// Sellers whose next message answers a dialogue step (see [`Drafting`]).
    pub drafting: crate::sellers::drafts::Drafting,
    /// Counts API requests against each key's hourly limit.
    pub api_limits: crate::sellers::api_keys::RateLimiter,
    /// Tenants' API stats, each kept a few seconds (see [`StatsCache`](crate::sellers::tenant::StatsCache)).
    pub api_stats: crate::sellers::tenant::StatsCache,
    /// Posts sellers' webhook deliveries (see [`Worker`](crate::sellers::webhooks::worker::Worker)).
    pub webhooks: crate::sellers::webhooks::worker::Worker,
    /// API calls counted per seller, mode and day, written in batches (see [`Meter`](crate::messaging::usage::Meter)).
    pub usage: crate::messaging::usage::Meter,
    /// Seals secrets at rest, when `ENCRYPTION_KEY` is set.
    pub sealer: Option<crate::services::sealing::Sealer>,
    /// The bot itself (`getMe`), once known: set at start, or by the first who asks for it.
    pub me: Arc<OnceLock<teloxide::types::Me>>,
}

impl AppCtx {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Where people come back to from Stripe: `PUBLIC_URL`, else this server's own address.
    pub fn public_base(&self) -> String {
        match &self.config.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.config.http_addr),
        }
    }
}
