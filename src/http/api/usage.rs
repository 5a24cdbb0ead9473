//! `GET /usage`: what the key's seller used per day in the key's mode, and their limits.
use axum::{Extension, Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiQuery, Caller};
use crate::{
    http::{ApiError, HttpState},
    messaging::usage::{self, Metric},
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// Days up to today (UTC), 1 to 90 (30 unless given).
    pub days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDayOut {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub api_calls: i64,
    /// Messages the bot sent for you (codes, and later invoices and drip steps).
    pub messages_sent: i64,
    pub otps: i64,
    pub invoices: i64,
    pub drip_messages: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageLimitOut {
    /// As a 429 `usage_limit` names it: `otps_per_day`.
    pub name: String,
    pub per_day: i64,
    pub used_today: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageOut {
    pub days: i64,
    /// Oldest first; every day listed.
    pub data: Vec<UsageDayOut>,
    pub limits: Vec<UsageLimitOut>,
}

#[utoipa::path(get, path = "/usage", tag = "usage", params(UsageParams),
    responses((status = 200, body = UsageOut), (status = 422, body = ErrorBody)))]
pub async fn get_usage(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<UsageParams>,
) -> Result<Json<UsageOut>, ApiError> {
    let days = q.days.unwrap_or(30);
    if !(1..=usage::MAX_DAYS).contains(&days) {
        return Err(ApiError::invalid("days", "days is 1 to 90"));
    }
    let ctx = &s.ctx;
    // This call and those before it, counted in memory, are in the figures.
    ctx.usage.flush(&ctx.db).await?;
    let now = ctx.now();
    let t = caller.tenant();
    let data = usage::report(&ctx.db, t, now, days).await?;
    let mut limits = Vec::new();
    for m in Metric::ALL {
        let per_day = usage::limit(&ctx.db, t.seller_id, m).await?;
        if per_day == i64::MAX {
            continue;
        }
        limits.push(UsageLimitOut {
            name: m.limit_name().into(),
            per_day,
            used_today: usage::today(&ctx.db, t, now, m).await?,
        });
    }
    Ok(Json(UsageOut {
        days,
        data: data
            .into_iter()
            .map(|d| UsageDayOut {
                day: d.day,
                api_calls: d.api_calls,
                messages_sent: d.messages_sent,
                otps: d.otps,
                invoices: d.invoices,
                drip_messages: d.drip_messages,
            })
            .collect(),
        limits,
    }))
}
