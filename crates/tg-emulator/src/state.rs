//! The emulated world: users, chats, messages, the update queue.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use tokio::sync::{Notify, broadcast, oneshot};

use crate::ratelimit::RateLimiter;
use crate::types::{
    AdminRights, ApiCall, Button, CallbackAnswer, Charge, EmulatorLimits, Fault, MemberStatus,
    Recorded, Topic,
};

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[derive(Clone, Debug)]
pub(crate) struct UserRec {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language_code: Option<String>,
    pub is_premium: bool,
    /// Private chat with the bot exists (the user wrote to it).
    pub started: bool,
    pub blocked: bool,
    pub deactivated: bool,
    /// The bot may write until this time after a join request.
    pub dm_allowed_until: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChatKind {
    Private,
    Group,
    Supergroup,
    Channel,
}

#[derive(Clone, Debug)]
pub(crate) struct MemberRec {
    pub status: MemberStatus,
    pub until_date: i64,
    pub rights: AdminRights,
}

#[derive(Clone, Debug)]
pub(crate) struct MsgRec {
    pub message_id: i32,
    pub thread_id: Option<i32>,
    pub from_bot: bool,
    pub from_id: Option<i64>,
    /// Shared with the views handed out ([`Recorded::raw`]); an edit copies it if one is alive.
    pub json: Arc<Value>,
    pub deleted: bool,
    pub edited: bool,
    pub copied_from: Option<(i64, i32)>,
    pub reply_keyboard: Option<Vec<Vec<String>>>,
    pub invoice: Option<InvoiceRec>,
}

#[derive(Clone, Debug)]
pub(crate) struct InvoiceRec {
    pub currency: String,
    pub total_amount: i64,
    pub payload: String,
    pub subscription_period: Option<i64>,
}

#[derive(Clone, Debug)]
pub(crate) struct LinkRec {
    pub link: String,
    pub creator: i64,
    pub name: Option<String>,
    pub expire_date: Option<i64>,
    pub member_limit: Option<i64>,
    pub creates_join_request: bool,
    pub is_primary: bool,
    pub is_revoked: bool,
    pub joined: i64,
    pub pending: i64,
    /// A Star subscription link (`createChatSubscriptionInviteLink`): seconds a payment
    /// lasts and the Stars it costs. Joining through it subscribes the person.
    pub subscription: Option<(i64, i64)>,
}

#[derive(Clone, Debug)]
pub(crate) struct JoinRequestRec {
    pub link: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct ChatRec {
    pub id: i64,
    pub kind: ChatKind,
    pub title: Option<String>,
    pub username: Option<String>,
    pub is_forum: bool,
    pub members: HashMap<i64, MemberRec>,
    pub next_message_id: i32,
    pub messages: Vec<MsgRec>,
    pub topics: BTreeMap<i32, Topic>,
    pub deleted_topics: Vec<i32>,
    pub links: Vec<LinkRec>,
    pub join_requests: HashMap<i64, JoinRequestRec>,
    /// Basic group upgraded to this supergroup.
    pub migrated_to: Option<i64>,
}

impl ChatRec {
    pub fn new(id: i64, kind: ChatKind) -> Self {
        Self {
            id,
            kind,
            title: None,
            username: None,
            is_forum: false,
            members: HashMap::new(),
            next_message_id: 1,
            messages: Vec::new(),
            topics: BTreeMap::new(),
            deleted_topics: Vec::new(),
            links: Vec::new(),
            join_requests: HashMap::new(),
            migrated_to: None,
        }
    }

    /// Where message `id` is or would go: `messages` is kept in id order (see
    /// [`World::store_message`]), so a lookup is a binary search, not a walk through a busy
    /// group's whole history.
    fn msg_index(&self, id: i32) -> usize {
        self.messages.partition_point(|m| m.message_id < id)
    }

    pub fn msg(&self, id: i32) -> Option<&MsgRec> {
        self.messages
            .get(self.msg_index(id))
            .filter(|m| m.message_id == id && !m.deleted)
    }

    pub fn msg_mut(&mut self, id: i32) -> Option<&mut MsgRec> {
        let i = self.msg_index(id);
        self.messages
            .get_mut(i)
            .filter(|m| m.message_id == id && !m.deleted)
    }

    pub fn status_of(&self, user: i64) -> MemberStatus {
        self.members
            .get(&user)
            .map(|m| m.status)
            .unwrap_or(MemberStatus::Left)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct WebhookCfg {
    pub url: String,
    pub secret_token: Option<String>,
    pub max_connections: u32,
    pub generation: u64,
    pub last_error_date: Option<i64>,
    pub last_error_message: Option<String>,
}

pub(crate) struct CallbackRec {
    pub answer: Option<CallbackAnswer>,
}

pub(crate) struct InvoiceLinkRec {
    pub invoice: InvoiceRec,
}

/// Everything behind the mutex.
pub(crate) struct World {
    pub bot_id: i64,
    pub bot_username: String,
    pub users: HashMap<i64, UserRec>,
    pub chats: HashMap<i64, ChatRec>,
    pub next_user_id: i64,
    pub next_group_seq: i64,
    pub updates: VecDeque<(i64, String, Value)>,
    pub next_update_id: i64,
    pub max_delivered_update: i64,
    pub delivered_count: u64,
    pub allowed_updates: Option<Vec<String>>,
    pub webhook: Option<WebhookCfg>,
    pub webhook_generation: u64,
    pub calls: Vec<ApiCall>,
    pub faults: Vec<(String, Fault, u32)>,
    pub callbacks: HashMap<String, CallbackRec>,
    pub pre_checkouts: HashMap<String, oneshot::Sender<Result<(), String>>>,
    pub charges: Vec<Charge>,
    pub invoice_links: HashMap<String, InvoiceLinkRec>,
    pub commands: HashMap<(String, String), Value>,
    pub rate: RateLimiter,
    pub enforce_rate_limits: bool,
    /// Messages sent with `allow_paid_broadcast` (each costs the bot Stars on Telegram).
    pub paid_broadcasts: u64,
    pub rng: u64,
    pub updates_notify: Arc<Notify>,
    pub messages_notify: Arc<Notify>,
    /// Bot messages as they are stored or edited; shared, so a listener's copy costs a count.
    pub live: broadcast::Sender<Arc<Recorded>>,
    /// The `request_chat` buttons of the reply keyboard each private chat shows now.
    pub chat_requests: HashMap<i64, Vec<Value>>,
    /// Whether the bot's messages into private chats, and the calls that sent them, are kept
    /// (see [`crate::Emulator::keep_private_sends`]).
    pub keep_private_sends: bool,
}

pub(crate) const DEFAULT_EXCLUDED: [&str; 3] =
    ["chat_member", "message_reaction", "message_reaction_count"];

impl World {
    pub fn new(token: &str, bot_username: &str, enforce: bool, limits: EmulatorLimits) -> Self {
        let bot_id = token
            .split(':')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(123_456);
        let (live, _) = broadcast::channel(4096);
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            | 1;
        let mut w = Self {
            bot_id,
            bot_username: bot_username.to_owned(),
            users: HashMap::new(),
            chats: HashMap::new(),
            next_user_id: 1_000_001,
            next_group_seq: 1,
            updates: VecDeque::new(),
            next_update_id: 700_000_001,
            max_delivered_update: 0,
            delivered_count: 0,
            allowed_updates: None,
            webhook: None,
            webhook_generation: 0,
            calls: Vec::new(),
            faults: Vec::new(),
            callbacks: HashMap::new(),
            pre_checkouts: HashMap::new(),
            charges: Vec::new(),
            invoice_links: HashMap::new(),
            commands: HashMap::new(),
            rate: RateLimiter::new(limits),
            enforce_rate_limits: enforce,
            paid_broadcasts: 0,
            rng: seed,
            updates_notify: Arc::new(Notify::new()),
            messages_notify: Arc::new(Notify::new()),
            live,
            chat_requests: HashMap::new(),
            keep_private_sends: true,
        };
        w.users.insert(
            bot_id,
            UserRec {
                id: bot_id,
                is_bot: true,
                first_name: bot_username.trim_end_matches("_bot").replace('_', " "),
                last_name: None,
                username: Some(bot_username.to_owned()),
                language_code: None,
                is_premium: false,
                started: false,
                blocked: false,
                deactivated: false,
                dm_allowed_until: 0,
            },
        );
        w
    }

    // ---------- randomness ----------

    pub fn next_rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn rand_string(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        (0..len)
            .map(|_| ALPHABET[(self.next_rand() % 64) as usize] as char)
            .collect()
    }

    pub fn rand_digits(&mut self) -> String {
        format!(
            "{}",
            self.next_rand() % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000
        )
    }

    // ---------- JSON views ----------

    pub fn user_json(&self, id: i64) -> Value {
        let Some(u) = self.users.get(&id) else {
            return json!({"id": id, "is_bot": false, "first_name": "Deleted Account"});
        };
        let mut m = Map::new();
        m.insert("id".into(), json!(u.id));
        m.insert("is_bot".into(), json!(u.is_bot));
        m.insert("first_name".into(), json!(u.first_name));
        if let Some(v) = &u.last_name {
            m.insert("last_name".into(), json!(v));
        }
        if let Some(v) = &u.username {
            m.insert("username".into(), json!(v));
        }
        if let Some(v) = &u.language_code {
            m.insert("language_code".into(), json!(v));
        }
        if u.is_premium {
            m.insert("is_premium".into(), json!(true));
        }
        Value::Object(m)
    }

    /// The `Chat` object as the bot sees it.
    pub fn chat_json(&self, id: i64) -> Value {
        if let Some(c) = self.chats.get(&id) {
            let mut m = Map::new();
            m.insert("id".into(), json!(id));
            match c.kind {
                ChatKind::Private => {
                    let u = self.user_json(id);
                    for k in ["first_name", "last_name", "username"] {
                        if let Some(v) = u.get(k) {
                            m.insert(k.into(), v.clone());
                        }
                    }
                    m.insert("type".into(), json!("private"));
                }
                ChatKind::Group | ChatKind::Supergroup | ChatKind::Channel => {
                    m.insert("title".into(), json!(c.title.clone().unwrap_or_default()));
                    if let Some(u) = &c.username {
                        m.insert("username".into(), json!(u));
                    }
                    let t = match c.kind {
                        ChatKind::Group => "group",
                        ChatKind::Supergroup => "supergroup",
                        _ => "channel",
                    };
                    m.insert("type".into(), json!(t));
                    if c.is_forum {
                        m.insert("is_forum".into(), json!(true));
                    }
                }
            }
            Value::Object(m)
        } else {
            let u = self.user_json(id);
            json!({"id": id, "type": "private", "first_name": u["first_name"]})
        }
    }

    pub fn member_json(&self, chat_id: i64, user: i64) -> Value {
        let chat = self.chats.get(&chat_id);
        let rec = chat
            .and_then(|c| c.members.get(&user))
            .cloned()
            .unwrap_or(MemberRec {
                status: MemberStatus::Left,
                until_date: 0,
                rights: AdminRights::default(),
            });
        let is_channel = chat.map(|c| c.kind == ChatKind::Channel).unwrap_or(false);
        let is_super = chat
            .map(|c| c.kind == ChatKind::Supergroup)
            .unwrap_or(false);
        member_json_for(
            self.user_json(user),
            &rec,
            is_channel,
            is_super,
            user == self.bot_id,
        )
    }

    pub fn link_json(&self, link: &LinkRec, masked: bool) -> Value {
        let mut m = Map::new();
        let url = if masked {
            mask_link(&link.link)
        } else {
            link.link.clone()
        };
        m.insert("invite_link".into(), json!(url));
        m.insert("creator".into(), self.user_json(link.creator));
        m.insert(
            "creates_join_request".into(),
            json!(link.creates_join_request),
        );
        m.insert("is_primary".into(), json!(link.is_primary));
        m.insert("is_revoked".into(), json!(link.is_revoked));
        if let Some(n) = &link.name {
            m.insert("name".into(), json!(n));
        }
        if let Some(d) = link.expire_date {
            m.insert("expire_date".into(), json!(d));
        }
        if let Some(l) = link.member_limit {
            m.insert("member_limit".into(), json!(l));
        }
        if link.creates_join_request {
            m.insert("pending_join_request_count".into(), json!(link.pending));
        }
        if let Some((period, price)) = link.subscription {
            m.insert("subscription_period".into(), json!(period));
            m.insert("subscription_price".into(), json!(price));
        }
        Value::Object(m)
    }

    /// The invite link as it appears in updates (masked unless the bot made it).
    pub fn link_json_for_update(&self, link: &LinkRec) -> Value {
        self.link_json(link, link.creator != self.bot_id)
    }

    // ---------- updates ----------

    pub fn update_allowed(&self, kind: &str) -> bool {
        match &self.allowed_updates {
            Some(list) if !list.is_empty() => list.iter().any(|k| k == kind),
            _ => !DEFAULT_EXCLUDED.contains(&kind),
        }
    }

    /// Queue an update for the bot; returns its id (or None if filtered out).
    pub fn push_update(&mut self, kind: &str, payload: Value) -> Option<i64> {
        if !self.update_allowed(kind) {
            return None;
        }
        Some(self.push_update_unfiltered(kind, payload))
    }

    pub fn push_update_unfiltered(&mut self, kind: &str, payload: Value) -> i64 {
        let id = self.next_update_id;
        self.next_update_id += 1;
        let mut u = Map::new();
        u.insert("update_id".into(), json!(id));
        u.insert(kind.to_owned(), payload);
        self.updates
            .push_back((id, kind.to_owned(), Value::Object(u)));
        self.updates_notify.notify_waiters();
        id
    }

    // ---------- messages ----------

    pub fn alloc_message_id(&mut self, chat_id: i64) -> i32 {
        let c = self.chats.get_mut(&chat_id).expect("chat exists");
        let id = c.next_message_id;
        c.next_message_id += 1;
        id
    }

    /// Store a message and notify observers (the live feed sees the bot's own).
    pub fn store_message(&mut self, chat_id: i64, rec: MsgRec) {
        let from_bot = rec.from_bot;
        let c = self.chats.get_mut(&chat_id).expect("chat exists");
        if from_bot && !self.keep_private_sends && c.kind == ChatKind::Private {
            self.messages_notify.notify_waiters();
            return;
        }
        // Ids are handed out in order, so this is the end unless two were allocated and
        // stored the other way round; either way the list stays sorted for lookups.
        let at = c.msg_index(rec.message_id);
        c.messages.insert(at, rec);
        if from_bot {
            publish(&self.live, || recorded(chat_id, &c.messages[at]));
        }
        self.messages_notify.notify_waiters();
    }

    pub fn chat_instance(&self, chat_id: i64) -> String {
        format!(
            "{}",
            (chat_id.unsigned_abs() ^ 0x5DEE_CE66_D1CE_4E5B).wrapping_mul(31)
        )
    }

    pub fn ensure_private_chat(&mut self, user: i64) {
        self.chats.entry(user).or_insert_with(|| {
            let mut c = ChatRec::new(user, ChatKind::Private);
            c.members.insert(
                user,
                MemberRec {
                    status: MemberStatus::Member,
                    until_date: 0,
                    rights: AdminRights::default(),
                },
            );
            c
        });
    }

    pub fn new_topic_thread_ok(&self, chat_id: i64, thread: Option<i32>) -> bool {
        let Some(t) = thread else { return true };
        let Some(c) = self.chats.get(&chat_id) else {
            return false;
        };
        if !c.is_forum {
            // In ordinary supergroups a thread id is the id of a message thread.
            return c.kind != ChatKind::Supergroup || c.msg(t).is_some();
        }
        t == 1 || c.topics.contains_key(&t)
    }
}

pub(crate) fn member_json_for(
    user: Value,
    rec: &MemberRec,
    is_channel: bool,
    is_super: bool,
    is_bot_self: bool,
) -> Value {
    let mut m = Map::new();
    m.insert("user".into(), user);
    m.insert("status".into(), json!(rec.status.as_str()));
    match rec.status {
        MemberStatus::Creator => {
            m.insert("is_anonymous".into(), json!(false));
        }
        MemberStatus::Administrator => {
            let r = rec.rights;
            m.insert("can_be_edited".into(), json!(!is_bot_self));
            m.insert("is_anonymous".into(), json!(false));
            m.insert("can_manage_chat".into(), json!(r.can_manage_chat));
            m.insert("can_delete_messages".into(), json!(r.can_delete_messages));
            m.insert("can_manage_video_chats".into(), json!(true));
            m.insert("can_restrict_members".into(), json!(r.can_restrict_members));
            m.insert("can_promote_members".into(), json!(r.can_promote_members));
            m.insert("can_change_info".into(), json!(r.can_change_info));
            m.insert("can_invite_users".into(), json!(r.can_invite_users));
            m.insert("can_post_stories".into(), json!(true));
            m.insert("can_edit_stories".into(), json!(true));
            m.insert("can_delete_stories".into(), json!(true));
            if is_channel {
                m.insert("can_post_messages".into(), json!(r.can_post_messages));
                m.insert("can_edit_messages".into(), json!(r.can_edit_messages));
            } else {
                m.insert("can_pin_messages".into(), json!(r.can_pin_messages));
            }
            if is_super {
                m.insert("can_manage_topics".into(), json!(r.can_manage_topics));
            }
        }
        // A Star subscriber: when the subscription runs out unless Telegram charges again.
        MemberStatus::Member if rec.until_date != 0 => {
            m.insert("until_date".into(), json!(rec.until_date));
        }
        MemberStatus::Member => {}
        MemberStatus::Restricted => {
            m.insert("is_member".into(), json!(true));
            m.insert("until_date".into(), json!(rec.until_date));
            for k in [
                "can_send_messages",
                "can_send_audios",
                "can_send_documents",
                "can_send_photos",
                "can_send_videos",
                "can_send_video_notes",
                "can_send_voice_notes",
                "can_send_polls",
                "can_send_other_messages",
                "can_add_web_page_previews",
                "can_change_info",
                "can_invite_users",
                "can_pin_messages",
                "can_manage_topics",
            ] {
                m.insert(k.into(), json!(false));
            }
        }
        MemberStatus::Left => {}
        MemberStatus::Kicked => {
            m.insert("until_date".into(), json!(rec.until_date));
        }
    }
    Value::Object(m)
}

pub(crate) fn mask_link(link: &str) -> String {
    match link.split_once("/+") {
        Some((head, code)) => {
            let keep: String = code
                .chars()
                .take(code.chars().count().min(8) / 2 + 2)
                .collect();
            format!("{head}/+{keep}...")
        }
        None => format!("{link}..."),
    }
}

/// Message kind name from a Bot API Message object.
pub(crate) fn kind_of(msg: &Value) -> String {
    const KINDS: [&str; 30] = [
        "text",
        "photo",
        "document",
        "video",
        "voice",
        "video_note",
        "audio",
        "sticker",
        "animation",
        "location",
        "contact",
        "poll",
        "dice",
        "invoice",
        "successful_payment",
        "refunded_payment",
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "pinned_message",
        "venue",
        "game",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "supergroup_chat_created",
        "group_chat_created",
    ];
    KINDS
        .iter()
        .find(|k| msg.get(**k).is_some())
        .map(|k| (*k).to_owned())
        .unwrap_or_else(|| "unknown".into())
}

pub(crate) fn buttons_of(msg: &Value) -> Vec<Vec<Button>> {
    let Some(rows) = msg
        .pointer("/reply_markup/inline_keyboard")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            row.as_array()
                .map(|r| {
                    r.iter()
                        .map(|b| Button {
                            text: b["text"].as_str().unwrap_or_default().to_owned(),
                            callback_data: b["callback_data"].as_str().map(str::to_owned),
                            url: b["url"].as_str().map(str::to_owned),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Hands a bot message to the live feed; the view is built only when someone listens.
pub(crate) fn publish(live: &broadcast::Sender<Arc<Recorded>>, view: impl FnOnce() -> Recorded) {
    if live.receiver_count() > 0 {
        let _ = live.send(Arc::new(view()));
    }
}

pub(crate) fn recorded(chat_id: i64, m: &MsgRec) -> Recorded {
    Recorded {
        chat_id,
        message_id: m.message_id,
        thread_id: m.thread_id,
        from_bot: m.from_bot,
        from_id: m.from_id,
        text: m.json["text"].as_str().map(str::to_owned),
        caption: m.json["caption"].as_str().map(str::to_owned),
        kind: kind_of(&m.json),
        buttons: buttons_of(&m.json),
        reply_keyboard: m.reply_keyboard.clone(),
        copied_from: m.copied_from,
        edited: m.edited,
        raw: Arc::clone(&m.json),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rec(message_id: i32) -> MsgRec {
        MsgRec {
            message_id,
            thread_id: None,
            from_bot: true,
            from_id: None,
            json: Arc::new(json!({ "message_id": message_id })),
            deleted: false,
            edited: false,
            copied_from: None,
            reply_keyboard: None,
            invoice: None,
        }
    }

    #[test]
    fn messages_are_found_by_id_whatever_order_they_were_stored_in() {
        let mut chat = ChatRec::new(-100, ChatKind::Supergroup);
        for id in [1, 2, 5, 3, 4, 7, 6] {
            let at = chat.msg_index(id);
            chat.messages.insert(at, rec(id));
        }
        let ids: Vec<i32> = chat.messages.iter().map(|m| m.message_id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7]);
        for id in 1..=7 {
            assert_eq!(chat.msg(id).map(|m| m.message_id), Some(id));
        }
        assert!(chat.msg(0).is_none() && chat.msg(8).is_none());
        chat.msg_mut(4).expect("stored").deleted = true;
        assert!(chat.msg(4).is_none(), "a deleted message is not found");
        assert!(chat.msg_mut(4).is_none());
        assert_eq!(chat.msg(5).map(|m| m.message_id), Some(5));
    }
}
