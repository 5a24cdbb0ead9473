//! `/services` and `/plans`.
use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};

use super::{
    ApiJson, ApiQuery, Caller, PageParams,
    types::{
        NewPlan, NewService, PlanList, PlanOut, PlanPatch, ServiceList, ServiceOut, ServicePatch,
        Status,
    },
};
use crate::{
    http::{ApiError, HttpState},
    sellers::{
        admission::{self, ChatCheck},
        audit,
        catalog::{self, Connected, Service},
        tenant,
    },
    telegram::TgError,
};

/// Telegram's answer to a call the API made on a seller's behalf.
pub(super) fn tg_error(e: TgError) -> ApiError {
    if e.is_transient() {
        ApiError::Unavailable("Telegram did not answer; try again shortly")
    } else {
        ApiError::Internal(anyhow::anyhow!("telegram: {e}"))
    }
}

fn bot_name(s: &HttpState) -> Option<String> {
    s.me.get().map(|me| me.username().to_owned())
}

pub(super) async fn own_service(
    s: &HttpState,
    caller: &Caller,
    id: i64,
) -> Result<Service, ApiError> {
    tenant::service(&s.ctx.db, caller.tenant(), id)
        .await?
        .ok_or(ApiError::NotFound("no such service"))
}

fn check_grace(days: Option<i32>) -> Result<(), ApiError> {
    match days {
        Some(d) if !(0..=30).contains(&d) => {
            Err(ApiError::invalid("grace_days", "grace_days is 0 to 30"))
        }
        _ => Ok(()),
    }
}

/// The key's services, in the key's mode.
#[utoipa::path(get, path = "/services", tag = "services", params(PageParams),
    responses((status = 200, body = ServiceList), (status = 401, body = super::super::error::ErrorBody)))]
pub async fn list_services(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<ServiceList>, ApiError> {
    let (after, limit) = page.parse()?;
    let rows = tenant::services(&s.ctx.db, caller.tenant(), after, limit).await?;
    let bot = bot_name(&s);
    Ok(Json(ServiceList::of(
        rows,
        |r| r.id,
        |r| ServiceOut::of(r, bot.as_deref()),
    )))
}

/// Connects a channel or group as a service. The bot checks its own rights there and that
/// the key's seller administers it; a test key makes a test service (use a separate chat).
#[utoipa::path(post, path = "/services", tag = "services", request_body = NewService,
    responses((status = 201, body = ServiceOut), (status = 200, description = "connected before", body = ServiceOut),
        (status = 409, body = super::super::error::ErrorBody), (status = 422, body = super::super::error::ErrorBody)))]
pub async fn create_service(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewService>,
) -> Result<(StatusCode, Json<ServiceOut>), ApiError> {
    check_grace(new.grace_days)?;
    let me =
        s.me.get()
            .ok_or(ApiError::Unavailable("the bot is starting"))?;
    let ctx = &s.ctx;
    let check = admission::check_chat(ctx, me, caller.seller.user_id, new.chat_id)
        .await
        .map_err(tg_error)?;
    let (kind, title) = match check {
        ChatCheck::Ready { kind, title } => (kind, title),
        ChatCheck::BotNotAdmin => {
            return Err(ApiError::invalid(
                "chat_id",
                "the bot is not an administrator of that chat (or cannot see it)",
            ));
        }
        ChatCheck::UserNotAdmin => {
            return Err(ApiError::invalid(
                "chat_id",
                "the key's seller is not an administrator of that chat",
            ));
        }
        ChatCheck::Missing(rights) => {
            let names: Vec<&str> = rights
                .iter()
                .map(|k| match *k {
                    "sl-right-invite" => "invite users",
                    "sl-right-ban" => "ban users",
                    "sl-right-post" => "post messages",
                    other => other,
                })
                .collect();
            return Err(ApiError::invalid(
                "chat_id",
                format!("the bot lacks these rights there: {}", names.join(", ")),
            ));
        }
    };
    let now = ctx.now();
    let live = caller.mode.livemode();
    let (status, service) = match catalog::connect_chat(
        &ctx.db,
        now,
        &caller.seller,
        new.chat_id,
        kind,
        &title,
        live,
    )
    .await?
    {
        Connected::Taken => {
            return Err(ApiError::Conflict {
                code: "chat_taken",
                message: "that chat is another service's (another seller's, or yours in \
                              the other mode)"
                    .into(),
            });
        }
        Connected::Limit(reached) => {
            return Err(ApiError::PlanLimit {
                limit: reached.limit.as_str(),
                message: reached.describe(),
                retry_after: None,
            });
        }
        Connected::Again(service) => (StatusCode::OK, service),
        Connected::New(service) => {
            audit::record(
                &ctx.db,
                now,
                caller.seller.id,
                caller.seller.user_id,
                "service_connected",
                None,
                format!(
                    "{} ({}) via API key {}",
                    service.title,
                    kind.as_str(),
                    caller.key.prefix
                ),
            )
            .await?;
            (StatusCode::CREATED, service)
        }
    };
    if new.admission.is_some() || new.grace_days.is_some() {
        tenant::update_service(
            &ctx.db,
            now,
            &service,
            None,
            new.admission.map(|a| a.as_str()),
            new.grace_days,
        )
        .await?;
    }
    let service = own_service(&s, &caller, service.id).await?;
    Ok((
        status,
        Json(ServiceOut::of(service, bot_name(&s).as_deref())),
    ))
}

#[utoipa::path(get, path = "/services/{id}", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = ServiceOut), (status = 404, body = super::super::error::ErrorBody)))]
pub async fn get_service(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<ServiceOut>, ApiError> {
    let service = own_service(&s, &caller, id).await?;
    Ok(Json(ServiceOut::of(service, bot_name(&s).as_deref())))
}

/// Renames a service, pauses, resumes or archives it, switches its admission or grace days.
/// A paused or archived service stops selling; its members keep access to their end.
#[utoipa::path(patch, path = "/services/{id}", tag = "services", params(("id" = i64, Path)),
    request_body = ServicePatch,
    responses((status = 200, body = ServiceOut), (status = 404, body = super::super::error::ErrorBody),
        (status = 422, body = super::super::error::ErrorBody)))]
pub async fn update_service(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<ServicePatch>,
) -> Result<Json<ServiceOut>, ApiError> {
    let service = own_service(&s, &caller, id).await?;
    check_grace(patch.grace_days)?;
    let title = match patch.title.as_deref().map(str::trim) {
        Some(t) if t.is_empty() || t.chars().count() > 128 => {
            return Err(ApiError::invalid("title", "a title is 1 to 128 characters"));
        }
        other => other,
    };
    let ctx = &s.ctx;
    let now = ctx.now();
    tenant::update_service(
        &ctx.db,
        now,
        &service,
        title,
        patch.admission.map(|a| a.as_str()),
        patch.grace_days,
    )
    .await?;
    if let Some(status) = patch.status {
        catalog::set_service_status(&ctx.db, now, caller.seller.id, id, status.as_str()).await?;
    }
    audit::record(
        &ctx.db,
        now,
        caller.seller.id,
        caller.seller.user_id,
        "service_updated",
        None,
        format!("{} via API key {}", service.title, caller.key.prefix),
    )
    .await?;
    let service = own_service(&s, &caller, id).await?;
    Ok(Json(ServiceOut::of(service, bot_name(&s).as_deref())))
}

/// A service's plans (archived ones too).
#[utoipa::path(get, path = "/services/{id}/plans", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = PlanList), (status = 404, body = super::super::error::ErrorBody)))]
pub async fn list_plans(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<PlanList>, ApiError> {
    let service = own_service(&s, &caller, id).await?;
    let rows = tenant::plans(&s.ctx.db, service.id).await?;
    Ok(Json(PlanList::of(
        tenant::Page { rows, more: false },
        |p| p.id,
        PlanOut::from,
    )))
}

/// Adds a plan: a price in Stars for a period, with an optional trial.
#[utoipa::path(post, path = "/services/{id}/plans", tag = "services", params(("id" = i64, Path)),
    request_body = NewPlan,
    responses((status = 201, body = PlanOut), (status = 404, body = super::super::error::ErrorBody),
        (status = 422, body = super::super::error::ErrorBody)))]
pub async fn create_plan(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    ApiJson(new): ApiJson<NewPlan>,
) -> Result<(StatusCode, Json<PlanOut>), ApiError> {
    let service = own_service(&s, &caller, id).await?;
    if service.status == Status::Archived.as_str() {
        return Err(ApiError::Conflict {
            code: "service_archived",
            message: "the service is archived".into(),
        });
    }
    let bad = |field: &str, e: catalog::BadInput| ApiError::invalid(field, e.to_string());
    let stars = new
        .stars_price
        .map(|s| catalog::parse_stars(&s.to_string()).map_err(|e| bad("stars_price", e)))
        .transpose()?;
    let card = match (new.price_minor, &new.currency) {
        (None, None) => None,
        (Some(minor), Some(currency)) => {
            let currency = currency.to_ascii_lowercase();
            let valid_currency = currency.len() == 3
                && currency.bytes().all(|b| b.is_ascii_lowercase())
                && currency != "xtr";
            if !valid_currency {
                return Err(ApiError::invalid(
                    "currency",
                    "a three-letter ISO currency such as usd",
                ));
            }
            if !(1..=100_000_000).contains(&minor) {
                return Err(ApiError::invalid(
                    "price_minor",
                    "a card price is 1 to 100,000,000 minor units",
                ));
            }
            Some((minor, currency))
        }
        (Some(_), None) => {
            return Err(ApiError::invalid("currency", "required with price_minor"));
        }
        (None, Some(_)) => {
            return Err(ApiError::invalid("price_minor", "required with currency"));
        }
    };
    if stars.is_none() && card.is_none() {
        return Err(ApiError::invalid(
            "stars_price",
            "a plan needs a Stars price, a card price (price_minor and currency), or both",
        ));
    }
    let period =
        catalog::parse_period(&new.period_days.to_string()).map_err(|e| bad("period_days", e))?;
    let trial = catalog::parse_trial(&new.trial_days.unwrap_or(0).to_string())
        .map_err(|e| bad("trial_days", e))?;
    let ctx = &s.ctx;
    let now = ctx.now();
    let plan = catalog::add_plan(
        &ctx.db,
        now,
        &service,
        catalog::NewPlan {
            stars_price: stars,
            card,
            period_days: period,
            trial_days: trial,
        },
    )
    .await?;
    audit::record(
        &ctx.db,
        now,
        caller.seller.id,
        caller.seller.user_id,
        "plan_added",
        None,
        format!(
            "{} / {period} days via API key {}",
            [
                plan.stars_price.map(|s| format!("{s} Stars")),
                plan.price_minor
                    .zip(plan.currency.as_deref())
                    .map(|(m, c)| crate::billing::orders::format_price(m, c)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" or "),
            caller.key.prefix
        ),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(plan.into())))
}

/// Pauses, resumes or archives a plan.
#[utoipa::path(patch, path = "/plans/{id}", tag = "services", params(("id" = i64, Path)),
    request_body = PlanPatch,
    responses((status = 200, body = PlanOut), (status = 404, body = super::super::error::ErrorBody),
        (status = 422, body = super::super::error::ErrorBody)))]
pub async fn update_plan(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<PlanPatch>,
) -> Result<Json<PlanOut>, ApiError> {
    let db = &s.ctx.db;
    let Some((plan, _)) = tenant::plan(db, caller.tenant(), id).await? else {
        return Err(ApiError::NotFound("no such plan"));
    };
    catalog::set_plan_status(db, caller.seller.id, plan.id, patch.status.as_str()).await?;
    audit::record(
        db,
        s.ctx.now(),
        caller.seller.id,
        caller.seller.user_id,
        "plan_status",
        None,
        format!(
            "plan {} {} via API key {}",
            plan.id,
            patch.status.as_str(),
            caller.key.prefix
        ),
    )
    .await?;
    let (plan, _) = tenant::plan(db, caller.tenant(), id)
        .await?
        .ok_or(ApiError::NotFound("no such plan"))?;
    Ok(Json(plan.into()))
}
