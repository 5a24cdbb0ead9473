//! Seller teams end to end: the owner invites an admin and a developer with one-time deep
//! links (a link used twice, or by someone who works for a seller already, changes nothing);
//! each role is allowed its part and refused the rest in the bot and in the API; switching a
//! role takes effect at once; removing a member revokes their API keys; the audit trail names
//! the member for every action.
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tollgate::storage::entities::{seller_audit, seller_members};

use crate::{
    helpers::TestApp,
    on_both_databases,
    seller_api::{call, key_from_bot},
    sellers::{press, shop, wait_contains},
};

/// The owner presses an invite button; the deep-link payload it shows (`team_…`).
async fn invite(app: &TestApp, owner: i64, label: &str, nth: usize) -> String {
    press(app, owner, label).await;
    let shown = wait_contains(app, owner, "It works once", nth).await;
    let body = shown.body().unwrap();
    let start = body.find("start=team_").expect("the invite link") + "start=".len();
    body[start..].split_whitespace().next().unwrap().to_owned()
}

async fn audited(app: &TestApp, actor: i64, action: &str) -> Vec<seller_audit::Model> {
    seller_audit::Entity::find()
        .filter(seller_audit::Column::Actor.eq(actor))
        .filter(seller_audit::Column::Action.eq(action))
        .all(app.db())
        .await
        .unwrap()
}

async fn members_of(app: &TestApp, user: i64) -> usize {
    seller_members::Entity::find()
        .filter(seller_members::Column::UserId.eq(user))
        .all(app.db())
        .await
        .unwrap()
        .len()
}

async fn team_roles_invites_and_removal(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    // The owner is the first member of the team.
    app.say(sam, "/team");
    wait_contains(&app, sam, "Your team", 1).await;
    wait_contains(&app, sam, "Sam (", 1).await;
    let admin_link = invite(&app, sam, "Invite an admin", 1).await;

    // Ada takes the admin invite; the owner hears of it.
    let ada = app.started_user("Ada", "en").await;
    app.say(ada, &format!("/start {admin_link}"));
    wait_contains(&app, ada, "You joined the team of", 1).await;
    wait_contains(&app, sam, "Ada (", 1).await;
    assert_eq!(audited(&app, ada, "team_joined").await.len(), 1);

    // The same link again, by someone else: used, nothing changes.
    let eve = app.started_user("Eve", "en").await;
    app.say(eve, &format!("/start {admin_link}"));
    wait_contains(&app, eve, "has been used already", 1).await;
    assert_eq!(members_of(&app, eve).await, 0);
    app.say(eve, "/services");
    wait_contains(&app, eve, "not a seller", 1).await;
    // A made-up token: unknown.
    app.say(eve, "/start team_0123456789abcdef0123456789abcdef");
    wait_contains(&app, eve, "does not exist or has expired", 1).await;

    // The wrong person: the owner opening their own developer invite, and another seller.
    let dev_link = invite(&app, sam, "Invite a developer", 2).await;
    app.say(sam, &format!("/start {dev_link}"));
    wait_contains(&app, sam, "already work for a seller", 1).await;
    let other = shop_owner(&app, "Olly").await;
    app.say(other, &format!("/start {dev_link}"));
    wait_contains(&app, other, "already work for a seller", 1).await;
    // Refusals left the link usable for the right person.
    let dev = app.started_user("Dev", "en").await;
    app.say(dev, &format!("/start {dev_link}"));
    wait_contains(&app, dev, "You joined the team of", 1).await;

    // Bot: the admin grants and reads, but has no say over billing, the team or keys.
    let bea = app.started_user("Bea", "en").await;
    app.say(ada, &format!("/grant {bea} 10"));
    wait_contains(&app, ada, "has access to", 1).await;
    for cmd in ["/payouts", "/team", "/apikey live mine"] {
        app.say(ada, cmd);
    }
    wait_contains(&app, ada, "Your role (admin) cannot do this", 3).await;
    app.say(ada, "/services");
    wait_contains(&app, ada, "Sam VIP", 1).await;
    // The developer makes keys and reads, but grants nothing.
    app.say(dev, &format!("/grant {bea} 10"));
    wait_contains(&app, dev, "Your role (developer) cannot do this", 1).await;
    app.say(dev, "/dashboard");
    wait_contains(&app, dev, "Your dashboard", 1).await;
    let dev_key = key_from_bot(&app, dev, "live", "devkey").await;
    let owner_key = key_from_bot(&app, sam, "live", "crm").await;

    // API: a key acts with its creating member's role.
    let (status, body) = call(&app, Method::GET, Some(&dev_key), "/services", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sid = body["data"][0]["id"].as_i64().unwrap();
    for (method, path, body) in [
        (
            Method::POST,
            format!("/services/{sid}/grants"),
            json!({"telegram_user_id": bea, "days": 3}),
        ),
        (
            Method::PATCH,
            format!("/services/{sid}"),
            json!({"title": "Renamed"}),
        ),
    ] {
        let (status, answer) = call(&app, method, Some(&dev_key), &path, Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], json!("forbidden_role"), "{answer}");
    }
    let (status, answer) = call(
        &app,
        Method::POST,
        Some(&owner_key),
        &format!("/services/{sid}/grants"),
        Some(json!({"telegram_user_id": bea, "days": 3})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    // Nothing the developer's key was refused reached the service.
    let (_, svc) = call(
        &app,
        Method::GET,
        Some(&owner_key),
        &format!("/services/{sid}"),
        None,
    )
    .await;
    assert_ne!(svc["title"], json!("Renamed"), "{svc}");
    // Made an admin, the developer's key grants too, and the trail names them.
    app.say(sam, "/team");
    wait_contains(&app, sam, "Your team", 2).await;
    press(&app, sam, "Dev → admin").await;
    let (status, answer) = call(
        &app,
        Method::POST,
        Some(&dev_key),
        &format!("/services/{sid}/grants"),
        Some(json!({"telegram_user_id": bea, "days": 3})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // Switching Ada to developer takes effect at once.
    press(&app, sam, "Ada → developer").await;
    app.say(ada, &format!("/grant {bea} 10"));
    wait_contains(&app, ada, "Your role (developer) cannot do this", 1).await;
    assert_eq!(audited(&app, sam, "team_role").await.len(), 2);

    // Removing the developer revokes their key: the API and the bot forget them.
    press(&app, sam, "Remove Dev").await;
    wait_contains(&app, sam, "1 of their API keys were revoked", 1).await;
    let (status, _) = call(&app, Method::GET, Some(&dev_key), "/services", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&app, Method::GET, Some(&owner_key), "/services", None).await;
    assert_eq!(status, StatusCode::OK);
    app.say(dev, "/services");
    wait_contains(&app, dev, "not a seller", 1).await;
    assert_eq!(members_of(&app, dev).await, 0);

    // The audit trail names the member for each action.
    let grants = audited(&app, ada, "grant").await;
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].target_user, Some(bea));
    assert_eq!(audited(&app, sam, "grant").await.len(), 1);
    assert_eq!(audited(&app, dev, "grant").await.len(), 1);
    let removed = audited(&app, sam, "team_removed").await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].target_user, Some(dev));
    assert_eq!(audited(&app, sam, "team_invited").await.len(), 2);
    app.say(sam, "/audit");
    wait_contains(&app, sam, "team_removed", 1).await;
}
on_both_databases!(teams, team_roles_invites_and_removal);

/// A seller of their own (without a plan): someone who works for a seller already.
async fn shop_owner(app: &TestApp, name: &str) -> i64 {
    crate::sellers::seller(app, name).await
}
