//! Messaging over the API and in the bot: contacts recorded from sellers' links and added by
//! the API, `/stop` honoured by code sends, one-time codes (sent, verified, expired with the
//! injected clock, locked after 5 tries even when tried at once, one code for sends at once,
//! never in an answer or a log line), "this wasn't me", usage counts and limits, and bad input
//! refused with no change.
use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use chrono::Duration;
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tollgate::{
    messaging::usage::{self, Metric},
    sellers::catalog,
    storage::entities::{contacts, otp_codes},
};

use crate::{
    helpers::{Backend, TestApp, clock, spawn_app_with},
    seller_api::{call, key_from_bot},
    sellers::{press, shop, wait_contains},
};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("")
}

/// The 6 digits in a code's message.
fn digits_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_owned()
}

/// Whether `code` stands in `text` as a number of its own (not inside a longer one).
fn mentions(text: &str, code: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit()).any(|w| w == code)
}

async fn counts(app: &TestApp) -> (u64, u64) {
    (
        contacts::Entity::find().count(app.db()).await.unwrap(),
        otp_codes::Entity::find().count(app.db()).await.unwrap(),
    )
}

async fn contacts_from_links_and_the_api(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;
    // Bob opens Sam's link twice: one contact, from the link, active.
    for _ in 0..2 {
        app.say(bob, &format!("/start s_{}", shop.code));
        wait_contains(&app, bob, "Choose a plan", 1).await;
    }
    app.settle().await;
    let (status, list) = call(&app, Method::GET, k, "/contacts", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{list}");
    assert_eq!(data[0]["telegram_user_id"], json!(bob));
    assert_eq!(data[0]["source"], json!("link"));
    assert_eq!(data[0]["status"], json!("active"));
    assert!(data[0]["id"].as_str().unwrap().starts_with("ct_"));

    // Added by the API: pending until they start the bot.
    let (status, added) = call(
        &app,
        Method::POST,
        k,
        "/contacts",
        Some(json!({"telegram_user_id": 424242, "tags": ["lead", "eu"],
            "attributes": {"plan": "gold", "visits": 3}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["status"], json!("pending"));
    assert_eq!(added["source"], json!("api"));
    assert_eq!(added["tags"], json!(["lead", "eu"]));
    assert_eq!(added["attributes"]["plan"], json!("gold"));
    let id = added["id"].as_str().unwrap().to_owned();
    // Twice: a conflict naming the contact, nothing changed.
    let (status, again) = call(
        &app,
        Method::POST,
        k,
        "/contacts",
        Some(json!({"telegram_user_id": 424242, "tags": ["other"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(code(&again), "contact_exists");
    assert!(again["error"]["message"].as_str().unwrap().contains(&id));
    let (_, got) = call(&app, Method::GET, k, &format!("/contacts/{id}"), None).await;
    assert_eq!(got["tags"], json!(["lead", "eu"]), "{got}");

    let (status, changed) = call(
        &app,
        Method::PATCH,
        k,
        &format!("/contacts/{id}"),
        Some(json!({"tags": ["customer"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["tags"], json!(["customer"]));
    assert_eq!(changed["attributes"]["visits"], json!(3));
    let (_, tagged) = call(&app, Method::GET, k, "/contacts?tag=customer", None).await;
    assert_eq!(tagged["data"].as_array().unwrap().len(), 1, "{tagged}");
    assert_eq!(tagged["data"][0]["id"], json!(id));
    // Pages.
    let (_, first) = call(&app, Method::GET, k, "/contacts?limit=1", None).await;
    assert_eq!(first["has_more"], json!(true));
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = call(
        &app,
        Method::GET,
        k,
        &format!("/contacts?limit=1&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(second["data"][0]["id"], json!(id), "{second}");
    assert_eq!(second["has_more"], json!(false));

    // Bad input: named, and nothing changes.
    let before = counts(&app).await;
    let huge = json!({"blob": "x".repeat(5000)});
    for (body, name) in [
        (json!({"telegram_user_id": 0}), "telegram_user_id"),
        (json!({"telegram_user_id": -7}), "telegram_user_id"),
        (json!({"telegram_user_id": "bob"}), "telegram_user_id"),
        (
            json!({"telegram_user_id": 5, "tags": ["no spaces"]}),
            "tags",
        ),
        (
            json!({"telegram_user_id": 5, "attributes": huge}),
            "attributes",
        ),
        (
            json!({"telegram_user_id": 5, "attributes": [1, 2]}),
            "attributes",
        ),
        (json!({"telegram_user_id": 5, "colour": "red"}), "colour"),
    ] {
        let (status, answer) = call(&app, Method::POST, k, "/contacts", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field(&answer), name, "{body}: {answer}");
    }
    let (status, answer) = call(
        &app,
        Method::PATCH,
        k,
        &format!("/contacts/{id}"),
        Some(json!({"attributes": {"blob": "y".repeat(5000)}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&answer), "attributes");
    let (_, unchanged) = call(&app, Method::GET, k, &format!("/contacts/{id}"), None).await;
    assert_eq!(unchanged["attributes"]["visits"], json!(3));
    assert_eq!(counts(&app).await, before);
    for path in ["/contacts/42", "/contacts/ct_999999", "/contacts/ct_x"] {
        let (status, _) = call(&app, Method::GET, k, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn contacts_on_sqlite() {
    contacts_from_links_and_the_api(Backend::Sqlite).await;
}

#[tokio::test]
async fn contacts_on_postgres() {
    contacts_from_links_and_the_api(Backend::Postgres).await;
}

/// A tracing writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn codes_are_sent_verified_and_expire(backend: Backend) {
    // Everything the app logs while this test runs (its tasks share the test's thread).
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;
    let mut answers = Vec::new();

    let (status, sent) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": bob, "purpose": "login"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["status"], json!("sent"));
    assert_eq!(sent["max_attempts"], json!(5));
    let otp = sent["id"].as_str().unwrap().to_owned();
    assert!(otp.starts_with("otp_"));
    let message = wait_contains(&app, bob, "Sam Signals: your login code is", 1).await;
    let code1 = digits_in(message.body().unwrap());
    let labels: Vec<String> = message
        .buttons
        .iter()
        .flatten()
        .map(|b| b.text.clone())
        .collect();
    assert_eq!(
        labels,
        vec![
            "🚫 This wasn't me".to_owned(),
            "🔕 Stop messages from Sam Signals".to_owned()
        ]
    );
    // Stored hashed only.
    let row = otp_codes::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(!mentions(&row.code_hash, &code1) && !mentions(&row.salt, &code1));
    answers.push(sent.to_string());

    // Wrong, then right, then used.
    let wrong = if code1 == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (_, v) = call(
        &app,
        Method::POST,
        k,
        "/otp/verify",
        Some(json!({"id": otp, "code": wrong})),
    )
    .await;
    assert_eq!(v["status"], json!("wrong"), "{v}");
    assert_eq!(v["attempts_left"], json!(4));
    answers.push(v.to_string());
    for expected in ["verified", "used"] {
        let (status, v) = call(
            &app,
            Method::POST,
            k,
            "/otp/verify",
            Some(json!({"id": otp, "code": code1})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["status"], json!(expected), "{v}");
        answers.push(v.to_string());
    }

    // Another code at once: the cooldown holds it back.
    let (status, held) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": bob, "purpose": "login"})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{held}");
    assert_eq!(code(&held), "otp_cooldown");
    // After it, a second code, which expires after 5 minutes of the app's clock.
    clock.advance(Duration::seconds(31));
    let (status, sent2) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"contact_id": sent["contact_id"], "purpose": "verification"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent2}");
    answers.push(sent2.to_string());
    let code2 = digits_in(
        wait_contains(&app, bob, "your verification code", 1)
            .await
            .body()
            .unwrap(),
    );
    clock.advance(Duration::minutes(5));
    let (_, v) = call(
        &app,
        Method::POST,
        k,
        "/otp/verify",
        Some(json!({"id": sent2["id"], "code": code2})),
    )
    .await;
    assert_eq!(v["status"], json!("expired"), "{v}");
    answers.push(v.to_string());

    // Five codes an hour per user.
    for _ in 0..3 {
        clock.advance(Duration::seconds(31));
        let (status, s) = call(
            &app,
            Method::POST,
            k,
            "/otp/send",
            Some(json!({"telegram_user_id": bob, "purpose": "signup"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{s}");
        answers.push(s.to_string());
    }
    clock.advance(Duration::seconds(31));
    let (status, limited) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": bob, "purpose": "signup"})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{limited}");
    assert_eq!(code(&limited), "otp_user_limit");

    // A user who never started the bot: a link back, nothing sent.
    let ann = app.user("Ann", "en");
    let (status, link) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": ann, "purpose": "signup"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["status"], json!("needs_start"));
    assert!(link["id"].is_null());
    let start_link = link["start_link"].as_str().unwrap();
    let payload = start_link.split("?start=").nth(1).unwrap().to_owned();
    assert!(payload.starts_with("c_"), "{start_link}");
    assert_eq!(app.bot_message_count(ann), 0);
    // Ann follows it: the bot says the seller can send her codes, and the next send works.
    app.say(ann, &format!("/start {payload}"));
    wait_contains(&app, ann, "Sam Signals can send you codes here now", 1).await;
    let (status, sent3) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": ann, "purpose": "signup"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent3}");
    answers.push(sent3.to_string());
    let code3 = digits_in(
        wait_contains(&app, ann, "your sign-up code", 1)
            .await
            .body()
            .unwrap(),
    );
    let (_, c) = call(
        &app,
        Method::GET,
        k,
        &format!("/contacts/{}", sent3["contact_id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(c["source"], json!("api"), "{c}");
    assert_eq!(c["status"], json!("active"));

    // Usage: every sent code counted, as a code and as a message; the API calls too.
    let (_, used) = call(&app, Method::GET, k, "/usage?days=1", None).await;
    let today = &used["data"][0];
    assert_eq!(today["otps"], json!(6), "{used}");
    assert_eq!(today["messages_sent"], json!(6), "{used}");
    assert!(today["api_calls"].as_i64().unwrap() >= 15, "{used}");
    assert_eq!(used["limits"][0]["name"], json!("otps_per_day"));
    assert_eq!(used["limits"][0]["used_today"], json!(6));
    // The seller's own daily limit: a clear 429 naming it.
    let seller = catalog::seller_of_user(app.db(), shop.sam)
        .await
        .unwrap()
        .unwrap();
    usage::set_limit(app.db(), seller.id, Metric::Otps, Some(6))
        .await
        .unwrap();
    let cid = app.started_user("Cid", "en").await;
    let (status, over) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": cid, "purpose": "login"})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{over}");
    assert_eq!(code(&over), "usage_limit");
    assert!(
        over["error"]["message"]
            .as_str()
            .unwrap()
            .contains("otps_per_day"),
        "{over}"
    );
    let (_, list) = call(&app, Method::GET, k, "/contacts", None).await;
    answers.push(list.to_string());
    answers.push(used.to_string());

    // Bad input: named, and nothing made or sent.
    let before = counts(&app).await;
    let messages_before = app.bot_message_count(bob);
    for (body, name) in [
        (
            json!({"telegram_user_id": bob, "purpose": "payment"}),
            "purpose",
        ),
        (
            json!({"contact_id": "ct_999999", "purpose": "login"}),
            "contact_id",
        ),
        (
            json!({"contact_id": "nonsense", "purpose": "login"}),
            "contact_id",
        ),
        (
            json!({"telegram_user_id": -5, "purpose": "login"}),
            "telegram_user_id",
        ),
        (
            json!({"telegram_user_id": bob, "contact_id": sent["contact_id"], "purpose": "login"}),
            "contact_id",
        ),
        (json!({"purpose": "login"}), "contact_id"),
    ] {
        let (status, answer) = call(&app, Method::POST, k, "/otp/send", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field(&answer), name, "{body}: {answer}");
    }
    let (status, answer) = call(
        &app,
        Method::POST,
        k,
        "/otp/verify",
        Some(json!({"id": sent3["id"], "code": "12ab56"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&answer), "code");
    let (status, _) = call(
        &app,
        Method::POST,
        k,
        "/otp/verify",
        Some(json!({"id": "otp_999999", "code": "123456"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(counts(&app).await, before);
    app.settle().await;
    assert_eq!(app.bot_message_count(bob), messages_before);
    // The malformed code took no try.
    let (_, v) = call(
        &app,
        Method::POST,
        k,
        "/otp/verify",
        Some(json!({"id": sent3["id"], "code": code3})),
    )
    .await;
    assert_eq!(v["status"], json!("verified"), "{v}");

    // No answer and no log line carries a code.
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        logged.contains("INFO") || logged.contains("DEBUG"),
        "nothing captured"
    );
    for c in [&code1, &code2, &code3] {
        for a in &answers {
            assert!(!mentions(a, c), "code {c} in an answer: {a}");
        }
        assert!(!mentions(&logged, c), "code {c} in the log");
    }
    app.stop().await;
}

#[tokio::test]
async fn codes_on_sqlite() {
    codes_are_sent_verified_and_expire(Backend::Sqlite).await;
}

#[tokio::test]
async fn codes_on_postgres() {
    codes_are_sent_verified_and_expire(Backend::Postgres).await;
}

/// `bob`'s latest code from Sam: its id and digits.
async fn fresh_code(app: &TestApp, k: Option<&str>, bob: i64, nth: usize) -> (String, String) {
    let (status, sent) = call(
        app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": bob, "purpose": "login"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let text = wait_contains(app, bob, "your login code", nth).await;
    (
        sent["id"].as_str().unwrap().to_owned(),
        digits_in(text.body().unwrap()),
    )
}

async fn brute_force_stops_at_five_tries(backend: Backend) {
    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;

    // One by one: four wrong, the fifth wrong locks it, and the right code is refused after.
    let (otp, right) = fresh_code(&app, k, bob, 1).await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in [4, 3, 2, 1] {
        let (_, v) = call(
            &app,
            Method::POST,
            k,
            "/otp/verify",
            Some(json!({"id": otp, "code": wrong})),
        )
        .await;
        assert_eq!(v["status"], json!("wrong"), "{v}");
        assert_eq!(v["attempts_left"], json!(left));
    }
    for code in [wrong, right.as_str()] {
        let (_, v) = call(
            &app,
            Method::POST,
            k,
            "/otp/verify",
            Some(json!({"id": otp, "code": code})),
        )
        .await;
        assert_eq!(v["status"], json!("locked"), "{v}");
    }

    // At once: 20 wrong tries take 5 attempts between them, and the right code is refused.
    clock.advance(Duration::seconds(31));
    let (otp, right) = fresh_code(&app, k, bob, 2).await;
    let tries = (0..20).map(|i| {
        let app = &app;
        let otp = otp.clone();
        let guess = format!("{:06}", (right.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
        async move {
            call(
                app,
                Method::POST,
                k,
                "/otp/verify",
                Some(json!({"id": otp, "code": guess})),
            )
            .await
            .1
        }
    });
    let answers = futures::future::join_all(tries).await;
    let wrong = answers.iter().filter(|v| v["status"] == "wrong").count();
    let locked = answers.iter().filter(|v| v["status"] == "locked").count();
    assert_eq!(wrong + locked, 20, "{answers:?}");
    assert!(wrong <= 4, "{answers:?}");
    let id: i64 = otp.trim_start_matches("otp_").parse().unwrap();
    let row = otp_codes::Entity::find_by_id(id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.attempts, 5);
    let (_, v) = call(
        &app,
        Method::POST,
        k,
        "/otp/verify",
        Some(json!({"id": otp, "code": right})),
    )
    .await;
    assert_eq!(v["status"], json!("locked"), "{v}");
    app.stop().await;
}

#[tokio::test]
async fn brute_force_on_sqlite() {
    brute_force_stops_at_five_tries(Backend::Sqlite).await;
}

#[tokio::test]
async fn brute_force_on_postgres() {
    brute_force_stops_at_five_tries(Backend::Postgres).await;
}

/// Twenty sends to one user at once make one code and one message: the cooldown is decided
/// one send at a time, so no burst of requests gets past it together.
async fn sends_at_once_make_one_code(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;
    let sends = (0..20).map(|_| {
        let app = &app;
        async move {
            call(
                app,
                Method::POST,
                k,
                "/otp/send",
                Some(json!({"telegram_user_id": bob, "purpose": "login"})),
            )
            .await
        }
    });
    let answers = futures::future::join_all(sends).await;
    let sent = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let held = answers
        .iter()
        .filter(|(s, v)| *s == StatusCode::TOO_MANY_REQUESTS && code(v) == "otp_cooldown")
        .count();
    assert_eq!((sent, held), (1, 19), "{answers:?}");
    wait_contains(&app, bob, "your login code", 1).await;
    // Anything sent twice would have reached the emulator by now: the answers came after it.
    let codes = app
        .emu()
        .bot_messages(bob)
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.contains("your login code")))
        .count();
    assert_eq!(codes, 1);
    assert_eq!(otp_codes::Entity::find().count(app.db()).await.unwrap(), 1);
    app.stop().await;
}

#[tokio::test]
async fn sends_at_once_on_sqlite() {
    sends_at_once_make_one_code(Backend::Sqlite).await;
}

#[tokio::test]
async fn sends_at_once_on_postgres() {
    sends_at_once_make_one_code(Backend::Postgres).await;
}

async fn stop_is_honoured_and_not_me_is_reported(backend: Backend) {
    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;

    // "This wasn't me": the code stops working; the seller and the operator are told.
    let (otp, right) = fresh_code(&app, k, bob, 1).await;
    let answer = press(&app, bob, "This wasn't me").await;
    assert!(answer.text.is_none(), "{answer:?}");
    wait_contains(&app, bob, "The code no longer works", 1).await;
    wait_contains(
        &app,
        shop.sam,
        "says they did not ask for the login code",
        1,
    )
    .await;
    wait_contains(&app, app.admin_chat(), "Reported code", 1).await;
    let (_, v) = call(
        &app,
        Method::POST,
        k,
        "/otp/verify",
        Some(json!({"id": otp, "code": right})),
    )
    .await;
    assert_eq!(v["status"], json!("expired"), "{v}");
    // Pressed again: expired, nobody told twice.
    let answer = press(&app, bob, "This wasn't me").await;
    assert_eq!(answer.text.as_deref(), Some("This button has expired."));

    // The stop button on the code: no more codes, a clear error, nothing sent.
    press(&app, bob, "Stop messages from Sam Signals").await;
    wait_contains(&app, bob, "Sam Signals can no longer message you", 1).await;
    clock.advance(Duration::seconds(31));
    let before = app.bot_message_count(bob);
    let (status, refused) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": bob, "purpose": "login"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(code(&refused), "contact_stopped");
    let (_, list) = call(&app, Method::GET, k, "/contacts", None).await;
    assert_eq!(list["data"][0]["status"], json!("stopped"), "{list}");
    // /stop lists Sam as stopped; the seller cannot undo it, Bob can.
    app.say(bob, "/stop");
    wait_contains(&app, bob, "Sam Signals: stopped", 1).await;
    app.settle().await;
    assert_eq!(app.bot_message_count(bob), before + 1);
    press(&app, bob, "Resume messages from Sam Signals").await;
    wait_contains(&app, bob, "Sam Signals can message you again", 1).await;
    let (status, _) = call(
        &app,
        Method::POST,
        k,
        "/otp/send",
        Some(json!({"telegram_user_id": bob, "purpose": "login"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    wait_contains(&app, bob, "your login code", 2).await;
    app.stop().await;
}

#[tokio::test]
async fn stop_on_sqlite() {
    stop_is_honoured_and_not_me_is_reported(Backend::Sqlite).await;
}

#[tokio::test]
async fn stop_on_postgres() {
    stop_is_honoured_and_not_me_is_reported(Backend::Postgres).await;
}
