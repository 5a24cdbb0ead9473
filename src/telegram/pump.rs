//! The update pump: takes updates from long polling or the webhook endpoint and runs the
//! handler tree on them.
//!
//! Updates of one chat run one after another (a user's messages keep their order) on a task of
//! that chat's own, made when the chat has work; different chats never wait for each other
//! (a fixed set of workers chosen by hashing the chat id made unrelated chats queue behind one
//! another), up to a cap on chats handled at once. Polling
//! confirms an offset to Telegram only after the whole batch was handled, so a crash means
//! redelivery (handlers are idempotent), never loss.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::future::BoxFuture;
use teloxide::{
    dispatching::UpdateHandler,
    prelude::*,
    types::{AllowedUpdate, Update, UpdateKind},
};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::{metrics::Metrics, shutdown::Shutdown};

pub type ErrorReporter<E> = Arc<dyn Fn(Update, E) -> BoxFuture<'static, ()> + Send + Sync>;

struct Work {
    update: Update,
    done: Option<oneshot::Sender<()>>,
}

/// Runs one update through the handler tree.
type Runner = Arc<dyn Fn(Update) -> BoxFuture<'static, ()> + Send + Sync>;

/// The queue of each chat that has work: updates of one chat run in order on its own task;
/// the task ends (and leaves the map) when its queue is empty.
type Queues = Arc<Mutex<HashMap<i64, mpsc::UnboundedSender<Work>>>>;

#[derive(Clone)]
pub struct UpdatePump {
    queues: Queues,
    run: Runner,
    /// At most this many chats are handled at once.
    permits: Arc<Semaphore>,
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
    /// Runs `handler` with `deps` (plus the update itself): one task per chat with work, at
    /// most `concurrency` chats at once.
    pub fn start<E>(
        handler: UpdateHandler<E>,
        deps: DependencyMap,
        metrics: Metrics,
        on_error: ErrorReporter<E>,
        concurrency: usize,
    ) -> Self
    where
        E: std::fmt::Debug + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        let run_metrics = metrics.clone();
        let run: Runner = Arc::new(move |update: Update| {
            let handler = handler.clone();
            let mut input = deps.clone();
            let metrics = run_metrics.clone();
            let on_error = on_error.clone();
            Box::pin(async move {
                let started = Instant::now();
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
            })
        });
        Self {
            queues: Arc::new(Mutex::new(HashMap::new())),
            run,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            metrics,
        }
    }

    /// Queues an update; the receiver fires once it has been handled.
    pub async fn submit(&self, update: Update) -> Result<oneshot::Receiver<()>, PumpClosed> {
        self.metrics.update_received(update_kind(&update));
        if self.permits.is_closed() {
            return Err(PumpClosed);
        }
        let key = chat_key(&update);
        let (tx, rx) = oneshot::channel();
        let work = Work {
            update,
            done: Some(tx),
        };
        let mut queues = self.queues.lock().expect("pump queues lock");
        // The chat's task is running: it takes this after what it has. (It leaves the map
        // only under this lock and only with an empty queue, so the send can't be lost.)
        let work = match queues.get(&key) {
            Some(queue) => match queue.send(work) {
                Ok(()) => return Ok(rx),
                Err(mpsc::error::SendError(work)) => work,
            },
            None => work,
        };
        let (queue, inbox) = mpsc::unbounded_channel();
        queue.send(work).map_err(|_| PumpClosed)?;
        queues.insert(key, queue);
        drop(queues);
        tokio::spawn(chat_task(
            key,
            inbox,
            self.queues.clone(),
            self.run.clone(),
            self.permits.clone(),
        ));
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

/// Works through one chat's queue, then leaves.
async fn chat_task(
    key: i64,
    mut inbox: mpsc::UnboundedReceiver<Work>,
    queues: Queues,
    run: Runner,
    permits: Arc<Semaphore>,
) {
    loop {
        let work = match inbox.try_recv() {
            Ok(work) => work,
            Err(_) => {
                let mut map = queues.lock().expect("pump queues lock");
                // Re-checked under the lock that `submit` sends under.
                match inbox.try_recv() {
                    Ok(work) => work,
                    Err(_) => {
                        map.remove(&key);
                        return;
                    }
                }
            }
        };
        let Ok(_permit) = permits.acquire().await else {
            return;
        };
        run(work.update).await;
        if let Some(done) = work.done {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use super::*;

    fn message(update_id: i32, chat: i64, text: &str) -> Update {
        let message = serde_json::json!({
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "U"},
            "from": {"id": chat, "is_bot": false, "first_name": "U"},
            "text": text,
        });
        // Parsed from text, as updates arrive (the kind can't be read back from a `Value`).
        let body = serde_json::json!({"update_id": update_id, "message": message}).to_string();
        let update: Update = serde_json::from_str(&body).expect("a valid update");
        assert!(matches!(update.kind, UpdateKind::Message(_)));
        update
    }

    type Log = Arc<StdMutex<Vec<String>>>;

    fn pump(log: Log, concurrency: usize) -> UpdatePump {
        let handler: UpdateHandler<std::convert::Infallible> =
            Update::filter_message().endpoint(|msg: Message, log: Log| async move {
                let text = msg.text().unwrap_or_default().to_owned();
                log.lock().unwrap().push(format!("start {text}"));
                if text.starts_with("slow") {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                log.lock().unwrap().push(format!("end {text}"));
                Ok(())
            });
        let on_error: ErrorReporter<std::convert::Infallible> = Arc::new(|_, _| Box::pin(async {}));
        UpdatePump::start(
            handler,
            dptree::deps![log],
            Metrics::default(),
            on_error,
            concurrency,
        )
    }

    #[tokio::test]
    async fn one_chat_runs_in_order_and_never_holds_up_another() {
        let log: Log = Arc::default();
        let pump = pump(log.clone(), 8);
        let mut done = Vec::new();
        done.push(pump.submit(message(1, 10, "slow a1")).await.unwrap());
        done.push(pump.submit(message(2, 10, "a2")).await.unwrap());
        done.push(pump.submit(message(3, 20, "b1")).await.unwrap());
        for rx in done {
            rx.await.unwrap();
        }
        let log = log.lock().unwrap().clone();
        let at = |e: &str| log.iter().position(|l| l == e).unwrap();
        assert!(
            at("end slow a1") < at("start a2"),
            "a chat's updates run in order: {log:?}"
        );
        assert!(
            at("end b1") < at("end slow a1"),
            "another chat did not wait: {log:?}"
        );
    }

    #[tokio::test]
    async fn a_chat_that_went_quiet_gets_a_new_task_for_its_next_update() {
        let log: Log = Arc::default();
        let pump = pump(log.clone(), 1);
        for i in 0..3 {
            pump.submit(message(i, 10, &format!("m{i}")))
                .await
                .unwrap()
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
        assert_eq!(log.lock().unwrap().len(), 6);
        assert!(pump.queues.lock().unwrap().len() <= 1);
    }
}
