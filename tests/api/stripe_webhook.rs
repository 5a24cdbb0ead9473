use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use stripe_double::StripeDouble;
use tollgate::{
    sandbox::{STRIPE_KEY, STRIPE_WEBHOOK_SECRET},
    storage::entities::processed_events,
};

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};

/// A checkout session created through Stripe's API, as the payments flow will.
async fn new_checkout_session(app: &TestApp) -> String {
    let stripe = app.h.stripe.as_ref().unwrap();
    let res: serde_json::Value = app
        .http
        .post(format!("{}v1/checkout/sessions", stripe.base_url()))
        .bearer_auth(STRIPE_KEY)
        .form(&[
            ("mode", "payment"),
            ("success_url", "https://example.com/ok"),
            ("cancel_url", "https://example.com/cancel"),
            ("client_reference_id", "order_1"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            (
                "line_items[0][price_data][product_data][name]",
                "25 credits",
            ),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["id"]
        .as_str()
        .expect("a checkout session id")
        .to_owned()
}

async fn stripe_events(app: &TestApp) -> u64 {
    processed_events::Entity::find()
        .filter(processed_events::Column::Source.eq("stripe"))
        .count(app.db())
        .await
        .unwrap()
}

async fn a_signed_event_is_recorded_once_however_often_it_arrives(app: TestApp) {
    let stripe = app.h.stripe.clone().unwrap();
    let session = new_checkout_session(&app).await;

    let first = stripe.complete_checkout(&session).await.unwrap();
    assert_eq!(first.status, 200);
    let event_id = first.event["id"].as_str().unwrap().to_owned();

    // Ten concurrent redeliveries of the same event, as Stripe's retries may overlap.
    let redeliveries =
        futures::future::join_all((0..10).map(|_| stripe.redeliver(&event_id))).await;
    for r in redeliveries {
        assert_eq!(r.unwrap().status, 200);
    }

    assert_eq!(stripe_events(&app).await, 1);
    let row = processed_events::Entity::find()
        .filter(processed_events::Column::ExternalId.eq(event_id))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.kind, "checkout.session.completed");
    assert_eq!(row.status, "done");
    app.stop().await;
}

#[tokio::test]
async fn a_signed_event_is_recorded_once_however_often_it_arrives_on_sqlite() {
    a_signed_event_is_recorded_once_however_often_it_arrives(spawn_app().await).await;
}

#[tokio::test]
async fn a_signed_event_is_recorded_once_however_often_it_arrives_on_postgres() {
    if let Some(app) = spawn_app_with(Backend::Postgres, |_| {}).await {
        a_signed_event_is_recorded_once_however_often_it_arrives(app).await;
    }
}

#[tokio::test]
async fn forged_stale_tampered_or_unsigned_events_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let stripe = app.h.stripe.clone().unwrap();
    let session = new_checkout_session(&app).await;
    // A genuine event, to have a realistic payload to forge with.
    stripe.set_webhook_url("http://127.0.0.1:9/nowhere");
    let genuine = stripe.complete_checkout(&session).await;
    let event = stripe.events().pop().unwrap();
    drop(genuine);
    let payload = serde_json::to_string_pretty(&event).unwrap();
    let now = chrono::Utc::now().timestamp();
    stripe.set_webhook_url(&app.url("/webhooks/stripe"));

    let forged = StripeDouble::signature_header("whsec_someone_else", &payload, now);
    let stale = StripeDouble::signature_header(STRIPE_WEBHOOK_SECRET, &payload, now - 301);
    let tampered_payload = payload.replace("order_1", "order_2");
    let honest_for_original = StripeDouble::signature_header(STRIPE_WEBHOOK_SECRET, &payload, now);

    assert_eq!(stripe.post_raw(&payload, Some(&forged)).await.unwrap(), 400);
    assert_eq!(stripe.post_raw(&payload, Some(&stale)).await.unwrap(), 400);
    assert_eq!(
        stripe
            .post_raw(&tampered_payload, Some(&honest_for_original))
            .await
            .unwrap(),
        400
    );
    assert_eq!(stripe.post_raw(&payload, None).await.unwrap(), 400);
    assert_eq!(
        stripe
            .post_raw(&payload, Some("t=abc,v1=zz"))
            .await
            .unwrap(),
        400
    );
    assert_eq!(stripe_events(&app).await, 0);

    // The honest signature on the original payload is accepted.
    assert_eq!(
        stripe
            .post_raw(&payload, Some(&honest_for_original))
            .await
            .unwrap(),
        200
    );
    assert_eq!(stripe_events(&app).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn the_stripe_endpoint_is_closed_when_stripe_is_not_configured() {
    let app = spawn_app_with(Backend::Sqlite, |o| o.stripe = false)
        .await
        .unwrap();
    let res = app
        .http
        .post(app.url("/webhooks/stripe"))
        .header("Stripe-Signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn an_event_claimed_when_the_app_crashed_is_applied_when_stripe_retries_after_a_restart() {
    use tollgate::services::events::{self, EventSource};
    use tollgate_testkit::HarnessExt;

    let db = crate::helpers::TestDb::new(Backend::Sqlite).await.unwrap();
    let first =
        tollgate::sandbox::Harness::start(tollgate::sandbox::HarnessOptions::new(db.url.clone()))
            .await
            .unwrap();
    let ann = first.add_user("Ann", "en");
    first.emulator.send_text(ann, ann, "/start").unwrap();
    first.emulator.send_text(ann, ann, "/buy10").unwrap();
    first
        .emulator
        .wait_for_bot_messages(ann, 2, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let stripe = first.stripe.clone().unwrap();
    let session = stripe.checkout_sessions().pop().unwrap();
    stripe.set_webhook_url("http://127.0.0.1:9/nowhere");
    let _ = stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await;
    let event = stripe
        .events_of_type("checkout.session.completed")
        .pop()
        .unwrap();
    // The process claimed the event, then died before applying it.
    events::claim(
        &first.app.ctx.db,
        chrono::Utc::now(),
        EventSource::Stripe,
        event["id"].as_str().unwrap(),
        "checkout.session.completed",
        "processing",
    )
    .await
    .unwrap();
    first.stop().await.unwrap();

    // A new process on the same database; Stripe retries the event (same id, new signature).
    let second =
        tollgate::sandbox::Harness::start(tollgate::sandbox::HarnessOptions::new(db.url.clone()))
            .await
            .unwrap();
    assert_eq!(
        second.add_user("Ann", "en"),
        ann,
        "the same person in the new emulator"
    );
    let payload = serde_json::to_string_pretty(&event).unwrap();
    let signature = StripeDouble::signature_header(
        STRIPE_WEBHOOK_SECRET,
        &payload,
        chrono::Utc::now().timestamp(),
    );
    let res = reqwest::Client::new()
        .post(second.http_url("/webhooks/stripe"))
        .header("Stripe-Signature", signature)
        .body(payload)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["duplicate"], false,
        "the retry is applied, not dropped"
    );
    assert_eq!(
        tollgate::accounts::credits::balance(&second.app.ctx.db, ann)
            .await
            .unwrap(),
        13
    );
    second.stop().await.unwrap();
}
