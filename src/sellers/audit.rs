//! The seller's audit trail: every admission, removal, link, alert, payment and manual
//! change, per seller, newest first.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{
    services::ServiceResult,
    storage::{Db, entities::seller_audit},
};

pub type Entry = seller_audit::Model;

/// Tollgate itself (the sweeper, join tracking) as the actor.
pub const SYSTEM: i64 = 0;

pub async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    seller_id: i64,
    actor: i64,
    action: &str,
    target_user: Option<i64>,
    detail: impl Into<Option<String>>,
) -> ServiceResult<()> {
    seller_audit::Entity::insert(seller_audit::ActiveModel {
        seller_id: Set(seller_id),
        actor: Set(actor),
        action: Set(action.to_owned()),
        target_user: Set(target_user),
        detail: Set(detail.into()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// One entry of [`record_many`].
pub struct NewEntry {
    pub seller_id: i64,
    pub actor: i64,
    pub action: &'static str,
    pub target_user: Option<i64>,
    pub detail: Option<String>,
}

/// Records many entries in one statement per 1,000.
pub async fn record_many(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    entries: impl IntoIterator<Item = NewEntry>,
) -> ServiceResult<()> {
    let rows: Vec<seller_audit::ActiveModel> = entries
        .into_iter()
        .map(|e| seller_audit::ActiveModel {
            seller_id: Set(e.seller_id),
            actor: Set(e.actor),
            action: Set(e.action.to_owned()),
            target_user: Set(e.target_user),
            detail: Set(e.detail),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(1000) {
        seller_audit::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A page of a seller's trail, newest first, optionally only about one user.
pub async fn page(
    db: &Db,
    seller_id: i64,
    user: Option<i64>,
    page: u64,
    per_page: u64,
) -> ServiceResult<(Vec<Entry>, bool)> {
    let mut q = seller_audit::Entity::find().filter(seller_audit::Column::SellerId.eq(seller_id));
    if let Some(user) = user {
        q = q.filter(seller_audit::Column::TargetUser.eq(user));
    }
    let mut rows = q
        .order_by_desc(seller_audit::Column::Id)
        .offset(page * per_page)
        .limit(per_page + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}
