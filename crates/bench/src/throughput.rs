//! `tollgate-bench`: updates per second of the `/start` flow and of the paid support relay
//! against the in-process Telegram emulator, and signed Stripe `checkout.session.completed`
//! webhooks per second, next to a bare teloxide echo bot measured on the same kind of emulator
//! in the same run. Machines are noisy, so the figure to read is the ratio against that in-run
//! baseline; see BENCHMARKS.md.
use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};
use tollgate::billing::orders::OrderStatus;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use stripe_double::{DoubleError, StripeDouble};
use teloxide::{dispatching::ShutdownToken, prelude::*};
use tg_emulator::{Emulator, EmulatorConfig, Recorded, UserSpec};
use tokio::sync::broadcast::{self, error::RecvError};

use tollgate::{
    bot::Reply,
    i18n::Locale,
    sandbox::{Harness, HarnessOptions, STRIPE_WEBHOOK_SECRET},
    {
        accounts::credits::{self, Movement, Reason},
        accounts::tiers,
        accounts::users,
        billing::orders,
        services::settings,
    },
};
use tollgate_testkit::{HarnessExt, ScratchDatabase};

use crate::{
    BenchArgs,
    phases::{self as timeline, Occupancy, PhaseLog},
};

/// Users in the unmeasured warm-up round of every scenario.
const WARMUP_USERS: usize = 50;
/// How long one user's reply may take before the round is declared failed.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
/// Plain messages each user sends in one measured relay round.
pub const RELAY_MESSAGES_PER_USER: usize = 5;
/// How long all copies of one relay phase may take before the round is declared failed.
const RELAY_TIMEOUT: Duration = Duration::from_secs(180);
/// Webhook deliveries in flight at once in a measured Stripe round (one HTTP client each).
pub const STRIPE_IN_FLIGHT: usize = 16;
/// What each Stripe bench user buys, and the command that buys it with a card.
const STRIPE_PRODUCT: &str = "pack10";
const STRIPE_BUY_COMMAND: &str = "/buy10";
/// The Stripe event the ingest scenario posts.
const CHECKOUT_COMPLETED: &str = "checkout.session.completed";
/// How long all webhooks of one round may take before the round is declared failed.
const STRIPE_TIMEOUT: Duration = Duration::from_secs(180);
/// How long a round waits for the Telegram confirmations of its payments after the last
/// webhook was answered.
const CONFIRMATION_TIMEOUT: Duration = Duration::from_secs(60);

/// One scenario's result: updates per second of every measured round.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioResult {
    pub name: String,
    pub updates: usize,
    pub rounds: Vec<f64>,
    /// How busy the machine's cores were during each measured round (0–1), where the system
    /// says ([`CpuTimes`]).
    pub busy: Vec<f64>,
    /// The part of `busy` that was this process's (the rest: the PostgreSQL server, others).
    pub own: Vec<f64>,
}

/// The machine's CPU time so far (all cores, in clock ticks), from `/proc/stat`, and this
/// process's (the bench, the app and the emulators; not the PostgreSQL server) from
/// `/proc/self/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    pub busy: u64,
    pub total: u64,
    pub own: u64,
}

impl CpuTimes {
    /// Now, or `None` where the system does not say (not Linux).
    pub fn now() -> Option<Self> {
        let mut times = Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)?;
        times.own = Self::parse_own(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
        Some(times)
    }

    /// utime + stime of a `/proc/<pid>/stat` line (fields 14 and 15; the command name in
    /// parentheses may hold spaces, so fields are counted after its closing parenthesis).
    pub fn parse_own(stat: &str) -> Option<u64> {
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (state).
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(utime + stime)
    }

    /// The aggregate `cpu` line of `/proc/stat`: user nice system idle iowait irq softirq
    /// steal…; idle and iowait count as not busy.
    pub fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let ticks: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        // guest and guest_nice are already counted in user and nice.
        let total: u64 = ticks.iter().take(8).sum();
        let idle = ticks.get(3)? + ticks.get(4).copied().unwrap_or(0);
        Some(Self {
            busy: total - idle,
            total,
            own: 0,
        })
    }

    /// The busy share of the cores between `self` and `later` (None if no tick passed).
    pub fn busy_until(&self, later: &Self) -> Option<f64> {
        self.share_until(later, later.busy.saturating_sub(self.busy))
    }

    /// The share of the cores this process used between `self` and `later`.
    pub fn own_until(&self, later: &Self) -> Option<f64> {
        self.share_until(later, later.own.saturating_sub(self.own))
    }

    /// `ticks` as a share of all the cores' ticks between `self` and `later`.
    fn share_until(&self, later: &Self, ticks: u64) -> Option<f64> {
        let total = later.total.checked_sub(self.total)?;
        (total > 0).then(|| ticks as f64 / total as f64)
    }
}

/// A measured stretch: wall time and, where the system says, how busy the cores were.
struct Stopwatch<'a> {
    started: Instant,
    cpu: Option<CpuTimes>,
    /// `perf`'s control FIFO, enabled for the stretch (`--perf-control`).
    perf: Option<&'a Path>,
}

/// Tells `perf` (its `--control` FIFO) to start or stop sampling; a profile that can't be
/// steered is not worth failing a bench run for, so a failed write is only reported.
fn perf_control(fifo: Option<&Path>, command: &str) {
    if let Some(fifo) = fifo
        && let Err(e) = std::fs::write(fifo, format!("{command}\n"))
    {
        eprintln!("  perf control {}: {e}", fifo.display());
    }
}

/// A measured round's rate (per second), busy share of the cores, and the part of it that
/// was this process's.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_second: f64,
    pub busy: Option<f64>,
    pub own: Option<f64>,
    /// When the measured stretch started and ended.
    pub window: (Instant, Instant),
}

impl<'a> Stopwatch<'a> {
    fn start(perf: Option<&'a Path>) -> Self {
        perf_control(perf, "enable");
        Self {
            cpu: CpuTimes::now(),
            started: Instant::now(),
            perf,
        }
    }

    /// `count` things done since the start.
    fn rate(&self, count: usize) -> Rate {
        let ended = Instant::now();
        let elapsed = ended - self.started;
        perf_control(self.perf, "disable");
        let cpu = self.cpu.zip(CpuTimes::now());
        Rate {
            window: (self.started, ended),
            per_second: count as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE),
            busy: cpu.and_then(|(then, now)| then.busy_until(&now)),
            own: cpu.and_then(|(then, now)| then.own_until(&now)),
        }
    }
}

impl ScenarioResult {
    pub fn median(&self) -> f64 {
        median(&self.rounds)
    }
}

/// The median of the values (the mean of the middle two for an even count; 0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// `value / baseline`, or 0 when the baseline is not a positive number.
pub fn ratio(value: f64, baseline: f64) -> f64 {
    if baseline > 0.0 {
        value / baseline
    } else {
        0.0
    }
}

/// A ratio with two decimals, or four when it is small enough that two would read as 0.
pub fn format_ratio(r: f64) -> String {
    if r >= 0.1 {
        format!("{r:.2}")
    } else {
        format!("{r:.4}")
    }
}

/// The shape of a relay round for `--updates`: `(users, messages per user)`, at most
/// [`RELAY_MESSAGES_PER_USER`] messages each and at least `updates` messages in all.
pub fn relay_shape(updates: usize) -> (usize, usize) {
    let per_user = RELAY_MESSAGES_PER_USER.min(updates).max(1);
    (updates.div_ceil(per_user).max(1), per_user)
}

/// Credits to grant a relay user so that the primer plus `per_user` messages at `cost` each
/// never take the balance down to `threshold` (no low-credit note in the measured round).
pub fn relay_grant(per_user: usize, cost: i64, threshold: i64) -> i64 {
    let messages = i64::try_from(per_user)
        .unwrap_or(i64::MAX)
        .saturating_add(1);
    cost.max(0)
        .saturating_mul(messages)
        .saturating_add(threshold.max(0))
        .saturating_add(1)
}

/// The median of a scenario's per-round ratios against the baseline's rounds: round `i` of
/// the scenario ran right after round `i` of the baseline, so both met the same machine.
pub fn paired_ratio(rounds: &[f64], baseline: &[f64]) -> f64 {
    let ratios: Vec<f64> = rounds
        .iter()
        .zip(baseline)
        .map(|(&r, &b)| ratio(r, b))
        .collect();
    median(&ratios)
}

/// The `--phases` table: per relay scenario, the share of its measured time with at least one
/// span of each phase open (they overlap, so the shares add up to more than 100 %), and with
/// none: the handlers' own work, parsing, dispatch, and waiting for the cores.
pub fn render_phases(split: &[(&str, Occupancy)]) -> String {
    let mut out = String::from(
        "where the relay rounds' time goes: share of the measured time with at least one … in \
         flight (they overlap)\n",
    );
    out.push_str(&format!("{:<34}", "scenario"));
    for (_, heading) in RELAY_PHASES {
        out.push_str(&format!(" {heading:>12}"));
    }
    out.push_str(&format!(" {:>14}\n", "none of these"));
    for (name, o) in split {
        out.push_str(&format!("{name:<34}"));
        for (_, time) in &o.by_phase {
            out.push_str(&format!(" {:>11.0}%", o.share(*time) * 100.0));
        }
        out.push_str(&format!(" {:>13.0}%\n", o.share(o.none) * 100.0));
    }
    out
}

/// The results table; ratios are against the first row (the echo baseline): the ratio of the
/// medians, and the paired ratio ([`paired_ratio`]); "busy" is the median share of the cores
/// in use during the measured rounds (all processes: the database server's too), "self" the
/// part of it that was this process's.
pub fn render_table(results: &[ScenarioResult]) -> String {
    let (baseline, baseline_rounds) = results
        .first()
        .map_or((0.0, &[][..]), |b| (b.median(), &b.rounds[..]));
    let mut out = format!(
        "{:<36}{:>8}{:>12}{:>16}{:>8}{:>7}{:>7}   rounds (updates/s)\n",
        "scenario", "updates", "median/s", "ratio vs echo", "paired", "busy", "self"
    );
    for r in results {
        let median = r.median();
        let rounds: Vec<String> = r.rounds.iter().map(|v| format!("{v:.1}")).collect();
        let share = |v: &[f64]| {
            if v.is_empty() {
                "—".to_owned()
            } else {
                format!("{:.0}%", self::median(v) * 100.0)
            }
        };
        out.push_str(&format!(
            "{:<36}{:>8}{:>12.1}{:>16}{:>8}{:>7}{:>7}   {}\n",
            r.name,
            r.updates,
            median,
            format_ratio(ratio(median, baseline)),
            format_ratio(paired_ratio(&r.rounds, baseline_rounds)),
            share(&r.busy),
            share(&r.own),
            rounds.join(", ")
        ));
    }
    out
}

/// The command line that repeats this run; a password in the PostgreSQL URL is masked.
pub fn reproduce_command(args: &BenchArgs) -> String {
    let mut cmd = String::from("RUST_LOG=warn ");
    if let Some(url) = &args.postgres_url {
        let shown = match url::Url::parse(url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => url.clone(),
        };
        cmd.push_str(&format!("TEST_DATABASE_URL={shown} "));
    }
    cmd.push_str(&format!(
        "tollgate-bench --updates {} --rounds {}",
        args.updates, args.rounds
    ));
    if let Some(only) = &args.only {
        cmd.push_str(&format!(" --only '{only}'"));
    }
    if args.phases {
        cmd.push_str(" --phases");
    }
    if let Some(threads) = args.emulator_threads {
        cmd.push_str(&format!(" --emulator-threads {threads}"));
    }
    cmd
}

/// What a scenario measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Echo,
    Start,
    Relay,
    Stripe,
    Renewals,
}

/// Where a scenario's app keeps its data, kept until the scenario stops.
enum Store {
    None,
    Sqlite(TempDir),
    Postgres(ScratchDatabase),
}

/// A scenario between its rounds: its app (or the echo bot) stays up, so that the rounds of
/// all scenarios can take turns.
enum Live {
    Echo {
        emu: Emulator,
        token: ShutdownToken,
        task: tokio::task::JoinHandle<()>,
    },
    Start {
        harness: Harness,
    },
    Relay {
        harness: Harness,
        admin: i64,
        copies: usize,
    },
    Stripe {
        harness: Harness,
        client: reqwest::Client,
    },
    Renewals {
        harness: Harness,
        client: reqwest::Client,
        shop: Box<RenewalShop>,
    },
}

/// A started scenario and its rounds so far.
struct Running {
    name: &'static str,
    live: Live,
    store: Store,
    next_user: usize,
    rates: Vec<Rate>,
}

impl Running {
    /// Starts the scenario and runs its unmeasured warm-up round.
    async fn start(
        kind: Kind,
        name: &'static str,
        store: Store,
        args: &BenchArgs,
    ) -> anyhow::Result<Self> {
        let url = match &store {
            Store::None => String::new(),
            Store::Sqlite(dir) => format!("sqlite://{}?mode=rwc", dir.0.join("bench.db").display()),
            Store::Postgres(scratch) => scratch.url.clone(),
        };
        let live = match kind {
            Kind::Echo => {
                let emu = Emulator::start(emulator_config(args))
                    .await
                    .context("starting the Telegram emulator")?;
                let bot = Bot::new(emu.token()).set_api_url(emu.api_url().parse()?);
                let handler =
                    Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
                        bot.send_message(msg.chat.id, msg.text().unwrap_or_default())
                            .await?;
                        respond(())
                    });
                let mut dispatcher = Dispatcher::builder(bot, handler).build();
                let token = dispatcher.shutdown_token();
                let task = tokio::spawn(async move { dispatcher.dispatch().await });
                Live::Echo { emu, token, task }
            }
            Kind::Start => Live::Start {
                harness: Harness::start(HarnessOptions {
                    stripe: false,
                    emulator: emulator_config(args),
                    ..HarnessOptions::new(url)
                })
                .await
                .context("starting the app")?,
            },
            Kind::Relay => {
                let harness = Harness::start(HarnessOptions {
                    stripe: false,
                    admin_group: true,
                    emulator: emulator_config(args),
                    ..HarnessOptions::new(url)
                })
                .await
                .context("starting the app")?;
                let admin = harness
                    .admin_chat_id
                    .context("the harness has no admin group")?;
                let (count, per_user) = relay_shape(args.updates);
                println!("  {name}: {count} users x {per_user} messages a round");
                Live::Relay {
                    harness,
                    admin,
                    copies: 0,
                }
            }
            Kind::Stripe => {
                let harness = Harness::start(HarnessOptions {
                    emulator: emulator_config(args),
                    ..HarnessOptions::new(url)
                })
                .await
                .context("starting the app")?;
                let client = reqwest::Client::builder()
                    .no_proxy()
                    .pool_max_idle_per_host(STRIPE_IN_FLIGHT)
                    .timeout(REPLY_TIMEOUT)
                    .build()
                    .context("building the webhook client")?;
                println!(
                    "  {name}: {} events a round, {STRIPE_IN_FLIGHT} in flight",
                    args.updates
                );
                Live::Stripe { harness, client }
            }
            Kind::Renewals => {
                let harness = Harness::start(HarnessOptions {
                    emulator: emulator_config(args),
                    ..HarnessOptions::new(url)
                })
                .await
                .context("starting the app")?;
                let client = reqwest::Client::builder()
                    .no_proxy()
                    .pool_max_idle_per_host(STRIPE_IN_FLIGHT)
                    .timeout(REPLY_TIMEOUT)
                    .build()
                    .context("building the webhook client")?;
                let shop = Box::new(renewal_shop(&harness).await.context("the seller's shop")?);
                println!(
                    "  {name}: {} renewals a round, {STRIPE_IN_FLIGHT} in flight",
                    args.updates
                );
                Live::Renewals {
                    harness,
                    client,
                    shop,
                }
            }
        };
        let mut running = Self {
            name,
            live,
            store,
            next_user: 0,
            rates: Vec::with_capacity(args.rounds),
        };
        let warmed = running.round(true, args).await;
        if let Err(e) = warmed {
            running.stop().await;
            return Err(e.context("warm-up round"));
        }
        Ok(running)
    }

    /// One round (the small warm-up or a measured one); returns its rate.
    async fn round(&mut self, warm_up: bool, args: &BenchArgs) -> anyhow::Result<Rate> {
        let size = if warm_up { WARMUP_USERS } else { args.updates };
        let next_user = &mut self.next_user;
        let perf = args
            .perf_control
            .as_deref()
            .filter(|_| !warm_up && !matches!(self.live, Live::Echo { .. }));
        match &mut self.live {
            Live::Echo { emu, .. } => round(emu, size, "hello", self.name, next_user, None).await,
            Live::Start { harness } => {
                round(
                    &harness.emulator,
                    size,
                    "/start",
                    self.name,
                    next_user,
                    perf,
                )
                .await
            }
            Live::Relay {
                harness,
                admin,
                copies,
            } => {
                let (users, per_user) = relay_shape(args.updates);
                let users = if warm_up { WARMUP_USERS } else { users };
                relay_round(harness, *admin, (users, per_user), next_user, copies, perf).await
            }
            Live::Stripe { harness, client } => {
                let stripe = harness
                    .stripe
                    .as_ref()
                    .context("the harness has no Stripe double")?;
                stripe_round(harness, stripe, client, size, next_user, perf).await
            }
            Live::Renewals {
                harness,
                client,
                shop,
            } => {
                let stripe = harness
                    .stripe
                    .as_ref()
                    .context("the harness has no Stripe double")?;
                renewal_round(harness, stripe, client, shop, size, next_user, perf).await
            }
        }
    }

    /// Stops the app (or the echo bot) and drops its data.
    async fn stop(self) {
        match self.live {
            Live::Echo { emu, token, task } => {
                stop_dispatcher(&token).await;
                let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
                emu.shutdown();
            }
            Live::Start { harness }
            | Live::Relay { harness, .. }
            | Live::Stripe { harness, .. }
            | Live::Renewals { harness, .. } => {
                if let Err(e) = harness.stop().await {
                    eprintln!("  {}: stopping the app: {e:#}", self.name);
                }
            }
        }
        if let Store::Postgres(scratch) = self.store
            && let Err(e) = scratch.drop_now().await
        {
            eprintln!("  {}: dropping the scratch database: {e:#}", self.name);
        }
    }

    /// Its measured rounds' wall time, split by the relay's phases (its own app's, where a
    /// span says whose it is).
    fn occupancy(&self, log: &PhaseLog) -> Occupancy {
        let phases = RELAY_PHASES.map(|(p, _)| p);
        let scope = match &self.live {
            Live::Relay { harness, .. } => harness
                .emulator
                .api_url()
                .parse()
                .ok()
                .map(|url| timeline::scope_of(&url)),
            _ => None,
        };
        let mut sum = Occupancy::new(&phases);
        for rate in &self.rates {
            let (from, to) = rate.window;
            sum.add(&timeline::occupancy(
                &phases,
                &log.overlapping(from, to, scope),
                from,
                to,
            ));
        }
        sum
    }

    fn unit(&self) -> &'static str {
        match self.live {
            Live::Stripe { .. } | Live::Renewals { .. } => "events/s",
            _ => "updates/s",
        }
    }

    fn result(&self, args: &BenchArgs) -> ScenarioResult {
        let updates = match self.live {
            Live::Relay { .. } => {
                let (count, per_user) = relay_shape(args.updates);
                count * per_user
            }
            _ => args.updates,
        };
        ScenarioResult {
            name: self.name.to_owned(),
            updates,
            rounds: self.rates.iter().map(|r| r.per_second).collect(),
            busy: self.rates.iter().filter_map(|r| r.busy).collect(),
            own: self.rates.iter().filter_map(|r| r.own).collect(),
        }
    }
}

/// The phases the `--phases` table splits a relay round's wall time by, with their headings.
const RELAY_PHASES: [(&str, &str); 3] = [
    (timeline::POLL, "getUpdates"),
    (timeline::GATE, "gate batch"),
    (timeline::COPY, "copyMessage"),
];

/// `phases`: the log of the app's phase spans, when `--phases` installed one.
pub async fn run(args: BenchArgs, phases: Option<PhaseLog>) -> anyhow::Result<()> {
    if args.backlog {
        return crate::backlog::run(&args).await;
    }
    if args.broadcast {
        return crate::broadcast::run(&args).await;
    }
    anyhow::ensure!(args.updates > 0, "--updates must be at least 1");
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if std::env::var_os("RUST_LOG").is_none() {
        eprintln!("note: RUST_LOG is not set, so the app logs at info; RUST_LOG=warn is quieter");
    }
    println!(
        "tollgate-bench: {} updates x {} rounds per scenario, {cores} cores; the scenarios take \
         turns round by round",
        args.updates, args.rounds
    );

    // Each scenario on SQLite, then on a scratch PostgreSQL database when one is given.
    let scenarios: [(&'static str, &'static str, Kind); 4] = [
        (
            "tollgate /start (SQLite)",
            "tollgate /start (PostgreSQL)",
            Kind::Start,
        ),
        (
            "tollgate relay (SQLite)",
            "tollgate relay (PostgreSQL)",
            Kind::Relay,
        ),
        (
            "stripe webhook ingest (SQLite)",
            "stripe webhook ingest (PostgreSQL)",
            Kind::Stripe,
        ),
        (
            "stripe renewal ingest (SQLite)",
            "stripe renewal ingest (PostgreSQL)",
            Kind::Renewals,
        ),
    ];
    let wanted = |name: &str| args.only.as_deref().is_none_or(|only| name.contains(only));
    let mut plan = vec![(Kind::Echo, ECHO, false)];
    for (on_sqlite, on_postgres, kind) in scenarios {
        if wanted(on_sqlite) {
            plan.push((kind, on_sqlite, false));
        }
        if wanted(on_postgres) && args.postgres_url.is_some() {
            plan.push((kind, on_postgres, true));
        }
    }

    let mut running: Vec<Running> = Vec::with_capacity(plan.len());
    let outcome = measure(&args, &plan, &mut running).await;
    let split: Vec<(&str, Occupancy)> = match &phases {
        Some(log) => running
            .iter()
            .filter(|r| matches!(r.live, Live::Relay { .. }))
            .map(|r| (r.name, r.occupancy(log)))
            .collect(),
        None => Vec::new(),
    };
    for scenario in running.drain(..).rev() {
        scenario.stop().await;
    }
    let results = outcome?;
    if args.postgres_url.is_none() {
        println!(
            "!!! PostgreSQL SKIPPED: set TEST_DATABASE_URL (or pass --postgres-url) to a \
             PostgreSQL server to measure it too !!!"
        );
    }

    println!();
    print!("{}", render_table(&results));
    println!();
    if !split.is_empty() {
        println!();
        print!("{}", render_phases(&split));
    } else if args.phases {
        println!();
        println!("--phases: no relay scenario ran, so there is no split to show");
    }
    println!("machine: {cores} cores (std::thread::available_parallelism)");
    println!("reproduce: {}", reproduce_command(&args));
    println!(
        "Absolute numbers move with the machine's load; compare the ratios against the echo row \
         (paired: the median of each round against the echo round just before it)."
    );
    Ok(())
}

/// The baseline's name (the first row of the table).
const ECHO: &str = "echo (bare teloxide)";

/// Starts every scenario of the plan (into `running`, so the caller stops them whatever
/// happens), then runs the rounds in turns: echo, then each scenario, round after round, so a
/// slow spell of the machine hits the baseline and the scenarios alike.
async fn measure(
    args: &BenchArgs,
    plan: &[(Kind, &'static str, bool)],
    running: &mut Vec<Running>,
) -> anyhow::Result<Vec<ScenarioResult>> {
    for &(kind, name, on_postgres) in plan {
        let store = match (kind, on_postgres) {
            (Kind::Echo, _) => Store::None,
            (_, false) => Store::Sqlite(TempDir::create()?),
            (_, true) => {
                let server = args
                    .postgres_url
                    .as_deref()
                    .context("no PostgreSQL server")?;
                Store::Postgres(
                    ScratchDatabase::create(server, "tollgate_bench")
                        .await
                        .context("creating a scratch PostgreSQL database")?,
                )
            }
        };
        running.push(
            Running::start(kind, name, store, args)
                .await
                .context(name)?,
        );
    }
    for i in 1..=args.rounds {
        for scenario in running.iter_mut() {
            let rate = scenario
                .round(false, args)
                .await
                .with_context(|| format!("{}: round {i}", scenario.name))?;
            let busy = match (rate.busy, rate.own) {
                (Some(b), Some(o)) => format!(
                    ", cores {:.0}% busy ({:.0}% this process, {:.0}% others)",
                    b * 100.0,
                    o * 100.0,
                    (b - o).max(0.0) * 100.0
                ),
                _ => String::new(),
            };
            println!(
                "  {}: round {i}/{}: {:.1} {}{busy}",
                scenario.name,
                args.rounds,
                rate.per_second,
                scenario.unit()
            );
            scenario.rates.push(rate);
        }
    }
    Ok(running.iter().map(|r| r.result(args)).collect())
}

/// Runs one round: `updates` new users, each sends `text` in their private chat; timed from the
/// first send to the last bot reply. Returns updates per second.
async fn round(
    emu: &Emulator,
    updates: usize,
    text: &str,
    label: &str,
    first_user: &mut usize,
    perf: Option<&Path>,
) -> anyhow::Result<Rate> {
    let users: Vec<i64> = (0..updates)
        .map(|i| {
            let n = *first_user + i;
            emu.add_user(UserSpec {
                first_name: format!("Bench{n}"),
                username: Some(format!("bench_user_{n}")),
                language_code: Some("en".into()),
                ..UserSpec::default()
            })
        })
        .collect();
    *first_user += updates;

    let rx = emu.subscribe();
    let stopwatch = Stopwatch::start(perf);
    for &user in &users {
        emu.send_text(user, user, text)
            .with_context(|| format!("{label}: user {user} could not send"))?;
    }
    wait_for_replies(emu, rx, &users)
        .await
        .with_context(|| label.to_owned())?;
    Ok(stopwatch.rate(updates))
}

/// The emulator every scenario talks to, served as `--emulator-threads` asks.
fn emulator_config(args: &BenchArgs) -> EmulatorConfig {
    EmulatorConfig {
        server_threads: args.emulator_threads.map(usize::from),
        ..EmulatorConfig::default()
    }
}

/// Waits until the bot has written to each of `users`, on a feed subscribed before they wrote:
/// a set lookup a message, so the wait costs next to nothing beside what it measures (and the
/// same for every scenario). If the feed falls behind, asks the emulator chat by chat.
async fn wait_for_replies(
    emu: &Emulator,
    rx: broadcast::Receiver<Arc<Recorded>>,
    users: &[i64],
) -> anyhow::Result<()> {
    let mut waiting: HashSet<i64> = users.iter().copied().collect();
    if waiting.is_empty() {
        return Ok(());
    }
    let replied = |m: &Recorded| {
        waiting.remove(&m.chat_id);
        waiting.is_empty()
    };
    let ask_each = async {
        for &user in users {
            emu.wait_for_bot_messages(user, 1, REPLY_TIMEOUT)
                .await
                .map_err(|e| anyhow::anyhow!("no reply to user {user}: {e}"))?;
        }
        Ok(())
    };
    tokio::time::timeout(RELAY_TIMEOUT, follow_feed(rx, replied, ask_each))
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "some of {} users had no reply within {RELAY_TIMEOUT:?}",
                users.len()
            )
        })?
}

/// Reads the emulator's live feed (every bot message once) until `done` says that was the last
/// one it waited for. If the feed fell behind, `catch_up` finishes the wait another way.
async fn follow_feed(
    mut rx: broadcast::Receiver<Arc<Recorded>>,
    mut done: impl FnMut(&Recorded) -> bool,
    catch_up: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    loop {
        match rx.recv().await {
            Ok(m) if done(&m) => return Ok(()),
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => {
                tracing::warn!("bench: the live feed lagged; asking the emulator instead");
                return catch_up.await;
            }
            Err(RecvError::Closed) => anyhow::bail!("the emulator stopped"),
        }
    }
}

/// Stops the dispatcher; it may still be starting, in which case the token says so: retry.
async fn stop_dispatcher(token: &ShutdownToken) {
    for _ in 0..100 {
        match token.shutdown() {
            Ok(done) => {
                let _ = tokio::time::timeout(Duration::from_secs(15), done).await;
                return;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// One relay round's users after the unmeasured setup.
struct RelayUser {
    id: i64,
    cost: i64,
    balance: i64,
}

/// Copies of user messages the bot has made in the admin group so far.
fn copies_in(emu: &Emulator, admin: i64) -> usize {
    emu.bot_messages(admin)
        .iter()
        .filter(|m| m.copied_from.is_some())
        .count()
}

fn is_copy_into(m: &Recorded, admin: i64) -> bool {
    m.chat_id == admin && m.from_bot && m.copied_from.is_some() && !m.edited
}

/// Waits for `expected` new copies into the admin group on a receiver subscribed before the
/// messages were sent. The live feed costs O(1) a message; only if the receiver falls behind
/// does it fall back to counting the whole chat (`known` copies existed before).
async fn wait_for_copies(
    emu: &Emulator,
    rx: broadcast::Receiver<Arc<Recorded>>,
    admin: i64,
    known: usize,
    expected: usize,
) -> anyhow::Result<()> {
    let mut seen = 0;
    let copied = |m: &Recorded| {
        if is_copy_into(m, admin) {
            seen += 1;
        }
        seen >= expected
    };
    let count_chat = async {
        while copies_in(emu, admin) < known + expected {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    };
    let wait = async {
        if expected == 0 {
            return Ok(());
        }
        follow_feed(rx, copied, count_chat).await
    };
    tokio::time::timeout(RELAY_TIMEOUT, wait)
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "{} of {expected} copies reached the admin group within {RELAY_TIMEOUT:?}",
                copies_in(emu, admin).saturating_sub(known)
            )
        })?
}

/// Checks (outside the timer) that the admin group holds exactly `expected` copies.
fn check_copies(emu: &Emulator, admin: i64, expected: usize, what: &str) -> anyhow::Result<()> {
    let found = copies_in(emu, admin);
    anyhow::ensure!(
        found == expected,
        "{what}: the admin group holds {found} copies, expected {expected}"
    );
    Ok(())
}

/// Unmeasured setup of a relay round: `count` new users, each `/start`ed (welcome received),
/// granted enough credits and with one message relayed, so each has a forum topic.
/// `count` new emulated people (named `{prefix}{n}`, numbered on from `first_user`), each of
/// whom sends `/start`. Setup for a round, before its timer.
fn start_users(
    emu: &Emulator,
    prefix: &str,
    username: &str,
    count: usize,
    first_user: &mut usize,
) -> anyhow::Result<Vec<i64>> {
    let ids: Vec<i64> = (0..count)
        .map(|i| {
            let n = *first_user + i;
            emu.add_user(UserSpec {
                first_name: format!("{prefix}{n}"),
                username: Some(format!("{username}_{n}")),
                language_code: Some("en".into()),
                ..UserSpec::default()
            })
        })
        .collect();
    *first_user += count;
    for &id in &ids {
        emu.send_text(id, id, "/start")
            .with_context(|| format!("user {id} could not send /start"))?;
    }
    Ok(ids)
}

async fn relay_setup(
    harness: &Harness,
    admin: i64,
    count: usize,
    per_user: usize,
    first_user: &mut usize,
    copies: &mut usize,
) -> anyhow::Result<Vec<RelayUser>> {
    let emu = &harness.emulator;
    let db = &harness.app.ctx.db;
    let ids = start_users(emu, "Relay", "relay_user", count, first_user)?;
    for &id in &ids {
        emu.wait_for_bot_messages(id, 1, REPLY_TIMEOUT)
            .await
            .map_err(|e| anyhow::anyhow!("no welcome for user {id}: {e}"))?;
    }

    let threshold = settings::get(db, &settings::LOW_CREDIT_THRESHOLD).await?;
    let mut costs = Vec::with_capacity(ids.len());
    for &id in &ids {
        let user = users::find(db, id)
            .await?
            .with_context(|| format!("user {id} has no row after /start"))?;
        let cost = tiers::of_user(db, &user).await?.message_cost;
        let grant = Movement::new(
            id,
            relay_grant(per_user, cost, threshold),
            Reason::AdminGrant,
        );
        credits::grant(db, harness.app.ctx.now(), &grant).await?;
        costs.push(cost);
    }

    let rx = emu.subscribe();
    for &id in &ids {
        emu.send_text(id, id, "hello team")
            .with_context(|| format!("user {id} could not send its first message"))?;
    }
    wait_for_copies(emu, rx, admin, *copies, ids.len())
        .await
        .context("first messages (topics)")?;
    *copies += ids.len();
    check_copies(emu, admin, *copies, "after the first messages")?;

    let mut prepared = Vec::with_capacity(ids.len());
    for (id, cost) in ids.into_iter().zip(costs) {
        prepared.push(RelayUser {
            id,
            cost,
            balance: credits::balance(db, id).await?,
        });
    }
    Ok(prepared)
}

/// One relay round: setup (untimed), then every user sends `per_user` plain messages, timed
/// until the admin group has every copy. Verifies the copies and the debits afterwards.
/// Returns updates per second.
async fn relay_round(
    harness: &Harness,
    admin: i64,
    (count, per_user): (usize, usize),
    first_user: &mut usize,
    copies: &mut usize,
    perf: Option<&Path>,
) -> anyhow::Result<Rate> {
    let emu = &harness.emulator;
    let users = relay_setup(harness, admin, count, per_user, first_user, copies)
        .await
        .context("setup")?;
    let total = count * per_user;

    let rx = emu.subscribe();
    let stopwatch = Stopwatch::start(perf);
    // Round-robin over the users, so every chat has work from the first message on.
    for i in 0..per_user {
        for user in &users {
            emu.send_text(user.id, user.id, &format!("question {i}"))
                .with_context(|| format!("user {} could not send", user.id))?;
        }
    }
    wait_for_copies(emu, rx, admin, *copies, total).await?;
    let rate = stopwatch.rate(total);

    *copies += total;
    check_copies(emu, admin, *copies, "after the measured messages")?;
    let db = &harness.app.ctx.db;
    for user in &users {
        let now = credits::balance(db, user.id).await?;
        let expected = user.balance - user.cost * per_user as i64;
        anyhow::ensure!(
            now == expected,
            "user {}: balance {now} after the round, expected {expected} (one debit a message)",
            user.id
        );
    }
    Ok(rate)
}

/// The id of the Checkout Session a `checkout.session.completed` event is about.
pub fn completed_session_id(event: &Value) -> Option<&str> {
    (event["type"].as_str() == Some(CHECKOUT_COMPLETED))
        .then(|| event["data"]["object"]["id"].as_str())
        .flatten()
}

/// The order a Checkout Session pays for (`metadata.order_id`, else `client_reference_id`).
pub fn session_order_id(session: &Value) -> Option<i64> {
    session["metadata"]["order_id"]
        .as_str()
        .or_else(|| session["client_reference_id"].as_str())
        .and_then(|s| s.parse().ok())
}

/// One Stripe bench user after the unmeasured setup: a pending card order and the signed-later
/// body of its session's `checkout.session.completed` event, which was never delivered.
struct StripePurchase {
    user: i64,
    order: i64,
    balance: i64,
    bot_messages: usize,
    body: String,
}

/// An address on 127.0.0.1 that nothing listens on: bound to an ephemeral port, then released.
async fn closed_port_url() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("binding a throwaway port")?;
    let addr = listener.local_addr()?;
    drop(listener);
    Ok(format!("http://{addr}/closed"))
}

/// Unmeasured setup of a Stripe round: `count` new users, each `/start`ed and with one pending
/// card order (`/buy10`, link received), and each order's session completed in the double while
/// the webhook URL points at a closed port, so the events are made and stored but not applied.
async fn stripe_setup(
    harness: &Harness,
    stripe: &StripeDouble,
    count: usize,
    first_user: &mut usize,
) -> anyhow::Result<Vec<StripePurchase>> {
    let emu = &harness.emulator;
    let db = &harness.app.ctx.db;
    let ids = start_users(emu, "Payer", "payer_user", count, first_user)?;
    let mut welcomed = HashMap::with_capacity(ids.len());
    for &id in &ids {
        let seen = emu
            .wait_for_bot_messages(id, 1, REPLY_TIMEOUT)
            .await
            .map_err(|e| anyhow::anyhow!("no welcome for user {id}: {e}"))?;
        welcomed.insert(id, seen.len());
    }
    for &id in &ids {
        emu.send_text(id, id, STRIPE_BUY_COMMAND)
            .with_context(|| format!("user {id} could not send {STRIPE_BUY_COMMAND}"))?;
    }
    let mut seen_after_link = HashMap::with_capacity(ids.len());
    for &id in &ids {
        let seen = emu
            .wait_for_bot_messages(id, welcomed[&id] + 1, REPLY_TIMEOUT)
            .await
            .map_err(|e| anyhow::anyhow!("no checkout link for user {id}: {e}"))?;
        let link = seen.last().context("no messages")?;
        anyhow::ensure!(
            link.buttons.iter().flatten().any(|b| b.url.is_some()),
            "user {id}: the reply to {STRIPE_BUY_COMMAND} has no pay button: {:?}",
            link.body()
        );
        seen_after_link.insert(id, seen.len());
    }

    // The round's sessions are the open ones: earlier rounds completed theirs.
    let wanted: HashSet<i64> = ids.iter().copied().collect();
    let mut sessions = Vec::with_capacity(ids.len());
    for session in stripe.checkout_sessions() {
        if session["status"].as_str() != Some("open") {
            continue;
        }
        let session_id = session["id"].as_str().context("a session without id")?;
        let order_id = session_order_id(&session)
            .with_context(|| format!("session {session_id} names no order"))?;
        let order = orders::find(db, order_id)
            .await?
            .with_context(|| format!("session {session_id}: no order {order_id}"))?;
        anyhow::ensure!(
            wanted.contains(&order.user_id) && order.status == OrderStatus::Pending,
            "session {session_id}: order {order_id} of user {} is {}, expected a pending order \
             of this round",
            order.user_id,
            order.status
        );
        sessions.push((session_id.to_owned(), order));
    }
    let owners: HashSet<i64> = sessions.iter().map(|(_, o)| o.user_id).collect();
    anyhow::ensure!(
        sessions.len() == ids.len() && owners.len() == ids.len(),
        "{} open sessions for {} users of {}, expected one each",
        sessions.len(),
        owners.len(),
        ids.len()
    );

    // Complete every session without delivering its event, then point the double back.
    stripe.set_webhook_url(&closed_port_url().await?);
    let completed: Vec<Result<(), String>> = futures::stream::iter(&sessions)
        .map(|(session_id, _)| async move {
            match stripe.complete_checkout(session_id).await {
                Err(DoubleError::Delivery(_)) => Ok(()),
                Ok(d) => Err(format!(
                    "session {session_id}: the completion was delivered (status {}) to the \
                     closed port",
                    d.status
                )),
                Err(e) => Err(format!("session {session_id}: {e}")),
            }
        })
        .buffer_unordered(STRIPE_IN_FLIGHT)
        .collect()
        .await;
    stripe.set_webhook_url(&harness.http_url("/webhooks/stripe"));
    for outcome in completed {
        outcome.map_err(anyhow::Error::msg)?;
    }

    let mut events: HashMap<String, Value> = stripe
        .events_of_type(CHECKOUT_COMPLETED)
        .into_iter()
        .filter_map(|e| Some((completed_session_id(&e)?.to_owned(), e)))
        .collect();
    let mut prepared = Vec::with_capacity(sessions.len());
    for (session_id, order) in sessions {
        let event = events
            .remove(&session_id)
            .with_context(|| format!("session {session_id}: no {CHECKOUT_COMPLETED} event"))?;
        prepared.push(StripePurchase {
            user: order.user_id,
            order: order.id,
            balance: credits::balance(db, order.user_id).await?,
            bot_messages: seen_after_link[&order.user_id],
            // Stripe sends pretty-printed JSON, as the double does when it delivers.
            body: serde_json::to_string_pretty(&event)?,
        });
    }
    Ok(prepared)
}

/// POSTs one event body to the app's Stripe webhook, signed now; anything but 200 is an error.
async fn post_stripe_event(
    client: &reqwest::Client,
    url: &str,
    body: &str,
    timestamp: i64,
) -> anyhow::Result<()> {
    let signature = StripeDouble::signature_header(STRIPE_WEBHOOK_SECRET, body, timestamp);
    let res = client
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .context("posting a Stripe event")?;
    let status = res.status();
    // Read the answer to the end so the connection goes back to the pool.
    let answer = res.bytes().await.context("reading the webhook's answer")?;
    anyhow::ensure!(
        status == reqwest::StatusCode::OK,
        "the webhook answered {status}: {}",
        String::from_utf8_lossy(&answer)
    );
    Ok(())
}

/// One Stripe round: setup (untimed), then every event POSTed with a fresh signature from
/// [`STRIPE_IN_FLIGHT`] concurrent clients, timed until all answered 200. Verifies the orders,
/// the balances and the Telegram confirmations afterwards. Returns events per second.
async fn stripe_round(
    harness: &Harness,
    stripe: &StripeDouble,
    client: &reqwest::Client,
    count: usize,
    first_user: &mut usize,
    perf: Option<&Path>,
) -> anyhow::Result<Rate> {
    let purchases = stripe_setup(harness, stripe, count, first_user)
        .await
        .context("setup")?;
    let ctx = &harness.app.ctx;
    let url = harness.http_url("/webhooks/stripe");

    let stopwatch = Stopwatch::start(perf);
    let deliveries = futures::stream::iter(purchases.iter().map(Ok))
        .try_for_each_concurrent(STRIPE_IN_FLIGHT, |p| {
            post_stripe_event(client, &url, &p.body, ctx.now().timestamp())
        });
    tokio::time::timeout(STRIPE_TIMEOUT, deliveries)
        .await
        .map_err(|_| {
            anyhow::anyhow!("the webhooks were not all answered within {STRIPE_TIMEOUT:?}")
        })??;
    let rate = stopwatch.rate(purchases.len());

    let credits = orders::product_by_code(&ctx.db, STRIPE_PRODUCT)
        .await?
        .and_then(|p| p.credits)
        .with_context(|| format!("product {STRIPE_PRODUCT} grants no credits"))?;
    // Confirmations go out after the answers to Stripe (the settler's batch, then the paced
    // client): wait for every one before checking that each came once.
    for p in &purchases {
        let want = p.bot_messages + 1;
        let _ = harness
            .emulator
            .wait_for_bot_messages(p.user, want, CONFIRMATION_TIMEOUT)
            .await;
    }
    for p in &purchases {
        let order = orders::find(&ctx.db, p.order)
            .await?
            .with_context(|| format!("order {} is gone", p.order))?;
        anyhow::ensure!(
            order.status == OrderStatus::Paid,
            "order {} of user {} is {} after its webhook, expected paid",
            p.order,
            p.user,
            order.status
        );
        let balance = credits::balance(&ctx.db, p.user).await?;
        let expected = p.balance + credits;
        anyhow::ensure!(
            balance == expected,
            "user {}: balance {balance} after the round, expected {expected} (one grant an order)",
            p.user
        );
        let told = harness.emulator.bot_messages(p.user);
        let done = Reply::PurchaseDone {
            credits,
            balance: expected,
        }
        .render(Locale::En);
        anyhow::ensure!(
            told.len() == p.bot_messages + 1 && told.last().and_then(Recorded::body) == Some(&done),
            "user {}: expected exactly one confirmation {done:?}, the bot sent {:?}",
            p.user,
            told[p.bot_messages.min(told.len())..]
                .iter()
                .map(Recorded::body)
                .collect::<Vec<_>>()
        );
    }
    Ok(rate)
}

/// The seller whose renewing plan the renewal scenario's buyers subscribe to.
struct RenewalShop {
    seller: tollgate::sellers::catalog::Seller,
    service: tollgate::sellers::catalog::Service,
    plan: tollgate::sellers::catalog::Plan,
}

/// A seller with one channel and a renewing plan ($9.99 every 30 days) on the platform's
/// account.
async fn renewal_shop(harness: &Harness) -> anyhow::Result<RenewalShop> {
    use tollgate::sellers::{catalog, recurring};
    let db = &harness.app.ctx.db;
    let now = harness.app.ctx.now();
    let owner: i64 = 8_800_000_001;
    tollgate::accounts::users::register_start(
        db,
        now,
        &tollgate::domain::TelegramProfile {
            id: owner,
            first_name: "Seller".into(),
            last_name: None,
            username: None,
            language_code: Some("en".into()),
        },
        None,
        None,
    )
    .await?;
    let seller = catalog::register(db, now, owner, "Bench Signals", "bench@example.com").await?;
    // The seller is on the Free platform plan, whose member limit would stop the buyers: the
    // operator lifts it, as they may (`/setplan free members unlimited`).
    use tollgate::sellers::platform;
    platform::set(
        db,
        now,
        platform::FREE,
        platform::Field::Members,
        "unlimited",
    )
    .await?
    .map_err(|r| anyhow::anyhow!("lifting the Free plan's member limit: {r:?}"))?;
    let catalog::Connected::New(service) = catalog::connect_chat(
        db,
        now,
        &seller,
        -100_880_000_001,
        catalog::ChatKind::Channel,
        "Bench VIP",
        true,
    )
    .await?
    else {
        anyhow::bail!("the bench channel was connected before");
    };
    let plan = catalog::add_plan(
        db,
        now,
        &service,
        catalog::NewPlan {
            stars_price: None,
            card: Some((999, "usd".into())),
            period_days: 30,
            trial_days: 0,
        },
    )
    .await?;
    recurring::set_renewing(db, now, &plan, owner, true)
        .await?
        .map_err(|why| anyhow::anyhow!("the plan cannot renew: {why:?}"))?;
    let plan = catalog::plan(db, plan.id)
        .await?
        .context("the plan is gone")?;
    Ok(RenewalShop {
        seller,
        service,
        plan,
    })
}

/// A renewal round. Untimed: `count` new buyers each subscribe (Checkout in subscription mode,
/// completed, its events delivered: the subscription and its first order exist); then each
/// subscription is renewed in the double while its webhook points at a closed port, so the
/// renewal's `invoice.paid` exists but is undelivered. Timed: every renewal's `invoice.paid`
/// (distinct subscriptions) is POSTed with a fresh signature, 16 in flight; each one pays a new
/// order, extends the membership and reads the subscription back from the double. Checked
/// after: every buyer has exactly two paid orders.
async fn renewal_round(
    harness: &Harness,
    stripe: &StripeDouble,
    client: &reqwest::Client,
    shop: &RenewalShop,
    count: usize,
    first_user: &mut usize,
    perf: Option<&Path>,
) -> anyhow::Result<Rate> {
    use tollgate::{sellers::recurring_card, storage::entities::access_orders};
    let ctx = &harness.app.ctx;
    let db = &ctx.db;
    let buyers: Vec<i64> = (0..count)
        .map(|i| 8_900_000_000 + (*first_user + i) as i64)
        .collect();
    *first_user += count;
    let mut subs = Vec::with_capacity(count);
    for &buyer in &buyers {
        tollgate::accounts::users::register_start(
            db,
            ctx.now(),
            &tollgate::domain::TelegramProfile {
                id: buyer,
                first_name: format!("Buyer{buyer}"),
                last_name: None,
                username: None,
                language_code: Some("en".into()),
            },
            None,
            None,
        )
        .await?;
        recurring_card::checkout(ctx, &shop.seller, &shop.service, &shop.plan, buyer)
            .await
            .map_err(|e| anyhow::anyhow!("buyer {buyer}: checkout: {e}"))?;
        let session = stripe
            .checkout_sessions()
            .pop()
            .context("no checkout session")?;
        let session_id = session["id"].as_str().context("a session without id")?;
        stripe
            .complete_checkout(session_id)
            .await
            .map_err(|e| anyhow::anyhow!("completing {session_id}: {e}"))?;
        let sub = stripe
            .checkout_session(session_id)
            .and_then(|s| s["subscription"].as_str().map(str::to_owned))
            .context("the session started no subscription")?;
        subs.push((buyer, sub));
    }
    stripe.set_webhook_url(&closed_port_url().await?);
    let mut bodies = Vec::with_capacity(subs.len());
    for (buyer, sub) in &subs {
        match stripe.renew_subscription(sub).await {
            Err(DoubleError::Delivery(_)) => {}
            Ok(_) => anyhow::bail!("the renewal of {sub} was delivered to the closed port"),
            Err(e) => anyhow::bail!("renewing {sub}: {e}"),
        };
        let paid = stripe
            .last_event(|e| {
                e["type"] == "invoice.paid"
                    && e["data"]["object"]["parent"]["subscription_details"]["subscription"]
                        == sub.as_str()
            })
            .with_context(|| format!("buyer {buyer}: no renewal invoice.paid"))?;
        bodies.push(serde_json::to_string_pretty(&paid)?);
    }
    stripe.set_webhook_url(&harness.http_url("/webhooks/stripe"));
    let url = harness.http_url("/webhooks/stripe");

    let stopwatch = Stopwatch::start(perf);
    let deliveries = futures::stream::iter(bodies.iter().map(Ok))
        .try_for_each_concurrent(STRIPE_IN_FLIGHT, |body| {
            post_stripe_event(client, &url, body, ctx.now().timestamp())
        });
    tokio::time::timeout(STRIPE_TIMEOUT, deliveries)
        .await
        .map_err(|_| {
            anyhow::anyhow!("the webhooks were not all answered within {STRIPE_TIMEOUT:?}")
        })??;
    let rate = stopwatch.rate(bodies.len());

    for (buyer, _) in &subs {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let paid = access_orders::Entity::find()
            .filter(access_orders::Column::UserId.eq(*buyer))
            .filter(access_orders::Column::Status.eq("paid"))
            .count(db)
            .await?;
        anyhow::ensure!(
            paid == 2,
            "buyer {buyer}: {paid} paid orders after the renewal, expected 2"
        );
    }
    Ok(rate)
}

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn create() -> anyhow::Result<Self> {
        let path =
            std::env::temp_dir().join(format!("tollgate-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, rounds: &[f64]) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            updates: 100,
            rounds: rounds.to_vec(),
            busy: vec![],
            own: vec![],
        }
    }

    #[test]
    fn median_of_odd_count_is_the_middle_value() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[5.0]), 5.0);
    }

    #[test]
    fn median_of_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn median_of_nothing_is_zero() {
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn ratio_guards_a_zero_baseline() {
        assert_eq!(ratio(50.0, 100.0), 0.5);
        assert_eq!(ratio(50.0, 0.0), 0.0);
    }

    #[test]
    fn small_ratios_keep_four_decimals() {
        assert_eq!(format_ratio(1.0), "1.00");
        assert_eq!(format_ratio(0.8), "0.80");
        assert_eq!(format_ratio(0.0035), "0.0035");
    }

    #[test]
    fn table_puts_ratios_against_the_first_row() {
        let table = render_table(&[
            result("echo (bare teloxide)", &[100.0, 300.0, 200.0]),
            result("tollgate /start (SQLite)", &[50.0, 150.0, 100.0]),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("scenario"));
        assert!(lines[1].contains("200.0") && lines[1].contains("1.00"));
        assert!(lines[2].contains("100.0") && lines[2].contains("0.50"));
        assert!(lines[0].contains("busy") && lines[1].contains('—'));
    }

    #[test]
    fn table_shows_the_median_busy_share() {
        let mut busy = result("echo (bare teloxide)", &[100.0, 300.0, 200.0]);
        busy.busy = vec![0.5, 0.9, 0.75];
        busy.own = vec![0.4, 0.45, 0.5];
        let table = render_table(&[busy]);
        let row = table.lines().nth(1).unwrap();
        assert!(row.contains("75%") && row.contains("45%"), "{table}");
    }

    #[test]
    fn cpu_times_read_the_aggregate_line_and_count_iowait_as_idle() {
        let before = CpuTimes::parse(
            "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\nintr 1\n",
        )
        .unwrap();
        assert_eq!(
            before,
            CpuTimes {
                busy: 150,
                total: 1000,
                own: 0
            }
        );
        let later = CpuTimes::parse("cpu  250 0 100 850 50 0 0 0 0 0\n").unwrap();
        assert_eq!(before.busy_until(&later), Some(200.0 / 250.0));
        assert_eq!(before.busy_until(&before), None, "no tick passed");
        assert_eq!(later.busy_until(&before), None, "time runs forward");
        assert_eq!(CpuTimes::parse("intr 1\n"), None);
        assert_eq!(CpuTimes::parse("cpu  1 x 3 4\n"), None);
    }

    #[test]
    fn a_measured_stretch_steers_perf_and_a_missing_fifo_is_no_failure() {
        let dir = TempDir::create().unwrap();
        let fifo = dir.0.join("ctl");
        let stopwatch = Stopwatch::start(Some(&fifo));
        assert_eq!(std::fs::read_to_string(&fifo).unwrap(), "enable\n");
        let rate = stopwatch.rate(10);
        assert!(rate.per_second > 0.0);
        assert_eq!(std::fs::read_to_string(&fifo).unwrap(), "disable\n");
        let gone = dir.0.join("no-such-dir").join("ctl");
        Stopwatch::start(Some(&gone)).rate(1);
        assert!(!gone.exists());
    }

    #[test]
    fn own_cpu_time_is_utime_plus_stime_whatever_the_command_name() {
        let line = "4242 (tokio rt) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 70 30 5 6 20 0 \
                    8 0 100 1000 10 0";
        assert_eq!(CpuTimes::parse_own(line), Some(100));
        assert_eq!(CpuTimes::parse_own("4242 (short) S 1"), None);
        let (mut then, mut now) = (
            CpuTimes::parse("cpu  0 0 0 100 0 0 0 0\n").unwrap(),
            CpuTimes::parse("cpu  60 0 20 120 0 0 0 0\n").unwrap(),
        );
        (then.own, now.own) = (10, 35);
        assert_eq!(then.own_until(&now), Some(0.25));
    }

    #[test]
    fn paired_ratios_compare_each_round_with_the_baseline_round_beside_it() {
        // The machine was slow during the scenario's best round and the baseline's median
        // round: the medians alone say 0.9, each round against its neighbour says 0.5.
        let baseline = [100.0, 60.0, 200.0];
        let scenario = [90.0, 30.0, 100.0];
        assert_eq!(ratio(median(&scenario), median(&baseline)), 0.9);
        assert_eq!(paired_ratio(&scenario, &baseline), 0.5);
        // The baseline's own row pairs with itself.
        assert_eq!(paired_ratio(&baseline, &baseline), 1.0);
        // A zero baseline round does not divide by zero.
        assert_eq!(paired_ratio(&[1.0], &[0.0]), 0.0);
    }

    #[test]
    fn relay_shape_splits_updates_into_users_and_messages() {
        assert_eq!(relay_shape(1000), (200, 5));
        assert_eq!(relay_shape(1001), (201, 5));
        assert_eq!(relay_shape(3), (1, 3));
        assert_eq!(relay_shape(0), (1, 1));
    }

    #[test]
    fn relay_grant_keeps_the_balance_above_the_threshold() {
        // The primer and 5 messages at 2 each cost 12; threshold 2 and one more on top.
        assert_eq!(relay_grant(5, 2, 2), 15);
        assert!(relay_grant(5, 2, 2) - 2 * 6 > 2);
        assert_eq!(relay_grant(5, 0, 0), 1);
    }

    #[test]
    fn the_phase_table_shows_each_share_of_the_measured_time() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let spans = [
            timeline::Interval {
                phase: timeline::POLL,
                start: t0,
                end: t0 + ms(10),
                scope: None,
            },
            timeline::Interval {
                phase: timeline::COPY,
                start: t0 + ms(20),
                end: t0 + ms(70),
                scope: None,
            },
        ];
        let phases = RELAY_PHASES.map(|(p, _)| p);
        let split = timeline::occupancy(&phases, &spans, t0, t0 + ms(100));
        let table = render_phases(&[("tollgate relay (SQLite)", split)]);
        let row = table
            .lines()
            .find(|l| l.starts_with("tollgate relay (SQLite)"))
            .expect("a row for the scenario");
        let cells: Vec<&str> = row.split_whitespace().skip(3).collect();
        // getUpdates 10 %, gate 0 %, copies 50 %, none of them 40 %.
        assert_eq!(cells, ["10%", "0%", "50%", "40%"]);
        assert!(table.contains("getUpdates") && table.contains("none of these"));
    }

    #[test]
    fn reproduce_command_masks_the_password() {
        let args = BenchArgs {
            updates: 10,
            rounds: 2,
            postgres_url: Some("postgres://bob:secret@db:5432/x".into()),
            only: None,
            perf_control: None,
            phases: false,
            emulator_threads: None,
            backlog: false,
            backlog_users: 100,
            backlog_messages: 5,
            limit_scale: 10.0,
            broadcast: false,
            recipients: 100_000,
            rate_ceiling: 2000.0,
            active_users: 20,
            relay_seconds: 15,
            log_format: "pretty".into(),
        };
        let cmd = reproduce_command(&args);
        assert!(!cmd.contains("secret"));
        assert!(cmd.contains("postgres://bob:***@db:5432/x"));
        assert!(cmd.ends_with("tollgate-bench --updates 10 --rounds 2"));
    }

    #[test]
    fn reproduce_command_without_postgres() {
        let args = BenchArgs {
            updates: 2000,
            rounds: 3,
            postgres_url: None,
            only: None,
            perf_control: None,
            phases: false,
            emulator_threads: None,
            backlog: false,
            backlog_users: 100,
            backlog_messages: 5,
            limit_scale: 10.0,
            broadcast: false,
            recipients: 100_000,
            rate_ceiling: 2000.0,
            active_users: 20,
            relay_seconds: 15,
            log_format: "pretty".into(),
        };
        assert_eq!(
            reproduce_command(&args),
            "RUST_LOG=warn tollgate-bench --updates 2000 --rounds 3"
        );
        let args = BenchArgs {
            emulator_threads: Some(1),
            ..args
        };
        assert_eq!(
            reproduce_command(&args),
            "RUST_LOG=warn tollgate-bench --updates 2000 --rounds 3 --emulator-threads 1"
        );
    }

    #[test]
    fn completed_session_id_reads_only_checkout_completions() {
        let event = serde_json::json!({
            "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_1"}},
        });
        assert_eq!(completed_session_id(&event), Some("cs_test_1"));
        let other = serde_json::json!({
            "type": "checkout.session.expired",
            "data": {"object": {"id": "cs_test_1"}},
        });
        assert_eq!(completed_session_id(&other), None);
        assert_eq!(completed_session_id(&serde_json::json!({})), None);
    }

    #[test]
    fn session_order_id_prefers_the_metadata() {
        let both = serde_json::json!({"metadata": {"order_id": "7"}, "client_reference_id": "8"});
        assert_eq!(session_order_id(&both), Some(7));
        let reference = serde_json::json!({"metadata": {}, "client_reference_id": "8"});
        assert_eq!(session_order_id(&reference), Some(8));
        let neither = serde_json::json!({"metadata": {"order_id": "x"}});
        assert_eq!(session_order_id(&neither), None);
    }
}
