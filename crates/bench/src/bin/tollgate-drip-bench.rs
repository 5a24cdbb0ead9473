//! `tollgate-drip-bench`: a drip campaign whose step falls due for `--contacts` enrolled
//! contacts (default 100,000) at the same instant, sent by the app's drip runner against the
//! emulator enforcing an overall ceiling of `--rate-ceiling` messages a second (answering 429
//! past it), the app keeping to the same overall limit.
//!
//! Seeded straight into the database by batched inserts (untimed): one seller, one campaign
//! (paused) with one step carrying a URL button, the contacts' users (and the same people in
//! the emulator, who pressed Start long ago), their contacts and their enrolments, due. At
//! `start` the campaign is resumed, so every enrolment falls due together.
//!
//! Each message's arrival is read on the emulator's live feed. The pace allows the k-th message
//! (k from 0) no earlier than `start + k / ceiling`; its lag beyond the pace is its arrival
//! minus that (0 when it came earlier, which the limiter's burst allows). Reported: p50, p99 and
//! max of that lag, the achieved rate against the ceiling, the time the pace forces
//! (contacts ÷ ceiling) against the time taken, and the 429s. Checked after: every enrolment
//! has exactly one send row, `sent`, and is completed; the emulator saw exactly one step
//! message per person.
//!
//! The baseline, measured in the same run before the drip: the same number of plain bulk
//! sends of a message of the same shape to the same people through the same paced client, as
//! the runner sends (bulk, only while a quarter of the overall burst is left, 32 in flight),
//! without the runner's claims and rows.
//!
//! SQLite always, PostgreSQL with `--postgres-url` (a scratch database, dropped after).
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use sea_orm::ConnectionTrait;
use teloxide::{
    payloads::SendMessageSetters,
    prelude::Requester,
    types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup},
};
use tg_emulator::{Emulator, EmulatorConfig, EmulatorLimits, UserSpec};
use tokio::{sync::broadcast::error::RecvError, task::JoinSet};
use tollgate::{
    messaging::{
        drip_runner,
        drips::{self, Button, NewCampaign, NewStep, Status},
    },
    sandbox::{Harness, HarnessOptions},
    sellers::{catalog, tenant::Tenant},
    storage::{self, Db},
    telegram::RateLimits,
};
use tollgate_testkit::ScratchDatabase;

/// Rows a seeding `INSERT` carries.
const SEED_BATCH: usize = 1000;
/// The longest one phase may take before the run fails.
const TIMEOUT: Duration = Duration::from_secs(3600);
/// The step's text; the baseline's starts differently so the feed tells them apart.
const STEP_TEXT: &str = "Drip: day one of your course. The first lesson is below.";
const BASELINE_TEXT: &str = "Bulk: day one of your course. The first lesson is below.";

/// A drip step due for many contacts at once, against the emulator's ceiling (see
/// BENCHMARKS.md).
#[derive(clap::Parser, Debug)]
#[command(name = "tollgate-drip-bench", version)]
struct Args {
    /// Enrolled contacts whose step falls due at the same instant.
    #[arg(long, default_value_t = 100_000)]
    contacts: usize,
    /// The emulator's overall limit and the app's, messages a second.
    #[arg(long, default_value_t = 1000.0)]
    rate_ceiling: f64,
    /// PostgreSQL to measure on as well (a fresh database is made and dropped).
    #[arg(long, env = "TEST_DATABASE_URL")]
    postgres_url: Option<String>,
    /// Only the backends whose name contains this text (`SQLite`, `PostgreSQL`).
    #[arg(long)]
    only: Option<String>,
    /// Leaves out the baseline of plain bulk sends.
    #[arg(long)]
    no_baseline: bool,
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

/// One paced send-out, as the emulator saw it.
#[derive(Debug, Clone)]
struct Phase {
    messages: usize,
    ceiling: f64,
    /// From the start to the last message's arrival.
    took: Duration,
    /// Each message's lag beyond the pace (0 when it came earlier).
    lags: Vec<Duration>,
    rate_limited: u64,
}

impl Phase {
    fn from_arrivals(
        start: Instant,
        mut arrivals: Vec<Instant>,
        ceiling: f64,
        limited: u64,
    ) -> Self {
        arrivals.sort();
        let lags = arrivals
            .iter()
            .enumerate()
            .map(|(k, at)| {
                let paced = start + Duration::from_secs_f64(k as f64 / ceiling);
                at.saturating_duration_since(paced)
            })
            .collect();
        let took = arrivals
            .last()
            .map_or(Duration::ZERO, |l| l.saturating_duration_since(start));
        Phase {
            messages: arrivals.len(),
            ceiling,
            took,
            lags,
            rate_limited: limited,
        }
    }

    fn paced(&self) -> Duration {
        Duration::from_secs_f64(self.messages as f64 / self.ceiling)
    }

    fn rate(&self) -> f64 {
        self.messages as f64 / self.took.as_secs_f64().max(1e-9)
    }

    fn ratio(&self) -> f64 {
        self.took.as_secs_f64() / self.paced().as_secs_f64().max(1e-9)
    }

    fn lag(&self, q: f64) -> Duration {
        percentile(&self.lags, q).unwrap_or_default()
    }
}

struct DripRun {
    backend: &'static str,
    contacts: usize,
    seeded_in: Duration,
    baseline: Option<Phase>,
    drip: Phase,
    /// Enrolments with exactly one send row, `sent`; people the emulator saw exactly one step
    /// message for.
    sent_once: u64,
    seen_once: u64,
    busy: Option<f64>,
    own: Option<f64>,
}

async fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.contacts > 0, "--contacts must be at least 1");
    anyhow::ensure!(
        args.rate_ceiling >= 1.0 && args.rate_ceiling <= tollgate::config::MAX_BROADCAST_RATE,
        "--rate-ceiling must be from 1 to {}",
        tollgate::config::MAX_BROADCAST_RATE
    );
    println!(
        "tollgate-drip-bench: {} contacts due at once, ceiling {}/s (the runner claims up to {} \
         at a time, {} in flight)",
        args.contacts,
        args.rate_ceiling,
        drip_runner::BATCH,
        drip_runner::IN_FLIGHT
    );
    let wanted = |name: &str| args.only.as_deref().is_none_or(|only| name.contains(only));
    let mut runs = Vec::new();
    if wanted("SQLite") {
        runs.push(one(args, None).await.context("SQLite")?);
    }
    match &args.postgres_url {
        Some(server) if wanted("PostgreSQL") => {
            runs.push(one(args, Some(server)).await.context("PostgreSQL")?)
        }
        Some(_) => {}
        None => println!("PostgreSQL skipped: pass --postgres-url (or TEST_DATABASE_URL)"),
    }
    println!();
    println!(
        "| backend | sends | contacts | ceiling/s | achieved/s | paced time (s) | actual time (s) \
         | ratio | lag p50 (ms) | lag p99 (ms) | lag max (ms) | 429s | sent once | busy | self |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &runs {
        if let Some(b) = &r.baseline {
            println!(
                "{}",
                row(r.backend, "bulk baseline", r.contacts, b, "", None, None)
            );
        }
        let once = format!(
            "{} of {} rows, {} of {} people",
            r.sent_once, r.contacts, r.seen_once, r.contacts
        );
        println!(
            "{}",
            row(
                r.backend,
                "drip runner",
                r.contacts,
                &r.drip,
                &once,
                r.busy,
                r.own
            )
        );
    }
    println!();
    for r in &runs {
        if let Some(b) = &r.baseline {
            println!(
                "{}: drip time ÷ baseline time {:.3}; lag p99 drip {:.0} ms, baseline {:.0} ms",
                r.backend,
                r.drip.took.as_secs_f64() / b.took.as_secs_f64().max(1e-9),
                ms(r.drip.lag(0.99)),
                ms(b.lag(0.99)),
            );
        }
        println!(
            "{}: seeded in {:.1} s",
            r.backend,
            r.seeded_in.as_secs_f64()
        );
    }
    println!(
        "\nreproduce: RUST_LOG=warn tollgate-drip-bench --contacts {} --rate-ceiling {}{} \
         [--postgres-url URL]",
        args.contacts,
        args.rate_ceiling,
        if args.no_baseline {
            " --no-baseline"
        } else {
            ""
        }
    );
    Ok(())
}

fn row(
    backend: &str,
    what: &str,
    contacts: usize,
    p: &Phase,
    once: &str,
    busy: Option<f64>,
    own: Option<f64>,
) -> String {
    format!(
        "| {backend} | {what} | {contacts} | {:.0} | {:.0} | {:.1} | {:.1} | {:.3} | {:.0} | {:.0} \
         | {:.0} | {} | {once} | {} | {} |",
        p.ceiling,
        p.rate(),
        p.paced().as_secs_f64(),
        p.took.as_secs_f64(),
        p.ratio(),
        ms(p.lag(0.50)),
        ms(p.lag(0.99)),
        ms(p.lag(1.0)),
        p.rate_limited,
        percent(busy),
        percent(own),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percent(share: Option<f64>) -> String {
    share.map_or(String::new(), |s| format!("{:.0} %", s * 100.0))
}

/// The value at quantile `q` (0..=1) of `values` (nearest rank), or None when empty.
fn percentile(values: &[Duration], q: f64) -> Option<Duration> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    let rank = ((q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The app's and the emulator's limits: the overall one is the ceiling, the others loose.
fn limits(per_sec: f64) -> (RateLimits, EmulatorLimits) {
    let burst = per_sec.max(1.0).round();
    let app = RateLimits {
        overall_per_sec: per_sec,
        overall_burst: burst,
        chat_per_sec: 100.0,
        chat_burst: 100.0,
        group_per_min: 6000.0,
        group_burst: 100.0,
    };
    let emulator = EmulatorLimits {
        global_per_sec: per_sec,
        global_burst: burst as u32,
        chat_per_sec: 100.0,
        chat_burst: 100,
        group_per_min: 6000.0,
        group_burst: 100,
        ..EmulatorLimits::default()
    };
    (app, emulator)
}

async fn one(args: &Args, postgres: Option<&String>) -> anyhow::Result<DripRun> {
    let backend = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("{backend}: starting");
    let (app_limits, emulator_limits) = limits(args.rate_ceiling);
    let dir = std::env::temp_dir().join(format!(
        "tollgate-drip-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let (url, scratch) = match postgres {
        Some(server) => {
            let db = ScratchDatabase::create(server, "tollgate_drip").await?;
            (db.url.clone(), Some(db))
        }
        None => (
            format!("sqlite://{}?mode=rwc", dir.join("drip.db").display()),
            None,
        ),
    };
    let mut opts = HarnessOptions::new(url);
    opts.stripe = false;
    opts.admin_group = false;
    opts.limits = Some(app_limits);
    opts.broadcast_rate = Some(args.rate_ceiling);
    opts.emulator = EmulatorConfig {
        enforce_rate_limits: true,
        limits: emulator_limits,
        ..EmulatorConfig::default()
    };
    let h = Harness::start(opts).await.context("starting the app")?;
    let result = drive(&h, args, backend).await;
    h.stop().await?;
    if let Some(db) = scratch {
        db.drop_now().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn drive(h: &Harness, args: &Args, backend: &'static str) -> anyhow::Result<DripRun> {
    let ctx = &h.app.ctx;
    let db = &ctx.db;
    let emu = &h.emulator;
    let n = args.contacts;

    // The seller, the campaign (paused while it is seeded) and its one step.
    let now = Utc::now();
    let seller = catalog::register(db, now, 42, "Bench Academy", "bench@example.com").await?;
    let t = Tenant {
        seller_id: seller.id,
        livemode: true,
    };
    let new = NewCampaign::check("Onboarding course", "manual", None, None)
        .map_err(|e| anyhow::anyhow!("campaign: {e}"))?;
    let campaign = drips::create(db, now, t, new)
        .await?
        .map_err(|e| anyhow::anyhow!("campaign: {e}"))?;
    drips::set_status(db, now, t, campaign.id, Status::Paused)
        .await?
        .context("the campaign vanished")?;
    let buttons = vec![Button {
        text: "Open lesson 1".into(),
        url: "https://example.com/lessons/1".into(),
    }];
    let step = NewStep::check(1, STEP_TEXT, None, buttons, None)
        .map_err(|e| anyhow::anyhow!("step: {e}"))?;
    drips::add_step(db, now, &campaign, step)
        .await?
        .map_err(|e| anyhow::anyhow!("step: {e}"))?;

    // The contacts, straight into the emulator and the database, every enrolment due.
    let seeding = Instant::now();
    let users = seed(emu, db, t, campaign.id, n, now)
        .await
        .context("seeding")?;
    let seeded_in = seeding.elapsed();
    println!(
        "{backend}: seeded {n} users, contacts and enrolments in {:.1} s",
        seeded_in.as_secs_f64()
    );

    // Every message the bot sends into the people's chats, as it arrives.
    let mut feed = emu.subscribe();
    let (tx, mut arrivals) = tokio::sync::mpsc::unbounded_channel::<(bool, i64, Instant)>();
    let collector = tokio::spawn(async move {
        loop {
            match feed.recv().await {
                Ok(m) if m.from_bot && !m.edited && m.chat_id > 0 => {
                    let at = Instant::now();
                    let drip = m.body().is_some_and(|b| b.starts_with(STEP_TEXT));
                    if tx.send((drip, m.chat_id, at)).is_err() {
                        return Ok(());
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(k)) => {
                    anyhow::bail!("the bench fell {k} messages behind the live feed")
                }
                Err(RecvError::Closed) => return Ok(()),
            }
        }
    });
    let mut seen: HashMap<(bool, i64), u32> = HashMap::with_capacity(2 * n);
    let mut collect = async |want_drip: bool, start: Instant| -> anyhow::Result<Vec<Instant>> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        let mut times = Vec::with_capacity(n);
        while times.len() < n {
            let got = tokio::time::timeout_at(deadline, arrivals.recv())
                .await
                .map_err(|_| anyhow::anyhow!("{} of {n} messages after {TIMEOUT:?}", times.len()))?
                .context("the live feed ended")?;
            let (drip, chat, at) = got;
            *seen.entry((drip, chat)).or_default() += 1;
            if drip == want_drip && at >= start {
                times.push(at);
            }
        }
        Ok(times)
    };

    // The baseline: plain bulk sends through the same paced client.
    let baseline = if args.no_baseline {
        None
    } else {
        let limited = emu.rate_limited_count();
        let start = Instant::now();
        let sender = tokio::spawn(bulk(ctx.clone(), users.clone()));
        let times = collect(false, start).await.context("baseline")?;
        sender.await??;
        let p = Phase::from_arrivals(
            start,
            times,
            args.rate_ceiling,
            emu.rate_limited_count() - limited,
        );
        println!(
            "{backend}: baseline {} sends in {:.1} s",
            p.messages,
            p.took.as_secs_f64()
        );
        // Both buckets full again before the drip.
        tokio::time::sleep(Duration::from_secs(2)).await;
        Some(p)
    };

    // The drip: resumed at `start`, every enrolment due.
    let limited = emu.rate_limited_count();
    let cpu_start = CpuTimes::now();
    let start = Instant::now();
    drips::set_status(db, Utc::now(), t, campaign.id, Status::Active)
        .await?
        .context("the campaign vanished")?;
    let times = collect(true, start).await.context("drip")?;
    let cpu = cpu_start.zip(CpuTimes::now());
    let drip = Phase::from_arrivals(
        start,
        times,
        args.rate_ceiling,
        emu.rate_limited_count() - limited,
    );
    println!(
        "{backend}: drip {} sends in {:.1} s",
        drip.messages,
        drip.took.as_secs_f64()
    );

    // The runner moves each enrolment on after its send: wait for the last, then check.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let active = scalar(
            db,
            "SELECT COUNT(*) FROM drip_enrollments WHERE campaign_id = $1 AND status = 'active'",
            campaign.id,
        )
        .await?;
        if active == 0 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{active} enrolments still active after the last message"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Anything sent twice would have arrived by now too.
    tokio::time::sleep(Duration::from_secs(1)).await;
    while let Ok((drip, chat, _)) = arrivals.try_recv() {
        *seen.entry((drip, chat)).or_default() += 1;
    }
    collector.abort();
    let sent_once = scalar(
        db,
        "SELECT COUNT(*) FROM (SELECT e.id FROM drip_enrollments e \
         JOIN drip_sends s ON s.enrollment_id = e.id \
         WHERE e.campaign_id = $1 AND e.status = 'completed' \
         GROUP BY e.id HAVING COUNT(*) = 1 AND MIN(s.outcome) = 'sent') once",
        campaign.id,
    )
    .await? as u64;
    let rows = scalar(
        db,
        "SELECT COUNT(*) FROM drip_sends WHERE campaign_id = $1",
        campaign.id,
    )
    .await?;
    let seen_once = users
        .iter()
        .filter(|u| seen.get(&(true, **u)) == Some(&1))
        .count() as u64;
    let drip_messages: u32 = seen
        .iter()
        .filter(|((drip, _), _)| *drip)
        .map(|(_, c)| c)
        .sum();
    anyhow::ensure!(
        sent_once == n as u64 && rows == n as i64,
        "{sent_once} of {n} enrolments have exactly one sent row ({rows} rows)"
    );
    anyhow::ensure!(
        seen_once == n as u64 && drip_messages as usize == n,
        "{seen_once} of {n} people saw the step exactly once ({drip_messages} step messages)"
    );
    Ok(DripRun {
        backend,
        contacts: n,
        seeded_in,
        baseline,
        drip,
        sent_once,
        seen_once,
        busy: cpu.and_then(|(a, b)| a.busy_until(&b)),
        own: cpu.and_then(|(a, b)| a.own_until(&b)),
    })
}

async fn scalar(db: &Db, sql: &str, id: i64) -> anyhow::Result<i64> {
    let rows = storage::query_all(db, sql, vec![id.into()]).await?;
    let row = rows.first().context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// The baseline: one message of the step's shape to each of `users` through the app's paced
/// client, as bulk sends, only while a quarter of the overall burst is left, 32 in flight.
async fn bulk(ctx: tollgate::context::AppCtx, users: Arc<Vec<i64>>) -> anyhow::Result<()> {
    let tg = ctx.tg.for_bulk();
    let url: url::Url = "https://example.com/lessons/1".parse()?;
    let mut inflight: JoinSet<anyhow::Result<()>> = JoinSet::new();
    for &u in users.iter() {
        while !ctx.tg.has_spare_for_bulk(drip_runner::RESERVED_SHARE) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        while inflight.len() >= drip_runner::IN_FLIGHT {
            if let Some(r) = inflight.join_next().await {
                r??;
            }
        }
        let tg = tg.clone();
        let kb = InlineKeyboardMarkup::new(vec![
            vec![InlineKeyboardButton::url("Open lesson 1", url.clone())],
            vec![InlineKeyboardButton::callback(
                "Stop messages from Bench Academy",
                format!("stop:{u}"),
            )],
        ]);
        inflight.spawn(async move {
            let chat = ChatId(u);
            let req = tg.bot().send_message(chat, BASELINE_TEXT).reply_markup(kb);
            tg.send(chat, req)
                .await
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("a baseline send: {e}"))
        });
    }
    while let Some(r) = inflight.join_next().await {
        r??;
    }
    Ok(())
}

/// `n` people who pressed Start long ago, in the emulator and in `users`, each a contact of
/// the seller enrolled in the campaign and due now, by batched inserts. Their ids.
async fn seed(
    emu: &Emulator,
    db: &Db,
    t: Tenant,
    campaign: i64,
    n: usize,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<Arc<Vec<i64>>> {
    let ids: Vec<i64> = (0..n)
        .map(|i| {
            let id = emu.add_user(UserSpec {
                first_name: format!("Learner{i}"),
                language_code: Some("en".into()),
                ..UserSpec::default()
            });
            emu.open_private_chat(id);
            id
        })
        .collect();
    for chunk in ids.chunks(SEED_BATCH) {
        insert(
            db,
            "users (id, first_name, language_code, status, created_at, last_seen_at, credits, \
             banned_notice_sent)",
            chunk,
            |id| {
                vec![
                    id.into(),
                    format!("Learner{id}").into(),
                    Some("en").into(),
                    "active".into(),
                    now.into(),
                    now.into(),
                    0i64.into(),
                    false.into(),
                ]
            },
        )
        .await?;
        insert(
            db,
            "contacts (seller_id, livemode, user_id, source, tags, attributes, created_at, \
             updated_at)",
            chunk,
            |id| {
                vec![
                    t.seller_id.into(),
                    t.livemode.into(),
                    id.into(),
                    "api".into(),
                    "[]".into(),
                    "{}".into(),
                    now.into(),
                    now.into(),
                ]
            },
        )
        .await?;
    }
    storage::query_all(
        db,
        "INSERT INTO drip_enrollments (campaign_id, seller_id, livemode, contact_id, user_id, \
         next_position, next_run_at, status, created_at, updated_at) \
         SELECT $1, seller_id, livemode, id, user_id, 1, $2, 'active', $3, $4 FROM contacts \
         WHERE seller_id = $5 AND livemode = $6",
        vec![
            campaign.into(),
            now.into(),
            now.into(),
            now.into(),
            t.seller_id.into(),
            t.livemode.into(),
        ],
    )
    .await?;
    // As a table grown over time would be, the statistics are up to date.
    db.execute_unprepared("ANALYZE").await?;
    Ok(Arc::new(ids))
}

/// One multi-row `INSERT INTO <table_cols> VALUES …` of `chunk`, each row from `values`.
async fn insert(
    db: &Db,
    table_cols: &str,
    chunk: &[i64],
    values: impl Fn(i64) -> Vec<sea_orm::Value>,
) -> anyhow::Result<()> {
    let mut all: Vec<sea_orm::Value> = Vec::new();
    let mut rows = Vec::with_capacity(chunk.len());
    for &id in chunk {
        let v = values(id);
        rows.push(format!(
            "({})",
            storage::placeholders(all.len() + 1, v.len())
        ));
        all.extend(v);
    }
    storage::query_all(
        db,
        &format!("INSERT INTO {table_cols} VALUES {}", rows.join(", ")),
        all,
    )
    .await?;
    Ok(())
}

/// CPU time since an instant: the machine's (`/proc/stat`) and this process's
/// (`/proc/self/stat`), in clock ticks.
#[derive(Debug, Clone, Copy)]
struct CpuTimes {
    busy: u64,
    total: u64,
    own: u64,
}

impl CpuTimes {
    fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let ticks: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        let total: u64 = ticks.iter().take(8).sum();
        let idle = ticks.get(3)? + ticks.get(4).copied().unwrap_or(0);
        let own_stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let rest = &own_stat[own_stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let own = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Self {
            busy: total - idle,
            total,
            own,
        })
    }

    /// The share of all cores busy from `self` to `later`.
    fn busy_until(&self, later: &Self) -> Option<f64> {
        let total = later.total.checked_sub(self.total)?;
        (total > 0).then(|| (later.busy - self.busy) as f64 / total as f64)
    }

    /// The share of all cores this process used from `self` to `later`.
    fn own_until(&self, later: &Self) -> Option<f64> {
        let total = later.total.checked_sub(self.total)?;
        (total > 0).then(|| (later.own.saturating_sub(self.own)) as f64 / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lag_is_measured_against_the_pace() {
        let start = Instant::now();
        // 10 a second: the pace allows message k at k × 100 ms.
        let arrivals: Vec<Instant> = [0u64, 50, 250, 300, 1400]
            .iter()
            .map(|ms| start + Duration::from_millis(*ms))
            .collect();
        let p = Phase::from_arrivals(start, arrivals, 10.0, 0);
        let lags: Vec<u64> = p.lags.iter().map(|d| d.as_millis() as u64).collect();
        assert_eq!(lags, vec![0, 0, 50, 0, 1000]);
        assert_eq!(p.paced(), Duration::from_millis(500));
        assert_eq!(p.took, Duration::from_millis(1400));
        assert_eq!(p.lag(1.0), Duration::from_millis(1000));
    }
}
