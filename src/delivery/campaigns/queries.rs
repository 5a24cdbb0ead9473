//! The SQL the runner works the deliveries with: claims under a lease (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, so several instances share the work), the `sending` mark, outcomes
//! with their counters in one transaction, and the campaigns' own moves (scheduled → running
//! → done).
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

use super::CampaignResult;
use crate::storage::{
    self, Db,
    rows::{self, ColumnType},
};

/// Delivery ids handed to a statement as one parameter ([`rows`]): one statement text
/// whatever the batch's size, where `IN ($1, $2, …)` made a new one for every size.
const IDS: &[rows::Column] = &[("id", ColumnType::BigInt)];

/// `id` is one of `ids`, read from parameter `$param`; and that parameter's value.
fn among(backend: DbBackend, param: usize, ids: &[i64]) -> (String, sea_orm::Value) {
    let mut list = rows::Rows::new(backend, IDS, ids.len());
    for &id in ids {
        list.big_int(id);
    }
    let [value] = <[_; 1]>::try_from(list.into_values()).expect("one column, one parameter");
    (rows::any_of(backend, "id", param, IDS[0]), value)
}

/// The deliveries table for a statement that picks its rows by [`among`]. SQLite, without
/// statistics, would rather walk the claim index for every `queued` (or `sending`) row than
/// look the few ids up by rowid; `NOT INDEXED` leaves it the rowid (PostgreSQL, analysed
/// after each campaign's recipients are written, picks the primary key by itself).
fn by_ids(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "campaign_deliveries",
        _ => "campaign_deliveries NOT INDEXED",
    }
}

/// How long claimed deliveries are this instance's before another may take them over.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(5);

/// A delivery the runner took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub campaign_id: i64,
    pub user_id: i64,
    /// Failed attempts so far (a 429 is not one).
    pub attempts: i32,
}

/// How a delivery ended (or why it waits again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Telegram refused it, or it failed its last attempt.
    Failed(String),
    /// The user blocked the bot or is gone.
    Unreachable(String),
    /// Sent without an answer: it may have arrived; never sent again.
    Uncertain(String),
    /// Not now: due again at `next_at`; `attempt` says whether this counts as a failed try
    /// (a 5xx does, a 429 does not).
    Later {
        next_at: DateTime<Utc>,
        attempt: bool,
        error: String,
    },
}

impl Outcome {
    fn status(&self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Failed(_) => "failed",
            Outcome::Unreachable(_) => "unreachable",
            Outcome::Uncertain(_) => "uncertain",
            Outcome::Later { .. } => "queued",
        }
    }

    /// The campaigns counter this outcome adds one to.
    fn counter(&self) -> Option<&'static str> {
        match self {
            Outcome::Later { .. } => None,
            other => Some(other.status()),
        }
    }
}

/// Refreshes PostgreSQL's statistics of the deliveries after a campaign wrote its recipients.
/// Until autovacuum gets to a table that just grew by 100,000 rows, the planner takes it for
/// nearly empty and marks a few deliveries `sending` by walking all of a campaign's queued
/// ones (15 ms a statement instead of a primary-key lookup). SQLite plans these statements
/// by their keys without statistics.
pub async fn analyze(db: &Db) -> CampaignResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE campaign_deliveries").await?;
    }
    Ok(())
}

/// Scheduled campaigns whose start has come begin running; returns their ids.
pub async fn start_due(db: &Db, now: DateTime<Utc>) -> CampaignResult<Vec<i64>> {
    let rows = storage::query_all(
        db,
        "UPDATE campaigns SET status = 'running', started_at = COALESCE(started_at, $1) \
         WHERE status = 'scheduled' AND run_at <= $1 RETURNING id",
        vec![now.into()],
    )
    .await?;
    rows.iter()
        .map(|r| r.try_get("", "id").map_err(Into::into))
        .collect()
}

/// Deliveries another instance left `sending` (it stopped mid-send) become `uncertain`: the
/// message may have gone out, and sending it again could double it. On SQLite (one process)
/// every such row is another's; on PostgreSQL only those whose lease ran out. Queued rows
/// another instance had claimed are released likewise. Returns how many became uncertain.
pub async fn recover(db: &Db, me: &str, now: DateTime<Utc>) -> CampaignResult<u64> {
    let abandoned = match db.get_database_backend() {
        DbBackend::Postgres => "locked_by <> $1 AND locked_until < $2",
        _ => "locked_by <> $1 AND $2 = $2",
    };
    let txn = db.begin().await?;
    let rows = storage::query_all(
        &txn,
        &format!(
            "UPDATE campaign_deliveries SET status = 'uncertain', locked_until = NULL, \
               error = 'the sender stopped mid-send; it may have arrived' \
             WHERE status = 'sending' AND {abandoned} RETURNING campaign_id"
        ),
        vec![me.into(), now.into()],
    )
    .await?;
    let mut per_campaign: std::collections::BTreeMap<i64, i64> = Default::default();
    for row in &rows {
        *per_campaign
            .entry(row.try_get::<i64>("", "campaign_id")?)
            .or_default() += 1;
    }
    for (campaign, n) in per_campaign {
        storage::query_all(
            &txn,
            "UPDATE campaigns SET uncertain = uncertain + $1 WHERE id = $2",
            vec![n.into(), campaign.into()],
        )
        .await?;
    }
    storage::query_all(
        &txn,
        &format!(
            "UPDATE campaign_deliveries SET locked_until = NULL, locked_by = NULL \
             WHERE status = 'queued' AND locked_until IS NOT NULL AND {abandoned}"
        ),
        vec![me.into(), now.into()],
    )
    .await?;
    txn.commit().await?;
    Ok(rows.len() as u64)
}

/// Claims up to `limit` due queued deliveries of running campaigns for `me`, oldest first.
pub async fn claim(
    db: &Db,
    me: &str,
    now: DateTime<Utc>,
    limit: usize,
) -> CampaignResult<Vec<Claimed>> {
    let lock = match db.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let rows = storage::query_all(
        db,
        &format!(
            "UPDATE campaign_deliveries SET locked_until = $1, locked_by = $2 \
             WHERE id IN (SELECT d.id FROM campaign_deliveries d \
               WHERE d.status = 'queued' AND d.next_at <= $3 \
                 AND (d.locked_until IS NULL OR d.locked_until < $3) \
                 AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = d.campaign_id \
                   AND c.status = 'running') \
               ORDER BY d.next_at, d.id LIMIT {limit}{lock}) \
             RETURNING id, campaign_id, user_id, attempts"
        ),
        vec![(now + LEASE).into(), me.into(), now.into()],
    )
    .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("", "id")?,
                campaign_id: r.try_get("", "campaign_id")?,
                user_id: r.try_get("", "user_id")?,
                attempts: r.try_get("", "attempts")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    out.sort_by_key(|c| c.id);
    Ok(out)
}

/// Marks a claimed delivery `sending` just before its send, if its campaign still runs and
/// the claim is still `me`'s; false: do not send it.
pub async fn mark_sending(db: &Db, me: &str, id: i64, now: DateTime<Utc>) -> CampaignResult<bool> {
    Ok(!mark_sending_many(db, me, &[id], now).await?.is_empty())
}

/// [`mark_sending`] for several deliveries in one statement (the runner gathers the sends
/// about to start); returns the ids that may be sent.
pub async fn mark_sending_many(
    db: &Db,
    me: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> CampaignResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (in_ids, list) = among(db.get_database_backend(), 3, ids);
    let table = by_ids(db.get_database_backend());
    let values: Vec<sea_orm::Value> = vec![(now + LEASE).into(), me.into(), list];
    let rows = storage::query_all(
        db,
        &format!(
            "UPDATE {table} SET status = 'sending', locked_until = $1 \
             WHERE {in_ids} AND status = 'queued' AND locked_by = $2 \
               AND EXISTS (SELECT 1 FROM campaigns c \
                 WHERE c.id = campaign_deliveries.campaign_id AND c.status = 'running') \
             RETURNING id"
        ),
        values,
    )
    .await?;
    rows.iter()
        .map(|r| r.try_get("", "id").map_err(Into::into))
        .collect()
}

/// Gives back claimed deliveries that were not sent (paused, cancelled, shutting down).
pub async fn release(db: &Db, me: &str, ids: &[i64]) -> CampaignResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let (in_ids, list) = among(db.get_database_backend(), 2, ids);
    let table = by_ids(db.get_database_backend());
    storage::query_all(
        db,
        &format!(
            "UPDATE {table} SET locked_until = NULL, locked_by = NULL \
             WHERE status = 'queued' AND locked_by = $1 AND {in_ids}"
        ),
        vec![me.into(), list],
    )
    .await?;
    Ok(())
}

/// How one delivery ended, to record with [`settle_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settle {
    pub campaign_id: i64,
    pub id: i64,
    pub outcome: Outcome,
}

/// Records how `me`'s delivery `id` (of `campaign_id`) ended, with the campaign's counter, in
/// one transaction. False when the row was not `me`'s `sending` one (nothing changed).
pub async fn settle(
    db: &Db,
    me: &str,
    campaign_id: i64,
    id: i64,
    now: DateTime<Utc>,
    outcome: &Outcome,
) -> CampaignResult<bool> {
    let one = Settle {
        campaign_id,
        id,
        outcome: outcome.clone(),
    };
    Ok(settle_many(db, me, now, std::slice::from_ref(&one)).await?[0])
}

/// [`settle`] for several deliveries in one transaction: the sent ones by one statement, the
/// rest one by one, and each campaign's counters once. One answer per item, in order: false
/// when the row was not `me`'s `sending` one (nothing changed for it).
pub async fn settle_many(
    db: &Db,
    me: &str,
    now: DateTime<Utc>,
    items: &[Settle],
) -> CampaignResult<Vec<bool>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let txn = db.begin().await?;
    let mut settled: std::collections::HashSet<i64> = Default::default();
    let sent: Vec<i64> = items
        .iter()
        .filter(|s| s.outcome == Outcome::Sent)
        .map(|s| s.id)
        .collect();
    if !sent.is_empty() {
        let (in_ids, list) = among(db.get_database_backend(), 3, &sent);
        let table = by_ids(db.get_database_backend());
        let rows = storage::query_all(
            &txn,
            &format!(
                "UPDATE {table} SET status = 'sent', error = NULL, sent_at = $1, \
                   locked_until = NULL, locked_by = NULL \
                 WHERE {in_ids} AND status = 'sending' AND locked_by = $2 RETURNING id"
            ),
            vec![now.into(), me.into(), list],
        )
        .await?;
        for row in &rows {
            settled.insert(row.try_get("", "id")?);
        }
    }
    for item in items.iter().filter(|s| s.outcome != Outcome::Sent) {
        let (next_at, attempt, error): (Option<DateTime<Utc>>, i32, Option<String>) =
            match &item.outcome {
                Outcome::Sent => unreachable!("sent ones were recorded above"),
                Outcome::Failed(e) | Outcome::Unreachable(e) | Outcome::Uncertain(e) => {
                    (None, 1, Some(e.clone()))
                }
                Outcome::Later {
                    next_at,
                    attempt,
                    error,
                } => (Some(*next_at), i32::from(*attempt), Some(error.clone())),
            };
        let rows = storage::query_all(
            &txn,
            "UPDATE campaign_deliveries SET status = $1, attempts = attempts + $2, \
               next_at = COALESCE($3, next_at), error = $4, sent_at = NULL, \
               locked_until = NULL, locked_by = NULL \
             WHERE id = $5 AND status = 'sending' AND locked_by = $6 RETURNING id",
            vec![
                item.outcome.status().into(),
                attempt.into(),
                next_at.into(),
                error.into(),
                item.id.into(),
                me.into(),
            ],
        )
        .await?;
        if !rows.is_empty() {
            settled.insert(item.id);
        }
    }
    let mut counters: std::collections::BTreeMap<(i64, &'static str), i64> = Default::default();
    for item in items.iter().filter(|s| settled.contains(&s.id)) {
        if let Some(counter) = item.outcome.counter() {
            *counters.entry((item.campaign_id, counter)).or_default() += 1;
        }
    }
    for ((campaign_id, counter), n) in counters {
        storage::query_all(
            &txn,
            &format!("UPDATE campaigns SET {counter} = {counter} + $1 WHERE id = $2"),
            vec![n.into(), campaign_id.into()],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(items.iter().map(|s| settled.contains(&s.id)).collect())
}

/// Running campaigns with nothing left to send become `done`; returns their ids.
pub async fn finish_done(db: &Db, now: DateTime<Utc>) -> CampaignResult<Vec<i64>> {
    let rows = storage::query_all(
        db,
        "UPDATE campaigns SET status = 'done', finished_at = $1 \
         WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM campaign_deliveries d \
           WHERE d.campaign_id = campaigns.id AND d.status IN ('queued', 'sending')) \
         RETURNING id",
        vec![now.into()],
    )
    .await?;
    rows.iter()
        .map(|r| r.try_get("", "id").map_err(Into::into))
        .collect()
}

/// When the next queued delivery of a running campaign is due (for the runner's sleep).
pub async fn next_due(db: &impl ConnectionTrait) -> CampaignResult<Option<DateTime<Utc>>> {
    let rows = storage::query_all(
        db,
        "SELECT MIN(d.next_at) AS next_at FROM campaign_deliveries d \
         WHERE d.status = 'queued' AND EXISTS (SELECT 1 FROM campaigns c \
           WHERE c.id = d.campaign_id AND c.status = 'running')",
        vec![],
    )
    .await?;
    Ok(match rows.first() {
        Some(r) => r.try_get("", "next_at")?,
        None => None,
    })
}
