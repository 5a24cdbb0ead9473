//! The sellers' REST API over loopback: keys made and revoked in the bot, services, plans,
//! grants, members, payments, stats and alerts; idempotent POSTs; hourly limits (in the
//! process and in Redis); bad input named by field; the spec and the router in step; and one
//! seller's key (or a test key) on another's (or live) ids finding nothing at all.
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use tollgate::{
    sellers::{api_keys, catalog},
    storage::entities::{api_keys as api_keys_table, seller_plans},
};

use crate::{
    helpers::{Backend, TestApp, redis_url, spawn_app_with},
    on_both_databases,
    sellers::{Shop, buy, channel, full_rights, press, seller, shop, url_of, wait_contains},
};

/// `sam`'s new key, made in the bot with `/apikey <mode> <name>`: the secret it showed once.
pub(crate) async fn key_from_bot(app: &TestApp, sam: i64, mode: &str, name: &str) -> String {
    app.say(sam, &format!("/apikey {mode} {name}"));
    let shown = wait_contains(app, sam, &format!("\"{name}\""), 1).await;
    let body = shown.body().unwrap();
    let start = body
        .find(&format!("tg_{mode}_"))
        .expect("the secret is shown");
    body[start..start + 48].to_owned()
}

pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    key: Option<&str>,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, _, body) = call_full(app, method, key, path, body, None).await;
    (status, body)
}

async fn call_full(
    app: &TestApp,
    method: Method,
    key: Option<&str>,
    path: &str,
    body: Option<Value>,
    idempotency: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = app.http.request(method, app.url(&format!("/api/v1{path}")));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    if let Some(k) = idempotency {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("")
}

/// A channel of `sam`'s where the bot is an administrator with every right it needs.
fn api_channel(app: &TestApp, sam: i64, title: &str) -> i64 {
    let chat = channel(app, sam, title);
    app.emu().set_bot_admin_rights(chat, full_rights());
    chat
}

async fn keys_made_in_the_bot_open_the_api_until_revoked(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    // Someone who is no seller has no keys to make.
    let eve = app.started_user("Eve", "en").await;
    app.say(eve, "/apikey live mine");
    wait_contains(&app, eve, "not a seller", 1).await;

    let live = key_from_bot(&app, sam, "live", "website").await;
    assert!(live.starts_with("tg_live_"));
    // Only the hash is kept, with a visible prefix.
    let stored = api_keys_table::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].key_hash, live);
    assert_eq!(stored[0].key_hash, api_keys::sha256_hex(live.as_bytes()));
    assert!(live.starts_with(&stored[0].prefix));

    let (status, body) = call(&app, Method::GET, Some(&live), "/services", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["data"][0]["chat_id"], json!(shop.chat));
    assert_eq!(body["data"][0]["livemode"], json!(true));
    assert!(
        body["data"][0]["deep_link"]
            .as_str()
            .unwrap()
            .contains(&shop.code)
    );
    let used = api_keys_table::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(used.last_used_at.is_some());

    // Missing, malformed, unknown: one answer, no hint which.
    let unknown = format!("tg_live_{}", "0".repeat(40));
    let mut messages = Vec::new();
    for key in [None, Some("nonsense"), Some(unknown.as_str())] {
        let (status, body) = call(&app, Method::GET, key, "/services", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(code(&body), "unauthorized");
        messages.push(body["error"]["message"].clone());
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]));

    // The list in the bot, then a test key through the button and the name step.
    app.say(sam, "/apikey");
    wait_contains(&app, sam, "Your API keys", 1).await;
    press(&app, sam, "Test key").await;
    wait_contains(&app, sam, "Name the key", 1).await;
    app.say(sam, "staging 30");
    let shown = wait_contains(&app, sam, "\"staging\"", 1).await;
    let body = shown.body().unwrap();
    let start = body.find("tg_test_").unwrap();
    let test = body[start..start + 48].to_owned();
    // A test key sees no live data.
    let (status, body) = call(&app, Method::GET, Some(&test), "/services", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!([]));

    // Revoked: refused like an unknown key.
    let prefix = stored[0].prefix.clone();
    app.say(sam, &format!("/apikey revoke {prefix}"));
    wait_contains(&app, sam, "is revoked", 1).await;
    let (status, _) = call(&app, Method::GET, Some(&live), "/services", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Expired: refused too.
    api_keys_table::Entity::update_many()
        .col_expr(
            api_keys_table::Column::ExpiresAt,
            Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .filter(api_keys_table::Column::Mode.eq("test"))
        .exec(app.db())
        .await
        .unwrap();
    let (status, _) = call(&app, Method::GET, Some(&test), "/services", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
on_both_databases!(
    keys_from_the_bot,
    keys_made_in_the_bot_open_the_api_until_revoked
);

async fn services_plans_grants_members_payments_and_alerts(app: TestApp) {
    let shop: Shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    let key = key_from_bot(&app, sam, "live", "crm").await;
    let k = Some(key.as_str());

    // A chat where the bot lacks the ban right: named, nothing made.
    let chat = channel(&app, sam, "Sam Academy");
    app.emu().set_bot_admin_rights(
        chat,
        tg_emulator::AdminRights {
            can_restrict_members: false,
            ..full_rights()
        },
    );
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        "/services",
        Some(json!({"chat_id": chat})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field(&body), "chat_id");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ban users"),
        "{body}"
    );
    // A chat where the bot is not at all.
    let stranger_chat = channel(&app, sam, "Elsewhere");
    app.emu()
        .set_bot_rights(stranger_chat, tg_emulator::MemberStatus::Member);
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        "/services",
        Some(json!({"chat_id": stranger_chat})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not an administrator")
    );

    app.emu().set_bot_admin_rights(chat, full_rights());
    let (status, service) = call(
        &app,
        Method::POST,
        k,
        "/services",
        Some(json!({"chat_id": chat, "admission": "link", "grace_days": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{service}");
    assert_eq!(service["title"], json!("Sam Academy"));
    assert_eq!(service["grace_days"], json!(2));
    let sid = service["id"].as_i64().unwrap();
    // Connecting it again answers the same service.
    let (status, again) = call(
        &app,
        Method::POST,
        k,
        "/services",
        Some(json!({"chat_id": chat})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], json!(sid));
    // The chat connected in the bot is the same service.
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        "/services",
        Some(json!({"chat_id": shop.chat})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A chat sam does not administer; then one that is another seller's service.
    let olly = seller(&app, "Olly").await;
    let olly_key = key_from_bot(&app, olly, "live", "olly").await;
    let olly_chat = api_channel(&app, olly, "Olly Club");
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        "/services",
        Some(json!({"chat_id": olly_chat})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("seller is not an administrator")
    );
    let (status, _) = call(
        &app,
        Method::POST,
        Some(&olly_key),
        "/services",
        Some(json!({"chat_id": olly_chat})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    app.emu()
        .add_member(olly_chat, sam, tg_emulator::MemberStatus::Administrator);
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        "/services",
        Some(json!({"chat_id": olly_chat})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "chat_taken");

    // Plans.
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        &format!("/services/{sid}/plans"),
        Some(json!({"stars_price": 0, "period_days": 30})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&body), "stars_price");
    let (status, plan) = call(
        &app,
        Method::POST,
        k,
        &format!("/services/{sid}/plans"),
        Some(json!({"stars_price": 100, "period_days": 14, "trial_days": 3})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let pid = plan["id"].as_i64().unwrap();
    let (status, body) = call(
        &app,
        Method::PATCH,
        k,
        &format!("/plans/{pid}"),
        Some(json!({"status": "paused"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], json!("paused"));
    let (_, plans) = call(
        &app,
        Method::GET,
        k,
        &format!("/services/{sid}/plans"),
        None,
    )
    .await;
    assert_eq!(plans["data"].as_array().unwrap().len(), 1);
    let (status, body) = call(
        &app,
        Method::PATCH,
        k,
        &format!("/services/{sid}"),
        Some(json!({"title": "Academy", "status": "paused"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["title"].clone(), body["status"].clone()),
        (json!("Academy"), json!("paused"))
    );

    // A grant to someone who started the bot: a link back, and the bot sends them the same.
    let bea = app.started_user("Bea", "en").await;
    let (status, grant) = call(
        &app,
        Method::POST,
        k,
        &format!("/services/{sid}/grants"),
        Some(json!({"telegram_user_id": bea, "days": 10})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    assert_eq!(grant["user_started_bot"], json!(true));
    assert_eq!(grant["member"]["status"], json!("active"));
    let link = grant["invite_link"].as_str().unwrap().to_owned();
    app.finish_jobs().await;
    assert_eq!(url_of(&app, bea, "Join", 1).await, link);
    // One link stands: made for the answer and sent by the job as it is (when the job made
    // one at the same moment, the later of the two was revoked).
    let made = app.emu().calls_to("createChatInviteLink").len();
    let revoked = app.emu().calls_to("revokeChatInviteLink").len();
    assert_eq!(made - revoked, 1);
    // A grant by plan, to someone who never started the bot: the link comes back all the same.
    let (status, grant2) = call(
        &app,
        Method::POST,
        k,
        &format!("/services/{sid}/grants"),
        Some(json!({"telegram_user_id": 777001, "plan_id": pid})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{grant2}");
    assert_eq!(grant2["user_started_bot"], json!(false));
    assert!(grant2["invite_link"].as_str().is_some());
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        &format!("/services/{sid}/grants"),
        Some(json!({"telegram_user_id": bea, "days": 5, "plan_id": pid})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Members, paged.
    let (_, page1) = call(
        &app,
        Method::GET,
        k,
        &format!("/services/{sid}/members?limit=1"),
        None,
    )
    .await;
    assert_eq!(page1["data"].as_array().unwrap().len(), 1, "{page1}");
    assert_eq!(page1["has_more"], json!(true));
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = call(
        &app,
        Method::GET,
        k,
        &format!("/services/{sid}/members?limit=1&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(page2["data"].as_array().unwrap().len(), 1);
    assert_eq!(page2["has_more"], json!(false));
    assert_ne!(page1["data"][0]["id"], page2["data"][0]["id"]);
    let mid = grant["member"]["id"].as_i64().unwrap();
    let (status, member) = call(&app, Method::GET, k, &format!("/members/{mid}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(member["telegram_user_id"], json!(bea));
    let (status, revoked) = call(
        &app,
        Method::POST,
        k,
        &format!("/members/{mid}/revoke"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], json!("revoked"));
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        &format!("/members/{mid}/revoke"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&body), "not_active");
    let (_, active) = call(
        &app,
        Method::GET,
        k,
        &format!("/services/{sid}/members?status=active"),
        None,
    )
    .await;
    assert_eq!(active["data"].as_array().unwrap().len(), 1);

    // A Stars sale in the bot shows up in payments and stats.
    let buyer = app.started_user("Cid", "en").await;
    buy(&app, &shop, buyer, 1).await;
    let (_, payments) = call(&app, Method::GET, k, "/payments", None).await;
    assert_eq!(payments["data"].as_array().unwrap().len(), 1, "{payments}");
    assert_eq!(payments["data"][0]["amount"], json!(250));
    assert_eq!(payments["data"][0]["fee"], json!(25));
    assert_eq!(payments["data"][0]["net"], json!(225));
    let since = (Utc::now() + Duration::hours(1))
        .to_rfc3339()
        .replace('+', "%2B");
    let (_, later) = call(
        &app,
        Method::GET,
        k,
        &format!("/payments?since={since}"),
        None,
    )
    .await;
    assert_eq!(later["data"], json!([]));
    let (_, stats) = call(&app, Method::GET, k, "/stats", None).await;
    assert_eq!(stats["services"], json!(2), "{stats}");
    assert_eq!(stats["active_members"], json!(2));
    assert_eq!(stats["members_all_time"], json!(3));
    assert_eq!(stats["revenue_all_time"][0]["net"], json!(225));

    // Alerts: a text as it is, a signal formatted, never both.
    let (status, posted) = call(
        &app,
        Method::POST,
        k,
        &format!("/services/{sid}/alerts"),
        Some(json!({"text": "Class starts at 18:00"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let (status, _) = call(&app, Method::POST, k, &format!("/services/{sid}/alerts"), Some(json!({"signal": {"symbol": "BTCUSDT", "action": "buy", "entry": 64000, "target": 68000, "stop_loss": 62000}}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let posts: Vec<String> = app
        .emu()
        .bot_messages(chat)
        .iter()
        .filter_map(|m| m.body().map(str::to_owned))
        .collect();
    assert!(
        posts.iter().any(|p| p == "Class starts at 18:00"),
        "{posts:?}"
    );
    assert!(
        posts
            .iter()
            .any(|p| p.contains("BTCUSDT") && p.contains("68000")),
        "{posts:?}"
    );
    let (status, body) = call(&app, Method::POST, k, &format!("/services/{sid}/alerts"), Some(json!({"text": "x", "signal": {"symbol": "BTC", "action": "buy", "entry": 1, "target": 2, "stop_loss": 1}}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(&app, Method::POST, k, &format!("/services/{sid}/alerts"), Some(json!({"signal": {"symbol": "BTC", "action": "hold", "entry": 1, "target": 2, "stop_loss": 1}}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&body), "signal.action");
}
on_both_databases!(
    api_walkthrough,
    services_plans_grants_members_payments_and_alerts
);

async fn idempotent_posts_answer_once(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let service = catalog::service_by_chat(app.db(), shop.chat)
        .await
        .unwrap()
        .unwrap();
    let path = format!("/services/{}/plans", service.id);
    let body = json!({"stars_price": 500, "period_days": 90});
    let plans = || async {
        seller_plans::Entity::find()
            .filter(seller_plans::Column::ServiceId.eq(service.id))
            .count(app.db())
            .await
            .unwrap()
    };
    let before = plans().await;
    let (s1, h1, b1) = call_full(
        &app,
        Method::POST,
        Some(&key),
        &path,
        Some(body.clone()),
        Some("k-1"),
    )
    .await;
    let (s2, h2, b2) = call_full(
        &app,
        Method::POST,
        Some(&key),
        &path,
        Some(body.clone()),
        Some("k-1"),
    )
    .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(b1, b2);
    assert!(h1.get("idempotent-replayed").is_none());
    assert_eq!(h2.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(plans().await, before + 1);
    // The same key with another body.
    let (s3, _, b3) = call_full(
        &app,
        Method::POST,
        Some(&key),
        &path,
        Some(json!({"stars_price": 501, "period_days": 90})),
        Some("k-1"),
    )
    .await;
    assert_eq!(s3, StatusCode::CONFLICT);
    assert_eq!(code(&b3), "idempotency_key_reused");
    assert_eq!(plans().await, before + 1);
    // An answer that was an error is kept too: the same request answers the same.
    let bad = json!({"stars_price": -1, "period_days": 90});
    let (s4, _, b4) = call_full(
        &app,
        Method::POST,
        Some(&key),
        &path,
        Some(bad.clone()),
        Some("k-2"),
    )
    .await;
    let (s5, _, b5) = call_full(
        &app,
        Method::POST,
        Some(&key),
        &path,
        Some(bad),
        Some("k-2"),
    )
    .await;
    assert_eq!(
        (s4, s5),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY
        )
    );
    assert_eq!(b4, b5);
    // Without a key, every POST is a new one.
    call_full(
        &app,
        Method::POST,
        Some(&key),
        &path,
        Some(body.clone()),
        None,
    )
    .await;
    call_full(&app, Method::POST, Some(&key), &path, Some(body), None).await;
    assert_eq!(plans().await, before + 3);
}
on_both_databases!(idempotency, idempotent_posts_answer_once);

/// Every endpoint, with seller B's key on seller A's ids and a test key on live ids: 404 and
/// nothing changed.
async fn other_tenants_ids_are_not_found(app: TestApp) {
    let a = shop(&app, "Ann").await;
    let a_key = key_from_bot(&app, a.sam, "live", "crm").await;
    let b = shop(&app, "Bob").await;
    let b_key = key_from_bot(&app, b.sam, "live", "crm").await;
    let a_test = key_from_bot(&app, a.sam, "test", "dev").await;
    let service = catalog::service_by_chat(app.db(), a.chat)
        .await
        .unwrap()
        .unwrap();
    let sid = service.id;
    let bea = app.started_user("Bea", "en").await;
    let (_, grant) = call(
        &app,
        Method::POST,
        Some(&a_key),
        &format!("/services/{sid}/grants"),
        Some(json!({"telegram_user_id": bea, "days": 3})),
    )
    .await;
    let mid = grant["member"]["id"].as_i64().unwrap();
    let (_, plans) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/services/{sid}/plans"),
        None,
    )
    .await;
    let pid = plans["data"][0]["id"].as_i64().unwrap();
    let (_, promo) = call(
        &app,
        Method::POST,
        Some(&a_key),
        "/promo-codes",
        Some(json!({"code": "ANN10", "kind": "percent", "value": 10, "plan_ids": [pid]})),
    )
    .await;
    let promo_id = promo["id"].as_i64().unwrap();
    let (_, contact) = call(
        &app,
        Method::POST,
        Some(&a_key),
        "/contacts",
        Some(json!({"telegram_user_id": 515_151, "tags": ["lead"]})),
    )
    .await;
    let ct = contact["id"].as_str().unwrap().to_owned();
    let (_, sent) = call(
        &app,
        Method::POST,
        Some(&a_key),
        "/otp/send",
        Some(json!({"telegram_user_id": bea, "purpose": "login"})),
    )
    .await;
    let otp = sent["id"].as_str().unwrap().to_owned();
    let (_, invoice) = call(
        &app,
        Method::POST,
        Some(&a_key),
        "/invoices",
        Some(json!({"telegram_user_id": bea, "currency": "XTR", "due_date": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
            "lines": [{"description": "Coaching", "unit_amount": 300}], "draft": true})),
    )
    .await;
    let inv = invoice["id"].as_str().unwrap().to_owned();
    let (_, order) = call(
        &app,
        Method::POST,
        Some(&a_key),
        "/orders",
        Some(json!({"platform": "ann-shop", "external_id": "A-1",
            "items": [{"name": "Mug", "quantity": 1}], "customer": {"telegram_user_id": bea}})),
    )
    .await;
    let oid = order["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app,
        Method::PUT,
        Some(&a_key),
        "/order-templates/shipped/en",
        Some(json!({"text": "Ann's parcel {order}"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &app,
        Method::POST,
        Some(&a_key),
        "/commerce-endpoints",
        Some(json!({"platform": "shopify"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/orders/{oid}"), None),
        (
            Method::POST,
            format!("/orders/{oid}/status"),
            Some(json!({"status": "cancelled"})),
        ),
    ];
    let (_, drip) = call(
        &app,
        Method::POST,
        Some(&a_key),
        "/drip-campaigns",
        Some(json!({"name": "Welcome", "trigger": "manual"})),
    )
    .await;
    let dc = drip["id"].as_str().unwrap().to_owned();
    let calls: Vec<(Method, String, Option<Value>)> = calls
        .into_iter()
        .chain([
            (Method::GET, format!("/drip-campaigns/{dc}"), None),
            (
                Method::PATCH,
                format!("/drip-campaigns/{dc}"),
                Some(json!({"status": "paused"})),
            ),
            (
                Method::POST,
                format!("/drip-campaigns/{dc}/steps"),
                Some(json!({"delay_seconds": 60, "text": "stolen"})),
            ),
            (
                Method::GET,
                format!("/drip-campaigns/{dc}/enrollments"),
                None,
            ),
            (
                Method::POST,
                format!("/drip-campaigns/{dc}/enrollments"),
                Some(json!({"contact_id": ct})),
            ),
            (Method::GET, format!("/drip-campaigns/{dc}/stats"), None),
            (Method::GET, format!("/contacts/{ct}"), None),
            (
                Method::PATCH,
                format!("/contacts/{ct}"),
                Some(json!({"tags": ["stolen"]})),
            ),
            (
                Method::POST,
                "/otp/verify".to_owned(),
                Some(json!({"id": otp, "code": "123456"})),
            ),
            (
                Method::POST,
                format!("/promo-codes/{promo_id}/deactivate"),
                None,
            ),
            (Method::GET, format!("/services/{sid}"), None),
            (
                Method::PATCH,
                format!("/services/{sid}"),
                Some(json!({"status": "archived"})),
            ),
            (Method::GET, format!("/services/{sid}/plans"), None),
            (
                Method::POST,
                format!("/services/{sid}/plans"),
                Some(json!({"stars_price": 1, "period_days": 1})),
            ),
            (
                Method::PATCH,
                format!("/plans/{pid}"),
                Some(json!({"status": "archived"})),
            ),
            (Method::GET, format!("/services/{sid}/members"), None),
            (Method::GET, format!("/members/{mid}"), None),
            (
                Method::POST,
                format!("/services/{sid}/grants"),
                Some(json!({"telegram_user_id": 5, "days": 3})),
            ),
            (Method::POST, format!("/members/{mid}/revoke"), None),
            (
                Method::POST,
                format!("/services/{sid}/alerts"),
                Some(json!({"text": "hi"})),
            ),
            (Method::GET, format!("/invoices/{inv}"), None),
            (Method::POST, format!("/invoices/{inv}/send"), None),
            (Method::POST, format!("/invoices/{inv}/void"), None),
        ])
        .collect();
    for key in [&b_key, &a_test] {
        for (method, path, body) in &calls {
            let (status, answer) = call(&app, method.clone(), Some(key), path, body.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
            assert_eq!(code(&answer), "not_found");
            assert!(answer.get("data").is_none());
        }
        // Lists show none of A's.
        let (_, services) = call(&app, Method::GET, Some(key), "/services", None).await;
        assert!(
            services["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["id"] != json!(sid))
        );
        let (_, stats) = call(&app, Method::GET, Some(key), "/stats", None).await;
        assert_eq!(stats["members_all_time"], json!(0), "{stats}");
        let (_, codes) = call(&app, Method::GET, Some(key), "/promo-codes", None).await;
        assert_eq!(codes["data"], json!([]), "{codes}");
        let (_, contacts) = call(&app, Method::GET, Some(key), "/contacts", None).await;
        assert_eq!(contacts["data"], json!([]), "{contacts}");
        let (_, drips) = call(&app, Method::GET, Some(key), "/drip-campaigns", None).await;
        assert_eq!(drips["data"], json!([]), "{drips}");
        // A's contact cannot be enrolled in this key's own campaign: no such contact.
        let (_, own) = call(
            &app,
            Method::POST,
            Some(key),
            "/drip-campaigns",
            Some(json!({"name": "Mine", "trigger": "manual"})),
        )
        .await;
        let (status, refused) = call(
            &app,
            Method::POST,
            Some(key),
            &format!(
                "/drip-campaigns/{}/enrollments",
                own["id"].as_str().unwrap()
            ),
            Some(json!({"contact_id": ct})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(field(&refused), "contact_id");
        let (_, usage) = call(&app, Method::GET, Some(key), "/usage?days=1", None).await;
        assert_eq!(usage["data"][0]["otps"], json!(0), "{usage}");
        let (_, invoices) = call(&app, Method::GET, Some(key), "/invoices", None).await;
        assert_eq!(invoices["data"], json!([]), "{invoices}");
        // A's contact cannot be billed: to this key it is no contact at all.
        let (status, refused) = call(
            &app,
            Method::POST,
            Some(key),
            "/invoices",
            Some(json!({"contact_id": ct, "currency": "XTR", "due_date": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
                "lines": [{"description": "x", "unit_amount": 1}]})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(field(&refused), "contact_id");
        // A's contact cannot be sent a code: to this key it is no contact at all.
        let (status, refused) = call(
            &app,
            Method::POST,
            Some(key),
            "/otp/send",
            Some(json!({"contact_id": ct, "purpose": "login"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(field(&refused), "contact_id");
        // A's orders, texts and shop receivers are not this key's; A's contact is none of its.
        let (_, orders) = call(&app, Method::GET, Some(key), "/orders", None).await;
        assert_eq!(orders["data"], json!([]), "{orders}");
        let (_, tpl) = call(
            &app,
            Method::GET,
            Some(key),
            "/order-templates/shipped/en",
            None,
        )
        .await;
        assert_eq!(tpl["custom"], json!(false), "{tpl}");
        let (_, shops) = call(&app, Method::GET, Some(key), "/commerce-endpoints", None).await;
        assert_eq!(shops["data"], json!([]), "{shops}");
        let (status, refused) = call(
            &app,
            Method::POST,
            Some(key),
            "/orders",
            Some(json!({"platform": "ann-shop", "external_id": "A-1",
                "items": [{"name": "Mug", "quantity": 1}], "customer": {"contact_id": ct}})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(code(&refused), "unknown_contact");
        // A's plan cannot be bound to their code.
        let (status, _) = call(
            &app,
            Method::POST,
            Some(key),
            "/promo-codes",
            Some(json!({"code": "X10", "kind": "percent", "value": 10, "plan_ids": [pid]})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Branding is each seller's own: B's key reads and changes B's alone.
    let (status, _) = call(
        &app,
        Method::PATCH,
        Some(&a_key),
        "/branding",
        Some(json!({"name": "Ann Brand", "accent_color": "#112233"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, theirs) = call(&app, Method::GET, Some(&b_key), "/branding", None).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["name"], json!("Bob Signals"), "{theirs}");
    assert_eq!(theirs["accent_color_set"], json!(false), "{theirs}");
    let (status, _) = call(
        &app,
        Method::PATCH,
        Some(&b_key),
        "/branding",
        Some(json!({"name": "Bob Brand", "accent_color": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, ours) = call(&app, Method::GET, Some(&a_key), "/branding", None).await;
    assert_eq!(ours["name"], json!("Ann Brand"), "{ours}");
    assert_eq!(ours["accent_color"], json!("#112233"), "{ours}");
    // A's contact, and A's code with all its tries, are as they were; only A's code was sent.
    let (_, contact) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/contacts/{ct}"),
        None,
    )
    .await;
    assert_eq!(contact["tags"], json!(["lead"]), "{contact}");
    let (_, drip) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/drip-campaigns/{dc}"),
        None,
    )
    .await;
    assert_eq!(drip["status"], json!("active"), "{drip}");
    assert_eq!(drip["steps"], json!([]), "{drip}");
    let (_, enrolled) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/drip-campaigns/{dc}/enrollments"),
        None,
    )
    .await;
    assert_eq!(enrolled["data"], json!([]), "{enrolled}");
    let (_, tried) = call(
        &app,
        Method::POST,
        Some(&a_key),
        "/otp/verify",
        Some(json!({"id": otp, "code": "000000"})),
    )
    .await;
    assert!(
        tried["status"] == json!("verified") || tried["attempts_left"] == json!(4),
        "{tried}"
    );
    let (_, usage) = call(&app, Method::GET, Some(&a_key), "/usage?days=1", None).await;
    assert_eq!(usage["data"][0]["otps"], json!(1), "{usage}");
    // A's draft is still A's draft.
    let (_, invoice) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/invoices/{inv}"),
        None,
    )
    .await;
    assert_eq!(invoice["status"], json!("draft"), "{invoice}");
    // A's order is as it was, and A's text is A's.
    let (_, order) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/orders/{oid}"),
        None,
    )
    .await;
    assert_eq!(order["status"], json!("new"), "{order}");
    assert_eq!(order["history"], json!([]), "{order}");
    let (_, tpl) = call(
        &app,
        Method::GET,
        Some(&a_key),
        "/order-templates/shipped/en",
        None,
    )
    .await;
    assert_eq!(tpl["text"], json!("Ann's parcel {order}"), "{tpl}");
    // A's code is still active.
    let (_, codes) = call(&app, Method::GET, Some(&a_key), "/promo-codes", None).await;
    assert_eq!(codes["data"][0]["active"], json!(true), "{codes}");
    // Nothing of A's changed.
    let after = catalog::service(app.db(), sid).await.unwrap().unwrap();
    assert_eq!(after.status, "active");
    let (_, member) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/members/{mid}"),
        None,
    )
    .await;
    assert_eq!(member["status"], json!("active"));
    let (_, plans_after) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/services/{sid}/plans"),
        None,
    )
    .await;
    assert_eq!(plans_after["data"].as_array().unwrap().len(), 1);
    assert!(
        app.emu()
            .bot_messages(a.chat)
            .iter()
            .all(|m| m.body() != Some("hi"))
    );

    // A test key makes test data: a test service on its own chat, unseen by the live key and
    // not sold in the bot.
    let sandbox = api_channel(&app, a.sam, "Ann Sandbox");
    let (status, test_service) = call(
        &app,
        Method::POST,
        Some(&a_test),
        "/services",
        Some(json!({"chat_id": sandbox})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{test_service}");
    assert_eq!(test_service["livemode"], json!(false));
    let tid = test_service["id"].as_i64().unwrap();
    let (status, _) = call(
        &app,
        Method::GET,
        Some(&a_key),
        &format!("/services/{tid}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, plan) = call(
        &app,
        Method::POST,
        Some(&a_test),
        &format!("/services/{tid}/plans"),
        Some(json!({"stars_price": 10, "period_days": 7})),
    )
    .await;
    let code = test_service["code"].as_str().unwrap();
    let cid = app.started_user("Cid", "en").await;
    app.say(cid, &format!("/start s_{code}"));
    wait_contains(&app, cid, "Sandbox", 1).await;
    press(&app, cid, "⭐ 10").await;
    wait_contains(&app, cid, "test mode", 1).await;
    assert!(
        app.emu()
            .bot_messages(cid)
            .iter()
            .all(|m| m.kind != "invoice"),
        "{plan}"
    );
    // Cid's view of the test service is the test key's analytics alone.
    for (key, views) in [(&a_test, 1), (&a_key, 0), (&b_key, 0)] {
        let (status, body) = call(&app, Method::GET, Some(key), "/analytics", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["events"]["views"], json!(views), "{body}");
    }
}
on_both_databases!(tenant_isolation, other_tenants_ids_are_not_found);

async fn bad_input_is_named(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let key = key_from_bot(&app, shop.sam, "live", "crm").await;
    let sid = catalog::service_by_chat(app.db(), shop.chat)
        .await
        .unwrap()
        .unwrap()
        .id;
    let post = |body: String| {
        app.http
            .post(app.url(&format!("/api/v1/services/{sid}/plans")))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for (body, status, field_name) in [
        ("{not json", 422, ""),
        (r#"{"period_days": 30}"#, 422, "stars_price"),
        (
            r#"{"stars_price": "ten", "period_days": 30}"#,
            422,
            "stars_price",
        ),
        (
            r#"{"stars_price": 10, "period_days": 30, "colour": "red"}"#,
            422,
            "colour",
        ),
    ] {
        let res = post(body.to_owned()).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{body}");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(field(&answer), field_name, "{body}: {answer}");
        assert_eq!(code(&answer), "invalid");
    }
    let (status, body) = call(
        &app,
        Method::PATCH,
        Some(&key),
        &format!("/services/{sid}"),
        Some(json!({"status": "deleted"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&body), "status");
    let huge = format!(r#"{{"text": "{}"}}"#, "x".repeat(70 * 1024));
    let res = app
        .http
        .post(app.url(&format!("/api/v1/services/{sid}/alerts")))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) = call(&app, Method::GET, Some(&key), "/services?cursor=abc", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&body), "cursor");
    let (status, body) = call(&app, Method::GET, Some(&key), "/services?limit=1000", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&body), "limit");
    let (status, body) = call(
        &app,
        Method::GET,
        Some(&key),
        &format!("/services/{sid}/members?status=gone"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field(&body), "status");
    let (status, body) = call(&app, Method::GET, Some(&key), "/nothing-here", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(code(&body), "not_found");
}
on_both_databases!(bad_input, bad_input_is_named);

/// Over a key's hourly limit: 429 with `Retry-After`; another key is not held back.
async fn hourly_limit(app: &TestApp) {
    let shop = shop(app, "Sam").await;
    let key = key_from_bot(app, shop.sam, "live", "crm").await;
    let other = key_from_bot(app, shop.sam, "live", "backup").await;
    api_keys_table::Entity::update_many()
        .col_expr(api_keys_table::Column::RateLimit, Expr::value(3))
        .filter(api_keys_table::Column::Name.eq("crm"))
        .exec(app.db())
        .await
        .unwrap();
    for n in 0..3 {
        let (status, headers, _) =
            call_full(app, Method::GET, Some(&key), "/stats", None, None).await;
        assert_eq!(status, StatusCode::OK, "request {n}");
        assert_eq!(
            headers["x-ratelimit-remaining"],
            (2 - n).to_string().as_str()
        );
    }
    let (status, headers, body) =
        call_full(app, Method::GET, Some(&key), "/stats", None, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code(&body), "rate_limited");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry));
    let (status, _) = call(app, Method::GET, Some(&other), "/stats", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn hourly_limit_in_process() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    hourly_limit(&app).await;
}

#[tokio::test]
async fn hourly_limit_in_redis_is_shared_by_replicas() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("tg-test-{}:", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(Backend::Sqlite, |o| {
        o.redis_url = Some(url.clone());
        o.redis_prefix = prefix.clone();
    })
    .await
    .unwrap();
    hourly_limit(&app).await;
    // A second limiter on the same Redis (another replica) sees the same count.
    let replica = api_keys::RateLimiter::redis(&url, &prefix).await.unwrap();
    let key = api_keys_table::Entity::find()
        .filter(api_keys_table::Column::Name.eq("crm"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        replica.hit(key.id, 3, Utc::now()).await,
        api_keys::Rate::Limited { .. }
    ));
}

/// Every documented operation is served, and the docs page comes from the binary.
#[tokio::test]
async fn the_spec_and_the_router_agree() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    let sam = seller(&app, "Sam").await;
    let key = key_from_bot(&app, sam, "live", "crm").await;
    let spec: Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["servers"][0]["url"], json!("/api/v1"));
    let paths = spec["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "999999");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) =
                call(&app, method.clone(), Some(&key), &concrete, Some(json!({}))).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_ne!(
                body["error"]["message"],
                json!("no such route"),
                "{method} {path}"
            );
            operations += 1;
        }
    }
    assert!(operations >= 25, "{operations} operations documented");
    for path in [
        "/promo-codes",
        "/promo-codes/{id}/deactivate",
        "/contacts",
        "/contacts/{id}",
        "/otp/send",
        "/otp/verify",
        "/usage",
        "/invoices",
        "/invoices/{id}",
        "/invoices/{id}/send",
        "/invoices/{id}/void",
        "/invoice-reminders",
        "/orders",
        "/orders/{id}",
        "/orders/{id}/status",
        "/order-templates",
        "/order-templates/{status}/{lang}",
        "/commerce-endpoints",
        "/drip-campaigns",
        "/drip-campaigns/{id}",
        "/drip-campaigns/{id}/steps",
        "/drip-campaigns/{id}/enrollments",
        "/drip-campaigns/{id}/stats",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    // Every route answers through the spec: an undocumented one is no route.
    let (status, body) = call(&app, Method::DELETE, Some(&key), "/services/1", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let page = app.http.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("/api/v1/openapi.json") && html.contains("/api/docs/scalar.js"));
    assert!(!html.contains("cdn."), "no CDN");
    let js = app
        .http
        .get(app.url("/api/docs/scalar.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert_eq!(js.headers()["content-encoding"], "gzip");
    assert!(js.bytes().await.unwrap().len() > 500_000);
}
