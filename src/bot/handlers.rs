use teloxide::{prelude::*, types::User as TgUser};

use super::{AdminCommand, BotError, HandlerResult, Reply, UserCommand};
use crate::{
    context::AppCtx,
    domain::{StartPayload, TelegramProfile},
    i18n::Locale,
    jobs,
    services::users::{self, StartOutcome},
    telegram::TgError,
};

fn profile(user: &TgUser) -> TelegramProfile {
    TelegramProfile {
        id: user.id.0 as i64,
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        username: user.username.clone(),
        language_code: user.language_code.clone(),
    }
}

fn locale_of(ctx: &AppCtx, user: &TgUser, chosen: Option<&str>) -> Locale {
    Locale::resolve(
        chosen,
        user.language_code.as_deref(),
        ctx.config.default_locale,
    )
}

/// Sends a reply to a user's private chat. A user who blocked the bot is recorded as
/// unreachable (and the update counts as handled: there is nobody to tell).
async fn send_private(ctx: &AppCtx, user_id: i64, reply: &Reply, locale: Locale) -> HandlerResult {
    let text = reply.render(locale);
    match ctx
        .tg
        .call(ctx.tg.bot().send_message(ChatId(user_id), text))
        .await
    {
        Ok(_) => Ok(()),
        Err(TgError::Unreachable(why)) => {
            tracing::info!(user_id, reason = %why, "user unreachable");
            users::mark_unreachable(&ctx.db, ctx.now(), user_id).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn user_command(msg: Message, cmd: UserCommand, ctx: AppCtx) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    match cmd {
        UserCommand::Start(arg) => start(&ctx, from, arg.trim()).await,
        UserCommand::Help => {
            let user = users::find(&ctx.db, from.id.0 as i64).await?;
            let locale = locale_of(&ctx, from, user.as_ref().and_then(|u| u.locale.as_deref()));
            send_private(&ctx, from.id.0 as i64, &Reply::Help, locale).await
        }
    }
}

/// `/start [payload]`: creates the user once and welcomes them; a malformed deep-link
/// payload is dropped with a polite note, never stored.
async fn start(ctx: &AppCtx, from: &TgUser, raw_payload: &str) -> HandlerResult {
    let profile = profile(from);
    let (payload, link_invalid) = if raw_payload.is_empty() {
        (None, false)
    } else {
        match StartPayload::parse(raw_payload) {
            Ok(p) => (Some(p), false),
            Err(_) => (None, true),
        }
    };
    let outcome = users::register_start(&ctx.db, ctx.now(), &profile, payload.as_ref()).await?;
    let user = outcome.user();
    let locale = locale_of(ctx, from, user.locale.as_deref());
    if link_invalid {
        send_private(ctx, user.id, &Reply::StartLinkInvalid, locale).await?;
    }
    let name = user.first_name.clone();
    let reply = match outcome {
        StartOutcome::New(_) => Reply::WelcomeNew { name },
        StartOutcome::Returning(_) => Reply::WelcomeBack { name },
    };
    send_private(ctx, user.id, &reply, locale).await
}

pub(super) async fn unknown_command(msg: Message, ctx: AppCtx) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let command = msg
        .text()
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or("/")
        .chars()
        .take(64)
        .collect();
    let user = users::find(&ctx.db, from.id.0 as i64).await?;
    let locale = locale_of(&ctx, from, user.as_ref().and_then(|u| u.locale.as_deref()));
    send_private(
        &ctx,
        from.id.0 as i64,
        &Reply::UnknownCommand { command },
        locale,
    )
    .await
}

pub(super) async fn plain_message(msg: Message, ctx: AppCtx) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let user = users::find(&ctx.db, from.id.0 as i64).await?;
    let locale = locale_of(&ctx, from, user.as_ref().and_then(|u| u.locale.as_deref()));
    send_private(&ctx, from.id.0 as i64, &Reply::TextNotYet, locale).await
}

pub(super) async fn admin_command(msg: Message, cmd: AdminCommand, ctx: AppCtx) -> HandlerResult {
    match cmd {
        AdminCommand::Status => {
            let counts = users::counts(&ctx.db, ctx.now() - chrono::Duration::hours(24)).await?;
            let jobs = jobs::counts(&ctx.db)
                .await
                .map_err(|e| BotError::Service(e.into()))?;
            let reply = Reply::AdminStatus {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                users: counts.total,
                active: counts.active_since,
                jobs_queued: jobs.get("queued").copied().unwrap_or(0),
                jobs_dead: jobs.get("dead").copied().unwrap_or(0),
            };
            let mut req = ctx
                .tg
                .bot()
                .send_message(msg.chat.id, reply.render(ctx.config.default_locale));
            if let Some(thread) = msg.thread_id {
                req = req.message_thread_id(thread);
            }
            ctx.tg.call(req).await?;
            Ok(())
        }
    }
}
