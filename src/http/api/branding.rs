//! `/branding`: the seller's brand name and accent colour (the logo is set in the bot, by
//! sending it a photo). Branding is the seller's, whatever the key's mode.
use axum::{Extension, Json, extract::State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, Caller};
use crate::{
    http::{ApiError, HttpState},
    sellers::{
        branding::{self, BadBranding, Brand, Change},
        card,
    },
};

type ErrorBody = super::super::error::ErrorBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct BrandingOut {
    /// The name buyers see: the brand name, or the seller's display name.
    pub name: String,
    /// Whether `name` is a brand name set for the pages (false: the display name).
    pub name_set: bool,
    /// `#rrggbb`: the accent colour, or the default.
    pub accent_color: String,
    pub accent_color_set: bool,
    /// Whether a logo was sent to the bot.
    pub has_logo: bool,
    /// Where the logo is served, when there is one.
    pub logo_url: Option<String>,
    /// When it was last changed; null while it is all defaults.
    pub updated_at: Option<DateTime<Utc>>,
}

fn out(base: &str, brand: &Brand, row: Option<&branding::Branding>) -> BrandingOut {
    BrandingOut {
        name: brand.name.clone(),
        name_set: row.is_some_and(|r| r.name.is_some()),
        accent_color: brand.accent.clone(),
        accent_color_set: row.is_some_and(|r| r.accent_color.is_some()),
        has_logo: brand.logo.is_some(),
        logo_url: brand
            .logo
            .as_ref()
            .map(|_| card::logo_url(base, brand.seller_id)),
        updated_at: row.map(|r| r.updated_at),
    }
}

/// A field that may be absent (unchanged), null (cleared) or a value.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingPatch {
    /// 2 to 64 characters; null goes back to the seller's display name.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// `#RRGGBB`; null goes back to the default colour.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub accent_color: Option<Option<String>>,
}

async fn current(s: &HttpState, caller: &Caller) -> Result<BrandingOut, ApiError> {
    let row = branding::get(&s.ctx.db, caller.seller.id).await?;
    let brand = Brand::of(&caller.seller, row.as_ref());
    Ok(out(&s.ctx.public_base(), &brand, row.as_ref()))
}

/// The branding buyers see on the Checkout page, the return pages, share cards and alerts.
#[utoipa::path(get, path = "/branding", tag = "branding",
    responses((status = 200, body = BrandingOut)))]
pub async fn get_branding(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<BrandingOut>, ApiError> {
    Ok(Json(current(&s, &caller).await?))
}

/// Changes the brand name and/or the accent colour; a field left out stays as it is, null
/// clears it. A bad value changes nothing (422 naming the field).
#[utoipa::path(patch, path = "/branding", tag = "branding", request_body = BrandingPatch,
    responses((status = 200, body = BrandingOut), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_branding(
    State(s): State<HttpState>,
    Extension(caller): Extension<Caller>,
    ApiJson(patch): ApiJson<BrandingPatch>,
) -> Result<Json<BrandingOut>, ApiError> {
    let bad = |field: &str, e: BadBranding| ApiError::invalid(field, e.to_string());
    let name = match patch.name {
        Some(Some(n)) => Some(Some(branding::parse_name(&n).map_err(|e| bad("name", e))?)),
        other => other,
    };
    let accent_color = match patch.accent_color {
        Some(Some(c)) => Some(Some(
            branding::parse_color(&c).map_err(|e| bad("accent_color", e))?,
        )),
        other => other,
    };
    if name.is_none() && accent_color.is_none() {
        return Err(ApiError::Invalid {
            field: None,
            message: "give name and/or accent_color".into(),
        });
    }
    branding::update(
        &s.ctx.db,
        s.ctx.now(),
        &caller.seller,
        caller.seller.user_id,
        Change {
            name,
            accent_color,
            logo: None,
        },
    )
    .await?;
    Ok(Json(current(&s, &caller).await?))
}
