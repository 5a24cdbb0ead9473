//! The audit log: every admin action, who did it, to whom, and what changed (before → after).
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{
    services::ServiceResult,
    storage::{Db, entities::admin_audit},
};

pub type AuditEntry = admin_audit::Model;

/// One action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action<'a> {
    pub admin_id: i64,
    /// What was done: `credits`, `pass`, `ban`, `unban`, `setting`, …
    pub what: &'a str,
    pub target_user: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub async fn record(db: &Db, now: DateTime<Utc>, action: Action<'_>) -> ServiceResult<()> {
    admin_audit::ActiveModel {
        admin_id: Set(action.admin_id),
        action: Set(action.what.to_owned()),
        target_user: Set(action.target_user),
        before: Set(action.before),
        after: Set(action.after),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Which entries to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Filter {
    pub admin: Option<i64>,
    pub user: Option<i64>,
}

/// A page of entries, newest first, and whether older ones follow.
pub async fn page(
    db: &Db,
    filter: Filter,
    page: u32,
    per_page: u32,
) -> ServiceResult<(Vec<AuditEntry>, bool)> {
    let mut query = admin_audit::Entity::find().order_by_desc(admin_audit::Column::Id);
    if let Some(admin) = filter.admin {
        query = query.filter(admin_audit::Column::AdminId.eq(admin));
    }
    if let Some(user) = filter.user {
        query = query.filter(admin_audit::Column::TargetUser.eq(user));
    }
    let mut rows = query
        .offset(u64::from(page) * u64::from(per_page))
        .limit(u64::from(per_page) + 1)
        .all(db)
        .await?;
    let more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}
