//! Bot API methods (everything except the long-polling part of getUpdates).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::members::ChangeCtx;
use crate::state::{ChatKind, InvoiceLinkRec, InvoiceRec, LinkRec, MsgRec, World, now};
use crate::types::{CallbackAnswer, MemberStatus, SUBSCRIPTION_PERIOD, Topic};
use crate::validate::{
    ApiError, ApiResult, Params, auto_entities, check_caption, check_reply_markup, check_text,
    format_text, utf16_len,
};

/// Canonical spelling of a known method (lower-case lookup).
pub(crate) fn canonical(method: &str) -> Option<&'static str> {
    const ALL: &[&str] = &[
        "getMe",
        "logOut",
        "close",
        "getUpdates",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "deleteMessage",
        "deleteMessages",
        "answerCallbackQuery",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
        "sendPhoto",
        "sendDocument",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendVideoNote",
        "sendLocation",
        "sendContact",
        "sendDice",
        "sendChatAction",
        "createForumTopic",
        "editForumTopic",
        "deleteForumTopic",
        "closeForumTopic",
        "reopenForumTopic",
        "getChat",
        "getChatMember",
        "getChatMemberCount",
        "getChatAdministrators",
        "createChatInviteLink",
        "createChatSubscriptionInviteLink",
        "editChatInviteLink",
        "revokeChatInviteLink",
        "exportChatInviteLink",
        "approveChatJoinRequest",
        "declineChatJoinRequest",
        "banChatMember",
        "unbanChatMember",
        "restrictChatMember",
        "leaveChat",
        "sendInvoice",
        "createInvoiceLink",
        "answerPreCheckoutQuery",
        "refundStarPayment",
        "getStarTransactions",
        "pinChatMessage",
        "unpinChatMessage",
        "unpinAllChatMessages",
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "getMyName",
        "getMyDescription",
        "getMyShortDescription",
        "setChatMenuButton",
        "getChatMenuButton",
        "setMyDefaultAdministratorRights",
        "getMyDefaultAdministratorRights",
        "getFile",
        "getUserProfilePhotos",
        "setMessageReaction",
        "answerShippingQuery",
        "editUserStarSubscription",
    ];
    ALL.iter().find(|m| m.eq_ignore_ascii_case(method)).copied()
}

fn not_enough(what: &str) -> ApiError {
    ApiError::bad(format!("not enough rights to {what}"))
}

impl World {
    /// Resolve `chat_id` (integer or `@username`).
    pub(crate) fn resolve_chat(&self, p: &Params, key: &str) -> ApiResult<i64> {
        let raw = p
            .str(key)
            .ok_or_else(|| ApiError::bad("chat_id is empty"))?;
        if let Some(name) = raw.strip_prefix('@') {
            return self
                .chats
                .values()
                .find(|c| {
                    c.username
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(name))
                })
                .map(|c| c.id)
                .ok_or_else(|| ApiError::bad("chat not found"));
        }
        let id: i64 = raw
            .trim()
            .parse()
            .map_err(|_| ApiError::bad("chat not found"))?;
        if self.chats.contains_key(&id) {
            return Ok(id);
        }
        if id > 0 && self.users.get(&id).is_some_and(|u| !u.is_bot) {
            // Known user without a private chat yet.
            return Ok(id);
        }
        Err(ApiError::bad("chat not found"))
    }

    /// May the bot post into this chat at all?
    pub(crate) fn check_can_send(&self, chat_id: i64) -> ApiResult<()> {
        if chat_id > 0 {
            let u = self
                .users
                .get(&chat_id)
                .ok_or_else(|| ApiError::bad("chat not found"))?;
            if u.deactivated {
                return Err(ApiError::forbidden("user is deactivated"));
            }
            if u.blocked {
                return Err(ApiError::forbidden("bot was blocked by the user"));
            }
            if !u.started && u.dm_allowed_until < now() {
                return Err(ApiError::forbidden(
                    "bot can't initiate conversation with a user",
                ));
            }
            return Ok(());
        }
        let c = self
            .chats
            .get(&chat_id)
            .ok_or_else(|| ApiError::bad("chat not found"))?;
        if let Some(to) = c.migrated_to {
            let mut e = ApiError::bad("group chat was upgraded to a supergroup chat");
            e.migrate_to = Some(to);
            return Err(e);
        }
        let kind = match c.kind {
            ChatKind::Channel => "channel",
            ChatKind::Group => "group",
            _ => "supergroup",
        };
        match c.status_of(self.bot_id) {
            MemberStatus::Left => Err(ApiError::forbidden(format!(
                "bot is not a member of the {kind} chat"
            ))),
            MemberStatus::Kicked => Err(ApiError::forbidden(format!(
                "bot was kicked from the {kind} chat"
            ))),
            MemberStatus::Administrator
                if c.kind == ChatKind::Channel
                    && !c.members[&self.bot_id].rights.can_post_messages =>
            {
                Err(ApiError::bad(
                    "need administrator rights in the channel chat",
                ))
            }
            s if c.kind == ChatKind::Channel && !s.is_admin() => Err(ApiError::bad(
                "need administrator rights in the channel chat",
            )),
            _ => Ok(()),
        }
    }

    fn bot_rights(&self, chat_id: i64) -> Option<crate::types::AdminRights> {
        let c = self.chats.get(&chat_id)?;
        let m = c.members.get(&self.bot_id)?;
        match m.status {
            MemberStatus::Creator => Some(crate::types::AdminRights::default()),
            MemberStatus::Administrator => Some(m.rights),
            _ => None,
        }
    }

    fn group_chat(&self, p: &Params) -> ApiResult<i64> {
        let id = self.resolve_chat(p, "chat_id")?;
        match self.chats.get(&id) {
            Some(c) if c.kind != ChatKind::Private => Ok(id),
            Some(_) | None => Err(ApiError::bad("chat not found")),
        }
    }

    fn user_param(&self, p: &Params) -> ApiResult<i64> {
        let u = p.req_i64("user_id")?;
        if self.users.contains_key(&u) {
            Ok(u)
        } else {
            Err(ApiError::bad("user not found"))
        }
    }

    /// Takes a flood slot for a message to `chat_id` sent with `p`: a paid broadcast
    /// (`allow_paid_broadcast`) against the paid ceiling, anything else against the free one.
    fn rate_check(&mut self, chat_id: i64, p: &Params) -> ApiResult<()> {
        let paid = p.bool("allow_paid_broadcast");
        if self.enforce_rate_limits {
            self.rate.check(chat_id, paid).map_err(ApiError::too_many)?;
        }
        if paid {
            self.paid_broadcasts += 1;
        }
        Ok(())
    }

    /// Thread + reply resolution for a new bot message.
    fn placement(&self, chat_id: i64, p: &Params) -> ApiResult<(Option<i32>, Option<Value>)> {
        let thread = p.i64("message_thread_id")?.map(|t| t as i32);
        let chat = self.chats.get(&chat_id);
        let is_forum = chat.is_some_and(|c| c.is_forum);
        let thread = if is_forum {
            thread.filter(|t| *t != 1)
        } else {
            thread
        };
        if let (Some(t), Some(c)) = (thread, chat) {
            if c.deleted_topics.contains(&t) || !self.new_topic_thread_ok(chat_id, Some(t)) {
                return Err(ApiError::bad("message thread not found"));
            }
            if c.topics.get(&t).is_some_and(|t| t.closed) {
                return Err(ApiError::bad("TOPIC_CLOSED"));
            }
        }
        let mut reply_to = p.i64("reply_to_message_id")?;
        let mut allow_without = p.bool("allow_sending_without_reply");
        if let Some(rp) = p.json("reply_parameters")? {
            reply_to = rp["message_id"].as_i64().or(reply_to);
            allow_without |= rp["allow_sending_without_reply"].as_bool().unwrap_or(false);
        }
        let mut reply_json = None;
        if let Some(r) = reply_to {
            match chat.and_then(|c| c.msg(r as i32)) {
                Some(m) => reply_json = Some(strip_reply(&m.json)),
                None if allow_without => {}
                None => return Err(ApiError::bad("message to be replied not found")),
            }
        }
        if reply_json.is_none()
            && is_forum
            && let Some(t) = thread
            && let Some(m) = chat.and_then(|c| c.msg(t))
        {
            reply_json = Some(strip_reply(&m.json));
        }
        Ok((thread, reply_json))
    }

    /// Build and store a message sent by the bot; returns the Message JSON.
    pub(crate) fn bot_post(
        &mut self,
        chat_id: i64,
        p: &Params,
        content: Map<String, Value>,
        extra: PostExtra,
    ) -> ApiResult<Value> {
        self.post(chat_id, p, content, extra)
            .map(|msg| Value::clone(&msg))
    }

    /// [`Self::bot_post`], the message as stored (for methods that answer with less of it).
    fn post(
        &mut self,
        chat_id: i64,
        p: &Params,
        content: Map<String, Value>,
        extra: PostExtra,
    ) -> ApiResult<Arc<Value>> {
        let (thread, reply) = self.placement(chat_id, p)?;
        self.rate_check(chat_id, p)?;
        self.post_placed(chat_id, thread, reply, p, content, extra)
    }

    /// [`Self::post`] once the message is placed and its flood slot taken (a method that sends
    /// several messages as one, like `copyMessages`, places them and takes the slot once).
    fn post_placed(
        &mut self,
        chat_id: i64,
        thread: Option<i32>,
        reply: Option<Value>,
        p: &Params,
        content: Map<String, Value>,
        extra: PostExtra,
    ) -> ApiResult<Arc<Value>> {
        if chat_id > 0 {
            self.ensure_private_chat(chat_id);
        }
        let id = self.alloc_message_id(chat_id);
        let is_channel = self
            .chats
            .get(&chat_id)
            .is_some_and(|c| c.kind == ChatKind::Channel);
        let is_forum = self.chats.get(&chat_id).is_some_and(|c| c.is_forum);
        let mut m = Map::new();
        m.insert("message_id".into(), json!(id));
        if let Some(t) = thread {
            m.insert("message_thread_id".into(), json!(t));
        }
        if is_channel {
            m.insert("sender_chat".into(), self.chat_json(chat_id));
        } else {
            m.insert("from".into(), self.user_json(self.bot_id));
        }
        m.insert("chat".into(), self.chat_json(chat_id));
        m.insert("date".into(), json!(now()));
        if thread.is_some() && is_forum {
            m.insert("is_topic_message".into(), json!(true));
        }
        if let Some(r) = reply {
            m.insert("reply_to_message".into(), r);
        }
        for (k, v) in content {
            m.insert(k, v);
        }
        if p.bool("protect_content") {
            m.insert("has_protected_content".into(), json!(true));
        }
        let markup = p.json("reply_markup")?;
        if chat_id > 0
            && let Some(markup) = &markup
        {
            // What the person's keyboard now offers (a new keyboard or its removal replaces it).
            if let Some(rows) = markup.get("keyboard").and_then(Value::as_array) {
                let requests = rows
                    .iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter_map(|b| b.get("request_chat").cloned())
                    .collect();
                self.chat_requests.insert(chat_id, requests);
            } else if markup.get("remove_keyboard").is_some() {
                self.chat_requests.remove(&chat_id);
            }
        }
        let (inline, reply_kb) = check_reply_markup(markup)?;
        if let Some(i) = inline {
            m.insert("reply_markup".into(), i);
        }
        let msg = Arc::new(Value::Object(m));
        self.store_message(
            chat_id,
            MsgRec {
                message_id: id,
                thread_id: thread,
                from_bot: true,
                from_id: Some(self.bot_id),
                json: Arc::clone(&msg),
                deleted: false,
                edited: false,
                copied_from: extra.copied_from,
                reply_keyboard: reply_kb,
                invoice: extra.invoice,
            },
        );
        Ok(msg)
    }

    /// `forward_origin` of a forward of message `mid` of `from_chat`.
    fn forward_origin(&self, from_chat: i64, mid: i32, src: &MsgRec) -> Value {
        match src.from_id {
            Some(u)
                if from_chat > 0
                    || self
                        .chats
                        .get(&from_chat)
                        .is_some_and(|c| c.kind != ChatKind::Channel) =>
            {
                json!({"type": "user", "sender_user": self.user_json(u), "date": src.json["date"]})
            }
            _ => {
                json!({"type": "channel", "chat": self.chat_json(from_chat), "message_id": mid, "date": src.json["date"]})
            }
        }
    }

    fn gen_file(&mut self, prefix: &str) -> (String, String) {
        let id = format!("{prefix}{}", self.rand_string(40));
        let uid = format!("AQAD{}", self.rand_string(12));
        (id, uid)
    }

    /// file_id as given, or a generated one for uploads.
    fn file_param(&mut self, p: &Params, key: &str) -> ApiResult<(String, String)> {
        match p.raw(key) {
            Some(Value::String(s)) if !s.is_empty() && !s.starts_with("attach://") => {
                let uid = format!("AQAD{}", s.chars().rev().take(12).collect::<String>());
                Ok((s.clone(), uid))
            }
            Some(_) => Ok(self.gen_file("BQACAgIAAxkBAAI")),
            None => Err(ApiError::bad(format!("there is no {key} in the request"))),
        }
    }

    fn caption_content(&self, p: &Params, m: &mut Map<String, Value>) -> ApiResult<()> {
        if let Some(c) = p.str("caption") {
            let (text, ents) = format_text(
                &c,
                p.str("parse_mode").as_deref(),
                p.json("caption_entities")?,
            )?;
            check_caption(&text)?;
            if !text.is_empty() {
                m.insert("caption".into(), json!(text));
                if !ents.is_empty() {
                    m.insert("caption_entities".into(), json!(ents));
                }
            }
        }
        Ok(())
    }

    fn send_media(&mut self, method: &str, p: &Params) -> ApiResult {
        let chat_id = self.resolve_chat(p, "chat_id")?;
        self.check_can_send(chat_id)?;
        let mut m = Map::new();
        let key = match method {
            "sendphoto" => "photo",
            "senddocument" => "document",
            "sendvideo" => "video",
            "sendaudio" => "audio",
            "sendvoice" => "voice",
            "sendanimation" => "animation",
            "sendsticker" => "sticker",
            _ => "video_note",
        };
        let (fid, uid) = self.file_param(p, key)?;
        let file_name = match p.raw(key) {
            Some(Value::Object(o)) => o
                .get("__filename")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        };
        let value = media_json(key, &fid, &uid, file_name);
        m.insert(key.into(), value);
        if key == "animation" {
            // Telegram also sets `document` for animations.
            m.insert(
                "document".into(),
                json!({"file_id": fid, "file_unique_id": uid, "file_size": 1024}),
            );
        }
        if key != "sticker" && key != "video_note" {
            self.caption_content(p, &mut m)?;
        }
        self.bot_post(chat_id, p, m, PostExtra::default())
    }

    fn find_msg_for_edit(&self, p: &Params) -> ApiResult<(i64, i32)> {
        if p.has("inline_message_id") {
            return Err(ApiError::bad("MESSAGE_ID_INVALID"));
        }
        let chat_id = self.resolve_chat(p, "chat_id")?;
        let mid = p
            .i64("message_id")?
            .ok_or_else(|| ApiError::bad("message identifier is not specified"))?
            as i32;
        let c = self
            .chats
            .get(&chat_id)
            .ok_or_else(|| ApiError::bad("chat not found"))?;
        let m = c
            .msg(mid)
            .ok_or_else(|| ApiError::bad("message to edit not found"))?;
        if !m.from_bot {
            return Err(ApiError::bad("message can't be edited"));
        }
        Ok((chat_id, mid))
    }

    fn apply_edit(
        &mut self,
        chat_id: i64,
        mid: i32,
        set: Map<String, Value>,
        remove: &[&str],
        markup: Option<Option<Value>>,
    ) -> ApiResult {
        let c = self
            .chats
            .get_mut(&chat_id)
            .ok_or_else(|| ApiError::bad("chat not found"))?;
        let m = c
            .msg_mut(mid)
            .ok_or_else(|| ApiError::bad("message to edit not found"))?;
        let mut next = Value::clone(&m.json);
        let obj = next.as_object_mut().expect("message is an object");
        for k in remove {
            obj.remove(*k);
        }
        for (k, v) in set {
            obj.insert(k, v);
        }
        match markup {
            Some(Some(mk)) => {
                obj.insert("reply_markup".into(), mk);
            }
            Some(None) => {
                obj.remove("reply_markup");
            }
            None => {}
        }
        let mut cmp_old = Value::clone(&m.json);
        if let Some(o) = cmp_old.as_object_mut() {
            o.remove("edit_date");
        }
        obj.remove("edit_date");
        if next == cmp_old {
            return Err(ApiError::bad(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            ));
        }
        next["edit_date"] = json!(now());
        m.json = Arc::new(next.clone());
        m.edited = true;
        crate::state::publish(&self.live, || crate::state::recorded(chat_id, m));
        self.messages_notify.notify_waiters();
        Ok(next)
    }

    fn edit_markup_param(&self, p: &Params) -> ApiResult<Option<Option<Value>>> {
        // Omitting reply_markup in an edit removes the inline keyboard.
        let (inline, _) = check_reply_markup(p.json("reply_markup")?)?;
        Ok(Some(inline))
    }

    fn topic_chat(&self, p: &Params, need_rights: bool, action: &str) -> ApiResult<i64> {
        let chat_id = self.group_chat(p)?;
        let c = &self.chats[&chat_id];
        if !c.is_forum {
            return Err(ApiError::bad("the chat is not a forum"));
        }
        if need_rights
            && !self
                .bot_rights(chat_id)
                .is_some_and(|r| r.can_manage_topics)
        {
            return Err(not_enough(action));
        }
        Ok(chat_id)
    }

    fn topic_param(&self, chat_id: i64, p: &Params) -> ApiResult<i32> {
        let t = p.req_i64("message_thread_id")? as i32;
        if !self.chats[&chat_id].topics.contains_key(&t) {
            return Err(ApiError::bad("message thread not found"));
        }
        Ok(t)
    }

    fn find_link_mut(&mut self, chat_id: i64, link: &str) -> ApiResult<&mut LinkRec> {
        self.chats
            .get_mut(&chat_id)
            .and_then(|c| c.links.iter_mut().find(|l| l.link == link))
            .ok_or_else(|| ApiError::bad("INVITE_HASH_EXPIRED"))
    }

    fn link_params(&self, p: &Params, l: &mut LinkRec) -> ApiResult<()> {
        if let Some(name) = p.str("name") {
            if name.chars().count() > 32 {
                return Err(ApiError::bad("invite link name is too long"));
            }
            l.name = if name.is_empty() { None } else { Some(name) };
        }
        if let Some(d) = p.i64("expire_date")? {
            if d != 0 && d < now() {
                return Err(ApiError::bad("EXPIRE_DATE_INVALID"));
            }
            l.expire_date = if d == 0 { None } else { Some(d) };
        }
        if let Some(n) = p.i64("member_limit")? {
            if !(1..=99_999).contains(&n) {
                return Err(ApiError::bad("USAGE_LIMIT_INVALID"));
            }
            l.member_limit = Some(n);
        }
        if p.has("creates_join_request") {
            l.creates_join_request = p.bool("creates_join_request");
        }
        if l.creates_join_request && l.member_limit.is_some() {
            return Err(ApiError::bad(
                "member limit can't be specified for links requiring administrator approval",
            ));
        }
        Ok(())
    }

    fn parse_invoice(&self, p: &Params) -> ApiResult<(Map<String, Value>, InvoiceRec)> {
        let title = p.str("title").unwrap_or_default();
        let description = p.str("description").unwrap_or_default();
        if title.is_empty() || title.chars().count() > 32 {
            return Err(ApiError::bad("INVOICE_TITLE_INVALID"));
        }
        if description.is_empty() || description.chars().count() > 255 {
            return Err(ApiError::bad("INVOICE_DESCRIPTION_INVALID"));
        }
        let payload = p.str("payload").unwrap_or_default();
        if payload.is_empty() || payload.len() > 128 {
            return Err(ApiError::bad("INVOICE_PAYLOAD_INVALID"));
        }
        let currency = p.str("currency").unwrap_or_default().to_ascii_uppercase();
        if currency.len() != 3 {
            return Err(ApiError::bad("CURRENCY_INVALID"));
        }
        let prices = p
            .json("prices")?
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        let provider = p.str("provider_token").unwrap_or_default();
        if currency == "XTR" {
            if prices.len() != 1 {
                return Err(ApiError::bad("STARS_INVOICE_INVALID"));
            }
            if !provider.is_empty() {
                return Err(ApiError::bad("PAYMENT_PROVIDER_INVALID"));
            }
        } else if provider.is_empty() {
            return Err(ApiError::bad("PAYMENT_PROVIDER_INVALID"));
        }
        if prices.is_empty() {
            return Err(ApiError::bad("CURRENCY_TOTAL_AMOUNT_INVALID"));
        }
        let mut total = 0i64;
        for pr in &prices {
            let amount = pr["amount"]
                .as_i64()
                .ok_or_else(|| ApiError::bad("CURRENCY_TOTAL_AMOUNT_INVALID"))?;
            if pr["label"].as_str().unwrap_or_default().is_empty() {
                return Err(ApiError::bad("LABEL_INVALID"));
            }
            total += amount;
        }
        if total <= 0 {
            return Err(ApiError::bad("CURRENCY_TOTAL_AMOUNT_INVALID"));
        }
        let subscription_period = p.i64("subscription_period")?;
        if let Some(sp) = subscription_period
            && (sp != 2_592_000 || currency != "XTR")
        {
            return Err(ApiError::bad("SUBSCRIPTION_PERIOD_INVALID"));
        }
        let mut m = Map::new();
        m.insert(
            "invoice".into(),
            json!({
                "title": title,
                "description": description,
                "start_parameter": p.str("start_parameter").unwrap_or_default(),
                "currency": currency,
                "total_amount": total,
            }),
        );
        Ok((
            m,
            InvoiceRec {
                currency,
                total_amount: total,
                payload,
                subscription_period,
            },
        ))
    }

    fn commands_key(&self, p: &Params) -> ApiResult<(String, String)> {
        let scope = p
            .json("scope")?
            .unwrap_or_else(|| json!({"type": "default"}));
        let scope = if scope.is_object() {
            scope
        } else {
            json!({"type": "default"})
        };
        Ok((
            scope.to_string(),
            p.str("language_code").unwrap_or_default(),
        ))
    }
}

#[derive(Default)]
pub(crate) struct PostExtra {
    pub copied_from: Option<(i64, i32)>,
    pub invoice: Option<InvoiceRec>,
}

/// What a copy or a forward of `src` carries, or `None` when it can be neither (service
/// messages, invoices, protected content).
fn copied_content(src: &MsgRec) -> Option<Map<String, Value>> {
    const COPYABLE: [&str; 15] = [
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
        "venue",
        "game",
    ];
    const KEEP: [&str; 18] = [
        "text",
        "entities",
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
        "venue",
        "caption",
        "caption_entities",
        "game",
    ];
    let kind = crate::state::kind_of(&src.json);
    if !COPYABLE.contains(&kind.as_str()) || src.json.get("has_protected_content").is_some() {
        return None;
    }
    Some(
        KEEP.iter()
            .filter_map(|&k| src.json.get(k).map(|v| (k.to_owned(), v.clone())))
            .collect(),
    )
}

/// `message_ids` of `copyMessages` and `forwardMessages`, checked as the Bot API server does.
fn message_ids(p: &Params) -> ApiResult<Vec<i32>> {
    let list = match p.json("message_ids")? {
        None => return Err(ApiError::bad("message identifiers are not specified")),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ApiError::bad("expected an Array of message identifiers")),
    };
    if list.len() > 100 {
        return Err(ApiError::bad("too many message identifiers specified"));
    }
    let mut ids = Vec::with_capacity(list.len());
    for v in &list {
        let parsed = match v {
            Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
            Value::String(s) => s.parse::<i32>().ok(),
            _ => return Err(ApiError::bad("message identifier must be a Number")),
        };
        match parsed {
            None => return Err(ApiError::bad("can't parse message identifier as a Number")),
            Some(id) if id <= 0 => {
                return Err(ApiError::bad("invalid message identifier specified"));
            }
            Some(id) => ids.push(id),
        }
    }
    if ids.is_empty() {
        return Err(ApiError::bad("message identifiers are not specified"));
    }
    Ok(ids)
}

/// A message as embedded in `reply_to_message` (no nested reply).
pub(crate) fn strip_reply(m: &Value) -> Value {
    let mut m = m.clone();
    if let Some(o) = m.as_object_mut() {
        o.remove("reply_to_message");
    }
    m
}

/// What a photo's file holds when downloaded: a 1×1 PNG.
pub(crate) const PHOTO_BYTES: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// The MIME type Telegram reports for a sent file: it goes by what the file is; the
/// emulator, which has no bytes, goes by the name's extension.
fn mime_of(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

pub(crate) fn media_json(key: &str, fid: &str, uid: &str, file_name: Option<String>) -> Value {
    match key {
        "photo" => json!([
            {"file_id": format!("{fid}_s"), "file_unique_id": format!("{uid}s"), "file_size": 1200, "width": 90, "height": 90},
            {"file_id": format!("{fid}_m"), "file_unique_id": format!("{uid}m"), "file_size": 12000, "width": 320, "height": 320},
            {"file_id": fid, "file_unique_id": uid, "file_size": 56000, "width": 800, "height": 800},
        ]),
        "document" => {
            let file_name = file_name.unwrap_or_else(|| "file.bin".into());
            let mime = mime_of(&file_name);
            json!({"file_id": fid, "file_unique_id": uid, "file_size": 2048,
            "file_name": file_name, "mime_type": mime})
        }
        "video" => json!({"file_id": fid, "file_unique_id": uid, "file_size": 100000, "width": 640,
            "height": 360, "duration": 5, "mime_type": "video/mp4"}),
        "animation" => {
            json!({"file_id": fid, "file_unique_id": uid, "file_size": 1024, "width": 320,
            "height": 240, "duration": 2, "mime_type": "video/mp4"})
        }
        "audio" => {
            json!({"file_id": fid, "file_unique_id": uid, "file_size": 30000, "duration": 30,
            "mime_type": "audio/mpeg"})
        }
        "voice" => json!({"file_id": fid, "file_unique_id": uid, "file_size": 8000, "duration": 3,
            "mime_type": "audio/ogg"}),
        "video_note" => {
            json!({"file_id": fid, "file_unique_id": uid, "file_size": 50000, "length": 240,
            "duration": 4})
        }
        _ => {
            json!({"file_id": fid, "file_unique_id": uid, "file_size": 9000, "width": 512, "height": 512,
            "type": "regular", "is_animated": false, "is_video": false, "emoji": "👍"})
        }
    }
}

/// Run one method. `method` is lower-case.
pub(crate) fn call(w: &mut World, method: &str, p: &Params) -> ApiResult {
    match method {
        "getme" => {
            let mut me = w.user_json(w.bot_id);
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            Ok(me)
        }
        "logout" | "close" => Ok(json!(true)),
        "setwebhook" => {
            let url = p.str("url").unwrap_or_default();
            if url.is_empty() {
                w.webhook = None;
                w.webhook_generation += 1;
                if p.bool("drop_pending_updates") {
                    w.updates.clear();
                }
                return Ok(json!(true));
            }
            if url::Url::parse(&url)
                .map(|u| !matches!(u.scheme(), "http" | "https"))
                .unwrap_or(true)
            {
                return Err(ApiError::bad(
                    "bad webhook: Failed to resolve host: Name or service not known",
                ));
            }
            let secret = p.str("secret_token").filter(|s| !s.is_empty());
            if let Some(s) = &secret
                && (s.len() > 256
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            {
                return Err(ApiError::bad("secret token contains unallowed characters"));
            }
            let max_connections = p.i64("max_connections")?.unwrap_or(40);
            if !(1..=100).contains(&max_connections) {
                return Err(ApiError::bad(
                    "bad webhook: max_connections must be between 1 and 100",
                ));
            }
            if let Some(a) = p.json("allowed_updates")? {
                w.allowed_updates = Some(string_list(&a));
            }
            if p.bool("drop_pending_updates") {
                w.updates.clear();
            }
            w.webhook_generation += 1;
            w.webhook = Some(crate::state::WebhookCfg {
                url,
                secret_token: secret,
                max_connections: max_connections as u32,
                generation: w.webhook_generation,
                last_error_date: None,
                last_error_message: None,
            });
            Ok(json!(true))
        }
        "deletewebhook" => {
            w.webhook = None;
            w.webhook_generation += 1;
            if p.bool("drop_pending_updates") {
                w.updates.clear();
            }
            Ok(json!(true))
        }
        "getwebhookinfo" => {
            let mut info = json!({
                "url": w.webhook.as_ref().map(|h| h.url.clone()).unwrap_or_default(),
                "has_custom_certificate": false,
                "pending_update_count": w.updates.len(),
            });
            if let Some(h) = &w.webhook {
                info["max_connections"] = json!(h.max_connections);
                info["ip_address"] = json!("127.0.0.1");
                if let Some(d) = h.last_error_date {
                    info["last_error_date"] = json!(d);
                    info["last_error_message"] =
                        json!(h.last_error_message.clone().unwrap_or_default());
                }
                if let Some(a) = &w.allowed_updates {
                    info["allowed_updates"] = json!(a);
                }
            }
            Ok(info)
        }
        "setmycommands" => {
            let cmds = p
                .json("commands")?
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            if cmds.len() > 100 {
                return Err(ApiError::bad("BOT_COMMANDS_TOO_MUCH"));
            }
            for c in &cmds {
                let name = c["command"].as_str().unwrap_or_default();
                let ok = !name.is_empty()
                    && name.len() <= 32
                    && name
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
                if !ok {
                    return Err(ApiError::bad("BOT_COMMAND_INVALID"));
                }
                let d = c["description"].as_str().unwrap_or_default();
                if d.is_empty() || d.chars().count() > 256 {
                    return Err(ApiError::bad("command description is empty"));
                }
            }
            let key = w.commands_key(p)?;
            w.commands.insert(key, json!(cmds));
            Ok(json!(true))
        }
        "getmycommands" => {
            let key = w.commands_key(p)?;
            Ok(w.commands.get(&key).cloned().unwrap_or_else(|| json!([])))
        }
        "deletemycommands" => {
            let key = w.commands_key(p)?;
            w.commands.remove(&key);
            Ok(json!(true))
        }
        "sendmessage" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            w.check_can_send(chat_id)?;
            let raw = p.str("text").unwrap_or_default();
            if raw.is_empty() {
                return Err(ApiError::bad("message text is empty"));
            }
            let (text, mut ents) =
                format_text(&raw, p.str("parse_mode").as_deref(), p.json("entities")?)?;
            check_text(&text)?;
            if ents.is_empty() {
                ents = auto_entities(&text);
            }
            let mut m = Map::new();
            m.insert("text".into(), json!(text));
            if !ents.is_empty() {
                m.insert("entities".into(), json!(ents));
            }
            w.bot_post(chat_id, p, m, PostExtra::default())
        }
        "sendphoto" | "senddocument" | "sendvideo" | "sendaudio" | "sendvoice"
        | "sendanimation" | "sendsticker" | "sendvideonote" => w.send_media(method, p),
        "sendlocation" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            w.check_can_send(chat_id)?;
            let lat = p
                .str("latitude")
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.0);
            let lon = p
                .str("longitude")
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.0);
            let mut m = Map::new();
            m.insert(
                "location".into(),
                json!({"latitude": lat, "longitude": lon}),
            );
            w.bot_post(chat_id, p, m, PostExtra::default())
        }
        "sendcontact" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            w.check_can_send(chat_id)?;
            let mut m = Map::new();
            m.insert(
                "contact".into(),
                json!({"phone_number": p.str("phone_number").unwrap_or_default(),
                       "first_name": p.str("first_name").unwrap_or_default()}),
            );
            w.bot_post(chat_id, p, m, PostExtra::default())
        }
        "senddice" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            w.check_can_send(chat_id)?;
            let value = (w.next_rand() % 6 + 1) as u8;
            let mut m = Map::new();
            m.insert(
                "dice".into(),
                json!({"emoji": p.str("emoji").unwrap_or_else(|| "🎲".into()), "value": value}),
            );
            w.bot_post(chat_id, p, m, PostExtra::default())
        }
        "sendchataction" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            w.check_can_send(chat_id)?;
            if p.str("action").unwrap_or_default().is_empty() {
                return Err(ApiError::bad("action is empty"));
            }
            Ok(json!(true))
        }
        "editmessagetext" => {
            let (chat_id, mid) = w.find_msg_for_edit(p)?;
            let raw = p.str("text").unwrap_or_default();
            if raw.is_empty() {
                return Err(ApiError::bad("message text is empty"));
            }
            let (text, mut ents) =
                format_text(&raw, p.str("parse_mode").as_deref(), p.json("entities")?)?;
            check_text(&text)?;
            if w.chats[&chat_id]
                .msg(mid)
                .is_some_and(|m| m.json.get("text").is_none())
            {
                return Err(ApiError::bad("there is no text in the message to edit"));
            }
            if ents.is_empty() {
                ents = auto_entities(&text);
            }
            let mut set = Map::new();
            set.insert("text".into(), json!(text));
            let mut remove = vec!["entities"];
            if !ents.is_empty() {
                set.insert("entities".into(), json!(ents));
                remove.clear();
            }
            let markup = w.edit_markup_param(p)?;
            w.apply_edit(chat_id, mid, set, &remove, markup)
        }
        "editmessagecaption" => {
            let (chat_id, mid) = w.find_msg_for_edit(p)?;
            if w.chats[&chat_id]
                .msg(mid)
                .is_some_and(|m| m.json.get("text").is_some())
            {
                return Err(ApiError::bad("there is no caption in the message to edit"));
            }
            let mut set = Map::new();
            w.caption_content(p, &mut set)?;
            let remove: Vec<&str> = if set.contains_key("caption_entities") {
                vec![]
            } else if set.contains_key("caption") {
                vec!["caption_entities"]
            } else {
                vec!["caption", "caption_entities"]
            };
            let markup = w.edit_markup_param(p)?;
            w.apply_edit(chat_id, mid, set, &remove, markup)
        }
        "editmessagereplymarkup" => {
            let (chat_id, mid) = w.find_msg_for_edit(p)?;
            let markup = w.edit_markup_param(p)?;
            w.apply_edit(chat_id, mid, Map::new(), &[], markup)
        }
        "deletemessage" | "deletemessages" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            let ids: Vec<i64> = if method == "deletemessage" {
                vec![p.req_i64("message_id")?]
            } else {
                p.json("message_ids")?
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::as_i64)
                    .collect()
            };
            let bot_id = w.bot_id;
            let can_delete_others =
                chat_id > 0 || w.bot_rights(chat_id).is_some_and(|r| r.can_delete_messages);
            let c = w
                .chats
                .get_mut(&chat_id)
                .ok_or_else(|| ApiError::bad("chat not found"))?;
            let mut deleted_any = false;
            for id in &ids {
                match c.msg_mut(*id as i32) {
                    Some(m) if m.from_id == Some(bot_id) || can_delete_others => {
                        m.deleted = true;
                        deleted_any = true;
                    }
                    Some(_) if method == "deletemessage" => {
                        return Err(ApiError::bad("message can't be deleted"));
                    }
                    None if method == "deletemessage" => {
                        return Err(ApiError::bad("message to delete not found"));
                    }
                    _ => {}
                }
            }
            if deleted_any {
                w.messages_notify.notify_waiters();
            }
            Ok(json!(true))
        }
        "answercallbackquery" => {
            let id = p.str("callback_query_id").unwrap_or_default();
            let text = p.str("text");
            if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
                return Err(ApiError::bad("MESSAGE_TOO_LONG"));
            }
            let cb = w
                .callbacks
                .get_mut(&id)
                .filter(|c| c.answer.is_none())
                .ok_or_else(|| {
                    ApiError::bad(
                        "query is too old and response timeout expired or query ID is invalid",
                    )
                })?;
            cb.answer = Some(CallbackAnswer {
                text: text.filter(|t| !t.is_empty()),
                show_alert: p.bool("show_alert"),
                url: p.str("url"),
            });
            w.messages_notify.notify_waiters();
            Ok(json!(true))
        }
        "copymessage" | "forwardmessage" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            let from_chat = w.resolve_chat(p, "from_chat_id")?;
            let mid = p.req_i64("message_id")? as i32;
            let copy = method == "copymessage";
            let what = if copy { "copy" } else { "forward" };
            let src = w
                .chats
                .get(&from_chat)
                .and_then(|c| c.msg(mid))
                .ok_or_else(|| ApiError::bad(format!("message to {what} not found")))?;
            w.check_can_send(chat_id)?;
            let Some(mut content) = copied_content(src) else {
                return Err(ApiError::bad(format!(
                    "message can't be {}",
                    if copy { "copied" } else { "forwarded" }
                )));
            };
            if copy {
                if p.has("caption") {
                    content.remove("caption");
                    content.remove("caption_entities");
                    w.caption_content(p, &mut content)?;
                }
                // Telegram answers a copy with its id only (`MessageId`).
                let msg = w.post(
                    chat_id,
                    p,
                    content,
                    PostExtra {
                        copied_from: Some((from_chat, mid)),
                        invoice: None,
                    },
                )?;
                Ok(json!({"message_id": msg["message_id"]}))
            } else {
                let origin = w.forward_origin(from_chat, mid, src);
                content.insert("forward_origin".into(), origin);
                // Forwarded messages carry no keyboard of their own.
                let mut q = p.clone();
                q.0.remove("reply_markup");
                w.bot_post(chat_id, &q, content, PostExtra::default())
            }
        }
        "copymessages" | "forwardmessages" => {
            let copy = method == "copymessages";
            // The Bot API server checks the list before it looks at any chat.
            let ids = message_ids(p)?;
            let chat_id = w.resolve_chat(p, "chat_id")?;
            let from_chat = w.resolve_chat(p, "from_chat_id")?;
            w.check_can_send(chat_id)?;
            // Only these parameters apply: no reply, no keyboard, no caption of the bot's own.
            let mut q = Params::default();
            for k in [
                "chat_id",
                "message_thread_id",
                "disable_notification",
                "protect_content",
            ] {
                if let Some(v) = p.raw(k) {
                    q.0.insert(k.into(), v.clone());
                }
            }
            let (thread, reply) = w.placement(chat_id, &q)?;
            // Messages that can't be found are skipped before anything else (the Bot API
            // server asks for them with `allow_empty`); TDLib then wants the rest in order.
            let src_chat = w.chats.get(&from_chat);
            let found: Vec<&MsgRec> = ids
                .iter()
                .filter_map(|&id| src_chat.and_then(|c| c.msg(id)))
                .collect();
            if found.is_empty() {
                // TDLib's wording, for copies too.
                return Err(ApiError::bad("there are no messages to forward"));
            }
            if found.windows(2).any(|m| m[0].message_id >= m[1].message_id) {
                return Err(ApiError::bad(
                    "message identifiers must be in a strictly increasing order",
                ));
            }
            let remove_caption = copy && p.bool("remove_caption");
            let mut batch = Vec::with_capacity(found.len());
            for src in found {
                // Those that can't be copied are skipped too.
                let Some(mut content) = copied_content(src) else {
                    continue;
                };
                if remove_caption {
                    content.remove("caption");
                    content.remove("caption_entities");
                }
                if !copy {
                    let origin = w.forward_origin(from_chat, src.message_id, src);
                    content.insert("forward_origin".into(), origin);
                }
                batch.push((src.message_id, content));
            }
            if batch.is_empty() {
                return Err(ApiError::bad("messages can't be forwarded"));
            }
            // One call, one message against the flood limits, taken before anything is sent.
            w.rate_check(chat_id, &q)?;
            let mut sent = Vec::with_capacity(batch.len());
            for (mid, content) in batch {
                let extra = PostExtra {
                    copied_from: copy.then_some((from_chat, mid)),
                    invoice: None,
                };
                let msg = w.post_placed(chat_id, thread, reply.clone(), &q, content, extra)?;
                sent.push(json!({"message_id": msg["message_id"]}));
            }
            Ok(Value::Array(sent))
        }
        "createforumtopic" => {
            let chat_id = w.topic_chat(p, true, "create a topic")?;
            let name = p.str("name").unwrap_or_default();
            if name.is_empty() || name.chars().count() > 128 {
                return Err(ApiError::bad("TOPIC_TITLE_EMPTY"));
            }
            const COLORS: [i64; 6] = [
                7_322_096, 16_766_590, 13_338_331, 9_367_192, 16_749_490, 16_478_047,
            ];
            let color = p.i64("icon_color")?.unwrap_or(COLORS[0]);
            if !COLORS.contains(&color) {
                return Err(ApiError::bad("TOPIC_ICON_COLOR_INVALID"));
            }
            w.rate_check(chat_id, p)?;
            let emoji = p.str("icon_custom_emoji_id").filter(|s| !s.is_empty());
            let bot_id = w.bot_id;
            let id = w.alloc_message_id(chat_id);
            let mut created = json!({"name": name, "icon_color": color});
            if let Some(e) = &emoji {
                created["icon_custom_emoji_id"] = json!(e);
            }
            let msg = json!({
                "message_id": id,
                "message_thread_id": id,
                "from": w.user_json(bot_id),
                "chat": w.chat_json(chat_id),
                "date": now(),
                "is_topic_message": true,
                "forum_topic_created": created,
            });
            w.chats.get_mut(&chat_id).expect("chat").topics.insert(
                id,
                Topic {
                    thread_id: id,
                    name: name.clone(),
                    icon_color: color as u32,
                    icon_custom_emoji_id: emoji.clone(),
                    closed: false,
                    created_by: bot_id,
                },
            );
            w.store_message(
                chat_id,
                MsgRec {
                    message_id: id,
                    thread_id: Some(id),
                    from_bot: true,
                    from_id: Some(bot_id),
                    json: Arc::new(msg),
                    deleted: false,
                    edited: false,
                    copied_from: None,
                    reply_keyboard: None,
                    invoice: None,
                },
            );
            let mut topic = json!({"message_thread_id": id, "name": name, "icon_color": color});
            if let Some(e) = emoji {
                topic["icon_custom_emoji_id"] = json!(e);
            }
            Ok(topic)
        }
        "editforumtopic" => {
            let chat_id = w.topic_chat(p, false, "edit a topic")?;
            let t = w.topic_param(chat_id, p)?;
            let bot_id = w.bot_id;
            let topic = w.chats[&chat_id].topics[&t].clone();
            if topic.created_by != bot_id
                && !w.bot_rights(chat_id).is_some_and(|r| r.can_manage_topics)
            {
                return Err(not_enough("edit a topic"));
            }
            let name = p.str("name").filter(|n| !n.is_empty());
            if name.as_ref().is_some_and(|n| n.chars().count() > 128) {
                return Err(ApiError::bad("TOPIC_TITLE_EMPTY"));
            }
            let emoji = p.str("icon_custom_emoji_id");
            let mut edited = Map::new();
            let mut changed = false;
            {
                let tp = w
                    .chats
                    .get_mut(&chat_id)
                    .expect("chat")
                    .topics
                    .get_mut(&t)
                    .expect("topic");
                if let Some(n) = &name
                    && *n != tp.name
                {
                    tp.name = n.clone();
                    edited.insert("name".into(), json!(n));
                    changed = true;
                }
                if let Some(e) = &emoji {
                    let e = if e.is_empty() { None } else { Some(e.clone()) };
                    if e != tp.icon_custom_emoji_id {
                        tp.icon_custom_emoji_id = e.clone();
                        edited.insert("icon_custom_emoji_id".into(), json!(e.unwrap_or_default()));
                        changed = true;
                    }
                }
            }
            if !changed {
                return Err(ApiError::bad("TOPIC_NOT_MODIFIED"));
            }
            let id = w.alloc_message_id(chat_id);
            let msg = json!({
                "message_id": id, "message_thread_id": t, "from": w.user_json(bot_id),
                "chat": w.chat_json(chat_id), "date": now(), "is_topic_message": true,
                "forum_topic_edited": Value::Object(edited),
            });
            w.store_message(
                chat_id,
                MsgRec {
                    message_id: id,
                    thread_id: Some(t),
                    from_bot: true,
                    from_id: Some(bot_id),
                    json: Arc::new(msg),
                    deleted: false,
                    edited: false,
                    copied_from: None,
                    reply_keyboard: None,
                    invoice: None,
                },
            );
            Ok(json!(true))
        }
        "closeforumtopic" | "reopenforumtopic" => {
            let chat_id = w.topic_chat(p, true, "manage topics")?;
            let t = w.topic_param(chat_id, p)?;
            let close = method == "closeforumtopic";
            let tp = w
                .chats
                .get_mut(&chat_id)
                .expect("chat")
                .topics
                .get_mut(&t)
                .expect("topic");
            if tp.closed == close {
                return Err(ApiError::bad("TOPIC_NOT_MODIFIED"));
            }
            tp.closed = close;
            Ok(json!(true))
        }
        "deleteforumtopic" => {
            let chat_id = w.topic_chat(p, false, "delete a topic")?;
            if !w.bot_rights(chat_id).is_some_and(|r| r.can_delete_messages) {
                return Err(not_enough("delete a topic"));
            }
            let t = w.topic_param(chat_id, p)?;
            w.remove_topic(chat_id, t);
            Ok(json!(true))
        }
        "getchat" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            Ok(w.chat_full_info(chat_id))
        }
        "getchatmember" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            let user = w.user_param(p)?;
            Ok(w.member_json(chat_id, user))
        }
        "getchatmembercount" | "getchatmemberscount" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            let n = w
                .chats
                .get(&chat_id)
                .map(|c| c.members.values().filter(|m| m.status.is_present()).count())
                .unwrap_or(2);
            Ok(json!(n.max(1)))
        }
        "getchatadministrators" => {
            let chat_id = w.group_chat(p)?;
            let mut ids: Vec<i64> = w.chats[&chat_id]
                .members
                .iter()
                .filter(|(_, m)| m.status.is_admin())
                .map(|(id, _)| *id)
                .collect();
            ids.sort();
            Ok(json!(
                ids.iter()
                    .map(|id| w.member_json(chat_id, *id))
                    .collect::<Vec<_>>()
            ))
        }
        "createchatinvitelink" | "exportchatinvitelink" => {
            let chat_id = w.group_chat(p)?;
            if !w.bot_rights(chat_id).is_some_and(|r| r.can_invite_users) {
                return Err(not_enough("export chat invite link"));
            }
            let code = w.rand_string(16);
            let mut l = LinkRec {
                link: format!("https://t.me/+{code}"),
                creator: w.bot_id,
                name: None,
                expire_date: None,
                member_limit: None,
                creates_join_request: false,
                is_primary: method == "exportchatinvitelink",
                is_revoked: false,
                joined: 0,
                pending: 0,
                subscription: None,
            };
            if method == "exportchatinvitelink" {
                let c = w.chats.get_mut(&chat_id).expect("chat");
                for old in c.links.iter_mut().filter(|l| l.is_primary) {
                    old.is_revoked = true;
                    old.is_primary = false;
                }
                let s = l.link.clone();
                c.links.push(l);
                return Ok(json!(s));
            }
            w.link_params(p, &mut l)?;
            let out = w.link_json(&l, false);
            w.chats.get_mut(&chat_id).expect("chat").links.push(l);
            Ok(out)
        }
        "createchatsubscriptioninvitelink" => {
            let chat_id = w.group_chat(p)?;
            if w.chats[&chat_id].kind != ChatKind::Channel {
                // Star subscriptions exist for channels only (Telegram's exact answer for a
                // group is undocumented; this is the emulator's).
                return Err(ApiError::bad("CHANNEL_INVALID"));
            }
            if !w.bot_rights(chat_id).is_some_and(|r| r.can_invite_users) {
                return Err(not_enough("create a subscription invite link"));
            }
            let period = p.req_i64("subscription_period")?;
            if period != SUBSCRIPTION_PERIOD {
                return Err(ApiError::bad("SUBSCRIPTION_PERIOD_INVALID"));
            }
            let price = p.req_i64("subscription_price")?;
            if !(1..=10_000).contains(&price) {
                return Err(ApiError::bad("SUBSCRIPTION_PRICE_INVALID"));
            }
            let code = w.rand_string(16);
            let mut l = LinkRec {
                link: format!("https://t.me/+{code}"),
                creator: w.bot_id,
                name: None,
                expire_date: None,
                member_limit: None,
                creates_join_request: false,
                is_primary: false,
                is_revoked: false,
                joined: 0,
                pending: 0,
                subscription: Some((period, price)),
            };
            if let Some(name) = p.str("name") {
                if name.chars().count() > 32 {
                    return Err(ApiError::bad("invite link name is too long"));
                }
                l.name = (!name.is_empty()).then_some(name);
            }
            let out = w.link_json(&l, false);
            w.chats.get_mut(&chat_id).expect("chat").links.push(l);
            Ok(out)
        }
        "editchatinvitelink" => {
            let chat_id = w.group_chat(p)?;
            let link = p.str("invite_link").unwrap_or_default();
            let mut l = w.find_link_mut(chat_id, &link)?.clone();
            if l.creator != w.bot_id && !w.bot_rights(chat_id).is_some_and(|r| r.can_invite_users) {
                return Err(not_enough("edit the invite link"));
            }
            if l.is_revoked {
                return Err(ApiError::bad("INVITE_HASH_EXPIRED"));
            }
            w.link_params(p, &mut l)?;
            let out = w.link_json(&l, false);
            *w.find_link_mut(chat_id, &link)? = l;
            Ok(out)
        }
        "revokechatinvitelink" => {
            let chat_id = w.group_chat(p)?;
            if !w.bot_rights(chat_id).is_some_and(|r| r.can_invite_users) {
                return Err(not_enough("revoke the invite link"));
            }
            let link = p.str("invite_link").unwrap_or_default();
            let l = w.find_link_mut(chat_id, &link)?;
            l.is_revoked = true;
            let l = l.clone();
            Ok(w.link_json(&l, false))
        }
        "approvechatjoinrequest" | "declinechatjoinrequest" => {
            let chat_id = w.group_chat(p)?;
            let user = w.user_param(p)?;
            if !w.bot_rights(chat_id).is_some_and(|r| r.can_invite_users) {
                return Err(not_enough("approve join requests"));
            }
            let req = w
                .chats
                .get_mut(&chat_id)
                .and_then(|c| c.join_requests.remove(&user))
                .ok_or_else(|| ApiError::bad("HIDE_REQUESTER_MISSING"))?;
            if let Some(link) = &req.link
                && let Ok(l) = w.find_link_mut(chat_id, link)
            {
                l.pending = (l.pending - 1).max(0);
                if method == "approvechatjoinrequest" {
                    l.joined += 1;
                }
            }
            if method == "approvechatjoinrequest" {
                if w.chats[&chat_id].status_of(user).is_present() {
                    return Err(ApiError::bad("USER_ALREADY_PARTICIPANT"));
                }
                let bot = w.bot_id;
                w.change_member(
                    chat_id,
                    user,
                    MemberStatus::Member,
                    ChangeCtx {
                        actor: Some(bot),
                        link: req.link.clone(),
                        via_join_request: true,
                        service_message: true,
                        ..Default::default()
                    },
                );
            }
            Ok(json!(true))
        }
        "banchatmember" | "kickchatmember" => {
            let chat_id = w.group_chat(p)?;
            let user = w.user_param(p)?;
            if !w
                .bot_rights(chat_id)
                .is_some_and(|r| r.can_restrict_members)
            {
                return Err(not_enough("restrict/unrestrict chat member"));
            }
            match w.chats[&chat_id].status_of(user) {
                MemberStatus::Creator => return Err(ApiError::bad("can't remove chat owner")),
                MemberStatus::Administrator if user != w.bot_id => {
                    return Err(ApiError::bad("user is an administrator of the chat"));
                }
                _ => {}
            }
            if user == w.bot_id {
                return Err(ApiError::bad("can't remove self"));
            }
            let until = World::norm_until(p.i64("until_date")?);
            let bot = w.bot_id;
            w.change_member(
                chat_id,
                user,
                MemberStatus::Kicked,
                ChangeCtx {
                    actor: Some(bot),
                    until_date: until,
                    service_message: true,
                    ..Default::default()
                },
            );
            if p.bool("revoke_messages") {
                let c = w.chats.get_mut(&chat_id).expect("chat");
                for m in c.messages.iter_mut().filter(|m| m.from_id == Some(user)) {
                    m.deleted = true;
                }
                w.messages_notify.notify_waiters();
            }
            Ok(json!(true))
        }
        "unbanchatmember" => {
            let chat_id = w.group_chat(p)?;
            let user = w.user_param(p)?;
            if !w
                .bot_rights(chat_id)
                .is_some_and(|r| r.can_restrict_members)
            {
                return Err(not_enough("restrict/unrestrict chat member"));
            }
            let status = w.chats[&chat_id].status_of(user);
            let bot = w.bot_id;
            match status {
                MemberStatus::Kicked => {
                    w.change_member(
                        chat_id,
                        user,
                        MemberStatus::Left,
                        ChangeCtx {
                            actor: Some(bot),
                            ..Default::default()
                        },
                    );
                }
                _ if p.bool("only_if_banned") => {}
                MemberStatus::Creator => return Err(ApiError::bad("can't remove chat owner")),
                MemberStatus::Administrator => {
                    return Err(ApiError::bad("user is an administrator of the chat"));
                }
                MemberStatus::Member | MemberStatus::Restricted => {
                    w.change_member(
                        chat_id,
                        user,
                        MemberStatus::Left,
                        ChangeCtx {
                            actor: Some(bot),
                            service_message: true,
                            ..Default::default()
                        },
                    );
                }
                MemberStatus::Left => {}
            }
            Ok(json!(true))
        }
        "restrictchatmember" => {
            let chat_id = w.group_chat(p)?;
            let user = w.user_param(p)?;
            if !w
                .bot_rights(chat_id)
                .is_some_and(|r| r.can_restrict_members)
            {
                return Err(not_enough("restrict/unrestrict chat member"));
            }
            let perms = p.json("permissions")?.unwrap_or_else(|| json!({}));
            let all = perms
                .as_object()
                .is_some_and(|o| !o.is_empty() && o.values().all(|v| v == &json!(true)));
            let status = if all {
                MemberStatus::Member
            } else {
                MemberStatus::Restricted
            };
            let until = match status {
                MemberStatus::Member => 0,
                _ => World::norm_until(p.i64("until_date")?),
            };
            let bot = w.bot_id;
            w.change_member(
                chat_id,
                user,
                status,
                ChangeCtx {
                    actor: Some(bot),
                    until_date: until,
                    ..Default::default()
                },
            );
            Ok(json!(true))
        }
        "leavechat" => {
            let chat_id = w.group_chat(p)?;
            let bot = w.bot_id;
            if !w.chats[&chat_id].status_of(bot).is_present() {
                return Err(ApiError::forbidden(
                    "bot is not a member of the supergroup chat",
                ));
            }
            w.change_member(chat_id, bot, MemberStatus::Left, ChangeCtx::default());
            Ok(json!(true))
        }
        "sendinvoice" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            w.check_can_send(chat_id)?;
            let (m, inv) = w.parse_invoice(p)?;
            if inv.subscription_period.is_some() {
                return Err(ApiError::bad("SUBSCRIPTION_PERIOD_INVALID"));
            }
            w.bot_post(
                chat_id,
                p,
                m,
                PostExtra {
                    copied_from: None,
                    invoice: Some(inv),
                },
            )
        }
        "createinvoicelink" => {
            let (_, inv) = w.parse_invoice(p)?;
            let link = format!("https://t.me/${}", w.rand_string(20));
            w.invoice_links
                .insert(link.clone(), InvoiceLinkRec { invoice: inv });
            Ok(json!(link))
        }
        "answerprecheckoutquery" => {
            let id = p.str("pre_checkout_query_id").unwrap_or_default();
            let ok = p.bool("ok");
            let err = p.str("error_message").filter(|s| !s.is_empty());
            if !ok && err.is_none() {
                return Err(ApiError::bad("error_message is empty"));
            }
            let tx = w.pre_checkouts.remove(&id).ok_or_else(|| {
                ApiError::bad(
                    "query is too old and response timeout expired or query ID is invalid",
                )
            })?;
            let _ = tx.send(if ok {
                Ok(())
            } else {
                Err(err.unwrap_or_default())
            });
            Ok(json!(true))
        }
        "refundstarpayment" => {
            let user = p.req_i64("user_id")?;
            let charge = p.str("telegram_payment_charge_id").unwrap_or_default();
            let c = w
                .charges
                .iter_mut()
                .find(|c| {
                    c.telegram_payment_charge_id == charge
                        && c.user_id == user
                        && c.currency == "XTR"
                })
                .ok_or_else(|| ApiError::bad("CHARGE_NOT_FOUND"))?;
            if c.refunded {
                return Err(ApiError::bad("CHARGE_ALREADY_REFUNDED"));
            }
            c.refunded = true;
            Ok(json!(true))
        }
        "edituserstarsubscription" => {
            let user = p.req_i64("user_id")?;
            let charge = p.str("telegram_payment_charge_id").unwrap_or_default();
            let canceled = match p.str("is_canceled").as_deref() {
                Some("true") => true,
                Some("false") => false,
                _ => return Err(ApiError::bad("is_canceled is empty")),
            };
            let first = w
                .charges
                .iter()
                .find(|c| c.telegram_payment_charge_id == charge && c.user_id == user)
                .ok_or_else(|| ApiError::bad("CHARGE_NOT_FOUND"))?
                .subscription
                .as_ref()
                .map(|s| s.first_charge_id.clone())
                .ok_or_else(|| ApiError::bad("SUBSCRIPTION_NOT_FOUND"))?;
            for s in w.charges.iter_mut().filter_map(|c| c.subscription.as_mut()) {
                if s.first_charge_id == first {
                    s.canceled = canceled;
                }
            }
            Ok(json!(true))
        }
        "getstartransactions" => {
            let txs: Vec<Value> = w
                .charges
                .iter()
                .filter(|c| c.currency == "XTR")
                .map(|c| {
                    json!({"id": c.telegram_payment_charge_id, "amount": c.total_amount, "date": now(),
                       "source": {"type": "user", "transaction_type": "invoice_payment",
                                  "user": w.user_json(c.user_id), "invoice_payload": c.invoice_payload}})
                })
                .collect();
            Ok(json!({"transactions": txs}))
        }
        "pinchatmessage" | "unpinchatmessage" | "unpinallchatmessages" => {
            let chat_id = w.resolve_chat(p, "chat_id")?;
            if chat_id < 0 && !w.bot_rights(chat_id).is_some_and(|r| r.can_pin_messages) {
                return Err(not_enough("manage pinned messages in the chat"));
            }
            Ok(json!(true))
        }
        "setmydescription"
        | "setmyshortdescription"
        | "setmyname"
        | "setchatmenubutton"
        | "setmydefaultadministratorrights"
        | "setmessagereaction"
        | "answershippingquery" => Ok(json!(true)),
        "getmyname" => Ok(json!({"name": w.users[&w.bot_id].first_name})),
        "getmydescription" => Ok(json!({"description": ""})),
        "getmyshortdescription" => Ok(json!({"short_description": ""})),
        "getchatmenubutton" => Ok(json!({"type": "default"})),
        "getmydefaultadministratorrights" => Ok(json!({
            "is_anonymous": false, "can_manage_chat": false, "can_delete_messages": false,
            "can_manage_video_chats": false, "can_restrict_members": false, "can_promote_members": false,
            "can_change_info": false, "can_invite_users": false, "can_post_stories": false,
            "can_edit_stories": false, "can_delete_stories": false})),
        "getfile" => {
            let fid = p.str("file_id").unwrap_or_default();
            if fid.is_empty() {
                return Err(ApiError::bad("file_id is empty"));
            }
            let unique = format!("AQAD{}", fid.chars().rev().take(12).collect::<String>());
            // Photos (their ids start as Telegram's do) are served as an image from
            // `/file/bot<token>/<file_path>`; anything else as that many zero bytes.
            if fid.starts_with("AgAC") {
                Ok(json!({"file_id": fid, "file_unique_id": unique,
                      "file_size": PHOTO_BYTES.len(), "file_path": format!("photos/{fid}.png")}))
            } else {
                Ok(json!({"file_id": fid, "file_unique_id": unique,
                      "file_size": 2048, "file_path": format!("documents/file_{}.bin", fid.len())}))
            }
        }
        "getuserprofilephotos" => Ok(json!({"total_count": 0, "photos": []})),
        _ => Err(ApiError::new(404, "Not Found")),
    }
}

fn string_list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl World {
    pub(crate) fn remove_topic(&mut self, chat_id: i64, t: i32) {
        if let Some(c) = self.chats.get_mut(&chat_id) {
            c.topics.remove(&t);
            c.deleted_topics.push(t);
            for m in c.messages.iter_mut().filter(|m| m.thread_id == Some(t)) {
                m.deleted = true;
            }
            self.messages_notify.notify_waiters();
        }
    }

    /// `ChatFullInfo` as teloxide 0.17 expects it.
    pub(crate) fn chat_full_info(&self, chat_id: i64) -> Value {
        let mut v = self.chat_json(chat_id);
        v["accent_color_id"] = json!((chat_id.unsigned_abs() % 7) as u8);
        v["max_reaction_count"] = json!(11);
        v["accepted_gift_types"] = json!({"unlimited_gifts": true, "limited_gifts": true,
            "unique_gifts": true, "premium_subscription": true});
        if let Some(c) = self.chats.get(&chat_id) {
            match c.kind {
                ChatKind::Supergroup | ChatKind::Group => {
                    v["permissions"] = json!({
                        "can_send_messages": true, "can_send_audios": true, "can_send_documents": true,
                        "can_send_photos": true, "can_send_videos": true, "can_send_video_notes": true,
                        "can_send_voice_notes": true, "can_send_polls": true, "can_send_other_messages": true,
                        "can_add_web_page_previews": true, "can_change_info": false, "can_invite_users": true,
                        "can_pin_messages": false, "can_manage_topics": false});
                }
                ChatKind::Channel | ChatKind::Private => {}
            }
            if let Some(l) = c.links.iter().find(|l| l.is_primary && !l.is_revoked) {
                v["invite_link"] = json!(l.link);
            }
        }
        v
    }

    /// Length check helper shared with the driver.
    pub(crate) fn text_len_ok(text: &str) -> bool {
        utf16_len(text) <= 4096
    }
}
