//! Refunds in parts: Stripe's `amount_refunded` is cumulative, so each `charge.refunded`
//! takes back the credits of the part refunded since the one before, once, in any order.
use sea_orm::EntityTrait;
use tollgate::billing::orders::OrderStatus;
use tollgate::{
    storage::{Db, entities::debts},
    {
        accounts::credits::{self, Movement, Reason},
        billing::orders::{self, Method, PaymentRef, Refunded},
    },
};

use crate::helpers::{clock, each_backend, registered, spawn_app};

/// A paid order of `pack10` (10 credits for 500 cents) for a new user `id`.
async fn paid_pack10(db: &Db, id: i64) -> orders::Order {
    let (_, clock) = clock();
    registered(db, id, "en").await;
    let pack = orders::product_by_code(db, "pack10")
        .await
        .unwrap()
        .unwrap();
    let order = orders::create(db, clock.now(), id, &pack, Method::Stripe)
        .await
        .unwrap();
    orders::pay(
        db,
        clock.now(),
        &order,
        PaymentRef {
            stripe_payment_intent: Some("pi_1"),
            telegram_charge_id: None,
        },
    )
    .await
    .unwrap();
    orders::find(db, order.id).await.unwrap().unwrap()
}

#[test]
fn the_parts_of_a_refund_never_add_up_to_more_than_the_purchase() {
    // 10 credits for 333 cents, refunded in three parts of 111.
    let parts: Vec<i64> = [111, 222, 333]
        .into_iter()
        .scan(0, |before, now| {
            let share =
                orders::refunded_credits(10, 333, now) - orders::refunded_credits(10, 333, *before);
            *before = now;
            Some(share)
        })
        .collect();
    assert_eq!(parts, vec![3, 3, 4]);
    assert_eq!(parts.iter().sum::<i64>(), 10);
    assert_eq!(orders::refunded_credits(10, 500, 10_000), 10, "capped");
    assert_eq!(orders::refunded_credits(10, 500, -5), 0);
}

#[tokio::test]
async fn a_refund_in_two_parts_takes_back_both_parts_once_each() {
    each_backend(async |db| {
        let (_, clock) = clock();
        let order = paid_pack10(&db, 501).await;
        assert_eq!(credits::balance(&db, 501).await.unwrap(), 10);

        let first = orders::refund(&db, clock.now(), &order, 250).await.unwrap();
        assert_eq!(
            first,
            Refunded::Credits {
                clawed_back: 5,
                debt: 0,
                balance: 5
            }
        );
        let o = orders::find(&db, order.id).await.unwrap().unwrap();
        assert_eq!(
            (o.status.as_str(), o.refunded_minor),
            ("partially_refunded", 250)
        );
        // The same event again: nothing.
        assert_eq!(
            orders::refund(&db, clock.now(), &order, 250).await.unwrap(),
            Refunded::AlreadyRefunded
        );
        let second = orders::refund(&db, clock.now(), &order, 500).await.unwrap();
        assert_eq!(
            second,
            Refunded::Credits {
                clawed_back: 5,
                debt: 0,
                balance: 0
            }
        );
        let o = orders::find(&db, order.id).await.unwrap().unwrap();
        assert_eq!((o.status, o.refunded_minor), (OrderStatus::Refunded, 500));
        // The first part delivered late, after the whole: nothing.
        assert_eq!(
            orders::refund(&db, clock.now(), &order, 250).await.unwrap(),
            Refunded::AlreadyRefunded
        );
        assert_eq!(credits::balance(&db, 501).await.unwrap(), 0);
        assert_eq!(credits::ledger_sum(&db, 501).await.unwrap(), 0);
        // A refunded order can no longer be paid.
        assert_eq!(
            orders::pay(
                &db,
                clock.now(),
                &order,
                PaymentRef {
                    stripe_payment_intent: None,
                    telegram_charge_id: None
                }
            )
            .await
            .unwrap(),
            orders::Paid::NotPayable
        );
    })
    .await;
}

#[tokio::test]
async fn the_whole_refund_first_makes_the_part_delivered_after_it_a_no_op() {
    each_backend(async |db| {
        let (_, clock) = clock();
        let order = paid_pack10(&db, 502).await;
        assert!(matches!(
            orders::refund(&db, clock.now(), &order, 500).await.unwrap(),
            Refunded::Credits {
                clawed_back: 10,
                ..
            }
        ));
        assert_eq!(
            orders::refund(&db, clock.now(), &order, 250).await.unwrap(),
            Refunded::AlreadyRefunded
        );
        assert_eq!(credits::balance(&db, 502).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn concurrent_deliveries_of_refund_events_take_back_each_part_once() {
    each_backend(async |db| {
        let (_, clock) = clock();
        let order = paid_pack10(&db, 503).await;
        let mut tasks = Vec::new();
        for total in [100, 200, 300, 100, 200, 300, 400, 500, 500, 400] {
            let (db, order, now) = (db.clone(), order.clone(), clock.now());
            tasks.push(tokio::spawn(async move {
                orders::refund(&db, now, &order, total).await.unwrap()
            }));
        }
        let mut taken = 0;
        for t in tasks {
            if let Refunded::Credits { clawed_back, .. } = t.await.unwrap() {
                taken += clawed_back;
            }
        }
        assert_eq!(
            taken, 10,
            "exactly the purchase, however the events interleave"
        );
        assert_eq!(credits::balance(&db, 503).await.unwrap(), 0);
        assert_eq!(credits::ledger_sum(&db, 503).await.unwrap(), 0);
        let o = orders::find(&db, order.id).await.unwrap().unwrap();
        assert_eq!(o.status, OrderStatus::Refunded);
    })
    .await;
}

#[tokio::test]
async fn what_was_spent_before_each_part_becomes_one_growing_debt() {
    each_backend(async |db| {
        let (_, clock) = clock();
        let order = paid_pack10(&db, 504).await;
        // 8 of the 10 credits were spent.
        credits::debit(
            &db,
            clock.now(),
            &Movement::new(504, 8, Reason::Message).key("spent"),
        )
        .await
        .unwrap();
        assert_eq!(
            orders::refund(&db, clock.now(), &order, 250).await.unwrap(),
            Refunded::Credits {
                clawed_back: 2,
                debt: 3,
                balance: 0
            }
        );
        assert_eq!(
            orders::refund(&db, clock.now(), &order, 500).await.unwrap(),
            Refunded::Credits {
                clawed_back: 0,
                debt: 5,
                balance: 0
            }
        );
        let debt = debts::Entity::find().all(&db).await.unwrap();
        assert_eq!(debt.len(), 1);
        assert_eq!(debt[0].amount, 8);
        assert_eq!(credits::ledger_sum(&db, 504).await.unwrap(), 0);
    })
    .await;
}

/// End to end: two partial refunds from Stripe's side reach the app as two `charge.refunded`
/// events with cumulative amounts.
#[tokio::test]
async fn a_card_purchase_refunded_in_two_parts_through_stripe() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    let stripe = app.h.stripe.clone().unwrap();
    app.say(ann, "/buy10");
    app.next_message(ann).await;
    let session = stripe.checkout_sessions().pop().unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    stripe.complete_checkout(&id).await.unwrap();
    app.settle().await;
    app.drain_jobs().await;
    assert_eq!(app.balance(ann).await, 13);
    let pi = stripe.checkout_session(&id).unwrap()["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        stripe.refund_payment(&pi, Some(250)).await.unwrap().status,
        200
    );
    app.settle().await;
    assert_eq!(app.balance(ann).await, 8);
    assert_eq!(
        stripe.refund_payment(&pi, Some(250)).await.unwrap().status,
        200
    );
    app.settle().await;
    assert_eq!(app.balance(ann).await, 3);
    assert_eq!(app.ledger_sum(ann).await, 3);
    // Stripe retries the first event: nothing more.
    let first = stripe.events_of_type("charge.refunded").remove(0);
    stripe
        .redeliver(first["id"].as_str().unwrap())
        .await
        .unwrap();
    app.settle().await;
    assert_eq!(app.balance(ann).await, 3);
    // Ann hears of each part once.
    app.finish_jobs().await;
    let notices: Vec<String> = app
        .emu()
        .bot_messages(ann)
        .iter()
        .filter_map(|m| m.body().map(str::to_owned))
        .filter(|b| {
            [(5, 8), (5, 3)].iter().any(|&(credits, balance)| {
                *b == tollgate::bot::Reply::RefundNotice { credits, balance }
                    .render(tollgate::i18n::Locale::En)
            })
        })
        .collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    app.stop().await;
}
