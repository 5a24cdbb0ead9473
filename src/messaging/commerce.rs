//! Shops that tell us about orders by webhook: Shopify and WooCommerce.
//!
//! Each seller has at most one receiver per mode and platform ([`Endpoint`]), with its own URL
//! token and secret. A delivery is taken only when its signature — base64 HMAC-SHA256 of the
//! exact body under the secret, in `X-Shopify-Hmac-Sha256` or `X-WC-Webhook-Signature` —
//! checks out ([`verify`], constant time), and before the body is parsed at all. Then
//! [`receive`] maps the shop's order onto ours and goes through the same service as the API
//! ([`orders::create`], [`orders::apply`]), so the same rules hold: an order is recorded once,
//! a change is made once, a change that is not allowed from where the order stands is not
//! made.
//!
//! The customer: the order's note attribute (Shopify, `note_attributes`) or meta entry
//! (WooCommerce, `meta_data`) named `telegram_id` holds their Telegram user id; the shop's
//! checkout asks for it (or fills it from a "Sign in with Telegram" button). An order without
//! one, or for a user who never started the bot, is answered and ignored, so the shop does not
//! retry it for days.
//!
//! Secrets at rest: with `ENCRYPTION_KEY` configured, a receiver's secret is stored sealed
//! ([`Sealer`], bound to the seller, mode and platform) and opened only to check a delivery;
//! without one it is stored as it is (the embedded default). A sealed secret that cannot be
//! opened (the key was removed or changed) checks no signature, so its deliveries are refused.
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use ring::rand::{SecureRandom, SystemRandom};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use serde::Deserialize;
use sha2::Sha256;

use super::orders::{
    self, Applied, Change, Customer, NewOrder, NoCustomer, Order, Tracking, Update,
};
use crate::{
    sellers::tenant::Tenant,
    services::{
        ServiceResult,
        sealing::{self, SealError, Sealer},
    },
    storage::{Db, StorageError, entities::commerce_endpoints},
};

pub type Endpoint = commerce_endpoints::Model;

/// The note attribute / meta entry that names the customer's Telegram user id.
pub const TELEGRAM_ID_KEY: &str = "telegram_id";
/// Bytes of a secret a seller brings (Shopify's signing secret).
pub const SECRET_MIN: usize = 16;
pub const SECRET_MAX: usize = 256;

/// A shop platform with signed order webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Shopify,
    WooCommerce,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::Shopify, Platform::WooCommerce];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The header that carries the signature.
    pub fn signature_header(self) -> &'static str {
        match self {
            Platform::Shopify => "x-shopify-hmac-sha256",
            Platform::WooCommerce => "x-wc-webhook-signature",
        }
    }

    /// The header that names the topic.
    pub fn topic_header(self) -> &'static str {
        match self {
            Platform::Shopify => "x-shopify-topic",
            Platform::WooCommerce => "x-wc-webhook-topic",
        }
    }
}

/// The receiver's path for `endpoint` (under the server's public URL).
pub fn path(endpoint: &Endpoint) -> String {
    format!("/commerce/{}/{}", endpoint.platform, endpoint.token)
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .expect("the system's random source");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a secret a seller brings is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret: 16 to 256 visible ASCII characters")]
pub struct BadSecret;

/// Checks a secret the seller brings (Shopify signs with one it shows the shop's owner).
pub fn check_secret(secret: &str) -> Result<String, BadSecret> {
    let ok = (SECRET_MIN..=SECRET_MAX).contains(&secret.len())
        && secret.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| secret.to_owned()).ok_or(BadSecret)
}

/// Makes the tenant's receiver for `platform`, or gives the existing one a new secret (and
/// URL token, so the old URL stops working). The endpoint, its secret (shown this once) and
/// whether it is new.
pub async fn create_or_rotate(
    db: &Db,
    now: DateTime<Utc>,
    sealer: Option<&Sealer>,
    t: Tenant,
    platform: Platform,
    secret: Option<String>,
) -> ServiceResult<(Endpoint, String, bool)> {
    let secret = secret.unwrap_or_else(|| format!("tgcs_{}", random_hex(24)));
    let kept = sealing::keep(sealer, &purpose(t, platform), &secret)
        .map_err(|e| StorageError::Corrupt(format!("cannot seal a shop secret: {e}")))?;
    let token = random_hex(16);
    if let Some(existing) = get(db, t, platform).await? {
        commerce_endpoints::Entity::update_many()
            .col_expr(commerce_endpoints::Column::Secret, Expr::value(kept))
            .col_expr(commerce_endpoints::Column::Token, Expr::value(token))
            .col_expr(commerce_endpoints::Column::RotatedAt, Expr::value(now))
            .filter(commerce_endpoints::Column::Id.eq(existing.id))
            .exec(db)
            .await?;
        let row = get(db, t, platform)
            .await?
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound("an endpoint just rotated".into()))?;
        return Ok((row, secret, false));
    }
    commerce_endpoints::Entity::insert(commerce_endpoints::ActiveModel {
        seller_id: Set(t.seller_id),
        livemode: Set(t.livemode),
        platform: Set(platform.as_str().into()),
        token: Set(token),
        secret: Set(kept),
        created_at: Set(now),
        rotated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    let row = get(db, t, platform)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("an endpoint just made".into()))?;
    Ok((row, secret, true))
}

/// What a receiver's sealed secret is bound to: its seller, mode and platform.
fn purpose(t: Tenant, platform: Platform) -> String {
    format!(
        "commerce:{}:{}:{}",
        t.seller_id,
        if t.livemode { "live" } else { "test" },
        platform.as_str()
    )
}

/// The secret a receiver's deliveries are signed with: opened when it is stored sealed.
/// `SealError::Open` when it is sealed and there is no key, or not the key it was sealed with.
pub fn secret_of(sealer: Option<&Sealer>, e: &Endpoint) -> Result<String, SealError> {
    let t = Tenant {
        seller_id: e.seller_id,
        livemode: e.livemode,
    };
    match Platform::parse(&e.platform) {
        Some(platform) => sealing::reveal(sealer, &purpose(t, platform), &e.secret),
        // Bound to no known platform: a plain secret stands, a sealed one cannot open.
        None => sealing::reveal(None, "", &e.secret),
    }
}

/// The tenant's receiver for `platform`.
pub async fn get(db: &Db, t: Tenant, platform: Platform) -> ServiceResult<Option<Endpoint>> {
    Ok(commerce_endpoints::Entity::find()
        .filter(commerce_endpoints::Column::SellerId.eq(t.seller_id))
        .filter(commerce_endpoints::Column::Livemode.eq(t.livemode))
        .filter(commerce_endpoints::Column::Platform.eq(platform.as_str()))
        .one(db)
        .await?)
}

/// The tenant's receivers.
pub async fn list(db: &Db, t: Tenant) -> ServiceResult<Vec<Endpoint>> {
    Ok(commerce_endpoints::Entity::find()
        .filter(commerce_endpoints::Column::SellerId.eq(t.seller_id))
        .filter(commerce_endpoints::Column::Livemode.eq(t.livemode))
        .order_by_asc(commerce_endpoints::Column::Id)
        .all(db)
        .await?)
}

/// The receiver at `/commerce/<platform>/<token>`.
pub async fn by_token(db: &Db, platform: Platform, token: &str) -> ServiceResult<Option<Endpoint>> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(commerce_endpoints::Entity::find()
        .filter(commerce_endpoints::Column::Token.eq(token))
        .filter(commerce_endpoints::Column::Platform.eq(platform.as_str()))
        .one(db)
        .await?)
}

/// Base64 of HMAC-SHA256 of `body` under `secret`: what both shops send.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (the header's value) signs the exact `body` under `secret`. The MAC is
/// compared in constant time.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// What a delivery did.
#[derive(Debug, Clone)]
pub enum Received {
    /// The order as it is now, whether it is new, and the changes made.
    Order {
        order: Box<Order>,
        created: bool,
        changes: Vec<Change>,
    },
    /// Taken and left alone, with the reason (no Telegram id, a topic we do not follow…).
    Ignored(&'static str),
}

/// Why a signed delivery cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadPayload(pub String);

/// One order of a shop, mapped onto ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopOrder {
    pub order: NewOrder,
    pub telegram_id: Option<i64>,
    /// The changes the delivery asks for, in order.
    pub changes: Vec<Update>,
}

#[derive(Deserialize)]
struct ShopifyOrder {
    id: serde_json::Value,
    name: Option<String>,
    #[serde(default)]
    line_items: Vec<ShopifyItem>,
    #[serde(default)]
    fulfillments: Vec<ShopifyFulfillment>,
    #[serde(default)]
    note_attributes: Vec<ShopifyAttribute>,
    cancelled_at: Option<String>,
}

#[derive(Deserialize)]
struct ShopifyItem {
    title: String,
    quantity: i64,
}

#[derive(Deserialize)]
struct ShopifyFulfillment {
    tracking_company: Option<String>,
    tracking_number: Option<String>,
    tracking_url: Option<String>,
}

#[derive(Deserialize)]
struct ShopifyAttribute {
    name: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct WooOrder {
    id: serde_json::Value,
    number: Option<String>,
    status: String,
    #[serde(default)]
    line_items: Vec<WooItem>,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
}

#[derive(Deserialize)]
struct WooItem {
    name: String,
    quantity: i64,
}

#[derive(Deserialize)]
struct WooMeta {
    key: String,
    value: serde_json::Value,
}

/// A JSON number or string as text (shops send ids as either).
fn text_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn telegram_id_of<'a>(
    mut pairs: impl Iterator<Item = (&'a str, &'a serde_json::Value)>,
) -> Option<i64> {
    pairs
        .find(|(k, _)| k.eq_ignore_ascii_case(TELEGRAM_ID_KEY))
        .and_then(|(_, v)| text_of(v))
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|n| *n > 0)
}

fn tracking(
    company: Option<String>,
    number: Option<String>,
    url: Option<String>,
) -> Option<Tracking> {
    let number = number.filter(|n| !n.trim().is_empty())?;
    Some(Tracking {
        carrier: company.unwrap_or_default(),
        number,
        url: url.filter(|u| !u.trim().is_empty()),
    })
}

fn change(change: Change) -> Update {
    Update {
        change,
        item: None,
        tracking: None,
    }
}

fn bad(e: impl std::fmt::Display) -> BadPayload {
    BadPayload(e.to_string())
}

/// A Shopify order webhook (`orders/create`, `orders/updated`, `orders/fulfilled`,
/// `orders/cancelled`); None for other topics.
pub fn parse_shopify(topic: &str, body: &[u8]) -> Result<Option<ShopOrder>, BadPayload> {
    if !matches!(
        topic,
        "orders/create" | "orders/updated" | "orders/fulfilled" | "orders/cancelled"
    ) {
        return Ok(None);
    }
    let o: ShopifyOrder = serde_json::from_slice(body).map_err(bad)?;
    let id = text_of(&o.id).ok_or_else(|| bad("id: not a number"))?;
    let items = o
        .line_items
        .into_iter()
        .map(|i| (i.title, i.quantity))
        .collect();
    let order = NewOrder::parse("shopify", &id, items)
        .and_then(|n| n.with_reference(o.name.as_deref()))
        .map_err(bad)?;
    let shipped = o
        .fulfillments
        .into_iter()
        .find_map(|f| tracking(f.tracking_company, f.tracking_number, f.tracking_url));
    let telegram_id = telegram_id_of(
        o.note_attributes
            .iter()
            .map(|a| (a.name.as_str(), &a.value)),
    );
    let ship = |t: Option<Tracking>| Update {
        change: Change::Shipped,
        item: None,
        tracking: t,
    };
    let changes = match topic {
        "orders/create" => vec![change(Change::Confirmed)],
        "orders/cancelled" => vec![change(Change::Cancelled)],
        "orders/fulfilled" => vec![change(Change::Confirmed), ship(shipped)],
        _ if o.cancelled_at.is_some() => vec![change(Change::Cancelled)],
        _ if shipped.is_some() => vec![change(Change::Confirmed), ship(shipped)],
        _ => vec![change(Change::Confirmed)],
    };
    Ok(Some(ShopOrder {
        order,
        telegram_id,
        changes,
    }))
}

/// A WooCommerce order webhook (`order.created`, `order.updated`); None for other topics.
/// `processing` confirms, `completed` ships (with the Shipment Tracking extension's first
/// entry, when there is one), `cancelled` and `refunded` cancel.
pub fn parse_woocommerce(topic: &str, body: &[u8]) -> Result<Option<ShopOrder>, BadPayload> {
    if !matches!(topic, "order.created" | "order.updated") {
        return Ok(None);
    }
    let o: WooOrder = serde_json::from_slice(body).map_err(bad)?;
    let id = text_of(&o.id).ok_or_else(|| bad("id: not a number"))?;
    let items = o
        .line_items
        .into_iter()
        .map(|i| (i.name, i.quantity))
        .collect();
    let reference = o.number.map(|n| format!("#{n}"));
    let order = NewOrder::parse("woocommerce", &id, items)
        .and_then(|n| n.with_reference(reference.as_deref()))
        .map_err(bad)?;
    let telegram_id = telegram_id_of(o.meta_data.iter().map(|m| (m.key.as_str(), &m.value)));
    let shipped = o
        .meta_data
        .iter()
        .find(|m| m.key == "_wc_shipment_tracking_items")
        .and_then(|m| m.value.as_array()?.first().cloned())
        .and_then(|t| {
            let s = |k: &str| t.get(k).and_then(text_of);
            tracking(
                s("tracking_provider").or_else(|| s("custom_tracking_provider")),
                s("tracking_number"),
                s("custom_tracking_link"),
            )
        });
    let changes = match o.status.as_str() {
        "processing" => vec![change(Change::Confirmed)],
        "completed" => vec![
            change(Change::Confirmed),
            Update {
                change: Change::Shipped,
                item: None,
                tracking: shipped,
            },
        ],
        "cancelled" | "refunded" => vec![change(Change::Cancelled)],
        _ => vec![],
    };
    Ok(Some(ShopOrder {
        order,
        telegram_id,
        changes,
    }))
}

/// Takes a verified delivery for `endpoint`: records the order once and makes the changes it
/// asks for that are allowed from where the order stands (the others are left: shops deliver
/// out of order and again).
#[tracing::instrument(skip_all, fields(seller = endpoint.seller_id, platform = %endpoint.platform))]
pub async fn receive(
    db: &Db,
    now: DateTime<Utc>,
    endpoint: &Endpoint,
    topic: &str,
    body: &[u8],
) -> ServiceResult<Result<Received, BadPayload>> {
    let t = Tenant {
        seller_id: endpoint.seller_id,
        livemode: endpoint.livemode,
    };
    let parsed = match Platform::parse(&endpoint.platform) {
        Some(Platform::Shopify) => parse_shopify(topic, body),
        Some(Platform::WooCommerce) => parse_woocommerce(topic, body),
        None => Ok(None),
    };
    let shop = match parsed {
        Ok(Some(shop)) => shop,
        Ok(None) => return Ok(Ok(Received::Ignored("a topic other than orders"))),
        Err(e) => return Ok(Err(e)),
    };
    let Some(user) = shop.telegram_id else {
        return Ok(Ok(Received::Ignored("the order has no telegram_id")));
    };
    let contact = match orders::customer(db, now, t, Customer::TelegramUser(user)).await? {
        Ok(c) => c,
        Err(NoCustomer::NeedsStart) => {
            return Ok(Ok(Received::Ignored("the customer never started the bot")));
        }
        Err(NoCustomer::BadUserId | NoCustomer::UnknownContact) => {
            return Ok(Ok(Received::Ignored("the telegram_id is no Telegram user")));
        }
    };
    let (mut order, created) =
        orders::create(db, now, t, &shop.order, contact.id, contact.user_id).await?;
    let mut changes = Vec::new();
    for update in &shop.changes {
        if let Some(Ok(Applied::Changed(after))) =
            orders::apply(db, now, t, order.id, update).await?
        {
            order = after;
            changes.push(update.change);
        }
    }
    Ok(Ok(Received::Order {
        order: Box::new(order),
        created,
        changes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_base64_hmacs_of_the_exact_body() {
        let body = br#"{"id":1}"#;
        let sig = sign("s3cret-s3cret-s3cret", body);
        assert!(verify("s3cret-s3cret-s3cret", body, &sig));
        assert!(!verify("another-secret-here", body, &sig));
        assert!(!verify("s3cret-s3cret-s3cret", br#"{"id": 1}"#, &sig));
        assert!(!verify("s3cret-s3cret-s3cret", body, "not base64!"));
        assert!(!verify("s3cret-s3cret-s3cret", body, ""));
    }

    #[test]
    fn shopify_orders_map_onto_ours() {
        let body = br##"{"id": 820982911946154508, "name": "#1001",
            "line_items": [{"title": "Mug", "quantity": 2}],
            "fulfillments": [{"tracking_company": "UPS", "tracking_number": "1Z999",
                "tracking_url": "https://ups.example/1Z999"}],
            "note_attributes": [{"name": "telegram_id", "value": "4242"}]}"##;
        let o = parse_shopify("orders/fulfilled", body).unwrap().unwrap();
        assert_eq!(o.order.external_id, "820982911946154508");
        assert_eq!(o.order.reference.as_deref(), Some("#1001"));
        assert_eq!(o.telegram_id, Some(4242));
        let last = o.changes.last().unwrap();
        assert_eq!(last.change, Change::Shipped);
        assert_eq!(last.tracking.as_ref().unwrap().carrier, "UPS");
        assert!(parse_shopify("products/create", body).unwrap().is_none());
        assert!(parse_shopify("orders/create", b"{").is_err());
    }

    #[test]
    fn woocommerce_orders_map_onto_ours() {
        let body = br#"{"id": 727, "number": "727", "status": "cancelled",
            "line_items": [{"name": "Tea", "quantity": 1}],
            "meta_data": [{"id": 1, "key": "telegram_id", "value": 77}]}"#;
        let o = parse_woocommerce("order.updated", body).unwrap().unwrap();
        assert_eq!(o.telegram_id, Some(77));
        assert_eq!(o.changes, vec![change(Change::Cancelled)]);
        assert_eq!(Platform::parse("WooCommerce"), Some(Platform::WooCommerce));
        assert!(check_secret("short").is_err());
    }
}
