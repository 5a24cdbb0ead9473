//! `/webhook-endpoints` and `/events`: where a seller hears from Tollgate, and what was sent.
use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, ApiQuery, Caller, PageParams};
use crate::{
    http::{ApiError, HttpState},
    sellers::webhooks::{self, Delivery, Endpoint, EventWithDeliveries, NewEndpoint, WebhookError},
};

type ErrorBody = super::super::error::ErrorBody;

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Invalid { field, message } => ApiError::invalid(field, message),
            WebhookError::Storage(s) => s.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointOut {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// The event types sent to it; none for all.
    pub events: Option<Vec<String>>,
    /// `active` or `disabled` (after 20 failed deliveries in a row).
    pub status: String,
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    /// After a rotation, the old secret also signs until then.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub livemode: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Endpoint> for EndpointOut {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            events: e.events,
            status: e.status,
            consecutive_failures: e.consecutive_failures,
            disabled_at: e.disabled_at,
            previous_secret_expires_at: e.previous_secret_expires_at,
            livemode: e.livemode,
            created_at: e.created_at,
        }
    }
}

/// A new endpoint, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    pub endpoint: EndpointOut,
    /// `whsec_…`: verify `Tollgate-Signature` with it.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    pub data: Vec<EndpointOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpointIn {
    /// An https URL that resolves only to public addresses.
    pub url: String,
    pub description: Option<String>,
    /// Event types to send (`member.joined`, `payment.succeeded`, …); none or `["*"]` for all.
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretOut {
    /// The new secret; the old one keeps signing too for 24 hours.
    pub secret: String,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestOut {
    /// The `webhook.test` event queued for the endpoint.
    pub event_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: i64,
    pub endpoint_id: i64,
    /// `pending`, `succeeded` or `dead` (every try failed; resend it).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status on the last try.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            endpoint_id: d.endpoint_id,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
            last_duration_ms: d.last_duration_ms,
            delivered_at: d.delivered_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    /// `evt_…`, also sent as `Tollgate-Event-Id`.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created: DateTime<Utc>,
    pub livemode: bool,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub deliveries: Vec<DeliveryOut>,
}

impl From<EventWithDeliveries> for EventOut {
    fn from(e: EventWithDeliveries) -> Self {
        Self {
            id: e.event.id,
            event_type: e.event.event_type,
            created: e.event.created,
            livemode: e.event.livemode,
            data: e.event.data,
            deliveries: e.deliveries.into_iter().map(Into::into).collect(),
        }
    }
}

/// Events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub data: Vec<EventOut>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Resent {
    pub delivery_id: i64,
    pub status: String,
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such webhook endpoint")
}

#[utoipa::path(get, path = "/webhook-endpoints", tag = "webhooks",
    responses((status = 200, body = EndpointList)))]
pub async fn list_endpoints(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<EndpointList>, ApiError> {
    let t = caller.tenant();
    let rows = webhooks::endpoints(&s.ctx.db, t.seller_id, t.livemode).await?;
    Ok(Json(EndpointList {
        data: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Adds an endpoint. Events are POSTed to it as `{id, type, created, livemode, data}`, signed
/// in `Tollgate-Signature: t=<unix>,v1=<hex hmac-sha256(secret, "<t>.<body>")>`.
#[utoipa::path(post, path = "/webhook-endpoints", tag = "webhooks", request_body = NewEndpointIn,
    responses((status = 201, body = CreatedEndpoint), (status = 422, body = ErrorBody)))]
pub async fn create_endpoint(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewEndpointIn>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    let t = caller.tenant();
    let ctx = &s.ctx;
    let (endpoint, secret) = webhooks::create_endpoint(
        &ctx.db,
        ctx.now(),
        ctx.sealer.as_ref(),
        t.seller_id,
        t.livemode,
        NewEndpoint {
            url: new.url,
            description: new.description,
            events: new.events,
        },
        ctx.config.webhooks.allow_local,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint {
            endpoint: endpoint.into(),
            secret,
        }),
    ))
}

#[utoipa::path(get, path = "/webhook-endpoints/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = EndpointOut), (status = 404, body = ErrorBody)))]
pub async fn get_endpoint(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<EndpointOut>, ApiError> {
    let t = caller.tenant();
    let e = webhooks::endpoint(&s.ctx.db, t.seller_id, t.livemode, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(e.into()))
}

/// Deletes an endpoint; what was still waiting for it is dropped.
#[utoipa::path(delete, path = "/webhook-endpoints/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_endpoint(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let t = caller.tenant();
    if !webhooks::delete_endpoint(&s.ctx.db, t.seller_id, t.livemode, id).await? {
        return Err(not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret; for 24 hours deliveries carry a signature with each.
#[utoipa::path(post, path = "/webhook-endpoints/{id}/rotate-secret", tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 200, body = SecretOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn rotate_secret(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<SecretOut>, ApiError> {
    let t = caller.tenant();
    let db = &s.ctx.db;
    if webhooks::endpoint(db, t.seller_id, t.livemode, id)
        .await?
        .is_none()
    {
        return Err(not_found());
    }
    let secret = webhooks::rotate_secret(
        db,
        s.ctx.now(),
        s.ctx.sealer.as_ref(),
        t.seller_id,
        t.livemode,
        id,
    )
    .await?
    .ok_or(ApiError::Conflict {
        code: "conflict",
        message: "the secret was rotated at the same moment; try again".into(),
    })?;
    let e = webhooks::endpoint(db, t.seller_id, t.livemode, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(SecretOut {
        secret,
        previous_secret_expires_at: e.previous_secret_expires_at,
    }))
}

/// Queues a `webhook.test` event for the endpoint.
#[utoipa::path(post, path = "/webhook-endpoints/{id}/test", tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 202, body = TestOut), (status = 404, body = ErrorBody)))]
pub async fn send_test(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<TestOut>), ApiError> {
    let t = caller.tenant();
    let event_id = webhooks::send_test(&s.ctx.db, s.ctx.now(), t.seller_id, t.livemode, id)
        .await?
        .ok_or_else(not_found)?;
    Ok((StatusCode::ACCEPTED, Json(TestOut { event_id })))
}

/// Queues a dead-lettered delivery again; its tries start over.
#[utoipa::path(post, path = "/webhook-deliveries/{id}/resend", tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 202, body = Resent), (status = 404, body = ErrorBody)))]
pub async fn resend_delivery(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<Resent>), ApiError> {
    let t = caller.tenant();
    if !webhooks::resend(&s.ctx.db, s.ctx.now(), t.seller_id, t.livemode, id).await? {
        return Err(ApiError::NotFound("no such dead-lettered delivery"));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Resent {
            delivery_id: id,
            status: "pending".into(),
        }),
    ))
}

/// What was sent and how each delivery went, newest first.
#[utoipa::path(get, path = "/events", tag = "webhooks", params(PageParams),
    responses((status = 200, body = EventList), (status = 422, body = ErrorBody)))]
pub async fn list_events(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<EventList>, ApiError> {
    let (after, limit) = page.parse()?;
    let t = caller.tenant();
    // One more than asked, to know whether more follow.
    let mut rows = webhooks::events(&s.ctx.db, t.seller_id, t.livemode, after, limit + 1).await?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if has_more {
        rows.last().map(|e| e.cursor.to_string())
    } else {
        None
    };
    Ok(Json(EventList {
        data: rows.into_iter().map(Into::into).collect(),
        has_more,
        next_cursor,
    }))
}
