//! Telegram Star subscription links of channel services: the seller sets one in the bot (bad
//! prices refused, groups refused), buyers see it beside the plans, subscribers joining through
//! it are tracked as Telegram-managed members (renewals, Telegram removing them, webhook
//! events, the seller's lists and the API), and the expiry sweeper leaves them alone.
use chrono::Duration;
use reqwest::{Method, StatusCode};
use sea_orm::EntityTrait;
use tg_emulator::{JoinOutcome, MemberStatus};
use tollgate::{
    sellers::{access, catalog, sweep, webhooks},
    storage::entities::seller_services,
};

use crate::{
    helpers::TestApp,
    on_both_databases,
    seller_api::{call, key_from_bot},
    sellers::{press, shop, url_of, wait_contains},
};

async fn service_of(app: &TestApp, chat: i64) -> catalog::Service {
    catalog::service_by_chat(app.db(), chat)
        .await
        .unwrap()
        .expect("the service")
}

async fn event_types(app: &TestApp, seller: i64) -> Vec<(String, serde_json::Value)> {
    webhooks::events(app.db(), seller, true, None, 100)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| (e.event.event_type, e.event.data))
        .collect()
}

async fn a_channel_sells_through_a_star_subscription_link(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    app.say(sam, "/services");
    wait_contains(&app, sam, "Services of", 1).await;
    press(&app, sam, "Sam VIP").await;
    wait_contains(&app, sam, "Star subscription: off", 1).await;
    press(&app, sam, "Star subscription link").await;
    wait_contains(&app, sam, "How many Stars a month", 1).await;

    // Bad prices are refused and change nothing.
    for (n, bad) in ["0", "10001", "ten", "-5"].iter().enumerate() {
        app.say(sam, bad);
        wait_contains(&app, sam, "costs a whole number of Stars", n + 1).await;
    }
    assert!(
        app.emu()
            .calls_to("createChatSubscriptionInviteLink")
            .is_empty()
    );
    let untouched = service_of(&app, shop.chat).await;
    assert_eq!(
        (untouched.star_sub_price, untouched.star_sub_link),
        (None, None)
    );

    app.say(sam, "300");
    let set = wait_contains(&app, sam, "✅ Star subscription link to", 1).await;
    let service = service_of(&app, shop.chat).await;
    assert_eq!(service.star_sub_price, Some(300));
    let link = service.star_sub_link.clone().expect("the link is stored");
    assert!(set.body().unwrap().contains(&link), "{set:?}");
    let made = app
        .emu()
        .invite_links(shop.chat)
        .into_iter()
        .find(|l| l["invite_link"] == link.as_str())
        .expect("the link is Telegram's");
    assert_eq!(made["subscription_period"], 2_592_000);
    assert_eq!(made["subscription_price"], 300);

    // A buyer's card offers it beside the plans.
    let bob = app.started_user("Bob", "en").await;
    app.say(bob, &format!("/start s_{}", shop.code));
    let card = wait_contains(&app, bob, "Or subscribe through Telegram", 1).await;
    assert!(
        card.buttons
            .iter()
            .flatten()
            .any(|b| b.text.contains("250 · 30 days")),
        "{card:?}"
    );
    assert_eq!(url_of(&app, bob, "Subscribe · 300 Stars", 1).await, link);

    // Bob subscribes: a Telegram-managed membership, the seller told, member.joined sent.
    assert_eq!(
        app.emu().join_via_link(bob, &link).unwrap(),
        JoinOutcome::Joined
    );
    app.settle().await;
    wait_contains(&app, sam, "subscribed to \"Sam VIP\"", 1).await;
    let m = access::membership(app.db(), service.id, bob)
        .await
        .unwrap()
        .expect("a membership");
    assert_eq!(m.source, access::SOURCE_STAR_SUBSCRIPTION);
    assert_eq!(m.status, "active");
    assert!(m.joined_at.is_some() && m.remove_at.is_none());
    let now = app.h.app.ctx.now();
    let first_end = m.ends_at.expect("paid until");
    assert!(first_end > now + Duration::days(29) && first_end <= now + Duration::days(31));

    // A member Tollgate keeps, granted for a day, beside him.
    let carol = app.started_user("Carol", "en").await;
    access::grant(app.db(), now, &service, carol, 1, sam)
        .await
        .unwrap();
    // The sweeper, 40 days on: it reminds and removes Carol, never Bob.
    let later = now + Duration::days(40);
    let swept = sweep::sweep(app.db(), later).await.unwrap();
    assert_eq!(swept.removals, 1, "{swept:?}");
    let bob_now = access::membership(app.db(), service.id, bob)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bob_now.status, "active");
    let carol_now = access::membership(app.db(), service.id, carol)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(carol_now.status, "expired");
    app.finish_jobs().await;
    assert_eq!(
        app.emu().member_status(shop.chat, bob),
        Some(MemberStatus::Member)
    );

    // Telegram charges him again: the membership runs on, subscription.renewed sent.
    let renewed_to = app.emu().renew_star_subscription(bob, shop.chat).unwrap();
    app.settle().await;
    let renewed = access::membership(app.db(), service.id, bob)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewed.ends_at.unwrap().timestamp(), renewed_to);
    assert!(renewed.ends_at.unwrap() > first_end);

    // The seller's lists and the API show him with his source.
    app.say(sam, "/members");
    let list = wait_contains(&app, sam, "Members (2 shown)", 1).await;
    let bob_line = list
        .body()
        .unwrap()
        .lines()
        .find(|l| l.contains(&bob.to_string()))
        .unwrap()
        .to_owned();
    assert!(bob_line.contains("Star subscription"), "{bob_line}");
    app.say(sam, "/dashboard");
    let d = wait_contains(&app, sam, "Your dashboard", 1).await;
    assert!(
        d.body()
            .unwrap()
            .contains("Active members: 1 (1 through a Star subscription)"),
        "{d:?}"
    );
    let key = key_from_bot(&app, sam, "live", "site").await;
    let (status, body) = call(
        &app,
        Method::GET,
        Some(&key),
        &format!("/services/{}/members?status=active", service.id),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["telegram_user_id"], bob);
    assert_eq!(body["data"][0]["source"], "star_subscription");
    assert!(body["data"][0]["remove_at"].is_null());
    let (_, svc) = call(
        &app,
        Method::GET,
        Some(&key),
        &format!("/services/{}", service.id),
        None,
    )
    .await;
    assert_eq!(svc["star_subscription"]["price_stars"], 300);
    assert_eq!(svc["star_subscription"]["link"], link.as_str());

    // The subscription runs out: Telegram removes him, and that is recorded.
    app.emu().end_star_subscription(bob, shop.chat).unwrap();
    app.settle().await;
    let gone = access::membership(app.db(), service.id, bob)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.status, "expired");
    assert!(gone.left_at.is_some());
    let events = event_types(&app, untouched.seller_id).await;
    let bob_events: Vec<&str> = events
        .iter()
        .filter(|(_, d)| d["user"] == bob)
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(
        bob_events,
        ["member.joined", "subscription.renewed", "member.left"]
    );
    assert!(
        events
            .iter()
            .filter(|(_, d)| d["user"] == bob)
            .all(|(_, d)| d["source"] == "star_subscription")
    );

    // He subscribes again later: the same membership, active again.
    assert_eq!(
        app.emu().join_via_link(bob, &link).unwrap(),
        JoinOutcome::Joined
    );
    app.settle().await;
    let back = access::membership(app.db(), service.id, bob)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((back.id, back.status.as_str()), (m.id, "active"));
    assert!(back.left_at.is_none());

    // Turned off: the link is revoked in Telegram and gone from the buyer's card.
    app.say(sam, "/services");
    wait_contains(&app, sam, "Services of", 1).await;
    press(&app, sam, "Sam VIP").await;
    wait_contains(&app, sam, "Star subscription: 300 Stars", 1).await;
    press(&app, sam, "Star subscription link").await;
    wait_contains(&app, sam, "Now: 300 Stars a month", 1).await;
    app.say(sam, "-");
    wait_contains(&app, sam, "is off", 1).await;
    let off = seller_services::Entity::find_by_id(service.id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((off.star_sub_price, off.star_sub_link), (None, None));
    let revoked = app
        .emu()
        .invite_links(shop.chat)
        .into_iter()
        .find(|l| l["invite_link"] == link.as_str())
        .unwrap();
    assert_eq!(revoked["is_revoked"], true);
    app.stop().await;
}
on_both_databases!(
    star_subscription_link,
    a_channel_sells_through_a_star_subscription_link
);

async fn a_group_cannot_have_a_star_subscription_link(app: TestApp) {
    let sam = crate::sellers::seller(&app, "Gil").await;
    let group = app.emu().create_supergroup("Gil Chat", false);
    app.emu().add_member(group, sam, MemberStatus::Creator);
    app.emu().share_chat(sam, group, 2).unwrap();
    wait_contains(&app, sam, "is connected", 1).await;
    app.say(sam, "/cancel");
    app.say(sam, "/services");
    wait_contains(&app, sam, "Services of", 1).await;
    press(&app, sam, "Gil Chat").await;
    let card = wait_contains(&app, sam, "Admission", 1).await;
    assert!(
        !card.body().unwrap().contains("Star subscription:"),
        "{card:?}"
    );
    press(&app, sam, "Star subscription link").await;
    wait_contains(
        &app,
        sam,
        "Telegram offers Star subscription links in channels only",
        1,
    )
    .await;
    // No step waits: the next message is not taken for a price.
    app.say(sam, "300");
    app.settle().await;
    assert!(
        app.emu()
            .calls_to("createChatSubscriptionInviteLink")
            .is_empty()
    );
    let service = service_of(&app, group).await;
    assert_eq!(
        (service.star_sub_price, service.star_sub_link),
        (None, None)
    );
    app.stop().await;
}
on_both_databases!(
    star_subscription_in_a_group,
    a_group_cannot_have_a_star_subscription_link
);
