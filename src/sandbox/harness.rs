//! The whole product wired to the built-in doubles: the Telegram Bot API emulator and the
//! Stripe double. `tollgate sandbox` starts it; so do the integration tests and the benchmark.
use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use stripe_double::{StripeDouble, StripeDoubleConfig};
use tg_emulator::{Emulator, EmulatorConfig, MemberStatus, UserSpec};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
    app::{App, AppError, AppHandle, AppOptions},
    clock::{SharedClock, SystemClock},
    config::{Config, RawConfig},
    shutdown::{self, Trigger},
    telegram,
};

pub const STRIPE_KEY: &str = "sk_test_tollgate_sandbox";
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_tollgate_sandbox";
pub const TELEGRAM_WEBHOOK_SECRET: &str = "tollgate-sandbox-secret";

pub struct HarnessOptions {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// Webhook mode (`PUBLIC_URL` = the app's own address) instead of long polling.
    pub webhook: bool,
    /// Start the Stripe double and configure Stripe against it.
    pub stripe: bool,
    /// Create a supergroup with one operator and make it `ADMIN_CHAT_ID`.
    pub admin_group: bool,
    /// ...with topics turned on (the recommended set-up).
    pub admin_forum: bool,
    /// How many admin groups (the operator administers each; users are spread over them).
    pub admin_groups: usize,
    pub http_addr: SocketAddr,
    pub clock: SharedClock,
    /// Telegram's sending limits (None: unpaced, as the emulator enforces none by default).
    pub limits: Option<telegram::RateLimits>,
    pub workers: usize,
    pub emulator: EmulatorConfig,
    /// How long the app's Bot API client waits for an answer.
    pub telegram_timeout: Duration,
    pub http: crate::http::ServerLimits,
    /// `BROADCAST_RATE` (campaign messages a second); None: the default.
    pub broadcast_rate: Option<f64>,
    /// `PAID_BROADCAST_RATE`; None: the default.
    pub paid_broadcast_rate: Option<f64>,
    /// `WEBHOOK_ALLOW_LOCAL`: sellers' webhooks may go to local addresses (test receivers).
    pub webhook_allow_local: bool,
    /// `WEBHOOK_RETRY_BASE` (e.g. `50ms`); None: the default.
    pub webhook_retry_base: Option<String>,
    /// `ENCRYPTION_KEY` (base64 of 32 bytes): seals sellers' own Stripe keys; None: unset, so
    /// `/payouts` offers no own-key mode.
    pub encryption_key: Option<String>,
}

impl HarnessOptions {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            redis_url: None,
            redis_prefix: "tollgate:".into(),
            webhook: false,
            stripe: true,
            admin_group: true,
            admin_forum: true,
            admin_groups: 1,
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: Arc::new(SystemClock),
            limits: None,
            workers: 128,
            emulator: EmulatorConfig::default(),
            telegram_timeout: telegram::CLIENT_TIMEOUT,
            http: crate::http::ServerLimits::default(),
            broadcast_rate: None,
            paid_broadcast_rate: None,
            webhook_allow_local: false,
            webhook_retry_base: None,
            encryption_key: None,
        }
    }
}

pub struct Harness {
    pub emulator: Emulator,
    pub stripe: Option<StripeDouble>,
    pub app: AppHandle,
    /// The (first) admin forum group and its operator, when `admin_group` was asked for.
    pub admin_chat_id: Option<i64>,
    /// Every admin group.
    pub admin_chat_ids: Vec<i64>,
    pub operator_id: Option<i64>,
    trigger: Trigger,
    task: JoinHandle<Result<(), AppError>>,
    config: Config,
    app_opts: AppOptions,
}

impl Harness {
    pub async fn start(opts: HarnessOptions) -> anyhow::Result<Harness> {
        let emulator = Emulator::start(opts.emulator.clone())
            .await
            .context("starting the Telegram emulator")?;
        let (admin_chat_ids, operator_id) = if opts.admin_group {
            let operator = emulator.add_user(UserSpec {
                first_name: "Olga".into(),
                username: Some("olga_operator".into()),
                language_code: Some("en".into()),
                ..UserSpec::default()
            });
            let groups: Vec<i64> = (0..opts.admin_groups.max(1))
                .map(|i| {
                    let title = match i {
                        0 => "Tollgate Admins".to_owned(),
                        n => format!("Tollgate Admins {}", n + 1),
                    };
                    let group = emulator.create_supergroup(&title, opts.admin_forum);
                    emulator.add_member(group, operator, MemberStatus::Administrator);
                    group
                })
                .collect();
            (groups, Some(operator))
        } else {
            (Vec::new(), None)
        };
        let admin_chat_id = admin_chat_ids.first().copied();
        let stripe = if opts.stripe {
            Some(
                StripeDouble::start(StripeDoubleConfig {
                    webhook_secret: STRIPE_WEBHOOK_SECRET.into(),
                    api_key: Some(STRIPE_KEY.into()),
                    ..StripeDoubleConfig::default()
                })
                .await
                .context("starting the Stripe double")?,
            )
        } else {
            None
        };
        let listener = TcpListener::bind(opts.http_addr)
            .await
            .with_context(|| format!("binding {}", opts.http_addr))?;
        let addr = listener.local_addr()?;
        let raw = RawConfig {
            bot_token: Some(emulator.token()),
            telegram_api_url: Some(emulator.api_url()),
            database_url: Some(opts.database_url.clone()),
            redis_url: opts.redis_url.clone(),
            admin_chat_id: (!admin_chat_ids.is_empty()).then(|| {
                admin_chat_ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            }),
            telegram_limits: Some("off".into()),
            broadcast_rate: opts.broadcast_rate.map(|r| r.to_string()),
            paid_broadcast_rate: opts.paid_broadcast_rate.map(|r| r.to_string()),
            admin_user_ids: operator_id.map(|id| id.to_string()),
            http_addr: Some(addr.to_string()),
            public_url: opts.webhook.then(|| format!("http://{addr}")),
            telegram_webhook_secret: opts.webhook.then(|| TELEGRAM_WEBHOOK_SECRET.to_owned()),
            stripe_secret_key: stripe.as_ref().map(|_| STRIPE_KEY.to_owned()),
            stripe_webhook_secret: stripe.as_ref().map(|_| STRIPE_WEBHOOK_SECRET.to_owned()),
            stripe_api_base: stripe.as_ref().map(StripeDouble::base_url),
            webhook_allow_local: Some(opts.webhook_allow_local.to_string()),
            webhook_retry_base: opts.webhook_retry_base.clone(),
            encryption_key: opts.encryption_key.clone(),
            ..RawConfig::default()
        };
        if let Some(stripe) = &stripe {
            stripe.set_webhook_url(&format!("http://{addr}/webhooks/stripe"));
        }
        let config = Config::from_raw(&raw)?;
        let app_opts = AppOptions {
            clock: opts.clock.clone(),
            limits: opts.limits,
            poll_timeout: Duration::from_secs(10),
            workers: opts.workers,
            redis_prefix: opts.redis_prefix.clone(),
            telegram_timeout: opts.telegram_timeout,
            http: opts.http,
            errors: Default::default(),
        };
        StoppedHarness {
            emulator,
            stripe,
            admin_chat_id,
            admin_chat_ids,
            operator_id,
            config,
            app_opts,
        }
        .launch(listener)
        .await
    }

    /// Waits until the app knows its bot identity and listens for updates.
    async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.app.me.get().is_some() {
                // In webhook mode the emulator must also have the webhook before users act.
                let webhook_ready = self.app.ctx.config.public_url.is_none()
                    || !self.emulator.calls_to("setWebhook").is_empty();
                let polling_ready = self.app.ctx.config.public_url.is_some()
                    || !self.emulator.calls_to("deleteWebhook").is_empty();
                if webhook_ready && polling_ready {
                    return Ok(());
                }
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the app did not become ready within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Adds a person to the emulated world.
    pub fn add_user(&self, first_name: &str, language: &str) -> i64 {
        self.emulator.add_user(UserSpec {
            first_name: first_name.into(),
            username: Some(first_name.to_lowercase()),
            language_code: Some(language.into()),
            ..UserSpec::default()
        })
    }

    /// Stops the app and leaves the emulator and the Stripe double up, with what they hold;
    /// [`StoppedHarness::start_app`] starts a new process of the app in them.
    pub async fn stop_app(self) -> anyhow::Result<StoppedHarness> {
        self.trigger.fire();
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .context("the app did not stop within 15 s")???;
        Ok(StoppedHarness {
            emulator: self.emulator,
            stripe: self.stripe,
            admin_chat_id: self.admin_chat_id,
            admin_chat_ids: self.admin_chat_ids,
            operator_id: self.operator_id,
            config: self.config,
            app_opts: self.app_opts,
        })
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.trigger.fire();
        let result = tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .context("the app did not stop within 15 s")?;
        self.emulator.shutdown();
        if let Some(stripe) = &self.stripe {
            stripe.shutdown();
        }
        result??;
        Ok(())
    }
}

/// A harness whose app was stopped ([`Harness::stop_app`]): the emulator and the Stripe double
/// still run, with what they hold.
pub struct StoppedHarness {
    pub emulator: Emulator,
    pub stripe: Option<StripeDouble>,
    admin_chat_id: Option<i64>,
    admin_chat_ids: Vec<i64>,
    operator_id: Option<i64>,
    config: Config,
    app_opts: AppOptions,
}

impl StoppedHarness {
    /// Starts a new process of the app on the same database, address, Telegram and Stripe (as
    /// after a restart or a crash that lost nothing but memory).
    pub async fn start_app(self) -> anyhow::Result<Harness> {
        let listener = TcpListener::bind(self.config.http_addr)
            .await
            .with_context(|| format!("binding {} again", self.config.http_addr))?;
        self.launch(listener).await
    }

    /// Starts the app on `listener` and waits until it is ready.
    async fn launch(self, listener: TcpListener) -> anyhow::Result<Harness> {
        let app = App::build_on(self.config.clone(), self.app_opts.clone(), listener).await?;
        let handle = app.handle();
        let (trigger, shutdown) = shutdown::channel();
        let task = tokio::spawn(app.run(shutdown));
        let harness = Harness {
            emulator: self.emulator,
            stripe: self.stripe,
            app: handle,
            admin_chat_id: self.admin_chat_id,
            admin_chat_ids: self.admin_chat_ids,
            operator_id: self.operator_id,
            trigger,
            task,
            config: self.config,
            app_opts: self.app_opts,
        };
        harness.wait_ready(Duration::from_secs(15)).await?;
        Ok(harness)
    }
}
