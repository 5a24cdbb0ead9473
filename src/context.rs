//! What every handler, route and job can reach: injected once, cloned cheaply.
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{
    clock::SharedClock, config::Config, jobs::JobRunner, metrics::Metrics, storage::Db,
    telegram::Telegram,
};

#[derive(Clone)]
pub struct AppCtx {
    pub db: Db,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    pub metrics: Metrics,
    pub tg: Telegram,
    pub jobs: JobRunner,
    pub started_at: DateTime<Utc>,
}

impl AppCtx {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
