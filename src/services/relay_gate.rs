//! The relay's gate: may this user's message go to the team, and what does it cost?
//!
//! Every relayed message needs the user, their tier, pass, topic and auto-recharge wish, three
//! settings, and a debit (balance update plus ledger entry). Done one message at a time that is
//! about a dozen statements. The gate answers for all messages that arrive while the previous
//! batch is being answered ([`Batcher`]), in two round trips however many there are: one read
//! (users joined with everything else, settings included) and one write (the pairs relayed
//! since, the balances, the ledger entries: a single statement on PostgreSQL, one short
//! transaction on SQLite). A message charged before (a redelivered update) trips the ledger's
//! unique key, which fails the write and sends the batch down the one-by-one path.
//!
//! Money stays exact: each balance moves only if it is still what the batch read (a
//! compare-and-set per user), and a user's ledger entries are written only with their balance.
//! A user whose balance moved meanwhile (another batch, a grant) has their messages admitted one
//! by one through [`credits::debit`], like any error sends the whole batch there.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, TransactionTrait};

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
    storage::{
        self, Db, StorageError,
        entities::users,
        rows::{self, ColumnType},
    },
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

    /// The ledger key of the refund for a message that could not be relayed.
    pub fn refund_key(&self) -> String {
        format!("{REFUND_PREFIX}{}", self.key())
    }
}

/// A refund's ledger key is the charge's, after this.
const REFUND_PREFIX: &str = "refund:";

/// A message that was charged but neither relayed nor refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unrelayed {
    pub knock: Knock,
    pub cost: i64,
}

/// The messages charged in `[since, before)` that have no copy in the admin group and no
/// refund, oldest first: the process stopped after it charged them (and confirmed their
/// updates to Telegram, which will not send them again) and before they were relayed.
pub async fn unrelayed(
    db: &Db,
    since: DateTime<Utc>,
    before: DateTime<Utc>,
) -> ServiceResult<Vec<Unrelayed>> {
    let query = "SELECT l.user_id, l.reference, l.amount FROM credit_ledger l \
         WHERE l.reason = $1 AND l.created_at >= $2 AND l.created_at < $3 \
           AND l.reference IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM relay_messages r \
             WHERE r.user_id = l.user_id AND r.direction = $4 \
               AND CAST(r.user_message_id AS TEXT) = l.reference) \
           AND NOT EXISTS (SELECT 1 FROM credit_ledger f \
             WHERE f.idempotency_key = $5 || l.idempotency_key) \
         ORDER BY l.id";
    let values = vec![
        Reason::Message.as_str().into(),
        since.into(),
        before.into(),
        relay::Direction::In.as_str().into(),
        REFUND_PREFIX.into(),
    ];
    let mut out = Vec::new();
    for row in storage::query_all(db, query, values).await? {
        let user_id: i64 = row.try_get("", "user_id")?;
        let reference: String = row.try_get("", "reference")?;
        let amount: i64 = row.try_get("", "amount")?;
        let message_id = reference.parse().map_err(|_| {
            StorageError::Corrupt(format!(
                "ledger: a message charge of user {user_id} refers to {reference:?}"
            ))
        })?;
        out.push(Unrelayed {
            knock: Knock {
                user_id,
                message_id,
            },
            cost: -amount,
        });
    }
    Ok(out)
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

/// One batch of mixed work: pairs and admissions are written together.
async fn settle(db: &Db, now: DateTime<Utc>, ops: Vec<Op>) -> Vec<ServiceResult<Done>> {
    let _phase = tracing::debug_span!(target: crate::timeline::TARGET, crate::timeline::GATE);
    let mut knocks = Vec::new();
    let mut pairs = Vec::new();
    for op in &ops {
        match op {
            Op::Admit(k) => knocks.push(*k),
            Op::Record(p) => pairs.push(*p),
        }
    }
    let (batched, recorded): (Vec<Option<Admitted>>, ServiceResult<()>) =
        match admit_batch(db, now, &knocks, &pairs).await {
            Ok(batched) => (batched, Ok(())),
            Err(why) => {
                tracing::debug!(size = ops.len(), %why, "batch fell back to one by one");
                let recorded = relay::remember_all(db, now, &pairs).await;
                (vec![None; knocks.len()], recorded)
            }
        };
    // Knocks the batch could not settle go one by one, in their order.
    let mut admitted = Vec::with_capacity(knocks.len());
    for (knock, batched) in knocks.iter().zip(batched) {
        admitted.push(match batched {
            Some(done) => Ok(done),
            None => admit_one(db, now, *knock).await,
        });
    }
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

/// A user with everything the gate needs to know about them.
struct Profile {
    user: User,
    tier: Tier,
    topic: Option<KnownTopic>,
    has_pass: bool,
    recharge: Option<RechargeWish>,
    low_credit_threshold: i64,
}

/// Settings every admission needs, as stored (JSON text, or nothing for the default).
struct StoredTerms {
    message_cost: Option<String>,
    default_tier: Option<String>,
    low_credit_threshold: Option<String>,
}

/// The settings, parsed.
struct Terms {
    message_cost: i64,
    default_tier: String,
    low_credit_threshold: i64,
}

impl StoredTerms {
    fn parse(&self) -> ServiceResult<Terms> {
        Ok(Terms {
            message_cost: settings::MESSAGE_COST.parse(self.message_cost.as_deref())?,
            default_tier: settings::DEFAULT_TIER.parse(self.default_tier.as_deref())?,
            low_credit_threshold: settings::LOW_CREDIT_THRESHOLD
                .parse(self.low_credit_threshold.as_deref())?,
        })
    }
}

/// The users (by id) with tier, topic, pass, auto-recharge and the settings that price their
/// messages, in one query.
async fn profiles(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, Profile>> {
    let backend = db.get_database_backend();
    // The default tier's name is a setting (JSON text); the join needs it decoded.
    let default_tier = match backend {
        DbBackend::Postgres => "CAST(s.tier AS jsonb) #>> '{}'",
        _ => "json_array(json(s.tier)) ->> 0",
    };
    let query = format!(
        "SELECT u.*, \
           s.cost AS g_s_cost, s.tier AS g_s_tier, s.low AS g_s_low, \
           t.name AS g_tier_name, t.message_cost AS g_tier_cost, \
           dt.name AS g_dt_name, dt.message_cost AS g_dt_cost, \
           st.chat_id AS g_topic_chat, st.thread_id AS g_topic_thread, \
           EXISTS (SELECT 1 FROM time_passes p WHERE p.user_id = u.id AND p.ends_at > $1) \
             AS g_has_pass, \
           ar.enabled AS g_ar_enabled, ar.threshold AS g_ar_threshold, \
           ar.payment_method AS g_ar_card \
         FROM users u \
         CROSS JOIN (SELECT \
           (SELECT value FROM settings WHERE key = $4) AS cost, \
           (SELECT value FROM settings WHERE key = $5) AS tier, \
           (SELECT value FROM settings WHERE key = $6) AS low) s \
         LEFT JOIN tiers t ON t.id = u.tier_id \
         LEFT JOIN tiers dt ON dt.name = COALESCE({default_tier}, $2) \
         LEFT JOIN support_topics st ON st.user_id = u.id \
         LEFT JOIN auto_recharge ar ON ar.user_id = u.id \
         WHERE {among}",
        among = rows::any_of(backend, "u.id", 3, ID_COLUMNS[0])
    );
    let mut among = rows::Rows::new(backend, ID_COLUMNS, ids.len());
    for &id in ids {
        among.big_int(id);
    }
    let [among] = <[_; 1]>::try_from(among.into_values()).expect("one column, one parameter");
    let values = vec![
        now.into(),
        (settings::DEFAULT_TIER.default)().into(),
        among,
        settings::MESSAGE_COST.key.into(),
        settings::DEFAULT_TIER.key.into(),
        settings::LOW_CREDIT_THRESHOLD.key.into(),
    ];
    let rows = storage::query_all(db, &query, values).await?;
    let mut terms: Option<Terms> = None;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        // The same on every row: parsed once.
        let terms = match &terms {
            Some(terms) => terms,
            None => terms.insert(
                StoredTerms {
                    message_cost: row.try_get("", "g_s_cost")?,
                    default_tier: row.try_get("", "g_s_tier")?,
                    low_credit_threshold: row.try_get("", "g_s_low")?,
                }
                .parse()?,
            ),
        };
        let user = users::Model::from_query_result(&row, "")?;
        let tier = match (
            row.try_get::<Option<String>>("", "g_tier_name")?,
            row.try_get::<Option<i64>>("", "g_tier_cost")?,
            row.try_get::<Option<i64>>("", "g_dt_cost")?,
        ) {
            (Some(name), Some(message_cost), _) => Tier { name, message_cost },
            // The default tier, as a row or (when nobody created one) the setting's cost.
            (_, _, message_cost) => Tier {
                name: terms.default_tier.clone(),
                message_cost: message_cost.unwrap_or(terms.message_cost),
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
                low_credit_threshold: terms.low_credit_threshold,
            },
        );
    }
    Ok(out)
}

fn admission(profile: &Profile, verdict: Verdict) -> Admitted {
    Admitted::Known(Box::new(Admission {
        user: profile.user.clone(),
        tier: profile.tier.clone(),
        topic: profile.topic,
        verdict,
        low_credit_threshold: profile.low_credit_threshold,
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

/// A balance the batch moves: from what it read to what its walk left.
#[derive(Debug, Clone, Copy)]
struct Move {
    user_id: i64,
    read: i64,
    left: i64,
}

/// The users a batch reads.
const ID_COLUMNS: &[rows::Column] = &[("uid", ColumnType::BigInt)];

/// The balances a batch moves.
const MOVE_COLUMNS: &[rows::Column] = &[
    ("uid", ColumnType::BigInt),
    ("was", ColumnType::BigInt),
    ("goes", ColumnType::BigInt),
];

/// The guarded balance update: each balance moves only if it is still what the batch read
/// (the parameters from `rows` on, [`moves_rows`]). Returns the ids that moved.
fn move_sql(backend: DbBackend, rows: usize) -> String {
    let rows = rows::from(backend, rows, "d", MOVE_COLUMNS);
    format!(
        "UPDATE users SET credits = d.goes FROM {rows} \
         WHERE users.id = d.uid AND users.credits = d.was \
         RETURNING users.id"
    )
}

fn moves_rows(backend: DbBackend, moves: &[Move]) -> Vec<sea_orm::Value> {
    let mut rows = rows::Rows::new(backend, MOVE_COLUMNS, moves.len());
    for m in moves {
        rows.big_int(m.user_id).big_int(m.read).big_int(m.left);
    }
    rows.into_values()
}

/// Writes a batch: the pairs, the balances that are still where the batch read them, and the
/// ledger entries of exactly those users. All of it or nothing; returns the users whose balance
/// moved (the others' knocks must go one by one).
///
/// PostgreSQL does it in one statement (data-modifying CTEs), so the batch costs one round trip
/// and one commit; SQLite, which has no such CTEs, in one transaction of up to three.
async fn land(
    db: &Db,
    now: DateTime<Utc>,
    pairs: &[Pair],
    moves: &[Move],
    entries: &[credits::Entry<'_>],
) -> Result<HashSet<i64>, Miss> {
    let backend = db.get_database_backend();
    let mut landed = HashSet::with_capacity(moves.len());
    if moves.is_empty() {
        relay::remember_all(db, now, pairs).await?;
        return Ok(landed);
    }
    if backend == DbBackend::Postgres {
        // $1 the time, then each row set's columns.
        let pairs_at = 2;
        let moves_at = pairs_at + rows::params_for(backend, relay::PAIR_COLUMNS);
        let entries_at = moves_at + rows::params_for(backend, MOVE_COLUMNS);
        let query = format!(
            "WITH p AS ({pairs}), m AS ({moves}), l AS ({ledger}) SELECT id FROM m",
            pairs = relay::insert_pairs_sql(backend, 1, pairs_at),
            moves = move_sql(backend, moves_at),
            ledger = credits::append_sql(backend, 1, entries_at, "d.uid IN (SELECT id FROM m)"),
        );
        let mut values = vec![now.into()];
        values.extend(relay::pairs_rows(backend, pairs));
        values.extend(moves_rows(backend, moves));
        values.extend(credits::entries_rows(backend, entries));
        for row in storage::query_all(db, &query, values).await? {
            landed.insert(row.try_get::<i64>("", "id")?);
        }
        return Ok(landed);
    }
    let txn = db.begin().await?;
    relay::remember_all(&txn, now, pairs).await?;
    for row in storage::query_all(&txn, &move_sql(backend, 1), moves_rows(backend, moves)).await? {
        landed.insert(row.try_get::<i64>("", "id")?);
    }
    let kept: Vec<credits::Entry> = entries
        .iter()
        .filter(|e| landed.contains(&e.movement.user_id))
        .copied()
        .collect();
    credits::append_all(&txn, now, &kept).await?;
    txn.commit().await?;
    Ok(landed)
}

/// Admits a batch together and records the pairs. `None` for a knock whose user must go one by
/// one: their balance moved between the batch's read and its write (another batch, a grant).
async fn admit_batch(
    db: &Db,
    now: DateTime<Utc>,
    knocks: &[Knock],
    pairs: &[Pair],
) -> Result<Vec<Option<Admitted>>, Miss> {
    let profiles = if knocks.is_empty() {
        HashMap::new()
    } else {
        let mut ids: Vec<i64> = knocks.iter().map(|k| k.user_id).collect();
        ids.sort_unstable();
        ids.dedup();
        profiles(db, now, &ids).await?
    };

    // Walk the knocks in order, as one debit after another would.
    let mut balances: HashMap<i64, i64> = profiles
        .iter()
        .map(|(&id, p)| (id, p.user.credits))
        .collect();
    let mut keys_now = HashSet::new();
    let mut verdicts = Vec::with_capacity(knocks.len());
    let mut charges = Vec::new();
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
                charges.push((movement(knock, cost), *balance));
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

    let mut moved: Vec<i64> = charges.iter().map(|(m, _)| m.user_id).collect();
    moved.sort_unstable();
    moved.dedup();
    let moves: Vec<Move> = moved
        .iter()
        .map(|&user_id| Move {
            user_id,
            read: profiles[&user_id].user.credits,
            left: balances[&user_id],
        })
        .collect();
    let entries: Vec<credits::Entry> = charges
        .iter()
        .map(|(m, after)| credits::Entry {
            movement: m,
            signed: -m.amount,
            balance_after: *after,
        })
        .collect();
    let landed = land(db, now, pairs, &moves, &entries).await?;
    if landed.len() < moves.len() {
        tracing::debug!(
            moved = moves.len() - landed.len(),
            of = moves.len(),
            "balances moved under the batch; their users go one by one"
        );
    }

    Ok(knocks
        .iter()
        .zip(verdicts)
        .map(|(knock, verdict)| match verdict {
            None => Some(Admitted::Unknown),
            // The balance moved under the batch: this user's knocks go one by one.
            Some(_)
                if moved.binary_search(&knock.user_id).is_ok()
                    && !landed.contains(&knock.user_id) =>
            {
                None
            }
            Some(verdict) => Some(admission(&profiles[&knock.user_id], verdict)),
        })
        .collect())
}

/// One knock without batching: the plain debit, which settles any race on its own.
async fn admit_one(db: &Db, now: DateTime<Utc>, knock: Knock) -> ServiceResult<Admitted> {
    let mut profiles = profiles(db, now, &[knock.user_id]).await?;
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
    Ok(admission(&profile, verdict))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use super::*;
    use crate::{
        domain::TelegramProfile,
        services::{relay::Direction, users},
        storage::{ScratchDatabase, entities::credit_ledger},
    };

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()
    }

    async fn user(db: &Db, id: i64, credits_: i64) {
        let profile = TelegramProfile {
            id,
            first_name: format!("User{id}"),
            last_name: None,
            username: None,
            language_code: Some("en".into()),
        };
        users::register_start(db, now(), &profile, None, None)
            .await
            .unwrap();
        let grant = Movement::new(id, credits_, Reason::AdminGrant);
        credits::grant(db, now(), &grant).await.unwrap();
    }

    async fn message_entries(db: &Db, user_id: i64) -> Vec<credit_ledger::Model> {
        credit_ledger::Entity::find()
            .filter(credit_ledger::Column::UserId.eq(user_id))
            .filter(credit_ledger::Column::Reason.eq(Reason::Message.as_str()))
            .all(db)
            .await
            .unwrap()
    }

    /// A balance that is no longer where the batch read it stays, and so do its user's ledger
    /// entries; everyone else's write lands, pairs included.
    async fn a_moved_balance_keeps_only_its_users_writes(db: Db) {
        user(&db, 1, 10).await;
        user(&db, 2, 10).await;
        let knocks = [
            Knock {
                user_id: 1,
                message_id: 7,
            },
            Knock {
                user_id: 2,
                message_id: 8,
            },
        ];
        let movements: Vec<Movement> = knocks.iter().map(|k| movement(k, 3)).collect();
        let entries: Vec<credits::Entry> = movements
            .iter()
            .map(|m| credits::Entry {
                movement: m,
                signed: -3,
                balance_after: 7,
            })
            .collect();
        let moves = [
            Move {
                user_id: 1,
                read: 10,
                left: 7,
            },
            // The batch read 9: a grant or another batch moved it since.
            Move {
                user_id: 2,
                read: 9,
                left: 6,
            },
        ];
        let pair = Pair {
            user_id: 1,
            user_message_id: 6,
            admin_chat_id: -100,
            admin_message_id: 60,
            direction: Direction::In,
        };
        let landed = land(&db, now(), &[pair], &moves, &entries).await.unwrap();
        assert_eq!(landed, HashSet::from([1]));
        assert_eq!(credits::balance(&db, 1).await.unwrap(), 7);
        assert_eq!(credits::balance(&db, 2).await.unwrap(), 10);
        assert_eq!(credits::ledger_sum(&db, 1).await.unwrap(), 7);
        assert_eq!(credits::ledger_sum(&db, 2).await.unwrap(), 10);
        let kept = message_entries(&db, 1).await;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].idempotency_key.as_deref(), Some("msg:1:7"));
        assert_eq!(kept[0].balance_after, 7);
        assert!(message_entries(&db, 2).await.is_empty());
        let copy = relay::admin_side(&db, 1, 6)
            .await
            .unwrap()
            .expect("pair kept");
        assert_eq!(copy.admin_message_id, 60);

        // A ledger key already taken fails the whole write: nothing of it stays.
        let again = [Move {
            user_id: 1,
            read: 7,
            left: 4,
        }];
        let pair = Pair {
            user_message_id: 9,
            admin_message_id: 90,
            ..pair
        };
        assert!(
            land(&db, now(), &[pair], &again, &entries[..1])
                .await
                .is_err()
        );
        assert_eq!(credits::balance(&db, 1).await.unwrap(), 7);
        assert_eq!(message_entries(&db, 1).await.len(), 1);
        assert!(relay::admin_side(&db, 1, 9).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn land_on_sqlite() {
        let db = storage::connect("sqlite::memory:").await.unwrap();
        a_moved_balance_keeps_only_its_users_writes(db).await;
    }

    #[tokio::test]
    async fn land_on_postgres() {
        let Ok(server) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("land_on_postgres: skipped (TEST_DATABASE_URL is not set)");
            return;
        };
        let scratch = ScratchDatabase::create(&server, "tollgate_gate")
            .await
            .unwrap();
        let db = storage::connect(&scratch.url).await.unwrap();
        a_moved_balance_keeps_only_its_users_writes(db.clone()).await;
        db.close().await.unwrap();
        scratch.drop_now().await.unwrap();
    }
}
