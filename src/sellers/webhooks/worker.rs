//! Posts pending deliveries.
//!
//! Each endpoint's oldest pending delivery is its head; only heads are claimed, so an endpoint
//! receives its events in order (a later one waits until the one before succeeded or was
//! dead-lettered), while different endpoints are served side by side, up to a bound. A claim
//! is one conditional `UPDATE` (on PostgreSQL over `FOR UPDATE SKIP LOCKED`) that sets a lease
//! and counts the attempt, so two workers (two replicas) never hold the same delivery; a
//! worker that died mid-flight leaves a lease that runs out, and the delivery is tried again.
//! An outcome is recorded only by the claim that made the attempt, and a recorded success is
//! final: nothing sends it again.
use std::{sync::Arc, time::Duration as StdDuration};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, QueryFilter, Statement, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use tokio::{sync::Notify, task::JoinSet};

use super::{
    DISABLE_AFTER, WebhookResult, address, enqueue_disabled, signing,
    signing::{EVENT_ID_HEADER, HEADER},
};
use crate::{
    clock::SharedClock,
    config::WebhookConfig,
    jobs::JobRunner,
    services::sealing::Sealer,
    storage::{
        Db,
        entities::{webhook_deliveries, webhook_endpoints, webhook_events},
    },
};

/// Tries per delivery before it is dead-lettered.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a receiver has to answer.
pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Endpoints served at once by one worker.
pub const CONCURRENCY: usize = 16;
/// How long a claim is the claimer's (well over [`TIMEOUT`]).
const LEASE: Duration = Duration::seconds(60);
/// How often an idle worker looks for due deliveries at most.
const IDLE_POLL: StdDuration = StdDuration::from_secs(1);
/// Bytes of a receiver's answer kept as the error of a failed attempt.
const ERROR_CHARS: usize = 300;

/// The pause after the `attempts`-th failed try: `base`, then three times longer each time
/// (with the default 4 minutes: 4 m, 12 m, 36 m, 1.8 h, 5.4 h, 16 h, 49 h, about 3 days in all).
pub fn backoff(base: StdDuration, attempts: i32) -> Duration {
    let factor = 3u32.saturating_pow(attempts.clamp(1, 20) as u32 - 1);
    Duration::from_std(base.saturating_mul(factor)).unwrap_or(Duration::days(30))
}

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Failed; tried again later.
    Retrying,
    /// Failed for the last time.
    Dead,
    /// Another claim recorded this delivery first (a lease ran out meanwhile).
    Superseded,
}

#[derive(Clone)]
pub struct Worker {
    db: Db,
    clock: SharedClock,
    http: reqwest::Client,
    config: WebhookConfig,
    jobs: JobRunner,
    concurrency: usize,
    /// Opens endpoints' sealed secrets.
    sealer: Option<Sealer>,
}

impl Worker {
    pub fn new(db: Db, clock: SharedClock, config: WebhookConfig, jobs: JobRunner) -> Worker {
        Worker {
            http: address::client(TIMEOUT, config.allow_local),
            db,
            clock,
            config,
            jobs,
            concurrency: CONCURRENCY,
            sealer: None,
        }
    }

    /// Opens endpoints' secrets sealed under `ENCRYPTION_KEY` with `sealer`.
    pub fn with_sealer(mut self, sealer: Option<Sealer>) -> Worker {
        self.sealer = sealer;
        self
    }

    /// Claims up to `limit` due heads (one per endpoint).
    async fn claim(&self, limit: usize) -> WebhookResult<Vec<webhook_deliveries::Model>> {
        let now = self.clock.now();
        let backend = self.db.get_database_backend();
        let lock = match backend {
            DbBackend::Postgres => " FOR UPDATE OF d SKIP LOCKED",
            _ => "",
        };
        let query = crate::storage::sql(
            backend,
            &format!(
                "UPDATE webhook_deliveries SET locked_until = $1, attempts = attempts + 1, \
                 updated_at = $2 WHERE id IN (SELECT d.id FROM webhook_endpoints ep \
                 JOIN webhook_deliveries d ON d.id = (SELECT x.id FROM webhook_deliveries x \
                 WHERE x.endpoint_id = ep.id AND x.status = 'pending' ORDER BY x.id LIMIT 1) \
                 WHERE ep.status = 'active' AND d.next_attempt_at <= $2 \
                 AND (d.locked_until IS NULL OR d.locked_until < $2) \
                 ORDER BY d.next_attempt_at, d.id LIMIT $3{lock}) \
                 AND status = 'pending' AND (locked_until IS NULL OR locked_until < $2) \
                 RETURNING *"
            ),
        );
        Ok(webhook_deliveries::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                backend,
                query,
                [(now + LEASE).into(), now.into(), (limit as i64).into()],
            ))
            .all(&self.db)
            .await?)
    }

    /// Sends one claimed delivery and records what came of it.
    async fn attempt(&self, d: webhook_deliveries::Model) -> WebhookResult<Outcome> {
        let event = webhook_events::Entity::find_by_id(d.event_id)
            .one(&self.db)
            .await?;
        let endpoint = webhook_endpoints::Entity::find_by_id(d.endpoint_id)
            .one(&self.db)
            .await?;
        let (Some(event), Some(endpoint)) = (event, endpoint) else {
            // Deleted meanwhile: nothing to send to, or nothing to send.
            let sent = Sent::failed(None, "the endpoint or the event is gone".into(), 0);
            return self.record(&d, sent, true).await;
        };
        let sent = self.send(&endpoint, &event).await;
        self.record(&d, sent, false).await
    }

    async fn send(
        &self,
        endpoint: &webhook_endpoints::Model,
        event: &webhook_events::Model,
    ) -> Sent {
        let url = match address::check_at_delivery(&endpoint.url, self.config.allow_local) {
            Ok(url) => url,
            Err(e) => return Sent::failed(None, format!("refused: {e}"), 0),
        };
        let now = self.clock.now();
        let Ok(secrets) = super::signing_secrets(self.sealer.as_ref(), endpoint, now) else {
            let why = "the endpoint's secret does not open with the configured ENCRYPTION_KEY";
            return Sent::failed(None, why.into(), 0);
        };
        let signature = signing::header(
            secrets.iter().map(String::as_str),
            now.timestamp(),
            &event.payload,
        );
        let started = std::time::Instant::now();
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER, signature)
            .header(EVENT_ID_HEADER, &event.public_id)
            .body(event.payload.clone())
            .send()
            .await;
        let ms = |started: std::time::Instant| {
            started.elapsed().as_millis().min(i32::MAX as u128) as i32
        };
        match response {
            Ok(r) if r.status().is_success() => Sent {
                ok: true,
                status: Some(i32::from(r.status().as_u16())),
                error: None,
                ms: ms(started),
            },
            Ok(r) => {
                let status = i32::from(r.status().as_u16());
                let text: String = r
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(ERROR_CHARS)
                    .collect();
                Sent::failed(Some(status), format!("HTTP {status}: {text}"), ms(started))
            }
            Err(e) => {
                let what = if e.is_timeout() {
                    format!("no answer within {} s", TIMEOUT.as_secs())
                } else {
                    // The whole chain: "error sending request" alone says little.
                    let mut s = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(inner) = source {
                        s.push_str(": ");
                        s.push_str(&inner.to_string());
                        source = inner.source();
                    }
                    s
                };
                Sent::failed(None, what, ms(started))
            }
        }
    }

    /// Records an attempt of `d` (as claimed: its `attempts` names the claim).
    async fn record(
        &self,
        d: &webhook_deliveries::Model,
        sent: Sent,
        gone: bool,
    ) -> WebhookResult<Outcome> {
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        let mine = || {
            webhook_deliveries::Entity::update_many()
                .filter(webhook_deliveries::Column::Id.eq(d.id))
                .filter(webhook_deliveries::Column::Status.eq("pending"))
                .filter(webhook_deliveries::Column::Attempts.eq(d.attempts))
                .col_expr(
                    webhook_deliveries::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    webhook_deliveries::Column::LastStatus,
                    Expr::value(sent.status),
                )
                .col_expr(
                    webhook_deliveries::Column::LastError,
                    Expr::value(sent.error.clone()),
                )
                .col_expr(
                    webhook_deliveries::Column::LastDurationMs,
                    Expr::value(sent.ms),
                )
                .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(now))
        };
        if sent.ok {
            let n = mine()
                .col_expr(webhook_deliveries::Column::Status, Expr::value("succeeded"))
                .col_expr(webhook_deliveries::Column::DeliveredAt, Expr::value(now))
                .exec(&txn)
                .await?
                .rows_affected;
            if n == 0 {
                txn.rollback().await?;
                return Ok(Outcome::Superseded);
            }
            webhook_endpoints::Entity::update_many()
                .col_expr(
                    webhook_endpoints::Column::ConsecutiveFailures,
                    Expr::value(0),
                )
                .filter(webhook_endpoints::Column::Id.eq(d.endpoint_id))
                .filter(webhook_endpoints::Column::ConsecutiveFailures.ne(0))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            return Ok(Outcome::Succeeded);
        }
        let last = gone || d.attempts >= MAX_ATTEMPTS;
        let update = if last {
            mine().col_expr(webhook_deliveries::Column::Status, Expr::value("dead"))
        } else {
            mine().col_expr(
                webhook_deliveries::Column::NextAttemptAt,
                Expr::value(now + backoff(self.config.retry_base, d.attempts)),
            )
        };
        if update.exec(&txn).await?.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(Outcome::Superseded);
        }
        if !gone {
            self.count_failure(&txn, now, d.endpoint_id).await?;
        }
        txn.commit().await?;
        Ok(if last {
            Outcome::Dead
        } else {
            Outcome::Retrying
        })
    }

    /// One more failure in a row for the endpoint; at [`DISABLE_AFTER`] it is disabled, what
    /// still waits for it is dead-lettered (re-sendable) and its seller is told, all in the
    /// caller's transaction.
    async fn count_failure(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        now: DateTime<Utc>,
        endpoint: i64,
    ) -> WebhookResult<()> {
        webhook_endpoints::Entity::update_many()
            .col_expr(
                webhook_endpoints::Column::ConsecutiveFailures,
                Expr::col(webhook_endpoints::Column::ConsecutiveFailures).add(1),
            )
            .filter(webhook_endpoints::Column::Id.eq(endpoint))
            .exec(txn)
            .await?;
        let disabled = webhook_endpoints::Entity::update_many()
            .col_expr(webhook_endpoints::Column::Status, Expr::value("disabled"))
            .col_expr(webhook_endpoints::Column::DisabledAt, Expr::value(now))
            .col_expr(webhook_endpoints::Column::UpdatedAt, Expr::value(now))
            .filter(webhook_endpoints::Column::Id.eq(endpoint))
            .filter(webhook_endpoints::Column::Status.eq("active"))
            .filter(webhook_endpoints::Column::ConsecutiveFailures.gte(DISABLE_AFTER))
            .exec(txn)
            .await?
            .rows_affected
            == 1;
        if !disabled {
            return Ok(());
        }
        webhook_deliveries::Entity::update_many()
            .col_expr(webhook_deliveries::Column::Status, Expr::value("dead"))
            .col_expr(
                webhook_deliveries::Column::LastError,
                Expr::value("the endpoint was disabled after repeated failures"),
            )
            .col_expr(
                webhook_deliveries::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(now))
            .filter(webhook_deliveries::Column::EndpointId.eq(endpoint))
            .filter(webhook_deliveries::Column::Status.eq("pending"))
            .exec(txn)
            .await?;
        enqueue_disabled(txn, now, endpoint).await?;
        tracing::warn!(
            endpoint,
            "webhook endpoint disabled after repeated failures"
        );
        self.jobs.notify();
        Ok(())
    }

    /// Sends every due head once (endpoints side by side); returns the outcomes. For tests,
    /// the sandbox and the benchmark; [`Worker::run`] is the loop.
    pub async fn deliver_due(&self) -> WebhookResult<Vec<Outcome>> {
        let claimed = self.claim(self.concurrency).await?;
        let attempts = claimed.into_iter().map(|c| self.attempt(c));
        futures::future::join_all(attempts)
            .await
            .into_iter()
            .collect()
    }

    /// Like [`Worker::deliver_due`] until nothing is due.
    pub async fn drain(&self) -> WebhookResult<Vec<Outcome>> {
        let mut all = Vec::new();
        loop {
            let ran = self.deliver_due().await?;
            if ran.is_empty() {
                return Ok(all);
            }
            all.extend(ran);
        }
    }

    /// The worker loop: keeps up to the bound of endpoints in flight, claims the next head as
    /// soon as one finishes, and otherwise looks again after a short pause. On shutdown it
    /// stops claiming and lets what is in flight finish and be recorded.
    pub async fn run(self, shutdown: crate::shutdown::Shutdown) {
        let done = Arc::new(Notify::new());
        let mut in_flight: JoinSet<()> = JoinSet::new();
        let idle = self
            .config
            .retry_base
            .clamp(StdDuration::from_millis(1), IDLE_POLL);
        loop {
            while in_flight.try_join_next().is_some() {}
            let free = self.concurrency.saturating_sub(in_flight.len());
            let claimed = if free > 0 {
                match self.claim(free).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "webhook worker cannot reach the database");
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let got = !claimed.is_empty();
            for c in claimed {
                let (worker, done) = (self.clone(), done.clone());
                in_flight.spawn(async move {
                    if let Err(e) = worker.attempt(c).await {
                        tracing::error!(error = %e, "could not record a webhook delivery");
                    }
                    done.notify_one();
                });
            }
            if got && in_flight.len() < self.concurrency {
                continue;
            }
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = done.notified() => {}
                _ = tokio::time::sleep(idle) => {}
            }
        }
        while in_flight.join_next().await.is_some() {}
    }
}

/// What an attempt came to on the wire.
struct Sent {
    ok: bool,
    status: Option<i32>,
    error: Option<String>,
    ms: i32,
}

impl Sent {
    fn failed(status: Option<i32>, error: String, ms: i32) -> Sent {
        Sent {
            ok: false,
            status,
            error: Some(error),
            ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_tries_take_about_three_days_by_default() {
        let base = crate::config::DEFAULT_WEBHOOK_RETRY_BASE;
        assert_eq!(backoff(base, 1), Duration::minutes(4));
        assert_eq!(backoff(base, 2), Duration::minutes(12));
        let total: Duration = (1..MAX_ATTEMPTS).map(|n| backoff(base, n)).sum();
        assert!(
            total > Duration::hours(70) && total < Duration::hours(76),
            "{total}"
        );
    }
}
