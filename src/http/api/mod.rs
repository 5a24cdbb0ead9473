//! The sellers' REST API under `/api/v1`: JSON, `Authorization: Bearer <key>`.
//!
//! Every route is declared once, with its OpenAPI description (utoipa), and the router is
//! built from those declarations, so the spec at `/api/v1/openapi.json` and the routes cannot
//! drift apart. A key sees only its seller's data in its own mode ([`Tenant`]): anyone else's
//! id is "not found", never "forbidden". Each key has an hourly limit (429 with
//! `Retry-After`); a POST with an `Idempotency-Key` answers the same key and body with the
//! first response again, and the same key with another body with 409.
mod analytics;
mod branding;
mod contacts;
mod drips;
mod invoices;
mod members;
mod orders;
mod otp;
mod platform_plan;
mod promos;
mod services;
mod types;
mod usage;
mod webhooks;

use std::sync::Arc;

use axum::{
    Extension, Router,
    body::Body,
    extract::{FromRequest, FromRequestParts, Request, State},
    http::{HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::{self, Next},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use serde::de::DeserializeOwned;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiError, HttpState, is_length_limit};
use crate::sellers::{
    api_keys::{self, ApiKey, Idempotent, Mode, Rate},
    catalog::Seller,
    platform::{self, Limit},
    team::{self, Action},
    tenant::Tenant,
};

/// The largest request body the API takes.
pub const API_BODY_LIMIT: usize = 64 * 1024;
/// The most rows a page holds.
pub const MAX_PAGE: u64 = 100;
/// Rows a page holds unless `limit` says otherwise.
pub const DEFAULT_PAGE: u64 = 50;

/// Who is calling: a key, its seller and its mode, and the role of the team member who made
/// the key. As in the bot, `seller.user_id` is that member: the audit trail names them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: ApiKey,
    pub seller: Seller,
    pub mode: Mode,
    pub role: team::Role,
}

impl Caller {
    pub fn tenant(&self) -> Tenant {
        Tenant {
            seller_id: self.seller.id,
            livemode: self.mode.livemode(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tollgate seller API",
        version = "1",
        description = "Automate paid access to your Telegram channels and groups: services, \
                       plans, members, grants, payments, stats, analytics, alerts, webhooks, promo codes, branding, \
                       contacts, one-time codes over Telegram, usage, invoices, orders with \
                       packing notices, and drip campaigns. \
                       Authenticate with `Authorization: Bearer tg_live_…` (or `tg_test_…` for \
                       test data). Lists are paged with `cursor` and `limit`; every error is \
                       `{\"error\": {\"code\", \"message\", \"field\"}}`; every POST honours an \
                       `Idempotency-Key` header."
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(super::error::ErrorBody, super::error::ErrorDetail)),
    tags(
        (name = "services", description = "Your channels and groups, and their plans"),
        (name = "members", description = "Memberships: grants, revocations"),
        (name = "payments", description = "Payments and numbers"),
        (name = "webhooks", description = "Outgoing webhooks and their deliveries"),
        (name = "promo-codes", description = "Promo and access codes for your plans"),
        (name = "branding", description = "Your name and colour on checkout pages, share cards and alerts"),
        (name = "contacts", description = "Telegram users you may message, with your tags and attributes"),
        (name = "otp", description = "One-time codes sent to your users in Telegram"),
        (name = "usage", description = "What you used per day, and your limits"),
        (name = "plan", description = "Your platform plan: its limits and fee, and changing it"),
        (name = "invoices", description = "Bills to your contacts, paid in Telegram, and their reminders"),
        (name = "orders", description = "Orders, your customers' order messages in Telegram, their texts, and Shopify / WooCommerce receivers"),
        (name = "drip-campaigns", description = "Timed sequences of messages to your contacts"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API's routes (relative to `/api/v1`) and their description.
pub fn routes() -> (Router<HttpState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(services::list_services, services::create_service))
        .routes(routes!(services::get_service, services::update_service))
        .routes(routes!(services::list_plans, services::create_plan))
        .routes(routes!(services::update_plan))
        .routes(routes!(members::list_members))
        .routes(routes!(members::get_member))
        .routes(routes!(members::create_grant))
        .routes(routes!(members::revoke_member))
        .routes(routes!(members::list_payments))
        .routes(routes!(members::get_stats))
        .routes(routes!(analytics::get_analytics))
        .routes(routes!(members::post_alert))
        .routes(routes!(webhooks::list_endpoints, webhooks::create_endpoint))
        .routes(routes!(webhooks::get_endpoint, webhooks::delete_endpoint))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::send_test))
        .routes(routes!(webhooks::resend_delivery))
        .routes(routes!(webhooks::list_events))
        .routes(routes!(promos::list_promo_codes, promos::create_promo_code))
        .routes(routes!(promos::deactivate_promo_code))
        .routes(routes!(branding::get_branding, branding::update_branding))
        .routes(routes!(contacts::list_contacts, contacts::create_contact))
        .routes(routes!(contacts::get_contact, contacts::update_contact))
        .routes(routes!(otp::send_otp))
        .routes(routes!(otp::verify_otp))
        .routes(routes!(usage::get_usage))
        .routes(routes!(platform_plan::get_plan, platform_plan::change_plan))
        .routes(routes!(invoices::list_invoices, invoices::create_invoice))
        .routes(routes!(invoices::get_invoice))
        .routes(routes!(invoices::send_invoice))
        .routes(routes!(invoices::void_invoice))
        .routes(routes!(invoices::get_reminders, invoices::update_reminders))
        .routes(routes!(orders::list_orders, orders::create_order))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::update_status))
        .routes(routes!(orders::list_templates))
        .routes(routes!(
            orders::get_template,
            orders::put_template,
            orders::reset_template
        ))
        .routes(routes!(
            orders::list_commerce_endpoints,
            orders::create_commerce_endpoint
        ))
        .routes(routes!(
            drips::list_drip_campaigns,
            drips::create_drip_campaign
        ))
        .routes(routes!(
            drips::get_drip_campaign,
            drips::update_drip_campaign
        ))
        .routes(routes!(drips::add_drip_step))
        .routes(routes!(
            drips::list_drip_enrollments,
            drips::create_drip_enrollment
        ))
        .routes(routes!(drips::get_drip_stats))
        .split_for_parts()
}

/// The OpenAPI document, as served.
pub fn spec() -> utoipa::openapi::OpenApi {
    routes().1
}

/// `/api/v1/…` behind the key check, the spec and the docs page.
pub fn router(state: HttpState) -> Router<HttpState> {
    let (api, spec) = routes();
    let spec = Arc::new(spec.to_pretty_json().expect("the spec serialises"));
    let api = api
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(state.clone(), idempotency))
        .layer(middleware::from_fn_with_state(state, authenticate));
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let spec = spec.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        (*spec).clone(),
                    )
                }
            }),
        )
        .route("/api/docs", get(docs_page))
        .route("/api/docs/scalar.js", get(scalar_js))
        .nest("/api/v1", api)
}

async fn no_route() -> ApiError {
    ApiError::NotFound("no such route")
}

/// What a request does, for the key's role check: every read is open to every role; a write
/// is what its resource is (`path` is relative to `/api/v1`, or carries it).
pub fn required_action(method: &Method, path: &str) -> Action {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Action::Read;
    }
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "webhook-endpoints" | "webhook-deliveries" | "events" => Action::Webhooks,
        "members" => Action::Members,
        "services" if path.ends_with("/grants") => Action::Members,
        "services" if path.ends_with("/alerts") => Action::Alerts,
        "services" | "plans" | "promo-codes" => Action::Services,
        "branding" => Action::Branding,
        "contacts" | "otp" | "drip-campaigns" => Action::Messaging,
        "plan" => Action::Billing,
        "invoices" | "invoice-reminders" => Action::Messaging,
        "orders" | "order-templates" | "commerce-endpoints" => Action::Messaging,
        // Anything else that writes is the owner's.
        _ => Action::Team,
    }
}

/// Checks the bearer key and counts the request against its hourly limit.
async fn authenticate(State(s): State<HttpState>, mut req: Request, next: Next) -> Response {
    let secret = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned);
    let Some(secret) = secret else {
        return ApiError::Unauthorized.into_response();
    };
    let now = s.ctx.now();
    let (key, seller) = match api_keys::authenticate(&s.ctx.db, now, &secret).await {
        Ok(Some(found)) => found,
        Ok(None) => return ApiError::Unauthorized.into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(mode) = Mode::parse(&key.mode) else {
        return ApiError::Unauthorized.into_response();
    };
    let limit = key.rate_limit;
    let remaining = match s.ctx.api_limits.hit(key.id, limit, now).await {
        Rate::Limited { retry_after } => {
            let mut res = ApiError::RateLimited { retry_after }.into_response();
            res.headers_mut()
                .insert("x-ratelimit-limit", HeaderValue::from(limit));
            res.headers_mut()
                .insert("x-ratelimit-remaining", HeaderValue::from(0));
            return res;
        }
        Rate::Allowed { remaining } => remaining,
    };
    // The seller's platform plan caps the calls of all their keys together.
    let plan = match platform::current(&s.ctx.db, seller.id).await {
        Ok(plan) => plan,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Some(max) = plan.max_api_calls_per_hour
        && let Rate::Limited { retry_after } =
            s.ctx.api_limits.hit_seller(seller.id, max, now).await
    {
        let message = match platform::reached(&s.ctx.db, plan, Limit::ApiCallsPerHour).await {
            Ok(Some(reached)) => reached.describe(),
            Ok(None) => "the plan's hourly API calls are used up".to_owned(),
            Err(e) => return ApiError::from(e).into_response(),
        };
        return ApiError::PlanLimit {
            limit: Limit::ApiCallsPerHour.as_str(),
            message,
            retry_after: Some(retry_after),
        }
        .into_response();
    }
    // A key acts with its creating member's role; a removed member's keys are revoked, and
    // one whose member is gone all the same is no key.
    let role = match team::key_role(&s.ctx.db, &seller, key.created_by).await {
        Ok(Some(role)) => role,
        Ok(None) => return ApiError::Unauthorized.into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    if !role.can(required_action(req.method(), req.uri().path())) {
        return ApiError::ForbiddenRole(role.as_str()).into_response();
    }
    s.ctx.usage.hit(
        Tenant {
            seller_id: seller.id,
            livemode: mode.livemode(),
        },
        now,
    );
    let mut seller = seller;
    seller.user_id = key.created_by;
    req.extensions_mut().insert(Caller {
        key,
        seller,
        mode,
        role,
    });
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("x-ratelimit-limit", HeaderValue::from(limit));
    res.headers_mut()
        .insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    res
}

/// `Idempotency-Key` on a POST: the first answer is kept and given again.
async fn idempotency(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(idem) = req.headers().get("idempotency-key").cloned() else {
        return next.run(req).await;
    };
    let idem = match idem.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 => k.to_owned(),
        _ => {
            return ApiError::invalid(
                "Idempotency-Key",
                "an Idempotency-Key is 1 to 255 visible ASCII characters",
            )
            .into_response();
        }
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, API_BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) if is_length_limit(&e) => return ApiError::TooLarge(API_BODY_LIMIT).into_response(),
        Err(e) => {
            return ApiError::BadRequest(format!("cannot read the body: {e}")).into_response();
        }
    };
    let mut fingerprint = format!("{} {}\n", parts.method, parts.uri).into_bytes();
    fingerprint.extend_from_slice(&bytes);
    let hash = api_keys::sha256_hex(&fingerprint);
    let db = &s.ctx.db;
    let key = caller.key.id;
    match api_keys::idempotency_begin(db, s.ctx.now(), key, &idem, &hash).await {
        Err(e) => ApiError::from(e).into_response(),
        Ok(Idempotent::Mismatch) => ApiError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used for another request".into(),
        }
        .into_response(),
        Ok(Idempotent::InFlight) => ApiError::Conflict {
            code: "idempotency_key_in_use",
            message: "a request with this Idempotency-Key is still running; retry shortly".into(),
        }
        .into_response(),
        Ok(Idempotent::Replay { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut res = (status, body).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            res
        }
        Ok(Idempotent::Fresh) => {
            let res = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let (parts, body) = res.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let kept = if parts.status.is_server_error() {
                api_keys::idempotency_forget(db, key, &idem).await
            } else {
                let text = String::from_utf8_lossy(&body);
                api_keys::idempotency_finish(db, key, &idem, parts.status.as_u16(), &text).await
            };
            if let Err(e) = kept {
                tracing::warn!(error = %e, "could not keep an idempotent answer");
            }
            Response::from_parts(parts, Body::from(body))
        }
    }
}

/// A JSON body of at most [`API_BODY_LIMIT`] bytes; a field that does not fit is named.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), API_BODY_LIMIT)
            .await
            .map_err(|e| {
                if is_length_limit(&e) {
                    ApiError::TooLarge(API_BODY_LIMIT)
                } else {
                    ApiError::BadRequest(format!("cannot read the body: {e}"))
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::Invalid {
                field: None,
                message: format!("the body is not valid JSON: {message}"),
            };
        }
        let field = if path == "." {
            named_field(&message)
        } else {
            Some(path)
        };
        ApiError::Invalid { field, message }
    })
}

/// The field serde names in "missing field `x`" or "unknown field `x`, expected …".
fn named_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// Query parameters; one that does not fit is named.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                let field = if path == "." {
                    named_field(&message)
                } else {
                    Some(path)
                };
                ApiError::Invalid { field, message }
            })
    }
}

/// `cursor` and `limit` of a list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the page before; none for the first page.
    pub cursor: Option<String>,
    /// Rows per page, 1 to 100 (50 unless given).
    pub limit: Option<u64>,
}

impl PageParams {
    /// The id after which the page starts, and its size.
    pub fn parse(&self) -> Result<(Option<i64>, u64), ApiError> {
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this API gave"))?,
            ),
        };
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::invalid("limit", "limit is 1 to 100"));
        }
        Ok((after, limit))
    }
}

/// The docs page: Scalar's reader of the spec, served from the binary.
async fn docs_page() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Tollgate seller API</title></head><body>\
         <script id=\"api-reference\" data-url=\"/api/v1/openapi.json\" \
         data-configuration='{\"withDefaultFonts\":false,\"hideClientButton\":true}'></script>\
         <script src=\"/api/docs/scalar.js\"></script></body></html>",
    )
}

/// Scalar's API reference (`@scalar/api-reference`, MIT), gzip-compressed in the binary.
static SCALAR_JS_GZ: &[u8] = include_bytes!("../../../assets/scalar/standalone.js.gz");

async fn scalar_js(headers: axum::http::HeaderMap) -> Response {
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    if !gzip_ok {
        return (
            StatusCode::NOT_ACCEPTABLE,
            "the docs script is served gzip-compressed; use a browser",
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/javascript"),
            (header::CONTENT_ENCODING, "gzip"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        SCALAR_JS_GZ,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            named_field("missing field `chat_id` at line 1 column 2"),
            Some("chat_id".into())
        );
        assert_eq!(
            named_field("unknown field `colour`, expected one of `a`, `b`"),
            Some("colour".into())
        );
        let err = parse_json::<types::NewPlan>(br#"{"stars_price": "ten", "period_days": 30}"#)
            .unwrap_err();
        assert!(matches!(err, ApiError::Invalid { field: Some(f), .. } if f == "stars_price"));
        let err = parse_json::<types::NewPlan>(b"{nope").unwrap_err();
        assert!(matches!(err, ApiError::Invalid { field: None, .. }));
    }
    #[test]
    fn every_write_route_names_the_role_action_it_needs() {
        let spec = spec();
        let mut seen = 0;
        for (path, item) in &spec.paths.paths {
            for (method, op) in [
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ] {
                if op.is_none() {
                    continue;
                }
                seen += 1;
                let action = required_action(&method, path);
                // No API write is the owner's alone but the plan the seller pays for.
                assert_ne!(action, Action::Team, "{method} {path}");
                let expected = if path.starts_with("/webhook") {
                    Action::Webhooks
                } else if path.starts_with("/contacts")
                    || path.starts_with("/otp")
                    || path.starts_with("/invoice")
                    || path.starts_with("/order")
                    || path.starts_with("/commerce-endpoints")
                    || path.starts_with("/drip-campaigns")
                {
                    Action::Messaging
                } else if path.ends_with("/grants") || path.starts_with("/members") {
                    Action::Members
                } else if path.ends_with("/alerts") {
                    Action::Alerts
                } else if path == "/branding" {
                    Action::Branding
                } else if path == "/plan" {
                    Action::Billing
                } else {
                    Action::Services
                };
                assert_eq!(action, expected, "{method} {path}");
            }
        }
        assert!(seen >= 12, "the spec lists the write routes ({seen})");
        assert_eq!(
            required_action(&Method::GET, "/api/v1/webhook-endpoints"),
            Action::Read
        );
        assert_eq!(
            required_action(&Method::POST, "/api/v1/services/7/grants"),
            Action::Members
        );
        assert_eq!(
            required_action(&Method::PATCH, "/api/v1/branding"),
            Action::Branding
        );
        assert_eq!(
            required_action(&Method::GET, "/api/v1/branding"),
            Action::Read
        );
        assert_eq!(
            required_action(&Method::POST, "/api/v1/otp/send"),
            Action::Messaging
        );
        assert_eq!(
            required_action(&Method::PATCH, "/api/v1/contacts/ct_1"),
            Action::Messaging
        );
        // Only the owner changes the plan the seller pays for.
        assert!(team::Role::Owner.can(Action::Billing));
        assert!(!team::Role::Admin.can(Action::Billing));
        assert!(!team::Role::Developer.can(Action::Billing));
        // Every role may send codes and manage contacts: it is an integration's work.
        for role in [team::Role::Owner, team::Role::Admin, team::Role::Developer] {
            assert!(role.can(Action::Messaging), "{role:?}");
        }
    }
}
