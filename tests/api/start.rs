use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use tg_emulator::Fault;
use tollgate::{bot::Reply, i18n::Locale, storage::entities::users};

use crate::{
    helpers::{TestApp, render, spawn_app},
    on_both_databases,
};

async fn start_creates_the_user_once_and_welcomes_them(app: TestApp) {
    let alice = app.user("Alice", "en");

    app.say(alice, "/start");
    assert_eq!(
        app.next_text(alice).await,
        render(
            Reply::WelcomeNew {
                name: "Alice".into(),
                credits: 3
            },
            Locale::En
        )
    );
    app.say(alice, "/start");
    assert_eq!(
        app.next_text(alice).await,
        render(
            Reply::WelcomeBack {
                name: "Alice".into(),
                balance: 3
            },
            Locale::En
        )
    );

    assert_eq!(users::Entity::find().count(app.db()).await.unwrap(), 1);
    let row = users::Entity::find_by_id(alice)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.first_name, "Alice");
    assert_eq!(row.language_code.as_deref(), Some("en"));
    assert_eq!(row.status, "active");
    app.stop().await;
}
on_both_databases!(start_flow, start_creates_the_user_once_and_welcomes_them);

async fn each_user_is_welcomed_in_their_own_language(app: TestApp) {
    let boris = app.user("Boris", "ru");
    let hans = app.user("Hans", "de");

    app.say(boris, "/start");
    app.say(hans, "/start");

    assert_eq!(
        app.next_text(boris).await,
        render(
            Reply::WelcomeNew {
                name: "Boris".into(),
                credits: 3
            },
            Locale::Ru
        )
    );
    // No German locale ships: the operator's default (English) is used.
    assert_eq!(
        app.next_text(hans).await,
        render(
            Reply::WelcomeNew {
                name: "Hans".into(),
                credits: 3
            },
            Locale::En
        )
    );
    app.stop().await;
}
on_both_databases!(languages, each_user_is_welcomed_in_their_own_language);

#[tokio::test]
async fn a_deep_link_payload_is_kept_and_a_malformed_one_is_refused_politely() {
    let app = spawn_app().await;
    let ann = app.user("Ann", "en");
    let bob = app.user("Bob", "en");

    app.say(ann, "/start ref_42");
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
    app.say(bob, "/start ../../etc/passwd");
    assert_eq!(
        app.next_text(bob).await,
        render(Reply::StartLinkInvalid, Locale::En)
    );
    assert_eq!(
        app.next_text(bob).await,
        render(
            Reply::WelcomeNew {
                name: "Bob".into(),
                credits: 3
            },
            Locale::En
        )
    );

    let ann_row = users::Entity::find_by_id(ann)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let bob_row = users::Entity::find_by_id(bob)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ann_row.start_payload.as_deref(), Some("ref_42"));
    assert_eq!(bob_row.start_payload, None);
    app.stop().await;
}

#[tokio::test]
async fn unknown_commands_and_help_get_friendly_answers() {
    let app = spawn_app().await;
    let ann = app.user("Ann", "en");
    app.say(ann, "/start");
    app.next_message(ann).await;

    app.say(ann, "/frobnicate now");
    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::UnknownCommand {
                command: "/frobnicate".into()
            },
            Locale::En
        )
    );
    app.say(ann, "/help");
    assert_eq!(app.next_text(ann).await, render(Reply::Help, Locale::En));
    app.stop().await;
}

#[tokio::test]
async fn a_user_who_blocked_the_bot_is_recorded_unreachable_and_not_retried() {
    let app = spawn_app().await;
    let ann = app.user("Ann", "en");
    app.say(ann, "/start");
    app.next_message(ann).await;

    app.emu().fail_next(
        "sendMessage",
        Fault::Forbidden("Forbidden: bot was blocked by the user".into()),
        1,
    );
    let sends_before = app.emu().calls_to("sendMessage").len();
    app.say(ann, "/help");
    app.settle().await;

    let row = users::Entity::find_by_id(ann)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "unreachable");
    assert!(row.unreachable_at.is_some());
    assert_eq!(
        app.emu().calls_to("sendMessage").len(),
        sends_before + 1,
        "403 is never retried"
    );

    // Writing again makes the user reachable again.
    app.say(ann, "/start");
    app.next_message(ann).await;
    let row = users::Entity::find_by_id(ann)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "active");
    app.stop().await;
}

#[tokio::test]
async fn a_flood_wait_is_honoured_and_the_reply_still_arrives() {
    let app = spawn_app().await;
    let ann = app.user("Ann", "en");
    app.emu()
        .fail_next("sendMessage", Fault::TooManyRequests { retry_after: 1 }, 1);

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
    let calls = app.emu().calls_to("sendMessage");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].error_code, Some(429));
    assert!(calls[1].ok);
    assert_eq!(
        app.h
            .app
            .ctx
            .metrics
            .api_call_count("SendMessage", "rate_limited"),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn command_menus_are_set_per_scope_and_language_at_start() {
    let app = spawn_app().await;
    let private = json!({"type": "all_private_chats"});
    let en = app.emu().my_commands(&private, "en").expect("English menu");
    let ru = app.emu().my_commands(&private, "ru").expect("Russian menu");
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["command"].as_str().unwrap().to_owned())
            .collect()
    };
    let user_menu = [
        "start",
        "balance",
        "buy",
        "history",
        "billing",
        "autorecharge",
        "language",
        "stop",
        "help",
    ];
    assert_eq!(names(&en), user_menu);
    assert_eq!(names(&ru), user_menu);
    assert_ne!(en[0]["description"], ru[0]["description"]);

    let admin_scope = json!({"type": "chat", "chat_id": app.h.admin_chat_id.unwrap()});
    let admin = app
        .emu()
        .my_commands(&admin_scope, "")
        .expect("admin group menu");
    assert_eq!(
        names(&admin),
        [
            "status", "grant", "pass", "ban", "unban", "settings", "set", "refund", "tier",
            "settier", "plans", "setplan"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn admins_get_a_status_report_in_the_admin_group_and_nobody_else_does() {
    let app = spawn_app().await;
    let ann = app.user("Ann", "en");
    app.say(ann, "/start");
    app.next_message(ann).await;
    let group = app.h.admin_chat_id.unwrap();
    let operator = app.h.operator_id.unwrap();

    app.emu().send_text(operator, group, "/status").unwrap();
    let report = app.next_text(group).await;
    assert!(
        report.contains("Users: 1 (active in the last 24 h: 1)"),
        "{report}"
    );

    // /status in a private chat is just an unknown command there.
    app.say(ann, "/status");
    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::UnknownCommand {
                command: "/status".into()
            },
            Locale::En
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn users_and_their_history_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("keep.db").display());

    let first =
        tollgate::sandbox::Harness::start(tollgate::sandbox::HarnessOptions::new(url.clone()))
            .await
            .unwrap();
    let ann = first.add_user("Ann", "en");
    first.emulator.send_text(ann, ann, "/start").unwrap();
    first
        .emulator
        .wait_for_bot_messages(ann, 1, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    first.stop().await.unwrap();

    // A new process (new emulator too): the same Telegram user id comes back.
    let second = tollgate::sandbox::Harness::start(tollgate::sandbox::HarnessOptions::new(url))
        .await
        .unwrap();
    let ann_again = second.add_user("Ann", "en");
    assert_eq!(
        ann_again, ann,
        "the emulator hands out ids deterministically"
    );
    second.emulator.send_text(ann, ann, "/start").unwrap();
    let replies = second
        .emulator
        .wait_for_bot_messages(ann, 1, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        replies[0].body().unwrap(),
        render(
            Reply::WelcomeBack {
                name: "Ann".into(),
                balance: 3
            },
            Locale::En
        )
    );
    second.stop().await.unwrap();
}

#[tokio::test]
async fn a_telegram_server_error_is_retried_and_nothing_is_lost() {
    let app = spawn_app().await;
    let ann = app.user("Ann", "en");
    app.emu()
        .fail_next("sendMessage", Fault::Server { code: 502 }, 1);

    app.say(ann, "/start");

    // teloxide itself pauses 10 s after any 5xx before our retry runs.
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
    let calls = app.emu().calls_to("sendMessage");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].error_code, Some(502));
    assert!(calls[1].ok);
    app.stop().await;
}

/// A new user and their welcome gift are one transaction: the row carries the gift and the
/// ledger says why; a second /start pays nothing; a ledger that already holds the gift's key
/// (the user's row removed by hand) gives no second gift; and when the gift can't be written,
/// no user is left behind without it.
async fn a_new_user_and_their_welcome_gift_are_written_together(app: TestApp) {
    use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
    use tollgate::{
        domain::TelegramProfile,
        storage::entities::credit_ledger,
        {
            accounts::credits::{Movement, Reason},
            accounts::users::{StartOutcome, register_start},
        },
    };

    let db = app.db();
    let now = chrono::Utc::now();
    let profile = |id: i64| TelegramProfile {
        id,
        first_name: format!("User{id}"),
        last_name: None,
        username: None,
        language_code: Some("en".into()),
    };
    let welcome = |id: i64| Movement::new(id, 3, Reason::Welcome).key(format!("welcome:{id}"));
    let ledger = |id: i64| async move {
        credit_ledger::Entity::find()
            .filter(credit_ledger::Column::UserId.eq(id))
            .all(db)
            .await
            .unwrap()
    };

    let first = register_start(db, now, &profile(4242), None, Some(&welcome(4242)))
        .await
        .unwrap();
    let StartOutcome::New(user) = first else {
        panic!("a new user: {first:?}")
    };
    assert_eq!(user.credits, 3);
    let rows = ledger(4242).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].amount,
            rows[0].balance_after,
            rows[0].reason.as_str()
        ),
        (3, 3, "welcome")
    );

    let again = register_start(db, now, &profile(4242), None, Some(&welcome(4242)))
        .await
        .unwrap();
    assert!(
        matches!(&again, StartOutcome::Returning(u) if u.credits == 3),
        "{again:?}"
    );
    assert_eq!(ledger(4242).await.len(), 1);

    users::Entity::delete_by_id(4242).exec(db).await.unwrap();
    let recreated = register_start(db, now, &profile(4242), None, Some(&welcome(4242)))
        .await
        .unwrap();
    assert!(
        matches!(&recreated, StartOutcome::New(u) if u.credits == 0),
        "{recreated:?}"
    );
    assert_eq!(ledger(4242).await.len(), 1);

    db.execute_unprepared("DROP TABLE credit_ledger")
        .await
        .unwrap();
    register_start(db, now, &profile(4343), None, Some(&welcome(4343)))
        .await
        .expect_err("no ledger, no gift");
    assert!(
        users::Entity::find_by_id(4343)
            .one(db)
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}
on_both_databases!(
    welcome_gift,
    a_new_user_and_their_welcome_gift_are_written_together
);

async fn the_operator_sets_the_welcome_per_language_and_switches_the_tour_off(app: TestApp) {
    // The Russian welcome is the operator's own; English keeps the built-in one.
    app.set(
        "welcome_text_ru",
        "Привет, {name}! У вас {credits} кредитов.",
    )
    .await;
    let boris = app.user("Boris", "ru");
    app.say(boris, "/start");
    let welcome = app.next_message(boris).await;
    assert_eq!(welcome.body(), Some("Привет, Boris! У вас 3 кредитов."));
    assert!(!welcome.buttons.is_empty(), "the tour is still offered");
    let alice = app.user("Alice", "en");
    app.say(alice, "/start");
    let tour_button = app.next_message(alice).await;
    assert_eq!(
        tour_button.body(),
        Some(
            render(
                Reply::WelcomeNew {
                    name: "Alice".into(),
                    credits: 3
                },
                Locale::En
            )
            .as_str()
        )
    );

    // The tour switched off: no buttons, the plain welcome, and old tour buttons expire.
    app.set("tutorial", "off").await;
    let cid = app.user("Cid", "en");
    app.say(cid, "/start");
    let plain = app.next_message(cid).await;
    assert!(plain.buttons.is_empty(), "{plain:?}");
    assert_eq!(
        plain.body(),
        Some(
            render(
                Reply::WelcomeNoTour {
                    name: "Cid".into(),
                    credits: 3
                },
                Locale::En
            )
            .as_str()
        )
    );
    let data = tour_button.buttons[0][0].callback_data.clone().unwrap();
    let q = app
        .emu()
        .press_button(alice, alice, tour_button.message_id, &data)
        .unwrap();
    let answer = app
        .emu()
        .wait_for_callback_answer(&q, std::time::Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(
        answer.text.as_deref(),
        Some(render(Reply::ButtonExpired, Locale::En).as_str())
    );
    assert_eq!(app.balance(alice).await, 3, "no tour bonus");

    // Bad texts are refused and change nothing; "-" brings the built-in one back.
    for bad in ["", &"x".repeat(1001)] {
        let refused = tollgate::services::settings::set_from_text(
            app.db(),
            chrono::Utc::now(),
            "welcome_text_ru",
            bad,
        )
        .await
        .unwrap();
        assert!(refused.is_err(), "{bad:?}");
    }
    app.set("welcome_text_ru", "-").await;
    app.set("tutorial", "on").await;
    let dina = app.user("Dina", "ru");
    app.say(dina, "/start");
    assert_eq!(
        app.next_text(dina).await,
        render(
            Reply::WelcomeNew {
                name: "Dina".into(),
                credits: 3
            },
            Locale::Ru
        )
    );
    app.stop().await;
}
on_both_databases!(
    welcome_settings,
    the_operator_sets_the_welcome_per_language_and_switches_the_tour_off
);
