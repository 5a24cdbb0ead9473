//! A seller's branding: the name, logo and accent colour their buyers see on the Stripe
//! Checkout page, our return pages after it, the share card of a plan and the alerts posted
//! into their chats. Everything is optional: without a row the seller's display name and the
//! default colour are used, and no logo is shown.
//!
//! The logo is a photo the seller sent the bot, kept as Telegram's file id (the bytes stay at
//! Telegram; the HTTP layer fetches them when a page shows the logo). What the seller sent is
//! described to this module as an [`Upload`], so it never sees a Telegram type: anything but a
//! photo or an image document of at most [`MAX_LOGO_BYTES`] is refused and changes nothing.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, EntityTrait, IntoActiveModel, TransactionTrait, sea_query::OnConflict,
};

use super::{audit, catalog::Seller};
use crate::{
    services::ServiceResult,
    storage::{Db, entities::seller_branding},
};

pub type Branding = seller_branding::Model;

/// The colour used until the seller picks one (Telegram's blue).
pub const DEFAULT_ACCENT: &str = "#2481cc";

/// The largest logo taken, in bytes.
pub const MAX_LOGO_BYTES: u64 = 5 * 1024 * 1024;

/// The colours offered as buttons, with their locale keys.
pub const PRESETS: [(&str, &str); 6] = [
    ("#2481cc", "sl-brand-color-blue"),
    ("#2e7d32", "sl-brand-color-green"),
    ("#c62828", "sl-brand-color-red"),
    ("#ef6c00", "sl-brand-color-orange"),
    ("#6a1b9a", "sl-brand-color-purple"),
    ("#212121", "sl-brand-color-black"),
];

/// Why a branding value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadBranding {
    #[error("a brand name is 2 to 64 characters, without control characters")]
    Name,
    #[error("a colour is written #RRGGBB, e.g. #2481cc")]
    Color,
    #[error("a logo is a photo, or an image file (PNG, JPEG or WebP)")]
    NotImage,
    #[error("a logo is at most 5 MB")]
    TooLarge,
}

/// What a seller sent when asked for a logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    /// A photo (the largest size Telegram made of it).
    Photo {
        file_id: String,
        file_unique_id: String,
        size: Option<u64>,
    },
    /// A file, with the MIME type Telegram reported.
    Document {
        file_id: String,
        file_unique_id: String,
        mime: Option<String>,
        size: Option<u64>,
    },
    /// A sticker, a text, a voice note, …: never a logo.
    Other,
}

/// A logo that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub file_id: String,
    pub file_unique_id: String,
    pub size: Option<u64>,
}

/// The image types a logo document may have.
const IMAGE_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// Checks what was sent for a logo.
pub fn check_logo(upload: Upload) -> Result<Logo, BadBranding> {
    let (file_id, file_unique_id, size) = match upload {
        Upload::Photo {
            file_id,
            file_unique_id,
            size,
        } => (file_id, file_unique_id, size),
        Upload::Document {
            file_id,
            file_unique_id,
            mime,
            size,
        } => {
            let mime = mime.unwrap_or_default().to_ascii_lowercase();
            if !IMAGE_TYPES.contains(&mime.as_str()) {
                return Err(BadBranding::NotImage);
            }
            (file_id, file_unique_id, size)
        }
        Upload::Other => return Err(BadBranding::NotImage),
    };
    if file_id.is_empty() {
        return Err(BadBranding::NotImage);
    }
    if size.is_some_and(|s| s > MAX_LOGO_BYTES) {
        return Err(BadBranding::TooLarge);
    }
    Ok(Logo {
        file_id,
        file_unique_id,
        size,
    })
}

/// A brand name: 2 to 64 characters once trimmed, no control characters.
pub fn parse_name(s: &str) -> Result<String, BadBranding> {
    let t = s.trim();
    let n = t.chars().count();
    if !(2..=64).contains(&n) || t.chars().any(char::is_control) {
        return Err(BadBranding::Name);
    }
    Ok(t.to_owned())
}

/// A colour written `#RRGGBB` (the `#` may be left out), kept lowercase.
pub fn parse_color(s: &str) -> Result<String, BadBranding> {
    let t = s.trim();
    let hex = t.strip_prefix('#').unwrap_or(t);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BadBranding::Color);
    }
    Ok(format!("#{}", hex.to_ascii_lowercase()))
}

fn rgb(color: &str) -> (i32, i32, i32) {
    let hex = color.trim_start_matches('#');
    let part = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|p| i32::from_str_radix(p, 16).ok())
            .unwrap_or(0)
    };
    (part(0), part(2), part(4))
}

/// The coloured square emoji that names `color` best (by its hue, or black and white for a
/// greyish colour): how a text message in Telegram carries the accent colour.
pub fn swatch(color: &str) -> &'static str {
    let (r, g, b) = rgb(color);
    let (r, g, b) = (
        f64::from(r) / 255.0,
        f64::from(g) / 255.0,
        f64::from(b) / 255.0,
    );
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let value = max;
    let saturation = if max > 0.0 { (max - min) / max } else { 0.0 };
    if value < 0.2 || saturation < 0.2 {
        return if value < 0.5 { "⬛" } else { "⬜" };
    }
    let delta = max - min;
    let hue = if max == r {
        60.0 * ((g - b) / delta).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / delta + 2.0)
    } else {
        60.0 * ((r - g) / delta + 4.0)
    };
    match hue {
        h if !(15.0..345.0).contains(&h) => "🟥",
        h if h < 45.0 && value < 0.6 => "🟫",
        h if h < 45.0 => "🟧",
        h if h < 70.0 => "🟨",
        h if h < 170.0 => "🟩",
        h if h < 260.0 => "🟦",
        _ => "🟪",
    }
}

/// The branding as buyers see it: the seller's choices, or the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    pub seller_id: i64,
    /// The brand name, or the seller's display name.
    pub name: String,
    /// `#rrggbb`: the seller's colour, or [`DEFAULT_ACCENT`].
    pub accent: String,
    /// The logo's Telegram file id.
    pub logo: Option<String>,
    /// Whether the seller set anything (the defaults otherwise).
    pub custom: bool,
}

impl Brand {
    pub fn of(seller: &Seller, row: Option<&Branding>) -> Self {
        Self {
            seller_id: seller.id,
            name: row
                .and_then(|r| r.name.clone())
                .unwrap_or_else(|| seller.display_name.clone()),
            accent: row
                .and_then(|r| r.accent_color.clone())
                .unwrap_or_else(|| DEFAULT_ACCENT.to_owned()),
            logo: row.and_then(|r| r.logo_file_id.clone()),
            custom: row.is_some_and(|r| {
                r.name.is_some() || r.accent_color.is_some() || r.logo_file_id.is_some()
            }),
        }
    }

    /// The header line of a text post: the colour's square and the name.
    pub fn header(&self) -> String {
        format!("{} {}", swatch(&self.accent), self.name)
    }

    /// A post in the seller's name: under the brand's header line once the seller set their
    /// branding, as it is otherwise.
    pub fn post(&self, text: &str) -> String {
        if self.custom {
            format!("{}\n\n{text}", self.header())
        } else {
            text.to_owned()
        }
    }
}

/// The seller's row, if they set anything.
pub async fn get(db: &Db, seller_id: i64) -> ServiceResult<Option<Branding>> {
    Ok(seller_branding::Entity::find_by_id(seller_id)
        .one(db)
        .await?)
}

/// The seller's branding with the defaults filled in.
pub async fn brand(db: &Db, seller: &Seller) -> ServiceResult<Brand> {
    Ok(Brand::of(seller, get(db, seller.id).await?.as_ref()))
}

/// A change to the branding; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub name: Option<Option<String>>,
    pub accent_color: Option<Option<String>>,
    pub logo: Option<Option<Logo>>,
}

impl Change {
    /// What the audit trail says about it.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        match &self.name {
            Some(Some(n)) => parts.push(format!("name \"{n}\"")),
            Some(None) => parts.push("name cleared".to_owned()),
            None => {}
        }
        match &self.accent_color {
            Some(Some(c)) => parts.push(format!("colour {c}")),
            Some(None) => parts.push("colour cleared".to_owned()),
            None => {}
        }
        match &self.logo {
            Some(Some(l)) => parts.push(format!("logo {}", l.file_unique_id)),
            Some(None) => parts.push("logo cleared".to_owned()),
            None => {}
        }
        parts.join(", ")
    }
}

/// Applies `change` to the seller's branding (the values already checked) and records it in
/// the seller's audit trail, in one transaction; the branding as it is afterwards.
pub async fn update(
    db: &Db,
    now: DateTime<Utc>,
    seller: &Seller,
    actor: i64,
    change: Change,
) -> ServiceResult<Brand> {
    let txn = db.begin().await?;
    let current = seller_branding::Entity::find_by_id(seller.id)
        .one(&txn)
        .await?;
    let mut row = current.unwrap_or(Branding {
        seller_id: seller.id,
        name: None,
        accent_color: None,
        logo_file_id: None,
        logo_file_unique_id: None,
        logo_size: None,
        updated_by: actor,
        updated_at: now,
    });
    if let Some(name) = &change.name {
        row.name = name.clone();
    }
    if let Some(color) = &change.accent_color {
        row.accent_color = color.clone();
    }
    if let Some(logo) = &change.logo {
        row.logo_file_id = logo.as_ref().map(|l| l.file_id.clone());
        row.logo_file_unique_id = logo.as_ref().map(|l| l.file_unique_id.clone());
        row.logo_size = logo
            .as_ref()
            .and_then(|l| l.size)
            .map(|s| i64::try_from(s).unwrap_or(i64::MAX));
    }
    row.updated_by = actor;
    row.updated_at = now;
    let mut active = row.clone().into_active_model();
    active.seller_id = Set(seller.id);
    seller_branding::Entity::insert(active)
        .on_conflict(
            OnConflict::column(seller_branding::Column::SellerId)
                .update_columns([
                    seller_branding::Column::Name,
                    seller_branding::Column::AccentColor,
                    seller_branding::Column::LogoFileId,
                    seller_branding::Column::LogoFileUniqueId,
                    seller_branding::Column::LogoSize,
                    seller_branding::Column::UpdatedBy,
                    seller_branding::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        seller.id,
        actor,
        "branding",
        None,
        change.describe(),
    )
    .await?;
    txn.commit().await?;
    Ok(Brand::of(seller, Some(&row)))
}

/// Back to the defaults: no name, colour or logo of the seller's own.
pub async fn reset(
    db: &Db,
    now: DateTime<Utc>,
    seller: &Seller,
    actor: i64,
) -> ServiceResult<Brand> {
    update(
        db,
        now,
        seller,
        actor,
        Change {
            name: Some(None),
            accent_color: Some(None),
            logo: Some(None),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(mime: Option<&str>, size: Option<u64>) -> Upload {
        Upload::Document {
            file_id: "BQAC".into(),
            file_unique_id: "u1".into(),
            mime: mime.map(str::to_owned),
            size,
        }
    }

    #[test]
    fn only_photos_and_image_files_are_logos() {
        let photo = Upload::Photo {
            file_id: "AgAC".into(),
            file_unique_id: "p1".into(),
            size: Some(56_000),
        };
        assert_eq!(check_logo(photo).unwrap().file_id, "AgAC");
        assert!(check_logo(doc(Some("image/png"), Some(2048))).is_ok());
        assert!(check_logo(doc(Some("IMAGE/JPEG"), None)).is_ok());
        assert_eq!(
            check_logo(doc(Some("application/pdf"), Some(2048))),
            Err(BadBranding::NotImage)
        );
        assert_eq!(check_logo(doc(None, Some(10))), Err(BadBranding::NotImage));
        assert_eq!(check_logo(Upload::Other), Err(BadBranding::NotImage));
        assert_eq!(
            check_logo(doc(Some("image/png"), Some(MAX_LOGO_BYTES + 1))),
            Err(BadBranding::TooLarge)
        );
    }

    #[test]
    fn names_and_colours_are_checked() {
        assert_eq!(parse_name("  Acme Signals "), Ok("Acme Signals".into()));
        assert_eq!(parse_name("A"), Err(BadBranding::Name));
        assert_eq!(parse_name(&"x".repeat(65)), Err(BadBranding::Name));
        assert_eq!(parse_name("bad\nname"), Err(BadBranding::Name));
        assert_eq!(parse_color("#FF8800"), Ok("#ff8800".into()));
        assert_eq!(parse_color("ff8800"), Ok("#ff8800".into()));
        for bad in ["#ff880", "#ff88001", "#gg8800", "red", "", "#"] {
            assert_eq!(parse_color(bad), Err(BadBranding::Color), "{bad}");
        }
    }

    #[test]
    fn the_swatch_follows_the_hue() {
        assert_eq!(swatch("#ff0000"), "🟥");
        assert_eq!(swatch("#2481cc"), "🟦");
        assert_eq!(swatch("#2e7d32"), "🟩");
        assert_eq!(swatch("#000000"), "⬛");
        assert_eq!(swatch("#ffffff"), "⬜");
        assert_eq!(swatch("#ff8800"), "🟧");
        assert_eq!(swatch("#8b4513"), "🟫");
        assert_eq!(swatch("#ffd700"), "🟨");
        for (color, _) in PRESETS {
            let expected = match color {
                "#2481cc" => "🟦",
                "#2e7d32" => "🟩",
                "#c62828" => "🟥",
                "#ef6c00" => "🟧",
                "#6a1b9a" => "🟪",
                _ => "⬛",
            };
            assert_eq!(swatch(color), expected, "{color}");
        }
    }
}
