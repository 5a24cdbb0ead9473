//! The campaign runner (an edge module): sends what campaigns have due, paced, under leases.
//!
//! One task per process, started by the app under its shutdown signal. Each round it starts
//! scheduled campaigns whose time came, claims a batch of due deliveries of running ones, and
//! for each: marks it `sending` (naming this instance) if its campaign still runs, grants the
//! gift first (idempotent per campaign and user, so a resumed gift never pays twice), sends,
//! and records the outcome with the campaign's counter:
//!
//! - sent → `sent`;
//! - 429 → `queued` again at `now + retry_after` (not a failed attempt), and the runner holds
//!   every campaign send until then;
//! - 5xx, network → `queued` again with back-off, `failed` after [`MAX_ATTEMPTS`];
//! - 403 → `unreachable`, and the user is marked unreachable;
//! - no answer → `uncertain`, never sent again (it may have arrived);
//! - any other refusal → `failed`.
//!
//! Pacing: campaign sends take a token from their own bucket (`BROADCAST_RATE` a second) and
//! go only while Telegram's overall bucket has more than [`RESERVED_SHARE`] of its burst left,
//! so replies and relayed messages never wait behind a broadcast.
//!
//! Paid broadcast (the `paid_broadcast` setting, read every round, so switching it acts on
//! the next batch): sends carry `allow_paid_broadcast` and take their token from a bucket of
//! `PAID_BROADCAST_RATE` a second instead, and not from Telegram's overall bucket at all
//! (Telegram lets them past its free 30 a second, for Stars), which thus stays whole for
//! replies and relayed messages. Each chat's own limit still applies.
//!
//! The `sending` marks and the outcomes of the sends under way are group-committed
//! ([`Batcher`]): the marks of the sends about to start go in one statement, the outcomes of
//! those that ended in one transaction. Each delivery still gets its mark before its send and
//! its outcome after it; one statement each made a broadcast as slow as the database's
//! round trips (and on SQLite's one connection kept the relay waiting).
use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use teloxide::{
    payloads::{SendDocumentSetters, SendMessageSetters, SendPhotoSetters, SendVideoSetters},
    prelude::*,
    types::{
        FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageEntity, ParseMode,
    },
};
use tokio::{task::JoinSet, time::Instant};

use super::{
    Campaign, CampaignError, CampaignKind, CampaignMessage, CampaignResult, Format, GiftGiven,
    MediaKind,
    queries::{self, Claimed, Outcome, Settle},
};
use crate::{
    accounts::users,
    context::AppCtx,
    delivery::{Reply, fmt_time, locale_of_user},
    services::{batch::Batcher, settings},
    shutdown::Shutdown,
    telegram::TgError,
};

/// Deliveries claimed at once.
pub const BATCH: usize = 100;
/// Sends under way at once (each waits for Telegram's answer, and for its mark and its
/// outcome to be group-committed).
pub const IN_FLIGHT: usize = 32;
/// Failed tries (5xx, network) before a delivery is `failed`.
pub const MAX_ATTEMPTS: i32 = 3;
/// The share of Telegram's overall burst campaign sends leave to interactive traffic.
pub const RESERVED_SHARE: f64 = 0.25;
/// How often a quiet runner looks for due work.
const POLL: Duration = Duration::from_millis(250);

/// Back-off after a failed try: 10 s doubling, at most 10 min.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 10i64.saturating_mul(1i64 << attempts.clamp(0, 10));
    chrono::Duration::seconds(secs.min(600))
}

/// The campaigns' own token bucket: `per_sec` a second, bursts of up to a second's worth.
struct Pace {
    per_sec: f64,
    capacity: f64,
    tokens: f64,
    at: Instant,
}

impl Pace {
    fn new(per_sec: f64) -> Self {
        let capacity = per_sec.max(1.0);
        Self {
            per_sec,
            capacity,
            tokens: capacity,
            at: Instant::now(),
        }
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self) -> Result<(), Duration> {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}

/// The campaigns' two budgets: free sends within Telegram's overall limit, paid broadcasts
/// beside it.
struct Paces {
    free: Pace,
    paid: Pace,
}

/// The runner's bookkeeping, group-committed: `sending` marks and outcomes.
#[derive(Clone)]
struct Book {
    mark: Batcher<i64, CampaignResult<bool>>,
    settle: Batcher<Settle, CampaignResult<bool>>,
}

impl Book {
    fn new(ctx: &AppCtx, me: &Arc<str>) -> Self {
        // SQLite has one connection: a second runner would only queue for it. On PostgreSQL
        // one batch can wait for its commit while the next runs.
        let runners = if crate::storage::is_postgres(&ctx.db) {
            2
        } else {
            1
        };
        let (c, m) = (ctx.clone(), me.clone());
        let mark = Batcher::spawn_many(runners, IN_FLIGHT, move |ids: Vec<i64>| {
            let (ctx, me) = (c.clone(), m.clone());
            Box::pin(async move {
                match queries::mark_sending_many(&ctx.db, &me, &ids, ctx.now()).await {
                    Ok(marked) => ids.iter().map(|id| Ok(marked.contains(id))).collect(),
                    // One by one, so that each caller gets its own answer.
                    Err(_) => {
                        let mut out = Vec::with_capacity(ids.len());
                        for id in ids {
                            out.push(queries::mark_sending(&ctx.db, &me, id, ctx.now()).await);
                        }
                        out
                    }
                }
            })
        });
        let (c, m) = (ctx.clone(), me.clone());
        let settle = Batcher::spawn_many(runners, IN_FLIGHT, move |items: Vec<Settle>| {
            let (ctx, me) = (c.clone(), m.clone());
            Box::pin(async move {
                match queries::settle_many(&ctx.db, &me, ctx.now(), &items).await {
                    Ok(done) => done.into_iter().map(Ok).collect(),
                    Err(_) => {
                        let mut out = Vec::with_capacity(items.len());
                        for i in items {
                            out.push(
                                queries::settle(
                                    &ctx.db,
                                    &me,
                                    i.campaign_id,
                                    i.id,
                                    ctx.now(),
                                    &i.outcome,
                                )
                                .await,
                            );
                        }
                        out
                    }
                }
            })
        });
        Self { mark, settle }
    }

    async fn mark(&self, id: i64) -> CampaignResult<bool> {
        self.mark.call(id).await.map_err(stopped)?
    }

    async fn settle(&self, campaign_id: i64, id: i64, outcome: Outcome) -> CampaignResult<bool> {
        self.settle
            .call(Settle {
                campaign_id,
                id,
                outcome,
            })
            .await
            .map_err(stopped)?
    }
}

fn stopped(_: crate::services::batch::BatcherStopped) -> CampaignError {
    crate::storage::StorageError::Corrupt("the campaign runner's bookkeeping has stopped".into())
        .into()
}

/// Sleeps `d`; false when the shutdown came first.
async fn nap(shutdown: &Shutdown, d: Duration) -> bool {
    tokio::select! {
        _ = shutdown.wait() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// The runner's loop, until `shutdown`. A delivery under way when it comes is finished and
/// recorded; claimed deliveries not yet begun are given back.
pub async fn run(ctx: AppCtx, shutdown: Shutdown) {
    let me: Arc<str> = ctx.instance.clone();
    match queries::recover(&ctx.db, &me, ctx.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            n,
            "campaign deliveries interrupted mid-send are uncertain (not sent again)"
        ),
        Err(e) => tracing::error!(error = %e, "could not recover interrupted campaign deliveries"),
    }
    let mut paces = Paces {
        free: Pace::new(ctx.config.broadcast_rate),
        paid: Pace::new(ctx.config.paid_broadcast_rate),
    };
    let book = Book::new(&ctx, &me);
    let mut hold_until: Option<DateTime<Utc>> = None;
    let mut last_recover = Instant::now();
    while !shutdown.is_fired() {
        let now = ctx.now();
        if let Some(until) = hold_until {
            if now < until {
                if !nap(&shutdown, POLL).await {
                    break;
                }
                continue;
            }
            hold_until = None;
        }
        if last_recover.elapsed() > Duration::from_secs(30) {
            last_recover = Instant::now();
            if let Err(e) = queries::recover(&ctx.db, &me, now).await {
                tracing::error!(error = %e, "could not recover abandoned campaign deliveries");
            }
        }
        match round(&ctx, &me, &book, &mut paces, &shutdown).await {
            Ok(Round::Idle) => {
                if !nap(&shutdown, POLL).await {
                    break;
                }
            }
            Ok(Round::Worked) => {}
            Ok(Round::Hold(d)) => {
                tracing::warn!(?d, "Telegram asks campaigns to wait");
                hold_until = Some(ctx.now() + chrono::Duration::from_std(d).unwrap_or_default());
            }
            Err(e) => {
                tracing::error!(error = %e, "campaign runner cannot reach the database");
                if !nap(&shutdown, Duration::from_secs(1)).await {
                    break;
                }
            }
        }
    }
}

enum Round {
    /// Nothing was due.
    Idle,
    Worked,
    /// Telegram said 429: no campaign send for this long.
    Hold(Duration),
}

/// One batch: claim, send each (paced, a few at once), record.
async fn round(
    ctx: &AppCtx,
    me: &Arc<str>,
    book: &Book,
    paces: &mut Paces,
    shutdown: &Shutdown,
) -> Result<Round, CampaignError> {
    let now = ctx.now();
    let started = queries::start_due(&ctx.db, now).await?;
    if !started.is_empty() {
        tracing::info!(campaigns = ?started, "scheduled campaigns started");
    }
    let paid = settings::get(&ctx.db, &settings::PAID_BROADCAST).await?;
    let (pace, rate) = if paid {
        (&mut paces.paid, ctx.config.paid_broadcast_rate)
    } else {
        (&mut paces.free, ctx.config.broadcast_rate)
    };
    // About two seconds' worth, so that a claim never outlives its lease.
    let limit = ((rate * 2.0).ceil() as usize).clamp(1, BATCH);
    let batch = queries::claim(&ctx.db, me, now, limit).await?;
    if batch.is_empty() {
        finish(ctx).await?;
        return Ok(Round::Idle);
    }
    let mut campaigns: HashMap<i64, Arc<Campaign>> = HashMap::new();
    let mut inflight: JoinSet<Result<Delivered, CampaignError>> = JoinSet::new();
    let mut hold: Option<Duration> = None;
    let mut unsent = Vec::new();
    let note = |r: Result<Result<Delivered, CampaignError>, tokio::task::JoinError>,
                hold: &mut Option<Duration>,
                unsent: &mut Vec<i64>| match r {
        Ok(Ok(Delivered::Hold(d))) => *hold = Some(hold.map_or(d, |h| h.max(d))),
        Ok(Ok(Delivered::Done)) => {}
        Ok(Ok(Delivered::NotSent(id))) => unsent.push(id),
        Ok(Err(e)) => tracing::error!(error = %e, "a campaign delivery was not recorded"),
        Err(e) => tracing::error!(error = %e, "a campaign delivery task failed"),
    };
    for (i, d) in batch.iter().enumerate() {
        while let Some(r) = inflight.try_join_next() {
            note(r, &mut hold, &mut unsent);
        }
        if hold.is_some() || shutdown.is_fired() {
            unsent.extend(batch[i..].iter().map(|d| d.id));
            break;
        }
        // Wait for room: the overall budget beyond the reserved share (a paid broadcast does
        // not use it), then our own bucket.
        let mut stopped = false;
        loop {
            if paid || ctx.tg.has_spare_for_bulk(RESERVED_SHARE) {
                match pace.take() {
                    Ok(()) => break,
                    Err(wait) => {
                        if !nap(shutdown, wait.min(POLL)).await {
                            stopped = true;
                            break;
                        }
                    }
                }
            } else if !nap(shutdown, Duration::from_millis(10)).await {
                stopped = true;
                break;
            }
        }
        if stopped {
            unsent.extend(batch[i..].iter().map(|d| d.id));
            break;
        }
        while inflight.len() >= IN_FLIGHT {
            if let Some(r) = inflight.join_next().await {
                note(r, &mut hold, &mut unsent);
            }
        }
        let campaign = match campaigns.get(&d.campaign_id) {
            Some(c) => c.clone(),
            None => match super::find(&ctx.db, d.campaign_id).await? {
                Some(c) => {
                    let c = Arc::new(c);
                    campaigns.insert(c.id, c.clone());
                    c
                }
                None => {
                    unsent.push(d.id);
                    continue;
                }
            },
        };
        inflight.spawn(deliver(ctx.clone(), book.clone(), campaign, *d, paid));
    }
    while let Some(r) = inflight.join_next().await {
        note(r, &mut hold, &mut unsent);
    }
    queries::release(&ctx.db, me, &unsent).await?;
    finish(ctx).await?;
    Ok(match hold {
        Some(d) => Round::Hold(d),
        None => Round::Worked,
    })
}

async fn finish(ctx: &AppCtx) -> Result<(), CampaignError> {
    let done = queries::finish_done(&ctx.db, ctx.now()).await?;
    if !done.is_empty() {
        tracing::info!(campaigns = ?done, "campaigns done");
    }
    Ok(())
}

/// How a delivery task ended.
enum Delivered {
    /// Sent, or refused, and recorded.
    Done,
    /// Telegram asked campaigns to wait this long.
    Hold(Duration),
    /// Not sent: its campaign no longer runs, or the claim was lost (to be released).
    NotSent(i64),
}

/// Marks one claimed delivery `sending`, sends it and records how it went.
async fn deliver(
    ctx: AppCtx,
    book: Book,
    campaign: Arc<Campaign>,
    d: Claimed,
    paid: bool,
) -> Result<Delivered, CampaignError> {
    if !book.mark(d.id).await? {
        // Paused or cancelled meanwhile.
        return Ok(Delivered::NotSent(d.id));
    }
    let sent = match campaign.kind {
        CampaignKind::Broadcast => {
            send_message(&ctx, ChatId(d.user_id), &campaign.message, paid).await
        }
        CampaignKind::Gift => match send_gift(&ctx, &campaign, d.user_id, paid).await {
            Ok(sent) => sent,
            Err(e) => {
                // Nothing was sent and the grant is idempotent: try again later.
                let later = Outcome::Later {
                    next_at: ctx.now() + backoff(d.attempts),
                    attempt: true,
                    error: e.to_string(),
                };
                book.settle(d.campaign_id, d.id, later).await?;
                return Err(e);
            }
        },
    };
    let now = ctx.now();
    let mut hold = None;
    let outcome = match sent {
        Ok(()) => Outcome::Sent,
        Err(TgError::RateLimited { retry_after }) => {
            hold = Some(retry_after);
            Outcome::Later {
                next_at: now + chrono::Duration::from_std(retry_after).unwrap_or_default(),
                attempt: false,
                error: format!("flood wait {} s", retry_after.as_secs()),
            }
        }
        Err(TgError::Unavailable(e)) if d.attempts + 1 < MAX_ATTEMPTS => Outcome::Later {
            next_at: now + backoff(d.attempts),
            attempt: true,
            error: e.to_string(),
        },
        Err(e @ TgError::Unavailable(_)) => Outcome::Failed(e.to_string()),
        Err(TgError::Unreachable(e)) => {
            if let Err(err) = users::mark_unreachable(&ctx.db, now, d.user_id).await {
                tracing::error!(user_id = d.user_id, error = %err, "could not mark the user unreachable");
            }
            Outcome::Unreachable(e.to_string())
        }
        Err(e @ TgError::Uncertain(_)) => Outcome::Uncertain(e.to_string()),
        Err(e @ TgError::Rejected(_)) => Outcome::Failed(e.to_string()),
    };
    if !book.settle(d.campaign_id, d.id, outcome).await? {
        tracing::warn!(
            delivery = d.id,
            "a campaign delivery was taken over before its outcome was recorded"
        );
    }
    Ok(hold.map_or(Delivered::Done, Delivered::Hold))
}

/// Grants the gift (once per campaign and user), then tells the user in their language.
async fn send_gift(
    ctx: &AppCtx,
    campaign: &Campaign,
    user_id: i64,
    paid: bool,
) -> Result<Result<(), TgError>, CampaignError> {
    let Some(user) = users::find(&ctx.db, user_id).await? else {
        return Ok(Err(TgError::Rejected(teloxide::ApiError::Unknown(
            "the user's account is gone".into(),
        ))));
    };
    let Some(given) = super::grant_gift(&ctx.db, ctx.now(), campaign, user_id).await? else {
        return Ok(Ok(()));
    };
    let note = campaign.gift.as_ref().and_then(|g| g.note.clone());
    let reply = match given {
        GiftGiven::Credits { amount, balance } => Reply::GiftReceived {
            amount,
            balance,
            note,
        },
        GiftGiven::Pass { until } => Reply::GiftPassReceived {
            until: fmt_time(until),
            note,
        },
    };
    let locale = locale_of_user(ctx, &user);
    let tg = bulk(ctx, paid);
    let chat = ChatId(user_id);
    let mut req = tg.bot().send_message(chat, reply.render(locale));
    if let Some(kb) = reply.keyboard(locale) {
        req = req.reply_markup(kb);
    }
    if paid {
        req = req.allow_paid_broadcast(true);
    }
    Ok(tg.send(chat, req).await.map(|_| ()))
}

fn keyboard(m: &CampaignMessage) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = m
        .buttons
        .iter()
        .filter_map(|b| {
            Some(vec![InlineKeyboardButton::url(
                &b.text,
                b.url.parse().ok()?,
            )])
        })
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// A refusal of ours, for a message Telegram would refuse anyway.
fn refused(why: String) -> TgError {
    TgError::Rejected(teloxide::ApiError::Unknown(why))
}

/// The client campaign sends go through: paced as paid broadcasts or as free bulk sends.
fn bulk(ctx: &AppCtx, paid: bool) -> crate::telegram::Telegram {
    if paid {
        ctx.tg.for_paid_bulk()
    } else {
        ctx.tg.for_bulk()
    }
}

/// Sends a campaign's message to one chat, as a paid broadcast when `paid` (also used, not
/// paid, for the preview an admin sees).
pub async fn send_message(
    ctx: &AppCtx,
    chat: ChatId,
    m: &CampaignMessage,
    paid: bool,
) -> Result<(), TgError> {
    let tg = bulk(ctx, paid);
    let bot = tg.bot();
    let (parse_mode, entities) = match &m.format {
        Format::Plain => (None, None),
        Format::Html => (Some(ParseMode::Html), None),
        Format::Entities { entities } => {
            match serde_json::from_value::<Vec<MessageEntity>>(entities.clone()) {
                Ok(e) => (None, Some(e)),
                Err(e) => return Err(refused(format!("the message's entities: {e}"))),
            }
        }
    };
    let kb = keyboard(m);
    let caption = (!m.text.is_empty()).then(|| m.text.clone());
    macro_rules! media {
        ($req:expr) => {{
            let mut req = $req;
            if let Some(c) = caption {
                req = req.caption(c);
            }
            if let Some(p) = parse_mode {
                req = req.parse_mode(p);
            }
            if let Some(e) = entities {
                req = req.caption_entities(e);
            }
            if let Some(kb) = kb {
                req = req.reply_markup(kb);
            }
            if paid {
                req = req.allow_paid_broadcast(true);
            }
            tg.send(chat, req).await.map(|_| ())
        }};
    }
    match &m.media {
        None => {
            let mut req = bot.send_message(chat, m.text.clone());
            if let Some(p) = parse_mode {
                req = req.parse_mode(p);
            }
            if let Some(e) = entities {
                req = req.entities(e);
            }
            if let Some(kb) = kb {
                req = req.reply_markup(kb);
            }
            if paid {
                req = req.allow_paid_broadcast(true);
            }
            tg.send(chat, req).await.map(|_| ())
        }
        Some(media) => {
            let file = InputFile::file_id(FileId(media.file_id.clone()));
            match media.kind {
                MediaKind::Photo => media!(bot.send_photo(chat, file)),
                MediaKind::Video => media!(bot.send_video(chat, file)),
                MediaKind::Document => media!(bot.send_document(chat, file)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        assert_eq!(backoff(0).num_seconds(), 10);
        assert_eq!(backoff(1).num_seconds(), 20);
        assert_eq!(backoff(30).num_seconds(), 600);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_lets_a_second_through_then_keeps_the_rate() {
        let mut pace = Pace::new(10.0);
        for _ in 0..10 {
            assert!(pace.take().is_ok());
        }
        let wait = pace.take().unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(100));
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(pace.take().is_ok());
    }
}
