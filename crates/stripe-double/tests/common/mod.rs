//! Shared test harness: a double plus a webhook receiver that verifies every delivery with
//! async-stripe's `Webhook::construct_event`, exactly as the app does.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use stripe_double::{StripeDouble, StripeDoubleConfig};
use stripe_webhook::{Event, Webhook};

pub const SECRET: &str = "whsec_test_double_secret";
pub const API_KEY: &str = "sk_test_double_key";

/// One webhook POST the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub payload: String,
    pub signature: Option<String>,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn webhook(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let payload = String::from_utf8(body.to_vec()).unwrap();
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    rx.received.lock().unwrap().push(Received {
        payload: payload.clone(),
        signature: signature.clone(),
    });
    match signature {
        Some(sig) if Webhook::construct_event(&payload, &sig, SECRET).is_ok() => StatusCode::OK,
        _ => StatusCode::BAD_REQUEST,
    }
}

pub struct Harness {
    pub double: StripeDouble,
    pub receiver: Receiver,
    pub client: stripe::Client,
}

impl Harness {
    pub async fn start() -> Harness {
        let double = StripeDouble::start(StripeDoubleConfig {
            webhook_secret: SECRET.into(),
            api_key: Some(API_KEY.into()),
            addr: "127.0.0.1:0".parse().unwrap(),
        })
        .await
        .unwrap();
        let receiver = Receiver::default();
        let app = Router::new()
            .route("/webhook", post(webhook))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        double.set_webhook_url(&format!("http://{addr}/webhook"));
        let client = stripe::ClientBuilder::new(API_KEY)
            .url(double.base_url())
            .build()
            .unwrap();
        Harness {
            double,
            receiver,
            client,
        }
    }

    /// The last delivery, parsed by async-stripe as the app would.
    pub fn last_event(&self) -> Event {
        let last = self.receiver.all().pop().expect("a delivery");
        Webhook::construct_event(&last.payload, last.signature.as_deref().unwrap(), SECRET)
            .expect("the delivered event verifies and parses")
    }
}

/// Parse a stored event JSON the way the webhook endpoint would, signing it now.
pub fn parse_event(double: &StripeDouble, event: &serde_json::Value) -> Event {
    let payload = serde_json::to_string(event).unwrap();
    let sig = double.sign(&payload, now());
    Webhook::construct_event(&payload, &sig, SECRET).expect("event parses")
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
