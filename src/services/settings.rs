//! Operator settings: typed keys with defaults, stored as JSON text.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait, sea_query::OnConflict};
use serde::{Serialize, de::DeserializeOwned};

use super::ServiceResult;
use crate::storage::{StorageError, entities::settings};

/// A setting: its key and the type and default of its value.
pub struct Setting<T: 'static> {
    pub key: &'static str,
    pub default: fn() -> T,
}

/// Reads a setting, or its default when unset.
pub async fn get<T>(db: &crate::storage::Db, setting: &Setting<T>) -> ServiceResult<T>
where
    T: DeserializeOwned,
{
    match settings::Entity::find_by_id(setting.key).one(db).await? {
        None => Ok((setting.default)()),
        Some(row) => serde_json::from_str(&row.value).map_err(|e| {
            StorageError::Corrupt(format!("setting {} holds bad JSON: {e}", setting.key)).into()
        }),
    }
}

pub async fn set<T>(
    db: &crate::storage::Db,
    now: DateTime<Utc>,
    setting: &Setting<T>,
    value: &T,
) -> ServiceResult<()>
where
    T: Serialize,
{
    let json = serde_json::to_string(value)
        .map_err(|e| StorageError::Corrupt(format!("setting {}: {e}", setting.key)))?;
    settings::Entity::insert(settings::ActiveModel {
        key: Set(setting.key.to_owned()),
        value: Set(json),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(settings::Column::Key)
            .update_columns([settings::Column::Value, settings::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// How long processed Telegram update ids are remembered for de-duplication, in hours.
pub const UPDATE_DEDUPE_HOURS: Setting<i64> = Setting {
    key: "update_dedupe_hours",
    default: || 48,
};
