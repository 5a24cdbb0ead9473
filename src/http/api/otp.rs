//! `/otp`: one-time codes over Telegram. The code goes to the user in the bot, naming you; it
//! never appears in any answer of this API.
use axum::{Extension, Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, Caller, services::tg_error};
use crate::{
    http::{ApiError, HttpState},
    messaging::{
        bot::link_payload,
        contacts::{self, Source},
        notify::{self, NotSent},
        otp::{self, Purpose, Refused, Verdict},
        usage::Metric,
    },
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpSend {
    /// The contact (`ct_…`); or give `telegram_user_id`.
    pub contact_id: Option<String>,
    /// A Telegram user id; they become your contact if they are not yet.
    pub telegram_user_id: Option<i64>,
    /// `login`, `signup` or `verification`: named in the message.
    pub purpose: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OtpSent {
    /// `sent`: the code is in the user's chat with the bot. `needs_start`: the user never
    /// started the bot, so nothing was sent; send them to `start_link`, then ask again.
    pub status: String,
    /// `otp_…`, for `POST /otp/verify` (`sent` only).
    pub id: Option<String>,
    pub contact_id: String,
    pub purpose: String,
    /// When the code stops working (`sent` only).
    pub expires_at: Option<DateTime<Utc>>,
    /// Tries the code allows (`sent` only).
    pub max_attempts: Option<i32>,
    /// The earliest moment another code may be sent to this user.
    pub resend_after: Option<DateTime<Utc>>,
    /// `https://t.me/<bot>?start=…` (`needs_start` only).
    pub start_link: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpVerify {
    /// The `id` the send answered with (`otp_…`).
    pub id: String,
    /// The 6 digits the user typed on your site.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OtpVerified {
    pub id: String,
    /// `verified`, `wrong`, `expired` (past 5 minutes, or the user reported it), `locked` (its
    /// attempts are used up) or `used` (it was verified before).
    pub status: String,
    /// `wrong` only: tries left.
    pub attempts_left: Option<i32>,
}

fn refused(r: Refused) -> ApiError {
    match r {
        Refused::Cooldown { retry_after } => ApiError::Limited {
            code: "otp_cooldown",
            message: format!(
                "a code went to this user moments ago; another may follow in {retry_after} s"
            ),
            retry_after: Some(retry_after as u64),
        },
        Refused::UserLimit { retry_after } => ApiError::Limited {
            code: "otp_user_limit",
            message: "this user had as many codes in the last hour as one may".into(),
            retry_after: Some(retry_after as u64),
        },
        Refused::KeyLimit { retry_after } => ApiError::Limited {
            code: "otp_key_limit",
            message: "this key sent as many codes in the last hour as one may".into(),
            retry_after: Some(retry_after as u64),
        },
        Refused::UsageLimit { limit } => ApiError::Limited {
            code: "usage_limit",
            message: format!(
                "usage limit {} reached ({limit} today)",
                Metric::Otps.limit_name()
            ),
            retry_after: None,
        },
    }
}

/// Sends a 6-digit code to a user in Telegram, naming you and what it is for, with a "This
/// wasn't me" button (which tells you and the operator) and a button to stop your messages.
/// Codes work for 5 minutes and 5 tries; one code per user every 30 s, 5 per user an hour,
/// 1,000 per key an hour, and your daily OTP limit (`usage_limit`).
#[utoipa::path(post, path = "/otp/send", tag = "otp", request_body = OtpSend,
    responses((status = 200, body = OtpSent), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn send_otp(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<OtpSend>,
) -> Result<(StatusCode, Json<OtpSent>), ApiError> {
    let purpose = Purpose::parse(&req.purpose)
        .ok_or_else(|| ApiError::invalid("purpose", "purpose is login, signup or verification"))?;
    let ctx = &s.ctx;
    let t = caller.tenant();
    let now = ctx.now();
    let contact = match (&req.contact_id, req.telegram_user_id) {
        (Some(id), None) => {
            let unknown = || ApiError::invalid("contact_id", "no such contact");
            let id = contacts::parse_id(id).ok_or_else(unknown)?;
            contacts::get(&ctx.db, t, id).await?.ok_or_else(unknown)?
        }
        (None, Some(user)) => {
            let user = contacts::check_user(user)
                .map_err(|e| ApiError::invalid(e.field(), e.to_string()))?;
            match contacts::by_user(&ctx.db, t, user).await? {
                Some(c) => c,
                None => {
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
    let contact_id = contacts::public_id(contact.id);
    match contacts::status(&ctx.db, caller.seller.id, contact.user_id).await? {
        contacts::Status::Stopped => {
            return Err(ApiError::Conflict {
                code: "contact_stopped",
                message: "this user stopped your messages; only they can undo it".into(),
            });
        }
        contacts::Status::Pending => {
            let me =
                s.me.get()
                    .ok_or(ApiError::Unavailable("the bot is starting"))?;
            return Ok((
                StatusCode::OK,
                Json(OtpSent {
                    status: "needs_start".into(),
                    id: None,
                    contact_id,
                    purpose: purpose.as_str().into(),
                    expires_at: None,
                    max_attempts: None,
                    resend_after: None,
                    start_link: Some(format!(
                        "https://t.me/{}?start={}",
                        me.username(),
                        link_payload(t)
                    )),
                }),
            ));
        }
        contacts::Status::Active => {}
    }
    let request = otp::Request {
        tenant: t,
        contact_id: contact.id,
        user_id: contact.user_id,
        key_id: caller.key.id,
        purpose,
    };
    let issued = otp::issue(&ctx.db, now, &request, &otp::Limits::default())
        .await?
        .map_err(refused)?;
    match notify::send_code(
        ctx,
        &caller_seller(&s, &caller).await?,
        &issued.otp,
        &issued.code,
    )
    .await
    {
        Ok(message_id) => otp::sent(&ctx.db, ctx.now(), &issued.otp, message_id).await?,
        Err(e) => {
            otp::withdraw(&ctx.db, &issued.otp).await?;
            return Err(match e {
                NotSent::Unreachable => ApiError::Conflict {
                    code: "user_unreachable",
                    message: "the user blocked the bot or left Telegram; nothing was sent".into(),
                },
                NotSent::Telegram(e) => tg_error(e),
                NotSent::Service(e) => e.into(),
            });
        }
    }
    let o = issued.otp;
    Ok((
        StatusCode::OK,
        Json(OtpSent {
            status: "sent".into(),
            id: Some(otp::public_id(o.id)),
            contact_id,
            purpose: o.purpose,
            expires_at: Some(o.expires_at),
            max_attempts: Some(o.max_attempts),
            resend_after: Some(o.created_at + otp::RESEND_COOLDOWN),
            start_link: None,
        }),
    ))
}

/// The seller as stored, with its owner (the caller's seller names the key's member).
async fn caller_seller(
    s: &HttpState,
    caller: &Caller,
) -> Result<crate::storage::entities::sellers::Model, ApiError> {
    crate::sellers::catalog::seller(&s.ctx.db, caller.seller.id)
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// Checks a code the user typed. Each check of a live code takes one of its 5 tries, however
/// many run at once; a code works once.
#[utoipa::path(post, path = "/otp/verify", tag = "otp", request_body = OtpVerify,
    responses((status = 200, body = OtpVerified), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn verify_otp(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<OtpVerify>,
) -> Result<Json<OtpVerified>, ApiError> {
    let not_found = || ApiError::NotFound("no such code");
    let id = otp::parse_id(&req.id).ok_or_else(not_found)?;
    if !otp::is_code_shaped(&req.code) {
        return Err(ApiError::invalid("code", "a code is 6 digits"));
    }
    let ctx = &s.ctx;
    let verdict = otp::verify(&ctx.db, ctx.now(), caller.tenant(), id, &req.code)
        .await?
        .ok_or_else(not_found)?;
    let (status, attempts_left) = match verdict {
        Verdict::Verified => ("verified", None),
        Verdict::Wrong { attempts_left } => ("wrong", Some(attempts_left)),
        Verdict::Expired => ("expired", None),
        Verdict::Locked => ("locked", None),
        Verdict::AlreadyUsed => ("used", None),
    };
    Ok(Json(OtpVerified {
        id: otp::public_id(id),
        status: status.into(),
        attempts_left,
    }))
}
