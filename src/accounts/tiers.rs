//! Tiers: what a message costs a user. Users without a tier get the default one (a setting);
//! when no tier of that name exists, the default message cost applies.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};

use crate::storage::{
    Db,
    entities::{tiers, users},
};
use crate::{services::ServiceResult, services::settings};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub name: String,
    pub message_cost: i64,
}

pub async fn of_user(db: &Db, user: &users::Model) -> ServiceResult<Tier> {
    if let Some(id) = user.tier_id
        && let Some(t) = tiers::Entity::find_by_id(id).one(db).await?
    {
        return Ok(Tier {
            name: t.name,
            message_cost: t.message_cost,
        });
    }
    let name = settings::get(db, &settings::DEFAULT_TIER).await?;
    match tiers::Entity::find()
        .filter(tiers::Column::Name.eq(name.as_str()))
        .one(db)
        .await?
    {
        Some(t) => Ok(Tier {
            name: t.name,
            message_cost: t.message_cost,
        }),
        None => Ok(Tier {
            name,
            message_cost: settings::get(db, &settings::MESSAGE_COST).await?,
        }),
    }
}

/// Creates or updates a tier by name.
pub async fn upsert(
    db: &Db,
    now: DateTime<Utc>,
    name: &str,
    message_cost: i64,
    description: &str,
) -> ServiceResult<tiers::Model> {
    tiers::Entity::insert(tiers::ActiveModel {
        name: Set(name.to_owned()),
        message_cost: Set(message_cost),
        description: Set(description.to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(tiers::Column::Name)
            .update_columns([tiers::Column::MessageCost, tiers::Column::Description])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(tiers::Entity::find()
        .filter(tiers::Column::Name.eq(name))
        .one(db)
        .await?
        .expect("just upserted"))
}

/// Puts a user on a tier.
pub async fn assign(db: &Db, user_id: i64, tier_id: Option<i64>) -> ServiceResult<()> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::TierId, Expr::value(tier_id))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every tier, by name.
pub async fn all(db: &Db) -> ServiceResult<Vec<tiers::Model>> {
    use sea_orm::QueryOrder;
    Ok(tiers::Entity::find()
        .order_by_asc(tiers::Column::Name)
        .all(db)
        .await?)
}

pub async fn by_name(db: &Db, name: &str) -> ServiceResult<Option<tiers::Model>> {
    Ok(tiers::Entity::find()
        .filter(tiers::Column::Name.eq(name))
        .one(db)
        .await?)
}
