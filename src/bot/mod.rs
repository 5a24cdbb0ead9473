//! The bot: the dptree handler tree and thin handlers over the services.
//!
//! A handler extracts typed input, calls one service, picks a [`Reply`], sends it. Business
//! rules live in `services` and `domain`.
pub mod commands;
pub mod dialogue_storage;
pub(crate) mod handlers;
pub mod reminders;

use std::sync::Arc;

use futures::FutureExt;
use serde::{Deserialize, Serialize};
use teloxide::{
    dispatching::{
        UpdateHandler,
        dialogue::{Dialogue, ErasedStorage},
    },
    prelude::*,
    types::UpdateKind,
};

pub use crate::delivery::Reply;
pub use commands::{AdminCommand, UserCommand};

use crate::sellers::bot::SellerCommand;

use crate::{
    context::AppCtx,
    delivery::DeliveryError,
    i18n::Locale,
    services::ServiceError,
    telegram::{ErrorReporterFn, Origin, TgError},
};

/// Where a private conversation stands. Later flows (tutorial, purchases) add variants; the
/// data a step has collected travels inside its variant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    #[default]
    Idle,
    /// Showing tour step `step` (1-3).
    Tour { step: u8 },
    /// Asked "reset your account?".
    ConfirmingReset,
}

pub type DialogueStorage = ErasedStorage<State>;
pub type BotDialogue = Dialogue<State, DialogueStorage>;

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Telegram(#[from] TgError),
    #[error("dialogue storage: {0}")]
    Dialogue(String),
}

impl From<DeliveryError> for BotError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Service(e) => BotError::Service(e),
            DeliveryError::Telegram(e) => BotError::Telegram(e),
        }
    }
}

impl From<crate::sellers::webhooks::WebhookError> for BotError {
    fn from(e: crate::sellers::webhooks::WebhookError) -> Self {
        BotError::Service(e.into())
    }
}

pub type HandlerResult = Result<(), BotError>;

fn is_admin_chat(msg: Message, ctx: AppCtx) -> bool {
    ctx.config.is_admin_group(msg.chat.id.0)
}

/// A person's message in the private chat that is neither a command nor a payment receipt:
/// it goes to the relay. The hottest path, so it is recognised first and from the update
/// itself: dptree hands every filter its own deep copy of the message, and the branches
/// below would copy it four more times before getting here.
fn relayed_message(update: Update, drafting: &crate::sellers::drafts::Drafting) -> Option<Message> {
    let UpdateKind::Message(msg) = update.kind else {
        return None;
    };
    let plain = msg.chat.is_private()
        && msg
            .from
            .as_ref()
            .is_some_and(|u| !drafting.contains(u.id.0 as i64))
        && msg.successful_payment().is_none()
        && msg.shared_chat().is_none()
        && !msg.text().is_some_and(|t| t.starts_with('/'));
    plain.then_some(msg)
}

/// The whole handler tree.
pub fn schema() -> UpdateHandler<BotError> {
    use teloxide::dispatching::HandlerExt;

    let relayed =
        dptree::filter_map(|update: Update, ctx: AppCtx| relayed_message(update, &ctx.drafting))
            .endpoint(crate::relay::bot::user_message);

    // Everything else a person sends privately starts with '/' or is a payment receipt.
    let private_messages = Update::filter_message()
        .filter(|msg: Message| msg.chat.is_private() && msg.from.is_some())
        .branch(
            dptree::filter(|msg: Message| msg.successful_payment().is_some())
                .endpoint(crate::billing::bot::successful_payment),
        )
        // Only commands read the dialogue state.
        .branch(
            dptree::entry()
                .filter_command::<UserCommand>()
                .enter_dialogue::<Message, DialogueStorage, State>()
                .endpoint(user_command),
        )
        // Admins listed in ADMIN_USER_IDS may run admin commands here too (naming the user
        // by id); to anyone else they are unknown commands.
        .branch(
            dptree::filter(|msg: Message, ctx: AppCtx| {
                msg.from
                    .as_ref()
                    .is_some_and(|u| ctx.admins.is_listed(u.id.0 as i64))
            })
            .filter_command::<AdminCommand>()
            .endpoint(crate::admin::bot::command),
        )
        // An answer to a seller dialogue step, or a shared chat.
        .branch(
            dptree::filter(|msg: Message, ctx: AppCtx| crate::sellers::bot::is_input(&msg, &ctx))
                .endpoint(crate::sellers::bot::input),
        )
        .branch(
            dptree::filter(|msg: Message| msg.text().is_some_and(|t| t.starts_with('/')))
                .endpoint(unknown_command),
        );

    let private_edits = Update::filter_edited_message()
        .filter(|msg: Message| msg.chat.is_private())
        .endpoint(crate::relay::bot::user_edited);

    // Control-center buttons, in the admin group or an admin's private chat; any other
    // press outside private chats is answered there too (as expired).
    let panel_buttons = Update::filter_callback_query()
        .filter(|q: CallbackQuery| {
            q.data
                .as_deref()
                .is_some_and(crate::admin::panels::is_panel_data)
                || q.regular_message().is_some_and(|m| !m.chat.is_private())
        })
        .endpoint(crate::admin::bot::center::pressed);

    // An admin's answer to a control-center prompt: never relayed. In private chats only
    // admins listed in ADMIN_USER_IDS can have one, so nobody else pays a lookup.
    let panel_inputs = Update::filter_message()
        .filter(|msg: Message, ctx: AppCtx| {
            let from = msg.from.as_ref().map_or(0, |u| u.id.0 as i64);
            if msg.chat.is_private() {
                ctx.admins.is_listed(from)
            } else {
                ctx.config.admin_chat_ids.contains(&msg.chat.id.0)
            }
        })
        .filter_async(|msg: Message, ctx: AppCtx| async move {
            crate::admin::bot::center::awaited(&msg, &ctx).await
        })
        .endpoint(crate::admin::bot::center::input);

    // Sellers' and buyers' buttons (`sl:…`), in the private chat.
    let seller_buttons = Update::filter_callback_query()
        .filter(|q: CallbackQuery| {
            q.data
                .as_deref()
                .is_some_and(crate::sellers::bot::is_seller_data)
                && q.regular_message().is_some_and(|m| m.chat.is_private())
        })
        .endpoint(crate::sellers::bot::pressed);

    // Stop, resume and "this wasn't me" buttons (`ms:…`), in the private chat.
    let messaging_buttons = Update::filter_callback_query()
        .filter(|q: CallbackQuery| {
            q.data
                .as_deref()
                .is_some_and(crate::messaging::notify::is_messaging_data)
                && q.regular_message().is_some_and(|m| m.chat.is_private())
        })
        .endpoint(crate::messaging::bot::pressed);

    // Sellers' platform plan buttons (`pl:…`), in the private chat.
    let plan_buttons = Update::filter_callback_query()
        .filter(|q: CallbackQuery| {
            q.data
                .as_deref()
                .is_some_and(crate::sellers::bot_platform::is_plan_data)
                && q.regular_message().is_some_and(|m| m.chat.is_private())
        })
        .endpoint(crate::sellers::bot_platform::pressed);

    // A customer's pay buttons on a seller's invoice (`iv:…`), in the private chat.
    let invoice_buttons = Update::filter_callback_query()
        .filter(|q: CallbackQuery| {
            q.data
                .as_deref()
                .is_some_and(crate::messaging::invoice_notify::is_invoice_data)
                && q.regular_message().is_some_and(|m| m.chat.is_private())
        })
        .endpoint(crate::messaging::bot_invoices::pressed);

    // Joins and leaves in sellers' chats, and join requests to them.
    let members = Update::filter_chat_member().endpoint(crate::sellers::bot::chat_member);
    let join_requests =
        Update::filter_chat_join_request().endpoint(crate::sellers::bot::join_request);

    let private_buttons = Update::filter_callback_query()
        .filter(|q: CallbackQuery| q.regular_message().is_some_and(|m| m.chat.is_private()))
        .enter_dialogue::<CallbackQuery, DialogueStorage, State>()
        .endpoint(handlers::callbacks::pressed);

    let admin_group = Update::filter_message()
        .filter(is_admin_chat)
        .branch(
            dptree::entry()
                .filter_command::<AdminCommand>()
                .endpoint(crate::admin::bot::command),
        )
        // Other commands (for other bots, typos) are not relayed to anyone.
        .branch(
            dptree::filter(|msg: Message| msg.text().is_some_and(|t| t.starts_with('/')))
                .endpoint(|| async { Ok(()) }),
        )
        .endpoint(crate::relay::bot::admin_message);

    let payments = Update::filter_pre_checkout_query().endpoint(crate::billing::bot::pre_checkout);

    dptree::entry()
        .branch(panel_inputs)
        .branch(relayed)
        .branch(payments)
        .branch(panel_buttons)
        .branch(seller_buttons)
        .branch(messaging_buttons)
        .branch(plan_buttons)
        .branch(invoice_buttons)
        .branch(private_messages)
        .branch(private_edits)
        .branch(private_buttons)
        .branch(admin_group)
        .branch(members)
        .branch(join_requests)
}

async fn user_command(
    msg: Message,
    cmd: UserCommand,
    ctx: AppCtx,
    me: teloxide::types::Me,
    dialogue: BotDialogue,
    state: State,
) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    match &cmd {
        UserCommand::Start(payload) => {
            return crate::accounts::bot::onboarding::start(
                &ctx,
                from,
                payload.trim(),
                &dialogue,
                &state,
            )
            .await;
        }
        // An operator's /grant (a listed admin who sells nothing) is the admin command.
        UserCommand::Grant(args)
            if ctx.admins.is_listed(from.id.0 as i64)
                && crate::sellers::team::acting(&ctx.db, from.id.0 as i64)
                    .await?
                    .is_none() =>
        {
            let args = args.clone();
            return crate::admin::bot::command(msg, AdminCommand::Grant(args), ctx).await;
        }
        UserCommand::Help => {
            let user = crate::accounts::users::find(&ctx.db, from.id.0 as i64).await?;
            let locale = handlers::locale_for(&ctx, from, user.as_ref());
            return crate::accounts::bot::account::help(&ctx, from.id.0 as i64, locale).await;
        }
        _ => {}
    }
    let Some(user) = crate::accounts::users::find(&ctx.db, from.id.0 as i64).await? else {
        // Never pressed Start (or reset): begin there.
        return crate::accounts::bot::onboarding::start(&ctx, from, "", &dialogue, &state).await;
    };
    match cmd {
        UserCommand::Start(_) | UserCommand::Help => Ok(()), // answered above
        UserCommand::Balance => crate::accounts::bot::account::balance(&ctx, &user).await,
        UserCommand::History => crate::accounts::bot::account::history(&ctx, &user).await,
        UserCommand::Language => crate::accounts::bot::account::language_prompt(&ctx, &user).await,
        UserCommand::Reset => {
            crate::accounts::bot::account::reset_prompt(&ctx, &user, &dialogue).await
        }
        UserCommand::Buy => crate::billing::bot::catalog(&ctx, &user).await,
        UserCommand::Buy10 => crate::billing::bot::quick_buy(&ctx, &user, "pack10").await,
        UserCommand::Buy25 => crate::billing::bot::quick_buy(&ctx, &user, "pack25").await,
        UserCommand::Buy50 => crate::billing::bot::quick_buy(&ctx, &user, "pack50").await,
        UserCommand::Billing => crate::billing::bot::billing(&ctx, &user, me.username()).await,
        UserCommand::Autorecharge(args) => {
            crate::billing::bot::autorecharge(&ctx, &user, args.trim()).await
        }
        UserCommand::Sell => seller(&ctx, &me, from, SellerCommand::Sell).await,
        UserCommand::Services => seller(&ctx, &me, from, SellerCommand::Services).await,
        UserCommand::Members(a) => seller(&ctx, &me, from, SellerCommand::Members(a)).await,
        UserCommand::Grant(a) => seller(&ctx, &me, from, SellerCommand::Grant(a)).await,
        UserCommand::Revoke(a) => seller(&ctx, &me, from, SellerCommand::Revoke(a)).await,
        UserCommand::Whitelist(a) => seller(&ctx, &me, from, SellerCommand::Whitelist(a)).await,
        UserCommand::Dashboard => seller(&ctx, &me, from, SellerCommand::Dashboard).await,
        UserCommand::Alert(a) => seller(&ctx, &me, from, SellerCommand::Alert(a)).await,
        UserCommand::Audit(a) => seller(&ctx, &me, from, SellerCommand::Audit(a)).await,
        UserCommand::Apikey(a) => seller(&ctx, &me, from, SellerCommand::ApiKey(a)).await,
        UserCommand::Webhooks => seller(&ctx, &me, from, SellerCommand::Webhooks).await,
        UserCommand::Payouts => seller(&ctx, &me, from, SellerCommand::Payouts).await,
        UserCommand::Links => seller(&ctx, &me, from, SellerCommand::Links).await,
        UserCommand::Promos => seller(&ctx, &me, from, SellerCommand::Promos).await,
        UserCommand::Team => seller(&ctx, &me, from, SellerCommand::Team).await,
        UserCommand::Retention(a) => seller(&ctx, &me, from, SellerCommand::Retention(a)).await,
        UserCommand::Subscriptions => {
            crate::sellers::bot_recurring::command(&ctx, from.id.0 as i64).await
        }
        UserCommand::Branding => seller(&ctx, &me, from, SellerCommand::Branding).await,
        UserCommand::Stop => crate::messaging::bot::stop_list(&ctx, &user).await,
        UserCommand::Plan => seller(&ctx, &me, from, SellerCommand::Plan).await,
        UserCommand::Drips => crate::messaging::bot::drips_command(&ctx, &user, "", None).await,
        UserCommand::Drip(a) => {
            crate::messaging::bot::drips_command(&ctx, &user, &a, msg.reply_to_message()).await
        }
        UserCommand::Cancel => seller(&ctx, &me, from, SellerCommand::Cancel).await,
        UserCommand::Invoice(a) => {
            crate::messaging::bot_invoices::command(&ctx, &user, a.trim()).await
        }
        UserCommand::Templates(a) => seller(&ctx, &me, from, SellerCommand::Templates(a)).await,
        UserCommand::Shops(a) => seller(&ctx, &me, from, SellerCommand::Shops(a)).await,
    }
}

async fn seller(
    ctx: &AppCtx,
    me: &teloxide::types::Me,
    from: &teloxide::types::User,
    cmd: SellerCommand,
) -> HandlerResult {
    crate::sellers::bot::command(ctx, me, from, cmd).await
}

/// A command we do not know: a friendly pointer to /help, and no charge.
async fn unknown_command(msg: Message, ctx: AppCtx) -> HandlerResult {
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
    let user = crate::accounts::users::find(&ctx.db, from.id.0 as i64).await?;
    let locale = handlers::locale_for(&ctx, from, user.as_ref());
    handlers::send_private(
        &ctx,
        from.id.0 as i64,
        &Reply::UnknownCommand { command },
        locale,
    )
    .await?;
    Ok(())
}

/// The dependencies the tree needs besides the update itself.
pub fn dependencies(
    ctx: AppCtx,
    me: teloxide::types::Me,
    storage: Arc<DialogueStorage>,
) -> DependencyMap {
    dptree::deps![ctx.clone(), ctx.tg.bot().clone(), me, storage]
}

/// Panics at start-up (not at the first update) when a handler asks for a dependency nobody
/// provides.
pub fn type_check(deps: &DependencyMap) {
    dptree::type_check(
        schema().sig(),
        deps,
        &[
            dptree::Type::of::<Update>(),
            dptree::Type::of::<crate::telegram::Confirm>(),
        ],
    );
}

/// A handler failed: log the whole cause chain, and tell the person politely.
pub fn error_reporter(ctx: AppCtx) -> ErrorReporterFn<BotError> {
    Arc::new(move |origin: Origin, err: BotError| {
        let ctx = ctx.clone();
        async move {
            let chain = anyhow::Error::new(err);
            tracing::error!(
                update_id = origin.update_id,
                kind = origin.kind,
                error = ?chain,
                "handler failed"
            );
            let Some(chat) = origin.private_chat else {
                return;
            };
            let locale =
                Locale::resolve(None, origin.language.as_deref(), ctx.config.default_locale);
            let text = Reply::InternalError.render(locale);
            if let Err(e) = ctx
                .tg
                .send(chat, ctx.tg.bot().send_message(chat, text))
                .await
            {
                tracing::warn!(error = %e, "could not apologise for a failed handler");
            }
        }
        .boxed()
    })
}

#[cfg(test)]
mod routing_tests {
    use super::*;
    use crate::sellers::drafts::Drafting;

    fn update(chat: serde_json::Value, extra: serde_json::Value) -> Update {
        let mut message = serde_json::json!({
            "message_id": 7,
            "date": 1_700_000_000,
            "chat": chat,
            "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
        });
        for (k, v) in extra.as_object().expect("an object") {
            message[k] = v.clone();
        }
        // From text, as it arrives (teloxide reads an update's kind from borrowed JSON).
        let raw = serde_json::json!({"update_id": 1, "message": message}).to_string();
        let update: Update = serde_json::from_str(&raw).expect("a valid update");
        assert!(
            matches!(update.kind, UpdateKind::Message(_)),
            "teloxide did not read the message: {:?}",
            update.kind
        );
        update
    }

    fn private() -> serde_json::Value {
        serde_json::json!({"id": 42, "type": "private", "first_name": "Ann"})
    }

    #[test]
    fn plain_private_messages_go_straight_to_the_relay() {
        let text = update(private(), serde_json::json!({"text": "hello team"}));
        assert!(relayed_message(text, &Drafting::default()).is_some());
        let location = update(
            private(),
            serde_json::json!({"location": {"latitude": 52.5, "longitude": 13.4}}),
        );
        assert!(relayed_message(location, &Drafting::default()).is_some());
    }

    #[test]
    fn commands_receipts_and_groups_take_the_long_way() {
        let command = update(private(), serde_json::json!({"text": "/balance"}));
        assert!(relayed_message(command, &Drafting::default()).is_none());
        let unknown = update(private(), serde_json::json!({"text": "/nope"}));
        assert!(relayed_message(unknown, &Drafting::default()).is_none());
        let receipt = update(
            private(),
            serde_json::json!({"successful_payment": {"currency": "XTR", "total_amount": 10,
                "invoice_payload": "order:1", "telegram_payment_charge_id": "c",
                "provider_payment_charge_id": "p"}}),
        );
        assert!(relayed_message(receipt, &Drafting::default()).is_none());
        let group = update(
            serde_json::json!({"id": -100, "type": "supergroup", "title": "Team"}),
            serde_json::json!({"text": "hello"}),
        );
        assert!(relayed_message(group, &Drafting::default()).is_none());
    }

    #[test]
    fn a_sellers_answer_and_a_shared_chat_are_not_relayed() {
        let drafting = Drafting::default();
        drafting.insert(42);
        let text = update(private(), serde_json::json!({"text": "My Channel"}));
        assert!(relayed_message(text, &drafting).is_none());
        drafting.remove(42);
        let text = update(private(), serde_json::json!({"text": "My Channel"}));
        assert!(relayed_message(text, &drafting).is_some());
        let shared = update(
            private(),
            serde_json::json!({"chat_shared": {"request_id": 1, "chat_id": -1001}}),
        );
        assert!(relayed_message(shared, &drafting).is_none());
    }
}
