//! The messaging edge that talks to Telegram: the code's message with its two buttons, the
//! abuse report a "this wasn't me" press sends to the seller and the operator, and the "stop
//! messages from this seller" button every seller message carries ([`stop_button`]).
//!
//! Buttons carry `ms:<verb>:<id>`; nothing in them is trusted: a press is checked against
//! the presser again (a code's report only by its recipient).
use teloxide::{
    payloads::SendMessageSetters,
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup},
};

use super::otp::{Code, OtpCode, Purpose};
use crate::{
    accounts::users,
    context::AppCtx,
    delivery::locale_of_user,
    i18n::{self, Args, Locale},
    services::ServiceError,
    storage::entities::sellers,
    telegram::TgError,
};

const PREFIX: &str = "ms:";

/// What a messaging button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// Stop a seller's messages.
    Stop(i64),
    /// Hear from a stopped seller again.
    Resume(i64),
    /// "This wasn't me" on a code's message.
    NotMe(i64),
}

impl Press {
    pub fn data(self) -> String {
        let (verb, id) = match self {
            Press::Stop(s) => ("stop", s),
            Press::Resume(s) => ("resume", s),
            Press::NotMe(o) => ("notme", o),
        };
        format!("{PREFIX}{verb}:{id}")
    }

    pub fn parse(data: &str) -> Option<Press> {
        let (verb, id) = data.strip_prefix(PREFIX)?.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        // Sellers and codes count from 1; stop and resume also name the operator (0).
        let seller = id > 0 || id == super::drips::OPERATOR.seller_id;
        Some(match verb {
            "stop" if seller => Press::Stop(id),
            "resume" if seller => Press::Resume(id),
            "notme" if id > 0 => Press::NotMe(id),
            _ => return None,
        })
    }
}

pub fn is_messaging_data(data: &str) -> bool {
    data.starts_with(PREFIX)
}

pub fn tr(locale: Locale, key: &str, args: &[(&'static str, String)]) -> String {
    let args: Args = args
        .iter()
        .map(|(k, v)| ((*k).into(), v.clone().into()))
        .collect();
    i18n::text(locale, key, &args)
}

/// What the bot calls itself (its name on Telegram): the sender's name on the operator's drip
/// messages and their stop button. Asked of Telegram once, then kept; empty while Telegram
/// cannot be reached.
pub async fn operator_name(ctx: &AppCtx) -> String {
    if let Some(me) = ctx.me.get() {
        return me.user.first_name.clone();
    }
    match ctx.tg.call(ctx.tg.bot().get_me()).await {
        Ok(me) => {
            let name = me.user.first_name.clone();
            let _ = ctx.me.set(me);
            name
        }
        Err(e) => {
            tracing::warn!(error = %e, "getMe failed; the operator's name is not known yet");
            String::new()
        }
    }
}

/// The "🔕 Stop messages from <seller>" button, for any message a seller sends a user; for
/// the operator's own series, "🔕 Stop this series from <bot>" (the chat itself goes on).
pub fn stop_button(locale: Locale, seller_id: i64, seller_name: &str) -> InlineKeyboardButton {
    let key = if seller_id == super::drips::OPERATOR.seller_id {
        "msg-stop-series-button"
    } else {
        "msg-stop-button"
    };
    InlineKeyboardButton::callback(
        tr(locale, key, &[("seller", seller_name.to_owned())]),
        Press::Stop(seller_id).data(),
    )
}

/// The button that takes a stop back: "🔔 Resume messages from <seller>", or the operator's
/// series.
pub fn resume_button(locale: Locale, seller_id: i64, seller_name: &str) -> InlineKeyboardButton {
    let key = if seller_id == super::drips::OPERATOR.seller_id {
        "msg-resume-series-button"
    } else {
        "msg-resume-button"
    };
    InlineKeyboardButton::callback(
        tr(locale, key, &[("seller", seller_name.to_owned())]),
        Press::Resume(seller_id).data(),
    )
}

fn purpose_text(locale: Locale, purpose: Option<Purpose>) -> String {
    let key = match purpose {
        Some(Purpose::Login) => "msg-purpose-login",
        Some(Purpose::Signup) => "msg-purpose-signup",
        _ => "msg-purpose-verification",
    };
    tr(locale, key, &[])
}

/// Why a code's message did not go out.
#[derive(Debug, thiserror::Error)]
pub enum NotSent {
    /// The user blocked the bot, or deleted their account.
    #[error("the user cannot be reached")]
    Unreachable,
    #[error(transparent)]
    Telegram(TgError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Sends `code` to the code's user, naming the seller, with "this wasn't me" and the stop
/// button. The id of the message.
pub async fn send_code(
    ctx: &AppCtx,
    seller: &sellers::Model,
    otp: &OtpCode,
    code: &Code,
) -> Result<i32, NotSent> {
    let locale = match users::find(&ctx.db, otp.user_id).await? {
        Some(u) => locale_of_user(ctx, &u),
        None => ctx.config.default_locale,
    };
    let text = tr(
        locale,
        "msg-otp-code",
        &[
            ("seller", seller.display_name.clone()),
            (
                "purpose",
                purpose_text(locale, Purpose::parse(&otp.purpose)),
            ),
            ("code", code.reveal().to_owned()),
            ("minutes", super::otp::CODE_TTL.num_minutes().to_string()),
        ],
    );
    let keyboard = InlineKeyboardMarkup::new([
        vec![InlineKeyboardButton::callback(
            tr(locale, "msg-not-me-button", &[]),
            Press::NotMe(otp.id).data(),
        )],
        vec![stop_button(locale, seller.id, &seller.display_name)],
    ]);
    let chat = ChatId(otp.user_id);
    let req = ctx.tg.bot().send_message(chat, text).reply_markup(keyboard);
    match ctx.tg.send(chat, req).await {
        Ok(m) => Ok(m.id.0),
        Err(TgError::Unreachable(_)) => {
            users::mark_unreachable(&ctx.db, ctx.now(), otp.user_id).await?;
            Err(NotSent::Unreachable)
        }
        Err(e) => Err(NotSent::Telegram(e)),
    }
}

/// Tells the seller's owner and the operator that `otp`'s user did not ask for it.
pub async fn report_abuse(
    ctx: &AppCtx,
    seller: &sellers::Model,
    otp: &OtpCode,
    who: &str,
) -> Result<(), TgError> {
    let owner_locale = match users::find(&ctx.db, seller.user_id).await {
        Ok(Some(u)) => locale_of_user(ctx, &u),
        _ => ctx.config.default_locale,
    };
    let args = |locale| {
        [
            ("seller", seller.display_name.clone()),
            ("user", who.to_owned()),
            ("id", otp.user_id.to_string()),
            (
                "purpose",
                purpose_text(locale, Purpose::parse(&otp.purpose)),
            ),
            ("otp", super::otp::public_id(otp.id)),
        ]
    };
    let owner = ChatId(seller.user_id);
    let text = tr(owner_locale, "msg-abuse-seller", &args(owner_locale));
    if let Err(e) = ctx
        .tg
        .send(owner, ctx.tg.bot().send_message(owner, text))
        .await
    {
        tracing::warn!(error = %e, seller = seller.id, "could not tell a seller about a reported code");
    }
    if let Some(group) = ctx.config.admin_group_for(otp.user_id, None) {
        let locale = ctx.config.default_locale;
        let chat = ChatId(group);
        let text = tr(locale, "msg-abuse-operator", &args(locale));
        ctx.tg
            .send(chat, ctx.tg.bot().send_message(chat, text))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presses_round_trip_and_fit_telegrams_limit() {
        for p in [
            Press::Stop(1),
            Press::Resume(i64::MAX),
            Press::NotMe(42),
            Press::Stop(0),
            Press::Resume(0),
        ] {
            assert!(p.data().len() <= 64);
            assert_eq!(Press::parse(&p.data()), Some(p));
        }
        for bad in [
            "ms:stop",
            "ms:stop:x",
            "ms:stop:-1",
            "ms:notme:0",
            "ms:eat:1",
            "sl:stop:1",
        ] {
            assert_eq!(Press::parse(bad), None, "{bad}");
        }
    }
}
