//! Who may run admin commands: an administrator or the owner of the admin group the command
//! was written in (asked of Telegram with `getChatMember`, remembered for at most
//! [`CACHE_FOR`]), or a user listed in `ADMIN_USER_IDS`. A plain member of the admin group may answer users in their topics but
//! runs no admin command.
use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Duration, Utc};
use teloxide::{
    prelude::*,
    types::{ChatId, UserId},
};

use crate::telegram::{Telegram, TgError};

/// How long an answer of `getChatMember` is trusted: a demoted administrator loses their
/// rights within this time.
pub const CACHE_FOR: Duration = Duration::minutes(1);

/// What a sender is to the admin side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Listed in `ADMIN_USER_IDS`: an admin anywhere, the private chat included.
    Listed,
    /// An administrator or the owner of the admin group the command came from.
    GroupAdmin,
    /// Anyone else (plain members of the admin group included).
    None,
}

impl Standing {
    pub fn is_admin(self) -> bool {
        !matches!(self, Standing::None)
    }
}

/// A user in an admin group: (group, user).
type GroupMember = (i64, i64);
/// Whether they administer it, and when Telegram said so.
type Answer = (bool, DateTime<Utc>);

/// The admin check, shared by every handler (cheap to call; one `getChatMember` a user a
/// minute at most).
pub struct AdminAccess {
    groups: Vec<i64>,
    listed: Vec<i64>,
    seen: Mutex<HashMap<GroupMember, Answer>>,
}

impl AdminAccess {
    pub fn new(groups: Vec<i64>, listed: Vec<i64>) -> Self {
        Self {
            groups,
            listed,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `user_id` is listed in `ADMIN_USER_IDS`.
    pub fn is_listed(&self, user_id: i64) -> bool {
        self.listed.contains(&user_id)
    }

    /// What `user_id`, writing in `chat`, is at `now`: group rights count only in the admin
    /// group they are held in. A Telegram failure counts as "not an admin" (and is not
    /// remembered), so an outage never grants rights.
    pub async fn standing(
        &self,
        tg: &Telegram,
        now: DateTime<Utc>,
        user_id: i64,
        chat: i64,
    ) -> Standing {
        if self.is_listed(user_id) {
            return Standing::Listed;
        }
        if !self.groups.contains(&chat) {
            return Standing::None;
        }
        let group = chat;
        if let Some(admin) = self.remembered(now, group, user_id) {
            return if admin {
                Standing::GroupAdmin
            } else {
                Standing::None
            };
        }
        let admin = match Self::ask(tg, group, user_id).await {
            Ok(admin) => admin,
            Err(e) => {
                tracing::warn!(user_id, error = %e, "could not look up an admin; refused");
                return Standing::None;
            }
        };
        self.seen
            .lock()
            .expect("admin cache poisoned")
            .insert((group, user_id), (admin, now));
        if admin {
            Standing::GroupAdmin
        } else {
            Standing::None
        }
    }

    fn remembered(&self, now: DateTime<Utc>, group: i64, user_id: i64) -> Option<bool> {
        let mut seen = self.seen.lock().expect("admin cache poisoned");
        match seen.get(&(group, user_id)) {
            Some(&(admin, at)) if now >= at && now - at < CACHE_FOR => Some(admin),
            Some(_) => {
                seen.remove(&(group, user_id));
                None
            }
            None => None,
        }
    }

    async fn ask(tg: &Telegram, group: i64, user_id: i64) -> Result<bool, TgError> {
        let Ok(id) = u64::try_from(user_id) else {
            return Ok(false);
        };
        let req = tg.bot().get_chat_member(ChatId(group), UserId(id));
        let member = tg.call(req).await?;
        Ok(member.kind.is_privileged())
    }
}
