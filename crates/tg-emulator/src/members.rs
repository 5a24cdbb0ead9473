//! Membership bookkeeping and the updates it produces.

use serde_json::{Value, json};

use crate::state::{ChatKind, MemberRec, MsgRec, World, member_json_for, now};
use crate::types::{AdminRights, MemberStatus};

/// How a membership change came about.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChangeCtx {
    /// Who did it (defaults to the user themselves).
    pub actor: Option<i64>,
    /// Invite link used to join.
    pub link: Option<String>,
    pub via_join_request: bool,
    pub until_date: i64,
    pub rights: Option<AdminRights>,
    /// Post a new_chat_members / left_chat_member service message.
    pub service_message: bool,
}

impl World {
    /// Change a member's status and emit chat_member / my_chat_member.
    pub(crate) fn change_member(
        &mut self,
        chat_id: i64,
        user: i64,
        status: MemberStatus,
        ctx: ChangeCtx,
    ) {
        let bot_id = self.bot_id;
        let Some(chat) = self.chats.get_mut(&chat_id) else {
            return;
        };
        let old = chat.members.get(&user).cloned().unwrap_or(MemberRec {
            status: MemberStatus::Left,
            until_date: 0,
            rights: AdminRights::default(),
        });
        let new = MemberRec {
            status,
            until_date: ctx.until_date,
            rights: ctx.rights.unwrap_or(old.rights),
        };
        chat.members.insert(user, new.clone());
        let kind = chat.kind;
        let bot_is_admin = chat.status_of(bot_id).is_admin();
        let was_present = old.status.is_present();
        let is_present = status.is_present();
        if old.status == status && old.until_date == new.until_date && old.rights == new.rights {
            return;
        }
        let is_channel = kind == ChatKind::Channel;
        let is_super = kind == ChatKind::Supergroup;
        let actor = ctx.actor.unwrap_or(user);
        let user_json = self.user_json(user);
        let mut upd = json!({
            "chat": self.chat_json(chat_id),
            "from": self.user_json(actor),
            "date": now(),
            "old_chat_member": member_json_for(user_json.clone(), &old, is_channel, is_super, user == bot_id),
            "new_chat_member": member_json_for(user_json.clone(), &new, is_channel, is_super, user == bot_id),
        });
        if let Some(link) = &ctx.link
            && let Some(l) = self
                .chats
                .get(&chat_id)
                .and_then(|c| c.links.iter().find(|l| &l.link == link))
        {
            upd["invite_link"] = self.link_json_for_update(l);
        }
        if ctx.via_join_request {
            upd["via_join_request"] = json!(true);
        }
        if user == bot_id {
            self.push_update("my_chat_member", upd);
        } else if kind == ChatKind::Private || bot_is_admin {
            self.push_update("chat_member", upd);
        }
        if ctx.service_message
            && matches!(kind, ChatKind::Supergroup | ChatKind::Group)
            && was_present != is_present
            && user != bot_id
        {
            let content = if is_present {
                json!({"new_chat_members": [user_json]})
            } else {
                json!({"left_chat_member": user_json})
            };
            self.post_service(chat_id, actor, content);
        }
    }

    /// A service message in a group, delivered to the bot as a message update.
    pub(crate) fn post_service(&mut self, chat_id: i64, actor: i64, content: Value) -> i32 {
        let id = self.alloc_message_id(chat_id);
        let mut msg = json!({
            "message_id": id,
            "from": self.user_json(actor),
            "chat": self.chat_json(chat_id),
            "date": now(),
        });
        if let (Some(m), Some(c)) = (msg.as_object_mut(), content.as_object()) {
            for (k, v) in c {
                m.insert(k.clone(), v.clone());
            }
        }
        let from_bot = actor == self.bot_id;
        self.store_message(
            chat_id,
            MsgRec {
                message_id: id,
                thread_id: None,
                from_bot,
                from_id: Some(actor),
                json: std::sync::Arc::new(msg.clone()),
                deleted: false,
                edited: false,
                copied_from: None,
                reply_keyboard: None,
                invoice: None,
            },
        );
        if !from_bot {
            self.push_update("message", msg);
        }
        id
    }

    /// Until-date normalisation: under 30 s or over 366 days means forever (0).
    pub(crate) fn norm_until(until: Option<i64>) -> i64 {
        match until {
            None | Some(0) => 0,
            Some(t) => {
                let d = t - now();
                if !(30..=366 * 86_400).contains(&d) {
                    0
                } else {
                    t
                }
            }
        }
    }
}
