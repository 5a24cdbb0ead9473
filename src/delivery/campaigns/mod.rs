//! Campaigns: one message sent to many chats (a broadcast), or a gift (credits or a pass)
//! granted to many users and announced to each, durably.
//!
//! [`create`] validates the message, writes the campaign and materialises its recipients (one
//! `campaign_deliveries` row each, in one `INSERT … SELECT`); [`pause`], [`resume`] and
//! [`cancel`] move it through its states; [`progress`] and [`unreachable_users`] report on it.
//! The [`runner`] (an edge module: it talks to Telegram) sends what is due.
//!
//! Everything here except the runner is a service: it takes a [`Db`] and the time and returns
//! outcomes; no Telegram, HTTP or app-context types.
pub mod audience;
pub mod queries;
pub mod runner;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryResult};
use serde::{Deserialize, Serialize};

pub use audience::{Audience, count};

use crate::{
    accounts::credits::{self, Granted, Movement, Reason},
    billing::passes::{self, PassKind},
    services::ServiceError,
    storage::{self, Db, StorageError, entities::time_passes},
};

/// The most a text message may hold (Telegram's limit).
pub const MAX_TEXT: usize = 4096;
/// The most a media caption may hold (Telegram's limit).
pub const MAX_CAPTION: usize = 1024;
/// The most a gift's note may hold (it goes out under the gift's message).
pub const MAX_NOTE: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("the message has no text and no media")]
    EmptyMessage,
    #[error("the text is {len} characters long; Telegram takes at most {max}")]
    TextTooLong { len: usize, max: usize },
    #[error("the caption is {len} characters long; Telegram takes at most {max}")]
    CaptionTooLong { len: usize, max: usize },
    #[error("button {0}: a button needs a label and an http(s) or tg:// link")]
    BadButton(usize),
    #[error("the gift is not valid: {0}")]
    BadGift(&'static str),
    #[error("the audience holds nobody who can be written to")]
    EmptyAudience,
    #[error("there is no campaign {0}")]
    NotFound(i64),
    #[error("a {from} campaign cannot be {to}")]
    IllegalMove {
        from: CampaignStatus,
        to: &'static str,
    },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for CampaignError {
    fn from(e: sea_orm::DbErr) -> Self {
        CampaignError::Service(e.into())
    }
}

impl From<StorageError> for CampaignError {
    fn from(e: StorageError) -> Self {
        CampaignError::Service(e.into())
    }
}

pub type CampaignResult<T> = Result<T, CampaignError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignKind {
    Broadcast,
    Gift,
}

impl CampaignKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::Broadcast => "broadcast",
            CampaignKind::Gift => "gift",
        }
    }

    fn parse(s: &str) -> Result<Self, StorageError> {
        match s {
            "broadcast" => Ok(CampaignKind::Broadcast),
            "gift" => Ok(CampaignKind::Gift),
            other => Err(StorageError::Corrupt(format!("campaign kind '{other}'"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignStatus {
    Scheduled,
    Running,
    Paused,
    Cancelled,
    Done,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Running => "running",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Cancelled => "cancelled",
            CampaignStatus::Done => "done",
        }
    }

    fn parse(s: &str) -> Result<Self, StorageError> {
        match s {
            "scheduled" => Ok(CampaignStatus::Scheduled),
            "running" => Ok(CampaignStatus::Running),
            "paused" => Ok(CampaignStatus::Paused),
            "cancelled" => Ok(CampaignStatus::Cancelled),
            "done" => Ok(CampaignStatus::Done),
            other => Err(StorageError::Corrupt(format!("campaign status '{other}'"))),
        }
    }

    /// Whether nothing more will happen to the campaign.
    pub fn is_final(self) -> bool {
        matches!(self, CampaignStatus::Cancelled | CampaignStatus::Done)
    }
}

impl std::fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a text (or caption) is formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Format {
    /// As is.
    #[default]
    Plain,
    /// Telegram's HTML parse mode.
    Html,
    /// Telegram `MessageEntity` objects (as the Bot API's JSON), e.g. copied from an admin's
    /// message so that its formatting survives exactly.
    Entities { entities: serde_json::Value },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Photo,
    Video,
    Document,
}

/// A file Telegram already holds, by its `file_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    pub kind: MediaKind,
    pub file_id: String,
}

/// A button under the message that opens a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlButton {
    pub text: String,
    pub url: String,
}

/// What a broadcast sends: a text, or a media with an optional caption (`text`), and link
/// buttons (one per row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CampaignMessage {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub format: Format,
    #[serde(default)]
    pub media: Option<Media>,
    #[serde(default)]
    pub buttons: Vec<UrlButton>,
}

impl CampaignMessage {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.media.is_none() && self.buttons.is_empty()
    }

    /// The length Telegram counts (UTF-16 code units; HTML tags do not count).
    fn visible_len(&self) -> usize {
        let text = match self.format {
            Format::Html => strip_tags(&self.text),
            _ => self.text.clone(),
        };
        text.encode_utf16().count()
    }

    /// Checks the message against Telegram's limits and its buttons' links.
    pub fn validate(&self) -> CampaignResult<()> {
        if self.text.trim().is_empty() && self.media.is_none() {
            return Err(CampaignError::EmptyMessage);
        }
        let len = self.visible_len();
        match &self.media {
            None if len > MAX_TEXT => {
                return Err(CampaignError::TextTooLong { len, max: MAX_TEXT });
            }
            Some(_) if len > MAX_CAPTION => {
                return Err(CampaignError::CaptionTooLong {
                    len,
                    max: MAX_CAPTION,
                });
            }
            Some(m) if m.file_id.trim().is_empty() => return Err(CampaignError::EmptyMessage),
            _ => {}
        }
        for (i, b) in self.buttons.iter().enumerate() {
            let ok_url = url::Url::parse(&b.url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "tg"));
            if b.text.trim().is_empty() || !ok_url {
                return Err(CampaignError::BadButton(i + 1));
            }
        }
        Ok(())
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// What a gift campaign grants each recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiftKind {
    Credits { amount: i64 },
    Pass { kind: PassKind },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gift {
    pub kind: GiftKind,
    /// Said under the gift's message.
    pub note: Option<String>,
}

/// A campaign to create. Without a gift it is a broadcast of `message`; with one it grants
/// the gift and tells each recipient about it (in their language, with the note), and
/// `message` stays empty.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub message: CampaignMessage,
    pub gift: Option<Gift>,
    pub audience: Audience,
    /// The admin's user id.
    pub created_by: i64,
    /// When to start; None: now.
    pub run_at: Option<DateTime<Utc>>,
    /// A message (chat, id) a UI edits to show progress.
    pub progress_message: Option<(i64, i32)>,
}

/// Exact counts of the campaign's deliveries by outcome, as kept in its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    pub total: u64,
    pub sent: u64,
    pub failed: u64,
    pub unreachable: u64,
    pub uncertain: u64,
}

impl Counters {
    /// Deliveries that reached an outcome.
    pub fn finished(&self) -> u64 {
        self.sent + self.failed + self.unreachable + self.uncertain
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: i64,
    pub kind: CampaignKind,
    pub status: CampaignStatus,
    pub message: CampaignMessage,
    pub gift: Option<Gift>,
    pub audience: Audience,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub run_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub counters: Counters,
    pub progress_message: Option<(i64, i32)>,
}

const COLUMNS: &str = "id, kind, status, message, gift_credits, gift_pass, gift_note, audience, \
    created_by, created_at, run_at, started_at, finished_at, total, sent, failed, unreachable, \
    uncertain, progress_chat_id, progress_message_id";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("campaign {what}: {e}"))
}

fn count_of(row: &QueryResult, col: &str) -> Result<u64, sea_orm::DbErr> {
    Ok(row.try_get::<i64>("", col)?.max(0) as u64)
}

fn campaign(row: &QueryResult) -> CampaignResult<Campaign> {
    let message: String = row.try_get("", "message")?;
    let audience: String = row.try_get("", "audience")?;
    let gift_credits: Option<i64> = row.try_get("", "gift_credits")?;
    let gift_pass: Option<String> = row.try_get("", "gift_pass")?;
    let gift_note: Option<String> = row.try_get("", "gift_note")?;
    let gift = match (gift_credits, gift_pass) {
        (Some(amount), _) => Some(GiftKind::Credits { amount }),
        (None, Some(p)) => Some(GiftKind::Pass {
            kind: PassKind::parse(&p).ok_or_else(|| corrupt("pass", &p))?,
        }),
        (None, None) => None,
    }
    .map(|kind| Gift {
        kind,
        note: gift_note,
    });
    let progress_chat: Option<i64> = row.try_get("", "progress_chat_id")?;
    let progress_msg: Option<i32> = row.try_get("", "progress_message_id")?;
    Ok(Campaign {
        id: row.try_get("", "id")?,
        kind: CampaignKind::parse(&row.try_get::<String>("", "kind")?)?,
        status: CampaignStatus::parse(&row.try_get::<String>("", "status")?)?,
        message: serde_json::from_str(&message).map_err(|e| corrupt("message", e))?,
        gift,
        audience: Audience::from_json(&audience).map_err(|e| corrupt("audience", e))?,
        created_by: row.try_get("", "created_by")?,
        created_at: row.try_get("", "created_at")?,
        run_at: row.try_get("", "run_at")?,
        started_at: row.try_get("", "started_at")?,
        finished_at: row.try_get("", "finished_at")?,
        counters: Counters {
            total: count_of(row, "total")?,
            sent: count_of(row, "sent")?,
            failed: count_of(row, "failed")?,
            unreachable: count_of(row, "unreachable")?,
            uncertain: count_of(row, "uncertain")?,
        },
        progress_message: progress_chat.zip(progress_msg),
    })
}

/// Validates and writes a campaign with its recipients, in one transaction: nothing is
/// written when the message is refused or the audience is empty. It is `running` when it
/// may start now, else `scheduled`.
pub async fn create(db: &Db, now: DateTime<Utc>, new: NewCampaign) -> CampaignResult<Campaign> {
    use sea_orm::TransactionTrait;
    let kind = match &new.gift {
        None => {
            new.message.validate()?;
            CampaignKind::Broadcast
        }
        Some(gift) => {
            if !new.message.is_empty() {
                return Err(CampaignError::BadGift(
                    "a gift is announced by its own message; leave the message empty",
                ));
            }
            if let GiftKind::Credits { amount } = gift.kind
                && amount <= 0
            {
                return Err(CampaignError::BadGift("the credits must be more than zero"));
            }
            if gift
                .note
                .as_ref()
                .is_some_and(|n| n.chars().count() > MAX_NOTE)
            {
                return Err(CampaignError::BadGift("the note is too long"));
            }
            CampaignKind::Gift
        }
    };
    let run_at = new.run_at.unwrap_or(now).max(now);
    let status = if run_at <= now {
        CampaignStatus::Running
    } else {
        CampaignStatus::Scheduled
    };
    let (gift_credits, gift_pass, gift_note) = match &new.gift {
        None => (None, None, None),
        Some(g) => match g.kind {
            GiftKind::Credits { amount } => (Some(amount), None, g.note.clone()),
            GiftKind::Pass { kind } => (None, Some(kind.as_str().to_owned()), g.note.clone()),
        },
    };
    let message = serde_json::to_string(&new.message).map_err(|e| corrupt("message", e))?;
    let txn = db.begin().await?;
    let rows = storage::query_all(
        &txn,
        "INSERT INTO campaigns (kind, status, message, gift_credits, gift_pass, gift_note, \
           audience, created_by, created_at, run_at, started_at, total, sent, failed, \
           unreachable, uncertain, progress_chat_id, progress_message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, 0, 0, 0, $12, $13) \
         RETURNING id",
        vec![
            kind.as_str().into(),
            status.as_str().into(),
            message.into(),
            gift_credits.into(),
            gift_pass.into(),
            gift_note.into(),
            new.audience.to_json().into(),
            new.created_by.into(),
            now.into(),
            run_at.into(),
            (status == CampaignStatus::Running).then_some(now).into(),
            new.progress_message.map(|p| p.0).into(),
            new.progress_message.map(|p| p.1).into(),
        ],
    )
    .await?;
    let id: i64 = rows
        .first()
        .ok_or_else(|| corrupt("insert", "no id returned"))?
        .try_get("", "id")?;
    let total = audience::materialise(&txn, id, &new.audience, now, run_at).await?;
    if total == 0 {
        txn.rollback().await?;
        return Err(CampaignError::EmptyAudience);
    }
    storage::query_all(
        &txn,
        "UPDATE campaigns SET total = $1 WHERE id = $2",
        vec![(total as i64).into(), id.into()],
    )
    .await?;
    txn.commit().await?;
    queries::analyze(db).await?;
    find(db, id).await?.ok_or(CampaignError::NotFound(id))
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> CampaignResult<Option<Campaign>> {
    let rows = storage::query_all(
        db,
        &format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1"),
        vec![id.into()],
    )
    .await?;
    rows.first().map(campaign).transpose()
}

/// The latest campaigns, newest first.
pub async fn list_recent(db: &Db, limit: u64) -> CampaignResult<Vec<Campaign>> {
    let rows = storage::query_all(
        db,
        &format!("SELECT {COLUMNS} FROM campaigns ORDER BY id DESC LIMIT $1"),
        vec![(limit.min(i64::MAX as u64) as i64).into()],
    )
    .await?;
    rows.iter().map(campaign).collect()
}

/// Moves the campaign from one of `from` to `to` (with `extra` assignments), or says why not.
async fn transition(
    db: &Db,
    id: i64,
    from: &[CampaignStatus],
    to: CampaignStatus,
    verb: &'static str,
    extra: &str,
    mut values: Vec<sea_orm::Value>,
) -> CampaignResult<Campaign> {
    let allowed = from
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let n = values.len();
    values.push(to.as_str().into());
    values.push(id.into());
    let rows = storage::query_all(
        db,
        &format!(
            "UPDATE campaigns SET status = ${}{extra} WHERE id = ${} AND status IN ({allowed}) \
             RETURNING id",
            n + 1,
            n + 2
        ),
        values,
    )
    .await?;
    let current = find(db, id).await?.ok_or(CampaignError::NotFound(id))?;
    if rows.is_empty() {
        return Err(CampaignError::IllegalMove {
            from: current.status,
            to: verb,
        });
    }
    Ok(current)
}

/// Stops sending (a delivery already under way finishes). Scheduled or running only.
pub async fn pause(db: &Db, _now: DateTime<Utc>, id: i64) -> CampaignResult<Campaign> {
    transition(
        db,
        id,
        &[CampaignStatus::Scheduled, CampaignStatus::Running],
        CampaignStatus::Paused,
        "paused",
        "",
        vec![],
    )
    .await
}

/// Sends again where it stopped: running, or scheduled when its start is still ahead.
pub async fn resume(db: &Db, now: DateTime<Utc>, id: i64) -> CampaignResult<Campaign> {
    let current = find(db, id).await?.ok_or(CampaignError::NotFound(id))?;
    let (to, extra) = if current.run_at > now {
        (CampaignStatus::Scheduled, "")
    } else {
        (
            CampaignStatus::Running,
            ", started_at = COALESCE(started_at, $1)",
        )
    };
    let values = if extra.is_empty() {
        vec![]
    } else {
        vec![now.into()]
    };
    transition(
        db,
        id,
        &[CampaignStatus::Paused],
        to,
        "resumed",
        extra,
        values,
    )
    .await
}

/// Ends the campaign for good; what was not sent stays unsent (`queued` in the report).
pub async fn cancel(db: &Db, now: DateTime<Utc>, id: i64) -> CampaignResult<Campaign> {
    transition(
        db,
        id,
        &[
            CampaignStatus::Scheduled,
            CampaignStatus::Running,
            CampaignStatus::Paused,
        ],
        CampaignStatus::Cancelled,
        "cancelled",
        ", finished_at = $1",
        vec![now.into()],
    )
    .await
}

/// Where a campaign stands: its deliveries by status, and what an ETA needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub campaign_id: i64,
    pub status: CampaignStatus,
    pub total: u64,
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
    pub unreachable: u64,
    pub uncertain: u64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When these figures were read.
    pub at: DateTime<Utc>,
}

impl Progress {
    /// Deliveries that reached an outcome.
    pub fn finished(&self) -> u64 {
        self.sent + self.failed + self.unreachable + self.uncertain
    }

    /// Deliveries still to go.
    pub fn remaining(&self) -> u64 {
        self.queued + self.sending
    }

    /// Outcomes per second since the start (None before any).
    pub fn rate_per_sec(&self) -> Option<f64> {
        let start = self.started_at?;
        let end = self.finished_at.unwrap_or(self.at);
        let secs = (end - start).num_milliseconds() as f64 / 1000.0;
        (secs > 0.0 && self.finished() > 0).then(|| self.finished() as f64 / secs)
    }

    /// How long the rest takes at the rate so far.
    pub fn eta(&self) -> Option<chrono::Duration> {
        if self.remaining() == 0 {
            return Some(chrono::Duration::zero());
        }
        let rate = self.rate_per_sec()?;
        Some(chrono::Duration::milliseconds(
            (self.remaining() as f64 / rate * 1000.0) as i64,
        ))
    }
}

/// The campaign's deliveries counted by status, at `now`.
pub async fn progress(db: &Db, now: DateTime<Utc>, id: i64) -> CampaignResult<Progress> {
    let c = find(db, id).await?.ok_or(CampaignError::NotFound(id))?;
    let rows = storage::query_all(
        db,
        "SELECT status, COUNT(*) AS n FROM campaign_deliveries WHERE campaign_id = $1 \
         GROUP BY status",
        vec![id.into()],
    )
    .await?;
    let mut p = Progress {
        campaign_id: id,
        status: c.status,
        total: c.counters.total,
        queued: 0,
        sending: 0,
        sent: 0,
        failed: 0,
        unreachable: 0,
        uncertain: 0,
        started_at: c.started_at,
        finished_at: c.finished_at,
        at: now,
    };
    for row in rows {
        let status: String = row.try_get("", "status")?;
        let n = count_of(&row, "n")?;
        match status.as_str() {
            "queued" => p.queued = n,
            "sending" => p.sending = n,
            "sent" => p.sent = n,
            "failed" => p.failed = n,
            "unreachable" => p.unreachable = n,
            "uncertain" => p.uncertain = n,
            other => return Err(corrupt("delivery status", other).into()),
        }
    }
    Ok(p)
}

/// The recipients Telegram said cannot be reached (blocked the bot, deleted), by id.
pub async fn unreachable_users(db: &Db, id: i64) -> CampaignResult<Vec<i64>> {
    let rows = storage::query_all(
        db,
        "SELECT user_id FROM campaign_deliveries WHERE campaign_id = $1 \
         AND status = 'unreachable' ORDER BY user_id",
        vec![id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| r.try_get("", "user_id").map_err(Into::into))
        .collect()
}

/// What a recipient of a gift campaign was given (now or by an earlier attempt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiftGiven {
    Credits { amount: i64, balance: i64 },
    Pass { until: DateTime<Utc> },
}

/// The idempotency key of a gift to one recipient: a resumed campaign never pays twice.
pub fn gift_key(campaign_id: i64, user_id: i64) -> String {
    format!("gift:{campaign_id}:{user_id}")
}

/// Grants `user_id` the campaign's gift, once per campaign and user however often it is
/// called (credits by the ledger's idempotency key, a pass by its `source`, which holds the
/// same key; one delivery is worked on by one runner at a time, under its lease).
pub async fn grant_gift(
    db: &Db,
    now: DateTime<Utc>,
    campaign: &Campaign,
    user_id: i64,
) -> CampaignResult<Option<GiftGiven>> {
    let Some(gift) = &campaign.gift else {
        return Ok(None);
    };
    let key = gift_key(campaign.id, user_id);
    Ok(Some(match gift.kind {
        GiftKind::Credits { amount } => {
            let m = Movement::new(user_id, amount, Reason::AdminGrant)
                .key(key)
                .reference(format!("campaign:{}", campaign.id))
                .actor(format!("admin:{}", campaign.created_by));
            let balance = match credits::grant(db, now, &m).await? {
                Granted::Applied { balance } => balance,
                Granted::Duplicate => credits::balance(db, user_id).await?,
            };
            GiftGiven::Credits { amount, balance }
        }
        GiftKind::Pass { kind } => {
            let earlier = time_passes::Entity::find()
                .filter(time_passes::Column::UserId.eq(user_id))
                .filter(time_passes::Column::Source.eq(key.as_str()))
                .one(db)
                .await?;
            let pass = match earlier {
                Some(p) => p,
                None => passes::grant(db, now, user_id, kind, &key).await?,
            };
            GiftGiven::Pass {
                until: pass.ends_at,
            }
        }
    }))
}

/// Messages a second Telegram sends free of charge; a paid broadcast pays for the rest.
pub const FREE_RATE: f64 = 30.0;

/// What a paid broadcast costs, in tenths of a Star (Telegram charges 0.1 Star a message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaidCost {
    /// Messages beyond the free rate, at the paid rate: the likely charge.
    pub charged: u64,
    /// Every message: the most it can cost (the free 30 a second are shared with the bot's
    /// other messages).
    pub most: u64,
}

impl PaidCost {
    /// `recipients` sent at `rate` a second: while the campaign runs, [`FREE_RATE`] of each
    /// second's messages are free and the rest are charged.
    pub fn of(recipients: u64, rate: f64) -> Self {
        let free_share = if rate > FREE_RATE {
            FREE_RATE / rate
        } else {
            1.0
        };
        let free = ((recipients as f64) * free_share).floor() as u64;
        Self {
            charged: recipients - free.min(recipients),
            most: recipients,
        }
    }
}

/// Tenths of a Star as Stars (`97.3`).
pub fn tenths_of_stars(messages: u64) -> String {
    format!("{}.{}", messages / 10, messages % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paid_broadcast_pays_for_what_goes_beyond_thirty_a_second() {
        assert_eq!(
            PaidCost::of(10_000, 1000.0),
            PaidCost {
                charged: 9_700,
                most: 10_000
            }
        );
        assert_eq!(tenths_of_stars(9_700), "970.0");
        assert_eq!(tenths_of_stars(7), "0.7");
        // Within the free rate nothing is charged, however many.
        assert_eq!(PaidCost::of(500, 30.0).charged, 0);
        assert_eq!(PaidCost::of(0, 1000.0).charged, 0);
    }

    #[test]
    fn messages_are_checked_against_telegrams_limits() {
        assert!(matches!(
            CampaignMessage::text("  ").validate(),
            Err(CampaignError::EmptyMessage)
        ));
        assert!(
            CampaignMessage::text("x".repeat(MAX_TEXT))
                .validate()
                .is_ok()
        );
        assert!(matches!(
            CampaignMessage::text("x".repeat(MAX_TEXT + 1)).validate(),
            Err(CampaignError::TextTooLong { len: 4097, .. })
        ));
        let html = CampaignMessage {
            text: format!("<b>{}</b>", "x".repeat(MAX_TEXT)),
            format: Format::Html,
            ..CampaignMessage::default()
        };
        assert!(html.validate().is_ok(), "tags do not count");
        let photo = |caption: String| CampaignMessage {
            text: caption,
            media: Some(Media {
                kind: MediaKind::Photo,
                file_id: "AgAD".into(),
            }),
            ..CampaignMessage::default()
        };
        assert!(photo(String::new()).validate().is_ok(), "a photo alone");
        assert!(matches!(
            photo("x".repeat(MAX_CAPTION + 1)).validate(),
            Err(CampaignError::CaptionTooLong { .. })
        ));
        let button = |url: &str| CampaignMessage {
            buttons: vec![UrlButton {
                text: "Open".into(),
                url: url.into(),
            }],
            ..CampaignMessage::text("hi")
        };
        assert!(button("https://example.com").validate().is_ok());
        assert!(matches!(
            button("javascript:alert(1)").validate(),
            Err(CampaignError::BadButton(1))
        ));
    }

    #[test]
    fn the_eta_follows_the_rate_so_far() {
        let start = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let p = Progress {
            campaign_id: 1,
            status: CampaignStatus::Running,
            total: 100,
            queued: 60,
            sending: 0,
            sent: 30,
            failed: 5,
            unreachable: 5,
            uncertain: 0,
            started_at: Some(start),
            finished_at: None,
            at: start + chrono::Duration::seconds(20),
        };
        assert_eq!(p.rate_per_sec(), Some(2.0));
        assert_eq!(p.eta(), Some(chrono::Duration::seconds(30)));
    }
}
