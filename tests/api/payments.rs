//! Buying: Telegram Stars invoices, Stripe Checkout and its webhooks, refunds, disputes.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tg_emulator::PaymentOutcome;
use tollgate::billing::orders::{CheckoutRefusal, OrderStatus};
use tollgate::{
    billing::orders,
    bot::Reply,
    delivery::callbacks::{Callback, PayMethod},
    i18n::Locale,
    storage::entities::{debts, orders as order_rows},
};

use crate::{
    helpers::{TestApp, render, spawn_app},
    on_both_databases,
};

async fn product_id(app: &TestApp, code: &str) -> i64 {
    orders::product_by_code(app.db(), code)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn press_data(app: &TestApp, user: i64, data: &str) {
    let message = app
        .emu()
        .bot_messages(user)
        .into_iter()
        .rev()
        .find(|m| {
            m.buttons
                .iter()
                .flatten()
                .any(|b| b.callback_data.as_deref() == Some(data))
        })
        .unwrap_or_else(|| panic!("no button {data}"));
    let id = app
        .emu()
        .press_button(user, user, message.message_id, data)
        .unwrap();
    app.emu()
        .wait_for_callback_answer(&id, std::time::Duration::from_secs(10))
        .await
        .unwrap();
}

async fn only_order(app: &TestApp, user: i64) -> order_rows::Model {
    let mut all = order_rows::Entity::find()
        .filter(order_rows::Column::UserId.eq(user))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.pop().unwrap()
}

async fn buying_with_stars_grants_once_per_charge(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let pack = product_id(&app, "pack25").await;

    app.say(ann, "/buy");
    let catalog = app.next_message(ann).await;
    assert_eq!(catalog.buttons.len(), 7, "seven products");
    press_data(&app, ann, &Callback::Buy { product: pack }.data()).await;
    press_data(
        &app,
        ann,
        &Callback::Pay {
            product: pack,
            method: PayMethod::Stars,
        }
        .data(),
    )
    .await;
    let invoice = app.next_message(ann).await;
    assert_eq!(invoice.kind, "invoice");

    let outcome = app
        .emu()
        .pay_invoice(ann, ann, invoice.message_id)
        .await
        .unwrap();
    let PaymentOutcome::Paid { charge_id } = outcome else {
        panic!("{outcome:?}")
    };

    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::PurchaseDone {
                credits: 25,
                balance: 28
            },
            Locale::En
        )
    );
    let order = only_order(&app, ann).await;
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!((order.amount_minor, order.currency.as_str()), (500, "XTR"));
    assert_eq!(
        order.telegram_charge_id.as_deref(),
        Some(charge_id.as_str())
    );

    // Telegram delivers the same successful_payment again: nothing more happens.
    let paid_message = app
        .emu()
        .messages(ann)
        .into_iter()
        .rev()
        .find(|m| m.kind == "successful_payment")
        .unwrap();
    app.emu()
        .inject_update(serde_json::json!({"message": paid_message.raw}));
    app.settle().await;
    assert_eq!(app.balance(ann).await, 28);
    assert_eq!(app.ledger_sum(ann).await, 28);
    app.stop().await;
}
on_both_databases!(stars, buying_with_stars_grants_once_per_charge);

async fn buying_with_a_card_through_stripe_checkout(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let stripe = app.h.stripe.clone().unwrap();

    app.say(ann, "/buy10");
    let link = app.next_message(ann).await;
    let url = link.buttons[0][0].url.clone().expect("a pay button");
    let session = stripe.checkout_sessions().pop().unwrap();
    assert!(url.ends_with(session["id"].as_str().unwrap()), "{url}");
    let order = only_order(&app, ann).await;
    assert_eq!(session["client_reference_id"], order.id.to_string());
    assert_eq!(session["metadata"]["order_id"], order.id.to_string());
    assert_eq!(session["amount_total"], 500);
    assert!(
        session["customer"].is_string(),
        "a Stripe customer is created and reused"
    );
    assert!(
        session["success_url"]
            .as_str()
            .unwrap()
            .contains("/pay/success")
    );

    let delivered = stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(delivered.status, 200);

    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::PurchaseDone {
                credits: 10,
                balance: 13
            },
            Locale::En
        )
    );
    assert_eq!(only_order(&app, ann).await.status, OrderStatus::Paid);

    // The second purchase reuses the customer; /billing opens the portal for it.
    app.say(ann, "/buy10");
    app.next_message(ann).await;
    assert_eq!(stripe.customers().len(), 1);
    app.say(ann, "/billing");
    let portal = app.next_message(ann).await;
    assert_eq!(
        portal.body().unwrap(),
        render(Reply::BillingPortal { url: String::new() }, Locale::En)
    );
    assert!(portal.buttons[0][0].url.is_some());
    app.stop().await;
}
on_both_databases!(stripe_card, buying_with_a_card_through_stripe_checkout);

#[tokio::test]
async fn the_same_completion_posted_ten_times_at_once_grants_once_with_one_message() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let stripe = app.h.stripe.clone().unwrap();
    let session = app.checkout_for_pack10(ann).await;
    app.hold_stripe_events();
    let _ = stripe.complete_checkout(&session).await;
    let event = stripe
        .events_of_type("checkout.session.completed")
        .pop()
        .unwrap();
    app.release_stripe_events();

    let deliveries =
        futures::future::join_all((0..10).map(|_| stripe.redeliver(event["id"].as_str().unwrap())))
            .await;

    for d in deliveries {
        assert_eq!(d.unwrap().status, 200);
    }
    app.settle().await;
    app.finish_jobs().await;
    let done = render(
        Reply::PurchaseDone {
            credits: 10,
            balance: 13,
        },
        Locale::En,
    );
    let confirmations = app
        .emu()
        .bot_messages(ann)
        .iter()
        .filter(|m| m.body() == Some(done.as_str()))
        .count();
    assert_eq!(confirmations, 1);
    assert_eq!(app.balance(ann).await, 13);
    app.stop().await;
}

#[tokio::test]
async fn a_refund_that_arrives_before_the_payment_leaves_the_right_balance() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let stripe = app.h.stripe.clone().unwrap();
    let session = app.checkout_for_pack10(ann).await;
    app.hold_stripe_events();
    let _ = stripe.complete_checkout(&session).await;
    let pi = stripe.checkout_session(&session).unwrap()["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    let _ = stripe.refund_payment(&pi, None).await;
    let completed = stripe
        .events_of_type("checkout.session.completed")
        .pop()
        .unwrap();
    let refunded = stripe.events_of_type("charge.refunded").pop().unwrap();
    app.release_stripe_events();

    assert_eq!(
        stripe
            .redeliver(refunded["id"].as_str().unwrap())
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        stripe
            .redeliver(completed["id"].as_str().unwrap())
            .await
            .unwrap()
            .status,
        200
    );

    app.settle().await;
    assert_eq!(
        app.balance(ann).await,
        3,
        "nothing granted for a refunded payment"
    );
    assert_eq!(only_order(&app, ann).await.status, OrderStatus::Refunded);
    app.stop().await;
}

#[tokio::test]
async fn a_refund_claws_credits_back_and_what_was_spent_becomes_debt_for_the_admins() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    let stripe = app.h.stripe.clone().unwrap();
    app.say(ann, "/buy10");
    app.next_message(ann).await;
    let session = stripe.checkout_sessions().pop().unwrap();
    stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    app.next_message(ann).await;
    for i in 0..12 {
        app.say(ann, &format!("spend {i}"));
    }
    app.settle().await;
    assert_eq!(app.balance(ann).await, 1);
    let pi = stripe
        .checkout_session(session["id"].as_str().unwrap())
        .unwrap()["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(stripe.refund_payment(&pi, None).await.unwrap().status, 200);
    app.settle().await;
    app.finish_jobs().await;

    assert_eq!(app.balance(ann).await, 0);
    assert_eq!(app.ledger_sum(ann).await, 0);
    let debt = debts::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(debt.len(), 1);
    assert_eq!(debt[0].amount, 9);
    let note = app.topic_messages(ann).await.pop().unwrap();
    let order = only_order(&app, ann).await;
    assert_eq!(
        note.body().unwrap(),
        render(
            Reply::AdminRefundNote {
                user: ann,
                order: order.id,
                clawed_back: 1,
                debt: 9
            },
            Locale::En
        )
    );
    assert_eq!(order.status, OrderStatus::Refunded);

    // A dispute flags the user for the team.
    stripe.dispute_payment(&pi).await.unwrap();
    app.settle().await;
    app.finish_jobs().await;
    let user = tollgate::accounts::users::find(app.db(), ann)
        .await
        .unwrap()
        .unwrap();
    assert!(user.flagged_at.is_some());
    assert_eq!(
        app.topic_messages(ann).await.pop().unwrap().body().unwrap(),
        render(
            Reply::AdminDisputeNote {
                user: ann,
                order: order.id
            },
            Locale::En
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn a_failed_async_payment_tells_the_user_and_grants_nothing() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let stripe = app.h.stripe.clone().unwrap();
    app.say(ann, "/buy10");
    app.next_message(ann).await;
    let session = stripe.checkout_sessions().pop().unwrap();
    let id = session["id"].as_str().unwrap();

    stripe.complete_checkout_async_pending(id).await.unwrap();
    stripe.async_payment_failed(id).await.unwrap();

    assert_eq!(
        app.next_text(ann).await,
        render(Reply::PaymentFailed, Locale::En)
    );
    assert_eq!(only_order(&app, ann).await.status, OrderStatus::Failed);
    assert_eq!(app.balance(ann).await, 3);
    app.stop().await;
}

#[tokio::test]
async fn stripe_errors_leave_the_order_failed_and_the_user_told_to_try_later() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    app.h.stripe.as_ref().unwrap().fail_next(
        "/v1/checkout/sessions",
        stripe_double::StripeFault::ApiError,
        5,
    );

    app.say(ann, "/buy10");

    assert_eq!(
        app.next_text(ann).await,
        render(Reply::PaymentUnavailable, Locale::En)
    );
    assert_eq!(only_order(&app, ann).await.status, OrderStatus::Failed);
    assert_eq!(app.balance(ann).await, 3);
    app.stop().await;
}

#[tokio::test]
async fn pre_checkout_refuses_a_changed_price_someone_elses_order_and_unknown_payloads() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "en").await;
    let pack = product_id(&app, "pack10").await;
    app.say(ann, "/buy");
    app.next_message(ann).await;
    press_data(&app, ann, &Callback::Buy { product: pack }.data()).await;
    press_data(
        &app,
        ann,
        &Callback::Pay {
            product: pack,
            method: PayMethod::Stars,
        }
        .data(),
    )
    .await;
    app.next_message(ann).await;
    let order = only_order(&app, ann).await;

    let query = |id: &str, from: i64, amount: u32, payload: &str| {
        serde_json::json!({"pre_checkout_query": {
            "id": id, "from": {"id": from, "is_bot": false, "first_name": "X"},
            "currency": "XTR", "total_amount": amount, "invoice_payload": payload}})
    };
    app.emu()
        .inject_update(query("q1", ann, 1, &format!("order:{}", order.id)));
    app.emu()
        .inject_update(query("q2", bob, 250, &format!("order:{}", order.id)));
    app.emu()
        .inject_update(query("q3", ann, 250, "order:999999"));
    app.emu().inject_update(query("q4", ann, 250, "garbage"));
    app.emu()
        .inject_update(query("q5", ann, 250, &format!("order:{}", order.id)));
    app.settle().await;

    let answers = app.emu().calls_to("answerPreCheckoutQuery");
    let verdict = |id: &str| {
        let a = answers
            .iter()
            .find(|a| a.params["pre_checkout_query_id"] == id)
            .unwrap();
        (
            a.params["ok"].as_bool().unwrap(),
            a.params["error_message"].as_str().map(str::to_owned),
        )
    };
    let refused = |reason| {
        let text = Reply::CheckoutRefused { reason }.render(tollgate::i18n::Locale::En);
        (false, Some(text))
    };
    assert_eq!(verdict("q1"), refused(CheckoutRefusal::PriceChanged));
    assert!(verdict("q1").1.unwrap().contains("price"));
    assert_eq!(verdict("q2"), refused(CheckoutRefusal::NotYours));
    assert_eq!(verdict("q3"), refused(CheckoutRefusal::UnknownOrder));
    assert_eq!(verdict("q4"), refused(CheckoutRefusal::UnknownOrder));
    assert_eq!(verdict("q5"), (true, None));
    assert_eq!(
        app.balance(ann).await,
        3,
        "nothing is granted before the payment"
    );
    app.stop().await;
}

async fn buy_25_with_stars(app: &TestApp, user: i64) -> order_rows::Model {
    let pack = product_id(app, "pack25").await;
    app.say(user, "/buy");
    app.next_message(user).await;
    press_data(app, user, &Callback::Buy { product: pack }.data()).await;
    press_data(
        app,
        user,
        &Callback::Pay {
            product: pack,
            method: PayMethod::Stars,
        }
        .data(),
    )
    .await;
    let invoice = app.next_message(user).await;
    app.emu()
        .pay_invoice(user, user, invoice.message_id)
        .await
        .unwrap();
    app.next_message(user).await;
    only_order(app, user).await
}

#[tokio::test]
async fn an_admin_refunds_a_stars_purchase_and_history_shows_both_with_the_method() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let order = buy_25_with_stars(&app, ann).await;
    let group = app.admin_chat();

    app.emu()
        .send_text(app.operator(), group, &format!("/refund {}", order.id))
        .unwrap();

    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::RefundNotice {
                credits: 25,
                balance: 3
            },
            Locale::En
        )
    );
    assert_eq!(app.emu().calls_to("refundStarPayment").len(), 1);
    assert!(app.emu().charges()[0].refunded);
    assert_eq!(only_order(&app, ann).await.status, OrderStatus::Refunded);

    app.emu()
        .send_text(app.operator(), group, &format!("/refund {}", order.id))
        .unwrap();
    app.settle().await;
    let last = app.emu().last_bot_message(group).unwrap();
    assert_eq!(
        last.body().unwrap(),
        render(
            Reply::AdminRefundRefused {
                order: order.id,
                reason: "the order is refunded".into()
            },
            Locale::En
        )
    );
    assert_eq!(app.balance(ann).await, 3);

    app.say(ann, "/history");
    let history = app.next_text(ann).await;
    assert!(
        history.contains("-25 · refund reversed (⭐ 500) → 3"),
        "{history}"
    );
    assert!(
        history.contains("+25 · purchase (⭐ 500) → 28"),
        "{history}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_admin_refunds_a_card_purchase_through_stripe_and_the_webhook_takes_the_credits_back() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let stripe = app.h.stripe.clone().unwrap();
    app.say(ann, "/buy10");
    app.next_message(ann).await;
    let session = stripe.checkout_sessions().pop().unwrap();
    stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    app.next_message(ann).await;
    let order = only_order(&app, ann).await;

    app.emu()
        .send_text(
            app.operator(),
            app.admin_chat(),
            &format!("/refund {}", order.id),
        )
        .unwrap();

    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::RefundNotice {
                credits: 10,
                balance: 3
            },
            Locale::En
        )
    );
    assert_eq!(stripe.refunds().len(), 1);
    assert_eq!(only_order(&app, ann).await.status, OrderStatus::Refunded);
    app.say(ann, "/history");
    assert!(app.next_text(ann).await.contains("purchase (card · $5.00)"));
    app.stop().await;
}

async fn opted_in_with_a_saved_card(app: &TestApp, ann: i64, balance_after: i64) {
    app.say(ann, "/autorecharge 2 10");
    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::AutoRechargeOn {
                threshold: 2,
                credits: 10,
                card: false
            },
            Locale::En
        )
    );
    app.say(ann, "/buy10");
    app.next_message(ann).await;
    let stripe = app.h.stripe.clone().unwrap();
    let session = stripe.checkout_sessions().pop().unwrap();
    stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        app.next_text(ann).await,
        render(
            Reply::PurchaseDone {
                credits: 10,
                balance: balance_after
            },
            Locale::En
        )
    );
    let saved = tollgate::billing::auto_recharge::get(app.db(), ann)
        .await
        .unwrap()
        .unwrap();
    assert!(
        saved.payment_method.is_some(),
        "the checkout saved the card for off-session use"
    );
}

#[tokio::test]
async fn auto_recharge_buys_the_pack_off_session_when_the_balance_falls_below_the_threshold() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    opted_in_with_a_saved_card(&app, ann, 13).await;

    for i in 0..12 {
        app.say(ann, &format!("spend {i}"));
    }
    app.settle().await;
    app.drain_jobs().await;

    let done = render(
        Reply::PurchaseDone {
            credits: 10,
            balance: 11,
        },
        Locale::En,
    );
    app.wait_for_text(ann, &done, 1).await;
    let intents = app.h.stripe.as_ref().unwrap().payment_intents();
    let off_session = intents
        .iter()
        .filter(|pi| pi["metadata"]["order_id"].is_string() && pi["status"] == "succeeded")
        .count();
    assert_eq!(off_session, 2, "the checkout's and the recharge's");
    assert_eq!(app.balance(ann).await, 11);
    assert_eq!(app.ledger_sum(ann).await, 11);
    app.stop().await;
}

#[tokio::test]
async fn three_declined_recharges_in_a_row_switch_auto_recharge_off() {
    let clock = tollgate::clock::ManualClock::new(chrono::Utc::now());
    let shared = std::sync::Arc::new(clock.clone());
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |o| o.clock = shared)
        .await
        .unwrap();
    app.set("low_credit_threshold", "0").await;
    app.set("welcome_credits", "0").await;
    let ann = app.started_user("Ann", "en").await;
    opted_in_with_a_saved_card(&app, ann, 10).await;
    app.h.stripe.as_ref().unwrap().fail_next(
        "/v1/payment_intents",
        stripe_double::StripeFault::CardDeclined,
        3,
    );
    // The ninth message leaves 1 credit, below 2: the first attempt (declined).
    for i in 0..9 {
        app.say(ann, &format!("spend {i}"));
    }
    app.settle().await;
    app.drain_jobs().await;

    let failed = render(Reply::AutoRechargeFailed, Locale::En);
    let off = render(Reply::AutoRechargeDisabled, Locale::En);
    // Then one more paid message (0 left) and one refused for lack of credits: two more attempts.
    for round in 0..2 {
        clock.advance(chrono::Duration::minutes(2));
        app.say(ann, &format!("round {round}"));
        app.settle().await;
        app.drain_jobs().await;
    }
    app.settle().await;

    app.wait_for_text(ann, &failed, 2).await;
    app.wait_for_text(ann, &off, 1).await;
    let a = tollgate::billing::auto_recharge::get(app.db(), ann)
        .await
        .unwrap()
        .unwrap();
    assert!(!a.enabled);
    assert_eq!(app.ledger_sum(ann).await, app.balance(ann).await);
    app.stop().await;
}

#[tokio::test]
async fn a_double_tap_on_a_payment_button_starts_one_payment() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let pack = product_id(&app, "pack10").await;
    app.say(ann, "/buy");
    let menu = app.next_message(ann).await;
    press_data(&app, ann, &Callback::Buy { product: pack }.data()).await;
    let pay = Callback::Pay {
        product: pack,
        method: PayMethod::Card,
    }
    .data();

    for _ in 0..2 {
        let id = app
            .emu()
            .press_raw(ann, ann, menu.message_id, &pay)
            .unwrap();
        app.emu()
            .wait_for_callback_answer(&id, std::time::Duration::from_secs(10))
            .await
            .unwrap();
    }
    app.settle().await;

    only_order(&app, ann).await;
    assert_eq!(app.h.stripe.as_ref().unwrap().checkout_sessions().len(), 1);
    assert!(
        app.emu()
            .message(ann, menu.message_id)
            .unwrap()
            .buttons
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn stripe_unreachable_leaves_the_order_pending_and_grants_nothing() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let stripe = app.h.stripe.clone().unwrap();
    // Stripe cannot be reached at all: every connection is refused.
    stripe.shutdown();

    app.say(ann, "/buy10");

    assert_eq!(
        app.next_text(ann).await,
        render(Reply::PaymentUnavailable, Locale::En)
    );
    assert_eq!(only_order(&app, ann).await.status, OrderStatus::Pending);
    assert_eq!(app.balance(ann).await, 3);
    app.stop().await;
}
