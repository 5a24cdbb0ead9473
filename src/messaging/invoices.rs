//! Sellers' invoices: a bill to one contact (lines, total, currency, due date, note) that the
//! customer pays in Telegram, with Stars (`XTR`) or by card through Stripe Checkout on the
//! seller's payment mode.
//!
//! Statuses: `draft` (kept, not sent), `open` (sent, not yet due), `overdue` (past due, not
//! paid), `paid`, `void`. Every move is a conditional update from the statuses it may leave,
//! written with its webhook event in one transaction, so a payment applies once however many
//! times its events arrive, and an invoice turns overdue once. Sending, reminders and the
//! receipt are jobs ([`SEND_JOB`], [`REMIND_JOB`], [`PAID_JOB`]) that the messaging edge runs;
//! a reminder checks at send time that the invoice is still unpaid and the customer has not
//! stopped the seller.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use serde::{Deserialize, Serialize};

use super::contacts::{self, Contact};
use crate::{
    jobs::{self, NewJob},
    sellers::{
        tenant::{Page, Tenant},
        webhooks::{self, EventType},
    },
    services::ServiceResult,
    storage::{
        Db,
        entities::{invoice_schedules, invoices, users},
    },
};

pub type Invoice = invoices::Model;

/// The prefix of an invoice's public id (`inv_42`).
pub const ID_PREFIX: &str = "inv_";
/// Sends an invoice to its customer (payload `{"invoice": id}`).
pub const SEND_JOB: &str = "invoice_send";
/// Reminds the customer of an unpaid invoice (payload `{"invoice": id, "offset": days}`).
pub const REMIND_JOB: &str = "invoice_remind";
/// The receipt to the customer and the notice to the seller's owner (`{"invoice": id}`).
pub const PAID_JOB: &str = "invoice_paid";
/// Gives back a payment the invoice could not take, and tells the customer (`{"invoice": id,
/// "via": "stars"|"card", "reference": …, "amount": …, "currency": …, "account": …}`).
pub const REFUND_JOB: &str = "invoice_refund";
/// Lines an invoice may have.
pub const LINES_MAX: usize = 20;
/// Characters of a line's description.
pub const DESCRIPTION_MAX: usize = 200;
/// Characters of an invoice's note.
pub const NOTE_MAX: usize = 1000;
/// Quantity of one line.
pub const QUANTITY_MAX: i64 = 10_000;
/// An invoice's total in minor units (card currencies).
pub const TOTAL_MAX: i64 = 100_000_000;
/// An invoice's total in Stars.
pub const STARS_MAX: i64 = 100_000;
/// How far ahead a due date may be.
pub const DUE_MAX_DAYS: i64 = 366;
/// The Stars currency.
pub const STARS: &str = "XTR";
/// Reminders a schedule may hold, and the days before and after due they may be.
pub const OFFSETS_MAX: usize = 6;
pub const OFFSET_MIN: i64 = -30;
pub const OFFSET_MAX: i64 = 60;
/// The schedule of a seller who set none: 3 days before, on the day, 1 and 7 days after.
pub const DEFAULT_OFFSETS: [i64; 4] = [-3, 0, 1, 7];
/// Invoices the overdue sweep moves per statement.
pub const BATCH: usize = 1000;
/// The payload prefix of a Stars invoice for a seller's invoice.
pub const PAYLOAD_PREFIX: &str = "inv:";

/// `inv_<n>` for an invoice id.
pub fn public_id(id: i64) -> String {
    format!("{ID_PREFIX}{id}")
}

/// The row id of an `inv_<n>` public id.
pub fn parse_id(s: &str) -> Option<i64> {
    s.strip_prefix(ID_PREFIX)?
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
}

/// The `sendInvoice` payload of a Stars payment for invoice `id`.
pub fn invoice_payload(id: i64) -> String {
    format!("{PAYLOAD_PREFIX}{id}")
}

/// The invoice a Stars payload names.
pub fn invoice_of_payload(payload: &str) -> Option<i64> {
    payload
        .strip_prefix(PAYLOAD_PREFIX)?
        .parse()
        .ok()
        .filter(|n: &i64| *n > 0)
}

pub fn is_invoice_payload(payload: &str) -> bool {
    payload.starts_with(PAYLOAD_PREFIX)
}

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Open,
    Paid,
    Overdue,
    Void,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Open,
        Status::Paid,
        Status::Overdue,
        Status::Void,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Open => "open",
            Status::Paid => "paid",
            Status::Overdue => "overdue",
            Status::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the customer may still pay.
    pub fn payable(self) -> bool {
        matches!(self, Status::Open | Status::Overdue)
    }
}

pub fn status_of(inv: &Invoice) -> Status {
    Status::parse(&inv.status).unwrap_or(Status::Void)
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    /// Minor units (Stars for `XTR`).
    pub unit_amount: i64,
}

pub fn lines_of(inv: &Invoice) -> Vec<Line> {
    serde_json::from_str(&inv.lines).unwrap_or_default()
}

/// Input that cannot be taken, naming its field. Nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadInvoice {
    #[error("no such contact")]
    Contact,
    #[error("this user never started the bot, so nothing can reach them yet")]
    NotStarted,
    #[error("currency: XTR (Telegram Stars) or a three-letter card currency such as EUR")]
    Currency,
    #[error("card payments are not set up for this seller: use XTR, or set up card payments")]
    CardUnavailable,
    #[error("lines: 1 to 20 lines")]
    Lines,
    #[error("a line's description is 1 to 200 characters")]
    Description,
    #[error("a line's quantity is 1 to 10000")]
    Quantity,
    #[error("a line's unit_amount is a positive whole number of minor units")]
    Amount,
    #[error("the total is at most 100000000 minor units (100000 Stars)")]
    Total,
    #[error("due_date must be in the future and within 366 days")]
    DueDate,
    #[error("note: at most 1000 characters")]
    Note,
}

impl BadInvoice {
    pub fn field(&self) -> &'static str {
        match self {
            BadInvoice::Contact | BadInvoice::NotStarted => "contact_id",
            BadInvoice::Currency | BadInvoice::CardUnavailable => "currency",
            BadInvoice::Lines => "lines",
            BadInvoice::Description => "lines.description",
            BadInvoice::Quantity => "lines.quantity",
            BadInvoice::Amount => "lines.unit_amount",
            BadInvoice::Total => "lines",
            BadInvoice::DueDate => "due_date",
            BadInvoice::Note => "note",
        }
    }
}

/// An invoice's content, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub currency: String,
    pub lines: Vec<Line>,
    pub total: i64,
    pub due_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// `XTR`, or a card currency as three ASCII letters (upper case).
pub fn parse_currency(s: &str) -> Result<String, BadInvoice> {
    let c = s.trim().to_ascii_uppercase();
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) {
        Ok(c)
    } else {
        Err(BadInvoice::Currency)
    }
}

/// Checks an invoice's content against the bounds and the clock.
pub fn check(
    now: DateTime<Utc>,
    currency: &str,
    lines: Vec<Line>,
    due_at: DateTime<Utc>,
    note: Option<String>,
) -> Result<Checked, BadInvoice> {
    let currency = parse_currency(currency)?;
    if lines.is_empty() || lines.len() > LINES_MAX {
        return Err(BadInvoice::Lines);
    }
    let mut total: i64 = 0;
    let mut clean = Vec::with_capacity(lines.len());
    for line in lines {
        let description = line.description.trim().to_owned();
        let n = description.chars().count();
        if n == 0 || n > DESCRIPTION_MAX {
            return Err(BadInvoice::Description);
        }
        if !(1..=QUANTITY_MAX).contains(&line.quantity) {
            return Err(BadInvoice::Quantity);
        }
        if line.unit_amount <= 0 {
            return Err(BadInvoice::Amount);
        }
        total = line
            .unit_amount
            .checked_mul(line.quantity)
            .and_then(|x| total.checked_add(x))
            .ok_or(BadInvoice::Total)?;
        clean.push(Line {
            description,
            ..line
        });
    }
    let max = if currency == STARS {
        STARS_MAX
    } else {
        TOTAL_MAX
    };
    if total > max {
        return Err(BadInvoice::Total);
    }
    if due_at <= now || due_at > now + Duration::days(DUE_MAX_DAYS) {
        return Err(BadInvoice::DueDate);
    }
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(BadInvoice::Note);
    }
    Ok(Checked {
        currency,
        lines: clean,
        total,
        due_at,
        note,
    })
}

/// What creating (or sending a draft) came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    Invoice(Box<Invoice>),
    /// The customer stopped the seller's messages: nothing was made or sent.
    Stopped,
    Bad(BadInvoice),
}

async fn started(db: &Db, user: i64) -> ServiceResult<bool> {
    Ok(users::Entity::find_by_id(user).one(db).await?.is_some())
}

/// Whether the seller may send `contact` an invoice now: they started the bot and did not
/// stop the seller.
async fn reachable(db: &Db, t: Tenant, contact: &Contact) -> ServiceResult<Option<Created>> {
    if !contacts::may_message(db, t.seller_id, contact.user_id).await? {
        return Ok(Some(Created::Stopped));
    }
    if !started(db, contact.user_id).await? {
        return Ok(Some(Created::Bad(BadInvoice::NotStarted)));
    }
    Ok(None)
}

/// Makes an invoice to the tenant's `contact`: a draft, or open and on its way to the customer
/// (the send job and the reminders of the seller's schedule are written with it).
#[tracing::instrument(skip_all, fields(seller = t.seller_id))]
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    contact: &Contact,
    checked: Checked,
    send: bool,
) -> ServiceResult<Created> {
    if contact.seller_id != t.seller_id || contact.livemode != t.livemode {
        return Ok(Created::Bad(BadInvoice::Contact));
    }
    if let Some(refused) = reachable(db, t, contact).await? {
        return Ok(refused);
    }
    let offsets = schedule(db, t.seller_id).await?;
    let txn = db.begin().await?;
    let status = if send { Status::Open } else { Status::Draft };
    let inv = invoices::Entity::insert(invoices::ActiveModel {
        seller_id: Set(t.seller_id),
        livemode: Set(t.livemode),
        contact_id: Set(contact.id),
        user_id: Set(contact.user_id),
        currency: Set(checked.currency),
        lines: Set(serde_json::to_string(&checked.lines).unwrap_or_else(|_| "[]".into())),
        total_minor: Set(checked.total),
        note: Set(checked.note),
        due_at: Set(checked.due_at),
        status: Set(status.as_str().into()),
        fee_minor: Set(0),
        net_minor: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    if send {
        enqueue_sending(&txn, now, &inv, &offsets).await?;
    }
    txn.commit().await?;
    Ok(Created::Invoice(Box::new(inv)))
}

/// Sends a draft: it becomes open, with its send job and reminders. A draft whose due date
/// has passed is refused (`due_date`), as is a customer who stopped the seller.
pub async fn send_draft(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    id: i64,
) -> ServiceResult<Option<Result<Created, Status>>> {
    let Some(inv) = get(db, t, id).await? else {
        return Ok(None);
    };
    let status = status_of(&inv);
    if status != Status::Draft {
        return Ok(Some(Err(status)));
    }
    if inv.due_at <= now {
        return Ok(Some(Ok(Created::Bad(BadInvoice::DueDate))));
    }
    let Some(contact) = contacts::get(db, t, inv.contact_id).await? else {
        return Ok(Some(Ok(Created::Bad(BadInvoice::Contact))));
    };
    if let Some(refused) = reachable(db, t, &contact).await? {
        return Ok(Some(Ok(refused)));
    }
    let offsets = schedule(db, t.seller_id).await?;
    let txn = db.begin().await?;
    let moved = invoices::Entity::update_many()
        .col_expr(invoices::Column::Status, Expr::value(Status::Open.as_str()))
        .col_expr(invoices::Column::UpdatedAt, Expr::value(now))
        .filter(invoices::Column::Id.eq(inv.id))
        .filter(invoices::Column::Status.eq(Status::Draft.as_str()))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        txn.rollback().await?;
        let now_status = get(db, t, id)
            .await?
            .map_or(Status::Void, |i| status_of(&i));
        return Ok(Some(Err(now_status)));
    }
    enqueue_sending(&txn, now, &inv, &offsets).await?;
    txn.commit().await?;
    Ok(get(db, t, id)
        .await?
        .map(|i| Ok(Created::Invoice(Box::new(i)))))
}

/// The send job and one reminder job per offset still ahead, each once (dedupe keys).
async fn enqueue_sending(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    inv: &Invoice,
    offsets: &[i64],
) -> ServiceResult<()> {
    let mut send = NewJob::now(SEND_JOB, serde_json::json!({ "invoice": inv.id }), now);
    send.dedupe_key = Some(format!("{SEND_JOB}:{}", inv.id));
    send.max_attempts = 8;
    let reminders = offsets.iter().filter_map(|&days| {
        let at = inv.due_at + Duration::days(days);
        (at > now).then(|| NewJob {
            kind: REMIND_JOB,
            payload: serde_json::json!({ "invoice": inv.id, "offset": days }),
            run_at: at,
            dedupe_key: Some(format!("{REMIND_JOB}:{}:{days}", inv.id)),
            max_attempts: 5,
        })
    });
    jobs::enqueue_many(txn, now, std::iter::once(send).chain(reminders)).await?;
    Ok(())
}

/// The tenant's invoice `id`.
pub async fn get(db: &Db, t: Tenant, id: i64) -> ServiceResult<Option<Invoice>> {
    Ok(invoices::Entity::find_by_id(id)
        .filter(invoices::Column::SellerId.eq(t.seller_id))
        .filter(invoices::Column::Livemode.eq(t.livemode))
        .one(db)
        .await?)
}

/// An invoice by id, whoever's (jobs and payments, which carry the id themselves).
pub async fn by_id(db: &Db, id: i64) -> ServiceResult<Option<Invoice>> {
    Ok(invoices::Entity::find_by_id(id).one(db).await?)
}

/// The tenant's invoices by id after `after`, optionally in one status; newest last.
pub async fn list(
    db: &Db,
    t: Tenant,
    after: Option<i64>,
    limit: u64,
    status: Option<Status>,
) -> ServiceResult<Page<Invoice>> {
    let mut q = invoices::Entity::find()
        .filter(invoices::Column::SellerId.eq(t.seller_id))
        .filter(invoices::Column::Livemode.eq(t.livemode))
        .filter(invoices::Column::Id.gt(after.unwrap_or(0)));
    if let Some(s) = status {
        q = q.filter(invoices::Column::Status.eq(s.as_str()));
    }
    let mut rows = q
        .order_by_asc(invoices::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page { rows, more })
}

/// The tenant's latest invoices, newest first (the bot's list).
pub async fn latest(db: &Db, t: Tenant, limit: u64) -> ServiceResult<Vec<Invoice>> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::SellerId.eq(t.seller_id))
        .filter(invoices::Column::Livemode.eq(t.livemode))
        .order_by_desc(invoices::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The invoice as webhooks carry it.
pub fn event_data(inv: &Invoice) -> serde_json::Value {
    serde_json::json!({
        "id": public_id(inv.id),
        "contact_id": contacts::public_id(inv.contact_id),
        "telegram_user_id": inv.user_id,
        "status": inv.status,
        "currency": inv.currency,
        "total": inv.total_minor,
        "lines": lines_of(inv),
        "note": inv.note,
        "due_at": inv.due_at,
        "paid_via": inv.paid_via,
        "paid_at": inv.paid_at,
        "fee": inv.fee_minor,
        "net": inv.net_minor,
    })
}

/// What voiding came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Voided {
    Voided(Box<Invoice>),
    /// Paid or void already: nothing changes.
    Final(Status),
}

/// Voids an unpaid invoice (`invoice.voided` in the same transaction); None: not the tenant's.
pub async fn void(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    id: i64,
) -> ServiceResult<Option<Voided>> {
    let Some(inv) = get(db, t, id).await? else {
        return Ok(None);
    };
    let txn = db.begin().await?;
    let moved = invoices::Entity::update_many()
        .col_expr(invoices::Column::Status, Expr::value(Status::Void.as_str()))
        .col_expr(invoices::Column::VoidedAt, Expr::value(Some(now)))
        .col_expr(invoices::Column::UpdatedAt, Expr::value(now))
        .filter(invoices::Column::Id.eq(inv.id))
        .filter(invoices::Column::Status.is_in([
            Status::Draft.as_str(),
            Status::Open.as_str(),
            Status::Overdue.as_str(),
        ]))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        txn.rollback().await?;
        let st = get(db, t, id)
            .await?
            .map_or(Status::Void, |i| status_of(&i));
        return Ok(Some(Voided::Final(st)));
    }
    let voided = invoices::Entity::find_by_id(inv.id)
        .one(&txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("an invoice just voided".into()))?;
    webhooks::emit(
        &txn,
        now,
        t.seller_id,
        t.livemode,
        EventType::InvoiceVoided,
        event_data(&voided),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(Voided::Voided(Box::new(voided))))
}

/// How an invoice was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Stars,
    Card,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Stars => "stars",
            Via::Card => "card",
        }
    }
}

/// A payment that arrived for an invoice.
#[derive(Debug, Clone, Copy)]
pub struct Payment<'a> {
    pub via: Via,
    /// The Telegram charge id or the Stripe PaymentIntent: the payment's identity.
    pub reference: &'a str,
    /// What was paid, in minor units, and in which currency.
    pub amount: i64,
    pub currency: &'a str,
    /// The platform's fee in percent for this payment (0 for a seller's own Stripe account).
    pub fee_percent: i64,
}

/// What a payment came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Paid {
    /// Applied now: the invoice is paid (`invoice.paid` and the receipt job were written).
    Paid(Box<Invoice>),
    /// This payment was applied before (a retried or duplicated event): nothing changes.
    Duplicate,
    /// The invoice could not take it (another payment paid it, it was voided, the amount or
    /// currency differ): the invoice does not change, and a refund of this payment is queued
    /// ([`REFUND_JOB`], once per payment).
    Refused(Box<Invoice>),
}

/// Applies a payment to invoice `id` once: `open | overdue → paid`, keyed by the payment's
/// reference, with `invoice.paid` and the receipt job in the same transaction.
#[tracing::instrument(skip_all, fields(invoice = id))]
pub async fn pay(
    db: &Db,
    now: DateTime<Utc>,
    id: i64,
    payment: Payment<'_>,
) -> ServiceResult<Option<Paid>> {
    let Some(inv) = by_id(db, id).await? else {
        return Ok(None);
    };
    if inv.payment_ref.as_deref() == Some(payment.reference) {
        return Ok(Some(Paid::Duplicate));
    }
    if payment.amount != inv.total_minor || !payment.currency.eq_ignore_ascii_case(&inv.currency) {
        tracing::error!(
            invoice = inv.id,
            amount = payment.amount,
            currency = payment.currency,
            "a payment that does not match its invoice"
        );
        return refuse(db, now, inv, &payment).await.map(Some);
    }
    let (fee, net) = crate::sellers::split_fee(inv.total_minor, payment.fee_percent);
    let txn = db.begin().await?;
    let moved = invoices::Entity::update_many()
        .col_expr(invoices::Column::Status, Expr::value(Status::Paid.as_str()))
        .col_expr(
            invoices::Column::PaymentRef,
            Expr::value(Some(payment.reference.to_owned())),
        )
        .col_expr(
            invoices::Column::PaidVia,
            Expr::value(Some(payment.via.as_str().to_owned())),
        )
        .col_expr(invoices::Column::FeeMinor, Expr::value(fee))
        .col_expr(invoices::Column::NetMinor, Expr::value(net))
        .col_expr(invoices::Column::PaidAt, Expr::value(Some(now)))
        .col_expr(invoices::Column::UpdatedAt, Expr::value(now))
        .filter(invoices::Column::Id.eq(inv.id))
        .filter(invoices::Column::Status.is_in([Status::Open.as_str(), Status::Overdue.as_str()]))
        .exec(&txn)
        .await;
    let moved = match moved {
        Ok(m) => m.rows_affected,
        // The reference is unique: the same payment applied to this invoice by a concurrent
        // delivery that committed first.
        Err(e) if is_unique_violation(&e) => 0,
        Err(e) => return Err(e.into()),
    };
    if moved == 0 {
        txn.rollback().await?;
        let now_inv = by_id(db, id).await?.unwrap_or(inv);
        if now_inv.payment_ref.as_deref() == Some(payment.reference) {
            return Ok(Some(Paid::Duplicate));
        }
        tracing::error!(
            invoice = now_inv.id,
            status = %now_inv.status,
            reference = payment.reference,
            "a payment for an invoice that is not payable"
        );
        return refuse(db, now, now_inv, &payment).await.map(Some);
    }
    let paid = invoices::Entity::find_by_id(inv.id)
        .one(&txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("an invoice just paid".into()))?;
    webhooks::emit(
        &txn,
        now,
        paid.seller_id,
        paid.livemode,
        EventType::InvoicePaid,
        event_data(&paid),
    )
    .await?;
    let mut notice = NewJob::now(PAID_JOB, serde_json::json!({ "invoice": paid.id }), now);
    notice.dedupe_key = Some(format!("{PAID_JOB}:{}", paid.id));
    jobs::enqueue(&txn, now, notice).await?;
    txn.commit().await?;
    Ok(Some(Paid::Paid(Box::new(paid))))
}

/// A payment the invoice cannot take: its refund is queued, once per payment (the job's key
/// is the payment's reference, so a redelivered event queues nothing more).
async fn refuse(
    db: &Db,
    now: DateTime<Utc>,
    inv: Invoice,
    payment: &Payment<'_>,
) -> ServiceResult<Paid> {
    let mut refund = NewJob::now(
        REFUND_JOB,
        serde_json::json!({
            "invoice": inv.id,
            "via": payment.via.as_str(),
            "reference": payment.reference,
            "amount": payment.amount,
            "currency": payment.currency,
            "account": inv.paid_to,
        }),
        now,
    );
    refund.dedupe_key = Some(format!("{REFUND_JOB}:{}", payment.reference));
    jobs::enqueue(db, now, refund).await?;
    Ok(Paid::Refused(Box::new(inv)))
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    let s = e.to_string();
    s.contains("UNIQUE") || s.contains("unique") || s.contains("duplicate key")
}

/// Records the account a card checkout for the invoice was opened on, so that only that
/// account's endpoint may pay it.
pub async fn attach_checkout(
    db: &Db,
    now: DateTime<Utc>,
    id: i64,
    paid_to: &str,
) -> ServiceResult<()> {
    invoices::Entity::update_many()
        .col_expr(
            invoices::Column::PaidTo,
            Expr::value(Some(paid_to.to_owned())),
        )
        .col_expr(invoices::Column::UpdatedAt, Expr::value(now))
        .filter(invoices::Column::Id.eq(id))
        .filter(invoices::Column::Status.is_in([Status::Open.as_str(), Status::Overdue.as_str()]))
        .exec(db)
        .await?;
    Ok(())
}

/// Records the customer's message that carries the invoice.
pub async fn sent(db: &Db, id: i64, message_id: i32) -> ServiceResult<()> {
    invoices::Entity::update_many()
        .col_expr(invoices::Column::MessageId, Expr::value(Some(message_id)))
        .filter(invoices::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn lock(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    }
}

/// Moves up to `limit` open invoices past their due date to `overdue`, once each, with
/// `invoice.overdue` in the same transaction. The invoices moved.
pub async fn claim_overdue(
    db: &Db,
    now: DateTime<Utc>,
    limit: usize,
) -> ServiceResult<Vec<Invoice>> {
    let backend = db.get_database_backend();
    let query = crate::storage::sql(
        backend,
        &format!(
            "UPDATE invoices SET status = 'overdue', overdue_at = $1, updated_at = $1 WHERE id \
             IN (SELECT id FROM invoices WHERE status = 'open' AND due_at <= $1 ORDER BY due_at \
             LIMIT {limit}{}) AND status = 'open' RETURNING *",
            lock(backend)
        ),
    );
    let txn = db.begin().await?;
    let claimed = invoices::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, query, [now.into()]))
        .all(&txn)
        .await?;
    let events = claimed
        .iter()
        .map(|inv| webhooks::NewEvent {
            seller_id: inv.seller_id,
            livemode: inv.livemode,
            event_type: EventType::InvoiceOverdue,
            data: event_data(inv),
        })
        .collect::<Vec<_>>();
    if !events.is_empty() {
        webhooks::emit_many(&txn, now, events).await?;
    }
    txn.commit().await?;
    Ok(claimed)
}

/// Every open invoice past due turns overdue; how many did.
pub async fn sweep_overdue(db: &Db, now: DateTime<Utc>) -> ServiceResult<usize> {
    let mut n = 0;
    loop {
        let batch = claim_overdue(db, now, BATCH).await?.len();
        n += batch;
        if batch < BATCH {
            return Ok(n);
        }
    }
}

/// A reminder schedule that cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "reminders: at most 6 distinct whole days from -30 (before the due date) to 60 (after it); 0 is the due date"
)]
pub struct BadSchedule;

/// Offsets as the seller gives them (`-3 0 1 7`, `-3,0,1,7`, or `none`).
pub fn parse_offsets(s: &str) -> Result<Vec<i64>, BadSchedule> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for part in s.split(|c: char| c == ',' || c.is_whitespace()) {
        if part.is_empty() {
            continue;
        }
        out.push(part.parse::<i64>().map_err(|_| BadSchedule)?);
    }
    check_offsets(out)
}

pub fn check_offsets(mut offsets: Vec<i64>) -> Result<Vec<i64>, BadSchedule> {
    offsets.sort_unstable();
    let n = offsets.len();
    offsets.dedup();
    if offsets.len() != n
        || n > OFFSETS_MAX
        || offsets
            .iter()
            .any(|d| !(OFFSET_MIN..=OFFSET_MAX).contains(d))
    {
        return Err(BadSchedule);
    }
    Ok(offsets)
}

/// The seller's reminder offsets (the default unless they set their own).
pub async fn schedule(db: &impl ConnectionTrait, seller_id: i64) -> ServiceResult<Vec<i64>> {
    let row = invoice_schedules::Entity::find_by_id(seller_id)
        .one(db)
        .await?;
    Ok(match row {
        Some(r) => r
            .offsets
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect(),
        None => DEFAULT_OFFSETS.to_vec(),
    })
}

/// Sets the seller's reminder offsets (already checked) for invoices sent from now on.
pub async fn set_schedule(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    offsets: &[i64],
) -> ServiceResult<()> {
    let text = offsets
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(",");
    invoice_schedules::Entity::insert(invoice_schedules::ActiveModel {
        seller_id: Set(seller_id),
        offsets: Set(text),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(invoice_schedules::Column::SellerId)
            .update_columns([
                invoice_schedules::Column::Offsets,
                invoice_schedules::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(amount: i64) -> Line {
        Line {
            description: "Consulting".into(),
            quantity: 2,
            unit_amount: amount,
        }
    }

    #[test]
    fn public_ids_and_payloads_round_trip() {
        assert_eq!(parse_id(&public_id(42)), Some(42));
        for bad in ["42", "inv_", "inv_0", "inv_-2", "ct_4", "inv_4x"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
        assert_eq!(invoice_of_payload(&invoice_payload(7)), Some(7));
        assert!(is_invoice_payload(&invoice_payload(7)));
        assert_eq!(invoice_of_payload("sl:7"), None);
    }

    #[test]
    fn content_is_checked_and_totalled() {
        let now = Utc::now();
        let due = now + Duration::days(7);
        let ok = check(
            now,
            "eur",
            vec![line(1500), line(250)],
            due,
            Some(" thanks ".into()),
        )
        .unwrap();
        assert_eq!(ok.total, 3500);
        assert_eq!(ok.currency, "EUR");
        assert_eq!(ok.note.as_deref(), Some("thanks"));
        let bad = |currency: &str, lines: Vec<Line>, due, note: Option<String>| {
            check(now, currency, lines, due, note).unwrap_err()
        };
        assert_eq!(bad("euro", vec![line(1)], due, None), BadInvoice::Currency);
        assert_eq!(bad("EUR", vec![], due, None), BadInvoice::Lines);
        assert_eq!(bad("EUR", vec![line(0)], due, None), BadInvoice::Amount);
        assert_eq!(bad("EUR", vec![line(-5)], due, None), BadInvoice::Amount);
        assert_eq!(
            bad("EUR", vec![line(1)], now - Duration::hours(1), None),
            BadInvoice::DueDate
        );
        assert_eq!(
            bad("EUR", vec![line(1)], now + Duration::days(400), None),
            BadInvoice::DueDate
        );
        assert_eq!(
            bad("EUR", vec![line(1)], due, Some("x".repeat(1001))),
            BadInvoice::Note
        );
        let long = Line {
            description: "x".repeat(201),
            ..line(1)
        };
        assert_eq!(bad("EUR", vec![long], due, None), BadInvoice::Description);
        assert_eq!(bad("XTR", vec![line(60_000)], due, None), BadInvoice::Total);
        assert_eq!(
            bad("EUR", vec![line(i64::MAX)], due, None),
            BadInvoice::Total
        );
    }

    #[test]
    fn schedules_are_bounded() {
        assert_eq!(parse_offsets("7, -3 0 1").unwrap(), vec![-3, 0, 1, 7]);
        assert_eq!(parse_offsets("none").unwrap(), Vec::<i64>::new());
        for bad in ["1 1", "-31", "61", "a", "1 2 3 4 5 6 7"] {
            assert_eq!(parse_offsets(bad), Err(BadSchedule), "{bad}");
        }
    }
}
