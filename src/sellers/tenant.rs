//! What the REST API reads and changes, always scoped by seller and mode: another seller's ids
//! and the other mode's ids are simply not found.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use super::{
    access::{AccessOrder, Membership, Revenue},
    catalog::{Plan, Service},
};
use crate::{
    services::ServiceResult,
    storage::{
        Db,
        entities::{access_orders, memberships, seller_plans, seller_services},
    },
};

/// A tenant: a seller in one mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tenant {
    pub seller_id: i64,
    pub livemode: bool,
}

/// A page of rows after a cursor, and whether more follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub more: bool,
}

impl<T> Page<T> {
    fn of(mut rows: Vec<T>, limit: u64) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Page { rows, more }
    }
}

/// The tenant's services (archived ones too), by id.
pub async fn services(
    db: &Db,
    t: Tenant,
    after: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<Service>> {
    let rows = seller_services::Entity::find()
        .filter(seller_services::Column::SellerId.eq(t.seller_id))
        .filter(seller_services::Column::Livemode.eq(t.livemode))
        .filter(seller_services::Column::Id.gt(after.unwrap_or(0)))
        .order_by_asc(seller_services::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(Page::of(rows, limit))
}

async fn service_ids(db: &Db, t: Tenant) -> ServiceResult<Vec<i64>> {
    Ok(seller_services::Entity::find()
        .select_only()
        .column(seller_services::Column::Id)
        .filter(seller_services::Column::SellerId.eq(t.seller_id))
        .filter(seller_services::Column::Livemode.eq(t.livemode))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

pub async fn service(db: &Db, t: Tenant, id: i64) -> ServiceResult<Option<Service>> {
    Ok(seller_services::Entity::find_by_id(id)
        .filter(seller_services::Column::SellerId.eq(t.seller_id))
        .filter(seller_services::Column::Livemode.eq(t.livemode))
        .one(db)
        .await?)
}

/// A plan of one of the tenant's services, with that service.
pub async fn plan(db: &Db, t: Tenant, id: i64) -> ServiceResult<Option<(Plan, Service)>> {
    let Some(plan) = seller_plans::Entity::find_by_id(id)
        .filter(seller_plans::Column::SellerId.eq(t.seller_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(service(db, t, plan.service_id).await?.map(|s| (plan, s)))
}

/// All of a service's plans, archived ones too, by id.
pub async fn plans(db: &Db, service_id: i64) -> ServiceResult<Vec<Plan>> {
    Ok(seller_plans::Entity::find()
        .filter(seller_plans::Column::ServiceId.eq(service_id))
        .order_by_asc(seller_plans::Column::Id)
        .all(db)
        .await?)
}

/// Changes what may change of a service: its title, admission and grace days.
pub async fn update_service(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    title: Option<&str>,
    admission: Option<&str>,
    grace_days: Option<i32>,
) -> ServiceResult<()> {
    let mut q = seller_services::Entity::update_many()
        .col_expr(seller_services::Column::UpdatedAt, Expr::value(now))
        .filter(seller_services::Column::Id.eq(service.id));
    if let Some(title) = title {
        q = q.col_expr(seller_services::Column::Title, Expr::value(title));
    }
    if let Some(admission) = admission {
        q = q.col_expr(seller_services::Column::Admission, Expr::value(admission));
    }
    if let Some(days) = grace_days {
        q = q.col_expr(seller_services::Column::GraceDays, Expr::value(days));
    }
    q.exec(db).await?;
    Ok(())
}

/// A page of a service's memberships (not pending ones), by id; of one status when given.
pub async fn members(
    db: &Db,
    service_id: i64,
    status: Option<&str>,
    after: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<Membership>> {
    let mut q = memberships::Entity::find()
        .filter(memberships::Column::ServiceId.eq(service_id))
        .filter(memberships::Column::Id.gt(after.unwrap_or(0)));
    q = match status {
        Some(status) => q.filter(memberships::Column::Status.eq(status)),
        None => q.filter(memberships::Column::Status.ne("pending")),
    };
    let rows = q
        .order_by_asc(memberships::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(Page::of(rows, limit))
}

/// A membership in one of the tenant's services, with that service.
pub async fn member(db: &Db, t: Tenant, id: i64) -> ServiceResult<Option<(Membership, Service)>> {
    let Some(m) = memberships::Entity::find_by_id(id)
        .filter(memberships::Column::SellerId.eq(t.seller_id))
        .filter(memberships::Column::Status.ne("pending"))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(service(db, t, m.service_id).await?.map(|s| (m, s)))
}

/// A page of the tenant's paid orders, by id, paid at or after `since` when given.
pub async fn payments(
    db: &Db,
    t: Tenant,
    since: Option<DateTime<Utc>>,
    after: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<AccessOrder>> {
    let ids = service_ids(db, t).await?;
    let mut q = access_orders::Entity::find()
        .filter(access_orders::Column::SellerId.eq(t.seller_id))
        .filter(access_orders::Column::ServiceId.is_in(ids))
        .filter(access_orders::Column::Status.eq("paid"))
        .filter(access_orders::Column::Id.gt(after.unwrap_or(0)));
    if let Some(since) = since {
        q = q.filter(access_orders::Column::PaidAt.gte(since));
    }
    let rows = q
        .order_by_asc(access_orders::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(Page::of(rows, limit))
}

/// A tenant's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Services not archived.
    pub services: u64,
    pub active_members: u64,
    pub members_all_time: u64,
    pub revenue_30_days: Vec<Revenue>,
    pub revenue_all_time: Vec<Revenue>,
}

pub async fn stats(db: &Db, t: Tenant, now: DateTime<Utc>) -> ServiceResult<Stats> {
    let services = seller_services::Entity::find()
        .filter(seller_services::Column::SellerId.eq(t.seller_id))
        .filter(seller_services::Column::Livemode.eq(t.livemode))
        .filter(seller_services::Column::Status.ne("archived"))
        .count(db)
        .await?;
    let ids = service_ids(db, t).await?;
    let count = |status: Option<&'static str>| {
        let mut q =
            memberships::Entity::find().filter(memberships::Column::ServiceId.is_in(ids.clone()));
        q = match status {
            Some(s) => q.filter(memberships::Column::Status.eq(s)),
            None => q.filter(memberships::Column::Status.ne("pending")),
        };
        q.count(db)
    };
    let active_members = count(Some("active")).await?;
    let members_all_time = count(None).await?;
    let revenue_30_days = revenue(db, t, &ids, Some(now - Duration::days(30))).await?;
    let revenue_all_time = revenue(db, t, &ids, None).await?;
    Ok(Stats {
        services,
        active_members,
        members_all_time,
        revenue_30_days,
        revenue_all_time,
    })
}

/// How long a tenant's [`Stats`] are served again before they are counted afresh.
pub const STATS_FRESH_FOR: Duration = Duration::seconds(5);

/// One tenant's last counted stats and when they were counted.
type StatsSlot = Arc<tokio::sync::Mutex<Option<(Stats, DateTime<Utc>)>>>;

/// Tenants' [`Stats`], each kept for [`STATS_FRESH_FOR`]. Counting them reads every membership
/// and paid order of the tenant; under load one request per tenant counts while the others
/// wait for its answer and share it, so the database sees one count per tenant and period
/// however many clients ask.
#[derive(Clone, Default)]
pub struct StatsCache {
    slots: Arc<Mutex<HashMap<Tenant, StatsSlot>>>,
}

impl StatsCache {
    /// The tenant's stats as of the returned time, at most [`STATS_FRESH_FOR`] before `now`.
    pub async fn get(
        &self,
        db: &Db,
        t: Tenant,
        now: DateTime<Utc>,
    ) -> ServiceResult<(Stats, DateTime<Utc>)> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry(t).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some((stats, at)) = &*slot
            && *at <= now
            && now - *at < STATS_FRESH_FOR
        {
            return Ok((stats.clone(), *at));
        }
        let fresh = stats(db, t, now).await?;
        *slot = Some((fresh.clone(), now));
        Ok((fresh, now))
    }
}

async fn revenue(
    db: &Db,
    t: Tenant,
    ids: &[i64],
    since: Option<DateTime<Utc>>,
) -> ServiceResult<Vec<Revenue>> {
    use sea_orm::sea_query::{Alias, Func, SimpleExpr};
    let sum = |c: access_orders::Column| -> SimpleExpr {
        Func::cast_as(
            Func::coalesce([Func::sum(Expr::col(c)).into(), Expr::value(0i64)]),
            Alias::new("BIGINT"),
        )
        .into()
    };
    let mut q = access_orders::Entity::find()
        .select_only()
        .column(access_orders::Column::Currency)
        .column_as(sum(access_orders::Column::AmountMinor), "gross")
        .column_as(sum(access_orders::Column::FeeMinor), "fee")
        .column_as(sum(access_orders::Column::NetMinor), "net")
        .column_as(
            SimpleExpr::from(Func::cast_as(
                Func::count(Expr::col(access_orders::Column::Id)),
                Alias::new("BIGINT"),
            )),
            "payments",
        )
        .filter(access_orders::Column::SellerId.eq(t.seller_id))
        .filter(access_orders::Column::ServiceId.is_in(ids.to_vec()))
        .filter(access_orders::Column::Status.eq("paid"));
    if let Some(since) = since {
        q = q.filter(access_orders::Column::PaidAt.gte(since));
    }
    Ok(q.group_by(access_orders::Column::Currency)
        .order_by_asc(access_orders::Column::Currency)
        .into_model::<Revenue>()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveValue::Set, EntityTrait};

    use super::*;
    use crate::{
        sellers::catalog::{self, ChatKind, Connected},
        storage,
    };

    async fn member(db: &Db, service: &Service, user_id: i64, now: DateTime<Utc>) {
        memberships::Entity::insert(memberships::ActiveModel {
            service_id: Set(service.id),
            seller_id: Set(service.seller_id),
            user_id: Set(user_id),
            status: Set("active".into()),
            reminder_stage: Set(0),
            whitelisted: Set(false),
            trial_used: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn stats_are_counted_once_per_period_and_shared() {
        let db = storage::connect("sqlite::memory:").await.unwrap();
        let t0 = Utc::now();
        let seller = catalog::register(&db, t0, 7, "Sam", "sam@example.com")
            .await
            .unwrap();
        let Connected::New(service) =
            catalog::connect_chat(&db, t0, &seller, -100, ChatKind::Channel, "Signals", true)
                .await
                .unwrap()
        else {
            panic!("a new service");
        };
        let t = Tenant {
            seller_id: seller.id,
            livemode: true,
        };
        member(&db, &service, 1, t0).await;
        let cache = StatsCache::default();

        let (first, as_of) = cache.get(&db, t, t0).await.unwrap();
        assert_eq!((first.active_members, as_of), (1, t0));

        // A change within the period is not counted yet: the answer and its time are the
        // first ones, for every client asking at once.
        member(&db, &service, 2, t0).await;
        let soon = t0 + Duration::seconds(4);
        let answers = futures::future::join_all((0..20).map(|_| cache.get(&db, t, soon))).await;
        for answer in answers {
            let (stats, at) = answer.unwrap();
            assert_eq!((stats.active_members, at), (1, t0));
        }
        // The other mode is its own tenant, counted on its own.
        let test_mode = Tenant {
            livemode: false,
            ..t
        };
        let (other, _) = cache.get(&db, test_mode, soon).await.unwrap();
        assert_eq!(other.members_all_time, 0);

        // Once the period is over, the next request counts again.
        let later = t0 + STATS_FRESH_FOR;
        let (second, as_of) = cache.get(&db, t, later).await.unwrap();
        assert_eq!((second.active_members, as_of), (2, later));
        // A clock that went back does not serve figures from its future.
        let (_, as_of) = cache.get(&db, t, t0).await.unwrap();
        assert_eq!(as_of, t0);
    }
}
