//! Memberships: who holds access to which service until when, and the orders that pay for it.
//!
//! A payment is applied once: the order moves `pending → paid` in a conditional update that
//! also stores the Telegram charge id (unique), so a second delivery of the same payment finds
//! nothing to do. Extending a membership starts from its current end when it is still running
//! (a renewal never shortens), from now otherwise. Issuing the buyer's invite link is a job
//! enqueued in the same transaction as the payment, so a crash between the two still ends with
//! the buyer holding a working link.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait, sea_query::Expr, sea_query::OnConflict,
};

use super::{
    analytics::{self, Kind, NewEvent},
    audit,
    catalog::{Plan, Service},
    links::{self, Link},
    promos, split_fee,
    webhooks::{self, EventType},
};
use crate::{
    jobs::{self, NewJob},
    services::ServiceResult,
    storage::{
        Db, StorageError,
        entities::{access_orders, memberships, users},
    },
};

pub type Membership = memberships::Model;
pub type AccessOrder = access_orders::Model;

/// Issues the buyer's single-use invite link (payload `{"membership": id}`).
pub const ISSUE_LINK_JOB: &str = "seller_issue_link";
/// Removes a member from the chat (payload `{"membership": id, "reason": …}`).
pub const REMOVE_JOB: &str = "seller_remove_member";
/// Reminds a member that their access ends soon (payload `{"membership": id, "days": n}`).
pub const REMIND_JOB: &str = "seller_reminder";

const PAYLOAD_PREFIX: &str = "acc:";

/// The invoice payload of an access order.
pub fn invoice_payload(order_id: i64) -> String {
    format!("{PAYLOAD_PREFIX}{order_id}")
}

/// The access order an invoice payload names, if it names one.
pub fn order_of_payload(payload: &str) -> Option<i64> {
    payload.strip_prefix(PAYLOAD_PREFIX)?.parse().ok()
}

pub fn is_access_payload(payload: &str) -> bool {
    payload.starts_with(PAYLOAD_PREFIX)
}

pub async fn membership(db: &Db, service_id: i64, user: i64) -> ServiceResult<Option<Membership>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::ServiceId.eq(service_id))
        .filter(memberships::Column::UserId.eq(user))
        .one(db)
        .await?)
}

pub async fn membership_by_id(db: &Db, id: i64) -> ServiceResult<Option<Membership>> {
    Ok(memberships::Entity::find_by_id(id).one(db).await?)
}

/// Who keeps a membership's access: Tollgate (plans, trials, grants; the sweeper removes the
/// member at the end).
pub const SOURCE_TOLLGATE: &str = "tollgate";
/// ... or Telegram, through the service's Star subscription link: Telegram charges every 30
/// days and removes the member itself, so the sweeper leaves them alone. Such a membership is
/// `active` while the subscriber is in the chat and `expired` once they left or Telegram
/// removed them.
pub const SOURCE_STAR_SUBSCRIPTION: &str = "star_subscription";

/// Whether Telegram (a Star subscription), not Tollgate, keeps this member's access.
pub fn is_telegram_managed(m: &Membership) -> bool {
    m.source == SOURCE_STAR_SUBSCRIPTION
}

/// Whether a membership gives access at `now`.
pub fn is_current(m: &Membership, now: DateTime<Utc>) -> bool {
    m.status == "active"
        && (m.whitelisted || is_telegram_managed(m) || m.ends_at.is_some_and(|end| end > now))
}

/// What webhooks say about a membership: the ids a seller's system can match on.
pub fn member_data(m: &Membership) -> serde_json::Value {
    serde_json::json!({
        "membership": m.id,
        "service": m.service_id,
        "user": m.user_id,
        "plan": m.plan_id,
        "status": m.status,
        "ends_at": m.ends_at,
        "whitelisted": m.whitelisted,
        "source": m.source,
    })
}

/// [`member_data`] with more fields.
fn member_data_with(m: &Membership, more: serde_json::Value) -> serde_json::Value {
    let mut data = member_data(m);
    if let (Some(data), serde_json::Value::Object(more)) = (data.as_object_mut(), more) {
        data.extend(more);
    }
    data
}

/// How a buyer pays an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayBy {
    Stars,
    Card,
}

/// A new pending order for `plan`, in Stars or in the plan's card price (None: the plan has
/// no price for that method).
pub async fn create_order(
    db: &Db,
    now: DateTime<Utc>,
    user: i64,
    plan: &Plan,
    by: PayBy,
) -> ServiceResult<Option<AccessOrder>> {
    Ok(
        match create_order_with(db, now, user, plan, by, None).await? {
            Ordered::Order(order) => Some(*order),
            _ => None,
        },
    )
}

/// What creating an order came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Order(Box<AccessOrder>),
    /// The plan has no price for that method.
    NoPrice,
    /// The promo code does not apply (any more): no order, no use taken.
    Promo(promos::Invalid),
    /// The seller's platform plan takes no new members now.
    Limit(Box<super::platform::LimitReached>),
}

/// [`create_order`] priced with a promo code's quote: the order records the code and the
/// discount, and takes the code's use in the same transaction (none left: no order). A Stars
/// invoice of the same buyer still holding a use of the code is failed and its use moved to
/// this order; an open card payment with it is left alone and this one refused.
pub async fn create_order_with(
    db: &Db,
    now: DateTime<Utc>,
    user: i64,
    plan: &Plan,
    by: PayBy,
    promo: Option<&promos::Quote>,
) -> ServiceResult<Ordered> {
    let (method, list, currency) = match by {
        PayBy::Stars => match plan.stars_price {
            Some(stars) => ("stars", stars, "XTR".to_owned()),
            None => return Ok(Ordered::NoPrice),
        },
        PayBy::Card => match (plan.price_minor, &plan.currency) {
            (Some(minor), Some(currency)) if minor > 0 => ("card", minor, currency.clone()),
            _ => return Ok(Ordered::NoPrice),
        },
    };
    if let Err(reached) =
        super::platform::may_add_member(db, plan.seller_id, plan.service_id, user).await?
    {
        return Ok(Ordered::Limit(Box::new(reached)));
    }
    let price = match promo {
        Some(q) => match q.price(by == PayBy::Stars) {
            Some(p) if p.list == list => Some(p.clone()),
            _ => return Ok(Ordered::Promo(promos::Invalid::WrongCurrency)),
        },
        None => None,
    };
    // Read before the transaction: SQLite has one writer, and the transaction holds it.
    let hold = match promo {
        Some(q) => promos::pending_hold(db, q.code.id, user).await?,
        None => None,
    };
    if let Some((_, false)) = hold {
        return Ok(Ordered::Promo(promos::Invalid::Pending));
    }
    let source = analytics::latest_source(db, plan.service_id, user).await?;
    let livemode = super::catalog::service(db, plan.service_id)
        .await?
        .is_none_or(|s| s.livemode);
    let txn = db.begin().await?;
    if let Some((old, true)) = hold {
        let failed = access_orders::Entity::update_many()
            .col_expr(access_orders::Column::Status, Expr::value("failed"))
            .filter(access_orders::Column::Id.eq(old))
            .filter(access_orders::Column::Status.eq("pending"))
            .exec(&txn)
            .await?
            .rows_affected;
        if failed == 1 {
            promos::release(&txn, now, old).await?;
        }
    }
    let res = access_orders::Entity::insert(access_orders::ActiveModel {
        seller_id: Set(plan.seller_id),
        service_id: Set(plan.service_id),
        plan_id: Set(plan.id),
        user_id: Set(user),
        method: Set(method.into()),
        status: Set("pending".into()),
        amount_minor: Set(price.as_ref().map_or(list, |p| p.amount)),
        currency: Set(currency.clone()),
        fee_minor: Set(0),
        net_minor: Set(0),
        telegram_charge_id: Set(None),
        promo_code_id: Set(promo.map(|q| q.code.id)),
        discount_minor: Set(price.as_ref().map_or(0, promos::Price::discount)),
        source: Set(source.clone()),
        created_at: Set(now),
        paid_at: Set(None),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let id = res.last_insert_id;
    if let (Some(q), Some(price)) = (promo, price.as_ref())
        && let Err(why) = promos::reserve(&txn, now, q, price, id, user).await?
    {
        txn.rollback().await?;
        return Ok(Ordered::Promo(why));
    }
    let amount = price.as_ref().map_or(list, |p| p.amount);
    analytics::record(
        &txn,
        now,
        &NewEvent {
            plan_id: Some(plan.id),
            source,
            amount_minor: Some(amount),
            currency: Some(currency.clone()),
            ..NewEvent::new(
                plan.seller_id,
                livemode,
                plan.service_id,
                user,
                Kind::CheckoutStarted,
                format!("checkout:{id}"),
            )
        },
    )
    .await?;
    txn.commit().await?;
    Ok(match order(db, id).await? {
        Some(o) => Ordered::Order(Box::new(o)),
        None => Ordered::NoPrice,
    })
}

/// Records the Checkout Session of a card order and the account it is paid to.
pub async fn attach_session(
    db: &Db,
    order_id: i64,
    session_id: &str,
    paid_to: &str,
) -> ServiceResult<()> {
    access_orders::Entity::update_many()
        .col_expr(
            access_orders::Column::StripeSessionId,
            Expr::value(session_id),
        )
        .col_expr(access_orders::Column::PaidTo, Expr::value(paid_to))
        .filter(access_orders::Column::Id.eq(order_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The card order a PaymentIntent paid.
pub async fn order_by_payment_intent(db: &Db, pi: &str) -> ServiceResult<Option<AccessOrder>> {
    Ok(access_orders::Entity::find()
        .filter(access_orders::Column::StripePaymentIntent.eq(pi))
        .one(db)
        .await?)
}

/// A pending card order whose payment failed or whose session expired: `failed`, once, and
/// the promo code's use it held goes back.
pub async fn mark_failed(db: &Db, now: DateTime<Utc>, order_id: i64) -> ServiceResult<bool> {
    let txn = db.begin().await?;
    let r = access_orders::Entity::update_many()
        .col_expr(access_orders::Column::Status, Expr::value("failed"))
        .filter(access_orders::Column::Id.eq(order_id))
        .filter(access_orders::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    if r.rows_affected == 1 {
        promos::release(&txn, now, order_id).await?;
    }
    txn.commit().await?;
    Ok(r.rows_affected == 1)
}

/// What a refund came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Refunded {
    pub order: AccessOrder,
    /// Newly refunded by this event, in minor units.
    pub amount: i64,
    /// The whole payment is refunded now.
    pub full: bool,
}

/// Records that `total_refunded` of a paid order's amount has been refunded (Stripe's running
/// total, so a repeated or out-of-order event changes nothing): the order's refunded amount
/// only grows, a full refund marks it `refunded`, the seller's net shrinks with it, and
/// `payment.refunded` goes to the seller's webhooks. Access is left as it is: the seller
/// decides (`/revoke`). None: nothing new.
pub async fn refund(
    db: &Db,
    now: DateTime<Utc>,
    order: &AccessOrder,
    total_refunded: i64,
) -> ServiceResult<Option<Refunded>> {
    let total = total_refunded.clamp(0, order.amount_minor);
    if order.paid_at.is_none() || total <= order.refunded_minor {
        return Ok(None);
    }
    let full = total == order.amount_minor;
    // Read before the transaction: SQLite has one writer, and the transaction holds it.
    let service = super::catalog::service(db, order.service_id).await?;
    let livemode = service.as_ref().is_none_or(|s| s.livemode);
    let m = membership(db, order.service_id, order.user_id).await?;
    let txn = db.begin().await?;
    let mut update = access_orders::Entity::update_many()
        .col_expr(access_orders::Column::RefundedMinor, Expr::value(total))
        .filter(access_orders::Column::Id.eq(order.id))
        .filter(access_orders::Column::RefundedMinor.lt(total));
    if full {
        update = update.col_expr(access_orders::Column::Status, Expr::value("refunded"));
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(None);
    }
    let amount = total - order.refunded_minor;
    // The seller's net shrinks by the refunded share of it.
    let net_back = if order.amount_minor > 0 {
        (i128::from(amount) * i128::from(order.net_minor) / i128::from(order.amount_minor)) as i64
    } else {
        0
    };
    analytics::record(
        &txn,
        now,
        &NewEvent {
            plan_id: Some(order.plan_id),
            source: order.source.clone(),
            amount_minor: Some(amount),
            net_minor: Some(net_back),
            currency: Some(order.currency.clone()),
            ..NewEvent::new(
                order.seller_id,
                livemode,
                order.service_id,
                order.user_id,
                Kind::Refunded,
                format!("refund:{}:{total}", order.id),
            )
        },
    )
    .await?;
    let mut data = serde_json::json!({
        "order": order.id,
        "service": order.service_id,
        "user": order.user_id,
        "amount": order.amount_minor,
        "currency": order.currency,
        "refunded": total,
        "refunded_now": amount,
        "full": full,
    });
    if let (Some(m), Some(obj)) = (m.as_ref(), data.as_object_mut()) {
        obj.insert("membership".into(), m.id.into());
    }
    webhooks::emit(
        &txn,
        now,
        order.seller_id,
        livemode,
        EventType::PaymentRefunded,
        data,
    )
    .await?;
    audit::record(
        &txn,
        now,
        order.seller_id,
        audit::SYSTEM,
        "refund",
        Some(order.user_id),
        format!(
            "order {}: {amount} {} refunded ({total} of {} in all)",
            order.id, order.currency, order.amount_minor
        ),
    )
    .await?;
    txn.commit().await?;
    let order = self::order(db, order.id).await?.expect("the order exists");
    Ok(Some(Refunded {
        order,
        amount,
        full,
    }))
}

pub async fn order(db: &Db, id: i64) -> ServiceResult<Option<AccessOrder>> {
    Ok(access_orders::Entity::find_by_id(id).one(db).await?)
}

/// Why Telegram is told not to take a payment for an access order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownOrder,
    NotYours,
    AlreadyUsed,
    WrongAmount,
    NotForSale,
}

/// The pre-checkout check of an access order: it exists, is the payer's, still waits for its
/// money, asks exactly this amount, and its plan is still on sale.
pub async fn check_checkout(
    db: &Db,
    payload: &str,
    payer: i64,
    total: i64,
    currency: &str,
) -> ServiceResult<Result<AccessOrder, Refusal>> {
    let found = match order_of_payload(payload) {
        Some(id) => order(db, id).await?,
        None => None,
    };
    let Some(order) = found else {
        return Ok(Err(Refusal::UnknownOrder));
    };
    if order.user_id != payer {
        return Ok(Err(Refusal::NotYours));
    }
    if order.status != "pending" {
        return Ok(Err(Refusal::AlreadyUsed));
    }
    if order.amount_minor != total || !order.currency.eq_ignore_ascii_case(currency) {
        return Ok(Err(Refusal::WrongAmount));
    }
    if super::catalog::on_sale(db, order.plan_id).await?.is_err() {
        return Ok(Err(Refusal::NotForSale));
    }
    Ok(Ok(order))
}

/// What applying a payment came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Paid {
    /// The membership now runs to its new end.
    Admitted {
        membership: Box<Membership>,
        order: Box<AccessOrder>,
    },
    /// This payment was applied before (or the order is not payable): nothing changed.
    Duplicate,
}

/// What identifies a payment: one of these admits once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeRef<'a> {
    /// Telegram's charge id of a Stars payment.
    Telegram(&'a str),
    /// The PaymentIntent of a card payment.
    Stripe(&'a str),
    /// Nothing to pay: a promo code took the whole price (the order's amount is 0).
    Free,
    /// A subscription's paid invoice (the order carries its id, unique): the membership runs
    /// to the end of the period the invoice paid for, `until`, not one period from now, so
    /// invoices applied in any order end at the latest period paid.
    Invoice { until: DateTime<Utc> },
}

/// Applies a payment of `order` once, with the platform's fee in percent.
pub async fn pay(
    db: &Db,
    now: DateTime<Utc>,
    order: &AccessOrder,
    charge: ChargeRef<'_>,
    fee_percent: i64,
) -> ServiceResult<Paid> {
    let Some(service) = super::catalog::service(db, order.service_id).await? else {
        return Err(StorageError::Corrupt(format!("order {} has no service", order.id)).into());
    };
    let Some(plan) = super::catalog::plan(db, order.plan_id).await? else {
        return Err(StorageError::Corrupt(format!("order {} has no plan", order.id)).into());
    };
    let promo = match order.promo_code_id {
        Some(id) => promos::by_id(db, id).await?,
        None => None,
    };
    if charge == ChargeRef::Free && order.amount_minor != 0 {
        return Ok(Paid::Duplicate);
    }
    let (fee, net) = split_fee(order.amount_minor, fee_percent);
    let txn = db.begin().await?;
    let mut claim = access_orders::Entity::update_many()
        .col_expr(access_orders::Column::Status, Expr::value("paid"))
        .col_expr(access_orders::Column::FeeMinor, Expr::value(fee))
        .col_expr(access_orders::Column::NetMinor, Expr::value(net))
        .col_expr(access_orders::Column::PaidAt, Expr::value(now))
        .filter(access_orders::Column::Id.eq(order.id))
        .filter(access_orders::Column::Status.eq("pending"));
    match charge {
        ChargeRef::Telegram(id) => {
            claim = claim.col_expr(access_orders::Column::TelegramChargeId, Expr::value(id));
        }
        ChargeRef::Stripe(id) => {
            claim = claim.col_expr(access_orders::Column::StripePaymentIntent, Expr::value(id));
        }
        ChargeRef::Free | ChargeRef::Invoice { .. } => {}
    }
    let claimed = claim.exec(&txn).await;
    let claimed = match claimed {
        Ok(r) => r.rows_affected == 1,
        // The charge id is unique: the same payment on another order of ours.
        Err(e) if is_unique_violation(&e) => false,
        Err(e) => return Err(e.into()),
    };
    if !claimed {
        txn.rollback().await?;
        return Ok(Paid::Duplicate);
    }
    promos::redeem(&txn, now, order.id).await?;
    let length = match charge {
        ChargeRef::Invoice { until } => Length::Until(until),
        _ => Length::Days(plan.period_days),
    };
    let (membership, renewed) = extend(
        &txn,
        now,
        &service,
        order.user_id,
        Some(plan.id),
        length,
        Extension::Paid,
    )
    .await?
    .expect("a paid extension is never refused");
    let paid = NewEvent {
        plan_id: Some(plan.id),
        source: order.source.clone(),
        amount_minor: Some(order.amount_minor),
        net_minor: Some(net),
        currency: Some(order.currency.clone()),
        ..NewEvent::new(
            order.seller_id,
            service.livemode,
            order.service_id,
            order.user_id,
            Kind::Paid,
            format!("paid:{}", order.id),
        )
    };
    analytics::record(&txn, now, &paid).await?;
    if renewed {
        let key = format!(
            "renewed:{}:{}",
            membership.id,
            membership.ends_at.map_or(0, |t| t.timestamp())
        );
        analytics::record(
            &txn,
            now,
            &NewEvent {
                kind: Kind::Renewed,
                dedupe_key: key,
                ..paid
            },
        )
        .await?;
    }
    let payment = serde_json::json!({
        "order": order.id,
        "amount": order.amount_minor,
        "currency": order.currency,
        "fee": fee,
        "net": net,
        "method": order.method,
        "discount": order.discount_minor,
        "promo_code": promo.as_ref().map(|p| p.code.clone()),
    });
    let discount = match &promo {
        Some(p) => format!(
            " (list {}, code {} -{})",
            order.amount_minor + order.discount_minor,
            p.code,
            order.discount_minor
        ),
        None => String::new(),
    };
    webhooks::emit(
        &txn,
        now,
        order.seller_id,
        service.livemode,
        EventType::PaymentSucceeded,
        member_data_with(&membership, payment.clone()),
    )
    .await?;
    if renewed {
        webhooks::emit(
            &txn,
            now,
            order.seller_id,
            service.livemode,
            EventType::SubscriptionRenewed,
            member_data_with(&membership, payment),
        )
        .await?;
    }
    audit::record(
        &txn,
        now,
        order.seller_id,
        order.user_id,
        "payment",
        Some(order.user_id),
        format!(
            "order {}: {} {}{discount} (fee {fee}, net {net}), until {}",
            order.id,
            order.amount_minor,
            order.currency,
            fmt_time(membership.ends_at)
        ),
    )
    .await?;
    txn.commit().await?;
    // Drip campaigns: the purchase is their goal, a conversion and maybe a trigger.
    if let Err(e) =
        crate::messaging::drips::on_purchase(db, now, order.seller_id, order.user_id).await
    {
        tracing::error!(error = %e, order = order.id, "drip campaigns did not see a purchase");
    }
    let order = self::order(db, order.id).await?.expect("the order exists");
    Ok(Paid::Admitted {
        membership: Box::new(membership),
        order: Box::new(order),
    })
}

pub(super) fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    let s = e.to_string().to_ascii_lowercase();
    s.contains("unique") || s.contains("duplicate key")
}

pub fn fmt_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// Why a membership is extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extension {
    Paid,
    /// A trial: refused when the buyer had one for this service.
    Trial,
    /// Granted by the seller.
    Granted,
}

/// How far a membership is extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    /// By this many days from its end (or from now when it is not running).
    Days(i32),
    /// To this moment, unless it already runs further.
    Until(DateTime<Utc>),
}

/// Extends `user`'s membership of `service` by `length` and enqueues their invite link; true
/// with it when the membership was running (a renewal). `None` when a trial was used already.
async fn extend(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
    plan_id: Option<i64>,
    length: Length,
    why: Extension,
) -> ServiceResult<Option<(Membership, bool)>> {
    memberships::Entity::insert(memberships::ActiveModel {
        service_id: Set(service.id),
        seller_id: Set(service.seller_id),
        user_id: Set(user),
        plan_id: Set(plan_id),
        status: Set("pending".into()),
        ends_at: Set(None),
        remove_at: Set(None),
        reminder_stage: Set(0),
        invite_link: Set(None),
        link_issued_at: Set(None),
        joined_at: Set(None),
        left_at: Set(None),
        whitelisted: Set(false),
        trial_used: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([memberships::Column::ServiceId, memberships::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    for _ in 0..5 {
        let current = memberships::Entity::find()
            .filter(memberships::Column::ServiceId.eq(service.id))
            .filter(memberships::Column::UserId.eq(user))
            .one(txn)
            .await?
            .expect("the membership row exists");
        if why == Extension::Trial && current.trial_used {
            return Ok(None);
        }
        let running = current.status == "active" && current.ends_at.is_some_and(|e| e > now);
        let from = match current.ends_at {
            Some(end) if running => end,
            _ => now,
        };
        let ends_at = match length {
            Length::Days(days) => from + Duration::days(i64::from(days)),
            Length::Until(until) => until.max(from),
        };
        let remove_at = ends_at + Duration::days(i64::from(service.grace_days));
        let mut update = memberships::Entity::update_many()
            .col_expr(memberships::Column::Status, Expr::value("active"))
            .col_expr(memberships::Column::EndsAt, Expr::value(ends_at))
            .col_expr(memberships::Column::RemoveAt, Expr::value(remove_at))
            .col_expr(memberships::Column::ReminderStage, Expr::value(0))
            .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
            .filter(memberships::Column::Id.eq(current.id))
            .filter(memberships::Column::UpdatedAt.eq(current.updated_at))
            .filter(memberships::Column::Status.eq(current.status.clone()));
        if let Some(plan) = plan_id {
            update = update.col_expr(memberships::Column::PlanId, Expr::value(plan));
        }
        // Tollgate keeps this access now, unless Telegram already does for a subscriber who is
        // in (then Telegram goes on removing them when their subscription ends).
        if !(is_telegram_managed(&current) && current.status == "active") {
            update = update.col_expr(memberships::Column::Source, Expr::value(SOURCE_TOLLGATE));
        }
        if why == Extension::Trial {
            update = update
                .col_expr(memberships::Column::TrialUsed, Expr::value(true))
                .filter(memberships::Column::TrialUsed.eq(false));
        }
        if update.exec(txn).await?.rows_affected == 0 {
            continue;
        }
        let m = memberships::Entity::find_by_id(current.id)
            .one(txn)
            .await?
            .expect("the membership exists");
        // A link only when the buyer is not inside already.
        if !running || current.joined_at.is_none() || current.left_at.is_some() {
            jobs::enqueue(
                txn,
                now,
                NewJob {
                    dedupe_key: Some(format!("{ISSUE_LINK_JOB}:{}:{}", m.id, ends_at.timestamp())),
                    max_attempts: 50,
                    ..NewJob::now(ISSUE_LINK_JOB, serde_json::json!({"membership": m.id}), now)
                },
            )
            .await?;
        }
        return Ok(Some((m, running)));
    }
    Err(StorageError::Corrupt(format!(
        "membership of {user} in service {} kept changing",
        service.id
    ))
    .into())
}

/// What asking for a trial came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Trial {
    Started(Box<Membership>),
    /// The buyer had this service's trial before.
    AlreadyUsed,
    /// The seller's platform plan takes no new members now.
    Limit(Box<super::platform::LimitReached>),
}

/// Starts `plan`'s trial for `user`, once per buyer and service.
pub async fn start_trial(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    plan: &Plan,
    user: i64,
) -> ServiceResult<Trial> {
    if let Err(reached) =
        super::platform::may_add_member(db, service.seller_id, service.id, user).await?
    {
        return Ok(Trial::Limit(Box::new(reached)));
    }
    // Read before the transaction: SQLite has one writer, and the transaction holds it.
    let source = analytics::latest_source(db, service.id, user).await?;
    let txn = db.begin().await?;
    let Some((m, _)) = extend(
        &txn,
        now,
        service,
        user,
        Some(plan.id),
        Length::Days(plan.trial_days),
        Extension::Trial,
    )
    .await?
    else {
        txn.rollback().await?;
        return Ok(Trial::AlreadyUsed);
    };
    analytics::record(
        &txn,
        now,
        &NewEvent {
            plan_id: Some(plan.id),
            source,
            ..NewEvent::new(
                service.seller_id,
                service.livemode,
                service.id,
                user,
                Kind::TrialStarted,
                format!("trial:{}", m.id),
            )
        },
    )
    .await?;
    audit::record(
        &txn,
        now,
        service.seller_id,
        user,
        "trial",
        Some(user),
        format!("{} days, until {}", plan.trial_days, fmt_time(m.ends_at)),
    )
    .await?;
    txn.commit().await?;
    Ok(Trial::Started(Box::new(m)))
}

/// The seller grants `user` access to `service` for `days`.
pub async fn grant(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
    days: i32,
    actor: i64,
) -> ServiceResult<Membership> {
    let txn = db.begin().await?;
    let (m, _) = extend(
        &txn,
        now,
        service,
        user,
        None,
        Length::Days(days),
        Extension::Granted,
    )
    .await?
    .expect("a grant is never refused");
    audit::record(
        &txn,
        now,
        service.seller_id,
        actor,
        "grant",
        Some(user),
        format!("{days} days, until {}", fmt_time(m.ends_at)),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Ends `user`'s access to `service` now and removes them; `None` when they hold none.
pub async fn revoke(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
    actor: i64,
) -> ServiceResult<Option<Membership>> {
    let txn = db.begin().await?;
    let n = memberships::Entity::update_many()
        .col_expr(memberships::Column::Status, Expr::value("revoked"))
        .col_expr(memberships::Column::EndsAt, Expr::value(now))
        .col_expr(memberships::Column::RemoveAt, Expr::value(now))
        .col_expr(memberships::Column::Whitelisted, Expr::value(false))
        .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
        .filter(memberships::Column::ServiceId.eq(service.id))
        .filter(memberships::Column::UserId.eq(user))
        .filter(memberships::Column::Status.eq("active"))
        .exec(&txn)
        .await?
        .rows_affected;
    if n == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    let m = memberships::Entity::find()
        .filter(memberships::Column::ServiceId.eq(service.id))
        .filter(memberships::Column::UserId.eq(user))
        .one(&txn)
        .await?
        .expect("the membership exists");
    enqueue_removal(&txn, now, &m, "revoked").await?;
    webhooks::emit(
        &txn,
        now,
        service.seller_id,
        service.livemode,
        EventType::SubscriptionCancelled,
        member_data_with(&m, serde_json::json!({ "reason": "revoked", "by": actor })),
    )
    .await?;
    audit::record(
        &txn,
        now,
        service.seller_id,
        actor,
        "revoke",
        Some(user),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(Some(m))
}

/// Whitelists (never removed) or un-whitelists a member; false when there is no such member.
pub async fn set_whitelisted(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
    on: bool,
    actor: i64,
) -> ServiceResult<bool> {
    let n = memberships::Entity::update_many()
        .col_expr(memberships::Column::Whitelisted, Expr::value(on))
        .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
        .filter(memberships::Column::ServiceId.eq(service.id))
        .filter(memberships::Column::UserId.eq(user))
        .filter(memberships::Column::Status.eq("active"))
        .exec(db)
        .await?
        .rows_affected;
    if n == 1 {
        let action = if on { "whitelist" } else { "unwhitelist" };
        audit::record(db, now, service.seller_id, actor, action, Some(user), None).await?;
    }
    Ok(n == 1)
}

/// What a removal job removes: `user` from `service`'s chat, for `reason`; with `membership`
/// the job first checks that the membership has not been renewed meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Removal {
    pub service: i64,
    pub user: i64,
    pub membership: Option<i64>,
    /// `expired`, `revoked`, `stranger` (on another buyer's link) or `unpaid` (on an extra
    /// link, without access).
    pub reason: String,
}

/// A removal that fails (rights lost, chat gone) is retried, never dropped: this many tries,
/// with back-off capped at an hour, is six weeks.
pub const REMOVAL_ATTEMPTS: i32 = 1000;

pub(super) fn removal_job(now: DateTime<Utc>, removal: &Removal, key: String) -> NewJob {
    NewJob {
        dedupe_key: Some(format!("{REMOVE_JOB}:{key}")),
        max_attempts: REMOVAL_ATTEMPTS,
        ..NewJob::now(
            REMOVE_JOB,
            serde_json::to_value(removal).expect("a removal serialises"),
            now,
        )
    }
}

async fn enqueue_removal(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    m: &Membership,
    reason: &str,
) -> ServiceResult<()> {
    let removal = Removal {
        service: m.service_id,
        user: m.user_id,
        membership: Some(m.id),
        reason: reason.to_owned(),
    };
    let key = format!("{}:{}", m.id, m.ends_at.map_or(0, |t| t.timestamp()));
    jobs::enqueue(db, now, removal_job(now, &removal, key)).await?;
    Ok(())
}

/// Whether a membership's current invite link is made already: one recorded since its last
/// change.
pub fn has_current_link(m: &Membership) -> bool {
    m.invite_link.is_some() && m.link_issued_at.is_some_and(|at| at >= m.updated_at)
}

/// Notes the invite link made for a membership, unless another was noted since its last
/// change (two makers raced): false then, and the caller drops theirs.
pub async fn link_issued(
    db: &Db,
    now: DateTime<Utc>,
    membership_id: i64,
    link: &str,
) -> ServiceResult<bool> {
    let n = memberships::Entity::update_many()
        .col_expr(memberships::Column::InviteLink, Expr::value(link))
        .col_expr(memberships::Column::LinkIssuedAt, Expr::value(now))
        .filter(memberships::Column::Id.eq(membership_id))
        .filter(
            sea_orm::Condition::any()
                .add(memberships::Column::InviteLink.is_null())
                .add(memberships::Column::LinkIssuedAt.is_null())
                .add({
                    use sea_orm::sea_query::ExprTrait as _;
                    Expr::col(memberships::Column::LinkIssuedAt)
                        .lt(Expr::col(memberships::Column::UpdatedAt))
                }),
        )
        .exec(db)
        .await?
        .rows_affected;
    if n == 0 {
        return Ok(false);
    }
    let m = membership_by_id(db, membership_id).await?;
    if let Some(m) = m {
        audit::record(
            db,
            now,
            m.seller_id,
            audit::SYSTEM,
            "link",
            Some(m.user_id),
            link.to_owned(),
        )
        .await?;
    }
    Ok(true)
}

/// What a person joining a service's chat is.
#[derive(Debug, Clone, PartialEq)]
pub enum Joined {
    /// A buyer with current access (now marked joined).
    Member(Membership),
    /// Someone who came in through a link issued to another buyer (`owner`): to be removed;
    /// the owner's link is cleared so that they get a fresh one.
    Stranger { owner: Membership },
    /// Someone without current access who came in through one of the seller's extra links
    /// that lets people in directly: removed by a job (reason `unpaid`) and shown the plans.
    Unpaid { link: Link },
    /// Someone without access who did not use one of our links (added by an admin, or through
    /// the seller's own link), or who was let in through an extra link that asks to join (only
    /// an administrator can have approved that request): left alone.
    Other,
    /// A subscriber who came in through the service's Star subscription link (they paid
    /// Telegram): their membership, now Telegram-managed and active.
    Subscriber(Membership),
}

/// Someone joined `service`'s chat, through `link` when Telegram names one: marks a member
/// joined, counts the join on the seller's extra link it came through, and enqueues the
/// removal of a stranger on another buyer's link or of an unpaid joiner on an extra link. A
/// join through the service's Star subscription link makes (or renews) a Telegram-managed
/// membership running to `until` (Telegram's end of the paid period; 30 days when it names
/// none).
pub async fn joined(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
    link: Option<&str>,
    until: Option<DateTime<Utc>>,
) -> ServiceResult<Joined> {
    if let (Some(link), Some(star)) = (link, service.star_sub_link.as_deref())
        && link == star
    {
        let m = subscribed(db, now, service, user, until).await?;
        return Ok(Joined::Subscriber(m));
    }
    if let Some(link) = link {
        let owner = memberships::Entity::find()
            .filter(memberships::Column::ServiceId.eq(service.id))
            .filter(memberships::Column::InviteLink.eq(link))
            .one(db)
            .await?;
        if let Some(owner) = owner.filter(|o| o.user_id != user) {
            let txn = db.begin().await?;
            memberships::Entity::update_many()
                .col_expr(
                    memberships::Column::InviteLink,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
                .filter(memberships::Column::Id.eq(owner.id))
                .exec(&txn)
                .await?;
            if is_current(&owner, now) {
                jobs::enqueue(
                    &txn,
                    now,
                    NewJob {
                        dedupe_key: Some(format!("{ISSUE_LINK_JOB}:{}:s{user}", owner.id)),
                        max_attempts: 50,
                        ..NewJob::now(
                            ISSUE_LINK_JOB,
                            serde_json::json!({"membership": owner.id, "fresh": true}),
                            now,
                        )
                    },
                )
                .await?;
            }
            let removal = Removal {
                service: service.id,
                user,
                membership: None,
                reason: "stranger".into(),
            };
            let key = format!("s{}:{user}:{}", service.id, now.timestamp());
            jobs::enqueue(&txn, now, removal_job(now, &removal, key)).await?;
            audit::record(
                &txn,
                now,
                service.seller_id,
                audit::SYSTEM,
                "stranger_removed",
                Some(user),
                format!("came in through the link of {}", owner.user_id),
            )
            .await?;
            txn.commit().await?;
            return Ok(Joined::Stranger { owner });
        }
    }
    // One of the seller's extra links: the join counts on it, whoever came.
    let extra = match link {
        Some(link) => links::by_invite_link(db, service.id, link).await?,
        None => None,
    };
    let current = membership(db, service.id, user)
        .await?
        .filter(|m| is_current(m, now));
    let Some(m) = current else {
        let Some(extra) = extra else {
            return Ok(Joined::Other);
        };
        let txn = db.begin().await?;
        links::count_join(&txn, &extra).await?;
        let unpaid = !extra.creates_join_request;
        if unpaid {
            let removal = Removal {
                service: service.id,
                user,
                membership: None,
                reason: "unpaid".into(),
            };
            let key = format!("u{}:{user}:{}", service.id, now.timestamp());
            jobs::enqueue(&txn, now, removal_job(now, &removal, key)).await?;
        }
        audit::record(
            &txn,
            now,
            service.seller_id,
            audit::SYSTEM,
            if unpaid {
                "unpaid_removed"
            } else {
                "joined_unpaid"
            },
            Some(user),
            format!(
                "came in through the link \"{}\" (#{})",
                extra.name, extra.id
            ),
        )
        .await?;
        txn.commit().await?;
        return Ok(if unpaid {
            Joined::Unpaid { link: extra }
        } else {
            Joined::Other
        });
    };
    let txn = db.begin().await?;
    if let Some(extra) = &extra {
        links::count_join(&txn, extra).await?;
    }
    memberships::Entity::update_many()
        .col_expr(memberships::Column::JoinedAt, Expr::value(now))
        .col_expr(
            memberships::Column::LeftAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
        .filter(memberships::Column::Id.eq(m.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        service.seller_id,
        user,
        "joined",
        Some(user),
        link.map(str::to_owned),
    )
    .await?;
    let m = memberships::Entity::find_by_id(m.id)
        .one(&txn)
        .await?
        .expect("it exists");
    webhooks::emit(
        &txn,
        now,
        service.seller_id,
        service.livemode,
        EventType::MemberJoined,
        member_data_with(&m, serde_json::json!({ "joined_at": now })),
    )
    .await?;
    txn.commit().await?;
    Ok(Joined::Member(m))
}

/// A subscriber came in through `service`'s Star subscription link: their membership (made
/// when they had none) becomes Telegram-managed and active, to `until` (Telegram's end of the
/// paid period) or, when a running plan ends later, to that end; the sweeper no longer removes
/// them. `member.joined` goes to the seller's webhooks with `"source": "star_subscription"`.
async fn subscribed(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
    until: Option<DateTime<Utc>>,
) -> ServiceResult<Membership> {
    let paid_to = until
        .filter(|u| *u > now)
        .unwrap_or(now + Duration::seconds(super::catalog::STAR_SUBSCRIPTION_PERIOD));
    let existing = membership(db, service.id, user).await?;
    let ends_at = match existing.as_ref().and_then(|m| m.ends_at) {
        Some(end) if existing.as_ref().is_some_and(|m| m.status == "active") => end.max(paid_to),
        _ => paid_to,
    };
    let txn = db.begin().await?;
    memberships::Entity::insert(memberships::ActiveModel {
        service_id: Set(service.id),
        seller_id: Set(service.seller_id),
        user_id: Set(user),
        plan_id: Set(None),
        status: Set("pending".into()),
        reminder_stage: Set(0),
        whitelisted: Set(false),
        trial_used: Set(false),
        source: Set(SOURCE_STAR_SUBSCRIPTION.into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([memberships::Column::ServiceId, memberships::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    memberships::Entity::update_many()
        .col_expr(memberships::Column::Status, Expr::value("active"))
        .col_expr(
            memberships::Column::Source,
            Expr::value(SOURCE_STAR_SUBSCRIPTION),
        )
        .col_expr(memberships::Column::EndsAt, Expr::value(ends_at))
        // Telegram removes a subscriber itself: nothing for the sweeper.
        .col_expr(
            memberships::Column::RemoveAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(memberships::Column::ReminderStage, Expr::value(0))
        .col_expr(memberships::Column::JoinedAt, Expr::value(now))
        .col_expr(
            memberships::Column::LeftAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
        .filter(memberships::Column::ServiceId.eq(service.id))
        .filter(memberships::Column::UserId.eq(user))
        .exec(&txn)
        .await?;
    let m = memberships::Entity::find()
        .filter(memberships::Column::ServiceId.eq(service.id))
        .filter(memberships::Column::UserId.eq(user))
        .one(&txn)
        .await?
        .expect("the membership was just written");
    audit::record(
        &txn,
        now,
        service.seller_id,
        user,
        "joined",
        Some(user),
        format!("Star subscription, until {}", fmt_time(m.ends_at)),
    )
    .await?;
    webhooks::emit(
        &txn,
        now,
        service.seller_id,
        service.livemode,
        EventType::MemberJoined,
        member_data_with(&m, serde_json::json!({ "joined_at": now })),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Telegram charged a subscriber of `service` for another period (a `chat_member` update that
/// moves their `until_date` on): their Telegram-managed membership runs to `until` and
/// `subscription.renewed` goes out. None when they hold no such membership or `until` is no
/// later than what is recorded (a repeated update).
pub async fn subscription_renewed(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
    until: DateTime<Utc>,
) -> ServiceResult<Option<Membership>> {
    let Some(m) = membership(db, service.id, user)
        .await?
        .filter(|m| is_telegram_managed(m) && m.status == "active")
    else {
        return Ok(None);
    };
    if m.ends_at.is_some_and(|end| end >= until) {
        return Ok(None);
    }
    let txn = db.begin().await?;
    let n = memberships::Entity::update_many()
        .col_expr(memberships::Column::EndsAt, Expr::value(until))
        .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
        .filter(memberships::Column::Id.eq(m.id))
        .filter(memberships::Column::Status.eq("active"))
        .filter(
            sea_orm::Condition::any()
                .add(memberships::Column::EndsAt.is_null())
                .add(memberships::Column::EndsAt.lt(until)),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    if n == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    let m = memberships::Entity::find_by_id(m.id)
        .one(&txn)
        .await?
        .expect("it exists");
    audit::record(
        &txn,
        now,
        service.seller_id,
        audit::SYSTEM,
        "renewed",
        Some(user),
        format!("Star subscription, until {}", fmt_time(m.ends_at)),
    )
    .await?;
    webhooks::emit(
        &txn,
        now,
        service.seller_id,
        service.livemode,
        EventType::SubscriptionRenewed,
        member_data(&m),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(m))
}

/// A member left (or was removed from) the chat.
pub async fn left(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
) -> ServiceResult<Option<Membership>> {
    let Some(m) = membership(db, service.id, user).await? else {
        return Ok(None);
    };
    let star = is_telegram_managed(&m);
    let txn = db.begin().await?;
    let mut update = memberships::Entity::update_many()
        .col_expr(memberships::Column::LeftAt, Expr::value(now))
        .col_expr(
            memberships::Column::InviteLink,
            Expr::value(Option::<String>::None),
        )
        .col_expr(memberships::Column::UpdatedAt, Expr::value(now))
        .filter(memberships::Column::Id.eq(m.id));
    // A subscriber's access was Telegram's: once out (left, or removed when the subscription
    // ran out), it is over until they subscribe again.
    if star && m.status == "active" {
        update = update.col_expr(memberships::Column::Status, Expr::value("expired"));
    }
    update.exec(&txn).await?;
    let detail = star.then(|| "Star subscription".to_owned());
    audit::record(
        &txn,
        now,
        service.seller_id,
        user,
        "left",
        Some(user),
        detail,
    )
    .await?;
    let m = memberships::Entity::find_by_id(m.id).one(&txn).await?;
    if let Some(m) = &m {
        webhooks::emit(
            &txn,
            now,
            service.seller_id,
            service.livemode,
            EventType::MemberLeft,
            member_data_with(m, serde_json::json!({ "left_at": now })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(m)
}

/// A removal job removed `r.user` from `service`'s chat: the audit entry and the
/// `member.removed` event, together.
pub async fn removed(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    r: &Removal,
) -> ServiceResult<()> {
    let m = match r.membership {
        Some(id) => membership_by_id(db, id).await?,
        None => None,
    };
    let mut data = match &m {
        Some(m) => member_data(m),
        None => serde_json::json!({ "service": service.id, "user": r.user }),
    };
    if let Some(data) = data.as_object_mut() {
        data.insert("reason".into(), r.reason.clone().into());
    }
    let txn = db.begin().await?;
    audit::record(
        &txn,
        now,
        service.seller_id,
        audit::SYSTEM,
        "removed",
        Some(r.user),
        r.reason.clone(),
    )
    .await?;
    webhooks::emit(
        &txn,
        now,
        service.seller_id,
        service.livemode,
        EventType::MemberRemoved,
        data,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Which members a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberFilter<'a> {
    All,
    Status(&'a str),
    /// A Telegram user id, or a fragment of a first name or @username.
    Search(&'a str),
}

/// A page of the members of a seller's services, newest first.
pub async fn members(
    db: &Db,
    seller_id: i64,
    filter: MemberFilter<'_>,
    page: u64,
    per_page: u64,
) -> ServiceResult<(Vec<Membership>, bool)> {
    let mut q = memberships::Entity::find()
        .filter(memberships::Column::SellerId.eq(seller_id))
        .filter(memberships::Column::Status.ne("pending"));
    match filter {
        MemberFilter::All => {}
        MemberFilter::Status(status) => {
            q = q.filter(memberships::Column::Status.eq(status));
        }
        MemberFilter::Search(text) => {
            let text = text.trim().trim_start_matches('@');
            use sea_orm::sea_query::ExprTrait as _;
            let ids: Vec<i64> = match text.parse::<i64>() {
                Ok(id) => vec![id],
                Err(_) => {
                    let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_'], ""));
                    users::Entity::find()
                        .filter(
                            sea_orm::Condition::any()
                                .add(
                                    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(
                                        users::Column::FirstName,
                                    )))
                                    .like(pattern.clone()),
                                )
                                .add(
                                    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(
                                        users::Column::Username,
                                    )))
                                    .like(pattern),
                                ),
                        )
                        .limit(500)
                        .all(db)
                        .await?
                        .into_iter()
                        .map(|u| u.id)
                        .collect()
                }
            };
            q = q.filter(memberships::Column::UserId.is_in(ids));
        }
    }
    let mut rows = q
        .order_by_desc(memberships::Column::UpdatedAt)
        .order_by_desc(memberships::Column::Id)
        .offset(page * per_page)
        .limit(per_page + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// Revenue of one currency.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Revenue {
    pub currency: String,
    pub gross: i64,
    pub fee: i64,
    pub net: i64,
    pub payments: i64,
}

/// A seller's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    pub services: u64,
    pub active: u64,
    /// Of the active ones, those a Telegram Star subscription keeps.
    pub subscribers: u64,
    pub all_time: u64,
    pub revenue: Vec<Revenue>,
}

pub async fn dashboard(db: &Db, seller_id: i64, since: DateTime<Utc>) -> ServiceResult<Dashboard> {
    let services = super::catalog::services_of(db, seller_id).await?.len() as u64;
    let active = memberships::Entity::find()
        .filter(memberships::Column::SellerId.eq(seller_id))
        .filter(memberships::Column::Status.eq("active"))
        .count(db)
        .await?;
    let subscribers = memberships::Entity::find()
        .filter(memberships::Column::SellerId.eq(seller_id))
        .filter(memberships::Column::Status.eq("active"))
        .filter(memberships::Column::Source.eq(SOURCE_STAR_SUBSCRIPTION))
        .count(db)
        .await?;
    let all_time = memberships::Entity::find()
        .filter(memberships::Column::SellerId.eq(seller_id))
        .filter(memberships::Column::Status.ne("pending"))
        .count(db)
        .await?;
    let revenue = revenue(db, Some(seller_id), since).await?;
    Ok(Dashboard {
        services,
        active,
        subscribers,
        all_time,
        revenue,
    })
}

/// Paid access orders since `since` per currency: of one seller, or of all.
pub async fn revenue(
    db: &Db,
    seller_id: Option<i64>,
    since: DateTime<Utc>,
) -> ServiceResult<Vec<Revenue>> {
    let backend = db.get_database_backend();
    let (filter, values): (&str, Vec<sea_orm::Value>) = match seller_id {
        Some(s) => (" AND seller_id = $2", vec![since.into(), s.into()]),
        None => ("", vec![since.into()]),
    };
    let query = crate::storage::sql(
        backend,
        &format!(
            "SELECT currency, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS gross, \
             CAST(COALESCE(SUM(fee_minor), 0) AS BIGINT) AS fee, \
             CAST(COALESCE(SUM(net_minor), 0) AS BIGINT) AS net, \
             CAST(COUNT(*) AS BIGINT) AS payments FROM access_orders \
             WHERE status = 'paid' AND paid_at >= $1{filter} GROUP BY currency ORDER BY currency"
        ),
    );
    Ok(
        Revenue::find_by_statement(Statement::from_sql_and_values(backend, query, values))
            .all(db)
            .await?,
    )
}
