//! The update pump: takes updates from long polling or the webhook endpoint and runs the
//! handler tree on them.
//!
//! Updates of one chat run one after another (a user's messages keep their order); different
//! chats run concurrently on a fixed set of workers, chosen by hashing the chat id. Polling
//! confirms an offset to Telegram only after the whole batch was handled, so a crash means
//! redelivery (handlers are idempotent), never loss.
use std::{
    hash::{Hash, Hasher},
    sync::Arc,
    time::{Duration, Instant},
};

use futures::future::BoxFuture;
use teloxide::{
    dispatching::UpdateHandler,
    prelude::*,
    types::{AllowedUpdate, Update, UpdateKind},
};
use tokio::sync::{mpsc, oneshot};

use crate::{metrics::Metrics, shutdown::Shutdown};

pub type ErrorReporter<E> = Arc<dyn Fn(Update, E) -> BoxFuture<'static, ()> + Send + Sync>;

struct Work {
    update: Update,
    done: Option<oneshot::Sender<()>>,
}

#[derive(Clone)]
pub struct UpdatePump {
    workers: Arc<Vec<mpsc::Sender<Work>>>,
    metrics: Metrics,
}

#[derive(Debug, thiserror::Error)]
#[error("the update pump is shut down")]
pub struct PumpClosed;

/// A stable name for an update's kind (metrics, logs).
pub fn update_kind(update: &Update) -> &'static str {
    match &update.kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::ChannelPost(_) => "channel_post",
        UpdateKind::EditedChannelPost(_) => "edited_channel_post",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::InlineQuery(_) => "inline_query",
        UpdateKind::PreCheckoutQuery(_) => "pre_checkout_query",
        UpdateKind::ShippingQuery(_) => "shipping_query",
        UpdateKind::ChatMember(_) => "chat_member",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        UpdateKind::ChatJoinRequest(_) => "chat_join_request",
        UpdateKind::Error(_) => "unparsed",
        _ => "other",
    }
}

fn chat_key(update: &Update) -> i64 {
    update
        .chat()
        .map(|c| c.id.0)
        .or_else(|| update.from().map(|u| u.id.0 as i64))
        .unwrap_or(0)
}

impl UpdatePump {
    /// Starts `workers` workers that run `handler` with `deps` (plus the update itself).
    pub fn start<E>(
        handler: UpdateHandler<E>,
        deps: DependencyMap,
        metrics: Metrics,
        on_error: ErrorReporter<E>,
        workers: usize,
    ) -> Self
    where
        E: std::fmt::Debug + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        let mut senders = Vec::with_capacity(workers);
        for _ in 0..workers.max(1) {
            let (tx, mut rx) = mpsc::channel::<Work>(256);
            senders.push(tx);
            let handler = handler.clone();
            let deps = deps.clone();
            let metrics = metrics.clone();
            let on_error = on_error.clone();
            tokio::spawn(async move {
                while let Some(Work { update, done }) = rx.recv().await {
                    let started = Instant::now();
                    let mut input = deps.clone();
                    input.insert(update.clone());
                    match handler.dispatch(input).await {
                        std::ops::ControlFlow::Break(Ok(())) => {}
                        std::ops::ControlFlow::Break(Err(err)) => on_error(update, err).await,
                        std::ops::ControlFlow::Continue(_) => {
                            tracing::debug!(
                                update_id = update.id.0,
                                kind = update_kind(&update),
                                "no handler took this update"
                            );
                        }
                    }
                    metrics.update_handled(started.elapsed());
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                }
            });
        }
        Self {
            workers: Arc::new(senders),
            metrics,
        }
    }

    /// Queues an update; the receiver fires once it has been handled.
    pub async fn submit(&self, update: Update) -> Result<oneshot::Receiver<()>, PumpClosed> {
        self.metrics.update_received(update_kind(&update));
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        chat_key(&update).hash(&mut hasher);
        let worker = &self.workers[(hasher.finish() as usize) % self.workers.len()];
        let (tx, rx) = oneshot::channel();
        worker
            .send(Work {
                update,
                done: Some(tx),
            })
            .await
            .map_err(|_| PumpClosed)?;
        Ok(rx)
    }

    /// Long polling until shutdown.
    pub async fn run_polling(
        self,
        bot: Bot,
        allowed: Vec<AllowedUpdate>,
        poll_timeout: Duration,
        shutdown: Shutdown,
    ) {
        let mut offset: i32 = 0;
        let mut failures: u32 = 0;
        loop {
            let request = bot
                .get_updates()
                .offset(offset)
                .timeout(poll_timeout.as_secs() as u32)
                .allowed_updates(allowed.clone());
            let result = tokio::select! {
                _ = shutdown.wait() => break,
                r = request.send() => r,
            };
            let updates = match result {
                Ok(u) => {
                    failures = 0;
                    u
                }
                Err(e) => {
                    failures += 1;
                    let pause = Duration::from_millis(500 * (1 << failures.min(6)));
                    tracing::warn!(error = %e, ?pause, "getUpdates failed");
                    tokio::select! {
                        _ = shutdown.wait() => break,
                        _ = tokio::time::sleep(pause) => continue,
                    }
                }
            };
            let mut pending = Vec::with_capacity(updates.len());
            for update in updates {
                offset = offset.max(update.id.0 as i32 + 1);
                match self.submit(update).await {
                    Ok(rx) => pending.push(rx),
                    Err(PumpClosed) => return,
                }
            }
            for rx in pending {
                let _ = rx.await;
            }
        }
        // Tell Telegram what we handled, so a restart does not see it again.
        if offset > 0 {
            let _ = bot
                .get_updates()
                .offset(offset)
                .timeout(0)
                .limit(1)
                .send()
                .await;
        }
    }
}
