//! Payment notices go through the jobs outbox: Stripe is answered once the event is stored,
//! whatever Telegram is doing, and the user is told exactly once.
use std::{sync::Arc, time::Duration};
use tollgate::billing::orders::OrderStatus;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tg_emulator::Fault;
use tollgate::{
    bot::Reply,
    clock::ManualClock,
    i18n::Locale,
    storage::entities::{jobs, orders as order_rows},
    {
        billing::notices,
        billing::orders::{self, PaymentRef},
    },
};

use crate::helpers::{Backend, TestApp, render, spawn_app_with};

async fn only_order(app: &TestApp, user: i64) -> order_rows::Model {
    order_rows::Entity::find()
        .filter(order_rows::Column::UserId.eq(user))
        .one(app.db())
        .await
        .unwrap()
        .expect("an order")
}

fn purchase_done() -> String {
    render(
        Reply::PurchaseDone {
            credits: 10,
            balance: 13,
        },
        Locale::En,
    )
}

fn times_sent(app: &TestApp, chat: i64, text: &str) -> usize {
    app.emu()
        .bot_messages(chat)
        .iter()
        .filter(|m| m.body() == Some(text))
        .count()
}

/// The notice job of `key`, once it exists and has been tried at least `attempts` times.
async fn notice_job(app: &TestApp, key: &str, attempts: i32) -> jobs::Model {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let job = jobs::Entity::find()
            .filter(jobs::Column::DedupeKey.eq(key))
            .one(app.db())
            .await
            .unwrap();
        if let Some(job) = job.filter(|j| j.attempts >= attempts && j.status != "running") {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no notice job {key} tried {attempts} time(s): {:#?}",
            jobs::Entity::find().all(app.db()).await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_paid_checkout_is_acknowledged_while_telegram_is_flooded_and_the_user_is_told_once_it_recovers()
 {
    let clock = ManualClock::new(chrono::Utc::now());
    let shared = Arc::new(clock.clone());
    let app = spawn_app_with(Backend::Sqlite, |o| o.clock = shared)
        .await
        .unwrap();
    let ann = app.started_user("Ann", "en").await;
    let session = app.checkout_for_pack10(ann).await;
    let stripe = app.h.stripe.clone().unwrap();
    // Flooded for a minute: longer than a send may wait, so the notice must come back later.
    app.emu().fail_next(
        "sendMessage",
        Fault::TooManyRequests { retry_after: 60 },
        10_000,
    );

    let delivered = stripe.complete_checkout(&session).await.unwrap();

    assert_eq!(delivered.status, 200);
    let order = only_order(&app, ann).await;
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(app.balance(ann).await, 13);
    let job = notice_job(&app, &notices::paid_key(order.id), 1).await;
    assert_eq!(job.status, "queued", "Telegram's 429 retries the notice");
    assert_eq!(times_sent(&app, ann, &purchase_done()), 0);

    app.emu().clear_faults();
    clock.advance(chrono::Duration::minutes(1));
    app.finish_jobs().await;
    assert_eq!(times_sent(&app, ann, &purchase_done()), 1);

    // Stripe's retry of the same event tells nothing more.
    let event = delivered.event["id"].as_str().unwrap().to_owned();
    assert_eq!(stripe.redeliver(&event).await.unwrap().status, 200);
    clock.advance(chrono::Duration::minutes(1));
    app.finish_jobs().await;
    assert_eq!(times_sent(&app, ann, &purchase_done()), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_payment_stored_by_an_attempt_that_crashed_before_its_notice_is_told_once_on_the_retry() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let ann = app.started_user("Ann", "en").await;
    let session = app.checkout_for_pack10(ann).await;
    let stripe = app.h.stripe.clone().unwrap();
    // The first delivery paid the order and the process died before the notice was queued.
    let order = orders::find(app.db(), only_order(&app, ann).await.id)
        .await
        .unwrap()
        .unwrap();
    orders::pay(
        app.db(),
        app.h.app.ctx.now(),
        &order,
        PaymentRef {
            stripe_payment_intent: None,
            telegram_charge_id: None,
        },
    )
    .await
    .unwrap();

    let delivered = stripe.complete_checkout(&session).await.unwrap();
    assert_eq!(delivered.status, 200);
    app.finish_jobs().await;
    app.wait_for_text(ann, &purchase_done(), 1).await;

    let event = delivered.event["id"].as_str().unwrap().to_owned();
    assert_eq!(stripe.redeliver(&event).await.unwrap().status, 200);
    app.finish_jobs().await;
    assert_eq!(times_sent(&app, ann, &purchase_done()), 1);
    assert_eq!(app.balance(ann).await, 13);
    app.stop().await;
}

#[tokio::test]
async fn a_notice_to_a_user_who_blocked_the_bot_ends_without_retrying() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let ann = app.started_user("Ann", "en").await;
    let session = app.checkout_for_pack10(ann).await;
    let stripe = app.h.stripe.clone().unwrap();
    app.emu().block_bot(ann);

    assert_eq!(
        stripe.complete_checkout(&session).await.unwrap().status,
        200
    );
    let order = only_order(&app, ann).await;
    let job = notice_job(&app, &notices::paid_key(order.id), 1).await;

    assert_eq!(job.status, "done");
    assert_eq!(job.attempts, 1);
    let user = tollgate::accounts::users::find(app.db(), ann)
        .await
        .unwrap()
        .unwrap();
    assert!(user.unreachable_at.is_some(), "{user:?}");
    app.stop().await;
}
