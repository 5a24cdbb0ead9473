//! `/plan`: the seller's platform plan (what it allows, what they use of it, the other plans),
//! and moving to another plan (a Stripe Checkout page for a paid plan, the end of the paid
//! period for Free). The plan is the seller's, whatever the key's mode; moving is the owner's.
use axum::{Extension, Json, extract::State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, Caller};
use crate::{
    accounts::users,
    http::{ApiError, HttpState},
    sellers::{
        card::CardError,
        catalog,
        platform::{self, PlatformPlan},
        platform_card::{self, Change},
    },
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformPlanOut {
    /// `free`, `pro`, `enterprise`, or the operator's own.
    pub code: String,
    pub name: String,
    /// The price every `period_days`, in minor units (0: free).
    pub price_minor: i64,
    pub currency: String,
    pub period_days: i32,
    /// Null: no limit.
    pub max_services: Option<i64>,
    pub max_active_members: Option<i64>,
    pub max_api_calls_per_hour: Option<i64>,
    /// The platform's fee on your sales under this plan.
    pub fee_percent: i32,
}

fn plan_out(p: &PlatformPlan) -> PlatformPlanOut {
    PlatformPlanOut {
        code: p.code.clone(),
        name: p.name.clone(),
        price_minor: p.price_minor,
        currency: p.currency.clone(),
        period_days: p.period_days,
        max_services: p.max_services,
        max_active_members: p.max_members,
        max_api_calls_per_hour: p.max_api_calls_per_hour,
        fee_percent: p.fee_percent,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanUsageOut {
    /// Live services that are not archived.
    pub services: i64,
    pub active_members: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanStateOut {
    pub plan: PlatformPlanOut,
    /// `active`, `past_due` (Stripe retries the charge), or null on a plan without a charge.
    pub status: Option<String>,
    /// When the paid period ends (renews or, with `cancel_at_period_end`, ends).
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub usage: PlanUsageOut,
    /// The limits you are over: new sales and services wait until you are within them.
    pub over_limits: Vec<String>,
    /// Every plan, in the operator's order.
    pub plans: Vec<PlatformPlanOut>,
}

#[utoipa::path(get, path = "/plan", tag = "plan",
    responses((status = 200, body = PlanStateOut), (status = 401, body = ErrorBody)))]
pub async fn get_plan(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<PlanStateOut>, ApiError> {
    let db = &s.ctx.db;
    let seller = caller.seller.id;
    let plan = platform::current(db, seller).await?;
    let sub = platform::live_subscription(db, seller).await?;
    let usage = platform::usage(db, seller).await?;
    Ok(Json(PlanStateOut {
        over_limits: platform::over(&plan, usage)
            .into_iter()
            .map(|(limit, _, _)| limit.as_str().to_owned())
            .collect(),
        plan: plan_out(&plan),
        status: sub.as_ref().map(|s| s.status.clone()),
        current_period_end: sub.as_ref().and_then(|s| s.current_period_end),
        cancel_at_period_end: sub.as_ref().is_some_and(|s| s.cancel_at_period_end),
        usage: PlanUsageOut {
            services: usage.services,
            active_members: usage.members,
        },
        plans: platform::plans(db).await?.iter().map(plan_out).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanChange {
    /// The plan's code.
    pub plan: String,
    /// Move even when you use more than the plan allows (nothing sold is taken away; new
    /// sales and services wait until you are within its limits).
    #[serde(default)]
    pub accept_over_limits: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanChangeOut {
    /// `none` (on that plan already), `checkout` (pay on `checkout_url`; the plan applies
    /// when Stripe confirms the payment) or `ending` (the paid plan runs to `ends_at`, then
    /// the free one applies).
    pub action: String,
    pub checkout_url: Option<String>,
    pub ends_at: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/plan", tag = "plan", request_body = PlanChange,
    responses((status = 200, body = PlanChangeOut), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn change_plan(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<PlanChange>,
) -> Result<Json<PlanChangeOut>, ApiError> {
    let ctx = &s.ctx;
    let Some(target) = platform::by_code(&ctx.db, body.plan.trim()).await? else {
        return Err(ApiError::invalid("plan", "no plan has that code"));
    };
    let seller = catalog::seller(&ctx.db, caller.seller.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let owner = users::find(&ctx.db, seller.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let change = platform_card::change(ctx, &seller, &owner, &target, body.accept_over_limits)
        .await
        .map_err(|e| match e {
            CardError::Service(e) => ApiError::from(e),
            other => {
                tracing::warn!(error = %other, "a platform plan change at Stripe failed");
                ApiError::Unavailable("payments")
            }
        })?;
    Ok(Json(match change {
        Change::Already => PlanChangeOut {
            action: "none".into(),
            checkout_url: None,
            ends_at: None,
        },
        Change::OverLimits(over) => {
            let list = over
                .iter()
                .map(|(limit, used, max)| format!("{} {used} (allows {max})", limit.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ApiError::Conflict {
                code: "over_plan_limits",
                message: format!(
                    "you use more than {} allows: {list}; send accept_over_limits: true to \
                     move anyway (new sales and services wait until you are within its limits)",
                    target.name
                ),
            });
        }
        Change::Checkout { url, .. } => PlanChangeOut {
            action: "checkout".into(),
            checkout_url: Some(url),
            ends_at: None,
        },
        Change::Ending { at, .. } => PlanChangeOut {
            action: "ending".into(),
            checkout_url: None,
            ends_at: at,
        },
    }))
}
