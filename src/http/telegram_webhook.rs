//! `POST /webhooks/telegram`: Telegram's webhook delivery.
//!
//! The secret header must match (401 otherwise, nothing processed). The body must be an
//! update (400 otherwise). An `update_id` seen before is acknowledged and dropped. The answer
//! is 200 only after the update was handled, so a crash before that makes Telegram redeliver;
//! a claim left behind by a crash is released at the next start.
use std::time::Duration;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
};
use teloxide::types::Update;

use super::{ApiError, HttpState, LimitedBody, TELEGRAM_BODY_LIMIT, header};
use crate::{
    services::events::{self, Claim, EventSource},
    telegram::update_kind,
};

/// Constant-time comparison, so the secret cannot be guessed byte by byte from timings.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

pub(super) async fn receive(
    State(s): State<HttpState>,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody<TELEGRAM_BODY_LIMIT>,
) -> Result<StatusCode, ApiError> {
    let Some(expected) = s.telegram_webhook_secret.as_ref() else {
        return Err(ApiError::NotFound("webhook mode is off"));
    };
    let given = header(&headers, "x-telegram-bot-api-secret-token");
    if !given.is_some_and(|g| same_secret(&g, expected.expose())) {
        tracing::warn!("Telegram webhook with a wrong or missing secret token");
        return Err(ApiError::Unauthorized);
    }
    let update: Update = serde_json::from_slice(&body).map_err(|e| {
        tracing::warn!(error = %e, "Telegram webhook body is not an update");
        ApiError::BadRequest(format!("not a Telegram update: {e}"))
    })?;
    let Some(pump) = s.pump.get() else {
        return Err(ApiError::Unavailable("the bot is starting"));
    };
    let id = update.id.0.to_string();
    let db = &s.ctx.db;
    let claim = events::claim(
        db,
        s.ctx.now(),
        EventSource::TelegramUpdate,
        &id,
        update_kind(&update),
        "processing",
    )
    .await?;
    if claim == Claim::Duplicate {
        tracing::debug!(update_id = %id, "duplicate update dropped");
        return Ok(StatusCode::OK);
    }
    let handled = match pump.submit(update).await {
        Ok(done) => tokio::time::timeout(Duration::from_secs(55), done)
            .await
            .is_ok_and(|r| r.is_ok()),
        Err(_) => false,
    };
    if handled {
        events::complete(db, s.ctx.now(), EventSource::TelegramUpdate, &id).await?;
        Ok(StatusCode::OK)
    } else {
        events::release(db, EventSource::TelegramUpdate, &id).await?;
        Err(ApiError::Unavailable("the update could not be handled now"))
    }
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
        assert!(!same_secret("", "abc"));
    }
}
