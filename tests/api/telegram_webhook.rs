use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use tollgate::{
    bot::Reply, i18n::Locale, sandbox::TELEGRAM_WEBHOOK_SECRET, storage::entities::users,
};

use crate::helpers::{Backend, TestApp, render, spawn_app, spawn_app_with};

async fn webhook_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |o| o.webhook = true).await
}

fn start_update(update_id: i64, user: i64) -> serde_json::Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_763_700_000,
            "chat": {"id": user, "type": "private", "first_name": "Zed"},
            "from": {"id": user, "is_bot": false, "first_name": "Zed", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]
        }
    })
}

async fn start_works_through_the_webhook(app: TestApp) {
    let calls = app.emu().calls_to("setWebhook");
    assert_eq!(calls.len(), 1);
    let params = &calls[0].params;
    assert_eq!(params["secret_token"], TELEGRAM_WEBHOOK_SECRET);
    assert_eq!(params["url"], app.url("/webhooks/telegram"));
    let allowed: Vec<String> = serde_json::from_value(params["allowed_updates"].clone()).unwrap();
    for kind in [
        "message",
        "edited_message",
        "callback_query",
        "chat_member",
        "my_chat_member",
        "chat_join_request",
        "pre_checkout_query",
    ] {
        assert!(
            allowed.iter().any(|a| a == kind),
            "{kind} missing from allowed_updates"
        );
    }

    let ann = app.user("Ann", "en");
    app.say(ann, "/start");
    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::WelcomeNew {
                name: "Ann".into(),
                credits: 3
            },
            Locale::En
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn start_works_through_the_webhook_on_sqlite() {
    start_works_through_the_webhook(webhook_app(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test]
async fn start_works_through_the_webhook_on_postgres() {
    if let Some(app) = webhook_app(Backend::Postgres).await {
        start_works_through_the_webhook(app).await;
    }
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_refused_and_nothing_is_processed() {
    let app = webhook_app(Backend::Sqlite).await.unwrap();
    app.settle().await;
    let handled_before = app.h.app.ctx.metrics.handled();
    let body = start_update(1, 4242);

    let missing = app
        .http
        .post(app.url("/webhooks/telegram"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let wrong = app
        .http
        .post(app.url("/webhooks/telegram"))
        .header("X-Telegram-Bot-Api-Secret-Token", "guess")
        .json(&body)
        .send()
        .await
        .unwrap();

    assert_eq!(missing.status(), 401);
    assert_eq!(wrong.status(), 401);
    assert_eq!(users::Entity::find().count(app.db()).await.unwrap(), 0);
    assert_eq!(app.h.app.ctx.metrics.handled(), handled_before);
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_update_is_a_400_not_a_crash() {
    let app = webhook_app(Backend::Sqlite).await.unwrap();
    for body in ["{not json", "{\"message\": {}}", "[]"] {
        let res = app
            .http
            .post(app.url("/webhooks/telegram"))
            .header("X-Telegram-Bot-Api-Secret-Token", TELEGRAM_WEBHOOK_SECRET)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
    }
    // Still alive and well.
    let ann = app.user("Ann", "en");
    app.say(ann, "/start");
    app.next_message(ann).await;
    app.stop().await;
}

#[tokio::test]
async fn a_redelivered_update_id_is_handled_once() {
    let app = webhook_app(Backend::Sqlite).await.unwrap();
    // The emulator knows this user, so the bot's reply to them is accepted.
    let zed = app.user("Zed", "en");
    app.emu().send_text(zed, zed, "/start").unwrap();
    app.next_message(zed).await;

    let body = start_update(999_000_001, zed);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = app
            .http
            .post(app.url("/webhooks/telegram"))
            .header("X-Telegram-Bot-Api-Secret-Token", TELEGRAM_WEBHOOK_SECRET)
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }

    assert_eq!(statuses, [200, 200, 200]);
    assert_eq!(
        app.next_text(zed).await,
        render(
            Reply::WelcomeBack {
                name: "Zed".into(),
                balance: 3
            },
            Locale::En
        )
    );
    app.settle().await;
    assert_eq!(
        app.bot_message_count(zed),
        2,
        "one reply to 'hi', one to the /start"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_webhook_endpoint_is_closed_in_polling_mode() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url("/webhooks/telegram"))
        .header("X-Telegram-Bot-Api-Secret-Token", TELEGRAM_WEBHOOK_SECRET)
        .json(&start_update(1, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn remembered_update_ids_are_forgotten_by_the_housekeeping_job() {
    use chrono::{Duration, Utc};
    use tollgate::{
        app::PRUNE_UPDATES_JOB,
        clock::ManualClock,
        jobs::{self, NewJob},
        services::events::{self, EventSource},
    };

    let clock = ManualClock::new(Utc::now());
    let shared = std::sync::Arc::new(clock.clone());
    let app = spawn_app_with(Backend::Sqlite, |o| {
        o.webhook = true;
        o.clock = shared;
    })
    .await
    .unwrap();
    app.settle().await;
    let remembered = events::count(app.db(), EventSource::TelegramUpdate)
        .await
        .unwrap();
    let ann = app.user("Ann", "en");
    app.say(ann, "/start");
    app.next_message(ann).await;
    app.settle().await;
    assert_eq!(
        events::count(app.db(), EventSource::TelegramUpdate)
            .await
            .unwrap(),
        remembered + 1
    );

    clock.advance(Duration::hours(49));
    let now = app.h.app.ctx.now();
    jobs::enqueue(
        app.db(),
        now,
        NewJob::now(PRUNE_UPDATES_JOB, json!({}), now),
    )
    .await
    .unwrap();
    app.drain_jobs().await;

    assert_eq!(
        events::count(app.db(), EventSource::TelegramUpdate)
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn an_update_claimed_when_the_app_crashed_is_accepted_again_after_a_restart() {
    use tollgate::services::events::{self, Claim, EventSource};
    use tollgate_testkit::HarnessExt;

    let db = crate::helpers::TestDb::new(Backend::Sqlite).await.unwrap();
    {
        // The previous process claimed update 777 and died before handling it.
        let conn = db.connect().await;
        let claim = events::claim(
            &conn,
            chrono::Utc::now(),
            EventSource::TelegramUpdate,
            "777",
            "message",
            "processing",
        )
        .await
        .unwrap();
        assert_eq!(claim, Claim::New);
        conn.close().await.unwrap();
    }
    let mut opts = tollgate::sandbox::HarnessOptions::new(db.url.clone());
    opts.webhook = true;
    let h = tollgate::sandbox::Harness::start(opts).await.unwrap();
    let zed = h.add_user("Zed", "en");
    h.emulator.send_text(zed, zed, "/start").unwrap();
    h.emulator
        .wait_for_bot_messages(zed, 1, std::time::Duration::from_secs(10))
        .await
        .unwrap();

    // Telegram redelivers 777: it is handled, not dropped as a duplicate.
    let res = reqwest::Client::new()
        .post(h.http_url("/webhooks/telegram"))
        .header("X-Telegram-Bot-Api-Secret-Token", TELEGRAM_WEBHOOK_SECRET)
        .json(&start_update(777, zed))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let replies = h
        .emulator
        .wait_for_bot_messages(zed, 2, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        replies[1].body().unwrap(),
        render(
            Reply::WelcomeBack {
                name: "Zed".into(),
                balance: 3
            },
            Locale::En
        )
    );
    h.stop().await.unwrap();
}
