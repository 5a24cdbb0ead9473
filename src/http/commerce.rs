//! `POST /commerce/{platform}/{token}`: Shopify and WooCommerce order webhooks, one receiver
//! per seller, mode and platform.
//!
//! The signature is checked over the exact bytes received, before anything reads them: an
//! unknown receiver is a 404, a missing or forged signature a 401, and neither stores
//! anything. A verified delivery goes through the orders service like an API call; one it
//! cannot use (no `telegram_id`, a customer who never started the bot, a topic other than
//! orders) is answered 200 with the reason, so the shop does not retry it for days.
use axum::{
    Json,
    extract::{Path, State},
    http::HeaderMap,
    response::IntoResponse,
};
use serde_json::json;

use super::{ApiError, HttpState, LimitedBody, header};
use crate::messaging::{
    commerce::{self, Platform, Received},
    orders,
};

/// The largest order webhook taken: a large Shopify order is some tens of KiB.
pub const COMMERCE_BODY_LIMIT: usize = 512 * 1024;

/// WooCommerce's unsigned ping when a webhook is saved: `webhook_id=<n>`.
fn is_woocommerce_ping(platform: Platform, body: &[u8]) -> bool {
    platform == Platform::WooCommerce
        && body
            .strip_prefix(b"webhook_id=")
            .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
}

pub async fn receive(
    State(s): State<HttpState>,
    Path((platform, token)): Path<(String, String)>,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody<COMMERCE_BODY_LIMIT>,
) -> Result<impl IntoResponse, ApiError> {
    let not_found = || ApiError::NotFound("no such shop endpoint");
    let platform = Platform::parse(&platform)
        .filter(|p| p.as_str() == platform)
        .ok_or_else(not_found)?;
    let ctx = &s.ctx;
    let endpoint = commerce::by_token(&ctx.db, platform, &token)
        .await?
        .ok_or_else(not_found)?;
    let signature = header(&headers, platform.signature_header());
    let Some(signature) = signature else {
        if is_woocommerce_ping(platform, &body) {
            return Ok(Json(json!({"received": true, "result": "ping"})));
        }
        return Err(ApiError::BadSignature);
    };
    let secret = commerce::secret_of(ctx.sealer.as_ref(), &endpoint).map_err(|e| {
        tracing::error!(
            seller = endpoint.seller_id,
            platform = platform.as_str(),
            error = %e,
            "a shop receiver's secret cannot be opened with ENCRYPTION_KEY"
        );
        ApiError::BadSignature
    })?;
    if !commerce::verify(&secret, &body, &signature) {
        tracing::warn!(
            seller = endpoint.seller_id,
            platform = platform.as_str(),
            "a shop webhook with a bad signature refused"
        );
        return Err(ApiError::BadSignature);
    }
    let topic = header(&headers, platform.topic_header()).unwrap_or_default();
    let received = commerce::receive(&ctx.db, ctx.now(), &endpoint, &topic, &body)
        .await?
        .map_err(|e| ApiError::Invalid {
            field: None,
            message: format!("the order cannot be read: {e}"),
        })?;
    Ok(Json(match received {
        Received::Ignored(reason) => json!({
            "received": true,
            "result": "ignored",
            "reason": reason,
        }),
        Received::Order {
            order,
            created,
            changes,
        } => {
            if !changes.is_empty() {
                ctx.jobs.notify();
            }
            json!({
                "received": true,
                "result": if created { "created" } else if changes.is_empty() { "unchanged" } else { "updated" },
                "order": orders::public_id(order.id),
                "status": order.status,
                "changes": changes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            })
        }
    }))
}
