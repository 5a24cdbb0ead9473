//! `tollgate-sweep-bench`: the sellers' expiry sweeper on a big table. Seeds `--sweep-memberships`
//! memberships (default 1,000,000) of which `--sweep-due` (default 10,000) end in the same
//! minute, then times the sweep finding and claiming the due ones (each claimed row marked
//! expired, its removal job and audit entry written, batch by batch) against the floor of the
//! same run: one indexed `SELECT` of the due rows' ids. SQLite always, PostgreSQL with
//! `--postgres-url`. The plan the database picks for the claim's inner query is printed too.
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, Statement};
use tollgate::{
    sellers::sweep,
    storage::{self, Db, entities::memberships},
};
use tollgate_testkit::ScratchDatabase;

/// The sellers' expiry sweep on a big memberships table (see BENCHMARKS.md).
#[derive(clap::Parser, Debug)]
#[command(name = "tollgate-sweep-bench", version)]
struct Args {
    /// Memberships in the table.
    #[arg(long, default_value_t = 1_000_000)]
    memberships: u64,
    /// Of them, ending in the same minute (due for removal now).
    #[arg(long, default_value_t = 10_000)]
    due: u64,
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

struct SweepRun {
    backend: &'static str,
    rows: u64,
    claimed: usize,
    sweep: Duration,
    floor: Duration,
    seed: Duration,
    plan: String,
}

async fn run(args: &Args) -> anyhow::Result<()> {
    let total = args.memberships;
    let due = args.due;
    anyhow::ensure!(due >= 1 && due < total, "--due must be 1 .. --memberships");
    println!("tollgate-sweep-bench: {total} memberships, {due} due in the same minute");
    let mut runs = vec![one(None, total, due).await?];
    if let Some(server) = &args.postgres_url {
        runs.push(one(Some(server), total, due).await?);
    }
    println!();
    println!(
        "| backend | memberships | claimed | sweep (ms) | indexed select of the due ids (ms) | ratio | seeding (s) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.1} | {:.0} |",
            r.backend,
            r.rows,
            r.claimed,
            r.sweep.as_secs_f64() * 1000.0,
            r.floor.as_secs_f64() * 1000.0,
            r.sweep.as_secs_f64() / r.floor.as_secs_f64().max(1e-6),
            r.seed.as_secs_f64(),
        );
    }
    for r in &runs {
        println!(
            "\n{} plan of the claim's inner query:\n{}",
            r.backend, r.plan
        );
    }
    println!(
        "\nreproduce: tollgate-sweep-bench --memberships {total} --due {due} [--postgres-url URL]"
    );
    Ok(())
}

async fn one(postgres: Option<&String>, total: u64, due: u64) -> anyhow::Result<SweepRun> {
    let dir = std::env::temp_dir().join(format!("tollgate-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (url, scratch, backend) = match postgres {
        Some(server) => {
            let db = ScratchDatabase::create(server, "tollgate_sweep").await?;
            (db.url.clone(), Some(db), "PostgreSQL")
        }
        None => {
            let path = dir.join("sweep.db");
            let _ = std::fs::remove_file(&path);
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                None,
                "SQLite",
            )
        }
    };
    let db = storage::connect(&url).await.context("the database")?;
    let now = Utc::now();
    let started = Instant::now();
    seed(&db, now, total, due).await?;
    let seeded = started.elapsed();
    analyze(&db).await?;
    let rows = memberships::Entity::find().count_rows(&db).await?;

    let plan = plan(&db, now).await?;
    let floor = {
        let backend = db.get_database_backend();
        let q = storage::sql(
            backend,
            "SELECT id FROM memberships WHERE status = 'active' AND remove_at <= $1 \
             AND whitelisted = $2",
        );
        let t = Instant::now();
        let found = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                q,
                [now.into(), false.into()],
            ))
            .await?;
        anyhow::ensure!(found.len() as u64 == due, "found {} due rows", found.len());
        t.elapsed()
    };
    let t = Instant::now();
    let swept = sweep::sweep(&db, now).await?;
    let sweep_time = t.elapsed();
    anyhow::ensure!(
        swept.removals as u64 == due,
        "the sweep claimed {} of {due}",
        swept.removals
    );
    db.close().await?;
    if let Some(s) = scratch {
        s.drop_now().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(SweepRun {
        backend,
        rows,
        claimed: swept.removals,
        sweep: sweep_time,
        floor,
        seed: seeded,
        plan,
    })
}

trait CountRows {
    async fn count_rows(self, db: &Db) -> anyhow::Result<u64>;
}

impl CountRows for sea_orm::Select<memberships::Entity> {
    async fn count_rows(self, db: &Db) -> anyhow::Result<u64> {
        Ok(sea_orm::PaginatorTrait::count(self, db).await?)
    }
}

/// `total` memberships over 100 services: `due` of them end a minute ago, the rest over the
/// next 30 days (none due a reminder at `now`: their ends are at least 4 days away). Written
/// 1,000 rows to a statement, then copied onto themselves to reach the total quickly.
async fn seed(db: &Db, now: chrono::DateTime<Utc>, total: u64, due: u64) -> anyhow::Result<()> {
    let row = |user: i64, ends: chrono::DateTime<Utc>| memberships::ActiveModel {
        service_id: Set(user % 100 + 1),
        seller_id: Set(user % 100 / 10 + 1),
        user_id: Set(user),
        plan_id: Set(Some(user % 100 + 1)),
        status: Set("active".into()),
        ends_at: Set(Some(ends)),
        remove_at: Set(Some(ends)),
        reminder_stage: Set(2),
        invite_link: Set(None),
        link_issued_at: Set(None),
        joined_at: Set(Some(now - chrono::Duration::days(20))),
        left_at: Set(None),
        whitelisted: Set(false),
        trial_used: Set(false),
        created_at: Set(now - chrono::Duration::days(20)),
        updated_at: Set(now - chrono::Duration::days(20)),
        ..Default::default()
    };
    // The not-yet-due block: 1,000 rows, then doubled (user ids shifted) until big enough.
    let block: i64 = 1000;
    let rows: Vec<_> = (0..block)
        .map(|u| {
            let ends = now + chrono::Duration::days(4) + chrono::Duration::minutes(u * 37 % 36_000);
            row(u + 1, ends)
        })
        .collect();
    memberships::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    let target = (total - due) as i64;
    let mut have = block;
    let cols = "service_id, seller_id, user_id, plan_id, status, ends_at, remove_at, \
                reminder_stage, invite_link, link_issued_at, joined_at, left_at, whitelisted, \
                trial_used, created_at, updated_at";
    while have < target {
        let take = (target - have).min(have);
        let copy = format!(
            "INSERT INTO memberships ({cols}) SELECT service_id, seller_id, user_id + {have}, \
             plan_id, status, ends_at, remove_at, reminder_stage, invite_link, link_issued_at, \
             joined_at, left_at, whitelisted, trial_used, created_at, updated_at \
             FROM memberships WHERE user_id <= {take}"
        );
        db.execute_unprepared(&copy).await?;
        have += take;
    }
    // The due ones: ended a minute ago, all of them.
    let base = 10_000_000_000i64;
    let due_rows: Vec<_> = (0..due as i64)
        .map(|u| row(base + u, now - chrono::Duration::minutes(1)))
        .collect();
    for chunk in due_rows.chunks(1000) {
        memberships::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn analyze(db: &Db) -> anyhow::Result<()> {
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// The plan the database picks for the claim's inner query.
async fn plan(db: &Db, now: chrono::DateTime<Utc>) -> anyhow::Result<String> {
    let backend = db.get_database_backend();
    let inner = "SELECT id FROM memberships WHERE status = 'active' AND remove_at <= $1 \
                 AND whitelisted = $2 ORDER BY remove_at LIMIT 1000";
    let explain = match backend {
        DbBackend::Postgres => format!("EXPLAIN {inner}"),
        _ => format!("EXPLAIN QUERY PLAN {inner}"),
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            storage::sql(backend, &explain),
            [now.into(), false.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let line: String = match backend {
            DbBackend::Postgres => r.try_get_by_index(0)?,
            _ => r.try_get("", "detail")?,
        };
        out.push(format!("    {line}"));
    }
    Ok(out.join("\n"))
}
