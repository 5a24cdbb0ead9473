//! The paid relay: users' messages into their forum topics, admins' answers back.
use sea_orm::ConnectionTrait;
use tg_emulator::{Fault, OutgoingKind, OutgoingMessage};
use tollgate::{bot::Reply, i18n::Locale};

use crate::{
    helpers::{Backend, TestApp, render, spawn_app, spawn_app_with},
    on_both_databases,
};

async fn a_message_is_charged_copied_into_a_new_topic_and_answered(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;

    let sent = app.emu().send_text(ann, ann, "Hello team").unwrap();

    // The low-credit warning (3 -> 2 crosses the threshold of 2) tells us the relay is done.
    assert_eq!(
        app.next_text(ann).await,
        render(Reply::LowCredits { balance: 2 }, Locale::En)
    );
    let topics = app.emu().topics(app.admin_chat());
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].name, format!("Ann · @ann · {ann}"));
    let in_topic = app.topic_messages(ann).await;
    assert_eq!(in_topic.len(), 2, "the user card, then the copy");
    assert!(in_topic[0].body().unwrap().contains(&format!("id {ann}")));
    assert_eq!(in_topic[1].copied_from, Some((ann, sent)));
    assert_eq!(in_topic[1].body(), Some("Hello team"));
    assert_eq!(app.balance(ann).await, 2);
    assert_eq!(app.ledger_sum(ann).await, 2);

    app.answer_in_topic(ann, "Hi Ann, how can we help?").await;
    let answer = app.next_message(ann).await;
    assert_eq!(answer.body(), Some("Hi Ann, how can we help?"));
    assert!(answer.copied_from.is_some());
    assert_eq!(app.balance(ann).await, 2, "answers are free");
    app.stop().await;
}
on_both_databases!(
    relay_round_trip,
    a_message_is_charged_copied_into_a_new_topic_and_answered
);

async fn a_thousand_concurrent_messages_with_ten_credits_relay_exactly_ten(app: TestApp) {
    app.set("welcome_credits", "10").await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;

    for i in 0..1000 {
        app.emu()
            .send_text(ann, ann, &format!("message {i}"))
            .unwrap();
    }
    app.settle().await;

    assert_eq!(app.copies_from(ann).len(), 10);
    assert_eq!(app.balance(ann).await, 0);
    assert_eq!(app.ledger_sum(ann).await, 0);
    let no_credits = render(Reply::NoCredits { balance: 0 }, Locale::En);
    let refusals = app
        .emu()
        .bot_messages(ann)
        .iter()
        .filter(|m| m.body() == Some(no_credits.as_str()))
        .count();
    assert_eq!(refusals, 990);
    app.stop().await;
}
on_both_databases!(
    relay_race,
    a_thousand_concurrent_messages_with_ten_credits_relay_exactly_ten
);

#[tokio::test]
async fn a_deleted_topic_is_recreated_and_the_message_still_arrives() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "first");
    app.settle().await;
    let first_topic = app.topic_of(ann).await.unwrap();

    app.emu().delete_topic(app.admin_chat(), first_topic);
    app.say(ann, "second");
    app.settle().await;

    let second_topic = app.topic_of(ann).await.unwrap();
    assert_ne!(second_topic, first_topic);
    let in_topic = app.topic_messages(ann).await;
    assert!(
        in_topic[0].body().unwrap().contains(&format!("id {ann}")),
        "a fresh user card"
    );
    assert_eq!(in_topic.last().unwrap().body(), Some("second"));
    assert_eq!(
        app.balance(ann).await,
        1,
        "both messages were delivered and charged once"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_credits_nothing_is_relayed_or_charged() {
    let app = spawn_app().await;
    app.set("welcome_credits", "0").await;
    let ann = app.started_user("Ann", "en").await;

    app.say(ann, "anyone there?");

    assert_eq!(
        app.next_text(ann).await,
        render(Reply::NoCredits { balance: 0 }, Locale::En)
    );
    assert!(app.emu().topics(app.admin_chat()).is_empty());
    assert!(app.copies_from(ann).is_empty());
    assert_eq!(app.ledger_sum(ann).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn polls_and_dice_are_refused_without_a_charge() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;

    app.emu()
        .send(
            ann,
            ann,
            OutgoingMessage::new(OutgoingKind::Poll {
                question: "?".into(),
            }),
        )
        .unwrap();
    assert_eq!(
        app.next_text(ann).await,
        render(Reply::CantForward, Locale::En)
    );
    app.emu()
        .send(ann, ann, OutgoingMessage::new(OutgoingKind::Dice))
        .unwrap();
    assert_eq!(
        app.next_text(ann).await,
        render(Reply::CantForward, Locale::En)
    );

    assert_eq!(app.balance(ann).await, 3);
    assert!(app.copies_from(ann).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn long_texts_photos_without_captions_and_voice_are_relayed() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;

    app.say(ann, &"x".repeat(4096));
    app.emu()
        .send(
            ann,
            ann,
            OutgoingMessage::new(OutgoingKind::Photo { caption: None }),
        )
        .unwrap();
    app.emu()
        .send(ann, ann, OutgoingMessage::new(OutgoingKind::Voice))
        .unwrap();
    app.settle().await;

    let copies = app.copies_from(ann);
    assert_eq!(copies.len(), 3);
    assert_eq!(copies[0].body().map(|b| b.chars().count()), Some(4096));
    assert_eq!(copies[1].kind, "photo");
    assert_eq!(copies[2].kind, "voice");
    assert_eq!(app.balance(ann).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_relay_telegram_refuses_is_refunded_and_the_user_told() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "first");
    app.settle().await;
    app.emu().fail_next(
        "copyMessage",
        Fault::BadRequest("Bad Request: message to copy not found".into()),
        1,
    );
    let before = app.bot_message_count(ann);

    app.say(ann, "second");
    app.settle().await;

    let replies = app.emu().bot_messages(ann);
    assert_eq!(replies.len(), before + 1);
    assert_eq!(
        replies.last().unwrap().body().unwrap(),
        render(Reply::RelayFailed, Locale::En)
    );
    assert_eq!(
        app.balance(ann).await,
        2,
        "charged for the first message only"
    );
    assert_eq!(app.ledger_sum(ann).await, 2);
    app.stop().await;
}

#[tokio::test]
async fn an_edit_becomes_a_note_under_the_copy_and_costs_nothing() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    let sent = app.emu().send_text(ann, ann, "helo").unwrap();
    app.settle().await;

    app.emu().edit_text(ann, ann, sent, "hello").unwrap();
    app.settle().await;

    let topic = app.topic_messages(ann).await;
    let note = topic.last().unwrap();
    assert_eq!(
        note.body().unwrap(),
        render(
            Reply::EditNote {
                text: "hello".into()
            },
            Locale::En
        )
    );
    assert_eq!(app.balance(ann).await, 2);
    app.stop().await;
}

#[tokio::test]
async fn a_banned_user_is_told_once_and_nothing_more_is_relayed() {
    let app = spawn_app().await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "hi");
    app.settle().await;

    app.answer_in_topic(ann, "/ban").await;
    app.settle().await;
    assert_eq!(
        app.topic_messages(ann)
            .await
            .last()
            .unwrap()
            .body()
            .unwrap(),
        render(Reply::AdminBanned { user: ann }, Locale::En)
    );
    app.say(ann, "let me in");
    app.say(ann, "please");
    app.settle().await;

    let banned = render(Reply::Banned, Locale::En);
    let told = app
        .emu()
        .bot_messages(ann)
        .iter()
        .filter(|m| m.body() == Some(banned.as_str()))
        .count();
    assert_eq!(told, 1);
    assert_eq!(app.copies_from(ann).len(), 1);
    assert_eq!(app.balance(ann).await, 2);

    app.answer_in_topic(ann, "/unban").await;
    app.settle().await;
    app.say(ann, "thanks");
    app.settle().await;
    assert_eq!(app.copies_from(ann).len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn an_answer_to_a_user_who_blocked_the_bot_is_reported_in_the_topic() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "hi");
    app.settle().await;
    app.emu().block_bot(ann);

    app.answer_in_topic(ann, "Still there?").await;
    app.settle().await;

    assert_eq!(
        app.topic_messages(ann)
            .await
            .last()
            .unwrap()
            .body()
            .unwrap(),
        render(Reply::UserBlockedBot, Locale::En)
    );
    let row = tollgate::accounts::users::find(app.db(), ann)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "unreachable");
    app.stop().await;
}

#[tokio::test]
async fn general_topic_chatter_commands_and_unknown_topics_reach_nobody() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "hi");
    app.settle().await;
    let before = app.bot_message_count(ann);

    // General topic, a stray command in the user's topic, and a topic of nobody.
    app.emu()
        .send_text(app.operator(), app.admin_chat(), "lunch?")
        .unwrap();
    app.answer_in_topic(ann, "/frobnicate").await;
    let stray = app
        .h
        .app
        .ctx
        .tg
        .call(teloxide::prelude::Requester::create_forum_topic(
            app.h.app.ctx.tg.bot(),
            teloxide::types::ChatId(app.admin_chat()),
            "notes",
        ))
        .await
        .unwrap();
    app.emu()
        .send(
            app.operator(),
            app.admin_chat(),
            OutgoingMessage::text("just notes").in_thread(stray.thread_id.0.0),
        )
        .unwrap();
    app.settle().await;

    assert_eq!(app.bot_message_count(ann), before);
    app.stop().await;
}

#[tokio::test]
async fn without_topics_copies_carry_a_reply_mapping_both_ways() {
    let app = spawn_app_with(Backend::Sqlite, |o| o.admin_forum = false)
        .await
        .unwrap();
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "Hello team");
    app.settle().await;
    let copy = app
        .copies_from(ann)
        .pop()
        .expect("a plain copy in the group");
    assert_eq!(copy.thread_id, None);

    app.emu()
        .reply_text(
            app.operator(),
            app.admin_chat(),
            copy.message_id,
            "Hello Ann",
        )
        .unwrap();

    assert_eq!(app.next_text(ann).await, "Hello Ann");
    app.stop().await;
}

/// Telegram lets a bot post about 20 messages a minute into one group, so a burst of users
/// writing at once leaves their copies waiting for minutes. A charged message is confirmed
/// at once (its charge is the record), so the wait holds up no one else: more users than
/// one getUpdates batch (100) write at once, and someone asking for their balance is still
/// answered right away.
#[tokio::test]
async fn a_burst_paced_by_the_admin_group_holds_up_no_one_else() {
    let app = spawn_app_with(Backend::Sqlite, |o| {
        o.limits = Some(tollgate::telegram::RateLimits::default());
    })
    .await
    .unwrap();
    let zed = app.started_user("Zed", "en").await;
    let crowd: Vec<i64> = (0..105)
        .map(|i| app.user(&format!("Crowd{i}"), "en"))
        .collect();
    for &user in &crowd {
        app.say(user, "hello team");
    }
    // Every one of them is charged, although few copies are through yet.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut charged = 0;
        for &user in &crowd {
            if app.ledger_sum(user).await == 2 {
                charged += 1;
            }
        }
        if charged == crowd.len() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {charged} of {} were charged",
            crowd.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let copied: usize = crowd.iter().map(|&u| app.copies_from(u).len()).sum();
    assert!(
        copied < 20,
        "the admin group is paced: {copied} copies so far"
    );

    app.say(zed, "/balance");
    let reply = app.next_text(zed).await;
    assert!(reply.contains('3'), "Zed's balance (3 credits): {reply}");
    app.stop().await;
}

/// A stop between charging a message (and confirming its update) and copying it: at the next
/// start the message is relayed after all, once; one Telegram refuses is refunded instead.
async fn a_message_charged_before_a_stop_is_relayed_after_it(app: TestApp) {
    app.set("welcome_credits", "10").await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    let sent: Vec<i32> = (0..4)
        .map(|i| app.emu().send_text(ann, ann, &format!("m{i}")).unwrap())
        .collect();
    app.settle().await;
    assert_eq!(app.copies_from(ann).len(), 4);
    assert_eq!(app.balance(ann).await, 6);
    // m1 and m3 never got their copy (as after a stop): their pairs are gone.
    for id in [sent[1], sent[3]] {
        app.db()
            .execute_unprepared(&format!(
                "DELETE FROM relay_messages WHERE user_id = {ann} AND user_message_id = {id}"
            ))
            .await
            .unwrap();
    }
    let ctx = &app.h.app.ctx;
    let after_all = ctx.now() + chrono::Duration::seconds(1);
    // Charges made after the start are not this sweep's business.
    assert_eq!(
        tollgate::relay::copy::recover(ctx, ctx.now() - chrono::Duration::hours(1))
            .await
            .unwrap(),
        0
    );

    // Telegram refuses m1 (the user deleted it meanwhile), takes m3.
    app.emu().fail_next(
        "copyMessage",
        Fault::BadRequest("Bad Request: message to copy not found".into()),
        1,
    );
    let notes = app.bot_message_count(ann);
    assert_eq!(
        tollgate::relay::copy::recover(ctx, after_all)
            .await
            .unwrap(),
        1
    );
    let copies = app.copies_from(ann);
    assert_eq!(copies.len(), 5);
    assert_eq!(copies.last().unwrap().copied_from, Some((ann, sent[3])));
    assert_eq!(app.balance(ann).await, 7, "m1 refunded");
    assert_eq!(app.ledger_sum(ann).await, 7);
    let replies = app.emu().bot_messages(ann);
    assert_eq!(replies.len(), notes + 1);
    assert_eq!(
        replies.last().unwrap().body().unwrap(),
        render(Reply::RelayFailed, Locale::En)
    );

    // Both are settled now: relayed (with a pair) or refunded. Nothing more to do.
    assert_eq!(
        tollgate::relay::copy::recover(ctx, after_all)
            .await
            .unwrap(),
        0
    );
    assert_eq!(app.copies_from(ann).len(), 5);
    app.stop().await;
}
on_both_databases!(
    relay_recovery,
    a_message_charged_before_a_stop_is_relayed_after_it
);

/// After a stop, the start-up recovery and Telegram's redelivery of the same update both find
/// a charged message without its copy: exactly one of them copies it.
async fn recovery_and_a_redelivered_update_copy_a_message_once(app: TestApp) {
    app.set("welcome_credits", "10").await;
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    let sent: Vec<i32> = (0..3)
        .map(|i| app.emu().send_text(ann, ann, &format!("m{i}")).unwrap())
        .collect();
    app.settle().await;
    assert_eq!(app.copies_from(ann).len(), 3);
    // As after a stop: none of them has a recorded copy.
    app.db()
        .execute_unprepared(&format!("DELETE FROM relay_messages WHERE user_id = {ann}"))
        .await
        .unwrap();
    let ctx = &app.h.app.ctx;
    let after_all = ctx.now() + chrono::Duration::seconds(1);
    // Telegram sends the updates of all three again while the recovery runs.
    for id in &sent {
        let raw = app.emu().message(ann, *id).unwrap().raw.clone();
        app.emu()
            .inject_update(serde_json::json!({ "message": *raw }));
    }
    let recovered = tollgate::relay::copy::recover(ctx, after_all)
        .await
        .unwrap();
    app.settle().await;
    assert_eq!(
        app.copies_from(ann).len(),
        6,
        "each message copied once more (the recovery took {recovered})"
    );
    for id in &sent {
        let copies = app
            .copies_from(ann)
            .iter()
            .filter(|c| c.copied_from == Some((ann, *id)))
            .count();
        assert_eq!(copies, 2, "message {id}: the first copy and one recovery");
    }
    assert_eq!(app.balance(ann).await, 7, "charged once each");
    // Nothing is left to recover, and a further redelivery copies nothing.
    assert_eq!(
        tollgate::relay::copy::recover(ctx, after_all)
            .await
            .unwrap(),
        0
    );
    let raw = app.emu().message(ann, sent[0]).unwrap().raw.clone();
    app.emu()
        .inject_update(serde_json::json!({ "message": *raw }));
    app.settle().await;
    assert_eq!(app.copies_from(ann).len(), 6);
    app.stop().await;
}
on_both_databases!(
    recovery_races_redelivery,
    recovery_and_a_redelivered_update_copy_a_message_once
);

#[tokio::test]
async fn a_claim_left_by_a_stopped_process_is_taken_over_and_a_live_one_is_not() {
    crate::helpers::each_backend(async |db| {
        use tollgate::relay::threads::claim;
        let (_, clock) = crate::helpers::clock();
        let t0 = clock.now();
        let later = t0 + chrono::Duration::minutes(5);
        assert!(claim(&db, 1, 10, "old", t0, t0).await.unwrap());
        // The same process, or a process that started before the claim: refused.
        assert!(!claim(&db, 1, 10, "old", t0, t0).await.unwrap());
        assert!(!claim(&db, 1, 10, "other", t0, t0).await.unwrap());
        // A process that started after the claim: the claimant is gone.
        assert!(claim(&db, 1, 10, "new", later, later).await.unwrap());
        assert!(!claim(&db, 1, 10, "new", later, later).await.unwrap());
        // Another message is its own claim.
        assert!(claim(&db, 1, 11, "new", later, later).await.unwrap());
    })
    .await;
}

/// Telegram carries out a copy but its answer comes after the client gave up: the copy is not
/// sent again (that would be a second copy), not refunded, and not recovered later.
#[tokio::test]
async fn a_copy_answered_after_the_client_gave_up_is_neither_repeated_nor_refunded() {
    let app = spawn_app_with(Backend::Sqlite, |o| {
        o.telegram_timeout = std::time::Duration::from_millis(500);
    })
    .await
    .unwrap();
    app.set("low_credit_threshold", "0").await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "first");
    app.settle().await;
    assert_eq!(app.copies_from(ann).len(), 1);
    let notes = app.bot_message_count(ann);

    app.emu().fail_next(
        "copyMessage",
        Fault::SlowAnswer {
            delay: std::time::Duration::from_millis(1500),
        },
        1,
    );
    app.say(ann, "second");
    app.settle().await;
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let metrics = &app.h.app.ctx.metrics;
    assert_eq!(metrics.api_call_count("CopyMessage", "uncertain"), 1);
    assert_eq!(app.copies_from(ann).len(), 2, "copied once");
    assert_eq!(
        app.emu().calls_to("copyMessage").len(),
        2,
        "and not repeated"
    );
    assert_eq!(app.balance(ann).await, 1, "charged, not refunded");
    assert_eq!(app.bot_message_count(ann), notes, "no 'relay failed' note");
    let ctx = &app.h.app.ctx;
    assert_eq!(
        tollgate::relay::copy::recover(ctx, ctx.now() + chrono::Duration::seconds(1))
            .await
            .unwrap(),
        0,
        "a later start does not copy it again"
    );
    assert_eq!(app.copies_from(ann).len(), 2);
    app.stop().await;
}

/// Several admin groups share the users: each user is served in one group (their messages and
/// topic live there), answers from that group reach them, and rights are per group.
#[tokio::test]
async fn two_admin_groups_share_the_users_and_each_user_stays_in_theirs() {
    let app = spawn_app_with(Backend::Sqlite, |o| o.admin_groups = 2)
        .await
        .unwrap();
    let groups = app.h.admin_chat_ids.clone();
    assert_eq!(groups.len(), 2);
    app.set("low_credit_threshold", "0").await;
    let people: Vec<i64> = ["Ann", "Bob", "Cid", "Dan"]
        .iter()
        .map(|n| app.user(n, "en"))
        .collect();
    for &p in &people {
        app.say(p, "/start");
        app.next_message(p).await;
        app.say(p, "hello");
    }
    app.settle().await;
    let mut per_group = [0, 0];
    for &p in &people {
        let group = groups[p.rem_euclid(2) as usize];
        let copies: Vec<_> = app
            .emu()
            .bot_messages(group)
            .into_iter()
            .filter(|m| m.copied_from.is_some_and(|(chat, _)| chat == p))
            .collect();
        assert_eq!(copies.len(), 1, "user {p} is served in group {group}");
        per_group[p.rem_euclid(2) as usize] += 1;
        let other = groups[(p.rem_euclid(2) as usize + 1) % 2];
        assert!(
            app.emu()
                .bot_messages(other)
                .iter()
                .all(|m| m.copied_from.is_none_or(|(chat, _)| chat != p))
        );
        // The team answers from that group's topic.
        let thread = copies[0].thread_id.expect("in a topic");
        app.emu()
            .send(
                app.operator(),
                group,
                tg_emulator::OutgoingMessage::text("hi from the team").in_thread(thread),
            )
            .unwrap();
        let seen = app.bot_message_count(p);
        let answer = app
            .emu()
            .wait_for_bot_messages(p, seen + 1, std::time::Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(answer[seen].body(), Some("hi from the team"));
    }
    assert_eq!(per_group, [2, 2], "spread over both");

    // An administrator of the second group only has no rights in the first.
    let max = app.user("Max", "en");
    app.emu()
        .add_member(groups[1], max, tg_emulator::MemberStatus::Administrator);
    app.emu()
        .add_member(groups[0], max, tg_emulator::MemberStatus::Member);
    let seen = app.bot_message_count(groups[0]);
    app.emu()
        .send_text(max, groups[0], &format!("/grant {} 5", people[0]))
        .unwrap();
    let replies = app
        .emu()
        .wait_for_bot_messages(groups[0], seen + 1, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        replies[seen].body().unwrap(),
        render(Reply::AdminOnly, Locale::En)
    );
    let seen = app.bot_message_count(groups[1]);
    app.emu()
        .send_text(max, groups[1], &format!("/grant {} 5", people[0]))
        .unwrap();
    let replies = app
        .emu()
        .wait_for_bot_messages(groups[1], seen + 1, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        replies[seen]
            .body()
            .unwrap()
            .contains(&people[0].to_string())
    );
    app.stop().await;
}

async fn with_the_relay_switched_off_messages_are_refused_free_and_it_comes_back(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    // A first message: relayed (the profile is now remembered by the gate).
    app.say(ann, "Hello team");
    app.next_text(ann).await; // the low-credit warning: the relay is done
    assert_eq!(app.copies_from(ann).len(), 1);
    app.set("relay", "off").await;
    app.say(ann, "Are you there?");
    assert_eq!(
        app.next_text(ann).await,
        render(Reply::RelayPaused, Locale::En)
    );
    app.settle().await;
    assert_eq!(app.copies_from(ann).len(), 1, "nothing relayed");
    assert_eq!(app.balance(ann).await, 2, "nothing charged");
    app.set("relay", "on").await;
    app.say(ann, "Back again");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.copies_from(ann).len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "never relayed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.balance(ann).await, 1);
    app.stop().await;
}
on_both_databases!(
    relay_switch,
    with_the_relay_switched_off_messages_are_refused_free_and_it_comes_back
);
