//! The order messages' edge to Telegram: the job ([`super::orders::MESSAGE_JOB`]) that sends
//! the customer the message of one order change.
//!
//! It asks [`contacts::may_message`](super::contacts::may_message) first (a customer who
//! stopped the seller gets nothing), writes the seller's text for the change in the
//! customer's language (else the default), attaches the stop button, and counts the message.
//! The send goes through the paced client; a 429 or a 5xx leaves the job to run again later,
//! a blocked bot ends it. The event is claimed (`sending`) before the send and its outcome
//! recorded after it, so a job that runs again after a crash never sends a recorded message
//! again, and one that died mid-send records `uncertain` rather than sending twice.
use std::sync::{Arc, OnceLock};

use teloxide::{
    payloads::SendMessageSetters,
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup},
};

use super::{
    contacts,
    notify::{stop_button, tr},
    order_templates::{self, Values},
    orders::{self, Change, Outcome},
};
use crate::{
    accounts::users,
    context::AppCtx,
    delivery::locale_of_user,
    jobs::{Job, JobError},
    sellers::{catalog, tenant::Tenant},
    telegram::TgError,
};

/// Runs one order message job.
pub async fn run(app: Arc<OnceLock<AppCtx>>, job: Job) -> Result<(), JobError> {
    let ctx = app
        .get()
        .ok_or_else(|| JobError::Retry("the app is starting".into()))?;
    let payload: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(e.to_string()))?;
    let id = payload
        .get("event")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| JobError::Permanent("no event".into()))?;
    send(ctx, id).await
}

async fn send(ctx: &AppCtx, id: i64) -> Result<(), JobError> {
    let retry = |e: crate::services::ServiceError| JobError::Retry(e.to_string());
    let Some((event, order)) = orders::event(&ctx.db, id).await.map_err(retry)? else {
        return Err(JobError::Permanent(format!("no order event {id}")));
    };
    match event.outcome.as_str() {
        "queued" => {}
        // An earlier run died between its send and its record: it may have gone out.
        "sending" => {
            return orders::finish(&ctx.db, ctx.now(), &event, Outcome::Uncertain)
                .await
                .map_err(retry);
        }
        _ => return Ok(()),
    }
    let now = ctx.now();
    if !contacts::may_message(&ctx.db, order.seller_id, order.user_id)
        .await
        .map_err(retry)?
    {
        return orders::finish(&ctx.db, now, &event, Outcome::Stopped)
            .await
            .map_err(retry);
    }
    let (Some(seller), Some(user)) = (
        catalog::seller(&ctx.db, order.seller_id)
            .await
            .map_err(retry)?,
        users::find(&ctx.db, order.user_id).await.map_err(retry)?,
    ) else {
        return orders::finish(&ctx.db, now, &event, Outcome::Unreachable)
            .await
            .map_err(retry);
    };
    let change = Change::parse(&event.status)
        .ok_or_else(|| JobError::Permanent(format!("unknown change {}", event.status)))?;
    let locale = locale_of_user(ctx, &user);
    let t = Tenant {
        seller_id: order.seller_id,
        livemode: order.livemode,
    };
    let template = order_templates::get(&ctx.db, t, change, locale)
        .await
        .map_err(retry)?;
    let items = orders::items_of(&order)
        .iter()
        .map(|i| format!("{} × {}", i.name, i.quantity))
        .collect::<Vec<_>>()
        .join(", ");
    let values = Values {
        order: orders::label(&order).to_owned(),
        item: event.item.clone(),
        items,
        carrier: order.carrier.clone().unwrap_or_default(),
        tracking: order.tracking_number.clone().unwrap_or_default(),
        tracking_url: order.tracking_url.clone().unwrap_or_default(),
        seller: seller.display_name.clone(),
    };
    let text = order_templates::fill(&template.text, &values);
    let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
    if let Some(url) = order
        .tracking_url
        .as_deref()
        .filter(|_| change == Change::Shipped)
        .and_then(|u| reqwest::Url::parse(u).ok())
        .filter(|u| u.scheme() == "https" || u.scheme() == "http")
    {
        rows.push(vec![InlineKeyboardButton::url(
            tr(locale, "ord-track-button", &[]),
            url,
        )]);
    }
    rows.push(vec![stop_button(locale, seller.id, &seller.display_name)]);
    if !orders::begin_send(&ctx.db, &event).await.map_err(retry)? {
        return Ok(());
    }
    let chat = ChatId(order.user_id);
    let req = ctx
        .tg
        .bot()
        .send_message(chat, text)
        .reply_markup(InlineKeyboardMarkup::new(rows));
    let outcome = match ctx.tg.send(chat, req).await {
        Ok(m) => Outcome::Sent { message_id: m.id.0 },
        Err(TgError::Unreachable(_)) => {
            users::mark_unreachable(&ctx.db, now, order.user_id)
                .await
                .map_err(retry)?;
            Outcome::Unreachable
        }
        Err(TgError::Uncertain(e)) => {
            tracing::warn!(error = %e, event = id, "an order message may or may not have arrived");
            Outcome::Uncertain
        }
        Err(e) if e.is_transient() => {
            orders::requeue(&ctx.db, &event).await.map_err(retry)?;
            return Err(JobError::Retry(e.to_string()));
        }
        Err(e) => {
            tracing::warn!(error = %e, event = id, "Telegram refused an order message");
            orders::requeue(&ctx.db, &event).await.map_err(retry)?;
            return Err(JobError::Permanent(e.to_string()));
        }
    };
    orders::finish(&ctx.db, ctx.now(), &event, outcome)
        .await
        .map_err(retry)
}
