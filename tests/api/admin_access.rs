//! Who may run admin commands: administrators and the owner of the admin group (asked of
//! Telegram, remembered for a minute) and users listed in `ADMIN_USER_IDS`; plain members of
//! the admin group answer users but run no admin command.
use tg_emulator::MemberStatus;
use tollgate::{bot::Reply, i18n::Locale};

use crate::{
    helpers::{TestApp, render, spawn_app},
    on_both_databases,
};

/// The bot's replies in the admin group's General chat, as text, from the `from`-th on.
fn group_replies(app: &TestApp, from: usize) -> Vec<String> {
    app.emu()
        .bot_messages(app.admin_chat())
        .into_iter()
        .skip(from)
        .filter(|m| m.thread_id.is_none())
        .filter_map(|m| m.body().map(str::to_owned))
        .collect()
}

async fn next_group_reply(app: &TestApp, from: usize) -> String {
    app.emu()
        .wait_for_bot_messages(
            app.admin_chat(),
            from + 1,
            std::time::Duration::from_secs(15),
        )
        .await
        .expect("the bot answers in the admin group");
    group_replies(app, from).remove(0)
}

async fn a_plain_member_of_the_admin_group_cannot_grant_credits(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let mia = app.user("Mia", "en");
    app.emu()
        .add_member(app.admin_chat(), mia, MemberStatus::Member);
    let before = app.bot_message_count(app.admin_chat());

    for command in [
        format!("/grant {mia} 500"),
        format!("/grant {ann} 500"),
        "/set message_cost 0".to_owned(),
        format!("/pass {ann} month"),
        format!("/ban {ann}"),
        "/refund 1".to_owned(),
        "/tier vip 0".to_owned(),
        "/status".to_owned(),
    ] {
        let seen = app.bot_message_count(app.admin_chat());
        app.emu()
            .send_text(mia, app.admin_chat(), &command)
            .unwrap();
        assert_eq!(
            next_group_reply(&app, seen).await,
            render(Reply::AdminOnly, Locale::En),
            "{command}"
        );
    }
    app.settle().await;
    assert_eq!(app.balance(ann).await, 3, "nothing granted");
    assert_eq!(app.ledger_sum(ann).await, 3);
    let cost =
        tollgate::services::settings::get(app.db(), &tollgate::services::settings::MESSAGE_COST)
            .await
            .unwrap();
    assert_eq!(cost, 1, "the price is unchanged");
    let user = tollgate::accounts::users::find(app.db(), ann)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status, "active", "not banned");
    assert_eq!(group_replies(&app, before).len(), 8);

    // The operator (an administrator) may.
    let seen = app.bot_message_count(app.admin_chat());
    app.emu()
        .send_text(app.operator(), app.admin_chat(), &format!("/grant {ann} 5"))
        .unwrap();
    assert!(
        next_group_reply(&app, seen)
            .await
            .contains(&ann.to_string())
    );
    assert_eq!(app.balance(ann).await, 8);
    app.stop().await;
}
on_both_databases!(
    plain_member_refused,
    a_plain_member_of_the_admin_group_cannot_grant_credits
);

#[tokio::test]
async fn a_plain_member_still_answers_users_in_their_topics() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "Hello team");
    app.next_text(ann).await; // the low-credit note: relayed
    let mia = app.user("Mia", "en");
    app.emu()
        .add_member(app.admin_chat(), mia, MemberStatus::Member);
    let thread = app.topic_of(ann).await.expect("Ann has a topic");
    app.emu()
        .send(
            mia,
            app.admin_chat(),
            tg_emulator::OutgoingMessage::text("Hi Ann").in_thread(thread),
        )
        .unwrap();
    assert_eq!(app.next_text(ann).await, "Hi Ann");
    app.stop().await;
}

#[tokio::test]
async fn a_group_administrator_is_looked_up_once_a_minute_and_a_demoted_one_loses_the_right() {
    let (clock, shared) = crate::helpers::clock();
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |o| {
        o.clock = shared;
    })
    .await
    .unwrap();
    let ann = app.started_user("Ann", "en").await;
    let max = app.user("Max", "en");
    app.emu()
        .add_member(app.admin_chat(), max, MemberStatus::Administrator);
    let lookups = || {
        app.emu()
            .calls_to("getChatMember")
            .iter()
            .filter(|c| c.params.get("user_id").and_then(|v| v.as_i64()) == Some(max))
            .count()
    };

    for _ in 0..2 {
        let seen = app.bot_message_count(app.admin_chat());
        app.emu()
            .send_text(max, app.admin_chat(), &format!("/grant {ann} 1"))
            .unwrap();
        assert!(
            next_group_reply(&app, seen)
                .await
                .contains(&ann.to_string())
        );
    }
    assert_eq!(app.balance(ann).await, 5);
    assert_eq!(lookups(), 1, "the answer is remembered");

    // Demoted: still trusted until the minute is up, then refused.
    app.emu()
        .add_member(app.admin_chat(), max, MemberStatus::Member);
    clock.advance(chrono::Duration::seconds(61));
    let seen = app.bot_message_count(app.admin_chat());
    app.emu()
        .send_text(max, app.admin_chat(), &format!("/grant {ann} 1"))
        .unwrap();
    assert_eq!(
        next_group_reply(&app, seen).await,
        render(Reply::AdminOnly, Locale::En)
    );
    assert_eq!(lookups(), 2);
    assert_eq!(app.balance(ann).await, 5);
    app.stop().await;
}

#[tokio::test]
async fn a_listed_admin_may_use_admin_commands_privately_and_others_may_not() {
    let app = spawn_app().await;
    let ann = app.started_user("Ann", "en").await;
    let olga = app.operator(); // listed in ADMIN_USER_IDS by the harness

    app.say(olga, &format!("/grant {ann} 5"));
    let reply = app.next_text(olga).await;
    assert!(reply.contains(&ann.to_string()), "{reply}");
    assert_eq!(app.balance(ann).await, 8);

    // Without a topic, the user must be named.
    app.say(olga, "/grant 5");
    assert!(app.next_text(olga).await.contains("/grant"));

    // Anyone else: /grant is a seller's command (access to their own chats), and Bob sells
    // nothing; nothing changes.
    let bob = app.started_user("Bob", "en").await;
    app.say(bob, &format!("/grant {bob} 500"));
    assert_eq!(
        app.next_text(bob).await,
        "You are not a seller yet. Start with /sell."
    );
    assert_eq!(app.balance(bob).await, 3);
    app.stop().await;
}
