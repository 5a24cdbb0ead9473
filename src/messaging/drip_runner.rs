//! The drip runner (an edge module): sends the steps of drip campaigns as they fall due,
//! through the paced Telegram client, one task per process under the app's shutdown signal.
//!
//! Each round it claims a batch of due enrolments (a conditional update, so two runners never
//! hold the same one), and for each: ends it when the user stopped the seller (`stopped`) or
//! it has no step left (`completed`); writes the step's send row (unique per enrolment and
//! step) and sends only when that row is new; then moves the enrolment to its next step.
//! A step whose condition does not hold is recorded `skipped` and passed. The send row is the
//! one statement of each enrolment alone: the stops and the users' languages are read once
//! for the batch, and the outcomes, the moves and the usage counts are written together in
//! one transaction at the round's end (`tollgate-drip-bench` measured the per-step
//! statements as what held the runner under the pace).
//!
//! At most once: the row is written before the send, so a crash between the two loses that
//! step for that contact rather than sending it twice; the claim's lease runs out and the next
//! runner finds the row and moves on (so too after a crash between the send and the round's
//! record). A 429 or an unavailable Telegram (nothing was sent) removes the row and gives the
//! enrolment back for later.
//!
//! Pacing: sends go as bulk sends (never waiting out a 429 themselves) only while Telegram's
//! overall budget has [`RESERVED_SHARE`] of its burst left, so replies never wait behind a
//! drip; each send then takes its token from the shared limiter like every other message.
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use teloxide::{
    payloads::{SendDocumentSetters, SendMessageSetters, SendPhotoSetters, SendVideoSetters},
    prelude::*,
    types::{FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile},
};
use tokio::task::JoinSet;

use super::{
    drips::{self, Campaign, Enrollment, MediaKind, Step},
    notify::{self, stop_button},
    usage::{self, Metric},
};
use crate::{
    accounts::users,
    context::AppCtx,
    delivery::locale_of_user,
    i18n::Locale,
    sellers::tenant::Tenant,
    services::ServiceResult,
    shutdown::Shutdown,
    storage::entities::{sellers, users as users_table},
    telegram::TgError,
};

/// Enrolments claimed at once, at most.
pub const BATCH: u64 = 200;
/// Sends under way at once.
pub const IN_FLIGHT: usize = 32;
/// The share of Telegram's overall burst drip sends leave to interactive traffic.
pub const RESERVED_SHARE: f64 = 0.25;
/// How often a quiet runner looks for due steps.
const POLL: Duration = Duration::from_millis(250);
/// When a step Telegram could not take is tried again.
const RETRY: chrono::Duration = chrono::Duration::seconds(30);

/// The path of a drip button's click counter: `/d/<send>/<button>/<signature>` redirects to
/// the URL; the signature ([`drips::LinkKey`]) keeps anyone from counting a click on a send
/// that is not theirs.
pub fn click_path(key: &drips::LinkKey, send_id: i64, index: usize) -> String {
    format!("/d/{send_id}/{index}/{}", key.sign(send_id, index))
}

async fn nap(shutdown: &Shutdown, d: Duration) -> bool {
    tokio::select! {
        _ = shutdown.wait() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// The runner's loop, until `shutdown`.
pub async fn run(ctx: AppCtx, shutdown: Shutdown) {
    let mut round_no: u64 = 0;
    while !shutdown.is_fired() {
        round_no += 1;
        let me = format!("{}:{round_no}", ctx.instance);
        match round(&ctx, &me, &shutdown).await {
            Ok(0) => {
                if !nap(&shutdown, POLL).await {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "the drip runner cannot reach the database");
                if !nap(&shutdown, Duration::from_secs(1)).await {
                    break;
                }
            }
        }
    }
}

/// What a round knows of a campaign.
struct Known {
    campaign: Campaign,
    /// The key that signs the step's click links.
    link_key: drips::LinkKey,
    steps: Vec<Step>,
    seller_name: String,
}

/// What a round reads once for all its enrolments: who stopped their seller, and each
/// user's language.
struct Prefetched {
    stopped: HashSet<(i64, i64)>,
    locales: HashMap<i64, Locale>,
}

/// One batch: claim, send each (a few at once), record. How many enrolments it claimed.
///
/// Per enrolment only its send row is written on its own (before the send, the at-most-once
/// guard); the round reads the stops and the users' languages once, and records every
/// outcome, every move to the next step and the usage counts in one transaction at its end.
async fn round(ctx: &AppCtx, me: &str, shutdown: &Shutdown) -> ServiceResult<usize> {
    let now = ctx.now();
    let limit = ((ctx.config.broadcast_rate * 2.0).ceil() as u64).clamp(1, BATCH);
    let batch = drips::claim(&ctx.db, me, now, limit).await?;
    if batch.is_empty() {
        return Ok(0);
    }
    let n = batch.len();
    let pre = Arc::new(prefetch(ctx, &batch).await?);
    let mut known: HashMap<i64, Arc<Known>> = HashMap::new();
    let mut link_key: Option<drips::LinkKey> = None;
    let me: Arc<str> = me.into();
    let mut inflight: JoinSet<ServiceResult<Option<Moved>>> = JoinSet::new();
    let mut moved: Vec<Moved> = Vec::with_capacity(n);
    for e in batch {
        while !ctx.tg.has_spare_for_bulk(RESERVED_SHARE) {
            if !nap(shutdown, Duration::from_millis(10)).await {
                break;
            }
        }
        if shutdown.is_fired() {
            // Given back as it was: due now, for the next start.
            drips::release(&ctx.db, &me, e.id, e.next_run_at.unwrap_or(now)).await?;
            continue;
        }
        while inflight.len() >= IN_FLIGHT {
            if let Some(r) = inflight.join_next().await {
                moved.extend(log(r));
            }
        }
        let k = match known.get(&e.campaign_id) {
            Some(k) => k.clone(),
            None => {
                let Some(campaign) = drips::find(&ctx.db, e.campaign_id).await? else {
                    drips::end(&ctx.db, now, e.id, "exited", Some("deleted")).await?;
                    continue;
                };
                let steps = drips::steps(&ctx.db, campaign.id).await?;
                // The operator's campaigns go out under the bot's own name.
                let seller_name = if campaign.seller_id == drips::OPERATOR.seller_id {
                    notify::operator_name(ctx).await
                } else {
                    sellers::Entity::find_by_id(campaign.seller_id)
                        .one(&ctx.db)
                        .await?
                        .map(|s| s.display_name)
                        .unwrap_or_default()
                };
                let link_key = match &link_key {
                    Some(key) => key,
                    None => link_key.insert(drips::link_key(&ctx.db, now).await?),
                }
                .clone();
                let k = Arc::new(Known {
                    campaign,
                    link_key,
                    steps,
                    seller_name,
                });
                known.insert(e.campaign_id, k.clone());
                k
            }
        };
        inflight.spawn(step(ctx.clone(), me.clone(), k, pre.clone(), e));
    }
    while let Some(r) = inflight.join_next().await {
        moved.extend(log(r));
    }
    record(ctx, &me, now, &moved).await?;
    Ok(n)
}

/// The round's reads for all its enrolments at once.
async fn prefetch(ctx: &AppCtx, batch: &[Enrollment]) -> ServiceResult<Prefetched> {
    let stopped = drips::stopped_among(&ctx.db, batch).await?;
    let ids: HashSet<i64> = batch.iter().map(|e| e.user_id).collect();
    let locales = users_table::Entity::find()
        .filter(users_table::Column::Id.is_in(ids))
        .all(&ctx.db)
        .await?
        .iter()
        .map(|u| (u.id, locale_of_user(ctx, u)))
        .collect();
    Ok(Prefetched { stopped, locales })
}

/// A step done this round, to record at its end.
struct Moved {
    tenant: Tenant,
    /// Whether Telegram took the message (for the usage count).
    sent: bool,
    to: drips::Move,
}

/// Records the round's moves and counts its sent messages, per tenant. The next steps fall due
/// their delays after `claimed_at`, the time the round took its steps, whenever the record
/// itself is written.
async fn record(
    ctx: &AppCtx,
    me: &str,
    claimed_at: chrono::DateTime<chrono::Utc>,
    moved: &[Moved],
) -> ServiceResult<()> {
    if moved.is_empty() {
        return Ok(());
    }
    let now = ctx.now();
    let moves: Vec<drips::Move> = moved.iter().map(|m| m.to.clone()).collect();
    drips::record_moves(&ctx.db, me, claimed_at, now, &moves).await?;
    let mut sent: HashMap<Tenant, i64> = HashMap::new();
    for m in moved.iter().filter(|m| m.sent) {
        *sent.entry(m.tenant).or_default() += 1;
    }
    let day = usage::day(now);
    let rows: Vec<(Tenant, String, i64)> =
        sent.into_iter().map(|(t, k)| (t, day.clone(), k)).collect();
    if !rows.is_empty() {
        usage::record_many(&ctx.db, Metric::DripMessages, &rows).await?;
    }
    Ok(())
}

fn log(r: Result<ServiceResult<Option<Moved>>, tokio::task::JoinError>) -> Option<Moved> {
    match r {
        Ok(Ok(moved)) => moved,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a drip step was not recorded");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "a drip step's task failed");
            None
        }
    }
}

/// Sends one claimed enrolment its due step. The move to the next step is returned for the
/// round to record (None when it was recorded here: the enrolment ended, or was given back).
async fn step(
    ctx: AppCtx,
    me: Arc<str>,
    k: Arc<Known>,
    pre: Arc<Prefetched>,
    e: Enrollment,
) -> ServiceResult<Option<Moved>> {
    let db = &ctx.db;
    let now = ctx.now();
    let Some(idx) = k.steps.iter().position(|s| s.position == e.next_position) else {
        drips::end(db, now, e.id, "completed", None).await?;
        return Ok(None);
    };
    let step = &k.steps[idx];
    let next = k.steps.get(idx + 1);
    let t = Tenant {
        seller_id: e.seller_id,
        livemode: e.livemode,
    };
    let moved = |send: Option<(i64, &'static str)>| Moved {
        tenant: t,
        sent: matches!(send, Some((_, "sent"))),
        to: drips::Move {
            enrollment_id: e.id,
            send,
            next_position: step.position + 1,
            next_delay_secs: next.map(|n| n.delay_secs),
        },
    };
    if pre.stopped.contains(&(e.seller_id, e.user_id)) {
        drips::end(db, now, e.id, "exited", Some("stopped")).await?;
        return Ok(None);
    }
    if !drips::condition_holds(db, &e, step).await? {
        drips::begin_send(db, now, &e, step, "skipped").await?;
        return Ok(Some(moved(None)));
    }
    let Some(send_id) = drips::begin_send(db, now, &e, step, "sending").await? else {
        // Sent (or begun) before: never again.
        return Ok(Some(moved(None)));
    };
    let locale = pre
        .locales
        .get(&e.user_id)
        .copied()
        .unwrap_or(ctx.config.default_locale);
    let sent = send(&ctx, &k, step, e.user_id, send_id, locale).await;
    let now = ctx.now();
    match sent {
        Ok(()) => Ok(Some(moved(Some((send_id, "sent"))))),
        Err(TgError::RateLimited { retry_after }) => {
            drips::forget_send(db, send_id).await?;
            let at = now + chrono::Duration::from_std(retry_after).unwrap_or(RETRY);
            drips::release(db, &me, e.id, at).await?;
            Ok(None)
        }
        Err(TgError::Unavailable(err)) => {
            tracing::warn!(error = %err, "Telegram unavailable; the drip step waits");
            drips::forget_send(db, send_id).await?;
            drips::release(db, &me, e.id, now + RETRY).await?;
            Ok(None)
        }
        Err(TgError::Unreachable(_)) => {
            drips::finish_send(db, send_id, "unreachable").await?;
            users::mark_unreachable(db, now, e.user_id).await?;
            drips::end(db, now, e.id, "exited", Some("unreachable")).await?;
            Ok(None)
        }
        Err(err @ (TgError::Uncertain(_) | TgError::Rejected(_))) => {
            tracing::warn!(error = %err, send = send_id, "a drip step did not go out");
            Ok(Some(moved(Some((send_id, "failed")))))
        }
    }
}

/// The step's message to `user`: its text or media, its buttons (through the click counter)
/// and the seller's stop button.
async fn send(
    ctx: &AppCtx,
    k: &Known,
    step: &Step,
    user: i64,
    send_id: i64,
    locale: Locale,
) -> Result<(), TgError> {
    let base = ctx.public_base();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = drips::buttons_of(step)
        .into_iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let url = format!("{base}{}", click_path(&k.link_key, send_id, i))
                .parse()
                .ok()?;
            Some(vec![InlineKeyboardButton::url(b.text, url)])
        })
        .collect();
    rows.push(vec![stop_button(
        locale,
        k.campaign.seller_id,
        &k.seller_name,
    )]);
    let kb = InlineKeyboardMarkup::new(rows);
    let tg = ctx.tg.for_bulk();
    let bot = tg.bot();
    let chat = ChatId(user);
    let media = step
        .media_kind
        .as_deref()
        .and_then(MediaKind::parse)
        .zip(step.media_file_id.clone());
    let caption = (!step.text.trim().is_empty()).then(|| step.text.clone());
    macro_rules! media {
        ($req:expr) => {{
            let mut req = $req.reply_markup(kb);
            if let Some(c) = caption {
                req = req.caption(c);
            }
            tg.send(chat, req).await.map(|_| ())
        }};
    }
    match media {
        None => tg
            .send(
                chat,
                bot.send_message(chat, step.text.clone()).reply_markup(kb),
            )
            .await
            .map(|_| ()),
        Some((kind, file)) => {
            let file = InputFile::file_id(FileId(file));
            match kind {
                MediaKind::Photo => media!(bot.send_photo(chat, file)),
                MediaKind::Video => media!(bot.send_video(chat, file)),
                MediaKind::Document => media!(bot.send_document(chat, file)),
            }
        }
    }
}
