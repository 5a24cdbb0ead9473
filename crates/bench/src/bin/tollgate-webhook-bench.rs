//! `tollgate-webhook-bench`: sellers' webhook delivery. `--events` events (default 10,000)
//! spread over `--endpoints` endpoints (default 10), all pointing at a receiver on loopback
//! that checks every signature. Two rounds on the same database kind, each on a fresh
//! database: the baseline, whose receiver answers 200 at once, and the measured round, whose
//! receiver fails the first two tries of every event and which stops the worker half-way and
//! starts a new one on the same database (a restart). Each round checks that every event was
//! delivered, once, in order per endpoint, with a valid signature; the figure is events a
//! second and the ratio of the two rounds. SQLite always, PostgreSQL with `--postgres-url`.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use sha2::Sha256;
use tollgate::{
    clock::{SharedClock, SystemClock},
    config::WebhookConfig,
    jobs::JobRunner,
    metrics::Metrics,
    sellers::webhooks::{self, EventType, NewEndpoint, NewEvent, worker::Worker},
    storage::{self, entities::webhook_deliveries},
};
use tollgate_testkit::ScratchDatabase;

/// Sellers' webhook delivery with a failing receiver and a restart (see BENCHMARKS.md).
#[derive(clap::Parser, Debug)]
#[command(name = "tollgate-webhook-bench", version)]
struct Args {
    /// Events in all.
    #[arg(long, default_value_t = 10_000)]
    events: u64,
    /// Endpoints (one seller each) the events are spread over.
    #[arg(long, default_value_t = 10)]
    endpoints: u64,
    /// `WEBHOOK_RETRY_BASE` of the measured round, in milliseconds.
    #[arg(long, default_value_t = 1)]
    retry_base_ms: u64,
    /// PostgreSQL to measure on as well (fresh databases are made and dropped).
    #[arg(long, env = "TEST_DATABASE_URL")]
    postgres_url: Option<String>,
}

fn main() -> std::process::ExitCode {
    use clap::Parser;
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("the tokio runtime starts");
    match runtime.block_on(run(&args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// What the receiver saw of one endpoint.
#[derive(Default)]
struct Seen {
    /// Requests per event id.
    tries: HashMap<String, u32>,
    /// The `n` of each event answered 200, in the order they were answered.
    accepted: Vec<u64>,
    bad_signatures: u64,
}

struct Receiver {
    secrets: HashMap<String, String>,
    fail_first: u32,
    seen: HashMap<String, Seen>,
}

type Shared = Arc<Mutex<Receiver>>;

async fn receive(
    State(rx): State<Shared>,
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
    let (event_id, signature) = (header("Tollgate-Event-Id"), header("Tollgate-Signature"));
    let mut rx = rx.lock().unwrap();
    let secret = rx.secrets.get(&name).cloned().unwrap_or_default();
    let fail_first = rx.fail_first;
    let seen = rx.seen.entry(name).or_default();
    if !verify(&signature, &body, &secret) {
        seen.bad_signatures += 1;
        return axum::http::StatusCode::BAD_REQUEST;
    }
    let tries = seen.tries.entry(event_id).or_default();
    *tries += 1;
    if *tries <= fail_first {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
    }
    let n = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["data"]["n"].as_u64())
        .unwrap_or(u64::MAX);
    seen.accepted.push(n);
    axum::http::StatusCode::OK
}

/// The receiver's check, from the documented format alone.
fn verify(header: &str, body: &[u8], secret: &str) -> bool {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    v1.contains(&want.as_str())
}

struct Round {
    backend: &'static str,
    name: &'static str,
    elapsed: Duration,
    requests: u64,
}

async fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.endpoints >= 1 && args.events >= args.endpoints,
        "--events ≥ --endpoints ≥ 1"
    );
    println!(
        "tollgate-webhook-bench: {} events over {} endpoints",
        args.events, args.endpoints
    );
    let mut rounds = Vec::new();
    let mut servers: Vec<Option<&String>> = vec![None];
    if let Some(pg) = &args.postgres_url {
        servers.push(Some(pg));
    }
    for server in servers {
        rounds.push(round(args, server, false).await?);
        rounds.push(round(args, server, true).await?);
    }
    println!();
    println!("| backend | round | events | requests | time (s) | events/s | ratio to baseline |");
    println!("|---|---|---|---|---|---|---|");
    for pair in rounds.chunks(2) {
        let base = pair[0].elapsed.as_secs_f64();
        for r in pair {
            println!(
                "| {} | {} | {} | {} | {:.2} | {:.0} | {:.2} |",
                r.backend,
                r.name,
                args.events,
                r.requests,
                r.elapsed.as_secs_f64(),
                args.events as f64 / r.elapsed.as_secs_f64(),
                r.elapsed.as_secs_f64() / base,
            );
        }
    }
    println!(
        "\nreproduce: tollgate-webhook-bench --events {} --endpoints {} --retry-base-ms {} [--postgres-url URL]",
        args.events, args.endpoints, args.retry_base_ms
    );
    Ok(())
}

/// One round on a fresh database: the baseline (`failing` false) or the measured round.
async fn round(args: &Args, server: Option<&String>, failing: bool) -> anyhow::Result<Round> {
    let dir = std::env::temp_dir().join(format!("tollgate-webhooks-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (url, scratch, backend) = match server {
        Some(server) => {
            let db = ScratchDatabase::create(server, "tollgate_webhooks").await?;
            (db.url.clone(), Some(db), "PostgreSQL")
        }
        None => {
            let path = dir.join(format!("webhooks-{failing}.db"));
            let _ = std::fs::remove_file(&path);
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                None,
                "SQLite",
            )
        }
    };
    let db = storage::connect(&url).await.context("the database")?;
    let rx: Shared = Arc::new(Mutex::new(Receiver {
        secrets: HashMap::new(),
        fail_first: if failing { 2 } else { 0 },
        seen: HashMap::new(),
    }));
    let app = Router::new()
        .route("/{name}", post(receive))
        .with_state(rx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server_task = tokio::spawn(async move { axum::serve(listener, app).await });

    // Endpoints (one seller each) and the events, written before the worker starts.
    let now = Utc::now();
    for seller in 1..=args.endpoints as i64 {
        let name = format!("e{seller}");
        let (_, secret) = webhooks::create_endpoint(
            &db,
            now,
            None,
            seller,
            true,
            NewEndpoint {
                url: format!("{base}/{name}"),
                ..NewEndpoint::default()
            },
            true,
        )
        .await?;
        rx.lock().unwrap().secrets.insert(name, secret);
    }
    let per = args.events / args.endpoints;
    let total = per * args.endpoints;
    let events: Vec<NewEvent> = (0..per)
        .flat_map(|n| {
            (1..=args.endpoints as i64).map(move |seller| NewEvent {
                seller_id: seller,
                livemode: true,
                event_type: EventType::AlertPosted,
                data: serde_json::json!({ "n": n }),
            })
        })
        .collect();
    for chunk in events.chunks(1000) {
        let txn = db.begin().await?;
        webhooks::emit_many(&txn, now, chunk.to_vec()).await?;
        txn.commit().await?;
    }

    let clock: SharedClock = Arc::new(SystemClock);
    let config = WebhookConfig {
        allow_local: true,
        retry_base: Duration::from_millis(args.retry_base_ms),
    };
    let jobs = JobRunner::builder().build(db.clone(), clock.clone(), Metrics::default());
    let succeeded = || async {
        webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::Status.eq("succeeded"))
            .count(&db)
            .await
    };
    let started = Instant::now();
    let worker = Worker::new(db.clone(), clock.clone(), config, jobs.clone());
    let (trigger, shutdown) = tollgate::shutdown::channel();
    let mut task = tokio::spawn(worker.run(shutdown));
    if failing {
        // A restart half-way: the worker stops (what is in flight finishes and is recorded)
        // and a new one takes over from the rows.
        while succeeded().await? < total / 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        trigger.fire();
        task.await?;
        let worker = Worker::new(db.clone(), clock.clone(), config, jobs.clone());
        let (again, shutdown) = tollgate::shutdown::channel();
        task = tokio::spawn(worker.run(shutdown));
        while succeeded().await? < total {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        again.fire();
    } else {
        while succeeded().await? < total {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        trigger.fire();
    }
    let elapsed = started.elapsed();
    task.await?;

    // Every event delivered once, in order per endpoint, every signature valid.
    let requests = {
        let rx = rx.lock().unwrap();
        let mut requests = 0;
        for (name, seen) in &rx.seen {
            anyhow::ensure!(seen.bad_signatures == 0, "{name}: bad signatures");
            anyhow::ensure!(
                seen.accepted == (0..per).collect::<Vec<_>>(),
                "{name}: events accepted out of order, lost or doubled"
            );
            requests += seen.tries.values().map(|t| u64::from(*t)).sum::<u64>();
        }
        anyhow::ensure!(
            rx.seen.len() as u64 == args.endpoints,
            "an endpoint got nothing"
        );
        let want = if failing { 3 * total } else { total };
        anyhow::ensure!(requests == want, "{requests} requests, {want} expected");
        requests
    };
    server_task.abort();
    db.close().await?;
    if let Some(s) = scratch {
        s.drop_now().await?;
    }
    let name = if failing {
        "fails twice per event, restart half-way"
    } else {
        "baseline (never fails)"
    };
    println!("{backend}: {name}: {:.2} s", elapsed.as_secs_f64());
    Ok(Round {
        backend,
        name,
        elapsed,
        requests,
    })
}
