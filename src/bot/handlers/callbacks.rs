//! Inline buttons in the private chat. Every press is answered (Telegram shows a spinner
//! until then); a payload we did not issue, or one that no longer fits the conversation's
//! state, is refused with "this button has expired" and changes nothing.
use teloxide::prelude::*;

use crate::{accounts::bot::account, accounts::bot::onboarding, bot::handlers::locale_of_user};
use crate::{
    accounts::users,
    bot::{BotDialogue, BotError, HandlerResult, Reply, State},
    context::AppCtx,
    delivery::callbacks::Callback,
};

pub(crate) async fn pressed(q: CallbackQuery, ctx: AppCtx, dialogue: BotDialogue) -> HandlerResult {
    let user = users::find(&ctx.db, q.from.id.0 as i64).await?;
    let message = q.regular_message().map(|m| m.id);
    let state = dialogue
        .get()
        .await
        .map_err(|e| BotError::Dialogue(e.to_string()))?
        .unwrap_or_default();
    let callback = q.data.as_deref().and_then(Callback::parse);
    // With the tour switched off, its buttons (on older welcomes) have expired.
    let tour_off =
        matches!(
            callback,
            Some(Callback::TourStart | Callback::TourNext | Callback::TourSkip)
        ) && !crate::services::settings::get(&ctx.db, &crate::services::settings::TUTORIAL).await?;
    let callback = callback.filter(|_| !tour_off);
    let handled = match (user, message, callback) {
        (Some(user), Some(message), Some(cb)) => {
            let locale = locale_of_user(&ctx, &user);
            match (cb, &state) {
                (Callback::TourStart, _) => {
                    onboarding::tour(&ctx, &user, locale, message, Some(1), &dialogue).await?;
                    true
                }
                (Callback::TourNext, State::Tour { step }) => {
                    onboarding::tour(&ctx, &user, locale, message, Some(step + 1), &dialogue)
                        .await?;
                    true
                }
                (Callback::TourSkip, _) => {
                    onboarding::tour(&ctx, &user, locale, message, None, &dialogue).await?;
                    true
                }
                (Callback::History { page }, _) => {
                    account::history_turn(&ctx, &user, message, page).await?;
                    true
                }
                (Callback::Language(l), _) => {
                    account::language_set(&ctx, &user, message, l).await?;
                    true
                }
                (Callback::BuyMenu, _) => {
                    crate::billing::bot::catalog(&ctx, &user).await?;
                    true
                }
                (Callback::Buy { product }, _) => {
                    crate::billing::bot::choose(&ctx, &user, message, product).await?;
                    true
                }
                (Callback::Pay { product, method }, _) => {
                    // The choice is made: its buttons go, so a second tap cannot start a second payment.
                    let chat = ChatId(user.id);
                    let _ = ctx
                        .tg
                        .send(chat, ctx.tg.bot().edit_message_reply_markup(chat, message))
                        .await;
                    crate::billing::bot::pay(&ctx, &user, product, method).await?;
                    true
                }
                (Callback::ResetConfirm | Callback::ResetCancel, State::ConfirmingReset) => {
                    let yes = cb == Callback::ResetConfirm;
                    account::reset_answer(&ctx, &user, message, yes, &dialogue).await?;
                    true
                }
                _ => false,
            }
        }
        _ => false,
    };
    let mut answer = ctx.tg.bot().answer_callback_query(q.id.clone());
    if !handled {
        tracing::info!(data = ?q.data, "refused a button press");
        let locale = crate::i18n::Locale::resolve(
            None,
            q.from.language_code.as_deref(),
            ctx.config.default_locale,
        );
        answer = answer.text(Reply::ButtonExpired.render(locale));
    }
    ctx.tg.call(answer).await?;
    Ok(())
}
