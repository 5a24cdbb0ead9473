//! Renewing subscriptions of sellers' plans: the subscription rows, their history, and what
//! each thing a payment provider reports does to them.
//!
//! The provider is the source of truth for a subscription's state. Every report of it (an
//! event, or a fresh read after an event or after the buyer's change) goes through [`sync`],
//! which moves the stored state to the reported one with a conditional update and writes one
//! history row and one outgoing webhook event per change. An ended subscription stays ended,
//! so a stale `customer.subscription.updated` arriving after the deletion changes nothing.
//!
//! Each paid invoice is one access order (the revenue record; the invoice id is unique) and
//! extends the membership to the end of the period it paid for ([`invoice_paid`]), so
//! invoices applied in any order, any number of times, end at the latest period paid. A
//! failed renewal ([`payment_failed`]) marks the subscription past due, keeps where its
//! invoice is paid, and queues the dunning reminders (now, day 1, day 3); access runs to the
//! period's end plus the service's grace days, and the expiry sweep removes the member then
//! unless an invoice was paid meanwhile.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionTrait, sea_query::Expr, sea_query::OnConflict,
};

use super::{
    access::{self, AccessOrder, ChargeRef, Paid},
    audit,
    catalog::{self, Plan, Service},
    webhooks::{self, EventType},
};
use crate::{
    jobs::{self, NewJob},
    services::ServiceResult,
    storage::{
        Db, StorageError,
        entities::{access_orders, subscription_history, subscriptions},
    },
};

pub type Subscription = subscriptions::Model;
pub type HistoryRow = subscription_history::Model;

/// Reminds a buyer whose renewal failed to pay the open invoice (payload
/// `{"subscription": id, "day": 0 | 1 | 3}`); sent only while the subscription is past due.
pub const DUNNING_JOB: &str = "seller_dunning";

/// The days after a failed renewal on which the buyer is reminded.
pub const DUNNING_DAYS: [i64; 3] = [0, 1, 3];

pub const PROVIDER_STRIPE: &str = "stripe";
/// A Telegram Star subscription of a bot invoice (`createInvoiceLink` with
/// `subscription_period`): Telegram charges every 30 days; the external id is the first
/// payment's charge id.
pub const PROVIDER_STARS: &str = "telegram_stars";
/// The only period Telegram allows for Star subscriptions.
pub const STARS_PERIOD_DAYS: i32 = 30;

/// The longest period a renewing plan may have (Stripe bills at most once a year).
pub const MAX_PERIOD_DAYS: i32 = 365;

/// Who a subscription is for, as the provider carries it in the subscription's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub seller_id: i64,
    pub service_id: i64,
    pub plan_id: i64,
    pub user_id: i64,
    /// The order of the checkout that started it.
    pub order_id: Option<i64>,
}

/// A subscription's state as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// `active`, `past_due`, `canceled`, `unpaid`, `incomplete`, `trialing`, …
    pub status: String,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTime<Utc>>,
}

/// What a state change is, as one history row and one webhook event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Started,
    Renewed,
    PaymentFailed,
    Recovered,
    CancelScheduled,
    Resumed,
    RetentionAccepted,
    Ended,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Started => "started",
            Change::Renewed => "renewed",
            Change::PaymentFailed => "payment_failed",
            Change::Recovered => "recovered",
            Change::CancelScheduled => "cancel_scheduled",
            Change::Resumed => "resumed",
            Change::RetentionAccepted => "retention_accepted",
            Change::Ended => "ended",
        }
    }

    fn event_type(self) -> EventType {
        match self {
            Change::Started => EventType::SubscriptionStarted,
            Change::Renewed => EventType::SubscriptionRenewed,
            Change::PaymentFailed => EventType::SubscriptionPaymentFailed,
            Change::Ended => EventType::SubscriptionCancelled,
            Change::Recovered
            | Change::CancelScheduled
            | Change::Resumed
            | Change::RetentionAccepted => EventType::SubscriptionUpdated,
        }
    }
}

/// Whether a provider status means the subscription is over.
pub fn is_ended_status(status: &str) -> bool {
    matches!(status, "canceled" | "incomplete_expired")
}

/// The subscription as the webhook events and the API render it.
pub fn data(sub: &Subscription) -> serde_json::Value {
    serde_json::json!({
        "id": format!("sub_{}", sub.id),
        "provider": sub.provider,
        "provider_id": sub.external_id,
        "service_id": format!("svc_{}", sub.service_id),
        "plan_id": format!("plan_{}", sub.plan_id),
        "telegram_user_id": sub.user_id,
        "status": sub.status,
        "cancel_at_period_end": sub.cancel_at_period_end,
        "current_period_end": sub.current_period_end.map(|t| t.to_rfc3339()),
        "ended_at": sub.ended_at.map(|t| t.to_rfc3339()),
    })
}

pub async fn by_external(
    db: &impl ConnectionTrait,
    provider: &str,
    external_id: &str,
) -> ServiceResult<Option<Subscription>> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::Provider.eq(provider))
        .filter(subscriptions::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}

pub async fn by_id(db: &Db, id: i64) -> ServiceResult<Option<Subscription>> {
    Ok(subscriptions::Entity::find_by_id(id).one(db).await?)
}

/// A buyer's subscriptions, newest first.
pub async fn of_buyer(db: &Db, user: i64) -> ServiceResult<Vec<Subscription>> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user))
        .order_by_desc(subscriptions::Column::Id)
        .all(db)
        .await?)
}

/// A subscription of `user`'s (None: not theirs, or no such subscription).
pub async fn of_buyer_by_id(db: &Db, user: i64, id: i64) -> ServiceResult<Option<Subscription>> {
    Ok(by_id(db, id).await?.filter(|s| s.user_id == user))
}

/// A subscription's history, oldest first.
pub async fn history(db: &Db, id: i64) -> ServiceResult<Vec<HistoryRow>> {
    Ok(subscription_history::Entity::find()
        .filter(subscription_history::Column::SubscriptionId.eq(id))
        .order_by_asc(subscription_history::Column::Id)
        .all(db)
        .await?)
}

/// The subscription the provider knows as `external_id`, made from its metadata the first
/// time any report of it arrives (reports come in any order). None: the metadata names no
/// plan of ours (a subscription the seller sells elsewhere).
pub async fn ensure(
    db: &Db,
    now: DateTime<Utc>,
    provider: &str,
    owner: &Owner,
    external_id: &str,
    paid_to: &str,
) -> ServiceResult<Option<Subscription>> {
    if let Some(found) = by_external(db, provider, external_id).await? {
        return Ok(Some(found));
    }
    let (Some(plan), Some(service)) = (
        catalog::plan(db, owner.plan_id).await?,
        catalog::service(db, owner.service_id).await?,
    ) else {
        return Ok(None);
    };
    if plan.service_id != service.id || service.seller_id != owner.seller_id {
        return Ok(None);
    }
    let txn = db.begin().await?;
    let inserted = subscriptions::Entity::insert(subscriptions::ActiveModel {
        seller_id: Set(owner.seller_id),
        livemode: Set(service.livemode),
        service_id: Set(service.id),
        plan_id: Set(plan.id),
        user_id: Set(owner.user_id),
        provider: Set(provider.into()),
        external_id: Set(external_id.into()),
        paid_to: Set(paid_to.into()),
        status: Set("incomplete".into()),
        cancel_at_period_end: Set(false),
        current_period_end: Set(None),
        pay_url: Set(None),
        retention_used: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ended_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            subscriptions::Column::Provider,
            subscriptions::Column::ExternalId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let sub = by_external(&txn, provider, external_id)
        .await?
        .ok_or_else(|| StorageError::Corrupt(format!("subscription {external_id} vanished")))?;
    if inserted == 1 {
        record(
            &txn,
            now,
            &sub,
            Change::Started,
            "",
            format!("started:{}", sub.id),
        )
        .await?;
        audit::record(
            &txn,
            now,
            sub.seller_id,
            sub.user_id,
            "subscription",
            Some(sub.user_id),
            format!("subscription {} started (plan {})", sub.id, sub.plan_id),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Some(sub))
}

/// Writes one history row and its webhook event, once per `key`; false: recorded before.
async fn record(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    sub: &Subscription,
    change: Change,
    detail: &str,
    key: String,
) -> ServiceResult<bool> {
    let inserted = subscription_history::Entity::insert(subscription_history::ActiveModel {
        subscription_id: Set(sub.id),
        seller_id: Set(sub.seller_id),
        kind: Set(change.as_str().into()),
        detail: Set(detail.into()),
        dedupe_key: Set(key),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(subscription_history::Column::DedupeKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let mut body = data(sub);
    body["change"] = change.as_str().into();
    if !detail.is_empty() {
        body["detail"] = detail.into();
    }
    webhooks::emit(
        conn,
        now,
        sub.seller_id,
        sub.livemode,
        change.event_type(),
        body,
    )
    .await?;
    Ok(true)
}

/// The number of a subscription's history rows: with the change's kind, the key of a change
/// that can happen more than once (cancel, resume, cancel again).
async fn next_seq(conn: &impl ConnectionTrait, sub: i64) -> ServiceResult<u64> {
    Ok(subscription_history::Entity::find()
        .filter(subscription_history::Column::SubscriptionId.eq(sub))
        .count(conn)
        .await?)
}

/// Moves the stored state to what the provider reports; returns the changes recorded (none
/// when nothing changed, the report is older than the deletion, or a concurrent report
/// applied it first).
pub async fn sync(
    db: &Db,
    now: DateTime<Utc>,
    provider: &str,
    external_id: &str,
    reported: &Reported,
) -> ServiceResult<Vec<Change>> {
    for _ in 0..5 {
        let Some(sub) = by_external(db, provider, external_id).await? else {
            return Ok(Vec::new());
        };
        if is_ended_status(&sub.status) {
            return Ok(Vec::new());
        }
        let ended = is_ended_status(&reported.status);
        let mut changes = Vec::new();
        if ended {
            changes.push(Change::Ended);
        } else {
            if sub.status == "past_due" && reported.status == "active" {
                changes.push(Change::Recovered);
            }
            if reported.cancel_at_period_end && !sub.cancel_at_period_end {
                changes.push(Change::CancelScheduled);
            }
            if !reported.cancel_at_period_end && sub.cancel_at_period_end {
                changes.push(Change::Resumed);
            }
        }
        let period_end = match (sub.current_period_end, reported.current_period_end) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if changes.is_empty()
            && sub.status == reported.status
            && sub.current_period_end == period_end
        {
            return Ok(Vec::new());
        }
        let txn = db.begin().await?;
        let mut update = subscriptions::Entity::update_many()
            .col_expr(subscriptions::Column::Status, Expr::value(&reported.status))
            .col_expr(
                subscriptions::Column::CancelAtPeriodEnd,
                Expr::value(reported.cancel_at_period_end),
            )
            .col_expr(
                subscriptions::Column::CurrentPeriodEnd,
                Expr::value(period_end),
            )
            .col_expr(subscriptions::Column::UpdatedAt, Expr::value(now))
            .filter(subscriptions::Column::Id.eq(sub.id))
            .filter(subscriptions::Column::Status.eq(&sub.status))
            .filter(subscriptions::Column::CancelAtPeriodEnd.eq(sub.cancel_at_period_end))
            .filter(subscriptions::Column::UpdatedAt.eq(sub.updated_at));
        if ended {
            update = update.col_expr(subscriptions::Column::EndedAt, Expr::value(now));
        }
        if reported.status == "active" {
            update = update.col_expr(
                subscriptions::Column::PayUrl,
                Expr::value(Option::<String>::None),
            );
        }
        if update.exec(&txn).await?.rows_affected == 0 {
            txn.rollback().await?;
            continue;
        }
        let fresh = subscriptions::Entity::find_by_id(sub.id)
            .one(&txn)
            .await?
            .ok_or_else(|| StorageError::Corrupt(format!("subscription {} vanished", sub.id)))?;
        for change in &changes {
            let key = match change {
                Change::Ended => format!("ended:{}", sub.id),
                other => format!(
                    "{}:{}:{}",
                    other.as_str(),
                    sub.id,
                    next_seq(&txn, sub.id).await?
                ),
            };
            record(&txn, now, &fresh, *change, "", key).await?;
        }
        if !changes.is_empty() {
            let names: Vec<&str> = changes.iter().map(|c| c.as_str()).collect();
            audit::record(
                &txn,
                now,
                sub.seller_id,
                sub.user_id,
                "subscription",
                Some(sub.user_id),
                format!("subscription {}: {}", sub.id, names.join(", ")),
            )
            .await?;
        }
        txn.commit().await?;
        return Ok(changes);
    }
    Err(StorageError::Corrupt(format!("subscription {external_id} kept changing")).into())
}

/// What a paid invoice came to.
#[derive(Debug, Clone, PartialEq)]
pub enum InvoicePaid {
    /// The order for this invoice is paid and the membership runs to the period's end.
    Applied(Box<AccessOrder>),
    /// Paid before: nothing changed.
    Duplicate,
}

/// What identifies a paid period: one of these pays once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceKey<'a> {
    /// A Stripe invoice, `in_…`.
    Stripe(&'a str),
    /// The charge of a Star subscription's renewal.
    Telegram(&'a str),
}

impl InvoiceKey<'_> {
    fn id(&self) -> &str {
        match self {
            InvoiceKey::Stripe(id) | InvoiceKey::Telegram(id) => id,
        }
    }
}

/// One invoice the provider says was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidInvoice<'a> {
    pub key: InvoiceKey<'a>,
    pub amount_minor: i64,
    pub currency: &'a str,
    /// The end of the period it paid for.
    pub period_end: DateTime<Utc>,
    /// The first invoice of the subscription (it pays the checkout's order).
    pub first: bool,
}

/// Applies a paid invoice of `sub` once: its order (the checkout's for the first invoice, a
/// new one for a renewal) is paid with `fee_percent` and the membership runs to the end of
/// the period paid for.
pub async fn invoice_paid(
    db: &Db,
    now: DateTime<Utc>,
    sub: &Subscription,
    checkout_order: Option<i64>,
    invoice: &PaidInvoice<'_>,
    fee_percent: i64,
) -> ServiceResult<InvoicePaid> {
    let order = invoice_order(db, now, sub, checkout_order, invoice).await?;
    if order.status != "pending" {
        return Ok(InvoicePaid::Duplicate);
    }
    let paid = access::pay(
        db,
        now,
        &order,
        ChargeRef::Invoice {
            until: invoice.period_end,
        },
        fee_percent,
    )
    .await?;
    let Paid::Admitted { order, .. } = paid else {
        return Ok(InvoicePaid::Duplicate);
    };
    let txn = db.begin().await?;
    subscriptions::Entity::update_many()
        .col_expr(
            subscriptions::Column::CurrentPeriodEnd,
            Expr::value(invoice.period_end),
        )
        .col_expr(subscriptions::Column::UpdatedAt, Expr::value(now))
        .filter(subscriptions::Column::Id.eq(sub.id))
        .filter(
            Condition::any()
                .add(subscriptions::Column::CurrentPeriodEnd.is_null())
                .add(subscriptions::Column::CurrentPeriodEnd.lt(invoice.period_end)),
        )
        .exec(&txn)
        .await?;
    if !invoice.first {
        let detail = format!(
            "{} {} until {}",
            invoice.amount_minor,
            invoice.currency,
            access::fmt_time(Some(invoice.period_end))
        );
        record(
            &txn,
            now,
            sub,
            Change::Renewed,
            &detail,
            format!("renewed:{}", invoice.key.id()),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(InvoicePaid::Applied(order))
}

/// The order an invoice pays: found by the invoice id, else the checkout's order takes the
/// invoice (first invoice), else a new pending order is made for it.
async fn invoice_order(
    db: &Db,
    now: DateTime<Utc>,
    sub: &Subscription,
    checkout_order: Option<i64>,
    invoice: &PaidInvoice<'_>,
) -> ServiceResult<AccessOrder> {
    let find = || async {
        let by_key = match invoice.key {
            InvoiceKey::Stripe(id) => access_orders::Column::StripeInvoiceId.eq(id),
            InvoiceKey::Telegram(id) => access_orders::Column::TelegramChargeId.eq(id),
        };
        access_orders::Entity::find().filter(by_key).one(db).await
    };
    if let Some(found) = find().await? {
        return Ok(found);
    }
    if invoice.first
        && let (Some(order), InvoiceKey::Stripe(invoice_id)) = (checkout_order, invoice.key)
    {
        let taken = access_orders::Entity::update_many()
            .col_expr(
                access_orders::Column::StripeInvoiceId,
                Expr::value(invoice_id),
            )
            .col_expr(access_orders::Column::SubscriptionId, Expr::value(sub.id))
            .col_expr(
                access_orders::Column::AmountMinor,
                Expr::value(invoice.amount_minor),
            )
            .filter(access_orders::Column::Id.eq(order))
            .filter(access_orders::Column::SellerId.eq(sub.seller_id))
            .filter(access_orders::Column::UserId.eq(sub.user_id))
            .filter(access_orders::Column::Status.eq("pending"))
            .filter(access_orders::Column::StripeInvoiceId.is_null())
            .exec(db)
            .await;
        match taken {
            Ok(_) => {}
            Err(e) if access::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(found) = find().await? {
            return Ok(found);
        }
    }
    let inserted = access_orders::Entity::insert(access_orders::ActiveModel {
        seller_id: Set(sub.seller_id),
        service_id: Set(sub.service_id),
        plan_id: Set(sub.plan_id),
        user_id: Set(sub.user_id),
        method: Set(match invoice.key {
            InvoiceKey::Stripe(_) => "card".into(),
            InvoiceKey::Telegram(_) => "stars".into(),
        }),
        status: Set("pending".into()),
        amount_minor: Set(invoice.amount_minor),
        currency: Set(invoice.currency.to_ascii_uppercase()),
        fee_minor: Set(0),
        net_minor: Set(0),
        telegram_charge_id: Set(match invoice.key {
            InvoiceKey::Telegram(id) => Some(id.into()),
            InvoiceKey::Stripe(_) => None,
        }),
        paid_to: Set(match invoice.key {
            InvoiceKey::Stripe(_) => Some(sub.paid_to.clone()),
            InvoiceKey::Telegram(_) => None,
        }),
        promo_code_id: Set(None),
        discount_minor: Set(0),
        source: Set(Some("renewal".into())),
        subscription_id: Set(Some(sub.id)),
        stripe_invoice_id: Set(match invoice.key {
            InvoiceKey::Stripe(id) => Some(id.into()),
            InvoiceKey::Telegram(_) => None,
        }),
        created_at: Set(now),
        paid_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(match invoice.key {
            InvoiceKey::Stripe(_) => access_orders::Column::StripeInvoiceId,
            InvoiceKey::Telegram(_) => access_orders::Column::TelegramChargeId,
        })
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) => {}
        // The key is unique: a concurrent delivery made the order first.
        Err(e) if access::is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    find()
        .await?
        .ok_or_else(|| StorageError::Corrupt(format!("no order for {}", invoice.key.id())).into())
}

/// A renewal charge failed: the subscription is past due (unless it ended), `pay_url` is
/// where the buyer pays, and the dunning reminders are queued. Once per invoice; false when
/// this invoice's failure was recorded before.
pub async fn payment_failed(
    db: &Db,
    now: DateTime<Utc>,
    sub: &Subscription,
    invoice_id: &str,
    pay_url: Option<&str>,
) -> ServiceResult<bool> {
    let txn = db.begin().await?;
    let fresh = subscriptions::Entity::find_by_id(sub.id)
        .one(&txn)
        .await?
        .unwrap_or_else(|| sub.clone());
    if is_ended_status(&fresh.status) {
        txn.rollback().await?;
        return Ok(false);
    }
    if invoice_is_paid(&txn, invoice_id).await? {
        // The invoice was paid (its event came first): the failure is history, not news.
        txn.rollback().await?;
        return Ok(false);
    }
    if !record(
        &txn,
        now,
        &fresh,
        Change::PaymentFailed,
        invoice_id,
        format!("failed:{invoice_id}"),
    )
    .await?
    {
        txn.rollback().await?;
        return Ok(false);
    }
    subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Status, Expr::value("past_due"))
        .col_expr(subscriptions::Column::PayUrl, Expr::value(pay_url))
        .col_expr(subscriptions::Column::UpdatedAt, Expr::value(now))
        .filter(subscriptions::Column::Id.eq(sub.id))
        .exec(&txn)
        .await?;
    let reminders = DUNNING_DAYS.map(|day| NewJob {
        dedupe_key: Some(format!("{DUNNING_JOB}:{invoice_id}:{day}")),
        run_at: now + Duration::days(day),
        ..NewJob::now(
            DUNNING_JOB,
            serde_json::json!({ "subscription": sub.id, "day": day, "invoice": invoice_id }),
            now,
        )
    });
    jobs::enqueue_many(&txn, now, reminders).await?;
    audit::record(
        &txn,
        now,
        sub.seller_id,
        sub.user_id,
        "subscription",
        Some(sub.user_id),
        format!(
            "subscription {}: renewal payment failed ({invoice_id})",
            sub.id
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Whether a dunning reminder is still due: the subscription is past due on that invoice.
pub fn dunning_due(sub: &Subscription, invoice_paid: bool) -> bool {
    sub.status == "past_due" && !invoice_paid && sub.pay_url.is_some()
}

/// Whether `invoice` has been paid (its order is paid).
pub async fn invoice_is_paid(db: &impl ConnectionTrait, invoice: &str) -> ServiceResult<bool> {
    Ok(access_orders::Entity::find()
        .filter(access_orders::Column::StripeInvoiceId.eq(invoice))
        .filter(access_orders::Column::Status.eq("paid"))
        .count(db)
        .await?
        > 0)
}

/// The retention offer is being shown: once per subscription (false: it was made before).
pub async fn offer_made(db: &Db, now: DateTime<Utc>, sub: &Subscription) -> ServiceResult<bool> {
    Ok(subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::RetentionUsed, Expr::value(true))
        .col_expr(subscriptions::Column::UpdatedAt, Expr::value(now))
        .filter(subscriptions::Column::Id.eq(sub.id))
        .filter(subscriptions::Column::RetentionUsed.eq(false))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The buyer took the retention offer made to them: recorded once per subscription (false:
/// taken before).
pub async fn retention_accepted(
    db: &Db,
    now: DateTime<Utc>,
    sub: &Subscription,
    percent: i32,
) -> ServiceResult<bool> {
    let txn = db.begin().await?;
    let new = record(
        &txn,
        now,
        sub,
        Change::RetentionAccepted,
        &format!("{percent}% off the next period"),
        format!("retention:{}", sub.id),
    )
    .await?;
    txn.commit().await?;
    Ok(new)
}

/// Whether the buyer may take the offer now: it was made to them and is still the seller's.
pub fn offer_open(sub: &Subscription, seller_percent: Option<i32>) -> Option<i32> {
    seller_percent.filter(|p| (1..=90).contains(p) && sub.retention_used)
}

/// Whether the retention offer may be shown: the seller makes one and it was not made for
/// this subscription before (accepted or not: it is shown once).
pub fn retention_offer(sub: &Subscription, seller_percent: Option<i32>) -> Option<i32> {
    seller_percent.filter(|p| (1..=90).contains(p) && !sub.retention_used)
}

/// A retention offer that is not 1 to 90 percent or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidPercent;

/// Parses a retention percentage as a seller types it: `20`, `20%`, or `off`.
pub fn parse_retention(text: &str) -> Result<Option<i32>, InvalidPercent> {
    let t = text.trim().trim_end_matches('%').trim();
    if t.eq_ignore_ascii_case("off") || t == "0" {
        return Ok(None);
    }
    match t.parse::<i32>() {
        Ok(p) if (1..=90).contains(&p) => Ok(Some(p)),
        _ => Err(InvalidPercent),
    }
}

/// Sets the seller's retention offer (None: no offer).
pub async fn set_retention(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    actor: i64,
    percent: Option<i32>,
) -> ServiceResult<()> {
    use crate::storage::entities::sellers;
    let txn = db.begin().await?;
    sellers::Entity::update_many()
        .col_expr(sellers::Column::RetentionPercent, Expr::value(percent))
        .col_expr(sellers::Column::UpdatedAt, Expr::value(now))
        .filter(sellers::Column::Id.eq(seller_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        seller_id,
        actor,
        "retention_offer",
        None,
        percent.map_or_else(|| "off".to_owned(), |p| format!("{p}%")),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Why a plan cannot be made renewing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRenewable {
    /// It has no card price (and its Stars cannot renew either).
    NoCardPrice,
    /// Its card period is longer than a year.
    PeriodTooLong,
    /// Stars only, and a period Telegram does not allow for Star subscriptions (30 days).
    StarsPeriod,
}

/// What renews on a renewing plan: by card (a card price, a period of at most a year), in
/// Stars (a Stars price, a 30-day period), or why nothing can.
pub fn renews(plan: &Plan) -> Result<(bool, bool), NotRenewable> {
    let card = plan.price_minor.is_some_and(|p| p > 0);
    let card_ok = card && plan.period_days <= MAX_PERIOD_DAYS;
    let stars_ok = plan.stars_price.is_some() && plan.period_days == STARS_PERIOD_DAYS;
    match (card_ok, stars_ok) {
        (false, false) if card => Err(NotRenewable::PeriodTooLong),
        (false, false) if plan.stars_price.is_some() => Err(NotRenewable::StarsPeriod),
        (false, false) => Err(NotRenewable::NoCardPrice),
        both => Ok(both),
    }
}

/// Turns a plan's renewal on or off; on needs something that can renew ([`renews`]).
pub async fn set_renewing(
    db: &Db,
    now: DateTime<Utc>,
    plan: &Plan,
    actor: i64,
    on: bool,
) -> ServiceResult<Result<(), NotRenewable>> {
    use crate::storage::entities::seller_plans;
    if on && let Err(why) = renews(plan) {
        return Ok(Err(why));
    }
    let txn = db.begin().await?;
    seller_plans::Entity::update_many()
        .col_expr(seller_plans::Column::Renewing, Expr::value(on))
        .filter(seller_plans::Column::Id.eq(plan.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        plan.seller_id,
        actor,
        "plan_renewing",
        None,
        format!(
            "plan {}: renewing {}",
            plan.id,
            if on { "on" } else { "off" }
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// The first payment of a Star subscription was applied to `order`: the subscription is
/// recorded (the charge is its id) with the period Telegram says it runs to.
pub async fn star_started(
    db: &Db,
    now: DateTime<Utc>,
    order: &AccessOrder,
    charge: &str,
    expiration: DateTime<Utc>,
) -> ServiceResult<Option<Subscription>> {
    let owner = Owner {
        seller_id: order.seller_id,
        service_id: order.service_id,
        plan_id: order.plan_id,
        user_id: order.user_id,
        order_id: Some(order.id),
    };
    let Some(sub) = ensure(db, now, PROVIDER_STARS, &owner, charge, "stars").await? else {
        return Ok(None);
    };
    sync(
        db,
        now,
        PROVIDER_STARS,
        charge,
        &Reported {
            status: "active".into(),
            cancel_at_period_end: sub.cancel_at_period_end,
            current_period_end: Some(expiration),
        },
    )
    .await?;
    by_id(db, sub.id).await
}

/// The Star subscription that `first` (the first payment's order) started was charged again:
/// a new order for `charge`, the membership to `expiration`. None: no such subscription.
pub async fn star_renewed(
    db: &Db,
    now: DateTime<Utc>,
    first: &AccessOrder,
    charge: &str,
    amount: i64,
    expiration: DateTime<Utc>,
    fee_percent: i64,
) -> ServiceResult<Option<InvoicePaid>> {
    let Some(first_charge) = first.telegram_charge_id.as_deref() else {
        return Ok(None);
    };
    let Some(sub) = by_external(db, PROVIDER_STARS, first_charge).await? else {
        return Ok(None);
    };
    let paid = invoice_paid(
        db,
        now,
        &sub,
        None,
        &PaidInvoice {
            key: InvoiceKey::Telegram(charge),
            amount_minor: amount,
            currency: "XTR",
            period_end: expiration,
            first: false,
        },
        fee_percent,
    )
    .await?;
    Ok(Some(paid))
}

/// Whether a subscription is over: ended at the provider, or a Star subscription whose paid
/// period is a day behind it (Telegram says nothing when it stops charging).
pub fn is_over(sub: &Subscription, now: DateTime<Utc>) -> bool {
    is_ended_status(&sub.status)
        || (sub.provider == PROVIDER_STARS
            && sub
                .current_period_end
                .is_some_and(|end| end + Duration::days(1) < now))
}

/// A buyer's live subscription of `service` (not over): a second one is refused while one
/// runs.
pub async fn live_of(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    user: i64,
) -> ServiceResult<Option<Subscription>> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::ServiceId.eq(service.id))
        .filter(subscriptions::Column::UserId.eq(user))
        .filter(subscriptions::Column::Status.is_not_in(["canceled", "incomplete_expired"]))
        .order_by_desc(subscriptions::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .find(|s| !is_over(s, now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(status: &str, retention_used: bool) -> Subscription {
        let t = chrono::DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        Subscription {
            id: 1,
            seller_id: 1,
            livemode: true,
            service_id: 1,
            plan_id: 1,
            user_id: 1,
            provider: PROVIDER_STRIPE.into(),
            external_id: "sub_1".into(),
            paid_to: "platform".into(),
            status: status.into(),
            cancel_at_period_end: false,
            current_period_end: None,
            pay_url: Some("https://pay".into()),
            retention_used,
            created_at: t,
            updated_at: t,
            ended_at: None,
        }
    }

    fn plan(card: Option<i64>, stars: Option<i64>, days: i32) -> Plan {
        Plan {
            id: 1,
            service_id: 1,
            seller_id: 1,
            price_minor: card,
            currency: card.map(|_| "USD".into()),
            stars_price: stars,
            period_days: days,
            trial_days: 0,
            status: "active".into(),
            renewing: false,
            created_at: chrono::DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn what_renews_card_up_to_a_year_stars_every_30_days() {
        assert_eq!(renews(&plan(Some(999), Some(250), 30)), Ok((true, true)));
        assert_eq!(renews(&plan(Some(999), Some(250), 7)), Ok((true, false)));
        assert_eq!(renews(&plan(None, Some(250), 30)), Ok((false, true)));
        assert_eq!(
            renews(&plan(None, Some(250), 7)),
            Err(NotRenewable::StarsPeriod)
        );
        assert_eq!(
            renews(&plan(Some(999), None, 400)),
            Err(NotRenewable::PeriodTooLong)
        );
        assert_eq!(
            renews(&plan(Some(999), Some(250), 400)),
            Err(NotRenewable::PeriodTooLong)
        );
        assert_eq!(
            renews(&plan(None, None, 30)),
            Err(NotRenewable::NoCardPrice)
        );
    }

    #[test]
    fn a_star_subscription_is_over_a_day_after_its_paid_period() {
        let mut s = sub("active", false);
        s.provider = PROVIDER_STARS.into();
        let end = chrono::DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
        s.current_period_end = Some(end);
        assert!(!is_over(&s, end + Duration::hours(23)));
        assert!(is_over(&s, end + Duration::hours(25)));
        s.provider = PROVIDER_STRIPE.into();
        assert!(
            !is_over(&s, end + Duration::days(10)),
            "Stripe says when it ends"
        );
    }

    #[test]
    fn a_retention_percentage_is_1_to_90_or_off() {
        assert_eq!(parse_retention("20"), Ok(Some(20)));
        assert_eq!(parse_retention(" 15% "), Ok(Some(15)));
        assert_eq!(parse_retention("off"), Ok(None));
        assert_eq!(parse_retention("0"), Ok(None));
        assert_eq!(parse_retention("91"), Err(InvalidPercent));
        assert_eq!(parse_retention("-5"), Err(InvalidPercent));
        assert_eq!(parse_retention("lots"), Err(InvalidPercent));
    }

    #[test]
    fn the_offer_is_shown_once_per_subscription_and_taken_only_once_shown() {
        assert_eq!(retention_offer(&sub("active", false), Some(20)), Some(20));
        assert_eq!(retention_offer(&sub("active", true), Some(20)), None);
        assert_eq!(retention_offer(&sub("active", false), None), None);
        assert_eq!(offer_open(&sub("active", true), Some(20)), Some(20));
        assert_eq!(offer_open(&sub("active", false), Some(20)), None);
        assert_eq!(offer_open(&sub("active", true), None), None);
    }

    #[test]
    fn dunning_stops_once_the_invoice_is_paid_or_the_subscription_recovers() {
        assert!(dunning_due(&sub("past_due", false), false));
        assert!(!dunning_due(&sub("past_due", false), true));
        assert!(!dunning_due(&sub("active", false), false));
        assert!(!dunning_due(&sub("canceled", false), false));
    }

    #[test]
    fn ended_statuses_are_terminal() {
        assert!(is_ended_status("canceled"));
        assert!(is_ended_status("incomplete_expired"));
        assert!(!is_ended_status("past_due"));
        assert!(!is_ended_status("active"));
    }
}
