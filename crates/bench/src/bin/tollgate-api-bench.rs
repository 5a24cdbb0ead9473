//! `tollgate-api-bench`: the seller API under load. One seller with `--members` memberships
//! (default 100,000) in one service; `--clients` concurrent clients (default 200) on loopback
//! call `GET /api/v1/services/{id}/members?limit=50` and then `GET /api/v1/stats` for
//! `--seconds` each. The baseline, in the same run and process, is a bare axum handler
//! answering a prepared body of the same size to the same clients. Reported: requests a
//! second, p50 and p99, and the ratio to the baseline. SQLite always, PostgreSQL with
//! `--postgres-url`.
use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
use tollgate::{
    sandbox::{Harness, HarnessOptions},
    sellers::{api_keys, catalog},
    storage::entities::{api_keys as api_keys_table, memberships},
};
use tollgate_testkit::ScratchDatabase;

#[derive(clap::Parser, Debug)]
#[command(name = "tollgate-api-bench", version)]
struct Args {
    /// Memberships of the seller's one service.
    #[arg(long, default_value_t = 100_000)]
    members: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Seconds each endpoint is loaded.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// PostgreSQL to measure on as well (a fresh database is made and dropped).
    #[arg(long, env = "TEST_DATABASE_URL")]
    postgres_url: Option<String>,
}

fn main() -> std::process::ExitCode {
    use clap::Parser;
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
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

struct Load {
    errors: u64,
    rps: f64,
    p50: Duration,
    p99: Duration,
}

struct Row {
    backend: &'static str,
    endpoint: &'static str,
    bytes: usize,
    api: Load,
    bare: Load,
}

async fn run(args: &Args) -> anyhow::Result<()> {
    println!(
        "tollgate-api-bench: {} members, {} clients, {} s per endpoint",
        args.members, args.clients, args.seconds
    );
    let mut rows = one(None, args).await?;
    if let Some(server) = &args.postgres_url {
        rows.extend(one(Some(server), args).await?);
    }
    println!();
    println!(
        "| backend | endpoint | body (bytes) | API req/s | API p50 (ms) | API p99 (ms) | bare req/s | bare p99 (ms) | req/s ratio | p99 ratio | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.2} | {:.1} | {} |",
            r.backend,
            r.endpoint,
            r.bytes,
            r.api.rps,
            ms(r.api.p50),
            ms(r.api.p99),
            r.bare.rps,
            ms(r.bare.p99),
            r.api.rps / r.bare.rps.max(1e-9),
            ms(r.api.p99) / ms(r.bare.p99).max(1e-9),
            r.api.errors + r.bare.errors,
        );
    }
    println!(
        "\nreproduce: tollgate-api-bench --members {} --clients {} --seconds {} [--postgres-url URL]",
        args.members, args.clients, args.seconds
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn one(postgres: Option<&String>, args: &Args) -> anyhow::Result<Vec<Row>> {
    let dir = std::env::temp_dir().join(format!("tollgate-api-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (url, scratch, backend) = match postgres {
        Some(server) => {
            let db = ScratchDatabase::create(server, "tollgate_api").await?;
            (db.url.clone(), Some(db), "PostgreSQL")
        }
        None => {
            let path = dir.join("api.db");
            let _ = std::fs::remove_file(&path);
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                None,
                "SQLite",
            )
        }
    };
    let mut opts = HarnessOptions::new(url);
    opts.admin_group = false;
    opts.stripe = false;
    let harness = Harness::start(opts).await.context("the app")?;
    let ctx = harness.app.ctx.clone();
    let db = &ctx.db;
    let now = Utc::now();

    // One seller, one service, `members` memberships, one key without an hourly limit.
    let seller = catalog::register(db, now, 42, "Bench", "bench@example.com").await?;
    // The bench measures the API, not the Free plan's hourly calls.
    tollgate::sellers::platform::set(
        db,
        now,
        tollgate::sellers::platform::FREE,
        tollgate::sellers::platform::Field::Calls,
        "unlimited",
    )
    .await?
    .map_err(|why| anyhow::anyhow!(why.0))?;
    let chat = harness.emulator.create_channel("Bench VIP");
    let catalog::Connected::New(service) = catalog::connect_chat(
        db,
        now,
        &seller,
        chat,
        catalog::ChatKind::Channel,
        "Bench VIP",
        true,
    )
    .await?
    else {
        anyhow::bail!("the service exists already");
    };
    let api_keys::Created::Key(key, secret) =
        api_keys::create(db, now, &seller, 42, "bench", api_keys::Mode::Live, None).await?
    else {
        anyhow::bail!("no key");
    };
    api_keys_table::Entity::update_many()
        .col_expr(api_keys_table::Column::RateLimit, Expr::value(i32::MAX))
        .filter(api_keys_table::Column::Id.eq(key.id))
        .exec(db)
        .await?;
    seed(db, service.id, seller.id, args.members, now).await?;
    db.execute_unprepared("ANALYZE").await?;

    let base = format!("http://{}", harness.app.http_addr);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let mut rows = Vec::new();
    for (endpoint, path) in [
        (
            "GET /services/{id}/members?limit=50",
            format!("/api/v1/services/{}/members?limit=50", service.id),
        ),
        ("GET /stats", "/api/v1/stats".to_owned()),
    ] {
        let url = format!("{base}{path}");
        let sample = client
            .get(&url)
            .bearer_auth(&secret)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let bare_addr = bare_server(sample.to_vec()).await?;
        let bare_url = format!("http://{bare_addr}{path}");
        let seconds = Duration::from_secs(args.seconds);
        let bare = load(&client, &bare_url, &secret, args.clients, seconds).await;
        let api = load(&client, &url, &secret, args.clients, seconds).await;
        rows.push(Row {
            backend,
            endpoint,
            bytes: sample.len(),
            api,
            bare,
        });
    }
    harness.stop().await?;
    if let Some(s) = scratch {
        s.drop_now().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

/// `members` memberships of one service, written 1,000 to a statement and then copied onto
/// themselves.
async fn seed(
    db: &tollgate::storage::Db,
    service: i64,
    seller: i64,
    members: u64,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    use sea_orm::ActiveValue::Set;
    let block = members.min(1000) as i64;
    let rows: Vec<_> = (1..=block)
        .map(|u| memberships::ActiveModel {
            service_id: Set(service),
            seller_id: Set(seller),
            user_id: Set(u),
            plan_id: Set(None),
            status: Set(if u % 5 == 0 { "expired" } else { "active" }.into()),
            ends_at: Set(Some(now + chrono::Duration::days(u % 30 + 1))),
            remove_at: Set(Some(now + chrono::Duration::days(u % 30 + 1))),
            reminder_stage: Set(0),
            invite_link: Set(None),
            link_issued_at: Set(None),
            joined_at: Set(Some(now)),
            left_at: Set(None),
            whitelisted: Set(false),
            trial_used: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    memberships::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    let target = members as i64;
    let mut have = block;
    let cols = "service_id, seller_id, user_id, plan_id, status, ends_at, remove_at, \
                reminder_stage, invite_link, link_issued_at, joined_at, left_at, whitelisted, \
                trial_used, created_at, updated_at";
    while have < target {
        let take = (target - have).min(have);
        db.execute_unprepared(&format!(
            "INSERT INTO memberships ({cols}) SELECT service_id, seller_id, user_id + {have}, \
             plan_id, status, ends_at, remove_at, reminder_stage, invite_link, link_issued_at, \
             joined_at, left_at, whitelisted, trial_used, created_at, updated_at \
             FROM memberships WHERE user_id <= {take}"
        ))
        .await?;
        have += take;
    }
    Ok(())
}

/// A bare axum server answering `body` as JSON on every path: the floor of the same run.
async fn bare_server(body: Vec<u8>) -> anyhow::Result<SocketAddr> {
    let body = Arc::new(body);
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                (*body).clone(),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

/// `clients` loops calling `url` for `duration`: throughput and latency percentiles.
async fn load(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    clients: usize,
    duration: Duration,
) -> Load {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let client = client.clone();
            let url = url.to_owned();
            let secret = secret.to_owned();
            tokio::spawn(async move {
                let mut took = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let ok = match client.get(&url).bearer_auth(&secret).send().await {
                        Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if ok {
                        took.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (took, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (took, e) = t.await.expect("a client");
        all.extend(took);
        errors += e;
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Load {
        errors,
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}
