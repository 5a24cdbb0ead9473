//! The operator's own drip campaigns, made and run from the control center on the injected
//! clock: a first-contact campaign enrols a new user on their first /start and its steps
//! arrive on time under the bot's name with the stop button; "enrol everyone" enrols each
//! user once however often it is pressed; a purchase of credits meets the `paid` goal and
//! counts a conversion; the stop button stops the operator's drips only (the chat goes on);
//! bad input, stale panels and users who never started change nothing.
use std::time::Duration as StdDuration;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use tg_emulator::{CallbackAnswer, OutgoingKind, OutgoingMessage, Recorded};
use tollgate::{
    messaging::{contacts, drips},
    storage::entities::{admin_audit, contact_stops, drip_campaigns, drip_enrollments, drip_steps},
};

use crate::{
    helpers::{Backend, TestApp, clock, spawn_app_with},
    seller_api::{call, key_from_bot},
    sellers::wait_contains,
};

const WAIT: StdDuration = StdDuration::from_secs(15);

/// Long enough for the runner (it looks every 250 ms) to send what is due.
async fn a_while() {
    tokio::time::sleep(StdDuration::from_millis(800)).await;
}

/// `/admin` in the admin group, then 📣 → 💧: the panel's message id.
async fn drips_screen(app: &TestApp, op: i64) -> i32 {
    let chat = app.admin_chat();
    let seen = app.bot_message_count(chat);
    app.emu().send_text(op, chat, "/admin").unwrap();
    app.emu()
        .wait_for_bot_messages(chat, seen + 1, WAIT)
        .await
        .expect("the panel");
    let id = app.emu().bot_messages(chat).remove(seen).message_id;
    press(app, op, id, "Broadcasts and gifts").await;
    press(app, op, id, "Drip campaigns").await;
    assert!(body(app, id).contains("timed series"), "{}", body(app, id));
    id
}

fn panel(app: &TestApp, id: i32) -> Recorded {
    app.emu()
        .bot_messages(app.admin_chat())
        .into_iter()
        .find(|m| m.message_id == id)
        .expect("the panel exists")
}

fn body(app: &TestApp, id: i32) -> String {
    panel(app, id).body().unwrap_or_default().to_owned()
}

fn data_of(app: &TestApp, id: i32, label: &str) -> String {
    let p = panel(app, id);
    p.buttons
        .iter()
        .flatten()
        .find(|b| b.text.contains(label))
        .and_then(|b| b.callback_data.clone())
        .unwrap_or_else(|| panic!("no button {label:?} on {:?}", p.buttons))
}

async fn press_data(app: &TestApp, who: i64, id: i32, data: &str) -> CallbackAnswer {
    let q = app
        .emu()
        .press_raw(who, app.admin_chat(), id, data)
        .unwrap();
    app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap()
}

async fn press(app: &TestApp, who: i64, id: i32, label: &str) -> CallbackAnswer {
    let data = data_of(app, id, label);
    press_data(app, who, id, &data).await
}

/// Sends `text` in the admin group and waits until the panel shows `expect`.
async fn answer(app: &TestApp, who: i64, id: i32, text: &str, expect: &str) {
    app.emu().send_text(who, app.admin_chat(), text).unwrap();
    wait_for(app, id, expect).await;
}

/// Waits until the panel shows `expect`.
async fn wait_for(app: &TestApp, id: i32, expect: &str) {
    for _ in 0..150 {
        if body(app, id).contains(expect) {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("the panel never showed {expect:?}: {}", body(app, id));
}

/// A campaign made through the center: its name, trigger button and goal button.
async fn new_campaign(app: &TestApp, op: i64, id: i32, name: &str, trigger: &str, goal: &str) {
    press(app, op, id, "New campaign").await;
    answer(app, op, id, name, "What starts").await;
    press(app, op, id, trigger).await;
    assert!(body(app, id).contains("stop early"), "{}", body(app, id));
    press(app, op, id, goal).await;
    assert!(body(app, id).contains("is ready"), "{}", body(app, id));
}

/// A step added on the campaign's card: delay, message, whom for.
async fn add_step(app: &TestApp, op: i64, id: i32, delay: &str, text: &str, whom: &str) {
    press(app, op, id, "➕ Step").await;
    answer(app, op, id, delay, "Send the step's message").await;
    answer(app, op, id, text, "Who gets it?").await;
    press(app, op, id, whom).await;
    assert!(body(app, id).contains("added"), "{}", body(app, id));
}

/// What the bot calls itself in the emulator.
fn bot_name(app: &TestApp) -> String {
    app.emu()
        .bot_username()
        .trim_end_matches("_bot")
        .replace('_', " ")
}

fn count(app: &TestApp, chat: i64, needle: &str) -> usize {
    app.emu()
        .bot_messages(chat)
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.contains(needle)))
        .count()
}

async fn enrolments(app: &TestApp) -> Vec<drip_enrollments::Model> {
    drip_enrollments::Entity::find()
        .filter(drip_enrollments::Column::SellerId.eq(drips::OPERATOR.seller_id))
        .all(app.db())
        .await
        .unwrap()
}

async fn audits(app: &TestApp, what: &str) -> u64 {
    admin_audit::Entity::find()
        .filter(admin_audit::Column::Action.eq(what))
        .count(app.db())
        .await
        .unwrap()
}

/// `user` buys the 10-credit pack with Stars through /buy and reads the receipt.
async fn buy_with_stars(app: &TestApp, user: i64) {
    use tollgate::delivery::callbacks::{Callback, PayMethod};
    let product = tollgate::billing::orders::product_by_code(app.db(), "pack10")
        .await
        .unwrap()
        .unwrap()
        .id;
    app.say(user, "/buy");
    for data in [
        Callback::Buy { product }.data(),
        Callback::Pay {
            product,
            method: PayMethod::Stars,
        }
        .data(),
    ] {
        let mut message = None;
        for _ in 0..150 {
            message = app.emu().bot_messages(user).into_iter().rev().find(|m| {
                m.buttons
                    .iter()
                    .flatten()
                    .any(|b| b.callback_data.as_deref() == Some(data.as_str()))
            });
            if message.is_some() {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        let q = app
            .emu()
            .press_button(user, user, message.unwrap().message_id, &data)
            .unwrap();
        app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap();
    }
    let mut invoice = None;
    for _ in 0..150 {
        invoice = app
            .emu()
            .bot_messages(user)
            .into_iter()
            .rev()
            .find(|m| m.kind == "invoice");
        if invoice.is_some() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    app.emu()
        .pay_invoice(user, user, invoice.unwrap().message_id)
        .await
        .unwrap();
    wait_contains(app, user, "Payment received", 1).await;
}

async fn a_first_contact_series_reaches_new_users_on_time(backend: Backend) {
    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator();
    let id = drips_screen(&app, op).await;
    assert!(body(&app, id).contains("No campaigns yet"));
    new_campaign(
        &app,
        op,
        id,
        "Welcome series",
        "First /start",
        "When they buy",
    )
    .await;
    add_step(
        &app,
        op,
        id,
        "10m",
        "Welcome to the bot!",
        "Everyone enrolled",
    )
    .await;
    add_step(
        &app,
        op,
        id,
        "1d",
        "Still here? Packs are in /buy",
        "never bought",
    )
    .await;
    let card = body(&app, id);
    assert!(card.contains("1. after 10m: Welcome to the bot!"), "{card}");
    assert!(
        card.contains("2. after 1d, to those who never bought: Still here?"),
        "{card}"
    );
    assert_eq!(audits(&app, "drip_created").await, 1);
    assert_eq!(audits(&app, "drip_step_added").await, 2);

    // Bob is new: his first /start enrols him. Ann, who came before, is not enrolled by a
    // second /start.
    let bob = app.started_user("Bob", "en").await;
    app.say(ann, "/start");
    wait_contains(&app, ann, "Welcome back", 1).await;
    let enrolled = enrolments(&app).await;
    assert_eq!(enrolled.len(), 1, "{enrolled:?}");
    assert_eq!(enrolled[0].user_id, bob);

    clock.advance(Duration::minutes(9));
    a_while().await;
    assert_eq!(count(&app, bob, "Welcome to the bot!"), 0);
    clock.advance(Duration::minutes(2));
    let step = wait_contains(&app, bob, "Welcome to the bot!", 1).await;
    let labels: Vec<&str> = step
        .buttons
        .iter()
        .flatten()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(
        labels,
        vec![format!("🔕 Stop this series from {}", bot_name(&app))]
    );
    clock.advance(Duration::hours(23));
    a_while().await;
    assert_eq!(count(&app, bob, "Still here?"), 0);
    clock.advance(Duration::hours(1) + Duration::seconds(5));
    wait_contains(&app, bob, "Still here? Packs are in /buy", 1).await;
    clock.advance(Duration::days(3));
    a_while().await;
    assert_eq!(count(&app, bob, "Welcome to the bot!"), 1);
    assert_eq!(count(&app, bob, "Still here?"), 1);
    assert_eq!(count(&app, ann, "Welcome to the bot!"), 0);

    press(&app, op, id, "Refresh").await;
    let card = body(&app, id);
    assert!(card.contains("Enrolled 1: active 0, finished 1"), "{card}");
    assert!(
        card.contains("sent 1 · skipped 0 · clicks 0 · conversions 0"),
        "{card}"
    );
    // The list shows it with its trigger, status and enrolments.
    press(&app, op, id, "Back").await;
    assert!(
        data_of(
            &app,
            id,
            "Welcome series · 👋 First /start · active · 1 enrolled"
        )
        .len()
            <= 64
    );
    app.stop().await;
}

#[tokio::test]
async fn a_first_contact_series_reaches_new_users_on_time_on_sqlite() {
    a_first_contact_series_reaches_new_users_on_time(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_first_contact_series_reaches_new_users_on_time_on_postgres() {
    a_first_contact_series_reaches_new_users_on_time(Backend::Postgres).await;
}

async fn everyone_once_a_purchase_converts_and_stop_stops_only_drips(backend: Backend) {
    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "en").await;
    let cid = app.started_user("Cid", "en").await;
    let op = app.operator();
    let id = drips_screen(&app, op).await;
    new_campaign(&app, op, id, "Promo", "By hand", "When they buy").await;
    add_step(&app, op, id, "1m", "Promo one", "Everyone enrolled").await;
    add_step(&app, op, id, "1h", "Promo two", "Everyone enrolled").await;

    // Everyone, twice: each user is enrolled once.
    press(&app, op, id, "Enrol everyone").await;
    assert!(
        body(&app, id).contains("3 users enrolled"),
        "{}",
        body(&app, id)
    );
    press(&app, op, id, "Enrol everyone").await;
    assert!(
        body(&app, id).contains("0 users enrolled"),
        "{}",
        body(&app, id)
    );
    assert_eq!(enrolments(&app).await.len(), 3);
    assert_eq!(audits(&app, "drip_enrolled_all").await, 2);
    // And by hand, someone enrolled already: nothing changes.
    press(&app, op, id, "Enrol a user").await;
    answer(&app, op, id, &cid.to_string(), "was enrolled already").await;
    assert_eq!(enrolments(&app).await.len(), 3);
    assert_eq!(audits(&app, "drip_enrolled").await, 0);

    clock.advance(Duration::seconds(61));
    for user in [ann, bob, cid] {
        wait_contains(&app, user, "Promo one", 1).await;
    }

    // Ann buys credits: her goal is met and step 1 counts a conversion.
    buy_with_stars(&app, ann).await;
    let mut met = false;
    for _ in 0..100 {
        met = enrolments(&app)
            .await
            .iter()
            .any(|e| e.user_id == ann && e.status == "goal_met");
        if met {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert!(met, "{:?}", enrolments(&app).await);
    let campaign = drip_campaigns::Entity::find()
        .filter(drip_campaigns::Column::SellerId.eq(drips::OPERATOR.seller_id))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let stats = drips::stats(app.db(), campaign.id).await.unwrap();
    assert_eq!(stats.steps[0].conversions, 1, "{stats:?}");
    assert_eq!(stats.goal_met, 1, "{stats:?}");
    assert!(
        drips::has_paid(app.db(), drips::OPERATOR.seller_id, ann)
            .await
            .unwrap()
    );
    assert!(
        !drips::has_paid(app.db(), drips::OPERATOR.seller_id, cid)
            .await
            .unwrap()
    );

    // Bob stops the bot's series: only the operator's drips stop; his chat goes on.
    let name = bot_name(&app);
    crate::sellers::press(&app, bob, &format!("Stop this series from {name}")).await;
    wait_contains(&app, bob, "will send you no more of its message series", 1).await;
    let stops = contact_stops::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(stops.len(), 1);
    assert_eq!((stops[0].seller_id, stops[0].user_id), (0, bob));
    assert!(!contacts::may_message(app.db(), 0, bob).await.unwrap());
    // A seller's drip still reaches him.
    let shop = crate::sellers::shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let (status, dc) = call(
        &app,
        Method::POST,
        k,
        "/drip-campaigns",
        Some(json!({"name": "Sam's", "trigger": "manual"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{dc}");
    let dc = dc["id"].as_str().unwrap().to_owned();
    let (status, step) = call(
        &app,
        Method::POST,
        k,
        &format!("/drip-campaigns/{dc}/steps"),
        Some(json!({"delay_seconds": 60, "text": "From Sam's drip"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{step}");
    let (status, ct) = call(
        &app,
        Method::POST,
        k,
        "/contacts",
        Some(json!({"telegram_user_id": bob})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ct}");
    let (status, e) = call(
        &app,
        Method::POST,
        k,
        &format!("/drip-campaigns/{dc}/enrollments"),
        Some(json!({"contact_id": ct["id"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    clock.advance(Duration::seconds(61));
    wait_contains(&app, bob, "From Sam's drip", 1).await;
    app.say(bob, "Hello team");
    let mut relayed = false;
    for _ in 0..150 {
        relayed = app
            .topic_messages(bob)
            .await
            .iter()
            .any(|m| m.body() == Some("Hello team"));
        if relayed {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(relayed, "Bob's message still reaches the team");
    // /stop lists the bot as stopped, with the button to resume.
    app.say(bob, "/stop");
    let list = wait_contains(&app, bob, &format!("{name}: stopped"), 1).await;
    assert!(
        list.buttons
            .iter()
            .flatten()
            .any(|b| b.text.contains(&format!("Resume the series from {name}"))),
        "{:?}",
        list.buttons
    );

    clock.advance(Duration::minutes(61));
    wait_contains(&app, cid, "Promo two", 1).await;
    a_while().await;
    assert_eq!(count(&app, ann, "Promo two"), 0, "Ann's goal was met");
    assert_eq!(count(&app, bob, "Promo two"), 0, "Bob stopped them");
    for user in [ann, bob, cid] {
        assert_eq!(count(&app, user, "Promo one"), 1);
    }
    app.stop().await;
}

#[tokio::test]
async fn everyone_once_a_purchase_converts_and_stop_stops_only_drips_on_sqlite() {
    everyone_once_a_purchase_converts_and_stop_stops_only_drips(Backend::Sqlite).await;
}

#[tokio::test]
async fn everyone_once_a_purchase_converts_and_stop_stops_only_drips_on_postgres() {
    everyone_once_a_purchase_converts_and_stop_stops_only_drips(Backend::Postgres).await;
}

async fn bad_input_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let op = app.operator();
    let id = drips_screen(&app, op).await;
    let audit_before = admin_audit::Entity::find().count(app.db()).await.unwrap();

    // A name too long is asked again.
    press(&app, op, id, "New campaign").await;
    answer(
        &app,
        op,
        id,
        &"n".repeat(65),
        "A name is 1 to 64 characters",
    )
    .await;
    assert_eq!(
        drip_campaigns::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
        0
    );
    answer(&app, op, id, "Checks", "What starts").await;
    // Only first /start, a purchase and by hand are offered.
    let labels: Vec<String> = panel(&app, id)
        .buttons
        .iter()
        .flatten()
        .map(|b| b.text.clone())
        .collect();
    assert_eq!(
        labels,
        vec![
            "👋 First /start",
            "💳 A purchase",
            "✋ By hand",
            "✖️ Cancel"
        ],
        "{labels:?}"
    );
    press(&app, op, id, "By hand").await;
    press(&app, op, id, "Never").await;
    assert_eq!(
        drip_campaigns::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
        1
    );
    let card_data = data_of(&app, id, "➕ Step");

    // Delays of zero, over a year, or no delay at all; a text too long.
    press(&app, op, id, "➕ Step").await;
    answer(&app, op, id, "0s", "A delay is 1 second to 365 days").await;
    answer(&app, op, id, "366d", "A delay is 1 second to 365 days").await;
    answer(&app, op, id, "soon", "A delay is 1 second to 365 days").await;
    answer(&app, op, id, "2h", "Send the step's message").await;
    // A caption over 1024 characters, and a sticker, are not steps.
    let chat = app.admin_chat();
    let photo = OutgoingKind::Photo {
        caption: Some("x".repeat(1025)),
    };
    app.emu()
        .send(op, chat, OutgoingMessage::new(photo))
        .unwrap();
    wait_for(&app, id, "a caption: at most 1024").await;
    let sticker = OutgoingKind::Sticker {
        emoji: "🙂".into()
    };
    app.emu()
        .send(op, chat, OutgoingMessage::new(sticker))
        .unwrap();
    wait_for(&app, id, "Only a text, a photo, a video or a document").await;
    assert_eq!(drip_steps::Entity::find().count(app.db()).await.unwrap(), 0);
    press(&app, op, id, "Cancel").await;
    assert!(body(&app, id).contains("Checks"), "{}", body(&app, id));

    // A user who never started the bot, and no user id at all.
    press(&app, op, id, "Enrol a user").await;
    answer(&app, op, id, "424242", "never started the bot").await;
    answer(&app, op, id, "someone", "A user's id is a positive number").await;
    assert!(enrolments(&app).await.is_empty());
    assert_eq!(
        tollgate::storage::entities::contacts::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
        0
    );
    press(&app, op, id, "Cancel").await;

    // A stale panel: a button of a screen shown before is refused.
    let stale = press_data(&app, op, id, &card_data).await;
    assert!(
        stale
            .text
            .as_deref()
            .unwrap_or_default()
            .contains("expired"),
        "{stale:?}"
    );
    // A forged stop button is refused too.
    let bob = app.started_user("Bob", "en").await;
    let q = app.emu().press_raw(bob, bob, 1, "ms:stop:-3").unwrap();
    app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap();
    assert_eq!(
        contact_stops::Entity::find().count(app.db()).await.unwrap(),
        0
    );

    assert_eq!(drip_steps::Entity::find().count(app.db()).await.unwrap(), 0);
    assert!(enrolments(&app).await.is_empty());
    // Only the campaign itself was audited.
    assert_eq!(
        admin_audit::Entity::find().count(app.db()).await.unwrap(),
        audit_before + 1
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_input_changes_nothing_on_sqlite() {
    bad_input_changes_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn bad_input_changes_nothing_on_postgres() {
    bad_input_changes_nothing(Backend::Postgres).await;
}
