//! `spawn_app()` and typed helpers: the real app on port 0, a fresh database, the Telegram
//! emulator and the Stripe double.
use std::{
    collections::HashMap,
    io::Write,
    sync::{Mutex, Once},
    time::Duration,
};

use tempfile::TempDir;
use tg_emulator::{Emulator, Recorded};
use tollgate::{
    i18n::Locale,
    sandbox::{Harness, HarnessOptions},
    storage::Db,
};
use tollgate_testkit::{HarnessExt, ScratchDatabase};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static PG_SKIP_NOTICE: Once = Once::new();
static REDIS_SKIP_NOTICE: Once = Once::new();

/// Written straight to the process's stderr (not through the test harness's capture), so the
/// skip is visible in every `cargo test` run.
fn loud(line: &str) {
    let _ = writeln!(std::io::stderr(), "\n!!! {line}\n");
}

/// `TEST_DATABASE_URL`, or None with a loud notice that PostgreSQL tests are skipped.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            PG_SKIP_NOTICE.call_once(|| {
                loud("PostgreSQL tests SKIPPED: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test to run them")
            });
            None
        }
    }
}

/// `TEST_REDIS_URL`, or None with a loud notice that Redis tests are skipped.
pub fn redis_url() -> Option<String> {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            REDIS_SKIP_NOTICE.call_once(|| {
                loud("Redis tests SKIPPED: set TEST_REDIS_URL=redis://127.0.0.1:6379 to run them")
            });
            None
        }
    }
}

/// A fresh, migrated database of the given kind (None: PostgreSQL not configured).
pub struct TestDb {
    pub url: String,
    scratch: Option<ScratchDatabase>,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Some(TestDb {
                    url,
                    scratch: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let server = postgres_url()?;
                let scratch = ScratchDatabase::create(&server, "tollgate_test")
                    .await
                    .expect("creating a scratch PostgreSQL database");
                Some(TestDb {
                    url: scratch.url.clone(),
                    scratch: Some(scratch),
                    _dir: None,
                })
            }
        }
    }

    pub async fn connect(&self) -> Db {
        tollgate::storage::connect(&self.url)
            .await
            .expect("connecting to the test database")
    }

    pub async fn drop_now(self) {
        if let Some(s) = self.scratch {
            let _ = s.drop_now().await;
        }
    }
}

pub struct TestApp {
    pub h: Harness,
    pub http: reqwest::Client,
    read: Mutex<HashMap<i64, usize>>,
    db: Option<TestDb>,
}

/// The app on SQLite in polling mode.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Backend::Sqlite, |_| {})
        .await
        .expect("SQLite is always there")
}

/// The app on `backend`, with options tweaked by `tweak`. None when PostgreSQL is asked for
/// but not configured.
pub async fn spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut HarnessOptions),
) -> Option<TestApp> {
    let db = TestDb::new(backend).await?;
    let mut opts = HarnessOptions::new(db.url.clone());
    tweak(&mut opts);
    let h = Harness::start(opts).await.expect("the app starts");
    Some(TestApp {
        h,
        http: reqwest::Client::new(),
        read: Mutex::new(HashMap::new()),
        db: Some(db),
    })
}

impl TestApp {
    pub fn emu(&self) -> &Emulator {
        &self.h.emulator
    }

    pub fn db(&self) -> &Db {
        &self.h.app.ctx.db
    }

    pub fn url(&self, path: &str) -> String {
        self.h.http_url(path)
    }

    pub fn user(&self, first_name: &str, language: &str) -> i64 {
        self.h.add_user(first_name, language)
    }

    /// The user writes `text` to the bot in their private chat.
    pub fn say(&self, user: i64, text: &str) {
        self.emu()
            .send_text(user, user, text)
            .expect("the emulator takes the message");
    }

    /// The next bot message in `chat` that this test has not looked at yet.
    pub async fn next_message(&self, chat: i64) -> Recorded {
        self.try_next_message(chat)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Self::next_message`], with an error instead of a panic.
    pub async fn try_next_message(&self, chat: i64) -> Result<Recorded, String> {
        let seen = self.read_count(chat);
        let all = self
            .emu()
            .wait_for_bot_messages(chat, seen + 1, Duration::from_secs(15))
            .await
            .map_err(|e| format!("no bot message #{} in chat {chat}: {e}", seen + 1))?;
        self.read.lock().unwrap().insert(chat, seen + 1);
        Ok(all[seen].clone())
    }

    /// How many bot messages of `chat` this test has looked at.
    pub fn read_count(&self, chat: i64) -> usize {
        *self.read.lock().unwrap().get(&chat).unwrap_or(&0)
    }

    /// The text of the next bot message to `chat`.
    pub async fn next_text(&self, chat: i64) -> String {
        self.next_message(chat)
            .await
            .body()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until every update the emulator has queued was handled by the app.
    pub async fn settle(&self) {
        self.emu()
            .wait_until_updates_consumed(Duration::from_secs(15))
            .await
            .expect("the app consumes its updates");
        let delivered = self.emu().delivered_update_count();
        self.h
            .wait_handled(delivered)
            .await
            .expect("the app handles what it was given");
    }

    /// Waits (up to two seconds) until the drip runner has recorded the steps it sent: it
    /// writes a step's outcome with the rest of its round, just after the message reaches
    /// Telegram, so a count read right after the message arrived could miss it.
    pub async fn drips_recorded(&self) {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        use tollgate::storage::entities::drip_sends;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while tokio::time::Instant::now() < deadline {
            let in_flight = drip_sends::Entity::find()
                .filter(drip_sends::Column::Outcome.eq("sending"))
                .count(self.db())
                .await
                .unwrap_or(0);
            if in_flight == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How many bot messages `chat` has in total.
    pub fn bot_message_count(&self, chat: i64) -> usize {
        self.emu().bot_messages(chat).len()
    }

    pub async fn drain_jobs(&self) -> Vec<tollgate::jobs::Ran> {
        self.h.app.ctx.jobs.drain().await.expect("jobs run")
    }

    /// Stops the app and starts it again on the same database and Telegram.
    pub async fn restart(mut self) -> TestApp {
        let db = self.db.take();
        let h = self.h.restart().await.expect("the app restarts");
        TestApp {
            h,
            http: self.http,
            read: self.read,
            db,
        }
    }

    /// Runs the jobs that are due until none is due or running: the app's own worker takes
    /// jobs too, so a job it holds is waited for (notices of payment events are jobs).
    pub async fn finish_jobs(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            self.drain_jobs().await;
            let counts = tollgate::jobs::counts(self.db()).await.unwrap();
            if counts.get("running").copied().unwrap_or(0) == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "jobs still running: {counts:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn stop(mut self) {
        let db = self.db.take();
        self.h.stop().await.expect("the app stops cleanly");
        if let Some(db) = db {
            db.drop_now().await;
        }
    }
}

/// What a reply renders to, for comparing against what the emulator received.
pub fn render(reply: tollgate::bot::Reply, locale: Locale) -> String {
    reply.render(locale)
}

/// Runs `$scenario(app)` on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, |_| {})
                    .await
                    .unwrap();
                super::$scenario(app).await
            }

            #[tokio::test]
            async fn on_postgres() {
                if let Some(app) =
                    $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, |_| {})
                        .await
                {
                    super::$scenario(app).await
                }
            }
        }
    };
}

impl TestApp {
    pub fn admin_chat(&self) -> i64 {
        self.h.admin_chat_id.expect("an admin group")
    }

    pub fn operator(&self) -> i64 {
        self.h.operator_id.expect("an operator")
    }

    /// A user who pressed Start and read the welcome.
    pub async fn started_user(&self, first_name: &str, language: &str) -> i64 {
        let id = self.user(first_name, language);
        self.say(id, "/start");
        self.next_message(id).await;
        id
    }

    /// The forum topic of `user` in the admin group, as the app recorded it.
    pub async fn topic_of(&self, user: i64) -> Option<i32> {
        tollgate::relay::threads::topic_of_user(self.db(), user)
            .await
            .unwrap()
            .map(|t| t.thread_id)
    }

    /// The operator writes `text` in `user`'s topic.
    pub async fn answer_in_topic(&self, user: i64, text: &str) -> i32 {
        let thread = self.topic_of(user).await.expect("the user has a topic");
        self.emu()
            .send(
                self.operator(),
                self.admin_chat(),
                tg_emulator::OutgoingMessage::text(text).in_thread(thread),
            )
            .unwrap()
    }

    /// Copies of `user`'s messages the bot made in the admin group.
    pub fn copies_from(&self, user: i64) -> Vec<Recorded> {
        self.emu()
            .bot_messages(self.admin_chat())
            .into_iter()
            .filter(|m| m.copied_from.is_some_and(|(chat, _)| chat == user))
            .collect()
    }

    /// What the bot wrote in `user`'s topic (cards, copies, notes), in order.
    pub async fn topic_messages(&self, user: i64) -> Vec<Recorded> {
        let thread = self.topic_of(user).await;
        self.emu()
            .bot_messages(self.admin_chat())
            .into_iter()
            .filter(|m| m.thread_id == thread && m.kind != "forum_topic_created")
            .collect()
    }

    pub async fn balance(&self, user: i64) -> i64 {
        tollgate::accounts::credits::balance(self.db(), user)
            .await
            .unwrap()
    }

    pub async fn ledger_sum(&self, user: i64) -> i64 {
        tollgate::accounts::credits::ledger_sum(self.db(), user)
            .await
            .unwrap()
    }

    pub async fn set(&self, key: &str, value: &str) {
        tollgate::services::settings::set_from_text(self.db(), self.h.app.ctx.now(), key, value)
            .await
            .unwrap()
            .unwrap();
    }
}

impl TestApp {
    /// Waits until the bot has sent `text` to `chat` at least `times` times (messages that
    /// background jobs send arrive on their own schedule).
    pub async fn wait_for_text(&self, chat: i64, text: &str, times: usize) {
        let emu = self.emu().clone();
        let found = tokio::time::timeout(Duration::from_secs(15), async {
            loop {
                let n = emu
                    .bot_messages(chat)
                    .iter()
                    .filter(|m| m.body() == Some(text))
                    .count();
                if n >= times {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        let all: Vec<String> = self
            .emu()
            .bot_messages(chat)
            .iter()
            .filter_map(|m| m.body().map(str::to_owned))
            .collect();
        assert!(
            found.is_ok(),
            "{text:?} not sent {times} time(s) to {chat}: {all:#?}"
        );
    }
}

impl TestApp {
    /// `user` sends `/buy10`; the id of the Checkout session that opened.
    pub async fn checkout_for_pack10(&self, user: i64) -> String {
        self.say(user, "/buy10");
        self.next_message(user).await;
        let stripe = self.h.stripe.as_ref().expect("Stripe is on");
        stripe.checkout_sessions().pop().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Stripe's events are produced but not delivered until [`Self::release_stripe_events`]
    /// (for posting them by hand, in any order, any number of times).
    pub fn hold_stripe_events(&self) {
        self.h
            .stripe
            .as_ref()
            .unwrap()
            .set_webhook_url("http://127.0.0.1:9/nowhere");
    }

    pub fn release_stripe_events(&self) {
        self.h
            .stripe
            .as_ref()
            .unwrap()
            .set_webhook_url(&self.url("/webhooks/stripe"));
    }
}

/// A manual clock at a fixed moment, and the same clock as the app takes it.
pub fn clock() -> (tollgate::clock::ManualClock, tollgate::clock::SharedClock) {
    use chrono::TimeZone;
    let c = tollgate::clock::ManualClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .unwrap(),
    );
    (c.clone(), std::sync::Arc::new(c))
}

/// Runs `f` on a fresh SQLite file, then on a scratch PostgreSQL database when one is set.
pub async fn each_backend(mut f: impl AsyncFnMut(tollgate::storage::Db)) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::new(backend).await else {
            continue;
        };
        let db = test_db.connect().await;
        f(db.clone()).await;
        db.close().await.unwrap();
        test_db.drop_now().await;
    }
}

/// A user row as `/start` makes it (no credits), with this Telegram language.
pub async fn registered(db: &tollgate::storage::Db, id: i64, language: &str) {
    let profile = tollgate::domain::TelegramProfile {
        id,
        first_name: format!("User{id}"),
        last_name: None,
        username: None,
        language_code: Some(language.into()),
    };
    tollgate::accounts::users::register_start(db, clock().1.now(), &profile, None, None)
        .await
        .unwrap();
}
