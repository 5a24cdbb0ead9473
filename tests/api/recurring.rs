//! Renewing plans: a card plan marked 🔁 sells a Stripe subscription (Checkout in
//! subscription mode, a recurring price of the plan's period); each paid invoice is one order
//! and runs the membership to the end of the period it paid for; a failed renewal tells the
//! buyer with a pay-now link and reminds them on day 1 and 3 until it is paid; `/subscriptions`
//! cancels at the period end (after the seller's one-time retention offer), resumes, and the
//! subscription ends at Stripe's word. Each subscription's events, replayed shuffled and
//! duplicated, end in the same state as in order (SQLite and PostgreSQL).
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use serde_json::Value;
use tollgate::{
    sellers::{catalog, recurring, recurring_card},
    storage::entities::{access_orders, memberships, subscription_history, subscriptions},
};

use crate::{
    helpers::{Backend, TestApp, registered, spawn_app_with},
    on_both_databases,
    sellers::{press, shop, url_of, wait_contains},
};

const WAIT: Duration = Duration::from_secs(15);

fn ts(v: &Value) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(v.as_i64().expect("a timestamp"), 0).unwrap()
}

/// Polls until `f` holds (the webhook's effects land after Stripe's answer).
async fn until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn sub_of(app: &TestApp, user: i64) -> Option<subscriptions::Model> {
    subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user))
        .one(app.db())
        .await
        .unwrap()
}

async fn paid_orders(app: &TestApp, user: i64) -> Vec<access_orders::Model> {
    access_orders::Entity::find()
        .filter(access_orders::Column::UserId.eq(user))
        .filter(access_orders::Column::Status.eq("paid"))
        .order_by_asc(access_orders::Column::Id)
        .all(app.db())
        .await
        .unwrap()
}

async fn membership_end(app: &TestApp, user: i64) -> Option<DateTime<Utc>> {
    memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(user))
        .one(app.db())
        .await
        .unwrap()
        .and_then(|m| m.ends_at)
}

async fn kinds(app: &TestApp, sub: i64) -> Vec<String> {
    subscription_history::Entity::find()
        .filter(subscription_history::Column::SubscriptionId.eq(sub))
        .order_by_asc(subscription_history::Column::Id)
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.kind)
        .collect()
}

fn period_end(sub: &Value) -> DateTime<Utc> {
    ts(&sub["items"]["data"][0]["current_period_end"])
}

/// Lets the dunning reminders queued for later run now (time passing for the job queue).
async fn due_now(app: &TestApp) {
    let now = app.h.app.ctx.now();
    let sql = match app.db().get_database_backend() {
        sea_orm::DbBackend::Postgres => "UPDATE jobs SET run_at = $1 WHERE kind = 'seller_dunning'",
        _ => "UPDATE jobs SET run_at = ? WHERE kind = 'seller_dunning'",
    };
    app.db()
        .execute_raw(Statement::from_sql_and_values(
            app.db().get_database_backend(),
            sql,
            [now.into()],
        ))
        .await
        .unwrap();
    app.finish_jobs().await;
}

/// Bob opens `/subscriptions` and reads the fresh screen (older screens may have been edited).
async fn subscriptions(app: &TestApp, user: i64, expect: &str) {
    let before = count(app, user, "Your subscriptions");
    app.say(user, "/subscriptions");
    let screen = wait_contains(app, user, "Your subscriptions", before + 1).await;
    assert!(
        screen.body().unwrap().contains(expect),
        "{expect:?} in {:?}",
        screen.body()
    );
}

fn count(app: &TestApp, chat: i64, needle: &str) -> usize {
    app.emu()
        .bot_messages(chat)
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.contains(needle)))
        .count()
}

/// The whole life of a renewing plan through the bot and the Stripe double.
async fn a_renewing_plan_from_checkout_to_its_end(app: TestApp) {
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    // The seller gives the plan a card price and makes it renew.
    app.say(sam, "/services");
    press(&app, sam, "Sam VIP").await;
    press(&app, sam, "💳").await;
    wait_contains(&app, sam, "Card price for", 1).await;
    app.say(sam, "9.99 USD");
    wait_contains(&app, sam, "Plan updated", 1).await;
    app.say(sam, "/services");
    press(&app, sam, "Sam VIP").await;
    press(&app, sam, "🔁").await;
    wait_contains(&app, sam, "by card, and in Stars", 1).await;
    app.say(sam, "/retention 120");
    wait_contains(&app, sam, "from 1 to 90", 1).await;
    app.say(sam, "/retention 20");
    wait_contains(&app, sam, "offered 20% off", 1).await;

    // Bob subscribes: Checkout in subscription mode with a 30-day recurring price.
    let bob = app.started_user("Bob", "en").await;
    app.say(bob, &format!("/start s_{}", shop.code));
    press(&app, bob, "🔁 $9.99 every 30 days").await;
    let url = url_of(&app, bob, "Subscribe for $9.99", 1).await;
    let session = stripe.checkout_sessions().pop().unwrap();
    assert!(url.contains(session["id"].as_str().unwrap()), "{url}");
    assert_eq!(session["mode"], "subscription");
    let requests = stripe.requests();
    let create = requests
        .iter()
        .rev()
        .find(|r| r.path == "/v1/checkout/sessions" && r.method == "POST")
        .expect("the session request");
    let item = &create.params["line_items"][0]["price_data"];
    assert_eq!(item["recurring"]["interval"], "day", "{}", create.params);
    assert_eq!(item["recurring"]["interval_count"], "30");
    assert_eq!(item["unit_amount"], "999");
    assert_eq!(
        create.params["subscription_data"]["metadata"]["user_id"],
        bob.to_string()
    );
    stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    wait_contains(&app, bob, "Payment received", 1).await;
    app.finish_jobs().await;
    url_of(&app, bob, "Join", 1).await;
    let stripe_sub = stripe.subscriptions().pop().unwrap();
    let sub_id = stripe_sub["id"].as_str().unwrap().to_owned();
    until("the subscription is active", || async {
        sub_of(&app, bob)
            .await
            .is_some_and(|s| s.status == "active")
    })
    .await;
    let sub = sub_of(&app, bob).await.unwrap();
    assert_eq!(sub.external_id, sub_id);
    assert_eq!(sub.current_period_end, Some(period_end(&stripe_sub)));
    let first = paid_orders(&app, bob).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].amount_minor, 999);
    assert_eq!(first[0].fee_minor, 99, "the platform's 10 %");
    assert!(first[0].stripe_invoice_id.is_some());
    assert_eq!(
        membership_end(&app, bob).await,
        Some(period_end(&stripe_sub))
    );
    // A second checkout while it runs is refused.
    app.say(bob, &format!("/start s_{}", shop.code));
    press(&app, bob, "🔁 $9.99 every 30 days").await;
    wait_contains(&app, bob, "already have a subscription", 1).await;

    // Renewal: one more order, the membership runs to the new period's end; a retried
    // delivery of the same invoice changes nothing.
    let renewed = stripe.renew_subscription(&sub_id).await.unwrap();
    assert!(renewed.iter().all(|d| d.status == 200), "{renewed:?}");
    let stripe_sub = stripe.object(&sub_id).unwrap();
    until("the renewal is paid", || async {
        paid_orders(&app, bob).await.len() == 2
    })
    .await;
    assert_eq!(
        membership_end(&app, bob).await,
        Some(period_end(&stripe_sub))
    );
    let again = stripe.redeliver(renewed[0].event_id()).await.unwrap();
    assert_eq!(again.status, 200);
    assert_eq!(paid_orders(&app, bob).await.len(), 2);

    // A failed renewal: past due, the buyer gets a pay-now link now and reminders later,
    // access runs on; paying the invoice stops the reminders.
    stripe.fail_subscription_renewal(&sub_id).await.unwrap();
    until("past due", || async {
        sub_of(&app, bob)
            .await
            .is_some_and(|s| s.status == "past_due")
    })
    .await;
    app.finish_jobs().await;
    wait_contains(&app, bob, "did not go through", 1).await;
    let pay = url_of(&app, bob, "Pay now", 1).await;
    let invoice = stripe
        .invoices()
        .into_iter()
        .find(|i| i["status"] == "open")
        .unwrap();
    assert_eq!(pay, invoice["hosted_invoice_url"].as_str().unwrap());
    due_now(&app).await;
    assert_eq!(count(&app, bob, "is still open"), 2, "day 1 and day 3");
    assert_eq!(paid_orders(&app, bob).await.len(), 2);

    // /subscriptions: cancel (the retention offer first), resume, take the offer.
    subscriptions(&app, bob, "payment failed").await;
    stripe
        .pay_invoice(invoice["id"].as_str().unwrap())
        .await
        .unwrap();
    until("recovered", || async {
        sub_of(&app, bob)
            .await
            .is_some_and(|s| s.status == "active")
    })
    .await;
    assert_eq!(paid_orders(&app, bob).await.len(), 3);
    subscriptions(&app, bob, "active, renews on").await;
    // Cancel: the seller's offer comes first, once; Bob takes it.
    press(&app, bob, "Cancel \"Sam VIP\"").await;
    wait_contains(&app, bob, "stay and get 20% off", 1).await;
    press(&app, bob, "Stay with 20% off").await;
    wait_contains(&app, bob, "your next period is 20% off", 1).await;
    let coupon = stripe.coupons().pop().unwrap();
    assert_eq!(coupon["percent_off"], 20.0);
    assert_eq!(coupon["duration"], "once");
    assert_eq!(
        stripe.object(&sub_id).unwrap()["discounts"][0]["coupon"]["id"],
        coupon["id"]
    );
    // Cancel again: no second offer, cancelled at the period end; then resumed.
    subscriptions(&app, bob, "active, renews on").await;
    press(&app, bob, "Cancel \"Sam VIP\"").await;
    wait_contains(&app, bob, "Your subscription is cancelled", 1).await;
    assert_eq!(count(&app, bob, "stay and get 20% off"), 1);
    assert_eq!(
        stripe.object(&sub_id).unwrap()["cancel_at_period_end"],
        true
    );
    assert!(sub_of(&app, bob).await.unwrap().cancel_at_period_end);
    subscriptions(&app, bob, "cancelled, access until").await;
    press(&app, bob, "Resume \"Sam VIP\"").await;
    wait_contains(&app, bob, "Renewal is back on", 1).await;
    assert_eq!(
        stripe.object(&sub_id).unwrap()["cancel_at_period_end"],
        false
    );
    // The next period is charged with the discount, once.
    stripe.renew_subscription(&sub_id).await.unwrap();
    until("the discounted renewal", || async {
        paid_orders(&app, bob).await.len() == 4
    })
    .await;
    assert_eq!(paid_orders(&app, bob).await[3].amount_minor, 799);
    // Cancelled for good: the period ends, Stripe ends it, access runs to the end paid for.
    subscriptions(&app, bob, "active, renews on").await;
    press(&app, bob, "Cancel \"Sam VIP\"").await;
    wait_contains(&app, bob, "Your subscription is cancelled", 2).await;
    let end = membership_end(&app, bob).await;
    stripe.renew_subscription(&sub_id).await.unwrap();
    until("ended", || async {
        sub_of(&app, bob)
            .await
            .is_some_and(|s| s.status == "canceled")
    })
    .await;
    let sub = sub_of(&app, bob).await.unwrap();
    assert!(sub.ended_at.is_some());
    assert_eq!(membership_end(&app, bob).await, end);
    assert_eq!(paid_orders(&app, bob).await.len(), 4);
    let history = kinds(&app, sub.id).await;
    for kind in [
        "started",
        "renewed",
        "payment_failed",
        "recovered",
        "cancel_scheduled",
        "resumed",
        "retention_accepted",
        "ended",
    ] {
        assert!(history.iter().any(|k| k == kind), "{kind} in {history:?}");
    }
    assert_eq!(
        history.iter().filter(|k| *k == "renewed").count(),
        3,
        "{history:?}"
    );
    subscriptions(&app, bob, "ended").await;
    app.stop().await;
}

on_both_databases!(lifecycle, a_renewing_plan_from_checkout_to_its_end);

/// A tiny deterministic shuffle (xorshift), so a failing order can be replayed.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed.max(1);
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = usize::try_from(x % (i as u64 + 1)).unwrap();
        items.swap(i, j);
    }
}

fn about(event: &Value, sub: &str) -> bool {
    let o = &event["data"]["object"];
    o["id"] == sub
        || o["subscription"] == sub
        || o["parent"]["subscription_details"]["subscription"] == sub
}

/// Five buyers go through the same life (paid, renewed, renewal failed, paid late, set to
/// cancel, ended) while the events are held; each buyer's events are then delivered in a
/// different shuffled order, each twice. Every buyer ends in the same state: ended, three
/// paid orders, the membership at the third period's end.
async fn shuffled_events_end_in_the_same_state(app: TestApp) {
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let db = app.db().clone();
    let ctx = &app.h.app.ctx;
    let now = Utc::now();
    let owner = app.started_user("Sam", "en").await;
    let seller = catalog::register(&db, now, owner, "Sam", "sam@example.com")
        .await
        .unwrap();
    let catalog::Connected::New(service) = catalog::connect_chat(
        &db,
        now,
        &seller,
        -100_777,
        catalog::ChatKind::Channel,
        "VIP",
        true,
    )
    .await
    .unwrap() else {
        panic!("a new service")
    };
    let plan = catalog::add_plan(
        &db,
        now,
        &service,
        catalog::NewPlan {
            stars_price: Some(250),
            card: Some((999, "usd".into())),
            period_days: 30,
            trial_days: 0,
        },
    )
    .await
    .unwrap();
    recurring::set_renewing(&db, now, &plan, owner, true)
        .await
        .unwrap()
        .unwrap();
    let plan = catalog::plan(&db, plan.id).await.unwrap().unwrap();
    app.hold_stripe_events();
    let mut lives = Vec::new();
    for n in 0..5_i64 {
        let buyer = 700_000 + n;
        registered(&db, buyer, "en").await;
        recurring_card::checkout(ctx, &seller, &service, &plan, buyer)
            .await
            .unwrap();
        let session = stripe.checkout_sessions().pop().unwrap();
        let session_id = session["id"].as_str().unwrap().to_owned();
        // Held: the deliveries fail, the events are stored.
        let _ = stripe.complete_checkout(&session_id).await;
        let sub = stripe.checkout_session(&session_id).unwrap()["subscription"]
            .as_str()
            .unwrap()
            .to_owned();
        let _ = stripe.renew_subscription(&sub).await;
        let _ = stripe.fail_subscription_renewal(&sub).await;
        let open = stripe
            .invoices()
            .into_iter()
            .find(|i| i["status"] == "open" && about(&json_event(i), &sub))
            .unwrap();
        let _ = stripe.pay_invoice(open["id"].as_str().unwrap()).await;
        let _ = stripe.portal_cancel_at_period_end(&sub, true).await;
        let _ = stripe.renew_subscription(&sub).await;
        let third_end = stripe
            .invoices()
            .into_iter()
            .filter(|i| about(&json_event(i), &sub))
            .count();
        assert_eq!(third_end, 3);
        let events: Vec<String> = stripe
            .events()
            .into_iter()
            .filter(|e| about(e, &sub) || e["data"]["object"]["id"] == session_id.as_str())
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        lives.push((buyer, sub, events));
    }
    app.release_stripe_events();
    for (n, (_, _, events)) in lives.iter().enumerate() {
        let mut order: Vec<&String> = events.iter().chain(events.iter()).collect();
        shuffle(&mut order, 0x9E37_79B9 + n as u64 * 7919);
        for id in order {
            let d = stripe.redeliver(id).await.unwrap();
            assert_eq!(d.status, 200, "{}", d.event);
        }
    }
    for (buyer, sub, _) in &lives {
        let stripe_sub = stripe.object(sub).unwrap();
        assert_eq!(stripe_sub["status"], "canceled");
        let row = sub_of(&app, *buyer).await.expect("the subscription row");
        assert_eq!(row.status, "canceled", "buyer {buyer}");
        assert!(row.ended_at.is_some());
        let orders = paid_orders(&app, *buyer).await;
        assert_eq!(orders.len(), 3, "buyer {buyer}: {orders:?}");
        assert_eq!(
            membership_end(&app, *buyer).await,
            Some(period_end(&stripe_sub)),
            "buyer {buyer}"
        );
        let history = kinds(&app, row.id).await;
        assert_eq!(history.first().map(String::as_str), Some("started"));
        assert_eq!(history.iter().filter(|k| *k == "ended").count(), 1);
        assert_eq!(history.iter().filter(|k| *k == "renewed").count(), 2);
    }
    app.stop().await;
}

/// An invoice as the payload of an event, for [`about`].
fn json_event(object: &Value) -> Value {
    serde_json::json!({ "data": { "object": object } })
}

on_both_databases!(shuffled, shuffled_events_end_in_the_same_state);

/// Billing events that are not a seller's subscription, forged ones, and one for another
/// seller's endpoint change nothing.
#[tokio::test]
async fn foreign_and_forged_billing_events_change_nothing() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let invoice = serde_json::json!({
        "id": "evt_forged",
        "object": "event",
        "type": "invoice.paid",
        "created": Utc::now().timestamp(),
        "data": { "object": {
            "id": "in_forged",
            "object": "invoice",
            "amount_paid": 999,
            "currency": "usd",
            "billing_reason": "subscription_cycle",
            "lines": { "data": [{ "period": { "start": 0, "end": 4_000_000_000_i64 } }] },
            "parent": { "subscription_details": {
                "subscription": "sub_forged",
                "metadata": { "seller_id": "1", "service_id": "1", "plan_id": "1", "user_id": "42" }
            } }
        } }
    })
    .to_string();
    // Unsigned and wrongly signed: 400.
    assert_eq!(stripe.post_raw(&invoice, None).await.unwrap(), 400);
    let wrong = stripe_double::StripeDouble::signature_header(
        "whsec_wrong",
        &invoice,
        Utc::now().timestamp(),
    );
    assert_eq!(stripe.post_raw(&invoice, Some(&wrong)).await.unwrap(), 400);
    // Signed, but about no plan of ours: received, nothing stored.
    let signed = stripe.sign(&invoice, Utc::now().timestamp());
    assert_eq!(stripe.post_raw(&invoice, Some(&signed)).await.unwrap(), 200);
    assert!(
        subscriptions::Entity::find()
            .all(app.db())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        access_orders::Entity::find()
            .all(app.db())
            .await
            .unwrap()
            .is_empty()
    );
    // A signed event that is neither typed nor a billing event is still refused.
    let junk = serde_json::json!({
        "id": "evt_junk", "object": "event", "type": "checkout.session.completed",
        "created": Utc::now().timestamp(), "data": { "object": { "id": "cs_x" } }
    })
    .to_string();
    let signed = stripe.sign(&junk, Utc::now().timestamp());
    assert_eq!(stripe.post_raw(&junk, Some(&signed)).await.unwrap(), 400);
    app.stop().await;
}

/// A renewing 30-day plan in Stars is a Telegram Star subscription: the link comes from
/// `createInvoiceLink` with `subscription_period`, each charge Telegram makes is one order and
/// runs the membership to the period Telegram names, cancelling and resuming go through
/// `editUserStarSubscription`, and a cancelled subscription is not charged again. A Stars-only
/// plan of another period cannot renew (Telegram allows 30 days only).
async fn star_subscriptions_of_a_renewing_plan(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    app.say(sam, "/services");
    press(&app, sam, "Sam VIP").await;
    press(&app, sam, "🔁").await;
    wait_contains(&app, sam, "in Stars as a Telegram Star subscription", 1).await;

    let bob = app.started_user("Bob", "en").await;
    app.say(bob, &format!("/start s_{}", shop.code));
    press(&app, bob, "⭐ 250 every 30 days").await;
    let link = url_of(&app, bob, "Subscribe for 250 Stars", 1).await;
    let call = app.emu().calls_to("createInvoiceLink").pop().unwrap();
    assert_eq!(
        call.params["subscription_period"], 2_592_000,
        "{:?}",
        call.params
    );
    let tg_emulator::PaymentOutcome::Paid { charge_id } =
        app.emu().pay_invoice_link(bob, &link).await.unwrap()
    else {
        panic!("the first period is paid")
    };
    wait_contains(&app, bob, "Payment received", 1).await;
    until("the Star subscription", || async {
        sub_of(&app, bob)
            .await
            .is_some_and(|s| s.status == "active")
    })
    .await;
    let sub = sub_of(&app, bob).await.unwrap();
    assert_eq!(sub.provider, "telegram_stars");
    assert_eq!(sub.external_id, charge_id);
    let first_end = sub.current_period_end.unwrap();
    assert_eq!(
        membership_end(&app, bob).await.map(|e| e.timestamp() / 60),
        Some(first_end.timestamp() / 60)
    );

    // Telegram charges the next period: a second order, the membership to its end.
    app.emu().charge_star_subscription(bob, &charge_id).unwrap();
    wait_contains(&app, bob, "Payment received", 2).await;
    until("the renewal", || async {
        paid_orders(&app, bob).await.len() == 2
    })
    .await;
    let orders = paid_orders(&app, bob).await;
    assert_eq!(orders[1].method, "stars");
    assert_eq!(orders[1].amount_minor, 250);
    let second_end = membership_end(&app, bob).await.unwrap();
    assert!(
        second_end >= first_end + chrono::Duration::days(29),
        "{first_end} → {second_end}"
    );
    assert_eq!(
        sub_of(&app, bob).await.unwrap().current_period_end,
        Some(second_end)
    );

    // Cancel in /subscriptions: Telegram is told, and charges no more.
    subscriptions(&app, bob, "active, renews on").await;
    press(&app, bob, "Cancel \"Sam VIP\"").await;
    wait_contains(&app, bob, "Your subscription is cancelled", 1).await;
    assert_eq!(app.emu().star_subscription_canceled(&charge_id), Some(true));
    assert!(matches!(
        app.emu().charge_star_subscription(bob, &charge_id).unwrap(),
        tg_emulator::PaymentOutcome::Declined(_)
    ));
    subscriptions(&app, bob, "cancelled, access until").await;
    press(&app, bob, "Resume \"Sam VIP\"").await;
    wait_contains(&app, bob, "Renewal is back on", 1).await;
    assert_eq!(
        app.emu().star_subscription_canceled(&charge_id),
        Some(false)
    );
    let history = kinds(&app, sub.id).await;
    assert_eq!(
        history,
        ["started", "renewed", "cancel_scheduled", "resumed"]
    );

    // A Stars-only plan of 7 days cannot renew: nothing changes.
    let service = catalog::service_by_chat(app.db(), shop.chat)
        .await
        .unwrap()
        .unwrap();
    let week = catalog::add_plan(
        app.db(),
        Utc::now(),
        &service,
        catalog::NewPlan {
            stars_price: Some(100),
            card: None,
            period_days: 7,
            trial_days: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        recurring::set_renewing(app.db(), Utc::now(), &week, sam, true)
            .await
            .unwrap(),
        Err(recurring::NotRenewable::StarsPeriod)
    );
    assert!(
        !catalog::plan(app.db(), week.id)
            .await
            .unwrap()
            .unwrap()
            .renewing
    );
    app.stop().await;
}

on_both_databases!(stars, star_subscriptions_of_a_renewing_plan);
