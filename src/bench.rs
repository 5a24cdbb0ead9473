//! `tollgate bench`: updates per second of the `/start` flow against the in-process Telegram
//! emulator, next to a bare teloxide echo bot measured on the same kind of emulator in the same
//! run. Machines are noisy, so the figure to read is the ratio against that in-run baseline;
//! see BENCHMARKS.md.
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::Context;
use teloxide::{dispatching::ShutdownToken, prelude::*};
use tg_emulator::{Emulator, EmulatorConfig, UserSpec};

use crate::{
    cli::BenchArgs,
    sandbox::{Harness, HarnessOptions},
    storage::ScratchDatabase,
};

/// Users in the unmeasured warm-up round of every scenario.
const WARMUP_USERS: usize = 50;
/// How long one user's reply may take before the round is declared failed.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// One scenario's result: updates per second of every measured round.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioResult {
    pub name: String,
    pub updates: usize,
    pub rounds: Vec<f64>,
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

/// The results table; ratios are against the first row (the echo baseline).
pub fn render_table(results: &[ScenarioResult]) -> String {
    let baseline = results.first().map(ScenarioResult::median).unwrap_or(0.0);
    let mut out = format!(
        "{:<32}{:>8}{:>12}{:>16}   rounds (updates/s)\n",
        "scenario", "updates", "median/s", "ratio vs echo"
    );
    for r in results {
        let median = r.median();
        let rounds: Vec<String> = r.rounds.iter().map(|v| format!("{v:.1}")).collect();
        out.push_str(&format!(
            "{:<32}{:>8}{:>12.1}{:>16}   {}\n",
            r.name,
            r.updates,
            median,
            format_ratio(ratio(median, baseline)),
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
        "tollgate bench --updates {} --rounds {}",
        args.updates, args.rounds
    ));
    cmd
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.updates > 0, "--updates must be at least 1");
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if std::env::var_os("RUST_LOG").is_none() {
        eprintln!("note: RUST_LOG is not set, so the app logs at info; RUST_LOG=warn is quieter");
    }
    println!(
        "tollgate bench: {} updates x {} rounds per scenario, {cores} cores",
        args.updates, args.rounds
    );

    let mut results = Vec::new();
    results.push(bench_echo(&args).await.context("echo baseline")?);
    results.push(
        bench_tollgate_sqlite(&args)
            .await
            .context("tollgate on SQLite")?,
    );
    match &args.postgres_url {
        Some(url) => results.push(
            bench_tollgate_postgres(&args, url)
                .await
                .context("tollgate on PostgreSQL")?,
        ),
        None => println!(
            "!!! PostgreSQL SKIPPED: set TEST_DATABASE_URL (or pass --postgres-url) to a \
             PostgreSQL server to measure it too !!!"
        ),
    }

    println!();
    print!("{}", render_table(&results));
    println!();
    println!("machine: {cores} cores (std::thread::available_parallelism)");
    println!("reproduce: {}", reproduce_command(&args));
    println!(
        "Absolute numbers move with the machine's load; compare the ratio against the echo row."
    );
    Ok(())
}

/// Runs one round: `updates` new users, each sends `text` in their private chat; timed from the
/// first send to the last bot reply. Returns updates per second.
async fn round(
    emu: &Emulator,
    updates: usize,
    text: &str,
    label: &str,
    first_user: &mut usize,
) -> anyhow::Result<f64> {
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

    let started = Instant::now();
    for &user in &users {
        emu.send_text(user, user, text)
            .with_context(|| format!("{label}: user {user} could not send"))?;
    }
    for &user in &users {
        emu.wait_for_bot_messages(user, 1, REPLY_TIMEOUT)
            .await
            .map_err(|e| anyhow::anyhow!("{label}: no reply to user {user}: {e}"))?;
    }
    let elapsed = started.elapsed();
    Ok(updates as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE))
}

/// The warm-up round and the measured rounds of one scenario.
async fn rounds(
    emu: &Emulator,
    args: &BenchArgs,
    text: &str,
    name: &str,
) -> anyhow::Result<ScenarioResult> {
    let mut next_user = 0;
    round(emu, WARMUP_USERS, text, name, &mut next_user)
        .await
        .context("warm-up round")?;
    let mut per_round = Vec::with_capacity(args.rounds);
    for i in 1..=args.rounds {
        let rate = round(emu, args.updates, text, name, &mut next_user)
            .await
            .with_context(|| format!("round {i}"))?;
        println!("  {name}: round {i}/{}: {rate:.1} updates/s", args.rounds);
        per_round.push(rate);
    }
    Ok(ScenarioResult {
        name: name.to_owned(),
        updates: args.updates,
        rounds: per_round,
    })
}

async fn bench_echo(args: &BenchArgs) -> anyhow::Result<ScenarioResult> {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .context("starting the Telegram emulator")?;
    let bot = Bot::new(emu.token()).set_api_url(emu.api_url().parse()?);
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        bot.send_message(msg.chat.id, msg.text().unwrap_or_default())
            .await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let token = dispatcher.shutdown_token();
    let task = tokio::spawn(async move { dispatcher.dispatch().await });
    let result = rounds(&emu, args, "hello", "echo (bare teloxide)").await;
    stop_dispatcher(&token).await;
    let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
    emu.shutdown();
    result
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

async fn bench_tollgate(
    args: &BenchArgs,
    database_url: String,
    name: &str,
) -> anyhow::Result<ScenarioResult> {
    let harness = Harness::start(HarnessOptions {
        stripe: false,
        ..HarnessOptions::new(database_url)
    })
    .await
    .context("starting the app")?;
    let result = rounds(&harness.emulator, args, "/start", name).await;
    let stopped = harness.stop().await;
    let result = result?;
    stopped.context("stopping the app")?;
    Ok(result)
}

async fn bench_tollgate_sqlite(args: &BenchArgs) -> anyhow::Result<ScenarioResult> {
    let dir = TempDir::create()?;
    let url = format!("sqlite://{}?mode=rwc", dir.0.join("bench.db").display());
    bench_tollgate(args, url, "tollgate /start (SQLite)").await
}

async fn bench_tollgate_postgres(args: &BenchArgs, url: &str) -> anyhow::Result<ScenarioResult> {
    let scratch = ScratchDatabase::create(url, "tollgate_bench")
        .await
        .context("creating a scratch PostgreSQL database")?;
    let result = bench_tollgate(args, scratch.url.clone(), "tollgate /start (PostgreSQL)").await;
    let dropped = scratch.drop_now().await;
    let result = result?;
    dropped.context("dropping the scratch PostgreSQL database")?;
    Ok(result)
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
    }

    #[test]
    fn reproduce_command_masks_the_password() {
        let args = BenchArgs {
            updates: 10,
            rounds: 2,
            postgres_url: Some("postgres://bob:secret@db:5432/x".into()),
        };
        let cmd = reproduce_command(&args);
        assert!(!cmd.contains("secret"));
        assert!(cmd.contains("postgres://bob:***@db:5432/x"));
        assert!(cmd.ends_with("tollgate bench --updates 10 --rounds 2"));
    }

    #[test]
    fn reproduce_command_without_postgres() {
        let args = BenchArgs {
            updates: 2000,
            rounds: 3,
            postgres_url: None,
        };
        assert_eq!(
            reproduce_command(&args),
            "RUST_LOG=warn tollgate bench --updates 2000 --rounds 3"
        );
    }
}
