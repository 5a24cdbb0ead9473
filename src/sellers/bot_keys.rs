//! `/apikey` in the seller's private chat: list, create (live or test, with an optional
//! expiry) and revoke the keys of the REST API. A new key's secret is shown once.
use chrono::Duration;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use super::{
    admission::{say, tr},
    api_keys::{self, ApiKey, Created, Mode},
    bot::Press,
    catalog::Seller,
    drafts::{self, Step},
};
use crate::{bot::BotError, context::AppCtx, i18n::Locale};

/// A key's line in the list.
fn line(locale: Locale, k: &ApiKey, now: chrono::DateTime<chrono::Utc>) -> String {
    let state = if k.revoked_at.is_some() {
        tr(locale, "sl-key-revoked", &[])
    } else if !api_keys::is_usable(k, now) {
        tr(locale, "sl-key-expired", &[])
    } else {
        tr(
            locale,
            "sl-key-expires",
            &[("until", super::admission::date(k.expires_at))],
        )
    };
    tr(
        locale,
        "sl-key-line",
        &[
            ("name", k.name.clone()),
            ("prefix", k.prefix.clone()),
            ("mode", k.mode.clone()),
            ("used", super::admission::date(k.last_used_at)),
            ("state", state),
        ],
    )
}

/// The seller's keys with buttons to make a new one or revoke one.
pub async fn list(ctx: &AppCtx, seller: &Seller, locale: Locale) -> Result<(), BotError> {
    let now = ctx.now();
    let keys = api_keys::list(&ctx.db, seller.id).await?;
    let shown: Vec<&ApiKey> = keys
        .iter()
        .filter(|k| {
            api_keys::is_usable(k, now)
                || k.revoked_at.is_some_and(|t| now - t < Duration::days(30))
        })
        .take(20)
        .collect();
    let mut text = tr(locale, "sl-keys-title", &[]);
    if shown.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr(locale, "sl-keys-none", &[]));
    }
    for k in &shown {
        text.push_str("\n\n");
        text.push_str(&line(locale, k, now));
    }
    text.push_str("\n\n");
    text.push_str(&tr(locale, "sl-keys-help", &[]));
    let mut rows = vec![vec![
        InlineKeyboardButton::callback(tr(locale, "sl-key-new-live", &[]), Press::KeyNew(1).data()),
        InlineKeyboardButton::callback(tr(locale, "sl-key-new-test", &[]), Press::KeyNew(0).data()),
    ]];
    for k in shown.iter().filter(|k| api_keys::is_usable(k, now)) {
        rows.push(vec![InlineKeyboardButton::callback(
            tr(locale, "sl-key-revoke", &[("name", k.name.clone())]),
            Press::KeyRevoke(k.id).data(),
        )]);
    }
    let markup = ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows));
    say(ctx, seller.user_id, text, Some(markup)).await?;
    Ok(())
}

/// `/apikey [live|test NAME [days] | revoke PREFIX]`.
pub async fn command(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    args: &str,
) -> Result<(), BotError> {
    let mut words = args.split_whitespace();
    match words.next() {
        None => list(ctx, seller, locale).await,
        Some(w) if Mode::parse(&w.to_ascii_lowercase()).is_some() => {
            let mode = Mode::parse(&w.to_ascii_lowercase()).expect("checked");
            let rest: Vec<&str> = words.collect();
            create_from(ctx, seller, locale, mode, &rest.join(" "))
                .await
                .map(|_| ())
        }
        Some(w) if w.eq_ignore_ascii_case("revoke") => {
            let Some(which) = words.next() else {
                return usage(ctx, seller, locale).await;
            };
            let keys = api_keys::list(&ctx.db, seller.id).await?;
            let now = ctx.now();
            let found = keys.iter().find(|k| {
                api_keys::is_usable(k, now)
                    && (k.id.to_string() == which
                        || k.prefix == which
                        || which.starts_with(&k.prefix))
            });
            match found {
                Some(k) => revoke(ctx, seller, locale, k.id).await.map(|_| ()),
                None => {
                    say(ctx, seller.user_id, tr(locale, "sl-key-unknown", &[]), None).await?;
                    Ok(())
                }
            }
        }
        Some(_) => usage(ctx, seller, locale).await,
    }
}

async fn usage(ctx: &AppCtx, seller: &Seller, locale: Locale) -> Result<(), BotError> {
    say(ctx, seller.user_id, tr(locale, "sl-keys-help", &[]), None).await?;
    Ok(())
}

/// "➕ Live key" / "➕ Test key": asks for the name.
pub async fn ask(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    live: bool,
) -> Result<(), BotError> {
    drafts::set(&ctx.db, ctx.now(), seller.user_id, &Step::ApiKey { live }).await?;
    ctx.drafting.insert(seller.user_id);
    say(
        ctx,
        seller.user_id,
        tr(locale, "sl-key-ask-name", &[]),
        None,
    )
    .await?;
    Ok(())
}

/// The answer to [`ask`]: `NAME [days]`. False when it does not read as one (asked again).
pub async fn answer(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    live: bool,
    text: &str,
) -> Result<bool, BotError> {
    let mode = if live { Mode::Live } else { Mode::Test };
    let done = create_from(ctx, seller, locale, mode, text).await?;
    Ok(done)
}

/// Makes a key from `NAME [days]`; tells the seller what came of it. False on bad input.
async fn create_from(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    mode: Mode,
    text: &str,
) -> Result<bool, BotError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (name_words, days) = match words.split_last() {
        Some((last, rest)) if !rest.is_empty() && last.chars().all(|c| c.is_ascii_digit()) => {
            match last.parse::<i64>() {
                Ok(d) if (1..=3650).contains(&d) => (rest.to_vec(), Some(d)),
                _ => {
                    say(
                        ctx,
                        seller.user_id,
                        tr(locale, "sl-key-bad-days", &[]),
                        None,
                    )
                    .await?;
                    return Ok(false);
                }
            }
        }
        _ => (words, None),
    };
    let name = match api_keys::parse_key_name(&name_words.join(" ")) {
        Ok(name) => name,
        Err(_) => {
            say(
                ctx,
                seller.user_id,
                tr(locale, "sl-bad-key-name", &[]),
                None,
            )
            .await?;
            return Ok(false);
        }
    };
    let now = ctx.now();
    let expires = days.map(|d| now + Duration::days(d));
    let created =
        api_keys::create(&ctx.db, now, seller, seller.user_id, &name, mode, expires).await?;
    drafts::clear(&ctx.db, seller.user_id).await?;
    ctx.drafting.remove(seller.user_id);
    match created {
        Created::TooMany => {
            let text = tr(
                locale,
                "sl-key-too-many",
                &[("max", api_keys::MAX_KEYS.to_string())],
            );
            say(ctx, seller.user_id, text, None).await?;
        }
        Created::Key(key, secret) => {
            super::audit::record(
                &ctx.db,
                now,
                seller.id,
                seller.user_id,
                "api_key_created",
                None,
                format!("{} ({}, {})", key.name, key.prefix, key.mode),
            )
            .await?;
            let text = tr(
                locale,
                "sl-key-created",
                &[
                    ("name", key.name.clone()),
                    ("mode", key.mode.clone()),
                    ("secret", secret),
                    ("until", super::admission::date(key.expires_at)),
                ],
            );
            say(ctx, seller.user_id, text, None).await?;
        }
    }
    Ok(true)
}

/// Revokes a key of the seller; false when it is none of theirs (or revoked already).
pub async fn revoke(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    id: i64,
) -> Result<bool, BotError> {
    let now = ctx.now();
    let key = api_keys::list(&ctx.db, seller.id)
        .await?
        .into_iter()
        .find(|k| k.id == id);
    let Some(key) = key else {
        return Ok(false);
    };
    if !api_keys::revoke(&ctx.db, now, seller.id, id).await? {
        return Ok(false);
    }
    super::audit::record(
        &ctx.db,
        now,
        seller.id,
        seller.user_id,
        "api_key_revoked",
        None,
        format!("{} ({})", key.name, key.prefix),
    )
    .await?;
    let text = tr(
        locale,
        "sl-key-revoked-now",
        &[("name", key.name.clone()), ("prefix", key.prefix.clone())],
    );
    say(ctx, seller.user_id, text, None).await?;
    Ok(true)
}
