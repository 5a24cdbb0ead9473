//! Telegram Bot API emulator.
//!
//! An in-process HTTP server that speaks the Bot API (`/bot{token}/{method}`) well
//! enough for teloxide 0.17, plus a driver API to act as people (send messages,
//! press buttons, join chats, pay invoices) and to observe what the bot did.

mod driver;
mod members;
mod methods;
mod ratelimit;
mod server;
mod state;
mod types;
mod validate;
mod webhook;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, broadcast};

pub use types::{
    AdminRights, ApiCall, Button, CallbackAnswer, Charge, EmulatorConfig, EmulatorError,
    EmulatorLimits, Fault, JoinOutcome, MemberStatus, OutgoingKind, OutgoingMessage,
    PaymentOutcome, Recorded, SUBSCRIPTION_PERIOD, StarSubscriptionCharge, Topic, UserSpec,
};

use members::ChangeCtx;
use state::{ChatKind, ChatRec, MemberRec, UserRec, World, recorded};

pub(crate) struct Inner {
    pub token: String,
    pub addr: SocketAddr,
    pub world: Mutex<World>,
    pub shutdown: AtomicBool,
    pub shutdown_notify: Notify,
    pub server: Mutex<Option<Server>>,
}

/// Where the HTTP server runs, to stop it.
pub(crate) enum Server {
    /// A task of the runtime that started the emulator.
    Task(tokio::task::JoinHandle<()>),
    /// A thread with a runtime of its own: it stops when this is sent (or dropped).
    Thread(tokio::sync::oneshot::Sender<()>),
}

impl Server {
    fn stop(self) {
        match self {
            Server::Task(task) => task.abort(),
            Server::Thread(stop) => {
                let _ = stop.send(());
            }
        }
    }
}

impl Inner {
    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }
}

/// A running emulator. Cheap to clone.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.inner.addr)
            .finish()
    }
}

impl Emulator {
    /// Bind the address and serve the Bot API in the background: a task of the caller's runtime,
    /// or a runtime of its own ([`EmulatorConfig::server_threads`]).
    pub async fn start(cfg: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = std::net::TcpListener::bind(cfg.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            token: cfg.token.clone(),
            addr,
            world: Mutex::new(World::new(
                &cfg.token,
                &cfg.bot_username,
                cfg.enforce_rate_limits,
                cfg.limits,
            )),
            shutdown: AtomicBool::new(false),
            shutdown_notify: Notify::new(),
            server: Mutex::new(None),
        });
        let app = server::router(inner.clone());
        let serve = |listener| async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app).await
        };
        let server = match cfg.server_threads {
            None => Server::Task(tokio::spawn(async move {
                if let Err(e) = serve(listener).await {
                    tracing::warn!(error = %e, "tg-emulator server stopped");
                }
            })),
            Some(threads) => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads.max(1))
                    .thread_name("tg-emulator")
                    .enable_all()
                    .build()?;
                let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
                std::thread::Builder::new()
                    .name("tg-emulator".into())
                    .spawn(move || {
                        runtime.block_on(async move {
                            tokio::select! {
                                r = serve(listener) => if let Err(e) = r {
                                    tracing::warn!(error = %e, "tg-emulator server stopped");
                                },
                                _ = stopped => {}
                            }
                        });
                        // Long polls and webhook deliveries still pending go with the runtime.
                        runtime.shutdown_background();
                    })?;
                Server::Thread(stop)
            }
        };
        *inner.server.lock().expect("server lock") = Some(server);
        tracing::debug!(%addr, "tg-emulator listening");
        Ok(Emulator { inner })
    }

    pub(crate) fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.inner.world.lock().expect("world lock")
    }

    /// `http://127.0.0.1:PORT`; teloxide calls `{api_url}/bot{token}/{method}`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    pub fn token(&self) -> String {
        self.inner.token.clone()
    }

    pub fn bot_id(&self) -> i64 {
        self.world().bot_id
    }

    pub fn bot_username(&self) -> String {
        self.world().bot_username.clone()
    }

    /// Stop the server, pending long polls and webhook delivery.
    pub fn shutdown(&self) {
        self.inner.shutdown.store(true, Ordering::SeqCst);
        self.inner.shutdown_notify.notify_waiters();
        if let Some(server) = self.inner.server.lock().expect("server lock").take() {
            server.stop();
        }
    }

    // ---------------- world set-up ----------------

    /// Add a person; ids are assigned from 1_000_001.
    pub fn add_user(&self, spec: UserSpec) -> i64 {
        let mut w = self.world();
        let id = w.next_user_id;
        w.next_user_id += 1;
        w.users.insert(
            id,
            UserRec {
                id,
                is_bot: false,
                first_name: spec.first_name,
                last_name: spec.last_name,
                username: spec.username,
                language_code: spec.language_code,
                is_premium: spec.is_premium,
                started: false,
                blocked: false,
                deactivated: false,
                dm_allowed_until: 0,
            },
        );
        id
    }

    fn new_public_chat(&self, title: &str, kind: ChatKind, is_forum: bool) -> i64 {
        let mut w = self.world();
        let seq = w.next_group_seq;
        w.next_group_seq += 1;
        let id = match kind {
            ChatKind::Group => -(4_000_000_000 + seq),
            _ => -(1_000_000_000_000 + 2_000_000_000 + seq),
        };
        let mut c = ChatRec::new(id, kind);
        c.title = Some(title.to_owned());
        c.is_forum = is_forum && kind == ChatKind::Supergroup;
        // Message 1 is the (unrecorded) creation service message; in forums thread 1
        // is the General topic.
        c.next_message_id = 2;
        c.members.insert(
            w.bot_id,
            MemberRec {
                status: MemberStatus::Administrator,
                until_date: 0,
                rights: AdminRights::default(),
            },
        );
        w.chats.insert(id, c);
        id
    }

    /// A supergroup (optionally a forum); the bot is an administrator with all rights.
    pub fn create_supergroup(&self, title: &str, is_forum: bool) -> i64 {
        self.new_public_chat(title, ChatKind::Supergroup, is_forum)
    }

    /// A channel; the bot is an administrator.
    pub fn create_channel(&self, title: &str) -> i64 {
        self.new_public_chat(title, ChatKind::Channel, false)
    }

    /// A basic group (can be upgraded with [`Emulator::upgrade_group`]).
    pub fn create_group(&self, title: &str) -> i64 {
        self.new_public_chat(title, ChatKind::Group, false)
    }

    /// Upgrade a basic group to a supergroup; later calls to the old id answer
    /// 400 with `migrate_to_chat_id`. Returns the new id.
    pub fn upgrade_group(&self, chat_id: i64) -> Result<i64, EmulatorError> {
        let new_id = {
            let w = self.world();
            let c = w
                .chats
                .get(&chat_id)
                .ok_or(EmulatorError::UnknownChat(chat_id))?;
            if c.kind != ChatKind::Group {
                return Err(EmulatorError::Invalid("not a basic group".into()));
            }
            c.title.clone().unwrap_or_default()
        };
        let sg = self.create_supergroup(&new_id, false);
        let mut w = self.world();
        let members = w.chats[&chat_id].members.clone();
        w.chats.get_mut(&sg).expect("new chat").members = members;
        w.chats.get_mut(&chat_id).expect("old chat").migrated_to = Some(sg);
        let bot = w.bot_id;
        w.post_service(chat_id, bot, serde_json::json!({"migrate_to_chat_id": sg}));
        w.post_service(
            sg,
            bot,
            serde_json::json!({"migrate_from_chat_id": chat_id}),
        );
        Ok(sg)
    }

    /// Set a public @username for a chat (lets the bot address it as "@name").
    pub fn set_chat_username(&self, chat_id: i64, username: &str) {
        if let Some(c) = self.world().chats.get_mut(&chat_id) {
            c.username = Some(username.trim_start_matches('@').to_owned());
        }
    }

    /// Put a user into a chat with a status (emits chat_member when the bot is admin).
    pub fn add_member(&self, chat_id: i64, user_id: i64, status: MemberStatus) {
        let mut w = self.world();
        if !w.chats.contains_key(&chat_id) {
            return;
        }
        w.change_member(
            chat_id,
            user_id,
            status,
            ChangeCtx {
                service_message: true,
                ..Default::default()
            },
        );
    }

    /// Change the bot's own status (emits my_chat_member). Administrator = all rights.
    pub fn set_bot_rights(&self, chat_id: i64, status: MemberStatus) {
        let rights = AdminRights::default();
        self.set_bot_status(chat_id, status, rights);
    }

    /// Make the bot an administrator with exactly these rights.
    pub fn set_bot_admin_rights(&self, chat_id: i64, rights: AdminRights) {
        self.set_bot_status(chat_id, MemberStatus::Administrator, rights);
    }

    fn set_bot_status(&self, chat_id: i64, status: MemberStatus, rights: AdminRights) {
        let mut w = self.world();
        let bot = w.bot_id;
        let owner = w.chats.get(&chat_id).and_then(|c| {
            c.members
                .iter()
                .find(|(_, m)| m.status == MemberStatus::Creator)
                .map(|(id, _)| *id)
        });
        w.change_member(
            chat_id,
            bot,
            status,
            ChangeCtx {
                actor: owner,
                rights: Some(rights),
                ..Default::default()
            },
        );
    }

    // ---------------- observing ----------------

    /// Every message in the chat, in order (deleted ones left out).
    pub fn messages(&self, chat_id: i64) -> Vec<Recorded> {
        let w = self.world();
        w.chats
            .get(&chat_id)
            .map(|c| {
                c.messages
                    .iter()
                    .filter(|m| !m.deleted)
                    .map(|m| recorded(chat_id, m))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Only the bot's messages, in their current state.
    pub fn bot_messages(&self, chat_id: i64) -> Vec<Recorded> {
        self.messages(chat_id)
            .into_iter()
            .filter(|m| m.from_bot)
            .collect()
    }

    /// One message by id (None when missing or deleted).
    pub fn message(&self, chat_id: i64, message_id: i32) -> Option<Recorded> {
        let w = self.world();
        w.chats
            .get(&chat_id)?
            .msg(message_id)
            .map(|m| recorded(chat_id, m))
    }

    /// The last message the bot has in the chat.
    pub fn last_bot_message(&self, chat_id: i64) -> Option<Recorded> {
        self.bot_messages(chat_id).pop()
    }

    /// Resolves when at least `count` bot messages exist in the chat.
    pub async fn wait_for_bot_messages(
        &self,
        chat_id: i64,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Recorded>, EmulatorError> {
        let notify = self.world().messages_notify.clone();
        let wait = async {
            loop {
                let notified = notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let msgs = self.bot_messages(chat_id);
                if msgs.len() >= count {
                    return msgs;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| EmulatorError::Timeout)
    }

    /// Resolves once the bot made at least `count` calls to `method`
    /// (case-insensitive); returns all calls to it.
    pub async fn wait_for_calls(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<ApiCall>, EmulatorError> {
        let wait = async {
            loop {
                let calls = self.calls_to(method);
                if calls.len() >= count {
                    return calls;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| EmulatorError::Timeout)
    }

    /// Every message the bot sends or edits, live.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Recorded>> {
        self.world().live.subscribe()
    }

    /// Every Bot API call except getUpdates.
    pub fn calls(&self) -> Vec<ApiCall> {
        self.world().calls.clone()
    }

    /// Calls to one method (name compared case-insensitively).
    pub fn calls_to(&self, method: &str) -> Vec<ApiCall> {
        self.world()
            .calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// Live forum topics of a chat.
    pub fn topics(&self, chat_id: i64) -> Vec<Topic> {
        self.world()
            .chats
            .get(&chat_id)
            .map(|c| c.topics.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Invite links of a chat as `ChatInviteLink` JSON (unmasked, with `joined` counts
    /// under the extra key `"x_joined"`).
    pub fn invite_links(&self, chat_id: i64) -> Vec<Value> {
        let w = self.world();
        w.chats
            .get(&chat_id)
            .map(|c| {
                c.links
                    .iter()
                    .map(|l| {
                        let mut v = w.link_json(l, false);
                        v["x_joined"] = serde_json::json!(l.joined);
                        v
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn member_status(&self, chat_id: i64, user: i64) -> Option<MemberStatus> {
        self.world()
            .chats
            .get(&chat_id)
            .and_then(|c| c.members.get(&user))
            .map(|m| m.status)
    }

    /// Users with a pending join request in a chat.
    pub fn join_requests(&self, chat_id: i64) -> Vec<i64> {
        let mut v: Vec<i64> = self
            .world()
            .chats
            .get(&chat_id)
            .map(|c| c.join_requests.keys().copied().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Payments made so far.
    pub fn charges(&self) -> Vec<Charge> {
        self.world().charges.clone()
    }

    /// Commands stored for a scope (`{"type":"default"}` JSON) and language ("" = all).
    pub fn my_commands(&self, scope: &Value, language_code: &str) -> Option<Value> {
        self.world()
            .commands
            .get(&(scope.to_string(), language_code.to_owned()))
            .cloned()
    }

    /// Updates queued and not yet confirmed by the bot.
    pub fn pending_updates(&self) -> usize {
        self.world().updates.len()
    }

    /// Updates handed to the bot (getUpdates or a 2xx webhook answer), each counted once.
    pub fn delivered_update_count(&self) -> u64 {
        self.world().delivered_count
    }

    /// Resolves when every queued update was confirmed.
    pub async fn wait_until_updates_consumed(
        &self,
        timeout: Duration,
    ) -> Result<(), EmulatorError> {
        let wait = async {
            while self.pending_updates() > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| EmulatorError::Timeout)
    }

    // ---------------- faults ----------------

    /// Fail the next `times` calls to `method` ("*" = any method except getUpdates).
    pub fn fail_next(&self, method: &str, fault: Fault, times: u32) {
        if times == 0 {
            return;
        }
        self.world().faults.push((method.to_owned(), fault, times));
    }

    /// Forget the faults still pending: Telegram is back.
    pub fn clear_faults(&self) {
        self.world().faults.clear();
    }

    /// Turn Telegram-like flood limits on or off at runtime.
    pub fn set_rate_limits(&self, enforce: bool) {
        self.world().enforce_rate_limits = enforce;
    }

    /// Change the flood limits at runtime (they apply while limits are enforced). Each bucket
    /// keeps what it has left, cut to its new size, and refills at its new rate from now on.
    pub fn set_limits(&self, limits: EmulatorLimits) {
        self.world().rate.set_limits(limits);
    }

    /// The flood limits in force (or that would be, were they enforced).
    pub fn limits(&self) -> EmulatorLimits {
        self.world().rate.limits()
    }

    /// Whether the bot's messages into private chats, and the calls that sent them, are kept
    /// for [`Self::messages`] and [`Self::calls`] (yes by default). With `false` they are
    /// answered as usual but leave no record (nor reach the live feed): a benchmark sending to
    /// 100,000 people then measures the bot's memory, not the emulator's record of it.
    pub fn keep_private_sends(&self, keep: bool) {
        self.world().keep_private_sends = keep;
    }

    /// The person has pressed Start some time ago: the bot may write to them (a private chat
    /// exists), and no update is made now.
    pub fn open_private_chat(&self, user: i64) {
        let mut w = self.world();
        if let Some(u) = w.users.get_mut(&user) {
            u.started = true;
        }
        w.ensure_private_chat(user);
    }

    /// How many messages the bot sent with `allow_paid_broadcast` that passed the flood
    /// limits (the parameter is in [`Self::calls`] too). Telegram charges Stars for them.
    pub fn paid_broadcast_count(&self) -> u64 {
        self.world().paid_broadcasts
    }

    /// How many 429s the emulator's own flood limits have answered (faults injected with
    /// [`Self::fail_next`] are not counted).
    pub fn rate_limited_count(&self) -> u64 {
        self.world().rate.limited_count()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut s) = self.server.lock()
            && let Some(server) = s.take()
        {
            server.stop();
        }
    }
}
