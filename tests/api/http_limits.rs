//! The HTTP server's limits, over loopback: stalled headers and bodies are cut off, idle
//! connections cannot starve `/healthz`, oversized webhook bodies get 413.
use std::time::Duration;

use sea_orm::{EntityTrait, PaginatorTrait};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tollgate::{http::ServerLimits, storage::entities::processed_events};

use crate::helpers::{Backend, TestApp, spawn_app_with};

async fn app_with(limits: ServerLimits) -> TestApp {
    spawn_app_with(Backend::Sqlite, |o| o.http = limits)
        .await
        .unwrap()
}

fn short_timeouts() -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..ServerLimits::default()
    }
}

/// Everything the server sends until it closes the connection (None: still open after 15 s).
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&got).into_owned())
}

async fn healthz(app: &TestApp) -> reqwest::StatusCode {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("/healthz answers")
        .status()
}

#[tokio::test]
async fn a_connection_that_stalls_in_its_request_headers_is_closed_by_the_server() {
    let app = app_with(short_timeouts()).await;
    let mut stream = TcpStream::connect(app.h.app.http_addr).await.unwrap();

    stream
        .write_all(b"POST /webhooks/stripe HTTP/1.1\r\nHost: tollgate\r\nContent-Ty")
        .await
        .unwrap();

    let answer = read_until_closed(&mut stream).await;
    assert!(answer.is_some(), "the server kept the stalled connection");
    app.stop().await;
}

#[tokio::test]
async fn a_request_body_that_stalls_is_answered_408_and_nothing_is_stored() {
    let app = app_with(short_timeouts()).await;
    let mut stream = TcpStream::connect(app.h.app.http_addr).await.unwrap();

    stream
        .write_all(
            b"POST /webhooks/stripe HTTP/1.1\r\nHost: tollgate\r\nStripe-Signature: t=1,v1=00\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":",
        )
        .await
        .unwrap();

    let answer = read_until_closed(&mut stream)
        .await
        .expect("the server closes the connection");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("{\"error\":"), "{answer}");
    assert_eq!(stripe_events(&app).await, 0);
    app.stop().await;
}

/// Opens `n` connections that never send anything.
async fn idle_connections(app: &TestApp, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        held.push(TcpStream::connect(app.h.app.http_addr).await.unwrap());
    }
    held
}

#[tokio::test]
async fn healthz_answers_while_one_client_holds_1100_idle_connections() {
    // This process is both the client and the server: 2,200 descriptors and more.
    tollgate::http::raise_open_file_limit().unwrap();
    let app = app_with(ServerLimits::default()).await;
    let held = idle_connections(&app, 1100).await;

    assert_eq!(healthz(&app).await, 200);
    drop(held);
    app.stop().await;
}

#[tokio::test]
async fn connections_above_the_cap_wait_until_idle_ones_are_closed() {
    let app = app_with(ServerLimits {
        max_connections: 32,
        ..short_timeouts()
    })
    .await;
    let held = idle_connections(&app, 64).await;

    assert_eq!(healthz(&app).await, 200);
    drop(held);
    app.stop().await;
}

async fn stripe_events(app: &TestApp) -> u64 {
    processed_events::Entity::find()
        .count(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_oversized_stripe_webhook_gets_413_and_nothing_is_stored() {
    let app = app_with(ServerLimits::default()).await;
    let before = stripe_events(&app).await;
    let huge = format!(
        "{{\"id\":\"evt_1\",\"pad\":\"{}\"}}",
        "x".repeat(300 * 1024)
    );

    let declared = app
        .http
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", "t=1,v1=00")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(declared.status(), 413);
    let body: serde_json::Value = declared.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("262144"),
        "{body}"
    );

    // Chunked, with no length said up front: found while reading.
    let mut stream = TcpStream::connect(app.h.app.http_addr).await.unwrap();
    stream
        .write_all(
            b"POST /webhooks/stripe HTTP/1.1\r\nHost: tollgate\r\nStripe-Signature: t=1,v1=00\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
    for chunk in huge.as_bytes().chunks(16 * 1024) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if stream.write_all(&framed).await.is_err() {
            break; // the server answered and stopped reading
        }
    }
    let answer = read_until_closed(&mut stream).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    assert_eq!(stripe_events(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn an_oversized_telegram_update_gets_413() {
    let app = spawn_app_with(Backend::Sqlite, |o| o.webhook = true)
        .await
        .unwrap();
    let huge = format!("{{\"update_id\":1,\"pad\":\"{}\"}}", "x".repeat(2 << 20));

    let res = app
        .http
        .post(app.url("/webhooks/telegram"))
        .header(
            "x-telegram-bot-api-secret-token",
            tollgate::sandbox::TELEGRAM_WEBHOOK_SECRET,
        )
        .body(huge)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 413);
    app.stop().await;
}
