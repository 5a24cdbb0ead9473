//! The settlement batch's SQL, with typed rows: the facts of the orders a batch pays, the
//! events it has seen, the guarded move of its orders to paid and the credit of its users.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    billing::orders::OrderStatus,
    services::{ServiceResult, batch::Miss, events::EventSource},
    storage::{self, PerId, entities::processed_events},
};

/// What the batch needs of an order.
pub(super) struct OrderFacts {
    pub(super) user_id: i64,
    pub(super) status: OrderStatus,
    pub(super) credits: Option<i64>,
    pub(super) has_auto_recharge: bool,
}

pub(super) async fn order_facts(
    txn: &DatabaseTransaction,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, OrderFacts>> {
    let query = format!(
        "SELECT o.id, o.user_id, o.status, p.credits, \
           (ar.user_id IS NOT NULL) AS has_auto_recharge \
         FROM orders o \
         JOIN products p ON p.id = o.product_id \
         LEFT JOIN auto_recharge ar ON ar.user_id = o.user_id \
         WHERE o.id IN ({})",
        storage::placeholders(1, ids.len())
    );
    let values = ids.iter().map(|&id| sea_orm::Value::from(id)).collect();
    let rows = storage::query_all(txn, &query, values).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert(
            row.try_get::<i64>("", "id")?,
            OrderFacts {
                user_id: row.try_get("", "user_id")?,
                status: row.try_get("", "status")?,
                credits: row.try_get("", "credits")?,
                has_auto_recharge: row.try_get("", "has_auto_recharge")?,
            },
        );
    }
    Ok(out)
}

pub(super) async fn seen_events(
    txn: &DatabaseTransaction,
    ids: Vec<String>,
) -> ServiceResult<HashSet<String>> {
    Ok(processed_events::Entity::find()
        .select_only()
        .column(processed_events::Column::ExternalId)
        .filter(processed_events::Column::Source.eq(EventSource::Stripe.as_str()))
        .filter(processed_events::Column::ExternalId.is_in(ids))
        .into_tuple::<String>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

/// Moves the orders to paid (with their payment intents); all of them, or `Moved`.
pub(super) async fn mark_paid(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    paying: &[(i64, Option<&str>)],
) -> Result<(), Miss> {
    let PerId {
        case,
        ids,
        mut values,
    } = storage::per_id(
        2,
        paying.iter().map(|(id, pi)| (*id, pi.map(str::to_owned))),
    );
    values.insert(0, now.into());
    let first_status = values.len() + 1;
    values.extend(
        OrderStatus::PAYABLE
            .iter()
            .map(|s| sea_orm::Value::from(s.as_str())),
    );
    let query = format!(
        "UPDATE orders SET status = 'paid', paid_at = $1, updated_at = $1, \
           stripe_payment_intent = COALESCE((CASE id{case} END), stripe_payment_intent) \
         WHERE id IN ({ids}) AND status IN ({}) RETURNING id",
        storage::placeholders(first_status, OrderStatus::PAYABLE.len())
    );
    let rows = storage::query_all(txn, &query, values).await?;
    if rows.len() != paying.len() {
        return Err(Miss::Moved);
    }
    Ok(())
}

/// A user's balance after the batch, and their languages.
pub(super) struct Credited {
    pub(super) balance: i64,
    pub(super) locale: Option<String>,
    pub(super) language_code: Option<String>,
}

/// Adds each user's total; all of them, or `Moved`.
pub(super) async fn credit(
    txn: &DatabaseTransaction,
    totals: &[(i64, i64)],
) -> Result<HashMap<i64, Credited>, Miss> {
    let PerId { case, ids, values } = storage::per_id(1, totals.iter().copied());
    let query = format!(
        "UPDATE users SET credits = credits + (CASE id{case} END) WHERE id IN ({ids}) \
         RETURNING id, credits, locale, language_code"
    );
    let rows = storage::query_all(txn, &query, values).await?;
    if rows.len() != totals.len() {
        return Err(Miss::Moved);
    }
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert(
            row.try_get::<i64>("", "id")?,
            Credited {
                balance: row.try_get("", "credits")?,
                locale: row.try_get("", "locale")?,
                language_code: row.try_get("", "language_code")?,
            },
        );
    }
    Ok(out)
}
