//! Sellers' analytics: every commercial event recorded once (a view, a checkout, a payment
//! delivered twice, a refund repeated, a trial that converts, an expiry that churns), the
//! numbers they add up to (MRR, churn, trial conversion, revenue by source) on SQLite and
//! PostgreSQL, and `GET /api/v1/analytics` through the bot's deep link and Stars payment,
//! scoped to the key's seller and mode.
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use tollgate::{
    sellers::{
        access::{self, ChargeRef, Paid, PayBy, Trial},
        analytics::{self, Kind, NewEvent, SourceRevenue},
        catalog, sweep,
        tenant::Tenant,
    },
    storage::{Db, entities::memberships},
};

use crate::{
    helpers::{TestApp, each_backend, registered},
    on_both_databases,
    seller_api::{call, key_from_bot},
    sellers::{buy, shop, wait_contains},
};

/// A live seller with a 30-day plan (250 Stars or $9.99, a 7-day trial).
async fn setup(db: &Db, user: i64) -> (Tenant, catalog::Service, catalog::Plan) {
    let now = Utc::now();
    registered(db, user, "en").await;
    let seller = catalog::register(db, now, user, "Sam", "sam@example.com")
        .await
        .unwrap();
    let catalog::Connected::New(service) = catalog::connect_chat(
        db,
        now,
        &seller,
        -100_000 - user,
        catalog::ChatKind::Channel,
        "VIP",
        true,
    )
    .await
    .unwrap() else {
        panic!("a new service")
    };
    let plan = catalog::add_plan(
        db,
        now,
        &service,
        catalog::NewPlan {
            stars_price: Some(250),
            card: Some((999, "usd".into())),
            period_days: 30,
            trial_days: 7,
        },
    )
    .await
    .unwrap();
    let tenant = Tenant {
        seller_id: seller.id,
        livemode: true,
    };
    (tenant, service, plan)
}

/// `buyer` opens the service's deep link (with a promo payload or none).
async fn view(db: &Db, service: &catalog::Service, buyer: i64, promo: Option<&str>) {
    let now = Utc::now();
    let ev = NewEvent {
        source: Some(analytics::source_of_link(promo)),
        ..NewEvent::new(
            service.seller_id,
            service.livemode,
            service.id,
            buyer,
            Kind::View,
            analytics::view_key(service.id, buyer, now),
        )
    };
    analytics::record(db, now, &ev).await.unwrap();
}

async fn order(db: &Db, plan: &catalog::Plan, buyer: i64, by: PayBy) -> access::AccessOrder {
    access::create_order(db, Utc::now(), buyer, plan, by)
        .await
        .unwrap()
        .expect("an order")
}

#[tokio::test]
async fn events_are_recorded_once_and_add_up() {
    each_backend(async |db: Db| {
        let (tenant, service, plan) = setup(&db, 9100).await;
        let now = Utc::now();
        // Ann came through the plain link, paid by card; the payment arrives twice; $5 of it
        // is refunded, and that refund is reported twice.
        let ann = 9101;
        registered(&db, ann, "en").await;
        view(&db, &service, ann, None).await;
        view(&db, &service, ann, None).await; // the same day: one view
        let card = order(&db, &plan, ann, PayBy::Card).await;
        assert_eq!(card.source.as_deref(), Some("direct"));
        let first = access::pay(&db, now, &card, ChargeRef::Stripe("pi_ann"), 10)
            .await
            .unwrap();
        assert!(matches!(first, Paid::Admitted { .. }));
        let again = access::pay(&db, now, &card, ChargeRef::Stripe("pi_ann"), 10)
            .await
            .unwrap();
        assert_eq!(again, Paid::Duplicate);
        let card = access::order(&db, card.id).await.unwrap().unwrap();
        assert!(
            access::refund(&db, now, &card, 500)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            access::refund(&db, now, &card, 500)
                .await
                .unwrap()
                .is_none()
        );
        // Bea came through a promo link and paid in Stars.
        let bea = 9102;
        registered(&db, bea, "en").await;
        view(&db, &service, bea, Some("vip")).await;
        let stars = order(&db, &plan, bea, PayBy::Stars).await;
        assert_eq!(stars.source.as_deref(), Some("promo_VIP"));
        access::pay(&db, now, &stars, ChargeRef::Telegram("ch_bea"), 10)
            .await
            .unwrap();
        // Cid took the trial, then paid: a converted trial and a renewal (the trial ran).
        let cid = 9103;
        registered(&db, cid, "en").await;
        assert!(matches!(
            access::start_trial(&db, now, &service, &plan, cid)
                .await
                .unwrap(),
            Trial::Started(_)
        ));
        let paid = order(&db, &plan, cid, PayBy::Stars).await;
        assert_eq!(paid.source, None, "no view, no source");
        access::pay(&db, now, &paid, ChargeRef::Telegram("ch_cid"), 10)
            .await
            .unwrap();
        // Dan took the trial and never paid. Eve held a grant from before the window; it
        // expires and the sweeper (run twice) churns her once.
        let dan = 9104;
        registered(&db, dan, "en").await;
        access::start_trial(&db, now, &service, &plan, dan)
            .await
            .unwrap();
        let eve = 9105;
        registered(&db, eve, "en").await;
        let granted = access::grant(&db, now, &service, eve, 1, 9100)
            .await
            .unwrap();
        memberships::Entity::update_many()
            .col_expr(
                memberships::Column::CreatedAt,
                Expr::value(now - Duration::days(40)),
            )
            .filter(memberships::Column::Id.eq(granted.id))
            .exec(&db)
            .await
            .unwrap();
        let later = now + Duration::days(2);
        assert_eq!(sweep::sweep(&db, later).await.unwrap().removals, 1);
        assert_eq!(sweep::sweep(&db, later).await.unwrap().removals, 0);

        let r = analytics::report(&db, tenant, later, 30).await.unwrap();
        assert_eq!(r.views, 2, "Ann once that day, Bea");
        assert_eq!(r.checkouts, 3);
        assert_eq!(r.payments, 3, "Ann's payment counted once");
        assert_eq!(r.refunds, 1, "the repeated refund counted once");
        assert_eq!(r.renewals, 1, "Cid's payment extended his trial");
        assert_eq!((r.trials, r.trials_converted), (2, 1));
        assert_eq!(r.trial_conversion_percent(), Some(50.0));
        assert_eq!((r.churned, r.active_at_start), (1, 1));
        assert_eq!(r.churn_percent, Some(100.0));
        // Running paid memberships: Ann $9.99, Bea and Cid 250 Stars each, all 30 days.
        assert_eq!(r.mrr.get("USD"), Some(&999));
        assert_eq!(r.mrr.get("XTR"), Some(&500));
        // Ann: 999 gross, fee 99, net 900; $5 refunded takes 500·900/999 = 450 of the net.
        let row = |source: &str, currency: &str, payments, gross, refunded, net| SourceRevenue {
            source: source.into(),
            currency: currency.into(),
            payments,
            gross,
            refunded,
            net,
        };
        assert_eq!(
            r.by_source,
            vec![
                row("direct", "USD", 1, 999, 500, 450),
                row("direct", "XTR", 1, 250, 0, 225),
                row("promo_VIP", "XTR", 1, 250, 0, 225),
            ]
        );
        // The window starts after everything: nothing in it, MRR still counts who runs.
        let empty = analytics::report(&db, tenant, later + Duration::days(31), 30)
            .await
            .unwrap();
        assert_eq!((empty.views, empty.payments, empty.churned), (0, 0, 0));
        assert!(empty.by_source.is_empty());

        // Another seller, and this seller's test mode, see none of it.
        let (other, _, _) = setup(&db, 9200).await;
        let theirs = analytics::report(&db, other, later, 90).await.unwrap();
        assert_eq!(
            (theirs.views, theirs.payments, theirs.trials, theirs.churned),
            (0, 0, 0, 0)
        );
        assert!(theirs.mrr.is_empty() && theirs.by_source.is_empty());
        let test_mode = Tenant {
            livemode: false,
            ..tenant
        };
        let test = analytics::report(&db, test_mode, later, 90).await.unwrap();
        assert_eq!((test.views, test.payments, test.active_at_start), (0, 0, 0));
        assert!(test.mrr.is_empty());
    })
    .await;
}

fn source_rows(body: &Value) -> Vec<(String, String, i64, i64)> {
    body["revenue_by_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_owned(),
                r["currency"].as_str().unwrap().to_owned(),
                r["gross"].as_i64().unwrap(),
                r["net"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn the_api_shows_a_buyers_way_from_link_to_payment(app: TestApp) {
    let ann = shop(&app, "Ann").await;
    let a_key = key_from_bot(&app, ann.sam, "live", "crm").await;
    let a_test = key_from_bot(&app, ann.sam, "test", "dev").await;
    let bob = shop(&app, "Bob").await;
    let b_key = key_from_bot(&app, bob.sam, "live", "crm").await;
    // Bea opens the link and pays in Stars; Telegram delivers her payment twice.
    let bea = app.started_user("Bea", "en").await;
    buy(&app, &ann, bea, 1).await;
    let paid_message = app
        .emu()
        .messages(bea)
        .into_iter()
        .rev()
        .find(|m| m.kind == "successful_payment")
        .unwrap();
    app.emu()
        .inject_update(json!({"message": paid_message.raw}));
    app.settle().await;
    // Cid opens a promo link and goes no further.
    let cid = app.started_user("Cid", "en").await;
    app.say(cid, &format!("/start s_{}_SPRING", ann.code));
    wait_contains(&app, cid, "VIP", 1).await;

    let (status, body) = call(&app, Method::GET, Some(&a_key), "/analytics", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["days"], json!(30));
    assert_eq!(body["events"]["views"], json!(2), "{body}");
    assert_eq!(body["events"]["checkouts_started"], json!(1));
    assert_eq!(body["events"]["payments"], json!(1), "paid once: {body}");
    assert_eq!(body["mrr"], json!({"XTR": 250}));
    assert_eq!(
        source_rows(&body),
        vec![("direct".into(), "XTR".into(), 250, 225)]
    );
    let (status, body) = call(&app, Method::GET, Some(&a_key), "/analytics?days=90", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["days"], json!(90));
    assert_eq!(body["events"]["payments"], json!(1));
    for bad in ["7", "0", "abc", "-30"] {
        let (status, body) = call(
            &app,
            Method::GET,
            Some(&a_key),
            &format!("/analytics?days={bad}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["field"], json!("days"), "{bad}: {body}");
    }
    // Bob's key and Ann's test key see none of it.
    for key in [&b_key, &a_test] {
        let (status, body) = call(&app, Method::GET, Some(key), "/analytics", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["events"]["views"], json!(0), "{body}");
        assert_eq!(body["events"]["payments"], json!(0), "{body}");
        assert_eq!(body["mrr"], json!({}));
        assert!(source_rows(&body).is_empty());
    }
    let (status, _) = call(&app, Method::GET, None, "/analytics", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}
on_both_databases!(api, the_api_shows_a_buyers_way_from_link_to_payment);

/// Many events at once (more than one statement's worth), some of them repeated: each is
/// recorded once.
#[tokio::test]
async fn a_batch_records_each_event_once() {
    each_backend(async |db: Db| {
        let (tenant, service, _) = setup(&db, 9300).await;
        let now = Utc::now();
        let churn = |user: i64| {
            NewEvent::new(
                tenant.seller_id,
                true,
                service.id,
                user,
                Kind::Churned,
                format!("churned:test:{user}"),
            )
        };
        let batch: Vec<NewEvent> = (0..2500).map(churn).collect();
        assert_eq!(
            analytics::record_many(&db, now, &batch).await.unwrap(),
            2500
        );
        // The same causes again, with 100 new ones among them.
        let again: Vec<NewEvent> = (2400..2600).map(churn).collect();
        assert_eq!(analytics::record_many(&db, now, &again).await.unwrap(), 100);
        let r = analytics::report(&db, tenant, now, 30).await.unwrap();
        assert_eq!(r.churned, 2600);
    })
    .await;
}
