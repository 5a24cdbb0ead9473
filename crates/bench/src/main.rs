//! `tollgate-bench`: the benchmark of Tollgate, out of the product binary. It measures the
//! whole app against the in-process Telegram emulator and the Stripe double: updates per
//! second of the `/start` flow, the paid support relay and Stripe webhook ingest next to a bare
//! teloxide echo bot ([`throughput`]), or with `--backlog` how fast a burst of paid messages
//! drains into admin groups held to Telegram's sending limits ([`backlog`]), or with
//! `--broadcast` a campaign to many recipients at a configured ceiling ([`broadcast`]). BENCHMARKS.md
//! says what each one measures and its latest figures.
//!
//!     cargo run --release -p tollgate-bench -- --help
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::{
    EnvFilter, Layer, filter::Targets, layer::SubscriberExt, util::SubscriberInitExt,
};

mod backlog;
mod broadcast;
mod phases;
mod throughput;

use phases::PhaseLog;

/// Tollgate's benchmark: the whole app against the in-process Telegram emulator (see
/// BENCHMARKS.md).
#[derive(Parser, Debug, Clone)]
#[command(name = "tollgate-bench", version)]
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
    /// (the app's spans of target `tollgate::phase`).
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

    /// Instead of the throughput scenarios: a broadcast against the emulator enforcing an
    /// overall ceiling (rate achieved, 429s, resident memory), and the relay's latency during
    /// it against a round without it.
    #[arg(long, conflicts_with = "backlog")]
    pub broadcast: bool,
    /// With --broadcast: recipients seeded (batched inserts) before the campaign.
    #[arg(long, default_value_t = 100_000)]
    pub recipients: usize,
    /// With --broadcast: the emulator's overall limit and the app's BROADCAST_RATE, a second.
    #[arg(long, default_value_t = 2000.0)]
    pub rate_ceiling: f64,
    /// With --broadcast: people writing paid messages (one each every 500 ms) meanwhile.
    #[arg(long, default_value_t = 20)]
    pub active_users: usize,
    /// With --broadcast: how long the active users write, in each of the two relay rounds.
    #[arg(long, default_value_t = 15)]
    pub relay_seconds: u64,

    /// The log's format: pretty or json (the app's `LOG_FORMAT`).
    #[arg(long, env = "LOG_FORMAT", default_value = "pretty", value_parser = ["pretty", "json"])]
    pub log_format: String,
}

/// Logs as `RUST_LOG` says; with `phases`, the phase spans also go to that log, whatever
/// `RUST_LOG` says of them (the log's filter is then its own, not the whole subscriber's).
fn init_tracing(json: bool, phases: Option<&PhaseLog>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match phases {
        None => tracing_subscriber::registry()
            .with(filter)
            .with(fmt_layer(json))
            .init(),
        Some(log) => tracing_subscriber::registry()
            .with(fmt_layer(json).with_filter(filter))
            .with(
                log.layer()
                    .with_filter(Targets::new().with_target(phases::TARGET, tracing::Level::DEBUG)),
            )
            .init(),
    }
}

/// The log's layer, pretty or JSON.
fn fmt_layer<S>(json: bool) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    if json {
        tracing_subscriber::fmt::layer().json().boxed()
    } else {
        tracing_subscriber::fmt::layer().boxed()
    }
}

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let args = BenchArgs::parse();
    let phases = args.phases.then(PhaseLog::default);
    init_tracing(args.log_format == "json", phases.as_ref());
    let runtime = tokio::runtime::Runtime::new().expect("the tokio runtime starts");
    match runtime.block_on(throughput::run(args, phases)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_flags_parse_as_documented() {
        BenchArgs::command().debug_assert();
        let args = BenchArgs::try_parse_from([
            "tollgate-bench",
            "--updates",
            "1000",
            "--rounds",
            "5",
            "--only",
            "relay",
            "--phases",
            "--emulator-threads",
            "2",
        ])
        .unwrap();
        assert_eq!((args.updates, args.rounds), (1000, 5));
        assert_eq!(args.only.as_deref(), Some("relay"));
        assert!(args.phases && !args.backlog);
        assert_eq!(args.emulator_threads, Some(2));

        let backlog = BenchArgs::try_parse_from([
            "tollgate-bench",
            "--backlog",
            "--backlog-users",
            "40",
            "--limit-scale",
            "5",
        ])
        .unwrap();
        assert!(backlog.backlog && !backlog.broadcast);
        assert_eq!((backlog.backlog_users, backlog.backlog_messages), (40, 5));
        assert_eq!(backlog.limit_scale, 5.0);

        let broadcast = BenchArgs::try_parse_from([
            "tollgate-bench",
            "--broadcast",
            "--recipients",
            "200",
            "--rate-ceiling",
            "500",
        ])
        .unwrap();
        assert!(broadcast.broadcast);
        assert_eq!((broadcast.recipients, broadcast.active_users), (200, 20));
        assert_eq!(broadcast.rate_ceiling, 500.0);
        assert!(BenchArgs::try_parse_from(["tollgate-bench", "--broadcast", "--backlog"]).is_err());
    }
}
