//! What a statement costs through Tollgate's PostgreSQL pool, which pings a pooled connection
//! only after it sat idle ([`tollgate::storage::PING_IF_IDLE_FOR`]), against sqlx's default
//! pool, which pings before every use: one statement at a time (the way a handler runs its
//! statements), the two pools taking turns block by block, so a slow spell of the machine hits
//! both. Prints each pool's median time a statement and their ratio.
//!
//! ```sh
//! cargo run --release --example pool_round_trips -- postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! An optional second argument is the number of statements a pool runs (default 20,000).
use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

const BLOCKS: usize = 20;

async fn block(db: &DatabaseConnection, statements: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for _ in 0..statements {
        db.execute_unprepared("SELECT 1").await?;
    }
    Ok(started.elapsed() / statements as u32)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .or_else(|| std::env::var("TEST_DATABASE_URL").ok())
        .ok_or_else(|| anyhow::anyhow!("give a PostgreSQL URL (or set TEST_DATABASE_URL)"))?;
    let statements: usize = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let per_block = (statements / BLOCKS).max(1);

    let ours = tollgate::storage::connect_without_migrating(&url).await?;
    let mut options = ConnectOptions::new(url.clone());
    // The same pool size as Tollgate's; sqlx's default test before every acquire.
    options
        .max_connections(16)
        .min_connections(1)
        .sqlx_logging(false);
    let default = Database::connect(options).await?;

    for db in [&ours, &default] {
        block(db, per_block).await?; // warm-up
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..BLOCKS {
        a.push(block(&ours, per_block).await?);
        b.push(block(&default, per_block).await?);
    }
    let (a, b) = (median(a), median(b));
    println!("{BLOCKS} blocks of {per_block} statements, one at a time, median time a statement:");
    println!(
        "  ping only after {:?} idle (Tollgate): {a:?}",
        tollgate::storage::PING_IF_IDLE_FOR
    );
    println!("  ping before every use (sqlx default):  {b:?}");
    println!(
        "  ratio: {:.2} of the default's time",
        a.as_secs_f64() / b.as_secs_f64()
    );
    ours.close().await?;
    default.close().await?;
    Ok(())
}
