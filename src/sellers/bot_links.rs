//! `/links` in the seller's private chat: the extra invite links of the seller's services with
//! how many people joined through each, a button to make one for a service (its name is asked
//! for, step by step) and one to revoke each working link. Every press is checked against the
//! presser: another seller's service or link finds nothing.
use teloxide::types::{InlineKeyboardButton, MessageId, ReplyMarkup};

use super::{
    admission::{self, say, tr},
    bot::{Press, button, done, keyboard, show, tell, wait},
    catalog::{self, Seller, Service},
    drafts::Step,
    links::{self, Link, NewLink},
};
use crate::{bot::BotError, context::AppCtx, i18n::Locale, telegram::TgError};

/// How many links the screen lists (the working ones first).
const SHOWN: u64 = 30;

/// A screen's text stays under Telegram's 4,096 characters.
const TEXT_MAX: usize = 3800;

fn line(locale: Locale, link: &Link) -> String {
    let state = if link.revoked_at.is_some() {
        tr(locale, "sl-links-revoked", &[])
    } else if link.creates_join_request {
        tr(locale, "sl-links-working-requests", &[])
    } else {
        tr(locale, "sl-links-working", &[])
    };
    tr(
        locale,
        "sl-links-line",
        &[
            ("name", link.name.clone()),
            ("joins", link.joins.to_string()),
            ("state", state),
            ("link", link.invite_link.clone()),
        ],
    )
}

/// The seller's links per service, with a "new link" button per service and a "revoke" button
/// per working link; sent, or edited into `edit`.
pub async fn screen(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    edit: Option<MessageId>,
) -> Result<(), BotError> {
    let services = catalog::services_of(&ctx.db, seller.id).await?;
    let shown = links::list(&ctx.db, seller.id, SHOWN).await?;
    let mut text = tr(locale, "sl-links-title", &[]);
    text.push('\n');
    text.push_str(&tr(locale, "sl-links-help", &[]));
    if services.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr(locale, "sl-no-services", &[]));
    } else if shown.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr(locale, "sl-links-none", &[]));
    }
    // Grouped by service, in the order of the services (archived ones last).
    let mut order: Vec<i64> = services.iter().map(|s| s.id).collect();
    for l in &shown {
        if !order.contains(&l.service_id) {
            order.push(l.service_id);
        }
    }
    let mut cut = false;
    for id in order {
        let of_service: Vec<&Link> = shown.iter().filter(|l| l.service_id == id).collect();
        if of_service.is_empty() {
            continue;
        }
        let title = match services.iter().find(|s| s.id == id) {
            Some(s) => s.title.clone(),
            None => catalog::own_service(&ctx.db, seller.id, id)
                .await?
                .map_or_else(|| format!("#{id}"), |s| s.title),
        };
        let mut block = format!("\n\n📢 {title}");
        for l in of_service {
            block.push('\n');
            block.push_str(&line(locale, l));
        }
        if text.chars().count() + block.chars().count() > TEXT_MAX {
            cut = true;
            break;
        }
        text.push_str(&block);
    }
    if cut {
        text.push_str("\n…");
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = services
        .iter()
        .take(20)
        .map(|s| {
            vec![button(
                tr(locale, "sl-links-new", &[("title", s.title.clone())]),
                Press::LinkNew(s.id),
            )]
        })
        .collect();
    for l in shown.iter().filter(|l| l.revoked_at.is_none()) {
        rows.push(vec![button(
            tr(locale, "sl-links-revoke", &[("name", l.name.clone())]),
            Press::LinkRevoke(l.id),
        )]);
    }
    rows.push(vec![button(
        tr(locale, "sl-links-refresh", &[]),
        Press::Links,
    )]);
    show(ctx, seller.user_id, text, keyboard(rows), edit).await
}

/// Whether the seller may make one more link; tells them when not.
async fn room_for_one(ctx: &AppCtx, seller: &Seller, locale: Locale) -> Result<bool, BotError> {
    if links::working(&ctx.db, seller.id).await? < links::MAX_LINKS {
        return Ok(true);
    }
    let text = tr(
        locale,
        "sl-links-too-many",
        &[("max", links::MAX_LINKS.to_string())],
    );
    say(ctx, seller.user_id, text, None).await?;
    Ok(false)
}

/// "➕ New link" for one of the seller's services: asks for the name. False when the service
/// is none of theirs.
pub async fn ask(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    service: i64,
) -> Result<bool, BotError> {
    let Some(service) = catalog::own_service(&ctx.db, seller.id, service)
        .await?
        .filter(|s| s.status != "archived")
    else {
        return Ok(false);
    };
    if !room_for_one(ctx, seller, locale).await? {
        return Ok(true);
    }
    wait(
        ctx,
        seller.user_id,
        &Step::LinkName {
            service: service.id,
        },
    )
    .await?;
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-cancel-button", &[]),
        Press::Cancel,
    )]]);
    say(
        ctx,
        seller.user_id,
        tr(
            locale,
            "sl-link-ask-name",
            &[
                ("title", service.title.clone()),
                ("max", links::NAME_MAX.to_string()),
            ],
        ),
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    Ok(true)
}

/// The answer to [`ask`]: the link's name. A bad one is refused and asked for again; a good
/// one ends the step and makes the link.
pub async fn answer(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    service: i64,
    text: &str,
) -> Result<(), BotError> {
    let name = match links::parse_name(text) {
        Ok(name) => name,
        Err(_) => {
            let text = tr(
                locale,
                "sl-bad-link-name",
                &[("max", links::NAME_MAX.to_string())],
            );
            say(ctx, seller.user_id, text, None).await?;
            return Ok(());
        }
    };
    done(ctx, seller.user_id).await?;
    let Some(service) = catalog::own_service(&ctx.db, seller.id, service)
        .await?
        .filter(|s| s.status != "archived")
    else {
        tell(ctx, seller.user_id, locale, "sl-not-yours").await?;
        return Ok(());
    };
    if !room_for_one(ctx, seller, locale).await? {
        return Ok(());
    }
    create(ctx, seller, locale, &service, &name).await
}

async fn create(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    service: &Service,
    name: &str,
) -> Result<(), BotError> {
    let (invite_link, requests) = match admission::create_extra_link(ctx, service, name).await {
        Ok(made) => made,
        Err(e) if e.is_transient() => return Err(e.into()),
        Err(e) => {
            let text = tr(
                locale,
                "sl-extra-link-failed",
                &[("title", service.title.clone()), ("error", e.to_string())],
            );
            say(ctx, seller.user_id, text, None).await?;
            return Ok(());
        }
    };
    let new = NewLink {
        name,
        invite_link: &invite_link,
        creates_join_request: requests,
    };
    let link = match links::create(&ctx.db, ctx.now(), service, seller.user_id, new).await {
        Ok(link) => link,
        Err(e) => {
            // Not recorded: the link must not work unseen.
            if let Err(e) = admission::revoke_link(ctx, service, &invite_link).await {
                tracing::warn!(error = %e, "could not revoke an extra link that was not stored");
            }
            return Err(e.into());
        }
    };
    let key = if link.creates_join_request {
        "sl-link-created-requests"
    } else {
        "sl-link-created"
    };
    let text = tr(
        locale,
        key,
        &[
            ("name", link.name.clone()),
            ("title", service.title.clone()),
            ("link", link.invite_link.clone()),
        ],
    );
    let mut rows = Vec::new();
    if let Ok(url) = url::Url::parse(&link.invite_link) {
        rows.push(vec![InlineKeyboardButton::url(
            format!("🔗 {}", link.name),
            url,
        )]);
    }
    rows.push(vec![button(tr(locale, "sl-links-open", &[]), Press::Links)]);
    say(
        ctx,
        seller.user_id,
        text,
        Some(ReplyMarkup::InlineKeyboard(keyboard(rows))),
    )
    .await?;
    Ok(())
}

/// "🗑 Revoke" on one of the seller's working links: revoked in Telegram, then marked. False
/// when it is none of theirs or revoked already.
pub async fn revoke(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    id: i64,
    edit: Option<MessageId>,
) -> Result<bool, BotError> {
    let Some(link) = links::own(&ctx.db, seller.id, id)
        .await?
        .filter(|l| l.revoked_at.is_none())
    else {
        return Ok(false);
    };
    let Some(service) = catalog::own_service(&ctx.db, seller.id, link.service_id).await? else {
        return Ok(false);
    };
    match admission::revoke_link(ctx, &service, &link.invite_link).await {
        Ok(()) => {}
        Err(e) if e.is_transient() => return Err(e.into()),
        Err(TgError::Rejected(e)) if e.to_string().contains("INVITE_HASH_EXPIRED") => {
            // Gone in Telegram already (revoked by hand, the chat deleted): it works no more.
        }
        Err(e) => {
            let text = tr(
                locale,
                "sl-link-revoke-failed",
                &[("name", link.name.clone()), ("error", e.to_string())],
            );
            say(ctx, seller.user_id, text, None).await?;
            return Ok(true);
        }
    }
    let Some(link) = links::revoke(&ctx.db, ctx.now(), seller.id, id, seller.user_id).await? else {
        return Ok(false);
    };
    let text = tr(
        locale,
        "sl-link-revoked",
        &[
            ("name", link.name.clone()),
            ("title", service.title.clone()),
            ("joins", link.joins.to_string()),
        ],
    );
    say(ctx, seller.user_id, text, None).await?;
    screen(ctx, seller, locale, edit).await?;
    Ok(true)
}
