//! `tollgate-otp-bench`: one-time codes through the API. `--clients` concurrent clients (default
//! 50) each send a code (`POST /api/v1/otp/send`) to a user who started the bot, read it from
//! the emulator's chat as the user would, and verify it (`POST /api/v1/otp/verify`), for
//! `--seconds`; every pair is a fresh user (the per-user cooldown and hourly limit hold back a
//! second code), and each client has its own key (1,000 codes per key an hour). The baseline,
//! in the same run, is the same clients making two authenticated reads per pair
//! (`GET /api/v1/contacts/{id}`): the ratio isolates what a code costs beyond the API's own
//! round trips (a Telegram send to the emulator, the code's row, its hash, the conditional
//! updates and the usage counters). Telegram pacing is off, as in the tests: in production the
//! bot's 30 messages a second bound the send rate first. Beside it, what counting one API call
//! costs: an upsert of the day's usage row per request, or the in-memory meter the app uses.
//! SQLite always, PostgreSQL with `--postgres-url`.
use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use tollgate::{
    domain::TelegramProfile,
    messaging::{
        contacts::{self, Source},
        usage::{self, Metric},
    },
    sandbox::{Harness, HarnessOptions},
    sellers::{api_keys, catalog, tenant::Tenant},
    storage::entities::api_keys as api_keys_table,
};
use tollgate_testkit::ScratchDatabase;

#[derive(clap::Parser, Debug)]
#[command(name = "tollgate-otp-bench", version)]
struct Args {
    /// Concurrent clients, each with its own key.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Seconds each load runs.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Users who started the bot (one per pair; the run stops early when they run out).
    #[arg(long, default_value_t = 6000)]
    users: usize,
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

#[derive(Default)]
struct Load {
    pairs: usize,
    errors: u64,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

async fn run(args: &Args) -> anyhow::Result<()> {
    println!(
        "tollgate-otp-bench: {} clients, {} s per load, {} users",
        args.clients, args.seconds, args.users
    );
    let mut rows = vec![("SQLite", one(None, args).await?)];
    if let Some(server) = &args.postgres_url {
        rows.push(("PostgreSQL", one(Some(server), args).await?));
    }
    println!();
    println!(
        "| backend | OTP pairs/s | pair p50 (ms) | pair p99 (ms) | baseline pairs/s | baseline p99 (ms) | pairs/s ratio | p99 ratio | pairs | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (backend, (otp, base, _)) in &rows {
        println!(
            "| {backend} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.2} | {:.1} | {} | {} |",
            otp.per_sec,
            ms(otp.p50),
            ms(otp.p99),
            base.per_sec,
            ms(base.p99),
            otp.per_sec / base.per_sec.max(1e-9),
            ms(otp.p99) / ms(base.p99).max(1e-9),
            otp.pairs,
            otp.errors + base.errors,
        );
    }
    println!();
    println!("| backend | API call counted by an upsert (µs) | by the meter (µs) |");
    println!("|---|---|---|");
    for (backend, (_, _, c)) in &rows {
        println!(
            "| {backend} | {:.1} | {:.2} |",
            c.upsert.as_secs_f64() * 1e6,
            c.meter.as_secs_f64() * 1e6
        );
    }
    println!(
        "\nreproduce: tollgate-otp-bench --clients {} --seconds {} --users {} [--postgres-url URL]",
        args.clients, args.seconds, args.users
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What counting one API call costs: an upsert of the day's row per request, or a hit on the
/// in-memory meter with one flush for them all (mean per call over `n` sequential calls).
struct Counting {
    upsert: Duration,
    meter: Duration,
}

async fn counting(db: &tollgate::storage::Db, tenant: Tenant) -> anyhow::Result<Counting> {
    let n = 2000u32;
    let now = Utc::now();
    let t = Instant::now();
    for _ in 0..n {
        usage::record(db, tenant, now, Metric::ApiCalls, 1).await?;
    }
    let upsert = t.elapsed() / n;
    let meter = usage::Meter::default();
    let t = Instant::now();
    for _ in 0..n {
        meter.hit(tenant, now);
    }
    meter.flush(db).await?;
    Ok(Counting {
        upsert,
        meter: t.elapsed() / n,
    })
}

async fn one(postgres: Option<&String>, args: &Args) -> anyhow::Result<(Load, Load, Counting)> {
    let dir = std::env::temp_dir().join(format!("tollgate-otp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (url, scratch) = match postgres {
        Some(server) => {
            let db = ScratchDatabase::create(server, "tollgate_otp").await?;
            (db.url.clone(), Some(db))
        }
        None => {
            let path = dir.join("otp.db");
            let _ = std::fs::remove_file(&path);
            (format!("sqlite://{}?mode=rwc", path.display()), None)
        }
    };
    let mut opts = HarnessOptions::new(url);
    opts.admin_group = false;
    opts.stripe = false;
    let harness = Harness::start(opts).await.context("the app")?;
    let ctx = harness.app.ctx.clone();
    let db = &ctx.db;
    let now = Utc::now();

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
    usage::set_limit(db, seller.id, Metric::Otps, Some(i64::MAX / 2)).await?;
    let mut secrets = Vec::new();
    for i in 0..args.clients {
        let api_keys::Created::Key(key, secret) = api_keys::create(
            db,
            now,
            &seller,
            42,
            &format!("bench{i}"),
            api_keys::Mode::Live,
            None,
        )
        .await?
        else {
            anyhow::bail!("no key");
        };
        api_keys_table::Entity::update_many()
            .col_expr(api_keys_table::Column::RateLimit, Expr::value(i32::MAX))
            .filter(api_keys_table::Column::Id.eq(key.id))
            .exec(db)
            .await?;
        secrets.push(secret);
    }
    // Users who started the bot, each known to the emulator.
    let mut users = Vec::with_capacity(args.users);
    for i in 0..args.users {
        let id = harness.add_user(&format!("U{i}"), "en");
        harness.emulator.open_private_chat(id);
        let profile = TelegramProfile {
            id,
            first_name: format!("U{i}"),
            last_name: None,
            username: None,
            language_code: Some("en".into()),
        };
        tollgate::accounts::users::register_start(db, now, &profile, None, None).await?;
        users.push(id);
    }
    let tenant = Tenant {
        seller_id: seller.id,
        livemode: true,
    };
    let (contact, _) = contacts::record(db, now, tenant, users[0], Source::Api).await?;
    let contact_id = contacts::public_id(contact.id);
    let cost = counting(db, tenant).await?;

    let base = format!("http://{}/api/v1", harness.app.http_addr);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let seconds = Duration::from_secs(args.seconds);
    let secrets = Arc::new(secrets);
    let (c, b, k) = (client.clone(), base.clone(), secrets.clone());
    let baseline = load(args.clients, seconds, move |i| {
        let client = c.clone();
        let url = format!("{b}/contacts/{contact_id}");
        let secret = k[i].clone();
        async move {
            for _ in 0..2 {
                let res = client.get(&url).bearer_auth(&secret).send().await?;
                anyhow::ensure!(res.status().is_success(), "{}", res.status());
                res.bytes().await?;
            }
            Ok(())
        }
    })
    .await;
    let next = Arc::new(AtomicUsize::new(0));
    let users = Arc::new(users);
    let emulator = harness.emulator.clone();
    let otp = load(args.clients, seconds, move |i| {
        let client = client.clone();
        let base = base.clone();
        let secret = secrets[i].clone();
        let next = next.clone();
        let users = users.clone();
        let emulator = emulator.clone();
        async move {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let user = *users.get(n).context("out of users")?;
            let sent: serde_json::Value = client
                .post(format!("{base}/otp/send"))
                .bearer_auth(&secret)
                .json(&serde_json::json!({"telegram_user_id": user, "purpose": "login"}))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let id = sent["id"].as_str().context("no id")?.to_owned();
            let message = emulator.bot_messages(user).pop().context("no message")?;
            let code = message
                .body()
                .unwrap_or_default()
                .split(|c: char| !c.is_ascii_digit())
                .find(|w| w.len() == 6)
                .context("no code")?
                .to_owned();
            let verified: serde_json::Value = client
                .post(format!("{base}/otp/verify"))
                .bearer_auth(&secret)
                .json(&serde_json::json!({"id": id, "code": code}))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            anyhow::ensure!(verified["status"] == "verified", "{verified}");
            Ok(())
        }
    })
    .await;
    harness.stop().await?;
    if let Some(s) = scratch {
        s.drop_now().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok((otp, baseline, cost))
}

/// `clients` loops running `pair(client)` for `duration`: pairs a second and percentiles.
async fn load<F, Fut>(clients: usize, duration: Duration, pair: F) -> Load
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + duration;
    let pair = Arc::new(pair);
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let pair = pair.clone();
            tokio::spawn(async move {
                let mut took = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match pair(i).await {
                        Ok(()) => took.push(t.elapsed()),
                        Err(e) if e.to_string() == "out of users" => break,
                        Err(e) => {
                            if errors == 0 {
                                eprintln!("client {i}: {e:#}");
                            }
                            errors += 1;
                        }
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
        pairs: all.len(),
        errors,
        per_sec: all.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}
