//! Drip campaigns over the API and through the runner, on the injected clock: steps arrive
//! after their delays with their buttons and the stop button, clicks and conversions are
//! counted, enrolling twice is one enrolment, `/stop` and the purchase goal end enrolments,
//! first contact and an added tag enrol, a restart or a crash mid-campaign sends nobody a step
//! twice, and bad input is a 422 naming its field with nothing changed.
use std::time::Duration as StdDuration;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tollgate::{
    clock::{Clock, ManualClock},
    messaging::drips,
    storage::entities::{drip_campaigns, drip_enrollments, drip_sends, drip_steps},
};

use crate::{
    helpers::{Backend, TestApp, clock, spawn_app_with},
    seller_api::{call, key_from_bot},
    sellers::{Shop, invoice, press, shop, wait_contains},
};

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("")
}

fn count(app: &TestApp, chat: i64, needle: &str) -> usize {
    app.emu()
        .bot_messages(chat)
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.contains(needle)))
        .count()
}

/// Long enough for the runner (it looks every 250 ms) to send what is due.
async fn a_while() {
    tokio::time::sleep(StdDuration::from_millis(800)).await;
}

async fn contact_of(app: &TestApp, k: Option<&str>, user: i64) -> String {
    let (status, c) = call(
        app,
        Method::POST,
        k,
        "/contacts",
        Some(json!({"telegram_user_id": user})),
    )
    .await;
    if status == StatusCode::CONFLICT {
        let (_, list) = call(app, Method::GET, k, "/contacts?limit=100", None).await;
        return list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["telegram_user_id"] == json!(user))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["id"].as_str().unwrap().to_owned()
}

async fn campaign(app: &TestApp, k: Option<&str>, body: Value, steps: &[Value]) -> String {
    let (status, c) = call(app, Method::POST, k, "/drip-campaigns", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().unwrap().to_owned();
    for step in steps {
        let (status, s) = call(
            app,
            Method::POST,
            k,
            &format!("/drip-campaigns/{id}/steps"),
            Some(step.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{s}");
    }
    id
}

async fn enrol(app: &TestApp, k: Option<&str>, dc: &str, ct: &str) -> (StatusCode, Value) {
    call(
        app,
        Method::POST,
        k,
        &format!("/drip-campaigns/{dc}/enrollments"),
        Some(json!({"contact_id": ct})),
    )
    .await
}

async fn stats(app: &TestApp, k: Option<&str>, dc: &str) -> Value {
    app.drips_recorded().await;
    let (status, s) = call(
        app,
        Method::GET,
        k,
        &format!("/drip-campaigns/{dc}/stats"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    s
}

/// `buyer` pays the shop's plan with Stars (their `nth` invoice) and the jobs that follow run.
async fn pay(app: &TestApp, shop: &Shop, buyer: i64, nth: usize) {
    let bill = invoice(app, shop, buyer, nth).await;
    app.emu()
        .pay_invoice(buyer, buyer, bill.message_id)
        .await
        .unwrap();
    wait_contains(app, buyer, "Payment received", nth).await;
    app.finish_jobs().await;
}

/// An app on the manual clock with Sam's shop (one channel, one Stars plan) and his live key.
async fn sams_shop(backend: Backend) -> Option<(ManualClock, TestApp, Shop, String)> {
    let (clock, shared) = clock();
    let app = spawn_app_with(backend, |o| o.clock = shared).await?;
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    Some((clock, app, shop, key))
}

async fn steps_arrive_after_their_delays(backend: Backend) {
    let Some((clock, app, shop, key)) = sams_shop(backend).await else {
        return;
    };
    let k = Some(key.as_str());
    let dc = campaign(
        &app,
        k,
        json!({"name": "Welcome", "trigger": "manual", "goal": "paid"}),
        &[
            json!({"delay_seconds": 60, "text": "Welcome aboard",
                "buttons": [{"text": "Read the guide", "url": "https://example.com/guide"}]}),
            json!({"delay_seconds": 3600, "text": "Still thinking?", "condition": "not_paid"}),
            json!({"delay_seconds": 3600, "text": "Last call"}),
        ],
    )
    .await;
    let (_, got) = call(&app, Method::GET, k, &format!("/drip-campaigns/{dc}"), None).await;
    assert_eq!(got["steps"].as_array().unwrap().len(), 3, "{got}");
    assert_eq!(got["steps"][1]["condition"], json!("not_paid"));

    let bob = app.started_user("Bob", "en").await;
    let ct = contact_of(&app, k, bob).await;
    let (status, first) = enrol(&app, k, &dc, &ct).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], json!("active"));
    // Enrolling twice is the one enrolment.
    let (status, again) = enrol(&app, k, &dc, &ct).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (_, list) = call(
        &app,
        Method::GET,
        k,
        &format!("/drip-campaigns/{dc}/enrollments"),
        None,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");

    // Not before its delay.
    clock.advance(Duration::seconds(59));
    a_while().await;
    assert_eq!(count(&app, bob, "Welcome aboard"), 0);
    clock.advance(Duration::seconds(2));
    let step = wait_contains(&app, bob, "Welcome aboard", 1).await;
    let labels: Vec<&str> = step
        .buttons
        .iter()
        .flatten()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(
        labels,
        vec!["Read the guide", "🔕 Stop messages from Sam Signals"]
    );
    // The button goes through the click counter, which sends the user on.
    let link = step.buttons[0][0].url.clone().unwrap();
    assert!(link.contains("/d/"), "{link}");
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..2 {
        let r = no_follow.get(&link).send().await.unwrap();
        assert!(r.status().is_redirection(), "{}", r.status());
        assert_eq!(r.headers()["location"], "https://example.com/guide");
    }
    // A link is only good with its signature: another send's id, another button or a made-up
    // signature under it leads nowhere and counts nothing.
    let (head, signature) = link.rsplit_once('/').unwrap();
    let (head, button) = head.rsplit_once('/').unwrap();
    let (base, send) = head.rsplit_once('/').unwrap();
    let send: i64 = send.parse().unwrap();
    for forged in [
        format!("{base}/{}/{button}/{signature}", send + 1),
        format!("{base}/{send}/1/{signature}"),
        format!("{base}/{send}/{button}/AAAAAAAAAAAAAAAA"),
        format!("{base}/{send}/{button}"),
    ] {
        let r = no_follow.get(&forged).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{forged}");
    }
    let s = stats(&app, k, &dc).await;
    assert_eq!(s["steps"][0]["sent"], json!(1), "{s}");
    assert_eq!(s["steps"][0]["clicks"], json!(1), "{s}");
    let (_, used) = call(&app, Method::GET, k, "/usage?days=1", None).await;
    assert_eq!(used["data"][0]["drip_messages"], json!(1), "{used}");

    // Bob buys: the goal is met, the step counts a conversion, nothing more comes.
    pay(&app, &shop, bob, 1).await;
    let (_, list) = call(
        &app,
        Method::GET,
        k,
        &format!("/drip-campaigns/{dc}/enrollments"),
        None,
    )
    .await;
    assert_eq!(list["data"][0]["status"], json!("goal_met"), "{list}");
    let s = stats(&app, k, &dc).await;
    assert_eq!(s["steps"][0]["conversions"], json!(1), "{s}");
    assert_eq!(s["goal_met"], json!(1), "{s}");

    // Cid gets the first step, then stops Sam: the enrolment exits and nothing more comes.
    let cid = app.started_user("Cid", "en").await;
    let cct = contact_of(&app, k, cid).await;
    enrol(&app, k, &dc, &cct).await;
    clock.advance(Duration::seconds(61));
    wait_contains(&app, cid, "Welcome aboard", 1).await;
    press(&app, cid, "Stop messages from Sam Signals").await;
    wait_contains(&app, cid, "Sam Signals can no longer message you", 1).await;
    clock.advance(Duration::hours(3));
    a_while().await;
    for user in [bob, cid] {
        assert_eq!(count(&app, user, "Still thinking?"), 0);
        assert_eq!(count(&app, user, "Last call"), 0);
        assert_eq!(count(&app, user, "Welcome aboard"), 1);
    }
    let (_, list) = call(
        &app,
        Method::GET,
        k,
        &format!("/drip-campaigns/{dc}/enrollments"),
        None,
    )
    .await;
    assert_eq!(list["data"][1]["status"], json!("exited"), "{list}");
    assert_eq!(list["data"][1]["exit_reason"], json!("stopped"), "{list}");

    // Dee goes all the way; the condition passes over nothing since she never bought.
    let dee = app.started_user("Dee", "en").await;
    let dct = contact_of(&app, k, dee).await;
    enrol(&app, k, &dc, &dct).await;
    clock.advance(Duration::seconds(61));
    wait_contains(&app, dee, "Welcome aboard", 1).await;
    clock.advance(Duration::seconds(3601));
    wait_contains(&app, dee, "Still thinking?", 1).await;
    // Paused, nothing goes; resumed, the due step does.
    let (status, paused) = call(
        &app,
        Method::PATCH,
        k,
        &format!("/drip-campaigns/{dc}"),
        Some(json!({"status": "paused"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["status"], json!("paused"));
    clock.advance(Duration::seconds(3601));
    a_while().await;
    assert_eq!(count(&app, dee, "Last call"), 0);
    call(
        &app,
        Method::PATCH,
        k,
        &format!("/drip-campaigns/{dc}"),
        Some(json!({"status": "active"})),
    )
    .await;
    wait_contains(&app, dee, "Last call", 1).await;
    a_while().await;
    let s = stats(&app, k, &dc).await;
    assert_eq!(s["completed"], json!(1), "{s}");
    assert_eq!(s["steps"][2]["sent"], json!(1), "{s}");
    assert_eq!(count(&app, dee, "Last call"), 1);
    app.stop().await;
}

#[tokio::test]
async fn steps_on_sqlite() {
    steps_arrive_after_their_delays(Backend::Sqlite).await;
}

#[tokio::test]
async fn steps_on_postgres() {
    steps_arrive_after_their_delays(Backend::Postgres).await;
}

async fn triggers_enrol(backend: Backend) {
    let Some((clock, app, shop, key)) = sams_shop(backend).await else {
        return;
    };
    let k = Some(key.as_str());
    campaign(
        &app,
        k,
        json!({"name": "Hello", "trigger": "first_contact"}),
        &[json!({"delay_seconds": 10, "text": "Hello from Sam"})],
    )
    .await;
    let tagged = campaign(
        &app,
        k,
        json!({"name": "VIP", "trigger": "tag_added", "trigger_tag": "vip"}),
        &[json!({"delay_seconds": 5, "text": "Welcome to VIP"})],
    )
    .await;
    // First contact: Bob opens Sam's link.
    let bob = app.started_user("Bob", "en").await;
    app.say(bob, &format!("/start s_{}", shop.code));
    wait_contains(&app, bob, "Choose a plan", 1).await;
    clock.advance(Duration::seconds(11));
    wait_contains(&app, bob, "Hello from Sam", 1).await;
    // A tag added through the API; the same tag again enrols nobody twice.
    let ct = contact_of(&app, k, bob).await;
    for tags in [json!(["vip"]), json!(["vip", "eu"])] {
        let (status, _) = call(
            &app,
            Method::PATCH,
            k,
            &format!("/contacts/{ct}"),
            Some(json!({ "tags": tags })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    clock.advance(Duration::seconds(6));
    wait_contains(&app, bob, "Welcome to VIP", 1).await;
    let (_, list) = call(
        &app,
        Method::GET,
        k,
        &format!("/drip-campaigns/{tagged}/enrollments"),
        None,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    a_while().await;
    assert_eq!(count(&app, bob, "Hello from Sam"), 1);
    assert_eq!(count(&app, bob, "Welcome to VIP"), 1);
    app.stop().await;
}

#[tokio::test]
async fn triggers_on_sqlite() {
    triggers_enrol(Backend::Sqlite).await;
}

#[tokio::test]
async fn triggers_on_postgres() {
    triggers_enrol(Backend::Postgres).await;
}

/// A purchase enrols in the seller's `purchase` campaigns (live only, once however often the
/// buyer pays), and the end of a membership, found by the seller's sweep, enrols in `expiry`
/// campaigns.
async fn purchase_and_expiry_enrol(backend: Backend) {
    let Some((clock, app, shop, key)) = sams_shop(backend).await else {
        return;
    };
    let k = Some(key.as_str());
    let bought = campaign(
        &app,
        k,
        json!({"name": "Thanks", "trigger": "purchase"}),
        &[json!({"delay_seconds": 30, "text": "Thank you for joining Sam VIP"})],
    )
    .await;
    let ended = campaign(
        &app,
        k,
        json!({"name": "Win back", "trigger": "expiry"}),
        &[json!({"delay_seconds": 60, "text": "We miss you at Sam VIP"})],
    )
    .await;
    let bob = app.started_user("Bob", "en").await;
    pay(&app, &shop, bob, 1).await;
    let enrolled = |dc: String| {
        let app = &app;
        async move {
            let (status, list) = call(
                app,
                Method::GET,
                k,
                &format!("/drip-campaigns/{dc}/enrollments"),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{list}");
            list["data"].as_array().unwrap().len()
        }
    };
    assert_eq!(enrolled(bought.clone()).await, 1);
    assert_eq!(enrolled(ended.clone()).await, 0);
    clock.advance(Duration::seconds(31));
    wait_contains(&app, bob, "Thank you for joining Sam VIP", 1).await;

    // The plan runs out (30 days, no grace): the sweep removes Bob and enrols him once.
    clock.advance(Duration::days(31));
    for _ in 0..2 {
        tollgate::sellers::sweep::sweep(app.db(), app.h.app.ctx.now())
            .await
            .unwrap();
        app.finish_jobs().await;
    }
    assert_eq!(enrolled(ended.clone()).await, 1);
    clock.advance(Duration::seconds(61));
    wait_contains(&app, bob, "We miss you at Sam VIP", 1).await;

    // He buys again: already enrolled in the purchase campaign, so nothing comes twice.
    pay(&app, &shop, bob, 2).await;
    clock.advance(Duration::seconds(31));
    a_while().await;
    assert_eq!(enrolled(bought).await, 1);
    assert_eq!(count(&app, bob, "Thank you for joining Sam VIP"), 1);
    assert_eq!(count(&app, bob, "We miss you at Sam VIP"), 1);
    app.stop().await;
}

#[tokio::test]
async fn purchase_and_expiry_on_sqlite() {
    purchase_and_expiry_enrol(Backend::Sqlite).await;
}

#[tokio::test]
async fn purchase_and_expiry_on_postgres() {
    purchase_and_expiry_enrol(Backend::Postgres).await;
}

async fn nobody_gets_a_step_twice(backend: Backend) {
    let Some((clock, app, _, key)) = sams_shop(backend).await else {
        return;
    };
    let k = Some(key.as_str());
    let dc = campaign(
        &app,
        k,
        json!({"name": "Course", "trigger": "manual"}),
        &[
            json!({"delay_seconds": 5, "text": "Lesson one"}),
            json!({"delay_seconds": 100, "text": "Lesson two"}),
        ],
    )
    .await;
    let mut users = Vec::new();
    for i in 0..12 {
        let u = app.started_user(&format!("U{i}"), "en").await;
        let ct = contact_of(&app, k, u).await;
        let (status, _) = enrol(&app, k, &dc, &ct).await;
        assert_eq!(status, StatusCode::CREATED);
        users.push(u);
    }
    // A crash mid-send, made by hand: the first user's step was begun (its send row written)
    // by a runner that died holding the enrolment.
    let first = drip_enrollments::Entity::find()
        .filter(drip_enrollments::Column::UserId.eq(users[0]))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let step1 = drip_steps::Entity::find()
        .filter(drip_steps::Column::Position.eq(1))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let due = clock.now() + Duration::seconds(6);
    let claimed = drips::claim(app.db(), "dead-runner", due, 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, first.id);
    assert!(
        drips::begin_send(app.db(), due, &first, &step1, "sending")
            .await
            .unwrap()
            .is_some()
    );
    clock.advance(Duration::seconds(6));
    for u in &users[1..] {
        wait_contains(&app, *u, "Lesson one", 1).await;
    }
    // Restart: the claims of the old process lapse, the begun step is not sent again.
    let app = app.restart().await;
    clock.advance(Duration::seconds(101) + drips::LEASE);
    for u in &users[1..] {
        wait_contains(&app, *u, "Lesson two", 1).await;
    }
    // The crashed one moved on past the step it had begun, to the next, due its delay later.
    clock.advance(Duration::seconds(101));
    wait_contains(&app, users[0], "Lesson two", 1).await;
    a_while().await;
    assert_eq!(count(&app, users[0], "Lesson one"), 0, "at most once");
    for u in &users[1..] {
        assert_eq!(count(&app, *u, "Lesson one"), 1);
    }
    for u in &users {
        assert_eq!(count(&app, *u, "Lesson two"), 1);
    }
    let sends = drip_sends::Entity::find()
        .filter(drip_sends::Column::Outcome.eq("sent"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(sends, 23);
    app.stop().await;
}

#[tokio::test]
async fn once_on_sqlite() {
    nobody_gets_a_step_twice(Backend::Sqlite).await;
}

#[tokio::test]
async fn once_on_postgres() {
    nobody_gets_a_step_twice(Backend::Postgres).await;
}

async fn rows(app: &TestApp) -> (u64, u64, u64) {
    (
        drip_campaigns::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
        drip_steps::Entity::find().count(app.db()).await.unwrap(),
        drip_enrollments::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
    )
}

async fn bad_input_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let dc = campaign(
        &app,
        k,
        json!({"name": "Welcome", "trigger": "manual"}),
        &[json!({"delay_seconds": 60, "text": "Hi"})],
    )
    .await;
    let before = rows(&app).await;
    for (body, name) in [
        (json!({"name": "", "trigger": "manual"}), "name"),
        (json!({"name": "x".repeat(65), "trigger": "manual"}), "name"),
        (json!({"name": "W", "trigger": "sometimes"}), "trigger"),
        (json!({"name": "W", "trigger": "tag_added"}), "trigger_tag"),
        (
            json!({"name": "W", "trigger": "manual", "goal": "fame"}),
            "goal",
        ),
        (json!({"name": "W"}), "trigger"),
    ] {
        let (status, answer) =
            call(&app, Method::POST, k, "/drip-campaigns", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field(&answer), name, "{body}: {answer}");
    }
    let steps = format!("/drip-campaigns/{dc}/steps");
    for (body, name) in [
        (json!({"delay_seconds": 0, "text": "x"}), "delay_seconds"),
        (
            json!({"delay_seconds": 365 * 86400 + 1, "text": "x"}),
            "delay_seconds",
        ),
        (json!({"delay_seconds": -5, "text": "x"}), "delay_seconds"),
        (
            json!({"delay_seconds": 5, "text": "x".repeat(4097)}),
            "text",
        ),
        (
            json!({"delay_seconds": 5, "text": "x".repeat(1025),
                "media": {"kind": "photo", "file_id": "AgADBAAD"}}),
            "text",
        ),
        (json!({"delay_seconds": 5, "text": ""}), "text"),
        (
            json!({"delay_seconds": 5, "text": "x", "media": {"kind": "gif", "file_id": "A"}}),
            "media_file_id",
        ),
        (
            json!({"delay_seconds": 5, "text": "x",
                "buttons": [{"text": "Go", "url": "ftp://example.com"}]}),
            "buttons",
        ),
        (
            json!({"delay_seconds": 5, "text": "x", "condition": "rich"}),
            "condition",
        ),
    ] {
        let (status, answer) = call(&app, Method::POST, k, &steps, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field(&answer), name, "{body}: {answer}");
    }
    for ct in ["ct_999999", "bob", "ct_0"] {
        let (status, answer) = enrol(&app, k, &dc, ct).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{ct}: {answer}");
        assert_eq!(field(&answer), "contact_id");
    }
    let (status, answer) = call(
        &app,
        Method::PATCH,
        k,
        &format!("/drip-campaigns/{dc}"),
        Some(json!({"status": "deleted"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(field(&answer), "status");
    assert_eq!(rows(&app).await, before);
    let (_, got) = call(&app, Method::GET, k, &format!("/drip-campaigns/{dc}"), None).await;
    assert_eq!(got["status"], json!("active"));
    for path in [
        "/drip-campaigns/drip_999999",
        "/drip-campaigns/7",
        "/drip-campaigns/x",
    ] {
        let (status, _) = call(&app, Method::GET, k, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_input_on_sqlite() {
    bad_input_changes_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn bad_input_on_postgres() {
    bad_input_changes_nothing(Backend::Postgres).await;
}
