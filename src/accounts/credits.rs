//! Credits: an append-only ledger with the balance cached on the user row, both changed in one
//! transaction. A debit that does not fit is refused by the `UPDATE … WHERE credits >= cost`
//! itself (no read-then-write race on SQLite or PostgreSQL). An entry with an idempotency key
//! is applied once: a retried update, webhook or job changes nothing the second time.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use crate::storage::{
    self, Db, StorageError,
    entities::credit_ledger,
    is_unique_violation,
    rows::{self, ColumnType},
};
use crate::{services::ServiceError, services::ServiceResult};

pub type LedgerEntry = credit_ledger::Model;

/// Why credits moved. Stored as text; shown in `/history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Welcome,
    TutorialBonus,
    Message,
    RelayRefund,
    Purchase,
    AdminGrant,
    /// Taken by an admin (with their reason as the reference).
    AdminDebit,
    Clawback,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Welcome => "welcome",
            Reason::TutorialBonus => "tutorial_bonus",
            Reason::Message => "message",
            Reason::RelayRefund => "relay_refund",
            Reason::Purchase => "purchase",
            Reason::AdminGrant => "admin_grant",
            Reason::AdminDebit => "admin_debit",
            Reason::Clawback => "clawback",
        }
    }
}

/// One movement of credits and where it came from.
#[derive(Debug, Clone)]
pub struct Movement {
    pub user_id: i64,
    /// Always positive: [`grant`] adds it, [`debit`] takes it.
    pub amount: i64,
    pub reason: Reason,
    pub reference: Option<String>,
    /// Applied at most once per key.
    pub idempotency_key: Option<String>,
    pub actor: String,
}

impl Movement {
    pub fn new(user_id: i64, amount: i64, reason: Reason) -> Self {
        Self {
            user_id,
            amount,
            reason,
            reference: None,
            idempotency_key: None,
            actor: "system".into(),
        }
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = actor.into();
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    Applied { balance: i64 },
    Duplicate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Debited {
    Applied { before: i64, after: i64 },
    Insufficient { balance: i64 },
    Duplicate,
}

async fn add(
    txn: &DatabaseTransaction,
    user_id: i64,
    delta: i64,
    floor: Option<i64>,
) -> ServiceResult<Option<i64>> {
    let backend = txn.get_database_backend();
    let (query, values): (&str, Vec<sea_orm::Value>) = match floor {
        None => (
            "UPDATE users SET credits = credits + $1 WHERE id = $2 RETURNING credits",
            vec![delta.into(), user_id.into()],
        ),
        Some(min) => (
            "UPDATE users SET credits = credits + $1 WHERE id = $2 AND credits + $1 >= $3 RETURNING credits",
            vec![delta.into(), user_id.into(), min.into()],
        ),
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            storage::sql(backend, query),
            values,
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get::<i64>("", "credits")?),
        None => None,
    })
}

/// The ledger row of a movement (`signed`: positive for a grant, negative for a debit).
fn ledger_row(
    now: DateTime<Utc>,
    m: &Movement,
    signed: i64,
    balance_after: i64,
) -> credit_ledger::ActiveModel {
    credit_ledger::ActiveModel {
        user_id: Set(m.user_id),
        amount: Set(signed),
        balance_after: Set(balance_after),
        reason: Set(m.reason.as_str().to_owned()),
        reference: Set(m.reference.clone()),
        idempotency_key: Set(m.idempotency_key.clone()),
        actor: Set(m.actor.clone()),
        created_at: Set(now),
        ..Default::default()
    }
}

/// One ledger entry to append: the movement, its signed amount and the balance after it.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub movement: &'a Movement,
    pub signed: i64,
    pub balance_after: i64,
}

/// Appends entries in one statement whose text is the same however many there are (see
/// [`storage::rows`]), in the given order. An entry whose idempotency key is already in the
/// ledger fails the whole statement.
pub(crate) async fn append_all(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    entries: &[Entry<'_>],
) -> Result<(), sea_orm::DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let mut values = vec![now.into()];
    values.extend(entries_rows(backend, entries));
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        storage::sql(backend, &append_sql(backend, 1, 2, "true")),
        values,
    ))
    .await?;
    Ok(())
}

/// The columns of the entries [`append_sql`] takes.
pub(crate) const ENTRY_COLUMNS: &[rows::Column] = &[
    ("uid", ColumnType::BigInt),
    ("amount", ColumnType::BigInt),
    ("bal", ColumnType::BigInt),
    ("reason", ColumnType::Text),
    ("reference", ColumnType::Text),
    ("ikey", ColumnType::Text),
    ("actor", ColumnType::Text),
];

/// The statement behind [`append_all`]: the time in parameter `now`, the entries in the
/// parameters from `rows` on ([`entries_rows`]), and only the rows `filter` keeps (a
/// condition on `d.uid`, `d.amount`, …), so that other statements can embed it (a PostgreSQL
/// batch appends in a CTE).
pub(crate) fn append_sql(backend: DbBackend, now: usize, rows: usize, filter: &str) -> String {
    let rows = rows::from(backend, rows, "d", ENTRY_COLUMNS);
    format!(
        "INSERT INTO credit_ledger \
           (user_id, amount, balance_after, reason, reference, idempotency_key, actor, created_at) \
         SELECT d.uid, d.amount, d.bal, d.reason, d.reference, d.ikey, d.actor, ${now} \
         FROM {rows} WHERE {filter} ORDER BY d.n"
    )
}

/// The rows parameters of [`append_sql`].
pub(crate) fn entries_rows(backend: DbBackend, entries: &[Entry<'_>]) -> Vec<sea_orm::Value> {
    let mut rows = rows::Rows::new(backend, ENTRY_COLUMNS, entries.len());
    for e in entries {
        let m = e.movement;
        rows.big_int(m.user_id)
            .big_int(e.signed)
            .big_int(e.balance_after)
            .text(Some(m.reason.as_str()))
            .text(m.reference.as_deref())
            .text(m.idempotency_key.as_deref())
            .text(Some(&m.actor));
    }
    rows.into_values()
}

pub(super) async fn record(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    m: &Movement,
    signed: i64,
    balance_after: i64,
) -> Result<(), sea_orm::DbErr> {
    credit_ledger::Entity::insert(ledger_row(now, m, signed, balance_after))
        .exec_without_returning(txn)
        .await
        .map(|_| ())
}

fn unknown_user(id: i64) -> ServiceError {
    StorageError::Corrupt(format!("no user {id} to move credits for")).into()
}

/// Adds credits.
#[tracing::instrument(skip_all, fields(user_id = m.user_id, amount = m.amount, reason = m.reason.as_str()))]
pub async fn grant(db: &Db, now: DateTime<Utc>, m: &Movement) -> ServiceResult<Granted> {
    let txn = db.begin().await?;
    let balance = add(&txn, m.user_id, m.amount, None)
        .await?
        .ok_or_else(|| unknown_user(m.user_id))?;
    match record(&txn, now, m, m.amount, balance).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(Granted::Applied { balance })
        }
        Err(e) if is_unique_violation(&e) => {
            txn.rollback().await?;
            Ok(Granted::Duplicate)
        }
        Err(e) => Err(e.into()),
    }
}

/// Takes credits if the balance covers them; never goes below zero.
#[tracing::instrument(skip_all, fields(user_id = m.user_id, amount = m.amount, reason = m.reason.as_str()))]
pub async fn debit(db: &Db, now: DateTime<Utc>, m: &Movement) -> ServiceResult<Debited> {
    let txn = db.begin().await?;
    let Some(after) = add(&txn, m.user_id, -m.amount, Some(0)).await? else {
        txn.rollback().await?;
        return Ok(Debited::Insufficient {
            balance: balance(db, m.user_id).await?,
        });
    };
    match record(&txn, now, m, -m.amount, after).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(Debited::Applied {
                before: after + m.amount,
                after,
            })
        }
        Err(e) if is_unique_violation(&e) => {
            txn.rollback().await?;
            Ok(Debited::Duplicate)
        }
        Err(e) => Err(e.into()),
    }
}

/// Takes as much of `m.amount` as the balance covers, inside the caller's transaction (the
/// user's row is locked until it ends); returns what was taken and the balance after. Taking
/// nothing writes no ledger entry.
pub(crate) async fn take_up_to(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    m: &Movement,
) -> ServiceResult<(i64, i64)> {
    let backend = txn.get_database_backend();
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            storage::sql(
                backend,
                &format!("SELECT credits FROM users WHERE id = $1{lock}"),
            ),
            [m.user_id.into()],
        ))
        .await?
        .ok_or_else(|| unknown_user(m.user_id))?;
    let balance: i64 = row.try_get("", "credits")?;
    let take = m.amount.min(balance.max(0));
    if take <= 0 {
        return Ok((0, balance));
    }
    let after = add(txn, m.user_id, -take, Some(0))
        .await?
        .ok_or_else(|| unknown_user(m.user_id))?;
    record(txn, now, m, -take, after).await?;
    Ok((take, after))
}

/// The cached balance (0 for an unknown user).
pub async fn balance(db: &Db, user_id: i64) -> ServiceResult<i64> {
    Ok(crate::storage::entities::users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|u| u.credits)
        .unwrap_or(0))
}

/// The sum of a user's ledger, which must equal the cached balance.
pub async fn ledger_sum(db: &Db, user_id: i64) -> ServiceResult<i64> {
    let rows = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    Ok(rows.iter().map(|r| r.amount).sum())
}

/// A page of a user's ledger, newest first, and whether older entries exist.
pub async fn history(
    db: &Db,
    user_id: i64,
    page: u64,
    per_page: u64,
) -> ServiceResult<(Vec<LedgerEntry>, bool)> {
    let mut rows = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .order_by_desc(credit_ledger::Column::Id)
        .offset(page * per_page)
        .limit(per_page + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

pub async fn entry_count(db: &Db, user_id: i64) -> ServiceResult<u64> {
    Ok(credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .count(db)
        .await?)
}

/// The size of the user's last purchased pack, if any (the `/balance` scale).
pub async fn last_purchase(db: &Db, user_id: i64) -> ServiceResult<Option<i64>> {
    Ok(credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .filter(credit_ledger::Column::Reason.eq(Reason::Purchase.as_str()))
        .order_by_desc(credit_ledger::Column::Id)
        .one(db)
        .await?
        .map(|r| r.amount))
}
