//! Members, grants, revocations, payments, stats and alerts.
use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use teloxide::{prelude::Requester, types::ChatId};

use super::{
    ApiJson, ApiQuery, Caller,
    services::{own_service, tg_error},
    types::{
        AlertOut, GrantOut, MemberList, MemberOut, MemberParams, NewAlert, NewGrant, PaymentList,
        PaymentOut, PaymentParams, StatsOut,
    },
};
use crate::{
    accounts::users,
    http::{ApiError, HttpState},
    sellers::{
        access, admission,
        catalog::{self, Service},
        tenant,
    },
};

type ErrorBody = super::super::error::ErrorBody;

async fn own_member(
    s: &HttpState,
    caller: &Caller,
    id: i64,
) -> Result<(access::Membership, Service), ApiError> {
    tenant::member(&s.ctx.db, caller.tenant(), id)
        .await?
        .ok_or(ApiError::NotFound("no such member"))
}

/// A service's members, optionally of one status.
#[utoipa::path(get, path = "/services/{id}/members", tag = "members",
    params(("id" = i64, Path), MemberParams),
    responses((status = 200, body = MemberList), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<MemberParams>,
) -> Result<Json<MemberList>, ApiError> {
    let service = own_service(&s, &caller, id).await?;
    let (after, limit) = super::PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .parse()?;
    let status = q.status.map(|s| s.as_str());
    let page = tenant::members(&s.ctx.db, service.id, status, after, limit).await?;
    Ok(Json(MemberList::of(page, |m| m.id, MemberOut::from)))
}

#[utoipa::path(get, path = "/members/{id}", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = MemberOut), (status = 404, body = ErrorBody)))]
pub async fn get_member(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<MemberOut>, ApiError> {
    let (m, _) = own_member(&s, &caller, id).await?;
    Ok(Json(m.into()))
}

/// Grants a Telegram user access for some days (or for a plan's period), extending any
/// current access. The answer carries the member's personal invite link; the bot also sends
/// it to the user when they have started the bot.
#[utoipa::path(post, path = "/services/{id}/grants", tag = "members", params(("id" = i64, Path)),
    request_body = NewGrant,
    responses((status = 201, body = GrantOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_grant(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    ApiJson(grant): ApiJson<NewGrant>,
) -> Result<(StatusCode, Json<GrantOut>), ApiError> {
    let service = own_service(&s, &caller, id).await?;
    if service.status == "archived" {
        return Err(ApiError::Conflict {
            code: "service_archived",
            message: "the service is archived".into(),
        });
    }
    if grant.telegram_user_id <= 0 {
        return Err(ApiError::invalid(
            "telegram_user_id",
            "a Telegram user id is a positive number",
        ));
    }
    let ctx = &s.ctx;
    let days = match (grant.days, grant.plan_id) {
        (Some(days), None) => catalog::parse_period(&days.to_string())
            .map_err(|e| ApiError::invalid("days", e.to_string()))?,
        (None, Some(plan)) => match tenant::plan(&ctx.db, caller.tenant(), plan).await? {
            Some((plan, _)) if plan.service_id == service.id => plan.period_days,
            _ => return Err(ApiError::invalid("plan_id", "no such plan of this service")),
        },
        _ => {
            return Err(ApiError::invalid(
                "days",
                "give exactly one of days and plan_id",
            ));
        }
    };
    let user = grant.telegram_user_id;
    let m = access::grant(
        &ctx.db,
        ctx.now(),
        &service,
        user,
        days,
        caller.seller.user_id,
    )
    .await?;
    ctx.jobs.notify();
    let inside = m.joined_at.is_some() && m.left_at.is_none();
    let (invite_link, link_pending) = if inside {
        (None, false)
    } else {
        match admission::ensure_link(ctx, &m, &service, 1).await {
            Ok(link) => (Some(link), false),
            Err(e) => {
                tracing::warn!(error = %e, "a granted member's link is left to the job");
                (None, true)
            }
        }
    };
    // The job that sends the link to the user (the one made here, as it is).
    ctx.jobs.notify();
    let started = users::find(&ctx.db, user).await?.is_some();
    let member = access::membership_by_id(&ctx.db, m.id).await?.unwrap_or(m);
    Ok((
        StatusCode::CREATED,
        Json(GrantOut {
            member: member.into(),
            invite_link,
            link_pending,
            user_started_bot: started,
        }),
    ))
}

/// Ends a member's access now and removes them from the chat.
#[utoipa::path(post, path = "/members/{id}/revoke", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = MemberOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn revoke_member(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<MemberOut>, ApiError> {
    let (m, service) = own_member(&s, &caller, id).await?;
    let ctx = &s.ctx;
    let revoked = access::revoke(
        &ctx.db,
        ctx.now(),
        &service,
        m.user_id,
        caller.seller.user_id,
    )
    .await?;
    let Some(m) = revoked else {
        return Err(ApiError::Conflict {
            code: "not_active",
            message: "the membership is not active".into(),
        });
    };
    ctx.jobs.notify();
    Ok(Json(m.into()))
}

/// Paid orders, oldest first.
#[utoipa::path(get, path = "/payments", tag = "payments", params(PaymentParams),
    responses((status = 200, body = PaymentList), (status = 422, body = ErrorBody)))]
pub async fn list_payments(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<PaymentParams>,
) -> Result<Json<PaymentList>, ApiError> {
    let (after, limit) = super::PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .parse()?;
    let page = tenant::payments(&s.ctx.db, caller.tenant(), q.since, after, limit).await?;
    Ok(Json(PaymentList::of(page, |o| o.id, PaymentOut::from)))
}

/// Services, members and revenue (gross, fee, net per currency), counted at `as_of`: the
/// figures are counted at most once every 5 seconds per key's seller and mode, and served
/// again in between.
#[utoipa::path(get, path = "/stats", tag = "payments",
    responses((status = 200, body = StatsOut)))]
pub async fn get_stats(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<StatsOut>, ApiError> {
    let (stats, as_of) = s
        .ctx
        .api_stats
        .get(&s.ctx.db, caller.tenant(), s.ctx.now())
        .await?;
    Ok(Json(StatsOut::of(stats, as_of)))
}

/// Posts an alert into the service's chat: a text as it is, or a trading signal formatted
/// the way `/alert` does.
#[utoipa::path(post, path = "/services/{id}/alerts", tag = "services", params(("id" = i64, Path)),
    request_body = NewAlert,
    responses((status = 201, body = AlertOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn post_alert(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    ApiJson(alert): ApiJson<NewAlert>,
) -> Result<(StatusCode, Json<AlertOut>), ApiError> {
    let service = own_service(&s, &caller, id).await?;
    let ctx = &s.ctx;
    let (text, summary) = match (alert.text, alert.signal) {
        (Some(text), None) => {
            let text = catalog::parse_alert(&text)
                .map_err(|e| ApiError::invalid("text", e.to_string()))?;
            let summary: String = text.chars().take(200).collect();
            (text, summary)
        }
        (None, Some(sig)) => {
            let symbol_ok = (1..=20).contains(&sig.symbol.len())
                && sig
                    .symbol
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "./-_".contains(c));
            if !symbol_ok {
                return Err(ApiError::invalid(
                    "signal.symbol",
                    "a symbol is 1 to 20 letters, digits, '.', '/', '-' or '_'",
                ));
            }
            for (field, n) in [
                ("signal.entry", sig.entry),
                ("signal.target", sig.target),
                ("signal.stop_loss", sig.stop_loss),
            ] {
                if !(n.is_finite() && n > 0.0) {
                    return Err(ApiError::invalid(field, "a price is a positive number"));
                }
            }
            let note = sig.note.as_deref().map(str::trim).unwrap_or("");
            if note.chars().count() > 1000 {
                return Err(ApiError::invalid(
                    "signal.note",
                    "a note is at most 1,000 characters",
                ));
            }
            let line = format!(
                "{} {} {} {} {} {note}",
                sig.symbol,
                sig.action.as_str(),
                sig.entry,
                sig.target,
                sig.stop_loss
            );
            let locale = admission::locale_of(ctx, caller.seller.user_id)
                .await
                .unwrap_or(ctx.config.default_locale);
            let text = admission::format_alert(locale, line.trim())
                .ok_or_else(|| ApiError::invalid("signal", "not a signal the bot can post"))?;
            (text, line.trim().to_owned())
        }
        _ => {
            return Err(ApiError::invalid(
                "text",
                "give exactly one of text and signal",
            ));
        }
    };
    let text = crate::sellers::branding::brand(&ctx.db, &caller.seller)
        .await?
        .post(&text);
    let chat = ChatId(service.chat_id);
    let posted_text = text.clone();
    let posted = ctx
        .tg
        .send(chat, ctx.tg.bot().send_message(chat, text.clone()))
        .await
        .map_err(|e| {
            if e.is_transient() {
                tg_error(e)
            } else {
                ApiError::Conflict {
                    code: "telegram_refused",
                    message: format!("Telegram refused the post: {e}"),
                }
            }
        })?;
    catalog::alert_posted(
        &ctx.db,
        ctx.now(),
        &service,
        caller.seller.user_id,
        &summary,
        &posted_text,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AlertOut {
            service_id: service.id,
            message_id: posted.id.0,
        }),
    ))
}
