//! The one HTTP server: health, readiness, metrics, the Telegram and Stripe webhooks, the
//! sellers' REST API ([`api`]).
pub mod api;
mod commerce;
mod error;
mod server;
mod telegram_webhook;

use std::sync::{Arc, OnceLock};

use axum::{
    Json, Router,
    extract::{FromRequest, Path, Request, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::json;
use teloxide::types::Me;

pub use error::{ApiError, ErrorBody};
pub use server::{ServerLimits, raise_open_file_limit, serve};

use crate::{
    billing::stripe, config::Secret, context::AppCtx, jobs, sellers::card::Endpoint, storage,
    telegram::UpdatePump,
};

#[derive(Clone)]
pub struct HttpState {
    pub ctx: AppCtx,
    /// Known once `getMe` succeeded.
    pub me: Arc<OnceLock<Me>>,
    /// Set once the bot is ready to handle updates (webhook mode).
    pub pump: Arc<OnceLock<UpdatePump>>,
    /// Some in webhook mode.
    pub telegram_webhook_secret: Option<Secret>,
    pub limits: ServerLimits,
}

/// The largest Stripe webhook body taken: Stripe's events are a few KiB.
pub const STRIPE_BODY_LIMIT: usize = 256 * 1024;
/// The largest Telegram update taken: a message with a 4096-character text, its entities and a
/// reply to another is well under this.
pub const TELEGRAM_BODY_LIMIT: usize = 1024 * 1024;

/// A request body of at most `MAX` bytes, received within the server's body timeout: 413 when
/// larger (said by `Content-Length` or found while reading), 408 when it stalls.
pub struct LimitedBody<const MAX: usize>(pub axum::body::Bytes);

impl<const MAX: usize> FromRequest<HttpState> for LimitedBody<MAX> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &HttpState) -> Result<Self, Self::Rejection> {
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX as u64) {
            return Err(ApiError::TooLarge(MAX));
        }
        let read = axum::body::to_bytes(req.into_body(), MAX);
        match tokio::time::timeout(state.limits.body_timeout, read).await {
            Err(_) => Err(ApiError::BodyTimeout),
            Ok(Ok(bytes)) => Ok(Self(bytes)),
            Ok(Err(e)) if is_length_limit(&e) => Err(ApiError::TooLarge(MAX)),
            Ok(Err(e)) => Err(ApiError::BadRequest(format!("cannot read the body: {e}"))),
        }
    }
}

pub(crate) fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .merge(api::router(state.clone()))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/webhooks/telegram", post(telegram_webhook::receive))
        .route("/webhooks/stripe", post(stripe_webhook))
        .route(
            "/webhooks/stripe/sellers/{seller}",
            post(seller_stripe_webhook),
        )
        .route("/connect/return/{seller}", get(connect_return))
        .route("/connect/refresh/{seller}", get(connect_refresh))
        .route("/pay/success", get(pay_success))
        .route("/pay/cancel", get(pay_cancel))
        .route("/pay/success/{seller}", get(seller_pay_success))
        .route("/pay/cancel/{seller}", get(seller_pay_cancel))
        .route("/brand/{seller}/logo", get(brand_logo))
        .route("/commerce/{platform}/{token}", post(commerce::receive))
        .route("/d/{send}/{button}/{signature}", get(drip_click))
        .with_state(state)
}

async fn readyz(State(s): State<HttpState>) -> impl IntoResponse {
    let db = storage::ping(&s.ctx.db).await;
    let bot = s.me.get().map(|me| format!("@{}", me.username()));
    let ready = db.is_ok() && bot.is_some();
    let body = json!({
        "database": match &db { Ok(()) => "ok".to_owned(), Err(e) => e.to_string() },
        "bot": bot,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

async fn metrics(State(s): State<HttpState>) -> Result<impl IntoResponse, ApiError> {
    let counts = jobs::counts(&s.ctx.db).await?;
    let mut states: Vec<(String, u64)> = counts.into_iter().collect();
    states.sort();
    let backlog = crate::relay::backlog::stats(&s.ctx.db)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let oldest = backlog
        .oldest
        .map_or(0, |t| (s.ctx.now() - t).num_seconds());
    let mut text = s.ctx.metrics.render(&states);
    text.push_str(&crate::metrics::Metrics::render_relay_backlog(
        backlog.waiting,
        oldest,
    ));
    Ok(([("content-type", "text/plain; version=0.0.4")], text))
}

/// A Stripe delivery whose signature was verified: handlers only ever see these.
pub enum VerifiedStripeEvent {
    /// An event read into async-stripe's types.
    Typed(stripe_webhook::Event),
    /// An invoice or subscription event, read through the narrow view of
    /// [`recurring_card`](crate::sellers::recurring_card) (whatever the typed reading made of it).
    Billing(crate::sellers::recurring_card::BillingEvent),
}

/// Verifies a delivery; billing events are read narrowly, every other event must read into
/// the types.
fn verify_delivery(
    body: &str,
    signature: Option<&str>,
    secret: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<VerifiedStripeEvent, stripe::Rejection> {
    use crate::sellers::recurring_card;
    match stripe::verify(body, signature, secret, now) {
        Ok(event) if recurring_card::is_billing_type(event.type_.as_str()) => {
            recurring_card::parse(body)
                .map(VerifiedStripeEvent::Billing)
                .ok_or_else(|| stripe::Rejection::Malformed("not a billing event".into()))
        }
        Ok(event) => Ok(VerifiedStripeEvent::Typed(event)),
        // The signature held; only the typed reading failed.
        Err(stripe::Rejection::Malformed(why)) => recurring_card::parse(body)
            .map(VerifiedStripeEvent::Billing)
            .ok_or(stripe::Rejection::Malformed(why)),
        Err(e) => Err(e),
    }
}

impl FromRequest<HttpState> for VerifiedStripeEvent {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &HttpState) -> Result<Self, Self::Rejection> {
        let Some(cfg) = state.ctx.config.stripe.as_ref() else {
            return Err(ApiError::NotFound("Stripe is not configured"));
        };
        let signature = header(req.headers(), "stripe-signature");
        let LimitedBody(bytes) = LimitedBody::<STRIPE_BODY_LIMIT>::from_request(req, state).await?;
        let body = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::BadRequest("body is not UTF-8 text".into()))?;
        verify_delivery(
            &body,
            signature.as_deref(),
            cfg.webhook_secret.expose(),
            state.ctx.now(),
        )
        .map_err(|e| {
            tracing::warn!(reason = %e, "Stripe webhook refused");
            ApiError::BadRequest(e.to_string())
        })
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn stripe_webhook(
    State(s): State<HttpState>,
    delivery: VerifiedStripeEvent,
) -> Result<impl IntoResponse, ApiError> {
    let internal = |e: stripe::HandleError| ApiError::Internal(e.into());
    let event = match delivery {
        VerifiedStripeEvent::Billing(event) => {
            let applied = crate::sellers::recurring_card::apply(&s.ctx, &event, Endpoint::Platform)
                .await
                .map_err(internal)?
                // An invoice or subscription that is not a seller's plan: received.
                .unwrap_or(stripe::Applied::Duplicate);
            return Ok(Json(json!({
                "received": true,
                "duplicate": applied == stripe::Applied::Duplicate,
            })));
        }
        VerifiedStripeEvent::Typed(event) => event,
    };
    if let Some(applied) =
        crate::messaging::invoice_notify::apply_stripe(&s.ctx, &event, Endpoint::Platform)
            .await
            .map_err(internal)?
    {
        return Ok(Json(json!({
            "received": true,
            "duplicate": applied == stripe::Applied::Duplicate,
        })));
    }
    let applied = match crate::sellers::card::apply(&s.ctx, &event, Endpoint::Platform)
        .await
        .map_err(internal)?
    {
        Some(applied) => applied,
        None => match crate::sellers::connect::apply(&s.ctx, &event)
            .await
            .map_err(internal)?
        {
            Some(applied) => applied,
            None => stripe::apply(&s.ctx, &event).await.map_err(internal)?,
        },
    };
    Ok(Json(json!({
        "received": true,
        "duplicate": applied == stripe::Applied::Duplicate,
    })))
}

/// The endpoint of a seller's own Stripe account (payout mode "own key"): verified with that
/// seller's signing secret, and it only ever touches that seller's orders paid to that
/// account. An unknown seller, one without their own key, or a bad signature: 400, nothing
/// changes.
async fn seller_stripe_webhook(
    State(s): State<HttpState>,
    Path(seller): Path<i64>,
    headers: HeaderMap,
    LimitedBody(bytes): LimitedBody<STRIPE_BODY_LIMIT>,
) -> Result<impl IntoResponse, ApiError> {
    let refused = || ApiError::BadRequest("no Stripe endpoint for this seller".into());
    let secret = match (
        &s.ctx.sealer,
        crate::sellers::catalog::seller(&s.ctx.db, seller).await?,
    ) {
        (Some(sealer), Some(found)) => crate::sellers::payouts::own_webhook_secret(sealer, &found)
            .ok()
            .flatten()
            .filter(|_| found.pay_mode == "own_key"),
        _ => None,
    }
    .ok_or_else(refused)?;
    let body = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::BadRequest("body is not UTF-8 text".into()))?;
    let signature = header(&headers, "stripe-signature");
    let delivery =
        verify_delivery(&body, signature.as_deref(), &secret, s.ctx.now()).map_err(|e| {
            tracing::warn!(seller, reason = %e, "a seller's Stripe webhook refused");
            ApiError::BadRequest(e.to_string())
        })?;
    let applied = match delivery {
        VerifiedStripeEvent::Typed(event) => {
            match crate::messaging::invoice_notify::apply_stripe(
                &s.ctx,
                &event,
                Endpoint::Seller(seller),
            )
            .await
            {
                Ok(None) => {
                    crate::sellers::card::apply(&s.ctx, &event, Endpoint::Seller(seller)).await
                }
                other => other,
            }
        }
        VerifiedStripeEvent::Billing(event) => {
            crate::sellers::recurring_card::apply(&s.ctx, &event, Endpoint::Seller(seller)).await
        }
    }
    .map_err(|e| ApiError::Internal(e.into()))?
    // An event about nothing of ours (a payment the seller took elsewhere): received.
    .unwrap_or(stripe::Applied::Duplicate);
    Ok(Json(json!({
        "received": true,
        "duplicate": applied == stripe::Applied::Duplicate,
    })))
}

fn page(state: &HttpState, title: &str, body: &str) -> axum::response::Html<String> {
    let bot = state
        .me
        .get()
        .map(|me| me.username().to_owned())
        .unwrap_or_default();
    let link = if bot.is_empty() {
        String::new()
    } else {
        format!("<p><a href=\"https://t.me/{bot}\">Back to @{bot}</a></p>")
    };
    axum::response::Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body style=\"font-family:sans-serif;max-width:32rem;margin:3rem auto;text-align:center\">\
         <h1>{title}</h1><p>{body}</p>{link}</body></html>"
    ))
}

/// Where Stripe's Connect onboarding sends a seller back to: the account is read from Stripe
/// and its state recorded (the seller hears in the bot when that changes something). The
/// page reveals nothing, and a forged visit only makes that read again.
async fn connect_return(
    State(s): State<HttpState>,
    Path(seller): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(found) = crate::sellers::catalog::seller(&s.ctx.db, seller).await?
        && let Err(e) = crate::sellers::connect::refresh(&s.ctx, &found).await
    {
        tracing::warn!(seller, error = %e, "could not read a connected account on return");
    }
    Ok(page(
        &s,
        "Back from Stripe",
        "The bot has your account's state and will tell you when card payments can start. \
         You can close this page.",
    ))
}

/// Where an expired onboarding link leads: a fresh link is only handed out in the bot, to the
/// seller, never to whoever holds this URL.
async fn connect_refresh(State(s): State<HttpState>) -> impl IntoResponse {
    page(
        &s,
        "Link expired",
        "This onboarding link has expired. In the bot, open /payouts and press \
         \"Continue Stripe onboarding\" for a fresh one.",
    )
}

/// Where Stripe Checkout sends people after paying. The credits arrive through the webhook,
/// not through this page, so reloading it or forging its URL changes nothing.
async fn pay_success(State(s): State<HttpState>) -> impl IntoResponse {
    page(
        &s,
        "Thank you!",
        "Your payment is being confirmed; the bot will message you in a moment.",
    )
}

async fn pay_cancel(State(s): State<HttpState>) -> impl IntoResponse {
    page(
        &s,
        "Payment cancelled",
        "Nothing was charged. You can buy again any time with /buy.",
    )
}

/// `s` with the characters HTML gives a meaning to escaped.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A return page in the seller's colours: their logo and name above the message, the heading
/// and the link back to the bot in their accent colour. Every value is escaped (the colour is
/// `#rrggbb` by construction, and escaped all the same).
fn branded_page(
    state: &HttpState,
    brand: &crate::sellers::branding::Brand,
    title: &str,
    body: &str,
) -> axum::response::Html<String> {
    let bot = state
        .me
        .get()
        .map(|me| me.username().to_owned())
        .unwrap_or_default();
    let accent = escape_html(&brand.accent);
    let name = escape_html(&brand.name);
    let link = if bot.is_empty() {
        String::new()
    } else {
        format!("<p><a style=\"color:{accent}\" href=\"https://t.me/{bot}\">Back to @{bot}</a></p>")
    };
    let logo = if brand.logo.is_some() {
        format!(
            "<img src=\"/brand/{}/logo\" alt=\"{name}\" style=\"max-width:6rem;max-height:6rem\">",
            brand.seller_id
        )
    } else {
        String::new()
    };
    axum::response::Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {name}</title></head>\
         <body style=\"font-family:sans-serif;max-width:32rem;margin:3rem auto;text-align:center;\
         border-top:0.5rem solid {accent}\">\
         {logo}<p class=\"seller\" style=\"font-weight:bold\">{name}</p>\
         <h1 style=\"color:{accent}\">{title}</h1><p>{body}</p>{link}</body></html>"
    ))
}

/// The seller's branding for a return page; None for an unknown seller (the plain page).
async fn brand_of(
    s: &HttpState,
    seller: i64,
) -> Result<Option<crate::sellers::branding::Brand>, ApiError> {
    match crate::sellers::catalog::seller(&s.ctx.db, seller).await? {
        Some(found) => Ok(Some(
            crate::sellers::branding::brand(&s.ctx.db, &found).await?,
        )),
        None => Ok(None),
    }
}

/// Where Stripe Checkout sends a seller's buyer after paying: the page in the seller's
/// branding. As with the platform's page, access arrives through the webhook, so reloading
/// or forging it changes nothing.
async fn seller_pay_success(
    State(s): State<HttpState>,
    Path(seller): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    let (title, body) = (
        "Thank you!",
        "Your payment is being confirmed; the bot will message you in a moment.",
    );
    Ok(match brand_of(&s, seller).await? {
        Some(brand) => branded_page(&s, &brand, title, body).into_response(),
        None => page(&s, title, body).into_response(),
    })
}

async fn seller_pay_cancel(
    State(s): State<HttpState>,
    Path(seller): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    let (title, body) = (
        "Payment cancelled",
        "Nothing was charged. You can choose a plan again from the service's link in the bot.",
    );
    Ok(match brand_of(&s, seller).await? {
        Some(brand) => branded_page(&s, &brand, title, body).into_response(),
        None => page(&s, title, body).into_response(),
    })
}

/// The image type of a logo's bytes, by their first bytes; None for anything else.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A seller's logo, fetched from Telegram (getFile, then the file itself) and passed on: the
/// bot's token stays in the server, never in a URL anyone sees. 404 without a logo, for a
/// file that is too large, or for one that turns out not to be an image.
async fn brand_logo(
    State(s): State<HttpState>,
    Path(seller): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    use teloxide::{net::Download, requests::Requester};
    const NO_LOGO: ApiError = ApiError::NotFound("no logo");
    let Some(file_id) = crate::sellers::branding::get(&s.ctx.db, seller)
        .await?
        .and_then(|b| b.logo_file_id)
    else {
        return Err(NO_LOGO);
    };
    let file = s
        .ctx
        .tg
        .call(s.ctx.tg.bot().get_file(file_id.into()))
        .await
        .map_err(|e| {
            tracing::warn!(seller, error = %e, "could not look up a seller's logo");
            NO_LOGO
        })?;
    if u64::from(file.size) > crate::sellers::branding::MAX_LOGO_BYTES {
        return Err(NO_LOGO);
    }
    let mut bytes: Vec<u8> = Vec::new();
    s.ctx
        .tg
        .bot()
        .download_file(&file.path, &mut bytes)
        .await
        .map_err(|e| {
            tracing::warn!(seller, error = %e, "could not download a seller's logo");
            NO_LOGO
        })?;
    let Some(kind) = image_type(&bytes) else {
        return Err(NO_LOGO);
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// A drip step's button: counts the click (once per send) and sends the user on. A link
/// whose signature does not match is a 404, like one for no send.
async fn drip_click(
    State(s): State<HttpState>,
    Path((send, button, signature)): Path<(i64, usize, String)>,
) -> Result<axum::response::Response, ApiError> {
    let url = crate::messaging::drips::click(&s.ctx.db, s.ctx.now(), send, button, &signature)
        .await?
        .ok_or(ApiError::NotFound("no such link"))?;
    Ok(axum::response::Redirect::to(&url).into_response())
}

#[cfg(test)]
mod tests {
    use super::{escape_html, image_type};

    #[test]
    fn html_is_escaped_and_only_images_pass() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(image_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"%PDF-1.7"), None);
        assert_eq!(image_type(&[0; 2048]), None);
    }
}
