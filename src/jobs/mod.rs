//! The jobs outbox: durable background work (broadcasts, sweeps, reminders, seller webhooks…).
//!
//! A job is a row. Workers claim due rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! so several replicas share the queue; SQLite runs one process), run the handler registered
//! for the row's kind, and mark it `done`, or `queued` again with back-off, or `dead` after its
//! last attempt. A crash mid-job leaves a `running` row whose lease expires: it runs again, so
//! handlers must be idempotent. Tests drain the queue on demand with [`JobRunner::drain`].
use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, Statement, sea_query::OnConflict,
};
use tokio::sync::Notify;

use crate::{
    clock::SharedClock,
    metrics::Metrics,
    storage::{Db, StorageError, entities::jobs},
};

pub type Job = jobs::Model;

/// What a handler says about a job that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (network, 5xx, 429…).
    #[error("retryable: {0}")]
    Retry(String),
    /// Will never succeed (bad payload, unknown user…): straight to `dead`.
    #[error("permanent: {0}")]
    Permanent(String),
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type Handler = Arc<dyn Fn(Job) -> HandlerFuture + Send + Sync>;

pub struct NewJob {
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    /// At most one job per key ever exists (e.g. `prune:2026-11-21T05`).
    pub dedupe_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn now(kind: &'static str, payload: serde_json::Value, now: DateTime<Utc>) -> Self {
        Self {
            kind,
            payload,
            run_at: now,
            dedupe_key: None,
            max_attempts: 5,
        }
    }
}

/// Adds a job. Returns false when a job with the same dedupe key already exists.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    job: NewJob,
) -> Result<bool, StorageError> {
    Ok(enqueue_many(db, now, [job]).await? == 1)
}

/// Adds jobs in one statement; returns how many were new (the others' dedupe keys exist).
pub async fn enqueue_many(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    jobs: impl IntoIterator<Item = NewJob>,
) -> Result<u64, StorageError> {
    let rows: Vec<jobs::ActiveModel> = jobs.into_iter().map(|job| row(now, job)).collect();
    if rows.is_empty() {
        return Ok(0);
    }
    let n = jobs::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(jobs::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(n)
}

fn row(now: DateTime<Utc>, job: NewJob) -> jobs::ActiveModel {
    jobs::ActiveModel {
        kind: Set(job.kind.to_owned()),
        payload: Set(job.payload.to_string()),
        status: Set("queued".into()),
        dedupe_key: Set(job.dedupe_key),
        run_at: Set(job.run_at),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts.max(1)),
        last_error: Set(None),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Job counts by status, for `/metrics` and the admin status.
pub async fn counts(db: &Db) -> Result<HashMap<String, u64>, StorageError> {
    let mut out = HashMap::new();
    for status in ["queued", "running", "done", "dead"] {
        let n = jobs::Entity::find()
            .filter(jobs::Column::Status.eq(status))
            .count(db)
            .await?;
        out.insert(status.to_owned(), n);
    }
    Ok(out)
}

/// How long a claimed job is ours before another worker may take it over.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);

fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(0, 10));
    chrono::Duration::seconds(secs.min(3600))
}

#[derive(Clone)]
pub struct JobRunner {
    db: Db,
    clock: SharedClock,
    metrics: Metrics,
    handlers: Arc<HashMap<&'static str, Handler>>,
    wake: Arc<Notify>,
}

pub struct JobRunnerBuilder {
    handlers: HashMap<&'static str, Handler>,
}

impl JobRunnerBuilder {
    pub fn handle<F, Fut>(mut self, kind: &'static str, f: F) -> Self
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.handlers
            .insert(kind, Arc::new(move |job| Box::pin(f(job)) as HandlerFuture));
        self
    }

    pub fn build(self, db: Db, clock: SharedClock, metrics: Metrics) -> JobRunner {
        JobRunner {
            db,
            clock,
            metrics,
            handlers: Arc::new(self.handlers),
            wake: Arc::new(Notify::new()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Done(i64),
    Retrying(i64),
    Dead(i64),
}

impl JobRunner {
    pub fn builder() -> JobRunnerBuilder {
        JobRunnerBuilder {
            handlers: HashMap::new(),
        }
    }

    /// Wakes the worker (call after enqueueing something due now).
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    async fn claim(&self) -> Result<Option<Job>, StorageError> {
        let now = self.clock.now();
        let backend = self.db.get_database_backend();
        let lock = match backend {
            DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        // A due queued job, or a running one whose lease ran out (its worker died).
        let query = crate::storage::sql(
            backend,
            &format!(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, \
                 updated_at = $2 WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND \
                 run_at <= $2) OR (status = 'running' AND locked_until < $2) ORDER BY run_at, id \
                 LIMIT 1{lock}) RETURNING *"
            ),
        );
        let stmt =
            Statement::from_sql_and_values(backend, query, [(now + LEASE).into(), now.into()]);
        Ok(Job::find_by_statement(stmt).one(&self.db).await?)
    }

    /// Runs one due job, if there is one.
    pub async fn run_once(&self) -> Result<Option<Ran>, StorageError> {
        let Some(job) = self.claim().await? else {
            return Ok(None);
        };
        let id = job.id;
        let kind = job.kind.clone();
        let attempts = job.attempts;
        let max_attempts = job.max_attempts;
        let result = match self.handlers.get(kind.as_str()) {
            Some(handler) => handler(job).await,
            None => Err(JobError::Permanent(format!(
                "no handler for job kind '{kind}'"
            ))),
        };
        let now = self.clock.now();
        // What happens to the row: done, queued again later, or dead; and the error kept.
        let (ran, status, run_at, last_error) = match result {
            Ok(()) => (Ran::Done(id), "done", None, None),
            Err(err) => {
                let last_attempt =
                    matches!(err, JobError::Permanent(_)) || attempts >= max_attempts;
                tracing::warn!(job_id = id, kind, attempts, error = %err, dead = last_attempt, "job failed");
                if last_attempt {
                    (Ran::Dead(id), "dead", None, Some(err.to_string()))
                } else {
                    let later = now + backoff(attempts);
                    (
                        Ran::Retrying(id),
                        "queued",
                        Some(later),
                        Some(err.to_string()),
                    )
                }
            }
        };
        use sea_orm::sea_query::Expr;
        let mut update = jobs::Entity::update_many()
            .filter(jobs::Column::Id.eq(id))
            .col_expr(jobs::Column::Status, Expr::value(status))
            .col_expr(
                jobs::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
        if let Some(run_at) = run_at {
            update = update.col_expr(jobs::Column::RunAt, Expr::value(run_at));
        }
        if let Some(error) = last_error {
            update = update.col_expr(jobs::Column::LastError, Expr::value(error));
        }
        update.exec(&self.db).await?;
        let outcome = match ran {
            Ran::Done(_) => "done",
            Ran::Retrying(_) => "retry",
            Ran::Dead(_) => "dead",
        };
        self.metrics.job_ran(&kind, outcome);
        Ok(Some(ran))
    }

    /// Runs due jobs until none is left; returns what ran. For tests and the sandbox.
    pub async fn drain(&self) -> Result<Vec<Ran>, StorageError> {
        let mut ran = Vec::new();
        while let Some(r) = self.run_once().await? {
            ran.push(r);
        }
        Ok(ran)
    }

    /// The worker loop: runs due jobs, then sleeps until woken or the poll interval passes.
    pub async fn run(self, shutdown: crate::shutdown::Shutdown) {
        loop {
            match self.run_once().await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "job worker cannot reach the database"),
            }
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}
