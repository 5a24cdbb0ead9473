//! Builds the app from a [`Config`] and runs it: the HTTP server, the update pump (polling or
//! webhook), the job worker and the campaign runner, all under one shutdown signal.
use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Duration,
};

use teloxide::{prelude::*, types::Me};
use tokio::net::TcpListener;

use crate::{
    bot::{
        self, DialogueStorage,
        dialogue_storage::{DbStorage, DialogueStorageError, RedisStorage},
    },
    clock::{SharedClock, SystemClock},
    config::{Config, ConfigError},
    context::AppCtx,
    http::{self, HttpState},
    jobs::{self, JobError, JobRunner, NewJob},
    metrics::Metrics,
    shutdown::Shutdown,
    storage::{self, StorageError},
    telegram::{self, ALLOWED_UPDATES, RateLimits, Telegram, UpdatePump},
    {billing::settlements::Settler, relay::gate::RelayGate, services::events, services::settings},
};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The database `DATABASE_URL` names cannot be reached (a configuration error: exit 2).
    #[error("DATABASE_URL: {0}")]
    Database(StorageError),
    #[error("HTTP_ADDR: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("REDIS_URL: {0}")]
    Redis(#[from] DialogueStorageError),
    #[error("the HTTP server stopped: {0}")]
    Server(#[source] std::io::Error),
}

/// What tests, the sandbox and the benchmark may change; production uses the defaults.
#[derive(Clone)]
pub struct AppOptions {
    pub clock: SharedClock,
    /// Telegram's sending limits; None sends unpaced (emulator, tests, benchmark).
    pub limits: Option<RateLimits>,
    /// Long-polling timeout.
    pub poll_timeout: Duration,
    /// Chats whose updates are handled at once (each chat in order).
    pub workers: usize,
    /// Prefix of Redis keys, so several apps can share one Redis (tests do).
    pub redis_prefix: String,
    /// How long a Bot API call may take before the client gives up on its answer.
    pub telegram_timeout: Duration,
    /// Timeouts and the connection cap of the HTTP server.
    pub http: http::ServerLimits,
    /// Where the log's error events are counted (`main` attaches its layer).
    pub errors: crate::errors_log::ErrorLog,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            limits: Some(RateLimits::default()),
            poll_timeout: Duration::from_secs(25),
            workers: 128,
            redis_prefix: "tollgate:".into(),
            telegram_timeout: telegram::CLIENT_TIMEOUT,
            http: http::ServerLimits::default(),
            errors: crate::errors_log::ErrorLog::default(),
        }
    }
}

pub struct App {
    ctx: AppCtx,
    opts: AppOptions,
    listener: TcpListener,
    http_state: HttpState,
    dialogues: Arc<DialogueStorage>,
}

/// A running app's handles, for tests and the sandbox.
#[derive(Clone)]
pub struct AppHandle {
    pub ctx: AppCtx,
    pub http_addr: SocketAddr,
    pub me: Arc<OnceLock<Me>>,
}

pub const PRUNE_UPDATES_JOB: &str = "prune_processed_updates";

fn job_runner(
    db: storage::Db,
    clock: SharedClock,
    metrics: Metrics,
    tg: Telegram,
    default_locale: crate::i18n::Locale,
    app: Arc<OnceLock<AppCtx>>,
) -> JobRunner {
    let (prune_db, prune_clock) = (db.clone(), clock.clone());
    let (remind_db, remind_clock) = (db.clone(), clock.clone());
    let notice_app = app.clone();
    let (link_app, remove_app, remind_app) = (app.clone(), app.clone(), app.clone());
    let (webhook_app, card_app, connect_app) = (app.clone(), app.clone(), app.clone());
    let (dunning_app, plan_app) = (app.clone(), app.clone());
    let (invoice_send_app, invoice_remind_app, invoice_paid_app) =
        (app.clone(), app.clone(), app.clone());
    let (order_app, invoice_refund_app) = (app.clone(), app.clone());
    JobRunner::builder()
        .handle(crate::messaging::orders::MESSAGE_JOB, move |job| {
            crate::messaging::order_notify::run(order_app.clone(), job)
        })
        .handle(crate::sellers::card::NOTICE_JOB, move |job| {
            crate::sellers::bot::run_job(card_app.clone(), job)
        })
        .handle(crate::sellers::connect::NOTICE_JOB, move |job| {
            crate::sellers::bot::run_job(connect_app.clone(), job)
        })
        .handle(crate::sellers::recurring::DUNNING_JOB, move |job| {
            crate::sellers::bot::run_job(dunning_app.clone(), job)
        })
        .handle(crate::sellers::platform_card::NOTICE_JOB, move |job| {
            crate::sellers::bot::run_job(plan_app.clone(), job)
        })
        .handle(crate::sellers::webhooks::DISABLED_JOB, move |job| {
            crate::sellers::bot::run_job(webhook_app.clone(), job)
        })
        .handle(crate::sellers::access::ISSUE_LINK_JOB, move |job| {
            crate::sellers::bot::run_job(link_app.clone(), job)
        })
        .handle(crate::sellers::access::REMOVE_JOB, move |job| {
            crate::sellers::bot::run_job(remove_app.clone(), job)
        })
        .handle(crate::sellers::access::REMIND_JOB, move |job| {
            crate::sellers::bot::run_job(remind_app.clone(), job)
        })
        .handle(crate::billing::recharge::JOB, move |job| {
            crate::billing::recharge::run(app.clone(), job)
        })
        .handle(crate::billing::notices::JOB, move |job| {
            crate::delivery::notify::run_notice(notice_app.clone(), job)
        })
        .handle(crate::billing::passes::REMINDER_JOB, move |job| {
            bot::reminders::pass_reminder(
                remind_db.clone(),
                tg.clone(),
                remind_clock.clone(),
                default_locale,
                job,
            )
        })
        .handle(crate::messaging::invoices::SEND_JOB, move |job| {
            crate::messaging::invoice_notify::run_job(invoice_send_app.clone(), job)
        })
        .handle(crate::messaging::invoices::REMIND_JOB, move |job| {
            crate::messaging::invoice_notify::run_job(invoice_remind_app.clone(), job)
        })
        .handle(crate::messaging::invoices::PAID_JOB, move |job| {
            crate::messaging::invoice_notify::run_job(invoice_paid_app.clone(), job)
        })
        .handle(crate::messaging::invoices::REFUND_JOB, move |job| {
            crate::messaging::invoice_notify::run_job(invoice_refund_app.clone(), job)
        })
        .handle(PRUNE_UPDATES_JOB, move |_job| {
            let (db, clock) = (prune_db.clone(), prune_clock.clone());
            async move {
                let hours = settings::get(&db, &settings::UPDATE_DEDUPE_HOURS)
                    .await
                    .map_err(|e| JobError::Retry(e.to_string()))?;
                let before = clock.now() - chrono::Duration::hours(hours.max(1));
                let n = events::prune(&db, events::EventSource::TelegramUpdate, before)
                    .await
                    .map_err(|e| JobError::Retry(e.to_string()))?;
                tracing::debug!(removed = n, "pruned remembered update ids");
                Ok(())
            }
        })
        .build(db, clock, metrics)
}

impl App {
    /// Builds the app listening on `HTTP_ADDR`.
    pub async fn build(config: Config, opts: AppOptions) -> Result<App, AppError> {
        let listener = TcpListener::bind(config.http_addr)
            .await
            .map_err(|source| AppError::Bind {
                addr: config.http_addr,
                source,
            })?;
        Self::build_on(config, opts, listener).await
    }

    /// Builds the app on a listener the caller bound (tests bind port 0 first, so that they
    /// know the address before the app is configured, e.g. for `PUBLIC_URL`).
    pub async fn build_on(
        config: Config,
        opts: AppOptions,
        listener: TcpListener,
    ) -> Result<App, AppError> {
        let token = config.require_bot_token()?.clone();
        let db = storage::connect(config.database_url.expose())
            .await
            .map_err(|e| match e {
                StorageError::Connect(_) => AppError::Database(e),
                other => AppError::Storage(other),
            })?;
        // Claims a crash left half-done: let the sender's redelivery through (Telegram resends
        // an update we never answered; Stripe retries an event we never acknowledged).
        for source in [
            events::EventSource::TelegramUpdate,
            events::EventSource::Stripe,
        ] {
            let released = events::release_interrupted(&db, source)
                .await
                .map_err(|e| match e {
                    crate::services::ServiceError::Storage(s) => s,
                    other => StorageError::Corrupt(other.to_string()),
                })?;
            if released > 0 {
                tracing::warn!(
                    released,
                    source = source.as_str(),
                    "released events interrupted by the last shutdown"
                );
            }
        }
        let metrics = Metrics::default();
        let bot = telegram::build_bot(
            token.expose(),
            &config.telegram_api_url,
            opts.telegram_timeout,
        );
        let tg = Telegram::new(bot, metrics.clone(), opts.limits);
        // Jobs that need the whole context get it once it exists.
        let app_cell: Arc<OnceLock<AppCtx>> = Arc::new(OnceLock::new());
        let jobs = job_runner(
            db.clone(),
            opts.clock.clone(),
            metrics.clone(),
            tg.clone(),
            config.default_locale,
            app_cell.clone(),
        );
        let dialogues: Arc<DialogueStorage> = match &config.redis_url {
            Some(url) => teloxide::dispatching::dialogue::Storage::erase(
                RedisStorage::<bot::State>::open(url.expose(), &opts.redis_prefix).await?,
            ),
            None => teloxide::dispatching::dialogue::Storage::erase(DbStorage::<bot::State>::new(
                db.clone(),
                opts.clock.clone(),
            )),
        };
        let telegram_webhook_secret = config
            .public_url
            .as_ref()
            .and(config.telegram_webhook_secret.clone());
        let stripe = match config
            .stripe
            .as_ref()
            .and_then(|s| Some((s.secret_key.as_ref()?, &s.api_base)))
        {
            Some((key, base)) => Some(
                stripe::ClientBuilder::new(key.expose())
                    .url(base.as_str())
                    .build()
                    .map_err(|e| ConfigError {
                        variable: "STRIPE_API_BASE",
                        problem: e.to_string(),
                    })?,
            ),
            None => None,
        };
        let admins = Arc::new(crate::admin::AdminAccess::new(
            config.admin_chat_ids.clone(),
            config.admin_user_ids.clone(),
        ));
        let backlog = Arc::new(crate::relay::backlog::Backlog::default());
        backlog.load(&db).await?;
        let drafting = crate::sellers::drafts::Drafting::load(&db)
            .await
            .map_err(|e| match e {
                crate::services::ServiceError::Storage(s) => s,
                other => StorageError::Corrupt(other.to_string()),
            })?;
        let api_limits = match &config.redis_url {
            Some(url) => {
                crate::sellers::api_keys::RateLimiter::redis(url.expose(), &opts.redis_prefix)
                    .await
                    .map_err(|e| ConfigError {
                        variable: "REDIS_URL",
                        problem: e.to_string(),
                    })?
            }
            None => crate::sellers::api_keys::RateLimiter::local(),
        };
        let sealer = match &config.encryption_key {
            Some(key) => Some(
                crate::services::sealing::Sealer::from_base64(key.expose()).map_err(|e| {
                    ConfigError {
                        variable: "ENCRYPTION_KEY",
                        problem: e.to_string(),
                    }
                })?,
            ),
            None => None,
        };
        let webhooks = crate::sellers::webhooks::worker::Worker::new(
            db.clone(),
            opts.clock.clone(),
            config.webhooks,
            jobs.clone(),
        )
        .with_sealer(sealer.clone());
        let ctx = AppCtx {
            sealer,
            api_limits,
            api_stats: Default::default(),
            usage: Default::default(),
            webhooks,
            drafting,
            backlog,
            admins,
            stripe,
            relay_gate: RelayGate::start(db.clone(), opts.clock.clone()),
            settler: Settler::start(db.clone(), opts.clock.clone()),
            db,
            started_at: opts.clock.now(),
            instance: uuid::Uuid::new_v4().simple().to_string().into(),
            clock: opts.clock.clone(),
            config: Arc::new(config),
            metrics,
            tg,
            jobs,
            errors: opts.errors.clone(),
            me: Arc::new(OnceLock::new()),
        };
        let _ = app_cell.set(ctx.clone());
        let http_state = HttpState {
            ctx: ctx.clone(),
            me: ctx.me.clone(),
            pump: Arc::new(OnceLock::new()),
            telegram_webhook_secret,
            limits: opts.http,
        };
        Ok(App {
            ctx,
            opts,
            listener,
            http_state,
            dialogues,
        })
    }

    pub fn handle(&self) -> AppHandle {
        AppHandle {
            ctx: self.ctx.clone(),
            http_addr: self
                .listener
                .local_addr()
                .expect("a bound listener has an address"),
            me: self.http_state.me.clone(),
        }
    }

    pub async fn run(self, shutdown: Shutdown) -> Result<(), AppError> {
        let App {
            ctx,
            opts,
            listener,
            http_state,
            dialogues,
        } = self;
        let started = ctx.now();
        let addr = listener.local_addr().map_err(AppError::Server)?;
        tracing::info!(%addr, "HTTP server listening");
        let server = {
            let shutdown = shutdown.clone();
            let router = http::router(http_state.clone());
            tokio::spawn(http::serve(listener, router, opts.http, shutdown))
        };
        let worker = tokio::spawn(ctx.jobs.clone().run(shutdown.clone()));
        let campaigns = tokio::spawn(crate::delivery::campaigns::runner::run(
            ctx.clone(),
            shutdown.clone(),
        ));
        // One drainer per admin group: the configured ones, and any other a user still has
        // messages waiting for.
        let mut groups: Vec<i64> = ctx.config.admin_chat_ids.clone();
        match crate::relay::backlog::groups(&ctx.db).await {
            Ok(waiting) => groups.extend(waiting),
            Err(e) => tracing::error!(error = %e, "could not read the relay backlog"),
        }
        groups.sort_unstable();
        groups.dedup();
        let drainers: Vec<_> = groups
            .into_iter()
            .map(|chat| {
                tokio::spawn(crate::relay::copy::run_backlog(
                    ctx.clone(),
                    chat,
                    shutdown.clone(),
                ))
            })
            .collect();
        let scheduler = tokio::spawn(schedule_housekeeping(ctx.clone(), shutdown.clone()));
        let sweeper = tokio::spawn(crate::sellers::bot::run_sweeper(
            ctx.clone(),
            shutdown.clone(),
        ));
        let webhook_worker = tokio::spawn(ctx.webhooks.clone().run(shutdown.clone()));
        let meter = tokio::spawn(flush_usage(ctx.clone(), shutdown.clone()));
        let drips = tokio::spawn(crate::messaging::drip_runner::run(
            ctx.clone(),
            shutdown.clone(),
        ));

        if let Some(me) = identify(&ctx, &shutdown).await {
            tracing::info!(bot = %me.username(), "connected to the Bot API");
            let _ = http_state.me.set(me.clone());
            if let Err(e) = telegram::register_commands(
                &ctx.tg,
                ctx.config.default_locale,
                &ctx.config
                    .admin_chat_ids
                    .iter()
                    .copied()
                    .map(ChatId)
                    .collect::<Vec<_>>(),
            )
            .await
            {
                tracing::warn!(error = %e, "could not set the command menus");
            }
            // Messages charged before the last stop and never relayed: their updates were
            // confirmed, so Telegram won't send them again. In the background: a paced
            // admin group may take a while.
            let recovering = ctx.clone();
            tokio::spawn(async move {
                if let Err(e) = crate::relay::copy::recover(&recovering, started).await {
                    tracing::warn!(error = %e, "could not relay what was charged before the stop");
                }
            });
            let deps = bot::dependencies(ctx.clone(), me, dialogues);
            bot::type_check(&deps);
            let pump = UpdatePump::start(
                bot::schema(),
                deps,
                ctx.metrics.clone(),
                bot::error_reporter(ctx.clone()),
                opts.workers,
            );
            let raw_bot = ctx.tg.bot().clone();
            match ctx.config.telegram_webhook_url() {
                Some(url) => {
                    let secret = ctx
                        .config
                        .telegram_webhook_secret
                        .clone()
                        .expect("config guarantees a secret with PUBLIC_URL");
                    let _ = http_state.pump.set(pump);
                    register_webhook(&ctx, url, secret.expose(), &shutdown).await;
                    shutdown.wait().await;
                }
                None => {
                    if let Err(e) = ctx.tg.call(raw_bot.delete_webhook()).await {
                        tracing::warn!(error = %e, "deleteWebhook failed; polling anyway");
                    }
                    pump.run_polling(
                        raw_bot,
                        ALLOWED_UPDATES.to_vec(),
                        opts.poll_timeout,
                        shutdown.clone(),
                    )
                    .await;
                }
            }
        }
        shutdown.wait().await;
        let _ = worker.await;
        let _ = campaigns.await;
        for drainer in drainers {
            let _ = drainer.await;
        }
        let _ = scheduler.await;
        let _ = sweeper.await;
        let _ = webhook_worker.await;
        let _ = meter.await;
        let _ = drips.await;
        match server.await {
            Ok(result) => result.map_err(AppError::Server),
            Err(join) => Err(AppError::Server(std::io::Error::other(join))),
        }
    }
}

/// `getMe` until it answers (the Bot API may be down at start; `/readyz` says so meanwhile).
async fn identify(ctx: &AppCtx, shutdown: &Shutdown) -> Option<Me> {
    let mut pause = Duration::from_millis(500);
    loop {
        match ctx.tg.call(ctx.tg.bot().get_me()).await {
            Ok(me) => return Some(me),
            Err(e) => {
                tracing::error!(error = %e, ?pause, "getMe failed; is BOT_TOKEN right and the Bot API reachable?")
            }
        }
        tokio::select! {
            _ = shutdown.wait() => return None,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

async fn register_webhook(ctx: &AppCtx, url: url::Url, secret: &str, shutdown: &Shutdown) {
    let mut pause = Duration::from_millis(500);
    loop {
        let req = ctx
            .tg
            .bot()
            .set_webhook(url.clone())
            .secret_token(secret.to_owned())
            .allowed_updates(ALLOWED_UPDATES.to_vec());
        match ctx.tg.call(req).await {
            Ok(_) => {
                tracing::info!(%url, "webhook registered");
                return;
            }
            Err(e) => tracing::error!(error = %e, "setWebhook failed"),
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

/// Writes the API calls counted in memory every second, and once more at shutdown.
async fn flush_usage(ctx: AppCtx, shutdown: Shutdown) {
    loop {
        let stopping = tokio::select! {
            _ = shutdown.wait() => true,
            _ = tokio::time::sleep(Duration::from_secs(1)) => false,
        };
        if let Err(e) = ctx.usage.flush(&ctx.db).await {
            tracing::warn!(error = %e, "could not write the API usage counts");
        }
        if stopping {
            return;
        }
    }
}

/// Hourly chores, enqueued as jobs so that only one replica runs each.
async fn schedule_housekeeping(ctx: AppCtx, shutdown: Shutdown) {
    loop {
        let now = ctx.now();
        let job = NewJob {
            dedupe_key: Some(format!("{PRUNE_UPDATES_JOB}:{}", now.format("%Y-%m-%dT%H"))),
            ..NewJob::now(PRUNE_UPDATES_JOB, serde_json::json!({}), now)
        };
        match jobs::enqueue(&ctx.db, now, job).await {
            Ok(true) => ctx.jobs.notify(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not schedule housekeeping"),
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}
