//! The catalog and orders. Every payment attempt is an order; its status only moves forward
//! through conditional updates (`… WHERE status = 'pending'`), so two deliveries of a payment
//! can never both fulfil it, and a refund that arrives first stops a later grant.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use crate::storage::{
    Db, StorageError,
    entities::{debts, orders, products, stripe_customers, time_passes, users},
};
use crate::{
    accounts::credits::{self, Granted, Movement, Reason},
    billing::passes::{self, PassKind},
    domain::UserStatus,
    services::ServiceResult,
};

pub type Product = products::Model;
pub type Order = orders::Model;
pub use orders::OrderStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Stripe,
    Stars,
    Provider,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Stripe => "stripe",
            Method::Stars => "stars",
            Method::Provider => "provider",
        }
    }
}

pub async fn catalog(db: &Db) -> ServiceResult<Vec<Product>> {
    Ok(products::Entity::find()
        .filter(products::Column::Active.eq(true))
        .order_by_asc(products::Column::SortOrder)
        .order_by_asc(products::Column::Id)
        .all(db)
        .await?)
}

pub async fn product(db: &Db, id: i64) -> ServiceResult<Option<Product>> {
    Ok(products::Entity::find_by_id(id).one(db).await?)
}

pub async fn product_by_code(db: &Db, code: &str) -> ServiceResult<Option<Product>> {
    Ok(products::Entity::find()
        .filter(products::Column::Code.eq(code))
        .one(db)
        .await?)
}

pub async fn find(db: &Db, id: i64) -> ServiceResult<Option<Order>> {
    Ok(orders::Entity::find_by_id(id).one(db).await?)
}

/// A new pending order for `product`, priced in Stars or in the product's currency.
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    product: &Product,
    method: Method,
) -> ServiceResult<Order> {
    let (amount, currency) = match method {
        Method::Stars => (
            product.stars_price.ok_or_else(|| {
                StorageError::Corrupt(format!("product {} has no Stars price", product.id))
            })?,
            "XTR".to_owned(),
        ),
        Method::Stripe | Method::Provider => (product.price_minor, product.currency.clone()),
    };
    Ok(orders::Entity::insert(orders::ActiveModel {
        user_id: Set(user_id),
        product_id: Set(product.id),
        method: Set(method.as_str().to_owned()),
        status: Set(OrderStatus::Pending),
        amount_minor: Set(amount),
        currency: Set(currency),
        stripe_session_id: Set(None),
        stripe_payment_intent: Set(None),
        telegram_charge_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        paid_at: Set(None),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?)
}

/// A pending order of the same user, product and method made since `since` (a double tap).
/// A card order counts only once it has its Checkout session (an attempt that never reached
/// Stripe must not block the retry).
pub async fn recent_pending(
    db: &Db,
    user_id: i64,
    product_id: i64,
    method: Method,
    since: DateTime<Utc>,
) -> ServiceResult<Option<Order>> {
    let mut query = orders::Entity::find()
        .filter(orders::Column::UserId.eq(user_id))
        .filter(orders::Column::ProductId.eq(product_id))
        .filter(orders::Column::Method.eq(method.as_str()))
        .filter(orders::Column::Status.eq(OrderStatus::Pending))
        .filter(orders::Column::CreatedAt.gte(since));
    if method == Method::Stripe {
        query = query.filter(orders::Column::StripeSessionId.is_not_null());
    }
    Ok(query.one(db).await?)
}

pub async fn attach_session(db: &Db, order_id: i64, session_id: &str) -> ServiceResult<()> {
    orders::Entity::update_many()
        .col_expr(orders::Column::StripeSessionId, Expr::value(session_id))
        .filter(orders::Column::Id.eq(order_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves an order from `from` to `to`; true when this call made the move.
async fn transition(
    db: &Db,
    now: DateTime<Utc>,
    order_id: i64,
    from: &[OrderStatus],
    to: OrderStatus,
) -> ServiceResult<bool> {
    let mut update = orders::Entity::update_many()
        .col_expr(orders::Column::Status, Expr::value(to))
        .col_expr(orders::Column::UpdatedAt, Expr::value(now))
        .filter(orders::Column::Id.eq(order_id))
        .filter(orders::Column::Status.is_in(from.iter().copied()));
    if to == OrderStatus::Paid {
        update = update.col_expr(orders::Column::PaidAt, Expr::value(now));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

pub async fn mark_failed(db: &Db, now: DateTime<Utc>, order_id: i64) -> ServiceResult<bool> {
    transition(
        db,
        now,
        order_id,
        &[OrderStatus::Pending],
        OrderStatus::Failed,
    )
    .await
}

pub async fn mark_expired(db: &Db, now: DateTime<Utc>, order_id: i64) -> ServiceResult<bool> {
    transition(
        db,
        now,
        order_id,
        &[OrderStatus::Pending],
        OrderStatus::Expired,
    )
    .await
}

/// What a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paid {
    Credits {
        amount: i64,
        balance: i64,
    },
    Pass {
        until: DateTime<Utc>,
    },
    /// Paid before (a retried or second event): nothing more.
    AlreadyPaid,
    /// Refunded or cancelled before the payment arrived: nothing granted.
    NotPayable,
}

pub struct PaymentRef<'a> {
    pub stripe_payment_intent: Option<&'a str>,
    pub telegram_charge_id: Option<&'a str>,
}

/// What a Telegram invoice for an order carries as its payload.
const INVOICE_PREFIX: &str = "order:";

/// The payload of the Telegram invoice for `order_id`.
pub fn invoice_payload(order_id: i64) -> String {
    format!("{INVOICE_PREFIX}{order_id}")
}

/// The order an invoice payload names, if it names one.
pub fn order_of_payload(payload: &str) -> Option<i64> {
    payload.strip_prefix(INVOICE_PREFIX)?.parse().ok()
}

/// Why a payment about to be made is refused (Telegram shows the reason to the payer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutRefusal {
    /// The invoice names no order of ours.
    UnknownOrder,
    /// The order belongs to someone else.
    NotYours,
    /// The order was paid, refunded or given up already.
    AlreadyUsed,
    /// The product is no longer sold.
    NotSold,
    /// The amount or currency differs from the order's.
    PriceChanged,
    /// The payer is banned.
    Banned,
    /// The order could not be checked just now.
    Unavailable,
}

/// Telegram asks whether to take `total_minor` in `currency` from `payer` for the invoice
/// `payload` (it must be answered within 10 s). Everything is checked again: the order, its
/// owner and status, the product, the amount and currency, and the payer's standing.
pub async fn check_checkout(
    db: &Db,
    payload: &str,
    payer: i64,
    total_minor: i64,
    currency: &str,
) -> ServiceResult<Result<(), CheckoutRefusal>> {
    let Some(order) = (match order_of_payload(payload) {
        Some(id) => find(db, id).await?,
        None => None,
    }) else {
        return Ok(Err(CheckoutRefusal::UnknownOrder));
    };
    let product = product(db, order.product_id).await?;
    let user = users::Entity::find_by_id(order.user_id).one(db).await?;
    Ok(if order.user_id != payer {
        Err(CheckoutRefusal::NotYours)
    } else if order.status != OrderStatus::Pending {
        Err(CheckoutRefusal::AlreadyUsed)
    } else if !product.is_some_and(|p| p.active) {
        Err(CheckoutRefusal::NotSold)
    } else if total_minor != order.amount_minor || !currency.eq_ignore_ascii_case(&order.currency) {
        Err(CheckoutRefusal::PriceChanged)
    } else if user.is_some_and(|u| UserStatus::parse(&u.status) == Ok(UserStatus::Banned)) {
        Err(CheckoutRefusal::Banned)
    } else {
        Ok(())
    })
}

/// Fulfils an order once: the grant is keyed by the order, and only the call that moves the
/// order from pending to paid grants a pass. The first time, the operator's drip campaigns
/// hear of the purchase ([`paid_hook`]).
pub async fn pay(
    db: &Db,
    now: DateTime<Utc>,
    order: &Order,
    r: PaymentRef<'_>,
) -> ServiceResult<Paid> {
    let paid = fulfil(db, now, order, r).await?;
    paid_hook(db, now, order.user_id, &paid).await;
    Ok(paid)
}

/// After a payment was stored: when it granted something (the first time, never for a
/// retried event), the operator's drips count the purchase (goal, conversion, purchase
/// campaigns). A failure there is logged and never undoes or repeats the payment.
pub async fn paid_hook(db: &Db, now: DateTime<Utc>, user: i64, paid: &Paid) {
    if !matches!(paid, Paid::Credits { .. } | Paid::Pass { .. }) {
        return;
    }
    if let Err(e) = crate::messaging::operator_drips::on_paid(db, now, user).await {
        tracing::error!(error = %e, user_id = user, "the operator's drips missed a purchase");
    }
}

async fn fulfil(
    db: &Db,
    now: DateTime<Utc>,
    order: &Order,
    r: PaymentRef<'_>,
) -> ServiceResult<Paid> {
    let product = product(db, order.product_id)
        .await?
        .ok_or_else(|| StorageError::Corrupt(format!("order {} has no product", order.id)))?;
    if let Some(pi) = r.stripe_payment_intent {
        orders::Entity::update_many()
            .col_expr(orders::Column::StripePaymentIntent, Expr::value(pi))
            .filter(orders::Column::Id.eq(order.id))
            .exec(db)
            .await?;
    }
    if let Some(charge) = r.telegram_charge_id {
        orders::Entity::update_many()
            .col_expr(orders::Column::TelegramChargeId, Expr::value(charge))
            .filter(orders::Column::Id.eq(order.id))
            .exec(db)
            .await?;
    }
    match find(db, order.id).await?.map(|o| o.status) {
        Some(OrderStatus::Paid) => return Ok(Paid::AlreadyPaid),
        Some(status) if status.is_payable() => {}
        _ => return Ok(Paid::NotPayable),
    }
    match (
        product.credits,
        product.pass_kind.as_deref().and_then(PassKind::parse),
    ) {
        (Some(amount), _) => {
            // Grant first, keyed by the order: a crash before the status update heals on retry.
            let movement = Movement::new(order.user_id, amount, Reason::Purchase)
                .key(format!("order:{}", order.id))
                .reference(format!("order:{}", order.id));
            let granted = credits::grant(db, now, &movement).await?;
            transition(db, now, order.id, &OrderStatus::PAYABLE, OrderStatus::Paid).await?;
            Ok(match granted {
                Granted::Applied { balance } => Paid::Credits { amount, balance },
                Granted::Duplicate => Paid::AlreadyPaid,
            })
        }
        (None, Some(kind)) => {
            if !transition(db, now, order.id, &OrderStatus::PAYABLE, OrderStatus::Paid).await? {
                return Ok(Paid::AlreadyPaid);
            }
            let pass =
                passes::grant(db, now, order.user_id, kind, &format!("order:{}", order.id)).await?;
            Ok(Paid::Pass {
                until: pass.ends_at,
            })
        }
        (None, None) => {
            Err(StorageError::Corrupt(format!("product {} grants nothing", product.id)).into())
        }
    }
}

/// What a refund did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refunded {
    /// Credits taken back for the part refunded now, and what the balance could not cover
    /// (recorded as debt).
    Credits {
        clawed_back: i64,
        debt: i64,
        balance: i64,
    },
    PassEnded,
    /// Part of a pass was refunded: the pass runs on.
    PassKept,
    /// The payment had not been applied yet: nothing to take back, and it never will be.
    BeforePayment,
    /// Nothing new: this refund (or a larger one) was applied before.
    AlreadyRefunded,
}

/// The credits that `refunded_minor` of an order paying `amount_minor` for `credits` stands
/// for: rounded down, so that the parts of a refund never add up to more than the purchase.
pub fn refunded_credits(credits: i64, amount_minor: i64, refunded_minor: i64) -> i64 {
    if amount_minor <= 0 {
        return credits;
    }
    let refunded = refunded_minor.clamp(0, amount_minor);
    (i128::from(credits) * i128::from(refunded) / i128::from(amount_minor)) as i64
}

/// Applies a refund of `refunded_minor` in total (Stripe's `amount_refunded` is cumulative):
/// takes back what the part refunded since the last call gave, in proportion. The order moves
/// to `partially_refunded`, then `refunded` once the whole amount is back. The new total, the
/// clawback and any debt are written in one transaction that only lands while the order still
/// shows the total it was read with, so a repeated or concurrent event applies once, and an
/// older event arriving after a newer one changes nothing.
pub async fn refund(
    db: &Db,
    now: DateTime<Utc>,
    order: &Order,
    refunded_minor: i64,
) -> ServiceResult<Refunded> {
    let total = refunded_minor.clamp(0, order.amount_minor.max(0));
    loop {
        let Some(current) = find(db, order.id).await? else {
            return Err(StorageError::Corrupt(format!("order {} vanished", order.id)).into());
        };
        match current.status {
            OrderStatus::Refunded => return Ok(Refunded::AlreadyRefunded),
            status if status.is_refundable() => {}
            _ => {
                // Refunded before the payment was applied: it never will be.
                if transition(
                    db,
                    now,
                    order.id,
                    &OrderStatus::PAYABLE,
                    OrderStatus::Refunded,
                )
                .await?
                {
                    return Ok(Refunded::BeforePayment);
                }
                continue;
            }
        }
        let before = current.refunded_minor;
        // A zero-amount order (free) counts as wholly refunded by any refund.
        let whole = total >= current.amount_minor;
        if total <= before && !whole {
            return Ok(Refunded::AlreadyRefunded);
        }
        let to = if whole {
            OrderStatus::Refunded
        } else {
            OrderStatus::PartiallyRefunded
        };
        let txn = db.begin().await?;
        let moved = orders::Entity::update_many()
            .col_expr(orders::Column::Status, Expr::value(to))
            .col_expr(orders::Column::RefundedMinor, Expr::value(total))
            .col_expr(orders::Column::UpdatedAt, Expr::value(now))
            .filter(orders::Column::Id.eq(order.id))
            .filter(orders::Column::RefundedMinor.eq(before))
            .filter(orders::Column::Status.eq(current.status))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !moved {
            // Another refund of this order landed meanwhile: read it again.
            txn.rollback().await?;
            continue;
        }
        let product = products::Entity::find_by_id(order.product_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StorageError::Corrupt(format!("order {} has no product", order.id)))?;
        let Some(credits_bought) = product.credits else {
            if whole {
                // A refunded pass ends now.
                time_passes::Entity::update_many()
                    .col_expr(time_passes::Column::EndsAt, Expr::value(now))
                    .filter(time_passes::Column::Source.eq(format!("order:{}", order.id)))
                    .filter(time_passes::Column::EndsAt.gt(now))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
            return Ok(if whole {
                Refunded::PassEnded
            } else {
                Refunded::PassKept
            });
        };
        let share = refunded_credits(credits_bought, current.amount_minor, total)
            - refunded_credits(credits_bought, current.amount_minor, before);
        let movement = Movement::new(order.user_id, share, Reason::Clawback)
            .key(format!("clawback:{}:{}", order.id, total))
            .reference(format!("order:{}", order.id));
        let (clawed_back, balance) = credits::take_up_to(&txn, now, &movement).await?;
        let debt = share - clawed_back;
        if debt > 0 {
            record_debt(&txn, now, order, debt).await?;
        }
        txn.commit().await?;
        return Ok(Refunded::Credits {
            clawed_back,
            debt,
            balance,
        });
    }
}

/// Adds `amount` to the order's debt (one row an order, growing with each partial refund).
async fn record_debt(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    order: &Order,
    amount: i64,
) -> ServiceResult<()> {
    debts::Entity::insert(debts::ActiveModel {
        user_id: Set(order.user_id),
        order_id: Set(order.id),
        amount: Set(amount),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(debts::Column::OrderId)
            .value(
                debts::Column::Amount,
                Expr::cust("debts.amount + excluded.amount"),
            )
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

pub async fn flag_user(db: &Db, now: DateTime<Utc>, user_id: i64) -> ServiceResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::FlaggedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn stripe_customer(db: &Db, user_id: i64) -> ServiceResult<Option<String>> {
    Ok(stripe_customers::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|c| c.customer_id))
}

pub async fn remember_stripe_customer(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    customer: &str,
) -> ServiceResult<()> {
    stripe_customers::Entity::insert(stripe_customers::ActiveModel {
        user_id: Set(user_id),
        customer_id: Set(customer.to_owned()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(stripe_customers::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A price such as `$5.00`, from integer minor units.
pub fn format_price(minor: i64, currency: &str) -> String {
    let major = minor / 100;
    let cents = (minor % 100).abs();
    match currency.to_ascii_lowercase().as_str() {
        "usd" => format!("${major}.{cents:02}"),
        "eur" => format!("€{major}.{cents:02}"),
        "gbp" => format!("£{major}.{cents:02}"),
        // Telegram Stars are whole.
        "xtr" => format!("⭐ {minor}"),
        other => format!("{major}.{cents:02} {}", other.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::format_price;

    #[test]
    fn prices_are_shown_from_integer_minor_units() {
        assert_eq!(format_price(500, "usd"), "$5.00");
        assert_eq!(format_price(1999, "EUR"), "€19.99");
        assert_eq!(format_price(5, "usd"), "$0.05");
        assert_eq!(format_price(12345, "chf"), "123.45 CHF");
        assert_eq!(format_price(250, "XTR"), "⭐ 250");
    }
}
