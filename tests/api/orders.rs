//! Orders and packing notices: orders posted once, moved through their statuses with one
//! message to the customer per change (in their language, the seller's text or the default),
//! `/stop` honoured, bad input refused with nothing changed, templates edited over the API and
//! in the bot, and Shopify / WooCommerce receivers that take only correctly signed orders.
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use sha2::Sha256;
use tollgate::storage::entities::{
    commerce_endpoints, contacts, seller_order_events, seller_orders,
};

use crate::{
    helpers::{Backend, TestApp, spawn_app_with},
    seller_api::{call, key_from_bot},
    sellers::{press, seller, wait_contains},
};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("")
}

async fn order_rows(app: &TestApp) -> (u64, u64) {
    (
        seller_orders::Entity::find().count(app.db()).await.unwrap(),
        seller_order_events::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
    )
}

async fn status(app: &TestApp, k: Option<&str>, id: &str, body: Value) -> (StatusCode, Value) {
    call(
        app,
        Method::POST,
        k,
        &format!("/orders/{id}/status"),
        Some(body),
    )
    .await
}

/// Waits until the order jobs ran, then how many bot messages `chat` has.
async fn messages_after_jobs(app: &TestApp, chat: i64) -> usize {
    app.finish_jobs().await;
    app.settle().await;
    app.bot_message_count(chat)
}

async fn orders_move_and_customers_hear_of_it(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let sam = seller(&app, "Sam").await;
    let key = key_from_bot(&app, sam, "live", "shop").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;

    let new = json!({"platform": "my-shop", "external_id": "A-1", "reference": "#1001",
        "items": [{"name": "Mug", "quantity": 2}, {"name": "Tea", "quantity": 1}],
        "customer": {"telegram_user_id": bob}});
    let (st, order) = call(&app, Method::POST, k, "/orders", Some(new)).await;
    assert_eq!(st, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], json!("new"));
    assert!(order["contact_id"].as_str().unwrap().starts_with("ct_"));
    let id = order["id"].as_str().unwrap().to_owned();
    // The same order again, even with another body: the same order, unchanged.
    let (st, again) = call(
        &app,
        Method::POST,
        k,
        "/orders",
        Some(json!({"platform": "my-shop", "external_id": "A-1",
            "items": [{"name": "Spoon", "quantity": 9}], "customer": {"telegram_user_id": bob}})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{again}");
    assert_eq!(again["id"], json!(id));
    assert_eq!(again["items"][0]["name"], json!("Mug"), "{again}");
    assert_eq!(order_rows(&app).await, (1, 0));
    let before = app.bot_message_count(bob);

    let (st, moved) = status(&app, k, &id, json!({"status": "confirmed"})).await;
    assert_eq!(st, StatusCode::OK, "{moved}");
    assert_eq!(moved["result"], json!("changed"));
    let msg = wait_contains(&app, bob, "your order #1001 is confirmed", 1).await;
    assert!(
        msg.body().unwrap().starts_with("✅ Sam Signals:"),
        "{msg:?}"
    );
    let labels: Vec<&str> = msg
        .buttons
        .iter()
        .flatten()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(labels, vec!["🔕 Stop messages from Sam Signals"]);
    // A retried update: nothing changes, nothing more is sent.
    let (st, repeated) = status(&app, k, &id, json!({"status": "confirmed"})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(repeated["result"], json!("repeated"));
    assert_eq!(messages_after_jobs(&app, bob).await, before + 1);

    // The same change twice at once: one change, one message.
    let packing = json!({"status": "packing"});
    let (a, b) = tokio::join!(
        status(&app, k, &id, packing.clone()),
        status(&app, k, &id, packing.clone())
    );
    assert_eq!(
        (a.0, b.0),
        (StatusCode::OK, StatusCode::OK),
        "{} {}",
        a.1,
        b.1
    );
    let mut results = [a.1["result"].clone(), b.1["result"].clone()];
    results.sort_by_key(|r| r.to_string());
    assert_eq!(results, [json!("changed"), json!("repeated")]);
    wait_contains(&app, bob, "we are packing your order #1001", 1).await;
    assert_eq!(messages_after_jobs(&app, bob).await, before + 2);
    let (st, packed) = status(
        &app,
        k,
        &id,
        json!({"status": "item_packed", "item": "Mug"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{packed}");
    assert_eq!(packed["order"]["items"][0]["packed"], json!(true));
    wait_contains(&app, bob, "Mug from your order #1001 is packed", 1).await;
    let (st, unknown) = status(
        &app,
        k,
        &id,
        json!({"status": "item_packed", "item": "Spoon"}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    assert_eq!((code(&unknown), field(&unknown)), ("unknown_item", "item"));
    let (st, no_carrier) = status(
        &app,
        k,
        &id,
        json!({"status": "shipped", "tracking_number": "1Z"}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{no_carrier}");
    assert_eq!(field(&no_carrier), "carrier");
    let (st, shipped) = status(
        &app,
        k,
        &id,
        json!({"status": "shipped", "carrier": "UPS", "tracking_number": "1Z999",
            "tracking_url": "https://ups.example/1Z999"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{shipped}");
    assert_eq!(shipped["order"]["tracking_number"], json!("1Z999"));
    let msg = wait_contains(&app, bob, "is on its way with UPS", 1).await;
    assert!(msg.body().unwrap().contains("Tracking number: 1Z999"));
    let track = msg.buttons.iter().flatten().find(|b| b.url.is_some());
    assert_eq!(
        track.and_then(|b| b.url.as_deref()),
        Some("https://ups.example/1Z999")
    );
    status(&app, k, &id, json!({"status": "delivered"})).await;
    wait_contains(&app, bob, "has been delivered", 1).await;

    // delivered → packing: refused, named, nothing changed and nothing sent.
    let count = messages_after_jobs(&app, bob).await;
    let (st, refused) = status(&app, k, &id, json!({"status": "packing"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(code(&refused), "invalid_transition");
    assert_eq!(field(&refused), "status");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("delivered") && message.contains("packing"),
        "{message}"
    );
    let (_, got) = call(&app, Method::GET, k, &format!("/orders/{id}"), None).await;
    assert_eq!(got["status"], json!("delivered"), "{got}");
    let history: Vec<&str> = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        vec![
            "confirmed",
            "packing",
            "item_packed",
            "shipped",
            "delivered"
        ]
    );
    assert!(
        got["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["message"] == json!("sent")),
        "{got}"
    );
    assert_eq!(messages_after_jobs(&app, bob).await, count);
    let (_, usage) = call(&app, Method::GET, k, "/usage?days=1", None).await;
    assert_eq!(usage["data"][0]["messages_sent"], json!(5), "{usage}");
    // A run of the message job that died between its send and its record leaves the event
    // `sending`: the next run records `uncertain` and sends nothing again.
    let delivered = seller_order_events::Entity::find()
        .filter(seller_order_events::Column::Status.eq("delivered"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    seller_order_events::Entity::update_many()
        .col_expr(seller_order_events::Column::Outcome, Expr::value("sending"))
        .filter(seller_order_events::Column::Id.eq(delivered.id))
        .exec(app.db())
        .await
        .unwrap();
    let mut job = tollgate::jobs::NewJob::now(
        tollgate::messaging::orders::MESSAGE_JOB,
        json!({ "event": delivered.id }),
        chrono::Utc::now(),
    );
    job.dedupe_key = Some("order_msg:rerun".into());
    tollgate::jobs::enqueue(app.db(), chrono::Utc::now(), job)
        .await
        .unwrap();
    assert_eq!(messages_after_jobs(&app, bob).await, count);
    let (_, got) = call(&app, Method::GET, k, &format!("/orders/{id}"), None).await;
    assert_eq!(got["history"][4]["message"], json!("uncertain"), "{got}");

    // Bad customers: a 422 with a clear code, and nothing recorded.
    let contacts_before = contacts::Entity::find().count(app.db()).await.unwrap();
    let orders_before = order_rows(&app).await;
    let (st, unknown) = call(
        &app,
        Method::POST,
        k,
        "/orders",
        Some(json!({"platform": "my-shop", "external_id": "A-2",
            "items": [{"name": "Mug", "quantity": 1}], "customer": {"contact_id": "ct_999999"}})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    assert_eq!(
        (code(&unknown), field(&unknown)),
        ("unknown_contact", "customer.contact_id")
    );
    let stranger = app.user("Stranger", "en");
    let (st, needs) = call(
        &app,
        Method::POST,
        k,
        "/orders",
        Some(json!({"platform": "my-shop", "external_id": "A-3",
            "items": [{"name": "Mug", "quantity": 1}],
            "customer": {"telegram_user_id": stranger}})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{needs}");
    assert_eq!(code(&needs), "needs_start");
    assert!(
        needs["error"]["message"]
            .as_str()
            .unwrap()
            .contains("https://t.me/"),
        "{needs}"
    );
    let (st, empty) = call(
        &app,
        Method::POST,
        k,
        "/orders",
        Some(
            json!({"platform": "my-shop", "external_id": "A-4", "items": [],
            "customer": {"telegram_user_id": bob}}),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{empty}");
    assert_eq!(field(&empty), "items");
    assert_eq!(order_rows(&app).await, orders_before);
    assert_eq!(
        contacts::Entity::find().count(app.db()).await.unwrap(),
        contacts_before
    );

    // Templates: refused when too long or with an unknown placeholder; the customer's
    // language picks the text.
    let path = "/order-templates/shipped/ru";
    for bad in ["x".repeat(1001), "Заказ {name}".to_owned()] {
        let (st, refused) = call(&app, Method::PUT, k, path, Some(json!({"text": bad}))).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(field(&refused), "text");
    }
    let (_, unchanged) = call(&app, Method::GET, k, path, None).await;
    assert_eq!(unchanged["custom"], json!(false), "{unchanged}");
    let (st, set) = call(
        &app,
        Method::PUT,
        k,
        path,
        Some(json!({"text": "Заказ {order} едет: {carrier} {tracking}"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{set}");
    assert_eq!(set["custom"], json!(true));
    let ivan = app.started_user("Ivan", "ru").await;
    let (_, o) = call(
        &app,
        Method::POST,
        k,
        "/orders",
        Some(json!({"platform": "my-shop", "external_id": "R-1",
            "items": [{"name": "Чай", "quantity": 1}], "customer": {"telegram_user_id": ivan}})),
    )
    .await;
    let rid = o["id"].as_str().unwrap().to_owned();
    status(
        &app,
        k,
        &rid,
        json!({"status": "shipped", "carrier": "СДЭК", "tracking_number": "77"}),
    )
    .await;
    let msg = wait_contains(&app, ivan, "Заказ R-1 едет", 1).await;
    assert_eq!(msg.body(), Some("Заказ R-1 едет: СДЭК 77"));
    // Bob (English) still gets the default English text.
    let (_, en) = call(&app, Method::GET, k, "/order-templates/shipped/en", None).await;
    assert_eq!(en["custom"], json!(false), "{en}");
    let (st, reset) = call(&app, Method::DELETE, k, path, None).await;
    assert_eq!(st, StatusCode::OK, "{reset}");
    assert_eq!(reset["custom"], json!(false));

    // Lists narrow by status, platform and customer; a bad filter is a 422 naming it.
    let ids = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["external_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let bob_contact = order["contact_id"].as_str().unwrap();
    for (query, want) in [
        ("", vec!["A-1", "R-1"]),
        ("?platform=my-shop", vec!["A-1", "R-1"]),
        ("?platform=shopify", vec![]),
        (&format!("?telegram_user_id={ivan}"), vec!["R-1"]),
        (&format!("?contact_id={bob_contact}"), vec!["A-1"]),
        (
            &format!("?status=shipped&telegram_user_id={ivan}"),
            vec!["R-1"],
        ),
        (&format!("?status=new&telegram_user_id={ivan}"), vec![]),
    ] {
        let (st, list) = call(&app, Method::GET, k, &format!("/orders{query}"), None).await;
        assert_eq!(st, StatusCode::OK, "{query}: {list}");
        assert_eq!(ids(&list), want, "{query}");
    }
    for (query, bad) in [
        ("?status=lost", "status"),
        ("?contact_id=42", "contact_id"),
        ("?platform=", "platform"),
    ] {
        let (st, refused) = call(&app, Method::GET, k, &format!("/orders{query}"), None).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {refused}");
        assert_eq!(field(&refused), bad, "{query}");
    }
    app.stop().await;
}

#[tokio::test]
async fn orders_on_sqlite() {
    orders_move_and_customers_hear_of_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn orders_on_postgres() {
    orders_move_and_customers_hear_of_it(Backend::Postgres).await;
}

async fn stopped_customers_get_no_order_messages(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let sam = seller(&app, "Sam").await;
    let key = key_from_bot(&app, sam, "live", "shop").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;
    let (_, order) = call(
        &app,
        Method::POST,
        k,
        "/orders",
        Some(json!({"platform": "api", "external_id": "S-1",
            "items": [{"name": "Mug", "quantity": 1}], "customer": {"telegram_user_id": bob}})),
    )
    .await;
    let id = order["id"].as_str().unwrap().to_owned();
    status(&app, k, &id, json!({"status": "confirmed"})).await;
    wait_contains(&app, bob, "is confirmed", 1).await;
    // Bob stops Sam from the order message itself.
    press(&app, bob, "Stop messages from Sam Signals").await;
    wait_contains(&app, bob, "Sam Signals can no longer message you", 1).await;
    let count = messages_after_jobs(&app, bob).await;
    let (st, moved) = status(&app, k, &id, json!({"status": "packing"})).await;
    assert_eq!(st, StatusCode::OK, "{moved}");
    assert_eq!(moved["order"]["status"], json!("packing"));
    assert_eq!(messages_after_jobs(&app, bob).await, count);
    let (_, got) = call(&app, Method::GET, k, &format!("/orders/{id}"), None).await;
    assert_eq!(got["history"][1]["message"], json!("stopped"), "{got}");
    let (_, usage) = call(&app, Method::GET, k, "/usage?days=1", None).await;
    assert_eq!(usage["data"][0]["messages_sent"], json!(1), "{usage}");
    // Resumed: the next change reaches him again.
    app.say(bob, "/stop");
    wait_contains(&app, bob, "Sam Signals: stopped", 1).await;
    press(&app, bob, "Resume messages from Sam Signals").await;
    wait_contains(&app, bob, "Sam Signals can message you again", 1).await;
    status(&app, k, &id, json!({"status": "cancelled"})).await;
    wait_contains(&app, bob, "has been cancelled", 1).await;
    app.stop().await;
}

#[tokio::test]
async fn stop_on_sqlite() {
    stopped_customers_get_no_order_messages(Backend::Sqlite).await;
}

#[tokio::test]
async fn stop_on_postgres() {
    stopped_customers_get_no_order_messages(Backend::Postgres).await;
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn deliver(
    app: &TestApp,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (StatusCode, Value) {
    let path = &url[url.find("/commerce/").expect("a receiver's URL")..];
    let mut req = app.http.post(app.url(path)).body(body.to_vec());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `sealed`: with `ENCRYPTION_KEY` set, so receivers' secrets are stored sealed.
async fn shops_deliver_signed_orders(backend: Backend, sealed: bool) {
    let key = sealed.then(|| base64::engine::general_purpose::STANDARD.encode([9u8; 32]));
    let Some(app) = spawn_app_with(backend, |o| o.encryption_key = key).await else {
        return;
    };
    let sam = seller(&app, "Sam").await;
    let key = key_from_bot(&app, sam, "live", "shop").await;
    let k = Some(key.as_str());
    let bob = app.started_user("Bob", "en").await;

    let (st, first) = call(
        &app,
        Method::POST,
        k,
        "/commerce-endpoints",
        Some(json!({"platform": "shopify"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    let (st, shopify) = call(
        &app,
        Method::POST,
        k,
        "/commerce-endpoints",
        Some(json!({"platform": "shopify", "secret": "shpss_0123456789abcdef"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{shopify}");
    let url = shopify["url"].as_str().unwrap().to_owned();
    assert_ne!(url, first["url"].as_str().unwrap());
    let secret = shopify["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret, "shpss_0123456789abcdef");
    let (_, listed) = call(&app, Method::GET, k, "/commerce-endpoints", None).await;
    assert!(listed["data"][0].get("secret").is_none(), "{listed}");
    // At rest: sealed when a key is configured, never in the clear then.
    let stored = commerce_endpoints::Entity::find()
        .filter(commerce_endpoints::Column::Platform.eq("shopify"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap()
        .secret;
    if sealed {
        assert!(stored.starts_with("v1."), "{stored}");
        assert!(!stored.contains(&secret), "{stored}");
    } else {
        assert_eq!(stored, secret);
    }

    let order = json!({"id": 820982911946154508_i64, "name": "#1001",
        "line_items": [{"title": "Mug", "quantity": 2}],
        "fulfillments": [],
        "note_attributes": [{"name": "telegram_id", "value": bob.to_string()}]});
    let body = serde_json::to_vec(&order).unwrap();
    let topic = |t: &str| ("X-Shopify-Topic", t.to_owned());
    // Forged, missing, or signed with the rotated-out secret: 401, nothing stored.
    let forged = [
        vec![
            topic("orders/create"),
            ("X-Shopify-Hmac-Sha256", sign("not-the-secret", &body)),
        ],
        vec![topic("orders/create")],
        vec![
            topic("orders/create"),
            (
                "X-Shopify-Hmac-Sha256",
                sign(first["secret"].as_str().unwrap(), &body),
            ),
        ],
    ];
    for headers in &forged {
        let (st, answer) = deliver(&app, &url, headers, &body).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(code(&answer), "bad_signature");
    }
    // The signature covers the exact bytes: the same JSON spaced differently is refused.
    let respaced = serde_json::to_vec_pretty(&order).unwrap();
    let headers = [
        topic("orders/create"),
        ("X-Shopify-Hmac-Sha256", sign(&secret, &body)),
    ];
    let (st, _) = deliver(&app, &url, &headers, &respaced).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // The old URL is gone.
    let (st, _) = deliver(&app, first["url"].as_str().unwrap(), &headers, &body).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(order_rows(&app).await, (0, 0));

    // Signed: the order is recorded and confirmed; delivered again, it is the same order.
    for nth in 0..2 {
        let (st, answer) = deliver(&app, &url, &headers, &body).await;
        assert_eq!(st, StatusCode::OK, "{answer}");
        let want = if nth == 0 { "created" } else { "unchanged" };
        assert_eq!(answer["result"], json!(want), "{answer}");
    }
    wait_contains(&app, bob, "your order #1001 is confirmed", 1).await;
    assert_eq!(order_rows(&app).await, (1, 1));
    let mut fulfilled = order.clone();
    fulfilled["fulfillments"] = json!([{"tracking_company": "DHL", "tracking_number": "JD01",
        "tracking_url": "https://dhl.example/JD01"}]);
    let body = serde_json::to_vec(&fulfilled).unwrap();
    let (st, answer) = deliver(
        &app,
        &url,
        &[
            topic("orders/fulfilled"),
            ("X-Shopify-Hmac-Sha256", sign(&secret, &body)),
        ],
        &body,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    assert_eq!(answer["changes"], json!(["shipped"]), "{answer}");
    wait_contains(&app, bob, "is on its way with DHL", 1).await;
    // An order without the customer's Telegram id: answered, nothing stored.
    let body =
        serde_json::to_vec(&json!({"id": 5, "line_items": [{"title": "Tea", "quantity": 1}]}))
            .unwrap();
    let (st, answer) = deliver(
        &app,
        &url,
        &[
            topic("orders/create"),
            ("X-Shopify-Hmac-Sha256", sign(&secret, &body)),
        ],
        &body,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"], json!("ignored"));
    assert_eq!(order_rows(&app).await, (1, 2));

    // WooCommerce, made in the bot.
    app.say(sam, "/shops woocommerce");
    let shown = wait_contains(&app, sam, "WooCommerce (live) can send you orders now", 1).await;
    let text = shown.body().unwrap().to_owned();
    let url = text
        .split_whitespace()
        .find(|w| w.contains("/commerce/woocommerce/"))
        .unwrap()
        .to_owned();
    let secret = text
        .split_whitespace()
        .find(|w| w.starts_with("tgcs_"))
        .unwrap()
        .to_owned();
    let woo = json!({"id": 727, "number": "727", "status": "processing",
        "line_items": [{"name": "Tea", "quantity": 1}],
        "meta_data": [{"id": 1, "key": "telegram_id", "value": bob}]});
    let body = serde_json::to_vec(&woo).unwrap();
    let topic = ("X-WC-Webhook-Topic", "order.updated".to_owned());
    let (st, answer) = deliver(
        &app,
        &url,
        &[
            topic.clone(),
            ("X-WC-Webhook-Signature", sign("forged-secret-1234", &body)),
        ],
        &body,
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{answer}");
    assert_eq!(order_rows(&app).await, (1, 2));
    // WooCommerce's unsigned ping when the webhook is saved: answered, nothing stored.
    let (st, _) = deliver(&app, &url, &[], b"webhook_id=12").await;
    assert_eq!(st, StatusCode::OK);
    let (st, answer) = deliver(
        &app,
        &url,
        &[
            topic.clone(),
            ("X-WC-Webhook-Signature", sign(&secret, &body)),
        ],
        &body,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"], json!("created"), "{answer}");
    wait_contains(&app, bob, "your order #727 is confirmed", 1).await;
    // Cancelled in the shop: cancelled here, through the same rules.
    let mut cancelled = woo.clone();
    cancelled["status"] = json!("cancelled");
    let body = serde_json::to_vec(&cancelled).unwrap();
    let (st, answer) = deliver(
        &app,
        &url,
        &[topic, ("X-WC-Webhook-Signature", sign(&secret, &body))],
        &body,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], json!("cancelled"), "{answer}");
    wait_contains(&app, bob, "your order #727 has been cancelled", 1).await;
    // Unknown receivers: 404.
    let (st, _) = deliver(
        &app,
        "/commerce/shopify/00000000000000000000000000000000",
        &[],
        b"{}",
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn shops_on_sqlite() {
    shops_deliver_signed_orders(Backend::Sqlite, false).await;
}

#[tokio::test]
async fn shops_on_postgres() {
    shops_deliver_signed_orders(Backend::Postgres, true).await;
}

/// `/templates` in the bot: shown, changed, refused with the reason and nothing changed.
#[tokio::test]
async fn templates_are_edited_in_the_bot() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |_| {}).await else {
        return;
    };
    let sam = seller(&app, "Sam").await;
    let key = key_from_bot(&app, sam, "live", "shop").await;
    let k = Some(key.as_str());
    app.say(sam, "/templates");
    wait_contains(&app, sam, "Order messages (live)", 1).await;
    app.say(sam, "/templates shipped en Parcel {order}: {nope}");
    wait_contains(&app, sam, "{nope} is not a placeholder", 1).await;
    app.say(sam, &format!("/templates shipped en {}", "x".repeat(1001)));
    wait_contains(&app, sam, "The text has 1001 characters", 1).await;
    let (_, tpl) = call(&app, Method::GET, k, "/order-templates/shipped/en", None).await;
    assert_eq!(tpl["custom"], json!(false), "{tpl}");
    app.say(
        sam,
        "/templates shipped en Parcel {order}\nis with {carrier}",
    );
    wait_contains(&app, sam, "Saved", 1).await;
    let (_, tpl) = call(&app, Method::GET, k, "/order-templates/shipped/en", None).await;
    assert_eq!(
        tpl["text"],
        json!("Parcel {order}\nis with {carrier}"),
        "{tpl}"
    );
    // The test mode's texts are their own.
    let test_key = key_from_bot(&app, sam, "test", "dev").await;
    let (_, other) = call(
        &app,
        Method::GET,
        Some(&test_key),
        "/order-templates/shipped/en",
        None,
    )
    .await;
    assert_eq!(other["custom"], json!(false), "{other}");
    app.say(sam, "/templates shipped en reset");
    wait_contains(&app, sam, "Back to the default", 1).await;
    let (_, tpl) = call(&app, Method::GET, k, "/order-templates/shipped/en", None).await;
    assert_eq!(tpl["custom"], json!(false), "{tpl}");
    app.stop().await;
}
