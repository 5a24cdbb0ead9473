//! Sellers' invoices: made through the API, sent to the customer in Telegram with a pay button
//! and the stop button, paid with Stars or by card exactly once however often (and however
//! concurrently) the payment's events arrive, voided, swept overdue once, reminded on the
//! seller's schedule (never to a customer who stopped the seller), made from the bot, and bad
//! input refused with the field named and nothing changed.
use chrono::Duration;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tg_emulator::PaymentOutcome;
use tollgate::{
    messaging::{
        invoices::{self, Paid, Payment, Via},
        usage::{self, Metric},
    },
    sellers::tenant::Tenant,
    storage::entities::{contacts, invoices as invoice_rows, webhook_events},
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

async fn counts(app: &TestApp) -> (u64, u64) {
    (
        invoice_rows::Entity::find().count(app.db()).await.unwrap(),
        contacts::Entity::find().count(app.db()).await.unwrap(),
    )
}

async fn events_of(app: &TestApp, kind: &str) -> u64 {
    webhook_events::Entity::find()
        .filter(webhook_events::Column::EventType.eq(kind))
        .count(app.db())
        .await
        .unwrap()
}

async fn invoices_used(app: &TestApp, seller_id: i64) -> i64 {
    let t = Tenant {
        seller_id,
        livemode: true,
    };
    usage::today(app.db(), t, app.h.app.ctx.now(), Metric::Invoices)
        .await
        .unwrap()
}

/// A date a month ahead, as the API takes it.
fn in_a_month() -> String {
    (chrono::Utc::now() + Duration::days(30))
        .format("%Y-%m-%d")
        .to_string()
}

fn stars_invoice(user: i64) -> Value {
    json!({"telegram_user_id": user, "currency": "XTR", "due_date": in_a_month(),
        "lines": [{"description": "Coaching session", "quantity": 2, "unit_amount": 250}],
        "note": "Thank you for your trust!"})
}

async fn stars_invoices_are_sent_paid_once_and_refused_when_bad(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;

    let (status, inv) = call(&app, Method::POST, k, "/invoices", Some(stars_invoice(bob))).await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!(inv["status"], json!("open"));
    assert_eq!(inv["total"], json!(500));
    assert_eq!(inv["currency"], json!("XTR"));
    assert!(inv["contact_id"].as_str().unwrap().starts_with("ct_"));
    let id = inv["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("inv_"));
    // Bob gets it: the seller, the lines, the total, the due date, the note, and the buttons.
    let msg = wait_contains(&app, bob, &format!("Invoice {id} from Sam Signals"), 1).await;
    let body = msg.body().unwrap();
    let due_line = format!("Due: {}", in_a_month());
    for part in [
        "Coaching session × 2: ⭐ 500",
        "Total: ⭐ 500",
        due_line.as_str(),
        "Thank you for your trust!",
    ] {
        assert!(body.contains(part), "{part:?} in {body}");
    }
    let labels: Vec<&str> = msg
        .buttons
        .iter()
        .flatten()
        .map(|b| b.text.as_str())
        .collect();
    assert!(labels.contains(&"⭐ Pay ⭐ 500"), "{labels:?}");
    assert!(
        labels
            .iter()
            .any(|l| l.contains("Stop messages from Sam Signals"))
    );
    app.finish_jobs().await;
    assert_eq!(
        invoices_used(&app, seller_id(&app, shop.sam).await).await,
        1
    );

    // Bob pays with Stars: a receipt for him, a notice for Sam, invoice.paid once.
    let answer = press(&app, bob, "⭐ Pay").await;
    assert!(answer.text.is_none(), "{answer:?}");
    let stars = wait_kind(&app, bob, "invoice").await;
    let charge = match app
        .emu()
        .pay_invoice(bob, bob, stars.message_id)
        .await
        .unwrap()
    {
        PaymentOutcome::Paid { charge_id } => charge_id,
        other => panic!("not paid: {other:?}"),
    };
    wait_contains(
        &app,
        bob,
        &format!("Paid: invoice {id} from Sam Signals"),
        1,
    )
    .await;
    wait_contains(&app, shop.sam, &format!("Invoice {id} was paid: ⭐ 500"), 1).await;
    // The same receipt from Telegram again: still paid once.
    let n = invoices::parse_id(&id).unwrap();
    app.emu().inject_update(json!({"message": {
        "message_id": 9_000, "date": 1_700_000_000,
        "from": {"id": bob, "is_bot": false, "first_name": "Bob"},
        "chat": {"id": bob, "type": "private", "first_name": "Bob"},
        "successful_payment": {"currency": "XTR", "total_amount": 500,
            "invoice_payload": invoices::invoice_payload(n),
            "telegram_payment_charge_id": charge, "provider_payment_charge_id": ""}}}));
    app.settle().await;
    app.finish_jobs().await;
    let (_, got) = call(&app, Method::GET, k, &format!("/invoices/{id}"), None).await;
    assert_eq!(got["status"], json!("paid"), "{got}");
    assert_eq!(got["paid_via"], json!("stars"));
    assert_eq!(
        got["fee"].as_i64().unwrap() + got["net"].as_i64().unwrap(),
        500
    );
    assert_eq!(events_of(&app, "invoice.paid").await, 1);
    assert_eq!(
        app.emu()
            .bot_messages(bob)
            .iter()
            .filter(|m| m.body().is_some_and(|b| b.contains("Paid: invoice")))
            .count(),
        1
    );
    // A paid invoice is final.
    let (status, refused) =
        call(&app, Method::POST, k, &format!("/invoices/{id}/void"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(code(&refused), "invoice_status");

    // Bad input: each named, and nothing is made (no invoice, no contact, no message).
    let before = counts(&app).await;
    let sent_before = app.bot_message_count(bob);
    let line = |amount: i64| json!([{"description": "x", "unit_amount": amount}]);
    for (body, name) in [
        (
            json!({"contact_id": "ct_999999", "currency": "XTR", "due_date": in_a_month(), "lines": line(5)}),
            "contact_id",
        ),
        (
            json!({"telegram_user_id": 777_777, "currency": "XTR", "due_date": in_a_month(), "lines": line(5)}),
            "telegram_user_id",
        ),
        (
            json!({"telegram_user_id": bob, "currency": "XTR", "due_date": "2020-01-01", "lines": line(5)}),
            "due_date",
        ),
        (
            json!({"telegram_user_id": bob, "currency": "XTR", "due_date": "soon", "lines": line(5)}),
            "due_date",
        ),
        (
            json!({"telegram_user_id": bob, "currency": "XTR", "due_date": in_a_month(), "lines": line(0)}),
            "lines.unit_amount",
        ),
        (
            json!({"telegram_user_id": bob, "currency": "XTR", "due_date": in_a_month(), "lines": line(-500)}),
            "lines.unit_amount",
        ),
        (
            json!({"telegram_user_id": bob, "currency": "XTR", "due_date": in_a_month(), "lines": []}),
            "lines",
        ),
        (
            json!({"telegram_user_id": bob, "currency": "XTR", "due_date": in_a_month(),
                "lines": [{"description": "d".repeat(201), "unit_amount": 5}]}),
            "lines.description",
        ),
        (
            json!({"telegram_user_id": bob, "currency": "XTR", "due_date": in_a_month(),
                "lines": line(5), "note": "n".repeat(1001)}),
            "note",
        ),
        (
            json!({"telegram_user_id": bob, "currency": "euros", "due_date": in_a_month(), "lines": line(5)}),
            "currency",
        ),
    ] {
        let (status, answer) = call(&app, Method::POST, k, "/invoices", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field(&answer), name, "{body}: {answer}");
    }
    app.settle().await;
    assert_eq!(counts(&app).await, before);
    assert_eq!(app.bot_message_count(bob), sent_before);

    // Bob stops Sam: an invoice to him is a 409 and nothing is made.
    press(&app, bob, "Stop messages from Sam Signals").await;
    wait_contains(&app, bob, "Sam Signals can no longer message you", 1).await;
    let (status, refused) =
        call(&app, Method::POST, k, "/invoices", Some(stars_invoice(bob))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(code(&refused), "contact_stopped");
    assert_eq!(counts(&app).await, before);
    app.stop().await;
}

async fn seller_id(app: &TestApp, owner: i64) -> i64 {
    tollgate::sellers::team::acting(app.db(), owner)
        .await
        .unwrap()
        .expect("a seller")
        .seller
        .id
}

async fn wait_kind(app: &TestApp, chat: i64, kind: &str) -> tg_emulator::Recorded {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Some(m) = app
            .emu()
            .bot_messages(chat)
            .into_iter()
            .rev()
            .find(|m| m.kind == kind)
        {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} for {chat}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn stars_invoices_on_sqlite() {
    stars_invoices_are_sent_paid_once_and_refused_when_bad(Backend::Sqlite).await;
}

#[tokio::test]
async fn stars_invoices_on_postgres() {
    stars_invoices_are_sent_paid_once_and_refused_when_bad(Backend::Postgres).await;
}

async fn a_card_invoice_is_paid_once_however_often_its_event_arrives(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;
    let (status, inv) = call(
        &app,
        Method::POST,
        k,
        "/invoices",
        Some(
            json!({"telegram_user_id": bob, "currency": "eur", "due_date": in_a_month(),
            "lines": [{"description": "Logo design", "unit_amount": 1200},
                      {"description": "Revisions", "quantity": 3, "unit_amount": 100}]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!(inv["total"], json!(1500));
    let id = inv["id"].as_str().unwrap().to_owned();
    wait_contains(&app, bob, &format!("Invoice {id}"), 1).await;
    press(&app, bob, "💳 Pay €15.00").await;
    wait_contains(&app, bob, "secure Stripe page", 1).await;
    let session = stripe
        .checkout_sessions()
        .pop()
        .expect("a checkout session");
    assert_eq!(session["amount_total"], json!(1500), "{session}");
    let done = stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    // The same event ten more times, at once.
    let again = futures::future::join_all((0..10).map(|_| stripe.redeliver(done.event_id()))).await;
    assert!(again.iter().all(|r| r.as_ref().unwrap().status == 200));
    wait_contains(&app, bob, &format!("Paid: invoice {id}"), 1).await;
    app.finish_jobs().await;
    let (_, got) = call(&app, Method::GET, k, &format!("/invoices/{id}"), None).await;
    assert_eq!(got["status"], json!("paid"), "{got}");
    assert_eq!(got["paid_via"], json!("card"));
    // The platform's 10% on the seller's platform mode.
    assert_eq!(
        (got["fee"].clone(), got["net"].clone()),
        (json!(150), json!(1350))
    );
    assert_eq!(events_of(&app, "invoice.paid").await, 1);
    assert_eq!(
        app.emu()
            .bot_messages(bob)
            .iter()
            .filter(|m| m.body().is_some_and(|b| b.contains("Paid: invoice")))
            .count(),
        1
    );

    // A payment applied concurrently many times through the service: paid once.
    let (_, second) = call(&app, Method::POST, k, "/invoices", Some(stars_invoice(bob))).await;
    let n = invoices::parse_id(second["id"].as_str().unwrap()).unwrap();
    let db = app.db().clone();
    let now = app.h.app.ctx.now();
    let outcomes = futures::future::join_all((0..8).map(|_| {
        let db = db.clone();
        async move {
            invoices::pay(
                &db,
                now,
                n,
                Payment {
                    via: Via::Stars,
                    reference: "stxn_same",
                    amount: 500,
                    currency: "XTR",
                    fee_percent: 10,
                },
            )
            .await
            .unwrap()
            .unwrap()
        }
    }))
    .await;
    let paid = outcomes
        .iter()
        .filter(|o| matches!(o, Paid::Paid(_)))
        .count();
    let dup = outcomes.iter().filter(|o| **o == Paid::Duplicate).count();
    assert_eq!((paid, dup), (1, 7), "{outcomes:?}");
    assert_eq!(events_of(&app, "invoice.paid").await, 2);

    // Voided while Bob was on the card page: the payment that comes after cannot pay it, so
    // it is refunded on the account that took it, once however often its event arrives, and
    // Bob is told. The invoice stays void.
    let (_, third) = call(
        &app,
        Method::POST,
        k,
        "/invoices",
        Some(
            json!({"telegram_user_id": bob, "currency": "eur", "due_date": in_a_month(),
            "lines": [{"description": "Business cards", "unit_amount": 700}]}),
        ),
    )
    .await;
    let third_id = third["id"].as_str().unwrap().to_owned();
    wait_contains(&app, bob, &format!("Invoice {third_id}"), 1).await;
    press(&app, bob, "💳 Pay €7.00").await;
    wait_contains(&app, bob, "secure Stripe page", 2).await;
    let page = stripe
        .checkout_sessions()
        .pop()
        .expect("a checkout session");
    assert_eq!(page["amount_total"], json!(700), "{page}");
    let (status, _) = call(
        &app,
        Method::POST,
        k,
        &format!("/invoices/{third_id}/void"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let done = stripe
        .complete_checkout(page["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    for _ in 0..3 {
        assert_eq!(stripe.redeliver(done.event_id()).await.unwrap().status, 200);
    }
    wait_contains(&app, bob, "could not take your payment of €7.00", 1).await;
    app.finish_jobs().await;
    let refunds = stripe.refunds();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    let paid_page = stripe
        .checkout_sessions()
        .into_iter()
        .find(|s| s["id"] == page["id"])
        .unwrap();
    assert_eq!(refunds[0]["payment_intent"], paid_page["payment_intent"]);
    assert_eq!(refunds[0]["amount"], json!(700), "{refunds:?}");
    let (_, got) = call(&app, Method::GET, k, &format!("/invoices/{third_id}"), None).await;
    assert_eq!(got["status"], json!("void"), "{got}");
    assert_eq!(
        app.emu()
            .bot_messages(bob)
            .iter()
            .filter(|m| m.body().is_some_and(|b| b.contains("has been refunded")))
            .count(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn card_invoices_on_sqlite() {
    a_card_invoice_is_paid_once_however_often_its_event_arrives(Backend::Sqlite).await;
}

#[tokio::test]
async fn card_invoices_on_postgres() {
    a_card_invoice_is_paid_once_however_often_its_event_arrives(Backend::Postgres).await;
}

async fn reminders_follow_the_schedule_and_overdue_is_swept_once(backend: Backend) {
    let (clock, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;
    let cy = app.started_user("Cy", "en").await;
    // Sam's schedule: 2 days before and 1 day after.
    let (status, set) = call(
        &app,
        Method::PATCH,
        k,
        "/invoice-reminders",
        Some(json!({"days": [1, -2]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["days"], json!([-2, 1]));
    let (status, bad) = call(
        &app,
        Method::PATCH,
        k,
        "/invoice-reminders",
        Some(json!({"days": [1, 1]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&bad), "days");
    let (_, got) = call(&app, Method::GET, k, "/invoice-reminders", None).await;
    assert_eq!(got["days"], json!([-2, 1]));

    let due = (app.h.app.ctx.now() + Duration::days(5)).to_rfc3339();
    let mut ids = Vec::new();
    for who in [bob, cy] {
        let (status, inv) = call(
            &app,
            Method::POST,
            k,
            "/invoices",
            Some(
                json!({"telegram_user_id": who, "currency": "XTR", "due_date": due,
                "lines": [{"description": "Membership", "unit_amount": 100}]}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{inv}");
        ids.push(inv["id"].as_str().unwrap().to_owned());
        wait_contains(&app, who, "Invoice inv_", 1).await;
    }
    // Two days before: both are reminded.
    clock.advance(Duration::days(3) + Duration::minutes(1));
    app.drain_jobs().await;
    wait_contains(&app, bob, "due in 2 days", 1).await;
    wait_contains(&app, cy, "due in 2 days", 1).await;
    // Cy stops Sam; Sam voids nothing. Past due: both overdue, once.
    press(&app, cy, "Stop messages from Sam Signals").await;
    wait_contains(&app, cy, "Sam Signals can no longer message you", 1).await;
    clock.advance(Duration::days(2));
    let now = app.h.app.ctx.now();
    assert_eq!(invoices::sweep_overdue(app.db(), now).await.unwrap(), 2);
    assert_eq!(invoices::sweep_overdue(app.db(), now).await.unwrap(), 0);
    assert_eq!(events_of(&app, "invoice.overdue").await, 2);
    let (_, list) = call(&app, Method::GET, k, "/invoices?status=overdue", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2, "{list}");
    // A day after: Bob is reminded; Cy, who stopped Sam, is not.
    let cy_before = app.bot_message_count(cy);
    clock.advance(Duration::days(1));
    app.drain_jobs().await;
    wait_contains(&app, bob, "overdue by 1 days", 1).await;
    app.settle().await;
    assert_eq!(app.bot_message_count(cy), cy_before);
    // Sam voids Bob's: invoice.voided, and its pay button no longer works.
    let (status, voided) = call(
        &app,
        Method::POST,
        k,
        &format!("/invoices/{}/void", ids[0]),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(voided["status"], json!("void"));
    assert_eq!(events_of(&app, "invoice.voided").await, 1);
    let answer = press(&app, bob, "⭐ Pay").await;
    assert_eq!(
        answer.text.as_deref(),
        Some("This invoice was cancelled by the seller.")
    );
    // A draft is kept, then sent.
    let (status, draft) = call(
        &app,
        Method::POST,
        k,
        "/invoices",
        Some(
            json!({"telegram_user_id": bob, "currency": "XTR", "due_date": in_a_month(),
            "lines": [{"description": "Later", "unit_amount": 10}], "draft": true}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["status"], json!("draft"));
    let did = draft["id"].as_str().unwrap();
    let (status, sent) = call(
        &app,
        Method::POST,
        k,
        &format!("/invoices/{did}/send"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["status"], json!("open"));
    wait_contains(&app, bob, &format!("Invoice {did}"), 1).await;
    app.stop().await;
}

#[tokio::test]
async fn reminders_on_sqlite() {
    reminders_follow_the_schedule_and_overdue_is_swept_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn reminders_on_postgres() {
    reminders_follow_the_schedule_and_overdue_is_swept_once(Backend::Postgres).await;
}

/// The bot: a seller makes, lists and voids invoices and sets reminders; bad input is named
/// and makes nothing.
#[tokio::test]
async fn sellers_bill_customers_from_the_bot() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    let bob = app.started_user("Bob", "en").await;
    app.settle().await;
    let before = counts(&app).await;
    let bob_before = app.bot_message_count(bob);
    for (text, reply) in [
        (
            "/invoice 777777 5 XTR 7 Tea".to_owned(),
            "never started the bot",
        ),
        (format!("/invoice {bob} 0 XTR 7 Tea"), "more than zero"),
        (format!("/invoice {bob} -3 XTR 7 Tea"), "more than zero"),
        (
            format!("/invoice {bob} 5 XTR 2020-01-01 Tea"),
            "must be in the future",
        ),
        ("/invoice ct_9999 5 XTR 7 Tea".to_owned(), "No such contact"),
        (
            format!("/invoice {bob} 5 XTR 7 {}", "t".repeat(201)),
            "1 to 200 characters",
        ),
        ("/invoice reminders 1 1".to_owned(), "up to 6 different"),
    ] {
        app.say(sam, &text);
        wait_contains(&app, sam, reply, 1).await;
    }
    app.settle().await;
    assert_eq!(counts(&app).await, before);
    assert_eq!(app.bot_message_count(bob), bob_before);

    app.say(
        sam,
        &format!("/invoice {bob} 300 XTR 14 Tarot reading | See you soon"),
    );
    let made = wait_contains(&app, sam, "is on its way to user", 1).await;
    let id = made
        .body()
        .unwrap()
        .split_whitespace()
        .find(|w| w.starts_with("inv_"))
        .unwrap()
        .to_owned();
    let msg = wait_contains(&app, bob, &format!("Invoice {id} from Sam Signals"), 1).await;
    assert!(msg.body().unwrap().contains("See you soon"));
    app.say(sam, "/invoice");
    wait_contains(&app, sam, &format!("{id} · ⭐ 300 · user {bob}"), 1).await;
    app.say(sam, "/invoice reminders -1 0");
    wait_contains(&app, sam, "Reminders for new invoices: -1 0", 1).await;
    app.say(sam, &format!("/invoice void {id}"));
    wait_contains(&app, sam, &format!("Invoice {id} is void"), 1).await;
    app.say(sam, &format!("/invoice void {id}"));
    wait_contains(&app, sam, "is void and cannot be voided", 1).await;
    // Someone who is no seller has no invoices.
    app.say(bob, "/invoice");
    wait_contains(&app, bob, "You are not a seller yet", 1).await;
    app.stop().await;
}
