//! Notices owed to people after a payment event (what a payment bought, a failed payment, a
//! refund, a dispute), kept as jobs of kind [`JOB`].
//!
//! The event is answered once its effect is stored; the notice goes out from the job worker,
//! so a slow or failing Telegram never holds up Stripe. Each notice has a key derived from the
//! order (or the dispute): the job table keeps one job per key, so a retried event enqueues
//! nothing new and a notice is sent at most once per grant.
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use crate::billing::orders::{Paid, Refunded};
use crate::{
    jobs::{self, NewJob},
    storage::StorageError,
};

pub const JOB: &str = "notice";

/// Attempts before a notice is given up: with the worker's back-off, a bit over an hour of
/// Telegram being unreachable.
const MAX_ATTEMPTS: i32 = 10;

/// What to tell, and to whom. The job renders it in the reader's language when it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Credits were bought.
    Credits {
        user_id: i64,
        amount: i64,
        balance: i64,
    },
    /// A pass was bought.
    Pass {
        user_id: i64,
        until: DateTime<Utc>,
    },
    /// An order found paid already, whose notice a crash may have lost before it was queued:
    /// told from the order as it stands when the job runs (the key makes it a no-op when the
    /// notice was queued after all).
    PaidOrder {
        user_id: i64,
        order_id: i64,
    },
    PaymentFailed {
        user_id: i64,
    },
    /// The user's side of a refund that took credits back.
    Refund {
        user_id: i64,
        credits: i64,
        balance: i64,
    },
    /// The team's side of a refund.
    AdminRefund {
        user_id: i64,
        order_id: i64,
        clawed_back: i64,
        debt: i64,
    },
    AdminDispute {
        user_id: i64,
        order_id: i64,
    },
}

/// A notice and the key that makes it once-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    pub key: String,
    pub notice: Notice,
}

impl Keyed {
    fn job(self, now: DateTime<Utc>) -> NewJob {
        NewJob {
            dedupe_key: Some(self.key),
            max_attempts: MAX_ATTEMPTS,
            ..NewJob::now(
                JOB,
                serde_json::to_value(&self.notice).expect("a notice serialises"),
                now,
            )
        }
    }
}

/// The key of the one "payment received" notice an order may give.
pub fn paid_key(order_id: i64) -> String {
    format!("notice:paid:order:{order_id}")
}

/// What a payment of `order_id` owes its buyer. `AlreadyPaid` owes the notice too, in case the
/// first attempt stored the payment and crashed before queueing it; the shared key keeps it
/// to one.
pub fn paid(user_id: i64, order_id: i64, paid: &Paid) -> Option<Keyed> {
    let notice = match paid {
        Paid::Credits { amount, balance } => Notice::Credits {
            user_id,
            amount: *amount,
            balance: *balance,
        },
        Paid::Pass { until } => Notice::Pass {
            user_id,
            until: *until,
        },
        Paid::AlreadyPaid => Notice::PaidOrder { user_id, order_id },
        Paid::NotPayable => return None,
    };
    Some(Keyed {
        key: paid_key(order_id),
        notice,
    })
}

pub fn payment_failed(user_id: i64, order_id: i64) -> Keyed {
    Keyed {
        key: format!("notice:failed:order:{order_id}"),
        notice: Notice::PaymentFailed { user_id },
    }
}

/// What a refund owes the user (credits taken back) and the team (always, when something was
/// taken back or a pass ended). `total` is how much of the order is refunded so far: each
/// part of a refund in parts has notices of its own.
pub fn refunded(user_id: i64, order_id: i64, total: i64, refunded: &Refunded) -> Vec<Keyed> {
    let admin = |clawed_back, debt| Keyed {
        key: format!("notice:refund:admin:order:{order_id}:{total}"),
        notice: Notice::AdminRefund {
            user_id,
            order_id,
            clawed_back,
            debt,
        },
    };
    match refunded {
        Refunded::Credits {
            clawed_back,
            debt,
            balance,
        } => vec![
            Keyed {
                key: format!("notice:refund:order:{order_id}:{total}"),
                notice: Notice::Refund {
                    user_id,
                    credits: *clawed_back,
                    balance: *balance,
                },
            },
            admin(*clawed_back, *debt),
        ],
        Refunded::PassEnded | Refunded::PassKept => vec![admin(0, 0)],
        Refunded::BeforePayment | Refunded::AlreadyRefunded => Vec::new(),
    }
}

pub fn dispute(user_id: i64, order_id: i64, dispute_id: &str) -> Keyed {
    Keyed {
        key: format!("notice:dispute:{dispute_id}"),
        notice: Notice::AdminDispute { user_id, order_id },
    }
}

/// Queues the notices (in the caller's transaction, when it passes one); true when any was
/// new. Keys seen before are skipped.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    notices: impl IntoIterator<Item = Keyed>,
) -> Result<bool, StorageError> {
    let jobs: Vec<NewJob> = notices.into_iter().map(|k| k.job(now)).collect();
    Ok(jobs::enqueue_many(db, now, jobs).await? > 0)
}
