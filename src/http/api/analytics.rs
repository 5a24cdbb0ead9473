//! `GET /analytics`: the seller's MRR, churn, trial conversion and revenue by source over the
//! last 30 or 90 days, for the key's seller and mode.
use std::collections::BTreeMap;

use axum::{Extension, Json, extract::State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiQuery, Caller};
use crate::{
    http::{ApiError, HttpState},
    sellers::analytics::{self, Report, SourceRevenue},
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsParams {
    /// The window in days: 30 (the default) or 90.
    pub days: Option<i64>,
}

/// One source's revenue in one currency (minor units).
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceRevenueOut {
    /// What the buyer's deep link said: `direct`, or `promo_<CODE>`.
    pub source: String,
    pub currency: String,
    pub payments: u64,
    pub gross: i64,
    pub refunded: i64,
    /// The seller's share after the platform's fee, less the refunded share of it.
    pub net: i64,
}

impl From<SourceRevenue> for SourceRevenueOut {
    fn from(r: SourceRevenue) -> Self {
        Self {
            source: r.source,
            currency: r.currency,
            payments: r.payments,
            gross: r.gross,
            refunded: r.refunded,
            net: r.net,
        }
    }
}

/// Event counts in the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventCounts {
    /// Buyers who opened a service's card (one per buyer, service and day).
    pub views: u64,
    pub checkouts_started: u64,
    pub payments: u64,
    pub trials_started: u64,
    pub renewals: u64,
    pub churned: u64,
    pub refunds: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyticsOut {
    pub days: i64,
    pub since: DateTime<Utc>,
    /// Monthly recurring revenue per currency (minor units; Stars as `XTR`): every running paid
    /// membership's latest payment normalised to 30 days.
    pub mrr: BTreeMap<String, i64>,
    /// Memberships active at the window's start.
    pub active_at_start: u64,
    /// Memberships that ended in the window ÷ `active_at_start`, in percent; null when none
    /// was active at the start.
    pub churn_percent: Option<f64>,
    /// Trials started in the window and how many were paid for afterwards.
    pub trials_started: u64,
    pub trials_converted: u64,
    pub trial_conversion_percent: Option<f64>,
    pub revenue_by_source: Vec<SourceRevenueOut>,
    pub events: EventCounts,
}

impl From<Report> for AnalyticsOut {
    fn from(r: Report) -> Self {
        Self {
            days: r.days,
            since: r.since,
            trial_conversion_percent: r.trial_conversion_percent(),
            mrr: r.mrr,
            active_at_start: r.active_at_start,
            churn_percent: r.churn_percent,
            trials_started: r.trials,
            trials_converted: r.trials_converted,
            revenue_by_source: r.by_source.into_iter().map(Into::into).collect(),
            events: EventCounts {
                views: r.views,
                checkouts_started: r.checkouts,
                payments: r.payments,
                trials_started: r.trials,
                renewals: r.renewals,
                churned: r.churned,
                refunds: r.refunds,
            },
        }
    }
}

/// MRR, churn, trial conversion and revenue by source over the last 30 or 90 days, for the
/// key's seller and mode (a test key sees test services' events only).
#[utoipa::path(get, path = "/analytics", tag = "payments", params(AnalyticsParams),
    responses((status = 200, body = AnalyticsOut), (status = 422, body = ErrorBody)))]
pub async fn get_analytics(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<AnalyticsParams>,
) -> Result<Json<AnalyticsOut>, ApiError> {
    let days = q.days.unwrap_or(30);
    if !analytics::WINDOWS.contains(&days) {
        return Err(ApiError::invalid("days", "days must be 30 or 90"));
    }
    let report = analytics::report(&s.ctx.db, caller.tenant(), s.ctx.now(), days).await?;
    Ok(Json(report.into()))
}
