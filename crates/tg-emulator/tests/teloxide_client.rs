//! A real teloxide 0.17 client against the emulator: every response must parse.

mod common;

use std::time::Duration;

use common::{drain, setup, subscribe_all, user};
use teloxide::prelude::*;
use teloxide::types::{
    ChatMemberKind, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LabeledPrice, MessageId,
    ParseMode, ThreadId, UpdateKind,
};
use teloxide::{ApiError, RequestError};
use tg_emulator::{JoinOutcome, MemberStatus, OutgoingKind, OutgoingMessage, PaymentOutcome};

#[tokio::test]
async fn get_me_parses_into_teloxide_me() {
    let (emu, bot) = setup().await;
    let me = bot.get_me().await.unwrap();
    assert_eq!(me.id.0 as i64, emu.bot_id());
    assert_eq!(me.username(), emu.bot_username());
    assert!(me.user.is_bot);
}

#[tokio::test]
async fn a_user_message_arrives_as_a_message_update_with_a_command_entity() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    emu.send_text(alice, alice, "/start ref_42").unwrap();
    let ups = drain(&bot).await;
    assert_eq!(ups.len(), 1);
    let UpdateKind::Message(m) = &ups[0].kind else {
        panic!("{:?}", ups[0].kind)
    };
    assert_eq!(m.text(), Some("/start ref_42"));
    assert_eq!(m.chat.id.0, alice);
    assert_eq!(m.from.as_ref().unwrap().first_name, "Alice");
    assert_eq!(
        m.entities().unwrap()[0].kind,
        teloxide::types::MessageEntityKind::BotCommand
    );
    assert_eq!(emu.pending_updates(), 0);
    assert_eq!(emu.delivered_update_count(), 1);
}

#[tokio::test]
async fn every_update_kind_parses_in_teloxide() {
    let (emu, bot) = setup().await;
    subscribe_all(&bot).await;
    let alice = user(&emu, "Alice");
    let group = emu.create_supergroup("Paid group", true);
    emu.send_text(alice, alice, "hi").unwrap();
    let mid = emu.send_text(alice, alice, "typo").unwrap();
    emu.edit_text(alice, alice, mid, "fixed").unwrap();
    let sent = bot
        .send_message(ChatId(alice), "pick")
        .reply_markup(InlineKeyboardMarkup::new(vec![vec![
            InlineKeyboardButton::callback("A", "a"),
        ]]))
        .await
        .unwrap();
    emu.press_button(alice, alice, sent.id.0, "a").unwrap();
    emu.add_member(group, alice, MemberStatus::Member);
    emu.set_bot_rights(group, MemberStatus::Member);
    emu.request_join(user(&emu, "Bob"), group).unwrap();
    let inv = bot
        .send_invoice(
            ChatId(alice),
            "Sub",
            "Monthly",
            "payload-1",
            "XTR",
            vec![LabeledPrice::new("Month", 100)],
        )
        .await
        .unwrap();
    let emu2 = emu.clone();
    let pay = tokio::spawn(async move { emu2.pay_invoice(alice, alice, inv.id.0).await });
    let mut kinds = Vec::new();
    let mut offset = 0i32;
    while !kinds.iter().any(|k: &String| k == "pre_checkout") {
        let ups = bot.get_updates().offset(offset).timeout(5).await.unwrap();
        for u in ups {
            offset = u.id.0 as i32 + 1;
            let k = match &u.kind {
                UpdateKind::Message(_) => "message",
                UpdateKind::EditedMessage(_) => "edited",
                UpdateKind::CallbackQuery(q) => {
                    assert_eq!(q.data.as_deref(), Some("a"));
                    assert!(q.regular_message().is_some());
                    "callback"
                }
                UpdateKind::ChatMember(c) => {
                    assert!(c.new_chat_member.is_member());
                    "chat_member"
                }
                UpdateKind::MyChatMember(c) => {
                    assert!(c.new_chat_member.is_member());
                    "my_chat_member"
                }
                UpdateKind::ChatJoinRequest(r) => {
                    assert_eq!(r.chat.id.0, group);
                    "join_request"
                }
                UpdateKind::PreCheckoutQuery(q) => {
                    assert_eq!(q.invoice_payload, "payload-1");
                    assert_eq!(q.total_amount, 100);
                    bot.answer_pre_checkout_query(q.id.clone(), true)
                        .await
                        .unwrap();
                    "pre_checkout"
                }
                other => panic!("unexpected update {other:?}"),
            };
            kinds.push(k.to_owned());
        }
    }
    for k in [
        "message",
        "edited",
        "callback",
        "chat_member",
        "my_chat_member",
        "join_request",
    ] {
        assert!(kinds.iter().any(|x| x == k), "missing {k} in {kinds:?}");
    }
    let PaymentOutcome::Paid { charge_id } = pay.await.unwrap().unwrap() else {
        panic!()
    };
    let ups = drain(&bot).await;
    let paid = ups
        .iter()
        .find_map(|u| match &u.kind {
            UpdateKind::Message(m) => m.successful_payment().cloned(),
            _ => None,
        })
        .expect("successful_payment message");
    assert_eq!(paid.telegram_payment_charge_id.0, charge_id);
    assert_eq!(paid.currency, "XTR");
    bot.refund_star_payment(
        UserId(alice as u64),
        paid.telegram_payment_charge_id.clone(),
    )
    .await
    .unwrap();
    let again = bot
        .refund_star_payment(UserId(alice as u64), paid.telegram_payment_charge_id)
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("CHARGE_ALREADY_REFUNDED"),
        "{again}"
    );
}

#[tokio::test]
async fn a_declined_pre_checkout_returns_the_error_message() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    emu.send_text(alice, alice, "/start").unwrap();
    let inv = bot
        .send_invoice(
            ChatId(alice),
            "Sub",
            "Monthly",
            "p",
            "XTR",
            vec![LabeledPrice::new("Month", 5)],
        )
        .await
        .unwrap();
    drain(&bot).await;
    let emu2 = emu.clone();
    let pay = tokio::spawn(async move { emu2.pay_invoice(alice, alice, inv.id.0).await });
    let q = loop {
        let ups = bot.get_updates().timeout(5).await.unwrap();
        if let Some(q) = ups.iter().find_map(|u| match &u.kind {
            UpdateKind::PreCheckoutQuery(q) => Some(q.clone()),
            _ => None,
        }) {
            break q;
        }
    };
    bot.answer_pre_checkout_query(q.id, false)
        .error_message("Sold out")
        .await
        .unwrap();
    assert_eq!(
        pay.await.unwrap().unwrap(),
        PaymentOutcome::Declined("Sold out".into())
    );
}

#[tokio::test]
async fn send_message_with_inline_keyboard_records_buttons_and_callback_answer() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    emu.send_text(alice, alice, "/start").unwrap();
    let kb = InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Buy", "buy:1"),
        InlineKeyboardButton::url("Site", url::Url::parse("https://example.com").unwrap()),
    ]]);
    let m = bot
        .send_message(ChatId(alice), "<b>Plans</b> &amp; prices")
        .parse_mode(ParseMode::Html)
        .reply_markup(kb)
        .await
        .unwrap();
    assert_eq!(m.text(), Some("Plans & prices"));
    let rec = emu.last_bot_message(alice).unwrap();
    assert_eq!(rec.buttons[0][0].callback_data.as_deref(), Some("buy:1"));
    assert_eq!(
        rec.buttons[0][1].url.as_deref(),
        Some("https://example.com/")
    );
    assert!(emu.press_button(alice, alice, m.id.0, "nope").is_err());
    let qid = emu.press_button(alice, alice, m.id.0, "buy:1").unwrap();
    let ups = drain(&bot).await;
    let q = ups
        .iter()
        .find_map(|u| match &u.kind {
            UpdateKind::CallbackQuery(q) => Some(q.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(q.id.0, qid);
    bot.answer_callback_query(q.id.clone())
        .text("Done")
        .show_alert(true)
        .await
        .unwrap();
    let a = emu.callback_answer(&qid).unwrap();
    assert_eq!(a.text.as_deref(), Some("Done"));
    assert!(a.show_alert);
    let err = bot.answer_callback_query(q.id).await.unwrap_err();
    assert!(err.to_string().contains("query is too old"));
}

#[tokio::test]
async fn edit_message_text_applies_and_identical_edit_is_not_modified() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    emu.send_text(alice, alice, "/start").unwrap();
    let m = bot.send_message(ChatId(alice), "one").await.unwrap();
    let e = bot
        .edit_message_text(ChatId(alice), m.id, "two")
        .await
        .unwrap();
    assert_eq!(e.text(), Some("two"));
    assert!(e.edit_date().is_some());
    let rec = emu.bot_messages(alice);
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].text.as_deref(), Some("two"));
    assert!(rec[0].edited);
    let err = bot
        .edit_message_text(ChatId(alice), m.id, "two")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageNotModified)),
        "{err:?}"
    );
    let err = bot
        .edit_message_text(ChatId(alice), MessageId(999), "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageToEditNotFound)),
        "{err:?}"
    );
    bot.delete_message(ChatId(alice), m.id).await.unwrap();
    assert!(emu.bot_messages(alice).is_empty());
}

#[tokio::test]
async fn a_message_view_keeps_what_it_saw_when_the_message_is_edited_later() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    let mid = emu.send_text(alice, alice, "typo").unwrap();
    let sent = bot.send_message(ChatId(alice), "one").await.unwrap();
    let before = emu.messages(alice);
    emu.edit_text(alice, alice, mid, "fixed").unwrap();
    bot.edit_message_text(ChatId(alice), sent.id, "two")
        .await
        .unwrap();
    let text_of = |views: &[tg_emulator::Recorded], id: i32| {
        let m = views.iter().find(|m| m.message_id == id).unwrap();
        (m.raw["text"].clone(), m.raw.get("edit_date").is_some())
    };
    assert_eq!(text_of(&before, mid), (serde_json::json!("typo"), false));
    assert_eq!(
        text_of(&before, sent.id.0),
        (serde_json::json!("one"), false)
    );
    let after = emu.messages(alice);
    assert_eq!(text_of(&after, mid), (serde_json::json!("fixed"), true));
    assert_eq!(text_of(&after, sent.id.0), (serde_json::json!("two"), true));
}

#[tokio::test]
async fn create_forum_topic_copy_into_it_and_deleted_topic_is_thread_not_found() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    let forum = emu.create_supergroup("Support", true);
    let user_msg = emu.send_text(alice, alice, "help me").unwrap();
    let topic = bot
        .create_forum_topic(ChatId(forum), "Alice #1")
        .await
        .unwrap();
    let tid = topic.thread_id;
    assert_eq!(emu.topics(forum)[0].name, "Alice #1");
    assert_eq!(emu.messages(forum)[0].kind, "forum_topic_created");
    let copied = bot
        .copy_message(ChatId(forum), ChatId(alice), MessageId(user_msg))
        .message_thread_id(tid)
        .await
        .unwrap();
    let rec = emu
        .bot_messages(forum)
        .into_iter()
        .find(|m| m.message_id == copied.0)
        .unwrap();
    assert_eq!(rec.thread_id, Some(tid.0.0));
    assert_eq!(rec.copied_from, Some((alice, user_msg)));
    assert_eq!(rec.text.as_deref(), Some("help me"));
    assert_eq!(rec.raw["is_topic_message"], true);
    // An admin answers inside the topic; the bot receives it with the thread id.
    let admin = user(&emu, "Admin");
    emu.add_member(forum, admin, MemberStatus::Administrator);
    drain(&bot).await;
    emu.send(
        admin,
        forum,
        OutgoingMessage::text("hello").in_thread(tid.0.0),
    )
    .unwrap();
    let ups = drain(&bot).await;
    let UpdateKind::Message(m) = &ups.last().unwrap().kind else {
        panic!()
    };
    assert_eq!(m.thread_id, Some(tid));
    assert!(m.is_topic_message);
    emu.delete_topic(forum, tid.0.0);
    let err = bot
        .send_message(ChatId(forum), "still there?")
        .message_thread_id(tid)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("message thread not found"),
        "{err}"
    );
    let err = bot
        .send_message(ChatId(forum), "x")
        .message_thread_id(ThreadId(MessageId(4242)))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("message thread not found"),
        "{err}"
    );
}

#[tokio::test]
async fn invoices_and_service_messages_cannot_be_copied() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    emu.send_text(alice, alice, "/start").unwrap();
    let forum = emu.create_supergroup("Support", true);
    let inv = bot
        .send_invoice(
            ChatId(alice),
            "T",
            "D",
            "p",
            "XTR",
            vec![LabeledPrice::new("x", 1)],
        )
        .await
        .unwrap();
    let err = bot
        .copy_message(ChatId(forum), ChatId(alice), inv.id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("message can't be copied"), "{err}");
    let err = bot
        .copy_message(ChatId(forum), ChatId(alice), MessageId(777))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("message to copy not found"),
        "{err}"
    );
}

#[tokio::test]
async fn create_forum_topic_needs_a_forum_and_rights() {
    let (emu, bot) = setup().await;
    let plain = emu.create_supergroup("Plain", false);
    let err = bot
        .create_forum_topic(ChatId(plain), "x")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the chat is not a forum"), "{err}");
    let forum = emu.create_supergroup("Forum", true);
    emu.set_bot_rights(forum, MemberStatus::Member);
    let err = bot
        .create_forum_topic(ChatId(forum), "x")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("not enough rights to create a topic"),
        "{err}"
    );
}

#[tokio::test]
async fn get_chat_parses_as_chat_full_info_for_every_chat_type() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    emu.send_text(alice, alice, "/start").unwrap();
    let sg = emu.create_supergroup("Group", true);
    let ch = emu.create_channel("News");
    let a = bot.get_chat(ChatId(sg)).await.unwrap();
    assert!(a.is_supergroup());
    assert_eq!(a.title(), Some("Group"));
    let b = bot.get_chat(ChatId(ch)).await.unwrap();
    assert!(b.is_channel());
    let c = bot.get_chat(ChatId(alice)).await.unwrap();
    assert!(c.is_private());
    let err = bot.get_chat(ChatId(-100_999)).await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ChatNotFound)),
        "{err:?}"
    );
}

#[tokio::test]
async fn get_chat_member_parses_every_status() {
    let (emu, bot) = setup().await;
    let sg = emu.create_supergroup("Group", false);
    let statuses = [
        MemberStatus::Creator,
        MemberStatus::Administrator,
        MemberStatus::Member,
        MemberStatus::Restricted,
        MemberStatus::Left,
        MemberStatus::Kicked,
    ];
    for st in statuses {
        let u = user(&emu, "U");
        emu.add_member(sg, u, st);
        let m = bot
            .get_chat_member(ChatId(sg), UserId(u as u64))
            .await
            .unwrap();
        let ok = matches!(
            (st, &m.kind),
            (MemberStatus::Creator, ChatMemberKind::Owner(_))
                | (
                    MemberStatus::Administrator,
                    ChatMemberKind::Administrator(_)
                )
                | (MemberStatus::Member, ChatMemberKind::Member(_))
                | (MemberStatus::Restricted, ChatMemberKind::Restricted(_))
                | (MemberStatus::Left, ChatMemberKind::Left)
                | (MemberStatus::Kicked, ChatMemberKind::Banned(_))
        );
        assert!(ok, "{st:?} parsed as {:?}", m.kind);
    }
    let me = bot
        .get_chat_member(ChatId(sg), UserId(emu.bot_id() as u64))
        .await
        .unwrap();
    assert!(me.is_administrator());
    let admins = bot.get_chat_administrators(ChatId(sg)).await.unwrap();
    assert_eq!(admins.len(), 3);
    let n = bot.get_chat_member_count(ChatId(sg)).await.unwrap();
    assert_eq!(n, 5);
}

#[tokio::test]
async fn invite_links_join_and_report_the_link_in_chat_member_updates() {
    let (emu, bot) = setup().await;
    subscribe_all(&bot).await;
    let sg = emu.create_supergroup("Paid", false);
    let alice = user(&emu, "Alice");
    let bob = user(&emu, "Bob");
    let link = bot
        .create_chat_invite_link(ChatId(sg))
        .name("order-1")
        .member_limit(1)
        .await
        .unwrap();
    assert!(link.invite_link.starts_with("https://t.me/+"));
    assert_eq!(link.member_limit, Some(1));
    assert_eq!(
        emu.join_via_link(alice, &link.invite_link).unwrap(),
        JoinOutcome::Joined
    );
    assert_eq!(
        emu.join_via_link(bob, &link.invite_link),
        Err(tg_emulator::EmulatorError::InviteLinkLimitReached)
    );
    let ups = drain(&bot).await;
    let cm = ups
        .iter()
        .find_map(|u| match &u.kind {
            UpdateKind::ChatMember(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(cm.new_chat_member.user.id.0 as i64, alice);
    assert_eq!(cm.invite_link.unwrap().invite_link, link.invite_link);
    let err = bot
        .create_chat_invite_link(ChatId(sg))
        .member_limit(5)
        .creates_join_request(true)
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("A Telegram's error")
            || err.to_string().contains("member limit"),
        "{err}"
    );
    let revoked = bot
        .revoke_chat_invite_link(ChatId(sg), link.invite_link.clone())
        .await
        .unwrap();
    assert!(revoked.is_revoked);
    let carol = user(&emu, "Carol");
    assert_eq!(
        emu.join_via_link(carol, &link.invite_link),
        Err(tg_emulator::EmulatorError::InviteLinkRevoked)
    );
    // Join requests.
    let req = bot
        .create_chat_invite_link(ChatId(sg))
        .creates_join_request(true)
        .await
        .unwrap();
    assert_eq!(
        emu.join_via_link(carol, &req.invite_link).unwrap(),
        JoinOutcome::RequestSent
    );
    bot.approve_chat_join_request(ChatId(sg), UserId(carol as u64))
        .await
        .unwrap();
    assert_eq!(emu.member_status(sg, carol), Some(MemberStatus::Member));
    let ups = drain(&bot).await;
    assert!(
        ups.iter()
            .any(|u| matches!(&u.kind, UpdateKind::ChatJoinRequest(r) if r.invite_link.is_some()))
    );
    assert!(
        ups.iter()
            .any(|u| matches!(&u.kind, UpdateKind::ChatMember(c) if c.via_join_request))
    );
    // Links made by other admins are masked.
    let other = emu.admin_create_invite_link(alice, sg, false).unwrap();
    let dave = user(&emu, "Dave");
    emu.join_via_link(dave, &other).unwrap();
    let ups = drain(&bot).await;
    let masked = ups
        .iter()
        .find_map(|u| match &u.kind {
            UpdateKind::ChatMember(c) => c.invite_link.clone(),
            _ => None,
        })
        .unwrap();
    assert!(masked.invite_link.ends_with("..."));
    assert_ne!(masked.invite_link, other);
}

#[tokio::test]
async fn star_subscription_links_parse_and_subscribers_carry_their_until_date() {
    use teloxide::payloads::CreateChatSubscriptionInviteLinkSetters;
    use teloxide::types::{Seconds, UntilDate};
    let (emu, bot) = setup().await;
    subscribe_all(&bot).await;
    let ch = emu.create_channel("Premium");
    let month = Seconds::from_seconds(tg_emulator::SUBSCRIPTION_PERIOD as u32);
    let link = bot
        .create_chat_subscription_invite_link(ChatId(ch), month, 250)
        .name("monthly")
        .await
        .unwrap();
    assert_eq!(link.subscription_period, Some(2_592_000));
    assert_eq!(link.subscription_price, Some(250));
    assert_eq!(link.name.as_deref(), Some("monthly"));
    assert!(!link.creates_join_request && link.member_limit.is_none());
    // Telegram's limits: 30 days only, 1 to 10,000 Stars, channels only.
    for (period, price, why) in [
        (86_400, 250, "SUBSCRIPTION_PERIOD_INVALID"),
        (2_592_000, 0, "SUBSCRIPTION_PRICE_INVALID"),
        (2_592_000, 10_001, "SUBSCRIPTION_PRICE_INVALID"),
    ] {
        let err = bot
            .create_chat_subscription_invite_link(ChatId(ch), Seconds::from_seconds(period), price)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(why), "{err}");
    }
    let sg = emu.create_supergroup("Chat", false);
    emu.set_bot_rights(sg, MemberStatus::Administrator);
    let err = bot
        .create_chat_subscription_invite_link(ChatId(sg), month, 250)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("CHANNEL_INVALID"), "{err}");

    let alice = user(&emu, "Alice");
    assert_eq!(
        emu.join_via_link(alice, &link.invite_link).unwrap(),
        JoinOutcome::Joined
    );
    let renewed_to = emu.renew_star_subscription(alice, ch).unwrap();
    emu.end_star_subscription(alice, ch).unwrap();
    let updates: Vec<_> = drain(&bot)
        .await
        .into_iter()
        .filter_map(|u| match u.kind {
            UpdateKind::ChatMember(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(updates.len(), 3, "{updates:#?}");
    let until = |c: &teloxide::types::ChatMemberUpdated| match c.new_chat_member.kind {
        ChatMemberKind::Member(teloxide::types::Member {
            until_date: Some(UntilDate::Date(d)),
        }) => Some(d.timestamp()),
        _ => None,
    };
    // Joined through the link, which the update names with its price.
    let joined = &updates[0];
    let named = joined.invite_link.as_ref().unwrap();
    assert_eq!(named.invite_link, link.invite_link);
    assert_eq!(named.subscription_price, Some(250));
    let first = until(joined).expect("a subscriber's until_date");
    // Charged again: member to member, 30 days later.
    assert_eq!(until(&updates[1]), Some(renewed_to));
    assert_eq!(renewed_to - first, tg_emulator::SUBSCRIPTION_PERIOD);
    // Not renewed: removed by Telegram.
    assert!(matches!(
        updates[2].new_chat_member.kind,
        ChatMemberKind::Left
    ));
    assert_eq!(emu.member_status(ch, alice), Some(MemberStatus::Left));
}

#[tokio::test]
async fn ban_then_unban_only_if_banned_lets_the_user_come_back() {
    let (emu, bot) = setup().await;
    let sg = emu.create_supergroup("Paid", false);
    let alice = user(&emu, "Alice");
    emu.add_member(sg, alice, MemberStatus::Member);
    bot.ban_chat_member(ChatId(sg), UserId(alice as u64))
        .await
        .unwrap();
    assert_eq!(emu.member_status(sg, alice), Some(MemberStatus::Kicked));
    let link = bot.create_chat_invite_link(ChatId(sg)).await.unwrap();
    assert_eq!(
        emu.join_via_link(alice, &link.invite_link),
        Err(tg_emulator::EmulatorError::Banned)
    );
    bot.unban_chat_member(ChatId(sg), UserId(alice as u64))
        .only_if_banned(true)
        .await
        .unwrap();
    assert_eq!(emu.member_status(sg, alice), Some(MemberStatus::Left));
    assert_eq!(
        emu.join_via_link(alice, &link.invite_link).unwrap(),
        JoinOutcome::Joined
    );
    // only_if_banned on a member is a no-op.
    bot.unban_chat_member(ChatId(sg), UserId(alice as u64))
        .only_if_banned(true)
        .await
        .unwrap();
    assert_eq!(emu.member_status(sg, alice), Some(MemberStatus::Member));
    emu.set_bot_rights(sg, MemberStatus::Member);
    let err = bot
        .ban_chat_member(ChatId(sg), UserId(alice as u64))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not enough rights"), "{err}");
}

#[tokio::test]
async fn photo_upload_via_multipart_and_file_id_both_work() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    emu.send_text(alice, alice, "/start").unwrap();
    let m = bot
        .send_photo(
            ChatId(alice),
            InputFile::memory(vec![1u8, 2, 3]).file_name("a.jpg"),
        )
        .caption("<i>pic</i>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(m.caption(), Some("pic"));
    let fid = m.photo().unwrap().last().unwrap().file.id.clone();
    let d = bot
        .send_document(ChatId(alice), InputFile::file_id(fid.clone()))
        .await
        .unwrap();
    assert_eq!(d.document().unwrap().file.id, fid);
    let up = bot
        .send_document(
            ChatId(alice),
            InputFile::memory(b"hello".to_vec()).file_name("r.txt"),
        )
        .await
        .unwrap();
    assert_eq!(up.document().unwrap().file_name.as_deref(), Some("r.txt"));
    assert_eq!(emu.bot_messages(alice)[0].kind, "photo");
}

#[tokio::test]
async fn user_media_messages_parse_in_teloxide() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    let kinds = vec![
        OutgoingKind::Photo {
            caption: Some("c".into()),
        },
        OutgoingKind::Document {
            file_name: "x.pdf".into(),
            caption: None,
        },
        OutgoingKind::Voice,
        OutgoingKind::Video,
        OutgoingKind::VideoNote,
        OutgoingKind::Sticker {
            emoji: "🙂".into()
        },
        OutgoingKind::Audio,
        OutgoingKind::Location { lat: 1.0, lon: 2.0 },
        OutgoingKind::Contact {
            phone: "+100".into(),
            first_name: "A".into(),
        },
        OutgoingKind::Poll {
            question: "Q?".into(),
        },
        OutgoingKind::Dice,
    ];
    let n = kinds.len();
    for k in kinds {
        emu.send(alice, alice, OutgoingMessage::new(k)).unwrap();
    }
    let ups = drain(&bot).await;
    assert_eq!(ups.len(), n);
    for u in ups {
        let UpdateKind::Message(m) = &u.kind else {
            panic!("{:?}", u.kind)
        };
        assert!(
            !matches!(m.kind, teloxide::types::MessageKind::Empty {}),
            "message parsed as empty"
        );
    }
}

#[tokio::test]
async fn long_poll_wakes_up_when_an_update_arrives() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    let b = bot.clone();
    let poll = tokio::spawn(async move { b.get_updates().timeout(30).await });
    // The poll may or may not be waiting yet; either way it must return the message.
    tokio::task::yield_now().await;
    emu.send_text(alice, alice, "ping").unwrap();
    let ups = tokio::time::timeout(Duration::from_secs(20), poll)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(ups.len(), 1);
}

#[tokio::test]
async fn copy_messages_copies_in_order_into_a_topic_and_skips_what_is_gone() {
    let (emu, bot) = setup().await;
    let alice = user(&emu, "Alice");
    let forum = emu.create_supergroup("Support", true);
    let one = emu.send_text(alice, alice, "one").unwrap();
    let two = emu.send_text(alice, alice, "two").unwrap();
    let photo = emu
        .send(
            alice,
            alice,
            OutgoingMessage::new(OutgoingKind::Photo {
                caption: Some("three".into()),
            }),
        )
        .unwrap();
    bot.delete_message(ChatId(alice), MessageId(two))
        .await
        .unwrap();
    let topic = bot
        .create_forum_topic(ChatId(forum), "Alice #1")
        .await
        .unwrap();
    let tid = topic.thread_id;
    let mut live = emu.subscribe();
    let ids = [one, two, photo, photo + 1000].map(MessageId);
    let copied = bot
        .copy_messages(ChatId(forum), ChatId(alice), ids)
        .message_thread_id(tid)
        .await
        .unwrap();
    // The deleted message and the one that never was are skipped; the rest keep their order.
    assert_eq!(copied.len(), 2);
    assert!(copied[0].0 < copied[1].0);
    let recs: Vec<_> = copied
        .iter()
        .map(|id| emu.message(forum, id.0).unwrap())
        .collect();
    assert_eq!(recs[0].text.as_deref(), Some("one"));
    assert_eq!(recs[0].copied_from, Some((alice, one)));
    assert_eq!(recs[1].kind, "photo");
    assert_eq!(recs[1].caption.as_deref(), Some("three"));
    assert_eq!(recs[1].copied_from, Some((alice, photo)));
    for r in &recs {
        assert!(r.from_bot);
        assert_eq!(r.thread_id, Some(tid.0.0));
        assert_eq!(r.raw["is_topic_message"], true);
    }
    // Each copy is published on the live feed like any message of the bot.
    for id in &copied {
        let got = tokio::time::timeout(Duration::from_secs(5), live.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((got.chat_id, got.message_id), (forum, id.0));
    }
    let calls = emu.calls_to("copyMessages");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "copyMessages");
    assert!(calls[0].ok);

    // remove_caption drops the caption of a copy; forwardMessages shares the code.
    let bare = bot
        .copy_messages(ChatId(forum), ChatId(alice), [MessageId(photo)])
        .remove_caption(true)
        .await
        .unwrap();
    let rec = emu.message(forum, bare[0].0).unwrap();
    assert_eq!(rec.kind, "photo");
    assert_eq!(rec.caption, None);
    let forwarded = bot
        .forward_messages(ChatId(forum), ChatId(alice), [one, photo].map(MessageId))
        .await
        .unwrap();
    assert_eq!(forwarded.len(), 2);
    let rec = emu.message(forum, forwarded[1].0).unwrap();
    assert_eq!(rec.copied_from, None);
    assert_eq!(rec.raw["forward_origin"]["type"], "user");
    assert_eq!(rec.raw["forward_origin"]["sender_user"]["id"], alice);
    assert_eq!(emu.calls_to("forwardMessages")[0].method, "forwardMessages");

    // None left to copy: Telegram's answer (TDLib's wording, "forward" for copies too).
    let err = bot
        .copy_messages(ChatId(forum), ChatId(alice), [MessageId(two)])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RequestError::Api(ApiError::Unknown(d)) if d == "Bad Request: there are no messages to forward"),
        "{err:?}"
    );
}
