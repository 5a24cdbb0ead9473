//! `tollgate-bench --backlog`: how fast a burst of paid messages drains into admin groups that
//! Telegram limits to 20 messages a minute, against the least time those limits allow.
//!
//! The whole app runs against the emulator, which enforces the limits (and answers 429 past
//! them) while the app paces itself by the same numbers. `users` people each send `messages`
//! messages at once; the run ends when every message has its copy in the admin group. The
//! least time the limits allow: each user needs at least three posts into their group (the
//! topic, the user card, one `copyMessages` carrying all their messages); a group takes its
//! burst at once and then `group_per_min`. With `--limit-scale N` every rate is N times
//! Telegram's, so a run takes minutes instead of a quarter of an hour; the ratio is what is
//! compared.
use std::{collections::HashMap, time::Duration};

use anyhow::Context;
use tg_emulator::{EmulatorConfig, EmulatorLimits};

use tollgate::{
    sandbox::{Harness, HarnessOptions},
    telegram::RateLimits,
    {relay::backlog, services::settings},
};
use tollgate_testkit::ScratchDatabase;

use crate::BenchArgs;

/// Posts each user needs in their admin group at the least: topic, user card, one batch copy.
const POSTS_PER_USER: f64 = 3.0;

/// Telegram's published limits, `scale` times faster (the burst stays).
fn limits(scale: f64) -> (RateLimits, EmulatorLimits) {
    let app = RateLimits {
        overall_per_sec: 30.0,
        overall_burst: 30.0,
        chat_per_sec: scale,
        chat_burst: 3.0,
        group_per_min: 20.0 * scale,
        group_burst: 20.0,
    };
    let emulator = EmulatorLimits {
        global_per_sec: 30.0,
        global_burst: 30,
        chat_per_sec: scale,
        chat_burst: 3,
        group_per_min: 20.0 * scale,
        group_burst: 20,
        ..EmulatorLimits::default()
    };
    (app, emulator)
}

/// What one run measured.
pub struct BacklogRun {
    pub backend: &'static str,
    pub groups: usize,
    pub drained: Duration,
    pub least: Duration,
    pub calls_into_groups: usize,
    pub batches: usize,
    pub rate_limited: u64,
    pub refunds: u64,
}

impl BacklogRun {
    pub fn ratio(&self) -> f64 {
        self.drained.as_secs_f64() / self.least.as_secs_f64().max(1e-9)
    }
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let users = args.backlog_users;
    let messages = args.backlog_messages;
    anyhow::ensure!(
        users > 0 && messages > 0,
        "--backlog-users and --backlog-messages ≥ 1"
    );
    let scale = args.limit_scale;
    anyhow::ensure!(scale >= 1.0, "--limit-scale must be at least 1");
    println!(
        "tollgate-bench --backlog: {users} users x {messages} messages, Telegram's limits x{scale}"
    );
    let mut runs = Vec::new();
    for groups in [1, 2] {
        runs.push(one(args, false, groups).await?);
        if args.postgres_url.is_some() {
            runs.push(one(args, true, groups).await?);
        }
    }
    println!();
    println!(
        "| backend | admin groups | drained (s) | least the limits allow (s) | ratio | calls into groups | copyMessages calls | 429s | refunds |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.3} | {} | {} | {} | {} |",
            r.backend,
            r.groups,
            r.drained.as_secs_f64(),
            r.least.as_secs_f64(),
            r.ratio(),
            r.calls_into_groups,
            r.batches,
            r.rate_limited,
            r.refunds
        );
    }
    println!(
        "reproduce: tollgate-bench --backlog --backlog-users {users} --backlog-messages \
         {messages} --limit-scale {scale}"
    );
    Ok(())
}

async fn one(args: &BenchArgs, postgres: bool, groups: usize) -> anyhow::Result<BacklogRun> {
    let (app_limits, emulator_limits) = limits(args.limit_scale);
    let dir = tempfile_dir()?;
    let (url, scratch) = match (postgres, &args.postgres_url) {
        (true, Some(server)) => {
            let db = ScratchDatabase::create(server, "tollgate_backlog").await?;
            (db.url.clone(), Some(db))
        }
        _ => (
            format!("sqlite://{}?mode=rwc", dir.join("backlog.db").display()),
            None,
        ),
    };
    let mut opts = HarnessOptions::new(url);
    opts.stripe = false;
    opts.admin_groups = groups;
    opts.limits = Some(app_limits);
    opts.emulator = EmulatorConfig {
        enforce_rate_limits: true,
        limits: emulator_limits,
        ..EmulatorConfig::default()
    };
    let h = Harness::start(opts).await.context("starting the app")?;
    let result = drive(&h, args, groups, postgres, emulator_limits).await;
    h.stop().await?;
    if let Some(db) = scratch {
        db.drop_now().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "tollgate-backlog-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn drive(
    h: &Harness,
    args: &BenchArgs,
    groups: usize,
    postgres: bool,
    limits: EmulatorLimits,
) -> anyhow::Result<BacklogRun> {
    let ctx = &h.app.ctx;
    let emu = &h.emulator;
    for (key, value) in [
        ("welcome_credits", (args.backlog_messages + 10).to_string()),
        ("low_credit_threshold", "0".to_owned()),
        ("message_cost", "1".to_owned()),
    ] {
        settings::set_from_text(&ctx.db, ctx.now(), key, &value)
            .await?
            .map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
    }
    // Everyone has pressed Start before the burst (not measured).
    let users: Vec<i64> = (0..args.backlog_users)
        .map(|i| h.add_user(&format!("User{i}"), "en"))
        .collect();
    for &u in &users {
        emu.send_text(u, u, "/start")?;
    }
    for &u in &users {
        emu.wait_for_bot_messages(u, 1, Duration::from_secs(120))
            .await
            .map_err(|e| anyhow::anyhow!("user {u} was never welcomed: {e}"))?;
    }
    let calls_before = emu.calls().len();
    let limited_before = emu.rate_limited_count();

    // The burst: every user's messages at once, interleaved.
    let start = std::time::Instant::now();
    let mut sent: HashMap<i64, Vec<i32>> = HashMap::new();
    for round in 0..args.backlog_messages {
        for &u in &users {
            let id = emu.send_text(u, u, &format!("message {round} of {u}"))?;
            sent.entry(u).or_default().push(id);
        }
    }
    let expected = users.len() * args.backlog_messages;
    let deadline = std::time::Instant::now() + Duration::from_secs(3600);
    loop {
        let copies: usize = h
            .admin_chat_ids
            .iter()
            .map(|g| {
                emu.bot_messages(*g)
                    .iter()
                    .filter(|m| m.copied_from.is_some())
                    .count()
            })
            .sum();
        if copies >= expected && backlog::stats(&ctx.db).await?.waiting == 0 {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "only {copies} of {expected} copies after an hour"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = start.elapsed();

    // Exactly once, in order, nothing refunded.
    for (&u, ids) in &sent {
        let copied: Vec<i32> = h
            .admin_chat_ids
            .iter()
            .flat_map(|g| emu.bot_messages(*g))
            .filter_map(|m| {
                m.copied_from
                    .filter(|(chat, _)| *chat == u)
                    .map(|(_, id)| id)
            })
            .collect();
        anyhow::ensure!(
            &copied == ids,
            "user {u}: copies {copied:?}, sent {ids:?} (each once, in order)"
        );
    }
    let refunds = tollgate::storage::query_all(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM credit_ledger WHERE reason = 'relay_refund'",
        vec![],
    )
    .await?
    .first()
    .map(|r| r.try_get::<i64>("", "n"))
    .transpose()?
    .unwrap_or(0) as u64;
    anyhow::ensure!(refunds == 0, "{refunds} messages were refunded");

    let per_group = (users.len() as f64 / groups as f64).ceil();
    let posts = per_group * POSTS_PER_USER;
    let least = ((posts - f64::from(limits.group_burst)).max(0.0)) / (limits.group_per_min / 60.0);
    let calls_into_groups = emu.calls()[calls_before..]
        .iter()
        .filter(|c| {
            c.ok && c.params["chat_id"]
                .as_i64()
                .is_some_and(|chat| h.admin_chat_ids.contains(&chat))
        })
        .count();
    let batches = emu.calls_to("copyMessages").len();
    Ok(BacklogRun {
        backend: if postgres { "PostgreSQL" } else { "SQLite" },
        groups,
        drained,
        least: Duration::from_secs_f64(least),
        calls_into_groups,
        batches,
        rate_limited: emu.rate_limited_count() - limited_before,
        refunds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scaled_limits_keep_the_burst_and_speed_up_the_rates() {
        let (app, emulator) = limits(10.0);
        assert_eq!(app.group_per_min, 200.0);
        assert_eq!(emulator.group_per_min, 200.0);
        assert_eq!(app.group_burst, f64::from(emulator.group_burst));
        assert_eq!(app.chat_per_sec, emulator.chat_per_sec);
    }
}
