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
    /// Exit 0 when the server at HTTP_ADDR answers /healthz (for container health checks).
    Healthcheck,
}

#[derive(clap::Args, Debug, Clone)]
pub struct SandboxArgs {
    /// The sandbox's own SQLite file (DATABASE_URL is not used, so a real database is never touched).
    #[arg(long, default_value = "tollgate-sandbox.db")]
    pub db_file: PathBuf,
}

impl std::fmt::Debug for RawConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawConfig(..)")
    }
}
