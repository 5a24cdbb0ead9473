//! Group commit: requests from concurrent callers are gathered while the previous batch is
//! being handled, then handled together (one transaction, a few multi-row statements) instead
//! of one transaction each.
//!
//! There is no timer: a lone request starts at once, so nothing waits at low load; under load a
//! batch holds whatever arrived while the one before it ran. Every statement on SQLite is a hop
//! to its worker thread, so this is what keeps the relay's bookkeeping off the critical path.
use futures::future::BoxFuture;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

/// How often the task steps aside before it takes a batch.
const LINGER_YIELDS: usize = 4;

type Pending<Req, Resp> = (Req, oneshot::Sender<Resp>);

/// Hands requests to one task that runs them in batches; one response per request, in order.
pub struct Batcher<Req, Resp> {
    tx: mpsc::Sender<Pending<Req, Resp>>,
}

impl<Req, Resp> Clone for Batcher<Req, Resp> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

/// Why a batch could not be applied as one (its callers then go one by one).
#[derive(Debug, thiserror::Error)]
pub enum Miss {
    #[error("a row moved while the batch was being applied")]
    Moved,
    #[error(transparent)]
    Service(#[from] super::ServiceError),
}

impl From<sea_orm::DbErr> for Miss {
    fn from(e: sea_orm::DbErr) -> Self {
        Miss::Service(e.into())
    }
}

/// The batch task is gone (the app is stopping, or a batch panicked).
#[derive(Debug, thiserror::Error)]
#[error("the batch task has stopped")]
pub struct BatcherStopped;

impl<Req, Resp> Batcher<Req, Resp>
where
    Req: Send + 'static,
    Resp: Send + 'static,
{
    /// Starts the task. `run` gets up to `max_batch` requests and must return one response per
    /// request, in the same order. The task ends when every handle is dropped.
    pub fn spawn<F>(max_batch: usize, run: F) -> Self
    where
        F: Fn(Vec<Req>) -> BoxFuture<'static, Vec<Resp>> + Send + Sync + 'static,
    {
        Self::spawn_many(1, max_batch, run)
    }

    /// Like [`Batcher::spawn`] with `runners` tasks: while one batch waits on the database (a
    /// PostgreSQL commit waits for its WAL flush), the next can already run. Each runner takes
    /// what is queued when it becomes free.
    pub fn spawn_many<F>(runners: usize, max_batch: usize, run: F) -> Self
    where
        F: Fn(Vec<Req>) -> BoxFuture<'static, Vec<Resp>> + Send + Sync + 'static,
    {
        let max_batch = max_batch.max(1);
        let (tx, rx) = mpsc::channel::<Pending<Req, Resp>>(max_batch * 8);
        let rx = Arc::new(Mutex::new(rx));
        let run = Arc::new(run);
        for _ in 0..runners.max(1) {
            let (rx, run) = (rx.clone(), run.clone());
            tokio::spawn(async move {
                let mut requests = Vec::with_capacity(max_batch);
                let mut replies = Vec::with_capacity(max_batch);
                loop {
                    {
                        let mut rx = rx.lock().await;
                        let Some((request, reply)) = rx.recv().await else {
                            return;
                        };
                        requests.push(request);
                        replies.push(reply);
                        // Let the tasks that are ready right now (callers a moment behind this
                        // one) run and queue theirs; free when nothing else is runnable.
                        for _ in 0..LINGER_YIELDS {
                            tokio::task::yield_now().await;
                        }
                        while requests.len() < max_batch {
                            match rx.try_recv() {
                                Ok((request, reply)) => {
                                    requests.push(request);
                                    replies.push(reply);
                                }
                                Err(_) => break,
                            }
                        }
                    }
                    tracing::trace!(size = requests.len(), "batch");
                    let responses = run(std::mem::take(&mut requests)).await;
                    debug_assert_eq!(responses.len(), replies.len(), "one response per request");
                    // A caller that went away just misses its answer; the work is done anyway.
                    for (reply, response) in replies.drain(..).zip(responses) {
                        let _ = reply.send(response);
                    }
                    replies.clear();
                }
            });
        }
        Self { tx }
    }

    /// Queues a request and waits for its response.
    pub async fn call(&self, request: Req) -> Result<Resp, BatcherStopped> {
        let (reply, response) = oneshot::channel();
        self.tx
            .send((request, reply))
            .await
            .map_err(|_| BatcherStopped)?;
        response.await.map_err(|_| BatcherStopped)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test]
    async fn every_caller_gets_its_own_answer_and_batches_form_under_load() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let batcher = Batcher::spawn(16, move |reqs: Vec<u32>| {
            seen.lock().unwrap().push(reqs.len());
            Box::pin(async move {
                tokio::task::yield_now().await;
                reqs.into_iter().map(|r| r * 2).collect()
            })
        });
        let calls: Vec<_> = (0..200u32)
            .map(|i| {
                let b = batcher.clone();
                tokio::spawn(async move { (i, b.call(i).await.unwrap()) })
            })
            .collect();
        for call in calls {
            let (i, doubled) = call.await.unwrap();
            assert_eq!(doubled, i * 2);
        }
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 200);
        assert!(sizes.iter().all(|&n| (1..=16).contains(&n)));
        assert!(
            sizes.len() < 200,
            "concurrent callers share batches: {sizes:?}"
        );
    }

    #[tokio::test]
    async fn a_lone_request_runs_at_once() {
        let batcher = Batcher::spawn(64, |reqs: Vec<&'static str>| {
            Box::pin(async move { reqs.into_iter().map(str::len).collect() })
        });
        assert_eq!(batcher.call("hello").await.unwrap(), 5);
    }

    #[tokio::test]
    async fn a_panicking_batch_fails_its_callers_instead_of_hanging_them() {
        let batcher: Batcher<u8, u8> =
            Batcher::spawn(4, |_| Box::pin(async move { panic!("boom") }));
        assert!(batcher.call(1).await.is_err());
        assert!(
            batcher.call(2).await.is_err(),
            "the task is gone for later callers too"
        );
    }
}
