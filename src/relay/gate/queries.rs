//! The gate's SQL, with typed rows: the profiles a batch decides with (one query for all its
//! users), the write that lands a batch (balances, ledger entries, pairs, checks of remembered
//! profiles) and the messages a stop left charged but not relayed.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, TransactionTrait};

use super::{Knock, KnownTopic, REFUND_PREFIX, RechargeWish};
use crate::{
    accounts::{
        credits::{self, Reason},
        tiers::Tier,
        users::User,
    },
    relay::threads::{self as relay, Pair},
    services::{ServiceResult, batch::Miss, settings},
    storage::{
        self, Db, StorageError,
        entities::users,
        rows::{self, ColumnType},
    },
};

/// A message that was charged but neither relayed nor refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unrelayed {
    pub knock: Knock,
    pub cost: i64,
}

/// The messages charged in `[since, before)` that have no copy in the admin group, no
/// refund and no copy left unanswered by Telegram ([`relay::mark_uncertain`]), oldest first: the process stopped after it charged them (and confirmed their
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
           AND NOT EXISTS (SELECT 1 FROM relay_claims c \
             WHERE c.user_id = l.user_id AND c.state = 'uncertain' \
               AND CAST(c.message_id AS TEXT) = l.reference) \
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

/// A user with everything the gate needs to know about them.
pub(super) struct Profile {
    pub(super) user: User,
    pub(super) tier: Tier,
    pub(super) topic: Option<KnownTopic>,
    /// When the last of the user's passes that ran when this was read ends.
    pub(super) pass_ends: Option<DateTime<Utc>>,
    pub(super) recharge: Option<RechargeWish>,
    pub(super) low_credit_threshold: i64,
    /// Whether the relay is switched on (the `relay` setting).
    pub(super) relay_open: bool,
    /// `users.version` when this was read (or written).
    pub(super) version: i64,
    /// `profile_epoch` when this was read.
    pub(super) epoch: i64,
}

impl Profile {
    pub(super) fn has_pass(&self, now: DateTime<Utc>) -> bool {
        self.pass_ends.is_some_and(|ends| ends > now)
    }
}

/// Settings every admission needs, as stored (JSON text, or nothing for the default).
pub(super) struct StoredTerms {
    pub(super) message_cost: Option<String>,
    pub(super) default_tier: Option<String>,
    pub(super) low_credit_threshold: Option<String>,
    pub(super) relay: Option<String>,
}

/// The settings, parsed.
pub(super) struct Terms {
    pub(super) message_cost: i64,
    pub(super) default_tier: String,
    pub(super) low_credit_threshold: i64,
    pub(super) relay: bool,
}

impl StoredTerms {
    fn parse(&self) -> ServiceResult<Terms> {
        Ok(Terms {
            message_cost: settings::MESSAGE_COST.parse(self.message_cost.as_deref())?,
            default_tier: settings::DEFAULT_TIER.parse(self.default_tier.as_deref())?,
            low_credit_threshold: settings::LOW_CREDIT_THRESHOLD
                .parse(self.low_credit_threshold.as_deref())?,
            relay: settings::RELAY.parse(self.relay.as_deref())?,
        })
    }
}

/// The users (by id) with tier, topic, pass, auto-recharge and the settings that price their
/// messages, in one query.
pub(super) async fn profiles(
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
           s.cost AS g_s_cost, s.tier AS g_s_tier, s.low AS g_s_low, s.relay AS g_s_relay, \
           s.epoch AS g_epoch, \
           t.name AS g_tier_name, t.message_cost AS g_tier_cost, \
           dt.name AS g_dt_name, dt.message_cost AS g_dt_cost, \
           st.chat_id AS g_topic_chat, st.thread_id AS g_topic_thread, \
           (SELECT MAX(p.ends_at) FROM time_passes p WHERE p.user_id = u.id AND p.ends_at > $1) \
             AS g_pass_ends, \
           ar.enabled AS g_ar_enabled, ar.threshold AS g_ar_threshold, \
           ar.payment_method AS g_ar_card \
         FROM users u \
         CROSS JOIN (SELECT \
           (SELECT value FROM settings WHERE key = $4) AS cost, \
           (SELECT value FROM settings WHERE key = $5) AS tier, \
           (SELECT value FROM settings WHERE key = $6) AS low, \
           (SELECT value FROM settings WHERE key = $7) AS relay, \
           (SELECT epoch FROM profile_epoch) AS epoch) s \
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
        settings::RELAY.key.into(),
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
                    relay: row.try_get("", "g_s_relay")?,
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
        out.insert(
            user.id,
            Profile {
                pass_ends: row.try_get("", "g_pass_ends")?,
                version: row.try_get("", "version")?,
                epoch: row.try_get("", "g_epoch")?,
                user,
                tier,
                topic,
                recharge,
                low_credit_threshold: terms.low_credit_threshold,
                relay_open: terms.relay,
            },
        );
    }
    Ok(out)
}

/// A balance the batch moves: from what it read to what its walk left, if the profile it
/// priced with is still current.
#[derive(Debug, Clone, Copy)]
pub(super) struct Move {
    pub(super) user_id: i64,
    pub(super) read: i64,
    pub(super) left: i64,
    pub(super) version: i64,
    pub(super) epoch: i64,
}

/// A remembered profile the batch decided with but moves no balance of: the write checks it
/// is still current.
#[derive(Debug, Clone, Copy)]
pub(super) struct Check {
    pub(super) user_id: i64,
    pub(super) version: i64,
    pub(super) epoch: i64,
}

/// What a batch's write found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Landed {
    /// The users whose balance moved, with their version after it.
    pub(super) moved: HashMap<i64, i64>,
    /// The checked users whose profile is still current.
    pub(super) current: HashSet<i64>,
}

/// The users a batch reads.
pub(super) const ID_COLUMNS: &[rows::Column] = &[("uid", ColumnType::BigInt)];

/// The balances a batch moves.
pub(super) const MOVE_COLUMNS: &[rows::Column] = &[
    ("uid", ColumnType::BigInt),
    ("was", ColumnType::BigInt),
    ("goes", ColumnType::BigInt),
    ("ver", ColumnType::BigInt),
    ("epoch", ColumnType::BigInt),
];

/// The remembered profiles a batch checks.
pub(super) const CHECK_COLUMNS: &[rows::Column] = &[
    ("uid", ColumnType::BigInt),
    ("ver", ColumnType::BigInt),
    ("epoch", ColumnType::BigInt),
];

/// The guarded balance update: each balance moves only if it is still what the batch read and
/// the profile it was priced with is still current (the parameters from `rows` on,
/// [`moves_rows`]). Moves the version itself (SQLite's trigger then stays out). Returns the
/// ids that moved, with their new version.
pub(super) fn move_sql(backend: DbBackend, rows: usize) -> String {
    let rows = rows::from(backend, rows, "d", MOVE_COLUMNS);
    format!(
        "UPDATE users SET credits = d.goes, version = users.version + 1 FROM {rows} \
         WHERE users.id = d.uid AND users.credits = d.was AND users.version = d.ver \
           AND d.epoch = (SELECT epoch FROM profile_epoch) \
         RETURNING users.id, users.version"
    )
}

pub(super) fn moves_rows(backend: DbBackend, moves: &[Move]) -> Vec<sea_orm::Value> {
    let mut rows = rows::Rows::new(backend, MOVE_COLUMNS, moves.len());
    for m in moves {
        rows.big_int(m.user_id)
            .big_int(m.read)
            .big_int(m.left)
            .big_int(m.version)
            .big_int(m.epoch);
    }
    rows.into_values()
}

/// The checked profiles that are still current (the parameters from `rows` on,
/// [`checks_rows`]): their ids and versions.
pub(super) fn check_sql(backend: DbBackend, rows: usize) -> String {
    let rows = rows::from(backend, rows, "c", CHECK_COLUMNS);
    format!(
        "SELECT users.id, users.version FROM users, {rows} \
         WHERE users.id = c.uid AND users.version = c.ver \
           AND c.epoch = (SELECT epoch FROM profile_epoch)"
    )
}

pub(super) fn checks_rows(backend: DbBackend, checks: &[Check]) -> Vec<sea_orm::Value> {
    let mut rows = rows::Rows::new(backend, CHECK_COLUMNS, checks.len());
    for c in checks {
        rows.big_int(c.user_id).big_int(c.version).big_int(c.epoch);
    }
    rows.into_values()
}

/// Reads `(id, version)` rows.
pub(super) fn versions(rows: Vec<sea_orm::QueryResult>) -> Result<Vec<(i64, i64)>, Miss> {
    rows.iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "version")?)))
        .collect()
}

/// Writes a batch: the pairs, the balances that are still where the batch read them (with
/// profiles still current), the ledger entries of exactly those users, and checks the other
/// remembered profiles it decided with. All of it or nothing.
///
/// PostgreSQL does it in one statement (data-modifying CTEs), so the batch costs one round trip
/// and one commit; SQLite, which has no such CTEs, in one transaction of up to four.
pub(super) async fn land(
    db: &Db,
    now: DateTime<Utc>,
    pairs: &[Pair],
    moves: &[Move],
    checks: &[Check],
    entries: &[credits::Entry<'_>],
) -> Result<Landed, Miss> {
    let backend = db.get_database_backend();
    let mut landed = Landed::default();
    if moves.is_empty() && checks.is_empty() {
        relay::remember_all(db, now, pairs).await?;
        return Ok(landed);
    }
    if backend == DbBackend::Postgres {
        // $1 the time, then each row set's columns. The moved and the checked users are
        // different users, so one list of (id, version) answers for both.
        let pairs_at = 2;
        let moves_at = pairs_at + rows::params_for(backend, relay::PAIR_COLUMNS);
        let entries_at = moves_at + rows::params_for(backend, MOVE_COLUMNS);
        let checks_at = entries_at + rows::params_for(backend, credits::ENTRY_COLUMNS);
        let query = format!(
            "WITH p AS ({pairs}), m AS ({moves}), l AS ({ledger}), c AS ({checks}) \
             SELECT id, version FROM m UNION ALL SELECT id, version FROM c",
            pairs = relay::insert_pairs_sql(backend, 1, pairs_at),
            moves = move_sql(backend, moves_at),
            ledger = credits::append_sql(backend, 1, entries_at, "d.uid IN (SELECT id FROM m)"),
            checks = check_sql(backend, checks_at),
        );
        let mut values = vec![now.into()];
        values.extend(relay::pairs_rows(backend, pairs));
        values.extend(moves_rows(backend, moves));
        values.extend(credits::entries_rows(backend, entries));
        values.extend(checks_rows(backend, checks));
        let moving: HashSet<i64> = moves.iter().map(|m| m.user_id).collect();
        for (id, version) in versions(storage::query_all(db, &query, values).await?)? {
            if moving.contains(&id) {
                landed.moved.insert(id, version);
            } else {
                landed.current.insert(id);
            }
        }
        return Ok(landed);
    }
    let txn = db.begin().await?;
    relay::remember_all(&txn, now, pairs).await?;
    if !moves.is_empty() {
        let query = move_sql(backend, 1);
        landed.moved =
            versions(storage::query_all(&txn, &query, moves_rows(backend, moves)).await?)?
                .into_iter()
                .collect();
        let kept: Vec<credits::Entry> = entries
            .iter()
            .filter(|e| landed.moved.contains_key(&e.movement.user_id))
            .copied()
            .collect();
        credits::append_all(&txn, now, &kept).await?;
    }
    if !checks.is_empty() {
        let query = check_sql(backend, 1);
        landed.current =
            versions(storage::query_all(&txn, &query, checks_rows(backend, checks)).await?)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
    }
    txn.commit().await?;
    Ok(landed)
}
