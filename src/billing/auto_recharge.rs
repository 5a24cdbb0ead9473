//! Auto-recharge settings per user.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use crate::services::ServiceResult;
use crate::storage::{Db, entities::auto_recharge};

pub type AutoRecharge = auto_recharge::Model;

/// After this many failures in a row, auto-recharge switches itself off.
pub const MAX_FAILURES: i32 = 3;

pub async fn get(db: &Db, user_id: i64) -> ServiceResult<Option<AutoRecharge>> {
    Ok(auto_recharge::Entity::find_by_id(user_id).one(db).await?)
}

/// Opts in (or changes the threshold and pack); a saved card is kept.
pub async fn enable(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    threshold: i64,
    product_id: i64,
) -> ServiceResult<AutoRecharge> {
    auto_recharge::Entity::insert(auto_recharge::ActiveModel {
        user_id: Set(user_id),
        threshold: Set(threshold),
        product_id: Set(product_id),
        payment_method: Set(None),
        failures: Set(0),
        enabled: Set(true),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(auto_recharge::Column::UserId)
            .update_columns([
                auto_recharge::Column::Threshold,
                auto_recharge::Column::ProductId,
                auto_recharge::Column::Failures,
                auto_recharge::Column::Enabled,
                auto_recharge::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(get(db, user_id).await?.expect("just upserted"))
}

pub async fn disable(db: &Db, now: DateTime<Utc>, user_id: i64) -> ServiceResult<()> {
    auto_recharge::Entity::update_many()
        .col_expr(auto_recharge::Column::Enabled, Expr::value(false))
        .col_expr(auto_recharge::Column::UpdatedAt, Expr::value(now))
        .filter(auto_recharge::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn save_payment_method(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    pm: &str,
) -> ServiceResult<()> {
    auto_recharge::Entity::update_many()
        .col_expr(auto_recharge::Column::PaymentMethod, Expr::value(pm))
        .col_expr(auto_recharge::Column::UpdatedAt, Expr::value(now))
        .filter(auto_recharge::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts a failed attempt; returns the failures in a row (and switches off at the limit).
pub async fn record_failure(db: &Db, now: DateTime<Utc>, user_id: i64) -> ServiceResult<i32> {
    auto_recharge::Entity::update_many()
        .col_expr(
            auto_recharge::Column::Failures,
            Expr::col(auto_recharge::Column::Failures).add(1),
        )
        .col_expr(auto_recharge::Column::UpdatedAt, Expr::value(now))
        .filter(auto_recharge::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let failures = get(db, user_id).await?.map_or(0, |a| a.failures);
    if failures >= MAX_FAILURES {
        disable(db, now, user_id).await?;
    }
    Ok(failures)
}

pub async fn record_success(db: &Db, user_id: i64) -> ServiceResult<()> {
    auto_recharge::Entity::update_many()
        .col_expr(auto_recharge::Column::Failures, Expr::value(0))
        .filter(auto_recharge::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Opted in and waiting for a card (the next Checkout saves one).
pub fn wants_card(a: &AutoRecharge) -> bool {
    a.enabled && a.payment_method.is_none()
}
