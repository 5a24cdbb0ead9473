//! `/invoices` and `/invoice-reminders`: bills to your contacts, paid in Telegram with Stars or
//! by card, and the days your customers are reminded of them.
use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, ApiQuery, Caller, PageParams};
use crate::{
    http::{ApiError, HttpState},
    messaging::{
        contacts::{self, Source},
        invoices::{self, BadInvoice, BadSchedule, Created, Invoice, Line, Status, Voided},
    },
    sellers::card,
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LineOut {
    pub description: String,
    pub quantity: i64,
    /// Minor units (whole Stars for `XTR`).
    pub unit_amount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceOut {
    /// `inv_…`
    pub id: String,
    /// `ct_…`
    pub contact_id: String,
    pub telegram_user_id: i64,
    /// `draft`, `open`, `paid`, `overdue` or `void`.
    pub status: String,
    /// `XTR` (Telegram Stars) or a card currency such as `EUR`.
    pub currency: String,
    pub lines: Vec<LineOut>,
    /// The sum of the lines, in minor units.
    pub total: i64,
    pub note: Option<String>,
    pub due_at: DateTime<Utc>,
    /// `stars` or `card`, once paid.
    pub paid_via: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The platform's fee and what is yours, once paid.
    pub fee: i64,
    pub net: i64,
    pub livemode: bool,
    pub created_at: DateTime<Utc>,
}

impl InvoiceOut {
    pub fn of(i: Invoice) -> Self {
        Self {
            id: invoices::public_id(i.id),
            contact_id: contacts::public_id(i.contact_id),
            lines: invoices::lines_of(&i)
                .into_iter()
                .map(|l| LineOut {
                    description: l.description,
                    quantity: l.quantity,
                    unit_amount: l.unit_amount,
                })
                .collect(),
            telegram_user_id: i.user_id,
            status: i.status,
            currency: i.currency,
            total: i.total_minor,
            note: i.note,
            due_at: i.due_at,
            paid_via: i.paid_via,
            paid_at: i.paid_at,
            fee: i.fee_minor,
            net: i.net_minor,
            livemode: i.livemode,
            created_at: i.created_at,
        }
    }
}

/// Invoices, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    pub data: Vec<InvoiceOut>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceParams {
    /// `next_cursor` of the page before; none for the first page.
    pub cursor: Option<String>,
    /// Rows per page, 1 to 100 (50 unless given).
    pub limit: Option<u64>,
    /// Only invoices in this status.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    /// 1 to 200 characters.
    pub description: String,
    /// 1 to 10000; 1 unless given.
    pub quantity: Option<i64>,
    /// A positive number of minor units (whole Stars for `XTR`).
    pub unit_amount: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvoice {
    /// The contact (`ct_…`); or give `telegram_user_id`.
    pub contact_id: Option<String>,
    /// A Telegram user who started the bot; they become your contact if they are not yet.
    pub telegram_user_id: Option<i64>,
    /// `XTR` for Telegram Stars, or a card currency (`EUR`, `USD`, …) when card payments are
    /// set up.
    pub currency: String,
    /// 1 to 20 lines; the total is at most 100000000 minor units (100000 Stars).
    pub lines: Vec<NewLine>,
    /// When it is due: RFC 3339, or a date (`2026-12-31`, the end of that UTC day). In the
    /// future, within 366 days.
    pub due_date: String,
    /// Shown under the lines; at most 1000 characters.
    pub note: Option<String>,
    /// Keep it as a draft instead of sending it now (`POST /invoices/{id}/send` later).
    pub draft: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reminders {
    /// Days from the due date a reminder goes out: negative before, 0 on the day, positive
    /// after; at most 6, from -30 to 60. Applies to invoices sent from then on.
    pub days: Vec<i64>,
}

fn bad(e: BadInvoice) -> ApiError {
    ApiError::invalid(e.field(), e.to_string())
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such invoice")
}

fn stopped() -> ApiError {
    ApiError::Conflict {
        code: "contact_stopped",
        message: "this user stopped your messages; only they can undo it".into(),
    }
}

fn parse_due(s: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|d| d.and_utc())
        .ok_or_else(|| bad(BadInvoice::DueDate))
}

#[utoipa::path(get, path = "/invoices", tag = "invoices", params(InvoiceParams),
    responses((status = 200, body = InvoiceList), (status = 422, body = ErrorBody)))]
pub async fn list_invoices(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<InvoiceParams>,
) -> Result<Json<InvoiceList>, ApiError> {
    let (after, limit) = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .parse()?;
    let status = match q.status.as_deref() {
        None => None,
        Some(st) => Some(Status::parse(st).ok_or_else(|| {
            ApiError::invalid("status", "status is draft, open, paid, overdue or void")
        })?),
    };
    let page = invoices::list(&s.ctx.db, caller.tenant(), after, limit, status).await?;
    let next_cursor = if page.more {
        page.rows.last().map(|i| i.id.to_string())
    } else {
        None
    };
    Ok(Json(InvoiceList {
        data: page.rows.into_iter().map(InvoiceOut::of).collect(),
        has_more: page.more,
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/invoices/{id}", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = InvoiceOut), (status = 404, body = ErrorBody)))]
pub async fn get_invoice(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let id = invoices::parse_id(&id).ok_or_else(not_found)?;
    let inv = invoices::get(&s.ctx.db, caller.tenant(), id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(InvoiceOut::of(inv)))
}

/// Bills a contact. Unless it is a draft, it goes to them in Telegram at once with a pay
/// button (Stars for `XTR`, else a card page on your payment mode) and reminders follow your
/// schedule. A user who stopped your messages is a 409 `contact_stopped`; a user who never
/// started the bot, an unknown contact, a due date in the past, an amount of zero or less, or
/// text over its limit is a 422 naming the field, and nothing is made.
#[utoipa::path(post, path = "/invoices", tag = "invoices", request_body = NewInvoice,
    responses((status = 201, body = InvoiceOut), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_invoice(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewInvoice>,
) -> Result<(StatusCode, Json<InvoiceOut>), ApiError> {
    let ctx = &s.ctx;
    let t = caller.tenant();
    let now = ctx.now();
    let lines = new
        .lines
        .into_iter()
        .map(|l| Line {
            description: l.description,
            quantity: l.quantity.unwrap_or(1),
            unit_amount: l.unit_amount,
        })
        .collect();
    let due = parse_due(&new.due_date)?;
    let checked = invoices::check(now, &new.currency, lines, due, new.note).map_err(bad)?;
    if checked.currency != invoices::STARS && !card::card_available(ctx, &caller.seller) {
        return Err(bad(BadInvoice::CardUnavailable));
    }
    let contact = match (&new.contact_id, new.telegram_user_id) {
        (Some(id), None) => {
            let id = contacts::parse_id(id).ok_or_else(|| bad(BadInvoice::Contact))?;
            contacts::get(&ctx.db, t, id)
                .await?
                .ok_or_else(|| bad(BadInvoice::Contact))?
        }
        (None, Some(user)) => {
            let user = contacts::check_user(user).map_err(|_| {
                ApiError::invalid(
                    "telegram_user_id",
                    "a Telegram user id is a positive number",
                )
            })?;
            match contacts::by_user(&ctx.db, t, user).await? {
                Some(c) => c,
                None => {
                    // Nothing is recorded for a user the invoice cannot reach.
                    if !contacts::may_message(&ctx.db, t.seller_id, user).await? {
                        return Err(stopped());
                    }
                    if crate::accounts::users::find(&ctx.db, user).await?.is_none() {
                        return Err(ApiError::invalid(
                            "telegram_user_id",
                            BadInvoice::NotStarted.to_string(),
                        ));
                    }
                    contacts::record(&ctx.db, now, t, user, Source::Api)
                        .await?
                        .0
                }
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "contact_id",
                "give exactly one of contact_id and telegram_user_id",
            ));
        }
    };
    let send = !new.draft.unwrap_or(false);
    match invoices::create(&ctx.db, now, t, &contact, checked, send).await? {
        Created::Invoice(inv) => {
            ctx.jobs.notify();
            Ok((StatusCode::CREATED, Json(InvoiceOut::of(*inv))))
        }
        Created::Stopped => Err(stopped()),
        Created::Bad(b) => Err(bad(b)),
    }
}

fn not_in(status: Status, what: &str) -> ApiError {
    ApiError::Conflict {
        code: "invoice_status",
        message: format!("the invoice is {} and cannot be {what}", status.as_str()),
    }
}

/// Sends a draft to its customer now.
#[utoipa::path(post, path = "/invoices/{id}/send", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = InvoiceOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send_invoice(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let id = invoices::parse_id(&id).ok_or_else(not_found)?;
    let ctx = &s.ctx;
    match invoices::send_draft(&ctx.db, ctx.now(), caller.tenant(), id)
        .await?
        .ok_or_else(not_found)?
    {
        Ok(Created::Invoice(inv)) => {
            ctx.jobs.notify();
            Ok(Json(InvoiceOut::of(*inv)))
        }
        Ok(Created::Stopped) => Err(stopped()),
        Ok(Created::Bad(b)) => Err(bad(b)),
        Err(status) => Err(not_in(status, "sent")),
    }
}

/// Voids an unpaid invoice (`invoice.voided`); its pay button stops working. A paid invoice is
/// a 409.
#[utoipa::path(post, path = "/invoices/{id}/void", tag = "invoices", params(("id" = String, Path)),
    responses((status = 200, body = InvoiceOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn void_invoice(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let id = invoices::parse_id(&id).ok_or_else(not_found)?;
    let ctx = &s.ctx;
    match invoices::void(&ctx.db, ctx.now(), caller.tenant(), id)
        .await?
        .ok_or_else(not_found)?
    {
        Voided::Voided(inv) => Ok(Json(InvoiceOut::of(*inv))),
        Voided::Final(status) => Err(not_in(status, "voided")),
    }
}

/// The days reminders go out, relative to the due date (3 days before, on the day, 1 and 7
/// days after unless you set your own). Shared by both modes.
#[utoipa::path(get, path = "/invoice-reminders", tag = "invoices",
    responses((status = 200, body = Reminders)))]
pub async fn get_reminders(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Reminders>, ApiError> {
    let days = invoices::schedule(&s.ctx.db, caller.seller.id).await?;
    Ok(Json(Reminders { days }))
}

/// Sets the reminder days for invoices sent from now on (`[]`: no reminders).
#[utoipa::path(patch, path = "/invoice-reminders", tag = "invoices", request_body = Reminders,
    responses((status = 200, body = Reminders), (status = 422, body = ErrorBody)))]
pub async fn update_reminders(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(r): ApiJson<Reminders>,
) -> Result<Json<Reminders>, ApiError> {
    let days = invoices::check_offsets(r.days)
        .map_err(|e: BadSchedule| ApiError::invalid("days", e.to_string()))?;
    let ctx = &s.ctx;
    invoices::set_schedule(&ctx.db, ctx.now(), caller.seller.id, &days).await?;
    Ok(Json(Reminders { days }))
}
