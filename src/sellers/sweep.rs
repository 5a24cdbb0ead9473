//! The expiry sweeper: finds memberships whose reminder or removal is due and claims them in
//! batches, each batch in one statement over an index (`(status, ends_at)` and
//! `(status, remove_at)`), never loading every row. A claim and what follows from it (the
//! reminder, the removal, the `subscription.expired` webhook event) are written in one
//! transaction, so a crash loses none; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets several
//! replicas sweep side by side. Members of a Telegram Star subscription are Telegram's to
//! remind and remove: the sweeper claims only memberships Tollgate keeps.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement,
    TransactionTrait,
};

use super::{
    access::{Membership, REMIND_JOB, REMOVE_JOB, Removal, SOURCE_TOLLGATE, removal_job},
    webhooks,
};
use crate::{
    jobs::{self, NewJob},
    services::ServiceResult,
    storage::{
        Db,
        entities::{memberships, seller_services},
    },
};

/// Rows claimed per statement.
pub const BATCH: usize = 1000;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub reminders: usize,
    pub removals: usize,
}

fn lock(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    }
}

/// Claims up to `limit` memberships whose removal is due: they become `expired` and a removal
/// job and an audit entry are written for each, in one transaction (on PostgreSQL in one
/// statement: the claim, the jobs and the entries are data-modifying parts of one query, so a
/// batch costs one round trip and no parameter lists).
pub async fn claim_removals(
    db: &Db,
    now: DateTime<Utc>,
    limit: usize,
) -> ServiceResult<Vec<Membership>> {
    let backend = db.get_database_backend();
    let claim = format!(
        "UPDATE memberships SET status = 'expired', updated_at = $1 WHERE id IN (SELECT id \
         FROM memberships WHERE status = 'active' AND remove_at <= $1 AND whitelisted = $2 \
         AND source = '{SOURCE_TOLLGATE}' ORDER BY remove_at LIMIT {limit}{}) RETURNING *",
        lock(backend)
    );
    if backend == DbBackend::Postgres {
        let query = format!(
            "WITH claimed AS ({claim}), \
             queued AS (INSERT INTO jobs (kind, payload, status, dedupe_key, run_at, attempts, \
               max_attempts, created_at, updated_at) \
               SELECT '{REMOVE_JOB}', json_build_object('service', service_id, 'user', user_id, \
                 'membership', id, 'reason', 'expired')::text, 'queued', \
                 '{REMOVE_JOB}:' || id || ':' || COALESCE(EXTRACT(EPOCH FROM ends_at)::bigint, 0), \
                 $1, 0, {attempts}, $1, $1 FROM claimed \
               ON CONFLICT (dedupe_key) DO NOTHING), \
             audited AS (INSERT INTO seller_audit (seller_id, actor, action, target_user, \
               created_at) SELECT seller_id, {system}, 'expired', user_id, $1 FROM claimed) \
             SELECT * FROM claimed",
            attempts = super::access::REMOVAL_ATTEMPTS,
            system = super::audit::SYSTEM,
        );
        let txn = db.begin().await?;
        let claimed = memberships::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                backend,
                query,
                [now.into(), false.into()],
            ))
            .all(&txn)
            .await?;
        emit_expired(&txn, now, &claimed).await?;
        txn.commit().await?;
        return Ok(claimed);
    }
    let txn = db.begin().await?;
    let claimed = memberships::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            crate::storage::sql(backend, &claim),
            [now.into(), false.into()],
        ))
        .all(&txn)
        .await?;
    let jobs = claimed.iter().map(|m| {
        let removal = Removal {
            service: m.service_id,
            user: m.user_id,
            membership: Some(m.id),
            reason: "expired".into(),
        };
        let key = format!("{}:{}", m.id, m.ends_at.map_or(0, |t| t.timestamp()));
        removal_job(now, &removal, key)
    });
    jobs::enqueue_many(&txn, now, jobs.collect::<Vec<_>>()).await?;
    super::audit::record_many(
        &txn,
        now,
        claimed.iter().map(|m| super::audit::NewEntry {
            seller_id: m.seller_id,
            actor: super::audit::SYSTEM,
            action: "expired",
            target_user: Some(m.user_id),
            detail: None,
        }),
    )
    .await?;
    emit_expired(&txn, now, &claimed).await?;
    txn.commit().await?;
    Ok(claimed)
}

/// `subscription.expired` and a `churned` analytics event for each claimed membership, in the
/// claim's transaction.
async fn emit_expired(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    claimed: &[Membership],
) -> ServiceResult<()> {
    if claimed.is_empty() {
        return Ok(());
    }
    let mut services: Vec<i64> = claimed.iter().map(|m| m.service_id).collect();
    services.sort_unstable();
    services.dedup();
    let livemode: HashMap<i64, bool> = seller_services::Entity::find()
        .select_only()
        .column(seller_services::Column::Id)
        .column(seller_services::Column::Livemode)
        .filter(seller_services::Column::Id.is_in(services))
        .into_tuple::<(i64, bool)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let events = claimed
        .iter()
        .map(|m| webhooks::NewEvent {
            seller_id: m.seller_id,
            livemode: livemode.get(&m.service_id).copied().unwrap_or(true),
            event_type: webhooks::EventType::SubscriptionExpired,
            data: super::access::member_data(m),
        })
        .collect();
    webhooks::emit_many(txn, now, events).await?;
    let churned: Vec<super::analytics::NewEvent> = claimed
        .iter()
        .map(|m| super::analytics::NewEvent {
            plan_id: m.plan_id,
            ..super::analytics::NewEvent::new(
                m.seller_id,
                livemode.get(&m.service_id).copied().unwrap_or(true),
                m.service_id,
                m.user_id,
                super::analytics::Kind::Churned,
                format!(
                    "churned:{}:{}",
                    m.id,
                    m.ends_at.map_or(0, |t| t.timestamp())
                ),
            )
        })
        .collect();
    super::analytics::record_many(txn, now, &churned).await?;
    Ok(())
}

/// Claims up to `limit` memberships due a reminder (3 days, then 1 day before the end) and
/// enqueues it; a membership that is already within a day gets only the 1-day one.
pub async fn claim_reminders(
    db: &Db,
    now: DateTime<Utc>,
    limit: usize,
) -> ServiceResult<Vec<Membership>> {
    let backend = db.get_database_backend();
    let three = now + Duration::days(3);
    let one = now + Duration::days(1);
    let query = crate::storage::sql(
        backend,
        &format!(
            "UPDATE memberships SET reminder_stage = CASE WHEN ends_at <= $2 THEN 2 ELSE 1 END, \
             updated_at = $4 WHERE id IN (SELECT id FROM memberships WHERE status = 'active' \
             AND whitelisted = $5 AND source = '{SOURCE_TOLLGATE}' AND ends_at > $4 \
             AND ((reminder_stage = 0 AND ends_at <= $1) \
             OR (reminder_stage = 1 AND ends_at <= $2)) ORDER BY ends_at LIMIT $3{}) RETURNING *",
            lock(backend)
        ),
    );
    let txn = db.begin().await?;
    let claimed = memberships::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            query,
            [
                three.into(),
                one.into(),
                (limit as i64).into(),
                now.into(),
                false.into(),
            ],
        ))
        .all(&txn)
        .await?;
    let jobs: Vec<NewJob> = claimed
        .iter()
        .map(|m| {
            let days = if m.reminder_stage >= 2 { 1 } else { 3 };
            NewJob {
                dedupe_key: Some(format!(
                    "{REMIND_JOB}:{}:{}:{days}",
                    m.id,
                    m.ends_at.map_or(0, |t| t.timestamp())
                )),
                ..NewJob::now(
                    REMIND_JOB,
                    serde_json::json!({"membership": m.id, "days": days}),
                    now,
                )
            }
        })
        .collect();
    jobs::enqueue_many(&txn, now, jobs).await?;
    txn.commit().await?;
    Ok(claimed)
}

/// One whole sweep: reminders, then removals, batch after batch until none is due.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> ServiceResult<Swept> {
    let mut swept = Swept::default();
    loop {
        let n = claim_reminders(db, now, BATCH).await?.len();
        swept.reminders += n;
        if n < BATCH {
            break;
        }
    }
    loop {
        let claimed = claim_removals(db, now, BATCH).await?;
        let n = claimed.len();
        // Drip campaigns started by a membership's end.
        let ended: Vec<(i64, i64)> = claimed.iter().map(|m| (m.seller_id, m.user_id)).collect();
        crate::messaging::drips::on_expiries(db, now, &ended).await?;
        swept.removals += n;
        if n < BATCH {
            break;
        }
    }
    Ok(swept)
}
