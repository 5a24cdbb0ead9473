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
//! The gate remembers the profiles it read and wrote ([`Remembered`]): a user who writes again
//! is not read again, so a steady conversation costs the write alone. Triggers move
//! `users.version` with every change of the user's row, pass, topic or auto-recharge, and
//! `profile_epoch` with every change of settings or tiers (migration `profile_versions`); the
//! write proves a remembered profile current by both, so a stale one never decides. Its knocks
//! are decided again in a second round that reads.
//!
//! Money stays exact: each balance moves only if it is still what the batch read (a
//! compare-and-set per user), and a user's ledger entries are written only with their balance.
//! A user whose balance moved meanwhile (another batch, a grant) has their messages admitted one
//! by one through [`credits::debit`], like any error sends the whole batch there.
mod admission;
mod queries;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use admission::{Walk, admission, free_verdict, movement, walk};
use queries::{Check, Move, Profile, land, profiles};
pub use queries::{Unrelayed, unrelayed};

use crate::{
    accounts::{
        credits::{self, Debited},
        tiers::Tier,
        users::User,
    },
    clock::SharedClock,
    relay::threads::{self as relay, Pair},
    services::{
        ServiceResult,
        batch::{Batcher, BatcherStopped, Miss},
    },
    storage::{self, Db, StorageError},
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
pub(super) const REFUND_PREFIX: &str = "refund:";

/// What the gate decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Banned,
    /// The operator switched the relay off: nothing charged, nothing relayed.
    Paused,
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

/// The most profiles the gate remembers; past it, it forgets them all and starts over.
const MAX_REMEMBERED: usize = 65_536;

/// Profiles the gate read or wrote, each with the version and epoch it was read at. A batch
/// uses a remembered profile instead of reading it again, and its write proves the profile
/// still current (the user's version and the epoch unchanged, in the same statement or
/// transaction as the debit); a profile that isn't is forgotten, and its knocks are decided
/// again on a fresh read. So nothing remembered ever decides on its own, and replicas need no
/// invalidation.
#[derive(Default)]
struct Remembered {
    profiles: std::sync::Mutex<HashMap<i64, Profile>>,
}

impl Remembered {
    /// Takes out the profiles remembered of `ids` and leaves in `ids` the ones to read. A
    /// batch owns its users' profiles until it puts them back, so two batches never both
    /// use one.
    fn take(&self, ids: &mut Vec<i64>) -> HashMap<i64, Profile> {
        let mut remembered = self.profiles.lock().expect("the gate's memory");
        let mut taken = HashMap::new();
        ids.retain(|id| match remembered.remove(id) {
            Some(profile) => {
                taken.insert(*id, profile);
                false
            }
            None => true,
        });
        taken
    }

    fn put_back(&self, profiles: Vec<Profile>) {
        let mut remembered = self.profiles.lock().expect("the gate's memory");
        if remembered.len() + profiles.len() > MAX_REMEMBERED {
            remembered.clear();
        }
        for profile in profiles {
            remembered.insert(profile.user.id, profile);
        }
    }
}

fn stopped(_: BatcherStopped) -> StorageError {
    StorageError::Corrupt("the relay gate has stopped".into())
}

impl RelayGate {
    pub fn start(db: Db, clock: SharedClock) -> Self {
        // SQLite has one connection: a second runner would only queue for it. PostgreSQL
        // overlaps one batch's commit (a WAL flush) with the next batch.
        let runners = if storage::is_postgres(&db) { 3 } else { 1 };
        let memory = std::sync::Arc::new(Remembered::default());
        let batcher = Batcher::spawn_many(runners, MAX_BATCH, move |ops: Vec<Op>| {
            let (db, memory) = (db.clone(), memory.clone());
            let now = clock.now();
            Box::pin(async move { settle(&db, now, ops, Some(&memory)).await })
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
async fn settle(
    db: &Db,
    now: DateTime<Utc>,
    ops: Vec<Op>,
    memory: Option<&Remembered>,
) -> Vec<ServiceResult<Done>> {
    let _phase = tracing::debug_span!(target: crate::timeline::TARGET, crate::timeline::GATE);
    let mut knocks = Vec::new();
    let mut pairs = Vec::new();
    for op in &ops {
        match op {
            Op::Admit(k) => knocks.push(*k),
            Op::Record(p) => pairs.push(p.clone()),
        }
    }
    let (batched, recorded): (Vec<Option<Admitted>>, ServiceResult<()>) =
        match admit_batch(db, now, &knocks, &pairs, memory).await {
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
    settle(db, now, ops, None)
        .await
        .into_iter()
        .map(|done| match done? {
            Done::Admitted(admitted) => Ok(admitted),
            Done::Recorded => unreachable!("only admissions were asked for"),
        })
        .collect()
}

/// How a round of a batch answered a knock.
enum Outcome {
    Admitted(Admitted),
    /// The profile remembered of the user is no longer current: read it and try again.
    Stale,
    /// The user's balance moved between the batch's read and its write (another batch, a
    /// grant): their knocks go one by one.
    OneByOne,
}

/// Admits a batch together and records the pairs. `None` for a knock whose user must go one by
/// one. Knocks decided on a remembered profile that turned out stale get a second round that
/// reads their users (one more round trip for those, instead of one by one).
async fn admit_batch(
    db: &Db,
    now: DateTime<Utc>,
    knocks: &[Knock],
    pairs: &[Pair],
    memory: Option<&Remembered>,
) -> Result<Vec<Option<Admitted>>, Miss> {
    let first = admit_round(db, now, knocks, pairs, memory, true).await?;
    let again: Vec<Knock> = knocks
        .iter()
        .zip(&first)
        .filter(|(_, outcome)| matches!(outcome, Outcome::Stale))
        .map(|(knock, _)| *knock)
        .collect();
    // The first round has committed: an error now must not undo its answers (its charges
    // would look like duplicates one by one), so only the stale knocks go one by one.
    let mut second = if again.is_empty() {
        Vec::new()
    } else {
        admit_round(db, now, &again, &[], memory, false)
            .await
            .unwrap_or_else(|why| {
                tracing::debug!(size = again.len(), %why, "stale knocks go one by one");
                Vec::new()
            })
    }
    .into_iter();
    Ok(first
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Admitted(admitted) => Some(admitted),
            Outcome::OneByOne => None,
            Outcome::Stale => match second.next() {
                Some(Outcome::Admitted(admitted)) => Some(admitted),
                _ => None,
            },
        })
        .collect())
}

/// One round of a batch: decides with the profiles remembered (when `recall`) or read, and
/// writes.
async fn admit_round(
    db: &Db,
    now: DateTime<Utc>,
    knocks: &[Knock],
    pairs: &[Pair],
    memory: Option<&Remembered>,
    recall: bool,
) -> Result<Vec<Outcome>, Miss> {
    let mut ids: Vec<i64> = knocks.iter().map(|k| k.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    // What is remembered is not read again, but checked by the write.
    let mut profiles = match memory {
        Some(memory) if recall => memory.take(&mut ids),
        _ => HashMap::new(),
    };
    let recalled: HashSet<i64> = profiles.keys().copied().collect();
    if !ids.is_empty() {
        profiles.extend(self::profiles(db, now, &ids).await?);
    }

    // Walk the knocks in order, as one debit after another would.
    let Walk {
        verdicts,
        charges,
        balances,
    } = walk(knocks, &profiles, now);

    let mut moved: Vec<i64> = charges.iter().map(|(m, _)| m.user_id).collect();
    moved.sort_unstable();
    moved.dedup();
    let moves: Vec<Move> = moved
        .iter()
        .map(|&user_id| {
            let profile = &profiles[&user_id];
            Move {
                user_id,
                read: profile.user.credits,
                left: balances[&user_id],
                version: profile.version,
                epoch: profile.epoch,
            }
        })
        .collect();
    let checks: Vec<Check> = recalled
        .iter()
        .filter(|id| moved.binary_search(id).is_err())
        .map(|&user_id| Check {
            user_id,
            version: profiles[&user_id].version,
            epoch: profiles[&user_id].epoch,
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
    let landed = land(db, now, pairs, &moves, &checks, &entries).await?;
    // A user the batch can't answer for: balance or profile moved under it.
    let stale = |id: &i64| {
        if moved.binary_search(id).is_ok() {
            !landed.moved.contains_key(id)
        } else {
            recalled.contains(id) && !landed.current.contains(id)
        }
    };
    if tracing::enabled!(tracing::Level::DEBUG) {
        let stale = profiles.keys().filter(|id| stale(id)).count();
        if stale > 0 {
            tracing::debug!(
                stale,
                of = profiles.len(),
                "balances or profiles moved under the batch; their users are decided again"
            );
        }
    }

    let admitted = knocks
        .iter()
        .zip(verdicts)
        .map(|(knock, verdict)| match verdict {
            None => Outcome::Admitted(Admitted::Unknown),
            Some(verdict) if !stale(&knock.user_id) => {
                Outcome::Admitted(admission(&profiles[&knock.user_id], verdict))
            }
            // Decided on what was remembered: read and decide again.
            Some(_) if recalled.contains(&knock.user_id) => Outcome::Stale,
            Some(_) => Outcome::OneByOne,
        })
        .collect();

    if let Some(memory) = memory {
        let current = profiles
            .into_iter()
            .filter(|(id, _)| !stale(id))
            .map(|(id, mut profile)| {
                if let Some(&version) = landed.moved.get(&id) {
                    profile.user.credits = balances[&id];
                    profile.version = version;
                }
                profile
            })
            .collect();
        memory.put_back(current);
    }
    Ok(admitted)
}

/// One knock without batching: the plain debit, which settles any race on its own.
async fn admit_one(db: &Db, now: DateTime<Utc>, knock: Knock) -> ServiceResult<Admitted> {
    let mut profiles = profiles(db, now, &[knock.user_id]).await?;
    let Some(profile) = profiles.remove(&knock.user_id) else {
        return Ok(Admitted::Unknown);
    };
    let verdict = if let Some(free) = free_verdict(&profile, now) {
        free
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
        accounts::credits::{Movement, Reason},
        domain::TelegramProfile,
        storage::entities::credit_ledger,
        {accounts::users, relay::threads::Direction},
    };
    use tollgate_testkit::ScratchDatabase;

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

    async fn version(db: &Db, user_id: i64) -> i64 {
        let row = storage::query_all(
            db,
            "SELECT version FROM users WHERE id = $1",
            vec![user_id.into()],
        )
        .await
        .unwrap();
        row[0].try_get("", "version").unwrap()
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
        let (v1, v2) = (version(&db, 1).await, version(&db, 2).await);
        let moves = [
            Move {
                user_id: 1,
                read: 10,
                left: 7,
                version: v1,
                epoch: 0,
            },
            // The batch read 9: a grant or another batch moved it since.
            Move {
                user_id: 2,
                read: 9,
                left: 6,
                version: v2,
                epoch: 0,
            },
        ];
        let pair = Pair {
            user_id: 1,
            user_message_id: 6,
            admin_chat_id: -100,
            admin_message_id: 60,
            direction: Direction::In,
            text: Some("Hello".into()),
        };
        let landed = land(
            &db,
            now(),
            std::slice::from_ref(&pair),
            &moves,
            &[],
            &entries,
        )
        .await
        .unwrap();
        assert_eq!(landed.moved, HashMap::from([(1, v1 + 1)]));
        assert_eq!(version(&db, 1).await, v1 + 1);
        assert_eq!(version(&db, 2).await, v2);
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
        assert_eq!(copy.text.as_deref(), Some("Hello"));
        assert_eq!(copy.search_text.as_deref(), Some("hello"));

        // A ledger key already taken fails the whole write: nothing of it stays.
        let again = [Move {
            user_id: 1,
            read: 7,
            left: 4,
            version: v1 + 1,
            epoch: 0,
        }];
        let pair = Pair {
            user_message_id: 9,
            admin_message_id: 90,
            ..pair
        };
        assert!(
            land(&db, now(), &[pair], &again, &[], &entries[..1])
                .await
                .is_err()
        );
        assert_eq!(credits::balance(&db, 1).await.unwrap(), 7);
        assert_eq!(message_entries(&db, 1).await.len(), 1);
        assert!(relay::admin_side(&db, 1, 9).await.unwrap().is_none());
    }

    /// A batch remembers what it read and wrote, exactly as the database has it now, and the
    /// next batch goes from there without reading.
    async fn a_batch_remembers_its_users_as_they_are(db: Db) {
        user(&db, 1, 10).await;
        let memory = Remembered::default();
        let remembered = |memory: &Remembered| {
            let profiles = memory.profiles.lock().unwrap();
            profiles.get(&1).map(|p| (p.user.credits, p.version))
        };
        for (message_id, credits_) in [(1, 9), (2, 8)] {
            let knock = Knock {
                user_id: 1,
                message_id,
            };
            admit_batch(&db, now(), &[knock], &[], Some(&memory))
                .await
                .unwrap();
            assert_eq!(remembered(&memory), Some((credits_, version(&db, 1).await)));
            assert_eq!(credits::balance(&db, 1).await.unwrap(), credits_);
        }
        // A change elsewhere moves the version: the next batch finds out, reads, and charges
        // from the real balance.
        let grant = Movement::new(1, 5, Reason::AdminGrant);
        credits::grant(&db, now(), &grant).await.unwrap();
        let knock = Knock {
            user_id: 1,
            message_id: 3,
        };
        let out = admit_batch(&db, now(), &[knock], &[], Some(&memory))
            .await
            .unwrap();
        match &out[0] {
            Some(Admitted::Known(a)) => assert_eq!(
                a.verdict,
                Verdict::Charged {
                    before: 13,
                    after: 12,
                    cost: 1
                }
            ),
            other => panic!("charged: {other:?}"),
        }
        assert_eq!(remembered(&memory), Some((12, version(&db, 1).await)));
    }

    /// Runs `test` on a scratch PostgreSQL database when `TEST_DATABASE_URL` names a server.
    async fn on_postgres(name: &str, test: impl AsyncFnOnce(Db)) {
        let Ok(server) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("{name}: skipped (TEST_DATABASE_URL is not set)");
            return;
        };
        let scratch = ScratchDatabase::create(&server, name).await.unwrap();
        let db = storage::connect(&scratch.url).await.unwrap();
        test(db.clone()).await;
        db.close().await.unwrap();
        scratch.drop_now().await.unwrap();
    }

    async fn on_sqlite(test: impl AsyncFnOnce(Db)) {
        test(storage::connect("sqlite::memory:").await.unwrap()).await;
    }

    #[tokio::test]
    async fn memory_on_sqlite() {
        on_sqlite(a_batch_remembers_its_users_as_they_are).await;
    }

    #[tokio::test]
    async fn memory_on_postgres() {
        on_postgres(
            "tollgate_gate_memory",
            a_batch_remembers_its_users_as_they_are,
        )
        .await;
    }

    #[tokio::test]
    async fn land_on_sqlite() {
        on_sqlite(a_moved_balance_keeps_only_its_users_writes).await;
    }

    #[tokio::test]
    async fn land_on_postgres() {
        on_postgres("tollgate_gate", a_moved_balance_keeps_only_its_users_writes).await;
    }
}
