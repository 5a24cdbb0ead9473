//! The sellers' side of Telegram that both the bot and the API use: checking a chat's rights,
//! issuing a membership's invite link and telling sellers and buyers about it, making and
//! revoking a seller's extra links.
use chrono::Duration;
use teloxide::{
    payloads::{
        CreateChatInviteLinkSetters, CreateChatSubscriptionInviteLinkSetters, SendMessageSetters,
    },
    prelude::*,
    types::{
        ChatInviteLink, ChatMemberKind, InlineKeyboardButton, InlineKeyboardMarkup, Me,
        ReplyMarkup, Seconds,
    },
};

use super::{
    access,
    catalog::{self, ChatKind, Service},
};
use crate::{
    accounts::users,
    context::AppCtx,
    delivery::locale_of_user,
    i18n::{self, Args, Locale},
    jobs::JobError,
    services::ServiceError,
    telegram::TgError,
};

/// What issuing a membership's invite link came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issued {
    /// No link is needed: the membership is not current, or its link is issued already.
    NotNeeded { link: Option<String> },
    /// The link was made and sent to the buyer.
    Sent { link: String },
    /// The link was made but the buyer cannot be reached (never started the bot, blocked it):
    /// the seller passes it on.
    Undeliverable { link: String },
}

pub fn tr(locale: Locale, key: &str, args: &[(&'static str, String)]) -> String {
    let args: Args = args
        .iter()
        .map(|(k, v)| ((*k).into(), v.clone().into()))
        .collect();
    i18n::text(locale, key, &args)
}

pub async fn locale_of(ctx: &AppCtx, user_id: i64) -> Result<Locale, ServiceError> {
    Ok(match users::find(&ctx.db, user_id).await? {
        Some(u) => locale_of_user(ctx, &u),
        None => ctx.config.default_locale,
    })
}

/// Sends `text` to a private chat, with an optional keyboard.
pub async fn say(
    ctx: &AppCtx,
    user: i64,
    text: String,
    markup: Option<ReplyMarkup>,
) -> Result<Message, TgError> {
    let chat = ChatId(user);
    let mut req = ctx.tg.bot().send_message(chat, text);
    if let Some(markup) = markup {
        req = req.reply_markup(markup);
    }
    ctx.tg.send(chat, req).await
}

pub fn date(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "-".into(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// What a look at a shared chat found.
pub enum ChatCheck {
    Ready {
        kind: ChatKind,
        title: String,
    },
    /// The bot is there as an administrator without these rights (message keys).
    Missing(Vec<&'static str>),
    /// The bot is not an administrator there (or cannot see the chat at all).
    BotNotAdmin,
    /// The person sharing it is not an administrator there.
    UserNotAdmin,
}

pub async fn check_chat(
    ctx: &AppCtx,
    me: &Me,
    user: i64,
    chat_id: i64,
) -> Result<ChatCheck, TgError> {
    let chat = ChatId(chat_id);
    let info = match ctx.tg.call(ctx.tg.bot().get_chat(chat)).await {
        Ok(info) => info,
        Err(TgError::Rejected(_)) | Err(TgError::Unreachable(_)) => {
            return Ok(ChatCheck::BotNotAdmin);
        }
        Err(e) => return Err(e),
    };
    let kind = if info.is_channel() {
        ChatKind::Channel
    } else if info.is_supergroup() {
        ChatKind::Supergroup
    } else {
        ChatKind::Group
    };
    let title = info.title().unwrap_or("").to_owned();
    let member = |id: u64| ctx.tg.call(ctx.tg.bot().get_chat_member(chat, UserId(id)));
    let seller = match member(user as u64).await {
        Ok(m) => m,
        Err(TgError::Rejected(_)) | Err(TgError::Unreachable(_)) => {
            return Ok(ChatCheck::BotNotAdmin);
        }
        Err(e) => return Err(e),
    };
    if !matches!(
        seller.kind,
        ChatMemberKind::Owner(_) | ChatMemberKind::Administrator(_)
    ) {
        return Ok(ChatCheck::UserNotAdmin);
    }
    let bot = match member(me.id.0).await {
        Ok(m) => m,
        Err(TgError::Rejected(_)) | Err(TgError::Unreachable(_)) => {
            return Ok(ChatCheck::BotNotAdmin);
        }
        Err(e) => return Err(e),
    };
    let ChatMemberKind::Administrator(a) = &bot.kind else {
        return Ok(ChatCheck::BotNotAdmin);
    };
    let mut missing = Vec::new();
    if !a.can_invite_users {
        missing.push("sl-right-invite");
    }
    if !a.can_restrict_members && kind != ChatKind::Channel {
        missing.push("sl-right-ban");
    }
    if kind == ChatKind::Channel {
        if !a.can_restrict_members {
            missing.push("sl-right-ban");
        }
        if !a.can_post_messages {
            missing.push("sl-right-post");
        }
    }
    Ok(if missing.is_empty() {
        ChatCheck::Ready { kind, title }
    } else {
        ChatCheck::Missing(missing)
    })
}

/// Tells the seller of `service` something went wrong, on a job's first attempt only.
pub async fn tell_seller_once(
    ctx: &AppCtx,
    service: &Service,
    attempts: i32,
    key: &str,
    args: &[(&'static str, String)],
) {
    if attempts > 1 {
        return;
    }
    let Ok(Some(seller)) = catalog::seller(&ctx.db, service.seller_id).await else {
        return;
    };
    let locale = locale_of(ctx, seller.user_id)
        .await
        .unwrap_or(ctx.config.default_locale);
    if let Err(e) = say(ctx, seller.user_id, tr(locale, key, args), None).await {
        tracing::warn!(error = %e, "could not tell a seller about a failure");
    }
}

pub fn tg_retry(e: TgError) -> JobError {
    JobError::Retry(e.to_string())
}

/// Makes `id`'s invite link (unless its current one is made already) and sends it to the
/// buyer. A job: a transient failure is retried.
pub async fn issue_link(ctx: &AppCtx, id: i64, attempts: i32) -> Result<Issued, JobError> {
    let db_retry = |e: ServiceError| JobError::Retry(e.to_string());
    let now = ctx.now();
    let Some(m) = access::membership_by_id(&ctx.db, id)
        .await
        .map_err(db_retry)?
    else {
        return Ok(Issued::NotNeeded { link: None });
    };
    if !access::is_current(&m, now) {
        return Ok(Issued::NotNeeded { link: None });
    }
    let Some(service) = catalog::service(&ctx.db, m.service_id)
        .await
        .map_err(db_retry)?
    else {
        return Ok(Issued::NotNeeded { link: None });
    };
    let link = ensure_link(ctx, &m, &service, attempts).await?;
    let locale = locale_of(ctx, m.user_id)
        .await
        .unwrap_or(ctx.config.default_locale);
    let key = if service.admission == "join_request" {
        "sl-your-request-link"
    } else {
        "sl-your-link"
    };
    let text = tr(locale, key, &[("title", service.title.clone())]);
    let url = url::Url::parse(&link).map_err(|e| JobError::Permanent(e.to_string()))?;
    let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
        tr(
            locale,
            "sl-join-button",
            &[("title", service.title.clone())],
        ),
        url,
    )]]);
    match say(ctx, m.user_id, text, Some(ReplyMarkup::InlineKeyboard(kb))).await {
        Ok(_) => Ok(Issued::Sent { link }),
        Err(e) if e.is_transient() => Err(tg_retry(e)),
        Err(e) => {
            // The buyer cannot be reached (never started the bot, blocked it): the seller
            // passes the link on.
            tell_seller_once(
                ctx,
                &service,
                1,
                "sl-link-undeliverable",
                &[
                    ("user", m.user_id.to_string()),
                    ("title", service.title.clone()),
                    ("link", link.clone()),
                    ("error", e.to_string()),
                ],
            )
            .await;
            Ok(Issued::Undeliverable { link })
        }
    }
}

/// The membership's current invite link: the one issued since its last change, else a new
/// one (single-use and for 24 hours, or asking to join, as the service admits).
pub async fn ensure_link(
    ctx: &AppCtx,
    m: &access::Membership,
    service: &Service,
    attempts: i32,
) -> Result<String, JobError> {
    if access::has_current_link(m)
        && let Some(link) = &m.invite_link
    {
        return Ok(link.clone());
    }
    let now = ctx.now();
    let name: String = format!("m{} · {}", m.id, date(m.ends_at))
        .chars()
        .take(32)
        .collect();
    let mut req = ctx
        .tg
        .bot()
        .create_chat_invite_link(ChatId(service.chat_id))
        .name(name);
    req = if service.admission == "join_request" {
        req.creates_join_request(true)
    } else {
        req.member_limit(1).expire_date(now + Duration::hours(24))
    };
    let link = match ctx.tg.call(req).await {
        Ok(link) => link.invite_link,
        Err(e) if e.is_transient() => return Err(tg_retry(e)),
        Err(e) => {
            tell_seller_once(
                ctx,
                service,
                attempts,
                "sl-link-failed",
                &[("title", service.title.clone()), ("error", e.to_string())],
            )
            .await;
            return Err(tg_retry(e));
        }
    };
    let db_retry = |e: ServiceError| JobError::Retry(e.to_string());
    if access::link_issued(&ctx.db, now, m.id, &link)
        .await
        .map_err(db_retry)?
    {
        return Ok(link);
    }
    // Another link was noted meanwhile: that one stands, this one goes.
    let revoke = ctx
        .tg
        .bot()
        .revoke_chat_invite_link(ChatId(service.chat_id), link);
    if let Err(e) = ctx.tg.call(revoke).await {
        tracing::warn!(error = %e, "could not revoke a link made twice");
    }
    access::membership_by_id(&ctx.db, m.id)
        .await
        .map_err(db_retry)?
        .and_then(|m| m.invite_link)
        .ok_or_else(|| JobError::Retry("the membership's link went away".into()))
}

/// Makes a named extra invite link to `service`'s chat: no member limit and no expiry; it asks
/// to join when the service admits by join requests, else it lets people in. The link and
/// whether it asks to join.
pub async fn create_extra_link(
    ctx: &AppCtx,
    service: &Service,
    name: &str,
) -> Result<(String, bool), TgError> {
    let requests = service.admission == "join_request";
    let mut req = ctx
        .tg
        .bot()
        .create_chat_invite_link(ChatId(service.chat_id))
        .name(name.to_owned());
    if requests {
        req = req.creates_join_request(true);
    }
    let link = ctx.tg.call(req).await?;
    Ok((link.invite_link, requests))
}

/// Makes a Telegram Star subscription link to `service`'s channel: whoever joins through it
/// pays `stars` to Telegram every 30 days (Telegram's only period) and is removed by Telegram
/// when they stop. The link as Telegram made it (with `subscription_period` and
/// `subscription_price`).
pub async fn create_subscription_link(
    ctx: &AppCtx,
    service: &Service,
    stars: i64,
) -> Result<ChatInviteLink, TgError> {
    let name = format!("⭐ {stars} / 30 days");
    let req = ctx
        .tg
        .bot()
        .create_chat_subscription_invite_link(
            ChatId(service.chat_id),
            Seconds::from_seconds(catalog::STAR_SUBSCRIPTION_PERIOD as u32),
            u32::try_from(stars).unwrap_or(u32::MAX),
        )
        .name(name);
    ctx.tg.call(req).await
}

/// Revokes an invite link of `service`'s chat.
pub async fn revoke_link(ctx: &AppCtx, service: &Service, link: &str) -> Result<(), TgError> {
    let req = ctx
        .tg
        .bot()
        .revoke_chat_invite_link(ChatId(service.chat_id), link.to_owned());
    ctx.tg.call(req).await?;
    Ok(())
}

/// A trading alert: `SYMBOL ACTION ENTRY TARGET STOP [note…]`, formatted for the chat.
pub fn format_alert(locale: Locale, line: &str) -> Option<String> {
    let mut w = line.split_whitespace();
    let (Some(symbol), Some(action), Some(entry), Some(target), Some(stop)) =
        (w.next(), w.next(), w.next(), w.next(), w.next())
    else {
        return None;
    };
    let number = |s: &str| s.parse::<f64>().ok().filter(|n| n.is_finite() && *n > 0.0);
    if number(entry).is_none() || number(target).is_none() || number(stop).is_none() {
        return None;
    }
    let action = action.to_ascii_uppercase();
    if !matches!(action.as_str(), "BUY" | "SELL" | "LONG" | "SHORT") {
        return None;
    }
    let note: Vec<&str> = w.collect();
    let mut text = tr(
        locale,
        "sl-alert-post",
        &[
            ("symbol", symbol.to_ascii_uppercase()),
            ("action", action),
            ("entry", entry.to_owned()),
            ("target", target.to_owned()),
            ("stop", stop.to_owned()),
        ],
    );
    if !note.is_empty() {
        text.push_str("\n📝 ");
        text.push_str(&note.join(" "));
    }
    Some(text)
}
