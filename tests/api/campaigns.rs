//! Campaigns: a broadcast or a mass gift reaches each recipient once, through 429 storms,
//! 5xx storms and restarts; a blocked user is counted unreachable; pause, resume and cancel
//! hold; refused campaigns write nothing; replies do not wait behind a broadcast.
use std::time::Duration;

use tg_emulator::Fault;
use tollgate::{
    bot::Reply,
    delivery::campaigns::{
        self, Audience, Campaign, CampaignError, CampaignMessage, CampaignStatus, Gift, GiftKind,
        Media, MediaKind, NewCampaign,
    },
    i18n::Locale,
    storage::Db,
};

use crate::helpers::{Backend, TestApp, clock, each_backend, registered, spawn_app_with};

fn broadcast(text: &str) -> NewCampaign {
    NewCampaign {
        message: CampaignMessage::text(text),
        gift: None,
        audience: Audience::All,
        created_by: 1,
        run_at: None,
        progress_message: None,
    }
}

async fn create(app: &TestApp, new: NewCampaign) -> Campaign {
    campaigns::create(app.db(), app.h.app.ctx.now(), new)
        .await
        .expect("the campaign is created")
}

async fn find(app: &TestApp, id: i64) -> Campaign {
    campaigns::find(app.db(), id).await.unwrap().unwrap()
}

/// Waits (real time) until `check` holds for the campaign.
async fn until(app: &TestApp, id: i64, what: &str, check: impl Fn(&Campaign) -> bool) -> Campaign {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let c = find(app, id).await;
        if check(&c) {
            return c;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "campaign never {what}: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn until_done(app: &TestApp, id: i64) -> Campaign {
    until(app, id, "done", |c| c.status == CampaignStatus::Done).await
}

/// How many messages with exactly `text` the bot sent to `chat`.
fn received(app: &TestApp, chat: i64, text: &str) -> usize {
    app.emu()
        .bot_messages(chat)
        .iter()
        .filter(|m| m.body() == Some(text))
        .count()
}

async fn users(app: &TestApp, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(app.started_user(&format!("U{i}"), "en").await);
    }
    ids
}

async fn delivery_statuses(db: &Db, id: i64) -> Vec<(i64, String)> {
    tollgate::storage::query_all(
        db,
        "SELECT user_id, status FROM campaign_deliveries WHERE campaign_id = $1 ORDER BY user_id",
        vec![id.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get("", "user_id").unwrap(),
            r.try_get("", "status").unwrap(),
        )
    })
    .collect()
}

async fn a_broadcast_reaches_each_user_once_and_counts_who_blocked_the_bot(app: TestApp) {
    let people = users(&app, 12).await;
    let blocked = people[3];
    app.emu().block_bot(blocked);
    let c = create(&app, broadcast("Big news: we are open on Sunday")).await;
    assert_eq!(c.counters.total, 12);
    let c = until_done(&app, c.id).await;
    for &user in &people {
        let want = usize::from(user != blocked);
        assert_eq!(
            received(&app, user, "Big news: we are open on Sunday"),
            want
        );
    }
    assert_eq!(c.counters.sent, 11);
    assert_eq!(c.counters.unreachable, 1);
    assert_eq!(c.counters.failed + c.counters.uncertain, 0);
    assert!(c.finished_at.is_some());
    assert_eq!(
        campaigns::unreachable_users(app.db(), c.id).await.unwrap(),
        vec![blocked]
    );
    let user = tollgate::accounts::users::find(app.db(), blocked)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status, "unreachable");
    let p = campaigns::progress(app.db(), app.h.app.ctx.now(), c.id)
        .await
        .unwrap();
    assert_eq!((p.sent, p.unreachable, p.remaining()), (11, 1, 0));
    assert_eq!(p.eta(), Some(chrono::Duration::zero()));
    // The next campaign leaves the unreachable user out.
    let again = create(&app, broadcast("And on Monday")).await;
    assert_eq!(again.counters.total, 11);
    until_done(&app, again.id).await;
    app.stop().await;
}

crate::on_both_databases!(
    broadcast_once_each,
    a_broadcast_reaches_each_user_once_and_counts_who_blocked_the_bot
);

async fn floods_and_outages_lose_nothing_and_double_nothing(backend: Backend) {
    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let people = users(&app, 10).await;
    let text = "Flood-proof";
    let calls_before = app.emu().calls_to("sendMessage").len();

    // A 429 storm: the deliveries it hits wait for the flood wait, and so does the runner.
    app.emu()
        .fail_next("sendMessage", Fault::TooManyRequests { retry_after: 40 }, 3);
    let c = create(&app, broadcast(text)).await;
    // How many of the first sends meet the storm before the runner holds depends on timing:
    // let each flood wait pass (on the injected clock) until all three 429s were answered.
    let floods = |app: &TestApp| {
        app.emu()
            .calls_to("sendMessage")
            .iter()
            .filter(|c| c.error_code == Some(429))
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut seen = 0;
    while floods(&app) < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the runner never met the whole storm ({} of 3)",
            floods(&app)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = floods(&app);
        if now > seen {
            // A flood wait is not a failure, and it holds the campaign.
            let held = find(&app, c.id).await;
            assert_eq!(held.status, CampaignStatus::Running);
            assert_eq!(held.counters.failed, 0, "a flood wait is not a failure");
            seen = now;
            if now < 3 {
                clock.advance(chrono::Duration::seconds(41));
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = find(&app, c.id).await;
    assert_eq!(held.status, CampaignStatus::Running);
    assert_eq!(held.counters.failed, 0, "a flood wait is not a failure");
    assert!(held.counters.sent < 10, "the flood wait held the campaign");

    // Then a 5xx storm once the wait is over: retried with back-off, never failed.
    app.emu()
        .fail_next("sendMessage", Fault::Server { code: 502 }, 4);
    clock.advance(chrono::Duration::seconds(41));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let c = loop {
        let c = find(&app, c.id).await;
        if c.status == CampaignStatus::Done {
            break c;
        }
        assert!(std::time::Instant::now() < deadline, "never done: {c:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        clock.advance(chrono::Duration::seconds(30));
    };
    assert_eq!(c.counters.sent, 10);
    assert_eq!(
        c.counters.failed + c.counters.unreachable + c.counters.uncertain,
        0
    );
    for &user in &people {
        assert_eq!(received(&app, user, text), 1, "user {user}");
    }
    let calls = app.emu().calls_to("sendMessage");
    assert!(
        calls.len() >= calls_before + 10 + 3 + 4,
        "the faults happened"
    );
    assert!(calls.iter().filter(|c| c.error_code == Some(429)).count() >= 3);
    app.stop().await;
}

#[tokio::test]
async fn floods_and_outages_lose_and_double_nothing_on_sqlite() {
    floods_and_outages_lose_nothing_and_double_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn floods_and_outages_lose_and_double_nothing_on_postgres() {
    floods_and_outages_lose_nothing_and_double_nothing(Backend::Postgres).await;
}

async fn a_restart_mid_broadcast_sends_each_user_at_most_once(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |o| o.broadcast_rate = Some(10.0)).await else {
        return;
    };
    let people = users(&app, 40).await;
    let text = "Sent across a restart";
    let c = create(&app, broadcast(text)).await;
    until(&app, c.id, "started sending", |c| c.counters.sent >= 5).await;
    let app = app.restart().await;
    let c = until_done(&app, c.id).await;
    let statuses = delivery_statuses(app.db(), c.id).await;
    for (user, status) in &statuses {
        let got = received(&app, *user, text);
        match status.as_str() {
            "sent" => assert_eq!(got, 1, "user {user}"),
            "uncertain" => assert!(got <= 1, "user {user}"),
            other => panic!("user {user}: {other}"),
        }
    }
    for &user in &people {
        assert!(received(&app, user, text) <= 1);
    }
    assert_eq!(c.counters.sent + c.counters.uncertain, 40);
    assert_eq!(c.counters.failed, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_restart_mid_broadcast_sends_each_once_on_sqlite() {
    a_restart_mid_broadcast_sends_each_user_at_most_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_restart_mid_broadcast_sends_each_once_on_postgres() {
    a_restart_mid_broadcast_sends_each_user_at_most_once(Backend::Postgres).await;
}

async fn ledger_entries_with_key(db: &Db, key: &str) -> i64 {
    tollgate::storage::query_all(
        db,
        "SELECT COUNT(*) AS n FROM credit_ledger WHERE idempotency_key = $1",
        vec![key.into()],
    )
    .await
    .unwrap()[0]
        .try_get("", "n")
        .unwrap()
}

async fn an_interrupted_gift_credits_each_user_once(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |o| o.broadcast_rate = Some(10.0)).await else {
        return;
    };
    app.set("welcome_credits", "3").await;
    let people = users(&app, 30).await;
    let note = "Thank you for being with us";
    let c = create(
        &app,
        NewCampaign {
            message: CampaignMessage::default(),
            gift: Some(Gift {
                kind: GiftKind::Credits { amount: 5 },
                note: Some(note.into()),
            }),
            ..broadcast("")
        },
    )
    .await;
    assert_eq!(c.kind, campaigns::CampaignKind::Gift);
    until(&app, c.id, "started giving", |c| c.counters.sent >= 5).await;
    let app = app.restart().await;
    let c = until_done(&app, c.id).await;
    assert_eq!(c.counters.sent + c.counters.uncertain, 30);
    let told = Reply::GiftReceived {
        amount: 5,
        balance: 8,
        note: Some(note.into()),
    }
    .render(Locale::En);
    for &user in &people {
        let key = campaigns::gift_key(c.id, user);
        assert_eq!(ledger_entries_with_key(app.db(), &key).await, 1, "{key}");
        assert_eq!(app.balance(user).await, 8);
        assert_eq!(app.ledger_sum(user).await, 8);
        assert!(received(&app, user, &told) <= 1, "user {user}");
    }
    for (user, status) in delivery_statuses(app.db(), c.id).await {
        if status == "sent" {
            assert_eq!(received(&app, user, &told), 1, "user {user}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn an_interrupted_gift_credits_each_once_on_sqlite() {
    an_interrupted_gift_credits_each_user_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_interrupted_gift_credits_each_once_on_postgres() {
    an_interrupted_gift_credits_each_user_once(Backend::Postgres).await;
}

async fn a_pass_gift_is_granted_once_and_told_in_the_users_language(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let ivan = app.started_user("Ivan", "ru").await;
    let c = create(
        &app,
        NewCampaign {
            message: CampaignMessage::default(),
            gift: Some(Gift {
                kind: GiftKind::Pass {
                    kind: tollgate::billing::passes::PassKind::Week,
                },
                note: None,
            }),
            ..broadcast("")
        },
    )
    .await;
    let c = until_done(&app, c.id).await;
    assert_eq!(c.counters.sent, 2);
    for (user, locale) in [(ann, Locale::En), (ivan, Locale::Ru)] {
        let pass = tollgate::billing::passes::active(app.db(), app.h.app.ctx.now(), user)
            .await
            .unwrap()
            .expect("a pass");
        let told = Reply::GiftPassReceived {
            until: tollgate::delivery::fmt_time(pass.ends_at),
            note: None,
        }
        .render(locale);
        assert_eq!(received(&app, user, &told), 1);
    }
    app.stop().await;
}

crate::on_both_databases!(
    pass_gift,
    a_pass_gift_is_granted_once_and_told_in_the_users_language
);

#[tokio::test]
async fn pause_stops_sending_resume_continues_cancel_ends() {
    let app = spawn_app_with(Backend::Sqlite, |o| o.broadcast_rate = Some(5.0))
        .await
        .unwrap();
    let people = users(&app, 30).await;
    let text = "Paced";
    let total = |app: &TestApp| {
        people
            .iter()
            .map(|u| received(app, *u, text))
            .sum::<usize>()
    };
    let c = create(&app, broadcast(text)).await;
    until(&app, c.id, "started", |c| c.counters.sent >= 2).await;
    let now = app.h.app.ctx.now();
    let paused = campaigns::pause(app.db(), now, c.id).await.unwrap();
    assert_eq!(paused.status, CampaignStatus::Paused);
    assert!(matches!(
        campaigns::pause(app.db(), now, c.id).await,
        Err(CampaignError::IllegalMove { .. })
    ));
    // What was under way finishes; then nothing more goes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_pause = total(&app);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(total(&app), at_pause, "nothing is sent while paused");
    let c = find(&app, c.id).await;
    assert_eq!(c.counters.sent as usize, at_pause);

    let resumed = campaigns::resume(app.db(), app.h.app.ctx.now(), c.id)
        .await
        .unwrap();
    assert_eq!(resumed.status, CampaignStatus::Running);
    let target = c.counters.sent + 3;
    until(&app, c.id, "continued", |c| c.counters.sent >= target).await;

    let cancelled = campaigns::cancel(app.db(), app.h.app.ctx.now(), c.id)
        .await
        .unwrap();
    assert_eq!(cancelled.status, CampaignStatus::Cancelled);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_cancel = total(&app);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(total(&app), at_cancel, "nothing is sent once cancelled");
    assert!(at_cancel < 30, "the cancel came before the end");
    let p = campaigns::progress(app.db(), app.h.app.ctx.now(), c.id)
        .await
        .unwrap();
    assert_eq!(p.status, CampaignStatus::Cancelled);
    assert_eq!(p.sent as usize, at_cancel);
    assert_eq!(p.queued as usize, 30 - at_cancel);
    for illegal in [
        campaigns::resume(app.db(), app.h.app.ctx.now(), c.id).await,
        campaigns::pause(app.db(), app.h.app.ctx.now(), c.id).await,
        campaigns::cancel(app.db(), app.h.app.ctx.now(), c.id).await,
    ] {
        assert!(matches!(
            illegal,
            Err(CampaignError::IllegalMove {
                from: CampaignStatus::Cancelled,
                ..
            })
        ));
    }
    let recent = campaigns::list_recent(app.db(), 10).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].id, c.id);
    app.stop().await;
}

#[tokio::test]
async fn a_scheduled_campaign_starts_at_its_time() {
    let (clock, shared) = clock();
    let app = spawn_app_with(Backend::Sqlite, |o| o.clock = shared)
        .await
        .unwrap();
    let ann = app.started_user("Ann", "en").await;
    let c = create(
        &app,
        NewCampaign {
            run_at: Some(app.h.app.ctx.now() + chrono::Duration::hours(1)),
            ..broadcast("Later today")
        },
    )
    .await;
    assert_eq!(c.status, CampaignStatus::Scheduled);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(received(&app, ann, "Later today"), 0);
    assert_eq!(find(&app, c.id).await.status, CampaignStatus::Scheduled);
    clock.advance(chrono::Duration::minutes(61));
    let c = until_done(&app, c.id).await;
    assert!(c.started_at.is_some());
    assert_eq!(received(&app, ann, "Later today"), 1);
    app.stop().await;
}

async fn campaign_rows(db: &Db) -> (i64, i64) {
    let n = |table: &'static str| async move {
        tollgate::storage::query_all(db, &format!("SELECT COUNT(*) AS n FROM {table}"), vec![])
            .await
            .unwrap()[0]
            .try_get::<i64>("", "n")
            .unwrap()
    };
    (n("campaigns").await, n("campaign_deliveries").await)
}

#[tokio::test]
async fn refused_campaigns_write_nothing() {
    each_backend(async |db| {
        let now = clock().1.now();
        registered(&db, 1, "en").await;
        registered(&db, 2, "ru").await;
        let bad = |message: CampaignMessage, audience: Audience| NewCampaign {
            message,
            audience,
            ..broadcast("")
        };
        let photo = |caption: String| CampaignMessage {
            text: caption,
            media: Some(Media {
                kind: MediaKind::Photo,
                file_id: "AgADBAAD".into(),
            }),
            ..CampaignMessage::default()
        };
        let cases = [
            (bad(CampaignMessage::text("   "), Audience::All), "empty"),
            (
                bad(CampaignMessage::text("x".repeat(4097)), Audience::All),
                "text too long",
            ),
            (
                bad(photo("x".repeat(1025)), Audience::All),
                "caption too long",
            ),
            (
                bad(
                    CampaignMessage::text("hi"),
                    Audience::Language { code: "de".into() },
                ),
                "nobody",
            ),
            (
                NewCampaign {
                    gift: Some(Gift {
                        kind: GiftKind::Credits { amount: 0 },
                        note: None,
                    }),
                    ..broadcast("")
                },
                "a gift of nothing",
            ),
        ];
        for (new, why) in cases {
            let refused = campaigns::create(&db, now, new).await;
            let expected = match why {
                "empty" => matches!(refused, Err(CampaignError::EmptyMessage)),
                "text too long" => matches!(refused, Err(CampaignError::TextTooLong { .. })),
                "caption too long" => {
                    matches!(refused, Err(CampaignError::CaptionTooLong { .. }))
                }
                "nobody" => matches!(refused, Err(CampaignError::EmptyAudience)),
                _ => matches!(refused, Err(CampaignError::BadGift(_))),
            };
            assert!(expected, "{why}: {refused:?}");
            assert_eq!(campaign_rows(&db).await, (0, 0), "{why}");
        }
        assert!(matches!(
            campaigns::pause(&db, now, 99).await,
            Err(CampaignError::NotFound(99))
        ));
    })
    .await;
}

#[tokio::test]
async fn audiences_count_who_they_select() {
    each_backend(async |db| {
        let now = clock().1.now();
        for (id, lang) in [(1, "en"), (2, "ru"), (3, "ru-RU"), (4, "en"), (5, "en")] {
            registered(&db, id, lang).await;
        }
        tollgate::accounts::users::set_banned(&db, 4, true)
            .await
            .unwrap();
        tollgate::accounts::users::mark_unreachable(&db, now, 5)
            .await
            .unwrap();
        tollgate::billing::passes::grant(
            &db,
            now,
            1,
            tollgate::billing::passes::PassKind::Day,
            "admin",
        )
        .await
        .unwrap();
        let count = |a: Audience| {
            let db = db.clone();
            async move { campaigns::count(&db, &a, now).await.unwrap() }
        };
        assert_eq!(
            count(Audience::All).await,
            3,
            "banned and unreachable left out"
        );
        assert_eq!(count(Audience::Language { code: "ru".into() }).await, 2);
        assert_eq!(count(Audience::Language { code: "en".into() }).await, 1);
        assert_eq!(count(Audience::HasPass).await, 1);
        assert_eq!(count(Audience::NeverPaid).await, 3);
        assert_eq!(count(Audience::Paid).await, 0);
        assert_eq!(count(Audience::ActiveWithin { days: 1 }).await, 3);
        assert_eq!(
            count(Audience::Tier {
                name: "standard".into()
            })
            .await,
            3,
            "users without a tier are on the default one"
        );
        assert_eq!(count(Audience::Tier { name: "vip".into() }).await, 0);
        let c = campaigns::create(
            &db,
            now,
            NewCampaign {
                audience: Audience::Language { code: "ru".into() },
                ..broadcast("Привет")
            },
        )
        .await
        .unwrap();
        assert_eq!(c.counters.total, 2);
        assert_eq!(campaign_rows(&db).await, (1, 2));
    })
    .await;
}

/// Thousands of users with no chat in the emulator (their sends fail fast), inserted at once.
async fn many_users(db: &Db, from: i64, n: i64) {
    let now = clock().1.now();
    for chunk in (from..from + n).collect::<Vec<_>>().chunks(500) {
        let values = chunk
            .iter()
            .map(|id| format!("({id}, 'Bulk', 'active', $1, $1)"))
            .collect::<Vec<_>>()
            .join(", ");
        tollgate::storage::query_all(
            db,
            &format!(
                "INSERT INTO users (id, first_name, status, created_at, last_seen_at) \
                 VALUES {values}"
            ),
            vec![now.into()],
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn replies_do_not_wait_behind_a_broadcast() {
    let app = spawn_app_with(Backend::Sqlite, |o| {
        o.limits = Some(tollgate::telegram::RateLimits::default());
    })
    .await
    .unwrap();
    let ann = app.started_user("Ann", "en").await;
    many_users(app.db(), 10_000_000, 3000).await;
    let c = create(&app, broadcast("To everyone")).await;
    assert_eq!(c.counters.total, 3001);
    until(&app, c.id, "under way", |c| c.counters.finished() >= 30).await;
    app.say(ann, "/balance");
    let reply = app.next_message(ann).await;
    assert!(reply.body().is_some_and(|b| !b.is_empty()));
    let p = campaigns::progress(app.db(), app.h.app.ctx.now(), c.id)
        .await
        .unwrap();
    assert!(
        p.queued > 2500,
        "the reply came while the broadcast had most of its work ahead: {p:?}"
    );
    campaigns::cancel(app.db(), app.h.app.ctx.now(), c.id)
        .await
        .unwrap();
    app.stop().await;
}

/// Telegram carries out a send but answers after the client gave up: the delivery is
/// uncertain and never sent again (it arrived; a second send would double it).
#[tokio::test]
async fn a_send_answered_too_late_is_uncertain_and_never_repeated() {
    let app = spawn_app_with(Backend::Sqlite, |o| {
        o.telegram_timeout = Duration::from_millis(500);
    })
    .await
    .unwrap();
    let people = users(&app, 3).await;
    let text = "Maybe it arrived";
    app.emu().fail_next(
        "sendMessage",
        Fault::SlowAnswer {
            delay: Duration::from_millis(1500),
        },
        1,
    );
    let c = create(&app, broadcast(text)).await;
    let c = until_done(&app, c.id).await;
    assert_eq!((c.counters.sent, c.counters.uncertain), (2, 1));
    tokio::time::sleep(Duration::from_millis(1600)).await;
    for &user in &people {
        assert_eq!(received(&app, user, text), 1, "user {user}");
    }
    let sends = app
        .emu()
        .calls_to("sendMessage")
        .iter()
        .filter(|c| c.params["text"] == text)
        .count();
    assert_eq!(sends, 3, "each recipient was sent to once");
    app.stop().await;
}

/// People the emulator knows, who opened a chat with the bot long ago, registered in the
/// database directly (no welcome goes out, so no sending budget is spent before the test).
async fn quiet_users(app: &TestApp, n: usize) -> Vec<i64> {
    let now = clock().1.now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = app.user(&format!("Q{i}"), "en");
        app.emu().open_private_chat(id);
        ids.push(id);
    }
    for chunk in ids.chunks(500) {
        let values = chunk
            .iter()
            .map(|id| format!("({id}, 'Quiet', 'active', $1, $1)"))
            .collect::<Vec<_>>()
            .join(", ");
        tollgate::storage::query_all(
            app.db(),
            &format!(
                "INSERT INTO users (id, first_name, status, created_at, last_seen_at) \
                 VALUES {values}"
            ),
            vec![now.into()],
        )
        .await
        .unwrap();
    }
    ids
}

/// The sendMessage calls with `text`, and how many carried `allow_paid_broadcast: true`.
fn sends_of(app: &TestApp, text: &str) -> (usize, usize) {
    let calls = app.emu().calls_to("sendMessage");
    let sends: Vec<_> = calls.iter().filter(|c| c.params["text"] == text).collect();
    let paid = sends
        .iter()
        .filter(|c| c.params["allow_paid_broadcast"] == serde_json::json!(true))
        .count();
    (sends.len(), paid)
}

/// With paid broadcast on, every campaign send carries `allow_paid_broadcast` and the campaign
/// goes at `PAID_BROADCAST_RATE`, past Telegram's free 30 a second (the emulator enforcing
/// Telegram's limits answers no 429), while replies keep the free budget; with it off, the
/// flag is absent and the free pace applies again.
#[tokio::test]
async fn a_paid_broadcast_flags_each_send_and_goes_at_the_paid_rate() {
    let app = spawn_app_with(Backend::Sqlite, |o| {
        o.limits = Some(tollgate::telegram::RateLimits::default());
        o.emulator.enforce_rate_limits = true;
        o.paid_broadcast_rate = Some(120.0);
    })
    .await
    .unwrap();
    let ann = app.started_user("Ann", "en").await;
    let people = quiet_users(&app, 239).await;
    app.set("paid_broadcast", "on").await;

    let text = "Paid and fast";
    let started = std::time::Instant::now();
    let c = create(&app, broadcast(text)).await;
    assert_eq!(c.counters.total, 240);
    until(&app, c.id, "under way", |c| c.counters.finished() >= 20).await;
    // A reply during the broadcast: the free budget is all the replies'.
    app.say(ann, "/balance");
    let mut reply = app.next_message(ann).await;
    if reply.body() == Some(text) {
        reply = app.next_message(ann).await;
    }
    assert!(reply.body().is_some_and(|b| b != text));
    let c = until_done(&app, c.id).await;
    let took = started.elapsed();
    assert_eq!(c.counters.sent, 240, "{c:?}");
    assert_eq!(sends_of(&app, text), (240, 240));
    assert_eq!(app.emu().paid_broadcast_count(), 240);
    assert_eq!(app.emu().rate_limited_count(), 0);
    // 120 at once, then 120 a second: at least a second; the free pace (30 a second, less
    // the replies' share) would need eight.
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(6),
        "{took:?}"
    );
    for &user in people.iter().take(5) {
        assert_eq!(received(&app, user, text), 1);
    }

    // Off again: the next campaign sends without the flag, at the free pace.
    app.set("paid_broadcast", "off").await;
    let text = "Free and steady";
    let started = std::time::Instant::now();
    let c = create(&app, broadcast(text)).await;
    until(&app, c.id, "under way", |c| c.counters.finished() >= 60).await;
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "the free pace holds: {:?}",
        started.elapsed()
    );
    campaigns::cancel(app.db(), app.h.app.ctx.now(), c.id)
        .await
        .unwrap();
    let (sent, paid) = sends_of(&app, text);
    assert!(sent >= 60, "{sent}");
    assert_eq!(paid, 0);
    assert!(
        app.emu()
            .calls_to("sendMessage")
            .iter()
            .filter(|c| c.params["text"] == text)
            .all(|c| c.params.get("allow_paid_broadcast").is_none())
    );
    assert_eq!(app.emu().paid_broadcast_count(), 240);
    app.stop().await;
}
