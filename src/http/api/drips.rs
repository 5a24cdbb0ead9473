//! `/drip-campaigns`: timed sequences of messages to the seller's contacts in the key's mode,
//! their steps, enrolments and numbers.
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
    messaging::{
        contacts,
        drips::{self, BadDrip, Button, Campaign, Enrollment, NewCampaign, NewStep, Step},
    },
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct StepOut {
    /// 1, 2, …
    pub position: i32,
    /// Seconds after the step before (after the enrolment for the first).
    pub delay_seconds: i64,
    /// The text, or the caption of the media.
    pub text: String,
    pub media: Option<MediaIn>,
    pub buttons: Vec<ButtonIn>,
    /// `paid`, `not_paid` or `tag:<tag>`: only contacts it holds for get the step.
    pub condition: Option<String>,
}

impl StepOut {
    fn of(s: Step) -> Self {
        Self {
            position: s.position,
            delay_seconds: s.delay_secs,
            buttons: drips::buttons_of(&s)
                .into_iter()
                .map(|b| ButtonIn {
                    text: b.text,
                    url: b.url,
                })
                .collect(),
            media: s
                .media_kind
                .zip(s.media_file_id)
                .map(|(kind, file_id)| MediaIn { kind, file_id }),
            condition: s.condition,
            text: s.text,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignOut {
    /// `drip_…`
    pub id: String,
    pub name: String,
    /// `manual`, `first_contact`, `purchase`, `expiry` or `tag_added`.
    pub trigger: String,
    pub trigger_tag: Option<String>,
    /// `none`, or `paid`: a purchase from you ends the contact's enrolment (`goal_met`).
    pub goal: String,
    /// `active` or `paused`.
    pub status: String,
    pub steps: Vec<StepOut>,
    pub livemode: bool,
    pub created_at: DateTime<Utc>,
}

impl CampaignOut {
    fn of(c: Campaign, steps: Vec<Step>) -> Self {
        Self {
            id: drips::public_id(c.id),
            name: c.name,
            trigger: c.trigger,
            trigger_tag: c.trigger_tag,
            goal: c.goal,
            status: c.status,
            steps: steps.into_iter().map(StepOut::of).collect(),
            livemode: c.livemode,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub data: Vec<CampaignOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDripCampaign {
    /// 1 to 64 characters.
    pub name: String,
    /// `manual` (enrolled by you), `first_contact`, `purchase`, `expiry` (a membership
    /// ended) or `tag_added` (with `trigger_tag`).
    pub trigger: String,
    pub trigger_tag: Option<String>,
    /// `none` (unless given) or `paid`.
    pub goal: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DripCampaignChange {
    /// `active` or `paused`. A paused campaign sends nothing; its enrolments wait.
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaIn {
    /// `photo`, `video` or `document`.
    pub kind: String,
    /// A Telegram file id the bot can send.
    pub file_id: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ButtonIn {
    /// 1 to 64 characters.
    pub text: String,
    /// `https://…` or `http://…`. Clicks are counted through this server, which then sends
    /// the user on.
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDripStep {
    /// 1 second to 365 days after the step before (after the enrolment for the first).
    pub delay_seconds: i64,
    /// Up to 4096 characters; with media, the caption: up to 1024.
    pub text: String,
    pub media: Option<MediaIn>,
    /// At most 3 URL buttons.
    pub buttons: Option<Vec<ButtonIn>>,
    /// `paid`, `not_paid` or `tag:<tag>`.
    pub condition: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollment {
    /// `ct_…`, one of your contacts in this mode.
    pub contact_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentOut {
    /// `enr_…`
    pub id: String,
    pub campaign_id: String,
    pub contact_id: String,
    pub telegram_user_id: i64,
    /// `active`, `completed`, `goal_met` or `exited`.
    pub status: String,
    /// Why it exited: `stopped` (the user stopped your messages), `unreachable`.
    pub exit_reason: Option<String>,
    /// The position of the step that goes next.
    pub next_step: i32,
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl EnrollmentOut {
    fn of(e: Enrollment) -> Self {
        Self {
            id: drips::enrollment_id(e.id),
            campaign_id: drips::public_id(e.campaign_id),
            contact_id: contacts::public_id(e.contact_id),
            telegram_user_id: e.user_id,
            status: e.status,
            exit_reason: e.exit_reason,
            next_step: e.next_position,
            next_run_at: e.next_run_at,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentList {
    pub data: Vec<EnrollmentOut>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnrollmentParams {
    /// `next_cursor` of the page before; none for the first page.
    pub cursor: Option<String>,
    /// Rows per page, 1 to 100 (50 unless given).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepStatsOut {
    pub position: i32,
    /// Messages that went out.
    pub sent: u64,
    /// Contacts the step's condition passed over.
    pub skipped: u64,
    /// Sends whose buttons were clicked (once per send).
    pub clicks: u64,
    /// Contacts who bought from you after this was the last step they received.
    pub conversions: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DripStats {
    pub campaign_id: String,
    pub enrolled: u64,
    pub active: u64,
    pub completed: u64,
    pub goal_met: u64,
    pub exited: u64,
    pub steps: Vec<StepStatsOut>,
}

fn bad(e: BadDrip) -> ApiError {
    ApiError::invalid(e.field(), e.to_string())
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such drip campaign")
}

async fn campaign_of(s: &HttpState, caller: &Caller, id: &str) -> Result<Campaign, ApiError> {
    let id = drips::parse_id(id).ok_or_else(not_found)?;
    drips::get(&s.ctx.db, caller.tenant(), id)
        .await?
        .ok_or_else(not_found)
}

async fn out(s: &HttpState, c: Campaign) -> Result<CampaignOut, ApiError> {
    let steps = drips::steps(&s.ctx.db, c.id).await?;
    Ok(CampaignOut::of(c, steps))
}

#[utoipa::path(get, path = "/drip-campaigns", tag = "drip-campaigns",
    responses((status = 200, body = CampaignList)))]
pub async fn list_drip_campaigns(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<CampaignList>, ApiError> {
    let mut data = Vec::new();
    for c in drips::list(&s.ctx.db, caller.tenant()).await? {
        data.push(out(&s, c).await?);
    }
    Ok(Json(CampaignList { data }))
}

/// Creates a campaign, active and without steps: add them with `POST …/steps`.
#[utoipa::path(post, path = "/drip-campaigns", tag = "drip-campaigns",
    request_body = NewDripCampaign,
    responses((status = 201, body = CampaignOut), (status = 422, body = ErrorBody)))]
pub async fn create_drip_campaign(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewDripCampaign>,
) -> Result<(StatusCode, Json<CampaignOut>), ApiError> {
    let new = NewCampaign::check(
        &new.name,
        &new.trigger,
        new.trigger_tag.as_deref(),
        new.goal.as_deref(),
    )
    .map_err(bad)?;
    let ctx = &s.ctx;
    let c = drips::create(&ctx.db, ctx.now(), caller.tenant(), new)
        .await?
        .map_err(bad)?;
    Ok((StatusCode::CREATED, Json(out(&s, c).await?)))
}

#[utoipa::path(get, path = "/drip-campaigns/{id}", tag = "drip-campaigns",
    params(("id" = String, Path)),
    responses((status = 200, body = CampaignOut), (status = 404, body = ErrorBody)))]
pub async fn get_drip_campaign(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<CampaignOut>, ApiError> {
    let c = campaign_of(&s, &caller, &id).await?;
    Ok(Json(out(&s, c).await?))
}

/// Pauses or resumes a campaign.
#[utoipa::path(patch, path = "/drip-campaigns/{id}", tag = "drip-campaigns",
    params(("id" = String, Path)), request_body = DripCampaignChange,
    responses((status = 200, body = CampaignOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_drip_campaign(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<DripCampaignChange>,
) -> Result<Json<CampaignOut>, ApiError> {
    let c = campaign_of(&s, &caller, &id).await?;
    let status = drips::Status::parse(&change.status).ok_or_else(|| bad(BadDrip::Status))?;
    let ctx = &s.ctx;
    let c = drips::set_status(&ctx.db, ctx.now(), caller.tenant(), c.id, status)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(out(&s, c).await?))
}

/// Adds a step after the campaign's last one.
#[utoipa::path(post, path = "/drip-campaigns/{id}/steps", tag = "drip-campaigns",
    params(("id" = String, Path)), request_body = NewDripStep,
    responses((status = 201, body = CampaignOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_drip_step(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewDripStep>,
) -> Result<(StatusCode, Json<CampaignOut>), ApiError> {
    let c = campaign_of(&s, &caller, &id).await?;
    let buttons = new
        .buttons
        .unwrap_or_default()
        .into_iter()
        .map(|b| Button {
            text: b.text,
            url: b.url,
        })
        .collect();
    let step = NewStep::check(
        new.delay_seconds,
        &new.text,
        new.media
            .as_ref()
            .map(|m| (m.kind.as_str(), m.file_id.as_str())),
        buttons,
        new.condition.as_deref(),
    )
    .map_err(bad)?;
    let ctx = &s.ctx;
    drips::add_step(&ctx.db, ctx.now(), &c, step)
        .await?
        .map_err(bad)?;
    Ok((StatusCode::CREATED, Json(out(&s, c).await?)))
}

#[utoipa::path(get, path = "/drip-campaigns/{id}/enrollments", tag = "drip-campaigns",
    params(("id" = String, Path), EnrollmentParams),
    responses((status = 200, body = EnrollmentList), (status = 404, body = ErrorBody)))]
pub async fn list_drip_enrollments(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<EnrollmentParams>,
) -> Result<Json<EnrollmentList>, ApiError> {
    let c = campaign_of(&s, &caller, &id).await?;
    let (after, limit) = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .parse()?;
    let page = drips::enrollments(&s.ctx.db, c.id, after, limit).await?;
    let next_cursor = if page.more {
        page.rows.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(Json(EnrollmentList {
        data: page.rows.into_iter().map(EnrollmentOut::of).collect(),
        has_more: page.more,
        next_cursor,
    }))
}

/// Enrols one of your contacts. Enrolling a contact twice gives back the enrolment there is
/// (200), whatever its status: a campaign runs once per contact.
#[utoipa::path(post, path = "/drip-campaigns/{id}/enrollments", tag = "drip-campaigns",
    params(("id" = String, Path)), request_body = NewEnrollment,
    responses((status = 201, body = EnrollmentOut), (status = 200, body = EnrollmentOut),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_drip_enrollment(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewEnrollment>,
) -> Result<(StatusCode, Json<EnrollmentOut>), ApiError> {
    let c = campaign_of(&s, &caller, &id).await?;
    let ctx = &s.ctx;
    let contact = match contacts::parse_id(&new.contact_id) {
        Some(cid) => contacts::get(&ctx.db, caller.tenant(), cid).await?,
        None => None,
    }
    .ok_or_else(|| bad(BadDrip::Contact))?;
    let (e, created) = drips::enroll(&ctx.db, ctx.now(), &c, &contact).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(EnrollmentOut::of(e))))
}

/// Each step's sends, clicks and conversions, and the enrolments by status.
#[utoipa::path(get, path = "/drip-campaigns/{id}/stats", tag = "drip-campaigns",
    params(("id" = String, Path)),
    responses((status = 200, body = DripStats), (status = 404, body = ErrorBody)))]
pub async fn get_drip_stats(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<DripStats>, ApiError> {
    let c = campaign_of(&s, &caller, &id).await?;
    let st = drips::stats(&s.ctx.db, c.id).await?;
    Ok(Json(DripStats {
        campaign_id: drips::public_id(c.id),
        enrolled: st.enrolled,
        active: st.active,
        completed: st.completed,
        goal_met: st.goal_met,
        exited: st.exited,
        steps: st
            .steps
            .into_iter()
            .map(|x| StepStatsOut {
                position: x.position,
                sent: x.sent,
                skipped: x.skipped,
                clicks: x.clicks,
                conversions: x.conversions,
            })
            .collect(),
    }))
}
