//! `/contacts`: the seller's contacts in the key's mode, with their tags and attributes.
use std::collections::HashMap;

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
    messaging::contacts::{self, BadContact, Contact, Status},
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    /// `ct_…`
    pub id: String,
    pub telegram_user_id: i64,
    /// `pending` (never started the bot: nothing reaches them yet), `active`, or `stopped`
    /// (they stopped your messages with /stop; only they can undo it).
    pub status: String,
    /// `link` (opened one of your links), `api`, or `otp` (opened the link an OTP send gave).
    pub source: String,
    pub tags: Vec<String>,
    /// Your own JSON object.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub livemode: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContactOut {
    pub fn of(c: Contact, status: Status) -> Self {
        Self {
            id: contacts::public_id(c.id),
            tags: contacts::tags_of(&c),
            attributes: contacts::attributes_of(&c),
            telegram_user_id: c.user_id,
            status: status.as_str().to_owned(),
            source: c.source,
            livemode: c.livemode,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// Contacts, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub data: Vec<ContactOut>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactParams {
    /// `next_cursor` of the page before; none for the first page.
    pub cursor: Option<String>,
    /// Rows per page, 1 to 100 (50 unless given).
    pub limit: Option<u64>,
    /// Only contacts with this tag.
    pub tag: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// The user's Telegram id. Until they start the bot the contact is `pending`.
    pub telegram_user_id: i64,
    /// At most 20 tags of 1 to 32 letters, digits, `-`, `_`, `:` or `.`.
    pub tags: Option<Vec<String>>,
    /// A JSON object of at most 50 keys and 4096 bytes.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChange {
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Replaces the attributes.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
}

fn bad(e: BadContact) -> ApiError {
    ApiError::invalid(e.field(), e.to_string())
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such contact")
}

async fn out(s: &HttpState, caller: &Caller, c: Contact) -> Result<ContactOut, ApiError> {
    let status = contacts::status(&s.ctx.db, caller.seller.id, c.user_id).await?;
    Ok(ContactOut::of(c, status))
}

#[utoipa::path(get, path = "/contacts", tag = "contacts", params(ContactParams),
    responses((status = 200, body = ContactList), (status = 422, body = ErrorBody)))]
pub async fn list_contacts(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<ContactParams>,
) -> Result<Json<ContactList>, ApiError> {
    let (after, limit) = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .parse()?;
    let tag = match q.tag.as_deref() {
        None => None,
        Some(t) => {
            contacts::parse_tags(&[t.to_owned()]).map_err(|_| {
                ApiError::invalid(
                    "tag",
                    "a tag is 1 to 32 letters, digits, '-', '_', ':' or '.'",
                )
            })?;
            Some(t)
        }
    };
    let page = contacts::list(&s.ctx.db, caller.tenant(), after, limit, tag).await?;
    let users: Vec<i64> = page.rows.iter().map(|c| c.user_id).collect();
    let statuses: HashMap<i64, Status> =
        contacts::statuses(&s.ctx.db, caller.seller.id, &users).await?;
    let next_cursor = if page.more {
        page.rows.last().map(|c| c.id.to_string())
    } else {
        None
    };
    Ok(Json(ContactList {
        data: page
            .rows
            .into_iter()
            .map(|c| {
                let status = statuses.get(&c.user_id).copied().unwrap_or(Status::Pending);
                ContactOut::of(c, status)
            })
            .collect(),
        has_more: page.more,
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/contacts/{id}", tag = "contacts", params(("id" = String, Path)),
    responses((status = 200, body = ContactOut), (status = 404, body = ErrorBody)))]
pub async fn get_contact(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<ContactOut>, ApiError> {
    let id = contacts::parse_id(&id).ok_or_else(not_found)?;
    let c = contacts::get(&s.ctx.db, caller.tenant(), id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(out(&s, &caller, c).await?))
}

/// Adds a Telegram user as a contact. A user who is your contact already is a 409 naming
/// their id, and nothing changes.
#[utoipa::path(post, path = "/contacts", tag = "contacts", request_body = NewContact,
    responses((status = 201, body = ContactOut), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_contact(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewContact>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let user = contacts::check_user(new.telegram_user_id).map_err(bad)?;
    let tags = contacts::parse_tags(&new.tags.unwrap_or_default()).map_err(bad)?;
    let attributes = match &new.attributes {
        Some(a) => contacts::parse_attributes(a).map_err(bad)?,
        None => "{}".to_owned(),
    };
    let ctx = &s.ctx;
    match contacts::create(&ctx.db, ctx.now(), caller.tenant(), user, tags, attributes).await? {
        Ok(c) => Ok((StatusCode::CREATED, Json(out(&s, &caller, c).await?))),
        Err(existing) => Err(ApiError::Conflict {
            code: "contact_exists",
            message: format!(
                "this user is your contact already: {}",
                contacts::public_id(existing.id)
            ),
        }),
    }
}

/// Replaces a contact's tags and/or attributes.
#[utoipa::path(patch, path = "/contacts/{id}", tag = "contacts", params(("id" = String, Path)),
    request_body = ContactChange,
    responses((status = 200, body = ContactOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_contact(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<ContactChange>,
) -> Result<Json<ContactOut>, ApiError> {
    let id = contacts::parse_id(&id).ok_or_else(not_found)?;
    let tags = match &change.tags {
        Some(t) => Some(contacts::parse_tags(t).map_err(bad)?),
        None => None,
    };
    let attributes = match &change.attributes {
        Some(a) => Some(contacts::parse_attributes(a).map_err(bad)?),
        None => None,
    };
    let ctx = &s.ctx;
    let c = contacts::update(&ctx.db, ctx.now(), caller.tenant(), id, tags, attributes)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(out(&s, &caller, c).await?))
}
