//! Sellers' outgoing webhooks: endpoints a seller registers (per mode, live or test), events
//! written in the transaction of the change they describe ([`emit`]), and one delivery per
//! event and subscribed endpoint, posted by the [`worker`] in order per endpoint, signed
//! ([`signing`]), retried with back-off, dead-lettered after the last try and re-sendable.
//!
//! Everything a seller reaches is scoped by seller and mode: an id of another seller, or of
//! the other mode, is simply not found. Receivers get each event at least once (a crash
//! between the send and its record sends it again) and dedupe by `Tollgate-Event-Id`.
//! Signing secrets are stored sealed under `ENCRYPTION_KEY` when one is configured.
pub mod address;
pub mod signing;
pub mod worker;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, sea_query::Expr,
};
use serde::Serialize;

use crate::{
    jobs::{self, NewJob},
    services::{
        ServiceError,
        sealing::{self, SealError, Sealer},
    },
    storage::{
        Db, StorageError,
        entities::{webhook_deliveries, webhook_endpoints, webhook_events},
    },
};

/// What a webhook says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EventType {
    #[serde(rename = "member.joined")]
    MemberJoined,
    #[serde(rename = "member.left")]
    MemberLeft,
    #[serde(rename = "member.removed")]
    MemberRemoved,
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded,
    /// Defined for receivers; nothing refunds an access order yet, so none is sent.
    #[serde(rename = "payment.refunded")]
    PaymentRefunded,
    #[serde(rename = "subscription.started")]
    SubscriptionStarted,
    #[serde(rename = "subscription.renewed")]
    SubscriptionRenewed,
    /// A renewal charge failed: the subscription is past due.
    #[serde(rename = "subscription.payment_failed")]
    SubscriptionPaymentFailed,
    /// Recovered from past due, cancellation scheduled or withdrawn, retention offer taken.
    #[serde(rename = "subscription.updated")]
    SubscriptionUpdated,
    #[serde(rename = "subscription.expired")]
    SubscriptionExpired,
    #[serde(rename = "subscription.cancelled")]
    SubscriptionCancelled,
    #[serde(rename = "alert.posted")]
    AlertPosted,
    /// Sent to one endpoint on the seller's request ([`send_test`]); not subscribable.
    #[serde(rename = "webhook.test")]
    Test,
    #[serde(rename = "invoice.paid")]
    InvoicePaid,
    /// An open invoice passed its due date unpaid.
    #[serde(rename = "invoice.overdue")]
    InvoiceOverdue,
    #[serde(rename = "invoice.voided")]
    InvoiceVoided,
}

impl EventType {
    /// Every type an endpoint can subscribe to.
    pub const ALL: [EventType; 15] = [
        EventType::MemberJoined,
        EventType::MemberLeft,
        EventType::MemberRemoved,
        EventType::PaymentSucceeded,
        EventType::PaymentRefunded,
        EventType::SubscriptionStarted,
        EventType::SubscriptionRenewed,
        EventType::SubscriptionPaymentFailed,
        EventType::SubscriptionUpdated,
        EventType::SubscriptionExpired,
        EventType::SubscriptionCancelled,
        EventType::AlertPosted,
        EventType::InvoicePaid,
        EventType::InvoiceOverdue,
        EventType::InvoiceVoided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MemberJoined => "member.joined",
            EventType::MemberLeft => "member.left",
            EventType::MemberRemoved => "member.removed",
            EventType::PaymentSucceeded => "payment.succeeded",
            EventType::PaymentRefunded => "payment.refunded",
            EventType::SubscriptionStarted => "subscription.started",
            EventType::SubscriptionRenewed => "subscription.renewed",
            EventType::SubscriptionPaymentFailed => "subscription.payment_failed",
            EventType::SubscriptionUpdated => "subscription.updated",
            EventType::SubscriptionExpired => "subscription.expired",
            EventType::SubscriptionCancelled => "subscription.cancelled",
            EventType::AlertPosted => "alert.posted",
            EventType::Test => "webhook.test",
            EventType::InvoicePaid => "invoice.paid",
            EventType::InvoiceOverdue => "invoice.overdue",
            EventType::InvoiceVoided => "invoice.voided",
        }
    }

    /// A subscribable type by name.
    pub fn parse(s: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one error of the webhook services.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Input the seller can fix; `field` names it (`url`, `events`, `description`).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sea_orm::DbErr> for WebhookError {
    fn from(e: sea_orm::DbErr) -> Self {
        WebhookError::Storage(StorageError::Db(e))
    }
}

/// For the flows that emit events inside their own transactions ([`emit`] only fails in
/// storage).
impl From<WebhookError> for ServiceError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Storage(s) => ServiceError::Storage(s),
            invalid => ServiceError::Storage(StorageError::Corrupt(invalid.to_string())),
        }
    }
}

pub type WebhookResult<T> = Result<T, WebhookError>;

fn invalid(field: &'static str, message: impl Into<String>) -> WebhookError {
    WebhookError::Invalid {
        field,
        message: message.into(),
    }
}

/// The public id of an event (`evt_…`).
pub type EventId = String;

/// Endpoints a seller may have per mode.
pub const MAX_ENDPOINTS: usize = 16;
/// Failed attempts in a row after which an endpoint is disabled.
pub const DISABLE_AFTER: i32 = 20;
/// How long the secret before a rotation keeps signing.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);
/// Tells a seller that one of their endpoints was disabled (payload `{"endpoint": id}`).
pub const DISABLED_JOB: &str = "seller_webhook_disabled";

/// A seller's endpoint as they see it (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub id: i64,
    pub livemode: bool,
    pub url: String,
    pub description: String,
    /// The subscribed types; None for all.
    pub events: Option<Vec<String>>,
    /// `active` or `disabled`.
    pub status: String,
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    /// While a rotated-out secret still signs: until when.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Endpoint {
    fn of(row: &webhook_endpoints::Model) -> Endpoint {
        Endpoint {
            id: row.id,
            livemode: row.livemode,
            url: row.url.clone(),
            description: row.description.clone(),
            events: subscribed(row),
            status: row.status.clone(),
            consecutive_failures: row.consecutive_failures,
            disabled_at: row.disabled_at,
            previous_secret_expires_at: row.previous_secret_expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn subscribed(row: &webhook_endpoints::Model) -> Option<Vec<String>> {
    row.events
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok())
}

fn wants(row: &webhook_endpoints::Model, ty: EventType) -> bool {
    match subscribed(row) {
        None => true,
        Some(list) => list.iter().any(|t| t == ty.as_str()),
    }
}

/// What a seller asks for when adding an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewEndpoint {
    pub url: String,
    pub description: Option<String>,
    /// None (or a list with `*`) for all types.
    pub events: Option<Vec<String>>,
}

/// What an endpoint's sealed secrets are bound to: its seller and mode.
fn purpose(seller_id: i64, livemode: bool) -> String {
    let mode = if livemode { "live" } else { "test" };
    format!("webhook:{seller_id}:{mode}")
}

/// A new secret as it is stored: sealed under `ENCRYPTION_KEY` when one is configured.
fn keep_secret(
    sealer: Option<&Sealer>,
    seller_id: i64,
    livemode: bool,
    secret: &str,
) -> WebhookResult<String> {
    sealing::keep(sealer, &purpose(seller_id, livemode), secret).map_err(|e| {
        WebhookError::Storage(StorageError::Corrupt(format!(
            "cannot seal a webhook secret: {e}"
        )))
    })
}

/// The secrets an endpoint signs with now: its own, and the one it rotated out while that
/// still signs. `SealError::Open` when one is sealed and does not open with `sealer`.
pub fn signing_secrets(
    sealer: Option<&Sealer>,
    e: &webhook_endpoints::Model,
    now: DateTime<Utc>,
) -> Result<Vec<String>, SealError> {
    let purpose = purpose(e.seller_id, e.livemode);
    let mut secrets = vec![sealing::reveal(sealer, &purpose, &e.secret)?];
    if let (Some(previous), Some(until)) = (&e.previous_secret, e.previous_secret_expires_at)
        && until > now
    {
        secrets.push(sealing::reveal(sealer, &purpose, previous)?);
    }
    Ok(secrets)
}

fn new_secret() -> String {
    format!(
        "whsec_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn new_event_id() -> EventId {
    format!("evt_{}", uuid::Uuid::new_v4().simple())
}

/// The subscribed types, checked: None for all.
fn parse_events(events: Option<Vec<String>>) -> WebhookResult<Option<Vec<String>>> {
    let Some(list) = events else {
        return Ok(None);
    };
    if list.iter().any(|t| t == "*") {
        return Ok(None);
    }
    if list.is_empty() {
        return Err(invalid(
            "events",
            "name at least one event type, or * for all",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for t in list {
        let Some(ty) = EventType::parse(t.trim()) else {
            return Err(invalid(
                "events",
                format!(
                    "unknown event type '{t}' (one of: {})",
                    EventType::ALL.map(EventType::as_str).join(", ")
                ),
            ));
        };
        if !out.iter().any(|o| o == ty.as_str()) {
            out.push(ty.as_str().to_owned());
        }
    }
    Ok(Some(out))
}

/// Adds an endpoint: the URL must be https and resolve only to public addresses (unless
/// `allow_local`); returns it and its signing secret, shown this once.
#[tracing::instrument(skip_all, fields(seller_id, livemode))]
pub async fn create_endpoint(
    db: &Db,
    now: DateTime<Utc>,
    sealer: Option<&Sealer>,
    seller_id: i64,
    livemode: bool,
    new: NewEndpoint,
    allow_local: bool,
) -> WebhookResult<(Endpoint, String)> {
    if new.url.len() > 2048 {
        return Err(invalid("url", "at most 2048 characters"));
    }
    let url = address::check(&new.url, allow_local)
        .await
        .map_err(|e| invalid("url", e.to_string()))?;
    let description = new.description.unwrap_or_default().trim().to_owned();
    if description.chars().count() > 255 {
        return Err(invalid("description", "at most 255 characters"));
    }
    let events = parse_events(new.events)?;
    if endpoint_rows(db, seller_id, livemode).await?.len() >= MAX_ENDPOINTS {
        return Err(invalid(
            "url",
            format!("at most {MAX_ENDPOINTS} endpoints per mode"),
        ));
    }
    let secret = new_secret();
    let kept = keep_secret(sealer, seller_id, livemode, &secret)?;
    let res = webhook_endpoints::Entity::insert(webhook_endpoints::ActiveModel {
        seller_id: Set(seller_id),
        livemode: Set(livemode),
        url: Set(url.to_string()),
        description: Set(description),
        events: Set(events.map(|e| serde_json::Value::from(e).to_string())),
        secret: Set(kept),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        status: Set("active".into()),
        consecutive_failures: Set(0),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await?;
    let row = webhook_endpoints::Entity::find_by_id(res.last_insert_id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::Corrupt("the endpoint just written is gone".into()))?;
    Ok((Endpoint::of(&row), secret))
}

async fn endpoint_rows(
    db: &impl ConnectionTrait,
    seller_id: i64,
    livemode: bool,
) -> WebhookResult<Vec<webhook_endpoints::Model>> {
    Ok(webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::SellerId.eq(seller_id))
        .filter(webhook_endpoints::Column::Livemode.eq(livemode))
        .order_by_asc(webhook_endpoints::Column::Id)
        .all(db)
        .await?)
}

async fn endpoint_row(
    db: &impl ConnectionTrait,
    seller_id: i64,
    livemode: bool,
    id: i64,
) -> WebhookResult<Option<webhook_endpoints::Model>> {
    Ok(webhook_endpoints::Entity::find_by_id(id)
        .filter(webhook_endpoints::Column::SellerId.eq(seller_id))
        .filter(webhook_endpoints::Column::Livemode.eq(livemode))
        .one(db)
        .await?)
}

/// The seller's endpoints of one mode, oldest first.
pub async fn endpoints(db: &Db, seller_id: i64, livemode: bool) -> WebhookResult<Vec<Endpoint>> {
    Ok(endpoint_rows(db, seller_id, livemode)
        .await?
        .iter()
        .map(Endpoint::of)
        .collect())
}

pub async fn endpoint(
    db: &Db,
    seller_id: i64,
    livemode: bool,
    id: i64,
) -> WebhookResult<Option<Endpoint>> {
    Ok(endpoint_row(db, seller_id, livemode, id)
        .await?
        .as_ref()
        .map(Endpoint::of))
}

/// An endpoint by id alone, for Tollgate's own jobs (never for what a seller asks).
pub async fn endpoint_by_id(db: &Db, id: i64) -> WebhookResult<Option<(i64, Endpoint)>> {
    Ok(webhook_endpoints::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|row| (row.seller_id, Endpoint::of(&row))))
}

/// Deletes an endpoint and what is still waiting for it (its delivery log goes with it).
pub async fn delete_endpoint(
    db: &Db,
    seller_id: i64,
    livemode: bool,
    id: i64,
) -> WebhookResult<bool> {
    let txn = db.begin().await?;
    let n = webhook_endpoints::Entity::delete_many()
        .filter(webhook_endpoints::Column::Id.eq(id))
        .filter(webhook_endpoints::Column::SellerId.eq(seller_id))
        .filter(webhook_endpoints::Column::Livemode.eq(livemode))
        .exec(&txn)
        .await?
        .rows_affected;
    if n == 1 {
        webhook_deliveries::Entity::delete_many()
            .filter(webhook_deliveries::Column::EndpointId.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(n == 1)
}

/// A new signing secret; the old one keeps signing for [`ROTATION_OVERLAP`] so receivers can
/// switch without missing an event. Returns the new secret.
pub async fn rotate_secret(
    db: &Db,
    now: DateTime<Utc>,
    sealer: Option<&Sealer>,
    seller_id: i64,
    livemode: bool,
    id: i64,
) -> WebhookResult<Option<String>> {
    let Some(row) = endpoint_row(db, seller_id, livemode, id).await? else {
        return Ok(None);
    };
    let secret = new_secret();
    let kept = keep_secret(sealer, seller_id, livemode, &secret)?;
    let n = webhook_endpoints::Entity::update_many()
        .col_expr(webhook_endpoints::Column::Secret, Expr::value(kept))
        .col_expr(
            webhook_endpoints::Column::PreviousSecret,
            Expr::value(row.secret.clone()),
        )
        .col_expr(
            webhook_endpoints::Column::PreviousSecretExpiresAt,
            Expr::value(now + ROTATION_OVERLAP),
        )
        .col_expr(webhook_endpoints::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_endpoints::Column::Id.eq(row.id))
        // Two rotations at once: one wins, the other finds the secret changed.
        .filter(webhook_endpoints::Column::Secret.eq(row.secret))
        .exec(db)
        .await?
        .rows_affected;
    Ok((n == 1).then_some(secret))
}

/// Turns a disabled endpoint back on (its failure count starts again from zero).
pub async fn enable_endpoint(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    livemode: bool,
    id: i64,
) -> WebhookResult<bool> {
    let n = webhook_endpoints::Entity::update_many()
        .col_expr(webhook_endpoints::Column::Status, Expr::value("active"))
        .col_expr(
            webhook_endpoints::Column::ConsecutiveFailures,
            Expr::value(0),
        )
        .col_expr(
            webhook_endpoints::Column::DisabledAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(webhook_endpoints::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_endpoints::Column::Id.eq(id))
        .filter(webhook_endpoints::Column::SellerId.eq(seller_id))
        .filter(webhook_endpoints::Column::Livemode.eq(livemode))
        .exec(db)
        .await?
        .rows_affected;
    Ok(n == 1)
}

/// The body every delivery of an event carries, fields in this order.
#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    ty: &'a str,
    created: i64,
    livemode: bool,
    data: &'a serde_json::Value,
}

/// One event for [`emit_many`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub seller_id: i64,
    pub livemode: bool,
    pub event_type: EventType,
    pub data: serde_json::Value,
}

/// Writes an event and a pending delivery for each active endpoint of the seller, in this
/// mode, that subscribes to its type. Call it inside the transaction of the change the event
/// describes: both are kept, or neither.
pub async fn emit(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    seller_id: i64,
    livemode: bool,
    event_type: EventType,
    data: serde_json::Value,
) -> WebhookResult<EventId> {
    let mut ids = emit_many(
        conn,
        now,
        vec![NewEvent {
            seller_id,
            livemode,
            event_type,
            data,
        }],
    )
    .await?;
    Ok(ids.pop().expect("one event in, one id out"))
}

/// [`emit`] for many events at once (the sweeper's batches): one statement for the endpoints,
/// one for the events, one for the deliveries. Returns the events' ids in order.
pub async fn emit_many(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    events: Vec<NewEvent>,
) -> WebhookResult<Vec<EventId>> {
    emit_to(conn, now, events, None).await
}

/// Writes `events`; their deliveries go to `only` when given (a test event), else to every
/// active subscribed endpoint.
async fn emit_to(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    events: Vec<NewEvent>,
    only: Option<&webhook_endpoints::Model>,
) -> WebhookResult<Vec<EventId>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<EventId> = events.iter().map(|_| new_event_id()).collect();
    let rows: Vec<webhook_events::ActiveModel> = events
        .iter()
        .zip(&ids)
        .map(|(e, id)| {
            let body = Body {
                id,
                ty: e.event_type.as_str(),
                created: now.timestamp(),
                livemode: e.livemode,
                data: &e.data,
            };
            webhook_events::ActiveModel {
                public_id: Set(id.clone()),
                seller_id: Set(e.seller_id),
                livemode: Set(e.livemode),
                event_type: Set(e.event_type.as_str().to_owned()),
                payload: Set(serde_json::to_string(&body).expect("an event body serialises")),
                created_at: Set(now),
                ..Default::default()
            }
        })
        .collect();
    let endpoints: Vec<webhook_endpoints::Model> = match only {
        Some(one) => vec![one.clone()],
        None => {
            let mut sellers: Vec<i64> = events.iter().map(|e| e.seller_id).collect();
            sellers.sort_unstable();
            sellers.dedup();
            webhook_endpoints::Entity::find()
                .filter(webhook_endpoints::Column::SellerId.is_in(sellers))
                .filter(webhook_endpoints::Column::Status.eq("active"))
                .order_by_asc(webhook_endpoints::Column::Id)
                .all(conn)
                .await?
        }
    };
    for chunk in rows.chunks(500) {
        webhook_events::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    // Which endpoints get which event; nothing more to write when none.
    let targets: Vec<(usize, &webhook_endpoints::Model)> = events
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            endpoints
                .iter()
                .filter(move |ep| {
                    only.is_some()
                        || (ep.seller_id == e.seller_id
                            && ep.livemode == e.livemode
                            && wants(ep, e.event_type))
                })
                .map(move |ep| (i, ep))
        })
        .collect();
    if targets.is_empty() {
        return Ok(ids);
    }
    let mut row_ids = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<(i64, String)> = webhook_events::Entity::find()
            .select_only()
            .column(webhook_events::Column::Id)
            .column(webhook_events::Column::PublicId)
            .filter(webhook_events::Column::PublicId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(conn)
            .await?;
        row_ids.extend(found.into_iter().map(|(id, public)| (public, id)));
    }
    let deliveries: Vec<webhook_deliveries::ActiveModel> = targets
        .into_iter()
        .map(|(i, ep)| webhook_deliveries::ActiveModel {
            event_id: Set(row_ids[&ids[i]]),
            endpoint_id: Set(ep.id),
            seller_id: Set(ep.seller_id),
            status: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            last_duration_ms: Set(None),
            delivered_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in deliveries.chunks(500) {
        webhook_deliveries::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(ids)
}

/// Queues a `webhook.test` event for one endpoint; its id, or None when the endpoint is not
/// the seller's (in this mode).
pub async fn send_test(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    livemode: bool,
    id: i64,
) -> WebhookResult<Option<EventId>> {
    let Some(row) = endpoint_row(db, seller_id, livemode, id).await? else {
        return Ok(None);
    };
    let event = NewEvent {
        seller_id,
        livemode,
        event_type: EventType::Test,
        data: serde_json::json!({
            "endpoint": row.id,
            "message": "A test event from Tollgate.",
        }),
    };
    let txn = db.begin().await?;
    let mut ids = emit_to(&txn, now, vec![event], Some(&row)).await?;
    txn.commit().await?;
    Ok(ids.pop())
}

/// An event as the seller sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// `evt_…`
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created: DateTime<Utc>,
    pub livemode: bool,
    pub data: serde_json::Value,
}

/// One delivery of an event, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    /// `pending`, `succeeded` or `dead`.
    pub status: String,
    pub attempts: i32,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Delivery {
    fn of(d: webhook_deliveries::Model) -> Delivery {
        Delivery {
            id: d.id,
            endpoint_id: d.endpoint_id,
            next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
            status: d.status,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            last_duration_ms: d.last_duration_ms,
            delivered_at: d.delivered_at,
            updated_at: d.updated_at,
        }
    }
}

/// An event and what became of its deliveries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventWithDeliveries {
    /// Pass as `after_cursor` to [`events`] for the next (older) page.
    pub cursor: i64,
    #[serde(flatten)]
    pub event: Event,
    pub deliveries: Vec<Delivery>,
}

fn event_of(row: &webhook_events::Model) -> Event {
    let body: serde_json::Value = serde_json::from_str(&row.payload).unwrap_or_default();
    Event {
        id: row.public_id.clone(),
        event_type: row.event_type.clone(),
        created: row.created_at,
        livemode: row.livemode,
        data: body.get("data").cloned().unwrap_or_default(),
    }
}

/// The seller's events of one mode, newest first, older than `after_cursor` when given, each
/// with its deliveries.
pub async fn events(
    db: &Db,
    seller_id: i64,
    livemode: bool,
    after_cursor: Option<i64>,
    limit: u64,
) -> WebhookResult<Vec<EventWithDeliveries>> {
    let mut q = webhook_events::Entity::find()
        .filter(webhook_events::Column::SellerId.eq(seller_id))
        .filter(webhook_events::Column::Livemode.eq(livemode));
    if let Some(cursor) = after_cursor {
        q = q.filter(webhook_events::Column::Id.lt(cursor));
    }
    let rows = q
        .order_by_desc(webhook_events::Column::Id)
        .limit(limit.clamp(1, 101))
        .all(db)
        .await?;
    let deliveries = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::EventId.is_in(rows.iter().map(|r| r.id)))
        .filter(webhook_deliveries::Column::SellerId.eq(seller_id))
        .order_by_asc(webhook_deliveries::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .map(|row| EventWithDeliveries {
            cursor: row.id,
            event: event_of(row),
            deliveries: deliveries
                .iter()
                .filter(|d| d.event_id == row.id)
                .cloned()
                .map(Delivery::of)
                .collect(),
        })
        .collect())
}

/// A line of the bot's delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentDelivery {
    pub delivery: Delivery,
    pub event_type: String,
    pub livemode: bool,
}

/// The seller's newest deliveries, both modes.
pub async fn recent_deliveries(
    db: &Db,
    seller_id: i64,
    limit: u64,
) -> WebhookResult<Vec<RecentDelivery>> {
    let rows = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::SellerId.eq(seller_id))
        .order_by_desc(webhook_deliveries::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let events = webhook_events::Entity::find()
        .filter(webhook_events::Column::Id.is_in(rows.iter().map(|d| d.event_id)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|d| {
            let e = events.iter().find(|e| e.id == d.event_id)?;
            Some(RecentDelivery {
                event_type: e.event_type.clone(),
                livemode: e.livemode,
                delivery: Delivery::of(d),
            })
        })
        .collect())
}

/// Queues a dead-lettered delivery again (its tries start over); false when it is not the
/// seller's in this mode, or not dead.
pub async fn resend(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    livemode: bool,
    delivery_id: i64,
) -> WebhookResult<bool> {
    let Some(d) = webhook_deliveries::Entity::find_by_id(delivery_id)
        .filter(webhook_deliveries::Column::SellerId.eq(seller_id))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if endpoint_row(db, seller_id, livemode, d.endpoint_id)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let n = webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value("pending"))
        .col_expr(webhook_deliveries::Column::Attempts, Expr::value(0))
        .col_expr(webhook_deliveries::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            webhook_deliveries::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_deliveries::Column::Id.eq(d.id))
        .filter(webhook_deliveries::Column::Status.eq("dead"))
        .exec(db)
        .await?
        .rows_affected;
    Ok(n == 1)
}

/// The job that tells a seller their endpoint was disabled, written with the change.
fn disabled_job(now: DateTime<Utc>, endpoint: i64) -> NewJob {
    NewJob {
        dedupe_key: Some(format!("{DISABLED_JOB}:{endpoint}:{}", now.timestamp())),
        max_attempts: 20,
        ..NewJob::now(
            DISABLED_JOB,
            serde_json::json!({ "endpoint": endpoint }),
            now,
        )
    }
}

async fn enqueue_disabled(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    endpoint: i64,
) -> WebhookResult<()> {
    jobs::enqueue(conn, now, disabled_job(now, endpoint)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_and_the_test_type_is_not_subscribable() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::Value::from(t.as_str())
            );
        }
        assert_eq!(EventType::parse("webhook.test"), None);
    }

    #[test]
    fn subscriptions_are_checked_and_star_means_all() {
        assert_eq!(parse_events(None).unwrap(), None);
        assert_eq!(parse_events(Some(vec!["*".into()])).unwrap(), None);
        assert_eq!(
            parse_events(Some(vec![
                "member.joined".into(),
                "member.joined".into(),
                "alert.posted".into()
            ]))
            .unwrap(),
            Some(vec!["member.joined".to_owned(), "alert.posted".to_owned()])
        );
        assert!(matches!(
            parse_events(Some(vec!["member.exploded".into()])),
            Err(WebhookError::Invalid {
                field: "events",
                ..
            })
        ));
        assert!(parse_events(Some(vec![])).is_err());
    }
}
