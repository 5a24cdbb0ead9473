//! The relay backlog: a charged message that cannot reach the admin group now (a long 429,
//! Telegram down, the group's sending limit) waits as a row, is never refunded for waiting,
//! survives a restart, and is relayed once; only a refusal refunds it.
use std::time::Duration;

use tg_emulator::Fault;
use tollgate::{bot::Reply, i18n::Locale, relay::backlog};

use crate::helpers::{Backend, TestApp, clock, render, spawn_app_with};

/// Waits (real time) until `user` has `n` copies in the admin group.
async fn copies_reach(app: &TestApp, user: i64, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while app.copies_from(user).len() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} copies of {n}",
            app.copies_from(user).len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The bot's message to `chat` after the first `seen` (waiting for it).
async fn message_after(app: &TestApp, chat: i64, seen: usize) -> tg_emulator::Recorded {
    app.emu()
        .wait_for_bot_messages(chat, seen + 1, Duration::from_secs(15))
        .await
        .unwrap()[seen]
        .clone()
}

async fn waiting(app: &TestApp) -> u64 {
    backlog::stats(app.db()).await.unwrap().waiting
}

/// Waits (real time) until nothing waits: the drainer deletes a batch's rows just after the
/// copies reach the group, so a copy can be seen a moment before its row is gone.
async fn nothing_waits(app: &TestApp) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let left = waiting(app).await;
        if left == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{left} still wait");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_long_flood_wait_keeps_the_message_waiting_not_refunded(backend: Backend) {
    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    app.set("low_credit_threshold", "0").await;
    app.set("welcome_credits", "10").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "first");
    copies_reach(&app, ann, 1).await;

    // Telegram asks to wait 40 s, longer than the client waits on its own.
    app.emu()
        .fail_next("copyMessage", Fault::TooManyRequests { retry_after: 40 }, 1);
    let notes = app.bot_message_count(ann);
    app.say(ann, "second");
    app.settle().await;
    assert_eq!(waiting(&app).await, 1);
    assert_eq!(app.balance(ann).await, 8, "charged");
    assert_eq!(
        app.bot_message_count(ann),
        notes,
        "no refund, no failure note"
    );

    // Meanwhile Ann writes again: it queues behind the waiting one, in order.
    app.say(ann, "third");
    app.settle().await;
    assert_eq!(waiting(&app).await, 2);
    assert_eq!(app.copies_from(ann).len(), 1);

    // The team sees the wait in /status and /metrics.
    clock.advance(chrono::Duration::seconds(20));
    app.emu()
        .send_text(app.operator(), app.admin_chat(), "/status")
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        let report = app
            .emu()
            .bot_messages(app.admin_chat())
            .iter()
            .rev()
            .find_map(|m| {
                m.body()
                    .filter(|b| b.contains("Tollgate"))
                    .map(str::to_owned)
            });
        if let Some(report) = report {
            break report;
        }
        assert!(std::time::Instant::now() < deadline, "no status report");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.contains('2') && status.contains("20 s"), "{status}");
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tollgate_relay_backlog 2\n"), "{metrics}");
    assert!(metrics.contains("tollgate_relay_backlog_oldest_seconds 20\n"));

    // Once the wait is over, both go, in the order Ann wrote them, once.
    clock.advance(chrono::Duration::seconds(21));
    copies_reach(&app, ann, 3).await;
    app.settle().await;
    let copies = app.copies_from(ann);
    let bodies: Vec<_> = copies
        .iter()
        .map(|c| c.body().unwrap_or_default())
        .collect();
    assert_eq!(bodies, vec!["first", "second", "third"]);
    nothing_waits(&app).await;
    assert_eq!(app.balance(ann).await, 7);
    assert_eq!(app.ledger_sum(ann).await, 7);
    // Replies to the copies reach Ann: the pairs were recorded.
    let thread = app.topic_of(ann).await.unwrap();
    app.emu()
        .send(
            app.operator(),
            app.admin_chat(),
            tg_emulator::OutgoingMessage::text("got them")
                .in_thread(thread)
                .reply_to(copies[2].message_id),
        )
        .unwrap();
    let answer = message_after(&app, ann, notes).await;
    assert_eq!(answer.body(), Some("got them"));
    app.stop().await;
}

#[tokio::test]
async fn a_long_flood_wait_keeps_the_message_waiting_on_sqlite() {
    a_long_flood_wait_keeps_the_message_waiting_not_refunded(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_long_flood_wait_keeps_the_message_waiting_on_postgres() {
    a_long_flood_wait_keeps_the_message_waiting_not_refunded(Backend::Postgres).await;
}

async fn a_waiting_message_survives_a_restart_and_is_relayed_once(backend: Backend) {
    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    app.set("low_credit_threshold", "0").await;
    app.set("welcome_credits", "10").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "first");
    copies_reach(&app, ann, 1).await;
    app.emu()
        .fail_next("copyMessage", Fault::TooManyRequests { retry_after: 40 }, 1);
    app.say(ann, "second");
    app.settle().await;
    assert_eq!(waiting(&app).await, 1);

    let app = app.restart().await;
    assert_eq!(waiting(&app).await, 1, "the row outlived the process");
    clock.advance(chrono::Duration::seconds(41));
    copies_reach(&app, ann, 2).await;
    // Nothing more arrives: not the recovery, not a second drain.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.copies_from(ann).len(), 2);
    assert_eq!(waiting(&app).await, 0);
    assert_eq!(app.balance(ann).await, 8);
    app.stop().await;
}

#[tokio::test]
async fn a_waiting_message_survives_a_restart_on_sqlite() {
    a_waiting_message_survives_a_restart_and_is_relayed_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_waiting_message_survives_a_restart_on_postgres() {
    a_waiting_message_survives_a_restart_and_is_relayed_once(Backend::Postgres).await;
}

#[tokio::test]
async fn a_second_flood_wait_postpones_again_and_a_refusal_refunds() {
    let (clock, shared) = clock();
    let app = spawn_app_with(Backend::Sqlite, |o| o.clock = shared)
        .await
        .unwrap();
    app.set("low_credit_threshold", "0").await;
    app.set("welcome_credits", "10").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "first");
    copies_reach(&app, ann, 1).await;
    let notes = app.bot_message_count(ann);

    // Telegram asks to wait, and asks again when the wait is over: still waiting, still
    // charged, never refunded.
    app.emu()
        .fail_next("copyMessage", Fault::TooManyRequests { retry_after: 40 }, 2);
    app.say(ann, "second");
    app.settle().await;
    assert_eq!(waiting(&app).await, 1);
    clock.advance(chrono::Duration::seconds(41));
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while app.emu().calls_to("copyMessage").len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the drainer never tried"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(waiting(&app).await, 1);
    assert_eq!(app.bot_message_count(ann), notes);
    assert_eq!(app.balance(ann).await, 8);
    clock.advance(chrono::Duration::seconds(41));
    copies_reach(&app, ann, 2).await;
    app.settle().await;
    nothing_waits(&app).await;
    assert_eq!(app.balance(ann).await, 8);

    // The bot is removed from the group while a message waits: refunded, Ann told.
    app.emu()
        .fail_next("copyMessage", Fault::TooManyRequests { retry_after: 40 }, 1);
    app.say(ann, "third");
    app.settle().await;
    app.emu().fail_next(
        "copyMessage",
        Fault::Forbidden("Forbidden: bot was kicked from the supergroup chat".into()),
        1,
    );
    clock.advance(chrono::Duration::seconds(41));
    let note = message_after(&app, ann, notes).await;
    assert_eq!(note.body().unwrap(), render(Reply::RelayFailed, Locale::En));
    app.settle().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while waiting(&app).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the refused message still waits"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.balance(ann).await, 8, "refunded");
    assert_eq!(app.ledger_sum(ann).await, 8);
    assert_eq!(app.copies_from(ann).len(), 2);
    app.stop().await;
}

/// Under the admin group's sending limit (enforced by Telegram, paced by the app) a burst of
/// messages builds a backlog: what cannot go at once waits, goes out in batches with
/// `copyMessages`, in order, each once, and nothing is refunded.
async fn a_burst_under_the_group_limit_goes_out_in_order_in_batches(backend: Backend) {
    let limits = tollgate::telegram::RateLimits {
        overall_per_sec: 30.0,
        overall_burst: 30.0,
        chat_per_sec: 100.0,
        chat_burst: 100.0,
        group_per_min: 120.0,
        group_burst: 3.0,
    };
    let Some(app) = spawn_app_with(backend, |o| {
        o.limits = Some(limits);
        o.emulator.enforce_rate_limits = true;
        o.emulator.limits = tg_emulator::EmulatorLimits {
            chat_per_sec: 100.0,
            chat_burst: 100,
            group_per_min: 120.0,
            group_burst: 3,
            ..tg_emulator::EmulatorLimits::default()
        };
    })
    .await
    else {
        return;
    };
    app.set("low_credit_threshold", "0").await;
    app.set("welcome_credits", "50").await;
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "en").await;
    let texts: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
    for t in &texts {
        app.say(ann, t);
        app.say(bob, t);
    }
    app.settle().await;
    for user in [ann, bob] {
        copies_reach(&app, user, texts.len()).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while waiting(&app).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the backlog never drained"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for user in [ann, bob] {
        let bodies: Vec<String> = app
            .copies_from(user)
            .iter()
            .map(|c| c.body().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(bodies, texts, "each once, in order");
        assert_eq!(app.balance(user).await, 50 - 12, "nothing refunded");
    }
    assert!(
        !app.emu().calls_to("copyMessages").is_empty(),
        "the backlog went out in batches"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_burst_under_the_group_limit_on_sqlite() {
    a_burst_under_the_group_limit_goes_out_in_order_in_batches(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_burst_under_the_group_limit_on_postgres() {
    a_burst_under_the_group_limit_goes_out_in_order_in_batches(Backend::Postgres).await;
}
