//! Notes the team keeps on a user (`/note` in their topic): seen on the user card, never by
//! the user.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{
    services::ServiceResult,
    storage::{Db, entities::admin_notes},
};

pub type Note = admin_notes::Model;

/// The longest note kept.
pub const MAX_CHARS: usize = 1000;

/// Keeps a note; false (and nothing kept) when it is empty or too long.
pub async fn add(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    admin_id: i64,
    text: &str,
) -> ServiceResult<bool> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_CHARS {
        return Ok(false);
    }
    admin_notes::ActiveModel {
        user_id: Set(user_id),
        admin_id: Set(admin_id),
        text: Set(text.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// The newest `limit` notes on a user, newest first.
pub async fn recent(db: &Db, user_id: i64, limit: u64) -> ServiceResult<Vec<Note>> {
    Ok(admin_notes::Entity::find()
        .filter(admin_notes::Column::UserId.eq(user_id))
        .order_by_desc(admin_notes::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
