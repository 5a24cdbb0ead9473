//! The update pump: takes updates from long polling or the webhook endpoint and runs the
//! handler tree on them.
//!
//! Updates of one chat run one after another (a user's messages keep their order) on a task of
//! that chat's own, made when the chat has work; different chats never wait for each other
//! (a fixed set of workers chosen by hashing the chat id made unrelated chats queue behind one
//! another), up to a cap on chats handled at once. Polling confirms an update to Telegram
//! only after it was handled, so a crash means redelivery (handlers are idempotent), never
//! loss, and keeps polling while earlier updates are handled ([`UpdatePump::run_polling`]).
//!
//! A handler whose remaining work is on record may confirm its update before it is done
//! ([`Confirm`]): the relay does once a message is charged, so a copy that Telegram paces (20
//! messages a minute into one group) holds neither the window nor a concurrency permit.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::{FutureExt, StreamExt, future::BoxFuture};
use teloxide::{
    dispatching::UpdateHandler,
    prelude::*,
    types::{AllowedUpdate, Update, UpdateKind},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::{metrics::Metrics, shutdown::Shutdown};

pub type ErrorReporter<E> = Arc<dyn Fn(Origin, E) -> BoxFuture<'static, ()> + Send + Sync>;

/// What reporting a failed update needs of it, taken before the update goes to the handlers
/// (a deep copy of every update, kept only for the rare failure, cost more than the failures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub update_id: u32,
    /// [`update_kind`].
    pub kind: &'static str,
    /// The private chat it came from, where the person can be told something went wrong.
    pub private_chat: Option<ChatId>,
    /// The sender's language code, as Telegram gave it.
    pub language: Option<String>,
}

impl Origin {
    pub fn of(update: &Update) -> Self {
        Self {
            update_id: update.id.0,
            kind: update_kind(update),
            private_chat: update.chat().filter(|c| c.is_private()).map(|c| c.id),
            language: update.from().and_then(|u| u.language_code.clone()),
        }
    }
}

struct Work {
    update: Update,
    done: Option<oneshot::Sender<()>>,
}

/// Runs one update through the handler tree.
type Runner = Arc<dyn Fn(Update, Confirm) -> BoxFuture<'static, ()> + Send + Sync>;

/// Lets a handler confirm its update before it has finished (every handler gets one).
///
/// Confirming says: what this update still has to do is on record, and will be done even if
/// the process stops now (the relay confirms once the message is charged: the ledger entry is
/// the record, and [`crate::relay::bot::recover`] relays what a stop left behind).
/// From then on the update counts as handled: polling may confirm it to Telegram (a webhook
/// request is answered), and the chat gives back its concurrency permit, so work that waits
/// (Telegram's pacing of a busy group) holds up neither other chats nor new updates. The
/// chat's next update still waits until this one has finished. An update not confirmed by
/// its handler is confirmed when the handler returns, as before.
#[derive(Clone)]
pub struct Confirm(Arc<Mutex<Option<Confirmation>>>);

struct Confirmation {
    done: Option<oneshot::Sender<()>>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl Confirm {
    fn new(done: Option<oneshot::Sender<()>>, permit: Option<OwnedSemaphorePermit>) -> Self {
        Self(Arc::new(Mutex::new(Some(Confirmation {
            done,
            _permit: permit,
        }))))
    }

    /// For handlers run outside the pump (tests): confirming does nothing.
    pub fn detached() -> Self {
        Self::new(None, None)
    }

    /// Confirms the update now (once; later calls do nothing).
    pub fn now(&self) {
        let taken = self.0.lock().expect("confirm lock").take();
        if let Some(Confirmation {
            done: Some(done), ..
        }) = taken
        {
            let _ = done.send(());
        }
    }

    /// Whether the update was confirmed.
    pub fn is_done(&self) -> bool {
        self.0.lock().expect("confirm lock").is_none()
    }
}

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
        let run: Runner = Arc::new(move |update: Update, confirm: Confirm| {
            let handler = handler.clone();
            let mut input = deps.clone();
            let metrics = run_metrics.clone();
            let on_error = on_error.clone();
            Box::pin(async move {
                let started = Instant::now();
                let origin = Origin::of(&update);
                input.insert(update);
                input.insert(confirm.clone());
                match handler.dispatch(input).await {
                    std::ops::ControlFlow::Break(Ok(())) => {}
                    std::ops::ControlFlow::Break(Err(err)) => on_error(origin, err).await,
                    std::ops::ControlFlow::Continue(_) => {
                        tracing::debug!(
                            update_id = origin.update_id,
                            kind = origin.kind,
                            "no handler took this update"
                        );
                    }
                }
                metrics.update_handled(started.elapsed());
                confirm.now();
            })
        });
        Self {
            queues: Arc::new(Mutex::new(HashMap::new())),
            run,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            metrics,
        }
    }

    /// Queues an update; the receiver fires once it has been handled (or its handler confirmed
    /// it: [`Confirm`]).
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

    /// Waits until no chat has work, at most `grace`; true if none has.
    pub async fn idle_within(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        loop {
            if self.queues.lock().expect("pump queues lock").is_empty() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Long polling until shutdown, with a window of updates in flight.
    ///
    /// getUpdates confirms every update below the offset it is called with, so the offset
    /// stays at the oldest update not yet handled: nothing is confirmed before it was handled,
    /// and a crash means redelivery (handlers are idempotent), never loss. Telegram answers
    /// from that offset, so updates still in flight come back with the new ones; they are
    /// recognised by id and skipped. The next poll goes out once at most a quarter of a batch
    /// is left in the window ([`POLL_AT`]), so the end of one batch overlaps with fetching the
    /// next; and one slow update ([`SLOW_UPDATE`]) no longer stops polling: updates keep
    /// flowing behind it until a whole batch's worth has piled up behind it (Telegram answers
    /// from the oldest update not confirmed, so the window can't reach past that).
    pub async fn run_polling(
        self,
        bot: Bot,
        allowed: Vec<AllowedUpdate>,
        poll_timeout: Duration,
        shutdown: Shutdown,
    ) {
        let mut window = Window::default();
        let mut failures: u32 = 0;
        'poll: loop {
            // Poll when the window has room (Telegram answers from its old end, up to a
            // batch) and is due. After a poll that brought nothing new, wait for a handler to
            // finish, or a while (growing) so that new updates behind a slow one are not held
            // up for long.
            loop {
                let busy = window.refresh();
                let room = window.len() < POLL_LIMIT;
                let slow_at = window.slow_at();
                let slow = slow_at.is_some_and(|at| at <= Instant::now());
                // Normally once the window has (nearly) emptied, so batches stay whole; behind
                // a slow update, as soon as few others are still being handled.
                let due = window.len() <= POLL_AT || (slow && busy <= POLL_AT);
                if room && due && (window.stalled == 0 || busy == 0) {
                    break;
                }
                let retry = STALLED_RETRY * (1 << window.stalled.min(4));
                let slow_at = slow_at.unwrap_or_else(Instant::now);
                tokio::select! {
                    _ = shutdown.wait() => break 'poll,
                    _ = window.one_handled() => window.stalled = 0,
                    _ = tokio::time::sleep(retry), if room && window.stalled > 0 => break,
                    _ = tokio::time::sleep_until(slow_at.into()), if room && !slow => {}
                }
            }
            let timeout = if window.len() == 0 {
                poll_timeout.as_secs() as u32
            } else {
                0
            };
            let request = bot
                .get_updates()
                .offset(window.offset())
                .limit(POLL_LIMIT as u8)
                .timeout(timeout)
                .allowed_updates(allowed.clone());
            let phase = tracing::debug_span!(
                target: crate::timeline::TARGET,
                crate::timeline::POLL,
                scope = crate::timeline::scope_of(&bot.api_url())
            );
            let result = tokio::select! {
                _ = shutdown.wait() => break,
                r = request.send() => r,
            };
            drop(phase);
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
            let mut fresh = 0;
            for update in updates {
                let id = update.id.0 as i32;
                if !window.is_new(id) {
                    continue; // in flight or handled, not yet confirmed
                }
                match self.submit(update).await {
                    Ok(rx) => window.push(id, rx),
                    Err(PumpClosed) => return,
                }
                fresh += 1;
            }
            window.stalled = if fresh == 0 { window.stalled + 1 } else { 0 };
        }
        // Let what is in flight finish (for a while), then tell Telegram what was handled, so
        // a restart does not see it again; what was not is sent again after the restart.
        if !window.finish_within(SHUTDOWN_GRACE).await {
            tracing::warn!(
                in_flight = window.len(),
                "updates still being handled at shutdown; Telegram will send them again"
            );
        }
        // Work confirmed before it was done (a paced relay copy) gets a moment to finish;
        // what does not is on record and is done after the restart.
        if !self.idle_within(CONFIRMED_GRACE).await {
            tracing::info!(
                "confirmed work still running at shutdown; it resumes after the restart"
            );
        }
        if window.offset() > 0 {
            let _ = bot
                .get_updates()
                .offset(window.offset())
                .timeout(0)
                .limit(1)
                .send()
                .await;
        }
    }
}

/// The most updates one getUpdates answers with (Telegram's maximum).
const POLL_LIMIT: usize = 100;

/// Poll again once no more than this many updates are left in the window. Each poll brings the
/// window's updates again (Telegram answers from the oldest one not confirmed), and they cost
/// parsing on both ends for nothing: a quarter of a batch keeps that small while the next batch
/// is still fetched before the window runs dry.
const POLL_AT: usize = POLL_LIMIT / 4;

/// How soon to poll again when the last poll brought nothing new while updates are in flight
/// (Telegram answers at once with those, so a long poll can't wait for new ones); doubled for
/// each such poll in a row, up to 16 times.
const STALLED_RETRY: Duration = Duration::from_millis(25);

/// An update still being handled this long after it was polled is slow: the pump then polls
/// past it as soon as few others are busy, instead of waiting for the window to empty (which
/// keeps the batches whole, and the database prefers whole batches).
const SLOW_UPDATE: Duration = Duration::from_millis(250);

/// How long a stopping pump waits for the updates in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// How long a stopping pump then waits for work its handlers confirmed before finishing it.
const CONFIRMED_GRACE: Duration = Duration::from_secs(2);

/// The updates polled and not yet confirmed, oldest first.
#[derive(Default)]
struct Window {
    /// Update ids in order, each with whether it was handled and when it was polled.
    flight: std::collections::VecDeque<(i32, bool, Instant)>,
    /// The handlers' answers, each resolving to its update's id.
    busy: futures::stream::FuturesUnordered<BoxFuture<'static, i32>>,
    /// One past the newest update id handed to the pump.
    next: i32,
    /// Polls in a row that brought nothing new.
    stalled: u32,
}

impl Window {
    fn len(&self) -> usize {
        self.flight.len()
    }

    /// What to confirm: the oldest update not yet handled (or the next to come).
    fn offset(&self) -> i32 {
        self.flight.front().map_or(self.next, |(id, _, _)| *id)
    }

    fn is_new(&self, id: i32) -> bool {
        id >= self.next
    }

    fn push(&mut self, id: i32, done: oneshot::Receiver<()>) {
        self.next = id + 1;
        self.flight.push_back((id, false, Instant::now()));
        // A closed channel counts as handled too: the handler's task is gone (it panicked and
        // was reported); waiting would hold the window forever and redelivery would only
        // repeat it.
        self.busy.push(Box::pin(async move {
            let _ = done.await;
            id
        }));
    }

    fn handled(&mut self, id: i32) {
        if let Ok(at) = self.flight.binary_search_by_key(&id, |(id, _, _)| *id) {
            self.flight[at].1 = true;
        }
        while self.flight.front().is_some_and(|(_, handled, _)| *handled) {
            self.flight.pop_front();
        }
    }

    /// When the oldest update still being handled counts as slow (it was polled
    /// [`SLOW_UPDATE`] ago), or None when nothing is in flight.
    fn slow_at(&self) -> Option<Instant> {
        self.flight
            .front()
            .map(|(_, _, polled)| *polled + SLOW_UPDATE)
    }

    /// Takes in the handlers that have finished and returns how many are still busy.
    fn refresh(&mut self) -> usize {
        while let Some(Some(id)) = self.busy.next().now_or_never() {
            self.handled(id);
        }
        self.busy.len()
    }

    /// Resolves once another update is handled (never, when none is being handled).
    async fn one_handled(&mut self) {
        match self.busy.next().await {
            Some(id) => self.handled(id),
            None => std::future::pending().await,
        }
    }

    /// Waits for everything in flight, at most `grace`; true if all of it was handled. What
    /// is left stays in the window (and unconfirmed).
    async fn finish_within(&mut self, grace: Duration) -> bool {
        let all = async {
            while self.refresh() > 0 {
                self.one_handled().await;
            }
        };
        tokio::time::timeout(grace, all).await.is_ok()
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
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        // The permit goes back when the update is confirmed, which may be before it is done.
        run(work.update, Confirm::new(work.done, Some(permit))).await;
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
    async fn a_failed_update_is_reported_with_where_it_came_from() {
        let handler: UpdateHandler<String> =
            Update::filter_message().endpoint(|msg: Message| async move {
                Err(format!("failed on {}", msg.text().unwrap_or_default()))
            });
        let reports: Arc<StdMutex<Vec<(Origin, String)>>> = Arc::default();
        let sink = reports.clone();
        let on_error: ErrorReporter<String> = Arc::new(move |origin, err| {
            sink.lock().unwrap().push((origin, err));
            Box::pin(async {})
        });
        let pump = UpdatePump::start(
            handler,
            DependencyMap::new(),
            Metrics::default(),
            on_error,
            8,
        );
        let from = serde_json::json!({"id": 10, "is_bot": false, "first_name": "U",
            "language_code": "ru"});
        let private = serde_json::json!({"update_id": 5, "message": {"message_id": 1,
            "date": 1_700_000_000, "chat": {"id": 10, "type": "private", "first_name": "U"},
            "from": from, "text": "one"}});
        let group = serde_json::json!({"update_id": 6, "message": {"message_id": 2,
            "date": 1_700_000_000, "chat": {"id": -100, "type": "supergroup", "title": "G"},
            "from": from, "text": "two"}});
        for body in [private, group] {
            let update: Update = serde_json::from_str(&body.to_string()).expect("an update");
            pump.submit(update).await.unwrap().await.unwrap();
        }
        let reports = reports.lock().unwrap().clone();
        assert_eq!(
            reports,
            vec![
                (
                    Origin {
                        update_id: 5,
                        kind: "message",
                        private_chat: Some(ChatId(10)),
                        language: Some("ru".into()),
                    },
                    "failed on one".to_owned()
                ),
                (
                    Origin {
                        update_id: 6,
                        kind: "message",
                        private_chat: None,
                        language: Some("ru".into()),
                    },
                    "failed on two".to_owned()
                ),
            ]
        );
    }

    /// A pump on the emulator whose handler logs each text and holds "slow" ones until
    /// `release` has a permit.
    fn gated_pump(log: Log, release: Arc<Semaphore>) -> UpdatePump {
        let handler: UpdateHandler<std::convert::Infallible> = Update::filter_message().endpoint(
            |msg: Message, log: Log, release: Arc<Semaphore>| async move {
                let text = msg.text().unwrap_or_default().to_owned();
                if text.starts_with("slow") {
                    release.acquire().await.expect("open").forget();
                }
                log.lock().unwrap().push(text);
                Ok(())
            },
        );
        let on_error: ErrorReporter<std::convert::Infallible> = Arc::new(|_, _| Box::pin(async {}));
        UpdatePump::start(
            handler,
            dptree::deps![log, release],
            Metrics::default(),
            on_error,
            128,
        )
    }

    /// Long polling with [`gated_pump`] on its own task, and the trigger that stops it.
    fn spawn_polling(
        bot: Bot,
        log: Log,
        release: Arc<Semaphore>,
    ) -> (crate::shutdown::Trigger, tokio::task::JoinHandle<()>) {
        let (trigger, shutdown) = crate::shutdown::channel();
        let polling = tokio::spawn(gated_pump(log, release).run_polling(
            bot,
            vec![AllowedUpdate::Message],
            Duration::from_secs(1),
            shutdown,
        ));
        (trigger, polling)
    }

    async fn until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_slow_update_holds_no_one_else_and_is_confirmed_only_once_handled() {
        use tg_emulator::{Emulator, EmulatorConfig, UserSpec};

        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let bot = Bot::new(emu.token()).set_api_url(emu.api_url().parse().unwrap());
        let users: Vec<i64> = (0..3)
            .map(|i| {
                emu.add_user(UserSpec {
                    first_name: format!("U{i}"),
                    ..UserSpec::default()
                })
            })
            .collect();
        // One slow update first, then more than a getUpdates batch from others.
        emu.send_text(users[0], users[0], "slow one").unwrap();
        for i in 0..150 {
            let user = users[1 + i % 2];
            emu.send_text(user, user, &format!("m{i}")).unwrap();
        }

        let log: Log = Arc::default();
        let release = Arc::new(Semaphore::new(0));
        let (trigger, polling) = spawn_polling(bot.clone(), log.clone(), release.clone());
        // The window's old end is stuck on the slow update: what fits behind it (a batch less
        // the slow one) is handled meanwhile, and nothing is confirmed.
        until("the rest of the first batch is handled", || {
            log.lock().unwrap().len() == POLL_LIMIT - 1
        })
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(log.lock().unwrap().len(), POLL_LIMIT - 1);
        assert_eq!(
            emu.pending_updates(),
            151,
            "nothing confirmed before it was handled"
        );

        // A crash now: the next process gets the slow update again, and everything after it.
        polling.abort();
        let _ = polling.await;
        assert_eq!(emu.pending_updates(), 151);

        let log: Log = Arc::default();
        let (trigger2, polling) = spawn_polling(bot, log.clone(), release.clone());
        until("the rest of the first batch is handled again", || {
            log.lock().unwrap().len() == POLL_LIMIT - 1
        })
        .await;
        // (Two: the first pump's handler is still waiting too; an abort leaves its tasks.)
        release.add_permits(2);
        until("everything is handled", || log.lock().unwrap().len() == 151).await;
        trigger2.fire();
        polling.await.unwrap();
        drop(trigger);

        // Each update once, although Telegram sent the ones in flight again with every poll;
        // a chat's updates in order.
        let log = log.lock().unwrap().clone();
        let unique: std::collections::HashSet<&String> = log.iter().collect();
        assert_eq!(unique.len(), 151, "an update was handled twice: {log:?}");
        let second: Vec<&String> = log
            .iter()
            .filter(|t| t[1..].parse::<usize>().is_ok_and(|i| i % 2 == 0))
            .collect();
        let expected: Vec<String> = (0..150).step_by(2).map(|i| format!("m{i}")).collect();
        assert_eq!(second, expected.iter().collect::<Vec<_>>());
        until("everything is confirmed", || emu.pending_updates() == 0).await;
    }

    #[tokio::test]
    async fn updates_keep_flowing_behind_a_slow_one_until_a_batch_has_piled_up() {
        use tg_emulator::{Emulator, EmulatorConfig, UserSpec};

        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let bot = Bot::new(emu.token()).set_api_url(emu.api_url().parse().unwrap());
        let (slow, other) = (
            emu.add_user(UserSpec::default()),
            emu.add_user(UserSpec::default()),
        );
        let send = |from: usize, to: usize| {
            for i in from..to {
                emu.send_text(other, other, &format!("m{i}")).unwrap();
            }
        };
        emu.send_text(slow, slow, "slow one").unwrap();
        send(0, 30);
        let log: Log = Arc::default();
        let release = Arc::new(Semaphore::new(0));
        let (trigger, polling) = spawn_polling(bot, log.clone(), release.clone());
        let handled = |n: usize| {
            let log = log.clone();
            move || log.lock().unwrap().len() == n
        };
        until("the first 30 are handled", handled(30)).await;
        // More than a quarter of a batch sits unconfirmed behind the slow update; new ones
        // still come in and are handled…
        send(30, 60);
        until("30 more are handled behind the slow one", handled(60)).await;
        // …until a batch's worth (the slow one and 99 behind it) fills the window.
        send(60, 110);
        until("the window is full", handled(99)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(log.lock().unwrap().len(), 99);
        assert_eq!(
            emu.pending_updates(),
            111,
            "nothing confirmed behind the slow one"
        );

        release.add_permits(1);
        until("everything is handled", handled(111)).await;
        until("everything is confirmed", || emu.pending_updates() == 0).await;
        trigger.fire();
        polling.await.unwrap();
        let log = log.lock().unwrap().clone();
        let mut expected: Vec<String> = (0..110).map(|i| format!("m{i}")).collect();
        expected.insert(99, "slow one".into());
        assert_eq!(log, expected, "each update once, in order per chat");
    }

    #[tokio::test]
    async fn a_stopping_window_confirms_only_what_was_handled() {
        let mut window = Window::default();
        let (done1, rx1) = oneshot::channel();
        let (_stuck, rx2) = oneshot::channel::<()>();
        let (done3, rx3) = oneshot::channel();
        window.push(7, rx1);
        window.push(8, rx2);
        window.push(9, rx3);
        done1.send(()).unwrap();
        done3.send(()).unwrap();
        assert!(window.is_new(10) && !window.is_new(9));
        assert!(!window.finish_within(Duration::from_millis(50)).await);
        // 7 is handled; 8 is not, so neither it nor 9 behind it is confirmed.
        assert_eq!(window.offset(), 8);
        assert_eq!(window.len(), 2);

        let mut empty = Window::default();
        assert!(empty.finish_within(Duration::from_millis(50)).await);
        assert_eq!(empty.offset(), 0);
    }

    #[tokio::test]
    async fn a_confirmed_update_frees_its_slot_and_permit_but_still_holds_its_chat() {
        let log: Log = Arc::default();
        let release = Arc::new(Semaphore::new(0));
        let handler: UpdateHandler<std::convert::Infallible> = Update::filter_message().endpoint(
            |msg: Message, log: Log, release: Arc<Semaphore>, confirm: Confirm| async move {
                let text = msg.text().unwrap_or_default().to_owned();
                log.lock().unwrap().push(format!("start {text}"));
                if text.starts_with("early") {
                    confirm.now();
                    assert!(confirm.is_done());
                    release.acquire().await.expect("open").forget();
                }
                log.lock().unwrap().push(format!("end {text}"));
                Ok(())
            },
        );
        let on_error: ErrorReporter<std::convert::Infallible> = Arc::new(|_, _| Box::pin(async {}));
        // One chat at a time.
        let pump = UpdatePump::start(
            handler,
            dptree::deps![log.clone(), release.clone()],
            Metrics::default(),
            on_error,
            1,
        );
        let logged = |e: &str| log.lock().unwrap().iter().any(|l| l == e);

        // Confirmed while its handler still waits.
        pump.submit(message(1, 10, "early a1"))
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(logged("start early a1") && !logged("end early a1"));
        // Its permit is back: another chat runs meanwhile, although only one may at a time.
        pump.submit(message(2, 20, "b1"))
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(logged("end b1") && !logged("end early a1"));
        // Its own chat waits for it to finish.
        let next = pump.submit(message(3, 10, "a2")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!logged("start a2"), "a chat's updates stay in order");
        assert!(!pump.idle_within(Duration::from_millis(50)).await);

        release.add_permits(1);
        next.await.unwrap();
        let log = log.lock().unwrap().clone();
        let at = |e: &str| log.iter().position(|l| l == e).unwrap();
        assert!(at("end early a1") < at("start a2"), "{log:?}");
        assert!(pump.idle_within(Duration::from_secs(5)).await);
    }

    #[test]
    fn confirming_twice_or_outside_the_pump_is_harmless() {
        let (done, mut rx) = oneshot::channel();
        let confirm = Confirm::new(Some(done), None);
        assert!(!confirm.is_done());
        confirm.clone().now();
        confirm.now();
        assert!(confirm.is_done());
        assert_eq!(rx.try_recv(), Ok(()));
        let detached = Confirm::detached();
        detached.now();
        assert!(detached.is_done());
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
