//! Sellers' paid access: onboarding with `/sell` (rights checked, a missing right named and
//! fixed on retry), plans, buyers paying in Stars, single-use invite links, join tracking (a
//! stranger on someone's link is removed and the buyer gets a fresh link), trials once per
//! buyer, reminders and removal at the end, renewals that extend, join requests, sellers kept
//! apart, and the operator's suspension.
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tg_emulator::{AdminRights, CallbackAnswer, Fault, JoinOutcome, MemberStatus, Recorded};
use tollgate::{
    clock::ManualClock,
    sellers::{access, catalog, links, stats, sweep},
    storage::entities::{access_orders, memberships, seller_links, seller_services},
};

use crate::{
    helpers::{Backend, TestApp, spawn_app_with},
    on_both_databases,
};

const WAIT: Duration = Duration::from_secs(15);

/// Waits for the `nth` (1-based) bot message to `chat` whose text contains `needle`.
pub(crate) async fn wait_contains(app: &TestApp, chat: i64, needle: &str, nth: usize) -> Recorded {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let hits: Vec<Recorded> = app
            .emu()
            .bot_messages(chat)
            .into_iter()
            .filter(|m| m.body().is_some_and(|b| b.contains(needle)))
            .collect();
        if hits.len() >= nth {
            return hits[nth - 1].clone();
        }
        if tokio::time::Instant::now() > deadline {
            let all: Vec<String> = app
                .emu()
                .bot_messages(chat)
                .iter()
                .filter_map(|m| m.body().map(str::to_owned))
                .collect();
            panic!("no message #{nth} containing {needle:?} in {chat}: {all:#?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn count_containing(app: &TestApp, chat: i64, needle: &str) -> usize {
    app.emu()
        .bot_messages(chat)
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.contains(needle)))
        .count()
}

/// Presses the button whose label contains `label` on `user`'s newest bot message showing it.
pub(crate) async fn press(app: &TestApp, user: i64, label: &str) -> CallbackAnswer {
    let deadline = tokio::time::Instant::now() + WAIT;
    let (message, data) = loop {
        let found = app
            .emu()
            .bot_messages(user)
            .into_iter()
            .rev()
            .find_map(|m| {
                m.buttons
                    .iter()
                    .flatten()
                    .find(|b| b.text.contains(label) && b.callback_data.is_some())
                    .map(|b| (m.message_id, b.callback_data.clone().unwrap()))
            });
        if let Some(found) = found {
            break found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no button {label:?} for {user}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    press_data(app, user, message, &data).await
}

async fn press_data(app: &TestApp, user: i64, message: i32, data: &str) -> CallbackAnswer {
    let q = app.emu().press_raw(user, user, message, data).unwrap();
    app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap()
}

/// The URL of the newest button whose label contains `label` in `user`'s chat.
pub(crate) async fn url_of(app: &TestApp, user: i64, label: &str, nth: usize) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let urls: Vec<String> = app
            .emu()
            .bot_messages(user)
            .iter()
            .flat_map(|m| m.buttons.iter().flatten())
            .filter(|b| b.text.contains(label))
            .filter_map(|b| b.url.clone())
            .collect();
        if urls.len() >= nth {
            return urls[nth - 1].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no link button {label:?} #{nth} for {user}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn full_rights() -> AdminRights {
    AdminRights::default()
}

/// A seller who went through `/sell` (name and email) and now sees the share-a-chat keyboard.
pub(crate) async fn seller(app: &TestApp, name: &str) -> i64 {
    let sam = app.started_user(name, "en").await;
    app.say(sam, "/sell");
    wait_contains(app, sam, "Accept the terms", 1).await;
    let answer = press(app, sam, "Accept").await;
    assert!(answer.text.is_none(), "{answer:?}");
    wait_contains(app, sam, "What name", 1).await;
    app.say(sam, &format!("{name} Signals"));
    wait_contains(app, sam, "contact email", 1).await;
    app.say(sam, &format!("{}@example.com", name.to_lowercase()));
    wait_contains(app, sam, "Share the chat", 1).await;
    sam
}

/// A channel `sam` owns, where the bot is not yet.
pub(crate) fn channel(app: &TestApp, sam: i64, title: &str) -> i64 {
    let chat = app.emu().create_channel(title);
    app.emu().add_member(chat, sam, MemberStatus::Creator);
    chat
}

pub(crate) struct Shop {
    pub sam: i64,
    pub chat: i64,
    pub code: String,
}

/// A seller with a connected channel and one plan: 250 Stars for 30 days, 7 trial days.
pub(crate) async fn shop(app: &TestApp, name: &str) -> Shop {
    let sam = seller(app, name).await;
    let chat = channel(app, sam, &format!("{name} VIP"));
    app.emu().share_chat(sam, chat, 1).unwrap();
    wait_contains(app, sam, "is connected", 1).await;
    wait_contains(app, sam, "price in Telegram Stars", 1).await;
    app.say(sam, "250");
    wait_contains(app, sam, "How many days", 1).await;
    app.say(sam, "30");
    wait_contains(app, sam, "Free trial days", 1).await;
    app.say(sam, "7");
    let done = wait_contains(app, sam, "Plan added", 1).await;
    let body = done.body().unwrap();
    let code = body
        .split("start=s_")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the deep link")
        .to_owned();
    Shop { sam, chat, code }
}

/// `buyer` opens the shop's link and presses its plan; the invoice that comes (their `nth`).
pub(crate) async fn invoice(app: &TestApp, shop: &Shop, buyer: i64, nth: usize) -> Recorded {
    app.say(buyer, &format!("/start s_{}", shop.code));
    press(app, buyer, "⭐ 250 · 30 days").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let invoices: Vec<Recorded> = app
            .emu()
            .bot_messages(buyer)
            .into_iter()
            .filter(|m| m.kind == "invoice")
            .collect();
        if invoices.len() >= nth {
            return invoices[nth - 1].clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no invoice #{nth}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `buyer` opens the shop's link, buys its plan with Stars and reads the receipt; returns the
/// invite link they were sent (the `nth` one they got).
pub(crate) async fn buy(app: &TestApp, shop: &Shop, buyer: i64, nth: usize) -> String {
    let invoice = invoice(app, shop, buyer, nth).await;
    app.emu()
        .pay_invoice(buyer, buyer, invoice.message_id)
        .await
        .unwrap();
    wait_contains(app, buyer, "Payment received", nth).await;
    app.finish_jobs().await;
    url_of(app, buyer, "Join", nth).await
}

async fn membership(app: &TestApp, chat: i64, user: i64) -> memberships::Model {
    let service = catalog::service_by_chat(app.db(), chat)
        .await
        .unwrap()
        .unwrap();
    access::membership(app.db(), service.id, user)
        .await
        .unwrap()
        .expect("a membership")
}

async fn onboarding_names_a_missing_right_and_connects_on_retry(app: TestApp) {
    let sam = app.started_user("Sam", "en").await;
    app.say(sam, "/sell");
    wait_contains(&app, sam, "Accept the terms", 1).await;
    // Typing instead of pressing: asked to press; not relayed to the team.
    app.say(sam, "ok");
    wait_contains(&app, sam, "press \"Accept\"", 1).await;
    press(&app, sam, "Accept").await;
    wait_contains(&app, sam, "What name", 1).await;
    app.say(sam, "x");
    wait_contains(&app, sam, "2 to 64 characters", 1).await;
    app.say(sam, "Sam Signals");
    wait_contains(&app, sam, "contact email", 1).await;
    app.say(sam, "not an email");
    wait_contains(&app, sam, "does not look like an email", 1).await;
    app.say(sam, "sam@example.com");
    let ask = wait_contains(&app, sam, "Share the chat", 1).await;
    assert!(ask.reply_keyboard.is_some(), "{ask:?}");

    // A channel where the bot is an administrator without the ban right.
    let chat = channel(&app, sam, "Sam VIP");
    app.emu().set_bot_admin_rights(
        chat,
        AdminRights {
            can_restrict_members: false,
            ..full_rights()
        },
    );
    app.emu().share_chat(sam, chat, 1).unwrap();
    let missing = wait_contains(&app, sam, "lacks", 1).await;
    assert!(missing.body().unwrap().contains("Ban users"), "{missing:?}");
    assert!(!missing.body().unwrap().contains("Post messages"));
    assert_eq!(
        seller_services::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
        0
    );
    // Fixed, then checked again.
    app.emu().set_bot_admin_rights(chat, full_rights());
    press(&app, sam, "Check again").await;
    wait_contains(&app, sam, "\"Sam VIP\" is connected", 1).await;
    wait_contains(&app, sam, "price in Telegram Stars", 1).await;
    for (bad, complaint) in [
        ("0", "whole number from 1 to 100000"),
        ("-5", "whole number from 1 to 100000"),
    ] {
        app.say(sam, bad);
        wait_contains(&app, sam, complaint, 1).await;
    }
    app.say(sam, "250");
    wait_contains(&app, sam, "How many days", 1).await;
    app.say(sam, "0");
    wait_contains(&app, sam, "from 1 to 3650", 1).await;
    app.say(sam, "30");
    wait_contains(&app, sam, "Free trial days", 1).await;
    app.say(sam, "0");
    let done = wait_contains(&app, sam, "Plan added", 1).await;
    assert!(done.body().unwrap().contains("?start=s_"), "{done:?}");
    wait_contains(&app, sam, "Join for ⭐ 250 · 30 days", 1).await;

    // Nothing Sam typed reached the admin group.
    app.settle().await;
    let relayed = app
        .emu()
        .messages(app.admin_chat())
        .iter()
        .filter(|m| m.copied_from.is_some_and(|(from, _)| from == sam))
        .count();
    assert_eq!(relayed, 0);

    // The same chat shared again by another seller is refused.
    let ann = seller(&app, "Ann").await;
    app.emu().add_member(chat, ann, MemberStatus::Administrator);
    app.emu().share_chat(ann, chat, 1).unwrap();
    wait_contains(&app, ann, "already connected by another seller", 1).await;
    assert_eq!(
        seller_services::Entity::find()
            .count(app.db())
            .await
            .unwrap(),
        1
    );
    // A group the person does not administer cannot even be shared; a forged "check again"
    // for it is refused.
    let other = app.emu().create_channel("Not Ann's");
    app.emu().set_bot_rights(other, MemberStatus::Administrator);
    assert!(app.emu().share_chat(ann, other, 1).is_err());
    let answer = press_data(
        &app,
        ann,
        app.emu().bot_messages(ann).last().unwrap().message_id,
        &format!("sl:chk:{other}"),
    )
    .await;
    assert!(answer.text.is_none());
    wait_contains(&app, ann, "You are not an administrator of that chat", 1).await;
    app.stop().await;
}
on_both_databases!(
    onboarding,
    onboarding_names_a_missing_right_and_connects_on_retry
);

async fn a_buyer_pays_joins_and_the_seller_sees_it(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let bob = app.started_user("Bob", "en").await;
    let link = buy(&app, &shop, bob, 1).await;
    wait_contains(&app, shop.sam, "bought access", 1).await;
    assert_eq!(
        app.emu().join_via_link(bob, &link).unwrap(),
        JoinOutcome::Joined
    );
    app.settle().await;
    let m = membership(&app, shop.chat, bob).await;
    assert_eq!(m.status, "active");
    assert!(m.joined_at.is_some());
    let order = access_orders::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            order.status.as_str(),
            order.amount_minor,
            order.fee_minor,
            order.net_minor
        ),
        ("paid", 250, 25, 225)
    );
    // The invite link: single use, 24 hours, named after the membership.
    let links = app.emu().invite_links(shop.chat);
    let ours = links
        .iter()
        .find(|l| l["invite_link"] == link.as_str())
        .unwrap();
    assert_eq!(ours["member_limit"], 1, "{ours}");
    assert!(ours["expire_date"].as_i64().is_some(), "{ours}");
    assert!(
        ours["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("m{}", m.id))
    );

    // The same payment applied twice admits once.
    let again = access::pay(
        app.db(),
        Utc::now(),
        &order,
        access::ChargeRef::Telegram(order.telegram_charge_id.as_deref().unwrap()),
        10,
    )
    .await
    .unwrap();
    assert_eq!(again, access::Paid::Duplicate);
    assert_eq!(membership(&app, shop.chat, bob).await.ends_at, m.ends_at);

    // A renewal before the end extends from the end; Bob, inside already, needs no new link.
    let invoice = invoice(&app, &shop, bob, 2).await;
    app.emu()
        .pay_invoice(bob, bob, invoice.message_id)
        .await
        .unwrap();
    wait_contains(&app, bob, "now runs until", 1).await;
    app.finish_jobs().await;
    assert_eq!(count_containing(&app, bob, "personal invite link"), 1);
    let renewed = membership(&app, shop.chat, bob).await;
    assert_eq!(
        renewed.ends_at.unwrap() - m.ends_at.unwrap(),
        chrono::Duration::days(30)
    );

    // The seller's tools see it: the dashboard, then its chart as a photo.
    app.say(shop.sam, "/dashboard");
    let d = wait_contains(&app, shop.sam, "Your dashboard", 1).await;
    assert!(d.body().unwrap().contains("Active members: 1"), "{d:?}");
    assert!(
        d.body()
            .unwrap()
            .contains("⭐ 500 gross · ⭐ 50 fee · ⭐ 450 net"),
        "{d:?}"
    );
    let chart = wait_contains(&app, shop.sam, "Last 30 days", 1).await;
    assert_eq!(chart.kind, "photo", "{chart:?}");
    assert!(chart.message_id > d.message_id);
    app.say(shop.sam, "/members");
    let list = wait_contains(&app, shop.sam, "Members (1 shown)", 1).await;
    assert!(list.body().unwrap().contains(&bob.to_string()));
    // Searched by a name fragment, by id, and for nobody.
    app.say(shop.sam, "/members bo");
    let found = wait_contains(&app, shop.sam, "Members (1 shown)", 2).await;
    assert!(found.body().unwrap().contains("Bob"), "{found:?}");
    app.say(shop.sam, &format!("/members {bob}"));
    wait_contains(&app, shop.sam, "Members (1 shown)", 3).await;
    app.say(shop.sam, "/members zed");
    wait_contains(&app, shop.sam, "Members (0 shown)", 1).await;
    app.say(shop.sam, "/members two words");
    wait_contains(&app, shop.sam, "Usage: /members", 1).await;
    app.say(shop.sam, "/audit");
    let trail = wait_contains(&app, shop.sam, "Audit trail", 1).await;
    for action in ["payment", "link", "joined"] {
        assert!(
            trail.body().unwrap().contains(action),
            "{action}: {trail:?}"
        );
    }
    app.stop().await;
}
on_both_databases!(buying, a_buyer_pays_joins_and_the_seller_sees_it);

async fn a_stranger_on_a_used_link_is_removed_and_the_buyer_still_gets_in(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let bob = app.started_user("Bob", "en").await;
    let eve = app.user("Eve", "en");
    let link = buy(&app, &shop, bob, 1).await;
    // Eve comes in first, through Bob's link.
    assert_eq!(
        app.emu().join_via_link(eve, &link).unwrap(),
        JoinOutcome::Joined
    );
    wait_contains(&app, shop.sam, "through the link of", 1).await;
    app.finish_jobs().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.emu().member_status(shop.chat, eve) == Some(MemberStatus::Member) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Eve is still inside"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        app.finish_jobs().await;
    }
    // Removed, not banned: she could come back with a paid link of her own.
    assert_eq!(
        app.emu().member_status(shop.chat, eve),
        Some(MemberStatus::Left)
    );
    let revoked = app
        .emu()
        .invite_links(shop.chat)
        .into_iter()
        .find(|l| l["invite_link"] == link.as_str())
        .unwrap();
    assert_eq!(revoked["is_revoked"], true, "{revoked}");
    // Bob gets a fresh link and gets in with it.
    let fresh = url_of(&app, bob, "Join", 2).await;
    assert_ne!(fresh, link);
    assert_eq!(
        app.emu().join_via_link(bob, &fresh).unwrap(),
        JoinOutcome::Joined
    );
    app.settle().await;
    assert!(membership(&app, shop.chat, bob).await.joined_at.is_some());
    app.stop().await;
}
on_both_databases!(
    stranger,
    a_stranger_on_a_used_link_is_removed_and_the_buyer_still_gets_in
);

async fn a_trial_is_taken_once(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let bob = app.started_user("Bob", "en").await;
    app.say(bob, &format!("/start s_{}", shop.code));
    wait_contains(&app, bob, "Choose a plan", 1).await;
    press(&app, bob, "Free trial · 7 days").await;
    wait_contains(&app, bob, "Your trial of", 1).await;
    app.finish_jobs().await;
    url_of(&app, bob, "Join", 1).await;
    let m = membership(&app, shop.chat, bob).await;
    assert!(m.trial_used);
    let ends = m.ends_at;
    // The old button again: refused, nothing extended.
    press(&app, bob, "Free trial · 7 days").await;
    wait_contains(&app, bob, "free trial already", 1).await;
    assert_eq!(membership(&app, shop.chat, bob).await.ends_at, ends);
    // The card no longer offers it.
    app.say(bob, &format!("/start s_{}", shop.code));
    let card = wait_contains(&app, bob, "Choose a plan", 2).await;
    assert!(
        !card
            .buttons
            .iter()
            .flatten()
            .any(|b| b.text.contains("trial")),
        "{card:?}"
    );
    app.stop().await;
}
on_both_databases!(trial, a_trial_is_taken_once);

/// A clock that starts now (the emulator checks link expiry against the real time).
fn clock_now() -> (ManualClock, tollgate::clock::SharedClock) {
    let c = ManualClock::new(Utc::now());
    (c.clone(), std::sync::Arc::new(c))
}

async fn reminders_removal_and_coming_back(backend: Backend) {
    let (clock, shared) = clock_now();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let bob = app.started_user("Bob", "en").await;
    let link = buy(&app, &shop, bob, 1).await;
    app.emu().join_via_link(bob, &link).unwrap();
    app.settle().await;
    let sweep_now = || async {
        sweep::sweep(app.db(), app.h.app.ctx.now()).await.unwrap();
        app.finish_jobs().await;
    };
    // 27 days in: the 3-day reminder, once.
    clock.advance(chrono::Duration::days(27) + chrono::Duration::hours(1));
    sweep_now().await;
    sweep_now().await;
    wait_contains(&app, bob, "ends in 3 day(s)", 1).await;
    // 29 days in: the 1-day reminder.
    clock.advance(chrono::Duration::days(2));
    sweep_now().await;
    wait_contains(&app, bob, "ends in 1 day(s)", 1).await;
    assert_eq!(count_containing(&app, bob, "ends in 3 day(s)"), 1);
    // The end: removed (ban then unban), told, can renew.
    clock.advance(chrono::Duration::days(1) + chrono::Duration::hours(1));
    sweep_now().await;
    wait_contains(&app, bob, "has ended", 1).await;
    assert_eq!(
        app.emu().member_status(shop.chat, bob),
        Some(MemberStatus::Left)
    );
    // The leave is recorded from the chat_member update, which the pump handles on its own.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let m = loop {
        let m = membership(&app, shop.chat, bob).await;
        if m.left_at.is_some() || tokio::time::Instant::now() > deadline {
            break m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(m.status, "expired");
    assert!(m.left_at.is_some());
    assert!(!app.emu().calls_to("unbanChatMember").is_empty());
    // Bob buys again and gets back in.
    press(&app, bob, "Renew").await;
    let link = buy(&app, &shop, bob, 2).await;
    assert_eq!(
        app.emu().join_via_link(bob, &link).unwrap(),
        JoinOutcome::Joined
    );
    app.settle().await;
    let m = membership(&app, shop.chat, bob).await;
    assert_eq!(m.status, "active");
    assert!(m.left_at.is_none());
    app.stop().await;
}

#[tokio::test]
async fn reminders_removal_and_coming_back_on_sqlite() {
    reminders_removal_and_coming_back(Backend::Sqlite).await
}

#[tokio::test]
async fn reminders_removal_and_coming_back_on_postgres() {
    reminders_removal_and_coming_back(Backend::Postgres).await
}

async fn whitelisted_grants_and_failed_removals(backend: Backend) {
    let (clock, shared) = clock_now();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let kim = app.started_user("Kim", "en").await;
    let lou = app.started_user("Lou", "en").await;
    for (who, days) in [(kim, 3), (lou, 3)] {
        app.say(shop.sam, &format!("/grant {who} {days}"));
    }
    wait_contains(&app, shop.sam, &format!("{lou} has access"), 1).await;
    app.finish_jobs().await;
    for who in [kim, lou] {
        let link = url_of(&app, who, "Join", 1).await;
        app.emu().join_via_link(who, &link).unwrap();
    }
    app.say(shop.sam, &format!("/whitelist {kim}"));
    wait_contains(&app, shop.sam, "whitelisted", 1).await;
    // Bad arguments change nothing.
    app.say(shop.sam, "/grant abc 3");
    wait_contains(&app, shop.sam, "Usage: /grant", 1).await;
    app.say(shop.sam, &format!("/grant {lou} 0"));
    wait_contains(&app, shop.sam, "Usage: /grant", 2).await;
    // The bot lost its ban right: the removal fails, the seller is told once, it is retried.
    app.emu().set_bot_admin_rights(
        shop.chat,
        AdminRights {
            can_restrict_members: false,
            ..full_rights()
        },
    );
    clock.advance(chrono::Duration::days(4));
    sweep::sweep(app.db(), app.h.app.ctx.now()).await.unwrap();
    app.finish_jobs().await;
    wait_contains(&app, shop.sam, "Could not remove", 1).await;
    assert_eq!(
        app.emu().member_status(shop.chat, lou),
        Some(MemberStatus::Member)
    );
    // Rights back: the retry (after its back-off) removes Lou; Kim, whitelisted, stays.
    app.emu().set_bot_admin_rights(shop.chat, full_rights());
    clock.advance(chrono::Duration::minutes(5));
    app.finish_jobs().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.emu().member_status(shop.chat, lou) == Some(MemberStatus::Member) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Lou was never removed"
        );
        clock.advance(chrono::Duration::minutes(5));
        app.finish_jobs().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(count_containing(&app, shop.sam, "Could not remove"), 1);
    assert_eq!(
        app.emu().member_status(shop.chat, kim),
        Some(MemberStatus::Member)
    );
    // Revoking by hand removes at once.
    app.say(shop.sam, &format!("/revoke {kim}"));
    wait_contains(&app, shop.sam, "no longer has access", 1).await;
    app.finish_jobs().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.emu().member_status(shop.chat, kim) == Some(MemberStatus::Member) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Kim was never removed"
        );
        app.finish_jobs().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn whitelisted_grants_and_failed_removals_on_sqlite() {
    whitelisted_grants_and_failed_removals(Backend::Sqlite).await
}

#[tokio::test]
async fn whitelisted_grants_and_failed_removals_on_postgres() {
    whitelisted_grants_and_failed_removals(Backend::Postgres).await
}

async fn a_crash_between_payment_and_link_still_ends_with_a_link(backend: Backend) {
    let (clock, shared) = clock_now();
    let Some(app) = spawn_app_with(backend, |o| o.clock = shared).await else {
        return;
    };
    let shop = shop(&app, "Sam").await;
    let bob = app.started_user("Bob", "en").await;
    // Invite links fail (the bot lost its right for a moment): the payment lands, the link
    // job waits for its retry, and the seller is told.
    app.emu().fail_next(
        "createChatInviteLink",
        Fault::BadRequest("Bad Request: not enough rights to manage chat invite links".into()),
        1000,
    );
    let invoice = invoice(&app, &shop, bob, 1).await;
    app.emu()
        .pay_invoice(bob, bob, invoice.message_id)
        .await
        .unwrap();
    wait_contains(&app, bob, "Payment received", 1).await;
    app.finish_jobs().await;
    assert_eq!(count_containing(&app, bob, "personal invite link"), 0);
    wait_contains(&app, shop.sam, "Could not create an invite link", 1).await;
    // The app goes down and comes back; Telegram recovers.
    let app = app.restart().await;
    app.emu().clear_faults();
    clock.advance(chrono::Duration::hours(1));
    app.finish_jobs().await;
    let link = url_of(&app, bob, "Join", 1).await;
    assert_eq!(
        app.emu().join_via_link(bob, &link).unwrap(),
        JoinOutcome::Joined
    );
    assert_eq!(
        access_orders::Entity::find()
            .filter(access_orders::Column::Status.eq("paid"))
            .count(app.db())
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn a_crash_between_payment_and_link_still_ends_with_a_link_on_sqlite() {
    a_crash_between_payment_and_link_still_ends_with_a_link(Backend::Sqlite).await
}

#[tokio::test]
async fn a_crash_between_payment_and_link_still_ends_with_a_link_on_postgres() {
    a_crash_between_payment_and_link_still_ends_with_a_link(Backend::Postgres).await
}

async fn sellers_never_touch_each_others_services(app: TestApp) {
    let sam = shop(&app, "Sam").await;
    let ann = shop(&app, "Ann").await;
    let sam_service = catalog::service_by_chat(app.db(), sam.chat)
        .await
        .unwrap()
        .unwrap();
    let last = |who: i64| app.emu().bot_messages(who).last().unwrap().message_id;
    // Ann forges presses on Sam's service and plan: each is refused, nothing changes.
    let plan = catalog::plans_of(app.db(), sam_service.id, false)
        .await
        .unwrap()
        .remove(0);
    for data in [
        format!("sl:svc:{}", sam_service.id),
        format!("sl:ps:{}", sam_service.id),
        format!("sl:ar:{}", sam_service.id),
        format!("sl:jr:{}", sam_service.id),
        format!("sl:np:{}", sam_service.id),
        format!("sl:pp:{}", plan.id),
        format!("sl:pa:{}", plan.id),
        "sl:nonsense".to_owned(),
        "sl:by:999999".to_owned(),
    ] {
        let answer = press_data(&app, ann.sam, last(ann.sam), &data).await;
        if !data.starts_with("sl:by") {
            assert_eq!(
                answer.text.as_deref(),
                Some("This button has expired."),
                "{data}"
            );
        }
    }
    let after = catalog::service(app.db(), sam_service.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, sam_service);
    let plan_after = catalog::plan(app.db(), plan.id).await.unwrap().unwrap();
    assert_eq!(plan_after, plan);
    // Ann's commands with Sam's code find nothing of his.
    let bob = app.started_user("Bob", "en").await;
    buy(&app, &sam, bob, 1).await;
    app.say(ann.sam, &format!("/grant {bob} 30 {}", sam.code));
    wait_contains(&app, ann.sam, "Which service?", 1).await;
    app.say(ann.sam, &format!("/revoke {bob} {}", sam.code));
    wait_contains(&app, ann.sam, "Which service?", 2).await;
    app.say(ann.sam, "/members");
    let list = wait_contains(&app, ann.sam, "Members (0 shown)", 1).await;
    assert!(!list.body().unwrap().contains(&bob.to_string()));
    app.say(ann.sam, "/dashboard");
    let d = wait_contains(&app, ann.sam, "Your dashboard", 1).await;
    assert!(d.body().unwrap().contains("(none yet)"), "{d:?}");
    // No sales, no chart.
    app.settle().await;
    assert!(
        app.emu()
            .bot_messages(ann.sam)
            .iter()
            .all(|m| m.kind != "photo")
    );
    assert_eq!(membership(&app, sam.chat, bob).await.status, "active");
    // A buyer pressing seller buttons: refused.
    let answer = press_data(&app, bob, last(bob), &format!("sl:ps:{}", sam_service.id)).await;
    assert_eq!(answer.text.as_deref(), Some("This button has expired."));
    app.stop().await;
}
on_both_databases!(isolation, sellers_never_touch_each_others_services);

async fn paused_plans_and_suspended_sellers_stop_selling(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let bob = app.started_user("Bob", "en").await;
    let invoice = invoice(&app, &shop, bob, 1).await;
    // The seller pauses the plan before Bob pays: Telegram is told not to take the money.
    app.say(shop.sam, "/services");
    wait_contains(&app, shop.sam, "Services of", 1).await;
    press(&app, shop.sam, "Sam VIP").await;
    press(&app, shop.sam, "⏸ ⭐ 250").await;
    let outcome = app
        .emu()
        .pay_invoice(bob, bob, invoice.message_id)
        .await
        .unwrap();
    assert!(
        matches!(outcome, tg_emulator::PaymentOutcome::Declined(_)),
        "{outcome:?}"
    );
    assert_eq!(
        memberships::Entity::find()
            .filter(memberships::Column::Status.eq("active"))
            .count(app.db())
            .await
            .unwrap(),
        0
    );
    press(&app, shop.sam, "▶️ ⭐ 250").await;
    // The operator suspends Sam: his link stops selling.
    let op = app.operator();
    app.emu()
        .send_text(op, app.admin_chat(), "/sellers")
        .unwrap();
    let list = wait_contains(&app, app.admin_chat(), "Sellers (1)", 1).await;
    assert!(list.body().unwrap().contains("Sam Signals"), "{list:?}");
    app.emu()
        .send_text(op, app.admin_chat(), "/suspend 1")
        .unwrap();
    wait_contains(&app, app.admin_chat(), "Seller #1 is suspended", 1).await;
    app.say(bob, &format!("/start s_{}", shop.code));
    wait_contains(&app, bob, "is not selling right now", 1).await;
    app.say(shop.sam, "/grant 5 3");
    wait_contains(&app, shop.sam, "suspended", 1).await;
    // A plain member of the admin group cannot suspend anyone.
    let mia = app.user("Mia", "en");
    app.emu()
        .add_member(app.admin_chat(), mia, MemberStatus::Member);
    app.emu()
        .send_text(mia, app.admin_chat(), "/unsuspend 1")
        .unwrap();
    app.settle().await;
    assert_eq!(
        catalog::seller(app.db(), 1).await.unwrap().unwrap().status,
        "suspended"
    );
    app.emu()
        .send_text(op, app.admin_chat(), "/unsuspend 1")
        .unwrap();
    wait_contains(&app, app.admin_chat(), "Seller #1 is active again", 1).await;
    app.say(bob, &format!("/start s_{}", shop.code));
    wait_contains(&app, bob, "Choose a plan", 2).await;
    app.stop().await;
}
on_both_databases!(
    stopping_sales,
    paused_plans_and_suspended_sellers_stop_selling
);

async fn join_requests_are_approved_when_paid(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    app.say(shop.sam, "/services");
    press(&app, shop.sam, "Sam VIP").await;
    press(&app, shop.sam, "Links / requests").await;
    let service = catalog::service_by_chat(app.db(), shop.chat)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(service.admission, "join_request");
    let bob = app.started_user("Bob", "en").await;
    let link = buy(&app, &shop, bob, 1).await;
    assert_eq!(
        app.emu().join_via_link(bob, &link).unwrap(),
        JoinOutcome::RequestSent
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.emu().member_status(shop.chat, bob) != Some(MemberStatus::Member) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Bob was never approved"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Someone who did not pay asks through Bob's link: declined, offered the plans.
    let eve = app.started_user("Eve", "en").await;
    assert_eq!(
        app.emu().join_via_link(eve, &link).unwrap(),
        JoinOutcome::RequestSent
    );
    wait_contains(&app, eve, "needs a paid plan", 1).await;
    assert_ne!(
        app.emu().member_status(shop.chat, eve),
        Some(MemberStatus::Member)
    );
    app.stop().await;
}
on_both_databases!(join_requests, join_requests_are_approved_when_paid);

async fn the_control_center_lists_and_suspends_sellers(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let op = app.operator();
    let chat = app.admin_chat();
    let seen = app.bot_message_count(chat);
    app.emu().send_text(op, chat, "/admin").unwrap();
    app.emu()
        .wait_for_bot_messages(chat, seen + 1, WAIT)
        .await
        .unwrap();
    let panel = app.emu().bot_messages(chat).remove(seen).message_id;
    let press_panel = |label: &'static str| {
        let app = &app;
        async move {
            let m = app
                .emu()
                .bot_messages(chat)
                .into_iter()
                .find(|m| m.message_id == panel)
                .unwrap();
            let data = m
                .buttons
                .iter()
                .flatten()
                .find(|b| b.text.contains(label))
                .and_then(|b| b.callback_data.clone())
                .unwrap_or_else(|| panic!("no {label:?} on {:?}", m.buttons));
            let q = app.emu().press_raw(op, chat, panel, &data).unwrap();
            app.emu().wait_for_callback_answer(&q, WAIT).await.unwrap()
        }
    };
    press_panel("Sellers").await;
    let body = |app: &TestApp| {
        app.emu()
            .bot_messages(chat)
            .into_iter()
            .find(|m| m.message_id == panel)
            .unwrap()
            .body()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(body(&app).contains("Sam Signals"), "{}", body(&app));
    let answer = press_panel("Suspend #1").await;
    assert!(
        answer
            .text
            .as_deref()
            .unwrap_or_default()
            .contains("suspended"),
        "{answer:?}"
    );
    assert_eq!(
        catalog::seller(app.db(), 1).await.unwrap().unwrap().status,
        "suspended"
    );
    press_panel("Reinstate #1").await;
    assert_eq!(
        catalog::seller(app.db(), 1).await.unwrap().unwrap().status,
        "active"
    );
    let audited = tollgate::storage::entities::admin_audit::Entity::find()
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(audited, 2);
    let _ = shop;
    app.stop().await;
}
on_both_databases!(center, the_control_center_lists_and_suspends_sellers);

// ---------------------------------------------------------------------------------------------
// The dashboard's per-day series

async fn daily_series_keep_to_their_seller_and_their_days(db: tollgate::storage::Db) {
    use chrono::TimeZone;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let at = |days_back: i64, hour: u32| {
        let day = now.date_naive() - chrono::Duration::days(days_back);
        day.and_hms_opt(hour, 30, 0).unwrap().and_utc()
    };
    let order =
        |seller: i64, amount: i64, currency: &str, status: &str, paid: chrono::DateTime<Utc>| {
            access_orders::ActiveModel {
                seller_id: Set(seller),
                service_id: Set(seller * 10),
                plan_id: Set(1),
                user_id: Set(500),
                method: Set("stars".into()),
                status: Set(status.into()),
                amount_minor: Set(amount),
                currency: Set(currency.into()),
                fee_minor: Set(0),
                net_minor: Set(amount),
                telegram_charge_id: Set(None),
                created_at: Set(paid),
                paid_at: Set(Some(paid)),
                ..Default::default()
            }
        };
    let orders = vec![
        // Seller 1: Stars today (twice) and on the window's first day; a few euros.
        order(1, 250, "XTR", "paid", at(0, 0)),
        order(1, 100, "XTR", "paid", at(0, 23)),
        order(1, 40, "XTR", "paid", at(29, 0)),
        order(1, 200, "EUR", "paid", at(3, 12)),
        // Not counted: unpaid, and the day before the window.
        order(1, 999, "XTR", "pending", at(1, 12)),
        order(1, 777, "XTR", "paid", at(30, 23)),
        // Seller 2: much more, every day; never in seller 1's series.
        order(2, 5000, "XTR", "paid", at(0, 12)),
        order(2, 5000, "XTR", "paid", at(2, 12)),
    ];
    access_orders::Entity::insert_many(orders)
        .exec_without_returning(&db)
        .await
        .unwrap();
    let member = |seller: i64, user: i64, status: &str, created: chrono::DateTime<Utc>| {
        memberships::ActiveModel {
            service_id: Set(seller * 10),
            seller_id: Set(seller),
            user_id: Set(user),
            plan_id: Set(None),
            status: Set(status.into()),
            ends_at: Set(None),
            remove_at: Set(None),
            reminder_stage: Set(0),
            invite_link: Set(None),
            link_issued_at: Set(None),
            joined_at: Set(None),
            left_at: Set(None),
            whitelisted: Set(false),
            trial_used: Set(false),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        }
    };
    let members = vec![
        member(1, 1, "active", at(0, 1)),
        member(1, 2, "expired", at(0, 2)),
        member(1, 3, "active", at(5, 1)),
        member(1, 4, "pending", at(5, 2)),
        member(2, 1, "active", at(0, 1)),
        member(2, 5, "active", at(5, 1)),
        member(2, 6, "active", at(6, 1)),
    ];
    memberships::Entity::insert_many(members)
        .exec_without_returning(&db)
        .await
        .unwrap();

    let daily = stats::daily(&db, 1, now, 30).await.unwrap().unwrap();
    assert_eq!(daily.currency, "XTR");
    assert_eq!(daily.days.len(), 30);
    assert_eq!(daily.days[0].day, at(29, 0).date_naive());
    assert_eq!(daily.days[29].day, now.date_naive());
    let on = |back: usize| daily.days[29 - back];
    assert_eq!((on(0).gross, on(0).new_members), (350, 2));
    assert_eq!((on(29).gross, on(29).new_members), (40, 0));
    assert_eq!((on(5).gross, on(5).new_members), (0, 1));
    assert_eq!(on(2).gross, 0, "seller 2's sale");
    assert_eq!(on(1).gross, 0, "a pending order");
    assert_eq!(daily.days.iter().map(|d| d.gross).sum::<i64>(), 390);
    assert_eq!(daily.days.iter().map(|d| d.new_members).sum::<i64>(), 3);

    let other = stats::daily(&db, 2, now, 30).await.unwrap().unwrap();
    assert_eq!(other.days.iter().map(|d| d.gross).sum::<i64>(), 10_000);
    assert_eq!(other.days.iter().map(|d| d.new_members).sum::<i64>(), 3);
    // A seller without sales in the window has no series.
    assert_eq!(stats::daily(&db, 3, now, 30).await.unwrap(), None);
    assert_eq!(
        stats::daily(&db, 1, now + chrono::Duration::days(40), 30)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn daily_series_keep_to_their_seller_and_their_days_on_both_databases() {
    crate::helpers::each_backend(daily_series_keep_to_their_seller_and_their_days).await
}

// ---------------------------------------------------------------------------------------------
// Extra invite links

async fn link_row(app: &TestApp, name: &str) -> seller_links::Model {
    seller_links::Entity::find()
        .filter(seller_links::Column::Name.eq(name))
        .one(app.db())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no link {name:?}"))
}

fn emu_link(app: &TestApp, chat: i64, link: &str) -> serde_json::Value {
    app.emu()
        .invite_links(chat)
        .into_iter()
        .find(|l| l["invite_link"] == link)
        .unwrap_or_else(|| panic!("no link {link} in {chat}"))
}

async fn wait_status(app: &TestApp, chat: i64, user: i64, want: MemberStatus) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.emu().member_status(chat, user) != Some(want) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{user} is {:?} in {chat}, not {want:?}",
            app.emu().member_status(chat, user)
        );
        app.finish_jobs().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn extra_links_count_joins_and_let_only_members_stay(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    app.say(sam, "/links");
    let screen = wait_contains(&app, sam, "Extra invite links", 1).await;
    assert!(screen.body().unwrap().contains("No extra links yet"));

    // Asked for a name; a bad one is refused and asked again; cancel leaves nothing.
    press(&app, sam, "New link for Sam VIP").await;
    wait_contains(&app, sam, "Name the new link to \"Sam VIP\"", 1).await;
    app.say(sam, &"x".repeat(33));
    wait_contains(&app, sam, "1 to 32 characters", 1).await;
    app.say(sam, "/cancel");
    wait_contains(&app, sam, "Cancelled", 1).await;
    app.say(sam, "partner-anna");
    app.settle().await;
    assert_eq!(
        seller_links::Entity::find().count(app.db()).await.unwrap(),
        0
    );
    // The Cancel button on the question works too.
    press(&app, sam, "New link for Sam VIP").await;
    wait_contains(&app, sam, "Name the new link", 2).await;
    press(&app, sam, "Cancel").await;
    wait_contains(&app, sam, "Cancelled", 2).await;

    // Telegram refuses (a right lost): the seller is told, nothing is stored.
    app.emu().fail_next(
        "createChatInviteLink",
        Fault::BadRequest("Bad Request: not enough rights to manage chat invite links".into()),
        1,
    );
    press(&app, sam, "New link for Sam VIP").await;
    wait_contains(&app, sam, "Name the new link", 3).await;
    app.say(sam, "partner-anna");
    wait_contains(&app, sam, "Could not create the link", 1).await;
    assert_eq!(
        seller_links::Entity::find().count(app.db()).await.unwrap(),
        0
    );

    press(&app, sam, "New link for Sam VIP").await;
    wait_contains(&app, sam, "Name the new link", 4).await;
    app.say(sam, "  partner-anna ");
    let made = wait_contains(&app, sam, "Link \"partner-anna\" to \"Sam VIP\"", 1).await;
    let row = link_row(&app, "partner-anna").await;
    assert!(made.body().unwrap().contains(&row.invite_link), "{made:?}");
    assert!(!row.creates_join_request);
    // Named, no member limit, no expiry, no join request.
    let made = emu_link(&app, shop.chat, &row.invite_link);
    assert_eq!(made["name"], "partner-anna", "{made}");
    assert!(made.get("member_limit").is_none(), "{made}");
    assert!(made.get("expire_date").is_none(), "{made}");
    assert_eq!(made["creates_join_request"], false, "{made}");

    // Bob pays, then comes in through the partner's link: a member who joined.
    let bob = app.started_user("Bob", "en").await;
    buy(&app, &shop, bob, 1).await;
    assert_eq!(
        app.emu().join_via_link(bob, &row.invite_link).unwrap(),
        JoinOutcome::Joined
    );
    app.settle().await;
    assert!(membership(&app, shop.chat, bob).await.joined_at.is_some());
    // Eve has no plan: she is let out (not banned) and shown the plans; she is no stranger.
    let eve = app.started_user("Eve", "en").await;
    assert_eq!(
        app.emu().join_via_link(eve, &row.invite_link).unwrap(),
        JoinOutcome::Joined
    );
    app.settle().await;
    wait_status(&app, shop.chat, eve, MemberStatus::Left).await;
    wait_contains(&app, eve, "access needs a paid plan", 1).await;
    let card = wait_contains(&app, eve, "by Sam Signals", 1).await;
    assert!(
        card.buttons
            .iter()
            .flatten()
            .any(|b| b.text.contains("⭐ 250")),
        "{card:?}"
    );
    assert_eq!(count_containing(&app, sam, "through the link of"), 0);
    assert_eq!(
        app.emu().member_status(shop.chat, bob),
        Some(MemberStatus::Member)
    );
    assert_eq!(link_row(&app, "partner-anna").await.joins, 2);
    app.say(sam, "/links");
    let screen = wait_contains(&app, sam, "Extra invite links", 2).await;
    let body = screen.body().unwrap();
    assert!(body.contains("partner-anna · 2 joined · working"), "{body}");

    // Revoked in Telegram and here; the link lets nobody in any more.
    press(&app, sam, "Revoke partner-anna").await;
    wait_contains(&app, sam, "is revoked (2 joined through it)", 1).await;
    assert_eq!(
        emu_link(&app, shop.chat, &row.invite_link)["is_revoked"],
        true
    );
    assert!(link_row(&app, "partner-anna").await.revoked_at.is_some());
    let kim = app.user("Kim", "en");
    assert!(app.emu().join_via_link(kim, &row.invite_link).is_err());
    // The revoke button again (a double tap): nothing to do.
    let last = app.emu().bot_messages(sam).last().unwrap().message_id;
    let again = press_data(&app, sam, last, &format!("sl:lkr:{}", row.id)).await;
    assert_eq!(again.text.as_deref(), Some("This button has expired."));
    app.say(sam, "/audit");
    let trail = wait_contains(&app, sam, "Audit trail", 1).await;
    for action in ["link_created", "link_revoked", "unpaid_removed"] {
        assert!(
            trail.body().unwrap().contains(action),
            "{action}: {trail:?}"
        );
    }
    app.stop().await;
}
on_both_databases!(
    extra_links,
    extra_links_count_joins_and_let_only_members_stay
);

async fn extra_links_of_a_join_request_service_ask_to_join(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    app.say(shop.sam, "/services");
    press(&app, shop.sam, "Sam VIP").await;
    press(&app, shop.sam, "Links / requests").await;
    app.say(shop.sam, "/links");
    press(&app, shop.sam, "New link for Sam VIP").await;
    wait_contains(&app, shop.sam, "Name the new link", 1).await;
    app.say(shop.sam, "spring");
    wait_contains(&app, shop.sam, "sends a join request", 1).await;
    let row = link_row(&app, "spring").await;
    assert!(row.creates_join_request);
    let made = emu_link(&app, shop.chat, &row.invite_link);
    assert_eq!(made["creates_join_request"], true, "{made}");
    assert!(made.get("member_limit").is_none(), "{made}");

    // Eve did not pay: her request is declined with the plans, and she never joined.
    let eve = app.started_user("Eve", "en").await;
    assert_eq!(
        app.emu().join_via_link(eve, &row.invite_link).unwrap(),
        JoinOutcome::RequestSent
    );
    wait_contains(&app, eve, "needs a paid plan", 1).await;
    // Bob paid: approved, inside, counted.
    let bob = app.started_user("Bob", "en").await;
    buy(&app, &shop, bob, 1).await;
    assert_eq!(
        app.emu().join_via_link(bob, &row.invite_link).unwrap(),
        JoinOutcome::RequestSent
    );
    wait_status(&app, shop.chat, bob, MemberStatus::Member).await;
    app.settle().await;
    assert_ne!(
        app.emu().member_status(shop.chat, eve),
        Some(MemberStatus::Member)
    );
    assert_eq!(link_row(&app, "spring").await.joins, 1);
    assert!(membership(&app, shop.chat, bob).await.joined_at.is_some());
    app.stop().await;
}
on_both_databases!(
    extra_links_with_requests,
    extra_links_of_a_join_request_service_ask_to_join
);

async fn sellers_never_touch_each_others_links(app: TestApp) {
    let sam = shop(&app, "Sam").await;
    let ann = shop(&app, "Ann").await;
    let sam_service = catalog::service_by_chat(app.db(), sam.chat)
        .await
        .unwrap()
        .unwrap();
    app.say(sam.sam, "/links");
    press(&app, sam.sam, "New link for Sam VIP").await;
    wait_contains(&app, sam.sam, "Name the new link", 1).await;
    app.say(sam.sam, "promo");
    wait_contains(&app, sam.sam, "Link \"promo\"", 1).await;
    let promo = link_row(&app, "promo").await;

    // Ann's screen shows only her own service, and none of Sam's links.
    app.say(ann.sam, "/links");
    let screen = wait_contains(&app, ann.sam, "Extra invite links", 1).await;
    let body = screen.body().unwrap();
    assert!(
        !body.contains("• promo") && !body.contains(&promo.invite_link),
        "{body}"
    );
    assert!(
        screen
            .buttons
            .iter()
            .flatten()
            .all(|b| !b.text.contains("Sam VIP")),
        "{screen:?}"
    );
    // Forged presses on Sam's service and link: refused, nothing changes, no step begins.
    let last = app.emu().bot_messages(ann.sam).last().unwrap().message_id;
    for data in [
        format!("sl:lkn:{}", sam_service.id),
        format!("sl:lkr:{}", promo.id),
        "sl:lkr:999999".to_owned(),
        "sl:lkn:999999".to_owned(),
    ] {
        let answer = press_data(&app, ann.sam, last, &data).await;
        assert_eq!(
            answer.text.as_deref(),
            Some("This button has expired."),
            "{data}"
        );
    }
    assert_eq!(
        tollgate::sellers::drafts::current(app.db(), Utc::now(), ann.sam)
            .await
            .unwrap(),
        tollgate::sellers::drafts::Current::None
    );
    // A step naming Sam's service (as a forged or stale one would) makes nothing for Ann.
    let ctx = &app.h.app.ctx;
    tollgate::sellers::drafts::set(
        app.db(),
        ctx.now(),
        ann.sam,
        &tollgate::sellers::drafts::Step::LinkName {
            service: sam_service.id,
        },
    )
    .await
    .unwrap();
    ctx.drafting.insert(ann.sam);
    app.say(ann.sam, "stolen");
    wait_contains(&app, ann.sam, "not one of your services", 1).await;
    // Bad names change nothing either.
    press(&app, ann.sam, "New link for Ann VIP").await;
    wait_contains(&app, ann.sam, "Name the new link", 1).await;
    app.say(ann.sam, "\u{7}");
    wait_contains(&app, ann.sam, "1 to 32 characters", 1).await;
    app.say(ann.sam, "/cancel");
    wait_contains(&app, ann.sam, "Cancelled", 1).await;

    let all = seller_links::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(all, vec![promo.clone()]);
    assert_eq!(
        emu_link(&app, sam.chat, &promo.invite_link)["is_revoked"],
        false
    );
    assert!(
        app.emu()
            .invite_links(ann.chat)
            .iter()
            .all(|l| l["name"] != "stolen")
    );
    assert_eq!(
        links::own(app.db(), 2, promo.id).await.unwrap(),
        None,
        "Ann's seller id finds nothing"
    );
    app.stop().await;
}
on_both_databases!(links_isolation, sellers_never_touch_each_others_links);
