//! `/orders`, `/order-templates`, `/commerce-endpoints`: your shop's orders and the messages
//! your customers get in Telegram as an order moves, the texts of those messages, and the
//! signed receivers for Shopify and WooCommerce order webhooks.
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
    i18n::Locale,
    messaging::{
        bot::link_payload,
        commerce::{self, Platform},
        contacts,
        order_templates::{self, Template},
        orders::{self, Applied, Change, Customer, NewOrder, NoCustomer, Order, Refused},
    },
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderItemOut {
    pub name: String,
    pub quantity: i64,
    /// An `item_packed` update named it.
    pub packed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderEventOut {
    /// The change: `confirmed`, `packing`, `item_packed`, `shipped`, `delivered`, `cancelled`.
    pub status: String,
    /// `item_packed`: the item.
    pub item: Option<String>,
    /// The customer's message: `queued`, `sending`, `sent`, `stopped` (they stopped your
    /// messages; not sent), `unreachable` (they blocked the bot) or `uncertain` (Telegram did
    /// not answer, or the send was cut short; not sent again).
    pub message: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOut {
    /// `ord_…`
    pub id: String,
    /// `shopify`, `woocommerce`, or your own name for where the order comes from.
    pub platform: String,
    /// The order's id there: with `platform`, what makes an order the same order.
    pub external_id: String,
    /// The number your customer knows the order by (`#1001`), when given.
    pub reference: Option<String>,
    /// `ct_…`
    pub contact_id: String,
    pub telegram_user_id: i64,
    /// `new`, `confirmed`, `packing`, `shipped`, `delivered` or `cancelled`.
    pub status: String,
    pub items: Vec<OrderItemOut>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub livemode: bool,
    /// The changes so far, oldest first (single orders only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<OrderEventOut>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrderOut {
    fn of(o: Order) -> Self {
        Self {
            id: orders::public_id(o.id),
            items: orders::items_of(&o)
                .into_iter()
                .map(|i| OrderItemOut {
                    name: i.name,
                    quantity: i.quantity,
                    packed: i.packed,
                })
                .collect(),
            platform: o.platform,
            external_id: o.external_id,
            reference: o.reference,
            contact_id: contacts::public_id(o.contact_id),
            telegram_user_id: o.user_id,
            status: o.status,
            carrier: o.carrier,
            tracking_number: o.tracking_number,
            tracking_url: o.tracking_url,
            livemode: o.livemode,
            history: None,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

async fn full(s: &HttpState, o: Order) -> Result<OrderOut, ApiError> {
    let events = orders::events(&s.ctx.db, o.id).await?;
    let mut out = OrderOut::of(o);
    out.history = Some(
        events
            .into_iter()
            .map(|e| OrderEventOut {
                status: e.status,
                item: (!e.item.is_empty()).then_some(e.item),
                message: e.outcome,
                created_at: e.created_at,
            })
            .collect(),
    );
    Ok(out)
}

/// Orders, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    pub data: Vec<OrderOut>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderItemIn {
    /// 1 to 200 characters.
    pub name: String,
    /// 1 to 100000.
    pub quantity: i64,
}

/// Who the order is for: give exactly one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    /// Your contact (`ct_…`).
    pub contact_id: Option<String>,
    /// A Telegram user id; they become your contact if they are not yet. They must have
    /// started the bot.
    pub telegram_user_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderIn {
    /// Where the order comes from: 1 to 32 of `a-z`, `0-9`, `-`, `_` (`shopify`, `my-shop`).
    pub platform: String,
    /// The order's id there, 1 to 128 characters.
    pub external_id: String,
    /// The number your customer knows it by (`#1001`), shown in their messages.
    pub reference: Option<String>,
    /// 1 to 100 items.
    pub items: Vec<OrderItemIn>,
    pub customer: CustomerIn,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// `confirmed`, `packing`, `item_packed`, `shipped`, `delivered` or `cancelled`.
    pub status: String,
    /// `item_packed`: the item's name as the order lists it.
    pub item: Option<String>,
    /// `shipped`: the carrier (1 to 64 characters).
    pub carrier: Option<String>,
    /// `shipped`: the tracking number (1 to 128 characters).
    pub tracking_number: Option<String>,
    /// `shipped`, optional: an `https://` page where the parcel can be followed.
    pub tracking_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOut {
    /// `changed`: the change was made and the customer's message is on its way (unless they
    /// stopped your messages). `repeated`: the same change was made before; nothing changed
    /// and nothing more is sent.
    pub result: String,
    pub order: OrderOut,
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such order")
}

fn start_link(s: &HttpState, caller: &Caller) -> String {
    match s.me.get() {
        Some(me) => format!(
            "https://t.me/{}?start={}",
            me.username(),
            link_payload(caller.tenant())
        ),
        None => "the bot's start link".to_owned(),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderParams {
    /// `next_cursor` of the page before; none for the first page.
    pub cursor: Option<String>,
    /// Rows per page, 1 to 100 (50 unless given).
    pub limit: Option<u64>,
    /// Only orders in this status: `new`, `confirmed`, `packing`, `shipped`, `delivered` or
    /// `cancelled`.
    pub status: Option<String>,
    /// Only orders from this platform (`shopify`, `woocommerce`, or your own name for it).
    pub platform: Option<String>,
    /// Only this contact's orders (`ct_…`).
    pub contact_id: Option<String>,
    /// Only this Telegram user's orders.
    pub telegram_user_id: Option<i64>,
}

impl OrderParams {
    fn filter(&self) -> Result<orders::OrderFilter, ApiError> {
        let status = match self.status.as_deref() {
            None => None,
            Some(st) => Some(orders::Status::parse(st).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    "status is new, confirmed, packing, shipped, delivered or cancelled",
                )
            })?),
        };
        let platform = match self.platform.as_deref().map(str::trim) {
            None => None,
            Some(p) if p.is_empty() || p.len() > orders::PLATFORM_MAX => {
                return Err(ApiError::invalid(
                    "platform",
                    "platform is 1 to 32 characters",
                ));
            }
            Some(p) => Some(p.to_owned()),
        };
        let contact_id = match self.contact_id.as_deref() {
            None => None,
            Some(c) => Some(contacts::parse_id(c).ok_or_else(|| {
                ApiError::invalid("contact_id", "contact_id is a contact's id (ct_…)")
            })?),
        };
        Ok(orders::OrderFilter {
            status,
            platform,
            contact_id,
            user_id: self.telegram_user_id,
        })
    }
}

/// The orders, oldest first, optionally only those of one status, platform or customer.
#[utoipa::path(get, path = "/orders", tag = "orders", params(OrderParams),
    responses((status = 200, body = OrderList), (status = 422, body = ErrorBody)))]
pub async fn list_orders(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<OrderParams>,
) -> Result<Json<OrderList>, ApiError> {
    let only = q.filter()?;
    let (after, limit) = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .parse()?;
    let page = orders::list(&s.ctx.db, caller.tenant(), after, limit, &only).await?;
    let next_cursor = if page.more {
        page.rows.last().map(|o| o.id.to_string())
    } else {
        None
    };
    Ok(Json(OrderList {
        data: page.rows.into_iter().map(OrderOut::of).collect(),
        has_more: page.more,
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/orders/{id}", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderOut), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<OrderOut>, ApiError> {
    let id = orders::parse_id(&id).ok_or_else(not_found)?;
    let o = orders::get(&s.ctx.db, caller.tenant(), id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(full(&s, o).await?))
}

/// Records an order (status `new`; nothing is sent yet). The same `platform` and
/// `external_id` again is the same order: 200 with it as it is, whatever this body says.
/// The customer must have started the bot (`needs_start`, with the link to send them).
#[utoipa::path(post, path = "/orders", tag = "orders", request_body = NewOrderIn,
    responses((status = 201, body = OrderOut), (status = 200, body = OrderOut),
        (status = 422, body = ErrorBody)))]
pub async fn create_order(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<NewOrderIn>,
) -> Result<(StatusCode, Json<OrderOut>), ApiError> {
    let items = req
        .items
        .into_iter()
        .map(|i| (i.name, i.quantity))
        .collect();
    let new = NewOrder::parse(&req.platform, &req.external_id, items)
        .and_then(|n| n.with_reference(req.reference.as_deref()))
        .map_err(|e| ApiError::invalid(e.field(), e.to_string()))?;
    let who = match (&req.customer.contact_id, req.customer.telegram_user_id) {
        (Some(id), None) => Customer::Contact(contacts::parse_id(id).unwrap_or(i64::MAX)),
        (None, Some(user)) => Customer::TelegramUser(user),
        _ => {
            return Err(ApiError::invalid(
                "customer",
                "give exactly one of customer.contact_id and customer.telegram_user_id",
            ));
        }
    };
    let ctx = &s.ctx;
    let t = caller.tenant();
    let now = ctx.now();
    // An order already recorded is answered as it is, before its customer is looked at again.
    if let Some(existing) = orders::by_external(&ctx.db, t, &new.platform, &new.external_id).await?
    {
        return Ok((StatusCode::OK, Json(full(&s, existing).await?)));
    }
    let contact = match orders::customer(&ctx.db, now, t, who).await? {
        Ok(c) => c,
        Err(NoCustomer::UnknownContact) => {
            return Err(ApiError::Unprocessable {
                code: "unknown_contact",
                field: Some("customer.contact_id".into()),
                message: "no such contact".into(),
            });
        }
        Err(NoCustomer::BadUserId) => {
            return Err(ApiError::invalid(
                "customer.telegram_user_id",
                "a Telegram user id is a positive number",
            ));
        }
        Err(NoCustomer::NeedsStart) => {
            let field = if req.customer.contact_id.is_some() {
                "customer.contact_id"
            } else {
                "customer.telegram_user_id"
            };
            return Err(ApiError::Unprocessable {
                code: "needs_start",
                field: Some(field.into()),
                message: format!(
                    "this user never started the bot, so no message can reach them; send them \
                     to {} and post the order again",
                    start_link(&s, &caller)
                ),
            });
        }
    };
    let (order, created) =
        orders::create(&ctx.db, now, t, &new, contact.id, contact.user_id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(full(&s, order).await?)))
}

fn text_field(
    value: Option<&str>,
    field: &'static str,
    max: usize,
    required: bool,
) -> Result<Option<String>, ApiError> {
    match value.map(str::trim) {
        Some(v)
            if !v.is_empty() && v.chars().count() <= max && !v.chars().any(char::is_control) =>
        {
            Ok(Some(v.to_owned()))
        }
        None if !required => Ok(None),
        _ => Err(ApiError::invalid(
            field,
            format!("{field}: 1 to {max} characters"),
        )),
    }
}

/// Moves an order on and sends your customer the message of the change (in their language,
/// your text or the default), unless they stopped your messages. Allowed:
/// `new → confirmed → packing → item_packed* → shipped → delivered`, and `cancelled` from
/// anything before `delivered`; anything else is a 422 `invalid_transition` and changes
/// nothing. The same change again (a retry) changes nothing and sends nothing.
#[utoipa::path(post, path = "/orders/{id}/status", tag = "orders", params(("id" = String, Path)),
    request_body = StatusIn,
    responses((status = 200, body = StatusOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_status(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StatusIn>,
) -> Result<Json<StatusOut>, ApiError> {
    let id = orders::parse_id(&id).ok_or_else(not_found)?;
    let change = Change::parse(&req.status).ok_or_else(|| {
        ApiError::invalid(
            "status",
            "status is confirmed, packing, item_packed, shipped, delivered or cancelled",
        )
    })?;
    let item = match change {
        Change::ItemPacked => text_field(req.item.as_deref(), "item", orders::ITEM_NAME_MAX, true)?,
        _ => None,
    };
    let tracking = match change {
        Change::Shipped => {
            let carrier = text_field(req.carrier.as_deref(), "carrier", orders::CARRIER_MAX, true)?
                .unwrap_or_default();
            let number = text_field(
                req.tracking_number.as_deref(),
                "tracking_number",
                orders::TRACKING_MAX,
                true,
            )?
            .unwrap_or_default();
            let url = text_field(
                req.tracking_url.as_deref(),
                "tracking_url",
                orders::TRACKING_URL_MAX,
                false,
            )?;
            if let Some(u) = &url
                && !url::Url::parse(u).is_ok_and(|u| u.scheme() == "https")
            {
                return Err(ApiError::invalid(
                    "tracking_url",
                    "tracking_url is an https:// address",
                ));
            }
            Some(orders::Tracking {
                carrier,
                number,
                url,
            })
        }
        _ => None,
    };
    let update = orders::Update {
        change,
        item,
        tracking,
    };
    let ctx = &s.ctx;
    let applied = orders::apply(&ctx.db, ctx.now(), caller.tenant(), id, &update)
        .await?
        .ok_or_else(not_found)?;
    let (result, order) = match applied {
        Ok(Applied::Changed(o)) => {
            ctx.jobs.notify();
            ("changed", o)
        }
        Ok(Applied::Repeated(o)) => ("repeated", o),
        Err(Refused::Transition { from, to }) => {
            return Err(ApiError::Unprocessable {
                code: "invalid_transition",
                field: Some("status".into()),
                message: format!(
                    "an order that is {} cannot take {}",
                    from.as_str(),
                    to.as_str()
                ),
            });
        }
        Err(Refused::UnknownItem) => {
            return Err(ApiError::Unprocessable {
                code: "unknown_item",
                field: Some("item".into()),
                message: "the order lists no item of this name".into(),
            });
        }
    };
    Ok(Json(StatusOut {
        result: result.into(),
        order: full(&s, order).await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOut {
    /// The change it is sent for.
    pub status: String,
    /// `en` or `ru`: customers whose language it is get it.
    pub lang: String,
    pub text: String,
    /// Your own text; else the default.
    pub custom: bool,
    pub livemode: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

impl TemplateOut {
    fn of(t: Template, livemode: bool) -> Self {
        Self {
            status: t.change.as_str().into(),
            lang: t.locale.code().into(),
            text: t.text,
            custom: t.custom,
            livemode,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub data: Vec<TemplateOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateIn {
    /// At most 1000 characters; placeholders `{order}`, `{item}`, `{items}`, `{carrier}`,
    /// `{tracking}`, `{tracking_url}`, `{seller}` and no other braces.
    pub text: String,
}

fn template_key(status: &str, lang: &str) -> Result<(Change, Locale), ApiError> {
    let not_found = || ApiError::NotFound("no such template: a status and a language (en, ru)");
    let change = Change::parse(status).ok_or_else(not_found)?;
    let locale = match lang {
        "en" => Locale::En,
        "ru" => Locale::Ru,
        _ => return Err(not_found()),
    };
    Ok((change, locale))
}

/// Every text: each change in each language, yours or the default.
#[utoipa::path(get, path = "/order-templates", tag = "orders",
    responses((status = 200, body = TemplateList)))]
pub async fn list_templates(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<TemplateList>, ApiError> {
    let t = caller.tenant();
    let all = order_templates::all(&s.ctx.db, t).await?;
    Ok(Json(TemplateList {
        data: all
            .into_iter()
            .map(|x| TemplateOut::of(x, t.livemode))
            .collect(),
    }))
}

#[utoipa::path(get, path = "/order-templates/{status}/{lang}", tag = "orders",
    params(("status" = String, Path), ("lang" = String, Path)),
    responses((status = 200, body = TemplateOut), (status = 404, body = ErrorBody)))]
pub async fn get_template(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path((status, lang)): Path<(String, String)>,
) -> Result<Json<TemplateOut>, ApiError> {
    let (change, locale) = template_key(&status, &lang)?;
    let t = caller.tenant();
    let tpl = order_templates::get(&s.ctx.db, t, change, locale).await?;
    Ok(Json(TemplateOut::of(tpl, t.livemode)))
}

/// Sets your text of one change in one language. A text over 1000 characters, or with a
/// placeholder that does not exist, is a 422 naming `text`, and nothing changes.
#[utoipa::path(put, path = "/order-templates/{status}/{lang}", tag = "orders",
    params(("status" = String, Path), ("lang" = String, Path)), request_body = TemplateIn,
    responses((status = 200, body = TemplateOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_template(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path((status, lang)): Path<(String, String)>,
    ApiJson(req): ApiJson<TemplateIn>,
) -> Result<Json<TemplateOut>, ApiError> {
    let (change, locale) = template_key(&status, &lang)?;
    let t = caller.tenant();
    let ctx = &s.ctx;
    let tpl = order_templates::set(
        &ctx.db,
        ctx.now(),
        t,
        change,
        locale,
        &req.text,
        caller.seller.user_id,
    )
    .await?
    .map_err(|e| ApiError::invalid("text", e.to_string()))?;
    Ok(Json(TemplateOut::of(tpl, t.livemode)))
}

/// Goes back to the default text of one change in one language.
#[utoipa::path(delete, path = "/order-templates/{status}/{lang}", tag = "orders",
    params(("status" = String, Path), ("lang" = String, Path)),
    responses((status = 200, body = TemplateOut), (status = 404, body = ErrorBody)))]
pub async fn reset_template(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path((status, lang)): Path<(String, String)>,
) -> Result<Json<TemplateOut>, ApiError> {
    let (change, locale) = template_key(&status, &lang)?;
    let t = caller.tenant();
    let tpl = order_templates::reset(&s.ctx.db, t, change, locale).await?;
    Ok(Json(TemplateOut::of(tpl, t.livemode)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommerceEndpointOut {
    /// `shopify` or `woocommerce`.
    pub platform: String,
    /// Where the shop sends its order webhooks.
    pub url: String,
    /// The header the signature comes in.
    pub signature_header: String,
    /// Only when made or rotated: verifies the shop's signatures. Shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub livemode: bool,
    pub created_at: DateTime<Utc>,
    pub rotated_at: DateTime<Utc>,
}

impl CommerceEndpointOut {
    fn of(s: &HttpState, e: commerce::Endpoint, secret: Option<String>) -> Self {
        let platform = Platform::parse(&e.platform).unwrap_or(Platform::Shopify);
        Self {
            url: format!("{}{}", s.ctx.public_base(), commerce::path(&e)),
            signature_header: platform.signature_header().into(),
            platform: e.platform,
            secret,
            livemode: e.livemode,
            created_at: e.created_at,
            rotated_at: e.rotated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommerceEndpointList {
    pub data: Vec<CommerceEndpointOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommerceEndpointIn {
    /// `shopify` or `woocommerce`.
    pub platform: String,
    /// The signing secret the shop uses, when it chooses it (Shopify shows one in its
    /// notification settings): 16 to 256 visible ASCII characters. Unless given, one is made.
    pub secret: Option<String>,
}

/// Your shop receivers (without their secrets).
#[utoipa::path(get, path = "/commerce-endpoints", tag = "orders",
    responses((status = 200, body = CommerceEndpointList)))]
pub async fn list_commerce_endpoints(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<CommerceEndpointList>, ApiError> {
    let rows = commerce::list(&s.ctx.db, caller.tenant()).await?;
    Ok(Json(CommerceEndpointList {
        data: rows
            .into_iter()
            .map(|e| CommerceEndpointOut::of(&s, e, None))
            .collect(),
    }))
}

/// Makes the receiver of a platform's order webhooks (one per platform and mode), or, when it
/// exists, gives it a new URL and secret (the old ones stop working). The answer carries the
/// secret, this once. Orders must carry the customer's Telegram user id as `telegram_id` (a
/// Shopify note attribute, a WooCommerce meta field).
#[utoipa::path(post, path = "/commerce-endpoints", tag = "orders",
    request_body = CommerceEndpointIn,
    responses((status = 201, body = CommerceEndpointOut), (status = 200, body = CommerceEndpointOut),
        (status = 422, body = ErrorBody)))]
pub async fn create_commerce_endpoint(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<CommerceEndpointIn>,
) -> Result<(StatusCode, Json<CommerceEndpointOut>), ApiError> {
    let platform = Platform::parse(&req.platform)
        .ok_or_else(|| ApiError::invalid("platform", "platform is shopify or woocommerce"))?;
    let secret = match &req.secret {
        Some(x) => Some(
            commerce::check_secret(x).map_err(|e| ApiError::invalid("secret", e.to_string()))?,
        ),
        None => None,
    };
    let ctx = &s.ctx;
    let (endpoint, secret, created) = commerce::create_or_rotate(
        &ctx.db,
        ctx.now(),
        ctx.sealer.as_ref(),
        caller.tenant(),
        platform,
        secret,
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(CommerceEndpointOut::of(&s, endpoint, Some(secret))),
    ))
}
