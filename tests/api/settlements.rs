//! Batched settlement of paid Checkout Sessions on real databases: exactly what paying the
//! orders one by one would do, and nothing at all when a batch can't be exact.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tollgate::billing::orders::OrderStatus;
use tollgate::{
    storage::{Db, entities::credit_ledger},
    {
        accounts::credits::{self, Movement, Reason},
        billing::auto_recharge,
        billing::orders::{self, Method, Order, Paid},
        billing::settlements::{self, PaidSession, Settled},
        services::events::{self, EventSource},
    },
};

use crate::helpers::{clock, each_backend, registered};

async fn user(db: &Db, id: i64) {
    registered(db, id, "ru").await;
}

async fn order(db: &Db, user_id: i64, code: &str) -> Order {
    let (_, clock) = clock();
    let product = orders::product_by_code(db, code).await.unwrap().unwrap();
    orders::create(db, clock.now(), user_id, &product, Method::Stripe)
        .await
        .unwrap()
}

fn session(event: &str, order: &Order) -> PaidSession {
    PaidSession {
        event_id: event.to_owned(),
        event_kind: "checkout.session.completed".into(),
        order_id: order.id,
        customer: Some(format!("cus_{}", order.user_id)),
        payment_intent: Some(format!("pi_{}", order.id)),
    }
}

fn paid(r: &tollgate::services::ServiceResult<Settled>) -> Option<Paid> {
    match r.as_ref().unwrap() {
        Settled::Applied { paid, .. } => Some(paid.clone()),
        _ => None,
    }
}

async fn status(db: &Db, id: i64) -> OrderStatus {
    orders::find(db, id).await.unwrap().unwrap().status
}

#[tokio::test]
async fn a_batch_pays_every_order_once_and_the_ledger_walks_each_balance() {
    each_backend(async |db| {
        let now = clock().1.now();
        user(&db, 1).await;
        user(&db, 2).await;
        let a1 = order(&db, 1, "pack10").await;
        let a2 = order(&db, 1, "pack25").await;
        let b1 = order(&db, 2, "pack50").await;
        let sessions = [
            session("evt_a1", &a1),
            session("evt_b1", &b1),
            session("evt_a2", &a2),
            session("evt_a1", &a1), // Stripe retried while the first was in flight
            session("evt_a1_again", &a1), // a second event for the same order
        ];
        let out = settlements::settle_all(&db, now, &sessions).await;
        assert_eq!(
            out.iter().map(paid).collect::<Vec<_>>(),
            vec![
                Some(Paid::Credits {
                    amount: 10,
                    balance: 10
                }),
                Some(Paid::Credits {
                    amount: 50,
                    balance: 50
                }),
                Some(Paid::Credits {
                    amount: 25,
                    balance: 35
                }),
                None,
                Some(Paid::AlreadyPaid),
            ]
        );
        assert_eq!(*out[3].as_ref().unwrap(), Settled::Duplicate);
        match out[0].as_ref().unwrap() {
            Settled::Applied { language_code, .. } => {
                assert_eq!(language_code.as_deref(), Some("ru"))
            }
            other => panic!("{other:?}"),
        }
        for (id, balance) in [(1, 35), (2, 50)] {
            assert_eq!(credits::balance(&db, id).await.unwrap(), balance);
            assert_eq!(credits::ledger_sum(&db, id).await.unwrap(), balance);
        }
        let walk: Vec<_> = credit_ledger::Entity::find()
            .filter(credit_ledger::Column::UserId.eq(1))
            .order_by_asc(credit_ledger::Column::Id)
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.amount, e.balance_after, e.idempotency_key.unwrap()))
            .collect();
        assert_eq!(
            walk,
            vec![
                (10, 10, format!("order:{}", a1.id)),
                (25, 35, format!("order:{}", a2.id)),
            ]
        );
        for o in [&a1, &a2, &b1] {
            let row = orders::find(&db, o.id).await.unwrap().unwrap();
            assert_eq!(row.status, OrderStatus::Paid);
            assert_eq!(row.stripe_payment_intent, Some(format!("pi_{}", o.id)));
            assert!(row.paid_at.is_some());
        }
        assert_eq!(
            orders::stripe_customer(&db, 2).await.unwrap().as_deref(),
            Some("cus_2")
        );
        assert_eq!(events::count(&db, EventSource::Stripe).await.unwrap(), 4);

        // Delivered again later: nothing changes.
        let again = settlements::settle_all(&db, now, &sessions[..1]).await;
        assert_eq!(*again[0].as_ref().unwrap(), Settled::Duplicate);
        assert_eq!(credits::balance(&db, 1).await.unwrap(), 35);
    })
    .await;
}

#[tokio::test]
async fn only_the_plain_case_is_batched_the_rest_goes_one_by_one() {
    each_backend(async |db| {
        let now = clock().1.now();
        user(&db, 1).await;
        user(&db, 2).await;
        user(&db, 3).await;
        let pass = order(&db, 1, "pass_day").await;
        let with_card_wish = order(&db, 2, "pack10").await;
        let pack10 = orders::product_by_code(&db, "pack10")
            .await
            .unwrap()
            .unwrap();
        auto_recharge::enable(&db, now, 2, 3, pack10.id)
            .await
            .unwrap();
        let refunded = order(&db, 3, "pack10").await;
        orders::refund(&db, now, &refunded, refunded.amount_minor)
            .await
            .unwrap();
        let unknown = PaidSession {
            order_id: 999_999,
            ..session("evt_unknown", &refunded)
        };
        let out = settlements::settle_all(
            &db,
            now,
            &[
                session("evt_pass", &pass),
                session("evt_card", &with_card_wish),
                session("evt_refunded", &refunded),
                unknown,
            ],
        )
        .await;
        let got: Vec<_> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(got[0], Settled::OneByOne);
        assert_eq!(got[1], Settled::OneByOne);
        assert!(matches!(
            got[2],
            Settled::Applied {
                user_id: 3,
                paid: Paid::NotPayable,
                ..
            }
        ));
        assert_eq!(got[3], Settled::OneByOne);
        // What was left for one by one is untouched and unclaimed.
        assert_eq!(status(&db, pass.id).await, OrderStatus::Pending);
        assert_eq!(status(&db, with_card_wish.id).await, OrderStatus::Pending);
        assert_eq!(status(&db, refunded.id).await, OrderStatus::Refunded);
        assert_eq!(credits::balance(&db, 3).await.unwrap(), 0);
        assert_eq!(events::count(&db, EventSource::Stripe).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_batch_that_cannot_be_exact_keeps_nothing() {
    each_backend(async |db| {
        let now = clock().1.now();
        user(&db, 1).await;
        user(&db, 2).await;
        let healed = order(&db, 1, "pack10").await;
        let other = order(&db, 2, "pack25").await;
        // A crash between the grant and the status change left this order pending with its
        // grant in the ledger: the batch must not grant it twice.
        let grant = Movement::new(1, 10, Reason::Purchase).key(format!("order:{}", healed.id));
        credits::grant(&db, now, &grant).await.unwrap();
        let out = settlements::settle_all(
            &db,
            now,
            &[session("evt_healed", &healed), session("evt_other", &other)],
        )
        .await;
        assert!(
            out.iter()
                .all(|r| *r.as_ref().unwrap() == Settled::OneByOne)
        );
        assert_eq!(status(&db, other.id).await, OrderStatus::Pending);
        assert_eq!(credits::balance(&db, 1).await.unwrap(), 10);
        assert_eq!(credits::balance(&db, 2).await.unwrap(), 0);
        assert_eq!(events::count(&db, EventSource::Stripe).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn concurrent_deliveries_of_one_event_through_the_settler_pay_once() {
    each_backend(async |db| {
        let (_, clock) = clock();
        user(&db, 1).await;
        let o = order(&db, 1, "pack10").await;
        let settler = settlements::Settler::start(db.clone(), clock);
        let out =
            futures::future::join_all((0..20).map(|_| settler.settle(session("evt_once", &o))))
                .await;
        let applied = out
            .iter()
            .filter(|r| matches!(paid(r), Some(Paid::Credits { .. })))
            .count();
        assert_eq!(applied, 1);
        assert_eq!(credits::balance(&db, 1).await.unwrap(), 10);
        assert_eq!(credits::ledger_sum(&db, 1).await.unwrap(), 10);
    })
    .await;
}
