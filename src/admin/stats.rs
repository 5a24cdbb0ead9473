//! What the control center shows: the dashboard's figures, user lists and search, a user's
//! card, and the open conversations. Reads only.
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    accounts::{
        credits::Reason,
        tiers::{self, Tier},
        users::User,
    },
    billing::{
        orders::OrderStatus,
        passes::{self, Pass},
    },
    services::ServiceResult,
    storage::{
        self, Db,
        entities::{credit_ledger, debts, orders, products, support_topics, users},
    },
};

/// Revenue in one currency, in minor units.
pub type Revenue = BTreeMap<String, i64>;

/// The dashboard's figures at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    pub at: DateTime<Utc>,
    pub users_total: u64,
    pub users_new_today: u64,
    pub users_active_7d: u64,
    pub revenue_today: Revenue,
    pub revenue_7d: Revenue,
    pub revenue_30d: Revenue,
    /// Credits bought and spent on messages in the last 30 days.
    pub credits_sold_30d: i64,
    pub credits_spent_30d: i64,
    pub conversations: u64,
}

fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

async fn revenue_since(db: &Db, since: DateTime<Utc>) -> ServiceResult<Revenue> {
    let rows: Vec<(String, i64, i64)> = orders::Entity::find()
        .select_only()
        .column(orders::Column::Currency)
        .column(orders::Column::AmountMinor)
        .column(orders::Column::RefundedMinor)
        .filter(orders::Column::PaidAt.gte(since))
        .filter(orders::Column::Status.is_in([
            OrderStatus::Paid,
            OrderStatus::PartiallyRefunded,
            OrderStatus::Refunded,
        ]))
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Revenue::new();
    for (currency, amount, refunded) in rows {
        *out.entry(currency.to_uppercase()).or_default() += amount - refunded;
    }
    Ok(out)
}

async fn ledger_sum(db: &Db, reason: Reason, since: DateTime<Utc>) -> ServiceResult<i64> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back.
    let rows = storage::query_all(
        db,
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS s FROM credit_ledger \
         WHERE reason = $1 AND created_at >= $2",
        vec![reason.as_str().into(), since.into()],
    )
    .await?;
    Ok(match rows.first() {
        Some(row) => row.try_get("", "s")?,
        None => 0,
    })
}

pub async fn dashboard(db: &Db, now: DateTime<Utc>) -> ServiceResult<Dashboard> {
    let today = day_start(now);
    Ok(Dashboard {
        at: now,
        users_total: users::Entity::find().count(db).await?,
        users_new_today: users::Entity::find()
            .filter(users::Column::CreatedAt.gte(today))
            .count(db)
            .await?,
        users_active_7d: users::Entity::find()
            .filter(users::Column::LastSeenAt.gte(now - Duration::days(7)))
            .count(db)
            .await?,
        revenue_today: revenue_since(db, today).await?,
        revenue_7d: revenue_since(db, now - Duration::days(7)).await?,
        revenue_30d: revenue_since(db, now - Duration::days(30)).await?,
        credits_sold_30d: ledger_sum(db, Reason::Purchase, now - Duration::days(30)).await?,
        credits_spent_30d: -ledger_sum(db, Reason::Message, now - Duration::days(30)).await?,
        conversations: support_topics::Entity::find().count(db).await?,
    })
}

/// A page of users, the most recently active first, and whether more follow.
pub async fn recent_users(db: &Db, page: u32, per_page: u32) -> ServiceResult<(Vec<User>, bool)> {
    let mut rows = users::Entity::find()
        .order_by_desc(users::Column::LastSeenAt)
        .order_by_desc(users::Column::Id)
        .offset(u64::from(page) * u64::from(per_page))
        .limit(u64::from(per_page) + 1)
        .all(db)
        .await?;
    let more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// The most users a search lists.
pub const SEARCH_LIMIT: u64 = 10;

/// Users matching `query`: an id, an @username, or a fragment of a name (case-insensitive).
pub async fn search_users(db: &Db, query: &str) -> ServiceResult<Vec<User>> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    if let Ok(id) = query.parse::<i64>() {
        return Ok(users::Entity::find_by_id(id)
            .one(db)
            .await?
            .into_iter()
            .collect());
    }
    let fragment: String = query
        .trim_start_matches('@')
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .take(64)
        .collect::<String>()
        .to_lowercase();
    if fragment.is_empty() {
        return Ok(Vec::new());
    }
    let like = format!("%{fragment}%");
    use sea_orm::sea_query::ExprTrait;
    let lower = |col: users::Column| {
        sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
            sea_orm::sea_query::Expr::col(col),
        ))
        .like(like.clone())
    };
    let condition = if query.starts_with('@') {
        Condition::all().add(lower(users::Column::Username))
    } else {
        Condition::any()
            .add(lower(users::Column::Username))
            .add(lower(users::Column::FirstName))
            .add(lower(users::Column::LastName))
    };
    Ok(users::Entity::find()
        .filter(condition)
        .order_by_desc(users::Column::LastSeenAt)
        .limit(SEARCH_LIMIT)
        .all(db)
        .await?)
}

/// Everything a user card shows.
#[derive(Debug, Clone, PartialEq)]
pub struct UserCard {
    pub user: User,
    pub tier: Tier,
    pub pass: Option<Pass>,
    /// Paid orders.
    pub purchases: u64,
    pub topic: Option<support_topics::Model>,
    pub recent: Vec<credit_ledger::Model>,
}

pub async fn user_card(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    recent: u64,
) -> ServiceResult<Option<UserCard>> {
    let Some(user) = users::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(UserCard {
        tier: tiers::of_user(db, &user).await?,
        pass: passes::active(db, now, user_id).await?,
        purchases: orders::Entity::find()
            .filter(orders::Column::UserId.eq(user_id))
            .filter(orders::Column::PaidAt.is_not_null())
            .count(db)
            .await?,
        topic: support_topics::Entity::find_by_id(user_id).one(db).await?,
        recent: credit_ledger::Entity::find()
            .filter(credit_ledger::Column::UserId.eq(user_id))
            .order_by_desc(credit_ledger::Column::Id)
            .limit(recent)
            .all(db)
            .await?,
        user,
    }))
}

/// An order with its buyer's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub order: orders::Model,
    pub name: String,
}

/// A page of orders, newest first: the paid ones (refunded included), or the failed and
/// expired ones; and whether more follow.
pub async fn orders_page(
    db: &Db,
    failed: bool,
    page: u32,
    per_page: u32,
) -> ServiceResult<(Vec<OrderLine>, bool)> {
    let statuses: &[OrderStatus] = if failed {
        &[OrderStatus::Failed, OrderStatus::Expired]
    } else {
        &[
            OrderStatus::Paid,
            OrderStatus::PartiallyRefunded,
            OrderStatus::Refunded,
        ]
    };
    let mut rows = orders::Entity::find()
        .filter(orders::Column::Status.is_in(statuses.iter().copied()))
        .order_by_desc(orders::Column::UpdatedAt)
        .order_by_desc(orders::Column::Id)
        .offset(u64::from(page) * u64::from(per_page))
        .limit(u64::from(per_page) + 1)
        .all(db)
        .await?;
    let more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
    let mut out = Vec::with_capacity(rows.len());
    for order in rows {
        out.push(OrderLine {
            name: name_of(db, order.user_id).await?,
            order,
        });
    }
    Ok((out, more))
}

async fn name_of(db: &Db, user_id: i64) -> ServiceResult<String> {
    Ok(users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map_or_else(|| user_id.to_string(), |u| u.first_name))
}

/// One order with its buyer's name and its product's title.
pub async fn order(db: &Db, id: i64) -> ServiceResult<Option<(OrderLine, String)>> {
    let Some(order) = orders::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let title = products::Entity::find_by_id(order.product_id)
        .one(db)
        .await?
        .map_or_else(|| order.product_id.to_string(), |p| p.title);
    Ok(Some((
        OrderLine {
            name: name_of(db, order.user_id).await?,
            order,
        },
        title,
    )))
}

/// A debt a refund left: who owes how many credits, for which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtLine {
    pub debt: debts::Model,
    pub name: String,
}

/// A page of debts, newest first, and whether more follow.
pub async fn debts_page(db: &Db, page: u32, per_page: u32) -> ServiceResult<(Vec<DebtLine>, bool)> {
    let mut rows = debts::Entity::find()
        .order_by_desc(debts::Column::Id)
        .offset(u64::from(page) * u64::from(per_page))
        .limit(u64::from(per_page) + 1)
        .all(db)
        .await?;
    let more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
    let mut out = Vec::with_capacity(rows.len());
    for debt in rows {
        out.push(DebtLine {
            name: name_of(db, debt.user_id).await?,
            debt,
        });
    }
    Ok((out, more))
}

/// Orders matching `query`: `#12` or `12` (our order id), a Stripe id (`pi_…`, `cs_…`), an
/// amount with decimals (`5.00`: that many minor units in any currency) or a day
/// (`2026-12-05`). Newest first, at most [`SEARCH_LIMIT`].
pub async fn search_orders(db: &Db, query: &str) -> ServiceResult<Vec<OrderLine>> {
    let q = query.trim();
    let mut find = orders::Entity::find();
    if let Some(id) = q
        .strip_prefix('#')
        .unwrap_or(q)
        .parse::<i64>()
        .ok()
        .filter(|_| !q.contains(['.', ',']))
    {
        find = find.filter(orders::Column::Id.eq(id));
    } else if q.starts_with("pi_") || q.starts_with("cs_") {
        find = find.filter(
            Condition::any()
                .add(orders::Column::StripePaymentIntent.eq(q))
                .add(orders::Column::StripeSessionId.eq(q)),
        );
    } else if let Some(minor) = parse_amount(q) {
        find = find.filter(orders::Column::AmountMinor.eq(minor));
    } else if let Ok(day) = chrono::NaiveDate::parse_from_str(q, "%Y-%m-%d") {
        let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        find = find
            .filter(orders::Column::CreatedAt.gte(start))
            .filter(orders::Column::CreatedAt.lt(start + Duration::days(1)));
    } else {
        return Ok(Vec::new());
    }
    let rows = find
        .order_by_desc(orders::Column::Id)
        .limit(SEARCH_LIMIT)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for order in rows {
        out.push(OrderLine {
            name: name_of(db, order.user_id).await?,
            order,
        });
    }
    Ok(out)
}

/// `5.00` / `5,5` → 500 / 550 minor units.
fn parse_amount(s: &str) -> Option<i64> {
    let (whole, cents) = s.split_once(['.', ','])?;
    if whole.is_empty()
        || whole.len() > 9
        || !(1..=2).contains(&cents.len())
        || !whole
            .bytes()
            .chain(cents.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(whole.parse::<i64>().ok()? * 100 + format!("{cents:0<2}").parse::<i64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_need_decimals() {
        assert_eq!(parse_amount("5.00"), Some(500));
        assert_eq!(parse_amount("5,5"), Some(550));
        assert_eq!(parse_amount("5"), None);
        assert_eq!(parse_amount(".5"), None);
        assert_eq!(parse_amount("5.555"), None);
        assert_eq!(parse_amount("x.10"), None);
    }
}
