//! Sellers' orders and the customer's packing notices.
//!
//! An order comes from the seller's shop (the API, or a Shopify or WooCommerce webhook) and is
//! unique by seller, mode, platform and the shop's id: the same order posted twice is one
//! order, and a repeat with another body changes nothing. Its status moves through
//! [`Change`]s: `new → confirmed → packing → (item packed)* → shipped → delivered`, and
//! `cancelled` from anything before `delivered`. A change that is not allowed from where the
//! order stands is refused and changes nothing ([`Refused::Transition`]).
//!
//! Each accepted change is one row in `seller_order_events`, unique by order, change and item,
//! written in the same transaction as a conditional update of the order (`… WHERE status =
//! <the status it leaves>`) and the job that sends the customer's message. So a retried
//! update, or two at once, make one change and one message.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use serde::{Deserialize, Serialize};

use crate::{
    jobs::{self, NewJob},
    sellers::tenant::{Page, Tenant},
    services::ServiceResult,
    storage::{
        Db,
        entities::{seller_order_events, seller_orders},
    },
};

pub type Order = seller_orders::Model;
pub type OrderEvent = seller_order_events::Model;

/// The job that sends the customer the message of one order event.
pub const MESSAGE_JOB: &str = "order_message";
/// The prefix of an order's public id (`ord_42`).
pub const ID_PREFIX: &str = "ord_";
/// Items an order may list.
pub const ITEMS_MAX: usize = 100;
/// Characters of an item's name.
pub const ITEM_NAME_MAX: usize = 200;
/// Characters of a platform's name and of an external id.
pub const PLATFORM_MAX: usize = 32;
pub const EXTERNAL_ID_MAX: usize = 128;
/// Characters of a carrier, a tracking number and a tracking URL.
pub const CARRIER_MAX: usize = 64;
pub const TRACKING_MAX: usize = 128;
pub const TRACKING_URL_MAX: usize = 512;

pub fn public_id(id: i64) -> String {
    format!("{ID_PREFIX}{id}")
}

pub fn parse_id(s: &str) -> Option<i64> {
    s.strip_prefix(ID_PREFIX)?
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    New,
    Confirmed,
    Packing,
    Shipped,
    Delivered,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Confirmed => "confirmed",
            Status::Packing => "packing",
            Status::Shipped => "shipped",
            Status::Delivered => "delivered",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "new" => Status::New,
            "confirmed" => Status::Confirmed,
            "packing" => Status::Packing,
            "shipped" => Status::Shipped,
            "delivered" => Status::Delivered,
            "cancelled" => Status::Cancelled,
            _ => return None,
        })
    }
}

/// A change of an order's status; each sends the customer one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    Confirmed,
    Packing,
    /// One item is packed (the order is then `packing`).
    ItemPacked,
    Shipped,
    Delivered,
    Cancelled,
}

impl Change {
    pub const ALL: [Change; 6] = [
        Change::Confirmed,
        Change::Packing,
        Change::ItemPacked,
        Change::Shipped,
        Change::Delivered,
        Change::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Confirmed => "confirmed",
            Change::Packing => "packing",
            Change::ItemPacked => "item_packed",
            Change::Shipped => "shipped",
            Change::Delivered => "delivered",
            Change::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The status the order has after the change.
    pub fn leads_to(self) -> Status {
        match self {
            Change::Confirmed => Status::Confirmed,
            Change::Packing | Change::ItemPacked => Status::Packing,
            Change::Shipped => Status::Shipped,
            Change::Delivered => Status::Delivered,
            Change::Cancelled => Status::Cancelled,
        }
    }

    /// Whether an order in `from` may take this change.
    pub fn allowed_from(self, from: Status) -> bool {
        use Status::*;
        match self {
            Change::Confirmed => from == New,
            Change::Packing => matches!(from, New | Confirmed),
            Change::ItemPacked => matches!(from, Confirmed | Packing),
            Change::Shipped => matches!(from, New | Confirmed | Packing),
            Change::Delivered => from == Shipped,
            Change::Cancelled => matches!(from, New | Confirmed | Packing | Shipped),
        }
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    pub quantity: i64,
    #[serde(default)]
    pub packed: bool,
}

/// What the customer calls the order: its number, else its id.
pub fn label(order: &Order) -> &str {
    order.reference.as_deref().unwrap_or(&order.external_id)
}

pub fn items_of(order: &Order) -> Vec<Item> {
    serde_json::from_str(&order.items).unwrap_or_default()
}

/// Input that cannot be taken, naming its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadOrder {
    #[error("platform: 1 to 32 lowercase letters, digits, '-' or '_'")]
    Platform,
    #[error("external_id: 1 to 128 visible characters")]
    ExternalId,
    #[error(
        "items: 1 to 100 items, each with a name of 1 to 200 characters and a quantity of 1 to 100000"
    )]
    Items,
    #[error("reference: 1 to 128 visible characters")]
    Reference,
}

impl BadOrder {
    pub fn field(&self) -> &'static str {
        match self {
            BadOrder::Platform => "platform",
            BadOrder::ExternalId => "external_id",
            BadOrder::Items => "items",
            BadOrder::Reference => "reference",
        }
    }
}

/// An order to record, already checked ([`NewOrder::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub platform: String,
    pub external_id: String,
    /// The number the customer knows it by, when it differs from the id.
    pub reference: Option<String>,
    pub items: Vec<Item>,
}

impl NewOrder {
    /// With the number the customer knows the order by.
    pub fn with_reference(mut self, reference: Option<&str>) -> Result<NewOrder, BadOrder> {
        self.reference = match reference.map(str::trim) {
            None => None,
            Some(r)
                if !r.is_empty()
                    && r.chars().count() <= EXTERNAL_ID_MAX
                    && !r.chars().any(char::is_control) =>
            {
                Some(r.to_owned())
            }
            Some(_) => return Err(BadOrder::Reference),
        };
        Ok(self)
    }

    pub fn parse(
        platform: &str,
        external_id: &str,
        items: Vec<(String, i64)>,
    ) -> Result<NewOrder, BadOrder> {
        let platform = platform.trim();
        if platform.is_empty()
            || platform.len() > PLATFORM_MAX
            || !platform
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(BadOrder::Platform);
        }
        let external_id = external_id.trim();
        if external_id.is_empty()
            || external_id.chars().count() > EXTERNAL_ID_MAX
            || external_id.chars().any(char::is_control)
        {
            return Err(BadOrder::ExternalId);
        }
        if items.is_empty() || items.len() > ITEMS_MAX {
            return Err(BadOrder::Items);
        }
        let items = items
            .into_iter()
            .map(|(name, quantity)| {
                let name = name.trim().to_owned();
                let ok = (1..=ITEM_NAME_MAX).contains(&name.chars().count())
                    && !name.chars().any(char::is_control)
                    && (1..=100_000).contains(&quantity);
                ok.then_some(Item {
                    name,
                    quantity,
                    packed: false,
                })
                .ok_or(BadOrder::Items)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewOrder {
            platform: platform.to_owned(),
            external_id: external_id.to_owned(),
            reference: None,
            items,
        })
    }
}

/// Records the order once: an order with the same platform and external id is returned as it
/// is, whatever this one says. The order, and whether it is new.
#[tracing::instrument(skip_all, fields(seller = t.seller_id))]
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    order: &NewOrder,
    contact_id: i64,
    user_id: i64,
) -> ServiceResult<(Order, bool)> {
    let inserted = seller_orders::Entity::insert(seller_orders::ActiveModel {
        seller_id: Set(t.seller_id),
        livemode: Set(t.livemode),
        platform: Set(order.platform.clone()),
        external_id: Set(order.external_id.clone()),
        reference: Set(order.reference.clone()),
        contact_id: Set(contact_id),
        user_id: Set(user_id),
        status: Set(Status::New.as_str().into()),
        items: Set(serde_json::to_string(&order.items).unwrap_or_else(|_| "[]".into())),
        carrier: Set(None),
        tracking_number: Set(None),
        tracking_url: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            seller_orders::Column::SellerId,
            seller_orders::Column::Livemode,
            seller_orders::Column::Platform,
            seller_orders::Column::ExternalId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let found = by_external(db, t, &order.platform, &order.external_id)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("an order just recorded".into()))?;
    Ok((found, inserted == 1))
}

/// The tenant's order with this platform and external id.
pub async fn by_external(
    db: &impl ConnectionTrait,
    t: Tenant,
    platform: &str,
    external_id: &str,
) -> ServiceResult<Option<Order>> {
    Ok(seller_orders::Entity::find()
        .filter(seller_orders::Column::SellerId.eq(t.seller_id))
        .filter(seller_orders::Column::Livemode.eq(t.livemode))
        .filter(seller_orders::Column::Platform.eq(platform))
        .filter(seller_orders::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}

/// The tenant's order `id`.
pub async fn get(db: &impl ConnectionTrait, t: Tenant, id: i64) -> ServiceResult<Option<Order>> {
    Ok(seller_orders::Entity::find_by_id(id)
        .filter(seller_orders::Column::SellerId.eq(t.seller_id))
        .filter(seller_orders::Column::Livemode.eq(t.livemode))
        .one(db)
        .await?)
}

/// The tenant's orders by id after `after`.
pub async fn list(
    db: &Db,
    t: Tenant,
    after: Option<i64>,
    limit: u64,
    only: &OrderFilter,
) -> ServiceResult<Page<Order>> {
    let mut q = seller_orders::Entity::find()
        .filter(seller_orders::Column::SellerId.eq(t.seller_id))
        .filter(seller_orders::Column::Livemode.eq(t.livemode))
        .filter(seller_orders::Column::Id.gt(after.unwrap_or(0)));
    if let Some(st) = only.status {
        q = q.filter(seller_orders::Column::Status.eq(st.as_str()));
    }
    if let Some(p) = &only.platform {
        q = q.filter(seller_orders::Column::Platform.eq(p.as_str()));
    }
    if let Some(c) = only.contact_id {
        q = q.filter(seller_orders::Column::ContactId.eq(c));
    }
    if let Some(u) = only.user_id {
        q = q.filter(seller_orders::Column::UserId.eq(u));
    }
    let mut rows = q
        .order_by_asc(seller_orders::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page { rows, more })
}

/// Which of the tenant's orders a list holds; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub status: Option<Status>,
    pub platform: Option<String>,
    pub contact_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// The changes an order went through, oldest first.
pub async fn events(db: &Db, order_id: i64) -> ServiceResult<Vec<OrderEvent>> {
    Ok(seller_order_events::Entity::find()
        .filter(seller_order_events::Column::OrderId.eq(order_id))
        .order_by_asc(seller_order_events::Column::Id)
        .all(db)
        .await?)
}

/// Where a shipment can be followed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracking {
    pub carrier: String,
    pub number: String,
    pub url: Option<String>,
}

/// A change asked for, with what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub change: Change,
    /// `item_packed`: the item's name, as the order lists it.
    pub item: Option<String>,
    /// `shipped`: where to follow it.
    pub tracking: Option<Tracking>,
}

/// A change that was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not allowed from where the order stands.
    Transition { from: Status, to: Change },
    /// `item_packed` naming no item of the order.
    UnknownItem,
}

/// What an update did.
#[derive(Debug, Clone)]
pub enum Applied {
    /// The change was made; the customer's message is queued.
    Changed(Order),
    /// The same change was made before and the order still stands where it left it (a
    /// retry): nothing changed, nothing more is sent.
    Repeated(Order),
}

/// Applies `update` to the tenant's order `id` (None: no such order).
#[tracing::instrument(skip_all, fields(seller = t.seller_id, order = id))]
pub async fn apply(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    id: i64,
    update: &Update,
) -> ServiceResult<Option<Result<Applied, Refused>>> {
    // A concurrent change may move the order between the read and the conditional update:
    // read again and decide again (a handful of rounds settles any real contention).
    for _ in 0..5 {
        let txn = db.begin().await?;
        let Some(order) = get(&txn, t, id).await? else {
            return Ok(None);
        };
        match try_apply(&txn, now, &order, update).await? {
            Some(outcome) => {
                if matches!(outcome, Ok(Applied::Changed(_))) {
                    txn.commit().await?;
                } else {
                    txn.rollback().await?;
                }
                return Ok(Some(outcome));
            }
            None => txn.rollback().await?,
        }
    }
    Err(sea_orm::DbErr::Custom("the order kept changing under the update".into()).into())
}

/// One round of [`apply`] in `txn`; None when the order moved meanwhile.
async fn try_apply(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    order: &Order,
    update: &Update,
) -> ServiceResult<Option<Result<Applied, Refused>>> {
    let change = update.change;
    let from = Status::parse(&order.status).unwrap_or(Status::New);
    let mut items = items_of(order);
    let item = match change {
        Change::ItemPacked => {
            let wanted = update.item.as_deref().unwrap_or("").trim();
            match items.iter_mut().find(|i| i.name == wanted) {
                Some(i) => {
                    i.packed = true;
                    i.name.clone()
                }
                None => return Ok(Some(Err(Refused::UnknownItem))),
            }
        }
        _ => String::new(),
    };
    let done_before = seller_order_events::Entity::find()
        .filter(seller_order_events::Column::OrderId.eq(order.id))
        .filter(seller_order_events::Column::Status.eq(change.as_str()))
        .filter(seller_order_events::Column::Item.eq(item.clone()))
        .one(txn)
        .await?
        .is_some();
    // The same change again while the order still stands where it left it: a retry.
    if done_before && change.leads_to() == from {
        return Ok(Some(Ok(Applied::Repeated(order.clone()))));
    }
    if !change.allowed_from(from) {
        return Ok(Some(Err(Refused::Transition { from, to: change })));
    }
    let inserted = seller_order_events::Entity::insert(seller_order_events::ActiveModel {
        order_id: Set(order.id),
        seller_id: Set(order.seller_id),
        livemode: Set(order.livemode),
        status: Set(change.as_str().into()),
        item: Set(item),
        outcome: Set("queued".into()),
        message_id: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            seller_order_events::Column::OrderId,
            seller_order_events::Column::Status,
            seller_order_events::Column::Item,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 0 {
        // Made by a concurrent update since the look above.
        return Ok(None);
    }
    let mut q = seller_orders::Entity::update_many()
        .col_expr(
            seller_orders::Column::Status,
            Expr::value(change.leads_to().as_str()),
        )
        .col_expr(
            seller_orders::Column::Items,
            Expr::value(serde_json::to_string(&items).unwrap_or_else(|_| "[]".into())),
        )
        .col_expr(seller_orders::Column::UpdatedAt, Expr::value(now))
        .filter(seller_orders::Column::Id.eq(order.id))
        .filter(seller_orders::Column::Status.eq(order.status.clone()))
        .filter(seller_orders::Column::Items.eq(order.items.clone()));
    if let (Change::Shipped, Some(tr)) = (change, &update.tracking) {
        q = q
            .col_expr(
                seller_orders::Column::Carrier,
                Expr::value(tr.carrier.clone()),
            )
            .col_expr(
                seller_orders::Column::TrackingNumber,
                Expr::value(tr.number.clone()),
            )
            .col_expr(
                seller_orders::Column::TrackingUrl,
                Expr::value(tr.url.clone()),
            );
    }
    if q.exec(txn).await?.rows_affected == 0 {
        return Ok(None);
    }
    let event = seller_order_events::Entity::find()
        .filter(seller_order_events::Column::OrderId.eq(order.id))
        .filter(seller_order_events::Column::Status.eq(change.as_str()))
        .order_by_desc(seller_order_events::Column::Id)
        .one(txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("an order event just written".into()))?;
    let mut job = NewJob::now(MESSAGE_JOB, serde_json::json!({ "event": event.id }), now);
    job.dedupe_key = Some(format!("order_msg:{}", event.id));
    jobs::enqueue(txn, now, job).await?;
    let t = Tenant {
        seller_id: order.seller_id,
        livemode: order.livemode,
    };
    let after = get(txn, t, order.id)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("an order just changed".into()))?;
    Ok(Some(Ok(Applied::Changed(after))))
}

/// An order event and its order, for the message job.
pub async fn event(db: &Db, id: i64) -> ServiceResult<Option<(OrderEvent, Order)>> {
    let Some(event) = seller_order_events::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let order = seller_orders::Entity::find_by_id(event.order_id)
        .one(db)
        .await?;
    Ok(order.map(|o| (event, o)))
}

/// How an event's message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        message_id: i32,
    },
    /// The customer stopped the seller's messages.
    Stopped,
    /// The customer blocked the bot or left Telegram.
    Unreachable,
    /// Telegram never answered: it may have been delivered, so it is not sent again.
    Uncertain,
}

/// Claims `event`'s message for sending (`queued` → `sending`); false when it is not queued.
/// A run that finds its event `sending` follows one that died between the send and its
/// record: the message may have gone out, so it is not sent again.
pub async fn begin_send(db: &Db, event: &OrderEvent) -> ServiceResult<bool> {
    let res = seller_order_events::Entity::update_many()
        .col_expr(seller_order_events::Column::Outcome, Expr::value("sending"))
        .filter(seller_order_events::Column::Id.eq(event.id))
        .filter(seller_order_events::Column::Outcome.eq("queued"))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Gives a claimed message back to the queue (Telegram asked to wait, or was down).
pub async fn requeue(db: &Db, event: &OrderEvent) -> ServiceResult<()> {
    seller_order_events::Entity::update_many()
        .col_expr(seller_order_events::Column::Outcome, Expr::value("queued"))
        .filter(seller_order_events::Column::Id.eq(event.id))
        .filter(seller_order_events::Column::Outcome.eq("sending"))
        .exec(db)
        .await?;
    Ok(())
}

/// Records how `event`'s message ended (once: a later call changes nothing). A sent message
/// counts as a message sent for the seller.
pub async fn finish(
    db: &Db,
    now: DateTime<Utc>,
    event: &OrderEvent,
    outcome: Outcome,
) -> ServiceResult<()> {
    let (name, message_id) = match outcome {
        Outcome::Sent { message_id } => ("sent", Some(message_id)),
        Outcome::Stopped => ("stopped", None),
        Outcome::Unreachable => ("unreachable", None),
        Outcome::Uncertain => ("uncertain", None),
    };
    let res = seller_order_events::Entity::update_many()
        .col_expr(seller_order_events::Column::Outcome, Expr::value(name))
        .col_expr(
            seller_order_events::Column::MessageId,
            Expr::value(message_id),
        )
        .col_expr(seller_order_events::Column::SentAt, Expr::value(now))
        .filter(seller_order_events::Column::Id.eq(event.id))
        .filter(seller_order_events::Column::Outcome.is_in(["queued", "sending"]))
        .exec(db)
        .await?;
    if res.rows_affected == 1 && message_id.is_some() {
        let t = Tenant {
            seller_id: event.seller_id,
            livemode: event.livemode,
        };
        super::usage::record(db, t, now, super::usage::Metric::MessagesSent, 1).await?;
    }
    Ok(())
}

/// Who an order is for, as the shop names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Customer {
    /// The seller's contact (`ct_…`).
    Contact(i64),
    /// A Telegram user id.
    TelegramUser(i64),
}

/// Why an order's customer cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoCustomer {
    /// No such contact of this seller in this mode.
    UnknownContact,
    /// Not a Telegram user id.
    BadUserId,
    /// The user never started the bot: nothing could reach them.
    NeedsStart,
}

/// The contact an order is for: an existing contact, or the Telegram user made a contact
/// (`api`) when they have started the bot. Nothing is recorded when the answer is `Err`.
pub async fn customer(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    who: Customer,
) -> ServiceResult<Result<super::contacts::Contact, NoCustomer>> {
    use super::contacts;
    let contact = match who {
        Customer::Contact(id) => match contacts::get(db, t, id).await? {
            Some(c) => c,
            None => return Ok(Err(NoCustomer::UnknownContact)),
        },
        Customer::TelegramUser(user) => {
            if contacts::check_user(user).is_err() {
                return Ok(Err(NoCustomer::BadUserId));
            }
            if contacts::status(db, t.seller_id, user).await? == contacts::Status::Pending {
                return Ok(Err(NoCustomer::NeedsStart));
            }
            contacts::record(db, now, t, user, contacts::Source::Api)
                .await?
                .0
        }
    };
    if contacts::status(db, t.seller_id, contact.user_id).await? == contacts::Status::Pending {
        return Ok(Err(NoCustomer::NeedsStart));
    }
    Ok(Ok(contact))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_order_of_things() {
        use Status::*;
        assert!(Change::Confirmed.allowed_from(New));
        assert!(Change::ItemPacked.allowed_from(Packing));
        assert!(Change::Delivered.allowed_from(Shipped));
        assert!(Change::Cancelled.allowed_from(Shipped));
        for back in [Change::Packing, Change::Confirmed, Change::ItemPacked] {
            assert!(!back.allowed_from(Delivered), "{back:?}");
            assert!(!back.allowed_from(Shipped), "{back:?}");
        }
        for to in Change::ALL {
            assert!(!to.allowed_from(Cancelled), "{to:?}");
        }
        assert!(!Change::Cancelled.allowed_from(Delivered));
        assert!(!Change::Delivered.allowed_from(Packing));
        for c in Change::ALL {
            assert_eq!(Change::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn new_orders_are_checked() {
        let item = |n: &str, q| (n.to_owned(), q);
        assert!(NewOrder::parse("shopify", "1001", vec![item("Mug", 2)]).is_ok());
        assert_eq!(
            NewOrder::parse("Shop!", "1", vec![item("Mug", 1)]),
            Err(BadOrder::Platform)
        );
        assert_eq!(
            NewOrder::parse("api", " ", vec![item("Mug", 1)]),
            Err(BadOrder::ExternalId)
        );
        assert_eq!(NewOrder::parse("api", "1", vec![]), Err(BadOrder::Items));
        assert_eq!(
            NewOrder::parse("api", "1", vec![item("Mug", 0)]),
            Err(BadOrder::Items)
        );
        assert_eq!(parse_id(&public_id(7)), Some(7));
        assert_eq!(parse_id("ord_0"), None);
    }
}
