//! Paid Checkout Sessions, settled in batches.
//!
//! Paying one order one statement at a time (claim the event, read the order and product, set
//! the payment intent, grant, move the order, remember the customer, mark the event done) is
//! about fourteen statements in six transactions. Webhooks that arrive together are settled
//! together instead ([`Batcher`]), in one transaction: seen event ids, orders with products,
//! the claims (stored as done: they commit with their effects or not at all), one guarded
//! order update, one balance update, one ledger insert, one customer insert, and one insert of
//! the "payment received" notices ([`notices`]), so that a grant never commits without its
//! notice.
//!
//! Only the plain case is settled here: a known order for a credit pack, of a user without
//! auto-recharge (remembering the card needs a Stripe call). Anything else, and any batch that
//! can't be settled exactly (an order that moved meanwhile, a grant already in the ledger, an
//! error), is answered [`Settled::OneByOne`]: the caller applies that event the one-by-one way,
//! which handles every case. Nothing of a batch that falls back is kept.
mod queries;

use std::collections::{HashMap, HashSet};

use queries::{credit, mark_paid, order_facts, seen_events};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait, sea_query::OnConflict};

use crate::{
    accounts::credits::{self, Movement, Reason},
    billing::notices,
    billing::orders::{OrderStatus, Paid},
    services::ServiceResult,
    services::batch::{Batcher, BatcherStopped, Miss},
    services::events::EventSource,
};
use crate::{
    clock::SharedClock,
    storage::{
        self, Db, StorageError,
        entities::{processed_events, stripe_customers},
    },
};

pub const MAX_BATCH: usize = 64;

/// A Checkout Session that says it was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidSession {
    pub event_id: String,
    pub event_kind: String,
    pub order_id: i64,
    pub customer: Option<String>,
    pub payment_intent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Applied (the event is done); `paid` says what the user got, if anything.
    Applied {
        user_id: i64,
        paid: Paid,
        /// The user's chosen language and Telegram's, for the confirmation.
        locale: Option<String>,
        language_code: Option<String>,
    },
    /// This event was applied before.
    Duplicate,
    /// Not for a batch: apply this event one by one.
    OneByOne,
}

/// One settler per app; clones share it.
#[derive(Clone)]
pub struct Settler {
    batcher: Batcher<PaidSession, ServiceResult<Settled>>,
}

impl Settler {
    pub fn start(db: Db, clock: SharedClock) -> Self {
        let runners = if storage::is_postgres(&db) { 3 } else { 1 };
        let batcher = Batcher::spawn_many(runners, MAX_BATCH, move |sessions: Vec<PaidSession>| {
            let db = db.clone();
            let now = clock.now();
            Box::pin(async move { settle_all(&db, now, &sessions).await })
        });
        Self { batcher }
    }

    pub async fn settle(&self, session: PaidSession) -> ServiceResult<Settled> {
        self.batcher.call(session).await.map_err(|BatcherStopped| {
            StorageError::Corrupt("the settlement task has stopped".into())
        })?
    }
}

/// Settles a batch; when it can't be done exactly, every session goes one by one.
pub async fn settle_all(
    db: &Db,
    now: DateTime<Utc>,
    sessions: &[PaidSession],
) -> Vec<ServiceResult<Settled>> {
    match settle_batch(db, now, sessions).await {
        Ok(settled) => settled.into_iter().map(Ok).collect(),
        Err(why) => {
            tracing::debug!(size = sessions.len(), error = %why, "settlement batch fell back to one by one");
            sessions.iter().map(|_| Ok(Settled::OneByOne)).collect()
        }
    }
}

/// What one session comes to before anything is written.
enum Plan {
    OneByOne,
    Duplicate,
    /// Claimed; the order is paid by this Checkout Session (`pay`) or was not payable any more.
    Claim {
        user_id: i64,
        pay: Option<i64>,
        outcome: Paid,
    },
}

async fn settle_batch(
    db: &Db,
    now: DateTime<Utc>,
    sessions: &[PaidSession],
) -> Result<Vec<Settled>, Miss> {
    let txn = db.begin().await?;
    let seen = seen_events(&txn, sessions.iter().map(|s| s.event_id.clone()).collect()).await?;
    let mut order_ids: Vec<i64> = sessions.iter().map(|s| s.order_id).collect();
    order_ids.sort_unstable();
    order_ids.dedup();
    let facts = order_facts(&txn, &order_ids).await?;

    let mut events_now = HashSet::new();
    let mut orders_now = HashSet::new();
    let mut plans = Vec::with_capacity(sessions.len());
    for s in sessions {
        let plan = match facts.get(&s.order_id) {
            _ if seen.contains(&s.event_id) || events_now.contains(&s.event_id) => Plan::Duplicate,
            Some(f) if f.credits.is_some() && !f.has_auto_recharge => {
                events_now.insert(s.event_id.clone());
                let payable = f.status.is_payable();
                if payable && orders_now.insert(s.order_id) {
                    Plan::Claim {
                        user_id: f.user_id,
                        pay: f.credits,
                        outcome: Paid::AlreadyPaid, // filled in below
                    }
                } else {
                    let outcome = if payable || f.status == OrderStatus::Paid {
                        Paid::AlreadyPaid
                    } else {
                        Paid::NotPayable
                    };
                    Plan::Claim {
                        user_id: f.user_id,
                        pay: None,
                        outcome,
                    }
                }
            }
            _ => Plan::OneByOne,
        };
        plans.push(plan);
    }

    // Claims, stored as done: they commit together with what they did.
    let claims: Vec<processed_events::ActiveModel> = sessions
        .iter()
        .zip(&plans)
        .filter(|(_, p)| matches!(p, Plan::Claim { .. }))
        .map(|(s, _)| processed_events::ActiveModel {
            source: Set(EventSource::Stripe.as_str().to_owned()),
            external_id: Set(s.event_id.clone()),
            kind: Set(s.event_kind.chars().take(128).collect()),
            status: Set("done".to_owned()),
            received_at: Set(now),
            processed_at: Set(Some(now)),
            ..Default::default()
        })
        .collect();
    if !claims.is_empty() {
        processed_events::Entity::insert_many(claims)
            .exec_without_returning(&txn)
            .await?;
    }

    let paying: Vec<(i64, Option<&str>)> = sessions
        .iter()
        .zip(&plans)
        .filter(|(_, p)| matches!(p, Plan::Claim { pay: Some(_), .. }))
        .map(|(s, _)| (s.order_id, s.payment_intent.as_deref()))
        .collect();
    let mut credited = HashMap::new();
    if !paying.is_empty() {
        mark_paid(&txn, now, &paying).await?;
        let mut totals: HashMap<i64, i64> = HashMap::new();
        for p in &plans {
            if let Plan::Claim {
                user_id,
                pay: Some(amount),
                ..
            } = p
            {
                *totals.entry(*user_id).or_default() += amount;
            }
        }
        let totals: Vec<(i64, i64)> = totals.into_iter().collect();
        credited = credit(&txn, &totals).await?;

        // The ledger walks each user's balance up to where it ended, in session order.
        let mut running: HashMap<i64, i64> = totals
            .iter()
            .map(|(id, total)| (*id, credited[id].balance - total))
            .collect();
        let mut entries = Vec::with_capacity(paying.len());
        for (s, plan) in sessions.iter().zip(plans.iter_mut()) {
            if let Plan::Claim {
                user_id,
                pay: Some(amount),
                outcome,
            } = plan
            {
                let balance = running.get_mut(user_id).expect("a total per paying user");
                *balance += *amount;
                *outcome = Paid::Credits {
                    amount: *amount,
                    balance: *balance,
                };
                let key = format!("order:{}", s.order_id);
                let grant = Movement::new(*user_id, *amount, Reason::Purchase)
                    .key(key.clone())
                    .reference(key);
                entries.push((grant, *amount, *balance));
            }
        }
        // A grant for one of these orders already in the ledger trips its key: fall back.
        let entries: Vec<credits::Entry> = entries
            .iter()
            .map(|(grant, amount, balance)| credits::Entry {
                movement: grant,
                signed: *amount,
                balance_after: *balance,
            })
            .collect();
        credits::append_all(&txn, now, &entries).await?;
    }

    let customers: Vec<stripe_customers::ActiveModel> = sessions
        .iter()
        .zip(&plans)
        .filter_map(|(s, p)| match p {
            Plan::Claim { user_id, .. } => s.customer.as_ref().map(|c| (*user_id, c)),
            _ => None,
        })
        .collect::<HashMap<i64, &String>>()
        .into_iter()
        .map(|(user_id, customer)| stripe_customers::ActiveModel {
            user_id: Set(user_id),
            customer_id: Set(customer.clone()),
            created_at: Set(now),
        })
        .collect();
    if !customers.is_empty() {
        stripe_customers::Entity::insert_many(customers)
            .on_conflict(
                OnConflict::column(stripe_customers::Column::UserId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    // The "payment received" notices commit with the grants they tell of.
    let owed: Vec<notices::Keyed> = sessions
        .iter()
        .zip(&plans)
        .filter_map(|(s, p)| match p {
            // Already paid: queued again in case the payment was stored by an attempt that
            // crashed before queueing its notice; the key keeps it to one.
            Plan::Claim {
                user_id, outcome, ..
            } => notices::paid(*user_id, s.order_id, outcome),
            _ => None,
        })
        .collect();
    notices::enqueue(&txn, now, owed)
        .await
        .map_err(crate::services::ServiceError::from)?;
    txn.commit().await?;

    Ok(plans
        .into_iter()
        .map(|plan| match plan {
            Plan::OneByOne => Settled::OneByOne,
            Plan::Duplicate => Settled::Duplicate,
            Plan::Claim {
                user_id, outcome, ..
            } => {
                let languages = credited.get(&user_id);
                Settled::Applied {
                    user_id,
                    paid: outcome,
                    locale: languages.and_then(|c| c.locale.clone()),
                    language_code: languages.and_then(|c| c.language_code.clone()),
                }
            }
        })
        .collect())
}
