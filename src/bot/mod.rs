//! The bot: the dptree handler tree and thin handlers over the services.
//!
//! A handler extracts typed input, calls one service, picks a [`Reply`], sends it. Business
//! rules live in `services` and `domain`.
pub mod commands;
pub mod dialogue_storage;
mod handlers;
pub mod replies;

use std::sync::Arc;

use futures::FutureExt;
use serde::{Deserialize, Serialize};
use teloxide::{
    dispatching::{UpdateHandler, dialogue::ErasedStorage},
    prelude::*,
};

pub use commands::{AdminCommand, UserCommand};
pub use replies::Reply;

use crate::{
    context::AppCtx,
    i18n::Locale,
    services::ServiceError,
    telegram::{ErrorReporterFn, TgError},
};

/// Where a private conversation stands. Later flows (tutorial, purchases) add variants; the
/// data a step has collected travels inside its variant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    #[default]
    Idle,
}

pub type DialogueStorage = ErasedStorage<State>;

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Telegram(#[from] TgError),
    #[error("dialogue storage: {0}")]
    Dialogue(String),
}

pub type HandlerResult = Result<(), BotError>;

fn is_admin_chat(msg: Message, ctx: AppCtx) -> bool {
    ctx.config.admin_chat_id == Some(msg.chat.id.0)
}

/// The whole handler tree.
pub fn schema() -> UpdateHandler<BotError> {
    use teloxide::dispatching::HandlerExt;

    let private = Update::filter_message()
        .filter(|msg: Message| msg.chat.is_private() && msg.from.is_some())
        .enter_dialogue::<Message, DialogueStorage, State>()
        .branch(
            dptree::entry()
                .filter_command::<UserCommand>()
                .endpoint(handlers::user_command),
        )
        .branch(
            dptree::filter(|msg: Message| msg.text().is_some_and(|t| t.starts_with('/')))
                .endpoint(handlers::unknown_command),
        )
        .endpoint(handlers::plain_message);

    let admin_group = Update::filter_message().filter(is_admin_chat).branch(
        dptree::entry()
            .filter_command::<AdminCommand>()
            .endpoint(handlers::admin_command),
    );

    dptree::entry().branch(private).branch(admin_group)
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
    dptree::type_check(schema().sig(), deps, &[dptree::Type::of::<Update>()]);
}

/// A handler failed: log the whole cause chain, and tell the person politely.
pub fn error_reporter(ctx: AppCtx) -> ErrorReporterFn<BotError> {
    Arc::new(move |update: Update, err: BotError| {
        let ctx = ctx.clone();
        async move {
            let chain = anyhow::Error::new(err);
            tracing::error!(update_id = update.id.0, error = ?chain, "handler failed");
            let Some(chat) = update.chat().filter(|c| c.is_private()) else {
                return;
            };
            let locale = Locale::resolve(
                None,
                update.from().and_then(|u| u.language_code.as_deref()),
                ctx.config.default_locale,
            );
            let text = Reply::InternalError.render(locale);
            if let Err(e) = ctx.tg.call(ctx.tg.bot().send_message(chat.id, text)).await {
                tracing::warn!(error = %e, "could not apologise for a failed handler");
            }
        }
        .boxed()
    })
}
