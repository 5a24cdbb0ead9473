//! Time passes: unlimited messaging until a moment. A new pass stacks on an active one.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::services::ServiceResult;
use crate::{
    jobs::{self, NewJob},
    storage::{Db, entities::time_passes},
};

pub type Pass = time_passes::Model;

pub const REMINDER_JOB: &str = "pass_reminder";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassKind {
    Day,
    Week,
    Month,
}

impl PassKind {
    pub fn parse(s: &str) -> Option<PassKind> {
        match s {
            "day" => Some(PassKind::Day),
            "week" => Some(PassKind::Week),
            "month" => Some(PassKind::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PassKind::Day => "day",
            PassKind::Week => "week",
            PassKind::Month => "month",
        }
    }

    pub fn length(self) -> Duration {
        match self {
            PassKind::Day => Duration::days(1),
            PassKind::Week => Duration::days(7),
            PassKind::Month => Duration::days(30),
        }
    }

    /// How long before the end the reminder goes out.
    fn reminder_lead(self) -> Duration {
        match self {
            PassKind::Day => Duration::hours(2),
            PassKind::Week | PassKind::Month => Duration::days(1),
        }
    }
}

/// The pass that is active at `now`, the one ending last.
pub async fn active(db: &Db, now: DateTime<Utc>, user_id: i64) -> ServiceResult<Option<Pass>> {
    Ok(time_passes::Entity::find()
        .filter(time_passes::Column::UserId.eq(user_id))
        .filter(time_passes::Column::EndsAt.gt(now))
        .order_by_desc(time_passes::Column::EndsAt)
        .one(db)
        .await?)
}

/// Grants a pass; it starts when the active one ends (or now). Schedules the reminder.
pub async fn grant(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    kind: PassKind,
    source: &str,
) -> ServiceResult<Pass> {
    let starts_at = active(db, now, user_id)
        .await?
        .map(|p| p.ends_at)
        .unwrap_or(now);
    let ends_at = starts_at + kind.length();
    let pass = time_passes::Entity::insert(time_passes::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.as_str().to_owned()),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        source: Set(source.to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let remind_at = (ends_at - kind.reminder_lead()).max(now);
    jobs::enqueue(
        db,
        now,
        NewJob {
            run_at: remind_at,
            dedupe_key: Some(format!("{REMINDER_JOB}:{user_id}:{}", ends_at.timestamp())),
            ..NewJob::now(
                REMINDER_JOB,
                serde_json::json!({"user_id": user_id, "ends_at": ends_at.timestamp()}),
                now,
            )
        },
    )
    .await?;
    Ok(pass)
}

/// Whether a reminder for a pass ending at `ends_at` is still due: the pass was not extended
/// and has not ended yet.
pub async fn reminder_due(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    ends_at: i64,
) -> ServiceResult<Option<Pass>> {
    let current = active(db, now, user_id).await?;
    Ok(current.filter(|p| p.ends_at.timestamp() == ends_at))
}
