//! `tollgate sandbox`: the whole product against the built-in Telegram emulator, with a
//! terminal chat. No token, no internet.
mod harness;
mod terminal;

pub use harness::{
    Harness, HarnessOptions, STRIPE_KEY, STRIPE_WEBHOOK_SECRET, StoppedHarness,
    TELEGRAM_WEBHOOK_SECRET,
};

use crate::{cli::SandboxArgs, config::Config};

pub async fn run(config: Config, args: SandboxArgs) -> anyhow::Result<()> {
    let database_url = format!("sqlite://{}?mode=rwc", args.db_file.display());
    let mut opts = HarnessOptions::new(database_url);
    opts.http_addr = config.http_addr;
    let harness = Harness::start(opts).await?;
    let result = terminal::chat(&harness, &args.db_file).await;
    harness.stop().await?;
    result
}
