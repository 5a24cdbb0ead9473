//! Platform plans: what a seller pays the platform (Free, Pro, Enterprise, edited by the
//! operator), what each plan allows (services, active members, API calls an hour) and the
//! platform's fee on the seller's sales under it.
//!
//! A seller's plan is the plan of their newest Stripe subscription that is still live
//! (`active`, `trialing` or `past_due`), else Free. Limits are asked before something new is
//! sold or made ([`may_add_service`], [`may_add_member`]); nothing that exists is taken away
//! when a seller goes down a plan: new sales stop until the seller is within the limits again.
//!
//! A service: it takes a `Db` and returns outcomes; the Stripe side is
//! [`platform_card`](super::platform_card), the bot side [`bot_platform`](super::bot_platform).
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, OnConflict},
};

use super::recurring::Reported;
use crate::{
    services::ServiceResult,
    storage::{
        Db,
        entities::{
            memberships, platform_invoices, platform_plans, platform_subscriptions, seller_services,
        },
    },
};

pub type PlatformPlan = platform_plans::Model;
pub type PlatformSubscription = platform_subscriptions::Model;

/// The plan of a seller with no live subscription.
pub const FREE: &str = "free";

/// Stripe statuses under which a subscription's plan applies (a past-due one keeps its plan
/// while Stripe retries the charge).
const LIVE: [&str; 3] = ["active", "trialing", "past_due"];

/// A limit a plan sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Services,
    ActiveMembers,
    ApiCallsPerHour,
}

impl Limit {
    pub const ALL: [Limit; 3] = [
        Limit::Services,
        Limit::ActiveMembers,
        Limit::ApiCallsPerHour,
    ];

    /// The limit's name in API errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Services => "services",
            Limit::ActiveMembers => "active_members",
            Limit::ApiCallsPerHour => "api_calls_per_hour",
        }
    }

    /// The plan's maximum (None: no limit).
    pub fn of(self, plan: &PlatformPlan) -> Option<i64> {
        match self {
            Limit::Services => plan.max_services,
            Limit::ActiveMembers => plan.max_members,
            Limit::ApiCallsPerHour => plan.max_api_calls_per_hour,
        }
    }
}

/// Something the seller's plan does not allow: which limit, its maximum under the plan, and
/// the next plan that allows more (None: none does).
#[derive(Debug, Clone, PartialEq)]
pub struct LimitReached {
    pub limit: Limit,
    pub max: i64,
    pub plan: PlatformPlan,
    pub upgrade: Option<PlatformPlan>,
}

impl LimitReached {
    /// One line for API errors and logs.
    pub fn describe(&self) -> String {
        let what = match self.limit {
            Limit::Services => "services",
            Limit::ActiveMembers => "active members",
            Limit::ApiCallsPerHour => "API calls an hour",
        };
        let mut text = format!(
            "the {} plan allows {} {what}",
            self.plan.name,
            group(self.max)
        );
        match &self.upgrade {
            Some(up) => text.push_str(&format!(
                "; {} allows {} (change the plan with /plan in the bot)",
                up.name,
                self.limit
                    .of(up)
                    .map_or_else(|| "any number".to_owned(), group)
            )),
            None => text.push_str("; no plan allows more"),
        }
        text
    }
}

/// 12345 → "12,345".
pub fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Every plan, in the operator's order.
pub async fn plans(db: &Db) -> ServiceResult<Vec<PlatformPlan>> {
    Ok(platform_plans::Entity::find()
        .order_by_asc(platform_plans::Column::Position)
        .order_by_asc(platform_plans::Column::Id)
        .all(db)
        .await?)
}

pub async fn by_code(db: &Db, code: &str) -> ServiceResult<Option<PlatformPlan>> {
    Ok(platform_plans::Entity::find()
        .filter(platform_plans::Column::Code.eq(code))
        .one(db)
        .await?)
}

/// The seller's newest subscription that is still live.
pub async fn live_subscription(
    db: &Db,
    seller_id: i64,
) -> ServiceResult<Option<PlatformSubscription>> {
    Ok(platform_subscriptions::Entity::find()
        .filter(platform_subscriptions::Column::SellerId.eq(seller_id))
        .filter(platform_subscriptions::Column::Status.is_in(LIVE))
        .order_by_desc(platform_subscriptions::Column::StartedAt)
        .order_by_desc(platform_subscriptions::Column::Id)
        .one(db)
        .await?)
}

/// The Free plan (the first plan when the operator renamed its code away).
async fn free(db: &Db) -> ServiceResult<PlatformPlan> {
    if let Some(plan) = by_code(db, FREE).await? {
        return Ok(plan);
    }
    plans(db).await?.into_iter().next().ok_or_else(|| {
        crate::services::ServiceError::Storage(crate::storage::StorageError::Corrupt(
            "no platform plans".into(),
        ))
    })
}

/// The seller's plan now.
pub async fn current(db: &Db, seller_id: i64) -> ServiceResult<PlatformPlan> {
    if let Some(sub) = live_subscription(db, seller_id).await?
        && let Some(plan) = by_code(db, &sub.plan_code).await?
    {
        return Ok(plan);
    }
    free(db).await
}

/// The platform's fee on the seller's sales, in percent.
pub async fn fee_percent(db: &Db, seller_id: i64) -> ServiceResult<i64> {
    Ok(i64::from(current(db, seller_id).await?.fee_percent))
}

/// The fee of a new seller (on Free): what the terms of `/sell` state.
pub async fn starting_fee(db: &Db) -> ServiceResult<i64> {
    Ok(i64::from(free(db).await?.fee_percent))
}

/// The first plan after `plan` that allows more of `limit`.
async fn upgrade_for(
    db: &Db,
    plan: &PlatformPlan,
    limit: Limit,
) -> ServiceResult<Option<PlatformPlan>> {
    let max = limit.of(plan);
    Ok(plans(db).await?.into_iter().find(|p| {
        p.id != plan.id
            && p.price_minor > 0
            && match (limit.of(p), max) {
                (None, Some(_)) => true,
                (Some(theirs), Some(ours)) => theirs > ours,
                _ => false,
            }
    }))
}

/// What reaching `limit` of `plan` means, with the plan that allows more (None: the plan
/// has no such limit).
pub async fn reached(
    db: &Db,
    plan: PlatformPlan,
    limit: Limit,
) -> ServiceResult<Option<LimitReached>> {
    let Some(max) = limit.of(&plan) else {
        return Ok(None);
    };
    let upgrade = upgrade_for(db, &plan, limit).await?;
    Ok(Some(LimitReached {
        limit,
        max,
        plan,
        upgrade,
    }))
}

async fn check(
    db: &Db,
    plan: PlatformPlan,
    limit: Limit,
    used: i64,
) -> ServiceResult<Result<(), LimitReached>> {
    match limit.of(&plan) {
        Some(max) if used >= max => {
            let upgrade = upgrade_for(db, &plan, limit).await?;
            Ok(Err(LimitReached {
                limit,
                max,
                plan,
                upgrade,
            }))
        }
        _ => Ok(Ok(())),
    }
}

/// The seller's services in a mode that are not archived.
pub async fn services_used(db: &Db, seller_id: i64, livemode: bool) -> ServiceResult<i64> {
    Ok(seller_services::Entity::find()
        .filter(seller_services::Column::SellerId.eq(seller_id))
        .filter(seller_services::Column::Livemode.eq(livemode))
        .filter(seller_services::Column::Status.ne("archived"))
        .count(db)
        .await? as i64)
}

/// The seller's active members, over all their services.
pub async fn members_used(db: &Db, seller_id: i64) -> ServiceResult<i64> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::SellerId.eq(seller_id))
        .filter(memberships::Column::Status.eq("active"))
        .count(db)
        .await? as i64)
}

/// Whether the seller may add one more service in a mode.
pub async fn may_add_service(
    db: &Db,
    seller_id: i64,
    livemode: bool,
) -> ServiceResult<Result<(), LimitReached>> {
    let plan = current(db, seller_id).await?;
    if plan.max_services.is_none() {
        return Ok(Ok(()));
    }
    let used = services_used(db, seller_id, livemode).await?;
    check(db, plan, Limit::Services, used).await
}

/// Whether `user` may become a member of `service_id`: someone who is a member already
/// (a renewal, a longer plan) always may; a new member only while the seller is under their
/// plan's active members.
pub async fn may_add_member(
    db: &Db,
    seller_id: i64,
    service_id: i64,
    user: i64,
) -> ServiceResult<Result<(), LimitReached>> {
    let plan = current(db, seller_id).await?;
    if plan.max_members.is_none() {
        return Ok(Ok(()));
    }
    let member = memberships::Entity::find()
        .filter(memberships::Column::ServiceId.eq(service_id))
        .filter(memberships::Column::UserId.eq(user))
        .filter(memberships::Column::Status.eq("active"))
        .one(db)
        .await?;
    if member.is_some() {
        return Ok(Ok(()));
    }
    let used = members_used(db, seller_id).await?;
    check(db, plan, Limit::ActiveMembers, used).await
}

/// What the seller uses of each limit that is counted in the database (API calls are
/// counted by the API's rate limiter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub services: i64,
    pub members: i64,
}

pub async fn usage(db: &Db, seller_id: i64) -> ServiceResult<Usage> {
    Ok(Usage {
        services: services_used(db, seller_id, true).await?,
        members: members_used(db, seller_id).await?,
    })
}

/// The limits of `plan` that `usage` is over (limit, used, max): what stops selling after a
/// move to that plan.
pub fn over(plan: &PlatformPlan, usage: Usage) -> Vec<(Limit, i64, i64)> {
    [
        (Limit::Services, usage.services),
        (Limit::ActiveMembers, usage.members),
    ]
    .into_iter()
    .filter_map(|(limit, used)| {
        let max = limit.of(plan)?;
        (used > max).then_some((limit, used, max))
    })
    .collect()
}

// ---------------------------------------------------------------------------------------------
// The operator's edits

/// A field of a plan the operator edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Price,
    Period,
    Services,
    Members,
    Calls,
    Fee,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Name,
        Field::Price,
        Field::Period,
        Field::Services,
        Field::Members,
        Field::Calls,
        Field::Fee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Price => "price",
            Field::Period => "period",
            Field::Services => "services",
            Field::Members => "members",
            Field::Calls => "calls",
            Field::Fee => "fee",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }
}

/// Why an edit was refused: a sentence for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

fn limit_value(text: &str) -> Result<Option<i64>, Refused> {
    if matches!(
        text.to_ascii_lowercase().as_str(),
        "unlimited" | "none" | "-" | "∞"
    ) {
        return Ok(None);
    }
    match text.replace([',', '_'], "").parse::<i64>() {
        Ok(n) if (1..=1_000_000_000).contains(&n) => Ok(Some(n)),
        _ => Err(Refused(format!(
            "'{text}' is not a limit: a whole number from 1, or 'unlimited'"
        ))),
    }
}

/// "29", "29.9", "29.90" → 2990 (a price in the plan's currency, two decimals).
fn price_value(text: &str) -> Result<i64, Refused> {
    let bad = || Refused(format!("'{text}' is not a price: e.g. 29 or 29.90"));
    let (whole, cents) = match text.split_once('.') {
        Some((w, c)) if (1..=2).contains(&c.len()) => (w, format!("{c:0<2}")),
        Some(_) => return Err(bad()),
        None => (text, "00".to_owned()),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !cents.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = cents.parse().map_err(|_| bad())?;
    if whole > 1_000_000 {
        return Err(bad());
    }
    Ok(whole * 100 + cents)
}

/// Sets one field of the plan `code` from the operator's text; nothing changes when refused.
pub async fn set(
    db: &Db,
    now: DateTime<Utc>,
    code: &str,
    field: Field,
    text: &str,
) -> ServiceResult<Result<PlatformPlan, Refused>> {
    let text = text.trim();
    let Some(plan) = by_code(db, code).await? else {
        return Ok(Err(Refused(format!("there is no plan '{code}'"))));
    };
    let mut update = platform_plans::ActiveModel {
        id: Set(plan.id),
        updated_at: Set(now),
        ..Default::default()
    };
    let free = plan.code == FREE;
    match field {
        Field::Name => {
            let n = text.chars().count();
            if n == 0 || n > 32 || text.chars().any(char::is_control) {
                return Ok(Err(Refused("a name has 1 to 32 characters".into())));
            }
            update.name = Set(text.to_owned());
        }
        Field::Price => {
            let price = match price_value(text) {
                Ok(p) => p,
                Err(why) => return Ok(Err(why)),
            };
            if free && price != 0 {
                return Ok(Err(Refused(
                    "the Free plan is what sellers have without paying: its price stays 0".into(),
                )));
            }
            if !free && price < 50 {
                return Ok(Err(Refused(
                    "a paid plan costs at least 0.50 (Stripe's smallest charge)".into(),
                )));
            }
            update.price_minor = Set(price);
        }
        Field::Period => match text.parse::<i32>() {
            Ok(days) if (1..=365).contains(&days) => update.period_days = Set(days),
            _ => {
                return Ok(Err(Refused(
                    "a period is a number of days from 1 to 365".into(),
                )));
            }
        },
        Field::Services | Field::Members | Field::Calls => {
            let value = match limit_value(text) {
                Ok(v) => v,
                Err(why) => return Ok(Err(why)),
            };
            match field {
                Field::Services => update.max_services = Set(value),
                Field::Members => update.max_members = Set(value),
                _ => update.max_api_calls_per_hour = Set(value),
            }
        }
        Field::Fee => match text.trim_end_matches('%').parse::<i32>() {
            Ok(fee) if (0..=50).contains(&fee) => update.fee_percent = Set(fee),
            _ => {
                return Ok(Err(Refused(
                    "a fee is a whole percentage from 0 to 50".into(),
                )));
            }
        },
    }
    let saved = platform_plans::Entity::update(update).exec(db).await?;
    Ok(Ok(saved))
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

pub async fn subscription_by_external(
    db: &Db,
    external: &str,
) -> ServiceResult<Option<PlatformSubscription>> {
    Ok(platform_subscriptions::Entity::find()
        .filter(platform_subscriptions::Column::ExternalId.eq(external))
        .one(db)
        .await?)
}

/// Records a seller's subscription to `plan_code` the first time it is seen (later calls
/// find the same row).
pub async fn ensure(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    plan_code: &str,
    external: &str,
    started_at: DateTime<Utc>,
) -> ServiceResult<PlatformSubscription> {
    platform_subscriptions::Entity::insert(platform_subscriptions::ActiveModel {
        seller_id: Set(seller_id),
        plan_code: Set(plan_code.to_owned()),
        external_id: Set(external.to_owned()),
        status: Set("incomplete".into()),
        cancel_at_period_end: Set(false),
        current_period_end: Set(None),
        started_at: Set(started_at),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(platform_subscriptions::Column::ExternalId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    subscription_by_external(db, external)
        .await?
        .ok_or_else(|| {
            crate::services::ServiceError::Storage(crate::storage::StorageError::Corrupt(
                "the subscription was just written".into(),
            ))
        })
}

/// What storing Stripe's state changed for the seller.
#[derive(Debug, Clone, PartialEq)]
pub enum Moved {
    /// Nothing the seller needs to hear about.
    Nothing,
    /// The seller's plan is now `to` (from `from`).
    Plan {
        from: PlatformPlan,
        to: PlatformPlan,
    },
    /// Renewal was turned off: the plan ends at the period's end.
    Ending {
        plan: PlatformPlan,
        at: Option<DateTime<Utc>>,
    },
}

/// Stores the state Stripe reported for a subscription; an ended subscription (`canceled`)
/// never changes again.
pub async fn sync(
    db: &Db,
    now: DateTime<Utc>,
    external: &str,
    reported: &Reported,
) -> ServiceResult<Moved> {
    let Some(sub) = subscription_by_external(db, external).await? else {
        return Ok(Moved::Nothing);
    };
    let before = current(db, sub.seller_id).await?;
    let changed = platform_subscriptions::Entity::update_many()
        .col_expr(
            platform_subscriptions::Column::Status,
            Expr::value(reported.status.clone()),
        )
        .col_expr(
            platform_subscriptions::Column::CancelAtPeriodEnd,
            Expr::value(reported.cancel_at_period_end),
        )
        .col_expr(
            platform_subscriptions::Column::CurrentPeriodEnd,
            Expr::value(reported.current_period_end),
        )
        .col_expr(platform_subscriptions::Column::UpdatedAt, Expr::value(now))
        .filter(platform_subscriptions::Column::Id.eq(sub.id))
        .filter(platform_subscriptions::Column::Status.ne("canceled"))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Ok(Moved::Nothing);
    }
    let after = current(db, sub.seller_id).await?;
    if after.id != before.id {
        return Ok(Moved::Plan {
            from: before,
            to: after,
        });
    }
    if reported.cancel_at_period_end
        && !sub.cancel_at_period_end
        && LIVE.contains(&&*reported.status)
    {
        return Ok(Moved::Ending {
            plan: after,
            at: reported.current_period_end,
        });
    }
    Ok(Moved::Nothing)
}

/// The seller's other live subscriptions, older than `newest`: ended at Stripe when a new
/// plan's first payment arrives.
pub async fn superseded(
    db: &Db,
    newest: &PlatformSubscription,
) -> ServiceResult<Vec<PlatformSubscription>> {
    Ok(platform_subscriptions::Entity::find()
        .filter(platform_subscriptions::Column::SellerId.eq(newest.seller_id))
        .filter(platform_subscriptions::Column::Status.is_in(LIVE))
        .filter(platform_subscriptions::Column::Id.ne(newest.id))
        .filter(platform_subscriptions::Column::StartedAt.lte(newest.started_at))
        .all(db)
        .await?)
}

/// A paid invoice of a plan subscription: recorded once (false: seen before).
pub async fn invoice_paid(
    db: &Db,
    now: DateTime<Utc>,
    sub: &PlatformSubscription,
    invoice: &str,
    amount_minor: i64,
    currency: &str,
    period_end: DateTime<Utc>,
) -> ServiceResult<bool> {
    let inserted = platform_invoices::Entity::insert(platform_invoices::ActiveModel {
        invoice_id: Set(invoice.to_owned()),
        seller_id: Set(sub.seller_id),
        subscription_id: Set(sub.id),
        plan_code: Set(sub.plan_code.clone()),
        amount_minor: Set(amount_minor),
        currency: Set(currency.to_ascii_lowercase()),
        period_end: Set(period_end),
        paid_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(platform_invoices::Column::InvoiceId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// The platform's revenue from plans: (invoices, amount in minor units) per currency.
pub async fn revenue(db: &Db) -> ServiceResult<Vec<(String, i64, i64)>> {
    let rows = platform_invoices::Entity::find().all(db).await?;
    let mut by: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for r in rows {
        let e = by.entry(r.currency).or_default();
        e.0 += 1;
        e.1 += r.amount_minor;
    }
    Ok(by.into_iter().map(|(c, (n, a))| (c, n, a)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_limits_read_from_the_operators_text() {
        assert_eq!(price_value("29"), Ok(2900));
        assert_eq!(price_value("29.9"), Ok(2990));
        assert_eq!(price_value("0.50"), Ok(50));
        for bad in ["", "-1", "29.999", "abc", "1.x", ".5", "2000000"] {
            assert!(price_value(bad).is_err(), "{bad}");
        }
        assert_eq!(limit_value("unlimited"), Ok(None));
        assert_eq!(limit_value("5,000"), Ok(Some(5000)));
        for bad in ["0", "-3", "lots", ""] {
            assert!(limit_value(bad).is_err(), "{bad}");
        }
        assert_eq!(Field::parse("FEE"), Some(Field::Fee));
        assert_eq!(Field::parse("color"), None);
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group(100), "100");
    }
}
