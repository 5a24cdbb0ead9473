//! The control center: `/admin` opens one message; presses edit it; only admins may press;
//! forged, stale and replayed presses do nothing; changes are audited; inputs are never
//! relayed to users.
use std::time::Duration;

use sea_orm::{EntityTrait, PaginatorTrait};
use tg_emulator::{CallbackAnswer, MemberStatus, Recorded};
use tollgate::{bot::Reply, i18n::Locale, storage::entities::admin_audit};

use crate::{
    helpers::{TestApp, render},
    on_both_databases,
};

const WAIT: Duration = Duration::from_secs(15);

/// Sends `/admin` as `who` in the admin group; the panel message.
async fn open(app: &TestApp, who: i64) -> i32 {
    let chat = app.admin_chat();
    let seen = app.bot_message_count(chat);
    app.emu().send_text(who, chat, "/admin").unwrap();
    app.emu()
        .wait_for_bot_messages(chat, seen + 1, WAIT)
        .await
        .expect("the panel");
    let panel = app.emu().bot_messages(chat).remove(seen);
    assert!(
        panel.body().unwrap().contains("Control center"),
        "{panel:?}"
    );
    panel.message_id
}

/// The panel as it is now.
fn panel(app: &TestApp, id: i32) -> Recorded {
    app.emu()
        .bot_messages(app.admin_chat())
        .into_iter()
        .find(|m| m.message_id == id)
        .expect("the panel exists")
}

fn body(app: &TestApp, id: i32) -> String {
    panel(app, id).body().unwrap_or_default().to_owned()
}

/// The data of the panel's button whose label contains `label`.
fn data_of(app: &TestApp, id: i32, label: &str) -> String {
    let p = panel(app, id);
    p.buttons
        .iter()
        .flatten()
        .find(|b| b.text.contains(label))
        .and_then(|b| b.callback_data.clone())
        .unwrap_or_else(|| panic!("no button {label:?} on {:?}", p.buttons))
}

async fn press_data(app: &TestApp, who: i64, id: i32, data: &str) -> CallbackAnswer {
    let q = app
        .emu()
        .press_raw(who, app.admin_chat(), id, data)
        .unwrap();
    app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap()
}

async fn press(app: &TestApp, who: i64, id: i32, label: &str) -> CallbackAnswer {
    let data = data_of(app, id, label);
    press_data(app, who, id, &data).await
}

/// Sends `text` as `who` in the admin group and waits until the panel shows `expect`.
async fn answer(app: &TestApp, who: i64, id: i32, text: &str, expect: &str) {
    app.emu().send_text(who, app.admin_chat(), text).unwrap();
    for _ in 0..150 {
        if body(app, id).contains(expect) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the panel never showed {expect:?}: {}", body(app, id));
}

/// `user` buys `product` with Stars through /buy and reads the receipt.
async fn buy_with_stars(app: &TestApp, user: i64, product: i64) {
    use tollgate::delivery::callbacks::{Callback, PayMethod};
    app.say(user, "/buy");
    app.next_message(user).await;
    for data in [
        Callback::Buy { product }.data(),
        Callback::Pay {
            product,
            method: PayMethod::Stars,
        }
        .data(),
    ] {
        let message = app
            .emu()
            .bot_messages(user)
            .into_iter()
            .rev()
            .find(|m| {
                m.buttons
                    .iter()
                    .flatten()
                    .any(|b| b.callback_data.as_deref() == Some(data.as_str()))
            })
            .unwrap();
        let q = app
            .emu()
            .press_button(user, user, message.message_id, &data)
            .unwrap();
        app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap();
    }
    let invoice = app.next_message(user).await;
    assert_eq!(invoice.kind, "invoice");
    app.emu()
        .pay_invoice(user, user, invoice.message_id)
        .await
        .unwrap();
    app.next_message(user).await;
}

async fn audit_count(app: &TestApp) -> u64 {
    admin_audit::Entity::find().count(app.db()).await.unwrap()
}

async fn an_admin_walks_every_category_and_changes_a_user_and_a_setting(app: TestApp) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .try_init();
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator();
    let id = open(&app, op).await;

    press(&app, op, id, "Dashboard").await;
    let dash = body(&app, id);
    assert!(dash.contains("Users: 1"), "{dash}");
    assert!(dash.contains("Updated at"), "{dash}");
    press(&app, op, id, "Home").await;
    press(&app, op, id, "Conversations").await;
    assert!(body(&app, id).contains("Conversations"));
    press(&app, op, id, "Home").await;
    press(&app, op, id, "System").await;
    assert!(body(&app, id).contains("SQLite") || body(&app, id).contains("PostgreSQL"));
    let system = body(&app, id);
    assert!(system.contains("Bot API since start:"), "{system}");
    assert!(system.contains("Updates: long polling · "), "{system}");
    assert!(
        system.contains("Errors logged in the last hour: 0"),
        "{system}"
    );
    press(&app, op, id, "Home").await;

    // Users → Ann's card.
    press(&app, op, id, "Users").await;
    press(&app, op, id, "Ann").await;
    let card = body(&app, id);
    assert!(card.contains(&format!("id {ann}")), "{card}");
    assert!(card.contains("Balance: 3"), "{card}");

    // Credits: a bad value repeats the step; a good one changes the balance once.
    press(&app, op, id, "Credits").await;
    assert!(body(&app, id).contains("Send the change"));
    answer(&app, op, id, "ten please", "That is not a change").await;
    assert_eq!(app.balance(ann).await, 3);
    let seen_by_ann = app.read_count(ann);
    answer(&app, op, id, "+10 goodwill", "Balance: 13").await;
    assert_eq!(app.balance(ann).await, 13);
    assert_eq!(app.ledger_sum(ann).await, 13);
    let told = app.next_text(ann).await;
    assert_eq!(
        told,
        render(
            Reply::CreditsGranted {
                amount: 10,
                balance: 13
            },
            Locale::En
        )
    );
    assert_eq!(
        app.read_count(ann),
        seen_by_ann + 1,
        "Ann is told, and the admin's inputs never reach her"
    );
    // Taking more than there is: refused, the step repeats.
    press(&app, op, id, "Credits").await;
    answer(&app, op, id, "-50 oops", "has only 13 credits").await;
    answer(&app, op, id, "-3 a mistake", "Balance: 10").await;
    assert_eq!(app.balance(ann).await, 10);

    // Ban and unban.
    press(&app, op, id, "Ban").await;
    let status = |app: &TestApp| {
        let db = app.db().clone();
        async move {
            tollgate::accounts::users::find(&db, ann)
                .await
                .unwrap()
                .unwrap()
                .status
        }
    };
    assert_eq!(status(&app).await, "banned");
    press(&app, op, id, "Unban").await;
    assert_eq!(status(&app).await, "active");

    // Settings: out of range repeats, in range is saved and effective.
    press(&app, op, id, "Home").await;
    press(&app, op, id, "Settings").await;
    press(&app, op, id, "message_cost").await;
    answer(&app, op, id, "-1", "takes a whole number").await;
    answer(&app, op, id, "2", "message_cost = 2").await;
    let cost =
        tollgate::services::settings::get(app.db(), &tollgate::services::settings::MESSAGE_COST)
            .await
            .unwrap();
    assert_eq!(cost, 2);

    // The audit log has it all: credits twice, ban, unban, the setting.
    assert_eq!(audit_count(&app).await, 5);
    press(&app, op, id, "Home").await;
    press(&app, op, id, "System").await;
    press(&app, op, id, "Audit log").await;
    let log = body(&app, id);
    for what in ["credits", "ban", "unban", "setting"] {
        assert!(log.contains(what), "{what} missing from {log}");
    }
    press(&app, op, id, "Home").await;
    press(&app, op, id, "Close").await;
    assert!(
        app.emu()
            .bot_messages(app.admin_chat())
            .iter()
            .all(|m| m.message_id != id),
        "closing deletes the panel"
    );
    app.stop().await;
}

on_both_databases!(
    admin_center_walk,
    an_admin_walks_every_category_and_changes_a_user_and_a_setting
);

async fn a_plain_member_presses_every_button_and_changes_nothing(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator();
    let mia = app.user("Mia", "en");
    app.emu()
        .add_member(app.admin_chat(), mia, MemberStatus::Member);

    // /admin itself is refused.
    let seen = app.bot_message_count(app.admin_chat());
    app.emu()
        .send_text(mia, app.admin_chat(), "/admin")
        .unwrap();
    app.emu()
        .wait_for_bot_messages(app.admin_chat(), seen + 1, WAIT)
        .await
        .unwrap();
    assert_eq!(
        app.emu().bot_messages(app.admin_chat())[seen].body(),
        Some(render(Reply::AdminOnly, Locale::En).as_str())
    );

    // On the operator's card of Ann, Mia presses everything.
    let id = open(&app, op).await;
    press(&app, op, id, "Users").await;
    press(&app, op, id, "Ann").await;
    let before = body(&app, id);
    let all: Vec<String> = panel(&app, id)
        .buttons
        .iter()
        .flatten()
        .filter_map(|b| b.callback_data.clone())
        .collect();
    assert!(all.len() >= 6);
    for data in &all {
        let a = press_data(&app, mia, id, data).await;
        assert_eq!(
            a.text.as_deref(),
            Some("Only the bot's admins can use this.")
        );
    }
    assert_eq!(body(&app, id), before, "the panel did not move");
    assert_eq!(audit_count(&app).await, 0);
    assert_eq!(app.balance(ann).await, 3);
    // The operator's buttons still work: Mia's presses took nothing.
    press(&app, op, id, "Credits").await;
    // Mia's text is not taken as the operator's input.
    app.emu()
        .send_text(mia, app.admin_chat(), "+100 me too")
        .unwrap();
    app.settle().await;
    assert_eq!(app.balance(ann).await, 3);
    answer(&app, op, id, "+1 thanks", "Balance: 4").await;
    app.stop().await;
}

on_both_databases!(
    admin_center_non_admin,
    a_plain_member_presses_every_button_and_changes_nothing
);

async fn forged_stale_and_replayed_presses_expire(app: TestApp) {
    let op = app.operator();
    let id = open(&app, op).await;
    let expired = Some("This button has expired. Open /admin again.");
    let dashboard = data_of(&app, id, "Dashboard");
    let home_text = body(&app, id);

    for forged in [
        "ap:1:aaaaaaaaaa:0".to_owned(),
        "ap:999999:zzzzzzzzzz:0".to_owned(),
        "garbage".to_owned(),
        format!("{dashboard}00"),
        format!("{}:99", dashboard.rsplit_once(':').unwrap().0),
    ] {
        let a = press_data(&app, op, id, &forged).await;
        assert_eq!(a.text.as_deref(), expired, "{forged}");
    }
    assert_eq!(body(&app, id), home_text);

    // Pressed once, it works; replayed, it has expired (a new screen has new buttons).
    assert_eq!(press_data(&app, op, id, &dashboard).await.text, None);
    assert!(body(&app, id).contains("Dashboard"));
    assert_eq!(
        press_data(&app, op, id, &dashboard).await.text.as_deref(),
        expired
    );

    // A button of one panel pressed on another message is foreign.
    let other = open(&app, op).await;
    let home = data_of(&app, id, "Home");
    assert_eq!(
        press_data(&app, op, other, &home).await.text.as_deref(),
        expired
    );
    app.stop().await;
}

on_both_databases!(
    admin_center_forged,
    forged_stale_and_replayed_presses_expire
);

async fn a_search_finds_by_id_username_and_name_and_says_when_nothing_matches(app: TestApp) {
    let ann = app.started_user("Annabel", "en").await;
    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Search").await;
    answer(&app, op, id, "nobody-like-this", "Nobody matches").await;
    answer(&app, op, id, "nnab", "Users matching").await;
    assert!(data_of(&app, id, "Annabel").starts_with("ap:"));
    press(&app, op, id, "Search").await;
    answer(&app, op, id, &ann.to_string(), "Users matching").await;
    press(&app, op, id, "Annabel").await;
    assert!(body(&app, id).contains(&format!("id {ann}")));
    app.stop().await;
}

on_both_databases!(
    admin_center_search,
    a_search_finds_by_id_username_and_name_and_says_when_nothing_matches
);

async fn an_admin_refunds_a_stars_payment_after_confirming(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator();
    let pack = tollgate::billing::orders::product_by_code(app.db(), "pack10")
        .await
        .unwrap()
        .unwrap()
        .id;
    buy_with_stars(&app, ann, pack).await;
    let bought = app.balance(ann).await;
    assert!(bought > 3);

    let id = open(&app, op).await;
    press(&app, op, id, "Billing").await;
    press(&app, op, id, "Payments").await;
    press(&app, op, id, "Ann").await;
    assert!(
        body(&app, id).contains("Status: paid"),
        "{}",
        body(&app, id)
    );
    press(&app, op, id, "Refund").await;
    assert!(body(&app, id).contains("What it bought is taken back"));
    // Cancel goes back to the order; nothing happened.
    press(&app, op, id, "Cancel").await;
    assert!(body(&app, id).contains("Status: paid"));
    assert_eq!(app.emu().calls_to("refundStarPayment").len(), 0);
    press(&app, op, id, "Refund").await;
    press(&app, op, id, "Yes, refund").await;
    let after = body(&app, id);
    assert!(after.contains("is under way"), "{after}");
    assert!(after.contains("Status: refunded"), "{after}");
    assert_eq!(app.emu().calls_to("refundStarPayment").len(), 1);
    assert_eq!(app.balance(ann).await, 3, "the credits went back");
    // No refund button on a refunded order.
    assert!(
        panel(&app, id)
            .buttons
            .iter()
            .flatten()
            .all(|b| !b.text.contains("Refund"))
    );
    assert_eq!(audit_count(&app).await, 1);

    // The payment is found by its number, its amount and its day; a search without hits
    // says so and asks again.
    let order = {
        use sea_orm::{ColumnTrait, QueryFilter};
        tollgate::storage::entities::orders::Entity::find()
            .filter(tollgate::storage::entities::orders::Column::UserId.eq(ann))
            .one(app.db())
            .await
            .unwrap()
            .unwrap()
            .id
    };
    press(&app, op, id, "Home").await;
    press(&app, op, id, "Search payments").await;
    answer(&app, op, id, "#999999", "Nobody matches").await;
    answer(&app, op, id, &format!("#{order}"), "Payments matching").await;
    assert!(data_of(&app, id, &format!("#{order} · Ann")).starts_with("ap:"));
    press(&app, op, id, "Search payments").await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    answer(&app, op, id, &today, "Payments matching").await;
    assert!(data_of(&app, id, &format!("#{order} · Ann")).starts_with("ap:"));
    app.stop().await;
}

on_both_databases!(
    admin_center_refund,
    an_admin_refunds_a_stars_payment_after_confirming
);

async fn a_quick_reply_made_in_the_center_is_sent_from_a_topic_with_one_press(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator();
    // Ann writes, so she has a topic (and hears her credits run low).
    app.say(ann, "Hello?");
    app.next_message(ann).await;
    app.emu()
        .wait_for_bot_messages(app.admin_chat(), 3, WAIT)
        .await
        .unwrap();
    let thread = app.topic_of(ann).await.expect("a topic");

    let id = open(&app, op).await;
    press(&app, op, id, "Quick replies").await;
    press(&app, op, id, "New template").await;
    answer(&app, op, id, "no text here", "its title on the first line").await;
    answer(
        &app,
        op,
        id,
        "Welcome\nHi {name}, you have {balance} credits.",
        "Hi {name}",
    )
    .await;

    // In Ann's topic: /qr, one press.
    let seen = app.bot_message_count(app.admin_chat());
    app.answer_in_topic(ann, "/qr").await;
    app.emu()
        .wait_for_bot_messages(app.admin_chat(), seen + 1, WAIT)
        .await
        .unwrap();
    let qr = app
        .emu()
        .bot_messages(app.admin_chat())
        .into_iter()
        .rev()
        .find(|m| {
            m.body()
                .is_some_and(|b| b.contains("Quick replies for Ann"))
        })
        .expect("the /qr panel");
    assert_eq!(qr.thread_id, Some(thread), "in Ann's topic");
    let before = app.read_count(ann);
    press(&app, op, qr.message_id, "Welcome").await;
    assert_eq!(app.next_text(ann).await, "Hi Ann, you have 2 credits.");
    assert_eq!(app.read_count(ann), before + 1);
    assert!(body(&app, qr.message_id).contains("Sent to Ann"));
    assert!(panel(&app, qr.message_id).buttons.is_empty());
    assert_eq!(app.balance(ann).await, 2, "free for Ann");
    // Created, then sent.
    assert_eq!(audit_count(&app).await, 2);
    app.stop().await;
}

on_both_databases!(
    admin_center_quick_reply,
    a_quick_reply_made_in_the_center_is_sent_from_a_topic_with_one_press
);

async fn a_product_created_in_the_center_is_bought_by_a_user(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Products").await;
    press(&app, op, id, "New product").await;
    press(&app, op, id, "Credits").await;
    answer(
        &app,
        op,
        id,
        &"x".repeat(65),
        "a title is 1 to 64 characters",
    )
    .await;
    answer(&app, op, id, "Mega pack", "How many credits").await;
    answer(&app, op, id, "0", "a pack gives 1 to 1,000,000 credits").await;
    answer(&app, op, id, "40", "price and currency").await;
    answer(&app, op, id, "-2 usd", "a price is an amount above 0").await;
    answer(&app, op, id, "7.50 usd", "price in Telegram Stars").await;
    answer(&app, op, id, "lots", "a whole number from 1 to 100,000").await;
    answer(&app, op, id, "300", "🛍 Mega pack").await;
    let card = body(&app, id);
    assert!(card.contains("Gives: 40 credits"), "{card}");
    assert!(card.contains("$7.50"), "{card}");
    assert!(card.contains("⭐ 300"), "{card}");
    let product = tollgate::billing::catalog::all(app.db())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.title == "Mega pack")
        .expect("stored");
    assert!(product.active);

    // Ann buys it with Stars.
    app.say(ann, "/buy");
    let catalog = app.next_message(ann).await;
    assert!(
        catalog
            .buttons
            .iter()
            .flatten()
            .any(|b| b.text.contains("Mega pack"))
    );
    buy_with_stars(&app, ann, product.id).await;
    assert_eq!(app.balance(ann).await, 43);

    // Not sold any more: gone from /buy.
    press(&app, op, id, "Stop selling").await;
    assert!(body(&app, id).contains("Not sold"));
    app.say(ann, "/buy");
    let catalog = app.next_message(ann).await;
    assert!(
        catalog
            .buttons
            .iter()
            .flatten()
            .all(|b| !b.text.contains("Mega pack"))
    );
    // Created, then stopped.
    assert_eq!(audit_count(&app).await, 2);
    app.stop().await;
}

on_both_databases!(
    admin_center_product,
    a_product_created_in_the_center_is_bought_by_a_user
);

async fn in_a_topic_user_credits_and_note_act_on_its_user(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "Hello?");
    app.next_message(ann).await;
    app.emu()
        .wait_for_bot_messages(app.admin_chat(), 2, WAIT)
        .await
        .unwrap();
    let thread = app.topic_of(ann).await.expect("a topic");
    let in_topic = |app: &TestApp, from: usize| -> Vec<String> {
        app.emu()
            .bot_messages(app.admin_chat())
            .into_iter()
            .skip(from)
            .filter(|m| m.thread_id == Some(thread))
            .filter_map(|m| m.body().map(str::to_owned))
            .collect()
    };
    let wait_topic = |app: &TestApp, from: usize, text: &'static str| {
        let app_emu = app.emu().clone();
        let chat = app.admin_chat();
        async move {
            for _ in 0..150 {
                let found = app_emu
                    .bot_messages(chat)
                    .into_iter()
                    .skip(from)
                    .filter(|m| m.thread_id == Some(thread))
                    .any(|m| m.body().is_some_and(|b| b.contains(text)));
                if found {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("no {text:?} in the topic");
        }
    };

    let seen = app.bot_message_count(app.admin_chat());
    app.answer_in_topic(ann, "/credits +5 thanks").await;
    wait_topic(&app, seen, "Balance: 7").await;
    assert_eq!(app.balance(ann).await, 7);
    app.answer_in_topic(ann, "/credits 5").await;
    wait_topic(&app, seen, "Usage: /credits").await;
    app.answer_in_topic(ann, "/note prefers short answers")
        .await;
    wait_topic(&app, seen, "Note kept").await;
    app.answer_in_topic(ann, "/user").await;
    wait_topic(&app, seen, "prefers short answers").await;
    let card = in_topic(&app, seen)
        .into_iter()
        .find(|b| b.contains("prefers short answers"))
        .unwrap();
    assert!(card.contains("Balance: 7"), "{card}");
    // Ann heard about the credits, and nothing of the commands or the note.
    let told = app.next_text(ann).await;
    assert!(told.contains('5'), "{told}");
    app.settle().await;
    assert_eq!(
        app.emu()
            .bot_messages(ann)
            .iter()
            .filter(|m| m.body().is_some_and(|b| b.contains("short answers")))
            .count(),
        0
    );
    // Credits and note.
    assert_eq!(audit_count(&app).await, 2);
    app.stop().await;
}

on_both_databases!(
    admin_center_topic_commands,
    in_a_topic_user_credits_and_note_act_on_its_user
);

async fn analytics_count_the_funnel_and_revenue_and_send_csv(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "en").await;
    app.started_user("Cid", "en").await;
    app.say(ann, "Hi");
    app.next_message(ann).await;
    app.say(bob, "Hi");
    app.next_message(bob).await;
    let pack = tollgate::billing::orders::product_by_code(app.db(), "pack25")
        .await
        .unwrap()
        .unwrap()
        .id;
    buy_with_stars(&app, ann, pack).await;
    app.settle().await;

    let now = chrono::Utc::now();
    let funnel = tollgate::admin::analytics::funnel(app.db(), now, 30)
        .await
        .unwrap();
    let counts: Vec<&str> = funnel.rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(counts, ["3", "2", "1"]);
    let growth = tollgate::admin::analytics::growth(app.db(), now, 30)
        .await
        .unwrap();
    assert_eq!(growth.rows.len(), 30);
    let today = growth.rows.last().unwrap();
    assert_eq!(today[0], now.format("%Y-%m-%d").to_string());
    assert_eq!(&today[1..], ["3", "2", "1"]);
    let revenue = tollgate::admin::analytics::revenue_by_product(app.db(), now, 30)
        .await
        .unwrap();
    assert_eq!(
        revenue.rows,
        vec![vec![
            "25 credits".to_owned(),
            "XTR".to_owned(),
            "1".to_owned(),
            "⭐ 500".to_owned()
        ]]
    );
    let top = tollgate::admin::analytics::top_spenders(app.db(), now, 30, 10)
        .await
        .unwrap();
    assert_eq!(top.rows.len(), 1);
    assert_eq!(top.rows[0][0], ann.to_string());

    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Analytics").await;
    let text = body(&app, id);
    assert!(text.contains("first_payment · 1 · 33%"), "{text}");
    let before = app.bot_message_count(app.admin_chat());
    let answer = press(&app, op, id, "Growth by day").await;
    assert_eq!(answer.text.as_deref(), Some("📄 The CSV is in the chat."));
    let doc = app
        .emu()
        .bot_messages(app.admin_chat())
        .into_iter()
        .skip(before)
        .find(|m| m.kind == "document")
        .expect("a document");
    let name = doc.raw["document"]["file_name"]
        .as_str()
        .unwrap_or_default();
    assert!(
        name.starts_with("growth-30d-") && name.ends_with(".csv"),
        "{name}"
    );
    // The charts go out as photos drawn in-process.
    let before = app.bot_message_count(app.admin_chat());
    let answer = press(&app, op, id, "Chart").await;
    assert_eq!(answer.text.as_deref(), Some("🖼 The chart is in the chat."));
    press(&app, op, id, "Home").await;
    press(&app, op, id, "Dashboard").await;
    press(&app, op, id, "Chart").await;
    let photos: Vec<String> = app
        .emu()
        .bot_messages(app.admin_chat())
        .into_iter()
        .skip(before)
        .filter(|m| m.kind == "photo")
        .filter_map(|m| m.caption.clone())
        .collect();
    assert_eq!(
        photos,
        [
            "Growth, the last 30 days",
            "Revenue and new users, the last 30 days"
        ]
    );
    app.stop().await;
}

on_both_databases!(
    admin_center_analytics,
    analytics_count_the_funnel_and_revenue_and_send_csv
);

async fn conversations_show_who_waits_and_can_be_closed_and_marked(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "en").await;
    for who in [ann, bob] {
        app.say(who, "Help?");
        app.next_message(who).await;
    }
    app.emu()
        .wait_for_bot_messages(app.admin_chat(), 4, WAIT)
        .await
        .unwrap();
    app.answer_in_topic(bob, "Sure").await;
    app.next_message(bob).await;
    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Conversations").await;
    // Ann waits; Bob was answered.
    assert!(data_of(&app, id, "⏳ Ann").starts_with("ap:"));
    assert!(data_of(&app, id, "💬 Bob").starts_with("ap:"));
    assert!(body(&app, id).contains("Median first answer"));
    press(&app, op, id, "💬 Bob").await;
    press(&app, op, id, "Mark priority").await;
    assert!(body(&app, id).contains("❗️ Priority"));
    press(&app, op, id, "✅ Close").await;
    assert!(body(&app, id).contains("✅ Closed"));
    let renamed = app.emu().calls_to("editForumTopic");
    assert_eq!(renamed.len(), 1);
    assert!(
        renamed[0].params["name"]
            .as_str()
            .unwrap()
            .starts_with("✅ Bob")
    );
    press(&app, op, id, "Back").await;
    // Priority first, even when closed.
    let first = panel(&app, id).buttons[0][0].text.clone();
    assert!(first.starts_with("❗️✅ Bob"), "{first}");
    // Bob writes again: waiting, no longer closed.
    app.say(bob, "One more thing");
    app.emu()
        .wait_for_bot_messages(app.admin_chat(), 7, WAIT)
        .await
        .unwrap();
    // (the copy's record lands a moment after the copy)
    let mut standing = None;
    for _ in 0..100 {
        let c = tollgate::admin::conversations::find(app.db(), bob)
            .await
            .unwrap()
            .unwrap();
        standing = Some(c.standing());
        if standing == Some(tollgate::admin::conversations::Standing::Waiting) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        standing,
        Some(tollgate::admin::conversations::Standing::Waiting)
    );
    assert_eq!(audit_count(&app).await, 2);
    app.stop().await;
}

on_both_databases!(
    admin_center_conversations,
    conversations_show_who_waits_and_can_be_closed_and_marked
);

async fn an_admin_broadcasts_to_three_users_and_the_report_names_who_blocked_the_bot(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "en").await;
    let cid = app.started_user("Cid", "en").await;
    app.emu().block_bot(cid);
    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Broadcasts and gifts").await;
    press(&app, op, id, "New broadcast").await;
    answer(&app, op, id, "Big news: new packs!", "Add link buttons").await;
    answer(&app, op, id, "Shop | javascript:alert(1)", "button 1").await;
    answer(
        &app,
        op,
        id,
        "Shop | https://example.com/shop",
        "Who gets it?",
    )
    .await;
    press(&app, op, id, "With a pass").await;
    assert!(body(&app, id).contains("Nobody is in that audience"));
    let preview_before = app.bot_message_count(app.admin_chat());
    press(&app, op, id, "Everyone").await;
    let confirm = body(&app, id);
    assert!(confirm.contains("3 recipients"), "{confirm}");
    // The preview went to the admin group exactly as it will go out.
    assert!(
        app.emu()
            .bot_messages(app.admin_chat())
            .iter()
            .skip(preview_before)
            .any(|m| m.body() == Some("Big news: new packs!")
                && m.buttons[0][0].url.as_deref() == Some("https://example.com/shop"))
    );
    press(&app, op, id, "Send now").await;
    let mut report = String::new();
    for _ in 0..200 {
        report = body(&app, id);
        if report.contains(": done") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(report.contains(": done"), "{report}");
    assert!(report.contains("Sent 2"), "{report}");
    assert!(
        report.contains(&format!("Blocked the bot: {cid}")),
        "{report}"
    );
    for user in [ann, bob] {
        let got = app
            .emu()
            .bot_messages(user)
            .iter()
            .filter(|m| m.body() == Some("Big news: new packs!"))
            .count();
        assert_eq!(got, 1, "user {user}");
    }
    assert_eq!(audit_count(&app).await, 1);
    app.stop().await;
}

on_both_databases!(
    admin_center_broadcast,
    an_admin_broadcasts_to_three_users_and_the_report_names_who_blocked_the_bot
);

async fn a_mass_gift_credits_everyone_once_with_a_note(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "en").await;
    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Broadcasts and gifts").await;
    press(&app, op, id, "New mass gift").await;
    press(&app, op, id, "Credits").await;
    answer(&app, op, id, "0", "Send a whole number").await;
    answer(&app, op, id, "5", "Send a note").await;
    answer(&app, op, id, "Happy holidays", "Who gets it?").await;
    press(&app, op, id, "Everyone").await;
    assert!(body(&app, id).contains("Gift: 5 credits · note: Happy holidays"));
    press(&app, op, id, "Send now").await;
    for _ in 0..200 {
        if body(&app, id).contains(": done") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(body(&app, id).contains(": done"), "{}", body(&app, id));
    assert_eq!(app.balance(ann).await, 8);
    assert_eq!(app.balance(bob).await, 8);
    assert_eq!(app.ledger_sum(ann).await, 8);
    app.stop().await;
}

on_both_databases!(
    admin_center_gift,
    a_mass_gift_credits_everyone_once_with_a_note
);

async fn switching_stars_off_in_settings_takes_them_out_of_the_shop(app: TestApp) {
    use tollgate::delivery::callbacks::{Callback, PayMethod};
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Settings").await;
    press(&app, op, id, "sell_with_stars = true").await;
    assert!(data_of(&app, id, "sell_with_stars = false").starts_with("ap:"));
    app.say(ann, "/buy");
    let catalog = app.next_message(ann).await;
    assert!(
        catalog
            .buttons
            .iter()
            .flatten()
            .all(|b| !b.text.contains('⭐')),
        "{:?}",
        catalog.buttons
    );
    // A Stars button from before (or forged) is refused.
    let pack = tollgate::billing::orders::product_by_code(app.db(), "pack10")
        .await
        .unwrap()
        .unwrap()
        .id;
    let data = Callback::Pay {
        product: pack,
        method: PayMethod::Stars,
    }
    .data();
    let q = app
        .emu()
        .press_raw(ann, ann, catalog.message_id, &data)
        .unwrap();
    app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap();
    assert_eq!(
        app.next_text(ann).await,
        render(Reply::PaymentUnavailable, Locale::En)
    );
    assert_eq!(app.emu().calls_to("sendInvoice").len(), 0);
    assert_eq!(audit_count(&app).await, 1);
    app.stop().await;
}

on_both_databases!(
    admin_center_switches,
    switching_stars_off_in_settings_takes_them_out_of_the_shop
);

async fn a_pass_gift_to_one_tier_reaches_only_that_tier(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "en").await;
    let now = chrono::Utc::now();
    tollgate::accounts::tiers::upsert(app.db(), now, "vip", 0, "")
        .await
        .unwrap();
    let vip = tollgate::accounts::tiers::by_name(app.db(), "vip")
        .await
        .unwrap()
        .unwrap();
    tollgate::accounts::tiers::assign(app.db(), bob, Some(vip.id))
        .await
        .unwrap();
    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Broadcasts and gifts").await;
    press(&app, op, id, "New mass gift").await;
    press(&app, op, id, "Pass: week").await;
    answer(&app, op, id, "-", "Who gets it?").await;
    press(&app, op, id, "Tier vip").await;
    assert!(
        body(&app, id).contains("1 recipients"),
        "{}",
        body(&app, id)
    );
    press(&app, op, id, "Send now").await;
    for _ in 0..200 {
        if body(&app, id).contains(": done") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(body(&app, id).contains("Sent 1"), "{}", body(&app, id));
    let pass = |user| {
        let db = app.db().clone();
        async move {
            tollgate::billing::passes::active(&db, chrono::Utc::now(), user)
                .await
                .unwrap()
        }
    };
    assert!(pass(bob).await.is_some());
    assert!(pass(ann).await.is_none());
    app.stop().await;
}

on_both_databases!(
    admin_center_tier_gift,
    a_pass_gift_to_one_tier_reaches_only_that_tier
);

async fn a_listed_admin_runs_the_center_in_a_private_chat_and_inputs_are_not_relayed(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator(); // listed in ADMIN_USER_IDS by the harness
    app.say(op, "/admin");
    let panel = app.next_message(op).await;
    assert!(panel.body().unwrap().contains("Control center"));
    let find = |label: &str| {
        let p = app
            .emu()
            .bot_messages(op)
            .into_iter()
            .find(|m| m.message_id == panel.message_id)
            .unwrap();
        p.buttons
            .iter()
            .flatten()
            .find(|b| b.text.contains(label))
            .and_then(|b| b.callback_data.clone())
            .unwrap_or_else(|| panic!("no {label}"))
    };
    let q = app
        .emu()
        .press_raw(op, op, panel.message_id, &find("Search users"))
        .unwrap();
    app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap();
    let copies_before = app.emu().bot_messages(app.admin_chat()).len();
    app.say(op, "Ann");
    let mut found = false;
    for _ in 0..100 {
        let body = app
            .emu()
            .bot_messages(op)
            .into_iter()
            .find(|m| m.message_id == panel.message_id)
            .and_then(|m| m.body().map(str::to_owned))
            .unwrap_or_default();
        if body.contains("Users matching “Ann”") {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "the search answered in the private panel");
    app.settle().await;
    assert_eq!(
        app.emu().bot_messages(app.admin_chat()).len(),
        copies_before,
        "the input was not relayed to the admin group"
    );
    assert!(find(&format!("{ann}")).starts_with("ap:"));
    app.stop().await;
}

on_both_databases!(
    admin_center_private,
    a_listed_admin_runs_the_center_in_a_private_chat_and_inputs_are_not_relayed
);

async fn a_broadcast_can_be_scheduled_for_a_time_and_a_bad_time_is_asked_again(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    let op = app.operator();
    let id = open(&app, op).await;
    press(&app, op, id, "Broadcasts and gifts").await;
    press(&app, op, id, "New broadcast").await;
    answer(&app, op, id, "See you at the launch", "Add link buttons").await;
    answer(&app, op, id, "-", "Who gets it?").await;
    press(&app, op, id, "Everyone").await;
    press(&app, op, id, "At a time").await;
    assert!(
        body(&app, id).contains("YYYY-MM-DD HH:MM"),
        "{}",
        body(&app, id)
    );
    answer(
        &app,
        op,
        id,
        "next friday",
        "not a time in the next 90 days",
    )
    .await;
    answer(
        &app,
        op,
        id,
        "2000-01-01 10:00",
        "not a time in the next 90 days",
    )
    .await;
    let at = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d %H:%M");
    app.emu()
        .send_text(op, app.admin_chat(), &at.to_string())
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    let campaign = loop {
        if let Some(c) = tollgate::delivery::campaigns::list_recent(app.db(), 1)
            .await
            .unwrap()
            .pop()
        {
            break c;
        }
        assert!(tokio::time::Instant::now() < deadline, "no campaign");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        campaign.run_at.format("%Y-%m-%d %H:%M").to_string(),
        at.to_string()
    );
    app.settle().await;
    assert_eq!(
        app.emu()
            .bot_messages(ann)
            .iter()
            .filter(|m| m.body() == Some("See you at the launch"))
            .count(),
        0,
        "nothing is sent before its time"
    );
    app.stop().await;
}
on_both_databases!(
    scheduled_broadcast,
    a_broadcast_can_be_scheduled_for_a_time_and_a_bad_time_is_asked_again
);

async fn close_and_reopen_work_from_inside_a_topic(app: TestApp) {
    let ann = app.started_user("Ann", "en").await;
    app.say(ann, "Help?");
    app.next_message(ann).await;
    app.answer_in_topic(ann, "/close").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let c = tollgate::admin::conversations::find(app.db(), ann)
            .await
            .unwrap()
            .unwrap();
        if c.closed_at.is_some() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The topic is renamed just after the mark is stored.
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.emu().calls_to("editForumTopic").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "never renamed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let renamed = app.emu().calls_to("editForumTopic");
    assert!(
        renamed[0].params["name"]
            .as_str()
            .unwrap()
            .starts_with("✅ Ann")
    );
    app.answer_in_topic(ann, "/reopen").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let c = tollgate::admin::conversations::find(app.db(), ann)
            .await
            .unwrap()
            .unwrap();
        if c.closed_at.is_none() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never reopened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Outside a topic it says how to use it; nothing is closed.
    let seen = app.bot_message_count(app.admin_chat());
    app.emu()
        .send_text(app.operator(), app.admin_chat(), "/close")
        .unwrap();
    // (The answer to /reopen may still land in the chat after `seen` was counted.)
    let deadline = tokio::time::Instant::now() + WAIT;
    while !app.emu().bot_messages(app.admin_chat())[seen..]
        .iter()
        .any(|m| m.body().is_some_and(|b| b.contains("/close or /reopen")))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no usage hint for /close outside a topic"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.settle().await;
    assert_eq!(audit_count(&app).await, 2);
    app.stop().await;
}
on_both_databases!(topic_close, close_and_reopen_work_from_inside_a_topic);

/// Waits until `n` of the users' messages have their copy recorded.
async fn relayed(app: &TestApp, n: i64) {
    for _ in 0..300 {
        let rows = tollgate::storage::query_all(
            app.db(),
            "SELECT COUNT(*) AS n FROM relay_messages WHERE direction = 'in'",
            vec![],
        )
        .await
        .unwrap();
        if rows[0].try_get::<i64>("", "n").unwrap() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} relayed messages were never recorded");
}

/// The URL of the panel's link button whose label contains `label`.
fn url_of(app: &TestApp, id: i32, label: &str) -> String {
    let p = panel(app, id);
    p.buttons
        .iter()
        .flatten()
        .find(|b| b.text.contains(label))
        .and_then(|b| b.url.clone())
        .unwrap_or_else(|| panic!("no link {label:?} on {:?}", p.buttons))
}

/// The link to the copy in the admin group of `user`'s message that says `text`.
async fn link_to_copy(app: &TestApp, user: i64, text: &str) -> String {
    let copy = app
        .copies_from(user)
        .into_iter()
        .find(|m| m.body() == Some(text))
        .expect("the copy");
    let thread = app.topic_of(user).await.expect("a topic");
    assert_eq!(copy.thread_id, Some(thread));
    let internal = -app.admin_chat() - 1_000_000_000_000;
    format!("https://t.me/c/{internal}/{thread}/{}", copy.message_id)
}

async fn a_search_over_relayed_messages_finds_fragments_in_any_case_and_links_to_them(
    app: TestApp,
) {
    let ann = app.started_user("Ann", "en").await;
    let bob = app.started_user("Bob", "ru").await;
    let ann_refund = "My REFUND for the 50% off plan never came";
    let bob_refund = "where is my refund?";
    let bob_cyrillic = "Привет, ГДЕ мой заказ?";
    app.say(ann, ann_refund);
    relayed(&app, 1).await;
    app.say(bob, bob_refund);
    relayed(&app, 2).await;
    app.say(bob, bob_cyrillic);
    relayed(&app, 3).await;

    let op = app.operator();
    let id = open(&app, op).await;
    // A plain member can neither open the search nor answer its prompt.
    let mia = app.user("Mia", "en");
    app.emu()
        .add_member(app.admin_chat(), mia, MemberStatus::Member);
    let search = data_of(&app, id, "Search messages");
    assert_eq!(
        press_data(&app, mia, id, &search).await.text.as_deref(),
        Some("Only the bot's admins can use this.")
    );
    press(&app, op, id, "Search messages").await;
    assert!(body(&app, id).contains("Send a word or a phrase"));
    app.emu()
        .send_text(mia, app.admin_chat(), "refund")
        .unwrap();
    app.settle().await;
    assert!(body(&app, id).contains("Send a word or a phrase"));

    // Too short: asked again.
    answer(&app, op, id, "r", "Send from 2 to 100 characters").await;
    // Mixed case finds both users, newest first, each with a link into its topic.
    answer(&app, op, id, "ReFuNd", "Messages containing “ReFuNd”").await;
    let shown = body(&app, id);
    let (first, second) = (
        shown.find("1. Bob").expect(&shown),
        shown.find("2. Ann").expect(&shown),
    );
    assert!(first < second, "{shown}");
    assert!(shown.contains(&format!(" · {bob} · ")), "{shown}");
    assert!(shown.contains("“where is my refund?”"), "{shown}");
    assert!(shown.contains(ann_refund), "{shown}");
    assert!(!shown.contains("заказ"), "{shown}");
    assert_eq!(
        url_of(&app, id, "1. Bob"),
        link_to_copy(&app, bob, bob_refund).await
    );
    assert_eq!(
        url_of(&app, id, "2. Ann"),
        link_to_copy(&app, ann, ann_refund).await
    );

    // `%` is a character like any other, not a wildcard.
    press(&app, op, id, "New search").await;
    answer(&app, op, id, "50% OFF", "Messages containing").await;
    assert!(body(&app, id).contains("1. Ann"));
    assert!(!body(&app, id).contains("2."));
    press(&app, op, id, "New search").await;
    answer(&app, op, id, "e%", "No relayed message contains “e%”").await;
    // Cyrillic is folded too.
    press(&app, op, id, "New search").await;
    answer(&app, op, id, "где МОЙ", "Messages containing").await;
    assert!(body(&app, id).contains(bob_cyrillic));
    assert_eq!(
        url_of(&app, id, "1. Bob"),
        link_to_copy(&app, bob, bob_cyrillic).await
    );

    // Pages of eight: the older match is on the second page.
    let topic = app.topic_of(bob).await.unwrap();
    let pairs: Vec<_> = (0..8)
        .map(|i| tollgate::relay::threads::Pair {
            user_id: bob,
            user_message_id: 10_000 + i,
            admin_chat_id: app.admin_chat(),
            admin_message_id: 10_000 + i,
            direction: tollgate::relay::threads::Direction::In,
            text: Some(format!("Refund number {i}")),
        })
        .collect();
    tollgate::relay::threads::remember_all(app.db(), app.h.app.ctx.now(), &pairs)
        .await
        .unwrap();
    press(&app, op, id, "New search").await;
    answer(&app, op, id, "refund", "page 1").await;
    assert!(body(&app, id).contains("1. Bob"));
    assert!(body(&app, id).contains("Refund number 7"));
    assert!(!body(&app, id).contains(ann_refund));
    assert!(url_of(&app, id, "8. Bob").ends_with(&format!("/{topic}/10000")));
    press(&app, op, id, "Next").await;
    assert!(body(&app, id).contains("page 2"));
    assert!(body(&app, id).contains("9. Bob"));
    assert!(body(&app, id).contains("10. Ann"));
    press(&app, op, id, "Previous").await;
    assert!(body(&app, id).contains("page 1"));
    app.stop().await;
}

on_both_databases!(
    admin_center_message_search,
    a_search_over_relayed_messages_finds_fragments_in_any_case_and_links_to_them
);
