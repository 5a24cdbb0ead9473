//! Background messages to users, run as jobs.
use teloxide::prelude::*;

use crate::delivery::Reply;
use crate::{
    clock::SharedClock,
    i18n::Locale,
    jobs::{Job, JobError},
    storage::Db,
    telegram::{Telegram, TgError},
    {accounts::users, billing::passes},
};

#[derive(serde::Deserialize)]
struct PassReminder {
    user_id: i64,
    ends_at: i64,
}

/// "Your pass ends at …", unless the pass was extended (a newer reminder exists for that) or
/// the user cannot be reached.
pub async fn pass_reminder(
    db: Db,
    tg: Telegram,
    clock: SharedClock,
    default_locale: Locale,
    job: Job,
) -> Result<(), JobError> {
    let p: PassReminder = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Permanent(format!("bad payload: {e}")))?;
    let retry = |e: crate::services::ServiceError| JobError::Retry(e.to_string());
    let Some(pass) = passes::reminder_due(&db, clock.now(), p.user_id, p.ends_at)
        .await
        .map_err(retry)?
    else {
        return Ok(());
    };
    let Some(user) = users::find(&db, p.user_id).await.map_err(retry)? else {
        return Ok(());
    };
    let locale = Locale::resolve(
        user.locale.as_deref(),
        user.language_code.as_deref(),
        default_locale,
    );
    let text = Reply::PassEnding {
        until: super::handlers::fmt_time(pass.ends_at),
    }
    .render(locale);
    let chat = ChatId(user.id);
    match tg.send(chat, tg.bot().send_message(chat, text)).await {
        Ok(_) => Ok(()),
        Err(TgError::Unreachable(_)) => {
            users::mark_unreachable(&db, clock.now(), user.id)
                .await
                .map_err(retry)?;
            Ok(())
        }
        Err(e) if e.is_transient() => Err(JobError::Retry(e.to_string())),
        Err(e) => Err(JobError::Permanent(e.to_string())),
    }
}
