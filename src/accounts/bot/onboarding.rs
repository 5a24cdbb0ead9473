//! `/start`, the welcome gift and the three-step tour (its bonus is granted once).
use teloxide::{prelude::*, types::User as TgUser};

use crate::{
    bot::handlers::edit_private, bot::handlers::locale_for, bot::handlers::profile,
    bot::handlers::send_private,
};
use crate::{
    bot::{BotDialogue, HandlerResult, Reply, State},
    context::AppCtx,
    domain::StartPayload,
    {
        accounts::credits::{self, Granted, Movement, Reason},
        accounts::users::{self, StartOutcome, User},
        services::settings,
    },
};

/// Creates the user (once) with the welcome gift, in one transaction. Also used when someone
/// writes without ever having pressed Start. The gift is keyed per user, so a retry never pays
/// twice; a returning user is offered it again, which only pays someone who was created
/// without it (before the two were one transaction, a crash between them could do that).
pub(crate) async fn register(
    ctx: &AppCtx,
    from: &TgUser,
    payload: Option<&StartPayload>,
) -> Result<(StartOutcome, i64), crate::bot::BotError> {
    let user_id = from.id.0 as i64;
    let gift = settings::get(&ctx.db, &settings::WELCOME_CREDITS).await?;
    let welcome = Movement::new(user_id, gift, Reason::Welcome).key(format!("welcome:{user_id}"));
    let outcome =
        users::register_start(&ctx.db, ctx.now(), &profile(from), payload, Some(&welcome)).await?;
    let balance = match &outcome {
        StartOutcome::New(user) => user.credits,
        StartOutcome::Returning(_) => match credits::grant(&ctx.db, ctx.now(), &welcome).await? {
            Granted::Applied { balance } => balance,
            Granted::Duplicate => credits::balance(&ctx.db, user_id).await?,
        },
    };
    Ok((outcome, balance))
}

pub(crate) async fn start(
    ctx: &AppCtx,
    from: &TgUser,
    raw_payload: &str,
    dialogue: &BotDialogue,
    state: &State,
) -> HandlerResult {
    let (payload, link_invalid) = match raw_payload {
        "" => (None, false),
        raw => match StartPayload::parse(raw) {
            Ok(p) => (Some(p), false),
            Err(_) => (None, true),
        },
    };
    let (outcome, balance) = register(ctx, from, payload.as_ref()).await?;
    let user = outcome.user();
    // A new user (whatever link brought them): the operator's first-contact drips.
    let new = matches!(outcome, StartOutcome::New(_));
    crate::messaging::operator_drips::on_start(&ctx.db, ctx.now(), user.id, new).await?;
    let locale = locale_for(ctx, from, Some(user));
    if link_invalid {
        send_private(ctx, user.id, &Reply::StartLinkInvalid, locale).await?;
    }
    // A seller's team invite: joining the team instead of the welcome.
    if let Some(token) = payload
        .as_ref()
        .and_then(|p| p.as_str().strip_prefix(crate::sellers::team::INVITE_PREFIX))
    {
        if *state != State::Idle {
            dialogue
                .update(State::Idle)
                .await
                .map_err(|e| crate::bot::BotError::Dialogue(e.to_string()))?;
        }
        return crate::sellers::bot_team::opened(ctx, user.id, locale, token).await;
    }
    // The link an OTP send gave back: the seller may send this user codes now.
    if let Some(rest) = payload
        .as_ref()
        .and_then(|p| p.as_str().strip_prefix(crate::messaging::bot::LINK_PREFIX))
    {
        if *state != State::Idle {
            dialogue
                .update(State::Idle)
                .await
                .map_err(|e| crate::bot::BotError::Dialogue(e.to_string()))?;
        }
        return crate::messaging::bot::link_opened(ctx, user.id, locale, rest).await;
    }
    // A seller's service link: its plans instead of the welcome.
    if let Some(code) = payload.as_ref().and_then(|p| p.as_str().strip_prefix("s_")) {
        if *state != State::Idle {
            dialogue
                .update(State::Idle)
                .await
                .map_err(|e| crate::bot::BotError::Dialogue(e.to_string()))?;
        }
        return crate::sellers::bot::deep_link_opened(ctx, user.id, code).await;
    }
    let name = user.first_name.clone();
    let reply = match outcome {
        StartOutcome::New(_) => welcome(ctx, name, balance, locale).await?,
        StartOutcome::Returning(_) => Reply::WelcomeBack { name, balance },
    };
    // /start ends whatever was under way (a tour, a reset question); idle needs no write.
    if *state != State::Idle {
        dialogue
            .update(State::Idle)
            .await
            .map_err(|e| crate::bot::BotError::Dialogue(e.to_string()))?;
    }
    send_private(ctx, user.id, &reply, locale).await?;
    Ok(())
}

/// The welcome of a new user: the operator's text for their language if there is one, with
/// the tour when it is switched on.
pub(crate) async fn welcome(
    ctx: &AppCtx,
    name: String,
    credits: i64,
    locale: crate::i18n::Locale,
) -> Result<Reply, crate::bot::BotError> {
    let tour = settings::get(&ctx.db, &settings::TUTORIAL).await?;
    let custom = settings::get(&ctx.db, settings::welcome_text(locale)).await?;
    Ok(if !custom.is_empty() {
        Reply::WelcomeCustom {
            text: custom
                .replace("{name}", &name)
                .replace("{credits}", &credits.to_string()),
            tour,
        }
    } else if tour {
        Reply::WelcomeNew { name, credits }
    } else {
        Reply::WelcomeNoTour { name, credits }
    })
}

/// A tour button was pressed on message `message` (already validated against the state).
pub(crate) async fn tour(
    ctx: &AppCtx,
    user: &User,
    locale: crate::i18n::Locale,
    message: teloxide::types::MessageId,
    next: Option<u8>,
    dialogue: &BotDialogue,
) -> HandlerResult {
    let chat = ChatId(user.id);
    let set = |state: State| async move {
        dialogue
            .update(state)
            .await
            .map_err(|e| crate::bot::BotError::Dialogue(e.to_string()))
    };
    match next {
        Some(step) if step <= 3 => {
            set(State::Tour { step }).await?;
            edit_private(ctx, chat, message, &Reply::TourStep { step }, locale).await
        }
        Some(_) => {
            set(State::Idle).await?;
            let bonus = settings::get(&ctx.db, &settings::TUTORIAL_BONUS).await?;
            let movement = Movement::new(user.id, bonus, Reason::TutorialBonus)
                .key(format!("tour_bonus:{}", user.id));
            let reply = match credits::grant(&ctx.db, ctx.now(), &movement).await? {
                Granted::Applied { balance } => Reply::TourDone { bonus, balance },
                Granted::Duplicate => Reply::TourDoneAgain {
                    balance: credits::balance(&ctx.db, user.id).await?,
                },
            };
            edit_private(ctx, chat, message, &reply, locale).await
        }
        None => {
            set(State::Idle).await?;
            edit_private(ctx, chat, message, &Reply::TourSkipped, locale).await
        }
    }
}
