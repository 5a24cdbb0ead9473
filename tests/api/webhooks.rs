//! Sellers' outgoing webhooks against a real receiver on loopback (`WEBHOOK_ALLOW_LOCAL`):
//! signatures a receiver can verify, retries on the clock, dead letters and resending,
//! disabling after repeated failures (and the seller told), secret rotation, refused private
//! URLs, a restart mid-way, events from the sellers' flows, and sellers and modes kept apart.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use sha2::Sha256;
use tollgate::{
    clock::ManualClock,
    sellers::{
        access, catalog,
        webhooks::{self, EventType, NewEndpoint, WebhookError, worker::Outcome},
    },
    storage::entities::{webhook_deliveries, webhook_endpoints},
};

use crate::helpers::{Backend, TestApp, clock, spawn_app_with};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    event_id: String,
    signature: String,
    body: String,
}

#[derive(Default)]
struct ReceiverState {
    got: Vec<Got>,
    /// Tries of each event (by path and id) answered 500 before one is answered 200.
    fail_first: usize,
    tries: HashMap<(String, String), usize>,
    /// Answer every request with this status (overrides `fail_first`).
    status: Option<u16>,
    delay: Duration,
}

/// A webhook receiver on 127.0.0.1: `POST /<name>` records the request.
#[derive(Clone)]
struct Receiver {
    state: Arc<Mutex<ReceiverState>>,
    base: String,
}

impl Receiver {
    async fn start() -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let app = Router::new()
            .route("/{name}", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { state, base }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    fn got(&self) -> Vec<Got> {
        self.state.lock().unwrap().got.clone()
    }

    fn answer(&self, status: Option<u16>) {
        self.state.lock().unwrap().status = status;
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::http::StatusCode {
    let header = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let got = Got {
        path: name.clone(),
        event_id: header("Tollgate-Event-Id"),
        signature: header("Tollgate-Signature"),
        body: String::from_utf8(body.to_vec()).unwrap(),
    };
    let delay = state.lock().unwrap().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut s = state.lock().unwrap();
    let key = (name, got.event_id.clone());
    s.got.push(got);
    let tries = s.tries.entry(key).or_default();
    *tries += 1;
    let tries = *tries;
    let code = match s.status {
        Some(code) => code,
        None if tries <= s.fail_first => 500,
        None => 200,
    };
    axum::http::StatusCode::from_u16(code).unwrap()
}

/// The receiver's side of a signature, computed here from the header format alone: the
/// secrets (of those given) whose `v1` matches `"<t>.<body>"`.
fn verified_by(got: &Got, secrets: &[&str]) -> Vec<usize> {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in got.signature.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_owned()),
            Some(("v1", value)) => v1.push(value.to_owned()),
            _ => {}
        }
    }
    let t = t.expect("a timestamp in the signature");
    secrets
        .iter()
        .enumerate()
        .filter(|(_, secret)| {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(format!("{t}.{}", got.body).as_bytes());
            let want: String = mac
                .finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            v1.contains(&want)
        })
        .map(|(i, _)| i)
        .collect()
}

async fn app_with_clock(backend: Backend) -> Option<(TestApp, ManualClock)> {
    let (manual, shared) = clock();
    let app = spawn_app_with(backend, |o| {
        o.clock = shared;
        o.webhook_allow_local = true;
    })
    .await?;
    Some((app, manual))
}

/// A seller (a real person in the emulator) with one service.
struct Shop {
    seller: catalog::Seller,
    service: catalog::Service,
    plan: catalog::Plan,
}

async fn shop(app: &TestApp, name: &str, livemode: bool) -> Shop {
    let user = app.started_user(name, "en").await;
    let now = app.h.app.ctx.now();
    let db = app.db();
    let seller = catalog::register(db, now, user, name, "s@example.com")
        .await
        .unwrap();
    let chat = app.emu().create_channel(&format!("{name} VIP"));
    app.emu()
        .set_bot_rights(chat, tg_emulator::MemberStatus::Administrator);
    let kind = catalog::ChatKind::Channel;
    let catalog::Connected::New(service) =
        catalog::connect_chat(db, now, &seller, chat, kind, "VIP", livemode)
            .await
            .unwrap()
    else {
        panic!("a new service")
    };
    let plan = catalog::add_plan(
        db,
        now,
        &service,
        catalog::NewPlan {
            stars_price: Some(250),
            card: None,
            period_days: 30,
            trial_days: 0,
        },
    )
    .await
    .unwrap();
    Shop {
        seller,
        service,
        plan,
    }
}

async fn endpoint(
    app: &TestApp,
    seller: i64,
    livemode: bool,
    url: &str,
    events: Option<Vec<&str>>,
) -> (webhooks::Endpoint, String) {
    webhooks::create_endpoint(
        app.db(),
        app.h.app.ctx.now(),
        app.h.app.ctx.sealer.as_ref(),
        seller,
        livemode,
        NewEndpoint {
            url: url.into(),
            description: Some("test receiver".into()),
            events: events.map(|e| e.into_iter().map(str::to_owned).collect()),
        },
        true,
    )
    .await
    .unwrap()
}

/// Emits one event of `seller` in its own transaction.
async fn emit(app: &TestApp, seller: i64, livemode: bool, ty: EventType, n: i64) -> String {
    webhooks::emit(
        app.db(),
        app.h.app.ctx.now(),
        seller,
        livemode,
        ty,
        serde_json::json!({ "n": n }),
    )
    .await
    .unwrap()
}

/// Delivers until nothing is due or in flight (the app's own worker delivers too).
async fn settle(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ran = app.h.app.ctx.webhooks.drain().await.unwrap();
        let in_flight = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::Status.eq("pending"))
            .filter(webhook_deliveries::Column::LockedUntil.is_not_null())
            .count(app.db())
            .await
            .unwrap();
        if ran.is_empty() && in_flight == 0 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "deliveries stuck");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs `$scenario(app)` with local receivers allowed, on SQLite and on PostgreSQL when
/// `TEST_DATABASE_URL` is set.
macro_rules! with_receivers {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                let app = super::local_app(super::Backend::Sqlite).await.unwrap();
                super::$scenario(app).await
            }

            #[tokio::test]
            async fn on_postgres() {
                if let Some(app) = super::local_app(super::Backend::Postgres).await {
                    super::$scenario(app).await
                }
            }
        }
    };
}

async fn local_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |o| o.webhook_allow_local = true).await
}

async fn deliveries(app: &TestApp) -> Vec<webhook_deliveries::Model> {
    webhook_deliveries::Entity::find()
        .all(app.db())
        .await
        .unwrap()
}

async fn signed_events_reach_a_receiver_that_verifies_them(app: TestApp) {
    let rx = Receiver::start().await;
    let shop = shop(&app, "Sam", true).await;
    let (ep, secret) = endpoint(&app, shop.seller.id, true, &rx.url("sam"), None).await;
    assert!(secret.starts_with("whsec_"));
    assert_eq!(ep.status, "active");
    assert!(
        !serde_json::to_string(&ep).unwrap().contains(&secret),
        "the secret is never serialised"
    );

    // A buyer pays: the payment's event is written with it and delivered.
    let buyer = app.started_user("Bob", "en").await;
    let now = app.h.app.ctx.now();
    let order = access::create_order(app.db(), now, buyer, &shop.plan, access::PayBy::Stars)
        .await
        .unwrap()
        .unwrap();
    access::pay(
        app.db(),
        now,
        &order,
        access::ChargeRef::Telegram("charge-1"),
        10,
    )
    .await
    .unwrap();
    settle(&app).await;

    let got = rx.got();
    assert_eq!(got.len(), 1, "{got:#?}");
    let g = &got[0];
    assert_eq!(verified_by(g, &[&secret]), vec![0], "{g:?}");
    let body: serde_json::Value = serde_json::from_str(&g.body).unwrap();
    assert_eq!(body["type"], "payment.succeeded");
    assert_eq!(body["id"], g.event_id);
    assert!(g.event_id.starts_with("evt_"));
    assert_eq!(body["livemode"], true);
    assert!(body["created"].as_i64().unwrap() > 0);
    assert_eq!(body["data"]["order"], order.id);
    assert_eq!(body["data"]["user"], buyer);
    assert_eq!(body["data"]["service"], shop.service.id);
    assert_eq!(body["data"]["plan"], shop.plan.id);
    assert_eq!(body["data"]["amount"], 250);
    assert_eq!(body["data"]["fee"], 25);
    assert_eq!(body["data"]["net"], 225);
    // The field order is the documented one.
    assert!(g.body.starts_with(r#"{"id":"evt_"#), "{}", g.body);

    // The seller's log shows it delivered.
    let events = webhooks::events(app.db(), shop.seller.id, true, None, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.id, g.event_id);
    assert_eq!(events[0].deliveries[0].status, "succeeded");
    assert_eq!(events[0].deliveries[0].last_status, Some(200));
    app.stop().await;
}

with_receivers!(
    signed_delivery,
    signed_events_reach_a_receiver_that_verifies_them
);

async fn failures_back_off_on_the_clock_then_die_and_can_be_resent(
    app: TestApp,
    clock: ManualClock,
) {
    let rx = Receiver::start().await;
    rx.answer(Some(503));
    let shop = shop(&app, "Sam", true).await;
    endpoint(&app, shop.seller.id, true, &rx.url("sam"), None).await;
    emit(&app, shop.seller.id, true, EventType::AlertPosted, 1).await;

    // Tries at 0, then after 4, 12, 36 minutes, … (three times longer each time).
    let mut pause = chrono::Duration::minutes(4);
    for tries in 1..=8 {
        settle(&app).await;
        assert_eq!(rx.got().len(), tries, "try {tries}");
        let d = deliveries(&app).await.pop().unwrap();
        assert_eq!(d.attempts, tries as i32);
        assert_eq!(d.last_status, Some(503));
        if tries == 8 {
            assert_eq!(d.status, "dead");
            break;
        }
        assert_eq!(d.status, "pending");
        assert_eq!(d.next_attempt_at, app.h.app.ctx.now() + pause);
        // Not a moment before.
        clock.advance(pause - chrono::Duration::seconds(1));
        settle(&app).await;
        assert_eq!(rx.got().len(), tries);
        clock.advance(chrono::Duration::seconds(1));
        pause = pause * 3;
    }
    clock.advance(chrono::Duration::days(30));
    settle(&app).await;
    assert_eq!(rx.got().len(), 8, "a dead delivery is not tried again");

    // Resent once the receiver is fixed.
    rx.answer(None);
    let dead = deliveries(&app).await.pop().unwrap();
    let now = app.h.app.ctx.now();
    assert!(
        !webhooks::resend(app.db(), now, shop.seller.id, false, dead.id)
            .await
            .unwrap(),
        "the other mode does not find it"
    );
    assert!(
        webhooks::resend(app.db(), now, shop.seller.id, true, dead.id)
            .await
            .unwrap()
    );
    settle(&app).await;
    let d = deliveries(&app).await.pop().unwrap();
    assert_eq!(d.status, "succeeded");
    assert_eq!(rx.got().len(), 9);
    assert!(
        !webhooks::resend(app.db(), now, shop.seller.id, true, d.id)
            .await
            .unwrap(),
        "only dead deliveries are resent"
    );
    app.stop().await;
}

mod backoff {
    #[tokio::test]
    async fn on_sqlite() {
        let (app, clock) = super::app_with_clock(super::Backend::Sqlite).await.unwrap();
        super::failures_back_off_on_the_clock_then_die_and_can_be_resent(app, clock).await
    }

    #[tokio::test]
    async fn on_postgres() {
        if let Some((app, clock)) = super::app_with_clock(super::Backend::Postgres).await {
            super::failures_back_off_on_the_clock_then_die_and_can_be_resent(app, clock).await
        }
    }
}

#[tokio::test]
async fn an_endpoint_gets_its_events_in_order_and_a_crashed_claim_is_retried_after_its_lease() {
    let (app, clock) = app_with_clock(Backend::Sqlite).await.unwrap();
    let rx = Receiver::start().await;
    rx.state.lock().unwrap().fail_first = 1;
    let shop = shop(&app, "Sam", true).await;
    endpoint(&app, shop.seller.id, true, &rx.url("sam"), None).await;
    for n in 0..3 {
        emit(&app, shop.seller.id, true, EventType::MemberJoined, n).await;
    }
    // The first event fails once: the others wait behind it, even when due.
    settle(&app).await;
    assert_eq!(rx.got().len(), 1);
    clock.advance(chrono::Duration::minutes(4));
    settle(&app).await;
    let order: Vec<i64> = rx
        .got()
        .iter()
        .map(|g| {
            serde_json::from_str::<serde_json::Value>(&g.body).unwrap()["data"]["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    // 0 failed, 0 again (ok), then 1 fails and waits.
    assert_eq!(order, vec![0, 0, 1]);
    clock.advance(chrono::Duration::minutes(4));
    settle(&app).await;
    clock.advance(chrono::Duration::minutes(4));
    settle(&app).await;
    let order: Vec<i64> = rx
        .got()
        .iter()
        .map(|g| {
            serde_json::from_str::<serde_json::Value>(&g.body).unwrap()["data"]["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(order, vec![0, 0, 1, 1, 2, 2]);

    // A worker that claimed a delivery and died: the claim holds until its lease runs out.
    emit(&app, shop.seller.id, true, EventType::MemberLeft, 9).await;
    let pending = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::Status.eq("pending"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let mut row: webhook_deliveries::ActiveModel = pending.into();
    row.attempts = Set(1);
    row.locked_until = Set(Some(app.h.app.ctx.now() + chrono::Duration::seconds(60)));
    row.update(app.db()).await.unwrap();
    app.h.app.ctx.webhooks.drain().await.unwrap();
    assert_eq!(rx.got().len(), 6, "a held claim is not taken over");
    clock.advance(chrono::Duration::seconds(61));
    settle(&app).await;
    assert_eq!(
        rx.got().len(),
        7,
        "retried after the lease (and failed once)"
    );
    clock.advance(chrono::Duration::minutes(12));
    settle(&app).await;
    assert_eq!(rx.got().len(), 8);
    assert!(
        deliveries(&app)
            .await
            .iter()
            .all(|d| d.status == "succeeded")
    );
    app.stop().await;
}

async fn twenty_failures_in_a_row_disable_the_endpoint_and_tell_the_seller(
    app: TestApp,
    clock: ManualClock,
) {
    let rx = Receiver::start().await;
    rx.answer(Some(500));
    let shop = shop(&app, "Sam", true).await;
    let (ep, _) = endpoint(&app, shop.seller.id, true, &rx.url("sam"), None).await;
    for n in 0..4 {
        emit(&app, shop.seller.id, true, EventType::AlertPosted, n).await;
    }
    let mut rounds = 0;
    loop {
        settle(&app).await;
        let row = webhook_endpoints::Entity::find_by_id(ep.id)
            .one(app.db())
            .await
            .unwrap()
            .unwrap();
        if row.status == "disabled" {
            assert_eq!(row.consecutive_failures, 20);
            break;
        }
        rounds += 1;
        assert!(rounds < 40, "never disabled");
        clock.advance(chrono::Duration::days(3));
    }
    assert_eq!(rx.got().len(), 20);
    // What still waited is dead-lettered, so it can be resent once the receiver is fixed.
    let all = deliveries(&app).await;
    assert!(all.iter().all(|d| d.status == "dead"), "{all:#?}");
    app.finish_jobs().await;
    let seller_chat = shop.seller.user_id;
    let told = app
        .emu()
        .bot_messages(seller_chat)
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.contains("was turned off")))
        .count();
    assert_eq!(told, 1, "the seller is told once");

    // Nothing goes to a disabled endpoint; enabling it resumes with resent deliveries.
    clock.advance(chrono::Duration::days(3));
    emit(&app, shop.seller.id, true, EventType::AlertPosted, 99).await;
    settle(&app).await;
    assert_eq!(rx.got().len(), 20);
    rx.answer(None);
    let now = app.h.app.ctx.now();
    assert!(
        webhooks::enable_endpoint(app.db(), now, shop.seller.id, true, ep.id)
            .await
            .unwrap()
    );
    let first_dead = all.iter().map(|d| d.id).min().unwrap();
    assert!(
        webhooks::resend(app.db(), now, shop.seller.id, true, first_dead)
            .await
            .unwrap()
    );
    settle(&app).await;
    assert_eq!(rx.got().len(), 21);
    let row = webhook_endpoints::Entity::find_by_id(ep.id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status.as_str(), row.consecutive_failures),
        ("active", 0)
    );
    app.stop().await;
}

mod disabling {
    #[tokio::test]
    async fn on_sqlite() {
        let (app, clock) = super::app_with_clock(super::Backend::Sqlite).await.unwrap();
        super::twenty_failures_in_a_row_disable_the_endpoint_and_tell_the_seller(app, clock).await
    }

    #[tokio::test]
    async fn on_postgres() {
        if let Some((app, clock)) = super::app_with_clock(super::Backend::Postgres).await {
            super::twenty_failures_in_a_row_disable_the_endpoint_and_tell_the_seller(app, clock)
                .await
        }
    }
}

/// `sealed`: with `ENCRYPTION_KEY` set, so the secrets are stored sealed and opened to sign.
async fn a_rotated_secret_signs_beside_the_new_one_for_a_day(backend: Backend, sealed: bool) {
    let key = sealed.then(|| base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
    let (manual, shared) = clock();
    let Some(app) = spawn_app_with(backend, |o| {
        o.clock = shared;
        o.webhook_allow_local = true;
        o.encryption_key = key;
    })
    .await
    else {
        return;
    };
    let clock = manual;
    let sealer = app.h.app.ctx.sealer.as_ref();
    assert_eq!(sealer.is_some(), sealed);
    let rx = Receiver::start().await;
    let shop = shop(&app, "Sam", true).await;
    let (ep, old) = endpoint(&app, shop.seller.id, true, &rx.url("sam"), None).await;
    let now = app.h.app.ctx.now();
    let new = webhooks::rotate_secret(app.db(), now, sealer, shop.seller.id, true, ep.id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(new, old);
    // Stored sealed, or as they are without a key.
    let row = webhook_endpoints::Entity::find_by_id(ep.id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    // Without the key (or with another), a sealed secret signs nothing.
    assert_eq!(webhooks::signing_secrets(None, &row, now).is_err(), sealed);
    assert_eq!(
        webhooks::signing_secrets(sealer, &row, now).unwrap(),
        vec![new.clone(), old.clone()]
    );
    let stored = [row.secret, row.previous_secret.unwrap()];
    for (kept, secret) in stored.iter().zip([&new, &old]) {
        assert_eq!(kept.starts_with("v1."), sealed, "{kept}");
        assert_eq!(kept == secret, !sealed);
    }
    emit(&app, shop.seller.id, true, EventType::AlertPosted, 1).await;
    settle(&app).await;
    assert_eq!(verified_by(&rx.got()[0], &[&old, &new]), vec![0, 1]);

    clock.advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    emit(&app, shop.seller.id, true, EventType::AlertPosted, 2).await;
    settle(&app).await;
    assert_eq!(verified_by(&rx.got()[1], &[&old, &new]), vec![1]);
    assert_eq!(rx.got()[1].signature.matches("v1=").count(), 1);
    // Another seller cannot rotate it.
    let other = shop_seller_only(&app, "Eve").await;
    assert_eq!(
        webhooks::rotate_secret(app.db(), now, sealer, other, true, ep.id)
            .await
            .unwrap(),
        None
    );
    app.stop().await;
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_on_sqlite() {
    a_rotated_secret_signs_beside_the_new_one_for_a_day(Backend::Sqlite, false).await;
}

#[tokio::test]
async fn a_rotated_sealed_secret_signs_beside_the_new_one_on_postgres() {
    a_rotated_secret_signs_beside_the_new_one_for_a_day(Backend::Postgres, true).await;
}

async fn shop_seller_only(app: &TestApp, name: &str) -> i64 {
    let user = app.started_user(name, "en").await;
    catalog::register(app.db(), app.h.app.ctx.now(), user, name, "e@example.com")
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn private_and_plain_http_urls_are_refused_without_allow_local() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    let seller = shop_seller_only(&app, "Sam").await;
    for url in [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.1.1/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "not a url",
    ] {
        let result = webhooks::create_endpoint(
            app.db(),
            app.h.app.ctx.now(),
            app.h.app.ctx.sealer.as_ref(),
            seller,
            true,
            NewEndpoint {
                url: url.into(),
                ..NewEndpoint::default()
            },
            false,
        )
        .await;
        assert!(
            matches!(result, Err(WebhookError::Invalid { field: "url", .. })),
            "{url}: {result:?}"
        );
    }
    let bad_type = webhooks::create_endpoint(
        app.db(),
        app.h.app.ctx.now(),
        app.h.app.ctx.sealer.as_ref(),
        seller,
        true,
        NewEndpoint {
            url: "https://8.8.8.8/hook".into(),
            events: Some(vec!["member.teleported".into()]),
            ..NewEndpoint::default()
        },
        false,
    )
    .await;
    assert!(matches!(
        bad_type,
        Err(WebhookError::Invalid {
            field: "events",
            ..
        })
    ));
    // A public address is fine; and an endpoint stored with a private one (made while local
    // addresses were allowed) is refused at delivery.
    let (ok, _) = webhooks::create_endpoint(
        app.db(),
        app.h.app.ctx.now(),
        app.h.app.ctx.sealer.as_ref(),
        seller,
        true,
        NewEndpoint {
            url: "https://8.8.8.8/hook".into(),
            ..NewEndpoint::default()
        },
        false,
    )
    .await
    .unwrap();
    assert_eq!(ok.url, "https://8.8.8.8/hook");
    webhooks::delete_endpoint(app.db(), seller, true, ok.id)
        .await
        .unwrap();
    let rx = Receiver::start().await;
    endpoint(&app, seller, true, &rx.url("x"), None).await;
    emit(&app, seller, true, EventType::AlertPosted, 1).await;
    let outcomes = app.h.app.ctx.webhooks.deliver_due().await.unwrap();
    assert_eq!(outcomes, vec![Outcome::Retrying]);
    assert!(rx.got().is_empty());
    let d = deliveries(&app).await.pop().unwrap();
    assert!(
        d.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("refused"),
        "{d:?}"
    );
    app.stop().await;
}

async fn every_event_arrives_once_in_order_across_a_restart(app: TestApp) {
    let rx = Receiver::start().await;
    rx.state.lock().unwrap().delay = Duration::from_millis(3);
    let a = shop(&app, "Sam", true).await;
    let b = shop(&app, "Ann", true).await;
    endpoint(&app, a.seller.id, true, &rx.url("a"), None).await;
    endpoint(&app, b.seller.id, true, &rx.url("b"), None).await;
    let per_endpoint = 150;
    for n in 0..per_endpoint {
        emit(&app, a.seller.id, true, EventType::AlertPosted, n).await;
        emit(&app, b.seller.id, true, EventType::AlertPosted, n).await;
    }
    // The app's worker is delivering; stop it part of the way through.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while rx.got().len() < 40 {
        assert!(tokio::time::Instant::now() < deadline, "nothing delivered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let app = app.restart().await;
    let before = rx.got().len();
    assert!(
        before < 2 * per_endpoint as usize,
        "the restart came too late"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::Status.eq("succeeded"))
            .count(app.db())
            .await
            .unwrap();
        if done == 2 * per_endpoint as u64 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{done} delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = rx.got();
    for path in ["a", "b"] {
        let ns: Vec<i64> = got
            .iter()
            .filter(|g| g.path == path)
            .map(|g| {
                serde_json::from_str::<serde_json::Value>(&g.body).unwrap()["data"]["n"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(ns, (0..per_endpoint).collect::<Vec<_>>(), "endpoint {path}");
    }
    assert!(deliveries(&app).await.iter().all(|d| d.attempts == 1));
    app.stop().await;
}

with_receivers!(restart, every_event_arrives_once_in_order_across_a_restart);

async fn the_sellers_flows_emit_their_events(app: TestApp) {
    let rx = Receiver::start().await;
    let shop = shop(&app, "Sam", true).await;
    endpoint(&app, shop.seller.id, true, &rx.url("sam"), None).await;
    let db = app.db();
    let now = app.h.app.ctx.now();
    let buyer = app.started_user("Bob", "en").await;
    for charge in ["c-1", "c-2"] {
        let order = access::create_order(db, now, buyer, &shop.plan, access::PayBy::Stars)
            .await
            .unwrap()
            .unwrap();
        access::pay(db, now, &order, access::ChargeRef::Telegram(charge), 10)
            .await
            .unwrap();
    }
    access::joined(db, now, &shop.service, buyer, None, None)
        .await
        .unwrap();
    access::left(db, now, &shop.service, buyer).await.unwrap();
    access::revoke(db, now, &shop.service, buyer, shop.seller.user_id)
        .await
        .unwrap();
    // The removal job removes the buyer from the chat.
    app.finish_jobs().await;
    // Another buyer's access runs out and the sweeper expires it.
    let carl = app.started_user("Carl", "en").await;
    access::grant(
        db,
        now - chrono::Duration::days(3),
        &shop.service,
        carl,
        1,
        shop.seller.user_id,
    )
    .await
    .unwrap();
    tollgate::sellers::sweep::sweep(db, now).await.unwrap();
    app.finish_jobs().await;
    // Carl's removal is written by its job; the alert comes after it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let events = webhooks::events(db, shop.seller.id, true, None, 50)
            .await
            .unwrap();
        let removed = events
            .iter()
            .filter(|e| e.event.event_type == "member.removed")
            .count();
        if removed == 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Carl's removal was never recorded"
        );
        app.finish_jobs().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    catalog::alert_posted(
        db,
        now,
        &shop.service,
        shop.seller.user_id,
        "BTC buy 1 2 3",
        "🚨",
    )
    .await
    .unwrap();
    settle(&app).await;
    let types: Vec<String> = rx
        .got()
        .iter()
        .map(|g| {
            serde_json::from_str::<serde_json::Value>(&g.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        types,
        vec![
            "payment.succeeded",
            "payment.succeeded",
            "subscription.renewed",
            "member.joined",
            "member.left",
            "subscription.cancelled",
            "member.removed",
            "subscription.expired",
            "member.removed",
            "alert.posted",
        ]
    );
    app.stop().await;
}

with_receivers!(flows, the_sellers_flows_emit_their_events);

#[tokio::test]
async fn sellers_and_modes_are_kept_apart() {
    let app = spawn_app_with(Backend::Sqlite, |o| o.webhook_allow_local = true)
        .await
        .unwrap();
    let rx = Receiver::start().await;
    let a = shop(&app, "Sam", true).await;
    let b = shop_seller_only(&app, "Eve").await;
    let (live, _) = endpoint(&app, a.seller.id, true, &rx.url("live"), None).await;
    let (test, _) = endpoint(&app, a.seller.id, false, &rx.url("test"), None).await;
    let (only_joins, _) = endpoint(
        &app,
        a.seller.id,
        true,
        &rx.url("joins"),
        Some(vec!["member.joined"]),
    )
    .await;
    let db = app.db();
    let now = app.h.app.ctx.now();

    // Seller B reaches none of A's endpoints.
    assert!(webhooks::endpoints(db, b, true).await.unwrap().is_empty());
    assert_eq!(
        webhooks::endpoint(db, b, true, live.id).await.unwrap(),
        None
    );
    assert!(
        !webhooks::delete_endpoint(db, b, true, live.id)
            .await
            .unwrap()
    );
    assert_eq!(
        webhooks::rotate_secret(db, now, None, b, true, live.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        webhooks::send_test(db, now, b, true, live.id)
            .await
            .unwrap(),
        None
    );
    assert!(
        !webhooks::enable_endpoint(db, now, b, true, live.id)
            .await
            .unwrap()
    );
    // Nor does the other mode of A's own keys.
    assert_eq!(
        webhooks::endpoint(db, a.seller.id, false, live.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        webhooks::send_test(db, now, a.seller.id, false, live.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        webhooks::endpoints(db, a.seller.id, true)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        webhooks::endpoints(db, a.seller.id, false)
            .await
            .unwrap()
            .len(),
        1
    );

    // Live events go to live endpoints only, test events to test ones; subscriptions filter.
    emit(&app, a.seller.id, true, EventType::AlertPosted, 1).await;
    emit(&app, a.seller.id, false, EventType::AlertPosted, 2).await;
    emit(&app, a.seller.id, true, EventType::MemberJoined, 3).await;
    emit(&app, b, true, EventType::AlertPosted, 4).await;
    webhooks::send_test(db, now, a.seller.id, false, test.id)
        .await
        .unwrap()
        .unwrap();
    settle(&app).await;
    let seen = |path: &str| -> Vec<(String, bool, i64)> {
        rx.got()
            .iter()
            .filter(|g| g.path == path)
            .map(|g| {
                let v: serde_json::Value = serde_json::from_str(&g.body).unwrap();
                (
                    v["type"].as_str().unwrap().to_owned(),
                    v["livemode"].as_bool().unwrap(),
                    v["data"]["n"].as_i64().unwrap_or(-1),
                )
            })
            .collect()
    };
    assert_eq!(
        seen("live"),
        vec![
            ("alert.posted".into(), true, 1),
            ("member.joined".into(), true, 3)
        ]
    );
    assert_eq!(
        seen("test"),
        vec![
            ("alert.posted".into(), false, 2),
            ("webhook.test".into(), false, -1)
        ]
    );
    assert_eq!(seen("joins"), vec![("member.joined".into(), true, 3)]);

    // The event log is per seller and mode too, newest first, paged by cursor.
    let live_events = webhooks::events(db, a.seller.id, true, None, 1)
        .await
        .unwrap();
    assert_eq!(live_events.len(), 1);
    assert_eq!(live_events[0].event.event_type, "member.joined");
    assert_eq!(live_events[0].deliveries.len(), 2);
    let older = webhooks::events(db, a.seller.id, true, Some(live_events[0].cursor), 10)
        .await
        .unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].event.event_type, "alert.posted");
    assert_eq!(
        webhooks::events(db, a.seller.id, false, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        webhooks::events(db, b, true, None, 10).await.unwrap().len(),
        1
    );
    // B cannot resend A's deliveries.
    let a_delivery = older[0].deliveries[0].id;
    assert!(
        !webhooks::resend(db, now, b, true, a_delivery)
            .await
            .unwrap()
    );

    assert!(
        webhooks::delete_endpoint(db, a.seller.id, true, only_joins.id)
            .await
            .unwrap()
    );
    assert_eq!(
        webhooks::endpoints(db, a.seller.id, true)
            .await
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn the_seller_sees_endpoints_and_deliveries_and_sends_a_test_from_the_bot() {
    let app = spawn_app_with(Backend::Sqlite, |o| o.webhook_allow_local = true)
        .await
        .unwrap();
    let rx = Receiver::start().await;
    let shop = shop(&app, "Sam", true).await;
    let sam = shop.seller.user_id;
    app.say(sam, "/webhooks");
    let empty = app.next_text(sam).await;
    assert!(empty.contains("None yet"), "{empty}");
    let (_, secret) = endpoint(&app, shop.seller.id, true, &rx.url("sam"), None).await;

    app.say(sam, "/webhooks");
    let screen = app.next_message(sam).await;
    let text = screen.body().unwrap().to_owned();
    assert!(
        text.contains(&rx.url("sam")) && text.contains("active"),
        "{text}"
    );
    let test_button = screen
        .buttons
        .iter()
        .flatten()
        .find(|b| b.text.contains("Send test event"))
        .and_then(|b| b.callback_data.clone())
        .expect("a test button");
    let q = app
        .emu()
        .press_raw(sam, sam, screen.message_id, &test_button)
        .unwrap();
    app.emu()
        .wait_for_callback_answer(&q, Duration::from_secs(15))
        .await
        .unwrap();
    let queued = app.next_text(sam).await;
    assert!(queued.contains("evt_"), "{queued}");
    settle(&app).await;
    let got = rx.got();
    assert_eq!(got.len(), 1);
    assert_eq!(verified_by(&got[0], &[&secret]), vec![0]);
    assert!(got[0].body.contains("webhook.test"));

    // The log lists the delivery; a dead one gets a resend button.
    rx.answer(Some(500));
    emit(&app, shop.seller.id, true, EventType::AlertPosted, 1).await;
    settle(&app).await;
    let mut d = deliveries(&app).await.pop().unwrap();
    let mut row: webhook_deliveries::ActiveModel = d.clone().into();
    row.status = Set("dead".into());
    row.update(app.db()).await.unwrap();
    d.status = "dead".into();
    app.say(sam, "/webhooks");
    let screen = app.next_message(sam).await;
    let text = screen.body().unwrap().to_owned();
    assert!(
        text.contains("webhook.test") && text.contains("succeeded"),
        "{text}"
    );
    assert!(
        text.contains("alert.posted") && text.contains("dead"),
        "{text}"
    );
    let resend = screen
        .buttons
        .iter()
        .flatten()
        .find(|b| b.text.contains(&format!("Resend #{}", d.id)))
        .and_then(|b| b.callback_data.clone())
        .expect("a resend button");
    rx.answer(None);
    let q = app
        .emu()
        .press_raw(sam, sam, screen.message_id, &resend)
        .unwrap();
    app.emu()
        .wait_for_callback_answer(&q, Duration::from_secs(15))
        .await
        .unwrap();
    settle(&app).await;
    assert_eq!(deliveries(&app).await.pop().unwrap().status, "succeeded");
    app.stop().await;
}

/// The same through the REST API: endpoints added, tested, rotated and deleted with a key made
/// in the bot; the event log with each delivery's outcome; another seller's key and a test key
/// find none of it.
async fn the_api_manages_endpoints_and_shows_the_event_log(app: TestApp) {
    use crate::seller_api::{call, key_from_bot};
    use reqwest::{Method, StatusCode};
    use serde_json::json;

    let rx = Receiver::start().await;
    let shop = crate::sellers::shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        "/webhook-endpoints",
        Some(json!({"url": "ftp://example.com/x"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], json!("url"));
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        "/webhook-endpoints",
        Some(json!({"url": rx.url("a"), "events": ["member.joined", "member.exploded"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], json!("events"));
    let (status, created) = call(
        &app,
        Method::POST,
        k,
        "/webhook-endpoints",
        Some(json!({"url": rx.url("a"), "description": "CRM"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = created["endpoint"]["id"].as_i64().unwrap();
    let (_, list) = call(&app, Method::GET, k, "/webhook-endpoints", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(
        list.to_string().find("whsec_").is_none(),
        "the secret is shown once"
    );

    let (status, test) = call(
        &app,
        Method::POST,
        k,
        &format!("/webhook-endpoints/{id}/test"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{test}");
    let event_id = test["event_id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let got = loop {
        if let Some(g) = rx.got().into_iter().find(|g| g.event_id == event_id) {
            break g;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the test event never came"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(verified_by(&got, &[&secret]), vec![0]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, events) = call(&app, Method::GET, k, "/events?limit=10", None).await;
        let first = &events["data"][0];
        assert_eq!(first["id"], json!(event_id), "{events}");
        assert_eq!(first["type"], json!("webhook.test"));
        if first["deliveries"][0]["status"] == json!("succeeded") {
            assert_eq!(first["deliveries"][0]["last_status"], json!(200));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{events}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Rotation: the next delivery is signed with both secrets.
    let (status, rotated) = call(
        &app,
        Method::POST,
        k,
        &format!("/webhook-endpoints/{id}/rotate-secret"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert!(rotated["previous_secret_expires_at"].is_string());
    let (_, test2) = call(
        &app,
        Method::POST,
        k,
        &format!("/webhook-endpoints/{id}/test"),
        None,
    )
    .await;
    let second = test2["event_id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let got = loop {
        if let Some(g) = rx.got().into_iter().find(|g| g.event_id == second) {
            break g;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(verified_by(&got, &[&secret, &new_secret]), vec![0, 1]);

    // Another seller's key and a test key find nothing.
    let olly = crate::sellers::seller(&app, "Olly").await;
    let other = key_from_bot(&app, olly, "live", "x").await;
    let test_key = key_from_bot(&app, shop.sam, "test", "dev").await;
    for foreign in [&other, &test_key] {
        for (method, path) in [
            (Method::GET, format!("/webhook-endpoints/{id}")),
            (Method::DELETE, format!("/webhook-endpoints/{id}")),
            (
                Method::POST,
                format!("/webhook-endpoints/{id}/rotate-secret"),
            ),
            (Method::POST, format!("/webhook-endpoints/{id}/test")),
        ] {
            let (status, body) = call(&app, method.clone(), Some(foreign), &path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        }
        let (_, list) = call(&app, Method::GET, Some(foreign), "/webhook-endpoints", None).await;
        assert_eq!(list["data"], json!([]));
        let (_, events) = call(&app, Method::GET, Some(foreign), "/events", None).await;
        assert_eq!(events["data"], json!([]));
    }

    let (status, _) = call(
        &app,
        Method::DELETE,
        k,
        &format!("/webhook-endpoints/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &app,
        Method::GET,
        k,
        &format!("/webhook-endpoints/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_api_manages_endpoints_on_sqlite() {
    let app = local_app(Backend::Sqlite).await.unwrap();
    the_api_manages_endpoints_and_shows_the_event_log(app).await;
}

#[tokio::test]
async fn the_api_manages_endpoints_on_postgres() {
    if let Some(app) = local_app(Backend::Postgres).await {
        the_api_manages_endpoints_and_shows_the_event_log(app).await;
    }
}

/// A plan paid by card on the platform's account: Stripe's event admits the buyer once with
/// the platform's fee, a redelivered event changes nothing, and a refund is recorded once and
/// becomes `payment.refunded` for the seller.
async fn card_payment_for_a_plan(backend: Backend) {
    // The real clock: Stripe's signatures are checked against it.
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let shop = shop(&app, "Cara", true).await;
    let db = app.db();
    assert!(
        catalog::set_card_price(db, shop.seller.id, shop.plan.id, Some((999, "usd".into())))
            .await
            .unwrap()
    );
    // Another seller cannot price this plan.
    assert!(
        !catalog::set_card_price(db, shop.seller.id + 1000, shop.plan.id, None)
            .await
            .unwrap()
    );
    let plan = catalog::plan(db, shop.plan.id).await.unwrap().unwrap();
    let buyer = app.started_user("Bo", "en").await;
    let ctx = &app.h.app.ctx;
    assert!(tollgate::sellers::card::card_available(ctx, &shop.seller));
    let checkout =
        tollgate::sellers::card::checkout(ctx, &shop.seller, &shop.service, &plan, buyer, None)
            .await
            .unwrap();
    let tollgate::sellers::card::Checkout::Page(url) = checkout else {
        panic!("{checkout:?}");
    };
    assert!(url.contains("/pay/"), "{url}");
    let session = stripe.checkout_sessions().pop().unwrap();
    assert_eq!(session["amount_total"], 999);
    let session_id = session["id"].as_str().unwrap().to_owned();

    let paid = stripe.complete_checkout(&session_id).await.unwrap();
    assert_eq!(paid.status, 200);
    let again = stripe.redeliver(paid.event_id()).await.unwrap();
    assert_eq!(again.status, 200);

    let orders = tollgate::storage::entities::access_orders::Entity::find()
        .filter(tollgate::storage::entities::access_orders::Column::UserId.eq(buyer))
        .all(db)
        .await
        .unwrap();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(order.status, "paid");
    assert_eq!(order.method, "card");
    assert_eq!(order.paid_to.as_deref(), Some("platform"));
    assert_eq!((order.fee_minor, order.net_minor), (99, 900));
    let m = access::membership(db, shop.service.id, buyer)
        .await
        .unwrap()
        .expect("admitted");
    assert!(access::is_current(&m, ctx.now()));
    let first_end = m.ends_at;

    // Refunded in part, then in full; each event counted once.
    let pi = order.stripe_payment_intent.clone().unwrap();
    stripe.refund_payment(&pi, Some(300)).await.unwrap();
    let full = stripe.refund_payment(&pi, None).await.unwrap();
    stripe.redeliver(full.event_id()).await.unwrap();
    let order = access::order(db, order.id).await.unwrap().unwrap();
    assert_eq!(order.refunded_minor, 999);
    assert_eq!(order.status, "refunded");
    let events = webhooks::events(db, shop.seller.id, true, None, 50)
        .await
        .unwrap();
    let count = |t: &str| events.iter().filter(|e| e.event.event_type == t).count();
    assert_eq!(count("payment.succeeded"), 1);
    assert_eq!(count("payment.refunded"), 2);
    // The membership is untouched by the redelivery and the refunds.
    let m = access::membership(db, shop.service.id, buyer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.ends_at, first_end);
}

#[tokio::test]
async fn a_card_payment_for_a_plan_admits_once_and_refunds_are_events_on_sqlite() {
    card_payment_for_a_plan(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_card_payment_for_a_plan_admits_once_and_refunds_are_events_on_postgres() {
    card_payment_for_a_plan(Backend::Postgres).await;
}

/// A seller paid through Stripe Connect: an unknown account is refused when checked, a known
/// one takes destination charges with the platform's fee as `application_fee_amount`.
async fn connect_payment_for_a_plan(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let shop = shop(&app, "Cleo", true).await;
    let db = app.db();
    let ctx = &app.h.app.ctx;
    use tollgate::sellers::{card, connect, payouts};
    assert!(matches!(
        connect::fetch_status(ctx, "acct_unknown1").await,
        Err(card::CardError::Rejected(_))
    ));
    stripe.add_connected_account("acct_cleo123", true);
    let status = connect::fetch_status(ctx, "acct_cleo123").await.unwrap();
    assert!(status.charges_enabled);
    payouts::set_mode(
        db,
        ctx.now(),
        &shop.seller,
        shop.seller.user_id,
        payouts::Change::Connect {
            account: "acct_cleo123",
            status: &status,
            onboarding: false,
        },
    )
    .await
    .unwrap();
    let seller = catalog::seller(db, shop.seller.id).await.unwrap().unwrap();
    assert_eq!(payouts::mode_of(&seller), payouts::PayMode::Connect);
    catalog::set_card_price(db, seller.id, shop.plan.id, Some((2000, "eur".into())))
        .await
        .unwrap();
    let plan = catalog::plan(db, shop.plan.id).await.unwrap().unwrap();
    let buyer = app.started_user("Dan", "en").await;
    card::checkout(ctx, &seller, &shop.service, &plan, buyer, None)
        .await
        .unwrap();
    let session = stripe.checkout_sessions().pop().unwrap();
    stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    let pi = stripe.payment_intents().pop().unwrap();
    assert_eq!(pi["transfer_data"]["destination"], "acct_cleo123");
    assert_eq!(pi["application_fee_amount"], 200);
    let order = access::order_by_payment_intent(db, pi["id"].as_str().unwrap())
        .await
        .unwrap()
        .expect("the order is paid");
    assert_eq!(order.paid_to.as_deref(), Some("connect"));
    assert_eq!((order.fee_minor, order.net_minor), (200, 1800));
}

#[tokio::test]
async fn a_connect_payment_for_a_plan_on_sqlite() {
    connect_payment_for_a_plan(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_connect_payment_for_a_plan_on_postgres() {
    connect_payment_for_a_plan(Backend::Postgres).await;
}

/// A seller paid through their own Stripe account: the key is checked against Stripe in the
/// bot (a key Stripe does not know is refused), sealed with `ENCRYPTION_KEY`; the buyer pays on
/// the seller's account, and the seller's endpoint, verified with the seller's signing secret,
/// admits once however often the event arrives. A forged signature changes nothing.
async fn own_key_payment_for_a_plan(backend: Backend) {
    use tollgate::sellers::{card, payouts};
    let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [42u8; 32]);
    let Some(app) = spawn_app_with(backend, |o| o.encryption_key = Some(key)).await else {
        return;
    };
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let shop = shop(&app, "Olly", true).await;
    let db = app.db();
    let ctx = &app.h.app.ctx;
    let sam = shop.seller.user_id;
    const SELLER_KEY: &str = "sk_test_ollyOwnAccount42";
    const SELLER_SECRET: &str = "whsec_ollyEndpointSecret42";
    let endpoint = app.url(&format!("/webhooks/stripe/sellers/{}", shop.seller.id));
    stripe.add_account(SELLER_KEY, Some(&endpoint), SELLER_SECRET);

    // Through the bot: a key Stripe does not know is refused, the seller's is taken.
    app.say(sam, "/payouts");
    crate::sellers::wait_contains(&app, sam, "Card payments for your plans", 1).await;
    crate::sellers::press(&app, sam, "My own Stripe key").await;
    crate::sellers::wait_contains(&app, sam, "Send your Stripe secret key", 1).await;
    app.say(sam, "sk_test_unknownToStripe99");
    crate::sellers::wait_contains(&app, sam, "Stripe refused this key", 1).await;
    app.say(sam, SELLER_KEY);
    let ask = crate::sellers::wait_contains(&app, sam, "works", 1).await;
    assert!(ask.body().unwrap().contains(&endpoint), "{ask:?}");
    app.say(sam, SELLER_SECRET);
    crate::sellers::wait_contains(&app, sam, "your own Stripe account", 1).await;
    let seller = catalog::seller(db, shop.seller.id).await.unwrap().unwrap();
    assert_eq!(payouts::mode_of(&seller), payouts::PayMode::OwnKey);
    // Sealed at rest: neither secret is stored in the clear, and both open again.
    let sealed_key = seller.stripe_key_sealed.clone().unwrap();
    assert!(!sealed_key.contains(SELLER_KEY));
    let sealed_secret = seller.stripe_webhook_secret_sealed.clone().unwrap();
    assert!(!sealed_secret.contains(SELLER_SECRET));
    let sealer = ctx.sealer.as_ref().expect("ENCRYPTION_KEY is set");
    assert_eq!(
        payouts::own_key(sealer, &seller).unwrap().as_deref(),
        Some(SELLER_KEY)
    );

    catalog::set_card_price(db, seller.id, shop.plan.id, Some((999, "usd".into())))
        .await
        .unwrap();
    let plan = catalog::plan(db, shop.plan.id).await.unwrap().unwrap();
    assert!(card::card_available(ctx, &seller));
    let buyer = app.started_user("Bea", "en").await;
    card::checkout(ctx, &seller, &shop.service, &plan, buyer, None)
        .await
        .unwrap();
    let session = stripe.checkout_sessions().pop().unwrap();
    let paid = stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(paid.status, 200);
    let again = stripe.redeliver(paid.event_id()).await.unwrap();
    assert_eq!(again.status, 200);
    // The session is the seller's account's: both deliveries went to the seller's endpoint,
    // none to the platform's.
    let urls: Vec<String> = stripe
        .deliveries()
        .into_iter()
        .filter(|d| d.event_id == paid.event_id())
        .map(|d| d.url)
        .collect();
    assert_eq!(urls, vec![endpoint.clone(), endpoint.clone()]);

    let orders = tollgate::storage::entities::access_orders::Entity::find()
        .filter(tollgate::storage::entities::access_orders::Column::UserId.eq(buyer))
        .all(db)
        .await
        .unwrap();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(order.status, "paid");
    assert_eq!(order.paid_to.as_deref(), Some("own_key"));
    // No platform fee on a charge the platform does not hold.
    assert_eq!((order.fee_minor, order.net_minor), (0, 999));
    let m = access::membership(db, shop.service.id, buyer)
        .await
        .unwrap()
        .expect("admitted");
    assert!(access::is_current(&m, ctx.now()));
    let count_paid = || async {
        webhooks::events(db, seller.id, true, None, 50)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.event.event_type == "payment.succeeded")
            .count()
    };
    assert_eq!(count_paid().await, 1);

    // A second buyer's checkout, "completed" by a forger: signed with the platform's secret,
    // with a made-up one, or not at all. Each is refused and the order stays unpaid.
    let other = app.started_user("Max", "en").await;
    card::checkout(ctx, &seller, &shop.service, &plan, other, None)
        .await
        .unwrap();
    let mut forged = paid.event.clone();
    forged["id"] = "evt_forged_1".into();
    let forged_session = stripe.checkout_sessions().pop().unwrap();
    forged["data"]["object"]["id"] = forged_session["id"].clone();
    forged["data"]["object"]["metadata"] = forged_session["metadata"].clone();
    forged["data"]["object"]["payment_intent"] = "pi_forged_1".into();
    let body = serde_json::to_string(&forged).unwrap();
    let now = chrono::Utc::now().timestamp();
    for signature in [
        Some(stripe_double::StripeDouble::signature_header(
            stripe.webhook_secret(),
            &body,
            now,
        )),
        Some(stripe_double::StripeDouble::signature_header(
            "whsec_madeUpByAForger",
            &body,
            now,
        )),
        None,
    ] {
        let mut req = app
            .http
            .post(&endpoint)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(signature) = &signature {
            req = req.header("stripe-signature", signature);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 400, "{signature:?}");
    }
    let other_order = tollgate::storage::entities::access_orders::Entity::find()
        .filter(tollgate::storage::entities::access_orders::Column::UserId.eq(other))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other_order.status, "pending");
    assert!(
        access::membership(db, shop.service.id, other)
            .await
            .unwrap()
            .is_none_or(|m| !access::is_current(&m, ctx.now()))
    );
    assert_eq!(count_paid().await, 1);
    let m_after = access::membership(db, shop.service.id, buyer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m_after.ends_at, m.ends_at);
}

#[tokio::test]
async fn an_own_key_payment_for_a_plan_admits_once_and_refuses_forgeries_on_sqlite() {
    own_key_payment_for_a_plan(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_own_key_payment_for_a_plan_admits_once_and_refuses_forgeries_on_postgres() {
    own_key_payment_for_a_plan(Backend::Postgres).await;
}
