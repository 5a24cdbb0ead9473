//! Acting as people: each action emits the update Telegram would emit.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use crate::members::ChangeCtx;
use crate::methods::strip_reply;
use crate::state::{CallbackRec, ChatKind, InvoiceRec, JoinRequestRec, MsgRec, World, now};
use crate::types::{
    AdminRights, CallbackAnswer, Charge, EmulatorError, JoinOutcome, MemberStatus, OutgoingKind,
    OutgoingMessage, PaymentOutcome, SUBSCRIPTION_PERIOD, StarSubscriptionCharge,
};
use crate::validate::auto_entities;
use crate::{Emulator, methods};

impl World {
    fn check_user(&self, user: i64) -> Result<(), EmulatorError> {
        match self.users.get(&user) {
            Some(u) if !u.is_bot => Ok(()),
            _ => Err(EmulatorError::UnknownUser(user)),
        }
    }

    /// A person's message: stored and delivered as `message` / `channel_post`.
    fn user_post(
        &mut self,
        from: i64,
        chat_id: i64,
        msg: OutgoingMessage,
    ) -> Result<i32, EmulatorError> {
        self.check_user(from)?;
        if chat_id > 0 {
            if chat_id != from {
                return Err(EmulatorError::UnknownChat(chat_id));
            }
            self.ensure_private_chat(from);
            let u = self.users.get_mut(&from).expect("checked");
            u.started = true;
            if u.blocked {
                u.blocked = false;
                let bot = self.bot_id;
                self.change_member(
                    from,
                    bot,
                    MemberStatus::Member,
                    ChangeCtx {
                        actor: Some(from),
                        ..Default::default()
                    },
                );
            }
        }
        let chat = self
            .chats
            .get(&chat_id)
            .ok_or(EmulatorError::UnknownChat(chat_id))?;
        if chat_id < 0 && !chat.status_of(from).is_present() {
            return Err(EmulatorError::NotAMember(from, chat_id));
        }
        let kind = chat.kind;
        let is_forum = chat.is_forum;
        let thread = msg.thread_id.filter(|t| !(is_forum && *t == 1));
        if let Some(t) = thread
            && (chat.deleted_topics.contains(&t) || (is_forum && !chat.topics.contains_key(&t)))
        {
            return Err(EmulatorError::TopicNotFound);
        }
        let reply_json = match msg.reply_to {
            Some(r) => Some(strip_reply(
                &chat
                    .msg(r)
                    .ok_or(EmulatorError::UnknownMessage(chat_id, r))?
                    .json,
            )),
            None => thread
                .filter(|_| is_forum)
                .and_then(|t| chat.msg(t))
                .map(|m| strip_reply(&m.json)),
        };
        let replies_to_bot = msg
            .reply_to
            .and_then(|r| chat.msg(r))
            .is_some_and(|m| m.from_bot);
        let id = self.alloc_message_id(chat_id);
        let mut m = Map::new();
        m.insert("message_id".into(), json!(id));
        if let Some(t) = thread {
            m.insert("message_thread_id".into(), json!(t));
        }
        if kind == ChatKind::Channel {
            m.insert("sender_chat".into(), self.chat_json(chat_id));
        } else {
            m.insert("from".into(), self.user_json(from));
        }
        m.insert("chat".into(), self.chat_json(chat_id));
        m.insert("date".into(), json!(now()));
        if thread.is_some() && is_forum {
            m.insert("is_topic_message".into(), json!(true));
        }
        if let Some(r) = reply_json {
            m.insert("reply_to_message".into(), r);
        }
        let mut mentions_bot = false;
        match msg.kind {
            OutgoingKind::Text(t) => {
                if t.is_empty() {
                    return Err(EmulatorError::Invalid("message text is empty".into()));
                }
                if !World::text_len_ok(&t) {
                    return Err(EmulatorError::Invalid("message is too long".into()));
                }
                let ents = auto_entities(&t);
                mentions_bot = t.starts_with('/') || t.contains(&format!("@{}", self.bot_username));
                m.insert("text".into(), json!(t));
                if !ents.is_empty() {
                    m.insert("entities".into(), json!(ents));
                }
            }
            OutgoingKind::Photo { caption } => {
                let (f, u) = self.file_ids("AgACAgIAAxkBAAI");
                m.insert("photo".into(), methods::media_json("photo", &f, &u, None));
                if let Some(c) = caption {
                    m.insert("caption".into(), json!(c));
                }
            }
            OutgoingKind::Document { file_name, caption } => {
                let (f, u) = self.file_ids("BQACAgIAAxkBAAI");
                m.insert(
                    "document".into(),
                    methods::media_json("document", &f, &u, Some(file_name)),
                );
                if let Some(c) = caption {
                    m.insert("caption".into(), json!(c));
                }
            }
            OutgoingKind::Voice => {
                let (f, u) = self.file_ids("AwACAgIAAxkBAAI");
                m.insert("voice".into(), methods::media_json("voice", &f, &u, None));
            }
            OutgoingKind::Video => {
                let (f, u) = self.file_ids("BAACAgIAAxkBAAI");
                m.insert("video".into(), methods::media_json("video", &f, &u, None));
            }
            OutgoingKind::VideoNote => {
                let (f, u) = self.file_ids("DQACAgIAAxkBAAI");
                m.insert(
                    "video_note".into(),
                    methods::media_json("video_note", &f, &u, None),
                );
            }
            OutgoingKind::Audio => {
                let (f, u) = self.file_ids("CQACAgIAAxkBAAI");
                m.insert("audio".into(), methods::media_json("audio", &f, &u, None));
            }
            OutgoingKind::Sticker { emoji } => {
                let (f, u) = self.file_ids("CAACAgIAAxkBAAI");
                let mut s = methods::media_json("sticker", &f, &u, None);
                s["emoji"] = json!(emoji);
                m.insert("sticker".into(), s);
            }
            OutgoingKind::Location { lat, lon } => {
                m.insert(
                    "location".into(),
                    json!({"latitude": lat, "longitude": lon}),
                );
            }
            OutgoingKind::Contact { phone, first_name } => {
                m.insert(
                    "contact".into(),
                    json!({"phone_number": phone, "first_name": first_name, "user_id": from}),
                );
            }
            OutgoingKind::Poll { question } => {
                let pid = self.rand_digits();
                m.insert("poll".into(), json!({
                    "id": pid, "question": question,
                    "options": [{"text": "Yes", "voter_count": 0}, {"text": "No", "voter_count": 0}],
                    "total_voter_count": 0, "is_closed": false, "is_anonymous": true,
                    "type": "regular", "allows_multiple_answers": false}));
            }
            OutgoingKind::Dice => {
                let v = self.next_rand() % 6 + 1;
                m.insert("dice".into(), json!({"emoji": "🎲", "value": v}));
            }
            OutgoingKind::ChatShared {
                request_id,
                chat_id: shared,
                title,
            } => {
                let mut c = json!({"request_id": request_id, "chat_id": shared});
                if let Some(t) = title {
                    c["title"] = json!(t);
                }
                m.insert("chat_shared".into(), c);
            }
        }
        let json = Value::Object(m);
        self.store_message(
            chat_id,
            MsgRec {
                message_id: id,
                thread_id: thread,
                from_bot: false,
                from_id: Some(from),
                json: Arc::new(json.clone()),
                deleted: false,
                edited: false,
                copied_from: None,
                reply_keyboard: None,
                invoice: None,
            },
        );
        // Privacy mode: a non-admin bot in a group sees commands, mentions and replies only.
        let bot_admin = self.chats[&chat_id].status_of(self.bot_id).is_admin();
        let bot_present = chat_id > 0 || self.chats[&chat_id].status_of(self.bot_id).is_present();
        let sees = chat_id > 0 || (bot_present && (bot_admin || mentions_bot || replies_to_bot));
        if sees {
            let kind = if kind == ChatKind::Channel {
                "channel_post"
            } else {
                "message"
            };
            self.push_update(kind, json);
        }
        Ok(id)
    }

    fn file_ids(&mut self, prefix: &str) -> (String, String) {
        (
            format!("{prefix}{}", self.rand_string(40)),
            format!("AQAD{}", self.rand_string(12)),
        )
    }

    fn press(
        &mut self,
        from: i64,
        chat_id: i64,
        message_id: i32,
        data: &str,
        check: bool,
    ) -> Result<String, EmulatorError> {
        self.check_user(from)?;
        let chat = self
            .chats
            .get(&chat_id)
            .ok_or(EmulatorError::UnknownChat(chat_id))?;
        let m = chat
            .msg(message_id)
            .ok_or(EmulatorError::UnknownMessage(chat_id, message_id))?;
        if check
            && !crate::state::buttons_of(&m.json)
                .iter()
                .flatten()
                .any(|b| b.callback_data.as_deref() == Some(data))
        {
            return Err(EmulatorError::NoSuchButton(data.to_owned()));
        }
        let message = Value::clone(&m.json);
        let id = self.rand_digits();
        let q = json!({
            "id": id,
            "from": self.user_json(from),
            "message": message,
            "chat_instance": self.chat_instance(chat_id),
            "data": data,
        });
        self.callbacks
            .insert(id.clone(), CallbackRec { answer: None });
        self.push_update("callback_query", q);
        Ok(id)
    }

    fn find_link(&self, link: &str) -> Option<(i64, usize)> {
        self.chats.values().find_map(|c| {
            c.links
                .iter()
                .position(|l| l.link == link)
                .map(|i| (c.id, i))
        })
    }
}

impl Emulator {
    /// Send text as a person. In a private chat `chat_id` is the user's id.
    /// "/cmd args" gets a bot_command entity.
    pub fn send_text(&self, from: i64, chat_id: i64, text: &str) -> Result<i32, EmulatorError> {
        self.send(from, chat_id, OutgoingMessage::text(text))
    }

    /// Send any kind of message as a person.
    pub fn send(
        &self,
        from: i64,
        chat_id: i64,
        msg: OutgoingMessage,
    ) -> Result<i32, EmulatorError> {
        self.world().user_post(from, chat_id, msg)
    }

    /// Reply to a message as a person.
    pub fn reply_text(
        &self,
        from: i64,
        chat_id: i64,
        reply_to: i32,
        text: &str,
    ) -> Result<i32, EmulatorError> {
        self.send(
            from,
            chat_id,
            OutgoingMessage::text(text).reply_to(reply_to),
        )
    }

    /// Edit one's own text message (emits edited_message).
    pub fn edit_text(
        &self,
        from: i64,
        chat_id: i64,
        message_id: i32,
        text: &str,
    ) -> Result<(), EmulatorError> {
        let mut w = self.world();
        w.check_user(from)?;
        let chat = w
            .chats
            .get_mut(&chat_id)
            .ok_or(EmulatorError::UnknownChat(chat_id))?;
        let is_channel = chat.kind == ChatKind::Channel;
        let m = chat
            .msg_mut(message_id)
            .ok_or(EmulatorError::UnknownMessage(chat_id, message_id))?;
        if m.from_id != Some(from) || m.json.get("text").is_none() {
            return Err(EmulatorError::Invalid("message can't be edited".into()));
        }
        let edited = Arc::make_mut(&mut m.json);
        edited["text"] = json!(text);
        let ents = auto_entities(text);
        if ents.is_empty() {
            if let Some(o) = edited.as_object_mut() {
                o.remove("entities");
            }
        } else {
            edited["entities"] = json!(ents);
        }
        edited["edit_date"] = json!(now());
        let json = edited.clone();
        m.edited = true;
        w.messages_notify.notify_waiters();
        w.push_update(
            if is_channel {
                "edited_channel_post"
            } else {
                "edited_message"
            },
            json,
        );
        Ok(())
    }

    /// Press an inline button; Err if the message has no button with that data.
    pub fn press_button(
        &self,
        from: i64,
        chat_id: i64,
        message_id: i32,
        callback_data: &str,
    ) -> Result<String, EmulatorError> {
        self.world()
            .press(from, chat_id, message_id, callback_data, true)
    }

    /// Send arbitrary callback data for a message, as a modified client can.
    pub fn press_raw(
        &self,
        from: i64,
        chat_id: i64,
        message_id: i32,
        data: &str,
    ) -> Result<String, EmulatorError> {
        self.world().press(from, chat_id, message_id, data, false)
    }

    /// The bot's answer to a callback query, once it answered.
    pub fn callback_answer(&self, query_id: &str) -> Option<CallbackAnswer> {
        self.world()
            .callbacks
            .get(query_id)
            .and_then(|c| c.answer.clone())
    }

    /// Resolves once the bot answered the callback query.
    pub async fn wait_for_callback_answer(
        &self,
        query_id: &str,
        timeout: Duration,
    ) -> Result<CallbackAnswer, EmulatorError> {
        let notify = self.world().messages_notify.clone();
        let wait = async {
            loop {
                let n = notify.notified();
                tokio::pin!(n);
                n.as_mut().enable();
                if let Some(a) = self.callback_answer(query_id) {
                    return a;
                }
                n.await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| EmulatorError::Timeout)
    }

    /// Use an invite link: join, or file a join request for links that need approval.
    pub fn join_via_link(
        &self,
        user: i64,
        invite_link: &str,
    ) -> Result<JoinOutcome, EmulatorError> {
        let mut w = self.world();
        w.check_user(user)?;
        let (chat_id, idx) = w
            .find_link(invite_link)
            .ok_or(EmulatorError::InviteLinkNotFound)?;
        let link = w.chats[&chat_id].links[idx].clone();
        if link.is_revoked {
            return Err(EmulatorError::InviteLinkRevoked);
        }
        if link.expire_date.is_some_and(|d| d <= now()) {
            return Err(EmulatorError::InviteLinkExpired);
        }
        match w.chats[&chat_id].status_of(user) {
            MemberStatus::Kicked => return Err(EmulatorError::Banned),
            s if s.is_present() => return Ok(JoinOutcome::AlreadyMember),
            _ => {}
        }
        if link.member_limit.is_some_and(|l| link.joined >= l) {
            return Err(EmulatorError::InviteLinkLimitReached);
        }
        if link.creates_join_request {
            if w.chats[&chat_id].join_requests.contains_key(&user) {
                return Err(EmulatorError::RequestAlreadyPending);
            }
            w.file_join_request(chat_id, user, Some(link.link.clone()));
            return Ok(JoinOutcome::RequestSent);
        }
        w.chats.get_mut(&chat_id).expect("chat").links[idx].joined += 1;
        // A Star subscription link: the person paid its price to Telegram and is a member
        // until the period ends (Telegram charges again then, or removes them).
        let until_date = link.subscription.map_or(0, |(period, _)| now() + period);
        w.change_member(
            chat_id,
            user,
            MemberStatus::Member,
            ChangeCtx {
                link: Some(link.link),
                service_message: true,
                until_date,
                ..Default::default()
            },
        );
        Ok(JoinOutcome::Joined)
    }

    /// Telegram charges a Star subscriber of `chat_id` for another period: their `until_date`
    /// moves on by it (a `chat_member` update, member to member). Returns the new end.
    pub fn renew_star_subscription(&self, user: i64, chat_id: i64) -> Result<i64, EmulatorError> {
        let mut w = self.world();
        w.check_user(user)?;
        let c = w
            .chats
            .get(&chat_id)
            .ok_or(EmulatorError::UnknownChat(chat_id))?;
        let rec = c
            .members
            .get(&user)
            .filter(|m| m.status == MemberStatus::Member && m.until_date != 0)
            .ok_or(EmulatorError::NotAMember(user, chat_id))?;
        let until_date = rec.until_date.max(now()) + SUBSCRIPTION_PERIOD;
        w.change_member(
            chat_id,
            user,
            MemberStatus::Member,
            ChangeCtx {
                until_date,
                ..Default::default()
            },
        );
        Ok(until_date)
    }

    /// A Star subscription ran out (cancelled, or the Stars were not there): Telegram removes
    /// the subscriber from `chat_id` (a `chat_member` update, member to left).
    pub fn end_star_subscription(&self, user: i64, chat_id: i64) -> Result<(), EmulatorError> {
        let mut w = self.world();
        w.check_user(user)?;
        let c = w
            .chats
            .get(&chat_id)
            .ok_or(EmulatorError::UnknownChat(chat_id))?;
        if !c
            .members
            .get(&user)
            .is_some_and(|m| m.status == MemberStatus::Member && m.until_date != 0)
        {
            return Err(EmulatorError::NotAMember(user, chat_id));
        }
        w.change_member(chat_id, user, MemberStatus::Left, ChangeCtx::default());
        Ok(())
    }

    /// The person picks `chat_id` with the `request_chat` button `request_id` of the reply
    /// keyboard the bot shows them, as Telegram's client does: the button must be there, the
    /// chat must be of the kind it asks for, the person must administer the chat when the
    /// button asks for user rights, and when it asks for bot rights and the bot is not in the
    /// chat, the bot is added as an administrator with those rights. Then the `chat_shared`
    /// message goes to the bot. Returns its message id.
    pub fn share_chat(
        &self,
        user: i64,
        chat_id: i64,
        request_id: i32,
    ) -> Result<i32, EmulatorError> {
        let title = {
            let mut w = self.world();
            w.check_user(user)?;
            let request = w
                .chat_requests
                .get(&user)
                .and_then(|r| {
                    r.iter()
                        .find(|b| b["request_id"].as_i64() == Some(i64::from(request_id)))
                })
                .cloned()
                .ok_or_else(|| {
                    EmulatorError::Invalid(format!("no request_chat button {request_id} shown"))
                })?;
            let chat = w
                .chats
                .get(&chat_id)
                .ok_or_else(|| EmulatorError::Invalid(format!("no chat {chat_id}")))?;
            let is_channel = chat.kind == ChatKind::Channel;
            if request["chat_is_channel"].as_bool() != Some(is_channel) {
                return Err(EmulatorError::Invalid(
                    "the chat is not of the requested kind".into(),
                ));
            }
            if request.get("user_administrator_rights").is_some()
                && !matches!(
                    chat.status_of(user),
                    MemberStatus::Creator | MemberStatus::Administrator
                )
            {
                return Err(EmulatorError::Invalid(
                    "the person does not administer that chat".into(),
                ));
            }
            let title = request["request_title"]
                .as_bool()
                .unwrap_or(false)
                .then(|| chat.title.clone())
                .flatten();
            let bot = w.bot_id;
            if let Some(r) = request.get("bot_administrator_rights")
                && !w.chats[&chat_id].status_of(bot).is_present()
            {
                let flag = |k: &str| r[k].as_bool().unwrap_or(false);
                let rights = AdminRights {
                    can_manage_chat: true,
                    can_delete_messages: flag("can_delete_messages"),
                    can_restrict_members: flag("can_restrict_members"),
                    can_promote_members: flag("can_promote_members"),
                    can_change_info: flag("can_change_info"),
                    can_invite_users: flag("can_invite_users"),
                    can_pin_messages: flag("can_pin_messages"),
                    can_manage_topics: flag("can_manage_topics"),
                    can_post_messages: flag("can_post_messages"),
                    can_edit_messages: flag("can_edit_messages"),
                };
                w.change_member(
                    chat_id,
                    bot,
                    MemberStatus::Administrator,
                    ChangeCtx {
                        actor: Some(user),
                        rights: Some(rights),
                        ..Default::default()
                    },
                );
            }
            title
        };
        self.send(
            user,
            user,
            OutgoingMessage::new(OutgoingKind::ChatShared {
                request_id,
                chat_id,
                title,
            }),
        )
    }

    /// Ask to join a chat directly (no link).
    pub fn request_join(&self, user: i64, chat_id: i64) -> Result<(), EmulatorError> {
        let mut w = self.world();
        w.check_user(user)?;
        let c = w
            .chats
            .get(&chat_id)
            .ok_or(EmulatorError::UnknownChat(chat_id))?;
        match c.status_of(user) {
            MemberStatus::Kicked => return Err(EmulatorError::Banned),
            s if s.is_present() => return Err(EmulatorError::Invalid("already a member".into())),
            _ => {}
        }
        if c.join_requests.contains_key(&user) {
            return Err(EmulatorError::RequestAlreadyPending);
        }
        w.file_join_request(chat_id, user, None);
        Ok(())
    }

    /// Leave a group or channel (emits chat_member and a left_chat_member service
    /// message). To leave a private chat use [`Emulator::block_bot`].
    pub fn leave_chat(&self, user: i64, chat_id: i64) -> Result<(), EmulatorError> {
        let mut w = self.world();
        w.check_user(user)?;
        let c = w
            .chats
            .get(&chat_id)
            .ok_or(EmulatorError::UnknownChat(chat_id))?;
        if !c.status_of(user).is_present() {
            return Err(EmulatorError::NotAMember(user, chat_id));
        }
        w.change_member(
            chat_id,
            user,
            MemberStatus::Left,
            ChangeCtx {
                service_message: true,
                ..Default::default()
            },
        );
        Ok(())
    }

    /// Pay an invoice message: emits pre_checkout_query, waits up to 10 s for the answer,
    /// then emits the successful_payment message.
    pub async fn pay_invoice(
        &self,
        user: i64,
        chat_id: i64,
        message_id: i32,
    ) -> Result<PaymentOutcome, EmulatorError> {
        let inv = {
            let w = self.world();
            w.check_user(user)?;
            let c = w
                .chats
                .get(&chat_id)
                .ok_or(EmulatorError::UnknownChat(chat_id))?;
            let m = c
                .msg(message_id)
                .ok_or(EmulatorError::UnknownMessage(chat_id, message_id))?;
            m.invoice.clone().ok_or(EmulatorError::NotAnInvoice)?
        };
        self.pay(user, chat_id, inv, Duration::from_secs(10)).await
    }

    /// Pay through a link from createInvoiceLink (the payment message lands in the
    /// user's private chat with the bot).
    pub async fn pay_invoice_link(
        &self,
        user: i64,
        link: &str,
    ) -> Result<PaymentOutcome, EmulatorError> {
        let inv = {
            let w = self.world();
            w.check_user(user)?;
            w.invoice_links
                .get(link)
                .map(|l| l.invoice.clone())
                .ok_or(EmulatorError::NotAnInvoice)?
        };
        self.pay(user, user, inv, Duration::from_secs(10)).await
    }

    /// Telegram charges the next period of a bot's Star subscription (from `createInvoiceLink`
    /// with `subscription_period`) that `charge_id` paid: a `successful_payment` with
    /// `is_recurring` (not `is_first_recurring`), the same payload, a new charge id and the
    /// period after. A subscription cancelled with `editUserStarSubscription` is not renewed
    /// (`Declined`).
    pub fn charge_star_subscription(
        &self,
        user: i64,
        charge_id: &str,
    ) -> Result<PaymentOutcome, EmulatorError> {
        let mut w = self.world();
        w.check_user(user)?;
        let latest = w
            .charges
            .iter()
            .filter(|c| c.user_id == user)
            .filter(|c| {
                c.subscription.as_ref().is_some_and(|s| {
                    s.first_charge_id == charge_id || c.telegram_payment_charge_id == charge_id
                })
            })
            .max_by_key(|c| c.subscription.as_ref().map_or(0, |s| s.expiration))
            .cloned()
            .ok_or(EmulatorError::NotAnInvoice)?;
        let sub = latest.subscription.clone().expect("a subscription charge");
        if sub.canceled {
            return Ok(PaymentOutcome::Declined(
                "the subscription was cancelled".into(),
            ));
        }
        let new_id = format!("stxn_{}", w.rand_string(24));
        let expiration = sub.expiration + sub.period;
        let sp = json!({
            "currency": latest.currency,
            "total_amount": latest.total_amount,
            "invoice_payload": latest.invoice_payload,
            "telegram_payment_charge_id": new_id,
            "provider_payment_charge_id": "",
            "subscription_expiration_date": expiration,
            "is_recurring": true,
        });
        w.charges.push(Charge {
            telegram_payment_charge_id: new_id.clone(),
            refunded: false,
            subscription: Some(StarSubscriptionCharge { expiration, ..sub }),
            ..latest
        });
        w.ensure_private_chat(user);
        let id = w.alloc_message_id(user);
        let msg = json!({
            "message_id": id,
            "from": w.user_json(user),
            "chat": w.chat_json(user),
            "date": now(),
            "successful_payment": sp,
        });
        w.store_message(
            user,
            MsgRec {
                message_id: id,
                thread_id: None,
                from_bot: false,
                from_id: Some(user),
                json: Arc::new(msg.clone()),
                deleted: false,
                edited: false,
                copied_from: None,
                reply_keyboard: None,
                invoice: None,
            },
        );
        w.push_update("message", msg);
        Ok(PaymentOutcome::Paid { charge_id: new_id })
    }

    /// Whether the Star subscription `charge_id` belongs to was cancelled.
    pub fn star_subscription_canceled(&self, charge_id: &str) -> Option<bool> {
        let w = self.world();
        let first = w
            .charges
            .iter()
            .find(|c| c.telegram_payment_charge_id == charge_id)?
            .subscription
            .as_ref()?
            .first_charge_id
            .clone();
        w.charges
            .iter()
            .filter_map(|c| c.subscription.as_ref())
            .rfind(|s| s.first_charge_id == first)
            .map(|s| s.canceled)
    }

    async fn pay(
        &self,
        user: i64,
        chat_id: i64,
        inv: InvoiceRec,
        wait: Duration,
    ) -> Result<PaymentOutcome, EmulatorError> {
        let (tx, rx) = oneshot::channel();
        let qid = {
            let mut w = self.world();
            let qid = w.rand_digits();
            w.pre_checkouts.insert(qid.clone(), tx);
            let q = json!({
                "id": qid,
                "from": w.user_json(user),
                "currency": inv.currency,
                "total_amount": inv.total_amount,
                "invoice_payload": inv.payload,
            });
            w.push_update("pre_checkout_query", q);
            qid
        };
        let answer = tokio::time::timeout(wait, rx).await;
        let answer = match answer {
            Ok(Ok(a)) => a,
            _ => {
                self.world().pre_checkouts.remove(&qid);
                return Ok(PaymentOutcome::TimedOut);
            }
        };
        if let Err(msg) = answer {
            return Ok(PaymentOutcome::Declined(msg));
        }
        let mut w = self.world();
        let charge_id = format!("stxn_{}", w.rand_string(24));
        let provider = if inv.currency == "XTR" {
            String::new()
        } else {
            format!("ch_{}", w.rand_string(24))
        };
        let mut sp = json!({
            "currency": inv.currency,
            "total_amount": inv.total_amount,
            "invoice_payload": inv.payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": provider,
        });
        let subscription = inv.subscription_period.map(|period| {
            sp["subscription_expiration_date"] = json!(now() + period);
            sp["is_recurring"] = json!(true);
            sp["is_first_recurring"] = json!(true);
            StarSubscriptionCharge {
                first_charge_id: charge_id.clone(),
                period,
                expiration: now() + period,
                canceled: false,
            }
        });
        w.charges.push(Charge {
            user_id: user,
            telegram_payment_charge_id: charge_id.clone(),
            provider_payment_charge_id: provider,
            currency: inv.currency.clone(),
            total_amount: inv.total_amount,
            invoice_payload: inv.payload.clone(),
            refunded: false,
            subscription,
        });
        if chat_id > 0 {
            w.ensure_private_chat(chat_id);
        }
        let id = w.alloc_message_id(chat_id);
        let msg = json!({
            "message_id": id,
            "from": w.user_json(user),
            "chat": w.chat_json(chat_id),
            "date": now(),
            "successful_payment": sp,
        });
        w.store_message(
            chat_id,
            MsgRec {
                message_id: id,
                thread_id: None,
                from_bot: false,
                from_id: Some(user),
                json: Arc::new(msg.clone()),
                deleted: false,
                edited: false,
                copied_from: None,
                reply_keyboard: None,
                invoice: None,
            },
        );
        w.push_update("message", msg);
        Ok(PaymentOutcome::Paid { charge_id })
    }

    /// The user blocks the bot (emits my_chat_member: kicked).
    pub fn block_bot(&self, user: i64) {
        let mut w = self.world();
        if w.check_user(user).is_err() {
            return;
        }
        w.ensure_private_chat(user);
        w.users.get_mut(&user).expect("checked").blocked = true;
        let bot = w.bot_id;
        w.change_member(
            user,
            bot,
            MemberStatus::Kicked,
            ChangeCtx {
                actor: Some(user),
                ..Default::default()
            },
        );
    }

    /// The user unblocks the bot (emits my_chat_member: member).
    pub fn unblock_bot(&self, user: i64) {
        let mut w = self.world();
        if w.check_user(user).is_err() {
            return;
        }
        w.ensure_private_chat(user);
        w.users.get_mut(&user).expect("checked").blocked = false;
        let bot = w.bot_id;
        w.change_member(
            user,
            bot,
            MemberStatus::Member,
            ChangeCtx {
                actor: Some(user),
                ..Default::default()
            },
        );
    }

    /// The account is deleted: the bot gets 403 "user is deactivated".
    pub fn deactivate_user(&self, user: i64) {
        if let Some(u) = self.world().users.get_mut(&user) {
            u.deactivated = true;
        }
    }

    /// An admin deletes a forum topic; sends into it answer "message thread not found".
    pub fn delete_topic(&self, chat_id: i64, thread_id: i32) {
        self.world().remove_topic(chat_id, thread_id);
    }

    /// A person (an admin) creates an invite link; it is masked in updates the bot sees.
    pub fn admin_create_invite_link(
        &self,
        admin: i64,
        chat_id: i64,
        creates_join_request: bool,
    ) -> Result<String, EmulatorError> {
        let mut w = self.world();
        w.check_user(admin)?;
        if !w.chats.contains_key(&chat_id) {
            return Err(EmulatorError::UnknownChat(chat_id));
        }
        let link = format!("https://t.me/+{}", w.rand_string(16));
        w.chats
            .get_mut(&chat_id)
            .expect("chat")
            .links
            .push(crate::state::LinkRec {
                link: link.clone(),
                creator: admin,
                name: None,
                expire_date: None,
                member_limit: None,
                creates_join_request,
                is_primary: false,
                is_revoked: false,
                joined: 0,
                pending: 0,
                subscription: None,
            });
        Ok(link)
    }

    /// Put a raw update into the queue; returns the update_id assigned.
    pub fn inject_update(&self, update: Value) -> i64 {
        let mut w = self.world();
        let (kind, payload) = update
            .as_object()
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.as_str() != "update_id")
                    .map(|(k, v)| (k.clone(), v.clone()))
            })
            .unwrap_or_else(|| ("message".to_owned(), update.clone()));
        w.push_update_unfiltered(&kind, payload)
    }
}

impl World {
    fn file_join_request(&mut self, chat_id: i64, user: i64, link: Option<String>) {
        let date = now();
        let c = self.chats.get_mut(&chat_id).expect("chat");
        c.join_requests
            .insert(user, JoinRequestRec { link: link.clone() });
        if let Some(l) = link
            .as_ref()
            .and_then(|l| c.links.iter_mut().find(|x| &x.link == l))
        {
            l.pending += 1;
        }
        if let Some(u) = self.users.get_mut(&user) {
            u.dm_allowed_until = date + 300;
        }
        let mut upd = json!({
            "chat": self.chat_json(chat_id),
            "from": self.user_json(user),
            "user_chat_id": user,
            "date": date,
        });
        if let Some(l) = link
            .as_ref()
            .and_then(|l| self.chats[&chat_id].links.iter().find(|x| &x.link == l))
        {
            upd["invite_link"] = self.link_json_for_update(l);
        }
        self.push_update("chat_join_request", upd);
    }
}
