//! The command line. Every configuration flag is also an environment variable (see
//! [`RawConfig`]); `.env` is read first.
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::RawConfig;

#[derive(Parser, Debug)]
#[command(
    name = "tollgate",
    version,
    about = "A self-hosted Telegram monetization bot"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: RawConfig,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Run the bot (the default).
    Run,
    /// Apply database migrations and exit.
    Migrate,
    /// Run the whole product against the built-in Telegram emulator, with a terminal chat.
    Sandbox(SandboxArgs),
    /// Measure throughput against the emulator (see BENCHMARKS.md).
    Bench(BenchArgs),
    /// Exit 0 when the server at HTTP_ADDR answers /healthz (for container health checks).
    Healthcheck,
}

#[derive(clap::Args, Debug, Clone)]
pub struct SandboxArgs {
    /// The sandbox's own SQLite file (DATABASE_URL is not used, so a real database is never touched).
    #[arg(long, default_value = "tollgate-sandbox.db")]
    pub db_file: PathBuf,
}

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Distinct users, each sending one /start.
    #[arg(long, default_value_t = 2000)]
    pub updates: usize,
    /// Rounds per scenario; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// PostgreSQL to measure on as well (a fresh schema is made and dropped).
    #[arg(long, env = "TEST_DATABASE_URL")]
    pub postgres_url: Option<String>,
    /// Runs only the scenarios whose name contains this text (the echo baseline always runs).
    #[arg(long)]
    pub only: Option<String>,
    /// A `perf record --control=fifo:<FIFO>` control FIFO: the bench writes `enable` and
    /// `disable` to it around each measured stretch of the scenarios (not the echo rounds,
    /// not the setup), so a profile holds only what the table measures.
    #[arg(long, value_name = "FIFO")]
    pub perf_control: Option<std::path::PathBuf>,
    /// Also reports where the relay rounds' wall time goes: the share of it with a getUpdates
    /// poll, a relay gate batch or a copyMessage in flight, and with none of them
    /// (`tollgate::timeline`).
    #[arg(long)]
    pub phases: bool,

    /// Serves every scenario's Telegram emulator on a runtime of this many threads of its own,
    /// instead of as tasks on the runtime the bots run on (the default, as in the readings
    /// BENCHMARKS.md compares against). The real Bot API runs elsewhere: on its own threads the
    /// emulator's lock can't park the bots' workers, though it still shares the cores.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub emulator_threads: Option<u16>,

    /// Instead of the throughput scenarios: how fast a burst of paid messages drains into
    /// admin groups held to Telegram's sending limits, against the least time they allow
    /// (one admin group, then two).
    #[arg(long)]
    pub backlog: bool,
    /// With --backlog: people sending at once.
    #[arg(long, default_value_t = 100)]
    pub backlog_users: usize,
    /// With --backlog: messages each of them sends.
    #[arg(long, default_value_t = 5)]
    pub backlog_messages: usize,
    /// With --backlog: every sending limit this many times Telegram's (the run's length
    /// shrinks by as much; the ratio to the least time is what compares).
    #[arg(long, default_value_t = 10.0)]
    pub limit_scale: f64,
}

impl std::fmt::Debug for RawConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawConfig(..)")
    }
}
