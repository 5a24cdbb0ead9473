//! The relay's gate: may this user's message go to the team, and what does it cost?
//!
//! Every relayed message needs the user, their tier, pass, topic and auto-recharge wish, three
//! settings, and a debit (balance update plus ledger entry). Done one message at a time that is
//! about a dozen statements. The gate answers for all messages that arrive while the previous
//! batch is being answered, in one transaction of a few statements however many there are
//! ([`Batcher`]): settings, users (joined with the rest), one `UPDATE … CASE` for every
//! balance, one multi-row ledger insert, commit. A message charged before (a redelivered
//! update) trips the ledger's unique key, which sends the batch down the one-by-one path.
//!
//! Money stays exact: the balance update is guarded (`credits >= debit` per user, like
//! [`credits::debit`]) and must land exactly where the batch computed it. Anything else (a
//! concurrent grant on PostgreSQL, a duplicate key racing in, an error) rolls the batch back and
//! each message is then admitted on its own through [`credits::debit`].
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, TransactionTrait};

use super::{
    ServiceResult,
    batch::{Batcher, BatcherStopped, Miss},
    credits::{self, Debited, Movement, Reason},
    relay::{self, Pair},
    settings,
    tiers::Tier,
    users::User,
};
use crate::{
    clock::SharedClock,
    domain::UserStatus,
    storage::{self, Db, StorageError, entities::users},
};

/// The most messages one batch admits (keeps statements well under SQLite's variable limit).
pub const MAX_BATCH: usize = 128;

/// A user's message asking to be relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Knock {
    pub user_id: i64,
    pub message_id: i32,
}

impl Knock {
    /// The ledger key: one charge per message, however often Telegram delivers it.
    pub fn key(&self) -> String {
        format!("msg:{}:{}", self.user_id, self.message_id)
    }
}

/// What the gate decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Banned,
    /// A time pass is active: free.
    Unlimited,
    Charged {
        before: i64,
        after: i64,
        cost: i64,
    },
    Insufficient {
        balance: i64,
    },
    /// This message was charged before (a redelivered update).
    Duplicate,
}

/// A topic the user already has: `thread_id` 0 means a group without topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownTopic {
    pub chat_id: i64,
    pub thread_id: i32,
}

/// The user wants a recharge below `threshold` and has a card for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RechargeWish {
    pub threshold: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub user: User,
    pub tier: Tier,
    pub topic: Option<KnownTopic>,
    pub verdict: Verdict,
    pub low_credit_threshold: i64,
    pub recharge: Option<RechargeWish>,
}

impl Admission {
    /// The balance, when it now falls below the user's auto-recharge threshold.
    pub fn recharge_due(&self) -> Option<i64> {
        let balance = match self.verdict {
            Verdict::Charged { after, .. } => after,
            Verdict::Insufficient { balance } => balance,
            _ => return None,
        };
        self.recharge
            .is_some_and(|r| balance < r.threshold)
            .then_some(balance)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admitted {
    /// No such user yet (never pressed Start).
    Unknown,
    Known(Box<Admission>),
}

/// What the gate is asked to do.
enum Op {
    Admit(Knock),
    /// Remember a message and its copy (after the relay), in the next batch's transaction.
    Record(Pair),
}

enum Done {
    Admitted(Admitted),
    Recorded,
}

/// One gate per app; clones share it.
#[derive(Clone)]
pub struct RelayGate {
    batcher: Batcher<Op, ServiceResult<Done>>,
}

fn stopped(_: BatcherStopped) -> StorageError {
    StorageError::Corrupt("the relay gate has stopped".into())
}

impl RelayGate {
    pub fn start(db: Db, clock: SharedClock) -> Self {
        // SQLite has one connection: a second runner would only queue for it. PostgreSQL
        // overlaps one batch's commit (a WAL flush) with the next batch.
        let runners = if storage::is_postgres(&db) { 3 } else { 1 };
        let batcher = Batcher::spawn_many(runners, MAX_BATCH, move |ops: Vec<Op>| {
            let db = db.clone();
            let now = clock.now();
            Box::pin(async move { settle(&db, now, ops).await })
        });
        Self { batcher }
    }

    pub async fn admit(&self, user_id: i64, message_id: i32) -> ServiceResult<Admitted> {
        let knock = Knock {
            user_id,
            message_id,
        };
        match self
            .batcher
            .call(Op::Admit(knock))
            .await
            .map_err(stopped)??
        {
            Done::Admitted(admitted) => Ok(admitted),
            Done::Recorded => unreachable!("an admission is answered with an admission"),
        }
    }

    /// Remembers a relayed pair durably (returns once committed).
    pub async fn record(&self, pair: Pair) -> ServiceResult<()> {
        self.batcher
            .call(Op::Record(pair))
            .await
            .map_err(stopped)??;
        Ok(())
    }
}

/// One batch of mixed work: pairs and admissions share one transaction.
async fn settle(db: &Db, now: DateTime<Utc>, ops: Vec<Op>) -> Vec<ServiceResult<Done>> {
    let mut knocks = Vec::new();
    let mut pairs = Vec::new();
    for op in &ops {
        match op {
            Op::Admit(k) => knocks.push(*k),
            Op::Record(p) => pairs.push(*p),
        }
    }
    let (mut admitted, recorded): (Vec<ServiceResult<Admitted>>, ServiceResult<()>) =
        match admit_batch(db, now, &knocks, &pairs).await {
            Ok(admitted) => (admitted.into_iter().map(Ok).collect(), Ok(())),
            Err(why) => {
                tracing::debug!(size = ops.len(), %why, "batch fell back to one by one");
                let recorded = relay::remember_all(db, now, &pairs).await;
                let mut admitted = Vec::with_capacity(knocks.len());
                for knock in &knocks {
                    admitted.push(admit_one(db, now, *knock).await);
                }
                (admitted, recorded)
            }
        };
    admitted.reverse();
    ops.iter()
        .map(|op| match op {
            Op::Admit(_) => admitted
                .pop()
                .expect("one admission per knock")
                .map(Done::Admitted),
            Op::Record(_) => match &recorded {
                Ok(()) => Ok(Done::Recorded),
                Err(e) => {
                    Err(StorageError::Corrupt(format!("recording a relayed pair: {e}")).into())
                }
            },
        })
        .collect()
}

/// Admits a batch together; when that can't be done exactly, each knock on its own.
pub async fn admit_all(
    db: &Db,
    now: DateTime<Utc>,
    knocks: &[Knock],
) -> Vec<ServiceResult<Admitted>> {
    let ops = knocks.iter().map(|k| Op::Admit(*k)).collect();
    settle(db, now, ops)
        .await
        .into_iter()
        .map(|done| match done? {
            Done::Admitted(admitted) => Ok(admitted),
            Done::Recorded => unreachable!("only admissions were asked for"),
        })
        .collect()
}

/// Settings every admission needs.
struct Terms {
    message_cost: i64,
    default_tier: String,
    low_credit_threshold: i64,
}

async fn terms(db: &impl ConnectionTrait) -> ServiceResult<Terms> {
    let stored = settings::stored(
        db,
        &[
            settings::MESSAGE_COST.key,
            settings::DEFAULT_TIER.key,
            settings::LOW_CREDIT_THRESHOLD.key,
        ],
    )
    .await?;
    let value = |key: &str| stored.get(key).map(String::as_str);
    Ok(Terms {
        message_cost: settings::MESSAGE_COST.parse(value(settings::MESSAGE_COST.key))?,
        default_tier: settings::DEFAULT_TIER.parse(value(settings::DEFAULT_TIER.key))?,
        low_credit_threshold: settings::LOW_CREDIT_THRESHOLD
            .parse(value(settings::LOW_CREDIT_THRESHOLD.key))?,
    })
}

/// A user with everything the gate needs to know about them.
struct Profile {
    user: User,
    tier: Tier,
    topic: Option<KnownTopic>,
    has_pass: bool,
    recharge: Option<RechargeWish>,
}

/// The users (by id) with tier, topic, pass and auto-recharge, in one query.
async fn profiles(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    terms: &Terms,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, Profile>> {
    let query = format!(
        "SELECT u.*, \
           COALESCE(t.name, dt.name) AS g_tier_name, \
           COALESCE(t.message_cost, dt.message_cost) AS g_tier_cost, \
           st.chat_id AS g_topic_chat, st.thread_id AS g_topic_thread, \
           EXISTS (SELECT 1 FROM time_passes p WHERE p.user_id = u.id AND p.ends_at > $1) \
             AS g_has_pass, \
           ar.enabled AS g_ar_enabled, ar.threshold AS g_ar_threshold, \
           ar.payment_method AS g_ar_card \
         FROM users u \
         LEFT JOIN tiers t ON t.id = u.tier_id \
         LEFT JOIN tiers dt ON dt.name = $2 \
         LEFT JOIN support_topics st ON st.user_id = u.id \
         LEFT JOIN auto_recharge ar ON ar.user_id = u.id \
         WHERE u.id IN (SELECT d.uid FROM {})",
        storage::json_rows(db.get_database_backend(), 3, "d", &[("uid", "BIGINT")])
    );
    let ids = ids
        .iter()
        .map(|uid| serde_json::json!({ "uid": uid }))
        .collect();
    let values = vec![
        now.into(),
        terms.default_tier.clone().into(),
        storage::json_param(ids),
    ];
    let rows = storage::query_all(db, &query, values).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let user = users::Model::from_query_result(&row, "")?;
        let tier = match (
            row.try_get::<Option<String>>("", "g_tier_name")?,
            row.try_get::<Option<i64>>("", "g_tier_cost")?,
        ) {
            (Some(name), Some(message_cost)) => Tier { name, message_cost },
            _ => Tier {
                name: terms.default_tier.clone(),
                message_cost: terms.message_cost,
            },
        };
        let topic = match (
            row.try_get::<Option<i64>>("", "g_topic_chat")?,
            row.try_get::<Option<i32>>("", "g_topic_thread")?,
        ) {
            (Some(chat_id), Some(thread_id)) => Some(KnownTopic { chat_id, thread_id }),
            _ => None,
        };
        let recharge = match (
            row.try_get::<Option<bool>>("", "g_ar_enabled")?,
            row.try_get::<Option<i64>>("", "g_ar_threshold")?,
            row.try_get::<Option<String>>("", "g_ar_card")?,
        ) {
            (Some(true), Some(threshold), Some(_card)) => Some(RechargeWish { threshold }),
            _ => None,
        };
        let has_pass = row.try_get::<bool>("", "g_has_pass")?;
        out.insert(
            user.id,
            Profile {
                user,
                tier,
                topic,
                has_pass,
                recharge,
            },
        );
    }
    Ok(out)
}

fn admission(profile: &Profile, terms: &Terms, verdict: Verdict) -> Admitted {
    Admitted::Known(Box::new(Admission {
        user: profile.user.clone(),
        tier: profile.tier.clone(),
        topic: profile.topic,
        verdict,
        low_credit_threshold: terms.low_credit_threshold,
        recharge: profile.recharge,
    }))
}

fn is_banned(user: &User) -> bool {
    UserStatus::parse(&user.status) == Ok(UserStatus::Banned)
}

fn movement(knock: &Knock, cost: i64) -> Movement {
    Movement::new(knock.user_id, cost, Reason::Message)
        .key(knock.key())
        .reference(knock.message_id.to_string())
        .actor(format!("user:{}", knock.user_id))
}

/// Takes each user's total in one guarded statement; returns the balances it left.
async fn take(
    txn: &DatabaseTransaction,
    totals: &[(i64, i64)],
) -> ServiceResult<HashMap<i64, i64>> {
    let rows = storage::json_rows(
        txn.get_database_backend(),
        1,
        "d",
        &[("uid", "BIGINT"), ("amount", "BIGINT")],
    );
    let query = format!(
        "UPDATE users SET credits = credits - d.amount FROM {rows} \
         WHERE users.id = d.uid AND users.credits >= d.amount \
         RETURNING id, credits"
    );
    let totals = totals
        .iter()
        .map(|(uid, amount)| serde_json::json!({"uid": uid, "amount": amount}))
        .collect();
    let mut left = HashMap::new();
    for row in storage::query_all(txn, &query, vec![storage::json_param(totals)]).await? {
        left.insert(
            row.try_get::<i64>("", "id")?,
            row.try_get::<i64>("", "credits")?,
        );
    }
    Ok(left)
}

async fn admit_batch(
    db: &Db,
    now: DateTime<Utc>,
    knocks: &[Knock],
    pairs: &[Pair],
) -> Result<Vec<Admitted>, Miss> {
    let txn = db.begin().await?;
    relay::remember_all(&txn, now, pairs).await?;
    if knocks.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    let terms = terms(&txn).await?;
    let mut ids: Vec<i64> = knocks.iter().map(|k| k.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let profiles = profiles(&txn, now, &terms, &ids).await?;

    // Walk the knocks in order, as one debit after another would.
    let mut balances: HashMap<i64, i64> = profiles
        .iter()
        .map(|(&id, p)| (id, p.user.credits))
        .collect();
    let mut keys_now = HashSet::new();
    let mut verdicts = Vec::with_capacity(knocks.len());
    let mut entries = Vec::new();
    for knock in knocks {
        let Some(profile) = profiles.get(&knock.user_id) else {
            verdicts.push(None);
            continue;
        };
        let verdict = if is_banned(&profile.user) {
            Verdict::Banned
        } else if profile.has_pass {
            Verdict::Unlimited
        } else if !keys_now.insert(knock.key()) {
            Verdict::Duplicate
        } else {
            let balance = balances
                .get_mut(&knock.user_id)
                .expect("every profile has a balance");
            let cost = profile.tier.message_cost;
            if *balance >= cost {
                *balance -= cost;
                entries.push((movement(knock, cost), *balance));
                Verdict::Charged {
                    before: *balance + cost,
                    after: *balance,
                    cost,
                }
            } else {
                Verdict::Insufficient { balance: *balance }
            }
        };
        verdicts.push(Some(verdict));
    }

    if !entries.is_empty() {
        let mut totals: HashMap<i64, i64> = HashMap::new();
        for (m, _) in &entries {
            *totals.entry(m.user_id).or_default() += m.amount;
        }
        let totals: Vec<(i64, i64)> = totals.into_iter().collect();
        let left = take(&txn, &totals).await?;
        // Exactly where the walk said, or someone else moved a balance meanwhile.
        if totals
            .iter()
            .any(|(id, _)| left.get(id) != balances.get(id))
        {
            txn.rollback().await?;
            return Err(Miss::Moved);
        }
        let entries: Vec<credits::Entry> = entries
            .iter()
            .map(|(m, after)| credits::Entry {
                movement: m,
                signed: -m.amount,
                balance_after: *after,
            })
            .collect();
        credits::append_all(&txn, now, &entries).await?;
    }
    txn.commit().await?;

    Ok(knocks
        .iter()
        .zip(verdicts)
        .map(|(knock, verdict)| match verdict {
            None => Admitted::Unknown,
            Some(verdict) => admission(&profiles[&knock.user_id], &terms, verdict),
        })
        .collect())
}

/// One knock without batching: the plain debit, which settles any race on its own.
async fn admit_one(db: &Db, now: DateTime<Utc>, knock: Knock) -> ServiceResult<Admitted> {
    let terms = terms(db).await?;
    let mut profiles = profiles(db, now, &terms, &[knock.user_id]).await?;
    let Some(profile) = profiles.remove(&knock.user_id) else {
        return Ok(Admitted::Unknown);
    };
    let verdict = if is_banned(&profile.user) {
        Verdict::Banned
    } else if profile.has_pass {
        Verdict::Unlimited
    } else {
        let cost = profile.tier.message_cost;
        match credits::debit(db, now, &movement(&knock, cost)).await? {
            Debited::Applied { before, after } => Verdict::Charged {
                before,
                after,
                cost,
            },
            Debited::Insufficient { balance } => Verdict::Insufficient { balance },
            Debited::Duplicate => Verdict::Duplicate,
        }
    };
    Ok(admission(&profile, &terms, verdict))
}
