//! Platform plans: the operator edits Free / Pro / Enterprise in the admin group (bad values
//! change nothing); a seller on Free meets its limits (a second service, a new member, a
//! trial, API calls an hour) with a message naming the limit and the way up; `/plan` buys Pro
//! through Stripe Checkout (a renewing subscription on the platform's account), which lifts
//! the limits and lowers the fee at once; moving to Enterprise ends Pro at Stripe; going down
//! to Free warns first, keeps everything sold, and stops new sales (SQLite and PostgreSQL).
use std::time::Duration;

use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tollgate::{
    sellers::platform,
    storage::entities::{
        access_orders, memberships, platform_invoices, platform_plans, platform_subscriptions,
        seller_services,
    },
};

use crate::{
    helpers::TestApp,
    on_both_databases,
    seller_api::{call, key_from_bot},
    sellers::{buy, channel, press, shop, wait_contains},
};

const WAIT: Duration = Duration::from_secs(15);

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

/// The operator says `text` in the admin group; the answer that contains `expect`.
async fn operator(app: &TestApp, text: &str, expect: &str) -> String {
    let group = app.admin_chat();
    let before = app
        .emu()
        .bot_messages(group)
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.contains(expect)))
        .count();
    app.emu().send_text(app.operator(), group, text).unwrap();
    wait_contains(app, group, expect, before + 1)
        .await
        .body()
        .unwrap()
        .to_owned()
}

async fn plan(app: &TestApp, code: &str) -> platform_plans::Model {
    platform::by_code(app.db(), code).await.unwrap().unwrap()
}

async fn services(app: &TestApp) -> u64 {
    seller_services::Entity::find()
        .count(app.db())
        .await
        .unwrap()
}

async fn active_members(app: &TestApp) -> u64 {
    memberships::Entity::find()
        .filter(memberships::Column::Status.eq("active"))
        .count(app.db())
        .await
        .unwrap()
}

async fn current(app: &TestApp, seller: i64) -> String {
    platform::current(app.db(), seller).await.unwrap().code
}

async fn the_operators_plans_edited_bought_and_enforced(app: TestApp) {
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    // The operator's plans, and edits: bad ones change nothing.
    let list = operator(&app, "/plans", "Platform plans").await;
    for name in [
        "Free (free)",
        "Pro (pro): $29.00",
        "Enterprise (enterprise)",
    ] {
        assert!(list.contains(name), "{name} in {list}");
    }
    let before = plan(&app, "pro").await;
    for (bad, why) in [
        ("/setplan pro fee 80", "from 0 to 50"),
        ("/setplan pro members lots", "is not a limit"),
        ("/setplan free price 5", "its price stays 0"),
        ("/setplan pro price 0.10", "at least 0.50"),
        ("/setplan gold fee 3", "there is no plan 'gold'"),
        ("/setplan pro colour red", "no field 'colour'"),
        ("/setplan pro", "Usage: /setplan"),
    ] {
        operator(&app, bad, why).await;
    }
    assert_eq!(plan(&app, "pro").await, before, "nothing changed");
    operator(&app, "/setplan free services 1", "services is now 1").await;
    operator(&app, "/setplan free members 1", "members is now 1").await;
    operator(&app, "/setplan pro fee 4", "fee is now 4").await;
    let free = plan(&app, "free").await;
    assert_eq!((free.max_services, free.max_members), (Some(1), Some(1)));
    assert_eq!(plan(&app, "pro").await.fee_percent, 4);

    // Sam on Free: one service, one member.
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    let seller = platform::live_subscription(app.db(), 1).await.unwrap();
    assert!(seller.is_none());
    assert_eq!(current(&app, 1).await, "free");
    let second = channel(&app, sam, "Sam Extra");
    app.say(sam, "/sell");
    wait_contains(&app, sam, "Share the chat", 2).await;
    app.emu().share_chat(sam, second, 1).unwrap();
    let limit = wait_contains(&app, sam, "allows 1 services", 1).await;
    assert!(
        limit.body().unwrap().contains("Pro allows 25"),
        "{:?}",
        limit.body()
    );
    assert_eq!(services(&app).await, 1, "no second service");

    let bob = app.started_user("Bob", "en").await;
    buy(&app, &shop, bob, 1).await;
    let cat = app.started_user("Cat", "en").await;
    app.say(cat, &format!("/start s_{}", shop.code));
    press(&app, cat, "⭐ 250 · 30 days").await;
    wait_contains(&app, cat, "not taking new members", 1).await;
    press(&app, cat, "🎁 Free trial").await;
    wait_contains(&app, cat, "not taking new members", 2).await;
    assert_eq!(active_members(&app).await, 1);
    assert_eq!(
        access_orders::Entity::find()
            .filter(access_orders::Column::UserId.eq(cat))
            .count(app.db())
            .await
            .unwrap(),
        0,
        "no order for Cat"
    );
    // Sam hears it once a day, with the way up.
    app.finish_jobs().await;
    let notice = wait_contains(&app, sam, "allows 1 active members", 1).await;
    assert!(notice.body().unwrap().contains("Pro allows 5,000"));
    // Bob, a member already, may still buy more time.
    press(&app, bob, "⭐ 250 · 30 days").await;
    let invoices = app
        .emu()
        .bot_messages(bob)
        .into_iter()
        .filter(|m| m.kind == "invoice")
        .count();
    assert_eq!(invoices, 2, "an existing member renews");

    // /plan: Free, its use, and Pro by card.
    app.say(sam, "/plan");
    let screen = wait_contains(&app, sam, "Your plan: Free", 1).await;
    let body = screen.body().unwrap();
    assert!(body.contains("Services: 1 of 1"), "{body}");
    assert!(body.contains("Active members: 1 of 1"), "{body}");
    press(&app, sam, "⬆️ Pro · $29.00").await;
    wait_contains(&app, sam, "Pro: $29.00 every 30 days", 1).await;
    let session = stripe.checkout_sessions().pop().unwrap();
    assert_eq!(session["mode"], "subscription");
    let requests = stripe.requests();
    let create = requests
        .iter()
        .rev()
        .find(|r| r.path == "/v1/checkout/sessions" && r.method == "POST")
        .unwrap();
    let price = &create.params["line_items"][0]["price_data"];
    assert_eq!(price["unit_amount"], "2900");
    assert_eq!(price["recurring"]["interval_count"], "30");
    let meta = &create.params["subscription_data"]["metadata"];
    assert_eq!(meta["tollgate_kind"], "platform_plan");
    assert_eq!(meta["plan"], "pro");
    assert!(
        create.params["customer"].as_str().is_some(),
        "the owner is the customer"
    );
    // Nothing changes before Stripe says it is paid.
    assert_eq!(current(&app, 1).await, "free");
    stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    until("Sam is on Pro", || async {
        current(&app, 1).await == "pro"
    })
    .await;
    app.finish_jobs().await;
    wait_contains(&app, sam, "You are on Pro now. Your fee is 4%", 1).await;
    assert_eq!(
        platform_invoices::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
        1
    );
    // A retried invoice event records nothing twice.
    let pro_sub = stripe.subscriptions().pop().unwrap();
    let pro_id = pro_sub["id"].as_str().unwrap().to_owned();
    let renewed = stripe.renew_subscription(&pro_id).await.unwrap();
    until("the renewal is recorded", || async {
        platform_invoices::Entity::find()
            .count(app.db())
            .await
            .unwrap()
            == 2
    })
    .await;
    let again = stripe.redeliver(renewed[0].event_id()).await.unwrap();
    assert_eq!(again.status, 200);
    assert_eq!(
        platform_invoices::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
        2
    );

    // On Pro: Cat buys, at Pro's fee; the second chat connects.
    buy(&app, &shop, cat, 1).await;
    let order = access_orders::Entity::find()
        .filter(access_orders::Column::UserId.eq(cat))
        .filter(access_orders::Column::Status.eq("paid"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.fee_minor, 10, "4 % of 250");
    app.say(sam, "/sell");
    wait_contains(&app, sam, "Share the chat", 3).await;
    app.emu().share_chat(sam, second, 1).unwrap();
    wait_contains(&app, sam, "Sam Extra", 1).await;
    until("two services", || async { services(&app).await == 2 }).await;

    // Pro → Enterprise: Pro ends at Stripe when Enterprise is paid.
    app.say(sam, "/plan");
    wait_contains(&app, sam, "Your plan: Pro", 1).await;
    press(&app, sam, "⬆️ Enterprise · $199.00").await;
    wait_contains(&app, sam, "Your Pro plan ends when this one starts", 1).await;
    let session = stripe.checkout_sessions().pop().unwrap();
    stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    until("Sam is on Enterprise", || async {
        current(&app, 1).await == "enterprise"
    })
    .await;
    until("Pro ended at Stripe", || async {
        stripe.object(&pro_id).unwrap()["status"] == "canceled"
    })
    .await;
    let del = stripe
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("Pro was ended");
    assert_eq!(del.params["prorate"], "true");
    until("Pro is stored as ended", || async {
        platform_subscriptions::Entity::find()
            .filter(platform_subscriptions::Column::ExternalId.eq(pro_id.as_str()))
            .one(app.db())
            .await
            .unwrap()
            .is_some_and(|s| s.status == "canceled")
    })
    .await;

    // Down to Free: a warning first (nothing changes), then the plan runs to its period's end.
    app.say(sam, "/plan");
    wait_contains(&app, sam, "Your plan: Enterprise", 1).await;
    press(&app, sam, "⬇️ Free").await;
    let warning = wait_contains(&app, sam, "Free allows less than you use", 1).await;
    let body = warning.body().unwrap();
    assert!(body.contains("services: you have 2, it allows 1"), "{body}");
    assert!(
        body.contains("active members: you have 2, it allows 1"),
        "{body}"
    );
    let ent = stripe.subscriptions().pop().unwrap();
    let ent_id = ent["id"].as_str().unwrap().to_owned();
    assert_eq!(
        stripe.object(&ent_id).unwrap()["cancel_at_period_end"],
        false
    );
    press(&app, sam, "Move to Free anyway").await;
    wait_contains(&app, sam, "Enterprise stays until", 1).await;
    assert_eq!(
        stripe.object(&ent_id).unwrap()["cancel_at_period_end"],
        true
    );
    assert_eq!(current(&app, 1).await, "enterprise");
    // The period ends: Free, and everything sold stays.
    stripe.renew_subscription(&ent_id).await.unwrap();
    until("Sam is on Free", || async {
        current(&app, 1).await == "free"
    })
    .await;
    app.finish_jobs().await;
    wait_contains(&app, sam, "You are on Free now", 1).await;
    assert_eq!(services(&app).await, 2);
    assert_eq!(active_members(&app).await, 2);
    // New buyers wait until Sam is within Free's limits.
    let dan = app.started_user("Dan", "en").await;
    app.say(dan, &format!("/start s_{}", shop.code));
    press(&app, dan, "⭐ 250 · 30 days").await;
    wait_contains(&app, dan, "not taking new members", 1).await;
    app.stop().await;
}

on_both_databases!(plans, the_operators_plans_edited_bought_and_enforced);

/// API calls an hour: all the seller's keys together, 429 `plan_limit` naming the limit and
/// the plan that allows more; a service over the plan's limit through the API: 403.
async fn the_plans_hourly_api_calls_and_services_through_the_api(app: TestApp) {
    operator(&app, "/setplan free calls 3", "calls is now 3").await;
    let shop = shop(&app, "Sam").await;
    let live = key_from_bot(&app, shop.sam, "live", "one").await;
    let test = key_from_bot(&app, shop.sam, "test", "two").await;
    for key in [&live, &test, &live] {
        let (status, body) = call(&app, Method::GET, Some(key), "/services", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = call(&app, Method::GET, Some(&test), "/services", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "plan_limit");
    assert_eq!(body["error"]["field"], "api_calls_per_hour");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Free plan allows 3 API calls an hour"),
        "{message}"
    );
    assert!(message.contains("Pro allows 20,000"), "{message}");

    // Raised by the operator: the same seller goes on at once.
    operator(
        &app,
        "/setplan free calls unlimited",
        "calls is now unlimited",
    )
    .await;
    operator(&app, "/setplan free services 1", "services is now 1").await;
    let chat = channel(&app, shop.sam, "Sam API");
    app.emu()
        .set_bot_admin_rights(chat, crate::sellers::full_rights());
    let (status, body) = call(
        &app,
        Method::POST,
        Some(&live),
        "/services",
        Some(serde_json::json!({ "chat_id": chat })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "plan_limit");
    assert_eq!(body["error"]["field"], "services");
    assert_eq!(services(&app).await, 1);

    // GET /plan: the plan, its use, every plan; POST /plan: a Checkout page for Pro.
    let (status, body) = call(&app, Method::GET, Some(&test), "/plan", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["plan"]["code"], "free");
    assert_eq!(body["plan"]["max_services"], 1);
    assert_eq!(body["usage"]["services"], 1);
    assert_eq!(body["plans"].as_array().unwrap().len(), 3);
    assert!(body["status"].is_null());
    for (bad, code) in [
        (serde_json::json!({ "plan": "gold" }), "invalid"),
        (serde_json::json!({ "plan": "pro", "colour": 1 }), "invalid"),
    ] {
        let (status, body) = call(&app, Method::POST, Some(&live), "/plan", Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], code);
    }
    let (status, body) = call(
        &app,
        Method::POST,
        Some(&live),
        "/plan",
        Some(serde_json::json!({ "plan": "free" })),
    )
    .await;
    assert_eq!(
        (status, body["action"].as_str()),
        (StatusCode::OK, Some("none"))
    );
    let (status, body) = call(
        &app,
        Method::POST,
        Some(&live),
        "/plan",
        Some(serde_json::json!({ "plan": "pro" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["action"], "checkout");
    let url = body["checkout_url"].as_str().unwrap();
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let session = stripe.checkout_sessions().pop().unwrap();
    assert!(url.contains(session["id"].as_str().unwrap()), "{url}");
    assert_eq!(current(&app, 1).await, "free", "nothing before the payment");
    app.stop().await;
}

on_both_databases!(
    api_limits,
    the_plans_hourly_api_calls_and_services_through_the_api
);
