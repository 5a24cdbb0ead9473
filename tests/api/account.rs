//! Onboarding tour, /balance, /history, /language, /reset, time passes and admin commands.
use std::sync::Arc;

use chrono::{Duration, Utc};
use tollgate::{
    accounts::credits::{self, Debited, Movement, Reason},
    bot::Reply,
    clock::ManualClock,
    delivery::callbacks::Callback,
    i18n::Locale,
};

use crate::helpers::{Backend, TestApp, TestDb, render, spawn_app, spawn_app_with};

async fn press(app: &TestApp, user: i64, cb: Callback) -> String {
    let message = app
        .emu()
        .bot_messages(user)
        .into_iter()
        .rev()
        .find(|m| {
            m.buttons
                .iter()
                .flatten()
                .any(|b| b.callback_data.as_deref() == Some(cb.data().as_str()))
        })
        .expect("a message with that button");
    let id = app
        .emu()
        .press_button(user, user, message.message_id, &cb.data())
        .unwrap();
    app.emu()
        .wait_for_callback_answer(&id, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    app.emu()
        .message(user, message.message_id)
        .unwrap()
        .body()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_tour_walks_three_steps_and_pays_its_bonus_once() {
    let app = spawn_app().await;
    let ann = app.user("Ann", "en");
    app.say(ann, "/start");
    let welcome = app.next_message(ann).await;
    assert_eq!(welcome.buttons[0].len(), 2);

    assert_eq!(
        press(&app, ann, Callback::TourStart).await,
        render(Reply::TourStep { step: 1 }, Locale::En)
    );
    assert_eq!(
        press(&app, ann, Callback::TourNext).await,
        render(Reply::TourStep { step: 2 }, Locale::En)
    );
    assert_eq!(
        press(&app, ann, Callback::TourNext).await,
        render(Reply::TourStep { step: 3 }, Locale::En)
    );
    assert_eq!(
        press(&app, ann, Callback::TourNext).await,
        render(
            Reply::TourDone {
                bonus: 2,
                balance: 5
            },
            Locale::En
        )
    );

    // A replayed "Finish" (an old button, a forged press) changes nothing.
    let id = app
        .emu()
        .press_raw(ann, ann, welcome.message_id, "tour:next")
        .unwrap();
    let answer = app
        .emu()
        .wait_for_callback_answer(&id, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        answer.text.as_deref(),
        Some(render(Reply::ButtonExpired, Locale::En).as_str())
    );
    // Taking the tour again (the welcome message's old button) ends without a second bonus.
    let id = app
        .emu()
        .press_raw(ann, ann, welcome.message_id, "tour:start")
        .unwrap();
    app.emu()
        .wait_for_callback_answer(&id, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    press(&app, ann, Callback::TourNext).await;
    press(&app, ann, Callback::TourNext).await;
    assert_eq!(
        press(&app, ann, Callback::TourNext).await,
        render(Reply::TourDoneAgain { balance: 5 }, Locale::En)
    );
    assert_eq!(app.balance(ann).await, 5);
    app.stop().await;
}

#[tokio::test]
async fn forged_or_unknown_buttons_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let welcome = app.emu().last_bot_message(ann).unwrap();
    for data in ["reset:yes", "hist:abc", "lang:xx", "evil", "tour:next"] {
        let id = app
            .emu()
            .press_raw(ann, ann, welcome.message_id, data)
            .unwrap();
        let answer = app
            .emu()
            .wait_for_callback_answer(&id, std::time::Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(
            answer.text.as_deref(),
            Some(render(Reply::ButtonExpired, Locale::En).as_str()),
            "{data}"
        );
    }
    assert!(
        tollgate::accounts::users::find(app.db(), ann)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        app.emu().message(ann, welcome.message_id).unwrap().body(),
        welcome.body()
    );
    app.stop().await;
}

#[tokio::test]
async fn balance_shows_a_bar_the_plan_and_a_tip() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;

    app.say(ann, "/balance");

    let text = app.next_text(ann).await;
    assert_eq!(
        text,
        render(
            Reply::Balance {
                balance: 3,
                scale: 10,
                tier: "standard".into(),
                cost: 1,
                pass_until: None,
                tip: tollgate::delivery::replies::Tip::Normal,
            },
            Locale::En
        )
    );
    assert!(text.starts_with("▰▰▰▱▱▱▱▱▱▱ 3 credits"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn history_pages_through_the_ledger_in_place() {
    let app = spawn_app().await;
    app.set("welcome_credits", "10").await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    for i in 0..6 {
        app.say(ann, &format!("message {i}"));
    }
    app.settle().await;

    app.say(ann, "/history");
    let page1 = app.next_message(ann).await;
    let text = page1.body().unwrap();
    assert!(text.starts_with("📜 History, page 1"), "{text}");
    assert_eq!(text.lines().count(), 6, "a title and five entries: {text}");
    assert!(
        text.lines().nth(1).unwrap().contains("-1 · message → 4"),
        "newest first: {text}"
    );

    let page2 = press(&app, ann, Callback::History { page: 1 }).await;
    assert!(page2.starts_with("📜 History, page 2"), "{page2}");
    assert!(page2.contains("+10 · welcome gift → 10"), "{page2}");
    let buttons = app.emu().message(ann, page1.message_id).unwrap().buttons;
    assert_eq!(buttons[0].len(), 1, "only ‹ Newer on the last page");
    app.stop().await;
}

/// A handler that fails (here: the ledger is gone) is logged, and the person hears that
/// something went wrong, in their language, instead of silence.
#[tokio::test]
async fn a_failing_command_gets_an_apology_in_the_senders_language() {
    use sea_orm::ConnectionTrait;

    let app = spawn_app().await;
    let olga = app.started_user("Olga", "ru").await;
    app.db()
        .execute_unprepared("DROP TABLE credit_ledger")
        .await
        .unwrap();
    app.say(olga, "/history");
    assert_eq!(
        app.next_text(olga).await,
        render(Reply::InternalError, Locale::Ru)
    );
    app.stop().await;
}

#[tokio::test]
async fn the_language_choice_sticks() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;

    app.say(ann, "/language");
    app.next_message(ann).await;
    assert_eq!(
        press(&app, ann, Callback::Language(Locale::Ru)).await,
        render(Reply::LanguageSet, Locale::Ru)
    );
    app.say(ann, "/help");

    assert_eq!(app.next_text(ann).await, render(Reply::Help, Locale::Ru));
    app.stop().await;
}

#[tokio::test]
async fn reset_is_off_by_default_and_wipes_the_account_after_confirmation_when_on() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;

    app.say(ann, "/reset");
    assert_eq!(
        app.next_text(ann).await,
        render(Reply::ResetDisabled, Locale::En)
    );

    app.set("allow_reset", "on").await;
    app.say(ann, "/reset");
    assert_eq!(
        app.next_text(ann).await,
        render(Reply::ResetConfirm, Locale::En)
    );
    assert_eq!(
        press(&app, ann, Callback::ResetCancel).await,
        render(Reply::ResetCancelled, Locale::En)
    );
    assert!(
        tollgate::accounts::users::find(app.db(), ann)
            .await
            .unwrap()
            .is_some()
    );

    app.say(ann, "/reset");
    app.next_message(ann).await;
    assert_eq!(
        press(&app, ann, Callback::ResetConfirm).await,
        render(Reply::ResetDone, Locale::En)
    );
    assert!(
        tollgate::accounts::users::find(app.db(), ann)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.ledger_sum(ann).await, 0);

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
async fn a_time_pass_makes_messages_free_reminds_before_the_end_and_expires() {
    let clock = ManualClock::new(Utc::now());
    let shared = Arc::new(clock.clone());
    let app = spawn_app_with(Backend::Sqlite, |o| o.clock = shared)
        .await
        .unwrap();
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "hi");
    app.settle().await;

    app.answer_in_topic(ann, "/pass day").await;
    let granted = app.next_text(ann).await;
    assert!(
        granted.starts_with("🎟 Unlimited messaging until"),
        "{granted}"
    );
    for i in 0..3 {
        app.say(ann, &format!("free {i}"));
    }
    app.settle().await;
    assert_eq!(app.balance(ann).await, 2, "only the first message was paid");

    app.say(ann, "/balance");
    let balance = app.next_text(ann).await;
    assert!(balance.contains("🎟 Unlimited until"), "{balance}");

    clock.advance(Duration::hours(23));
    app.drain_jobs().await;
    let reminder = app.next_text(ann).await;
    assert!(
        reminder.starts_with("⏳ Your unlimited pass ends at"),
        "{reminder}"
    );

    clock.advance(Duration::hours(2));
    app.say(ann, "paid again");
    app.settle().await;
    assert_eq!(app.balance(ann).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn admin_commands_grant_set_and_explain_their_usage() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "hi");
    app.settle().await;
    let group = app.admin_chat();
    let op = app.operator();
    let last_admin_note = || {
        app.emu()
            .last_bot_message(group)
            .unwrap()
            .body()
            .unwrap()
            .to_owned()
    };

    app.answer_in_topic(ann, "/grant 5").await;
    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::CreditsGranted {
                amount: 5,
                balance: 7
            },
            Locale::En
        )
    );
    app.settle().await;
    assert_eq!(
        last_admin_note(),
        render(
            Reply::AdminGranted {
                user: ann,
                amount: 5,
                balance: 7
            },
            Locale::En
        )
    );

    app.emu()
        .send_text(op, group, &format!("/grant {ann} 1"))
        .unwrap();
    app.next_message(ann).await;
    assert_eq!(app.balance(ann).await, 8);

    for bad in ["/grant", "/grant lots", "/grant 0", "/pass forever"] {
        app.answer_in_topic(ann, bad).await;
        app.settle().await;
        assert!(
            last_admin_note().starts_with("Usage:"),
            "{bad}: {}",
            last_admin_note()
        );
    }
    app.emu().send_text(op, group, "/grant 999 5").unwrap();
    app.settle().await;
    assert_eq!(
        last_admin_note(),
        render(Reply::AdminUnknownUser { user: 999 }, Locale::En)
    );

    app.emu()
        .send_text(op, group, "/set message_cost 2")
        .unwrap();
    app.settle().await;
    assert_eq!(last_admin_note(), "✅ message_cost = 2");
    app.emu()
        .send_text(op, group, "/set message_cost -4")
        .unwrap();
    app.settle().await;
    assert_eq!(
        last_admin_note(),
        "⚠️ message_cost takes a whole number from 0 to 1000000"
    );
    app.emu().send_text(op, group, "/settings").unwrap();
    app.settle().await;
    assert!(last_admin_note().contains("message_cost = 2"));

    app.say(ann, "costs two now");
    app.settle().await;
    assert_eq!(app.balance(ann).await, 6);
    assert_eq!(app.ledger_sum(ann).await, 6);
    app.stop().await;
}

#[tokio::test]
async fn a_thousand_concurrent_debits_never_overdraw_on_either_database() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::new(backend).await else {
            continue;
        };
        let db = test_db.connect().await;
        let now = Utc::now();
        let profile = tollgate::domain::TelegramProfile {
            id: 7,
            first_name: "Ann".into(),
            last_name: None,
            username: None,
            language_code: None,
        };
        tollgate::accounts::users::register_start(&db, now, &profile, None, None)
            .await
            .unwrap();
        credits::grant(&db, now, &Movement::new(7, 10, Reason::AdminGrant))
            .await
            .unwrap();

        let results = futures::future::join_all((0..1000).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                credits::debit(
                    &db,
                    now,
                    &Movement::new(7, 1, Reason::Message).key(format!("m{i}")),
                )
                .await
                .unwrap()
            })
        }))
        .await;

        let applied = results
            .iter()
            .filter(|r| matches!(r.as_ref().unwrap(), Debited::Applied { .. }))
            .count();
        assert_eq!(applied, 10, "{backend:?}");
        assert_eq!(credits::balance(&db, 7).await.unwrap(), 0);
        assert_eq!(credits::ledger_sum(&db, 7).await.unwrap(), 0);
        // The same key again is a no-op, not a second debit.
        credits::grant(&db, now, &Movement::new(7, 1, Reason::AdminGrant))
            .await
            .unwrap();
        let again = credits::debit(&db, now, &Movement::new(7, 1, Reason::Message).key("m0"))
            .await
            .unwrap();
        assert!(matches!(
            again,
            Debited::Duplicate | Debited::Applied { .. }
        ));
        db.close().await.unwrap();
        test_db.drop_now().await;
    }
}

#[tokio::test]
async fn admins_create_tiers_and_put_a_user_on_one_which_sets_their_message_cost() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    app.set("welcome_credits", "10").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "hi");
    app.settle().await;
    assert_eq!(app.balance(ann).await, 9);
    let group = app.admin_chat();

    app.emu()
        .send_text(app.operator(), group, "/tier vip 3 Priority answers")
        .unwrap();
    app.settle().await;
    assert_eq!(
        app.emu().last_bot_message(group).unwrap().body().unwrap(),
        render(
            Reply::AdminTierSaved {
                name: "vip".into(),
                cost: 3
            },
            Locale::En
        )
    );
    app.answer_in_topic(ann, "/settier gold").await;
    app.settle().await;
    assert!(
        app.emu()
            .last_bot_message(group)
            .unwrap()
            .body()
            .unwrap()
            .contains("no tier 'gold'")
    );
    app.answer_in_topic(ann, "/settier vip").await;
    app.settle().await;

    app.say(ann, "priority please");
    app.settle().await;
    assert_eq!(app.balance(ann).await, 6, "a vip message costs 3");
    app.say(ann, "/balance");
    assert!(
        app.next_text(ann)
            .await
            .contains("Plan: vip · 3 per message")
    );
    app.stop().await;
}
