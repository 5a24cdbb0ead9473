//! Branding in Telegram: the seller's `/branding` screen with the brand name, the accent
//! colour (preset buttons, or any `#RRGGBB`), the logo (a photo sent to the bot) and a reset
//! to the defaults. A name, colour or logo that does not pass is named with the reason,
//! changes nothing, and the bot waits for another answer.
use teloxide::types::{InlineKeyboardButton, Message, MessageId, ReplyMarkup};

use super::{
    admission::{say, tr},
    bot::{Press, button, done, keyboard, show, tell, wait},
    branding::{self, BadBranding, Brand, Change, Upload},
    catalog::Seller,
    drafts::Step,
};
use crate::{bot::BotError, context::AppCtx, i18n::Locale};

/// The screen's text: what buyers see now.
fn describe(locale: Locale, brand: &Brand) -> String {
    let logo = if brand.logo.is_some() {
        tr(locale, "sl-brand-logo-set", &[])
    } else {
        tr(locale, "sl-brand-logo-none", &[])
    };
    tr(
        locale,
        "sl-brand-screen",
        &[
            ("name", brand.name.clone()),
            ("swatch", branding::swatch(&brand.accent).to_owned()),
            ("color", brand.accent.clone()),
            ("logo", logo),
        ],
    )
}

/// The seller's branding with buttons to change each part; sent, or edited into `edit`.
pub async fn screen(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    edit: Option<MessageId>,
) -> Result<(), BotError> {
    let brand = branding::brand(&ctx.db, seller).await?;
    let mut rows: Vec<Vec<InlineKeyboardButton>> = vec![vec![
        button(tr(locale, "sl-brand-name-button", &[]), Press::BrandName),
        button(tr(locale, "sl-brand-logo-button", &[]), Press::BrandLogo),
    ]];
    let presets: Vec<InlineKeyboardButton> = branding::PRESETS
        .iter()
        .enumerate()
        .map(|(i, (color, key))| {
            let label = format!("{} {}", branding::swatch(color), tr(locale, key, &[]));
            button(label, Press::BrandColor(i as i64))
        })
        .collect();
    for pair in presets.chunks(3) {
        rows.push(pair.to_vec());
    }
    rows.push(vec![button(
        tr(locale, "sl-brand-color-button", &[]),
        Press::BrandColorAsk,
    )]);
    if brand.custom {
        rows.push(vec![button(
            tr(locale, "sl-brand-reset-button", &[]),
            Press::BrandReset,
        )]);
    }
    show(
        ctx,
        seller.user_id,
        describe(locale, &brand),
        keyboard(rows),
        edit,
    )
    .await
}

/// A press asking for the name, the logo or a colour: waits for the answer.
pub async fn ask(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    step: Step,
) -> Result<(), BotError> {
    let key = match step {
        Step::BrandName => "sl-brand-ask-name",
        Step::BrandLogo => "sl-brand-ask-logo",
        _ => "sl-brand-ask-color",
    };
    wait(ctx, seller.user_id, &step).await?;
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-cancel-button", &[]),
        Press::Cancel,
    )]]);
    say(
        ctx,
        seller.user_id,
        tr(locale, key, &[]),
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    Ok(())
}

fn bad_key(e: BadBranding) -> &'static str {
    match e {
        BadBranding::Name => "sl-brand-bad-name",
        BadBranding::Color => "sl-brand-bad-color",
        BadBranding::NotImage => "sl-brand-not-image",
        BadBranding::TooLarge => "sl-brand-too-large",
    }
}

/// Applies a checked change, tells the seller and shows the screen again.
async fn apply(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    change: Change,
    edit: Option<MessageId>,
) -> Result<(), BotError> {
    branding::update(&ctx.db, ctx.now(), seller, seller.user_id, change).await?;
    tell(ctx, seller.user_id, locale, "sl-brand-saved").await?;
    screen(ctx, seller, locale, edit).await
}

/// One of the preset colour buttons; false for an index that is none of them.
pub async fn preset(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    index: i64,
    edit: Option<MessageId>,
) -> Result<bool, BotError> {
    let Some((color, _)) = usize::try_from(index)
        .ok()
        .and_then(|i| branding::PRESETS.get(i))
    else {
        return Ok(false);
    };
    let change = Change {
        accent_color: Some(Some((*color).to_owned())),
        ..Change::default()
    };
    apply(ctx, seller, locale, change, edit).await?;
    Ok(true)
}

/// "Reset": back to the display name, the default colour and no logo; the screen as it is
/// now comes under the confirmation.
pub async fn reset(ctx: &AppCtx, seller: &Seller, locale: Locale) -> Result<(), BotError> {
    branding::reset(&ctx.db, ctx.now(), seller, seller.user_id).await?;
    tell(ctx, seller.user_id, locale, "sl-brand-reset-done").await?;
    screen(ctx, seller, locale, None).await
}

/// A text answer to the name or colour step.
pub async fn answer(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    step: &Step,
    text: &str,
) -> Result<(), BotError> {
    let change = match step {
        Step::BrandName => branding::parse_name(text).map(|n| Change {
            name: Some(Some(n)),
            ..Change::default()
        }),
        _ => branding::parse_color(text).map(|c| Change {
            accent_color: Some(Some(c)),
            ..Change::default()
        }),
    };
    match change {
        Ok(change) => {
            done(ctx, seller.user_id).await?;
            apply(ctx, seller, locale, change, None).await
        }
        Err(e) => tell(ctx, seller.user_id, locale, bad_key(e)).await,
    }
}

/// What a message holds, as the logo step sees it.
fn upload_of(msg: &Message) -> Upload {
    if let Some(largest) = msg.photo().and_then(|sizes| sizes.last()) {
        return Upload::Photo {
            file_id: largest.file.id.to_string(),
            file_unique_id: largest.file.unique_id.to_string(),
            size: Some(u64::from(largest.file.size)),
        };
    }
    if let Some(doc) = msg.document() {
        return Upload::Document {
            file_id: doc.file.id.to_string(),
            file_unique_id: doc.file.unique_id.to_string(),
            mime: doc.mime_type.as_ref().map(|m| m.essence_str().to_owned()),
            size: Some(u64::from(doc.file.size)),
        };
    }
    Upload::Other
}

/// Whatever the seller sent at the logo step: a photo or an image file becomes the logo;
/// anything else is refused, changes nothing, and the bot keeps waiting.
pub async fn logo_sent(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    msg: &Message,
) -> Result<(), BotError> {
    match branding::check_logo(upload_of(msg)) {
        Ok(logo) => {
            done(ctx, seller.user_id).await?;
            let change = Change {
                logo: Some(Some(logo)),
                ..Change::default()
            };
            apply(ctx, seller, locale, change, None).await
        }
        // Named after what came: a file, a sticker, anything else.
        Err(BadBranding::NotImage) if msg.document().is_some() => {
            tell(ctx, seller.user_id, locale, "sl-brand-file-not-image").await
        }
        Err(BadBranding::NotImage) if msg.sticker().is_some() => {
            tell(ctx, seller.user_id, locale, "sl-brand-sticker").await
        }
        Err(e) => tell(ctx, seller.user_id, locale, bad_key(e)).await,
    }
}
