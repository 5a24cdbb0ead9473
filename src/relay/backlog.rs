//! The relay backlog: charged messages waiting for their turn to be copied into the admin
//! group. Telegram lets a bot post about 20 messages a minute into one group; a message that
//! cannot go now (no room under that limit, a 429, Telegram unavailable) waits here as a row,
//! so a restart loses none and waiting never costs the user their message or a refund.
//!
//! One drainer per admin group takes the oldest waiting user's messages (up to 100, in the
//! order they were written) and copies them in one call. While a user has messages waiting,
//! their new messages queue behind them, so the team reads them in order.
use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait};
use tokio::sync::Notify;

use crate::storage::{self, Db, StorageError};
use crate::{
    relay::threads::{self as relay, Pair},
    services::ServiceResult,
};

/// Most messages one copy call takes (`copyMessages` accepts up to 100 ids).
pub const BATCH: usize = 100;

/// How long a drainer holds the rows it took before another may take them over (it died).
pub const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub user_id: i64,
    pub message_id: i32,
    pub admin_chat_id: i64,
    /// What the message was charged (refunded if Telegram finally refuses it).
    pub cost: i64,
    /// The user's message it answers, for threading the copy.
    pub reply_to: Option<i32>,
    /// Its text or caption, recorded with the copy (for search).
    pub text: Option<String>,
}

/// A queued message, as a drainer took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub id: i64,
    pub waiting: Waiting,
    pub enqueued_at: DateTime<Utc>,
    pub attempts: i32,
}

/// What is waiting, for `/status` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BacklogStats {
    pub waiting: u64,
    pub oldest: Option<DateTime<Utc>>,
}

/// Which users have messages waiting (so that their next message queues behind them), and a
/// bell for the drainers. Loaded from the rows at start; kept by [`enqueue`] and [`done`].
#[derive(Default)]
pub struct Backlog {
    waiting: Mutex<HashMap<i64, u64>>,
    bell: Notify,
}

impl Backlog {
    /// Whether `user_id` has messages waiting.
    pub fn has_waiting(&self, user_id: i64) -> bool {
        self.waiting
            .lock()
            .expect("backlog lock")
            .get(&user_id)
            .is_some_and(|n| *n > 0)
    }

    fn add(&self, user_id: i64, n: u64) {
        *self
            .waiting
            .lock()
            .expect("backlog lock")
            .entry(user_id)
            .or_default() += n;
        self.bell.notify_waiters();
    }

    fn remove(&self, user_id: i64, n: u64) {
        let mut waiting = self.waiting.lock().expect("backlog lock");
        if let Some(left) = waiting.get_mut(&user_id) {
            *left = left.saturating_sub(n);
            if *left == 0 {
                waiting.remove(&user_id);
            }
        }
    }

    /// Resolves when something is queued (or after `at_most`).
    pub async fn rung(&self, at_most: std::time::Duration) {
        let _ = tokio::time::timeout(at_most, self.bell.notified()).await;
    }

    /// Reads who has messages waiting from the rows (at start).
    pub async fn load(&self, db: &Db) -> Result<(), StorageError> {
        let rows = storage::query_all(
            db,
            "SELECT user_id, COUNT(*) AS n FROM relay_backlog GROUP BY user_id",
            vec![],
        )
        .await?;
        let mut waiting = self.waiting.lock().expect("backlog lock");
        waiting.clear();
        for row in rows {
            let user: i64 = row.try_get("", "user_id")?;
            let n: i64 = row.try_get("", "n")?;
            waiting.insert(user, n.max(0) as u64);
        }
        Ok(())
    }
}

/// Queues a message, to go no earlier than `not_before`; false when it was queued before (a
/// redelivered update, a recovery).
pub async fn enqueue(
    db: &Db,
    backlog: &Backlog,
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
    w: Waiting,
) -> ServiceResult<bool> {
    let rows = storage::query_all(
        db,
        "INSERT INTO relay_backlog \
           (user_id, message_id, admin_chat_id, cost, reply_to, enqueued_at, attempts, not_before, \
            text) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8) \
         ON CONFLICT (user_id, message_id) DO NOTHING RETURNING id",
        vec![
            w.user_id.into(),
            w.message_id.into(),
            w.admin_chat_id.into(),
            w.cost.into(),
            w.reply_to.into(),
            now.into(),
            not_before.into(),
            w.text.clone().into(),
        ],
    )
    .await?;
    let queued = !rows.is_empty();
    if queued {
        backlog.add(w.user_id, 1);
    }
    Ok(queued)
}

fn queued(row: &QueryResult) -> Result<Queued, sea_orm::DbErr> {
    Ok(Queued {
        id: row.try_get("", "id")?,
        waiting: Waiting {
            user_id: row.try_get("", "user_id")?,
            message_id: row.try_get("", "message_id")?,
            admin_chat_id: row.try_get("", "admin_chat_id")?,
            cost: row.try_get("", "cost")?,
            reply_to: row.try_get("", "reply_to")?,
            text: row.try_get("", "text")?,
        },
        enqueued_at: row.try_get("", "enqueued_at")?,
        attempts: row.try_get("", "attempts")?,
    })
}

/// Takes the next batch for the admin group `chat`: the messages (in the order they were
/// written, at most [`BATCH`]) of the user whose message has waited longest, leased until
/// `now + LEASE`. A user's message never goes before an earlier one of theirs that is still
/// waiting (postponed or leased). Empty when nothing is due.
pub async fn take(db: &Db, chat: i64, now: DateTime<Utc>) -> ServiceResult<Vec<Queued>> {
    let free = |t: &str| {
        format!("{t}.not_before <= $2 AND ({t}.locked_until IS NULL OR {t}.locked_until < $2)")
    };
    let first = storage::query_all(
        db,
        &format!(
            "SELECT b.user_id FROM relay_backlog b WHERE b.admin_chat_id = $1 AND {} \
               AND NOT EXISTS (SELECT 1 FROM relay_backlog e WHERE e.user_id = b.user_id \
                 AND e.message_id < b.message_id AND NOT ({})) \
             ORDER BY b.id LIMIT 1",
            free("b"),
            free("e"),
        ),
        vec![chat.into(), now.into()],
    )
    .await?;
    let Some(row) = first.first() else {
        return Ok(Vec::new());
    };
    let user: i64 = row.try_get("", "user_id")?;
    // The user's messages in order, up to the first that may not go yet.
    let theirs = storage::query_all(
        db,
        &format!(
            "SELECT id, {} AS free FROM relay_backlog b WHERE b.user_id = $1 \
             ORDER BY b.message_id LIMIT {BATCH}",
            free("b")
        ),
        vec![user.into(), now.into()],
    )
    .await?;
    let mut ids = Vec::new();
    for row in &theirs {
        if !row.try_get::<bool>("", "free")? {
            break;
        }
        ids.push(row.try_get::<i64>("", "id")?);
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = storage::placeholders(4, ids.len());
    let mut values: Vec<sea_orm::Value> = vec![chat.into(), now.into(), (now + LEASE).into()];
    values.extend(ids.into_iter().map(Into::into));
    let rows = storage::query_all(
        db,
        &format!(
            "UPDATE relay_backlog SET locked_until = $3 WHERE id IN ({list}) \
               AND admin_chat_id = $1 AND {} \
             RETURNING id, user_id, message_id, admin_chat_id, cost, reply_to, enqueued_at, \
               attempts, text",
            free("relay_backlog")
        ),
        values,
    )
    .await?;
    let mut batch = rows.iter().map(queued).collect::<Result<Vec<_>, _>>()?;
    batch.sort_by_key(|q| q.waiting.message_id);
    Ok(batch)
}

/// The batch is settled without copies to record (refunded, or sent with no answer): its
/// rows go.
pub async fn done(db: &Db, backlog: &Backlog, batch: &[Queued]) -> ServiceResult<()> {
    let users = delete(db, batch).await?;
    forget(backlog, users);
    Ok(())
}

/// Deletes the batch's rows; returns how many went per user.
async fn delete(conn: &impl ConnectionTrait, batch: &[Queued]) -> ServiceResult<HashMap<i64, u64>> {
    let mut per_user: HashMap<i64, u64> = HashMap::new();
    if batch.is_empty() {
        return Ok(per_user);
    }
    let ids = storage::placeholders(1, batch.len());
    let values = batch.iter().map(|q| q.id.into()).collect();
    let deleted = storage::query_all(
        conn,
        &format!("DELETE FROM relay_backlog WHERE id IN ({ids}) RETURNING user_id"),
        values,
    )
    .await?;
    for row in deleted {
        *per_user.entry(row.try_get("", "user_id")?).or_default() += 1;
    }
    Ok(per_user)
}

fn forget(backlog: &Backlog, users: HashMap<i64, u64>) {
    for (user, n) in users {
        backlog.remove(user, n);
    }
}

/// The batch was copied: its pairs are recorded and its rows go, in one transaction (a
/// stop in between would otherwise copy it again).
pub async fn delivered(
    db: &Db,
    backlog: &Backlog,
    now: DateTime<Utc>,
    batch: &[Queued],
    pairs: &[Pair],
) -> ServiceResult<()> {
    let txn = db.begin().await?;
    relay::remember_all(&txn, now, pairs).await?;
    let users = delete(&txn, batch).await?;
    txn.commit().await?;
    forget(backlog, users);
    Ok(())
}

/// The batch could not go now: it waits until `not_before` (and counts an attempt).
pub async fn later(db: &Db, batch: &[Queued], not_before: DateTime<Utc>) -> ServiceResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let ids = storage::placeholders(2, batch.len());
    let mut values: Vec<sea_orm::Value> = vec![not_before.into()];
    values.extend(batch.iter().map(|q| q.id.into()));
    storage::query_all(
        db,
        &format!(
            "UPDATE relay_backlog SET not_before = $1, locked_until = NULL, \
               attempts = attempts + 1 WHERE id IN ({ids})"
        ),
        values,
    )
    .await?;
    Ok(())
}

/// How many messages wait, and since when the oldest.
pub async fn stats(db: &impl ConnectionTrait) -> ServiceResult<BacklogStats> {
    let rows = storage::query_all(
        db,
        "SELECT COUNT(*) AS n, MIN(enqueued_at) AS oldest FROM relay_backlog",
        vec![],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(BacklogStats::default());
    };
    let n: i64 = row.try_get("", "n")?;
    Ok(BacklogStats {
        waiting: n.max(0) as u64,
        oldest: row.try_get("", "oldest")?,
    })
}

/// The admin groups that have messages waiting (a drainer runs for each at start).
pub async fn groups(db: &Db) -> ServiceResult<Vec<i64>> {
    let rows = storage::query_all(
        db,
        "SELECT DISTINCT admin_chat_id FROM relay_backlog",
        vec![],
    )
    .await?;
    rows.iter()
        .map(|r| r.try_get("", "admin_chat_id").map_err(Into::into))
        .collect()
}

/// Back-off for a batch Telegram could not take (5xx, no answer): 5 s doubling, at most 5 min.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(0, 6));
    chrono::Duration::seconds(secs.min(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(0).num_seconds(), 5);
        assert_eq!(backoff(1).num_seconds(), 10);
        assert_eq!(backoff(3).num_seconds(), 40);
        assert_eq!(backoff(20).num_seconds(), 300);
    }

    #[test]
    fn the_waiting_count_goes_up_and_down_per_user() {
        let b = Backlog::default();
        assert!(!b.has_waiting(1));
        b.add(1, 2);
        assert!(b.has_waiting(1));
        b.remove(1, 1);
        assert!(b.has_waiting(1));
        b.remove(1, 5);
        assert!(!b.has_waiting(1));
        assert!(!b.has_waiting(2));
    }
}
