//! A Stripe API test double for the Tollgate integration tests, the sandbox and the benchmark.
//!
//! [`StripeDouble::start`] serves a subset of Stripe's HTTP API under `/v1` (form-encoded
//! requests with Stripe's bracket syntax, idempotency keys, Stripe-shaped errors) in the JSON
//! shapes that async-stripe 1.0 deserializes, plus a tiny hosted "checkout page" at
//! `/pay/{session_id}`. Driver methods ([`StripeDouble::complete_checkout`],
//! [`StripeDouble::refund_payment`], …) change state the way Stripe would and POST the
//! resulting event, signed with Stripe's scheme, to the webhook URL.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use stripe_double::{StripeDouble, StripeDoubleConfig};
//! let double = StripeDouble::start(StripeDoubleConfig {
//!     webhook_secret: "whsec_test".into(),
//!     api_key: Some("sk_test_x".into()),
//!     addr: "127.0.0.1:0".parse().unwrap(),
//! })
//! .await?;
//! double.set_webhook_url("http://127.0.0.1:8080/stripe/webhook");
//! // stripe::ClientBuilder::new("sk_test_x").url(double.base_url()).build()
//! # Ok(()) }
//! ```

#![recursion_limit = "256"]

mod api;
mod billing;
mod driver;
mod error;
mod form;
mod ids;
mod objects;
mod ops;
mod pages;
mod server;
mod signing;
mod store;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::Notify;

pub use error::{DoubleError, StripeFault};

/// The API version the double renders objects and events in (the one async-stripe
/// 1.0.0-rc.10 is generated for, so `construct_event` does not warn about a mismatch).
pub const API_VERSION: &str = "2026-09-30.endive";

/// How to start a [`StripeDouble`].
#[derive(Debug, Clone)]
pub struct StripeDoubleConfig {
    /// The endpoint signing secret, `whsec_…`.
    pub webhook_secret: String,
    /// When `Some`, every `/v1` request must carry `Authorization: Bearer <key>`, otherwise
    /// 401 in Stripe's error shape (HTTP basic auth is not supported).
    pub api_key: Option<String>,
    /// Where to listen, usually `127.0.0.1:0`.
    pub addr: SocketAddr,
}

impl Default for StripeDoubleConfig {
    fn default() -> Self {
        Self {
            webhook_secret: "whsec_test_secret".into(),
            api_key: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// One API request the double received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// The path, e.g. `/v1/checkout/sessions`.
    pub path: String,
    /// The decoded query string and form body (POST, DELETE), nested as Stripe reads it.
    pub params: Value,
    pub idempotency_key: Option<String>,
    /// The HTTP status the double answered.
    pub status: u16,
}

/// One attempt to POST an event to the webhook URL.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    /// The status the app answered, `None` when the connection failed.
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// An event a driver action produced and the HTTP status the app answered when it was
/// posted (0 when no webhook URL is set: the event is then only stored).
#[derive(Debug, Clone)]
pub struct Delivered {
    pub event: Value,
    pub status: u16,
}

impl Delivered {
    /// The event id, `evt_…`.
    pub fn event_id(&self) -> &str {
        self.event["id"].as_str().unwrap_or_default()
    }
}

pub(crate) struct Inner {
    cfg: StripeDoubleConfig,
    base_url: String,
    store: Mutex<store::Store>,
    http: reqwest::Client,
    shutdown: Notify,
}

/// A running Stripe test double. Cheap to clone; all clones share the same state.
#[derive(Clone)]
pub struct StripeDouble {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for StripeDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeDouble")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

impl StripeDouble {
    /// Bind `cfg.addr` and serve the API in a background task.
    pub async fn start(cfg: StripeDoubleConfig) -> std::io::Result<StripeDouble> {
        let listener = tokio::net::TcpListener::bind(cfg.addr).await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(std::io::Error::other)?;
        let mut store = store::Store::default();
        store.auto_deliver = true;
        let double = StripeDouble {
            inner: Arc::new(Inner {
                cfg,
                base_url: format!("http://{addr}/"),
                store: Mutex::new(store),
                http,
                shutdown: Notify::new(),
            }),
        };
        server::spawn(double.clone(), listener);
        Ok(double)
    }

    /// `http://127.0.0.1:PORT/`; give it to `stripe::ClientBuilder::url`.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// The endpoint secret events are signed with.
    pub fn webhook_secret(&self) -> &str {
        &self.inner.cfg.webhook_secret
    }

    /// Where events are POSTed.
    pub fn set_webhook_url(&self, url: &str) {
        self.lock().webhook_url = Some(url.to_string());
    }

    /// Whether events caused by API requests (an off-session PaymentIntent succeeding or being
    /// declined, a refund or an expiry made through the API) are also POSTed to the webhook URL,
    /// in the background, as Stripe would. On by default; they are stored either way.
    pub fn set_auto_deliver(&self, on: bool) {
        self.lock().auto_deliver = on;
    }

    /// Serve a second Stripe account: requests with `secret_key` are accepted (besides the
    /// platform's key), and the events about what they create are posted to `webhook_url`
    /// signed with `webhook_secret` instead of the platform's endpoint. Models a seller who
    /// brings their own Stripe account.
    pub fn add_account(&self, secret_key: &str, webhook_url: Option<&str>, webhook_secret: &str) {
        self.lock().accounts.insert(
            secret_key.to_string(),
            store::AccountHook {
                webhook_url: webhook_url.map(str::to_string),
                webhook_secret: webhook_secret.to_string(),
            },
        );
    }

    /// A Connect account (`acct_…`) of the platform, for destination charges; `GET
    /// /v1/accounts/{id}` returns it.
    pub fn add_connected_account(&self, id: &str, charges_enabled: bool) {
        self.lock().put(serde_json::json!({
            "id": id,
            "object": "account",
            "type": "express",
            "charges_enabled": charges_enabled,
            "payouts_enabled": charges_enabled,
            "details_submitted": charges_enabled,
            "country": "US",
            "default_currency": "usd",
            "created": ids::now(),
            "metadata": {},
        }));
    }

    /// Stop serving (in-flight requests finish).
    pub fn shutdown(&self) {
        self.inner.shutdown.notify_one();
    }

    /// `t=<timestamp>,v1=<hmac>` for `payload`, with this double's webhook secret.
    pub fn sign(&self, payload: &str, timestamp: i64) -> String {
        signing::signature_header(&self.inner.cfg.webhook_secret, payload, timestamp)
    }

    /// Stripe's `Stripe-Signature` header for `payload` signed with `secret` at `timestamp`.
    pub fn signature_header(secret: &str, payload: &str, timestamp: i64) -> String {
        signing::signature_header(secret, payload, timestamp)
    }

    /// Make the next `times` API requests whose path starts with `path_prefix` (with or
    /// without the `/v1` prefix, e.g. `"/v1/checkout/sessions"` or `"/payment_intents"`) fail.
    /// Injected failures are not stored under idempotency keys, so a retry with the same key
    /// can succeed.
    pub fn fail_next(&self, path_prefix: &str, error: StripeFault, times: u32) {
        self.lock().faults.push(store::FaultRule {
            path_prefix: path_prefix.to_string(),
            fault: error,
            remaining: times,
        });
    }

    /// Every API request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Every webhook delivery attempt so far, oldest first.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.lock().deliveries.clone()
    }

    /// Any stored object by id (`cus_…`, `cs_test_…`, `pi_…`, `evt_…`, …).
    pub fn object(&self, id: &str) -> Option<Value> {
        self.lock().get(id).cloned()
    }

    pub fn event(&self, event_id: &str) -> Option<Value> {
        self.lock().get_kind("event", event_id).cloned()
    }

    /// All events, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.list("event")
    }

    /// The newest event that `wanted` accepts (without copying the others).
    pub fn last_event(&self, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        self.lock().find_last("event", wanted)
    }

    /// Events of one type (`"checkout.session.completed"`), oldest first.
    pub fn events_of_type(&self, event_type: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["type"].as_str() == Some(event_type))
            .collect()
    }

    pub fn checkout_session(&self, id: &str) -> Option<Value> {
        self.lock().get_kind("checkout.session", id).cloned()
    }

    pub fn checkout_sessions(&self) -> Vec<Value> {
        self.list("checkout.session")
    }

    pub fn customers(&self) -> Vec<Value> {
        self.list("customer")
    }

    pub fn products(&self) -> Vec<Value> {
        self.list("product")
    }

    pub fn prices(&self) -> Vec<Value> {
        self.list("price")
    }

    pub fn payment_intents(&self) -> Vec<Value> {
        self.list("payment_intent")
    }

    pub fn charges(&self) -> Vec<Value> {
        self.list("charge")
    }

    pub fn refunds(&self) -> Vec<Value> {
        self.list("refund")
    }

    pub fn disputes(&self) -> Vec<Value> {
        self.list("dispute")
    }

    pub fn subscriptions(&self) -> Vec<Value> {
        self.list("subscription")
    }

    pub fn invoices(&self) -> Vec<Value> {
        self.list("invoice")
    }

    pub fn coupons(&self) -> Vec<Value> {
        self.list("coupon")
    }

    pub fn portal_sessions(&self) -> Vec<Value> {
        self.list("billing_portal.session")
    }

    fn list(&self, kind: &str) -> Vec<Value> {
        self.lock().list(kind)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, store::Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
