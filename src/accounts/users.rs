//! Users: created once on first contact, kept up to date on every visit.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
    sea_query::OnConflict,
};

use crate::{
    accounts::credits::{self, Movement},
    services::ServiceResult,
};
use crate::{
    domain::{StartPayload, TelegramProfile, UserStatus},
    storage::{Db, entities::users, is_unique_violation},
};

pub type User = users::Model;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    New(User),
    Returning(User),
}

impl StartOutcome {
    pub fn user(&self) -> &User {
        match self {
            StartOutcome::New(u) | StartOutcome::Returning(u) => u,
        }
    }
}

/// `/start`: creates the user exactly once, even when two `/start`s race (the insert is
/// `ON CONFLICT DO NOTHING`; whoever loses the race is a returning user). A returning user's
/// profile is refreshed. The first valid payload is kept (it says where the user came from).
///
/// A new user starts with `welcome` (the gift, if any) already granted: the row and the gift's
/// ledger entry are one transaction, so there is never a user without their gift. Should the
/// ledger already hold that gift's key (a user row removed by hand), the user is created without
/// a second one.
#[tracing::instrument(skip_all, fields(user_id = profile.id))]
pub async fn register_start(
    db: &Db,
    now: DateTime<Utc>,
    profile: &TelegramProfile,
    payload: Option<&StartPayload>,
    welcome: Option<&Movement>,
) -> ServiceResult<StartOutcome> {
    let mut created = create(db, now, profile, payload, welcome).await?;
    if created == Created::GiftTaken {
        tracing::warn!(
            user_id = profile.id,
            "the welcome gift is on the ledger already; creating the user without it"
        );
        created = create(db, now, profile, payload, None).await?;
    }
    match created {
        Created::New(user) => Ok(StartOutcome::New(*user)),
        Created::Exists => Ok(StartOutcome::Returning(seen(db, now, profile).await?)),
        Created::GiftTaken => unreachable!("no gift, no gift taken"),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Created {
    New(Box<User>),
    Exists,
    /// The gift's ledger key is taken; nothing was written.
    GiftTaken,
}

/// Inserts the user with `welcome` granted, in one transaction.
async fn create(
    db: &Db,
    now: DateTime<Utc>,
    profile: &TelegramProfile,
    payload: Option<&StartPayload>,
    welcome: Option<&Movement>,
) -> ServiceResult<Created> {
    let gift = welcome.map_or(0, |m| m.amount);
    let row = users::ActiveModel {
        id: Set(profile.id),
        first_name: Set(profile.first_name.clone()),
        last_name: Set(profile.last_name.clone()),
        username: Set(profile.username.clone()),
        language_code: Set(profile.language_code.clone()),
        locale: Set(None),
        status: Set(UserStatus::Active.as_str().to_owned()),
        start_payload: Set(payload.map(|p| p.as_str().to_owned())),
        created_at: Set(now),
        last_seen_at: Set(now),
        unreachable_at: Set(None),
        credits: Set(gift),
        tier_id: Set(None),
        banned_notice_sent: Set(false),
        flagged_at: Set(None),
    };
    let txn = db.begin().await?;
    let inserted = users::Entity::insert(row)
        .on_conflict(
            OnConflict::column(users::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        // RETURNING gives no row when the user exists (DO NOTHING).
        .exec_with_returning_many(&txn)
        .await?
        .pop();
    let Some(user) = inserted else {
        txn.rollback().await?;
        return Ok(Created::Exists);
    };
    if let Some(m) = welcome {
        match credits::record(&txn, now, m, gift, gift).await {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => {
                txn.rollback().await?;
                return Ok(Created::GiftTaken);
            }
            Err(e) => return Err(e.into()),
        }
    }
    txn.commit().await?;
    Ok(Created::New(Box::new(user)))
}

/// Records a visit: refreshes the profile and `last_seen_at`. A user who wrote to us is
/// reachable again, unless an admin banned them.
pub async fn seen(db: &Db, now: DateTime<Utc>, profile: &TelegramProfile) -> ServiceResult<User> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(
            users::Column::FirstName,
            Expr::value(profile.first_name.clone()),
        )
        .col_expr(
            users::Column::LastName,
            Expr::value(profile.last_name.clone()),
        )
        .col_expr(
            users::Column::Username,
            Expr::value(profile.username.clone()),
        )
        .col_expr(
            users::Column::LanguageCode,
            Expr::value(profile.language_code.clone()),
        )
        .col_expr(users::Column::LastSeenAt, Expr::value(now))
        .col_expr(
            users::Column::UnreachableAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            users::Column::Status,
            Expr::case(
                users::Column::Status.eq(UserStatus::Banned.as_str()),
                UserStatus::Banned.as_str(),
            )
            .finally(UserStatus::Active.as_str())
            .into(),
        )
        .filter(users::Column::Id.eq(profile.id))
        .exec(db)
        .await?;
    find(db, profile.id)
        .await?
        .ok_or_else(|| crate::storage::StorageError::Corrupt("user not found".into()).into())
}

pub async fn find(db: &Db, id: i64) -> ServiceResult<Option<User>> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

/// Telegram said 403 (blocked, deactivated): stop writing to this user until they write again.
pub async fn mark_unreachable(db: &Db, now: DateTime<Utc>, id: i64) -> ServiceResult<()> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(
            users::Column::Status,
            Expr::value(UserStatus::Unreachable.as_str()),
        )
        .col_expr(users::Column::UnreachableAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::Status.eq(UserStatus::Active.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserCounts {
    pub total: u64,
    pub active_since: u64,
}

pub async fn counts(db: &Db, active_since: DateTime<Utc>) -> ServiceResult<UserCounts> {
    let total = users::Entity::find().count(db).await?;
    let active = users::Entity::find()
        .filter(users::Column::LastSeenAt.gte(active_since))
        .count(db)
        .await?;
    Ok(UserCounts {
        total,
        active_since: active,
    })
}

pub async fn set_locale(db: &Db, id: i64, locale: &str) -> ServiceResult<()> {
    use sea_orm::sea_query::Expr;
    users::Entity::update_many()
        .col_expr(users::Column::Locale, Expr::value(locale))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_banned(db: &Db, id: i64, banned: bool) -> ServiceResult<bool> {
    use sea_orm::sea_query::Expr;
    let status = if banned {
        UserStatus::Banned
    } else {
        UserStatus::Active
    };
    let res = users::Entity::update_many()
        .col_expr(users::Column::Status, Expr::value(status.as_str()))
        .col_expr(users::Column::BannedNoticeSent, Expr::value(false))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records that a banned user was told; true only the first time.
pub async fn take_ban_notice(db: &Db, id: i64) -> ServiceResult<bool> {
    use sea_orm::sea_query::Expr;
    let res = users::Entity::update_many()
        .col_expr(users::Column::BannedNoticeSent, Expr::value(true))
        .filter(users::Column::Id.eq(id))
        .filter(users::Column::BannedNoticeSent.eq(false))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Deletes a user's account: credits, history, passes, dialogue (their own `/reset`). The
/// support topic and its message mapping stay, so the team keeps one thread per person.
pub async fn reset(db: &Db, id: i64) -> ServiceResult<()> {
    use sea_orm::TransactionTrait;

    use crate::storage::entities::{credit_ledger, dialogue_states, time_passes};
    let txn = db.begin().await?;
    credit_ledger::Entity::delete_many()
        .filter(credit_ledger::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    time_passes::Entity::delete_many()
        .filter(time_passes::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    dialogue_states::Entity::delete_by_id(id).exec(&txn).await?;
    users::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}
