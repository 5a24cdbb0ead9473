//! `tollgate-bench --broadcast`: a broadcast to many recipients against the emulator enforcing
//! a configured ceiling, and what it does to the paid relay meanwhile.
//!
//! The emulator answers 429 past `--rate-ceiling` messages a second overall; the app keeps to
//! the same overall limit and sends campaigns at `BROADCAST_RATE` = the ceiling. Recipients
//! are seeded straight into the database (batched inserts) and the emulator (people who
//! pressed Start long ago); the campaign is made by `campaigns::create`, as the control center
//! makes it, and sent by the app's runner. Reported: the achieved rate against the ceiling,
//! the 429s the emulator answered, the process's resident memory (before, after and the peak
//! sampled meanwhile), and the p95 latency from a user's message to its `copyMessage` into the
//! admin group for `--active-users` people writing during the broadcast, against a round of
//! the same traffic without a broadcast measured just before it.
//!
//! The emulator runs in the same process; it keeps no record of what the bot sends into
//! private chats here ([`Emulator::keep_private_sends`]), so the memory measured is the app's
//! (and the emulator's per-request work), not a transcript of 100,000 messages.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use tg_emulator::{Emulator, EmulatorConfig, EmulatorLimits, UserSpec};
use tokio::sync::broadcast::error::RecvError;

use tollgate::{
    accounts::credits::{self, Movement, Reason},
    delivery::campaigns::{self, Audience, CampaignMessage, CampaignStatus, NewCampaign},
    sandbox::{Harness, HarnessOptions},
    services::settings,
    storage::{self, Db},
    telegram::RateLimits,
};
use tollgate_testkit::ScratchDatabase;

use crate::{BenchArgs, throughput::CpuTimes};

/// Rows a seeding `INSERT` carries.
const SEED_BATCH: usize = 1000;
/// How often the bench reads the campaign's counters and the process's memory.
const SAMPLE: Duration = Duration::from_millis(100);
/// How long one active user waits between two messages.
const MESSAGE_PERIOD: Duration = Duration::from_millis(500);
/// How long after the broadcast's start the relay traffic begins (so it runs in the thick of
/// the broadcast, not during its first claim).
const RELAY_DELAY: Duration = Duration::from_secs(2);
/// The longest a broadcast or a relay round may take before the run fails.
const TIMEOUT: Duration = Duration::from_secs(1800);

/// The app's and the emulator's limits for a run with overall ceiling `per_sec`: everything
/// but the overall limit loose enough (100 a second into one chat or group) that the relay's
/// latency measures the broadcast's effect, not Telegram's pacing of one admin group.
pub fn limits(per_sec: f64) -> (RateLimits, EmulatorLimits) {
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

/// The value at quantile `q` (0..=1) of `values` (nearest rank), or None when empty.
pub fn percentile(values: &[Duration], q: f64) -> Option<Duration> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    let rank = ((q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The `VmRSS` line of a `/proc/<pid>/status` text, in bytes.
pub fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The process's resident memory now, in bytes (0 where /proc is missing).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| parse_rss(&s))
        .unwrap_or(0)
}

fn percent(share: Option<f64>) -> String {
    share.map_or("?".into(), |s| format!("{:.0} %", s * 100.0))
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// What one backend's run measured.
pub struct BroadcastRun {
    pub backend: &'static str,
    pub recipients: u64,
    pub ceiling: f64,
    pub seeded_in: Duration,
    pub sent: u64,
    pub took: Duration,
    pub rate_limited: u64,
    pub rss_before: u64,
    pub rss_after: u64,
    pub rss_peak: u64,
    pub relay_messages: usize,
    pub p95_alone: Duration,
    pub p95_during: Duration,
    /// Relay messages sent while the broadcast was still running.
    pub relay_overlap: f64,
    /// The share of the machine's cores in use during the broadcast, and this process's part.
    pub busy: Option<f64>,
    pub own: Option<f64>,
}

impl BroadcastRun {
    pub fn rate(&self) -> f64 {
        self.sent as f64 / self.took.as_secs_f64().max(1e-9)
    }

    pub fn rate_ratio(&self) -> f64 {
        self.rate() / self.ceiling
    }

    pub fn p95_ratio(&self) -> f64 {
        self.p95_during.as_secs_f64() / self.p95_alone.as_secs_f64().max(1e-9)
    }

    pub fn growth(&self) -> i64 {
        self.rss_after as i64 - self.rss_before as i64
    }

    pub fn peak_growth(&self) -> i64 {
        self.rss_peak as i64 - self.rss_before as i64
    }
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.recipients > 0, "--recipients must be at least 1");
    anyhow::ensure!(args.active_users > 0, "--active-users must be at least 1");
    anyhow::ensure!(
        args.rate_ceiling >= 1.0 && args.rate_ceiling <= tollgate::config::MAX_BROADCAST_RATE,
        "--rate-ceiling must be from 1 to {}",
        tollgate::config::MAX_BROADCAST_RATE
    );
    if std::env::var_os("RUST_LOG").is_none() {
        eprintln!("note: RUST_LOG is not set, so the app logs at info; RUST_LOG=warn is quieter");
    }
    println!(
        "tollgate-bench --broadcast: {} recipients at a ceiling of {}/s; {} active users write \
         every {} ms for {} s, alone and during the broadcast",
        args.recipients,
        args.rate_ceiling,
        args.active_users,
        MESSAGE_PERIOD.as_millis(),
        args.relay_seconds
    );
    let wanted = |name: &str| args.only.as_deref().is_none_or(|only| name.contains(only));
    let mut runs = Vec::new();
    if wanted("SQLite") {
        runs.push(one(args, false).await.context("SQLite")?);
    }
    if args.postgres_url.is_some() {
        if wanted("PostgreSQL") {
            runs.push(one(args, true).await.context("PostgreSQL")?);
        }
    } else {
        println!(
            "!!! PostgreSQL SKIPPED: set TEST_DATABASE_URL (or pass --postgres-url) to a \
             PostgreSQL server to measure it too !!!"
        );
    }
    println!();
    print!("{}", render_table(&runs));
    println!(
        "reproduce: RUST_LOG=warn tollgate-bench --broadcast --recipients {} --rate-ceiling {} \
         --active-users {} --relay-seconds {}",
        args.recipients, args.rate_ceiling, args.active_users, args.relay_seconds
    );
    Ok(())
}

pub fn render_table(runs: &[BroadcastRun]) -> String {
    let mut out = String::from(
        "| backend | recipients | ceiling/s | achieved/s | ratio | 429s | RSS before (MiB) | \
         growth after (MiB) | peak growth (MiB) | relay p95 alone (ms) | relay p95 during (ms) \
         | p95 ratio | relay messages during | busy | self | seeded in (s) |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in runs {
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.3} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | \
             {:.2} | {} ({:.0} % while it ran) | {} | {} | {:.1} |\n",
            r.backend,
            r.recipients,
            r.ceiling,
            r.rate(),
            r.rate_ratio(),
            r.rate_limited,
            mib(r.rss_before as i64),
            mib(r.growth()),
            mib(r.peak_growth()),
            r.p95_alone.as_secs_f64() * 1000.0,
            r.p95_during.as_secs_f64() * 1000.0,
            r.p95_ratio(),
            r.relay_messages,
            r.relay_overlap * 100.0,
            percent(r.busy),
            percent(r.own),
            r.seeded_in.as_secs_f64(),
        ));
    }
    out
}

async fn one(args: &BenchArgs, postgres: bool) -> anyhow::Result<BroadcastRun> {
    let (app_limits, emulator_limits) = limits(args.rate_ceiling);
    let dir = std::env::temp_dir().join(format!(
        "tollgate-broadcast-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let (url, scratch) = match (postgres, &args.postgres_url) {
        (true, Some(server)) => {
            let db = ScratchDatabase::create(server, "tollgate_broadcast").await?;
            (db.url.clone(), Some(db))
        }
        _ => (
            format!("sqlite://{}?mode=rwc", dir.join("broadcast.db").display()),
            None,
        ),
    };
    let mut opts = HarnessOptions::new(url);
    opts.stripe = false;
    opts.limits = Some(app_limits);
    opts.broadcast_rate = Some(args.rate_ceiling);
    opts.emulator = EmulatorConfig {
        enforce_rate_limits: true,
        limits: emulator_limits,
        server_threads: args.emulator_threads.map(usize::from),
        ..EmulatorConfig::default()
    };
    let h = Harness::start(opts).await.context("starting the app")?;
    let result = drive(&h, args, postgres).await;
    h.stop().await?;
    if let Some(db) = scratch {
        db.drop_now().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn drive(h: &Harness, args: &BenchArgs, postgres: bool) -> anyhow::Result<BroadcastRun> {
    let ctx = &h.app.ctx;
    let emu = &h.emulator;
    let admin = h.admin_chat_id.context("the harness has an admin group")?;
    for (key, value) in [("low_credit_threshold", "0"), ("message_cost", "1")] {
        settings::set_from_text(&ctx.db, ctx.now(), key, value)
            .await?
            .map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
    }

    // The active users: /start, credits for both rounds, a first message opening their topic.
    let per_round = relay_messages_per_user(args);
    let active: Vec<i64> = (0..args.active_users)
        .map(|i| h.add_user(&format!("Active{i}"), "en"))
        .collect();
    for &u in &active {
        emu.send_text(u, u, "/start")?;
    }
    for &u in &active {
        emu.wait_for_bot_messages(u, 1, Duration::from_secs(60))
            .await
            .map_err(|e| anyhow::anyhow!("user {u} was never welcomed: {e}"))?;
        let grant = Movement::new(u, (2 * per_round + 10) as i64, Reason::AdminGrant);
        credits::grant(&ctx.db, ctx.now(), &grant).await?;
    }
    let first = relay_round(emu, admin, &active, 1, Duration::ZERO)
        .await
        .context("first messages (topics)")?;
    anyhow::ensure!(first.latencies.len() == active.len());

    // The recipients, straight into the emulator and the database.
    let seeding = Instant::now();
    let recipients = seed(emu, &ctx.db, args.recipients, ctx.now())
        .await
        .context("seeding recipients")?;
    let seeded_in = seeding.elapsed();
    emu.keep_private_sends(false);

    // The relay alone.
    let alone = relay_round(emu, admin, &active, per_round, MESSAGE_PERIOD)
        .await
        .context("relay without a broadcast")?;
    let p95_alone = percentile(&alone.latencies, 0.95).context("no relay latencies")?;

    // The broadcast, with the same relay traffic in its midst.
    let limited_before = emu.rate_limited_count();
    let rss_before = rss();
    let peak = Arc::new(Mutex::new(rss_before));
    let campaign = campaigns::create(
        &ctx.db,
        ctx.now(),
        NewCampaign {
            message: CampaignMessage::text("Spring news: the team answers on weekends now."),
            gift: None,
            audience: Audience::All,
            created_by: h.operator_id.unwrap_or(0),
            run_at: None,
            progress_message: None,
        },
    )
    .await
    .context("creating the campaign")?;
    let created = Instant::now();
    let cpu_start = CpuTimes::now();
    anyhow::ensure!(
        campaign.status == CampaignStatus::Running,
        "the campaign is {}",
        campaign.status
    );
    let total = campaign.counters.total;
    anyhow::ensure!(
        total == recipients + active.len() as u64,
        "the campaign has {total} recipients, expected {}",
        recipients + active.len() as u64
    );
    let finished = wait_for_campaign(&ctx.db, campaign.id, &peak);
    let relay = async {
        tokio::time::sleep(RELAY_DELAY).await;
        relay_round(emu, admin, &active, per_round, MESSAGE_PERIOD).await
    };
    let (finished, during) = tokio::join!(finished, relay);
    let (done_at, sent) = finished?;
    let during = during.context("relay during the broadcast")?;
    let took = done_at - created;
    let cpu = cpu_start.zip(CpuTimes::now());
    let rss_after = rss();
    let rss_peak = (*peak.lock().expect("peak")).max(rss_after);
    let p95_during = percentile(&during.latencies, 0.95).context("no relay latencies")?;
    let overlap = during.sent_at.iter().filter(|at| **at < done_at).count() as f64
        / during.sent_at.len().max(1) as f64;
    anyhow::ensure!(
        sent == total,
        "{sent} of {total} deliveries were sent (the rest failed or are unreachable)"
    );
    Ok(BroadcastRun {
        backend: if postgres { "PostgreSQL" } else { "SQLite" },
        recipients: total,
        ceiling: args.rate_ceiling,
        seeded_in,
        sent,
        took,
        rate_limited: emu.rate_limited_count() - limited_before,
        rss_before,
        rss_after,
        rss_peak,
        relay_messages: during.latencies.len(),
        p95_alone,
        p95_during,
        relay_overlap: overlap,
        busy: cpu.and_then(|(then, now)| then.busy_until(&now)),
        own: cpu.and_then(|(then, now)| then.own_until(&now)),
    })
}

/// Messages each active user sends in one relay round.
pub fn relay_messages_per_user(args: &BenchArgs) -> usize {
    ((args.relay_seconds * 1000) / MESSAGE_PERIOD.as_millis() as u64).max(1) as usize
}

/// `n` people who pressed Start long ago: in the emulator (the bot may write to them) and in
/// `users`, by batched inserts. Returns how many.
async fn seed(
    emu: &Emulator,
    db: &Db,
    n: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<u64> {
    let ids: Vec<i64> = (0..n)
        .map(|i| {
            let id = emu.add_user(UserSpec {
                first_name: format!("Reader{i}"),
                ..UserSpec::default()
            });
            emu.open_private_chat(id);
            id
        })
        .collect();
    for chunk in ids.chunks(SEED_BATCH) {
        const COLUMNS: usize = 8;
        let rows = (0..chunk.len())
            .map(|r| format!("({})", storage::placeholders(r * COLUMNS + 1, COLUMNS)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * COLUMNS);
        for &id in chunk {
            values.extend([
                id.into(),
                format!("Reader{id}").into(),
                Some("en").into(),
                "active".into(),
                now.into(),
                now.into(),
                0i64.into(),
                false.into(),
            ]);
        }
        storage::query_all(
            db,
            &format!(
                "INSERT INTO users (id, first_name, language_code, status, created_at, \
                 last_seen_at, credits, banned_notice_sent) VALUES {rows}"
            ),
            values,
        )
        .await?;
    }
    Ok(n as u64)
}

/// Waits until the campaign is done, sampling the process's memory into `peak`; returns
/// when it was seen done and how many deliveries were sent.
async fn wait_for_campaign(db: &Db, id: i64, peak: &Mutex<u64>) -> anyhow::Result<(Instant, u64)> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        {
            let now = rss();
            let mut p = peak.lock().expect("peak");
            *p = (*p).max(now);
        }
        let c = campaigns::find(db, id)
            .await?
            .context("the campaign vanished")?;
        if c.status.is_final() {
            return Ok((Instant::now(), c.counters.sent));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the campaign is still {} after {TIMEOUT:?}: {:?}",
            c.status,
            c.counters
        );
        tokio::time::sleep(SAMPLE).await;
    }
}

/// One relay round's timings.
struct RelayRound {
    /// From each message to its copy in the admin group.
    latencies: Vec<Duration>,
    /// When each message was sent.
    sent_at: Vec<Instant>,
}

/// Every active user sends `per_user` messages, one every `period` (the users staggered
/// evenly within it); returns each message's time from its update to its copy in the admin
/// group (read on the emulator's live feed).
async fn relay_round(
    emu: &Emulator,
    admin: i64,
    users: &[i64],
    per_user: usize,
    period: Duration,
) -> anyhow::Result<RelayRound> {
    let mut rx = emu.subscribe();
    let expected = users.len() * per_user;
    let collector = tokio::spawn(async move {
        let mut arrived: HashMap<(i64, i32), Instant> = HashMap::with_capacity(expected);
        while arrived.len() < expected {
            match rx.recv().await {
                Ok(m) if m.chat_id == admin && m.from_bot && !m.edited => {
                    if let Some(origin) = m.copied_from {
                        arrived.entry(origin).or_insert_with(Instant::now);
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => {
                    anyhow::bail!("the bench fell {n} messages behind the live feed")
                }
                Err(RecvError::Closed) => anyhow::bail!("the emulator stopped"),
            }
        }
        Ok(arrived)
    });
    let mut sent: HashMap<(i64, i32), Instant> = HashMap::with_capacity(expected);
    let step = period / users.len().max(1) as u32;
    let start = tokio::time::Instant::now();
    let mut k = 0u32;
    for i in 0..per_user {
        for &u in users {
            tokio::time::sleep_until(start + step * k).await;
            k += 1;
            let at = Instant::now();
            let id = emu.send_text(u, u, &format!("question {i} from {u}"))?;
            sent.insert((u, id), at);
        }
    }
    let arrived = tokio::time::timeout(TIMEOUT, collector)
        .await
        .map_err(|_| anyhow::anyhow!("relay copies missing after {TIMEOUT:?}"))???;
    let mut latencies = Vec::with_capacity(expected);
    let mut sent_at = Vec::with_capacity(expected);
    for (key, at) in &sent {
        let copy = arrived
            .get(key)
            .with_context(|| format!("message {key:?} has no copy in the admin group"))?;
        latencies.push(copy.saturating_duration_since(*at));
        sent_at.push(*at);
    }
    Ok(RelayRound { latencies, sent_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_p95_is_the_nearest_rank() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 0.95), Some(Duration::from_millis(95)));
        assert_eq!(percentile(&ms[..1], 0.95), Some(Duration::from_millis(1)));
        assert_eq!(percentile(&[], 0.95), None);
    }

    #[test]
    fn resident_memory_is_read_from_proc_status() {
        let status = "Name:\tbench\nVmPeak:\t  300 kB\nVmRSS:\t   2048 kB\nThreads:\t4\n";
        assert_eq!(parse_rss(status), Some(2 * 1024 * 1024));
        assert_eq!(parse_rss("Name: x\n"), None);
        assert!(rss() > 0, "this process has resident memory");
    }

    #[test]
    fn only_the_overall_limit_is_the_ceiling() {
        let (app, emulator) = limits(2000.0);
        assert_eq!(app.overall_per_sec, 2000.0);
        assert_eq!(emulator.global_per_sec, 2000.0);
        assert_eq!(app.overall_burst, f64::from(emulator.global_burst));
        assert!(app.chat_per_sec >= 100.0 && emulator.group_per_min >= 6000.0);
    }
}
