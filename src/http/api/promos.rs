//! `/promo-codes`: the seller's promo and access codes, in the key's mode.
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
    sellers::promos::{self, BadPromo, Kind, NewPromo, NotCreated, PromoCode, Term},
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct PromoCodeOut {
    pub id: i64,
    /// As created; buyers may type it in any case.
    pub code: String,
    /// `percent` or `amount`.
    pub kind: String,
    /// Percent (1 to 100), or minor units of `currency`.
    pub value: i64,
    /// Amount codes: a lowercase ISO currency, or `XTR` for Stars.
    pub currency: Option<String>,
    /// None: unlimited.
    pub max_uses: Option<i64>,
    /// Uses taken: paid orders, and orders still waiting for their payment.
    pub used: i64,
    pub expires_at: Option<DateTime<Utc>>,
    /// The plans it applies to; empty for all.
    pub plan_ids: Vec<i64>,
    /// `once` (the buyer's first payment) or `forever` (their later payments too).
    pub duration: String,
    pub active: bool,
    pub livemode: bool,
    pub created_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl From<PromoCode> for PromoCodeOut {
    fn from(c: PromoCode) -> Self {
        Self {
            plan_ids: promos::plan_ids(&c),
            id: c.id,
            code: c.code,
            kind: c.kind,
            value: c.value,
            currency: c.currency,
            max_uses: c.max_uses,
            used: c.used,
            expires_at: c.expires_at,
            duration: c.duration,
            active: c.active,
            livemode: c.livemode,
            created_at: c.created_at,
            deactivated_at: c.deactivated_at,
        }
    }
}

/// Codes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromoCodeList {
    pub data: Vec<PromoCodeOut>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromoCodeIn {
    /// 3 to 32 letters, digits or dashes; unique per seller and mode, whatever the case.
    pub code: String,
    /// `percent` or `amount`.
    pub kind: String,
    /// Percent (1 to 100), or minor units of `currency`.
    pub value: i64,
    /// Amount codes only: an ISO currency (`usd`), or `XTR` for Stars. An amount in a card
    /// currency also takes the same share off the plan's Stars price.
    pub currency: Option<String>,
    /// 1 to 1,000,000; none for unlimited.
    pub max_uses: Option<i64>,
    /// When it stops working; none for never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Plans it applies to; none or empty for all your plans.
    pub plan_ids: Option<Vec<i64>>,
    /// `once` (default) or `forever`.
    pub duration: Option<String>,
}

fn bad(e: BadPromo) -> ApiError {
    ApiError::invalid(e.field(), e.to_string())
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such promo code")
}

#[utoipa::path(get, path = "/promo-codes", tag = "promo-codes", params(PageParams),
    responses((status = 200, body = PromoCodeList), (status = 422, body = ErrorBody)))]
pub async fn list_promo_codes(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<PromoCodeList>, ApiError> {
    let (before, limit) = page.parse()?;
    let page = promos::list(&s.ctx.db, caller.tenant(), before, limit).await?;
    let next_cursor = if page.more {
        page.rows.last().map(|c| c.id.to_string())
    } else {
        None
    };
    Ok(Json(PromoCodeList {
        data: page.rows.into_iter().map(Into::into).collect(),
        has_more: page.more,
        next_cursor,
    }))
}

/// Creates a code. Buyers enter it on a service's card in the bot, or open
/// `https://t.me/<bot>?start=s_<service code>_<promo code>`.
#[utoipa::path(post, path = "/promo-codes", tag = "promo-codes", request_body = NewPromoCodeIn,
    responses((status = 201, body = PromoCodeOut), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_promo_code(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewPromoCodeIn>,
) -> Result<(StatusCode, Json<PromoCodeOut>), ApiError> {
    let ctx = &s.ctx;
    let now = ctx.now();
    let code = promos::parse_code(&new.code).map_err(bad)?;
    let kind = Kind::parse(&new.kind)
        .ok_or_else(|| ApiError::invalid("kind", "kind is percent or amount"))?;
    let currency = promos::check_discount(kind, new.value, new.currency.as_deref()).map_err(
        |_| match kind {
            Kind::Percent if new.currency.is_some() => {
                ApiError::invalid("currency", "a percent code has no currency")
            }
            Kind::Amount if new.currency.is_none() => {
                ApiError::invalid("currency", "an amount code needs its currency")
            }
            _ => bad(BadPromo::Discount),
        },
    )?;
    if let Some(m) = new.max_uses
        && !(1..=1_000_000).contains(&m)
    {
        return Err(bad(BadPromo::Uses));
    }
    if new.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::invalid("expires_at", "expires_at is in the past"));
    }
    let plan_ids = new.plan_ids.unwrap_or_default();
    if plan_ids.len() > 50 || plan_ids.iter().any(|p| *p <= 0) {
        return Err(bad(BadPromo::Plans));
    }
    let term = match new.duration.as_deref() {
        None => Term::Once,
        Some(d) => Term::parse(d).ok_or_else(|| bad(BadPromo::Term))?,
    };
    let created = promos::create(
        &ctx.db,
        now,
        caller.tenant(),
        caller.seller.user_id,
        NewPromo {
            code,
            kind,
            value: new.value,
            currency,
            max_uses: new.max_uses,
            expires_at: new.expires_at,
            plan_ids,
            term,
        },
    )
    .await?;
    match created {
        Ok(code) => Ok((StatusCode::CREATED, Json(code.into()))),
        Err(NotCreated::Taken) => Err(ApiError::Conflict {
            code: "code_taken",
            message: "you have a promo code with this text already".into(),
        }),
        Err(NotCreated::UnknownPlan(id)) => Err(ApiError::invalid(
            "plan_ids",
            format!("plan {id} is not one of yours in this mode"),
        )),
    }
}

/// Deactivates a code: nobody can use it from now on; orders already made with it keep their
/// price. Deactivating it again changes nothing.
#[utoipa::path(post, path = "/promo-codes/{id}/deactivate", tag = "promo-codes",
    params(("id" = i64, Path)),
    responses((status = 200, body = PromoCodeOut), (status = 404, body = ErrorBody)))]
pub async fn deactivate_promo_code(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<PromoCodeOut>, ApiError> {
    let code = promos::deactivate(
        &s.ctx.db,
        s.ctx.now(),
        caller.tenant(),
        id,
        caller.seller.user_id,
    )
    .await?
    .ok_or_else(not_found)?;
    Ok(Json(code.into()))
}
